"""Dialplan applications the simulator runs (mod_dptools / switch_ivr_play_say semantics, simplified media).

Each app runs in the channel's session greenlet and returns when done; a response for
CHANNEL_EXECUTE_COMPLETE is
left in ``current_application_response`` as FreeSWITCH does.
"""

from __future__ import annotations

import logging
import re
import wave
from collections.abc import Callable
from pathlib import Path

from ccswitch.sim import people
from ccswitch.sim.amd import amd
from ccswitch.sim.calls import CallSwitch
from ccswitch.sim.channel import Q850, Channel, Eavesdrop, Heard, MetaApp, MetaBindings
from ccswitch.sim.dialstring import atoi, parse_dial_string, separate_string, split_command_args, switch_true
from ccswitch.sim.say import EN_TYPES, MODELLED_TYPES, Said, spoken_files

log = logging.getLogger(__name__)

App = Callable[[CallSwitch, Channel, str], None]
ENDLESS = None
SAY_SYNTAX = "<module_name>[:<lang>] <say_type> <say_method> [<say_gender>] <text>"


def prompt_seconds(switch: CallSwitch, path: str) -> float | None:
    """How long a playback lasts (None: until broken): a WAV file's own length, tone_stream segments (endless
    with ``loops=-1``), silence_stream://<ms>, endless local_stream://, file_string:// the sum of its files;
    anything else (a relative sound such as ``digits/5.wav`` too) ``default_prompt_s``."""
    if path.startswith("local_stream://"):
        return ENDLESS
    if path.startswith("tone_stream://"):
        if "loops=-1" in path:
            return ENDLESS
        loops = int(m.group(1)) if (m := re.search(r"loops=(\d+)", path)) else 1
        total_ms = sum(int(on) + int(off) for on, off in re.findall(r"%\((\d+),(\d+)", path))
        return loops * total_ms / 1000
    if path.startswith("file_string://"):  # played one after another
        parts = [prompt_seconds(switch, part) for part in path.removeprefix("file_string://").split("!")]
        return None if ENDLESS in parts else sum(part for part in parts if part is not None)
    if path.startswith("silence_stream://"):
        ms = int(path.removeprefix("silence_stream://").split(",")[0] or "0")
        return ENDLESS if ms < 0 else ms / 1000
    file = Path(path)
    if file.suffix.lower() == ".wav" and file.is_file():
        try:
            with wave.open(str(file)) as audio:
                return float(audio.getnframes()) / float(audio.getframerate())
        except (OSError, wave.Error):
            return switch.default_prompt_s
    return switch.default_prompt_s


def _playback_headers(path: str) -> list[tuple[str, str]]:
    """switch_ivr_play_file: Playback-File-Type only for local_stream:// and tone_stream://, then the path."""
    kind = path.partition(":")[0].lower()
    file_type = [("Playback-File-Type", kind)] if kind in ("local_stream", "tone_stream") else []
    return [*file_type, ("Playback-File-Path", path)]


def play(
    switch: CallSwitch,
    ch: Channel,
    path: str,
    on_dtmf: Callable[[str], bool] | None = None,
    stop_at: float | None = None,
) -> None:
    """switch_ivr_play_file: PLAYBACK_START, the prompt's length of audio (or until a break / hang-up / the switch
    time ``stop_at``: a digit play_and_get_digits reads), PLAYBACK_STOP. What the caller hears goes to
    ``switch.heard``.

    Each frame the real loop looks, in this order, at: a hang-up, a break (uuid_break), the queued sendmsg /
    broadcast messages, which run right there (switch_ivr_parse_all_events): the prompt is paused while they run
    and goes on where it was afterwards, so its PLAYBACK_STOP comes that much later (fs-traces j); then digits.
    With ``on_dtmf`` (switch_ivr_play_file's input args) every queued digit is dequeued, firing DTMF, and handed to
    it; True ends the prompt (``Playback-Status: break``). playback and say pass mod_dptools on_dtmf (a
    ``playback_terminators`` key ends the prompt), read keeps the first digit (args->buf)."""
    headers = _playback_headers(path)
    switch.fire_channel(ch, "PLAYBACK_START", post=headers)
    seconds = prompt_seconds(switch, path)
    position = 0.0  # seconds into the prompt; it stands still while an application runs inside the playback
    heard_from = 0.0
    terminated = False

    def keyed() -> bool:
        return on_dtmf is not None and bool(ch.dtmf_queue)

    def stopped() -> bool:
        return ch.interrupted or ch.break_requested

    while not terminated:
        resumed = switch.clock.now()
        file_end = None if seconds is None else resumed + seconds - position
        ends = [end for end in (file_end, stop_at) if end is not None]
        remaining = min(ends) - resumed if ends else None
        woke = switch.wait([ch], remaining, lambda: stopped() or switch.runnable(ch) or keyed())
        if not woke and file_end is not None and (stop_at is None or file_end <= stop_at):
            position = seconds or 0.0  # the whole prompt played
        else:
            position += switch.clock.now() - resumed
            position = position if seconds is None else min(position, seconds)
        if ch.break_requested:  # CF_BREAK is taken: what this prompt runs inside goes on, unless it is broken too
            ch.break_requested, terminated = False, True
        if stopped() or terminated:
            break
        if switch.runnable(ch):
            _heard(switch, ch, path, heard_from, position, seconds)
            switch.drain_inbox(ch)
            heard_from = position
            continue
        if not keyed():
            break
        assert on_dtmf is not None
        terminated = on_dtmf(switch.dequeue_dtmf(ch))
    _heard(switch, ch, path, heard_from, position, seconds)
    ms = int(position * 1000)
    ch.set_var("playback_last_offset_pos", str(ms * 8))  # 8 kHz samples
    ch.set_var("playback_seconds", str(ms // 1000))
    ch.set_var("playback_ms", str(ms))
    ch.set_var("playback_samples", str(ms * 8))
    status = "break" if terminated else "done"
    switch.fire_channel(ch, "PLAYBACK_STOP", post=[*headers, ("Playback-Status", status)])


def _heard(switch: CallSwitch, ch: Channel, path: str, start_s: float, end_s: float, length_s: float | None) -> None:
    if end_s > start_s:
        switch.heard.append(Heard(ch.uuid, path, start_s, end_s, length_s))


def _is_terminator(ch: Channel, digit: str) -> bool:
    """mod_dptools.c on_dtmf: ``playback_terminators`` (default ``*``; ``any`` = 0-9 * #; ``none``)."""
    terminators = ch.variables.get("playback_terminators", "*")
    if terminators.lower() == "any":
        terminators = "1234567890*#"
    elif terminators.lower() == "none":
        terminators = ""
    if digit not in terminators:
        return False
    ch.set_var("playback_terminator_used", digit)
    return True


def playback(switch: CallSwitch, ch: Channel, arg: str) -> None:
    """mod_dptools.c playback_function."""
    ch.set_var("playback_terminator_used", None)  # set to "" there, which no event shows
    play(switch, ch, arg, on_dtmf=lambda digit: _is_terminator(ch, digit))
    ch.set_var("current_application_response", "FILE PLAYED")


def say(switch: CallSwitch, ch: Channel, arg: str) -> None:
    """mod_dptools.c say_function: ``<module>[:<lang>] <type> <method> [<gender>] <text>``, split on blanks into
    at most five (the fifth keeps the rest); anything but four or five is a usage error that says nothing. Sets no
    application response."""
    args = arg.split(None, 4)
    if len(args) not in (4, 5):
        log.error("channel %s: Usage: %s", ch.uuid, SAY_SYNTAX)
        return
    module, _, lang = args[0].partition(":")
    say_type, method = args[1].upper(), args[2].upper()
    gender, text = (args[3], args[4]) if len(args) == 5 else (None, args[3])
    ch.set_var("playback_terminator_used", None)
    files: list[str] = []
    if say_type not in EN_TYPES:
        log.error("channel %s: Unknown Say type=[%s]", ch.uuid, args[1])
    elif say_type not in MODELLED_TYPES:
        log.warning("channel %s: say %s is not simulated: nothing said", ch.uuid, say_type)
    else:
        files = spoken_files(say_type, method, text, switch.clock.now())
    switch.said.append(Said(ch.uuid, module, lang or module, say_type, method, gender, text, tuple(files)))
    if files:
        path = "file_string://" + "!".join(f"{file}.wav" for file in files)
        play(switch, ch, path, on_dtmf=lambda digit: _is_terminator(ch, digit))


def record(switch: CallSwitch, ch: Channel, arg: str) -> None:
    """mod_dptools.c record_function, switch_ivr_play_say.c switch_ivr_record_file_event:
    ``<path> [[+]<time_limit_secs>] [<silence_thresh>] [<silence_hits>]``.

    Records until the channel hangs up, uuid_break, a ``playback_terminators`` key (on_dtmf; other keys are
    dequeued and ignored), the time limit (0: none), or, with a threshold, ``silence_hits`` seconds of silence (3
    when 0). The simulated caller speaks for ``CallerScript.message_s`` from the start, then stays silent; a leg
    without a caller is silent throughout. Fires CODEC (L16 read codec), RECORD_START and RECORD_STOP with
    ``Record-File-Path``, then CODEC again as the session's codec is restored (switch_core_session_reset, which also
    drops digits still queued). Sets ``silence_hits_exhausted`` and ``record_seconds`` / ``record_ms`` /
    ``record_samples`` (8 kHz); no application response. Nothing is written to disk."""
    args = arg.split(None, 3)
    if not args:
        log.error("channel %s: record: No file specified.", ch.uuid)
        return
    path = args[0]
    limit = max(0, atoi(args[1].removeprefix("+"))) if len(args) > 1 else 0
    thresh = max(0, atoi(args[2])) if len(args) > 2 else 0
    silence_hits = (max(0, atoi(args[3])) if len(args) > 3 else 0) or 3
    ch.set_var("playback_terminator_used", None)  # set to "" there, which no event shows
    if not ch.answered:
        switch.answer(ch)  # switch_channel_pre_answer; the simulator has no early media of its own
    ch.set_var("silence_hits_exhausted", "false")
    switch.set_read_codec(ch, ("L16", "8000", "128000"))
    switch.fire_channel(ch, "RECORD_START", post=[("Record-File-Path", path)], calling=_RECORD_START)
    started = switch.clock.now()
    speaking_s = people.message_s(ch)
    silence_end = started + speaking_s + silence_hits if thresh else None
    # FreeSWITCH compares whole epoch seconds (``now - start > limit``): up to a second later than modelled here
    limit_end = started + limit if limit else None
    deadline = min((end for end in (silence_end, limit_end) if end is not None), default=None)
    stopped = False  # hung up, uuid_break or a terminator key
    while not stopped:
        remaining = None if deadline is None else deadline - switch.clock.now()
        switch.app_wait(ch, remaining, lambda: ch.interrupted or ch.break_requested or bool(ch.dtmf_queue))
        if not (ch.interrupted or ch.break_requested or ch.dtmf_queue):
            break  # the limit or the silence
        stopped = ch.interrupted or ch.break_requested or _is_terminator(ch, switch.dequeue_dtmf(ch))
    now = switch.clock.now()
    if not stopped and silence_end is not None and silence_end == deadline:
        ch.set_var("silence_hits_exhausted", "true")
    ms = int(((now if deadline is None else min(now, deadline)) - started) * 1000)
    ch.set_var("record_seconds", str(ms // 1000))
    ch.set_var("record_ms", str(ms))
    ch.set_var("record_samples", str(ms * 8))
    switch.fire_channel(ch, "RECORD_STOP", post=[("Record-File-Path", path)], calling=_RECORD_STOP)
    switch.set_read_codec(ch, ("PCMU", "8000", "64000"))
    ch.dtmf_queue.clear()
    ch.break_requested = False


_RECORD_START = ("switch_ivr_play_say.c", "switch_ivr_record_file_event", 774)
_RECORD_STOP = ("switch_ivr_play_say.c", "switch_ivr_record_file_event", 1037)


def answer(switch: CallSwitch, ch: Channel, arg: str) -> None:
    switch.answer(ch)


def ring_ready(switch: CallSwitch, ch: Channel, arg: str) -> None:
    switch.ring_ready(ch)


def park(switch: CallSwitch, ch: Channel, arg: str) -> None:
    """mod_dptools.c park_function: switch_ivr_park (``SessionSwitch.park``)."""
    switch.park(ch)


def hangup(switch: CallSwitch, ch: Channel, arg: str) -> None:
    switch.hangup(ch, arg.strip() or "NORMAL_CLEARING")


def sleep(switch: CallSwitch, ch: Channel, arg: str) -> None:
    """switch_ivr.c switch_ivr_sleep: a break ends it and is taken (CF_BREAK cleared)."""
    switch.app_wait(ch, int(arg or "0") / 1000, lambda: ch.interrupted or ch.break_requested)
    ch.break_requested = False


def set_var(switch: CallSwitch, ch: Channel, arg: str) -> None:
    name, _, value = arg.partition("=")
    ch.set_var(name.strip(), value or None)


def unset_var(switch: CallSwitch, ch: Channel, arg: str) -> None:
    ch.set_var(arg.strip(), None)


def multiset(switch: CallSwitch, ch: Channel, arg: str) -> None:
    # mod_dptools multiset: blank-separated name=value pairs, optionally ^^<sep> to choose the separator.
    custom_separator = arg.startswith("^^") and len(arg) > 2
    pairs = separate_string(arg[3:], arg[2]) if custom_separator else split_command_args(arg)
    for pair in pairs:
        set_var(switch, ch, pair)


def export(switch: CallSwitch, ch: Channel, arg: str) -> None:
    name, _, value = arg.partition("=")
    name = name.removeprefix("nolocal:").strip()
    if not arg.startswith("nolocal:"):
        ch.set_var(name, value or None)
    exported = [v for v in ch.variables.get("export_vars", "").split(",") if v]
    ch.set_var("export_vars", ",".join([*exported, name]) if name not in exported else ",".join(exported))


def log_app(switch: CallSwitch, ch: Channel, arg: str) -> None:
    """Nothing to simulate: the log line itself."""


def play_and_get_digits(switch: CallSwitch, ch: Channel, arg: str) -> None:
    """mod_dptools play_and_get_digits: <min> <max> <tries> <timeout ms> <terminators> <file> <invalid file>
    <var name> <regexp> [<digit timeout ms>] [<transfer on failure>]. The simulated caller keys the next
    scripted
    digits ``dtmf_delay_s`` after the prompt starts."""
    args = split_command_args(arg)
    minimum, maximum, tries, timeout_ms = (int(value) for value in args[:4])
    prompt = args[5]
    invalid_prompt = args[6] if len(args) > 6 else ""
    var_name = args[7] if len(args) > 7 else ""
    pattern = args[8] if len(args) > 8 else ""
    for _ in range(max(1, tries)):
        digits = people.menu_choice(ch)
        if digits is None:
            play(switch, ch, prompt)
            switch.app_wait(ch, timeout_ms / 1000, lambda: ch.interrupted)
        else:
            delay = people.menu_choice_delay_s(ch)
            pressed_at = switch.clock.now() + delay
            play(switch, ch, prompt, stop_at=pressed_at)
            switch.app_wait(ch, pressed_at - switch.clock.now(), lambda: ch.interrupted)
            if not ch.interrupted:
                switch.send_dtmf(ch, digits)
            valid = minimum <= len(digits) <= maximum and (not pattern or re.fullmatch(pattern, digits) is not None)
            if valid:
                if var_name:
                    ch.set_var(var_name, digits)
                return
            if invalid_prompt and not ch.interrupted:
                play(switch, ch, invalid_prompt)
        if ch.interrupted:
            return


READ_BUFFER = 128  # mod_dptools.c read_function: char digit_buffer[128]


def read(switch: CallSwitch, ch: Channel, arg: str) -> None:
    """mod_dptools.c read_function -> switch_ivr_play_say.c switch_ivr_read: ``<min> <max> <sound file> <variable
    name> <timeout ms> <terminators> [<digit timeout ms>]``, blank-split. ``min`` is at least 1, ``max`` at least
    ``min``, the timeout at least 1000 ms, the terminators ``#`` when none are given (``=`` first: one is required),
    the digit timeout the timeout when 0.

    Clears ``read_result`` and the variable, plays the prompt (none for ``silence``): the first digit dequeued
    during it ends it and is kept. Then switch_ivr.c switch_ivr_collect_digits_count dequeues digits (each a DTMF
    event) until a terminator (left in ``read_terminator_used``, not collected), ``max`` digits, or no digit for the
    timeout (the first wait ``timeout``, then ``digit timeout`` after each key). ``read_result``: ``success``,
    ``timeout`` (keys stopped coming, at least ``min`` collected) or ``failure`` (fewer than ``min``, a required
    terminator missing, the channel gone). The variable is set only when digits were collected. No application
    response. Not simulated: ``+`` / ``x`` before a terminator (it is kept in the digits)."""
    args = split_command_args(arg)
    if not args:
        log.error("channel %s: No arguments specified.", ch.uuid)
        return
    minimum = max(1, atoi(args[0]))
    maximum = max(minimum, atoi(args[1]) if len(args) > 1 else 0)
    prompt = args[2] if len(args) > 2 else ""
    var_name = args[3] if len(args) > 3 else ""
    timeout_ms = max(1000, atoi(args[4]) if len(args) > 4 else 0)
    terminators = (args[5] if len(args) > 5 else "") or "#"
    digit_timeout_ms = (max(0, atoi(args[6])) if len(args) > 6 else 0) or timeout_ms
    ch.set_var("read_result", None)
    if var_name:
        ch.set_var(var_name, None)
    if maximum > READ_BUFFER:
        log.error("channel %s: Buffer too small!", ch.uuid)
        return
    if not ch.answered:
        switch.answer(ch)  # switch_channel_pre_answer; the simulator has no early media of its own
    kept: list[str] = []

    def keep(digit: str) -> bool:  # switch_ivr_play_file with args->buf: the first digit ends the prompt
        kept.append(digit)
        return True

    if prompt and prompt.lower() != "silence":
        play(switch, ch, prompt, on_dtmf=keep)
    digits = "".join(kept)
    if not ch.interrupted:  # else switch_ivr_read ends before setting read_result
        terminator, result = "", "success"
        if len(digits) < maximum:
            first_ms = digit_timeout_ms if digits else timeout_ms
            digits, terminator, result = _collect_digits(switch, ch, digits, maximum, terminators, first_ms,
                                                         digit_timeout_ms)
        if terminator:
            ch.set_var("read_terminator_used", terminator)
        elif terminators.startswith("="):
            result = "failure"
        if len(digits) < minimum:
            result = "failure"
        ch.set_var("read_result", result)
    if maximum == 1 and len(digits) == 1 and digits in terminators:
        digits = ""
    if var_name and digits:
        ch.set_var(var_name, digits)


def _collect_digits(
    switch: CallSwitch, ch: Channel, digits: str, maximum: int, terminators: str, first_ms: int, digit_ms: int
) -> tuple[str, str, str]:
    """switch_ivr.c switch_ivr_collect_digits_count: (digits, the terminator keyed or "", read result)."""
    for i, digit in enumerate(digits):  # a terminator keyed during the prompt
        if digit in terminators:
            return digits[:i], digit, "success"
    wait_ms = first_ms
    while True:
        if not switch.app_wait(ch, wait_ms / 1000, lambda: ch.interrupted or bool(ch.dtmf_queue)):
            return digits, "", "timeout"
        if ch.interrupted:
            return digits, "", "failure"
        wait_ms = digit_ms
        while ch.dtmf_queue:
            digit = switch.dequeue_dtmf(ch)
            if digit in terminators:
                return digits, digit, "success"
            digits += digit
            if len(digits) >= maximum:
                return digits, "", "success"


def bridge(switch: CallSwitch, ch: Channel, arg: str) -> None:
    """mod_dptools audio_bridge_function: originate the B-leg, bridge, then the after-bridge rules."""
    if not parse_dial_string(arg):
        return
    leg, cause = switch.originate(arg, originator=ch)
    if leg is None:
        _bridge_failed(switch, ch, cause)
        return
    if not switch.answer(ch):  # no RTP port for the caller (sofia hangs it up): switch_ivr_originate.c "Media
        switch.hangup(leg, "INCOMPATIBLE_DESTINATION")  # Establishment Failed" hangs the agent's leg up
        leg.released.set()
        switch.start_peer_session(leg)
        return
    ch.set_var("originate_disposition", "SUCCESS")
    ch.set_var("DIALSTATUS", "SUCCESS")
    switch.start_peer_session(leg)
    switch.bridge(ch, leg)
    hangup_after = ch.variables.get("hangup_after_bridge", "false").lower() in ("true", "yes", "on", "1")
    if ch.up and ch.redirect is None and hangup_after:  # a transferred caller (CF_TRANSFER) goes on
        switch.hangup(ch, leg.hangup_cause or "NORMAL_CLEARING")


_DIALSTATUS = {
    "ORIGINATOR_CANCEL": "CANCEL",
    "USER_BUSY": "BUSY",
    "NO_ANSWER": "NOANSWER",
    "DESTINATION_OUT_OF_ORDER": "INVALIDARGS",
    "CALL_REJECTED": "DONTCALL",
}
# switch_channel_handle_cause: without continue_on_fail / failure_causes these causes never hang up the
# caller.
_ALWAYS_CONTINUE = frozenset({"NO_ANSWER", "NO_USER_RESPONSE", "ORIGINATOR_CANCEL"})


def _bridge_failed(switch: CallSwitch, ch: Channel, cause: str) -> None:
    ch.set_var("originate_disposition", cause)
    ch.set_var("DIALSTATUS", _DIALSTATUS.get(cause, cause))
    ch.set_var("originate_failed_cause", cause)
    if ch.up and not continues_on_fail(ch.variables.get("continue_on_fail"), cause):
        switch.hangup(ch, cause)


def continues_on_fail(continue_on_fail: str | None, cause: str) -> bool:
    """switch_channel.c switch_channel_handle_cause: ``true`` continues on every failure, a list of cause
    names
    (or Q.850 numbers) on those; when unset, only no-answer-like causes continue. ``false`` never
    continues."""
    if continue_on_fail is None:
        return cause in _ALWAYS_CONTINUE
    if switch_true(continue_on_fail):
        return True
    listed = {item.strip().upper() for item in continue_on_fail.split(",")}
    return cause in listed or str(Q850.get(cause, -1)) in listed


def eavesdrop(switch: CallSwitch, ch: Channel, arg: str) -> None:
    """mod_dptools.c eavesdrop_function: the flags come from this channel's ``eavesdrop_*`` variables."""
    variables = ch.variables
    dtmf = variables.get("eavesdrop_enable_dtmf")
    _eavesdrop_session(
        switch,
        ch,
        arg.strip(),
        mux_read=switch_true(variables.get("eavesdrop_whisper_aleg")),
        mux_write=switch_true(variables.get("eavesdrop_whisper_bleg")),
        dtmf=dtmf is None or switch_true(dtmf),
    )


def three_way(switch: CallSwitch, ch: Channel, arg: str) -> None:
    """mod_dptools.c three_way_function: eavesdrop with both directions mixed in and no DTMF."""
    _eavesdrop_session(switch, ch, arg.strip(), mux_read=True, mux_write=True, dtmf=False)


# switch_ivr_async.c switch_ivr_eavesdrop_session: DTMF -> (ED_MUX_READ, ED_MUX_WRITE); '*' ends the session.
_EAVESDROP_DIGITS = {"0": (False, False), "1": (True, False), "2": (False, True), "3": (True, True)}


def _eavesdrop_session(
    switch: CallSwitch, ch: Channel, target_uuid: str, mux_read: bool, mux_write: bool, dtmf: bool
) -> None:
    """A media bug on the target until this channel or the target goes, or ``*`` (fs-traces d)."""
    target = switch.channel(target_uuid)
    if target is None or target is ch or not target.up or not target.media_up:
        return
    switch.set_read_codec(ch, ("L16", "8000", "128000"))
    bug = [("Media-Bug-Function", "eavesdrop"), ("Media-Bug-Target", target.uuid)]
    switch.fire_channel(target, "MEDIA_BUG_START", pre=bug)
    display = [
        ("Direction", "SEND"),
        ("Sent-Callee-ID-Name", target.profile.caller_id_name),
        ("Sent-Callee-ID-Number", target.profile.caller_id_number),
    ]
    switch.fire_channel(ch, "CALL_UPDATE", pre=display)
    ch.eavesdrop = Eavesdrop(target.uuid, mux_read, mux_write)
    while True:
        switch.wait([ch, target], None, lambda: ch.interrupted or not target.up or (dtmf and bool(ch.dtmf_queue)))
        if ch.interrupted or not target.up:
            break
        digit = switch.dequeue_dtmf(ch)
        if digit == "*":
            break
        if digit in _EAVESDROP_DIGITS:
            ch.eavesdrop = Eavesdrop(target.uuid, *_EAVESDROP_DIGITS[digit])
    ch.eavesdrop = None
    switch.fire_channel(target, "MEDIA_BUG_STOP", pre=bug)
    switch.set_read_codec(ch, ("PCMU", "8000", "64000"))


BIND_SYNTAX = "<key> [a|b|ab] [a|b|o|s|i|1] <app>"


def bind_meta_app(switch: CallSwitch, ch: Channel, arg: str) -> None:
    """mod_dptools.c dtmf_bind_function: ``<key> [a|b|ab] [a|b|o|s|i|1] <app>`` blank-split into four, the app
    keeping the rest of the line. Modelled: listening to the digits this leg's phone sends (``a``, the
    receive side of switch_ivr_bind_dtmf_meta_session), running the app on this leg (``s``, ``a``, the default) or
    its partner (``o``, ``b``), once (``1``). The meta key is the leg's ``bind_meta_key`` (default ``*``)."""
    args = arg.split(None, 3)
    if len(args) != 4:
        log.error("channel %s: Usage: %s", ch.uuid, BIND_SYNTAX)
        return
    key, listen, run, app = args
    if "b" in listen:
        log.warning("channel %s: bind_meta_app listening to the partner's digits (b) is not simulated", ch.uuid)
    if "a" not in listen:
        return
    if ch.meta is None:
        meta_key = ch.variables.get("bind_meta_key", "*")[:1]
        ch.meta = MetaBindings(key=meta_key if meta_key and meta_key in "0123456789*#ABCD" else "*")
    ch.meta.apps[key] = MetaApp(app, on_partner=("o" in run or "b" in run) and "s" not in run, once="1" in run)


def execute_extension(switch: CallSwitch, ch: Channel, arg: str) -> None:
    """mod_dptools.c exe_function -> switch_core_session.c switch_core_session_execute_exten: ``<extension>
    <dialplan> <context>``: hunt ``extension`` (as the destination number) in the context and run its
    applications here, each with its own CHANNEL_EXECUTE / _COMPLETE. The simulator knows the XML dialplan in
    ``switch.dialplan`` (the shipped ccswitch-features context)."""
    args = arg.split(None, 2)
    if not args:
        log.error("channel %s: Usage: <extension> <dialplan> <context>", ch.uuid)
        return
    dialplan = args[1] if len(args) > 1 else ch.profile.dialplan
    context = args[2] if len(args) > 2 else ch.profile.context
    found = switch.hunt(context, args[0]) if dialplan == "XML" else None
    if found is None:
        log.error("channel %s: extension %s not found in %s %s", ch.uuid, args[0], dialplan, context)
        return
    for call in found.actions:
        if ch.interrupted:
            return
        switch.execute(ch, call.app, call.arg)


def event(switch: CallSwitch, ch: Channel, arg: str) -> None:
    """mod_dptools.c event_function: ``Name=value,...`` (comma-separated, at most 25, spaces around each name and
    value dropped) fires an event from this channel (``SwitchCore.fire_application_event``)."""
    fields = []
    for item in separate_string(arg, ",")[:25]:
        name, separator, value = item.partition("=")
        if separator:
            fields.append((name.strip(" "), value.strip(" ")))
    switch.fire_application_event(ch, fields)


APPS: dict[str, App] = {
    "answer": answer,
    "pre_answer": answer,
    "ring_ready": ring_ready,
    "park": park,
    "playback": playback,
    "say": say,
    "record": record,
    "play_and_get_digits": play_and_get_digits,
    "read": read,
    "bridge": bridge,
    "hangup": hangup,
    "sleep": sleep,
    "set": set_var,
    "unset": unset_var,
    "multiset": multiset,
    "export": export,
    "log": log_app,
    "eavesdrop": eavesdrop,
    "three_way": three_way,
    "amd": amd,
    "bind_meta_app": bind_meta_app,
    "execute_extension": execute_extension,
    "event": event,
}
