"""Calls the centre makes: a campaign's answered calls (queued for agents ahead of everyone, until their connect
deadline, or sent to a step), previews (an agent reserved for a lead until they dial it or skip it), and callbacks
(a waiting caller keeps their place and hangs up; the place waits for an agent, whose phone rings first and then
dials the customer, again after ``retry_s`` until the queue's attempts are spent). The customer's leg is dialled
within the node's per-second budget, as the agent's was (``Core.take_channels``). Owns the retries' and the connect
deadlines' timers, and the dials waiting for the budget."""

from __future__ import annotations

import heapq
import uuid as uuidlib
from collections.abc import Callable
from dataclasses import replace
from typing import TYPE_CHECKING

from ccswitch.acd import waiting as wait
from ccswitch.acd.capacity import Channel
from ccswitch.acd.queues import QueueEntry
from ccswitch.calls import CallSession, DialOutPlan, Phase, contact_record, outcome_of
from ccswitch.channel_events import HungUp, JobFailed
from ccswitch.effects import DialOut, Hangup, Originate, Play, StopMedia
from ccswitch.engine.core import OFFER_GRACE_S, Core, log
from ccswitch.errors import InvalidTransition, UnknownNameError
from ccswitch.history.model import Outcome
from ccswitch.routing.steps import Step, ToAnnouncement, ToCallback, ToHangup, ToQueue

if TYPE_CHECKING:  # peers, wired by the engine
    from ccswitch.engine.inbound import InboundPath
    from ccswitch.engine.offers import Offers

OUTBOUND_PRIORITY = 100  # a person a campaign reached waits for nobody

PreviewEnded = Callable[[str, str, float], None]  # (call, cause, now): a preview's customer was not reached


class DialOuts:
    inbound: InboundPath
    offers: Offers

    def __init__(self, core: Core) -> None:
        self.core = core
        self.retries: list[tuple[float, str]] = []  # (when, call): heap of callbacks to try again
        self.connect_deadlines: list[tuple[float, str]] = []  # (when, call): outbound calls to connect by then
        self.paced_dials: list[str] = []  # agents' legs whose customer waits for the node's per-second budget
        self.preview_ended: PreviewEnded = lambda _call, _cause, _now: None  # the dialler's, to settle the lead

    # ----------------------------------------------------------------- campaigns
    def take_outbound(self, node: str, uuid: str, number: str, name: str, queue: str, campaign: str,
                      connect_within_s: float, otherwise: Step, now: float) -> None:
        """A person answered a campaign's call (``uuid``, parked): queue it for ``queue``'s agents ahead of
        everyone; not connected within ``connect_within_s`` (an agent ringing does not count), it leaves the
        queue for ``otherwise`` (the abandon message), counted as overflowed there and recorded as such."""
        config = self.core.config
        if queue not in config.queues:
            raise UnknownNameError(f"unknown queue '{queue}' for campaign {campaign}")
        session = self._outbound_session(node, uuid, number, name, campaign, now)
        session.connect_by = (now + connect_within_s, otherwise)
        if campaign in config.campaigns:
            session.recording_policy = config.campaigns[campaign].recording
        heapq.heappush(self.connect_deadlines, (now + connect_within_s, uuid))
        self.inbound.go(session, ToQueue(queue, priority=OUTBOUND_PRIORITY), now)

    def take_outbound_step(self, node: str, uuid: str, number: str, name: str, campaign: str, step: Step,
                           now: float) -> None:
        """A person a blast campaign reached (answered, parked) goes to ``step``, e.g. an IVR menu whose options
        lead to queues ("press 1 to talk to an operator"); recorded as the campaign's outbound contact."""
        self.inbound.go(self._outbound_session(node, uuid, number, name, campaign, now), step, now)

    def _outbound_session(self, node: str, uuid: str, number: str, name: str, campaign: str,
                          now: float) -> CallSession:
        """A person a campaign reached, already answered: the call is theirs from now on (history: outbound)."""
        session = CallSession(uuid=uuid, node=node, caller_number=number, caller_name=name, destination=number,
                              arrived_at=now, answered=True, campaign=campaign)
        self.core.calls[uuid] = session
        return session

    def connect_deadlines_due(self, now: float) -> None:
        """An outbound call not connected in time: withdraw any ringing offer (not the agents' fault) and send
        the person to the campaign's step (the abandon message)."""
        while self.connect_deadlines and self.connect_deadlines[0][0] <= now:
            outbound = self.core.calls.get(heapq.heappop(self.connect_deadlines)[1])
            if outbound is not None and outbound.phase in (Phase.QUEUED, Phase.OFFERING):
                assert outbound.connect_by is not None
                self.offers.withdraw(outbound, now)
                self.inbound.overflow(outbound, outbound.connect_by[1],
                                      "no agent in time for an answered outbound call", now)

    # ----------------------------------------------------------------- previews
    def preview(self, node: str, agent_id: str, call: str, plan: DialOutPlan, name: str, campaign: str,
                now: float) -> None:
        """Reserve ``agent_id`` for a lead of ``campaign`` they are shown: no queue call is offered to them until
        they dial it (``dial_preview``) or skip it (``end_preview``). ``call`` is the uuid of the leg the lead will
        be dialled on. UnknownNameError (agent, campaign), InvalidTransition (the agent is not free for it)."""
        config = self.core.config.campaigns.get(campaign)
        if config is None:
            raise UnknownNameError(f"unknown campaign '{campaign}'")
        agent = self.core.agents.get(agent_id)
        if agent is None:
            raise UnknownNameError(f"unknown agent '{agent_id}'")
        if not agent.serves(config.queue):
            raise InvalidTransition(f"agent {agent_id} is not logged in to queue {config.queue} of campaign "
                                    f"{campaign}")
        if not agent.can_take(Channel.VOICE, self.core.config.agents[agent_id].capacity, now):
            busy = " (on a direct call)" if agent.direct_calls else " (holding chats)" if agent.texts else ""
            raise InvalidTransition(f"agent {agent_id} is {agent.state.value}{busy}: only an available agent "
                                    "previews a lead")
        if not self.core.reserve_for_call(agent_id, call, now):
            raise InvalidTransition(f"agent {agent_id} was changed by another controller; try again")
        entry = QueueEntry(call, config.queue, 0, now, 0, plan.number, name)  # (the priority of a transfer)
        self.core.calls[call] = CallSession(
            uuid=call, node=node, caller_number=plan.number, caller_name=name, destination=plan.number,
            arrived_at=now, phase=Phase.PREVIEW, answered=True, campaign=campaign, entry=entry, queued_at=now,
            ringing={agent_id: ""}, callee_leg=call, preview=plan, recording_policy=config.recording)
        log.info("call %s: agent %s previews %s of campaign %s", call, agent_id, plan.number, campaign)

    def dial_preview(self, call: str, now: float) -> None:
        """The agent dials the lead they preview: their phone first (answering by itself where it can), then the
        lead from it, as for a callback."""
        session = self._previewing(call)
        (agent_id,) = session.ringing
        session.ringing = {agent_id: str(uuidlib.uuid4())}
        session.move_to(Phase.OFFERING)
        self.core.recent_sessions.created(session.node, now)  # (asked for by the agent: counted, not deferred)
        self._ring_agent_first(session, agent_id, session.caller_name or session.caller_number, now)

    def end_preview(self, call: str, now: float) -> None:
        """The agent skips the lead they preview (nothing was dialled): they are free again."""
        self._drop_preview(self._previewing(call), now)
        self.offers.dispatch(now)

    def _previewing(self, call: str) -> CallSession:
        session = self.core.calls.get(call)
        if session is None or session.phase is not Phase.PREVIEW:
            raise InvalidTransition(f"call {call} is not a lead being previewed")
        return session

    def preview_not_reached(self, session: CallSession, cause: str, now: float) -> None:
        """A preview's call ended before the customer answered (or the agent's own phone did not): the agent is
        free again, and the dialler settles the lead (it writes the line's record)."""
        log.info("call %s: preview of %s not reached (%s)", session.uuid, session.caller_number, cause)
        self._drop_preview(session, now, "NORMAL_CLEARING")
        self.preview_ended(session.uuid, cause, now)
        self.offers.dispatch(now)

    def _drop_preview(self, session: CallSession, now: float, cause: str = "ORIGINATOR_CANCEL") -> None:
        """The agent's reservation for the preview taken back (``cause`` for any leg already ringing) and the call
        forgotten."""
        self.offers.withdraw(session, now, cause)
        session.move_to(Phase.ENDED)
        self.core.calls.pop(session.uuid, None)

    # ----------------------------------------------------------------- callbacks
    def become_callback(self, session: CallSession, step: ToCallback, now: float) -> None:
        """The call becomes a callback of ``step.queue``: at its place if it waits there already, else as a new
        arrival. A caller without a number we can dial goes to ``step.otherwise``. Without ``step.confirm`` the
        caller is hung up at once, unanswered if they were not yet: the callback holds no channel. A number already
        waiting for a callback of the queue gets no second one (a caller hung up on with a busy tone calls again):
        the caller hears the confirmation, or is hung up, all the same."""
        policy = self.core.config.queues[step.queue].callback
        assert policy is not None  # checked when the config was loaded
        if not wait.can_call_back(session.caller_number):
            self.inbound.go(session, step.otherwise, now)
            return
        if self._callback_waiting(step.queue, session.caller_number):
            log.info("call %s: %s already waits for a callback from queue %s: no second one", session.uuid,
                     session.caller_number, step.queue)
            if session.phase is Phase.QUEUED:  # waiting again: this place goes, the one booked stays
                self.core.leave_queue(session)
                session.left_queue_at = now
                self.core.emit_to(session, self.core.music_off(session))
            self.inbound.go(session, ToAnnouncement(policy.confirm) if step.confirm else ToHangup(step.cause), now)
            return
        if step.confirm:
            self.core.answer(session)
        if session.entry is None or session.entry.queue != step.queue:
            session.entry = QueueEntry(session.uuid, step.queue, 0, now, self.core.store.next_seq(),
                                       session.caller_number, session.caller_name)
            session.queued_at = now
        self.callback_requested(session, policy, now, None if step.confirm else step.cause)

    def _callback_waiting(self, queue: str, number: str) -> bool:
        """Whether ``number`` waits for a callback of ``queue`` (or is being called back). A walk over the calls,
        but only for a caller who asks for a callback."""
        return any(call.entry is not None and call.entry.queue == queue and call.entry.callback == number
                   for call in self.core.calls.values())

    def callback_requested(self, session: CallSession, policy: wait.CallbackPolicy, now: float,
                           hang_up: str | None = None) -> None:
        """The caller keeps their place and hangs up after the confirmation (or is hung up at once with the cause
        ``hang_up``); the place waits for an agent once they have gone (``callback_channel_ended``). Kept in the
        store, so a restart keeps it too."""
        assert session.entry is not None
        core = self.core
        core.waiting[session.entry.queue].pop(session.uuid, None)
        core.router.remove_call(session.uuid)
        session.entry = replace(session.entry, callback=session.caller_number)
        core.store.add_entry(session.entry)
        session.move_to(Phase.CALLBACK)
        session.music_on = False
        if hang_up is None:
            session.pending_tag = session.next_tag("callback")
            core.emit_to(session, [StopMedia(session.uuid),
                                   Play(session.uuid, core.config.prompt_path(policy.confirm), session.pending_tag)])
        else:
            core.emit_to(session, [Hangup(session.uuid, hang_up)])
        log.info("call %s: %s to be called back (queue %s)%s", session.uuid, session.caller_number,
                 session.entry.queue, "" if hang_up is None else f", hung up at once ({hang_up})")

    def callback_channel_ended(self, event: HungUp, now: float) -> None:
        """The channel of a callback waiting for an agent ended: its caller, who hung up after the confirmation
        (the place now waits for an agent), or the leg of an attempt that failed, waiting for a retry."""
        session = self.core.calls[event.uuid]
        if session.caller_gone:
            return
        assert session.entry is not None
        session.caller_gone = True
        self.core.router.add_call(session.entry)
        self.offers.dispatch(now)

    def retries_due(self, now: float) -> None:
        while self.retries and self.retries[0][0] <= now:
            retry = self.core.calls.get(heapq.heappop(self.retries)[1])
            if retry is not None and retry.phase is Phase.CALLBACK and retry.entry is not None:
                self.core.router.add_call(retry.entry)

    def next_callback_leg(self, session: CallSession) -> QueueEntry:
        """Each attempt of a callback dials the caller on a leg of its own, whose uuid names the call from now on:
        in the agent's offer and, once the caller answers, for recording, transfers and supervisors, as for any
        call (the history keeps the contact's first uuid). The new entry is stored before the old one goes."""
        old = session.entry
        assert old is not None
        leg = str(uuidlib.uuid4())
        del self.core.calls[session.uuid]
        session.contact_uuid = session.contact_uuid or session.uuid
        session.uuid = session.callee_leg = leg
        session.entry = replace(old, call=leg)
        self.core.calls[leg] = session
        self.core.store.add_entry(session.entry)
        self.core.store.remove_entry(old.queue, old.call)
        return session.entry

    def call_back(self, session: CallSession, agent_id: str, now: float) -> None:
        assert session.entry is not None
        log.info("call %s: callback to %s offered to agent %s (queue %s)", session.uuid, session.entry.callback,
                 agent_id, session.entry.queue)
        self._ring_agent_first(session, agent_id, f"Callback {session.entry.queue}", now)

    def callbacks_pending(self) -> dict[str, int]:
        """Per queue: callbacks asked for and not yet connected (waiting for an agent, dialling, or a retry)."""
        pending = dict.fromkeys(self.core.config.queues, 0)
        for session in self.core.calls.values():
            if session.entry is not None and (session.phase is Phase.CALLBACK
                                              or (session.phase is Phase.OFFERING and session.caller_gone)):
                pending[session.entry.queue] = pending.get(session.entry.queue, 0) + 1
        return pending

    # ----------------------------------------------------------------- agent first, then the customer
    def _ring_agent_first(self, session: CallSession, agent_id: str, caller_id_name: str, now: float) -> None:
        """Agent first (a callback, a preview): their phone rings, showing the customer's number, and parks when
        answered; the customer is dialled from there (``dial_customer``). A preview's agent asked for the call:
        their phone may answer it by itself."""
        assert session.entry is not None
        config = self.core.config
        queue = config.queues[session.entry.queue]
        plan = self._dial_plan(session)
        leg = session.ringing[agent_id]
        self.core.agent_legs[leg] = session.uuid
        session.offer_deadline = now + queue.ring_timeout_s + plan.ring_timeout_s + OFFER_GRACE_S
        # The agent's leg dials the customer, so it is the bridge's A-leg: FreeSWITCH reads continue_on_fail (back
        # to park when nobody answers) and hangup_after_bridge from it (mod_dptools.c audio_bridge_function).
        variables = (("origination_caller_id_number", plan.number),
                     ("origination_caller_id_name", caller_id_name),
                     ("originate_timeout", str(queue.ring_timeout_s)),
                     ("continue_on_fail", "true"), ("hangup_after_bridge", "true"))
        self.core.send(session.node, leg, [Originate(session.uuid, leg, config.agents[agent_id].contact, variables,
                                                     "park", "", feature_codes=True,
                                                     auto_answer=session.preview is not None)])

    def agent_leg_failed(self, event: JobFailed, now: float) -> None:
        """A callback's or preview's agent did not answer (their phone's originate failed)."""
        session = self.core.calls[self.core.agent_legs[event.job]]
        if session.preview is not None:
            self.preview_not_reached(session, f"agent's phone: {event.reason}", now)
        else:
            self.offers.offer_failed(session, event.reason, now)

    def dial_customer(self, agent_leg: str, now: float) -> None:
        """The agent took the callback or preview (their phone is parked): dial the customer from it, as soon as
        the node's per-second budget allows (until then the agent's phone waits parked: ``dials_due``)."""
        session = self.core.calls.get(self.core.agent_legs.get(agent_leg, ""))
        if session is None or session.phase is not Phase.OFFERING or session.entry is None:
            return
        if not self.core.take_channels(session.node, 1, now):
            self.paced_dials.append(agent_leg)
            return
        plan = self._dial_plan(session)
        assert session.callee_leg is not None
        session.pending_tag = session.next_tag("dial")
        self.core.send(session.node, agent_leg, [DialOut(session.uuid, agent_leg, session.callee_leg, plan.gateway,
                                                         plan.number, plan.caller_id_number, plan.ring_timeout_s,
                                                         session.pending_tag)])
        log.info("call %s: agent leg %s answered; dialling %s", session.uuid, agent_leg, plan.number)

    def dials_due(self, now: float) -> None:
        """Customers whose dial waited for the node's per-second budget: tried again."""
        paced, self.paced_dials = self.paced_dials, []
        for agent_leg in paced:
            self.dial_customer(agent_leg, now)

    def _dial_plan(self, session: CallSession) -> DialOutPlan:
        """How the agent's phone dials the customer: the preview's, or the queue's callback policy."""
        if session.preview is not None:
            return session.preview
        assert session.entry is not None
        policy = self.core.config.queues[session.entry.queue].callback
        assert policy is not None
        return DialOutPlan(session.entry.callback, policy.gateway, policy.caller_id_number, policy.ring_timeout_s)

    def callee_leg_ended(self, event: HungUp, now: float) -> None:
        """The customer's leg ended before answering."""
        self.dial_out_failed(self.core.calls[event.uuid], event.cause, now)

    def dial_out_failed(self, session: CallSession, cause: str, now: float) -> None:
        """The customer a callback or preview dialled from the agent's phone was not reached."""
        if session.preview is not None:
            self.preview_not_reached(session, cause, now)
        else:
            self._callback_not_reached(session, cause, now)

    def _callback_not_reached(self, session: CallSession, cause: str, now: float) -> None:
        """Nobody took the callback: the agent is released (not their fault) and the place waits for a retry,
        or, after the queue's attempts, the contact ends as abandoned."""
        assert session.entry is not None
        core = self.core
        policy = core.config.queues[session.entry.queue].callback
        assert policy is not None
        self.offers.withdraw(session, now, "NORMAL_CLEARING")
        session.callee_leg = None
        session.entry = replace(session.entry, attempts=session.entry.attempts + 1)
        if session.entry.attempts >= policy.attempts:
            log.info("call %s: callback to %s not answered (%s) after %d attempts: giving up", session.uuid,
                     session.entry.callback, cause, session.entry.attempts)
            core.store.remove_entry(session.entry.queue, session.uuid)
            core.stats.abandoned(session.entry.queue, now - session.queued_at)
            session.left_queue_at = now
            self._end_contact(session, cause, now, "abandoned")
        else:
            log.info("call %s: callback to %s not answered (%s): again in %d s", session.uuid,
                     session.entry.callback, cause, policy.retry_s)
            core.store.add_entry(session.entry)
            session.move_to(Phase.CALLBACK)
            heapq.heappush(self.retries, (now + policy.retry_s, session.uuid))
        self.offers.dispatch(now)

    def _end_contact(self, session: CallSession, cause: str, now: float, outcome: Outcome | None = None) -> None:
        """A callback is over (talked, or given up): its one history record is written now."""
        self.core.calls.pop(session.uuid, None)
        session.move_to(Phase.ENDED)
        self.core.record(contact_record(session, outcome or outcome_of(session), cause, now))
