"""The controller's HTTP server (gevent): ``/metrics`` for Prometheus, ``/healthz`` for load balancers, and the
operations API under ``/api`` (agents log in/out and take breaks; supervisors see queues and agents).

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
authenticates. Errors are JSON ``{"error": <stable id>, "message": ...}``: 404 ``unknown_name``, 409
``invalid_transition``, 400 ``bad_request`` / ``unsafe_value``, 503 ``store_unavailable``.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Callable, Iterable, Mapping
from dataclasses import asdict
from datetime import UTC, date, datetime
from typing import TYPE_CHECKING, Any
from urllib.parse import parse_qs
from wsgiref.types import StartResponse, WSGIApplication, WSGIEnvironment

from gevent.pywsgi import WSGIServer
from prometheus_client import make_wsgi_app

from ccswitch.acd.agents import Agent, AgentEvent, Login, Logout, Ready, TakeBreak, count_by_state
from ccswitch.calls import CallAction
from ccswitch.dialer import Lead, RunCommand
from ccswitch.dialer.runner import CampaignStatus
from ccswitch.errors import CcswitchError, DataFileError, StoreError, UnknownNameError, UnsafeValueError
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
    "break": lambda body: TakeBreak(str(body.get("reason") or "break")),
}
def _queue_names(body: Mapping[str, Any]) -> tuple[str, ...] | None:
    """``queues`` in a login body: a list of queue names, or absent for all the agent's queues."""
    queues = body.get("queues")
    if queues is None or queues == []:
        return None
    if not isinstance(queues, list) or not all(isinstance(name, str) for name in queues):
        raise BadRequest("'queues' must be a list of queue names")
    return tuple(queues)


_STATUS = {"config_invalid": "422 Unprocessable Entity", "unknown_name": "404 Not Found",
           "invalid_transition": "409 Conflict", "bad_request": "400 Bad Request",
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
                status = _STATUS.get(exc.error_id, "503 Service Unavailable")
                return _reply(start_response, status, {"error": exc.error_id, "message": str(exc)})
        return _reply(start_response, "404 Not Found", {"error": "not_found", "path": path})

    return app


def _api(controller: Controller, history: History | None, environ: WSGIEnvironment, parts: list[str]) -> object:
    method = environ.get("REQUEST_METHOD", "GET")
    engine, now = controller.engine, controller.clock.now()
    if method == "GET" and parts == ["agents"]:
        return [_agent_view(controller, agent, now) for agent in engine.agents.values()]
    if method == "GET" and len(parts) == 2 and parts[0] == "agents":
        return _agent_view(controller, _known_agent(controller, parts[1]), now)
    if method == "POST" and len(parts) == 3 and parts[0] == "agents" and parts[2] in _ACTIONS:
        _known_agent(controller, parts[1])
        event = _ACTIONS[parts[2]](_json_body(environ))
        return _agent_view(controller, controller.agent_action(parts[1], event), now)
    if method == "GET" and parts == ["queues"]:
        waiting = waiting_by_queue(engine.queued_entries(), controller.config.queues, now)
        return [_queue_view(controller, name, count, longest) for name, (count, longest) in waiting.items()]
    if (method == "POST" and len(parts) == 4 and parts[0] == "calls" and parts[2] == "recording"
            and parts[3] in _RECORDING_ACTIONS):
        return _recording_view(controller.recording(parts[1], _RECORDING_ACTIONS[parts[3]]))
    if method == "POST" and len(parts) == 3 and parts[0] == "calls" and parts[2] in _CALL_ACTIONS:
        return _call_control(controller, parts[1], _CALL_ACTIONS[parts[2]], _json_body(environ))
    if method == "GET" and parts == ["recordings"]:
        if history is None:
            raise StoreError("no contact history is open on this controller")
        return [_recorded_contact(record) for record in _recordings(controller, history, environ)]
    if parts[:1] == ["monitor"]:
        return _monitor_api(controller, environ, method, parts[1:])
    if parts[:1] == ["campaigns"]:
        return _campaign_api(controller, environ, method, parts[1:])
    if method == "POST" and parts == ["reload"]:
        return asdict(controller.reload())
    if method == "GET" and parts == ["route"]:
        return _route(controller, environ)
    raise BadRequest(f"no such operation: {method} /api/{'/'.join(parts)}")


def _monitor_api(controller: Controller, environ: WSGIEnvironment, method: str, parts: list[str]) -> object:
    engine = controller.engine
    if method == "GET" and not parts:
        return {"active": [_monitor_view(controller, session) for session in engine.monitors.values()],
                "log": [{**asdict(entry), "mode": entry.mode.value} for entry in engine.monitor_log]}
    if method == "POST" and not parts:
        body = _json_body(environ)
        targets = [str(body[key]) for key in ("agent", "call") if body.get(key)]
        if len(targets) != 1 or not body.get("supervisor"):
            raise BadRequest('give "supervisor" and one of "agent" or "call"')
        session = controller.monitor(str(body["supervisor"]), targets[0], _mode(body))
        return _monitor_view(controller, session)
    if method == "POST" and len(parts) == 2 and parts[1] == "mode":
        return _monitor_view(controller, controller.monitor_mode(parts[0], _mode(_json_body(environ))))
    if method == "DELETE" and len(parts) == 1:
        return _monitor_view(controller, controller.stop_monitor(parts[0]))
    raise BadRequest(f"no such operation: {method} /api/monitor/{'/'.join(parts)}")


# -- outbound campaigns --------------------------------------------------------------------------------------------

_RUN_COMMANDS = {command.value: command for command in RunCommand}
_PREVIEW_ACTIONS = {"preview": "show", "dial": "dial", "skip": "skip"}


def _campaign_api(controller: Controller, environ: WSGIEnvironment, method: str, parts: list[str]) -> object:
    """``GET /api/campaigns`` (every campaign's status), ``GET /api/campaigns/<name>``; ``POST
    /api/campaigns/<name>/load`` (import its leads file), ``…/start|pause|resume|stop``; ``POST
    /api/campaigns/<name>/dispositions {"phone": "+447700900001", "disposition": "sale"}``; ``POST
    /api/campaigns/<name>/preview|dial|skip {"agent": "1001"}``: show the agent a lead (reserving them), dial it,
    or skip it."""
    if method == "GET" and not parts:
        return [campaign_view(status) for status in controller.campaign_statuses()]
    if method == "GET" and len(parts) == 1:
        return campaign_view(controller.campaign_status(parts[0]))
    if method == "POST" and len(parts) == 2 and parts[1] == "load":
        return asdict(controller.campaign_load(parts[0]))
    if method == "POST" and len(parts) == 2 and parts[1] in _RUN_COMMANDS:
        run = controller.campaign_command(parts[0], _RUN_COMMANDS[parts[1]])
        return {"campaign": run.campaign, "state": run.state.value, "since": run.since}
    if method == "POST" and len(parts) == 2 and parts[1] == "dispositions":
        body = _json_body(environ)
        phone, disposition = _text(body, "phone"), _text(body, "disposition")
        if phone is None or disposition is None:
            raise BadRequest('give "phone" and "disposition"')
        return _lead_view(controller.campaign_dispose(parts[0], phone, disposition))
    if method == "POST" and len(parts) == 2 and parts[1] in _PREVIEW_ACTIONS:
        agent = _text(_json_body(environ), "agent")
        if agent is None:
            raise BadRequest('give "agent"')
        return _lead_view(controller.campaign_preview(parts[0], agent, _PREVIEW_ACTIONS[parts[1]]))
    raise BadRequest(f"no such operation: {method} /api/campaigns/{'/'.join(parts)}")


def campaign_view(status: CampaignStatus) -> dict[str, object]:
    """A campaign's status as JSON: run state, leads by state, lines, rates, and the abandon rate against its
    limit over the regulator's window."""
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
                                         context=str(body.get("context") or "default")))
    if action is not CallAction.TRANSFER:
        return asdict(controller.control(target, action))
    destinations = [key for key in ("to", "queue") if body.get(key)]
    if len(destinations) != 1:
        raise BadRequest('a transfer needs one of "to" (an extension or number) or "queue"')
    return asdict(controller.control(target, action, to=_text(body, "to"), queue=_text(body, "queue"),
                                     context=str(body.get("context") or "default")))


def _text(body: Mapping[str, Any], key: str) -> str | None:
    return str(body[key]) if body.get(key) else None


def _mode(body: Mapping[str, Any]) -> MonitorMode:
    try:
        return MonitorMode(body.get("mode", MonitorMode.LISTEN.value))
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


def _json_body(environ: WSGIEnvironment) -> Mapping[str, Any]:
    try:
        length = int(environ.get("CONTENT_LENGTH") or 0)
        body = json.loads(environ["wsgi.input"].read(length) or b"{}") if length else {}
    except (ValueError, KeyError) as exc:
        raise BadRequest(f"the body must be a JSON object: {exc}") from exc
    if not isinstance(body, dict):
        raise BadRequest("the body must be a JSON object")
    return body


class BadRequest(CcswitchError):
    error_id = "bad_request"


def serve_http(metrics: Metrics, host: str, port: int, controller: Controller | None = None,
               history: History | None = None) -> WSGIServer:
    """Start serving in the background; ``port`` 0 picks a free port (read it from ``server.server_port``).
    Stop with ``server.stop()``."""
    server = WSGIServer((host, port), make_app(metrics, controller, history), log=None, error_log=log)
    server.start()
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


def _reply(start_response: StartResponse, status: str, document: object) -> list[bytes]:
    body = json.dumps(document).encode()
    start_response(status, [("Content-Type", "application/json"), ("Content-Length", str(len(body)))])
    return [body]
