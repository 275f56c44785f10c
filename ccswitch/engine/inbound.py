"""The inbound path, read as the life of a caller until an agent takes them:

1. ``Parked`` (a new inbound channel): admitted if the node can carry them (``ccswitch.admission``), else the
   overload step; the dialplan decides the first step.
2. ``ToIvr``: the IVR state machine asks for prompts and digits; ``AppCompleted`` events feed it until it names
   a step. Announcements and voicemail play (and record) and hang up.
3. ``ToQueue``: the call is answered (or left ringing on a toll-free line), enqueued (kept in the store) and hears
   music and periodic announcements; a caller who hung up within the queue's rejoin window gets their place back.
   ``offers`` rings the agents. A full queue, nobody logged in, a wait too long or the caller's exit key send the
   call to the queue's step; the callback key makes it a callback (``dial_outs``).
4. The caller hangs up: abandoned while waiting (from their ``HangingUp`` on, even while an agent's phone rings:
   trace k), or ended after talking; the contact's history record is written, with its recording's path.

Owns the announcements' timers, the places of callers who may rejoin, and the overload books (callers sent to the
overload step, callers the switch dropped)."""

from __future__ import annotations

import heapq
from collections import Counter
from dataclasses import replace
from typing import TYPE_CHECKING

from ccswitch import admission
from ccswitch.acd import agents as agent_fsm
from ccswitch.acd import waiting as wait
from ccswitch.acd.agents import AgentState
from ccswitch.acd.queues import QueueEntry, caller_priority, overdue
from ccswitch.calls import CallSession, Phase, contact_record, outcome_of
from ccswitch.channel_events import AppCompleted, Dtmf, HangingUp, HungUp, Parked
from ccswitch.effects import Hangup, Play, RecordMessage, StopMedia, TakeCall, Transfer
from ccswitch.engine.core import OFFER_GRACE_S, Core, log
from ccswitch.media import control as ctl
from ccswitch.media import recording as rec
from ccswitch.media.recording import RecordingEvent, RecordingState
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

if TYPE_CHECKING:  # peers, wired by the engine
    from ccswitch.engine.call_control import LiveCalls
    from ccswitch.engine.dial_outs import DialOuts
    from ccswitch.engine.offers import Offers

_MAX_OVERFLOWS = 3
_MAX_ROUTINGS = 5  # a call parked here again after a transfer is routed again, this many times in all
VOICEMAIL_TEMPLATE = "voicemail/%Y/%m/%d/{uuid}.wav"  # under the recordings folder


class InboundPath:
    dial_outs: DialOuts
    live: LiveCalls
    offers: Offers

    def __init__(self, core: Core) -> None:
        self.core = core
        self.gone: dict[tuple[str, str], tuple[QueueEntry, float]] = {}  # (queue, caller) -> place, left at
        self.announcements: list[tuple[float, str]] = []  # (when, call): heap of periodic announcements due
        self.overload_overflows: Counter[tuple[str, admission.Limit]] = Counter()  # (node, limit) -> callers
        self.dropped_by_switch: Counter[tuple[str, str]] = Counter()  # (node, hang-up cause) -> callers

    # ----------------------------------------------------------------- arrival
    def parked(self, node: str, event: Parked, now: float) -> None:
        """A caller's channel parked: a new arrival, or a call of ours back in park."""
        core = self.core
        session = core.calls.get(event.uuid)
        if session is not None:
            if session.phase is Phase.QUEUED:
                # A failed bridge handed the call back: it waits again, with music.
                core.start_music(session)
            elif session.phase is Phase.REQUEUING:
                self.requeue(session, now)
            elif session.consult is not None and session.consult.state is ctl.TransferState.CONSULTING:
                core.start_music(session)  # the agent consults: the caller waits in park
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
        core.calls[event.uuid] = session
        core.recent_sessions.arrived(node, now)
        self._route(session, event, now)

    def _route(self, session: CallSession, event: Parked, now: float) -> None:
        """Route a parked call by the number it reached, through the dialplan: a new arrival, or a call transferred
        away (by its agent, their phone's transfer button, a dialplan rule) to a number that parks it here again,
        which keeps its contact. Transfers that keep coming back end after ``_MAX_ROUTINGS``."""
        session.routings += 1
        # An application sent while the music plays would run inside it (the music going on afterwards), so a call
        # found in music is interrupted first.
        self.core.emit_to(session, [TakeCall(session.uuid), *([StopMedia(session.uuid)] if event.playing else [])])
        if session.routings > _MAX_ROUTINGS:
            log.warning("call %s: parked here again after %d routings: a transfer loop? hanging up", session.uuid,
                        _MAX_ROUTINGS)
            self.go(session, ToHangup("EXCHANGE_ROUTING_ERROR"), now)
            return
        decision = route(self.core.config.dialplan, event.destination, session.caller_number, self.core.local(now))
        session.recording_policy = decision.recording
        log.info("call %s from %s to %s: rule %s -> %s", session.uuid, session.caller_number, event.destination,
                 decision.rule or "(default)", decision.step)
        self.go(session, self._admitted(session, decision.step, now) if session.routings == 1 else decision.step,
                now)

    def _admitted(self, session: CallSession, step: Step, now: float) -> Step:
        """``step`` for a new caller if their node can carry them, else the overload step (``ccswitch.admission``);
        one who goes at once (transferred, hung up) is not held."""
        if isinstance(step, ToTransfer | ToHangup):
            return step
        core = self.core
        load = core.calls.loads.load(session.node, core.recent_sessions.count(session.node, now))
        rings = isinstance(step, ToQueue) and self._left_ringing(session, step.queue)
        decision = admission.decide(core.capacities[session.node], core.config.overload.reserve, load,
                                    needs_media=not rings)
        if isinstance(decision, admission.Admit):
            return step
        self.overload_overflows[(session.node, decision.limit)] += 1
        then = core.config.overload.then
        if not decision.media_left:  # no port to answer with: a step that would answer does without
            if isinstance(then, ToCallback):
                then = replace(then, confirm=False)  # the number is kept all the same
            elif not isinstance(then, ToTransfer | ToHangup):
                then = ToHangup(then.cause if isinstance(then, ToAnnouncement) else "NORMAL_CIRCUIT_CONGESTION")
        log.warning("call %s: node %s is near its %s limit (%d channels, %d media ports, %d new in the last second; "
                    "capacity %s): %s instead of %s", session.uuid, session.node, decision.limit.value, load.sessions,
                    load.media, load.recent_sessions, core.capacities[session.node], then, step)
        return then

    # ----------------------------------------------------------------- steps
    def go(self, session: CallSession, step: Step, now: float) -> None:
        core = self.core
        if isinstance(step, ToIvr):
            core.answer(session)
            outcome = ivr.enter(core.config, step.menu, session.uuid, session.ivr_seq)
            session.move_to(Phase.IVR)
            self._apply_ivr(session, outcome, now)
        elif isinstance(step, ToQueue):
            self._enqueue(session, step, now)
        elif isinstance(step, ToAnnouncement):
            core.answer(session)
            session.move_to(Phase.ANNOUNCING)
            session.outcome = "announced"
            session.hangup_cause = step.cause
            session.pending_tag = session.next_tag("announce")
            core.emit_to(session, [Play(session.uuid, core.config.prompt_path(step.prompt), session.pending_tag)])
        elif isinstance(step, ToTransfer):
            session.move_to(Phase.ENDED)
            session.outcome, session.transferred_to = "transferred", step.destination
            core.emit_to(session, [Transfer(session.uuid, step.destination, step.context)])
        elif isinstance(step, ToHangup):
            session.move_to(Phase.ENDED)
            session.outcome = "hung_up"
            core.emit_to(session, [Hangup(session.uuid, step.cause)])
        elif isinstance(step, ToVoicemail):
            self._take_message(session, step, now)
        elif isinstance(step, ToCallback):
            self.dial_outs.become_callback(session, step, now)

    def _take_message(self, session: CallSession, step: ToVoicemail, now: float) -> None:
        """Prompt, then record the caller's message; the call hangs up when the recording ends."""
        core = self.core
        core.answer(session)
        session.move_to(Phase.ANNOUNCING)
        session.outcome, session.hangup_cause = "voicemail", "NORMAL_CLEARING"
        name = rec.recording_path(VOICEMAIL_TEMPLATE, now, core.config.timezone, queue="", agent="",
                                  caller=session.caller_number, uuid=session.uuid)
        session.message_path = f"{core.config.recordings.switch_dir}/{name}"
        session.pending_tag = session.next_tag("message")
        core.emit_to(session, [Play(session.uuid, core.config.prompt_path(step.prompt), session.next_tag("prompt")),
                               RecordMessage(session.uuid, session.message_path, step.max_s, session.pending_tag)])
        log.info("call %s: taking a message into %s", session.uuid, session.message_path)

    def _apply_ivr(self, session: CallSession, outcome: ivr.IvrOutcome, now: float) -> None:
        session.ivr = outcome.state
        session.ivr_seq = outcome.state.seq
        if outcome.effects:
            self.core.emit_to(session, outcome.effects)
        if outcome.step is not None:
            session.ivr = None
            self.go(session, outcome.step, now)

    def app_completed(self, event: AppCompleted, now: float) -> None:
        """A prompt, a menu's digits, a message or a bridge to an agent finished on the caller's channel."""
        session = self.core.calls.get(event.uuid)
        if session is None:
            return
        if event.application == "bridge":
            if session.phase is Phase.OFFERING and event.bridge_failure is not None:
                self.offers.offer_failed(session, event.bridge_failure, now)
            return
        if event.tag is None:
            return
        if session.phase is Phase.IVR and session.ivr is not None:
            if event.application == "play_and_get_digits":
                session.ivr_path.append(f"{session.ivr.menu}:{event.digits}")
                outcome = ivr.on_digits(self.core.config, session.ivr, event.tag, event.digits)
            else:
                outcome = ivr.on_played(self.core.config, session.ivr, event.tag)
            self._apply_ivr(session, outcome, now)
        elif session.phase is Phase.ANNOUNCING and event.tag == session.pending_tag:
            session.message_recorded = event.application == "record"  # (gone during the prompt: no message)
            self.core.emit_to(session, [Hangup(session.uuid, session.hangup_cause)])
            session.move_to(Phase.ENDED)
        elif session.phase is Phase.CALLBACK and event.tag == session.pending_tag:  # "we will call you back"
            self.core.emit_to(session, [Hangup(session.uuid)])

    # ----------------------------------------------------------------- queue
    def _enqueue(self, session: CallSession, step: ToQueue, now: float) -> None:
        queue = self.core.config.queues[step.queue]
        if self._left_ringing(session, step.queue):
            session.answer_by = now + queue.unanswered_wait_s
        else:
            self.core.answer(session)
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
            seq=self.core.store.next_seq(),
            caller_number=session.caller_number,
            caller_name=session.caller_name,
            skills=step.skills,
            outbound=session.connect_by is not None,  # a person a campaign reached: agents kept for its lines take it
        )
        self._join_queue(session, entry, now)

    def _left_ringing(self, session: CallSession, queue: str) -> bool:
        """Whether a caller who joins ``queue`` now waits unanswered (a toll-free line: no media, no RTP port, no
        charge): they hear the carrier's ringback, the agent's answer answers them (the bridge does), and they are
        answered after the queue's ``unanswered_wait_s`` if no agent has taken them by then."""
        return (not session.answered and session.connect_by is None
                and self.core.config.queues[queue].unanswered_wait_s > 0)

    def _rejoining(self, queue: str, caller: str, now: float) -> QueueEntry | None:
        """The place a caller left in ``queue`` by hanging up within its rejoin window, if any (taken once)."""
        window = self.core.config.queues[queue].rejoin_window_s
        if not window or not caller:
            return None
        for key in [key for key, (_, left_at) in self.gone.items() if now - left_at > window]:
            del self.gone[key]
        place = self.gone.pop((queue, caller), None)
        return place[0] if place is not None else None

    def requeue(self, session: CallSession, now: float) -> None:
        """A call its agent transferred to a queue is parked: it joins that queue as a new offer there (waiting
        from now), keeping its priority, skills, caller and contact history."""
        assert session.entry is not None and session.requeue_to is not None
        entry = replace(session.entry, queue=session.requeue_to, enqueued_at=now, seq=self.core.store.next_seq(),
                        attempts=0)
        session.requeue_to = None
        session.callee_leg = session.preview = None  # the next agent is rung from the caller's leg, as inbound
        self._join_queue(session, entry, now)

    def _join_queue(self, session: CallSession, entry: QueueEntry, now: float) -> None:
        """The call waits in ``entry``'s queue (a full queue or nobody logged in sends it to the queue's step; a
        campaign's call only ever leaves by its own connect deadline: the abandon message is the law there)."""
        core = self.core
        queue = core.config.queues[entry.queue]
        inbound = session.connect_by is None  # (a blast's caller who chose a queue in its IVR waits as inbound)
        if inbound and queue.max_length is not None and len(core.waiting[entry.queue]) >= queue.max_length:
            self._queue_full(session, entry.queue, now)
            return
        if inbound and queue.when_no_agents is not None and not queue.no_agents_wait_s and not core.anyone_logged_in(
                entry.queue):
            log.info("call %s: nobody is logged in to queue %s: %s", session.uuid, entry.queue, queue.when_no_agents)
            core.stats.overflowed(entry.queue)
            session.outcome = "overflowed"
            self.go(session, queue.when_no_agents, now)
            return
        core.store.add_entry(entry)
        session.entry, session.queued_at = entry, now
        core.wait(session)
        if inbound:
            core.joined[entry.queue] += 1
        log.info("call %s queued in %s (priority %d, %d waiting)",
                 session.uuid, entry.queue, entry.priority, len(core.waiting[entry.queue]))
        self.offers.dispatch(now)
        if session.phase is Phase.QUEUED:  # no agent at once: music (a ringing agent's caller hears ringback)
            core.start_music(session)
        if inbound and queue.announcements is not None and session.phase in (Phase.QUEUED, Phase.OFFERING):
            self._schedule_announcement(session, now + queue.announcements.first_after_s)

    def _queue_full(self, session: CallSession, queue_name: str, now: float) -> None:
        """A full queue gives the call straight to its overflow step (counted as offered and overflowed). Full
        queues overflowing into each other would loop: after ``_MAX_OVERFLOWS`` the call is refused."""
        session.overflows += 1
        self.core.stats.overflowed(queue_name)
        session.outcome = "overflowed"
        step = self.core.config.queues[queue_name].overflow
        if session.overflows > _MAX_OVERFLOWS:
            step = ToHangup("NORMAL_CIRCUIT_CONGESTION")
        log.info("call %s: queue %s is full: %s", session.uuid, queue_name, step)
        self.go(session, step, now)

    def overflow(self, session: CallSession, step: Step, why: str, now: float) -> None:
        """The call leaves its queue for ``step`` (counted as overflowed there), or becomes a callback at its place
        (not an overflow: the place is kept)."""
        assert session.entry is not None
        if (isinstance(step, ToCallback) and step.queue == session.entry.queue
                and wait.can_call_back(session.caller_number)):
            self.dial_outs.become_callback(session, step, now)
            return
        log.info("call %s in queue %s after %.0f s: %s: overflow to %s",
                 session.uuid, session.entry.queue, now - session.queued_at, why, step)
        self.core.leave_queue(session)
        session.left_queue_at = now
        self.core.stats.overflowed(session.entry.queue)
        self.core.emit_to(session, self.core.music_off(session))
        self.go(session, step, now)
        if not isinstance(step, ToQueue):  # queued again: that queue's outcome will count
            session.outcome = "overflowed"

    # ----------------------------------------------------------------- while waiting
    def on_key(self, event: Dtmf, now: float) -> None:
        """A waiting caller pressed a key: the queue's exit key or callback key act; others are ignored."""
        session = self.core.calls.get(event.uuid)
        if session is None or session.phase is not Phase.QUEUED or session.entry is None:
            return
        queue = self.core.config.queues[session.entry.queue]
        if queue.exit_key is not None and event.digit == queue.exit_key.key:
            self.overflow(session, queue.exit_key.step, f"the caller pressed {event.digit} to leave", now)
        elif queue.callback is not None and event.digit == queue.callback.key:
            if wait.can_call_back(session.caller_number):
                self.dial_outs.become_callback(session, ToCallback(session.entry.queue), now)
            else:
                log.info("call %s: callback refused: %r is not a number we dial", session.uuid, session.caller_number)

    def overflow_overdue(self, now: float) -> None:
        """Calls waiting longer than their queue allows, or with nobody logged in to serve them, overflow."""
        core = self.core
        for queue_name, entries in core.waiting.items():
            queue = core.config.queues[queue_name]
            inbound = [entry for entry in entries.values() if core.calls[entry.call].connect_by is None]
            for entry in overdue(inbound, queue.max_wait_s, now):
                self.overflow(core.calls[entry.call], queue.overflow, "waited too long", now)
            if queue.when_no_agents is not None and inbound and not core.anyone_logged_in(queue_name):
                for entry in overdue(inbound, queue.no_agents_wait_s, now):
                    if entry.call in entries:  # (not overflowed a moment ago)
                        self.overflow(core.calls[entry.call], queue.when_no_agents, "no agent logged in", now)

    def answer_ringing_callers(self, now: float) -> None:
        """No agent took a caller left ringing in time: answer them before the carrier gives up; they wait on
        with music (and announcements) at their place."""
        for session in [s for s in self.core.calls.values() if s.phase is Phase.QUEUED and s.answer_by is not None
                        and now >= s.answer_by]:
            log.info("call %s: no agent took it while it rang: answering it", session.uuid)
            session.answer_by = None
            self.core.answer(session)
            self.core.start_music(session)

    def requeue_unparked(self, now: float) -> None:
        """Calls transferred to a queue whose park never came: queued anyway."""
        for session in [s for s in self.core.calls.values()
                        if s.phase is Phase.REQUEUING and now > s.offer_deadline]:
            log.warning("call %s: no park event %.0f s after its transfer to queue %s: queuing it anyway",
                        session.uuid, OFFER_GRACE_S, session.requeue_to)
            self.requeue(session, now)

    def _schedule_announcement(self, session: CallSession, at: float) -> None:
        session.next_announcement = at
        heapq.heappush(self.announcements, (at, session.uuid))

    def announcements_due(self, now: float) -> None:
        while self.announcements and self.announcements[0][0] <= now:
            at, call = heapq.heappop(self.announcements)
            waiting = self.core.calls.get(call)
            if waiting is not None and waiting.next_announcement == at:
                self._announce(waiting, now)

    def _announce(self, session: CallSession, now: float) -> None:
        """The periodic announcement, if the caller still waits with our music (not while an agent rings)."""
        if session.phase not in (Phase.QUEUED, Phase.OFFERING) or session.entry is None:
            session.next_announcement = None
            return
        core = self.core
        queue = core.config.queues[session.entry.queue]
        assert queue.announcements is not None
        self._schedule_announcement(session, now + queue.announcements.every_s)
        if session.phase is not Phase.QUEUED or not session.music_on:
            return
        waiting = [*core.waiting[queue.name].values(),
                   *(s.entry for s in core.calls.values()
                     if s.phase is Phase.CALLBACK and s.caller_gone and s.entry and s.entry.queue == queue.name)]
        place = wait.position(session.entry, waiting, queue.aging_s, now)
        serving = sum(1 for agent_id in core.members[queue.name]
                      if core.agents[agent_id].serves(queue.name)
                      and core.agents[agent_id].state is not AgentState.ON_BREAK)
        aht = core.stats.queues[queue.name].aht or queue.default_aht_s
        offer = queue.callback.offer if queue.callback and wait.can_call_back(session.caller_number) else None
        core.emit_to(session, wait.announcement(
            session.uuid, queue.announcements, place, wait.expected_wait_s(place, serving, aht),
            offer, core.music(session), core.config.media.say_language,
            core.config.prompt_path, lambda: session.next_tag("wait")))

    # ----------------------------------------------------------------- the caller hangs up
    def abandons(self, event: HangingUp) -> bool:
        """A waiting caller (in the queue, or while an agent's phone rings) has abandoned from their hang-up on: the
        switch sends the agent leg's hang-up and the bridge's completion (ORIGINATOR_CANCEL) before the caller's
        hang-up completes (trace k), and neither may charge the agent or offer the call again. Every other channel
        ends at its ``HungUp``."""
        session = self.core.calls.get(event.uuid)
        return (session is not None and session.phase in (Phase.QUEUED, Phase.OFFERING)
                and session.uuid == event.uuid and not session.caller_gone and session.callee_leg is None
                and session.preview is None)

    def caller_hung_up(self, event: HungUp, now: float) -> None:
        """The caller's channel ended: abandoned in the queue (their place kept for the rejoin window), or the end
        of a talk; the contact's history record is written."""
        core = self.core
        session = core.calls.pop(event.uuid, None)
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
            core.leave_queue(session)
            core.stats.abandoned(session.entry.queue, now - session.queued_at)
            if core.config.queues[session.entry.queue].rejoin_window_s and session.caller_number:
                self.gone[(session.entry.queue, session.caller_number)] = (session.entry, now)
            for agent_id in ringing:
                # Not the agent's fault: they keep their place in the longest-idle line.
                core.agent_event(agent_id, agent_fsm.CallEnded(session.uuid, 0), now)
            if ringing:
                self.offers.dispatch(now)
        elif session.phase is Phase.CONNECTED:
            self.live.call_ended(session, now)
        if session.recording is not None and session.recording.state is not RecordingState.STOPPED:
            session.recording, _ = rec.apply(session.recording, RecordingEvent.HANGUP, now)
        core.record(contact_record(session, outcome, event.cause, now))

    def _note_switch_drop(self, session: CallSession, event: HungUp) -> None:
        """A caller the switch itself hung up because it could not carry them (an answer with no RTP port left):
        logged and counted, never silent (``ccswitch.admission`` exists so that this stays at 0)."""
        if event.cause in admission.SWITCH_DROP_CAUSES and session.connected_at is None:
            self.dropped_by_switch[(session.node, event.cause)] += 1
            log.warning("call %s: dropped by node %s while %s: %s (%s)", session.uuid, session.node,
                        session.phase.value, event.cause, admission.SWITCH_DROP_CAUSES[event.cause])
