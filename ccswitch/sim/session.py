"""A channel's session on the simulated switch: its applications, the messages queued for it, answer and
hang-up, digits and media.

Theory of operation. Like FreeSWITCH, every channel has one session greenlet that runs its dialplan apps one
after another; api commands run in the caller's greenlet and only change state, fire the events FreeSWITCH fires
from the api thread (``CHANNEL_HANGUP``, ``CHANNEL_ANSWER`` ...) and wake the session, which then fires the rest
(``CHANNEL_UNPARK``, ``CHANNEL_EXECUTE_COMPLETE``, the hang-up states). Waiting apps (park, playback, bridge)
wait on the channel's signal with a deadline in the switch clock's time, so a ScaledClock speeds everything up
alike. Messages queued by sendmsg / uuid_broadcast run inside whatever application is waiting when they arrive
(``drain_inbox``): sent back to back, each runs inside the one before unless it was sent with ``event-lock``
(fs-traces j). Event sequences are taken from fs-traces (a, b, c, d, e, j); see the module ``apps`` for the
applications and ``api`` for the api commands.
"""

from __future__ import annotations

import logging
import uuid as uuid_lib
from abc import ABC, abstractmethod
from collections.abc import Callable

import gevent

from ccswitch.sim.channel import Q850, Channel, Message, MetaApp
from ccswitch.sim.core import Executed, Hangup, SwitchCore
from ccswitch.sim.dialstring import AppCall, parse_broadcast_path, switch_true

log = logging.getLogger(__name__)

#: A dialplan application bound to the switch it runs on: it runs on the channel with the argument given.
BoundApp = Callable[[Channel, str], None]
#: The module an application comes from, where it is not mod_dptools (the simulator's other apps are its).
APP_MODULES = {"amd": "mod_amd"}


class SessionSwitch(SwitchCore, ABC):
    """The switch as the channels' sessions see it; the applications they run are plugged in by the module that
    builds the whole switch (``ccswitch.sim.switch``), as they use every part of it."""

    @abstractmethod
    def application(self, name: str) -> BoundApp | None:
        """The dialplan application ``name`` bound to this switch; None: there is none of that name."""

    # ---- the session
    # -----------------------------------------------------------------------------------------
    def _run_session(self, ch: Channel) -> None:
        ch.set_var("call_uuid", ch.uuid)
        self.enter_state(ch, "CS_EXECUTE")
        self._session_loop(ch)

    def _session_loop(self, ch: Channel) -> None:
        while ch.up:
            self._run_extension(ch)
            # A transferred B-leg leaves its bridge first: the A side's bridge sees it taken (CF_TRANSFER) and
            # unbridges without hanging it up; only then does it route (switch_ivr_bridge.c
            # audio_bridge_on_exchange_media returns before the new state runs).
            self.wait([ch], None, lambda: ch.redirect is None or ch.bridged_with is None or not ch.up)
            if ch.redirect is not None and ch.up:
                redirect, ch.redirect = ch.redirect, None
                redirect()
                continue
            if ch.up:
                self.hangup(ch, "NORMAL_CLEARING")  # the dialplan ran out of apps
        self._finish(ch)

    def _run_extension(self, ch: Channel) -> None:
        for call in ch.extension:
            self.drain_inbox(ch)
            if ch.interrupted:
                return
            self.execute(ch, call.app, call.arg)
            if ch.interrupted:
                return
        ch.extension = []
        self.drain_inbox(ch)

    def drain_inbox(self, ch: Channel) -> None:
        """switch_ivr_parse_all_events: run the queued sendmsg / broadcast messages that may run now, right here.
        Every waiting application calls it (park, playback, sleep, digit collection, record: ``app_wait``), so a
        message queued while an application runs starts INSIDE it, which waits until it returns (fs-traces j). It
        stops after a message that leaves a break pending (switch_ivr_parse_event returns SWITCH_STATUS_BREAK)."""
        while self.runnable(ch) and not ch.interrupted:
            message = ch.inbox.popleft()
            if message.command == "hangup":
                self.hangup(ch, message.hangup_cause)
                return
            self._execute_message(ch, message)
            if ch.break_requested:
                return

    @staticmethod
    def runnable(ch: Channel) -> bool:
        """switch_core_session_dequeue_private_event gives a message: one is queued and no message sent with
        ``event-lock: true`` is running (CF_EVENT_LOCK)."""
        return bool(ch.inbox) and not ch.event_locks

    def app_wait(self, ch: Channel, seconds: float | None, until: Callable[[], bool]) -> bool:
        """An application's wait for ``until()`` (up to ``seconds`` of clock time; None: forever), running the
        messages queued meanwhile inside it (``drain_inbox``); the time they take counts towards ``seconds``, as
        for switch_ivr_sleep and switch_ivr_collect_digits_count. Returns whether ``until()`` became true."""
        deadline = None if seconds is None else self.clock.now() + seconds
        while True:
            remaining = None if deadline is None else deadline - self.clock.now()
            self.wait([ch], remaining, lambda: until() or self.runnable(ch))
            if until():
                return True
            if ch.interrupted or not self.runnable(ch):
                return False
            self.drain_inbox(ch)

    def _execute_message(self, ch: Channel, message: Message) -> None:
        # switch_ivr.c switch_ivr_parse_event: event-lock, app_uuid, current_loop / total_loops around each run.
        if message.app is None:
            return
        # loops < 0 repeats until the channel is interrupted or hung up, uuid_break stops the broadcast, or a run
        # ends within 0.5 s (a failing app must not spin): the same exits as the real loop. Each run is a new
        # application: with no Event-UUID each has an Application-UUID of its own (fs-traces j).
        locks = 1 if message.event_lock else 0
        ch.event_locks += locks
        ch.stop_broadcast = False
        outer = not ch.broadcasting
        ch.broadcasting = True
        ch.wake()  # a hold-bleg partner waits for this (switch_channel_wait_for_flag CF_BROADCAST)
        held = self._hold_partner(ch) if message.hold_bleg else None
        loop = 0
        while message.loops < 0 or loop < message.loops:
            if message.event_uuid:
                ch.set_var("app_uuid", message.event_uuid)
            ch.set_var("current_loop", str(loop + 1))
            ch.set_var("total_loops", str(message.loops))
            started = self.clock.now()
            self.execute(ch, message.app.app, message.app.arg, message.event_uuid)
            loop += 1
            if ch.interrupted or not ch.up or ch.stop_broadcast or self.clock.now() - started < 0.5:
                break
        ch.set_var("current_loop", None)
        ch.set_var("total_loops", None)
        if held is not None:
            ch.holding_partner = False
            self.stop_broadcast(held)
            self.wait([held], 5.0, lambda: not held.broadcasting)
        if outer or ch.stop_broadcast:
            ch.broadcasting = False
        if ch.stop_broadcast:  # CF_BREAK again: the application this one ran inside stops as well (uuid_break)
            ch.break_requested = True
        ch.event_locks -= locks
        ch.wake()  # with the lock gone, a queued message may run

    def _hold_partner(self, ch: Channel) -> Channel | None:
        """switch_ivr.c switch_ivr_parse_event, ``hold-bleg`` on a bridged leg not already holding its partner:
        the partner plays hold music while the app runs (switch_ivr_broadcast SMF_ECHO_ALEG | SMF_LOOP, waited for up
        to 5 s; stopped after the app with switch_channel_stop_broadcast). The music is the partner's
        ``temp_hold_music`` / ``hold_music``, else this leg's (switch_channel_get_hold_music_partner,
        switch_channel_get_hold_music; a global ``hold_music``, as vanilla vars.xml sets, serves both); none,
        ``silence`` or ``indicate_hold`` play nothing (switch_is_moh). Returns the partner if it plays."""
        partner = self._channels.get(ch.bridged_with or "")
        if partner is None or ch.holding_partner:
            return None
        stream = self._hold_music(partner) or self._hold_music(ch)
        if not stream or stream.lower() in ("silence", "indicate_hold"):
            return None
        ch.holding_partner = True
        self.run_in_bridge(partner, Message("execute", parse_broadcast_path(stream), loops=-1, event_lock=True))
        self.wait([partner], 5.0, lambda: partner.broadcasting or not partner.up)
        return partner

    def _hold_music(self, ch: Channel) -> str:
        music = self.variable(ch, "temp_hold_music") or self.variable(ch, "hold_music") or ""
        return self.expand(ch, music)

    def queue_message(self, ch: Channel, message: Message) -> None:
        ch.inbox.append(message)
        ch.wake()

    def deliver_message(self, ch: Channel, message: Message) -> None:
        """A private event (sendmsg, uuid_broadcast, a bound meta app) for ``ch``: a bridged leg's own bridge thread
        runs it at once (switch_ivr_bridge.c audio_bridge_thread parses the leg's private events); any other leg
        finds it in its queue when its current application next looks (switch_ivr_parse_all_messages)."""
        if ch.bridged_with:
            self.run_in_bridge(ch, message)
        else:
            self.queue_message(ch, message)

    def run_in_bridge(self, ch: Channel, message: Message) -> None:
        """A private event on a bridged leg: the leg's own bridge thread runs it at once (switch_ivr_bridge.c
        audio_bridge_thread -> switch_ivr_parse_next_event) and passes none of the leg's digits on meanwhile: an
        app such as ``read`` dequeues them itself."""
        ch.bridge_events += 1

        def run() -> None:
            try:
                self._execute_message(ch, message)
            finally:
                ch.bridge_events -= 1
                ch.wake()

        self.spawn(run)

    def stop_broadcast(self, ch: Channel) -> None:
        """switch_channel.h switch_channel_stop_broadcast: a running sendmsg / broadcast app stops, loops and all."""
        if ch.broadcasting:
            ch.stop_broadcast = True
            ch.break_requested = True
            ch.wake()

    def execute(self, ch: Channel, app: str, arg: str, app_uuid: str | None = None) -> bool:
        """switch_core_session_exec: CHANNEL_EXECUTE, run, CHANNEL_EXECUTE_COMPLETE. False: no such app (or its
        module is not loaded): then, as switch_core_session_execute_application_get_flags does, no event for it and
        the channel is hung up DESTINATION_OUT_OF_ORDER ("Invalid Application", trace m)."""
        run = self.application(app)
        if run is None or APP_MODULES.get(app, "mod_dptools") not in self.modules:
            log.warning("channel %s: Invalid Application %s", ch.uuid, app)
            self.hangup(ch, "DESTINATION_OUT_OF_ORDER")
            return False
        if not switch_true(ch.variables.get("app_disable_expand_variables")):
            arg = self.expand(ch, arg)  # switch_core_session_exec: what the app and the events get
        app_uuid = app_uuid or str(uuid_lib.uuid4())
        ch.set_var("current_application", app)
        if arg:
            ch.set_var("current_application_data", arg)
        ch.set_var("current_application_response", None)  # an app that sets none completes with "_none_"
        data = [("Application-Data", arg)] if arg else []
        self.fire_channel(ch, "CHANNEL_EXECUTE", post=[("Application", app), *data, ("Application-UUID", app_uuid)])
        ch.set_var("current_application", app)  # set again once running, as the traces show
        ch.apps_executed.append(AppCall(app, arg))
        self.executed.append(Executed(ch.uuid, app, arg))
        ch.break_requested = False
        run(ch, arg)
        response = ch.variables.get("current_application_response", "_none_")
        self.fire_channel(
            ch,
            "CHANNEL_EXECUTE_COMPLETE",
            post=[
                ("Application", app),
                *data,
                ("Application-Response", response),
                ("Application-UUID", app_uuid),
            ],
        )
        return True

    # ---- answer, hangup
    # --------------------------------------------------------------------------------------
    def _media_up(self, ch: Channel) -> None:
        if ch.media_up:
            return
        ch.media_up = True
        self.fire_channel(
            ch,
            "CODEC",
            post=[
                ("channel-read-codec-name", "PCMU"),
                ("channel-read-codec-rate", "8000"),
                ("channel-read-codec-bit-rate", "64000"),
            ],
        )
        self.fire_channel(
            ch,
            "CODEC",
            post=[
                ("Channel-Write-Codec-Name", "PCMU"),
                ("Channel-Write-Codec-Rate", "8000"),
                ("Channel-Write-codec-bit-rate", "64000"),
            ],
            calling=("switch_core_codec.c", "switch_core_session_set_write_codec", 471),
        )

    def answer(self, ch: Channel) -> bool:
        """Answer an inbound channel (uuid_answer / the answer app): fs-traces a after CHANNEL_PARK. False if it
        could not be: gone, or no RTP port left (sofia then hangs it up, ``ccswitch.sim.limits``)."""
        if ch.answered:
            return True
        if not ch.up:
            return False
        if not self.resources.take_port(ch.uuid):
            log.info("channel %s: No audio RTP ports available!", ch.uuid)
            self.hangup(ch, "DESTINATION_OUT_OF_ORDER")
            return False
        self._media_up(ch)
        if ch.answer_state != "early":
            ch.answer_state = "early"
            ch.profile.progress_media_us = self.now_us()
            self.fire_channel(ch, "CHANNEL_PROGRESS_MEDIA")
            self.set_call_state(ch, "EARLY")
        self._mark_answered(ch)
        return True

    def _mark_answered(self, ch: Channel) -> None:
        ch.answered = True
        ch.answer_state = "answered"
        ch.profile.answered_us = self.now_us()
        self.fire_channel(ch, "CHANNEL_ANSWER")
        self.set_call_state(ch, "ACTIVE")
        self._execute_on(ch, "execute_on_answer")

    def _execute_on(self, ch: Channel, prefix: str) -> None:
        """switch_channel.c switch_channel_execute_on: every variable whose name starts with ``prefix`` (any case)
        runs as ``<app> <arg>``; switch_channel_execute_on_value splits at the first space or lone ``:``, and a
        ``::`` before that queues ``app::arg`` on the channel instead, event-locked
        (switch_core_session_execute_application_async)."""
        for name, value in list(ch.variables.items()):
            if not name.lower().startswith(prefix):
                continue
            split = next((i for i, char in enumerate(value) if char == " " or char == ":"), len(value))
            if value[split : split + 2] == "::":
                app, _, arg = value.partition("::")
                self.queue_message(ch, Message("execute", AppCall(app, arg), event_lock=True))
            else:
                self.execute(ch, value[:split], value[split + 1 :])

    def ring_ready(self, ch: Channel) -> None:
        if ch.answer_state == "ringing" and ch.profile.progress_us == 0:
            ch.profile.progress_us = self.now_us()
            if ch.direction == "outbound":
                ch.profile.network_addr = self.domain  # the far end has answered the INVITE
            self.fire_channel(ch, "CHANNEL_PROGRESS")

    def hangup(self, ch: Channel, cause: str = "NORMAL_CLEARING") -> None:
        """switch_channel_perform_hangup: CHANNEL_HANGUP now, the session greenlet finishes the rest."""
        if not ch.up:
            return
        ch.hangup_cause = cause
        ch.answer_state = "hangup"
        ch.profile.hangup_us = self.now_us()
        self.fire_channel(ch, "CHANNEL_HANGUP")
        self.hangups.append(Hangup(ch.uuid, cause))
        ch.wake()
        if ch.bridged_with and (peer := self._channels.get(ch.bridged_with)):
            peer.wake()

    def _finish(self, ch: Channel) -> None:
        if ch.recording:
            self.stop_record(ch, ch.recording)
        cancelled, ch.cancelled_legs = ch.cancelled_legs, []
        for leg in cancelled:
            self._report(leg)
        self._enter_hangup(ch)
        for leg in cancelled:
            self._destroy(leg)
        self._report(ch)
        if ch.other_type == "originatee":
            gevent.sleep(0)  # the bridged peer, released by our bridge loop, is destroyed first (fs-traces b)
        if ch.other_type == "originator":
            ch.released.wait()  # a B-leg stays locked by the A-leg's bridge until it ends
        self._destroy(ch)

    def _enter_hangup(self, ch: Channel) -> None:
        self.enter_state(ch, "CS_HANGUP")
        self.set_call_state(ch, "HANGUP")

    def _report(self, ch: Channel) -> None:
        """CS_REPORTING: the hang-up variables and CHANNEL_HANGUP_COMPLETE."""
        self.enter_state(ch, "CS_REPORTING")
        ch.set_var("hangup_cause", ch.hangup_cause)
        ch.set_var("hangup_cause_q850", str(Q850.get(ch.hangup_cause or "", 16)))
        if ch.apps_executed:
            ch.set_var("last_app", ch.apps_executed[-1].app)
            if ch.apps_executed[-1].arg:
                ch.set_var("last_arg", ch.apps_executed[-1].arg)
        self.fire_channel(ch, "CHANNEL_HANGUP_COMPLETE", pre=[("Hangup-Cause", ch.hangup_cause or "")])
        ch.reported.set()

    def _destroy(self, ch: Channel) -> None:
        self.fire_channel(ch, "CHANNEL_DESTROY")
        self.enter_state(ch, "CS_DESTROY")
        self._channels.pop(ch.uuid, None)
        self.resources.release_port(ch.uuid)

    # ---- media
    # -----------------------------------------------------------------------------------------------
    def start_record(self, ch: Channel, path: str) -> None:
        ch.recording = path
        self.fire_channel(ch, "RECORD_START", post=[("Record-File-Path", path)])
        self.fire_channel(
            ch, "MEDIA_BUG_START", pre=[("Media-Bug-Function", "session_record"), ("Media-Bug-Target", path)]
        )

    def stop_record(self, ch: Channel, path: str) -> None:
        ch.recording = None
        ch.set_var("record_completion_cause", "success-maxtime")
        self.fire_channel(
            ch,
            "RECORD_STOP",
            post=[("Record-File-Path", path), ("Record-Completion-Cause", "success-maxtime")],
        )
        self.fire_channel(
            ch, "MEDIA_BUG_STOP", pre=[("Media-Bug-Function", "session_record"), ("Media-Bug-Target", path)]
        )

    def send_dtmf(self, ch: Channel, digits: str) -> None:
        """Digits play_and_get_digits reads as they arrive (received and dequeued at once)."""
        for digit in digits:
            self.fire_dtmf(ch, digit, source="RTP")

    def receive_dtmf(self, ch: Channel, digits: str, source: str) -> None:
        """switch_channel_queue_dtmf: the digits wait on the channel, no event, until an application reads
        them. A bind_meta_app binding sees each digit first (switch_core_session_recv_dtmf runs the channel's
        receive hooks) and keeps its meta sequences off the queue."""
        for digit in digits:
            if not self._meta_takes(ch, digit):
                ch.dtmf_queue.append((digit, source))
        ch.wake()

    def _meta_takes(self, ch: Channel, digit: str) -> bool:
        """switch_ivr_async.c meta_on_dtmf, digits received: the meta key is taken (a second one in a row goes
        through as itself); the digit after it is taken too and runs its binding, if any. A digit more than 5
        whole seconds after the meta key goes through and ends the sequence."""
        meta = ch.meta
        if meta is None:
            return False
        now = int(self.clock.now())
        if meta.meta_on and now - meta.last_digit > 5:
            meta.meta_on = False
            log.error("%s Meta digit timeout parsing %s", ch.name, digit)
            return False
        meta.last_digit = now
        if digit == meta.key:
            meta.meta_on = not meta.meta_on
            return meta.meta_on
        if not meta.meta_on:
            return False
        meta.meta_on = False
        binding = meta.apps.get(digit)
        if binding is None:
            log.warning("%s Ignoring meta digit '%s' not mapped", ch.name, digit)
            return True
        if binding.once:
            del meta.apps[digit]
        self._run_meta_app(ch, binding)
        return True

    def _run_meta_app(self, ch: Channel, binding: MetaApp) -> None:
        """switch_ivr_broadcast of the bound ``app::arg`` (a bare path is played) on this leg or its partner, with
        ``hold-bleg`` (switch_ivr_bind_dtmf_meta_session adds SMF_HOLD_BLEG to every binding). A bridged leg's own
        bridge thread runs it at once; any other leg finds it queued (``deliver_message``)."""
        target = self._channels.get(ch.bridged_with or "") if binding.on_partner else ch
        if target is None or not target.up:
            return
        self.deliver_message(target, Message("execute", parse_broadcast_path(binding.app), hold_bleg=True,
                                             event_lock=True))

    def dequeue_dtmf(self, ch: Channel) -> str:
        """switch_channel_dequeue_dtmf: the next queued digit, announced by a DTMF event."""
        digit, source = ch.dtmf_queue.popleft()
        self.fire_dtmf(ch, digit, source)
        return digit

    def fire_dtmf(self, ch: Channel, digit: str, source: str) -> None:
        self.fire_channel(ch, "DTMF", post=[("DTMF-Digit", digit), ("DTMF-Duration", "2000"), ("DTMF-Source", source)])

    def set_read_codec(self, ch: Channel, codec: tuple[str, str, str]) -> None:
        """switch_core_session_set_read_codec (eavesdrop reads L16 while it runs, then restores the codec)."""
        name, rate, bit_rate = codec
        post = [
            ("channel-read-codec-name", name),
            ("channel-read-codec-rate", rate),
            ("channel-read-codec-bit-rate", bit_rate),
        ]
        calling = ("switch_core_codec.c", "switch_core_session_set_read_codec", 300)
        self.fire_channel(ch, "CODEC", post=post, calling=calling)

    # ---- park
    # ------------------------------------------------------------------------------------------------
    def park(self, ch: Channel) -> None:
        """switch_ivr.c switch_ivr_park: queued sendmsg / broadcast apps run inside park, queued digits are dequeued
        (DTMF) and dropped; transfers and hang-ups end it."""
        ch.parked = True
        self.fire_channel(ch, "CHANNEL_PARK")
        while not ch.interrupted:
            self.drain_inbox(ch)
            while ch.dtmf_queue and not ch.interrupted:  # dequeued and dropped: only the DTMF event shows it
                self.dequeue_dtmf(ch)
            self.wait([ch], None, lambda: ch.interrupted or self.runnable(ch) or bool(ch.dtmf_queue))
        ch.parked = False
        self.fire_channel(ch, "CHANNEL_UNPARK")

    def _park_session(self, ch: Channel) -> None:
        """switch_ivr.c switch_ivr_park_session: CS_PARK, whose state handler parks the channel (switch_ivr_park,
        CHANNEL_PARK) without running the park application."""
        self.enter_state(ch, "CS_PARK")
        self.park(ch)
