"""What every domain of the engine shares: the configuration, the store, the calls and agents as this controller
knows them, the queues' books, the switch nodes' capacities and the channels created on them lately (what pacing
reads: ``take_channels``), and the one outbox where decided effects wait for the end of the step.

Agents move only through ``agent_event`` (the agent state machine, a compare-and-set in the store, the router's and
the history's books); effects leave only through ``emit_to``/``send`` and ``flush``.
"""

from __future__ import annotations

import logging
from collections import Counter
from collections.abc import Callable, Sequence
from datetime import datetime

from ccswitch import admission
from ccswitch.acd import agents as agent_fsm
from ccswitch.acd.agents import Agent
from ccswitch.acd.queues import QueueEntry
from ccswitch.acd.router import Router
from ccswitch.calls import CallSession, Phase
from ccswitch.config import Config
from ccswitch.effects import Answer, Effect, StartMusic, StopMedia
from ccswitch.errors import InvalidTransition, UnknownNameError
from ccswitch.history.model import AgentStateRecord, HistoryRecord, OpenAgentState
from ccswitch.occupancy import CallTable, NodeLoads, RecentSessions
from ccswitch.stats import Stats
from ccswitch.store.base import Store

# One logger for the whole engine, whichever domain logs: operators filter and tests listen on "ccswitch.engine".
log = logging.getLogger("ccswitch.engine")

Emit = Callable[[str, Sequence[Effect]], None]
Record = Callable[[HistoryRecord], object]  # HistoryWriter.submit: never blocks

OFFER_GRACE_S = 10.0  # beyond the ring timeout, before an offer with no outcome is taken back


def agents_by_user(config: Config) -> dict[str, str]:
    """Directory user -> agent id, for agents rung as ``user/<ext>[@domain]`` (the phones whose direct calls are
    recognised)."""
    return {agent.contact.removeprefix("user/").partition("@")[0]: agent.id for agent in config.agents.values()
            if agent.contact.startswith("user/")}


class Core:
    def __init__(self, config: Config, store: Store, emit: Emit, stats: Stats, record: Record, owner: str = "") -> None:
        self.config = config
        self.owner = owner  # this controller's id among those sharing the store ("" alone)
        self.store = store
        self.emit = emit
        self.record = record
        self.stats = stats
        self.calls = CallTable(NodeLoads())  # channel uuid -> call; counts each node's load as calls change
        self.agent_legs: dict[str, str] = {}  # agent leg uuid -> caller uuid
        self.agents: dict[str, Agent] = {}
        self.waiting: dict[str, dict[str, QueueEntry]] = {name: {} for name in config.queues}  # queue -> call -> entry
        self.joined = Counter(dict.fromkeys(config.queues, 0))  # queue -> inbound calls that have joined it so far
        self.router = Router.from_config(config)
        self.members = {queue: config.members(queue) for queue in config.queues}
        self.agent_of_user = agents_by_user(config)
        self.recent_sessions = RecentSessions()  # channels created per node in the last second, callers' rate
        self.capacities = {node.name: node.capacity() for node in config.nodes}  # as the switch says at connect
        self.channel_deferrals: Counter[str] = Counter()  # node -> new channels put off for its per-second budget
        self._outbox: dict[tuple[str, str], list[Effect]] = {}  # (node, call) -> effects decided in this step

    def reconfigure(self, config: Config) -> None:
        """Take in a new configuration: waiting calls keep their places, known agents their states."""
        self.config = config
        self.stats.reconfigure(config)
        self.waiting = {name: self.waiting.get(name, {}) for name in config.queues}
        self.joined.update(dict.fromkeys(config.queues, 0))  # (adds 0: a count that only grows)
        self.members = {queue: config.members(queue) for queue in config.queues}
        self.agent_of_user = agents_by_user(config)
        self.agents = {agent_id: agent for agent_id, agent in self.agents.items() if agent_id in config.agents}
        self.router = Router.from_config(config)

    # ----------------------------------------------------------------- the switch nodes
    def node_capacity(self, node: str, max_sessions: int | None, sessions_per_second: int | None) -> None:
        """What the switch reported of its limits at connect (configured values take precedence)."""
        node_config = next(n for n in self.config.nodes if n.name == node)
        self.capacities[node] = node_config.capacity(max_sessions, sessions_per_second)
        log.info("FreeSWITCH node %s: capacity %s", node, self.capacities[node])

    def take_channels(self, node: str, wanted: int, now: float) -> int:
        """How many of ``wanted`` new channels the controller may create on ``node`` now, within the switch's
        per-second budget (``admission.channels_allowed``); those are counted as created. The caller defers the
        rest."""
        recent = self.recent_sessions
        granted = admission.channels_allowed(self.capacities[node], recent.count(node, now),
                                             recent.arrivals_per_second(node, now), wanted,
                                             self.config.overload.pacing_headroom)
        recent.created(node, now, granted)
        self.channel_deferrals[node] += wanted - granted
        return granted

    # ----------------------------------------------------------------- agents
    def load_agents(self, now: float) -> None:
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
            self.record_open_state(agent)  # as found: a restart without a shared store begins anew

    def refresh_agents(self) -> None:
        """Take in agent changes other controllers sharing the store made (their versions are newer)."""
        for stored in self.store.agents():
            mine = self.agents.get(stored.id)
            if mine is not None and stored.version > mine.version:
                self.agents[stored.id] = stored
                self.router.update_agent(stored)

    def agent_event(self, agent_id: str, event: agent_fsm.AgentEvent, now: float) -> bool:
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
        self.record_state(old, stored, now)
        return True

    def reserve_for_call(self, agent_id: str, call: str, now: float) -> bool:
        """Reserve the agent for a call (their phone rings): refused, as ``agent_event``, by another controller's
        change first or by what the agent's capacity leaves beside the texts they hold."""
        return self.agent_event(agent_id, agent_fsm.Offer(call, self.config.agents[agent_id].capacity), now)

    def record_state(self, old: Agent, new: Agent, now: float) -> None:
        """The agent left ``old``'s state for ``new``'s: a transition starts a new interval (``since`` moves); a
        flag (a direct call starting or ending) changes no state, and its interval goes on."""
        if new.state is old.state and new.since == old.since:
            return
        self.record(AgentStateRecord(agent=old.id, state=old.state.value, started_at=old.since, ended_at=now,
                                     reason=old.break_reason))
        self.record_open_state(new)

    def record_open_state(self, agent: Agent) -> None:
        """The state the agent is in now, so reports count it before it ends."""
        self.record(OpenAgentState(agent=agent.id, state=agent.state.value, started_at=agent.since,
                                   reason=agent.break_reason))

    def wrap_up(self, agent_id: str, queue: str | None) -> float:
        """The agent's own wrap-up if configured, else the queue's (the agent's first queue if unknown)."""
        agent_config = self.config.agents[agent_id]
        if agent_config.wrap_up_s is not None:
            return agent_config.wrap_up_s
        return self.config.queues[queue or agent_config.queues[0]].wrap_up_s

    def anyone_logged_in(self, queue: str) -> bool:
        return any(self.agents[agent_id].serves(queue) for agent_id in self.members[queue])

    # ----------------------------------------------------------------- the queues' books
    def wait(self, session: CallSession) -> None:
        """The call waits in its queue (again) at its place; a callback waits without its caller."""
        assert session.entry is not None
        if session.caller_gone:
            session.move_to(Phase.CALLBACK)
        else:
            session.move_to(Phase.QUEUED)
            self.waiting[session.entry.queue][session.uuid] = session.entry
        self.router.add_call(session.entry)

    def leave_queue(self, session: CallSession) -> None:
        """Take the call out of its queue for good (abandoned or overflowed)."""
        assert session.entry is not None
        self.waiting[session.entry.queue].pop(session.uuid, None)
        self.router.remove_call(session.uuid)
        self.store.remove_entry(session.entry.queue, session.uuid)
        session.move_to(Phase.ENDED)

    def connected_call(self, target: str) -> CallSession:
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

    # ----------------------------------------------------------------- effects
    def emit_to(self, session: CallSession, effects: Sequence[Effect]) -> None:
        self.send(session.node, session.uuid, effects)

    def send(self, node: str, channel: str, effects: Sequence[Effect]) -> None:
        self._outbox.setdefault((node, channel), []).extend(effects)

    def flush(self) -> None:
        """Hand each call's effects of this step to ``emit`` as one batch (one executor job, commands back to back)."""
        outbox, self._outbox = self._outbox, {}
        for (node, _call), effects in outbox.items():
            self.emit(node, effects)

    def answer(self, session: CallSession) -> None:
        if not session.answered:
            session.answered = True
            self.emit_to(session, [Answer(session.uuid)])

    def start_music(self, session: CallSession) -> None:
        if not session.answered:  # left ringing: the caller hears the carrier's ringback, not our music
            return
        session.music_on = True
        self.emit_to(session, [StartMusic(session.uuid, self.music(session))])

    def music_off(self, session: CallSession) -> list[Effect]:
        """Stop the waiting music before the call goes elsewhere. ``uuid_break all`` also drops a music message
        still queued on the channel, which would otherwise run before a transfer's first application and,
        endless, never let it start (switch_ivr_parse_event). Never sent to a merely parked channel: breaking
        park would end the call's dialplan."""
        if not session.music_on:
            return []
        session.music_on = False
        return [StopMedia(session.uuid)]

    def music(self, session: CallSession) -> str:
        assert session.entry is not None
        return self.config.queues[session.entry.queue].music or self.config.music

    def local(self, now: float) -> datetime:
        return datetime.fromtimestamp(now, tz=self.config.timezone)
