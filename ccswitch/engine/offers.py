"""Offers: waiting calls rung to free agents, as the router plans it, and what comes of it. The agent is reserved
with a compare-and-set in the store and the caller's channel rings the agent and bridges in one command
(``ConnectAgent``); a callback or a preview rings its one agent first (``dial_outs``). ``Bridged``: the agent
answered; the wait is measured and the recording starts if its policy picks the call. A failed bridge (no answer,
busy) comes back as an ``AppCompleted`` for ``bridge``; whose fault it is comes from its cause
(``acd.offer_failures``): the agent's (no answer, busy, rejected) is charged as a miss; the network's or
configuration's (no codec in common, not registered) is not, but the agent gets no offer for a back-off; either way
the call returns to its place in the queue. An offer with no outcome by its deadline is taken back (counted in
``stuck_offers_repaired``). Every leg rung is a new channel on the node: an offer rings as many agents as the
node's per-second budget allows now (``Core.take_channels``); none, and the call keeps its place for the next tick,
its agents free. Entries of a text channel go to ``engine.texts`` instead (no channel: not paced). Owns the counts
of failed and repaired offers."""

from __future__ import annotations

import uuid as uuidlib
from collections import Counter
from dataclasses import replace
from typing import TYPE_CHECKING

from ccswitch.acd import agents as agent_fsm
from ccswitch.acd import offer_failures
from ccswitch.acd.agents import MissReason
from ccswitch.acd.capacity import Channel
from ccswitch.calls import CallSession, Phase
from ccswitch.channel_events import Bridged
from ccswitch.effects import AgentLeg, ConnectAgent, Hangup, StopMedia
from ccswitch.engine.core import OFFER_GRACE_S, Core, log

if TYPE_CHECKING:  # peers, wired by the engine
    from ccswitch.engine.call_control import LiveCalls
    from ccswitch.engine.dial_outs import DialOuts
    from ccswitch.engine.texts import Texts


class Offers:
    dial_outs: DialOuts
    live: LiveCalls
    texts: Texts

    def __init__(self, core: Core) -> None:
        self.core = core
        self.stuck_offers_repaired = 0
        self.offer_failures: Counter[tuple[str, str]] = Counter()  # (fault, cause) -> failed offers

    def dispatch(self, now: float) -> None:
        """Offer waiting calls to free agents, as the router plans it (the strategy picks one agent, or several
        for ring-all / ring-progressively)."""
        core = self.core
        for dispatch in core.router.next_offers(now):
            entry = dispatch.entry
            if entry.channel is not Channel.VOICE:  # no channel to ring: the chat service shows it
                self.texts.offer(dispatch, now)
                continue
            session = core.calls[entry.call]
            candidates = dispatch.agents[:1] if session.caller_gone else dispatch.agents  # a callback: one agent
            # A leg per agent rung: as many as the node's per-second budget allows now (0: the offer waits).
            candidates = candidates[:core.take_channels(session.node, len(candidates), now)]
            for spare in dispatch.agents[len(candidates):]:
                core.router.update_agent(core.agents[spare])  # free again: the router had set them aside
            if not candidates:  # paced: the call keeps its place, tried again on the next tick
                core.router.add_call(entry)
                continue
            if session.caller_gone:
                entry = self.dial_outs.next_callback_leg(session)
            reserved = [agent for agent in candidates if core.reserve_for_call(agent, entry.call, now)]
            if not reserved:  # another controller took them first
                core.router.add_call(entry)
                continue
            core.waiting[entry.queue].pop(entry.call, None)
            session.move_to(Phase.OFFERING)
            session.ringing = {agent: str(uuidlib.uuid4()) for agent in reserved}
            queue = core.config.queues[entry.queue]
            if session.caller_gone:
                self.dial_outs.call_back(session, reserved[0], now)
                continue
            ring_timeout = queue.ring_timeout_s
            session.offer_deadline = now + ring_timeout + dispatch.stagger_s * len(reserved) + OFFER_GRACE_S
            legs = tuple(AgentLeg(agent, core.config.agents[agent].contact, leg, index * dispatch.stagger_s)
                         for index, (agent, leg) in enumerate(session.ringing.items()))
            for leg in legs:
                core.agent_legs[leg.leg] = session.uuid
            log.info("call %s offered to agent(s) %s (queue %s)", session.uuid, ", ".join(reserved), entry.queue)
            core.emit_to(session, [*core.music_off(session), ConnectAgent(
                call=session.uuid,
                legs=legs,
                ring_timeout_s=ring_timeout,
                queue=entry.queue,
                caller_id_number=session.caller_number,
                caller_id_name=session.caller_name,
                ringback=core.music(session),
                agent_announcement=core.config.prompt_path(queue.agent_announce) if queue.agent_announce else None,
                auto_answer=session.connect_by is not None,
            )])

    def on_bridged(self, event: Bridged, now: float) -> None:
        """An agent answered: the call is connected to them, the others rung lost the race."""
        core = self.core
        caller = core.agent_legs.get(event.uuid, event.uuid)
        session = core.calls.get(caller)
        if session is None or session.phase is not Phase.OFFERING:
            return
        winner = next((agent for agent, leg in session.ringing.items() if leg in (event.uuid, event.other_leg)),
                      None)
        if winner is None and list(session.ringing.values()) == [""]:  # taken back after a restart: leg unknown
            winner = next(iter(session.ringing))
        if winner is None:
            return
        others = dict(session.ringing)  # (replaced, never changed in place: the node's load is counted from it)
        leg = others.pop(winner)
        session.agent, session.agent_leg, session.ringing = winner, leg or event.other_leg, others
        core.agent_event(winner, agent_fsm.Answered(session.uuid), now)
        for other in session.ringing:  # ring-all: the others lost the race, through no fault of theirs
            core.agent_event(other, agent_fsm.CallEnded(session.uuid, 0), now)
        session.ringing = {}
        assert session.entry is not None
        wait = now - session.queued_at
        session.move_to(Phase.CONNECTED)
        session.connected_at = now
        session.answered, session.answer_by = True, None  # (a caller left ringing: the bridge answered them)
        session.caller_gone = False  # a callback's caller is back, on the call's own leg
        if session.preview is not None:  # dialled by the agent: it never waited in a queue
            log.info("call %s: agent %s connected to %s (campaign %s)", session.uuid, session.agent,
                     session.caller_number, session.campaign)
        else:
            core.stats.answered(session.entry.queue, session.agent, wait)
            core.store.remove_entry(session.entry.queue, session.uuid)
            log.info("call %s connected to agent %s after %.1f s in queue %s",
                     session.uuid, session.agent, wait, session.entry.queue)
        self.live.start_recording(session, now)

    def offer_failed(self, session: CallSession, cause: str, now: float) -> None:
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
            self.core.agent_legs.pop(leg, None)
        session.ringing = {}
        session.entry = replace(session.entry, attempts=session.entry.attempts + 1)
        self.core.store.add_entry(session.entry)
        self.core.wait(session)
        self.dispatch(now)

    def _charge_failed_offer(self, agent_id: str, session: CallSession, failure: offer_failures.OfferFailure,
                             now: float) -> None:
        core = self.core
        if failure.miss is not None:
            assert session.entry is not None
            delays = core.config.agents[agent_id]
            delay = {MissReason.BUSY: delays.busy_delay_s, MissReason.REJECTED: delays.reject_delay_s}.get(
                failure.miss, delays.no_answer_delay_s)
            max_no_answer = core.config.queues[session.entry.queue].max_no_answer
            core.agent_event(agent_id, agent_fsm.Missed(session.uuid, max_no_answer, failure.miss, delay), now)
            core.stats.missed(agent_id)
        elif failure.fault is offer_failures.Fault.NETWORK:
            backoff = offer_failures.backoff_s(core.agents[agent_id].unreachable_in_row + 1)
            core.agent_event(agent_id, agent_fsm.NotReached(session.uuid, backoff), now)
        else:
            core.agent_event(agent_id, agent_fsm.CallEnded(session.uuid, 0), now)

    def take_back_stuck(self, now: float) -> None:
        """Offers past their deadline with no outcome (``offer_lost``)."""
        for session in [s for s in self.core.calls.values() if s.phase is Phase.OFFERING and now > s.offer_deadline]:
            self._offer_lost(session, now)

    def _offer_lost(self, session: CallSession, now: float) -> None:
        """An offer neither bridged nor failed in time (an event lost on the way, a switch that never answered):
        release the agents without a miss (not their fault), stop any leg still ringing, and queue the call again
        at its place. Counted in ``stuck_offers_repaired``."""
        assert session.entry is not None
        log.warning("call %s: no outcome for the offer to %s within %.0f s: taking it back",
                    session.uuid, ", ".join(session.ringing), now - session.offer_deadline + OFFER_GRACE_S)
        self.stuck_offers_repaired += 1
        if session.preview is not None:
            self.dial_outs.preview_not_reached(session, "LOST", now)
            return
        self.withdraw(session, now)
        self.core.wait(session)
        if not session.caller_gone:
            # What the channel is doing is unknown: break whatever plays or is queued, then music again.
            self.core.emit_to(session, [StopMedia(session.uuid)])
            self.core.start_music(session)

    def withdraw(self, session: CallSession, now: float, cause: str = "ORIGINATOR_CANCEL") -> None:
        """Take the call back from the agents its offer rang: not their fault (no miss, they keep their place in
        line), and any leg still there is hung up with ``cause``."""
        for agent_id, leg in session.ringing.items():
            self.core.agent_event(agent_id, agent_fsm.CallEnded(session.uuid, 0), now)
            if leg:  # ("" after a restart: the leg is unknown)
                self.core.agent_legs.pop(leg, None)
                self.core.send(session.node, leg, [Hangup(leg, cause)])
        session.ringing = {}
