"""Live call control: what happens to a connected call. The agent holds, mutes, hangs up, blind-transfers it (to
an extension: the caller leaves for the dialplan; to a queue: the caller is parked and, once parked, queued again
with its priority and skills) or consults a third party (attended transfer: complete, cancel, three-way). Either
way of transferring ends the agent's part (wrap-up follows). The agent's desk phone does the same with feature
codes (``*1``/``*2``/``*3``…, ``ccswitch.feature_codes``). The call's recording starts at the bridge if its policy
picks it, and is masked and unmasked on request. Owns the consultation legs."""

from __future__ import annotations

import uuid as uuidlib
from typing import TYPE_CHECKING

from ccswitch.acd import agents as agent_fsm
from ccswitch.calls import CallAction, CallControl, CallSession, Phase
from ccswitch.channel_events import FeatureCode, HungUp
from ccswitch.effects import Hangup, Requeue
from ccswitch.engine.core import OFFER_GRACE_S, Core, log
from ccswitch.errors import CcswitchError, InvalidTransition, UnknownChoiceError, UnknownNameError, UnsafeValueError
from ccswitch.media import control as ctl
from ccswitch.media import recording as rec
from ccswitch.media.recording import RecordingEvent, RecordingSession

if TYPE_CHECKING:  # peers, wired by the engine
    from ccswitch.engine.inbound import InboundPath
    from ccswitch.engine.offers import Offers

_TRANSFER_EVENTS = {CallAction.COMPLETE: ctl.TransferEvent.COMPLETE, CallAction.CANCEL: ctl.TransferEvent.CANCEL,
                    CallAction.CONFERENCE: ctl.TransferEvent.CONFERENCE}

_ALREADY = {CallAction.HOLD: "on hold", CallAction.UNHOLD: "off hold", CallAction.MUTE: "muted",
            CallAction.UNMUTE: "unmuted"}


class LiveCalls:
    inbound: InboundPath
    offers: Offers

    def __init__(self, core: Core) -> None:
        self.core = core
        self.consult_legs: dict[str, str] = {}  # an attended transfer's target leg -> call

    def owns(self, uuid: str) -> bool:
        """Whether ``uuid`` is the leg of a party an agent consults."""
        return uuid in self.consult_legs

    # ----------------------------------------------------------------- the agent's requests
    def control(self, target: str, action: CallAction, now: float, *, to: str | None = None,
                context: str = "default", queue: str | None = None) -> CallControl:
        """The agent on the connected call of ``target`` (an agent id or a call uuid) holds, mutes or blind-transfers
        it (``to`` an extension in ``context``, or to ``queue``). Every check comes before any effect:
        UnknownNameError (call, agent or queue), InvalidTransition (not connected, or already in that state),
        UnsafeValueError (a destination FreeSWITCH must not be given)."""
        call = self.core.connected_call(target)
        assert call.agent is not None and call.agent_leg is not None
        agent, agent_leg = call.agent, call.agent_leg
        controls = call.controls or ctl.AgentLegControls(call.uuid, agent_leg)
        if action is CallAction.TRANSFER:
            effects = self._transfer(call, to, context, queue, now)
        elif action is CallAction.CONSULT:
            effects = self._consult(call, to, context)
            self.core.recent_sessions.created(call.node, now, 2)  # loopback's two legs (asked for: not deferred)
        elif action in _TRANSFER_EVENTS:
            if call.consult is None:
                raise InvalidTransition(f"call {call.uuid}: no attended transfer in progress (consult first)")
            effects = self._consult_step(call, _TRANSFER_EVENTS[action], now)
        elif action is CallAction.HANGUP:  # the hang-up that follows ends the call as usual
            effects = [Hangup(call.uuid)]
        else:
            if action in (CallAction.HOLD, CallAction.UNHOLD):
                call.controls, effects = ctl.set_hold(controls, action is CallAction.HOLD, self.core.music(call))
            else:
                call.controls, effects = ctl.set_mute(controls, action is CallAction.MUTE)
            if not effects:
                raise InvalidTransition(f"call {call.uuid} is already {_ALREADY[action]}")
            controls = call.controls
        self.core.emit_to(call, [effect for effect in effects if not isinstance(effect, Requeue)])
        log.info("call %s: agent %s %s%s", call.uuid, agent, action.value,
                 f" to {call.transferred_to}" if action is CallAction.TRANSFER else "")
        return CallControl(call.uuid, agent, agent_leg, controls.held, controls.muted, call.transferred_to,
                           call.consult.state.value if call.consult else None)

    def on_feature(self, event: FeatureCode, now: float) -> None:
        """The agent pressed a feature code on their desk phone (``ccswitch.feature_codes``): ``control`` on their own
        connected call, hold and mute toggling. Refusals are logged, never raised; keys pressed on any other channel
        (not the agent leg of a live call) are ignored."""
        call = self.core.calls.get(self.core.agent_legs.get(event.uuid, ""))
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

    def recording(self, call: str, pause: bool, now: float) -> RecordingSession:
        """Pause (mask: silence is written, so the file keeps its length) or resume a call's recording, e.g.
        while the caller gives card details. Raises UnknownNameError for an unknown call, InvalidTransition when
        the call is not being recorded or already in the state asked for."""
        session = self.core.calls.get(call)
        if session is None:
            raise UnknownNameError(f"unknown call '{call}'")
        if session.recording is None:
            raise InvalidTransition(f"call {call} is not being recorded")
        event = RecordingEvent.MASK if pause else RecordingEvent.UNMASK
        session.recording, effects = rec.apply(session.recording, event, now)
        self.core.emit_to(session, effects)
        log.info("call %s: recording %s", call, session.recording.state.value)
        return session.recording

    # ----------------------------------------------------------------- the call's life
    def start_recording(self, session: CallSession, now: float) -> None:
        """At the bridge, if the queue's policy picks this call: announce, then record the caller's channel."""
        assert session.entry is not None and session.agent is not None
        config = self.core.config
        policy = session.recording_policy or config.queues[session.entry.queue].recording
        if session.recording is not None or not rec.should_record(policy, session.uuid):  # one per call
            return
        where = config.recordings
        path = rec.recording_path(where.path_template, now, config.timezone, queue=session.entry.queue,
                                  agent=session.agent, caller=session.caller_number, uuid=session.uuid)
        announcement = config.prompt_path(policy.announce) if policy.announce else None
        session.recording, effects = rec.start(session.uuid, session.entry.queue, session.agent,
                                               f"{where.switch_dir}/{path}", policy.stereo, now, announcement)
        self.core.emit_to(session, effects)
        log.info("call %s: recording to %s", session.uuid, session.recording.path)

    def call_ended(self, session: CallSession, now: float) -> None:
        """The agent's part of a connected call is over (hang-up, transfer): talk time, wrap-up, next offers."""
        assert session.agent is not None and session.entry is not None and session.connected_at is not None
        self.core.stats.talked(session.agent, now - session.connected_at)
        wrap_up = self.core.wrap_up(session.agent, session.entry.queue)
        self.core.stats.handled(session.entry.queue, now - session.connected_at + wrap_up)
        self.core.agent_event(session.agent, agent_fsm.CallEnded(session.uuid, wrap_up), now)
        session.move_to(Phase.ENDED)
        session.talk_ended_at, session.wrap_up_s = now, wrap_up
        self.offers.dispatch(now)

    def agent_leg_ended(self, event: HungUp, now: float) -> None:
        """The agent's leg ended. While ringing, the caller's bridge completion (or the originate's -ERR, which may
        come after this: trace n) reports why, and forgets the leg then; once talking, the call is over."""
        session = self.core.calls.get(self.core.agent_legs[event.uuid])
        if session is not None and session.phase is Phase.OFFERING and event.uuid in session.ringing.values():
            return
        del self.core.agent_legs[event.uuid]
        if session is None or session.phase is not Phase.CONNECTED or session.agent_leg != event.uuid:
            return
        if event.transferred_to is not None:  # their phone's transfer button: the caller goes there
            log.info("call %s: agent %s transferred it from their phone to %s", session.uuid, session.agent,
                     event.transferred_to)
            session.outcome, session.transferred_to, session.controls = "transferred", event.transferred_to, None
        consulting = session.consult is not None and session.consult.state is ctl.TransferState.CONSULTING
        if session.consult is not None:
            self.consult_event(session, ctl.TransferEvent.AGENT_GONE, now)
        self.call_ended(session, now)
        if consulting:  # the agent hung up mid-transfer: the parked caller queues again
            assert session.entry is not None
            session.requeue_to = session.entry.queue
            session.agent = session.agent_leg = None
            self.inbound.requeue(session, now)

    def consult_leg_ended(self, event: HungUp, now: float) -> None:
        """The party an agent consulted hung up: after a completed transfer the caller's call is over too."""
        owner = self.core.calls.get(self.consult_legs.pop(event.uuid))
        if owner is None or owner.consult is None:
            return
        if owner.consult.state is ctl.TransferState.COMPLETED:  # the caller's new partner hung up
            owner.consult = None
            self.core.emit_to(owner, [Hangup(owner.uuid)])
        else:
            self.consult_event(owner, ctl.TransferEvent.TARGET_GONE, now)

    def rejoin_agent(self, call: CallSession) -> None:
        """The agent's leg parked after a cancelled consultation: bridge the caller with the agent again."""
        assert call.rejoin_agent is not None
        self.core.emit_to(call, ctl.rejoin_agent(call.rejoin_agent))
        call.rejoin_agent = None

    def consult_event(self, call: CallSession, event: ctl.TransferEvent, now: float) -> None:
        """The switch ended part of an attended transfer (the target or the agent hung up)."""
        self.core.emit_to(call, [e for e in self._consult_step(call, event, now) if not isinstance(e, Requeue)])

    # ----------------------------------------------------------------- transfers
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
        ring_timeout = self.core.config.queues[call.entry.queue].ring_timeout_s
        call.consult, effects = ctl.consult(call.uuid, call.agent_leg, target_leg, endpoint, ring_timeout,
                                            caller_is_bleg=call.callee_leg is not None)
        call.consult_target = to
        self.consult_legs[target_leg] = call.uuid
        return effects

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
            effects = [*self.core.music_off(call), *effects]  # back in a bridge: no more waiting music
        if state in (ctl.TransferState.CANCELLED, ctl.TransferState.ABANDONED):  # over; a completed one lives on
            self.consult_legs.pop(call.consult.target_leg, None)  # until the target hangs up
            call.consult = None
        if state is ctl.TransferState.COMPLETED:
            assert call.agent_leg is not None
            self.core.agent_legs.pop(call.agent_leg, None)
            self.call_ended(call, now)
            call.outcome, call.transferred_to, call.controls = "transferred", call.consult_target, None
        log.info("call %s: attended transfer %s -> %s", call.uuid, event.value, state.value)
        return effects

    def _transfer(self, call: CallSession, to: str | None, context: str, queue: str | None,
                  now: float) -> list[ctl.AnyEffect]:
        """A blind transfer: the agent's part of the call ends now (talk time, wrap-up); the hang-up of their leg
        that FreeSWITCH sends next finds nothing left to do."""
        if (to is None) == (queue is None):
            raise UnsafeValueError("a transfer goes to an extension or to a queue: give exactly one")
        queues = self.core.config.queues
        if queue is not None:
            if queue not in queues:
                raise UnknownChoiceError(f"unknown queue '{queue}' (known: {', '.join(sorted(queues))})")
            effects = ctl.transfer_to_queue(call.uuid, queue)
            destination = f"queue:{queue}"
        else:
            assert to is not None
            effects = ctl.transfer_to_extension(call.uuid, to, context)  # raises UnsafeValueError
            destination = to
        assert call.agent_leg is not None
        self.core.agent_legs.pop(call.agent_leg, None)
        self.call_ended(call, now)
        call.transferred_to, call.controls = destination, None
        if queue is not None:
            call.move_to(Phase.REQUEUING)
            call.requeue_to = queue
            call.offer_deadline = now + OFFER_GRACE_S  # by then FreeSWITCH has said it is parked, or we assume it
            call.agent = call.agent_leg = None
        else:
            call.outcome = "transferred"
        return effects
