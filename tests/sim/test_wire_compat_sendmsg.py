"""Trace j replayed against the simulator: sendmsg applications sent back to back run one inside the other
(completions in reverse order), ``event-lock: true`` ones one after another, ``loops: -1`` repeats as applications
of their own, a later message runs inside the current repeat, and ``uuid_break <uuid> all`` ends the repeat and
the loop. The sent commands are the trace's own; the sounds are files of the capture's lengths."""

from __future__ import annotations

import wave
from collections.abc import Iterator
from pathlib import Path, PurePath

import pytest

from ccswitch.clock import ScaledClock
from ccswitch.sim.people import CallerScript
from ccswitch.sim.server import EslServer
from ccswitch.sim.switch import SimSwitch
from tests.sim.conftest import TRACES, PlainEvent, RawClient, wait_until
from tests.sim.test_wire_compat import assert_same_headers, replies, trace_events, trace_frames

TRACE = "j_sendmsg_nesting"
CALL = "d13cafc9-0709-4cb7-9527-0a862493bd93"
SOUNDS = {"A.wav": 1.5, "B.wav": 2.5, "C.wav": 1.0}  # seconds, as made for the capture (fixtures README)
CAPTURE_SOUNDS = "/tmp/tr-sounds/"
SPEED = 10.0  # slower than the other sim tests: the replay must hit the 1.5 s repeats of PART 3 in time


@pytest.fixture
def switch() -> Iterator[SimSwitch]:
    sim = SimSwitch(clock=ScaledClock(SPEED), hostname="vm")
    yield sim
    sim.shutdown()


def write_sounds(folder: Path) -> None:
    for name, seconds in SOUNDS.items():
        with wave.open(str(folder / name), "wb") as audio:
            audio.setnchannels(1)
            audio.setsampwidth(2)
            audio.setframerate(8000)
            audio.writeframes(b"\0\0" * int(seconds * 8000))


def sent_commands(sounds: Path) -> list[str]:
    text = (TRACES / f"{TRACE}.sent.raw").read_text().replace(CAPTURE_SOUNDS, f"{sounds}/")
    return [command for command in text.split("\n\n") if command]


Outline = tuple[str, str, str, str, str, str, int | None]


def outline(events: list[PlainEvent]) -> list[Outline]:
    """Per event: name, application, its file (base name), the channel's current_application_data (base name),
    Application-Response, Playback-Status, and which application run its Application-UUID names (numbered in order
    of first sight)."""
    runs: dict[str, int] = {}
    out = []
    for event in events:
        app_uuid = event.get("Application-UUID")
        run = runs.setdefault(app_uuid, len(runs)) if app_uuid else None
        file = event.get("Playback-File-Path") or event.get("Application-Data") or ""
        current = event.get("variable_current_application_data") or ""
        out.append((event.name, event.get("Application") or "", PurePath(file).name, PurePath(current).name,
                    event.get("Application-Response") or "", event.get("Playback-Status") or "", run))
    return out


def first_playback(outlined: list[Outline]) -> int:
    return next(i for i, (name, app, *_) in enumerate(outlined) if (name, app) == ("CHANNEL_EXECUTE", "playback"))


def test_sendmsg_nesting_event_lock_loops_and_uuid_break_match_trace_j(
    server: EslServer, switch: SimSwitch, tmp_path: Path
) -> None:
    write_sounds(tmp_path)
    (_auth, subscribe, answer, *part1, lock_a, lock_b, lock_c, loop_a, nested_c, break_all, kill,
     leave) = sent_commands(tmp_path)
    assert "event-lock: true" in lock_a and "loops: -1" in loop_a and break_all.endswith(" all")
    client = RawClient(server.port).login(subscribe)
    switch.place_call(CallerScript(destination="88005550558", patience_s=600), uuid=CALL)
    client.wait_event("CHANNEL_PARK")
    client.command(answer)

    def played(count: int) -> None:
        client.wait_event("CHANNEL_EXECUTE_COMPLETE", count=count, Application="playback")

    for command in part1:  # PART 1: no event-lock
        client.command(command)
    played(3)
    for command in (lock_a, lock_b, lock_c):  # PART 2: event-lock
        client.command(command)
    played(6)
    client.command(loop_a)  # PART 3: loops -1, then C during its second repeat, uuid_break during the fifth
    client.wait_event("PLAYBACK_START", count=6 + 2)
    client.command(nested_c)
    client.wait_event("PLAYBACK_START", count=6 + 2 + 1 + 3)
    client.command(break_all)
    played(6 + 5 + 1)
    client.command(kill)
    client.wait_event("CHANNEL_DESTROY")
    client.command(leave)
    wait_until(lambda: client.closed)

    # From the first playback on: how a call comes in and is answered is the business of other traces' tests.
    real_events, sim_events = trace_events(f"{TRACE}.recv.raw"), client.events()
    real, sim = outline(real_events), outline(sim_events)
    assert sim[first_playback(sim):] == real[first_playback(real):]
    assert_same_headers(real_events[first_playback(real):], sim_events[first_playback(sim):])
    assert replies(client.frames) == replies(trace_frames(f"{TRACE}.recv.raw"))

