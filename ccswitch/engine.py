"""The engine: the one place where channel events, pure decisions, shared state and effects meet.

Read it top to bottom as the life of an inbound call:

1. ``Parked`` (a new inbound channel): the dialplan decides the first step.
2. ``ToIvr``: the IVR state machine asks for prompts and digits; ``AppCompleted`` events feed it until it names
   a step.
3. ``ToQueue``: the call is answered, enqueued (kept in the store) and hears music; ``_dispatch`` asks the queue
   core which waiting call goes to which free agent; the agent is reserved with a compare-and-set in the store and
   the caller's channel rings the agent and bridges in one command (``ConnectAgent``).
4. ``Bridged``: the agent answered; the wait is measured. A failed bridge (no answer, busy) comes back as an
   ``AppCompleted`` for ``bridge``: whose fault it is comes from its cause (``acd.offer_failures``): the agent's
   (no answer, busy, rejected) is charged as a miss; the network's or configuration's (no codec in common, not
   registered) is not, but the agent gets no offer for a back-off; either way the call returns to its place in the
   queue. A caller who hangs up while the phone rings has abandoned from their ``HangingUp`` on (trace k).
   If the queue's recording policy picks the call, the caller hears the announcement and the caller's channel
   is recorded from here on (never the IVR or queue time); ``recording`` masks and unmasks it on request.
5. ``HungUp``: abandoned while waiting, or ended after talking (agent → wrap-up → available on a later tick).
   FreeSWITCH stops a recording with the channel; its path, start and length go into the contact's history.

On a connected call the agent may hold, mute or blind-transfer (``control``): to an extension, the caller leaves
for the dialplan; to a queue, the caller is parked and, once parked, queued again with its priority and skills.
Either way the agent's part ends at the transfer (wrap-up follows), and FreeSWITCH hangs up their leg. The
agent's desk phone does hold, mute and hang-up too (``*1``/``*2``/``*3``, ``ccswitch.feature_codes``): the
``FeatureCode`` event takes the same path (``_on_feature``).

Beside a connected call, a supervisor may listen, whisper or barge (``monitor``): their phone is originated to
eavesdrop on the agent's leg; the session ends with either leg (or the supervisor's), and is logged.

What a call is (``CallSession``, its ``Phase``) and the history record it leaves live in ``ccswitch.calls``.

The engine never touches a socket: it is driven by ``handle``/``tick``/``reconcile`` from the controller greenlet
(``ccswitch.controller``) and hands effects to an ``emit`` callback. Time comes in as ``now``.
"""

from __future__ import annotations

import functools
import heapq
import logging
import uuid as uuidlib
from collections import Counter, deque
from collections.abc import Callable, Iterable, Sequence
from dataclasses import replace
from datetime import datetime
from typing import Concatenate, ParamSpec, TypeVar

from ccswitch import admission
from ccswitch.acd import agents as agent_fsm
from ccswitch.acd import offer_failures
from ccswitch.acd import waiting as wait
from ccswitch.acd.agents import Agent, AgentState, MissReason
from ccswitch.acd.queues import QueueEntry, caller_priority, overdue
from ccswitch.acd.router import Router
from ccswitch.calls import (
    CallAction,
    CallControl,
    CallSession,
    DialOutPlan,
    MonitorLogEntry,
    Phase,
    ReloadSummary,
    contact_record,
    outcome_of,
)
from ccswitch.channel_events import (
    AppCompleted,
    Bridged,
    ChannelEvent,
    Dtmf,
    FeatureCode,
    HangingUp,
    HungUp,
    JobFailed,
    Parked,
    PhoneChannel,
)
from ccswitch.channel_list import PhoneLeg
from ccswitch.config import Config
from ccswitch.effects import (
    AgentLeg,
    Answer,
    ConnectAgent,
    DialOut,
    Effect,
    Hangup,
    Originate,
    Play,
    RecordMessage,
    Requeue,
    StartMusic,
    StopMedia,
    TakeCall,
    Transfer,
)
from ccswitch.errors import (
    CcswitchError,
    InvalidTransition,
    StoreError,
    UnknownChoiceError,
    UnknownNameError,
    UnsafeValueError,
)
from ccswitch.history.model import AgentStateRecord, HistoryRecord, MonitoringRecord, OpenAgentState, Outcome
from ccswitch.media import control as ctl
from ccswitch.media import monitor as mon
from ccswitch.media import recording as rec
from ccswitch.media.monitor import MonitorMode, MonitorSession
from ccswitch.media.recording import RecordingEvent, RecordingSession, RecordingState
from ccswitch.occupancy import CallTable, NodeLoads, RecentSessions
from ccswitch.routing import ivr
from ccswitch.routing.dialplan import route
from ccswitch.routing.steps import (
    Step,
    ToAnnouncement,
    ToCallback,
    ToHangup,
    ToIvr,
    ToQueue,
    ToTransfer,
    ToVoicemail,
)
from ccswitch.stats import Stats
from ccswitch.store.base import Store

log = logging.getLogger(__name__)

Emit = Callable[[str, Sequence[Effect]], None]

_MAX_OVERFLOWS = 3
_MAX_ROUTINGS = 5  # a call parked here again after a transfer is routed again, this many times in all
OFFER_GRACE_S = 10.0  # beyond the ring timeout, before an offer with no outcome is taken back
AGENT_REFRESH_S = 1.0  # how often agents are re-read from the store, for changes other controllers made
MONITOR_LOG_SIZE = 1000  # monitoring events kept for the API (every one is also logged)
OUTBOUND_PRIORITY = 100  # a person a campaign reached waits for nobody
VOICEMAIL_TEMPLATE = "voicemail/%Y/%m/%d/{uuid}.wav"  # under the recordings folder

Record = Callable[[HistoryRecord], object]  # HistoryWriter.submit: never blocks
PreviewEnded = Callable[[str, str, float], None]  # (call, cause, now): a preview's customer was not reached


_P = ParamSpec("_P")
_R = TypeVar("_R")


def _flushing(step: Callable[Concatenate[Engine, _P], _R]) -> Callable[Concatenate[Engine, _P], _R]:
    """A public entry point of the engine: the effects it decides leave in one batch per call when it returns."""

    @functools.wraps(step)
    def run(engine: Engine, /, *args: _P.args, **kwargs: _P.kwargs) -> _R:
        try:
            return step(engine, *args, **kwargs)
        finally:
            engine._flush()

    return run


_TRANSFER_EVENTS = {CallAction.COMPLETE: ctl.TransferEvent.COMPLETE, CallAction.CANCEL: ctl.TransferEvent.CANCEL,
                    CallAction.CONFERENCE: ctl.TransferEvent.CONFERENCE}


_ALREADY = {CallAction.HOLD: "on hold", CallAction.UNHOLD: "off hold", CallAction.MUTE: "muted",
            CallAction.UNMUTE: "unmuted"}


_WITH_A_CALL = (AgentState.RESERVED, AgentState.ON_CALL)


def _agents_by_user(config: Config) -> dict[str, str]:
    """Directory user -> agent id, for agents rung as ``user/<ext>[@domain]`` (the phones whose direct calls are
    recognised)."""
    return {agent.contact.removeprefix("user/").partition("@")[0]: agent.id for agent in config.agents.values()
            if agent.contact.startswith("user/")}


class Engine:
    def __init__(self, config: Config, store: Store, emit: Emit, stats: Stats | None = None,
                 record: Record | None = None) -> None:
        self.config = config
        self.store = store
        self.emit = emit
        self.record: Record = record or (lambda _record: None)
        self.stats = stats or Stats.for_config(config)
        self.calls = CallTable(NodeLoads())
        self.agent_legs: dict[str, str] = {}  # agent leg uuid -> caller uuid
        self.agents: dict[str, Agent] = {}
        self.waiting: dict[str, dict[str, QueueEntry]] = {name: {} for name in config.queues}  # queue -> call -> entry
        self.router = Router.from_config(config)
        self._orphans: dict[str, QueueEntry] = {}
        self._unreconciled = {node.name for node in config.nodes}
        self._outbox: dict[tuple[str, str], list[Effect]] = {}
        self._next_refresh = 0.0
        self.stuck_offers_repaired = 0  # (node, call) -> effects decided in this step
        self.offer_failures: Counter[tuple[str, str]] = Counter()  # (fault, cause) -> failed offers
        self.monitors: dict[str, MonitorSession] = {}  # supervisor leg uuid -> active monitoring session
        self.monitor_log: deque[MonitorLogEntry] = deque(maxlen=MONITOR_LOG_SIZE)
        self._members = {queue: config.members(queue) for queue in config.queues}
        self._gone: dict[tuple[str, str], tuple[QueueEntry, float]] = {}  # (queue, caller) -> place, left at
        self._announcements: list[tuple[float, str]] = []  # (when, call): heap of periodic announcements due
        self._retries: list[tuple[float, str]] = []  # (when, call): heap of callbacks to try again
        self._connect_deadlines: list[tuple[float, str]] = []  # (when, call): outbound calls to connect by then
        self._consult_legs: dict[str, str] = {}  # an attended transfer's target leg -> call
        self._known_at_request: dict[str, set[str]] = {}  # node -> calls and legs known when its list was asked for
        self._agent_of_user = _agents_by_user(config)
        self.direct_calls: dict[str, tuple[str, str]] = {}  # channel uuid -> node, agent: calls outside the queues
        self.preview_ended: PreviewEnded = lambda _call, _cause, _now: None  # the dialler's, to settle the lead
        self.capacities = {node.name: node.capacity() for node in config.nodes}  # as the switch says at connect
        self.recent_sessions = RecentSessions()  # channels created per node in the last second
        self.overload_overflows: Counter[tuple[str, admission.Limit]] = Counter()  # (node, limit) -> callers
        self.dropped_by_switch: Counter[tuple[str, str]] = Counter()  # (node, hang-up cause) -> callers

    # ----------------------------------------------------------------- start-up
    def start(self, now: float) -> None:
        """Load agents from the store, and the calls a previous run left in queues."""
        self._load_agents(now)
        # Queue entries a previous run left in the store wait for a node to say whether their call still lives.
        self._orphans = {entry.call: entry for entries in self.store.all_entries().values() for entry in entries
                         if entry.queue in self.waiting}
        log.info("engine started with %d agents, %d queues, %d calls left in queues by a previous run",
                 len(self.agents), len(self.waiting), len(self._orphans))

    def _load_agents(self, now: float) -> None:
        """Every configured agent as known here, else as stored; agents the store has never seen start as the
        config says."""
        for agent_id, agent_config in self.config.agents.items():
            agent = self.agents.get(agent_id) or self.store.get_agent(agent_id)
            if agent is None:
                agent = agent_fsm.new_agent(agent_id, now)
                if agent_config.login == "available":
                    agent = agent_fsm.apply(agent, agent_fsm.Login(), now)
                agent = self.store.put_agent(agent)
            self.agents[agent_id] = agent
            self.router.update_agent(agent)
            self._record_open_state(agent)  # as found: a restart without a shared store begins anew

    @_flushing
    def reload(self, config: Config, now: float) -> ReloadSummary:
        """Take in edited queues, tiers, agents, dialplans and IVR menus without dropping a call or an agent's
        state: waiting calls keep their places, agents their states. Refused (InvalidTransition, nothing
        changed) if a queue with calls in it or an agent with a call would disappear. ESL nodes, the store and
        the HTTP address are read at start-up only."""
        busy_queues = sorted({s.entry.queue for s in self.calls.values() if s.entry is not None
                              and s.phase is not Phase.ENDED and s.entry.queue not in config.queues})
        busy_agents = sorted(agent.id for agent in self.agents.values()
                             if agent.id not in config.agents and agent.state in _WITH_A_CALL)
        busy_menus = sorted({s.ivr.menu for s in self.calls.values()
                             if s.ivr is not None and s.ivr.menu not in config.menus})
        if busy_queues or busy_agents or busy_menus:
            raise InvalidTransition("reload refused, nothing changed: " + "; ".join([
                *(f"queue {name} still has calls" for name in busy_queues),
                *(f"agent {name} is on a call" for name in busy_agents),
                *(f"IVR menu {name} has callers in it" for name in busy_menus)]))
        old = self.config
        self.config = config
        self.stats.reconfigure(config)
        self.waiting = {name: self.waiting.get(name, {}) for name in config.queues}
        self._members = {queue: config.members(queue) for queue in config.queues}
        self._agent_of_user = _agents_by_user(config)
        self.agents = {agent_id: agent for agent_id, agent in self.agents.items() if agent_id in config.agents}
        self.router = Router.from_config(config)
        self._load_agents(now)  # new agents join as configured; known ones keep their state
        for entries in self.waiting.values():
            for entry in entries.values():
                self.router.add_call(entry)
        summary = ReloadSummary.between(old, config)
        log.info("configuration reloaded: %s", summary)
        self._dispatch(now)
        return summary

    @_flushing
    def take_outbound(self, node: str, uuid: str, number: str, name: str, queue: str, campaign: str,
                      connect_within_s: float, otherwise: Step, now: float) -> None:
        """A person answered a campaign's call (``uuid``, parked): queue it for ``queue``'s agents ahead of
        everyone; not connected within ``connect_within_s`` (an agent ringing does not count), it leaves the
        queue for ``otherwise`` (the abandon message), counted as overflowed there and recorded as such."""
        if queue not in self.config.queues:
            raise UnknownNameError(f"unknown queue '{queue}' for campaign {campaign}")
        session = self._outbound_session(node, uuid, number, name, campaign, now)
        session.connect_by = (now + connect_within_s, otherwise)
        if campaign in self.config.campaigns:
            session.recording_policy = self.config.campaigns[campaign].recording
        heapq.heappush(self._connect_deadlines, (now + connect_within_s, uuid))
        self._go(session, ToQueue(queue, priority=OUTBOUND_PRIORITY), now)

    @_flushing
    def take_outbound_step(self, node: str, uuid: str, number: str, name: str, campaign: str, step: Step,
                           now: float) -> None:
        """A person a blast campaign reached (answered, parked) goes to ``step``, e.g. an IVR menu whose options
        lead to queues ("press 1 to talk to an operator"); recorded as the campaign's outbound contact."""
        self._go(self._outbound_session(node, uuid, number, name, campaign, now), step, now)

    @_flushing
    def preview(self, node: str, agent_id: str, call: str, plan: DialOutPlan, name: str, campaign: str,
                now: float) -> None:
        """Reserve ``agent_id`` for a lead of ``campaign`` they are shown: no queue call is offered to them until
        they dial it (``dial_preview``) or skip it (``end_preview``). ``call`` is the uuid of the leg the lead will
        be dialled on. UnknownNameError (agent, campaign), InvalidTransition (the agent is not free for it)."""
        config = self.config.campaigns.get(campaign)
        if config is None:
            raise UnknownNameError(f"unknown campaign '{campaign}'")
        agent = self.agents.get(agent_id)
        if agent is None:
            raise UnknownNameError(f"unknown agent '{agent_id}'")
        if not agent.serves(config.queue):
            raise InvalidTransition(f"agent {agent_id} is not logged in to queue {config.queue} of campaign "
                                    f"{campaign}")
        if not agent.can_take_calls(now):
            busy = " (on a direct call)" if agent.direct_calls else ""
            raise InvalidTransition(f"agent {agent_id} is {agent.state.value}{busy}: only an available agent "
                                    "previews a lead")
        if not self._agent_event(agent_id, agent_fsm.Offer(call), now):
            raise InvalidTransition(f"agent {agent_id} was changed by another controller; try again")
        entry = QueueEntry(call, config.queue, 0, now, 0, plan.number, name)  # (the priority of a transfer)
        self.calls[call] = CallSession(
            uuid=call, node=node, caller_number=plan.number, caller_name=name, destination=plan.number,
            arrived_at=now, phase=Phase.PREVIEW, answered=True, campaign=campaign, entry=entry, queued_at=now,
            ringing={agent_id: ""}, callee_leg=call, preview=plan, recording_policy=config.recording)
        log.info("call %s: agent %s previews %s of campaign %s", call, agent_id, plan.number, campaign)

    @_flushing
    def dial_preview(self, call: str, now: float) -> None:
        """The agent dials the lead they preview: their phone first (answering by itself where it can), then the
        lead from it, as for a callback."""
        session = self._previewing(call)
        (agent_id,) = session.ringing
        session.ringing = {agent_id: str(uuidlib.uuid4())}
        session.phase = Phase.OFFERING
        self._ring_agent_first(session, agent_id, session.caller_name or session.caller_number, now)

    @_flushing
    def end_preview(self, call: str, now: float) -> None:
        """The agent skips the lead they preview (nothing was dialled): they are free again."""
        session = self._previewing(call)
        self._withdraw_offer(session, now)
        session.phase = Phase.ENDED
        del self.calls[call]
        self._dispatch(now)

    def _previewing(self, call: str) -> CallSession:
        session = self.calls.get(call)
        if session is None or session.phase is not Phase.PREVIEW:
            raise InvalidTransition(f"call {call} is not a lead being previewed")
        return session

    def _preview_not_reached(self, session: CallSession, cause: str, now: float) -> None:
        """A preview's call ended before the customer answered (or the agent's own phone did not): the agent is
        free again, and the dialler settles the lead (it writes the line's record)."""
        log.info("call %s: preview of %s not reached (%s)", session.uuid, session.caller_number, cause)
        self._withdraw_offer(session, now, "NORMAL_CLEARING")
        session.phase = Phase.ENDED
        self.calls.pop(session.uuid, None)
        self.preview_ended(session.uuid, cause, now)
        self._dispatch(now)

    def _outbound_session(self, node: str, uuid: str, number: str, name: str, campaign: str,
                          now: float) -> CallSession:
        """A person a campaign reached, already answered: the call is theirs from now on (history: outbound)."""
        session = CallSession(uuid=uuid, node=node, caller_number=number, caller_name=name, destination=number,
                              arrived_at=now, answered=True, campaign=campaign)
        self.calls[uuid] = session
        return session

    def _connect_deadline(self, session: CallSession, now: float) -> None:
        """An outbound call not connected in time: withdraw any ringing offer (not the agents' fault) and send
        the person to the campaign's step (the abandon message)."""
        assert session.connect_by is not None
        self._withdraw_offer(session, now)
        self._overflow(session, session.connect_by[1], "no agent in time for an answered outbound call", now)

    # ----------------------------------------------------------------- events
    @_flushing
    def handle(self, node: str, event: ChannelEvent, now: float) -> None:
        if isinstance(event, Parked):
            self._on_parked(node, event, now)
        elif isinstance(event, AppCompleted):
            self._on_app_completed(event, now)
        elif isinstance(event, Bridged):
            self._on_bridged(event, now)
        elif isinstance(event, HangingUp):
            self._on_hanging_up(event, now)
        elif isinstance(event, HungUp):
            self._on_hung_up(event, now)
        elif isinstance(event, Dtmf):
            self._on_key(event, now)
        elif isinstance(event, PhoneChannel):
            self._on_phone_channel(node, event, now)
        elif isinstance(event, FeatureCode):
            self._on_feature(event, now)
        elif isinstance(event, JobFailed) and event.job in self.monitors:  # the supervisor's phone never rang
            self._monitor_ended(self.monitors[event.job], f"originate failed: {event.reason}", now)
        elif isinstance(event, JobFailed) and event.job in self.agent_legs:  # a callback's or preview's agent
            session = self.calls[self.agent_legs[event.job]]  # did not answer
            if session.preview is not None:
                self._preview_not_reached(session, f"agent's phone: {event.reason}", now)
            else:
                self._offer_failed(session, event.reason, now)

    def _on_parked(self, node: str, event: Parked, now: float) -> None:
        if event.uuid in self.agent_legs:
            owner = self.calls.get(self.agent_legs[event.uuid])
            if owner is not None and owner.rejoin_agent is not None:  # back from a consultation
                self._emit(owner, ctl.rejoin_agent(owner.rejoin_agent))
                owner.rejoin_agent = None
            else:
                self._dial_customer(event.uuid)
            return
        session = self.calls.get(event.uuid)
        if session is not None:
            if session.phase is Phase.QUEUED:
                # A failed bridge handed the call back: it waits again, with music.
                self._start_music(session)
            elif session.phase is Phase.REQUEUING:
                self._requeue(session, now)
            elif session.consult is not None and session.consult.state is ctl.TransferState.CONSULTING:
                self._start_music(session)  # the agent consults: the caller waits in park
            elif session.phase is Phase.ENDED and session.transferred_to is not None:
                self._route(session, event, now)  # transferred to a number FreeSWITCH routes back here
            return
        if not event.inbound:
            return
        session = CallSession(
            uuid=event.uuid,
            node=node,
            caller_number=event.caller_number,
            caller_name=event.caller_name,
            destination=event.destination,
            arrived_at=now,
        )
        self.calls[event.uuid] = session
        self.recent_sessions.created(node, now)
        self._route(session, event, now)

    def _route(self, session: CallSession, event: Parked, now: float) -> None:
        """Route a parked call by the number it reached, through the dialplan: a new arrival, or a call transferred
        away (by its agent, their phone's transfer button, a dialplan rule) to a number that parks it here again,
        which keeps its contact. Transfers that keep coming back end after ``_MAX_ROUTINGS``."""
        session.routings += 1
        # An application sent while the music plays would run inside it (the music going on afterwards), so a call
        # found in music is interrupted first.
        self._emit(session, [TakeCall(session.uuid), *([StopMedia(session.uuid)] if event.playing else [])])
        if session.routings > _MAX_ROUTINGS:
            log.warning("call %s: parked here again after %d routings: a transfer loop? hanging up", session.uuid,
                        _MAX_ROUTINGS)
            self._go(session, ToHangup("EXCHANGE_ROUTING_ERROR"), now)
            return
        decision = route(self.config.dialplan, event.destination, session.caller_number, self._local(now))
        session.recording_policy = decision.recording
        log.info("call %s from %s to %s: rule %s -> %s", session.uuid, session.caller_number, event.destination,
                 decision.rule or "(default)", decision.step)
        self._go(session, self._admitted(session, decision.step, now) if session.routings == 1 else decision.step,
                 now)

    def _admitted(self, session: CallSession, step: Step, now: float) -> Step:
        """``step`` for a new caller if their node can carry them, else the overload step (``ccswitch.admission``);
        one who goes at once (transferred, hung up) is not held."""
        if isinstance(step, ToTransfer | ToHangup):
            return step
        load = self.calls.loads.load(session.node, self.recent_sessions.count(session.node, now))
        rings = isinstance(step, ToQueue) and self._left_ringing(session, step.queue)
        decision = admission.decide(self.capacities[session.node], self.config.overload.reserve, load,
                                    needs_media=not rings)
        if isinstance(decision, admission.Admit):
            return step
        self.overload_overflows[(session.node, decision.limit)] += 1
        then = self.config.overload.then
        if not decision.media_left and not isinstance(then, ToTransfer | ToHangup):  # no port to answer with
            then = ToHangup(then.cause if isinstance(then, ToAnnouncement) else "NORMAL_CIRCUIT_CONGESTION")
        log.warning("call %s: node %s is near its %s limit (%d channels, %d media ports, %d new in the last second; "
                    "capacity %s): %s instead of %s", session.uuid, session.node, decision.limit.value, load.sessions,
                    load.media, load.recent_sessions, self.capacities[session.node], then, step)
        return then

    def _note_switch_drop(self, session: CallSession, event: HungUp) -> None:
        """A caller the switch itself hung up because it could not carry them (an answer with no RTP port left):
        logged and counted, never silent (``ccswitch.admission`` exists so that this stays at 0)."""
        if event.cause in admission.SWITCH_DROP_CAUSES and session.connected_at is None:
            self.dropped_by_switch[(session.node, event.cause)] += 1
            log.warning("call %s: dropped by node %s while %s: %s (%s)", session.uuid, session.node,
                        session.phase.value, event.cause, admission.SWITCH_DROP_CAUSES[event.cause])

    def node_capacity(self, node: str, max_sessions: int | None, sessions_per_second: int | None) -> None:
        """What the switch reported of its limits at connect (configured values take precedence)."""
        node_config = next(n for n in self.config.nodes if n.name == node)
        self.capacities[node] = node_config.capacity(max_sessions, sessions_per_second)
        log.info("FreeSWITCH node %s: capacity %s", node, self.capacities[node])

    def _on_app_completed(self, event: AppCompleted, now: float) -> None:
        if event.uuid in self.agent_legs and event.application == "bridge" and event.bridge_failure is not None:
            owner = self.calls.get(self.agent_legs[event.uuid])
            if owner is not None and owner.phase is Phase.OFFERING:  # a callback's or preview's customer did not
                self._dial_out_failed(owner, event.bridge_failure, now)  # answer
            elif owner is not None and owner.consult is not None:  # the consulted target did not answer
                self._consult_event(owner, ctl.TransferEvent.TARGET_GONE, now)
            return
        session = self.calls.get(event.uuid)
        if session is None:
            return
        if event.application == "bridge":
            if session.phase is Phase.OFFERING and event.bridge_failure is not None:
                self._offer_failed(session, event.bridge_failure, now)
            return
        if event.tag is None:
            return
        if session.phase is Phase.IVR and session.ivr is not None:
            if event.application == "play_and_get_digits":
                session.ivr_path.append(f"{session.ivr.menu}:{event.digits}")
                outcome = ivr.on_digits(self.config, session.ivr, event.tag, event.digits)
            else:
                outcome = ivr.on_played(self.config, session.ivr, event.tag)
            self._apply_ivr(session, outcome, now)
        elif session.phase is Phase.ANNOUNCING and event.tag == session.pending_tag:
            session.message_recorded = event.application == "record"  # (gone during the prompt: no message)
            self._emit(session, [Hangup(session.uuid, session.hangup_cause)])
            session.phase = Phase.ENDED
        elif session.phase is Phase.CALLBACK and event.tag == session.pending_tag:  # "we will call you back"
            self._emit(session, [Hangup(session.uuid)])

    def _on_bridged(self, event: Bridged, now: float) -> None:
        caller = self.agent_legs.get(event.uuid, event.uuid)
        session = self.calls.get(caller)
        if session is None or session.phase is not Phase.OFFERING:
            return
        winner = next((agent for agent, leg in session.ringing.items() if leg in (event.uuid, event.other_leg)),
                      None)
        if winner is None and list(session.ringing.values()) == [""]:  # taken back after a restart: leg unknown
            winner = next(iter(session.ringing))
        if winner is None:
            return
        others = dict(session.ringing)
        leg = others.pop(winner)
        session.agent, session.agent_leg, session.ringing = winner, leg or event.other_leg, others
        self._agent_event(winner, agent_fsm.Answered(session.uuid), now)
        for other in session.ringing:  # ring-all: the others lost the race, through no fault of theirs
            self._agent_event(other, agent_fsm.CallEnded(session.uuid, 0), now)
        session.ringing = {}
        assert session.entry is not None
        wait = now - session.queued_at
        session.phase = Phase.CONNECTED
        session.connected_at = now
        session.answered, session.answer_by = True, None  # (a caller left ringing: the bridge answered them)
        session.caller_gone = False  # a callback's caller is back, on the call's own leg
        if session.preview is not None:  # dialled by the agent: it never waited in a queue
            log.info("call %s: agent %s connected to %s (campaign %s)", session.uuid, session.agent,
                     session.caller_number, session.campaign)
        else:
            self.stats.answered(session.entry.queue, session.agent, wait)
            self.store.remove_entry(session.entry.queue, session.uuid)
            log.info("call %s connected to agent %s after %.1f s in queue %s",
                     session.uuid, session.agent, wait, session.entry.queue)
        self._start_recording(session, now)

    def _on_phone_channel(self, node: str, event: PhoneChannel, now: float) -> None:
        """An agent's phone is busy with a call that is not ours (they dial out, or someone dials them): routing
        skips them until that channel ends."""
        agent = self._agent_of_user.get(event.user)
        if agent is None or event.uuid in self.agent_legs or event.uuid in self.monitors \
                or event.uuid in self.direct_calls:  # (already found live by a reconcile)
            return
        self.direct_calls[event.uuid] = (node, agent)
        self._agent_event(agent, agent_fsm.DirectCallStarted(), now)
        log.info("agent %s: phone busy on a direct call (%s)", agent, event.uuid)

    def _on_hanging_up(self, event: HangingUp, now: float) -> None:
        """A waiting caller (in the queue, or while an agent's phone rings) has abandoned from their hang-up on: the
        switch sends the agent leg's hang-up and the bridge's completion (ORIGINATOR_CANCEL) before the caller's
        hang-up completes (trace k), and neither may charge the agent or offer the call again. Every other channel
        ends at its ``HungUp``."""
        session = self.calls.get(event.uuid)
        if session is not None and session.phase in (Phase.QUEUED, Phase.OFFERING) and session.uuid == event.uuid \
                and not session.caller_gone and session.callee_leg is None and session.preview is None:
            self._on_hung_up(HungUp(event.uuid, event.cause), now)

    def _on_hung_up(self, event: HungUp, now: float) -> None:
        if event.uuid in self._consult_legs:
            owner = self.calls.get(self._consult_legs.pop(event.uuid))
            if owner is not None and owner.consult is not None:
                if owner.consult.state is ctl.TransferState.COMPLETED:  # the caller's new partner hung up
                    owner.consult = None
                    self._emit(owner, [Hangup(owner.uuid)])
                else:
                    self._consult_event(owner, ctl.TransferEvent.TARGET_GONE, now)
            return
        if event.uuid in self.direct_calls:  # (an agent's phone may also call the service: then it is a call too)
            _node, agent = self.direct_calls.pop(event.uuid)
            if agent in self.agents:  # (not removed by a reload meanwhile)
                self._agent_event(agent, agent_fsm.DirectCallEnded(), now)
                self._dispatch(now)
        for monitor in [m for m in self.monitors.values() if event.uuid in (m.supervisor_leg, m.agent_leg, m.call)]:
            who = {monitor.supervisor_leg: "supervisor", monitor.agent_leg: "agent"}.get(event.uuid, "caller")
            self._monitor_ended(monitor, f"{who} hung up ({event.cause})", now)
        if event.uuid in self.agent_legs:
            # The agent's leg ended. While ringing, the caller's bridge completion (or the originate's -ERR, which
            # may come after this: trace n) reports why, and forgets the leg then; once talking, the call is over.
            session = self.calls.get(self.agent_legs[event.uuid])
            if session is not None and session.phase is Phase.OFFERING and event.uuid in session.ringing.values():
                return
            del self.agent_legs[event.uuid]
            if session is not None and session.phase is Phase.CONNECTED and session.agent_leg == event.uuid \
                    and event.transferred_to is not None:  # their phone's transfer button: the caller goes there
                log.info("call %s: agent %s transferred it from their phone to %s", session.uuid, session.agent,
                         event.transferred_to)
                session.outcome, session.transferred_to, session.controls = "transferred", event.transferred_to, None
            if session is not None and session.phase is Phase.CONNECTED and session.agent_leg == event.uuid:
                consulting = session.consult is not None and session.consult.state is ctl.TransferState.CONSULTING
                if session.consult is not None:
                    self._consult_event(session, ctl.TransferEvent.AGENT_GONE, now)
                self._call_ended(session, now)
                if consulting:  # the agent hung up mid-transfer: the parked caller queues again
                    assert session.entry is not None
                    session.requeue_to = session.entry.queue
                    session.agent = session.agent_leg = None
                    self._requeue(session, now)
            return
        pending = self.calls.get(event.uuid)
        if pending is not None and pending.phase is Phase.CALLBACK:
            if not pending.caller_gone:  # (else the leg of an attempt that failed, waiting for a retry)
                self._caller_left_for_callback(pending, now)
            return
        if pending is not None and pending.phase is Phase.OFFERING and pending.callee_leg == event.uuid:
            self._dial_out_failed(pending, event.cause, now)  # the customer's leg ended before answering
            return
        session = self.calls.pop(event.uuid, None)
        if session is None:
            return
        self._note_switch_drop(session, event)
        outcome = outcome_of(session)
        if session.phase in (Phase.QUEUED, Phase.OFFERING):
            assert session.entry is not None
            session.left_queue_at = now
            log.info("call %s abandoned in queue %s after %.1f s (%s)", session.uuid, session.entry.queue,
                     now - session.queued_at, event.cause)
            ringing, session.ringing = session.ringing, {}
            self._leave_queue(session)
            self.stats.abandoned(session.entry.queue, now - session.queued_at)
            if self.config.queues[session.entry.queue].rejoin_window_s and session.caller_number:
                self._gone[(session.entry.queue, session.caller_number)] = (session.entry, now)
            for agent_id in ringing:
                # Not the agent's fault: they keep their place in the longest-idle line.
                self._agent_event(agent_id, agent_fsm.CallEnded(session.uuid, 0), now)
            if ringing:
                self._dispatch(now)
        elif session.phase is Phase.CONNECTED:
            self._call_ended(session, now)
        if session.recording is not None and session.recording.state is not RecordingState.STOPPED:
            session.recording, _ = rec.apply(session.recording, RecordingEvent.HANGUP, now)
        self.record(contact_record(session, outcome, event.cause, now))

    # ----------------------------------------------------------------- waiting callers: keys, callbacks
    def _on_key(self, event: Dtmf, now: float) -> None:
        """A supervisor switched mode on their phone (followed), or a waiting caller pressed a key: the queue's
        exit key or callback key act; others are ignored."""
        monitor = self.monitors.get(event.uuid)
        if monitor is not None:
            self._supervisor_key(monitor, event.digit, now)
            return
        session = self.calls.get(event.uuid)
        if session is None or session.phase is not Phase.QUEUED or session.entry is None:
            return
        queue = self.config.queues[session.entry.queue]
        if queue.exit_key is not None and event.digit == queue.exit_key.key:
            self._overflow(session, queue.exit_key.step, f"the caller pressed {event.digit} to leave", now)
        elif queue.callback is not None and event.digit == queue.callback.key:
            if wait.can_call_back(session.caller_number):
                self._callback_requested(session, queue.callback, now)
            else:
                log.info("call %s: callback refused: %r is not a number we dial", session.uuid, session.caller_number)

    def _callback_requested(self, session: CallSession, policy: wait.CallbackPolicy, now: float) -> None:
        """The caller keeps their place and hangs up after the confirmation; the place waits for an agent once
        they have gone (``_caller_left_for_callback``). Kept in the store, so a restart keeps it too."""
        assert session.entry is not None
        self.waiting[session.entry.queue].pop(session.uuid, None)
        self.router.remove_call(session.uuid)
        session.entry = replace(session.entry, callback=session.caller_number)
        self.store.add_entry(session.entry)
        session.phase, session.music_on = Phase.CALLBACK, False
        session.pending_tag = session.next_tag("callback")
        self._emit(session, [StopMedia(session.uuid), Play(session.uuid, self.config.prompt_path(policy.confirm),
                                                             session.pending_tag)])
        log.info("call %s: %s asked to be called back (queue %s)", session.uuid, session.caller_number,
                 session.entry.queue)

    def _caller_left_for_callback(self, session: CallSession, now: float) -> None:
        assert session.entry is not None
        session.caller_gone = True
        self.router.add_call(session.entry)
        self._dispatch(now)

    def _dial_customer(self, agent_leg: str) -> None:
        """The agent took the callback or preview (their phone is parked): dial the customer from it."""
        session = self.calls.get(self.agent_legs[agent_leg])
        if session is None or session.phase is not Phase.OFFERING or session.entry is None:
            return
        plan = self._dial_plan(session)
        assert session.callee_leg is not None
        session.pending_tag = session.next_tag("dial")
        self._send(session.node, agent_leg, [DialOut(session.uuid, agent_leg, session.callee_leg, plan.gateway,
                                                     plan.number, plan.caller_id_number, plan.ring_timeout_s,
                                                     session.pending_tag)])
        log.info("call %s: agent leg %s answered; dialling %s", session.uuid, agent_leg, plan.number)

    def _dial_plan(self, session: CallSession) -> DialOutPlan:
        """How the agent's phone dials the customer: the preview's, or the queue's callback policy."""
        if session.preview is not None:
            return session.preview
        assert session.entry is not None
        policy = self.config.queues[session.entry.queue].callback
        assert policy is not None
        return DialOutPlan(session.entry.callback, policy.gateway, policy.caller_id_number, policy.ring_timeout_s)

    def _dial_out_failed(self, session: CallSession, cause: str, now: float) -> None:
        """The customer a callback or preview dialled from the agent's phone was not reached."""
        if session.preview is not None:
            self._preview_not_reached(session, cause, now)
        else:
            self._callback_not_reached(session, cause, now)

    def _callback_not_reached(self, session: CallSession, cause: str, now: float) -> None:
        """Nobody took the callback: the agent is released (not their fault) and the place waits for a retry,
        or, after the queue's attempts, the contact ends as abandoned."""
        assert session.entry is not None
        policy = self.config.queues[session.entry.queue].callback
        assert policy is not None
        self._withdraw_offer(session, now, "NORMAL_CLEARING")
        session.callee_leg = None
        session.entry = replace(session.entry, attempts=session.entry.attempts + 1)
        if session.entry.attempts >= policy.attempts:
            log.info("call %s: callback to %s not answered (%s) after %d attempts: giving up", session.uuid,
                     session.entry.callback, cause, session.entry.attempts)
            self.store.remove_entry(session.entry.queue, session.uuid)
            self.stats.abandoned(session.entry.queue, now - session.queued_at)
            session.left_queue_at = now
            self._end_contact(session, cause, now, "abandoned")
        else:
            log.info("call %s: callback to %s not answered (%s): again in %d s", session.uuid,
                     session.entry.callback, cause, policy.retry_s)
            self.store.add_entry(session.entry)
            session.phase = Phase.CALLBACK
            heapq.heappush(self._retries, (now + policy.retry_s, session.uuid))
        self._dispatch(now)

    def _end_contact(self, session: CallSession, cause: str, now: float, outcome: Outcome | None = None) -> None:
        """A callback is over (talked, or given up): its one history record is written now."""
        self.calls.pop(session.uuid, None)
        session.phase = Phase.ENDED
        self.record(contact_record(session, outcome or outcome_of(session), cause, now))

    def callbacks_pending(self) -> dict[str, int]:
        """Per queue: callbacks asked for and not yet connected (waiting for an agent, dialling, or a retry)."""
        pending = dict.fromkeys(self.config.queues, 0)
        for session in self.calls.values():
            if session.entry is not None and (session.phase is Phase.CALLBACK
                                              or (session.phase is Phase.OFFERING and session.caller_gone)):
                pending[session.entry.queue] = pending.get(session.entry.queue, 0) + 1
        return pending

    # ----------------------------------------------------------------- timers
    @_flushing
    def tick(self, now: float) -> None:
        """Run what is due: other controllers' agent changes, agents' wrap-up ends, calls waiting longer than
        their queue allows overflow."""
        if now >= self._next_refresh:
            self._next_refresh = now + AGENT_REFRESH_S
            self._refresh_agents()
        for agent in list(self.agents.values()):
            due = agent_fsm.due(agent, now)
            if due is not None:
                self._agent_event(agent.id, due, now)
        for queue_name, entries in self.waiting.items():
            queue = self.config.queues[queue_name]
            inbound = [entry for entry in entries.values() if self.calls[entry.call].connect_by is None]
            for entry in overdue(inbound, queue.max_wait_s, now):
                self._overflow(self.calls[entry.call], queue.overflow, "waited too long", now)
            if queue.when_no_agents is not None and inbound and not self._anyone_logged_in(queue_name):
                for entry in overdue(inbound, queue.no_agents_wait_s, now):
                    if entry.call in entries:  # (not overflowed a moment ago)
                        self._overflow(self.calls[entry.call], queue.when_no_agents, "no agent logged in", now)
        for session in [s for s in self.calls.values() if s.phase is Phase.OFFERING and now > s.offer_deadline]:
            self._offer_lost(session, now)
        for session in [s for s in self.calls.values() if s.phase is Phase.QUEUED and s.answer_by is not None
                        and now >= s.answer_by]:
            self._answer_ringing_caller(session)
        for session in [s for s in self.calls.values() if s.phase is Phase.REQUEUING and now > s.offer_deadline]:
            log.warning("call %s: no park event %.0f s after its transfer to queue %s: queuing it anyway",
                        session.uuid, OFFER_GRACE_S, session.requeue_to)
            self._requeue(session, now)
        while self._connect_deadlines and self._connect_deadlines[0][0] <= now:
            outbound = self.calls.get(heapq.heappop(self._connect_deadlines)[1])
            if outbound is not None and outbound.phase in (Phase.QUEUED, Phase.OFFERING):
                self._connect_deadline(outbound, now)
        while self._retries and self._retries[0][0] <= now:
            retry = self.calls.get(heapq.heappop(self._retries)[1])
            if retry is not None and retry.phase is Phase.CALLBACK and retry.entry is not None:
                self.router.add_call(retry.entry)
        while self._announcements and self._announcements[0][0] <= now:
            at, call = heapq.heappop(self._announcements)
            waiting = self.calls.get(call)
            if waiting is not None and waiting.next_announcement == at:
                self._announce(waiting, now)
        self._dispatch(now)

    def _overflow(self, session: CallSession, step: Step, why: str, now: float) -> None:
        """The call leaves its queue for ``step`` (counted as overflowed there), or becomes a callback at its place
        (not an overflow: the place is kept)."""
        assert session.entry is not None
        if (isinstance(step, ToCallback) and step.queue == session.entry.queue
                and wait.can_call_back(session.caller_number)):
            self._become_callback(session, step, now)
            return
        log.info("call %s in queue %s after %.0f s: %s: overflow to %s",
                 session.uuid, session.entry.queue, now - session.queued_at, why, step)
        self._leave_queue(session)
        session.left_queue_at = now
        self.stats.overflowed(session.entry.queue)
        self._emit(session, self._music_off(session))
        self._go(session, step, now)
        if not isinstance(step, ToQueue):  # queued again: that queue's outcome will count
            session.outcome = "overflowed"

    def _anyone_logged_in(self, queue: str) -> bool:
        return any(self.agents[agent_id].serves(queue) for agent_id in self._members[queue])

    def _refresh_agents(self) -> None:
        """Take in agent changes other controllers sharing the store made (their versions are newer)."""
        for stored in self.store.agents():
            mine = self.agents.get(stored.id)
            if mine is not None and stored.version > mine.version:
                self.agents[stored.id] = stored
                self.router.update_agent(stored)

    def adopt_stored_agents(self, stored: Iterable[Agent]) -> None:
        """Take the store's agent records as they are, whatever their versions: after a store outage, when what
        this controller changed meanwhile has been written through (``ccswitch.store.resilient``), the store is
        the truth, and the next compare-and-set must start from its versions."""
        for agent in stored:
            if agent.id in self.agents:
                self.agents[agent.id] = agent
                self.router.update_agent(agent)

    # ----------------------------------------------------------------- reconnect
    def channels_requested(self, node: str) -> None:
        """The controller is about to ask ``node`` for its channels: what is known now is what the list can
        judge. A call or leg that appears after this point (its events overtaking the list's reply) is never taken
        for lost by the ``reconcile`` that follows."""
        self._known_at_request[node] = {*self.calls, *self.agent_legs, *self.direct_calls, *self.monitors}

    def take_over(self, nodes: Iterable[str]) -> None:
        """This controller runs ``nodes`` now, which another controller sharing the store ran until its lease
        lapsed: its last agent writes are read, and the queue entries it left wait, as a previous run's, for each
        node's reconcile to say whether their call lives (waiting, ringing, talking calls are adopted then)."""
        self._refresh_agents()
        self._orphans.update({entry.call: entry for entries in self.store.all_entries().values() for entry in entries
                              if entry.queue in self.waiting and entry.call not in self.calls})
        self._unreconciled.update(nodes)

    @_flushing
    def reconcile(self, node: str, live: Iterable[str], parked: Iterable[Parked], now: float,
                  phone_legs: Iterable[PhoneLeg] = ()) -> None:
        """After (re)connecting to a node: forget calls that ended while we were away, take back calls a previous
        run left in the store (waiting, ringing an agent, or talking), take back from the agents' live phone legs
        what the store does not say (no shared store), and only then pick up parked callers."""
        alive, phone_legs = set(live), tuple(phone_legs)
        known = self._known_at_request.pop(node, None)

        def lost(uuid: str) -> bool:
            return uuid not in alive and (known is None or uuid in known)

        for leg in [leg for leg, caller in self.agent_legs.items()
                    if self.calls.get(caller) is not None and self.calls[caller].node == node and lost(leg)]:
            self._on_hung_up(HungUp(leg, "LOST_WHILE_DISCONNECTED"), now)
        for session in [s for s in self.calls.values() if s.node == node and lost(s.uuid) and s.channel_expected]:
            self._on_hung_up(HungUp(session.uuid, "LOST_WHILE_DISCONNECTED"), now)
        for leg in [leg for leg, (on, _agent) in self.direct_calls.items() if on == node and lost(leg)]:
            self._on_hung_up(HungUp(leg, "LOST_WHILE_DISCONNECTED"), now)
        for monitor in [m for m in self.monitors.values()
                        if self.calls[m.call].node == node and lost(m.supervisor_leg)]:
            self._on_hung_up(HungUp(monitor.supervisor_leg, "LOST_WHILE_DISCONNECTED"), now)
        legs_by_caller: dict[str, list[PhoneLeg]] = {}
        for phone_leg in phone_legs:
            if phone_leg.caller is not None:
                legs_by_caller.setdefault(phone_leg.caller.uuid, []).append(phone_leg)
        agents_by_call: dict[str, list[Agent]] = {}
        for agent in self.agents.values():
            if agent.call is not None:
                agents_by_call.setdefault(agent.call, []).append(agent)
        for uuid in alive.difference(self.calls):
            entry, agents = self._orphans.pop(uuid, None), agents_by_call.get(uuid, [])
            if entry is not None or agents:
                self._adopt(node, uuid, entry, agents, legs_by_caller.get(uuid, []), now)
        self._take_back_phone_legs(node, phone_legs, now)
        for event in parked:
            if event.uuid not in self.calls:
                self._on_parked(node, event, now)
        self._unreconciled.discard(node)
        if not self._unreconciled:
            self._release_dead_calls(now)
        self._dispatch(now)

    def _adopt(self, node: str, uuid: str, entry: QueueEntry | None, agents: Sequence[Agent],
               legs: Sequence[PhoneLeg], now: float) -> None:
        """Take back a call from the store: waiting → queued again; agents ringing → the offer waits for its
        outcome until its deadline (from when it was made), or is connected if a phone's leg is bridged to it
        already; an agent talking → re-attached (to their leg, when the node lists it)."""
        talking = next((agent for agent in agents if agent.state is AgentState.ON_CALL), None)
        if entry is None:
            # Talking when the previous run stopped: the entry left the queue at the bridge. Wrap-up follows the
            # agent's first queue.
            first = talking or agents[0]
            queue = self.config.agents[first.id].queues[0]
            entry = QueueEntry(uuid, queue, 0, first.since, self.store.next_seq())
        session = CallSession(uuid=uuid, node=node, caller_number=entry.caller_number, caller_name=entry.caller_name,
                              destination="", arrived_at=entry.enqueued_at, answered=True, entry=entry,
                              queued_at=entry.enqueued_at)
        self.calls[uuid] = session
        leg_of = {self._agent_of_user.get(leg.user): leg for leg in legs}
        ringing = [agent for agent in agents if agent.state is AgentState.RESERVED]
        if talking is not None:
            session.phase, session.agent, session.connected_at = Phase.CONNECTED, talking.id, talking.since
            if talking.id in leg_of:
                session.agent_leg = leg_of[talking.id].uuid
                self.agent_legs[session.agent_leg] = uuid
        elif ringing:
            session.phase = Phase.OFFERING
            session.ringing = {agent.id: leg_of[agent.id].uuid if agent.id in leg_of else "" for agent in ringing}
            self.agent_legs.update({leg: uuid for leg in session.ringing.values() if leg})
            offered_at = min(agent.since for agent in ringing)
            session.offer_deadline = offered_at + self.config.queues[entry.queue].ring_timeout_s + OFFER_GRACE_S
            bridged = next((leg_of[agent.id] for agent in ringing if agent.id in leg_of and leg_of[agent.id].bridged),
                           None)
            if bridged is not None:  # answered while we were away
                self._on_bridged(Bridged(bridged.uuid, uuid), now)
        else:
            session.music_on = True  # the previous run's music is still playing
            self._wait(session)
        log.info("call %s taken back from the store: %s in %s", uuid, session.phase.value, entry.queue)

    def _take_back_phone_legs(self, node: str, phone_legs: Iterable[PhoneLeg], now: float) -> None:
        """Agents' phone legs the engine does not know (no shared store told it): an available agent bridged to, or
        rung for, an inbound caller nobody handles is re-attached to that call (talking, or an offer waiting for its
        outcome); any other such leg keeps its agent busy, as a direct call, until it ends. Before anything is
        offered: a talking agent must never be offered a second call."""
        handled = {*self.agent_legs, *self.direct_calls, *self.monitors, *self._consult_legs}
        by_caller: dict[str, list[tuple[str, PhoneLeg]]] = {}
        for leg in phone_legs:
            agent_id = self._agent_of_user.get(leg.user)
            if agent_id is None or leg.uuid in handled:
                continue
            free = self.agents[agent_id].state is AgentState.AVAILABLE and not self.agents[agent_id].direct_calls
            if leg.caller is not None and leg.caller.uuid not in self.calls and free:
                by_caller.setdefault(leg.caller.uuid, []).append((agent_id, leg))
            else:
                self._on_phone_channel(node, PhoneChannel(leg.uuid, leg.user), now)
        for legs in by_caller.values():
            self._take_back_from_legs(node, legs, now)

    def _take_back_from_legs(self, node: str, legs: list[tuple[str, PhoneLeg]], now: float) -> None:
        """An inbound call found with available agents' phones in it: bridged to one of them (talking since that
        leg was created, the nearest the list tells), or ringing them (an offer with a deadline from now). Legs
        whose agent cannot be reserved, and a ring-all's losers, keep their agents busy as direct calls."""
        caller = legs[0][1].caller
        assert caller is not None
        bridged = [(agent_id, leg) for agent_id, leg in legs if leg.bridged][:1]
        ringing: dict[str, str] = {}
        for agent_id, leg in legs:
            if (agent_id, leg) in (bridged or legs) and self._agent_event(agent_id, agent_fsm.Offer(caller.uuid), now):
                ringing[agent_id] = leg.uuid
            else:
                self._on_phone_channel(node, PhoneChannel(leg.uuid, leg.user), now)
        if not ringing:  # another controller has the agents: leave the call to it
            return
        self.agent_legs.update(dict.fromkeys(ringing.values(), caller.uuid))
        queues = self.config.agents[next(iter(ringing))].queues
        queue = caller.queue if caller.queue in queues else queues[0]
        arrived = min(caller.since or now, now)
        entry = QueueEntry(caller.uuid, queue, 0, arrived, self.store.next_seq(), caller.number, caller.name)
        session = CallSession(uuid=caller.uuid, node=node, caller_number=caller.number, caller_name=caller.name,
                              destination=caller.destination, arrived_at=arrived, answered=True, entry=entry,
                              queued_at=arrived, phase=Phase.OFFERING, ringing=ringing,
                              offer_deadline=now + self.config.queues[queue].ring_timeout_s + OFFER_GRACE_S)
        self.calls[caller.uuid] = session
        if bridged:
            agent_id, leg = bridged[0]
            self._agent_event(agent_id, agent_fsm.Answered(caller.uuid), now)
            session.phase, session.agent, session.agent_leg = Phase.CONNECTED, agent_id, leg.uuid
            session.connected_at, session.ringing = min(leg.since or now, now), {}
        log.info("call %s taken back from agents' phone legs: %s with %s (queue %s)", caller.uuid,
                 session.phase.value, ", ".join(ringing), queue)

    def _adopt_callback(self, entry: QueueEntry) -> None:
        """A callback a previous run promised: it waits for an agent again, dialled through the first node."""
        session = CallSession(uuid=entry.call, node=self.config.nodes[0].name, caller_number=entry.caller_number,
                              caller_name=entry.caller_name, destination="", arrived_at=entry.enqueued_at,
                              answered=True, entry=entry, queued_at=entry.enqueued_at, caller_gone=True)
        self.calls[entry.call] = session
        self._wait(session)
        log.info("callback %s to %s taken back from the store (queue %s)", entry.call, entry.callback, entry.queue)

    def _release_dead_calls(self, now: float) -> None:
        """Every node has reported: queue entries and agents still naming calls no node has are stale."""
        for entry in self._orphans.values():
            if entry.callback:
                self._adopt_callback(entry)
                continue
            log.info("call %s ended while the controller was away: leaving queue %s", entry.call, entry.queue)
            self.store.remove_entry(entry.queue, entry.call)
        self._orphans.clear()
        known = [agent for _node, agent in self.direct_calls.values()]
        for agent in list(self.agents.values()):
            for _stale in range(agent.direct_calls - known.count(agent.id)):  # direct calls we can no longer see end
                self._agent_event(agent.id, agent_fsm.DirectCallEnded(), now)
            agent = self.agents[agent.id]
            if agent.call is not None and agent.call not in self.calls:
                log.warning("agent %s was %s on call %s that no longer exists: releasing",
                            agent.id, agent.state.value, agent.call)
                wrap_up = 0.0 if agent.state is AgentState.RESERVED else self._wrap_up(agent.id, None)
                self._agent_event(agent.id, agent_fsm.CallEnded(agent.call, wrap_up), now)

    # ----------------------------------------------------------------- steps
    def _go(self, session: CallSession, step: Step, now: float) -> None:
        if isinstance(step, ToIvr):
            self._answer(session)
            outcome = ivr.enter(self.config, step.menu, session.uuid, session.ivr_seq)
            session.phase = Phase.IVR
            self._apply_ivr(session, outcome, now)
        elif isinstance(step, ToQueue):
            self._enqueue(session, step, now)
        elif isinstance(step, ToAnnouncement):
            self._answer(session)
            session.phase = Phase.ANNOUNCING
            session.outcome = "announced"
            session.hangup_cause = step.cause
            session.pending_tag = session.next_tag("announce")
            self._emit(session, [Play(session.uuid, self.config.prompt_path(step.prompt), session.pending_tag)])
        elif isinstance(step, ToTransfer):
            session.phase = Phase.ENDED
            session.outcome, session.transferred_to = "transferred", step.destination
            self._emit(session, [Transfer(session.uuid, step.destination, step.context)])
        elif isinstance(step, ToHangup):
            session.phase = Phase.ENDED
            session.outcome = "hung_up"
            self._emit(session, [Hangup(session.uuid, step.cause)])
        elif isinstance(step, ToVoicemail):
            self._take_message(session, step, now)
        elif isinstance(step, ToCallback):
            self._become_callback(session, step, now)

    def _take_message(self, session: CallSession, step: ToVoicemail, now: float) -> None:
        """Prompt, then record the caller's message; the call hangs up when the recording ends."""
        self._answer(session)
        session.phase, session.outcome, session.hangup_cause = Phase.ANNOUNCING, "voicemail", "NORMAL_CLEARING"
        name = rec.recording_path(VOICEMAIL_TEMPLATE, now, self.config.timezone, queue="", agent="",
                                  caller=session.caller_number, uuid=session.uuid)
        session.message_path = f"{self.config.recordings.switch_dir}/{name}"
        session.pending_tag = session.next_tag("message")
        self._emit(session, [Play(session.uuid, self.config.prompt_path(step.prompt), session.next_tag("prompt")),
                             RecordMessage(session.uuid, session.message_path, step.max_s, session.pending_tag)])
        log.info("call %s: taking a message into %s", session.uuid, session.message_path)

    def _become_callback(self, session: CallSession, step: ToCallback, now: float) -> None:
        """The call becomes a callback of ``step.queue``: at its place if it waits there already, else as a new
        arrival. A caller without a number we can dial goes to ``step.otherwise``."""
        policy = self.config.queues[step.queue].callback
        assert policy is not None  # checked when the config was loaded
        if not wait.can_call_back(session.caller_number):
            self._go(session, step.otherwise, now)
            return
        self._answer(session)
        if session.entry is None or session.entry.queue != step.queue:
            session.entry = QueueEntry(session.uuid, step.queue, 0, now, self.store.next_seq(),
                                       session.caller_number, session.caller_name)
            session.queued_at = now
        self._callback_requested(session, policy, now)

    def _apply_ivr(self, session: CallSession, outcome: ivr.IvrOutcome, now: float) -> None:
        session.ivr = outcome.state
        session.ivr_seq = outcome.state.seq
        if outcome.effects:
            self._emit(session, outcome.effects)
        if outcome.step is not None:
            session.ivr = None
            self._go(session, outcome.step, now)

    def _answer(self, session: CallSession) -> None:
        if not session.answered:
            session.answered = True
            self._emit(session, [Answer(session.uuid)])

    # ----------------------------------------------------------------- queue
    def _enqueue(self, session: CallSession, step: ToQueue, now: float) -> None:
        queue = self.config.queues[step.queue]
        if self._left_ringing(session, step.queue):
            session.answer_by = now + queue.unanswered_wait_s
        else:
            self._answer(session)
        rejoined = self._rejoining(step.queue, session.caller_number, now)
        if rejoined is not None:
            log.info("call %s: %s called back within %d s: back at their place in %s", session.uuid,
                     session.caller_number, queue.rejoin_window_s, step.queue)
            self._join_queue(session, replace(rejoined, call=session.uuid, caller_name=session.caller_name), now)
            return
        entry = QueueEntry(
            call=session.uuid,
            queue=step.queue,
            priority=caller_priority(step.priority, session.caller_number, queue.vip_numbers, queue.vip_priority),
            enqueued_at=now,
            seq=self.store.next_seq(),
            caller_number=session.caller_number,
            caller_name=session.caller_name,
            skills=step.skills,
        )
        self._join_queue(session, entry, now)

    def _left_ringing(self, session: CallSession, queue: str) -> bool:
        """Whether a caller who joins ``queue`` now waits unanswered (a toll-free line: no media, no RTP port, no
        charge): they hear the carrier's ringback, the agent's answer answers them (the bridge does), and they are
        answered after the queue's ``unanswered_wait_s`` if no agent has taken them by then."""
        return not session.answered and session.connect_by is None and self.config.queues[queue].unanswered_wait_s > 0

    def _answer_ringing_caller(self, session: CallSession) -> None:
        """No agent took a caller left ringing in time: answer them before the carrier gives up; they wait on
        with music (and announcements) at their place."""
        log.info("call %s: no agent took it while it rang: answering it", session.uuid)
        session.answer_by = None
        self._answer(session)
        self._start_music(session)

    def _rejoining(self, queue: str, caller: str, now: float) -> QueueEntry | None:
        """The place a caller left in ``queue`` by hanging up within its rejoin window, if any (taken once)."""
        window = self.config.queues[queue].rejoin_window_s
        if not window or not caller:
            return None
        for key in [key for key, (_, left_at) in self._gone.items() if now - left_at > window]:
            del self._gone[key]
        place = self._gone.pop((queue, caller), None)
        return place[0] if place is not None else None

    def _requeue(self, session: CallSession, now: float) -> None:
        """A call its agent transferred to a queue is parked: it joins that queue as a new offer there (waiting
        from now), keeping its priority, skills, caller and contact history."""
        assert session.entry is not None and session.requeue_to is not None
        entry = replace(session.entry, queue=session.requeue_to, enqueued_at=now, seq=self.store.next_seq(),
                        attempts=0)
        session.requeue_to = None
        session.callee_leg = session.preview = None  # the next agent is rung from the caller's leg, as inbound
        self._join_queue(session, entry, now)

    def _join_queue(self, session: CallSession, entry: QueueEntry, now: float) -> None:
        """The call waits in ``entry``'s queue (a full queue or nobody logged in sends it to the queue's step; a
        campaign's call only ever leaves by its own connect deadline: the abandon message is the law there)."""
        queue = self.config.queues[entry.queue]
        inbound = session.connect_by is None  # (a blast's caller who chose a queue in its IVR waits as inbound)
        if inbound and queue.max_length is not None and len(self.waiting[entry.queue]) >= queue.max_length:
            self._queue_full(session, entry.queue, now)
            return
        if inbound and queue.when_no_agents is not None and not queue.no_agents_wait_s and not self._anyone_logged_in(
                entry.queue):
            log.info("call %s: nobody is logged in to queue %s: %s", session.uuid, entry.queue, queue.when_no_agents)
            self.stats.overflowed(entry.queue)
            session.outcome = "overflowed"
            self._go(session, queue.when_no_agents, now)
            return
        self.store.add_entry(entry)
        session.entry, session.queued_at = entry, now
        self._wait(session)
        log.info("call %s queued in %s (priority %d, %d waiting)",
                 session.uuid, entry.queue, entry.priority, len(self.waiting[entry.queue]))
        self._dispatch(now)
        if session.phase is Phase.QUEUED:  # no agent at once: music (a ringing agent's caller hears ringback)
            self._start_music(session)
        if inbound and queue.announcements is not None and session.phase in (Phase.QUEUED, Phase.OFFERING):
            self._schedule_announcement(session, now + queue.announcements.first_after_s)

    def _schedule_announcement(self, session: CallSession, at: float) -> None:
        session.next_announcement = at
        heapq.heappush(self._announcements, (at, session.uuid))

    def _announce(self, session: CallSession, now: float) -> None:
        """The periodic announcement, if the caller still waits with our music (not while an agent rings)."""
        if session.phase not in (Phase.QUEUED, Phase.OFFERING) or session.entry is None:
            session.next_announcement = None
            return
        queue = self.config.queues[session.entry.queue]
        assert queue.announcements is not None
        self._schedule_announcement(session, now + queue.announcements.every_s)
        if session.phase is not Phase.QUEUED or not session.music_on:
            return
        waiting = [*self.waiting[queue.name].values(),
                   *(s.entry for s in self.calls.values()
                     if s.phase is Phase.CALLBACK and s.caller_gone and s.entry and s.entry.queue == queue.name)]
        place = wait.position(session.entry, waiting, queue.aging_s, now)
        serving = sum(1 for agent_id in self._members[queue.name]
                      if self.agents[agent_id].serves(queue.name)
                      and self.agents[agent_id].state is not AgentState.ON_BREAK)
        aht = self.stats.queues[queue.name].aht or queue.default_aht_s
        offer = queue.callback.offer if queue.callback and wait.can_call_back(session.caller_number) else None
        self._emit(session, wait.announcement(
            session.uuid, queue.announcements, place, wait.expected_wait_s(place, serving, aht),
            offer, self._music(session), self.config.media.say_language,
            self.config.prompt_path, lambda: session.next_tag("wait")))

    def _queue_full(self, session: CallSession, queue_name: str, now: float) -> None:
        """A full queue gives the call straight to its overflow step (counted as offered and overflowed). Full
        queues overflowing into each other would loop: after ``_MAX_OVERFLOWS`` the call is refused."""
        session.overflows += 1
        self.stats.overflowed(queue_name)
        session.outcome = "overflowed"
        step = self.config.queues[queue_name].overflow
        if session.overflows > _MAX_OVERFLOWS:
            step = ToHangup("NORMAL_CIRCUIT_CONGESTION")
        log.info("call %s: queue %s is full: %s", session.uuid, queue_name, step)
        self._go(session, step, now)

    def _wait(self, session: CallSession) -> None:
        """The call waits in its queue (again) at its place; a callback waits without its caller."""
        assert session.entry is not None
        if session.caller_gone:
            session.phase = Phase.CALLBACK
        else:
            session.phase = Phase.QUEUED
            self.waiting[session.entry.queue][session.uuid] = session.entry
        self.router.add_call(session.entry)

    def _leave_queue(self, session: CallSession) -> None:
        """Take the call out of its queue for good (abandoned or overflowed)."""
        assert session.entry is not None
        self.waiting[session.entry.queue].pop(session.uuid, None)
        self.router.remove_call(session.uuid)
        self.store.remove_entry(session.entry.queue, session.uuid)
        session.phase = Phase.ENDED

    def _dispatch(self, now: float) -> None:
        """Offer waiting calls to free agents, as the router plans it (the strategy picks one agent, or several
        for ring-all / ring-progressively)."""
        for dispatch in self.router.next_offers(now):
            entry = dispatch.entry
            session = self.calls[entry.call]
            if session.caller_gone:
                entry = self._next_callback_leg(session)
            offer = agent_fsm.Offer(entry.call)
            candidates = dispatch.agents[:1] if session.caller_gone else dispatch.agents  # a callback: one agent
            for spare in dispatch.agents[len(candidates):]:
                self.router.update_agent(self.agents[spare])  # free again: the router had set them aside
            reserved = [agent for agent in candidates if self._agent_event(agent, offer, now)]
            if not reserved:  # another controller took them first
                self.router.add_call(entry)
                continue
            self.waiting[entry.queue].pop(entry.call, None)
            session.phase = Phase.OFFERING
            session.ringing = {agent: str(uuidlib.uuid4()) for agent in reserved}
            queue = self.config.queues[entry.queue]
            if session.caller_gone:
                self._call_back(session, reserved[0], now)
                continue
            ring_timeout = queue.ring_timeout_s
            session.offer_deadline = now + ring_timeout + dispatch.stagger_s * len(reserved) + OFFER_GRACE_S
            legs = tuple(AgentLeg(agent, self.config.agents[agent].contact, leg, index * dispatch.stagger_s)
                         for index, (agent, leg) in enumerate(session.ringing.items()))
            for leg in legs:
                self.agent_legs[leg.leg] = session.uuid
            self.recent_sessions.created(session.node, now, len(legs))
            log.info("call %s offered to agent(s) %s (queue %s)", session.uuid, ", ".join(reserved), entry.queue)
            self._emit(session, [*self._music_off(session), ConnectAgent(
                call=session.uuid,
                legs=legs,
                ring_timeout_s=ring_timeout,
                queue=entry.queue,
                caller_id_number=session.caller_number,
                caller_id_name=session.caller_name,
                ringback=self._music(session),
                agent_announcement=self.config.prompt_path(queue.agent_announce) if queue.agent_announce else None,
                auto_answer=session.connect_by is not None,
            )])

    def _next_callback_leg(self, session: CallSession) -> QueueEntry:
        """Each attempt of a callback dials the caller on a leg of its own, whose uuid names the call from now on:
        in the agent's offer and, once the caller answers, for recording, transfers and supervisors, as for any
        call (the history keeps the contact's first uuid). The new entry is stored before the old one goes."""
        old = session.entry
        assert old is not None
        leg = str(uuidlib.uuid4())
        del self.calls[session.uuid]
        session.contact_uuid = session.contact_uuid or session.uuid
        session.uuid = session.callee_leg = leg
        session.entry = replace(old, call=leg)
        self.calls[leg] = session
        self.store.add_entry(session.entry)
        self.store.remove_entry(old.queue, old.call)
        return session.entry

    def _call_back(self, session: CallSession, agent_id: str, now: float) -> None:
        assert session.entry is not None
        log.info("call %s: callback to %s offered to agent %s (queue %s)", session.uuid, session.entry.callback,
                 agent_id, session.entry.queue)
        self._ring_agent_first(session, agent_id, f"Callback {session.entry.queue}", now)

    def _ring_agent_first(self, session: CallSession, agent_id: str, caller_id_name: str, now: float) -> None:
        """Agent first (a callback, a preview): their phone rings, showing the customer's number, and parks when
        answered; the customer is dialled from there (``_dial_customer``). A preview's agent asked for the call:
        their phone may answer it by itself."""
        assert session.entry is not None
        queue = self.config.queues[session.entry.queue]
        plan = self._dial_plan(session)
        leg = session.ringing[agent_id]
        self.agent_legs[leg] = session.uuid
        session.offer_deadline = now + queue.ring_timeout_s + plan.ring_timeout_s + OFFER_GRACE_S
        # The agent's leg dials the customer, so it is the bridge's A-leg: FreeSWITCH reads continue_on_fail (back
        # to park when nobody answers) and hangup_after_bridge from it (mod_dptools.c audio_bridge_function).
        variables = (("origination_caller_id_number", plan.number),
                     ("origination_caller_id_name", caller_id_name),
                     ("originate_timeout", str(queue.ring_timeout_s)),
                     ("continue_on_fail", "true"), ("hangup_after_bridge", "true"))
        self._send(session.node, leg, [Originate(session.uuid, leg, self.config.agents[agent_id].contact, variables,
                                                 "park", "", feature_codes=True,
                                                 auto_answer=session.preview is not None)])

    def _offer_failed(self, session: CallSession, cause: str, now: float) -> None:
        """The offer failed; whose fault it is decides what the rung agents are charged (``acd.offer_failures``):
        the agent's is a miss; the caller's (still here: taken elsewhere while the phone rang) and the network's or
        configuration's are not, the latter with a back-off so a persisting fault is not retried in a tight loop.
        The call goes back to its place."""
        assert session.entry is not None
        failure = offer_failures.classify(cause)
        self.offer_failures[(failure.fault.value, failure.cause)] += 1
        agents = ", ".join(session.ringing)
        if failure.fault is offer_failures.Fault.AGENT:
            log.info("agent(s) %s did not take call %s (%s): back to its place in %s",
                     agents, session.uuid, cause, session.entry.queue)
        elif failure.fault is offer_failures.Fault.NETWORK:
            log.warning("call %s: could not reach agent(s) %s: %s (the network's or the configuration's fault, not "
                        "the agent's: no miss, no offers to them for a while); back to its place in %s",
                        session.uuid, agents, cause, session.entry.queue)
        for agent_id, leg in session.ringing.items():
            self._charge_failed_offer(agent_id, session, failure, now)
            self.agent_legs.pop(leg, None)
        session.ringing = {}
        session.entry = replace(session.entry, attempts=session.entry.attempts + 1)
        self.store.add_entry(session.entry)
        self._wait(session)
        self._dispatch(now)

    def _charge_failed_offer(self, agent_id: str, session: CallSession, failure: offer_failures.OfferFailure,
                             now: float) -> None:
        if failure.miss is not None:
            assert session.entry is not None
            delays = self.config.agents[agent_id]
            delay = {MissReason.BUSY: delays.busy_delay_s, MissReason.REJECTED: delays.reject_delay_s}.get(
                failure.miss, delays.no_answer_delay_s)
            max_no_answer = self.config.queues[session.entry.queue].max_no_answer
            self._agent_event(agent_id, agent_fsm.Missed(session.uuid, max_no_answer, failure.miss, delay), now)
            self.stats.missed(agent_id)
        elif failure.fault is offer_failures.Fault.NETWORK:
            backoff = offer_failures.backoff_s(self.agents[agent_id].unreachable_in_row + 1)
            self._agent_event(agent_id, agent_fsm.NotReached(session.uuid, backoff), now)
        else:
            self._agent_event(agent_id, agent_fsm.CallEnded(session.uuid, 0), now)

    def _offer_lost(self, session: CallSession, now: float) -> None:
        """An offer neither bridged nor failed in time (an event lost on the way, a switch that never answered):
        release the agents without a miss (not their fault), stop any leg still ringing, and queue the call again
        at its place. Counted in ``stuck_offers_repaired``."""
        assert session.entry is not None
        log.warning("call %s: no outcome for the offer to %s within %.0f s: taking it back",
                    session.uuid, ", ".join(session.ringing), now - session.offer_deadline + OFFER_GRACE_S)
        self.stuck_offers_repaired += 1
        if session.preview is not None:
            self._preview_not_reached(session, "LOST", now)
            return
        self._withdraw_offer(session, now)
        self._wait(session)
        if not session.caller_gone:
            # What the channel is doing is unknown: break whatever plays or is queued, then music again.
            self._emit(session, [StopMedia(session.uuid)])
            self._start_music(session)

    def _withdraw_offer(self, session: CallSession, now: float, cause: str = "ORIGINATOR_CANCEL") -> None:
        """Take the call back from the agents its offer rang: not their fault (no miss, they keep their place in
        line), and any leg still there is hung up with ``cause``."""
        for agent_id, leg in session.ringing.items():
            self._agent_event(agent_id, agent_fsm.CallEnded(session.uuid, 0), now)
            if leg:  # ("" after a restart: the leg is unknown)
                self.agent_legs.pop(leg, None)
                self._send(session.node, leg, [Hangup(leg, cause)])
        session.ringing = {}

    def _call_ended(self, session: CallSession, now: float) -> None:
        assert session.agent is not None and session.entry is not None and session.connected_at is not None
        self.stats.talked(session.agent, now - session.connected_at)
        wrap_up = self._wrap_up(session.agent, session.entry.queue)
        self.stats.handled(session.entry.queue, now - session.connected_at + wrap_up)
        self._agent_event(session.agent, agent_fsm.CallEnded(session.uuid, wrap_up), now)
        session.phase = Phase.ENDED
        session.talk_ended_at, session.wrap_up_s = now, wrap_up
        self._dispatch(now)

    # ----------------------------------------------------------------- agents
    def _agent_event(self, agent_id: str, event: agent_fsm.AgentEvent, now: float) -> bool:
        """Apply an agent transition and store it atomically; False if another controller changed the agent first."""
        old = self.agents[agent_id]
        try:
            new = agent_fsm.apply(old, event, now)
        except InvalidTransition:
            log.exception("agent %s: %s refused in state %s", agent_id, type(event).__name__, old.state.name)
            return False
        stored = self.store.update_agent(old, new)
        if stored is None:
            fresh = self.store.get_agent(agent_id)
            if fresh is not None:
                self.agents[agent_id] = fresh
                self.router.update_agent(fresh)
            return False
        self.stats.agent_changed(old, stored, now)
        self.agents[agent_id] = stored
        self.router.update_agent(stored)
        self._record_state(old, stored, now)
        return True

    @_flushing
    def agent_action(self, agent_id: str, event: agent_fsm.AgentEvent, now: float) -> Agent:
        """An agent or supervisor asks for a state change (log in/out, break, ready). Raises UnknownNameError or
        InvalidTransition (e.g. logging out while on a call) so the caller can tell them why."""
        if agent_id not in self.agents:
            raise UnknownNameError(f"unknown agent '{agent_id}' (known: {', '.join(sorted(self.agents))})")
        if isinstance(event, agent_fsm.TakeBreak):
            agent_fsm.check_break_reason(event.reason, self.config.pause_reasons)
        if isinstance(event, agent_fsm.Login) and event.queues is not None:
            member_of = self.config.agents[agent_id].queues
            for queue in event.queues:
                if queue not in member_of:
                    raise UnknownChoiceError(f"agent {agent_id} is not a member of queue '{queue}' "
                                           f"(member of: {', '.join(member_of)})")
        new = agent_fsm.apply(self.agents[agent_id], event, now)
        stored = self.store.update_agent(self.agents[agent_id], new)
        if stored is None:
            raise StoreError(f"agent {agent_id} was changed by another controller at the same moment; try again")
        self.stats.agent_changed(self.agents[agent_id], stored, now)
        self._record_state(self.agents[agent_id], stored, now)
        self.agents[agent_id] = stored
        self.router.update_agent(stored)
        log.info("agent %s: %s -> %s", agent_id, type(event).__name__, stored.state.value)
        self._dispatch(now)
        return stored

    # ----------------------------------------------------------------- recording
    def _start_recording(self, session: CallSession, now: float) -> None:
        """At the bridge, if the queue's policy picks this call: announce, then record the caller's channel."""
        assert session.entry is not None and session.agent is not None
        policy = session.recording_policy or self.config.queues[session.entry.queue].recording
        if session.recording is not None or not rec.should_record(policy, session.uuid):  # one per call
            return
        where = self.config.recordings
        path = rec.recording_path(where.path_template, now, self.config.timezone, queue=session.entry.queue,
                                  agent=session.agent, caller=session.caller_number, uuid=session.uuid)
        announcement = self.config.prompt_path(policy.announce) if policy.announce else None
        session.recording, effects = rec.start(session.uuid, session.entry.queue, session.agent,
                                               f"{where.switch_dir}/{path}", policy.stereo, now, announcement)
        self._emit(session, effects)
        log.info("call %s: recording to %s", session.uuid, session.recording.path)

    @_flushing
    def recording(self, call: str, pause: bool, now: float) -> RecordingSession:
        """Pause (mask: silence is written, so the file keeps its length) or resume a call's recording, e.g.
        while the caller gives card details. Raises UnknownNameError for an unknown call, InvalidTransition when
        the call is not being recorded or already in the state asked for."""
        session = self.calls.get(call)
        if session is None:
            raise UnknownNameError(f"unknown call '{call}'")
        if session.recording is None:
            raise InvalidTransition(f"call {call} is not being recorded")
        event = RecordingEvent.MASK if pause else RecordingEvent.UNMASK
        session.recording, effects = rec.apply(session.recording, event, now)
        self._emit(session, effects)
        log.info("call %s: recording %s", call, session.recording.state.value)
        return session.recording

    # ----------------------------------------------------------------- supervisors
    @_flushing
    def monitor(self, supervisor_id: str, target: str, mode: MonitorMode, now: float) -> MonitorSession:
        """A supervisor listens to, whispers to or barges into the connected call of ``target`` (an agent id or a
        call uuid). Every check comes before any effect: UnknownNameError (supervisor, agent or call),
        InvalidTransition (not a connected call, or the supervisor already monitors one), NotAuthorised (not one
        of the supervisor's queues)."""
        supervisor = self.config.supervisors.get(supervisor_id)
        if supervisor is None:
            raise UnknownNameError(f"unknown supervisor '{supervisor_id}' "
                                   f"(known: {', '.join(sorted(self.config.supervisors)) or 'none'})")
        call = self._connected_call(target)
        busy = next((m for m in self.monitors.values() if m.supervisor == supervisor_id), None)
        if busy is not None:
            raise InvalidTransition(f"supervisor {supervisor_id} already monitors call {busy.call} "
                                    f"(session {busy.supervisor_leg}): stop it first or change its mode")
        assert call.entry is not None and call.agent_leg is not None
        session, effects = mon.start(supervisor, call.entry.queue, call.uuid, call.agent_leg, str(uuidlib.uuid4()),
                                     mode, now)
        self.monitors[session.supervisor_leg] = session
        self._emit(call, effects)
        self._monitor_logged("start", session, now)
        return session

    def _connected_call(self, target: str) -> CallSession:
        """The connected call of agent ``target``, or the call ``target``; its agent's leg must be known."""
        if target in self.agents:
            uuid, what = self.agents[target].call, f"agent {target}"
            if uuid is None:
                raise InvalidTransition(f"agent {target} is not on a call ({self.agents[target].state.value})")
        else:
            uuid, what = target, f"call {target}"
        call = self.calls.get(uuid)
        if call is None:
            raise UnknownNameError(f"no agent or live call '{target}'")
        if call.phase is not Phase.CONNECTED:
            raise InvalidTransition(f"{what} is not connected to an agent ({call.phase.value})")
        if call.agent_leg is None:
            raise InvalidTransition(f"{what}: the agent's leg is unknown (taken back after a restart)")
        return call

    # ----------------------------------------------------------------- agent call control
    @_flushing
    def control(self, target: str, action: CallAction, now: float, *, to: str | None = None,
                context: str = "default", queue: str | None = None) -> CallControl:
        """The agent on the connected call of ``target`` (an agent id or a call uuid) holds, mutes or blind-transfers
        it (``to`` an extension in ``context``, or to ``queue``). Every check comes before any effect:
        UnknownNameError (call, agent or queue), InvalidTransition (not connected, or already in that state),
        UnsafeValueError (a destination FreeSWITCH must not be given)."""
        call = self._connected_call(target)
        assert call.agent is not None and call.agent_leg is not None
        agent, agent_leg = call.agent, call.agent_leg
        controls = call.controls or ctl.AgentLegControls(call.uuid, agent_leg)
        if action is CallAction.TRANSFER:
            effects = self._transfer(call, to, context, queue, now)
        elif action is CallAction.CONSULT:
            effects = self._consult(call, to, context)
        elif action in _TRANSFER_EVENTS:
            if call.consult is None:
                raise InvalidTransition(f"call {call.uuid}: no attended transfer in progress (consult first)")
            effects = self._consult_step(call, _TRANSFER_EVENTS[action], now)
        elif action is CallAction.HANGUP:  # the hang-up that follows ends the call as usual
            effects = [Hangup(call.uuid)]
        else:
            if action in (CallAction.HOLD, CallAction.UNHOLD):
                call.controls, effects = ctl.set_hold(controls, action is CallAction.HOLD, self._music(call))
            else:
                call.controls, effects = ctl.set_mute(controls, action is CallAction.MUTE)
            if not effects:
                raise InvalidTransition(f"call {call.uuid} is already {_ALREADY[action]}")
            controls = call.controls
        self._emit(call, [effect for effect in effects if not isinstance(effect, Requeue)])
        log.info("call %s: agent %s %s%s", call.uuid, agent, action.value,
                 f" to {call.transferred_to}" if action is CallAction.TRANSFER else "")
        return CallControl(call.uuid, agent, agent_leg, controls.held, controls.muted, call.transferred_to,
                           call.consult.state.value if call.consult else None)

    def _on_feature(self, event: FeatureCode, now: float) -> None:
        """The agent pressed a feature code on their desk phone (``ccswitch.feature_codes``): ``control`` on their own
        connected call, hold and mute toggling. Refusals are logged, never raised; keys pressed on any other channel
        (not the agent leg of a live call) are ignored."""
        call = self.calls.get(self.agent_legs.get(event.uuid, ""))
        if call is None or call.agent_leg != event.uuid:
            log.info("feature code %s from channel %s: not the agent leg of a live call, ignored", event.feature,
                     event.uuid)
            return
        held, muted = (call.controls.held, call.controls.muted) if call.controls else (False, False)
        action = {"hold": CallAction.UNHOLD if held else CallAction.HOLD,
                  "mute": CallAction.UNMUTE if muted else CallAction.MUTE,
                  "hangup": CallAction.HANGUP, "complete": CallAction.COMPLETE, "cancel": CallAction.CANCEL,
                  "conference": CallAction.CONFERENCE, "transfer": CallAction.TRANSFER,
                  "consult": CallAction.CONSULT}.get(event.feature)
        if action is None:
            log.warning("call %s: feature code %s has no action here", call.uuid, event.feature)
            return
        try:
            if action in (CallAction.TRANSFER, CallAction.CONSULT):  # to what they keyed (checked as any "to")
                self.control(call.uuid, action, now, to=event.destination or None)
            else:
                self.control(call.uuid, action, now)
        except CcswitchError as exc:
            log.info("call %s: agent %s pressed %s on their phone: refused: %s", call.uuid, call.agent,
                     action.value, exc)

    def _consult(self, call: CallSession, to: str | None, context: str) -> list[ctl.AnyEffect]:
        """The agent rings ``to`` (an extension or number routed by ``context`` in FreeSWITCH's dialplan) while the
        caller waits parked with music."""
        if to is None:
            raise UnsafeValueError("a consultation needs the extension or number to call ('to')")
        if call.consult is not None:
            raise InvalidTransition(f"call {call.uuid}: already {call.consult.state.value} with {call.consult_target}")
        assert call.agent_leg is not None and call.entry is not None
        endpoint = f"loopback/{to}/{context}"  # validated with the dial string: UnsafeValueError before anything
        target_leg = str(uuidlib.uuid4())
        ring_timeout = self.config.queues[call.entry.queue].ring_timeout_s
        call.consult, effects = ctl.consult(call.uuid, call.agent_leg, target_leg, endpoint, ring_timeout,
                                            caller_is_bleg=call.callee_leg is not None)
        call.consult_target = to
        self._consult_legs[target_leg] = call.uuid
        return effects

    def _consult_event(self, call: CallSession, event: ctl.TransferEvent, now: float) -> None:
        """The switch ended part of an attended transfer (the target or the agent hung up)."""
        self._emit(call, [e for e in self._consult_step(call, event, now) if not isinstance(e, Requeue)])

    def _consult_step(self, call: CallSession, event: ctl.TransferEvent, now: float) -> list[ctl.AnyEffect]:
        """Complete, cancel, conference, or the target or the agent gone: the pure table decides, the engine
        keeps the call's books (the agent leaving on completion; the caller's music)."""
        assert call.consult is not None
        before = call.consult.state
        call.consult, effects = ctl.apply(call.consult, event)
        state = call.consult.state
        if ctl.rejoins_agent(before, state):
            call.rejoin_agent = call.consult
        if state is not ctl.TransferState.CONSULTING:
            effects = [*self._music_off(call), *effects]  # back in a bridge: no more waiting music
        if state in (ctl.TransferState.CANCELLED, ctl.TransferState.ABANDONED):  # over; a completed one lives on
            self._consult_legs.pop(call.consult.target_leg, None)  # until the target hangs up
            call.consult = None
        if state is ctl.TransferState.COMPLETED:
            assert call.agent_leg is not None
            self.agent_legs.pop(call.agent_leg, None)
            self._call_ended(call, now)
            call.outcome, call.transferred_to, call.controls = "transferred", call.consult_target, None
        log.info("call %s: attended transfer %s -> %s", call.uuid, event.value, state.value)
        return effects

    def _transfer(self, call: CallSession, to: str | None, context: str, queue: str | None,
                  now: float) -> list[ctl.AnyEffect]:
        """A blind transfer: the agent's part of the call ends now (talk time, wrap-up); the hang-up of their leg
        that FreeSWITCH sends next finds nothing left to do."""
        if (to is None) == (queue is None):
            raise UnsafeValueError("a transfer goes to an extension or to a queue: give exactly one")
        if queue is not None:
            if queue not in self.config.queues:
                raise UnknownChoiceError(f"unknown queue '{queue}' (known: {', '.join(sorted(self.config.queues))})")
            effects = ctl.transfer_to_queue(call.uuid, queue)
            destination = f"queue:{queue}"
        else:
            assert to is not None
            effects = ctl.transfer_to_extension(call.uuid, to, context)  # raises UnsafeValueError
            destination = to
        assert call.agent_leg is not None
        self.agent_legs.pop(call.agent_leg, None)
        self._call_ended(call, now)
        call.transferred_to, call.controls = destination, None
        if queue is not None:
            call.phase, call.requeue_to = Phase.REQUEUING, queue
            call.offer_deadline = now + OFFER_GRACE_S  # by then FreeSWITCH has said it is parked, or we assume it
            call.agent = call.agent_leg = None
        else:
            call.outcome = "transferred"
        return effects

    @_flushing
    def monitor_mode(self, session_id: str, mode: MonitorMode, now: float) -> MonitorSession:
        """Switch an active session to ``mode`` (DTMF to the supervisor's eavesdrop); UnknownNameError if none."""
        session, effects = mon.switch_mode(self._active_monitor(session_id), mode, now)
        self.monitors[session_id] = session
        self._send(self.calls[session.call].node, session.call, effects)
        if effects:
            self._monitor_logged("mode", session, now)
        return session

    @_flushing
    def stop_monitor(self, session_id: str, now: float) -> MonitorSession:
        """End a session: the supervisor's leg is hung up; the caller and agent notice nothing."""
        session, effects = mon.stop(self._active_monitor(session_id), now)
        self._send(self.calls[session.call].node, session.call, effects)
        del self.monitors[session_id]
        self._monitor_logged("end", session, now, "stopped")
        return session

    def _active_monitor(self, session_id: str) -> MonitorSession:
        session = self.monitors.get(session_id)
        if session is None:
            raise UnknownNameError(f"no active monitoring session '{session_id}'")
        return session

    def _monitor_ended(self, session: MonitorSession, reason: str, now: float) -> None:
        del self.monitors[session.supervisor_leg]
        self._monitor_logged("end", mon.ended(session, now), now, reason)

    def _monitor_recorded(self, session: MonitorSession, reason: str, now: float) -> None:
        """Every monitoring session goes into the history when it ends, with each mode it was in."""
        call = self.calls.get(session.call)
        modes = ",".join(f"{mode.value}@{at:.3f}" for at, mode in session.log)
        self.record(MonitoringRecord(session.supervisor_leg, session.supervisor, call.agent if call else None,
                                     session.call, session.started_at, session.ended_at or now, modes, reason))

    def _supervisor_key(self, session: MonitorSession, digit: str, now: float) -> None:
        """The eavesdrop application changes mode on the supervisor's keys (1, 2, 3, 0) and ends on *: follow it.
        Our own mode changes come back here too, already applied, and change nothing."""
        followed = mon.on_digit(session, digit, now)
        if followed is session:
            return
        if not followed.active:
            self._monitor_ended(session, "the supervisor pressed *", now)
            return
        self.monitors[session.supervisor_leg] = followed
        self._monitor_logged("mode", followed, now, "from the supervisor's phone")

    def _monitor_logged(self, action: str, session: MonitorSession, now: float, detail: str = "") -> None:
        call = self.calls.get(session.call)
        entry = MonitorLogEntry(now, action, session.supervisor_leg, session.supervisor,
                                call.agent if call else None, session.call, session.mode, detail)
        self.monitor_log.append(entry)
        if action == "end":
            self._monitor_recorded(session, detail, now)
        log.info("monitoring %s: %s supervisor %s, agent %s, call %s, mode %s%s", entry.session, action,
                 entry.supervisor, entry.agent, entry.call, entry.mode.value, f" ({detail})" if detail else "")

    def members(self, queue: str) -> tuple[str, ...]:
        """The agents configured to serve ``queue`` (logged in or not)."""
        return self._members[queue]

    def queued_entries(self) -> list[QueueEntry]:
        """Every call in a queue now: waiting, or ringing an agent (its entry stays until the bridge)."""
        return [session.entry for session in self.calls.values()
                if session.entry is not None and session.phase in (Phase.QUEUED, Phase.OFFERING)
                and not session.caller_gone]

    # ----------------------------------------------------------------- history
    def _record_state(self, old: Agent, new: Agent, now: float) -> None:
        """The agent left ``old``'s state for ``new``'s: a transition starts a new interval (``since`` moves); a
        flag (a direct call starting or ending) changes no state, and its interval goes on."""
        if new.state is old.state and new.since == old.since:
            return
        self.record(AgentStateRecord(agent=old.id, state=old.state.value, started_at=old.since, ended_at=now,
                                     reason=old.break_reason))
        self._record_open_state(new)

    def _record_open_state(self, agent: Agent) -> None:
        """The state the agent is in now, so reports count it before it ends."""
        self.record(OpenAgentState(agent=agent.id, state=agent.state.value, started_at=agent.since,
                                   reason=agent.break_reason))

    # ----------------------------------------------------------------- helpers
    def _wrap_up(self, agent_id: str, queue: str | None) -> float:
        """The agent's own wrap-up if configured, else the queue's (the agent's first queue if unknown)."""
        agent_config = self.config.agents[agent_id]
        if agent_config.wrap_up_s is not None:
            return agent_config.wrap_up_s
        return self.config.queues[queue or agent_config.queues[0]].wrap_up_s

    def _emit(self, session: CallSession, effects: Sequence[Effect]) -> None:
        self._send(session.node, session.uuid, effects)

    def _send(self, node: str, channel: str, effects: Sequence[Effect]) -> None:
        self._outbox.setdefault((node, channel), []).extend(effects)

    def _flush(self) -> None:
        """Hand each call's effects of this step to ``emit`` as one batch (one executor job, commands back to back)."""
        outbox, self._outbox = self._outbox, {}
        for (node, _call), effects in outbox.items():
            self.emit(node, effects)

    def _start_music(self, session: CallSession) -> None:
        if not session.answered:  # left ringing: the caller hears the carrier's ringback, not our music
            return
        session.music_on = True
        self._emit(session, [StartMusic(session.uuid, self._music(session))])

    def _music_off(self, session: CallSession) -> list[Effect]:
        """Stop the waiting music before the call goes elsewhere. ``uuid_break all`` also drops a music message
        still queued on the channel, which would otherwise run before a transfer's first application and,
        endless, never let it start (switch_ivr_parse_event). Never sent to a merely parked channel: breaking
        park would end the call's dialplan."""
        if not session.music_on:
            return []
        session.music_on = False
        return [StopMedia(session.uuid)]

    def _music(self, session: CallSession) -> str:
        assert session.entry is not None
        return self.config.queues[session.entry.queue].music or self.config.music

    def _local(self, now: float) -> datetime:
        return datetime.fromtimestamp(now, tz=self.config.timezone)
