"""The after-call disposition of an inbound call: ``POST /api/agents/<agent>/disposition {"disposition", "call"}``.

An agent sets one of their call's queue's ``dispositions`` (queues.yaml) on their current call, or, once it has
ended (in wrap-up, or later), on their last one: the call is found in the engine while it lasts, then in the
contact history (by ``call``, or the agent's call that ended last), for up to ``DISPOSE_WITHIN_S``. It is written
to the history as a ``DispositionRecord`` beside the call's record (the latest one wins), through the engine's
record writer, as a campaign call's disposition is; ``ccswitch history`` and the caller's previous contacts on the
desk show it. A campaign's call takes the campaign's dispositions (``/api/campaigns/<name>/dispositions``).
"""

from __future__ import annotations

from dataclasses import dataclass

from ccswitch.auth.gate import Forbidden
from ccswitch.errors import InvalidTransition, StoreError, UnknownChoiceError
from ccswitch.history.model import DispositionRecord
from ccswitch.http.agents import known_agent
from ccswitch.http.errors import BadRequest
from ccswitch.http.request import ApiRequest, text

DISPOSE_WITHIN_S = 3600.0  # a call ended longer ago than this is no longer "the last call"


@dataclass(frozen=True, slots=True)
class _Disposable:
    call: str
    queue: str | None
    campaign: str | None


def dispose(api: ApiRequest) -> object:
    agent_id = api.params["agent"]
    known_agent(api.controller, agent_id)
    name = text(api.body, "disposition")
    if name is None:
        raise BadRequest('give "disposition" (and "call", or the agent\'s current or last call is meant)')
    call = _agents_call(api, agent_id, text(api.body, "call"))
    if call.campaign is not None:
        raise InvalidTransition(f"call {call.call} is campaign {call.campaign}'s: POST "
                                f"/api/campaigns/{call.campaign}/dispositions")
    queue = api.controller.config.queues.get(call.queue or "")
    if queue is None or not queue.dispositions:
        raise InvalidTransition(f"call {call.call} came through no queue with dispositions (queues.yaml)")
    if name not in queue.dispositions:
        raise UnknownChoiceError(f"disposition {name!r} is not one of queue {queue.name}'s: "
                                 f"{', '.join(queue.dispositions)}")
    api.controller.engine.record(DispositionRecord(call.call, name, api.now))
    return {"agent": agent_id, "call": call.call, "queue": queue.name, "disposition": name}


def _agents_call(api: ApiRequest, agent_id: str, call_uuid: str | None) -> _Disposable:
    """The agent's call: ``call_uuid`` (which must be theirs), else the one they are on, else the one they ended
    last within ``DISPOSE_WITHIN_S``."""
    engine = api.controller.engine
    agent = engine.agents[agent_id]
    live = engine.calls.get(call_uuid or agent.call or "")
    if live is not None and live.agent == agent_id:
        return _Disposable(live.uuid, live.entry.queue if live.entry else None, live.campaign)
    if live is not None and call_uuid:
        raise Forbidden(f"call {call_uuid} is not agent {agent_id}'s")
    if api.history is None:
        raise StoreError("no contact history is open on this controller: a disposition has nowhere to go")
    record = (api.history.contact(call_uuid) if call_uuid
              else api.history.last_contact_of(agent_id, api.now - DISPOSE_WITHIN_S))
    if record is None:
        raise InvalidTransition(f"agent {agent_id} has no call to dispose (none in the last "
                                f"{DISPOSE_WITHIN_S / 60:.0f} minutes, or not written yet)")
    if record.agent != agent_id:
        raise Forbidden(f"call {record.call_uuid} was not agent {agent_id}'s")
    return _Disposable(record.call_uuid, record.queue, record.campaign)
