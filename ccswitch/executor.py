"""The executor: the one place effects become ESL commands.

Effects for one call are written in the order they were decided (each batch waits until the call's previous batch
is written, not answered: FreeSWITCH runs one socket's commands in order); different
calls run concurrently in a bounded pool, so one slow command never holds up the contact centre. A failed command is
logged with its call uuid: the switch's own events (hang-up, park) then tell the engine what really happened.

Prompts in order. FreeSWITCH runs a queued ``sendmsg`` inside whatever application is playing at the time (every
media loop calls switch_ivr_parse_all_events), pausing it until the new one returns: prompts sent back to back
nest, and the caller hears the last one first, then the rest of the others backwards (fs-traces j). So every
application that is part of what a caller must hear in order (playback, play_and_get_digits, record) is sent
with ``event-lock: true``, which keeps the channel's queue closed while it runs: the next one starts when it ends,
with no round trip to us, and ``uuid_break <uuid> all`` still ends the one playing and drops the rest at once.
Not locked: the endless music (locked, it would hold back everything sent after it), the callback's ``bridge`` on
the agent's leg (it would hold back the feature codes' broadcasts for the whole call) and ``amd`` (alone on its
line, the next step waits for its result).
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable, Mapping, Sequence

import gevent
import gevent.event
import gevent.pool

from ccswitch.channel_events import DIGITS_VARIABLE
from ccswitch.effects import (
    AnnounceToCaller,
    Answer,
    BridgeLegs,
    CollectDigits,
    ConnectAgent,
    DetectMachine,
    DialOut,
    Effect,
    Hangup,
    HangupLeg,
    HoldLeg,
    MaskRecording,
    MuteLeg,
    Originate,
    Play,
    PlayFiles,
    RecordMessage,
    RunInline,
    SendDtmf,
    SetLegVar,
    StartMusic,
    StartRecording,
    StopMedia,
    StopRecording,
    TakeCall,
    Transfer,
)
from ccswitch.errors import CcswitchError
from ccswitch.esl import commands
from ccswitch.esl.connection import EslConnection, PendingReply
from ccswitch.esl.protocol import Frame
from ccswitch.feature_codes import FEATURE_CONTEXT, bindings

log = logging.getLogger(__name__)

# mod_sofia then asks the phone to answer at once ("Call-Info: answer-after=0"; mod_sofia.c sofia_outgoing_channel).
_AUTO_ANSWER = {"sip_auto_answer": "true"}

# On every agent leg: bind_meta_app for each desk-phone feature code once the leg answers (ccswitch.feature_codes).
_FEATURE_CODES = commands.feature_code_vars(bindings(), FEATURE_CONTEXT)

# FreeSWITCH's replies for a uuid that no longer exists: api uuid_* (mod_commands) and sendmsg (mod_event_socket).
_CHANNEL_GONE = ("No such channel", "invalid session id")


def command_for(effect: Effect) -> str:
    """The ESL command text that carries out ``effect``."""
    if isinstance(effect, Originate):
        # originate returns only once the phone answers, and an api command holds up every later command on the
        # socket (mod_event_socket runs them in order): bgapi, under the new leg's uuid as its Job-UUID
        # (mod_event_socket.c parse_command keeps a Job-UUID header the client sends).
        features = _FEATURE_CODES if effect.feature_codes else {}
        dial = commands.dial_string(effect.endpoint, {"origination_uuid": effect.leg, **dict(effect.variables),
                                                      **features, **(_AUTO_ANSWER if effect.auto_answer else {})})
        return commands.bgapi(commands.originate(dial, effect.app, effect.app_arg), effect.leg)
    if isinstance(effect, SetLegVar):
        return commands.api(commands.uuid_setvar(effect.leg, effect.name, effect.value))
    if isinstance(effect, HoldLeg):
        return commands.api(commands.uuid_hold(effect.leg, effect.held))
    if isinstance(effect, MuteLeg):
        return commands.api(commands.uuid_audio_mute(effect.leg, effect.muted))
    if isinstance(effect, HangupLeg):
        return commands.api(commands.uuid_kill(effect.leg, effect.cause))
    if isinstance(effect, BridgeLegs):
        return commands.api(commands.uuid_bridge(effect.a_leg, effect.b_leg))
    if isinstance(effect, RunInline):
        return commands.api(commands.uuid_transfer_inline(effect.leg, effect.apps))
    if isinstance(effect, SendDtmf):
        return commands.api(commands.uuid_recv_dtmf(effect.leg, effect.digits))
    if isinstance(effect, TakeCall):
        return commands.api(commands.sched_del(effect.call))
    if isinstance(effect, Answer):
        return commands.api(commands.uuid_answer(effect.call))
    if isinstance(effect, Play):
        return commands.sendmsg_execute(effect.call, "playback", effect.path, event_uuid=effect.tag, event_lock=True)
    if isinstance(effect, CollectDigits):
        arg = commands.play_and_get_digits_arg(
            min_digits=effect.min_digits,
            max_digits=effect.max_digits,
            tries=1,
            timeout_ms=effect.timeout_ms,
            terminators=effect.terminators,
            file=effect.path,
            invalid_file="silence_stream://250",
            var_name=DIGITS_VARIABLE,
            regexp=r"[0-9*#]+",
            digit_timeout_ms=effect.digit_timeout_ms,
        )
        return commands.sendmsg_execute(effect.call, "play_and_get_digits", arg, event_uuid=effect.tag, event_lock=True)
    if isinstance(effect, RecordMessage):
        return commands.sendmsg_execute(effect.call, "record", commands.record_arg(effect.path, effect.max_s),
                                        event_uuid=effect.tag, event_lock=True)
    if isinstance(effect, DetectMachine):
        return commands.sendmsg_execute(effect.call, "amd", "", event_uuid=effect.tag)
    if isinstance(effect, PlayFiles):
        return commands.sendmsg_execute(effect.call, "playback", commands.file_string(effect.paths),
                                        event_uuid=effect.tag, event_lock=True)
    if isinstance(effect, DialOut):
        arg = commands.dial_out_arg(effect.callee_leg, effect.gateway, effect.number, effect.caller_id_number,
                                    effect.ring_timeout_s)
        return commands.sendmsg_execute(effect.leg, "bridge", arg, event_uuid=effect.tag)
    if isinstance(effect, StartMusic):
        return commands.sendmsg_execute(effect.call, "playback", effect.source, event_uuid=None, loops=-1)
    if isinstance(effect, StopMedia):
        return commands.api(commands.uuid_break(effect.call))
    if isinstance(effect, ConnectAgent):
        return commands.api(commands.connect_agent(
            call_uuid=effect.call,
            legs=[commands.AgentDial(leg.dial_string, leg.leg, round(leg.delay_s),
                                     {"cc_agent": leg.agent_id, **_FEATURE_CODES,
                                      **(_AUTO_ANSWER if effect.auto_answer else {})})
                  for leg in effect.legs],
            ring_timeout_s=effect.ring_timeout_s,
            caller_id_name=effect.caller_id_name,
            caller_id_number=effect.caller_id_number,
            extra_vars={"cc_queue": effect.queue, "cc_call": effect.call},
            ringback=effect.ringback,
            agent_announcement=effect.agent_announcement,
        ))
    if isinstance(effect, Transfer):
        return commands.api(commands.uuid_transfer(effect.call, effect.destination, effect.context))
    if isinstance(effect, Hangup):
        return commands.api(commands.uuid_kill(effect.call, effect.cause))
    if isinstance(effect, AnnounceToCaller):
        return commands.api(commands.uuid_broadcast(effect.call, effect.path, "aleg"))
    if isinstance(effect, StartRecording):
        return commands.api(commands.uuid_record_start(effect.call, effect.path, effect.stereo))
    if isinstance(effect, MaskRecording):
        return commands.api(commands.uuid_record_mask(effect.call, effect.path, effect.masked))
    if isinstance(effect, StopRecording):
        return commands.api(commands.uuid_record(effect.call, "stop", effect.path))
    raise TypeError(f"unknown effect {effect!r}")


class Executor:
    def __init__(self, connections: Mapping[str, EslConnection], size: int = 64,
                 on_command_done: Callable[[str, float], None] | None = None,
                 on_command_failed: Callable[[str, Effect], None] | None = None) -> None:
        self.connections = connections
        self.on_command_done = on_command_done  # (node, seconds): command latency
        self.on_command_failed = on_command_failed  # (node, effect): counted by command
        self.pool = gevent.pool.Pool(size)
        self._written: dict[str, gevent.event.Event] = {}  # call uuid -> set once its latest batch is written

    def submit(self, node: str, effects: Sequence[Effect]) -> None:
        if not effects:
            return
        call = effects[0].call
        previous = self._written.get(call)
        written = self._written[call] = gevent.event.Event()
        self.pool.spawn(self._run, node, call, tuple(effects), previous, written)

    def join(self, timeout: float) -> None:
        self.pool.join(timeout=timeout)

    def _run(self, node: str, call: str, effects: tuple[Effect, ...], previous: gevent.event.Event | None,
             written: gevent.event.Event) -> None:
        # A call's commands go out in the order decided, but the next one need not wait for the previous reply:
        # FreeSWITCH runs one socket's commands in order (mod_event_socket's listener), so writing is enough.
        if previous is not None:
            previous.wait()
        connection = self.connections[node]
        pending: list[tuple[Effect, float, PendingReply]] = []
        try:
            for effect in effects:
                try:
                    command = command_for(effect)
                    log.debug("call %s: to %s: %r", effect.call, node, command)
                    pending.append((effect, time.perf_counter(), connection.write(command)))
                except CcswitchError as exc:
                    self._failed(node, effect, str(exc))
        finally:
            written.set()
            if self._written.get(call) is written:
                del self._written[call]
        for effect, started, reply in pending:
            try:
                frame = reply.result()
                log.debug("call %s: from %s: %r", effect.call, node, reply_text(frame).strip())
                failure = refusal(frame)
            except CcswitchError as exc:
                failure = str(exc)
            if self.on_command_done is not None:
                self.on_command_done(node, time.perf_counter() - started)
            if failure is not None:
                self._failed(node, effect, failure)

    def _failed(self, node: str, effect: Effect, failure: str) -> None:
        # A caller who hung up a moment ago is normal: the hang-up event is on its way to the engine. So it is for
        # an answer refused for want of an RTP port (uuid_answer says -ERROR either way): the hang-up event's
        # cause tells the engine which (ccswitch.admission).
        level = logging.INFO if any(gone in failure for gone in _CHANNEL_GONE) else logging.WARNING
        hint = " (gone, or refused: its hang-up cause will say)" if isinstance(effect, Answer) else ""
        log.log(level, "call %s: %s failed on node %s: %s%s", effect.call, type(effect).__name__, node, failure,
                hint)
        if self.on_command_failed is not None:
            self.on_command_failed(node, effect)


def reply_text(reply: Frame) -> str:
    """What FreeSWITCH answered: an api/response body, or a command/reply's Reply-Text."""
    return reply.body.decode("utf-8", "replace") if reply.content_type == "api/response" else (
        reply.headers.get("Reply-Text", ""))


def refusal(reply: Frame) -> str | None:
    """FreeSWITCH's ``-ERR …`` text from an api/response body or a command/reply, or None if it accepted."""
    text = reply_text(reply)
    return text.strip() if text.startswith("-ERR") else None
