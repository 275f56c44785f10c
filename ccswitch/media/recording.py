"""Call recording: whether a call is recorded, where the file goes, and one recording's life.

A recording starts on the caller's channel when the agent answers (the bridge), so IVR and queue time are never
in it; it holds the whole conversation whoever the caller is bridged to later. Stereo puts the caller left and
what the caller hears (the agent) right. "Pause" for card details *masks* the recording: FreeSWITCH writes
silence, so the file keeps its real length and shows where audio was withheld. FreeSWITCH stops the recording
itself when the channel hangs up (the media bug closes), so a hang-up ends a session without a command.
"""

from __future__ import annotations

import hashlib
import os
import re
import string
import tempfile
from dataclasses import dataclass, replace
from datetime import datetime, tzinfo
from enum import Enum

from ccswitch.effects import AnnounceToCaller, Effect, MaskRecording, StartRecording, StopRecording
from ccswitch.errors import ConfigError, InvalidTransition

DEFAULT_TEMPLATE = "%Y/%m/%d/{queue}/{uuid}.wav"  # under recordings.dir
TEMPLATE_FIELDS = frozenset({"queue", "agent", "caller", "uuid"})
_UNSAFE_FIELD_CHARS = re.compile(r"[^A-Za-z0-9_+-]")
_PATH = re.compile(r"[A-Za-z0-9_.+@=-]+(/[A-Za-z0-9_.+@=-]+)*")
_SAMPLE_VALUES = {"queue": "q", "agent": "a", "caller": "c", "uuid": "u"}


class RecordingMode(Enum):
    ALL = "all"
    SAMPLE = "sample"
    NONE = "none"


@dataclass(frozen=True, slots=True)
class RecordingPolicy:
    """Per queue, or per dialplan rule (which wins for the calls it routes). ``announce`` is the name of a prompt
    played to the caller when the recording starts."""

    mode: RecordingMode = RecordingMode.NONE
    sample_percent: int = 100
    stereo: bool = True
    announce: str | None = None


def should_record(policy: RecordingPolicy, call_uuid: str) -> bool:
    """A sample is chosen by a hash of the uuid: the same call gets the same answer on every controller and
    after a restart."""
    if policy.mode is RecordingMode.SAMPLE:
        bucket = int.from_bytes(hashlib.sha256(call_uuid.encode()).digest()[:8], "big") % 100
        return bucket < policy.sample_percent
    return policy.mode is RecordingMode.ALL


def check_template(template: str) -> str | None:
    """What is wrong with a path template (``None``: nothing). Fields: {queue} {agent} {caller} {uuid}; the
    rest goes through strftime and must leave a plain relative file path (under ``recordings.dir``) ending in
    an extension FreeSWITCH can write."""
    try:
        fields = {field for _, field, _, _ in string.Formatter().parse(template) if field is not None}
    except ValueError as exc:
        return f"bad template {template!r}: {exc}"
    unknown = sorted(fields - TEMPLATE_FIELDS)
    if unknown:
        return f"unknown field {{{unknown[0]}}} in {template!r} (known: {', '.join(sorted(TEMPLATE_FIELDS))})"
    sample = _render(template, datetime(2000, 1, 2, 3, 4, 5), _SAMPLE_VALUES)
    if not _PATH.fullmatch(sample) or ".." in sample.split("/") or "." not in sample.rsplit("/", 1)[-1]:
        return (f"{template!r} does not make a relative file path with an extension "
                "(letters, digits, _ . + @ = - and /)")
    return None


def recording_path(
    template: str, now: float, tz: tzinfo, *, queue: str, agent: str, caller: str, uuid: str
) -> str:
    """The file for one recording: ``template`` with strftime codes at ``now`` in ``tz`` and the fields filled
    with path-safe text (anything but letters, digits, ``_ + -`` becomes ``_``; empty becomes ``unknown``)."""
    values = {"queue": queue, "agent": agent, "caller": caller, "uuid": uuid}
    safe = {name: _UNSAFE_FIELD_CHARS.sub("_", value) or "unknown" for name, value in values.items()}
    return _render(template, datetime.fromtimestamp(now, tz), safe)


def _render(template: str, moment: datetime, values: dict[str, str]) -> str:
    parts = []
    for literal, field, _, _ in string.Formatter().parse(template):
        parts.append(moment.strftime(literal) if literal else "")
        if field is not None:
            parts.append(values[field])
    return "".join(parts)


def check_recordings_dir(path: str, file: str = "ccswitch.yaml", key_path: str = "recordings.dir") -> None:
    """Start-up check: the recordings directory exists and a file can be created in it (raises ConfigError)."""
    if not os.path.isdir(path):
        problem = "is not a directory" if os.path.exists(path) else "does not exist"
        raise ConfigError(file, key_path, f"recordings directory {path!r} {problem}")
    try:
        with tempfile.TemporaryFile(dir=path):
            pass
    except OSError as exc:
        raise ConfigError(file, key_path, f"recordings directory {path!r} is not writable: {exc.strerror}") from exc


class RecordingState(Enum):
    RECORDING = "recording"
    MASKED = "masked"
    STOPPED = "stopped"


class RecordingEvent(Enum):
    MASK = "mask"
    UNMASK = "unmask"
    STOP = "stop"  # we stop it
    HANGUP = "hangup"  # the switch stopped it with the channel


_TRANSITIONS: dict[tuple[RecordingState, RecordingEvent], RecordingState] = {
    (RecordingState.RECORDING, RecordingEvent.MASK): RecordingState.MASKED,
    (RecordingState.MASKED, RecordingEvent.UNMASK): RecordingState.RECORDING,
    (RecordingState.RECORDING, RecordingEvent.STOP): RecordingState.STOPPED,
    (RecordingState.MASKED, RecordingEvent.STOP): RecordingState.STOPPED,
    (RecordingState.RECORDING, RecordingEvent.HANGUP): RecordingState.STOPPED,
    (RecordingState.MASKED, RecordingEvent.HANGUP): RecordingState.STOPPED,
}


@dataclass(frozen=True, slots=True)
class RecordingSession:
    """One recording of one call. ``masked`` holds the (start, end) times of finished masked stretches."""

    call: str
    queue: str
    agent: str
    path: str
    stereo: bool
    started_at: float
    state: RecordingState = RecordingState.RECORDING
    masked_since: float | None = None
    masked: tuple[tuple[float, float], ...] = ()
    stopped_at: float | None = None

    @property
    def duration_s(self) -> float | None:
        return None if self.stopped_at is None else self.stopped_at - self.started_at

    @property
    def masked_s(self) -> float:
        return sum(end - start for start, end in self.masked)


@dataclass(frozen=True, slots=True)
class RecordingMetadata:
    """What the call's history keeps of a finished recording."""

    call: str
    queue: str
    agent: str
    path: str
    stereo: bool
    started_at: float
    duration_s: float
    masked_s: float


def start(
    call: str, queue: str, agent: str, path: str, stereo: bool, now: float, announcement: str | None = None
) -> tuple[RecordingSession, list[Effect]]:
    """At the bridge, for a call ``should_record`` chose: announce (the prompt file, if any), then record."""
    effects: list[Effect] = [AnnounceToCaller(call, announcement)] if announcement else []
    effects.append(StartRecording(call, path, stereo))
    return RecordingSession(call, queue, agent, path, stereo, now), effects


def apply(
    session: RecordingSession, event: RecordingEvent, now: float
) -> tuple[RecordingSession, list[Effect]]:
    """The next session and the commands to send; anything the table lacks raises InvalidTransition."""
    state = _TRANSITIONS.get((session.state, event))
    if state is None:
        raise InvalidTransition(f"recording {session.path} of call {session.call}: {event.value} while "
                                f"{session.state.value}")
    masked = session.masked
    if session.masked_since is not None and state is not RecordingState.MASKED:
        masked = (*masked, (session.masked_since, now))
    next_session = replace(
        session,
        state=state,
        masked_since=now if state is RecordingState.MASKED else None,
        masked=masked,
        stopped_at=now if state is RecordingState.STOPPED else None,
    )
    return next_session, _commands(session, event)


def _commands(session: RecordingSession, event: RecordingEvent) -> list[Effect]:
    if event is RecordingEvent.STOP:
        return [StopRecording(session.call, session.path)]
    if event is RecordingEvent.HANGUP:
        return []
    return [MaskRecording(session.call, session.path, event is RecordingEvent.MASK)]


def metadata(session: RecordingSession) -> RecordingMetadata:
    if session.duration_s is None:
        raise InvalidTransition(f"recording {session.path} of call {session.call} is still running")
    return RecordingMetadata(session.call, session.queue, session.agent, session.path, session.stereo,
                             session.started_at, session.duration_s, session.masked_s)
