"""The engine: the one place where channel events, pure decisions, shared state and effects meet.

It wires the domains (explicitly, here: no discovery) and hands each event to the domain that owns its channel
(``_owner_of``: "who owns this channel?", answered with a ``ChannelRole``). Each public entry point decides, then
hands the step's effects to ``emit`` in one batch per call when it returns. The engine never touches a socket: it
is driven by ``handle``/``tick``/``reconcile`` from the controller greenlet (``ccswitch.controller``). Time comes in
as ``now``.
"""

from __future__ import annotations

import enum
import functools
from collections import Counter, deque
from collections.abc import Callable, Iterable, Mapping
from typing import Concatenate, ParamSpec, TypeVar

from ccswitch import admission
from ccswitch.acd import agents as agent_fsm
from ccswitch.acd.agents import Agent, AgentState
from ccswitch.acd.queues import QueueEntry
from ccswitch.calls import CallAction, CallControl, DialOutPlan, MonitorLogEntry, Phase, ReloadSummary
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
from ccswitch.chat.messages import Sender
from ccswitch.config import Config
from ccswitch.engine.call_control import LiveCalls
from ccswitch.engine.core import Core, Emit, Record, log
from ccswitch.engine.dial_outs import DialOuts, PreviewEnded
from ccswitch.engine.direct_calls import DirectCalls
from ccswitch.engine.inbound import InboundPath
from ccswitch.engine.monitoring import Monitoring
from ccswitch.engine.offers import Offers
from ccswitch.engine.recovery import Recovery
from ccswitch.engine.texts import TextAction, TextArrival, TextNews, Texts, TextStatus
from ccswitch.errors import InvalidTransition, StoreError, UnknownChoiceError, UnknownNameError
from ccswitch.media import control as ctl
from ccswitch.media.monitor import MonitorMode, MonitorSession
from ccswitch.media.recording import RecordingSession
from ccswitch.occupancy import CallTable
from ccswitch.routing.steps import Step
from ccswitch.stats import Stats
from ccswitch.store.base import Store

AGENT_REFRESH_S = 1.0  # how often agents are re-read from the store, for changes other controllers made

_WITH_A_CALL = (AgentState.RESERVED, AgentState.ON_CALL)

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


class ChannelRole(enum.Enum):
    """What a channel is to the engine, which says which domain owns it."""

    CONSULT_LEG = "the party an agent consults"  # call control
    SUPERVISOR_LEG = "a supervisor's phone"  # monitoring
    AGENT_LEG = "an agent's phone in a call of ours"  # offers, call control, dial-outs
    CALLBACK = "a callback waiting for an agent"  # dial-outs
    CALLEE_LEG = "a customer a callback or preview dials"  # dial-outs
    CALLER = "a caller's channel"  # the inbound path (offers, call control once an agent has it)


class Engine:
    def __init__(self, config: Config, store: Store, emit: Emit, stats: Stats | None = None,
                 record: Record | None = None, owner: str = "") -> None:
        self.core = Core(config, store, emit, stats or Stats.for_config(config), record or (lambda _record: None),
                         owner)
        self.monitoring = Monitoring(self.core)
        self.live = LiveCalls(self.core)
        self.offers = Offers(self.core)
        self.dial_outs = DialOuts(self.core)
        self.inbound = InboundPath(self.core)
        self.direct = DirectCalls(self.core)
        self.texts = Texts(self.core)
        self.recovery = Recovery(self.core, self.offers, self.live, self.monitoring, self.direct, self._deliver)
        # The domains that call each other are handed their peers once all exist.
        self.live.inbound, self.live.offers = self.inbound, self.offers
        self.offers.dial_outs, self.offers.live, self.offers.texts = self.dial_outs, self.live, self.texts
        self.dial_outs.inbound, self.dial_outs.offers = self.inbound, self.offers
        self.inbound.dial_outs, self.inbound.live, self.inbound.offers = self.dial_outs, self.live, self.offers
        self.direct.offers = self.offers
        self._on_end: Mapping[ChannelRole, Callable[[HungUp, float], None]] = {
            ChannelRole.CONSULT_LEG: self.live.consult_leg_ended,
            ChannelRole.AGENT_LEG: self.live.agent_leg_ended,
            ChannelRole.CALLBACK: self.dial_outs.callback_channel_ended,
            ChannelRole.CALLEE_LEG: self.dial_outs.callee_leg_ended,
            ChannelRole.CALLER: self.inbound.caller_hung_up,
        }
        self._next_refresh = 0.0

    # ----------------------------------------------------------------- start-up, configuration
    def start(self, now: float, take_texts: bool = True) -> None:
        """Load agents from the store, and the calls a previous run left in queues; and, unless another controller
        may own them (``take_texts`` False: they are taken at ``take_over``), the text contacts this controller
        (by its id) left there."""
        self.core.load_agents(now)
        stored = self._stored_entries()  # read once: the calls' and the texts' entries are both there
        self.recovery.start(stored)
        if take_texts:
            self.texts.restore(stored, now, adoptable=lambda _owner: False)
        log.info("engine started with %d agents, %d queues, %d calls left in queues by a previous run",
                 len(self.agents), len(self.waiting), len(self.recovery.orphans))

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
        self.core.reconfigure(config)
        self.core.load_agents(now)  # new agents join as configured; known ones keep their state
        for entries in [*self.waiting.values(), *self.texts.waiting.values()]:
            for entry in entries.values():
                self.core.router.add_call(entry)
        summary = ReloadSummary.between(old, config)
        log.info("configuration reloaded: %s", summary)
        self.offers.dispatch(now)
        return summary

    def node_capacity(self, node: str, max_sessions: int | None, sessions_per_second: int | None) -> None:
        """What the switch reported of its limits at connect (configured values take precedence)."""
        self.core.node_capacity(node, max_sessions, sessions_per_second)

    # ----------------------------------------------------------------- the switch's events
    @_flushing
    def handle(self, node: str, event: ChannelEvent, now: float) -> None:
        self._deliver(node, event, now)

    def _owner_of(self, uuid: str) -> ChannelRole | None:
        """Who owns this channel (None: a channel the engine does not know)."""
        if uuid in self.live.consult_legs:
            return ChannelRole.CONSULT_LEG
        if uuid in self.monitoring.monitors:
            return ChannelRole.SUPERVISOR_LEG
        if uuid in self.core.agent_legs:
            return ChannelRole.AGENT_LEG
        session = self.core.calls.get(uuid)
        if session is None:
            return None
        if session.phase is Phase.CALLBACK:
            return ChannelRole.CALLBACK
        if session.phase is Phase.OFFERING and session.callee_leg == uuid:
            return ChannelRole.CALLEE_LEG
        return ChannelRole.CALLER

    def _deliver(self, node: str, event: ChannelEvent, now: float) -> None:
        """The event to the domain that owns its channel."""
        if isinstance(event, Parked):
            if self._owner_of(event.uuid) is ChannelRole.AGENT_LEG:
                self._agent_leg_parked(event.uuid, now)
            else:
                self.inbound.parked(node, event, now)
        elif isinstance(event, AppCompleted):
            if self._owner_of(event.uuid) is ChannelRole.AGENT_LEG:
                self._agent_leg_app_completed(event, now)
            else:
                self.inbound.app_completed(event, now)
        elif isinstance(event, Bridged):
            self.offers.on_bridged(event, now)
        elif isinstance(event, HangingUp):
            if self.inbound.abandons(event):
                self._on_hung_up(HungUp(event.uuid, event.cause), now)
        elif isinstance(event, HungUp):
            self._on_hung_up(event, now)
        elif isinstance(event, Dtmf):
            if self._owner_of(event.uuid) is ChannelRole.SUPERVISOR_LEG:
                self.monitoring.on_key(event, now)
            else:
                self.inbound.on_key(event, now)
        elif isinstance(event, PhoneChannel):
            if self._owner_of(event.uuid) not in (ChannelRole.AGENT_LEG, ChannelRole.SUPERVISOR_LEG):
                self.direct.on_phone_channel(node, event, now)
        elif isinstance(event, FeatureCode):
            self.live.on_feature(event, now)
        elif isinstance(event, JobFailed):
            owner = self._owner_of(event.job)
            if owner is ChannelRole.SUPERVISOR_LEG:  # the supervisor's phone never rang
                self.monitoring.job_failed(event, now)
            elif owner is ChannelRole.AGENT_LEG:  # a callback's or preview's agent did not answer
                self.dial_outs.agent_leg_failed(event, now)

    def _on_hung_up(self, event: HungUp, now: float) -> None:
        """A channel ended. Whatever it was, a direct call on it ends and supervisors listening to it are told
        first (the consulted party's leg is neither); then its owner acts."""
        owner = self._owner_of(event.uuid)
        if owner is not ChannelRole.CONSULT_LEG:
            self.direct.channel_ended(event, now)
            self.monitoring.channel_ended(event, now)
            owner = self._owner_of(event.uuid)  # (the end of a direct call may have offered calls meanwhile)
        handler = self._on_end.get(owner) if owner is not None else None
        if handler is not None:
            handler(event, now)

    def _agent_leg_parked(self, agent_leg: str, now: float) -> None:
        """An agent's phone parked: back from a consultation (bridged to the caller again), or it took a callback
        or a preview (the customer is dialled from it)."""
        call = self.core.calls.get(self.core.agent_legs[agent_leg])
        if call is not None and call.rejoin_agent is not None:
            self.live.rejoin_agent(call)
        else:
            self.dial_outs.dial_customer(agent_leg, now)

    def _agent_leg_app_completed(self, event: AppCompleted, now: float) -> None:
        """A bridge from an agent's phone failed: a callback's or preview's customer did not answer, or the party
        the agent consulted did not."""
        if event.application != "bridge" or event.bridge_failure is None:
            return
        call = self.core.calls.get(self.core.agent_legs[event.uuid])
        if call is not None and call.phase is Phase.OFFERING:
            self.dial_outs.dial_out_failed(call, event.bridge_failure, now)
        elif call is not None and call.consult is not None:
            self.live.consult_event(call, ctl.TransferEvent.TARGET_GONE, now)

    # ----------------------------------------------------------------- timers
    @_flushing
    def tick(self, now: float) -> None:
        """Run what is due: other controllers' agent changes, agents' wrap-up ends, calls waiting longer than
        their queue allows overflow, offers and transfers with no outcome in time, campaign calls not connected
        in time, callbacks to try again, customers' dials that waited for the node's budget, periodic
        announcements; then offers (those the node's budget deferred too)."""
        if now >= self._next_refresh:
            self._next_refresh = now + AGENT_REFRESH_S
            self.core.refresh_agents()
        for agent in list(self.agents.values()):
            due = agent_fsm.due(agent, now)
            if due is not None:
                self.core.agent_event(agent.id, due, now)
        self.inbound.overflow_overdue(now)
        self.offers.take_back_stuck(now)
        self.inbound.answer_ringing_callers(now)
        self.inbound.requeue_unparked(now)
        self.dial_outs.connect_deadlines_due(now)
        self.dial_outs.retries_due(now)
        self.dial_outs.dials_due(now)
        self.inbound.announcements_due(now)
        self.texts.due(now)
        self.offers.dispatch(now)

    # ----------------------------------------------------------------- recovery
    def channels_requested(self, node: str) -> None:
        self.recovery.channels_requested(node)

    @_flushing
    def take_over(self, nodes: Iterable[str], now: float, adoptable: Callable[[str], bool] = lambda _owner: False
                  ) -> None:
        """This controller runs ``nodes`` now: their calls are judged at their reconcile; the text contacts of this
        controller and of every controller ``adoptable`` says is gone (its lease lapsed) are this one's now."""
        stored = self._stored_entries()
        self.recovery.take_over(nodes, stored)
        self.texts.restore(stored, now, adoptable)
        self.offers.dispatch(now)

    def _stored_entries(self) -> list[QueueEntry]:
        return [entry for entries in self.store.all_entries().values() for entry in entries]

    def adopt_stored_agents(self, stored: Iterable[Agent]) -> None:
        self.recovery.adopt_stored_agents(stored)

    @_flushing
    def reconcile(self, node: str, live: Iterable[str], parked: Iterable[Parked], now: float,
                  phone_legs: Iterable[PhoneLeg] = ()) -> None:
        self.recovery.reconcile(node, live, parked, now, phone_legs)

    # ----------------------------------------------------------------- agents
    @_flushing
    def agent_action(self, agent_id: str, event: agent_fsm.AgentEvent, now: float) -> Agent:
        """An agent or supervisor asks for a state change (log in/out, break, ready). Raises UnknownNameError or
        InvalidTransition (e.g. logging out while on a call) so the caller can tell them why."""
        core = self.core
        if agent_id not in core.agents:
            raise UnknownNameError(f"unknown agent '{agent_id}' (known: {', '.join(sorted(core.agents))})")
        if isinstance(event, agent_fsm.TakeBreak):
            agent_fsm.check_break_reason(event.reason, core.config.pause_reasons)
        if isinstance(event, agent_fsm.Login) and event.queues is not None:
            member_of = core.config.agents[agent_id].queues
            for queue in event.queues:
                if queue not in member_of:
                    raise UnknownChoiceError(f"agent {agent_id} is not a member of queue '{queue}' "
                                             f"(member of: {', '.join(member_of)})")
        new = agent_fsm.apply(core.agents[agent_id], event, now)
        stored = core.store.update_agent(core.agents[agent_id], new)
        if stored is None:
            raise StoreError(f"agent {agent_id} was changed by another controller at the same moment; try again")
        core.stats.agent_changed(core.agents[agent_id], stored, now)
        core.record_state(core.agents[agent_id], stored, now)
        core.agents[agent_id] = stored
        core.router.update_agent(stored)
        log.info("agent %s: %s -> %s", agent_id, type(event).__name__, stored.state.value)
        self.texts.agent_changed(agent_id, now)
        self.offers.dispatch(now)
        return core.agents[agent_id]

    # ----------------------------------------------------------------- text contacts (ccswitch.engine.texts)
    def on_text_news(self, listener: Callable[[TextNews], None]) -> None:
        self.texts.on_news(listener)

    @_flushing
    def text_arrived(self, arrival: TextArrival, now: float) -> None:
        self.texts.arrive(arrival, now)
        self.offers.dispatch(now)

    @_flushing
    def text_action(self, agent_id: str, contact: str, action: TextAction, now: float) -> None:
        self.texts.act(agent_id, contact, action, now)
        self.offers.dispatch(now)

    def text_activity(self, contact: str, by: Sender, now: float) -> None:
        self.texts.activity(contact, by, now)

    @_flushing
    def text_gone(self, contact: str, now: float) -> None:
        self.texts.gone(contact, now)
        self.offers.dispatch(now)

    def text_status(self, contact: str, now: float) -> TextStatus:
        return self.texts.status(contact, now)

    def texts_of(self, agent_id: str, now: float) -> list[TextStatus]:
        return self.texts.of_agent(agent_id, now)

    # ----------------------------------------------------------------- campaigns, previews, callbacks
    @_flushing
    def take_outbound(self, node: str, uuid: str, number: str, name: str, queue: str, campaign: str,
                      connect_within_s: float, otherwise: Step, now: float) -> None:
        self.dial_outs.take_outbound(node, uuid, number, name, queue, campaign, connect_within_s, otherwise, now)

    @_flushing
    def take_outbound_step(self, node: str, uuid: str, number: str, name: str, campaign: str, step: Step,
                           now: float) -> None:
        self.dial_outs.take_outbound_step(node, uuid, number, name, campaign, step, now)

    @_flushing
    def preview(self, node: str, agent_id: str, call: str, plan: DialOutPlan, name: str, campaign: str,
                now: float) -> None:
        self.dial_outs.preview(node, agent_id, call, plan, name, campaign, now)

    @_flushing
    def dial_preview(self, call: str, now: float) -> None:
        self.dial_outs.dial_preview(call, now)

    @_flushing
    def end_preview(self, call: str, now: float) -> None:
        self.dial_outs.end_preview(call, now)

    def callbacks_pending(self) -> dict[str, int]:
        return self.dial_outs.callbacks_pending()

    # ----------------------------------------------------------------- call control, recording, monitoring
    @_flushing
    def control(self, target: str, action: CallAction, now: float, *, to: str | None = None,
                context: str = "default", queue: str | None = None) -> CallControl:
        return self.live.control(target, action, now, to=to, context=context, queue=queue)

    @_flushing
    def recording(self, call: str, pause: bool, now: float) -> RecordingSession:
        return self.live.recording(call, pause, now)

    @_flushing
    def monitor(self, supervisor_id: str, target: str, mode: MonitorMode, now: float) -> MonitorSession:
        return self.monitoring.monitor(supervisor_id, target, mode, now)

    @_flushing
    def monitor_mode(self, session_id: str, mode: MonitorMode, now: float) -> MonitorSession:
        return self.monitoring.monitor_mode(session_id, mode, now)

    @_flushing
    def stop_monitor(self, session_id: str, now: float) -> MonitorSession:
        return self.monitoring.stop_monitor(session_id, now)

    # ----------------------------------------------------------------- what the engine knows
    def members(self, queue: str) -> tuple[str, ...]:
        """The agents configured to serve ``queue`` (logged in or not)."""
        return self.core.members[queue]

    def node_load(self, node: str) -> admission.NodeLoad:
        """The channels and media ports this controller holds on ``node`` (no new ones counted)."""
        return self.calls.loads.load(node, 0)

    @_flushing
    def keep_for_outbound(self, agent_ids: frozenset[str], now: float) -> None:
        """Offer these free agents only the people campaigns reached (the dialler keeps them for what its lines may
        bring); the agents no longer kept are offered what waits now."""
        self.core.router.keep_for_outbound(agent_ids)
        self.offers.dispatch(now)

    def is_kept_for_outbound(self, agent_id: str) -> bool:
        """Whether the agent is available and kept now for the people campaigns' lines may bring: an inbound caller
        or a chat may wait meanwhile (supervisors see why on the wallboard, operators in the metrics)."""
        agent = self.core.agents.get(agent_id)
        return agent_id in self.core.router.kept and agent is not None and agent.state is AgentState.AVAILABLE

    @property
    def kept_for_outbound(self) -> frozenset[str]:
        """Every agent ``is_kept_for_outbound``."""
        return frozenset(filter(self.is_kept_for_outbound, self.core.router.kept))

    def take_channels(self, node: str, wanted: int, now: float) -> int:
        """How many of ``wanted`` new channels (the dialler's lines) may be created on ``node`` now, within its
        per-second budget; counted as created (``Core.take_channels``)."""
        return self.core.take_channels(node, wanted, now)

    def queued_entries(self) -> list[QueueEntry]:
        """Every contact in a queue now: a call waiting or ringing an agent (its entry stays until the bridge), a
        text contact waiting or offered (each entry names its channel)."""
        calls = [session.entry for session in self.calls.values()
                 if session.entry is not None and session.phase in (Phase.QUEUED, Phase.OFFERING)
                 and not session.caller_gone]
        return calls + [text.entry for text in self.texts.contacts.values()
                        if text.entry is not None and text.phase in (Phase.QUEUED, Phase.OFFERING)]

    def _flush(self) -> None:
        self.core.flush()

    # The state the controller, the dialler, the API, the pages and the tests read (``ccswitch.metrics.EngineView`` is
    # what metrics read), kept by the domain that owns it.
    @property
    def config(self) -> Config:
        return self.core.config

    @config.setter
    def config(self, config: Config) -> None:
        self.core.config = config

    @property
    def store(self) -> Store:
        return self.core.store

    @property
    def stats(self) -> Stats:
        return self.core.stats

    @property
    def emit(self) -> Emit:
        return self.core.emit

    @emit.setter
    def emit(self, emit: Emit) -> None:
        self.core.emit = emit

    @property
    def record(self) -> Record:
        return self.core.record

    @record.setter
    def record(self, record: Record) -> None:
        self.core.record = record

    @property
    def calls(self) -> CallTable:
        return self.core.calls

    @property
    def agents(self) -> dict[str, Agent]:
        return self.core.agents

    @property
    def waiting(self) -> dict[str, dict[str, QueueEntry]]:
        return self.core.waiting

    @property
    def joined(self) -> Counter[str]:
        return self.core.joined

    @property
    def direct_calls(self) -> dict[str, tuple[str, str]]:
        return self.direct.direct_calls

    @property
    def monitors(self) -> dict[str, MonitorSession]:
        return self.monitoring.monitors

    @property
    def monitor_log(self) -> deque[MonitorLogEntry]:
        return self.monitoring.monitor_log

    @property
    def _consult_legs(self) -> dict[str, str]:
        return self.live.consult_legs

    @property
    def _unreconciled(self) -> set[str]:
        return self.recovery.unreconciled

    @property
    def preview_ended(self) -> PreviewEnded:
        return self.dial_outs.preview_ended

    @preview_ended.setter
    def preview_ended(self, preview_ended: PreviewEnded) -> None:
        self.dial_outs.preview_ended = preview_ended

    @property
    def stuck_offers_repaired(self) -> int:
        return self.offers.stuck_offers_repaired

    @stuck_offers_repaired.setter
    def stuck_offers_repaired(self, count: int) -> None:
        self.offers.stuck_offers_repaired = count

    @property
    def offer_failures(self) -> Counter[tuple[str, str]]:
        return self.offers.offer_failures

    @property
    def capacities(self) -> dict[str, admission.Capacity]:
        return self.core.capacities

    @property
    def channel_deferrals(self) -> Counter[str]:
        return self.core.channel_deferrals

    @property
    def overload_overflows(self) -> Counter[tuple[str, admission.Limit]]:
        return self.inbound.overload_overflows

    @property
    def dropped_by_switch(self) -> Counter[tuple[str, str]]:
        return self.inbound.dropped_by_switch
