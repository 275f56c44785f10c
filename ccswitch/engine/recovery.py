"""Recovery: what this controller takes back after a restart, a reconnect or another controller's lapsed lease.
A node's channel list (``reconcile``) says which calls live: calls and legs that ended while we were away are
ended now; queue entries a previous run left in the store (the orphans) are adopted as waiting, ringing or talking
calls; agents' live phone legs the store does not explain are re-attached or kept busy as direct calls; once every
node has reported, what no node has is released. Owns the orphans and which nodes are still to report."""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence

from ccswitch.acd import agents as agent_fsm
from ccswitch.acd.agents import Agent, AgentState
from ccswitch.acd.capacity import Channel
from ccswitch.acd.queues import QueueEntry
from ccswitch.calls import CallSession, Phase
from ccswitch.channel_events import Bridged, ChannelEvent, HungUp, Parked, PhoneChannel
from ccswitch.channel_list import PhoneLeg
from ccswitch.engine.call_control import LiveCalls
from ccswitch.engine.core import OFFER_GRACE_S, Core, log
from ccswitch.engine.direct_calls import DirectCalls
from ccswitch.engine.monitoring import Monitoring
from ccswitch.engine.offers import Offers

RouteEvent = Callable[[str, ChannelEvent, float], None]  # the engine's: an event to the domain that owns its channel


class Recovery:
    def __init__(self, core: Core, offers: Offers, live: LiveCalls, monitoring: Monitoring,
                 direct_calls: DirectCalls, route_event: RouteEvent) -> None:
        self.core = core
        self.offers = offers
        self.live = live
        self.monitoring = monitoring
        self.direct_calls = direct_calls
        self.route_event = route_event
        self.orphans: dict[str, QueueEntry] = {}
        self.unreconciled = {node.name for node in core.config.nodes}
        self._known_at_request: dict[str, set[str]] = {}  # node -> calls and legs known when its list was asked for

    def start(self, stored: Iterable[QueueEntry]) -> None:
        """Calls' entries a previous run left in the store (``stored``: every entry there) wait for a node to say
        whether their call still lives."""
        self.orphans = {entry.call: entry for entry in stored
                        if entry.queue in self.core.waiting and entry.channel is Channel.VOICE}

    def adopt_stored_agents(self, stored: Iterable[Agent]) -> None:
        """Take the store's agent records as they are, whatever their versions: after a store outage, when what
        this controller changed meanwhile has been written through (``ccswitch.store.resilient``), the store is
        the truth, and the next compare-and-set must start from its versions."""
        for agent in stored:
            if agent.id in self.core.agents:
                self.core.agents[agent.id] = agent
                self.core.router.update_agent(agent)

    def channels_requested(self, node: str) -> None:
        """The controller is about to ask ``node`` for its channels: what is known now is what the list can
        judge. A call or leg that appears after this point (its events overtaking the list's reply) is never taken
        for lost by the ``reconcile`` that follows."""
        self._known_at_request[node] = {*self.core.calls, *self.core.agent_legs, *self.direct_calls.direct_calls,
                                        *self.monitoring.monitors}

    def take_over(self, nodes: Iterable[str], stored: Iterable[QueueEntry]) -> None:
        """This controller runs ``nodes`` now, which another controller sharing the store ran until its lease
        lapsed: its last agent writes are read, and the queue entries it left wait, as a previous run's, for each
        node's reconcile to say whether their call lives (waiting, ringing, talking calls are adopted then)."""
        self.core.refresh_agents()
        self.orphans.update({entry.call: entry for entry in stored if entry.queue in self.core.waiting
                             and entry.channel is Channel.VOICE and entry.call not in self.core.calls})
        self.unreconciled.update(nodes)

    def reconcile(self, node: str, live: Iterable[str], parked: Iterable[Parked], now: float,
                  phone_legs: Iterable[PhoneLeg] = ()) -> None:
        """After (re)connecting to a node: forget calls that ended while we were away, take back calls a previous
        run left in the store (waiting, ringing an agent, or talking), take back from the agents' live phone legs
        what the store does not say (no shared store), and only then pick up parked callers."""
        core = self.core
        alive, phone_legs = set(live), tuple(phone_legs)
        known = self._known_at_request.pop(node, None)

        def lost(uuid: str) -> bool:
            return uuid not in alive and (known is None or uuid in known)

        def ended(uuid: str) -> None:
            self.route_event(node, HungUp(uuid, "LOST_WHILE_DISCONNECTED"), now)

        for leg in [leg for leg, caller in core.agent_legs.items()
                    if core.calls.get(caller) is not None and core.calls[caller].node == node and lost(leg)]:
            ended(leg)
        for session in [s for s in core.calls.values() if s.node == node and lost(s.uuid) and s.channel_expected]:
            ended(session.uuid)
        for leg in [leg for leg, (on, _agent) in self.direct_calls.direct_calls.items() if on == node and lost(leg)]:
            ended(leg)
        for monitor in [m for m in self.monitoring.monitors.values()
                        if core.calls[m.call].node == node and lost(m.supervisor_leg)]:
            ended(monitor.supervisor_leg)
        legs_by_caller: dict[str, list[PhoneLeg]] = {}
        for phone_leg in phone_legs:
            if phone_leg.caller is not None:
                legs_by_caller.setdefault(phone_leg.caller.uuid, []).append(phone_leg)
        agents_by_call: dict[str, list[Agent]] = {}
        for agent in core.agents.values():
            if agent.call is not None:
                agents_by_call.setdefault(agent.call, []).append(agent)
        for uuid in alive.difference(core.calls):
            entry, agents = self.orphans.pop(uuid, None), agents_by_call.get(uuid, [])
            if entry is not None or agents:
                self._adopt(node, uuid, entry, agents, legs_by_caller.get(uuid, []), now)
        self._take_back_phone_legs(node, phone_legs, now)
        for event in parked:
            if event.uuid not in core.calls:
                self.route_event(node, event, now)
        self.unreconciled.discard(node)
        if not self.unreconciled:
            self._release_dead_calls(now)
        self.offers.dispatch(now)

    def _adopt(self, node: str, uuid: str, entry: QueueEntry | None, agents: Sequence[Agent],
               legs: Sequence[PhoneLeg], now: float) -> None:
        """Take back a call from the store: waiting → queued again; agents ringing → the offer waits for its
        outcome until its deadline (from when it was made), or is connected if a phone's leg is bridged to it
        already; an agent talking → re-attached (to their leg, when the node lists it)."""
        core = self.core
        talking = next((agent for agent in agents if agent.state is AgentState.ON_CALL), None)
        if entry is None:
            # Talking when the previous run stopped: the entry left the queue at the bridge. Wrap-up follows the
            # agent's first queue.
            first = talking or agents[0]
            queue = core.config.agents[first.id].queues[0]
            entry = QueueEntry(uuid, queue, 0, first.since, core.store.next_seq())
        session = CallSession(uuid=uuid, node=node, caller_number=entry.caller_number, caller_name=entry.caller_name,
                              destination="", arrived_at=entry.enqueued_at, answered=True, entry=entry,
                              queued_at=entry.enqueued_at)
        core.calls[uuid] = session
        leg_of = {core.agent_of_user.get(leg.user): leg for leg in legs}
        ringing = [agent for agent in agents if agent.state is AgentState.RESERVED]
        if talking is not None:
            session.move_to(Phase.CONNECTED)
            session.agent, session.connected_at = talking.id, talking.since
            if talking.id in leg_of:
                session.agent_leg = leg_of[talking.id].uuid
                core.agent_legs[session.agent_leg] = uuid
        elif ringing:
            session.move_to(Phase.OFFERING)
            session.ringing = {agent.id: leg_of[agent.id].uuid if agent.id in leg_of else "" for agent in ringing}
            core.agent_legs.update({leg: uuid for leg in session.ringing.values() if leg})
            offered_at = min(agent.since for agent in ringing)
            session.offer_deadline = offered_at + core.config.queues[entry.queue].ring_timeout_s + OFFER_GRACE_S
            bridged = next((leg_of[agent.id] for agent in ringing if agent.id in leg_of and leg_of[agent.id].bridged),
                           None)
            if bridged is not None:  # answered while we were away
                self.offers.on_bridged(Bridged(bridged.uuid, uuid), now)
        else:
            session.music_on = True  # the previous run's music is still playing
            core.wait(session)
        log.info("call %s taken back from the store: %s in %s", uuid, session.phase.value, entry.queue)

    def _take_back_phone_legs(self, node: str, phone_legs: Iterable[PhoneLeg], now: float) -> None:
        """Agents' phone legs the engine does not know (no shared store told it): an available agent bridged to, or
        rung for, an inbound caller nobody handles is re-attached to that call (talking, or an offer waiting for its
        outcome); any other such leg keeps its agent busy, as a direct call, until it ends. Before anything is
        offered: a talking agent must never be offered a second call."""
        core = self.core
        handled = {*core.agent_legs, *self.direct_calls.direct_calls, *self.monitoring.monitors,
                   *self.live.consult_legs}
        by_caller: dict[str, list[tuple[str, PhoneLeg]]] = {}
        for leg in phone_legs:
            agent_id = core.agent_of_user.get(leg.user)
            if agent_id is None or leg.uuid in handled:
                continue
            free = core.agents[agent_id].state is AgentState.AVAILABLE and not core.agents[agent_id].direct_calls
            if leg.caller is not None and leg.caller.uuid not in core.calls and free:
                by_caller.setdefault(leg.caller.uuid, []).append((agent_id, leg))
            else:
                self.direct_calls.on_phone_channel(node, PhoneChannel(leg.uuid, leg.user), now)
        for legs in by_caller.values():
            self._take_back_from_legs(node, legs, now)

    def _take_back_from_legs(self, node: str, legs: list[tuple[str, PhoneLeg]], now: float) -> None:
        """An inbound call found with available agents' phones in it: bridged to one of them (talking since that
        leg was created, the nearest the list tells), or ringing them (an offer with a deadline from now). Legs
        whose agent cannot be reserved, and a ring-all's losers, keep their agents busy as direct calls."""
        core = self.core
        caller = legs[0][1].caller
        assert caller is not None
        bridged = [(agent_id, leg) for agent_id, leg in legs if leg.bridged][:1]
        ringing: dict[str, str] = {}
        for agent_id, leg in legs:
            if (agent_id, leg) in (bridged or legs) and core.reserve_for_call(agent_id, caller.uuid, now):
                ringing[agent_id] = leg.uuid
            else:
                self.direct_calls.on_phone_channel(node, PhoneChannel(leg.uuid, leg.user), now)
        if not ringing:  # another controller has the agents: leave the call to it
            return
        core.agent_legs.update(dict.fromkeys(ringing.values(), caller.uuid))
        queues = core.config.agents[next(iter(ringing))].queues
        queue = caller.queue if caller.queue in queues else queues[0]
        arrived = min(caller.since or now, now)
        entry = QueueEntry(caller.uuid, queue, 0, arrived, core.store.next_seq(), caller.number, caller.name)
        session = CallSession(uuid=caller.uuid, node=node, caller_number=caller.number, caller_name=caller.name,
                              destination=caller.destination, arrived_at=arrived, answered=True, entry=entry,
                              queued_at=arrived, phase=Phase.OFFERING, ringing=ringing,
                              offer_deadline=now + core.config.queues[queue].ring_timeout_s + OFFER_GRACE_S)
        core.calls[caller.uuid] = session
        if bridged:
            agent_id, leg = bridged[0]
            core.agent_event(agent_id, agent_fsm.Answered(caller.uuid), now)
            session.move_to(Phase.CONNECTED)
            session.agent, session.agent_leg = agent_id, leg.uuid
            session.connected_at, session.ringing = min(leg.since or now, now), {}
        log.info("call %s taken back from agents' phone legs: %s with %s (queue %s)", caller.uuid,
                 session.phase.value, ", ".join(ringing), queue)

    def _adopt_callback(self, entry: QueueEntry) -> None:
        """A callback a previous run promised: it waits for an agent again, dialled through the first node."""
        core = self.core
        session = CallSession(uuid=entry.call, node=core.config.nodes[0].name, caller_number=entry.caller_number,
                              caller_name=entry.caller_name, destination="", arrived_at=entry.enqueued_at,
                              answered=True, entry=entry, queued_at=entry.enqueued_at, caller_gone=True)
        core.calls[entry.call] = session
        core.wait(session)
        log.info("callback %s to %s taken back from the store (queue %s)", entry.call, entry.callback, entry.queue)

    def _release_dead_calls(self, now: float) -> None:
        """Every node has reported: queue entries and agents still naming calls no node has are stale."""
        core = self.core
        for entry in self.orphans.values():
            if entry.callback:
                self._adopt_callback(entry)
                continue
            log.info("call %s ended while the controller was away: leaving queue %s", entry.call, entry.queue)
            core.store.remove_entry(entry.queue, entry.call)
        self.orphans.clear()
        known = self.direct_calls.agents_busy()
        for agent in list(core.agents.values()):
            for _stale in range(agent.direct_calls - known.count(agent.id)):  # direct calls we can no longer see end
                core.agent_event(agent.id, agent_fsm.DirectCallEnded(), now)
            agent = core.agents[agent.id]
            if agent.call is not None and agent.call not in core.calls:
                log.warning("agent %s was %s on call %s that no longer exists: releasing",
                            agent.id, agent.state.value, agent.call)
                wrap_up = 0.0 if agent.state is AgentState.RESERVED else core.wrap_up(agent.id, None)
                core.agent_event(agent.id, agent_fsm.CallEnded(agent.call, wrap_up), now)
