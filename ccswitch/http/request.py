"""What every route shares: the route table's row (``Route``), what a handler is given (``ApiRequest``), the body
limits, and reading a request's JSON body and short text fields without ever quoting them back."""

from __future__ import annotations

import json
from collections.abc import Callable, Iterable, Iterator, Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any
from wsgiref.types import WSGIEnvironment

from flask import Response
from werkzeug.routing import BaseConverter

from ccswitch.auth.access import Access
from ccswitch.auth.gate import Gate
from ccswitch.auth.users import Role, User
from ccswitch.history.storage import History
from ccswitch.http.errors import BadRequest, BodyTooLarge, UnsupportedMediaType

if TYPE_CHECKING:
    from ccswitch.controller import Controller
    from ccswitch.webchat.service import ChatService

# Body limits, per endpoint: actions without fields take ``{}``; the others a few short fields (a login a list of
# queue names). Larger bodies are refused (413) before they are read.
NO_FIELDS = 256
FEW_FIELDS = 4 * 1024
LOGIN = 16 * 1024
CHAT_MESSAGE = 24 * 1024  # a chat message of a few thousand characters, each up to 4 bytes of UTF-8 and escaped
# A text field or a path segment longer than this names nothing configured (ids, uuids, numbers are shorter):
# refused before it reaches a message, so no error quotes more than this much of a request back.
MAX_NAME = 64


class NameConverter(BaseConverter):
    """A path segment that can name something: at most ``MAX_NAME`` characters (a longer one is no route: 404)."""

    regex = f"[^/]{{1,{MAX_NAME}}}"


@dataclass(frozen=True, slots=True)
class ApiRequest:
    """What a route's handler is given: the controller, the path's parameters, the JSON body ({} for GET and
    DELETE), the query string (last value of each name) and the controller clock's ``now``."""

    controller: Controller
    history: History | None
    params: Mapping[str, str]
    body: Mapping[str, Any]
    query: Mapping[str, str]
    now: float
    user: User | None  # None: no users are configured (the API is open, on loopback only)
    gate: Gate | None
    chat: ChatService | None = None  # the web chat, when it runs


@dataclass(frozen=True, slots=True)
class Route:
    """One API endpoint: a Flask rule (``<name:…>`` for a segment that names something, ``<any(…):…>`` for a
    choice), one method, who may use it, its handler and how many bytes of JSON a POST may carry (an ``upload``
    POST carries a multipart form its handler reads and limits). Every POST and DELETE is audited, and a GET that
    logs a person in (``audited``)."""

    method: str
    rule: str
    access: Access
    run: Callable[[ApiRequest], object]
    max_body: int = 0
    audited: bool = False
    upload: bool = False


def choice(names: Iterable[str]) -> str:
    """A rule's ``any(…)`` converter over ``names``."""
    return f"any({', '.join(names)})"


def text(body: Mapping[str, Any], key: str) -> str | None:
    """A short text field (a name, a number), None when absent or empty; longer text names nothing and is refused
    without being quoted."""
    value = body.get(key)
    if value is None or value == "":
        return None
    if not isinstance(value, str | int) or isinstance(value, bool) or len(str(value)) > MAX_NAME:
        raise BadRequest(f"{key!r} must be a text of at most {MAX_NAME} characters")
    return str(value)


def json_body(environ: WSGIEnvironment, max_body: int) -> Mapping[str, Any]:
    """The POST body as a JSON object. Only with a JSON content type: a browser page's form post (urlencoded,
    multipart, text/plain) must not run an action. Refused unread beyond ``max_body`` bytes; no message quotes it."""
    media_type = str(environ.get("CONTENT_TYPE") or "").split(";", 1)[0].strip().lower()
    if media_type != "application/json":
        raise UnsupportedMediaType("send the body as JSON with Content-Type: application/json")
    try:
        length = int(environ.get("CONTENT_LENGTH") or 0)
    except ValueError as exc:
        raise BadRequest("Content-Length must be a number") from exc
    if length > max_body:
        raise BodyTooLarge(f"the body is over this endpoint's limit of {max_body} bytes")
    raw = environ["wsgi.input"].read(length) if length else b""
    try:
        body = json.loads(raw) if raw.strip() else {}
    except ValueError as exc:  # also UnicodeDecodeError; the parser's detail would quote the body
        raise BadRequest("the body must be a JSON object") from exc
    if not isinstance(body, dict):
        raise BadRequest("the body must be a JSON object")
    return body


def supervises(controller: Controller, user: User) -> Callable[[str], bool]:
    """Whether the user's supervisor id is granted a queue (never, for a user without one)."""
    supervisor = controller.config.supervisors.get(user.supervisor or "")
    return (lambda queue: False) if supervisor is None else supervisor.may_monitor


def may_see(api: ApiRequest) -> Callable[[str], bool]:
    """The queues whose figures and agents the user sees: a supervisor's granted ones; everyone's for an admin or
    an API without users."""
    user = api.user
    return (lambda queue: True) if user is None or user.role is Role.ADMIN else supervises(api.controller, user)


def sse_response(stream: Iterator[str]) -> Response:
    """A Server-Sent Events stream: never cached, never sniffed, never buffered by a proxy in front (nginx honours
    ``X-Accel-Buffering``), so each event reaches the browser as it is written."""
    return Response(stream, mimetype="text/event-stream",
                    headers={"Cache-Control": "no-store", "X-Content-Type-Options": "nosniff",
                             "X-Accel-Buffering": "no"})
