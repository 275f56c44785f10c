"""The controller's HTTP server (gevent's WSGI server): ``/metrics`` for Prometheus, ``/healthz`` for load balancers,
and the operations API under ``/api``, a Flask app (agents log in/out and take breaks; supervisors see queues and
agents). ``ROUTES`` is every API endpoint; ``GET /api/openapi.json`` describes them (OpenAPI 3.1).

``GET /api/info``: the controller's version and its configured time zone (times in the API are epoch seconds; the CLI
shows them in this zone).

Calls: ``POST /api/calls/<uuid>/recording/pause|resume`` masks or unmasks a running recording; ``GET
/api/recordings?agent=&queue=&since=YYYY-MM-DD`` lists recordings from the contact history.

Agent call control on a connected call (``<target>``: the call uuid or the agent id): ``POST
/api/calls/<target>/hold|unhold|mute|unmute``; ``POST /api/calls/<target>/transfer {"to": "1000", "context":
"default"}`` (an extension or external number) or ``{"queue": "sales"}``.

Outbound campaigns: ``GET /api/campaigns[/<name>]``; ``POST /api/campaigns/<name>/load|start|pause|resume|stop``;
``POST /api/campaigns/<name>/dispositions {"phone", "disposition"}``; preview campaigns: ``POST
/api/campaigns/<name>/preview|dial|skip {"agent"}``.

Routing on paper: ``GET /api/route?did=&caller=&at=`` explains how the running configuration routes such a call.

Supervisors: ``POST /api/monitor {"agent" | "call", "mode"}`` (the supervisor is the logged-in user; without
users, a ``"supervisor"`` field) starts listening, whispering or
barging (the session id is the supervisor's leg uuid); ``POST /api/monitor/<id>/mode {"mode"}`` switches;
``DELETE /api/monitor/<id>`` stops; ``GET /api/monitor`` lists active sessions and the recent log.

Users (``paths.users``, ``ccswitch user``): once there is one, every route but ``POST /api/session`` (log in) and
``GET /api/openapi.json`` needs a session cookie or ``Authorization: Bearer <token>`` (401 ``not_authenticated``)
and the route's ``Access`` for the user's role (403 ``forbidden``); a browser's POST and DELETE also carry the
session's ``X-CSRF-Token``; failed log-ins are rate-limited (429 ``too_many_attempts``); every POST and DELETE is
audited. Without users the API is open, and ``ccswitch run`` serves it on loopback only.

A POST must carry ``Content-Type: application/json`` (415 otherwise: a browser's form post must not run an action)
and a body within its endpoint's limit (413). Errors are JSON ``{"error": <stable id>, "message": ...}``:
404 ``not_found`` (no such route) or ``unknown_name`` (the path names nothing), 405 ``method_not_allowed`` (with
``Allow``), 409 ``invalid_transition``, 400 ``bad_request`` / ``unsafe_value``, 413 ``body_too_large``, 415
``unsupported_media_type``, 422 ``unknown_name`` for a body value that is none of the configured choices (a break
reason), 503 ``store_unavailable``. No message quotes the body; a value over 64 characters is refused unquoted.
"""

from __future__ import annotations

import errno
import json
import logging
import secrets
import time
from collections.abc import Callable, Iterable, Iterator, Mapping
from dataclasses import asdict, dataclass
from datetime import UTC, date, datetime
from functools import partial
from importlib import resources
from pathlib import Path
from typing import TYPE_CHECKING, Any
from urllib.parse import parse_qs
from wsgiref.types import StartResponse, WSGIApplication, WSGIEnvironment

import gevent
import werkzeug.exceptions
from flask import Flask, Response, request, send_from_directory
from gevent.pywsgi import WSGIServer
from prometheus_client import make_wsgi_app
from werkzeug.exceptions import HTTPException
from werkzeug.routing import BaseConverter

from ccswitch import __version__
from ccswitch.acd.agents import Agent, AgentEvent, Login, Logout, Ready, TakeBreak, count_by_state
from ccswitch.auth.access import Access, Subject, allowed
from ccswitch.auth.gate import SESSION_S, Forbidden, Gate, NotAuthenticated, TooManyAttempts
from ccswitch.auth.users import Role, User
from ccswitch.calls import CallAction
from ccswitch.dialer import Lead, RunCommand
from ccswitch.dialer.runner import CampaignStatus
from ccswitch.errors import (
    CcswitchError,
    DataFileError,
    ListenError,
    StoreError,
    UnknownChoiceError,
    UnknownNameError,
    UnsafeValueError,
)
from ccswitch.history.model import AuditRecord, ContactRecord
from ccswitch.history.storage import History
from ccswitch.media.monitor import MonitorMode, MonitorSession, NotAuthorised
from ccswitch.media.recording import RecordingSession
from ccswitch.metrics import Metrics, waiting_by_queue
from ccswitch.reports import day_bounds
from ccswitch.routing.explain import explain_route, explanation_document, parse_at
from ccswitch.web import live

if TYPE_CHECKING:
    from ccswitch.controller import Controller

log = logging.getLogger(__name__)


_ACTIONS: dict[str, Callable[[Mapping[str, Any]], AgentEvent]] = {
    "login": lambda body: Login(on_demand=bool(body.get("on_demand", False)), queues=_queue_names(body)),
    "ready": lambda body: Ready(on_demand=bool(body.get("on_demand", False))),
    "logout": lambda body: Logout(),
    "break": lambda body: TakeBreak(_text(body, "reason") or "break"),
}


def _queue_names(body: Mapping[str, Any]) -> tuple[str, ...] | None:
    """``queues`` in a login body: a list of queue names, or absent for all the agent's queues."""
    queues = body.get("queues")
    if queues is None or queues == []:
        return None
    if not isinstance(queues, list) or not all(isinstance(name, str) and len(name) <= _MAX_NAME for name in queues):
        raise BadRequest(f"'queues' must be a list of queue names (each at most {_MAX_NAME} characters)")
    return tuple(queues)


_STATUS = {"config_invalid": 422, "unknown_name": 404, "invalid_transition": 409, "bad_request": 400,
           "not_found": 404, "method_not_allowed": 405, "body_too_large": 413, "unsupported_media_type": 415,
           UnsafeValueError.error_id: 400, NotAuthorised.error_id: 403, DataFileError.error_id: 422,
           NotAuthenticated.error_id: 401, Forbidden.error_id: 403, TooManyAttempts.error_id: 429}
_CALL_ACTIONS = {action.value: action for action in CallAction}


_RECORDING_ACTIONS = {"pause": True, "resume": False}
_RUN_COMMANDS = {command.value: command for command in RunCommand}
_PREVIEW_ACTIONS = {"preview": "show", "dial": "dial", "skip": "skip"}


def make_app(metrics: Metrics, controller: Controller | None = None, history: History | None = None,
             gate: Gate | None = None, audit: Callable[[AuditRecord], object] | None = None) -> WSGIApplication:
    """The WSGI app; the ``/api`` routes (a Flask app) are served when a controller is given (``/api/recordings``
    reads ``history``). With ``gate`` and users in its file, every route but logging in and the API's description
    needs a session or a token and the route's role; ``audit`` is given every POST and DELETE (who, what, when,
    from where, and its status)."""
    metrics_app = make_wsgi_app(metrics.registry)
    api = api_app(controller, history, gate, audit)

    def app(environ: WSGIEnvironment, start_response: StartResponse) -> Iterable[bytes]:
        path = environ.get("PATH_INFO", "")
        if path == "/metrics":
            body: Iterable[bytes] = metrics_app(environ, start_response)
            return body
        if path == "/healthz":
            return _health(metrics, start_response)
        return api.wsgi_app(environ, start_response)

    return app


# Body limits, per endpoint: actions without fields take ``{}``; the others a few short fields (a login a list of
# queue names). Larger bodies are refused (413) before they are read.
_NO_FIELDS = 256
_FEW_FIELDS = 4 * 1024
_LOGIN = 16 * 1024
# A text field or a path segment longer than this names nothing configured (ids, uuids, numbers are shorter):
# refused before it reaches a message, so no error quotes more than this much of a request back.
_MAX_NAME = 64


class _NameConverter(BaseConverter):
    """A path segment that can name something: at most ``_MAX_NAME`` characters (a longer one is no route: 404)."""

    regex = f"[^/]{{1,{_MAX_NAME}}}"


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


@dataclass(frozen=True, slots=True)
class Route:
    """One API endpoint: a Flask rule (``<name:…>`` for a segment that names something, ``<any(…):…>`` for a
    choice), one method, who may use it, its handler and how many bytes of JSON a POST may carry."""

    method: str
    rule: str
    access: Access
    run: Callable[[ApiRequest], object]
    max_body: int = 0


def api_app(controller: Controller | None, history: History | None, gate: Gate | None = None,
            audit: Callable[[AuditRecord], object] | None = None) -> Flask:
    """The Flask app of the API: ``ROUTES`` when there is a controller, and the JSON errors for every path (404
    for a path no route has, 405 with ``Allow`` for a method it does not take; 401 without credentials, 403 for the
    wrong role; a POST needs a JSON content type (415) and a body within the route's limit (413))."""
    app = Flask(__name__, static_folder=str(_PAGES), static_url_path="/static")
    app.url_map.converters["name"] = _NameConverter
    if controller is not None:
        for route in ROUTES:
            app.add_url_rule(route.rule, f"{route.method} {route.rule}", _view(route, controller, history, gate, audit),
                             methods=[route.method], provide_automatic_options=False)
        for page in ("desk", "wallboard"):  # the pages themselves hold no data: they log in and read the API
            app.add_url_rule(f"/{page}", page, partial(send_from_directory, _PAGES, "page.html"))
    app.register_error_handler(CcswitchError, _error)
    app.register_error_handler(HTTPException, _http_error)
    app.register_error_handler(Exception, _internal_error)
    app.after_request(_page_headers)
    return app


_PAGES = Path(__file__).resolve().parent / "web" / "static"
# The pages run only their own scripts and styles and talk only to this origin; no other site may frame them.
_CONTENT_SECURITY = ("default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
                     "connect-src 'self'; frame-ancestors 'none'; form-action 'none'; base-uri 'none'")


def _page_headers(response: Response) -> Response:
    response.headers.setdefault("Content-Security-Policy", _CONTENT_SECURITY)
    response.headers.setdefault("X-Content-Type-Options", "nosniff")
    response.headers.setdefault("Referrer-Policy", "no-referrer")
    return response


def _view(route: Route, controller: Controller, history: History | None, gate: Gate | None,
          audit: Callable[[AuditRecord], object] | None) -> Callable[..., Response]:
    def view(**params: str) -> Response:
        user: User | None = None
        body: Mapping[str, Any] = {}
        status = 200
        try:
            user = _authenticate(gate, route)
            body = _json_body(request.environ, route.max_body) if route.method == "POST" else {}
            if user is not None and not allowed(user, route.access, _subject(controller, params, body),
                                                _supervises(controller, user)):
                raise Forbidden(f"a {user.role.value} may not do this")
            query = {name: values[-1] for name, values in parse_qs(request.environ.get("QUERY_STRING", "")).items()}
            api_request = ApiRequest(controller, history, params, body, query, controller.clock.now(), user, gate)
            result = route.run(api_request)
            return result if isinstance(result, Response) else _response(200, result)
        except CcswitchError as exc:
            status = _status(exc)
            raise
        except Exception:
            status = 500
            raise
        finally:
            if audit is not None and route.method != "GET":
                audit(_audit_record(controller.clock.now(), user, body, route, status))

    return view


_SESSION_COOKIE = "ccswitch_session"
_CSRF_HEADER = "X-CSRF-Token"


def _authenticate(gate: Gate | None, route: Route) -> User | None:
    """The request's user: from ``Authorization: Bearer <token>``, else the session cookie (whose POST and DELETE
    must carry the session's CSRF token). None when no users are configured, or on a public route."""
    if gate is None or route.access is Access.PUBLIC or not gate.enabled:
        return None
    scheme, _, token = request.headers.get("Authorization", "").partition(" ")
    if scheme.lower() == "bearer" and token:
        user = gate.bearer(token.strip())
        if user is None:
            raise NotAuthenticated("the token is not valid")
        return user
    found = gate.session(request.cookies.get(_SESSION_COOKIE, ""))
    if found is None:
        raise NotAuthenticated("log in (POST /api/session) or send Authorization: Bearer <token>")
    session, user = found
    if route.method != "GET" and not gate.csrf_matches(session, request.headers.get(_CSRF_HEADER, "")):
        raise Forbidden(f"a browser's {route.method} must carry the session's {_CSRF_HEADER}")
    return user


def _subject(controller: Controller, params: Mapping[str, str], body: Mapping[str, Any]) -> Subject:
    """The agent a request acts on and their queues: the path's agent, the agent on the path's call (by agent id
    or call uuid; the call's queue), or the body's agent (a preview campaign's lead)."""
    engine, config = controller.engine, controller.config
    agent_id = params.get("agent") or params.get("target") or params.get("call")
    call = engine.calls.get(agent_id or "")
    if call is not None:
        return Subject(call.agent, frozenset({call.entry.queue} if call.entry else ()))
    agent_id = agent_id or _text(body, "agent")
    if agent_id is None or agent_id not in config.agents:
        return Subject(agent_id)
    agent = engine.agents.get(agent_id)
    on_call = engine.calls.get(agent.call or "") if agent else None
    if on_call is not None and on_call.entry is not None:
        return Subject(agent_id, frozenset({on_call.entry.queue}))
    return Subject(agent_id, frozenset(config.agents[agent_id].queues))


def _supervises(controller: Controller, user: User) -> Callable[[str], bool]:
    supervisor = controller.config.supervisors.get(user.supervisor or "")
    return (lambda queue: False) if supervisor is None else supervisor.may_monitor


def _audit_record(now: float, user: User | None, body: Mapping[str, Any], route: Route, status: int
                  ) -> AuditRecord:
    actor = user.name if user else "-"
    if route.access is Access.PUBLIC:  # a log-in: the name it tried
        actor = str(body.get("user", "-"))[:_MAX_NAME]
    return AuditRecord(secrets.token_hex(16), now, actor, user.role.value if user else "-",
                       request.remote_addr or "-", f"{route.method} {request.path[:512]}", status)


def _log_in(api: ApiRequest) -> object:
    """``POST /api/session {"user", "password"}``: a session cookie (HttpOnly, SameSite=Strict, Secure over
    HTTPS) and the CSRF token the page sends back in ``X-CSRF-Token``."""
    if api.gate is None or not api.gate.enabled:
        raise _no_users()
    name, password = _text(api.body, "user"), api.body.get("password")
    if name is None or not isinstance(password, str) or len(password) > 1024:
        raise BadRequest('give "user" and "password"')
    session = api.gate.log_in(name, password, request.remote_addr or "-")
    user = api.gate.users[session.user]
    reply = _response(200, {**_user_view(user), "csrf": session.csrf})
    reply.set_cookie(_SESSION_COOKIE, session.id, max_age=SESSION_S, httponly=True, samesite="Strict",
                     secure=request.is_secure or request.headers.get("X-Forwarded-Proto") == "https", path="/")
    return reply


def _no_users() -> NotAuthenticated:
    return NotAuthenticated("no users are configured: the API is open (on loopback only)")


def _whoami(api: ApiRequest) -> object:
    if api.user is None or api.gate is None:
        raise _no_users()
    found = api.gate.session(request.cookies.get(_SESSION_COOKIE, ""))
    return {**_user_view(api.user), "csrf": found[0].csrf if found else None}


def _log_out(api: ApiRequest) -> object:
    if api.gate is None:
        raise _no_users()
    api.gate.log_out(request.cookies.get(_SESSION_COOKIE, ""))
    reply = _response(200, {"logged_out": True})
    reply.delete_cookie(_SESSION_COOKIE, path="/", httponly=True, samesite="Strict")
    return reply


def _user_view(user: User) -> dict[str, object]:
    return {"user": user.name, "role": user.role.value, "agent": user.agent, "supervisor": user.supervisor}


# A page's stream: the snapshot is read this often and sent when it changed (figures in whole seconds change each
# second); a stream ends after STREAM_S and the browser's EventSource reconnects by itself.
_SNAPSHOT_EVERY_S = 0.25
_STREAM_S = 300.0


def _events(api: ApiRequest) -> Response:
    """``GET /api/events``: Server-Sent Events, each a JSON snapshot: an agent's desk for an agent user, the
    wallboard of their granted queues for a supervisor (an admin, or an API without users: every queue)."""
    controller, user = api.controller, api.user
    previous = live.previous_contacts(api.history)
    may_see = _may_see(api)

    def snapshot() -> dict[str, object]:
        now = controller.clock.now()
        if user is not None and user.role is Role.AGENT and user.agent is not None:
            return live.desk(controller, user.agent, previous, now)
        return live.wallboard(controller, may_see, now)

    def stream() -> Iterator[str]:
        last, ends_at = "", time.monotonic() + _STREAM_S
        while time.monotonic() < ends_at:
            document = json.dumps(snapshot())
            if document != last:
                yield f"data: {document}\n\n"
                last = document
            gevent.sleep(_SNAPSHOT_EVERY_S)

    return Response(stream(), mimetype="text/event-stream",
                    headers={"Cache-Control": "no-store", "X-Content-Type-Options": "nosniff"})


def _own_session(api: ApiRequest) -> str:
    """A monitoring session the user may change: their own (an admin: anyone's)."""
    session_id = api.params["session"]
    session = api.controller.engine.monitors.get(session_id)
    user = api.user
    if user is not None and user.role is not Role.ADMIN and session is not None \
            and session.supervisor != user.supervisor:
        raise Forbidden("this is another supervisor's session")
    return session_id


def _may_see(api: ApiRequest) -> Callable[[str], bool]:
    """The queues whose figures and agents the user sees: a supervisor's granted ones; everyone's for an admin or
    an API without users."""
    user = api.user
    return (lambda queue: True) if user is None or user.role is Role.ADMIN else _supervises(api.controller, user)


def _agents(api: ApiRequest) -> object:
    """Every agent; a supervisor's, those of their granted queues."""
    may_see, config = _may_see(api), api.controller.config
    supervisor = api.user is not None and api.user.role is Role.SUPERVISOR
    return [_agent_view(api.controller, agent, api.now) for agent in api.controller.engine.agents.values()
            if not supervisor or any(map(may_see, config.agents[agent.id].queues))]


def _agent(api: ApiRequest) -> object:
    return _agent_view(api.controller, _known_agent(api.controller, api.params["agent"]), api.now)


def _agent_action(api: ApiRequest) -> object:
    agent_id = api.params["agent"]
    _known_agent(api.controller, agent_id)
    event = _ACTIONS[api.params.get("action", "login")](api.body)
    return _agent_view(api.controller, api.controller.agent_action(agent_id, event), api.now)


def _queues(api: ApiRequest) -> object:
    waiting = waiting_by_queue(api.controller.engine.queued_entries(), api.controller.config.queues, api.now)
    may_see = _may_see(api)
    return [_queue_view(api.controller, name, count, longest) for name, (count, longest) in waiting.items()
            if may_see(name)]


def _recordings(api: ApiRequest) -> object:
    if api.history is None:
        raise StoreError("no contact history is open on this controller")
    since = 0.0
    if "since" in api.query:
        try:
            since = day_bounds(date.fromisoformat(api.query["since"]), api.controller.config.timezone)[0]
        except ValueError as exc:
            raise BadRequest(f"since must be a day YYYY-MM-DD: {exc}") from exc
    records = api.history.recordings_since(since, agent=api.query.get("agent"), queue=api.query.get("queue"))
    return [_recorded_contact(record) for record in records]


def _monitors(api: ApiRequest) -> object:
    engine = api.controller.engine
    return {"active": [_monitor_view(api.controller, session) for session in engine.monitors.values()],
            "log": [{**asdict(entry), "mode": entry.mode.value} for entry in engine.monitor_log]}


def _monitor_start(api: ApiRequest) -> object:
    """The supervisor is the logged-in person; only an API without users takes them from the body."""
    targets = [text for text in (_text(api.body, "agent"), _text(api.body, "call")) if text]
    supervisor = _text(api.body, "supervisor")
    if api.user is not None:
        if supervisor not in (None, api.user.supervisor):
            raise Forbidden("you monitor as yourself: leave out \"supervisor\"")
        if api.user.supervisor is None:
            raise Forbidden(f"user {api.user.name} has no supervisor id to monitor as (ccswitch user add --supervisor)")
        supervisor = api.user.supervisor
    if len(targets) != 1 or supervisor is None:
        raise BadRequest('give "supervisor" and one of "agent" or "call"')
    return _monitor_view(api.controller, api.controller.monitor(supervisor, targets[0], _mode(api.body)))


def _campaign_run(api: ApiRequest) -> object:
    done = api.controller.campaign_command(api.params["name"], _RUN_COMMANDS[api.params["command"]])
    return {"campaign": done.campaign, "state": done.state.value, "since": done.since}


def _campaign_dispose(api: ApiRequest) -> object:
    phone, disposition = _text(api.body, "phone"), _text(api.body, "disposition")
    if phone is None or disposition is None:
        raise BadRequest('give "phone" and "disposition"')
    return _lead_view(api.controller.campaign_dispose(api.params["name"], phone, disposition))


def _campaign_preview(api: ApiRequest) -> object:
    agent = _text(api.body, "agent")
    if agent is None:
        raise BadRequest('give "agent"')
    action = _PREVIEW_ACTIONS[api.params["action"]]
    return _lead_view(api.controller.campaign_preview(api.params["name"], agent, action))


def _route(api: ApiRequest) -> object:
    """``GET /api/route?did=&caller=&at=``: how the running configuration routes such a call, as ``ccswitch route
    --json`` shows it (``at``: local time in the dialplan's zone, or ISO 8601 with an offset; default now)."""
    did = api.query.get("did")
    if not did:
        raise BadRequest('give "did", the dialled number')
    config = api.controller.config
    try:
        at = (parse_at(api.query["at"], config.dialplan.timezone) if api.query.get("at")
              else datetime.fromtimestamp(api.now, UTC))
    except ValueError as exc:
        raise BadRequest(str(exc)) from exc
    return explanation_document(explain_route(config, did, api.query.get("caller", ""), at))


def openapi_document() -> object:
    """The OpenAPI 3.1 description of ``ROUTES`` (kept by hand beside this module; a test holds the two equal)."""
    return json.loads(resources.files("ccswitch").joinpath("openapi.json").read_text())


def _choice(names: Iterable[str]) -> str:
    return f"any({', '.join(names)})"


ROUTES: tuple[Route, ...] = (
    Route("GET", "/api/openapi.json", Access.PUBLIC, lambda api: openapi_document()),
    Route("POST", "/api/session", Access.PUBLIC, _log_in, _FEW_FIELDS),
    Route("GET", "/api/session", Access.USER, _whoami),
    Route("DELETE", "/api/session", Access.USER, _log_out),
    Route("GET", "/api/info", Access.USER,
          lambda api: {"version": __version__, "timezone": api.controller.config.timezone.key}),
    Route("GET", "/api/agents", Access.SUPERVISOR, _agents),
    Route("GET", "/api/agents/<name:agent>", Access.AGENT, _agent),
    Route("POST", "/api/agents/<name:agent>/login", Access.AGENT, _agent_action, _LOGIN),
    Route("POST", f"/api/agents/<name:agent>/<{_choice(a for a in _ACTIONS if a != 'login')}:action>", Access.AGENT,
          _agent_action, _FEW_FIELDS),
    Route("GET", "/api/queues", Access.SUPERVISOR, _queues),
    Route("POST", f"/api/calls/<name:call>/recording/<{_choice(_RECORDING_ACTIONS)}:action>", Access.AGENT,
          lambda api: _recording_view(api.controller.recording(api.params["call"],
                                                               _RECORDING_ACTIONS[api.params["action"]])),
          _NO_FIELDS),
    Route("POST", f"/api/calls/<name:target>/<{_choice(_CALL_ACTIONS)}:action>", Access.AGENT,
          lambda api: _call_control(api.controller, api.params["target"], _CALL_ACTIONS[api.params["action"]],
                                    api.body), _FEW_FIELDS),
    Route("GET", "/api/recordings", Access.SUPERVISOR, _recordings),
    Route("GET", "/api/monitor", Access.SUPERVISOR, _monitors),
    Route("POST", "/api/monitor", Access.MONITOR, _monitor_start, _FEW_FIELDS),
    Route("POST", "/api/monitor/<name:session>/mode", Access.MONITOR,
          lambda api: _monitor_view(api.controller, api.controller.monitor_mode(_own_session(api),
                                                                                _mode(api.body))), _FEW_FIELDS),
    Route("DELETE", "/api/monitor/<name:session>", Access.MONITOR,
          lambda api: _monitor_view(api.controller, api.controller.stop_monitor(_own_session(api)))),
    Route("GET", "/api/campaigns", Access.SUPERVISOR,
          lambda api: [campaign_view(status) for status in api.controller.campaign_statuses()]),
    Route("GET", "/api/campaigns/<name:name>", Access.SUPERVISOR,
          lambda api: campaign_view(api.controller.campaign_status(api.params["name"]))),
    Route("POST", "/api/campaigns/<name:name>/load", Access.ADMIN,
          lambda api: asdict(api.controller.campaign_load(api.params["name"])), _NO_FIELDS),
    Route("POST", f"/api/campaigns/<name:name>/<{_choice(_RUN_COMMANDS)}:command>", Access.ADMIN, _campaign_run,
          _NO_FIELDS),
    Route("POST", "/api/campaigns/<name:name>/dispositions", Access.SUPERVISOR, _campaign_dispose, _FEW_FIELDS),
    Route("POST", f"/api/campaigns/<name:name>/<{_choice(_PREVIEW_ACTIONS)}:action>", Access.AGENT,
          _campaign_preview, _FEW_FIELDS),
    Route("POST", "/api/reload", Access.ADMIN, lambda api: asdict(api.controller.reload()), _NO_FIELDS),
    Route("GET", "/api/route", Access.SUPERVISOR, _route),
    Route("GET", "/api/events", Access.USER, _events),
)
"""Every API endpoint. ``GET /api/campaigns[/<name>]``; ``POST /api/campaigns/<name>/load`` imports its leads
file, ``…/start|pause|resume|stop`` runs it; ``POST /api/campaigns/<name>/dispositions {"phone": "+447700900001",
"disposition": "sale"}``; ``POST /api/campaigns/<name>/preview|dial|skip {"agent": "1001"}`` shows the agent a lead
(reserving them), dials it or skips it."""


def campaign_view(status: CampaignStatus) -> dict[str, object]:
    """A campaign's status as JSON: run state, leads by state, lines, rates, the abandon rate against its
    limit over the regulator's window, and its leads file import (running, or the last one; null: none)."""
    budget = status.abandon
    return {
        "name": status.name, "mode": status.mode, "queue": status.queue, "state": status.state,
        "since": status.since, "leads": dict(status.leads), "lines": dict(status.lines),
        "lines_in_flight": status.lines_in_flight, "dialled": status.dialled,
        "answer_ratio": status.answer_ratio, "machine_ratio": status.machine_ratio,
        "abandon": {"answered": budget.answered, "abandoned": budget.abandoned,
                    "ratio": budget.rate if budget.answered else None, "limit": budget.limit,
                    "window_s": status.abandon_window_s, "remaining": round(budget.remaining, 3)},
        "outcomes": dict(status.outcomes),
        "lead_import": None if status.lead_import is None else {
            **asdict(status.lead_import), "state": status.lead_import.state.value},
    }


def _lead_view(lead: Lead) -> dict[str, object]:
    return {"campaign": lead.campaign, "phone": lead.phone, "name": lead.name, "timezone": lead.timezone,
            "fields": dict(lead.extra), "state": lead.state.value, "attempts": lead.attempts,
            "next_at": lead.next_at, "disposition": lead.disposition,
            "last_outcome": lead.last_outcome.value if lead.last_outcome else None, "call": lead.call}


def _call_control(controller: Controller, target: str, action: CallAction, body: Mapping[str, Any]
                  ) -> dict[str, object]:
    if action is CallAction.CONSULT:
        return asdict(controller.control(target, action, to=_text(body, "to"),
                                         context=_text(body, "context") or "default"))
    if action is not CallAction.TRANSFER:
        return asdict(controller.control(target, action))
    destinations = [key for key in ("to", "queue") if _text(body, key)]
    if len(destinations) != 1:
        raise BadRequest('a transfer needs one of "to" (an extension or number) or "queue"')
    return asdict(controller.control(target, action, to=_text(body, "to"), queue=_text(body, "queue"),
                                     context=_text(body, "context") or "default"))


def _text(body: Mapping[str, Any], key: str) -> str | None:
    """A short text field (a name, a number), None when absent or empty; longer text names nothing and is refused
    without being quoted."""
    value = body.get(key)
    if value is None or value == "":
        return None
    if not isinstance(value, str | int) or isinstance(value, bool) or len(str(value)) > _MAX_NAME:
        raise BadRequest(f"{key!r} must be a text of at most {_MAX_NAME} characters")
    return str(value)


def _mode(body: Mapping[str, Any]) -> MonitorMode:
    try:
        return MonitorMode(_text(body, "mode") or MonitorMode.LISTEN.value)
    except ValueError as exc:
        raise BadRequest(f"mode must be one of: {', '.join(m.value for m in MonitorMode)}") from exc


def _monitor_view(controller: Controller, session: MonitorSession) -> dict[str, object]:
    call = controller.engine.calls.get(session.call)
    return {"id": session.supervisor_leg, "supervisor": session.supervisor, "agent": call.agent if call else None,
            "call": session.call, "mode": session.mode.value, "started_at": session.started_at,
            "ended_at": session.ended_at}


def _recording_view(session: RecordingSession) -> dict[str, object]:
    return {"call": session.call, "queue": session.queue, "agent": session.agent, "path": session.path,
            "state": session.state.value, "started_at": session.started_at}


def _recorded_contact(record: ContactRecord) -> dict[str, object]:
    return {"call": record.call_uuid, "queue": record.queue, "agent": record.agent, "caller": record.caller_number,
            "started_at": record.recording_started_at, "duration_s": record.recording_s,
            "path": record.recording_path}


def _queue_view(controller: Controller, name: str, waiting: int, longest_wait: float) -> dict[str, object]:
    states = count_by_state(controller.engine.agents, controller.engine.members(name), name)
    return {"name": name, "waiting": waiting, "longest_wait_s": round(longest_wait, 1),
            "agents": {state.value: count for state, count in states.items()}}


def _known_agent(controller: Controller, agent_id: str) -> Agent:
    agent = controller.engine.agents.get(agent_id)
    if agent is None:
        raise UnknownNameError(f"unknown agent '{agent_id}'")
    return agent


def _agent_view(controller: Controller, agent: Agent, now: float) -> dict[str, object]:
    config = controller.config.agents[agent.id]
    return {"id": agent.id, "name": config.name, "state": agent.state.value, "reason": agent.break_reason,
            "in_state_s": round(now - agent.since, 1), "calls_handled": agent.calls_handled,
            "queues": list(config.queues), "logged_in_to": list(agent.queues or config.queues), "call": agent.call}


def _json_body(environ: WSGIEnvironment, max_body: int) -> Mapping[str, Any]:
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


class BadRequest(CcswitchError):
    error_id = "bad_request"


class NotFound(CcswitchError):
    error_id = "not_found"


class MethodNotAllowed(CcswitchError):
    error_id = "method_not_allowed"

    def __init__(self, allowed: tuple[str, ...]) -> None:
        super().__init__(f"this route takes {', '.join(allowed)}")
        self.allowed = allowed


class BodyTooLarge(CcswitchError):
    error_id = "body_too_large"


class UnsupportedMediaType(CcswitchError):
    error_id = "unsupported_media_type"


def serve_http(metrics: Metrics, host: str, port: int, controller: Controller | None = None,
               history: History | None = None, setting: str = "http.port", gate: Gate | None = None,
               audit: Callable[[AuditRecord], object] | None = None) -> WSGIServer:
    """Start serving in the background; ``port`` 0 picks a free port (read it from ``server.server_port``).
    Stop with ``server.stop()``. A port that cannot be opened raises ListenError naming ``setting``."""
    server = WSGIServer((host, port), make_app(metrics, controller, history, gate, audit), log=None, error_log=log)
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
    return _reply(start_response, status, {"status": "degraded" if reasons else "ok", "esl_connected": esl,
                                           "store_available": since is None, "reasons": reasons})


def _status(exc: CcswitchError) -> int:
    return 422 if isinstance(exc, UnknownChoiceError) else _STATUS.get(exc.error_id, 503)


def _error(exc: CcswitchError) -> Response:
    headers = []
    if isinstance(exc, MethodNotAllowed):
        headers.append(("Allow", ", ".join(exc.allowed)))
    elif isinstance(exc, NotAuthenticated):
        headers.append(("WWW-Authenticate", 'Bearer realm="ccswitch"'))
    elif isinstance(exc, TooManyAttempts):
        headers.append(("Retry-After", str(exc.retry_after)))
    return _response(_status(exc), {"error": exc.error_id, "message": str(exc)}, headers)


def _http_error(exc: HTTPException) -> Response:
    """Werkzeug's refusals (no such route, a method the route does not take) in the API's JSON with stable ids."""
    if isinstance(exc, werkzeug.exceptions.MethodNotAllowed):
        methods = sorted(set(exc.valid_methods or ()) - {"HEAD", "OPTIONS"})
        return _error(MethodNotAllowed(tuple(methods)))
    if isinstance(exc, werkzeug.exceptions.NotFound):
        if request.path.startswith("/api/"):
            return _error(NotFound("no such API route"))
        return _error(NotFound("no such path (the API is under /api/, metrics at /metrics)"))
    return _error(BadRequest("the request is malformed"))


def _response(status: int, document: object, headers: list[tuple[str, str]] | None = None) -> Response:
    return Response(json.dumps(document), status, [("X-Content-Type-Options", "nosniff"), *(headers or [])],
                    mimetype="application/json")


def _internal_error(exc: Exception) -> Response:
    """A fault of ours: logged with its traceback, answered in the API's JSON without any detail."""
    log.error("HTTP %s %s failed", request.method, request.path[:200], exc_info=exc)
    return _response(500, {"error": "internal_error", "message": "the controller failed on this request (logged)"})


def _reply(start_response: StartResponse, status: str, document: object) -> list[bytes]:
    body = json.dumps(document).encode()
    start_response(status, [("Content-Type", "application/json"), ("Content-Length", str(len(body))),
                            ("X-Content-Type-Options", "nosniff")])
    return [body]
