"""Calls and monitoring: an agent's call control and recording pause, the recordings list, supervisors' listen /
whisper / barge sessions, and how the running configuration would route a call."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import asdict
from datetime import UTC, date, datetime
from typing import TYPE_CHECKING, Any

from ccswitch.auth.gate import Forbidden
from ccswitch.auth.users import Role
from ccswitch.calls import CallAction
from ccswitch.errors import StoreError
from ccswitch.history.model import ContactRecord
from ccswitch.http.errors import BadRequest
from ccswitch.http.request import ApiRequest, text
from ccswitch.media.monitor import MonitorMode, MonitorSession
from ccswitch.media.recording import RecordingSession
from ccswitch.reports import day_bounds
from ccswitch.routing.explain import explain_route, explanation_document, parse_at

if TYPE_CHECKING:
    from ccswitch.controller import Controller

CALL_ACTIONS = {action.value: action for action in CallAction}
RECORDING_ACTIONS = {"pause": True, "resume": False}


def call_control(api: ApiRequest) -> object:
    """``<target>``: the call uuid or the agent id; a transfer goes ``to`` an extension or number, or to a ``queue``;
    a consult goes ``to`` one."""
    controller, target, body = api.controller, api.params["target"], api.body
    action = CALL_ACTIONS[api.params["action"]]
    if action is CallAction.CONSULT:
        return asdict(controller.control(target, action, to=text(body, "to"),
                                         context=text(body, "context") or "default"))
    if action is not CallAction.TRANSFER:
        return asdict(controller.control(target, action))
    destinations = [key for key in ("to", "queue") if text(body, key)]
    if len(destinations) != 1:
        raise BadRequest('a transfer needs one of "to" (an extension or number) or "queue"')
    return asdict(controller.control(target, action, to=text(body, "to"), queue=text(body, "queue"),
                                     context=text(body, "context") or "default"))


def recording(api: ApiRequest) -> object:
    session: RecordingSession = api.controller.recording(api.params["call"], RECORDING_ACTIONS[api.params["action"]])
    return {"call": session.call, "queue": session.queue, "agent": session.agent, "path": session.path,
            "state": session.state.value, "started_at": session.started_at}


def recordings(api: ApiRequest) -> object:
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


def _recorded_contact(record: ContactRecord) -> dict[str, object]:
    return {"call": record.call_uuid, "queue": record.queue, "agent": record.agent, "caller": record.caller_number,
            "started_at": record.recording_started_at, "duration_s": record.recording_s,
            "path": record.recording_path}


def monitors(api: ApiRequest) -> object:
    engine = api.controller.engine
    return {"active": [_monitor_view(api.controller, session) for session in engine.monitors.values()],
            "log": [{**asdict(entry), "mode": entry.mode.value} for entry in engine.monitor_log]}


def monitor_start(api: ApiRequest) -> object:
    """The supervisor is the logged-in person; only an API without users takes them from the body."""
    targets = [found for found in (text(api.body, "agent"), text(api.body, "call")) if found]
    supervisor = text(api.body, "supervisor")
    if api.user is not None:
        if supervisor not in (None, api.user.supervisor):
            raise Forbidden("you monitor as yourself: leave out \"supervisor\"")
        if api.user.supervisor is None:
            raise Forbidden(f"user {api.user.name} has no supervisor id to monitor as (ccswitch user add --supervisor)")
        supervisor = api.user.supervisor
    if len(targets) != 1 or supervisor is None:
        raise BadRequest('give "supervisor" and one of "agent" or "call"')
    return _monitor_view(api.controller, api.controller.monitor(supervisor, targets[0], _mode(api.body)))


def monitor_mode(api: ApiRequest) -> object:
    return _monitor_view(api.controller, api.controller.monitor_mode(_own_session(api), _mode(api.body)))


def monitor_stop(api: ApiRequest) -> object:
    return _monitor_view(api.controller, api.controller.stop_monitor(_own_session(api)))


def _own_session(api: ApiRequest) -> str:
    """A monitoring session the user may change: their own (an admin: anyone's)."""
    session_id = api.params["session"]
    session = api.controller.engine.monitors.get(session_id)
    user = api.user
    if user is not None and user.role is not Role.ADMIN and session is not None \
            and session.supervisor != user.supervisor:
        raise Forbidden("this is another supervisor's session")
    return session_id


def _mode(body: Mapping[str, Any]) -> MonitorMode:
    try:
        return MonitorMode(text(body, "mode") or MonitorMode.LISTEN.value)
    except ValueError as exc:
        raise BadRequest(f"mode must be one of: {', '.join(m.value for m in MonitorMode)}") from exc


def _monitor_view(controller: Controller, session: MonitorSession) -> dict[str, object]:
    call = controller.engine.calls.get(session.call)
    return {"id": session.supervisor_leg, "supervisor": session.supervisor, "agent": call.agent if call else None,
            "call": session.call, "mode": session.mode.value, "started_at": session.started_at,
            "ended_at": session.ended_at}


def route(api: ApiRequest) -> object:
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
