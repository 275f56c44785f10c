"""Calls between channels on the simulated switch: originate (ring groups, the legs' far ends answering or
refusing), bridge, and transfer (switch_ivr_originate.c, switch_ivr_bridge.c, switch_ivr.c)."""

from __future__ import annotations

import logging
import uuid as uuid_lib
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from functools import partial

import gevent

from ccswitch.sim import people
from ccswitch.sim.channel import CallerProfile, Channel
from ccswitch.sim.dialstring import AppCall, DialTarget, atoi, parse_dial_string, switch_true
from ccswitch.sim.endpoints import Endpoint, resolve
from ccswitch.sim.people import Behaviour
from ccswitch.sim.session import SessionSwitch

log = logging.getLogger(__name__)

_DEFAULT_RING_TIMEOUT_S = 60.0
_GROUP_CONFIRM_VARS = (
    "group_confirm_key",
    "group_confirm_file",
    "group_confirm_error_file",
    "group_confirm_cancel_timeout",
    "group_confirm_read_timeout",
)


class CallSwitch(SessionSwitch):
    """The switch with calls between its channels: what the applications (bridge) and api commands (originate,
    uuid_transfer) run."""

    # ---- transfer
    # --------------------------------------------------------------------------------------------
    def transfer(self, ch: Channel, destination: str, dialplan: str | None = None, context: str | None = None) -> None:
        """switch_ivr.c switch_ivr_session_transfer: at once, the channel gets a new caller profile (the next
        Profile-Index; ``destination`` in the dialplan and context given, else its ``force_transfer_dialplan`` /
        ``force_transfer_context``, else its own, an ``inline`` one counting as none, then XML / default; RDNIS the
        old destination; a ``bl_xfer`` Transfer-Source, also in ``transfer_source`` / ``transfer_history``),
        ``max_forwards`` one less (70 when unset; at 0 it is hung up with EXCHANGE_ROUTING_ERROR), queued digits
        dropped and the state set to CS_ROUTING. Then its running apps stop (a bridge ends) and it routes to what
        ``extension_for`` finds there."""
        forward_var = "max_session_transfers" if ch.variables.get("max_session_transfers") else "max_forwards"
        forwards = atoi(ch.variables[forward_var]) - 1 if ch.variables.get(forward_var) else 70
        if forwards <= 0:
            self.hangup(ch, "EXCHANGE_ROUTING_ERROR")
            return
        ch.set_var(forward_var, str(forwards))
        ch.dtmf_queue.clear()  # switch_core_session_reset: no DTMF events for them
        ch.set_var("temp_hold_music", None)
        profile = ch.profile
        use_dialplan = dialplan or ch.variables.get("force_transfer_dialplan") or ""
        if not use_dialplan and profile.dialplan.lower() != "inline":
            use_dialplan = profile.dialplan
        use_dialplan = use_dialplan or "XML"
        use_context = context or ch.variables.get("force_transfer_context") or profile.context or "default"
        destination = destination or "service"
        peer = self._channels.get(ch.bridged_with or "")
        for bonded in (ch, peer):
            if bonded is not None:
                bonded.set_var("signal_bond", None)
        source = f"{int(self.clock.now())}:{uuid_lib.uuid4()}:bl_xfer:{destination}/{use_context}/{use_dialplan}"
        profile.transfer(destination, use_dialplan, use_context, source, self.now_us())
        ch.hit_dialplan = True
        ch.state = "CS_ROUTING"
        history = ch.variables.get("transfer_history")
        if history is None:
            ch.set_var("transfer_history", source)
        else:  # SWITCH_STACK_PUSH: the variable becomes an array, where it stands
            array = history if history.startswith("ARRAY::") else f"ARRAY::{history}"
            ch.variables["transfer_history"] = f"{array}|:{source}"
        ch.set_var("transfer_source", source)
        extension = self.extension_for(destination, use_dialplan, use_context)

        def route() -> None:
            call_state = ch.call_state
            self.set_call_state(ch, "RINGING")
            self.enter_state(ch, "CS_ROUTING")
            ch.state = "CS_EXECUTE"
            self.set_call_state(ch, call_state if call_state != "RINGING" else "ACTIVE")
            self.enter_state(ch, "CS_EXECUTE")
            ch.extension = extension

        ch.redirect = route
        ch.wake()

    # ---- originate and bridge
    # --------------------------------------------------------------------------------
    def originate(
        self, dial: str, originator: Channel | None = None, timeout_s: float | None = None
    ) -> tuple[Channel | None, str]:
        """switch_ivr_originate: ring the ``|``-separated groups of ``dial`` one after another, the ``,``-separated
        legs of a group together; returns the winning leg or the failure cause."""
        cause = "DESTINATION_OUT_OF_ORDER"
        for group in parse_dial_string(dial):
            leg, cause = self._ring_group(group, originator, timeout_s)
            if leg is not None:
                if originator is not None:  # switch_channel_pass_callee_id: the caller now shows whom it reached
                    originator.profile.callee_id_name = leg.profile.callee_id_name
                    originator.profile.callee_id_number = leg.profile.callee_id_number
                return leg, "SUCCESS"
            if originator is not None and originator.interrupted:
                return None, "ORIGINATOR_CANCEL"
        return None, cause

    def _ring_group(
        self, targets: Sequence[DialTarget], originator: Channel | None, timeout_s: float | None
    ) -> tuple[Channel | None, str]:
        """switch_ivr_originate's wait loop over legs ringing together (check_channel_status,
        check_per_channel_timeouts). The first leg to answer wins, unless it has ``group_confirm_key=exec``: then
        its ``group_confirm_file`` (``<app> <arg>``) runs on that leg first (collect_thread_run) while the others
        keep ringing, and the leg wins once the app returns with the leg still up. A ``group_confirm_timeout`` of
        N > 0 gives the leg N more seconds from its answer, 0 lifts its timeout. A leg with ``leg_delay_start``
        takes its session (and its share of the per-second budget) at once, as real FreeSWITCH does, and rings
        that much later. The losers are hung up with LOSE_RACE; every leg with ORIGINATOR_CANCEL when the
        originator hangs up or is transferred. Without a winner the cause is the first created leg's hang-up
        cause."""
        start = self.clock.now()
        legs = [self._planned_leg(target, originator, start, timeout_s) for target in targets]
        ring_wait_from = None
        if originator is not None and originator.up and originator.call_state != "RING_WAIT":
            ring_wait_from = originator.call_state  # while its bridge rings (traces k, l, n)
            self.set_call_state(originator, "RING_WAIT")
        while True:
            now = self.clock.now()
            cancelled = originator is not None and originator.interrupted  # hung up or transferred: not ready
            if not cancelled:
                for leg in legs:
                    self._far_end_acts(leg, now)
                self._start_due_legs(legs, originator, now)
            self._finish_failed_legs(legs)
            live = [leg.channel for leg in legs if leg.channel is not None and leg.channel.up]
            waiting = [leg for leg in legs if leg.channel is None and leg.cause is None]
            if cancelled or any(leg.won for leg in legs) or not (live or waiting):
                break

            def changed(live: list[Channel] = live) -> bool:
                return (
                    (originator is not None and originator.interrupted)
                    or any(leg.won for leg in legs)
                    or not all(ch.up for ch in live)
                )

            times = [when for leg in legs if (when := leg.next_change()) is not None]
            self.wait(live if originator is None else [*live, originator], min(times) - now if times else None, changed)
        winner = next((leg.channel for leg in legs if leg.won), None)
        for leg in legs:
            if leg.channel is not None and leg.channel is not winner and leg.channel.up:
                if winner is not None:
                    leg.channel.set_var("group_dial_status", "loser")
                self.hangup(leg.channel, "LOSE_RACE" if winner is not None else "ORIGINATOR_CANCEL")
        handed = self._cancelled_with(originator, legs) if cancelled and originator and not originator.up else []
        self._finish_failed_legs(legs)
        losers = [leg.channel for leg in legs
                  if leg.channel is not None and leg.channel is not winner and leg.channel not in handed]
        if winner is None:
            for loser in losers:  # the failed legs report their hang-up before the bridge gives up (trace n)
                loser.reported.wait()
        if ring_wait_from is not None and originator is not None and originator.up:
            self.set_call_state(originator, ring_wait_from)
        for loser in losers:  # originate lets go of them: they are destroyed (trace n: before the bridge returns)
            loser.released.set()
        if losers and winner is None:
            gevent.sleep(0)
        if winner is not None:
            for name in _GROUP_CONFIRM_VARS:  # check_channel_status unsets them on the winner
                winner.set_var(name, None)
            if originator is None:
                self._flip_to_callee(winner)
            return winner, "SUCCESS"
        if cancelled:
            return None, "ORIGINATOR_CANCEL"
        created = [leg.channel for leg in legs if leg.channel is not None]
        return None, (created[0].hangup_cause if created else legs[-1].cause) or "NO_ANSWER"

    def _cancelled_with(self, originator: Channel, legs: Sequence[RingingLeg]) -> list[Channel]:
        """The originator hung up while its legs rang (trace k): each leg it cancelled enters its hang-up state
        now, before the originator's bridge completes, and finishes in step with the originator (``_finish``):
        the leg's hang-up completes after that completion, and the leg is destroyed before the originator's own
        hang-up completes."""
        for leg in legs:
            channel = leg.channel
            if channel is not None and not leg.finishing and channel.hangup_cause == "ORIGINATOR_CANCEL":
                leg.finishing = True
                self._enter_hangup(channel)
                originator.cancelled_legs.append(channel)
        return originator.cancelled_legs

    def _planned_leg(
        self, target: DialTarget, originator: Channel | None, start: float, timeout_s: float | None
    ) -> RingingLeg:
        variables = dict(target.variables)
        if originator is not None:
            variables = {**_inherited(originator), **variables}
        delay = max(0, atoi(variables.get("leg_delay_start", "")))
        # switch_ivr_originate adds leg_delay_start to the leg's own timeout
        leg = RingingLeg(target, variables, start + delay, start + delay + _leg_timeout(variables, timeout_s))
        # switch_ivr_originate makes every leg's session at once, in the dial string's order, a delayed one too
        # (its state held back until its start): each takes its share of the per-second budget now
        endpoint = resolve(self, target.endpoint)
        if isinstance(endpoint, str):
            leg.cause = endpoint
            return leg
        refused = self.session_refused()
        if refused is not None:  # mod_sofia.c sofia_outgoing_channel: "Error Creating Session"
            log.info("leg to %s refused: %s", target.endpoint, refused)
            leg.cause = "DESTINATION_OUT_OF_ORDER"
        else:
            leg.endpoint = endpoint
        return leg

    def _start_due_legs(self, legs: Sequence[RingingLeg], originator: Channel | None, now: float) -> None:
        """Create the legs whose ``leg_delay_start`` has passed; with no leg left ringing, the next delayed ones
        start at once (check_per_channel_timeouts: ``active_channels == 0``)."""
        waiting = [leg for leg in legs if leg.channel is None and leg.cause is None]
        if waiting and not any(leg.channel is not None and leg.channel.up for leg in legs):
            shift = min(leg.start_at for leg in waiting) - now
            for leg in waiting:
                leg.start_at -= max(0.0, shift)
        for leg in waiting:
            if leg.start_at <= now:
                self._start_leg(leg, originator)

    def _start_leg(self, ringing: RingingLeg, originator: Channel | None) -> None:
        """The leg's channel (its session made when it was planned) and its first states, up to ringing (fs-traces
        b)."""
        ringing.start_at = self.clock.now()
        variables = ringing.variables
        endpoint = ringing.endpoint
        assert endpoint is not None  # (a leg that failed when planned has a cause and never starts)
        uuid = variables.get("origination_uuid") or str(uuid_lib.uuid4())
        cid_name = variables.get("origination_caller_id_name") or (
            originator.profile.caller_id_name if originator else ""
        )
        cid_number = variables.get("origination_caller_id_number") or (
            originator.profile.caller_id_number if originator else "0000000000"
        )
        profile = CallerProfile(
            direction="outbound",
            logical_direction="outbound",
            username="",
            dialplan=originator.profile.dialplan if originator else "",  # the A-leg's profile, cloned
            caller_id_name=cid_name,
            caller_id_number=cid_number,
            orig_caller_id_name=cid_name if originator else "",
            orig_caller_id_number=cid_number,
            callee_id_name="Outbound Call",
            callee_id_number=endpoint.destination,
            network_addr=originator.profile.network_addr if originator else "",
            ani=cid_number,
            destination_number=endpoint.destination,
            unique_id=uuid,
            source="src/switch_ivr_originate.c",
            context=originator.profile.context if originator else "default",
            channel_name=endpoint.channel_name,
            created_us=self.now_us(),
        )
        leg = self._new_channel(uuid, endpoint.channel_name, "outbound", profile)
        leg.presence_id = endpoint.presence_id
        leg.hit_dialplan = False
        leg.running_state = leg.state = "CS_NONE"
        if originator is not None:
            leg.other, leg.other_type = originator, "originator"
            leg.set_var("call_uuid", originator.variables.get("call_uuid", originator.uuid))  # joins its call
        for name, value in variables.items():
            leg.set_var(name, value)
        self.name_sofia_profile(leg)
        if ringing.target.endpoint.startswith("user/"):
            _set_dialed_user(leg, originator, endpoint.presence_id)
        self.fire_channel(leg, "CHANNEL_OUTGOING")
        self.enter_state(leg, "CS_INIT")
        leg.state = "CS_ROUTING"
        self.fire_channel(leg, "CHANNEL_CREATE")
        if not self.resources.take_port(leg.uuid):  # sofia_glue_do_invite: "Port Error!"
            log.info("leg %s: No audio RTP ports available!", leg.uuid)
            ringing.channel = leg
            self.hangup(leg, "DESTINATION_OUT_OF_ORDER")
            return
        self.fire_channel(leg, "CHANNEL_ORIGINATE")
        self.enter_state(leg, "CS_ROUTING")
        self.enter_state(leg, "CS_CONSUME_MEDIA")
        if endpoint.behaviour.kind != "not_acceptable":  # a 488 comes before any 180 (trace n)
            self.ring_ready(leg)
            self.set_call_state(leg, "RINGING")
            if originator is not None and not originator.answered:
                self.ring_ready(originator)
        ringing.channel, ringing.behaviour = leg, endpoint.behaviour
        leg.callee = endpoint.callee

    def _far_end_acts(self, ringing: RingingLeg, now: float) -> None:
        """The phone behind a ringing leg answers or refuses when its time comes; the leg's timeout hangs it up."""
        leg, behaviour = ringing.channel, ringing.behaviour
        if leg is None or behaviour is None or not leg.up or ringing.won:
            return
        outcome_at = ringing.outcome_at()
        if outcome_at is not None and now >= outcome_at:
            if behaviour.kind == "busy":
                self.hangup(leg, "USER_BUSY")
            elif behaviour.kind in ("wrong_codec", "not_acceptable"):
                # mod_sofia finds no codec in common in the 200's SDP (and hangs the leg up at once, without
                # CHANNEL_ANSWER), or the phone's 488 says so itself
                self.hangup(leg, "INCOMPATIBLE_DESTINATION")
            else:
                self._leg_answers(ringing)
        elif ringing.deadline is not None and now >= ringing.deadline:
            self.hangup(leg, "NO_ANSWER")

    def _leg_answers(self, ringing: RingingLeg) -> None:
        leg, behaviour = ringing.channel, ringing.behaviour
        assert leg is not None and behaviour is not None
        self._media_up(leg)
        self._mark_answered(leg)
        people.hangs_up_after(self, leg, behaviour.talk_s)
        key = ringing.variables.get("group_confirm_key")
        if not key:
            ringing.won = True
            return
        extend = ringing.variables.get("group_confirm_timeout", "")
        if extend.isdigit():
            ringing.deadline = self.clock.now() + int(extend) if int(extend) > 0 else None
        if key == "exec":
            ringing.confirm = self.spawn(self._confirm, ringing)
        else:
            log.warning("leg %s: group_confirm_key %s: the simulated agent never presses it", leg.uuid, key)

    def _confirm(self, ringing: RingingLeg) -> None:
        """switch_ivr_originate.c collect_thread_run for ``group_confirm_key=exec``: the app runs on the answered
        leg; if the leg is still up afterwards it is the winner."""
        leg = ringing.channel
        assert leg is not None
        app, _, arg = ringing.variables.get("group_confirm_file", "").partition(" ")
        if not app:
            return
        if not self.execute(leg, app, arg):
            self.hangup(leg, "DESTINATION_OUT_OF_ORDER")
        elif leg.up:
            leg.set_var("group_dial_status", "winner")
            ringing.won = True
            leg.wake()

    def _flip_to_callee(self, leg: Channel) -> None:
        """An originated leg without an A-leg shows the callee as its caller once answered (fs-traces b)."""
        leg.hit_dialplan = True
        _flip_caller_id(leg.profile)
        self.fire_channel(
            leg,
            "CALL_UPDATE",
            pre=[("Direction", "RECV")],
            calling=("switch_channel.c", "switch_channel_flip_cid", 3279),
        )

    def _finish_failed_legs(self, legs: Sequence[RingingLeg]) -> None:
        """Each leg that went down while ringing finishes in its own session (HANGUP_COMPLETE, DESTROY); a
        running confirm app returns (EXECUTE_COMPLETE) first."""

        def finish(leg: Channel, confirm: gevent.Greenlet | None) -> None:
            if confirm is not None:
                confirm.join()
            if leg.other_type != "originator":
                leg.released.set()  # no bridge holds it (api originate); else the originate releases it
            self._finish(leg)

        for leg in legs:
            if leg.channel is not None and not leg.channel.up and not leg.finishing:
                leg.finishing = True
                self.spawn(finish, leg.channel, leg.confirm)

    def start_leg_session(self, leg: Channel, extension: list[AppCall]) -> None:
        """An originated leg runs ``&app(...)`` (or an inline/XML extension) in its own session."""
        leg.extension = extension
        self.spawn(self._run_session, leg)

    def start_peer_session(self, leg: Channel) -> None:
        """A B-leg bridged from another session runs no apps of its own: it lives until hung up, or until a
        transfer takes it out of the bridge into a dialplan of its own."""

        def session() -> None:
            # an app its bridge thread runs (run_in_bridge) returns before the session goes on
            self.wait([leg], None, lambda: (not leg.up or leg.redirect is not None) and not leg.bridge_events)
            self._session_loop(leg)

        self.spawn(session)

    @staticmethod
    def pair(a: Channel, b: Channel) -> None:
        """Make ``a`` the originator and ``b`` the originatee (Other-Type / Other-Leg-* and the bridge
        variables)."""
        a.other, a.other_type = b, "originatee"
        b.other, b.other_type = a, "originator"
        for ch, peer in ((a, b), (b, a)):
            CallSwitch._set_bridge_vars(ch, peer)

    @staticmethod
    def _set_bridge_vars(ch: Channel, peer: Channel) -> None:
        ch.set_var("bridge_channel", peer.name)
        ch.set_var("bridge_uuid", peer.uuid)
        ch.set_var("signal_bond", peer.uuid)

    def bridge(self, a: Channel, b: Channel) -> None:
        """switch_ivr_multi_threaded_bridge, run in ``a``'s session until either side hangs up."""
        if a.other is not b:
            self.pair(a, b)
            b.set_var("call_uuid", a.uuid)
        a.bridged_with, b.bridged_with = b.uuid, a.uuid
        a.profile.bridged_us = b.profile.bridged_us = self.now_us()
        bridge_ids = [("Bridge-A-Unique-ID", a.uuid), ("Bridge-B-Unique-ID", b.uuid)]
        self.fire_channel(a, "CHANNEL_BRIDGE", pre=bridge_ids)
        self.enter_state(b, "CS_EXCHANGE_MEDIA")
        for ch, peer in ((a, b), (b, a)):
            if ch is b:  # the B-leg's own bridge thread sets its bridge variables again
                self._set_bridge_vars(b, a)
            self.fire_channel(ch, "CALL_UPDATE", pre=_call_update_headers(peer, *_display(peer, ch, a)))
        for ch in (a, b):
            people.caller_reaches_person(self, ch)
        # Either side hanging up or being transferred (CF_TRANSFER) ends the bridge; a B-leg left behind alone is
        # hung up (switch_ivr_bridge.c audio_bridge_on_exchange_media), a transferred one goes its own way. Each
        # side's bridge thread dequeues its channel's digits (DTMF) and sends them on to the other phone.
        # A leg whose bridge thread runs an app (run_in_bridge) passes nothing on meanwhile.
        def passing(ch: Channel) -> bool:
            return bool(ch.dtmf_queue) and not ch.bridge_events

        while True:
            self.wait([a, b], None, lambda: a.interrupted or b.interrupted or passing(a) or passing(b))
            if a.interrupted or b.interrupted:
                break
            for ch in (a, b):
                while passing(ch):
                    self.dequeue_dtmf(ch)
        self.wait([a], None, lambda: not a.bridge_events)  # A's own bridge thread: its app returns first
        if b.up and b.redirect is None and switch_true(b.variables.get("park_after_bridge")):
            b.redirect = partial(self._park_session, b)  # switch_ivr_park_session, not a hang-up
        elif b.up and b.redirect is None:
            self.hangup(b, a.hangup_cause or "NORMAL_CLEARING")
        if not b.up:
            b.reported.wait()
        a.bridged_with = b.bridged_with = None
        self.fire_channel(a, "CHANNEL_UNBRIDGE", pre=bridge_ids)
        b.set_var("call_uuid", b.uuid)  # unlinked from the A-leg's call again
        b.released.set()
        b.wake()

@dataclass
class RingingLeg:
    """One leg of a ring group while originate waits: planned (``channel`` None until ``start_at``), failed at
    creation (``cause``: its endpoint or session refused), or ringing / confirming / won."""

    target: DialTarget
    variables: dict[str, str]
    start_at: float
    deadline: float | None
    channel: Channel | None = None
    behaviour: Behaviour | None = None
    cause: str | None = None
    endpoint: Endpoint | None = None  # resolved, and its session made, when the leg was planned
    confirm: gevent.Greenlet | None = None
    won: bool = False
    finishing: bool = False

    def outcome_at(self) -> float | None:
        """When the far end answers or refuses (None: it never does, or it already answered)."""
        if self.behaviour is None or self.channel is None or self.channel.answered:
            return None
        after_s = self.behaviour.acts_after_s
        return None if after_s is None else self.start_at + after_s

    def next_change(self) -> float | None:
        """The next time the wait loop must look at this leg."""
        if self.channel is None:
            return self.start_at if self.cause is None else None
        if not self.channel.up or self.won:
            return None
        times = [t for t in (self.outcome_at(), self.deadline) if t is not None]
        return min(times) if times else None


def _display(peer: Channel, ch: Channel, originator: Channel) -> tuple[str, str]:
    """switch_ivr_bridge.c send_display: the (name, number) ``peer`` shows ``ch`` at the bridge. The originator
    shows the other leg's own caller ID; the originated leg shows its callee ID (whom the call reached)."""
    if peer is originator:
        return (ch.profile.caller_id_name or peer.profile.caller_id_name,
                ch.profile.caller_id_number or peer.profile.caller_id_number)
    return peer.profile.callee_id_name, peer.profile.callee_id_number or peer.profile.destination_number


def _call_update_headers(peer: Channel, name: str, number: str) -> list[tuple[str, str]]:
    return [
        ("Direction", "SEND"),
        ("Sent-Callee-ID-Name", name or number),
        ("Sent-Callee-ID-Number", number),
        ("Bridged-To", peer.uuid),
    ]


def _flip_caller_id(profile: CallerProfile) -> None:
    """switch_channel_flip_cid: an originated leg without an A-leg shows the callee as its caller once
    answered."""
    profile.caller_id_name, profile.callee_id_name = profile.callee_id_name, profile.caller_id_name
    profile.caller_id_number, profile.callee_id_number = profile.callee_id_number, profile.caller_id_number


def _set_dialed_user(leg: Channel, originator: Channel | None, user_at_domain: str) -> None:
    """mod_dptools.c user_outgoing_channel: the leg ringing a directory user carries ``dialed_user`` /
    ``dialed_domain`` (and ``presence_id`` unless the dial string gave one); the calling session gets the first two
    as well."""
    user, _, domain = user_at_domain.partition("@")
    leg.set_var("dialed_user", user)
    leg.set_var("dialed_domain", domain)
    if "presence_id" not in leg.variables:
        leg.set_var("presence_id", user_at_domain)
    if originator is not None:
        originator.set_var("dialed_user", user)
        originator.set_var("dialed_domain", domain)


def _inherited(originator: Channel) -> dict[str, str]:
    # Variables exported with export / the nolocal: prefix travel to the B-leg (switch_ivr_originate).
    names = originator.variables.get("export_vars", "")
    return {name: originator.variables[name] for name in names.split(",") if name in originator.variables}


def _leg_timeout(variables: Mapping[str, str], timeout_s: float | None) -> float:
    for name in ("leg_timeout", "originate_timeout", "call_timeout"):
        if variables.get(name, "").isdigit():
            return float(variables[name])
    return timeout_s if timeout_s is not None else _DEFAULT_RING_TIMEOUT_S
