"""The controller's HTTP server (gevent): ``/metrics`` for Prometheus, ``/healthz`` for load balancers, and the
operations API under ``/api`` (agents log in/out and take breaks; supervisors see queues and agents).

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

Supervisors: ``POST /api/monitor {"supervisor", "agent" | "call", "mode"}`` starts listening, whispering or
barging (the session id is the supervisor's leg uuid); ``POST /api/monitor/<id>/mode {"mode"}`` switches;
``DELETE /api/monitor/<id>`` stops; ``GET /api/monitor`` lists active sessions and the recent log.

The API has no authentication of its own: bind it to loopback (the default) or put it behind a proxy that
authenticates. A POST must carry ``Content-Type: application/json`` (415 otherwise: a browser's form post must not run
an action) and a body within its endpoint's limit (413). Errors are JSON ``{"error": <stable id>, "message": ...}``:
404 ``not_found`` (no such route) or ``unknown_name`` (the path names nothing), 405 ``method_not_allowed`` (with
``Allow``), 409 ``invalid_transition``, 400 ``bad_request`` / ``unsafe_value``, 413 ``body_too_large``, 415
``unsupported_media_type``, 422 ``unknown_name`` for a body value that is none of the configured choices (a break
reason), 503 ``store_unavailable``. No message quotes the body; a value over 64 characters is refused unquoted.
"""

from __future__ import annotations

import errno
import json
import logging
from collections.abc import Callable, Iterable, Mapping
from dataclasses import asdict, dataclass
from datetime import UTC, date, datetime
from typing import TYPE_CHECKING, Any
from urllib.parse import parse_qs
from wsgiref.types import StartResponse, WSGIApplication, WSGIEnvironment

from gevent.pywsgi import WSGIServer
from prometheus_client import make_wsgi_app

from ccswitch import __version__
from ccswitch.acd.agents import Agent, AgentEvent, Login, Logout, Ready, TakeBreak, count_by_state
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
from ccswitch.history.model import ContactRecord
from ccswitch.history.storage import History
from ccswitch.media.monitor import MonitorMode, MonitorSession, NotAuthorised
from ccswitch.media.recording import RecordingSession
from ccswitch.metrics import Metrics, waiting_by_queue
from ccswitch.reports import day_bounds
from ccswitch.routing.explain import explain_route, explanation_document, parse_at

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


_STATUS = {"config_invalid": "422 Unprocessable Entity", "unknown_name": "404 Not Found",
           "invalid_transition": "409 Conflict", "bad_request": "400 Bad Request", "not_found": "404 Not Found",
           "method_not_allowed": "405 Method Not Allowed", "body_too_large": "413 Content Too Large",
           "unsupported_media_type": "415 Unsupported Media Type",
           UnsafeValueError.error_id: "400 Bad Request", NotAuthorised.error_id: "403 Forbidden",
           DataFileError.error_id: "422 Unprocessable Entity"}
_CALL_ACTIONS = {action.value: action for action in CallAction}


_RECORDING_ACTIONS = {"pause": True, "resume": False}


def make_app(metrics: Metrics, controller: Controller | None = None, history: History | None = None
             ) -> WSGIApplication:
    """The WSGI app; the ``/api`` routes are served when a controller is given (``/api/recordings`` reads
    ``history``)."""
    metrics_app = make_wsgi_app(metrics.registry)

    def app(environ: WSGIEnvironment, start_response: StartResponse) -> Iterable[bytes]:
        path = environ.get("PATH_INFO", "")
        if path == "/metrics":
            body: Iterable[bytes] = metrics_app(environ, start_response)
            return body
        if path == "/healthz":
            return _health(metrics, start_response)
        if controller is not None and path.startswith("/api/"):
            try:
                return _reply(start_response, "200 OK", _api(controller, history, environ, path.split("/")[2:]))
            except CcswitchError as exc:
                return _error(start_response, exc)
        return _error(start_response, NotFound("no such path (the API is under /api/, metrics at /metrics)"))

    return app


# Body limits, per endpoint: actions without fields take ``{}``; the others a few short fields (a login a list of
# queue names). Larger bodies are refused (413) before they are read.
_NO_FIELDS = 256
_FEW_FIELDS = 4 * 1024
_LOGIN = 16 * 1024
# A text field or a path segment longer than this names nothing configured (ids, uuids, numbers are shorter):
# refused before it reaches a message, so no error quotes more than this much of a request back.
_MAX_NAME = 64


@dataclass(frozen=True, slots=True)
class _Endpoint:
    run: Callable[[Mapping[str, Any]], object]  # given the request's JSON body ({} for GET and DELETE)
    max_body: int = 0  # bytes of JSON a POST may carry


_Resource = dict[str, _Endpoint]  # method → endpoint


def _api(controller: Controller, history: History | None, environ: WSGIEnvironment, parts: list[str]) -> object:
    """404 for a path no resource has, 405 (with the allowed methods) for a method it does not take; a POST
    needs a JSON content type (415) and a body within the endpoint's limit (413)."""
    if any(len(part) > _MAX_NAME for part in parts):
        raise NotFound("no such API route")
    resource = _resource(controller, history, environ, parts)
    if resource is None:
        raise NotFound("no such API route")
    method = environ.get("REQUEST_METHOD", "GET")
    endpoint = resource.get(method)
    if endpoint is None:
        raise MethodNotAllowed(tuple(sorted(resource)))
    return endpoint.run(_json_body(environ, endpoint.max_body) if method == "POST" else {})


def _resource(controller: Controller, history: History | None, environ: WSGIEnvironment, parts: list[str]
              ) -> _Resource | None:
    engine, now = controller.engine, controller.clock.now()
    match parts:
        case ["agents"]:
            return {"GET": _Endpoint(lambda _: [_agent_view(controller, agent, now)
                                                for agent in engine.agents.values()])}
        case ["agents", agent_id]:
            return {"GET": _Endpoint(lambda _: _agent_view(controller, _known_agent(controller, agent_id), now))}
        case ["agents", agent_id, action] if action in _ACTIONS:
            def agent_action(body: Mapping[str, Any]) -> object:
                _known_agent(controller, agent_id)
                return _agent_view(controller, controller.agent_action(agent_id, _ACTIONS[action](body)), now)
            return {"POST": _Endpoint(agent_action, _LOGIN if action == "login" else _FEW_FIELDS)}
        case ["queues"]:
            def queues(_: Mapping[str, Any]) -> object:
                waiting = waiting_by_queue(engine.queued_entries(), controller.config.queues, now)
                return [_queue_view(controller, name, count, longest) for name, (count, longest) in waiting.items()]
            return {"GET": _Endpoint(queues)}
        case ["calls", call, "recording", action] if action in _RECORDING_ACTIONS:
            return {"POST": _Endpoint(
                lambda _: _recording_view(controller.recording(call, _RECORDING_ACTIONS[action])), _NO_FIELDS)}
        case ["calls", target, action] if action in _CALL_ACTIONS:
            return {"POST": _Endpoint(lambda body: _call_control(controller, target, _CALL_ACTIONS[action], body),
                                      _FEW_FIELDS)}
        case ["recordings"]:
            def recordings(_: Mapping[str, Any]) -> object:
                if history is None:
                    raise StoreError("no contact history is open on this controller")
                return [_recorded_contact(record) for record in _recordings(controller, history, environ)]
            return {"GET": _Endpoint(recordings)}
        case ["monitor", *rest]:
            return _monitor_resource(controller, rest)
        case ["campaigns", *rest]:
            return _campaign_resource(controller, rest)
        case ["reload"]:
            return {"POST": _Endpoint(lambda _: asdict(controller.reload()), _NO_FIELDS)}
        case ["route"]:
            return {"GET": _Endpoint(lambda _: _route(controller, environ))}
        case ["info"]:
            return {"GET": _Endpoint(lambda _: {"version": __version__, "timezone": controller.config.timezone.key})}
    return None


def _monitor_resource(controller: Controller, parts: list[str]) -> _Resource | None:
    engine = controller.engine
    match parts:
        case []:
            def start(body: Mapping[str, Any]) -> object:
                targets = [text for text in (_text(body, "agent"), _text(body, "call")) if text]
                supervisor = _text(body, "supervisor")
                if len(targets) != 1 or supervisor is None:
                    raise BadRequest('give "supervisor" and one of "agent" or "call"')
                return _monitor_view(controller, controller.monitor(supervisor, targets[0], _mode(body)))
            return {
                "GET": _Endpoint(lambda _: {
                    "active": [_monitor_view(controller, session) for session in engine.monitors.values()],
                    "log": [{**asdict(entry), "mode": entry.mode.value} for entry in engine.monitor_log]}),
                "POST": _Endpoint(start, _FEW_FIELDS),
            }
        case [session, "mode"]:
            return {"POST": _Endpoint(
                lambda body: _monitor_view(controller, controller.monitor_mode(session, _mode(body))), _FEW_FIELDS)}
        case [session]:
            return {"DELETE": _Endpoint(lambda _: _monitor_view(controller, controller.stop_monitor(session)))}
    return None


# -- outbound campaigns --------------------------------------------------------------------------------------------

_RUN_COMMANDS = {command.value: command for command in RunCommand}
_PREVIEW_ACTIONS = {"preview": "show", "dial": "dial", "skip": "skip"}


def _campaign_resource(controller: Controller, parts: list[str]) -> _Resource | None:
    """``GET /api/campaigns`` (every campaign's status), ``GET /api/campaigns/<name>``; ``POST
    /api/campaigns/<name>/load`` (import its leads file: answers when the import is done, while the controller
    goes on; the status shows its progress meanwhile), ``…/start|pause|resume|stop``; ``POST
    /api/campaigns/<name>/dispositions {"phone": "+447700900001", "disposition": "sale"}``; ``POST
    /api/campaigns/<name>/preview|dial|skip {"agent": "1001"}``: show the agent a lead (reserving them), dial it,
    or skip it."""
    match parts:
        case []:
            return {"GET": _Endpoint(lambda _: [campaign_view(status) for status in controller.campaign_statuses()])}
        case [name]:
            return {"GET": _Endpoint(lambda _: campaign_view(controller.campaign_status(name)))}
        case [name, "load"]:
            return {"POST": _Endpoint(lambda _: asdict(controller.campaign_load(name)), _NO_FIELDS)}
        case [name, command] if command in _RUN_COMMANDS:
            def run(_: Mapping[str, Any]) -> object:
                done = controller.campaign_command(name, _RUN_COMMANDS[command])
                return {"campaign": done.campaign, "state": done.state.value, "since": done.since}
            return {"POST": _Endpoint(run, _NO_FIELDS)}
        case [name, "dispositions"]:
            def dispose(body: Mapping[str, Any]) -> object:
                phone, disposition = _text(body, "phone"), _text(body, "disposition")
                if phone is None or disposition is None:
                    raise BadRequest('give "phone" and "disposition"')
                return _lead_view(controller.campaign_dispose(name, phone, disposition))
            return {"POST": _Endpoint(dispose, _FEW_FIELDS)}
        case [name, action] if action in _PREVIEW_ACTIONS:
            def preview(body: Mapping[str, Any]) -> object:
                agent = _text(body, "agent")
                if agent is None:
                    raise BadRequest('give "agent"')
                return _lead_view(controller.campaign_preview(name, agent, _PREVIEW_ACTIONS[action]))
            return {"POST": _Endpoint(preview, _FEW_FIELDS)}
    return None


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


def _query(environ: WSGIEnvironment) -> dict[str, str]:
    return {name: values[-1] for name, values in parse_qs(environ.get("QUERY_STRING", "")).items()}


def _route(controller: Controller, environ: WSGIEnvironment) -> dict[str, Any]:
    """``GET /api/route?did=&caller=&at=``: how the running configuration routes such a call, as ``ccswitch route
    --json`` shows it (``at``: local time in the dialplan's zone, or ISO 8601 with an offset; default now)."""
    query = _query(environ)
    did = query.get("did")
    if not did:
        raise BadRequest('give "did", the dialled number')
    config = controller.config
    try:
        at = (parse_at(query["at"], config.dialplan.timezone) if query.get("at")
              else datetime.fromtimestamp(controller.clock.now(), UTC))
    except ValueError as exc:
        raise BadRequest(str(exc)) from exc
    return explanation_document(explain_route(config, did, query.get("caller", ""), at))


def _recordings(controller: Controller, history: History, environ: WSGIEnvironment) -> list[ContactRecord]:
    query = _query(environ)
    since = 0.0
    if "since" in query:
        try:
            since = day_bounds(date.fromisoformat(query["since"]), controller.config.timezone)[0]
        except ValueError as exc:
            raise BadRequest(f"since must be a day YYYY-MM-DD: {exc}") from exc
    return history.recordings_since(since, agent=query.get("agent"), queue=query.get("queue"))


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
               history: History | None = None, setting: str = "http.port") -> WSGIServer:
    """Start serving in the background; ``port`` 0 picks a free port (read it from ``server.server_port``).
    Stop with ``server.stop()``. A port that cannot be opened raises ListenError naming ``setting``."""
    server = WSGIServer((host, port), make_app(metrics, controller, history), log=None, error_log=log)
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


def _error(start_response: StartResponse, exc: CcswitchError) -> list[bytes]:
    status = "422 Unprocessable Entity" if isinstance(exc, UnknownChoiceError) else _STATUS.get(
        exc.error_id, "503 Service Unavailable")
    allow = [("Allow", ", ".join(exc.allowed))] if isinstance(exc, MethodNotAllowed) else []
    return _reply(start_response, status, {"error": exc.error_id, "message": str(exc)}, allow)


def _reply(start_response: StartResponse, status: str, document: object,
           headers: list[tuple[str, str]] | None = None) -> list[bytes]:
    body = json.dumps(document).encode()
    start_response(status, [("Content-Type", "application/json"), ("Content-Length", str(len(body))),
                            ("X-Content-Type-Options", "nosniff"), *(headers or [])])
    return [body]
