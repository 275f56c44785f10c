"""The WSGI app and its server: ``/metrics``, ``/healthz`` and the Flask app of the API and the pages; each route's
view authenticates, checks the role on what the request acts on, runs the handler and audits every POST and DELETE."""

from __future__ import annotations

import errno
import json
import secrets
from collections.abc import Callable, Iterable, Mapping
from datetime import UTC, datetime
from functools import partial
from pathlib import Path
from typing import TYPE_CHECKING, Any
from urllib.parse import parse_qs
from wsgiref.types import StartResponse, WSGIApplication, WSGIEnvironment

from flask import Flask, Response, request, send_from_directory
from gevent.pywsgi import WSGIServer
from prometheus_client import make_wsgi_app
from werkzeug.exceptions import HTTPException

from ccswitch.auth.access import Access, Subject, allowed
from ccswitch.auth.gate import Forbidden, Gate
from ccswitch.auth.users import User
from ccswitch.errors import CcswitchError, ListenError
from ccswitch.history.model import AuditRecord
from ccswitch.history.storage import History
from ccswitch.http import webchat
from ccswitch.http.errors import error_response, http_error, internal_error, json_response, log, status_of
from ccswitch.http.request import MAX_NAME, ApiRequest, NameConverter, Route, json_body, supervises, text
from ccswitch.http.routes import ROUTES
from ccswitch.http.session import authenticate
from ccswitch.metrics import Metrics

if TYPE_CHECKING:
    from ccswitch.controller import Controller
    from ccswitch.webchat.service import ChatService

Audit = Callable[[AuditRecord], object]


def make_app(metrics: Metrics, controller: Controller | None = None, history: History | None = None,
             gate: Gate | None = None, audit: Audit | None = None, chat: ChatService | None = None
             ) -> WSGIApplication:
    """The WSGI app; the ``/api`` routes (a Flask app) are served when a controller is given (``/api/recordings``
    reads ``history``). With ``gate`` and users in its file, every route but logging in and the API's description
    needs a session or a token and the route's role; ``audit`` is given every POST and DELETE (who, what, when,
    from where, and its status); ``chat`` serves the web chat (``/chat/``)."""
    metrics_app = make_wsgi_app(metrics.registry)
    api = api_app(controller, history, gate, audit, chat)

    def app(environ: WSGIEnvironment, start_response: StartResponse) -> Iterable[bytes]:
        path = environ.get("PATH_INFO", "")
        if path == "/metrics":
            body: Iterable[bytes] = metrics_app(environ, start_response)
            return body
        if path == "/healthz":
            return _health(metrics, start_response)
        return api.wsgi_app(environ, start_response)

    return app


def api_app(controller: Controller | None, history: History | None, gate: Gate | None = None,
            audit: Audit | None = None, chat: ChatService | None = None) -> Flask:
    """The Flask app of the API: ``ROUTES`` when there is a controller, and the JSON errors for every path (404
    for a path no route has, 405 with ``Allow`` for a method it does not take; 401 without credentials, 403 for the
    wrong role; a POST needs a JSON content type (415) and a body within the route's limit (413))."""
    app = Flask("ccswitch.http", static_folder=str(_PAGES), static_url_path="/static")
    app.url_map.converters["name"] = NameConverter
    if controller is not None:
        for route in ROUTES:
            app.add_url_rule(route.rule, f"{route.method} {route.rule}",
                             _view(route, controller, history, gate, audit, chat), methods=[route.method],
                             provide_automatic_options=False)
        for page in ("desk", "wallboard"):  # the pages themselves hold no data: they log in and read the API
            app.add_url_rule(f"/{page}", page, partial(send_from_directory, _PAGES, "page.html"))
        _add_chat_pages(app, controller)
    app.register_error_handler(CcswitchError, error_response)
    app.register_error_handler(HTTPException, http_error)
    app.register_error_handler(Exception, internal_error)
    app.after_request(_page_headers)
    return app


_PAGES = Path(__file__).resolve().parent.parent / "web" / "static"
# The pages run only their own scripts and styles and talk only to this origin; no other site may frame them.
_CONTENT_SECURITY = ("default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
                     "connect-src 'self'; frame-ancestors 'none'; form-action 'none'; base-uri 'none'")


def _add_chat_pages(app: Flask, controller: Controller) -> None:
    """The widget's files, and the web chat's CORS: the customer routes answer the configured site origins."""
    for name in webchat.WIDGET_FILES:
        app.add_url_rule(f"/chat/{name}", f"chat {name}", partial(webchat.widget_file, name))
    app.add_url_rule("/chat/api/<path:rest>", "chat preflight", webchat.preflight, methods=["OPTIONS"],
                     provide_automatic_options=False)
    app.after_request(lambda response: webchat.cors(response, controller.config.chat.site_origins))


def _page_headers(response: Response) -> Response:
    response.headers.setdefault("Content-Security-Policy", _CONTENT_SECURITY)
    response.headers.setdefault("X-Content-Type-Options", "nosniff")
    response.headers.setdefault("Referrer-Policy", "no-referrer")
    return response


def _view(route: Route, controller: Controller, history: History | None, gate: Gate | None,
          audit: Audit | None, chat: ChatService | None) -> Callable[..., Response]:
    def view(**params: str) -> Response:
        user: User | None = None
        body: Mapping[str, Any] = {}
        status = 200
        try:
            user = authenticate(gate, route)
            body = json_body(request.environ, route.max_body) if route.method == "POST" and not route.upload else {}
            if user is not None and not allowed(user, route.access, _subject(controller, params, body),
                                                supervises(controller, user)):
                raise Forbidden(f"a {user.role.value} may not do this")
            query = {name: values[-1] for name, values in parse_qs(request.environ.get("QUERY_STRING", "")).items()}
            api_request = ApiRequest(controller, history, params, body, query, controller.clock.now(), user, gate,
                                     chat)
            result = route.run(api_request)
            response = result if isinstance(result, Response) else json_response(200, result)
            status = response.status_code
            return response
        except CcswitchError as exc:
            status = status_of(exc)
            raise
        except Exception:
            status = 500
            raise
        finally:
            if audit is not None and (route.method != "GET" or route.audited):
                audit(_audit_record(controller.clock.now(), user, body, route, status))

    return view


def _subject(controller: Controller, params: Mapping[str, str], body: Mapping[str, Any]) -> Subject:
    """The agent a request acts on and their queues: the path's agent, the agent on the path's call (by agent id
    or call uuid; the call's queue), or the body's agent (a preview campaign's lead)."""
    engine, config = controller.engine, controller.config
    agent_id = params.get("agent") or params.get("target") or params.get("call")
    call = engine.calls.get(agent_id or "")
    if call is not None:
        return Subject(call.agent, frozenset({call.entry.queue} if call.entry else ()))
    agent_id = agent_id or text(body, "agent")
    if agent_id is None or agent_id not in config.agents:
        return Subject(agent_id)
    agent = engine.agents.get(agent_id)
    on_call = engine.calls.get(agent.call or "") if agent else None
    if on_call is not None and on_call.entry is not None:
        return Subject(agent_id, frozenset({on_call.entry.queue}))
    return Subject(agent_id, frozenset(config.agents[agent_id].queues))


def _audit_record(now: float, user: User | None, body: Mapping[str, Any], route: Route, status: int
                  ) -> AuditRecord:
    actor = user.name if user else "-"
    if route.access is Access.PUBLIC:  # a log-in: the name it tried
        actor = str(body.get("user", "-"))[:MAX_NAME]
    return AuditRecord(secrets.token_hex(16), now, actor, user.role.value if user else "-",
                       request.remote_addr or "-", f"{route.method} {request.path[:512]}", status)


def serve_http(metrics: Metrics, host: str, port: int, controller: Controller | None = None,
               history: History | None = None, setting: str = "http.port", gate: Gate | None = None,
               audit: Audit | None = None, chat: ChatService | None = None) -> WSGIServer:
    """Start serving in the background; ``port`` 0 picks a free port (read it from ``server.server_port``).
    Stop with ``server.stop()``. A port that cannot be opened raises ListenError naming ``setting``."""
    server = WSGIServer((host, port), make_app(metrics, controller, history, gate, audit, chat), log=None,
                        error_log=log)
    try:
        server.start()
    except OSError as exc:
        reason = "already in use" if exc.errno == errno.EADDRINUSE else (exc.strerror or str(exc)).lower()
        raise ListenError(setting, host, port, reason) from exc
    log.info("HTTP on %s:%d (/metrics, /healthz)", host, server.server_port)
    return server


def _health(metrics: Metrics, start_response: StartResponse) -> Iterable[bytes]:
    """200 while every FreeSWITCH node's event socket is up and the store answers, 503 otherwise; the body says
    which (``reasons``, one sentence each)."""
    esl = dict(metrics.esl_up)
    reasons = [f"FreeSWITCH node {node}: event socket down" for node, up in esl.items() if not up]
    since = metrics.store_unavailable_since
    if since is not None:
        reasons.append(f"store unavailable since {datetime.fromtimestamp(since, UTC).isoformat(timespec='seconds')}"
                       f" ({metrics.now() - since:.0f} s): calls are queued, no new offers until it is back")
    status = "503 Service Unavailable" if reasons else "200 OK"
    body = json.dumps({"status": "degraded" if reasons else "ok", "esl_connected": esl,
                       "store_available": since is None, "reasons": reasons}).encode()
    start_response(status, [("Content-Type", "application/json"), ("Content-Length", str(len(body))),
                            ("X-Content-Type-Options", "nosniff")])
    return [body]
