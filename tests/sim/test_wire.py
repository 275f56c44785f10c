"""Pure encoding and parsing helpers of the simulator."""

from __future__ import annotations

from urllib.parse import unquote

import pytest

from ccswitch.sim.dialstring import (
    AppCall,
    DialTarget,
    parse_dial_string,
    parse_inline_dialplan,
    separate_string,
)
from ccswitch.sim.wire import url_encode
from tests.sim.conftest import TRACES, PlainEvent, frames_of


@pytest.mark.parametrize(
    ("value", "encoded"),
    [
        ("SIPp Caller", "SIPp%20Caller"),
        ("tone_stream://%(500,500,440)", "tone_stream%3A//%25(500,500,440)"),
        ("x%0AUnique-ID%3A%20victim", "x%0AUnique-ID%3A%20victim"),
        ("50%", "50%25"),
        ("%0a lower-case hex is encoded", "%250a%20lower-case%20hex%20is%20encoded"),
        ("Sun, 22 Nov", "Sun,%2022%20Nov"),
        ("Иван", "%D0%98%D0%B2%D0%B0%D0%BD"),
    ],
)
def test_url_encode_is_switch_url_encode(value: str, encoded: str) -> None:
    assert url_encode(value) == encoded


def test_every_trace_value_re_encodes_to_its_own_bytes() -> None:
    checked = 0
    for path in TRACES.glob("*.recv.raw"):
        for frame in frames_of(path.read_bytes()):
            if frame.content_type != "text/event-plain":
                continue
            head = frame.body.partition(b"\n\n")[0].decode()
            for line in head.split("\n"):
                raw = line.partition(": ")[2]
                assert url_encode(unquote(raw)) == raw or url_encode(raw) == raw, line
                checked += 1
    assert checked > 10_000


def test_inline_dialplan_with_custom_separator_keeps_commas_in_bridge_vars() -> None:
    apps = parse_inline_dialplan("m:^:set:a=1^bridge:{leg_timeout=10,x=y}user/1000^park")
    assert apps == [
        AppCall("set", "a=1"),
        AppCall("bridge", "{leg_timeout=10,x=y}user/1000"),
        AppCall("park", ""),
    ]


def test_inline_dialplan_default_separator_is_comma() -> None:
    assert parse_inline_dialplan("answer,playback:/tmp/a.wav") == [
        AppCall("answer", ""),
        AppCall("playback", "/tmp/a.wav"),
    ]


def test_separate_string_honours_quotes_and_escapes() -> None:
    assert separate_string("a,'b,c',d\\,e", ",") == ["a", "b,c", "d,e"]


def test_dial_string_global_and_leg_variables() -> None:
    assert parse_dial_string("{a=1,b=2}[c=3,d=4]user/1000|sofia/gateway/gw/123") == [
        [DialTarget("user/1000", (("a", "1"), ("b", "2"), ("c", "3"), ("d", "4")))],
        [DialTarget("sofia/gateway/gw/123", (("a", "1"), ("b", "2")))],
    ]


def test_dial_string_commas_ring_legs_together_and_escaped_commas_stay_in_values() -> None:
    dial = "{t=5}[group_confirm_key=exec,group_confirm_file=playback /a\\,b.wav]user/1000,user/1001|user/1002"
    assert parse_dial_string(dial) == [
        [
            DialTarget(
                "user/1000",
                (("t", "5"), ("group_confirm_key", "exec"), ("group_confirm_file", "playback /a,b.wav")),
            ),
            DialTarget("user/1001", (("t", "5"),)),
        ],
        [DialTarget("user/1002", (("t", "5"),))],
    ]


def test_plain_event_parser_keeps_repeated_headers() -> None:
    event = PlainEvent.parse(b"Event-Name: X\nHangup-Cause: A\nHangup-Cause: A\n\n")
    assert event.names == ["Event-Name", "Hangup-Cause", "Hangup-Cause"]
