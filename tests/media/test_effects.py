"""Each media effect's exact command text."""

from __future__ import annotations

import pytest

from ccswitch.errors import UnsafeValueError
from ccswitch.media import effects as e

CALL, LEG = "5de5ae67-f1bb-41e9-88d3-ef5467ae5aec", "097a1df0-6ac5-44b0-921d-2fb249db963c"


@pytest.mark.parametrize(
    ("effect", "command"),
    [
        (e.StartRecording(CALL, "/r/a.wav", True), f"uuid_record {CALL} start /r/a.wav 0 {{RECORD_STEREO=true}}"),
        (e.MaskRecording(CALL, "/r/a.wav", True), f"uuid_record {CALL} mask /r/a.wav"),
        (e.MaskRecording(CALL, "/r/a.wav", False), f"uuid_record {CALL} unmask /r/a.wav"),
        (e.StopRecording(CALL, "/r/a.wav"), f"uuid_record {CALL} stop /r/a.wav"),
        (e.AnnounceToCaller(CALL, "/s/rec.wav"), f"uuid_broadcast {CALL} /s/rec.wav aleg"),
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


def test_unsafe_values_are_refused_when_the_command_is_built() -> None:
    with pytest.raises(UnsafeValueError, match="recording path"):
        e.command_for(e.StartRecording(CALL, "/r/a b.wav", True))
    with pytest.raises(UnsafeValueError, match="DTMF"):
        e.command_for(e.SendDtmf(CALL, LEG, "2 x"))


def test_requeue_is_not_a_command() -> None:
    with pytest.raises(TypeError):
        e.command_for(e.Requeue(CALL, "sales"))  # type: ignore[arg-type]
