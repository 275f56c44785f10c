"""The web chat's customer side, under ``/chat/``: public routes, each conversation's own bearer token, CORS for the
configured site origins only, and the widget's files.

A customer starts a conversation (``POST /chat/api/conversations``, rate-limited per client address) and gets its
id and token; every later request names the conversation in its path and carries ``Authorization: Bearer
<token>``: a GET may carry it as ``?token=`` instead, since a browser's EventSource and a link to a file cannot send
headers. A wrong token and an unknown conversation are the same 404.
"""

from __future__ import annotations

import json
import re
import time
from collections.abc import Iterator, Mapping
from pathlib import Path
from typing import Any

from flask import Response, request, send_file, send_from_directory

from ccswitch.auth.gate import NotAuthenticated
from ccswitch.chat.messages import ConversationRecord, Customer, Message, Sender
from ccswitch.chat.text import printable
from ccswitch.errors import StoreError
from ccswitch.history.model import phone_key
from ccswitch.http.errors import BadRequest, BodyTooLarge, NotFound, UnsupportedMediaType, json_response
from ccswitch.http.request import MAX_NAME, ApiRequest, sse_response, text
from ccswitch.webchat.attachments import AttachmentRefused
from ccswitch.webchat.feed import Feed
from ccswitch.webchat.service import ChatService

MAX_CUSTOMER_NAME = 100
# A multipart body holds the file and a few hundred bytes of headers around it.
_MULTIPART_OVERHEAD = 16 * 1024
_EMAIL = re.compile(r"[^@\s]{1,64}@[A-Za-z0-9.-]{1,190}\.[A-Za-z]{2,24}")
_VISITOR = re.compile(r"[A-Za-z0-9_-]{8,64}")
_STREAM_S = 300.0  # a stream ends then; the browser's EventSource reconnects with Last-Event-ID
_KEEP_ALIVE_S = 15.0
_RESUME_S = 10.0  # how long a request waits for the chat to take back its conversations after a start
_WIDGET = Path(__file__).resolve().parent.parent / "web" / "static" / "chat"
WIDGET_FILES = {"widget.js": "widget.js", "widget.css": "widget.css", "demo": "demo.html"}


def chat_of(api: ApiRequest) -> ChatService:
    if api.chat is None:
        raise NotFound("the web chat is not running (no chat: topics in ccswitch.yaml)")
    if not api.chat.wait_resumed(_RESUME_S):
        raise StoreError("the web chat is still starting: try again in a moment")
    return api.chat


def topics(api: ApiRequest) -> object:
    available = chat_of(api).availability()
    return {"open": available.open, "reason": available.reason,
            "topics": [{"name": topic.name, "label": topic.label} for topic in available.topics]}


def start(api: ApiRequest) -> Response:
    chat = chat_of(api)
    chat.admit(request.remote_addr or "-")
    record, token = chat.start(_topic(api.body), _customer(api.body))
    return json_response(201, {"id": record.id, "token": token})


def conversation(api: ApiRequest) -> object:
    record = _authorised(api)
    chat = chat_of(api)
    return {**chat.status_view(record.id), "messages": [chat.message_view(m) for m in chat.messages(record.id)]}


def post_message(api: ApiRequest) -> Response:
    record, chat = _authorised(api), chat_of(api)
    return json_response(201, chat.message_view(chat.post(record.id, message_text(api.body))))


def post_file(api: ApiRequest) -> Response:
    record = _authorised(api)
    chat = chat_of(api)
    name, data = read_upload(chat.max_attachment_bytes)
    sent = send_file_as(chat, record.id, Sender.CUSTOMER, record.customer.name, name, data)
    return json_response(201, chat.message_view(sent))


def get_file(api: ApiRequest) -> Response:
    record = _authorised(api)
    return file_reply(chat_of(api), record.id, api.params["attachment"])


def typing(api: ApiRequest) -> object:
    chat_of(api).typing(_authorised(api).id, Sender.CUSTOMER)
    return {}


def person(api: ApiRequest) -> object:
    record = _authorised(api)
    chat = chat_of(api)
    chat.ask_for_person(record.id)
    return chat.status_view(record.id)


def end(api: ApiRequest) -> object:
    record = _authorised(api)
    chat = chat_of(api)
    chat.end(record.id)
    return chat.status_view(record.id)


def offline(api: ApiRequest) -> Response:
    chat = chat_of(api)
    chat.admit(request.remote_addr or "-")
    record = chat.leave_message(_topic(api.body), _customer(api.body), message_text(api.body))
    return json_response(201, {"id": record.id})


def events(api: ApiRequest) -> Response:
    """Server-Sent Events: the messages after ``?after=<seq>`` (or ``Last-Event-ID``) from the log, the status,
    then whatever happens, as it happens, until the conversation ends or ``_STREAM_S`` passes."""
    record = _authorised(api)
    chat = chat_of(api)
    feed = chat.feed(record.id)
    after = _number(api.query.get("after") or request.headers.get("Last-Event-ID") or "0")

    def stream() -> Iterator[str]:
        cursor, last_seq = feed.cursor, after  # the cursor first: nothing published while the log is read is lost
        for message in chat.messages(record.id, after):
            last_seq = message.seq
            yield sse("message", chat.message_view(message), message.seq)
        status = chat.status_view(record.id)
        yield sse("status", status)
        if status["status"] == "ended":
            return
        yield from follow(feed, cursor, last_seq)

    return sse_response(stream())


def follow(feed: Feed, cursor: int, last_seq: int | None) -> Iterator[str]:
    """The feed's items after ``cursor`` as they land, a comment line while nothing happens, until an "ended"
    status or ``_STREAM_S``. A conversation's stream (``last_seq``: the last message sent) numbers its messages by
    their ``seq`` and skips those already sent; an agent's stream numbers every item by its cursor."""
    ends_at = time.monotonic() + _STREAM_S
    while time.monotonic() < ends_at:
        items = feed.wait(cursor, _KEEP_ALIVE_S)
        if not items:
            yield ": still here\n\n"
        for item in items:
            cursor = item.cursor
            if last_seq is None:
                yield sse(item.event, item.data, item.cursor)
                continue
            seq = item.data.get("seq") if item.event == "message" else None
            if isinstance(seq, int):
                if seq <= last_seq:
                    continue
                last_seq = seq
            yield sse(item.event, item.data, seq)
            if item.event == "status" and item.data.get("status") == "ended":
                return


def widget_file(name: str) -> Response:
    """``/chat/widget.js``, ``/chat/widget.css`` and ``/chat/demo`` (a host page with the one script tag)."""
    return send_from_directory(_WIDGET, WIDGET_FILES[name], max_age=300)


def cors(response: Response, origins: tuple[str, ...]) -> Response:
    """The customer routes answer scripts of the configured site origins only."""
    origin = request.headers.get("Origin", "")
    if request.path.startswith("/chat/api/") and origin.lower() in origins:
        response.headers["Access-Control-Allow-Origin"] = origin
        response.headers["Access-Control-Allow-Headers"] = "Authorization, Content-Type, Last-Event-ID"
        response.headers["Access-Control-Allow-Methods"] = "GET, POST"
        response.headers["Access-Control-Max-Age"] = "600"
        response.headers.add("Vary", "Origin")
    return response


def preflight(rest: str) -> Response:
    """A browser's OPTIONS before a cross-origin request; ``cors`` adds the permission when the origin is one."""
    return Response(status=204)


# ---------------------------------------------------------------------- shared with the agent's side
def read_upload(max_bytes: int) -> tuple[str, bytes]:
    """The ``file`` of a multipart/form-data body, refused unread when the body is over ``max_bytes`` and its
    multipart framing."""
    media_type = (request.mimetype or "").lower()
    if media_type != "multipart/form-data":
        raise UnsupportedMediaType('send the file as multipart/form-data in a field named "file"')
    length = request.content_length
    if length is None:
        raise BadRequest("send the upload with a Content-Length")
    if length > max_bytes + _MULTIPART_OVERHEAD:
        raise BodyTooLarge(f"a file may have at most {max_bytes // 2**20} MB")
    upload = request.files.get("file")
    if upload is None:
        raise BadRequest('no field named "file" in the form')
    data = upload.read(max_bytes + 1)
    if len(data) > max_bytes:
        raise BodyTooLarge(f"a file may have at most {max_bytes // 2**20} MB")
    return upload.filename or "file", data


def send_file_as(chat: ChatService, conversation_id: str, sender: Sender, author: str, name: str,
                 data: bytes) -> Message:
    try:
        return chat.send_file(conversation_id, sender, author, name, data)
    except AttachmentRefused as exc:  # says why: the type seen, the size, or nothing in it
        refusal = {"too_large": BodyTooLarge, "type_not_allowed": UnsupportedMediaType}.get(exc.kind, BadRequest)
        raise refusal(str(exc)) from exc


def file_reply(chat: ChatService, conversation_id: str, attachment_id: str) -> Response:
    found = chat.attachment(conversation_id, attachment_id)
    if found is None:
        raise NotFound("no such file in this conversation")
    attachment, path = found
    reply = send_file(path, mimetype=attachment.media_type, as_attachment=True, download_name=attachment.name,
                      max_age=0)
    reply.headers["X-Content-Type-Options"] = "nosniff"
    reply.headers["Content-Security-Policy"] = "default-src 'none'; sandbox"
    return reply


def sse(event: str, data: Mapping[str, Any], event_id: int | None = None) -> str:
    head = f"id: {event_id}\n" if event_id is not None else ""
    return f"{head}event: {event}\ndata: {json.dumps(data)}\n\n"


def message_text(body: Mapping[str, Any]) -> str:
    value = body.get("text")
    if not isinstance(value, str):
        raise BadRequest("'text' must be the message, a string")
    return value


# ---------------------------------------------------------------------- inside
def _authorised(api: ApiRequest) -> ConversationRecord:
    scheme, _, token = request.headers.get("Authorization", "").partition(" ")
    token = token.strip() if scheme.lower() == "bearer" else ""
    if not token and request.method == "GET":
        token = api.query.get("token", "")
    if not token:
        raise NotAuthenticated("send the conversation's token: Authorization: Bearer <token>")
    return chat_of(api).conversation(api.params["conversation"], token)


def _topic(body: Mapping[str, Any]) -> str:
    topic = text(body, "topic")
    if topic is None:
        raise BadRequest("'topic' is missing: one of GET /chat/api/topics")
    return topic


def _customer(body: Mapping[str, Any]) -> Customer:
    name = body.get("name")
    if not isinstance(name, str) or not printable(name).strip() or len(name) > MAX_CUSTOMER_NAME:
        raise BadRequest(f"'name' must be the customer's name, at most {MAX_CUSTOMER_NAME} characters")
    email = (text(body, "email") or "").lower()
    if email and not _EMAIL.fullmatch(email):
        raise BadRequest("'email' is not an e-mail address")
    phone = text(body, "phone") or ""
    if phone and not re.fullmatch(r"\+?[0-9 ()-]{5,24}", phone):
        raise BadRequest("'phone' is not a phone number (digits, spaces, brackets, dashes, an optional +)")
    visitor = text(body, "visitor") or ""
    if visitor and not _VISITOR.fullmatch(visitor):
        raise BadRequest(f"'visitor' must be 8..{MAX_NAME} letters, digits, '_' or '-'")
    return Customer(printable(name).strip(), email, phone_key(phone) if phone else "", visitor)


def _number(value: str) -> int:
    if not value.isdigit() or len(value) > 12:
        raise BadRequest("'after' must be a message number")
    return int(value)
