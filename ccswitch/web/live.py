"""What the pages show, as JSON snapshots of the controller's state: an agent's own desk (their state, the current
call's card, their preview campaigns) and the wallboard (the queues and agents a supervisor is granted).

The stream (``ccswitch.http``) reads a snapshot a few times a second and sends it when it changed, so a page sees an
event within a second of it without the engine knowing about pages. Reads only: the controller greenlet is the
only writer, and gevent does not switch in the middle of a snapshot.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from datetime import UTC, datetime
from typing import TYPE_CHECKING

from ccswitch.acd.capacity import Channel
from ccswitch.calls import CallSession
from ccswitch.history.storage import History
from ccswitch.metrics import waiting_by_queue
from ccswitch.routing.explain import explain_route
from ccswitch.stats import QueueFigures

if TYPE_CHECKING:
    from ccswitch.controller import Controller

PREVIOUS_CONTACTS = 5


Contact = dict[str, str | float | None]  # one previous contact of a customer, as the card shows it
Previous = Callable[[CallSession], list[Contact]]
ChatsByPhone = Callable[[str], list[Contact]]  # a caller's number -> their contacts on the text channels


def desk(controller: Controller, agent_id: str, previous: Previous, now: float, chat: bool = False
         ) -> dict[str, object]:
    """An agent's desk: state and reason (and whether the dialler keeps them for its campaigns' people), the call
    they are on (or ringing), their preview campaigns, the documents they may pick to send a caller (None: sending
    documents is off); with ``chat`` (the web chat runs), what their chat panel needs."""
    engine, config = controller.engine, controller.config
    agent = engine.agents.get(agent_id)
    call = _agents_call(controller, agent_id)
    return {
        "kind": "desk", "agent": agent_id, "name": config.agents[agent_id].name if agent_id in config.agents else "",
        "state": agent.state.value if agent else None, "reason": agent.break_reason if agent else None,
        "kept": engine.is_kept_for_outbound(agent_id),  # available, but offered only a campaign's people for now
        "in_state_s": round(now - agent.since) if agent else 0, "calls_handled": agent.calls_handled if agent else 0,
        "reasons": list(config.pause_reasons), "timezone": config.timezone.key,
        "call": None if call is None else card(controller, call, previous, now),
        "preview_campaigns": sorted(name for name, campaign in config.campaigns.items()
                                    if campaign.mode == "preview" and agent_id in config.members(campaign.queue)),
        "chat": _chat_settings(controller, agent_id) if chat else None,
        "documents": sorted(config.documents.library) if config.documents.enabled else None,
    }


def _chat_settings(controller: Controller, agent_id: str) -> dict[str, object] | None:
    """What the desk's chat panel needs, when the agent takes chats: per queue of theirs, the dispositions and quick
    replies; every queue a chat may be transferred to. The conversations themselves come from the chat routes."""
    config = controller.config
    settings = config.agents.get(agent_id)
    if settings is None or Channel.CHAT not in settings.capacity.costs:
        return None
    return {"queues": {name: {"dispositions": list(config.queues[name].dispositions),
                              "quick_replies": list(config.queues[name].quick_replies)}
                       for name in settings.queues if name in config.queues},
            "transfer_queues": sorted(config.queues)}


def _agents_call(controller: Controller, agent_id: str) -> CallSession | None:
    agent = controller.engine.agents.get(agent_id)
    if agent is not None and agent.call is not None and agent.call in controller.engine.calls:
        return controller.engine.calls[agent.call]
    return next((call for call in controller.engine.calls.values() if agent_id in call.ringing), None)


def card(controller: Controller, call: CallSession, previous: Previous, now: float) -> dict[str, object]:
    """The current call's card: who calls, the DID and the dialplan rule that brought them, their IVR path, the
    queue, how long they waited, priority and VIP, what the agent's controls are, the caller's last contacts, and the
    dispositions the agent may set on it (its queue's)."""
    config = controller.config
    entry = call.entry
    queue = config.queues.get(entry.queue) if entry else None
    waited_from = entry.enqueued_at if entry else call.arrived_at
    controls = call.controls
    return {
        "uuid": call.uuid, "caller_number": call.caller_number, "caller_name": call.caller_name,
        "did": call.destination, "rule": _rule(controller, call), "ivr_path": list(call.ivr_path),
        "queue": entry.queue if entry else None, "priority": entry.priority if entry else 0,
        "vip": queue is not None and call.caller_number in queue.vip_numbers,
        "waited_s": round((call.connected_at or now) - waited_from), "connected": call.connected_at is not None,
        "talk_s": round(now - call.connected_at) if call.connected_at else 0,
        "held": bool(controls and controls.held), "muted": bool(controls and controls.muted),
        "consulting": call.consult.state.value if call.consult is not None else None,
        "recording": call.recording.state.value if call.recording else None,
        "previous": previous(call),
        "dispositions": list(queue.dispositions) if queue is not None and call.campaign is None else [],
    }


def _rule(controller: Controller, call: CallSession) -> str | None:
    if not call.destination:
        return None
    at = datetime.fromtimestamp(call.arrived_at, UTC)
    return explain_route(controller.config, call.destination, call.caller_number, at).route.rule


def previous_contacts(history: History | None, chats_by_phone: ChatsByPhone | None = None) -> Previous:
    """The caller's last contacts across channels: their calls from the history and, when the web chat runs, their
    chats by the same number; read once per call (a stream asks a few times a second)."""
    cache: dict[str, list[Contact]] = {}

    def previous(call: CallSession) -> list[Contact]:
        if call.uuid not in cache:
            cache.clear()
            cache[call.uuid] = _previous(history, chats_by_phone, call)
        return cache[call.uuid]

    return previous


def _previous(history: History | None, chats_by_phone: ChatsByPhone | None, call: CallSession) -> list[Contact]:
    if not call.caller_number:
        return []
    calls: list[Contact] = [] if history is None else [
        {"started_at": record.started_at, "channel": record.channel, "queue": record.queue, "agent": record.agent,
         "outcome": record.outcome, "disposition": record.disposition}
        for record in history.contacts_by_phone(call.caller_number, PREVIOUS_CONTACTS + 1)
        if record.call_uuid != call.uuid]
    chats = chats_by_phone(call.caller_number) if chats_by_phone is not None else []
    return sorted(calls + chats, key=lambda contact: float(contact["started_at"] or 0),
                  reverse=True)[:PREVIOUS_CONTACTS]


def wallboard(controller: Controller, may_see: Callable[[str], bool], now: float) -> dict[str, object]:
    """Per queue (those ``may_see`` allows) and channel its agents take: waiting, longest wait, service level
    (against the channel's threshold), ASA, abandon rate; the queue's agents by state; per agent of those queues:
    state and time in it, whether the dialler keeps them for its campaigns' people, current call, chats held,
    contacts handled; active monitoring."""
    engine, config = controller.engine, controller.config
    entries = engine.queued_entries()
    waiting = {channel: waiting_by_queue(entries, config.queues, now, channel) for channel in Channel}
    queues = []
    for name in config.queues:
        if not may_see(name):
            continue
        members = engine.members(name)
        by_state: dict[str, int] = {}
        for agent_id in members:
            agent = engine.agents.get(agent_id)
            if agent is not None:
                by_state[agent.state.value] = by_state.get(agent.state.value, 0) + 1
        queues.append({"name": name, "agents": by_state,
                       "channels": [_channel_row(controller, name, channel, waiting[channel][name])
                                    for channel in _channels_of(controller, members)]})
    seen = {queue["name"] for queue in queues}
    agents = []
    for agent_id, agent in sorted(engine.agents.items()):
        agent_queues = config.agents[agent_id].queues if agent_id in config.agents else ()
        if not seen.intersection(agent_queues):
            continue
        call = engine.calls.get(agent.call or "")
        agents.append({"id": agent_id, "name": config.agents[agent_id].name, "state": agent.state.value,
                       "reason": agent.break_reason, "kept": engine.is_kept_for_outbound(agent_id),
                       "in_state_s": round(now - agent.since),
                       "handled": agent.calls_handled, "call": agent.call, "texts": len(agent.texts),
                       "caller": call.caller_number if call else None,
                       "queue": call.entry.queue if call and call.entry else None})
    monitors = [{"id": session.supervisor_leg, "supervisor": session.supervisor, "call": session.call,
                 "agent": engine.calls[session.call].agent if session.call in engine.calls else None,
                 "mode": session.mode.value} for session in engine.monitors.values()]
    return {"kind": "wallboard", "queues": queues, "agents": agents, "monitors": monitors}


def _channels_of(controller: Controller, members: Iterable[str]) -> list[Channel]:
    """Voice, and each channel some member of the queue takes (their ``capacity:``), in ``Channel`` order."""
    agents = controller.config.agents
    taken = {channel for member in members if member in agents for channel in agents[member].capacity.costs}
    return [channel for channel in Channel if channel is Channel.VOICE or channel in taken]


def _channel_row(controller: Controller, queue: str, channel: Channel, waiting: tuple[int, float]
                 ) -> dict[str, object]:
    stats = controller.engine.stats
    count, longest = waiting
    counted = stats.channels.get(channel)  # read with get: a snapshot adds no empty figures to the stats
    figures = (counted.get(queue) if counted is not None else None) or QueueFigures()
    service_level, asa, abandon_rate = figures.service_level, figures.asa, figures.abandon_rate
    return {"channel": channel.value, "waiting": count, "longest_wait_s": round(longest),
            "answered": figures.answered, "abandoned": figures.abandoned,
            "service_level": None if service_level is None else round(100 * service_level, 1),
            "service_level_s": stats.service_level_threshold(queue, channel),
            "asa_s": None if asa is None else round(asa, 1),
            "abandon_rate": None if abandon_rate is None else round(100 * abandon_rate, 1)}
