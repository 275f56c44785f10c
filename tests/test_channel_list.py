"""Reading ``show channels as json`` for the reconcile, on the real switch's rows (fs-traces l) and on hand-made ones
for states the capture does not hold (a leg still ringing, legs apart again after an unbridge)."""

from __future__ import annotations

import json
from pathlib import Path

from ccswitch.channel_events import Parked
from ccswitch.channel_list import Caller, PhoneLeg, read_channels
from ccswitch.esl.protocol import FrameParser

TRACE = Path(__file__).resolve().parent / "fixtures" / "fs-traces" / "l_show_channels_states.recv.raw"
PARKED, MUSIC, DIGITS = ("92d4d048-2c20-4fc0-9c16-67cfe35043e0", "56542923-a581-46f7-bd09-d84f1e3a5e56",
                         "45e7e67b-b9a0-4daa-b253-6aef4090d9db")
BRIDGED, AGENT_LEG = "1713aa48-4664-46f9-b51b-f98334083c58", "67f0862e-4763-4d9d-bafd-1babfbf18d36"


def snapshots() -> list[list[dict[str, str]]]:
    """The capture's ``show channels as json`` replies: before and during the broadcast to the bridged caller."""
    frames = FrameParser().feed(TRACE.read_bytes())
    bodies = [f.body for f in frames if f.content_type == "api/response" and f.body.startswith(b'{"row_count":5,')]
    return [json.loads(body)["rows"] for body in bodies]


def test_given_the_real_rows_then_only_lone_callers_wait_and_the_bridged_caller_is_with_user_1000() -> None:
    before, during = snapshots()
    assert [row["application"] for row in during if row["uuid"] == BRIDGED] == ["playback"]  # the trap
    caller = Caller(BRIDGED, "79161234567", "SIPp Caller", "88005550558", 1796610764.0, "")
    for rows in (before, during):
        channels = read_channels(rows)
        assert channels.live == (PARKED, MUSIC, DIGITS, BRIDGED, AGENT_LEG)
        assert channels.waiting == (
            Parked(PARKED, True, "88005550558", "79161234567", "SIPp Caller", playing=False),
            Parked(MUSIC, True, "88005550558", "79161234567", "SIPp Caller", playing=True),
            Parked(DIGITS, True, "88005550558", "79161234567", "SIPp Caller", playing=True),
        )
        assert channels.phone_legs == (PhoneLeg(AGENT_LEG, "1000", True, 1796610764.0, caller),)


def row(uuid: str, direction: str, application: str, call_uuid: str, state: str = "CS_EXECUTE",
        presence_id: str = "", dest: str = "88005550556") -> dict[str, str]:
    return {"uuid": uuid, "direction": direction, "application": application, "call_uuid": call_uuid,
            "state": state, "presence_id": presence_id, "dest": dest, "initial_dest": "88005550556",
            "cid_num": "79161234567", "cid_name": "Ivan", "created_epoch": "1796610700"}


def test_given_a_leg_ringing_for_a_caller_then_they_are_one_call_and_the_offer_names_its_queue() -> None:
    offer = "m:^:multiset:continue_on_fail=true^bridge:{ignore_early_media=true,cc_queue=support,cc_call=A}" \
            "[origination_uuid=B,leg_timeout=15,cc_agent=1003]user/1003^park"
    channels = read_channels([
        row("A", "inbound", "bridge", "", dest=offer),  # a caller's own column is empty until a bridge
        row("B", "outbound", "", "A", state="CS_CONSUME_MEDIA", presence_id="1003@example.org"),
    ])
    assert channels.waiting == ()
    (leg,) = channels.phone_legs
    assert (leg.user, leg.bridged, leg.caller and leg.caller.queue) == ("1003", False, "support")


def test_given_legs_apart_after_an_unbridge_then_the_parked_caller_waits_and_the_leg_has_no_caller() -> None:
    channels = read_channels([
        row("A", "inbound", "park", "A"),
        row("B", "outbound", "", "B", presence_id="1003@example.org"),
    ])
    assert [parked.uuid for parked in channels.waiting] == ["A"]
    assert [(leg.uuid, leg.caller) for leg in channels.phone_legs] == [("B", None)]


def test_given_an_inbound_channel_with_a_presence_then_it_is_no_phone_leg() -> None:
    """A caller's presence (or caller ID) is the caller's to choose: only legs the switch dialled count."""
    assert read_channels([row("A", "inbound", "park", "", presence_id="1003@example.org")]).phone_legs == ()
