"""Each media effect's exact command text (recording effects: through the executor, which sends them)."""

from __future__ import annotations

import pytest

from ccswitch import effects as core
from ccswitch.errors import UnsafeValueError
from ccswitch.executor import command_for
from ccswitch.media import effects as e

CALL, LEG = "5de5ae67-f1bb-41e9-88d3-ef5467ae5aec", "097a1df0-6ac5-44b0-921d-2fb249db963c"


@pytest.mark.parametrize(
    ("effect", "command"),
    [
        (e.SetLegVar(CALL, LEG, "hold_music", "local_stream://moh"), f"uuid_setvar {LEG} hold_music local_stream://moh"),
        (e.HoldLeg(CALL, LEG, True), f"uuid_hold {LEG}"),
        (e.HoldLeg(CALL, LEG, False), f"uuid_hold off {LEG}"),
        (e.MuteLeg(CALL, LEG, True), f"uuid_audio {LEG} start read mute 1"),
        (e.MuteLeg(CALL, LEG, False), f"uuid_audio {LEG} stop"),
        (e.HangupLeg(CALL, LEG), f"uuid_kill {LEG} NORMAL_CLEARING"),
        (e.BridgeLegs(CALL, CALL, LEG), f"uuid_bridge {CALL} {LEG}"),
        (e.RunInline(CALL, LEG, (("three_way", CALL),)), f"uuid_transfer {LEG} m:^:three_way:{CALL} inline"),
        (e.Originate(CALL, LEG, "user/2000", (("leg_timeout", "30"),), "eavesdrop", CALL),
         f"originate {{origination_uuid={LEG},leg_timeout=30}}user/2000 &eavesdrop({CALL})"),
        (e.SendDtmf(CALL, LEG, "3"), f"uuid_recv_dtmf {LEG} 3"),
    ],
)
def test_command_text(effect: e.CommandEffect, command: str) -> None:
    assert e.api_command(effect) == command
    assert e.command_for(effect) == f"api {command}"


@pytest.mark.parametrize(
    ("effect", "command"),
    [
        (core.StartRecording(CALL, "/r/a.wav", True), f"uuid_record {CALL} start /r/a.wav 0 {{RECORD_STEREO=true}}"),
        (core.StartRecording(CALL, "/r/a.wav", False),
         f"uuid_record {CALL} start /r/a.wav 0 {{RECORD_STEREO=false}}"),
        (core.MaskRecording(CALL, "/r/a.wav", True), f"uuid_record {CALL} mask /r/a.wav"),
        (core.MaskRecording(CALL, "/r/a.wav", False), f"uuid_record {CALL} unmask /r/a.wav"),
        (core.StopRecording(CALL, "/r/a.wav"), f"uuid_record {CALL} stop /r/a.wav"),
        (core.AnnounceToCaller(CALL, "/s/rec.wav"), f"uuid_broadcast {CALL} /s/rec.wav aleg"),
    ],
)
def test_recording_command_text(effect: core.Effect, command: str) -> None:
    assert command_for(effect) == f"api {command}"


def test_unsafe_values_are_refused_when_the_command_is_built() -> None:
    with pytest.raises(UnsafeValueError, match="recording path"):
        command_for(core.StartRecording(CALL, "/r/a b.wav", True))
    with pytest.raises(UnsafeValueError, match="DTMF"):
        e.command_for(e.SendDtmf(CALL, LEG, "2 x"))


def test_requeue_is_not_a_command() -> None:
    with pytest.raises(TypeError):
        e.command_for(e.Requeue(CALL, "sales"))  # type: ignore[arg-type]
