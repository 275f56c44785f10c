"""Which sendmsg applications the executor sends with ``event-lock: true``: those a caller must hear in order. On
the real switch unlocked ones sent back to back run one inside the other (trace j); what must not hold the
channel's queue closed (endless music, a callback's bridge, amd) goes unlocked."""

from __future__ import annotations

import pytest

from ccswitch import effects as core
from ccswitch.executor import command_for

CALL, LEG = "5de5ae67-f1bb-41e9-88d3-ef5467ae5aec", "097a1df0-6ac5-44b0-921d-2fb249db963c"


def headers(command: str) -> list[str]:
    return command.split("\n")[1:]


@pytest.mark.parametrize(
    ("effect", "tag"),
    [
        (core.Play(CALL, "/snd/queue/position.wav", "wait-1"), "wait-1"),
        (core.PlayFiles(CALL, ("/snd/en/digits/3.wav", "/snd/en/time/minutes.wav"), "wait-2"), "wait-2"),
        (core.CollectDigits(CALL, "/snd/ivr/main_menu.wav", "ivr-1"), "ivr-1"),
        (core.RecordMessage(CALL, "/rec/msg.wav", 120, "message-1"), "message-1"),
    ],
)
def test_a_prompt_is_sent_event_locked_with_its_tag(effect: core.Effect, tag: str) -> None:
    command = command_for(effect)
    assert command.startswith(f"sendmsg {CALL}\ncall-command: execute\n")
    assert "event-lock: true" in headers(command)
    assert f"Event-UUID: {tag}" in headers(command)


@pytest.mark.parametrize(
    "effect",
    [
        core.StartMusic(CALL, "local_stream://moh"),
        core.DialOut(CALL, LEG, CALL, "trunk", "79161234567", "88005550556", 40, "dial-1"),
        core.DetectMachine(CALL, "amd-1"),
    ],
)
def test_music_the_callback_bridge_and_amd_are_not_event_locked(effect: core.Effect) -> None:
    command = command_for(effect)
    assert command.startswith("sendmsg ") and "call-command: execute" in headers(command)
    assert not any(line.startswith("event-lock") for line in headers(command))


def test_the_music_repeats_until_broken() -> None:
    assert headers(command_for(core.StartMusic(CALL, "local_stream://moh")))[-1] == "loops: -1"
