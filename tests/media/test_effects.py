"""Each call-control, monitoring and recording effect's exact command text, as the executor sends it."""

from __future__ import annotations

import pytest

from ccswitch import effects as core
from ccswitch.errors import UnsafeValueError
from ccswitch.executor import command_for

CALL, LEG = "5de5ae67-f1bb-41e9-88d3-ef5467ae5aec", "097a1df0-6ac5-44b0-921d-2fb249db963c"


@pytest.mark.parametrize(
    ("effect", "command"),
    [
        (core.SetLegVar(CALL, LEG, "hold_music", "local_stream://moh"), f"uuid_setvar {LEG} hold_music local_stream://moh"),
        (core.HoldLeg(CALL, LEG, True), f"uuid_hold {LEG}"),
        (core.HoldLeg(CALL, LEG, False), f"uuid_hold off {LEG}"),
        (core.MuteLeg(CALL, LEG, True), f"uuid_audio {LEG} start read mute 1"),
        (core.MuteLeg(CALL, LEG, False), f"uuid_audio {LEG} stop"),
        (core.HangupLeg(CALL, LEG), f"uuid_kill {LEG} NORMAL_CLEARING"),
        (core.BridgeLegs(CALL, CALL, LEG), f"uuid_bridge {CALL} {LEG}"),
        (core.RunInline(CALL, LEG, (("three_way", CALL),)), f"uuid_transfer {LEG} m:^:three_way:{CALL} inline"),
        (core.SendDtmf(CALL, LEG, "3"), f"uuid_recv_dtmf {LEG} 3"),
    ],
)
def test_command_text(effect: core.Effect, command: str) -> None:
    assert command_for(effect) == f"api {command}"


def test_originate_goes_as_bgapi_under_the_new_legs_uuid() -> None:
    effect = core.Originate(CALL, LEG, "user/2000", (("leg_timeout", "30"),), "eavesdrop", CALL)
    assert command_for(effect) == (
        f"bgapi originate {{origination_uuid={LEG},leg_timeout=30}}user/2000 &eavesdrop({CALL})\nJob-UUID: {LEG}"
    )


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
        command_for(core.SendDtmf(CALL, LEG, "2 x"))


def test_requeue_is_not_a_command() -> None:
    with pytest.raises(TypeError):
        command_for(core.Requeue(CALL, "sales"))  # type: ignore[arg-type]
