"""Event over the real traces: lazy lookups, decoding per value, bodies, JSON vs plain, header injection."""

from __future__ import annotations

import random
from collections.abc import Callable

import pytest

from ccswitch.errors import EslProtocolError
from ccswitch.esl import Event, Frame, FrameParser

Load = Callable[[str], bytes]

INJECTED_UUID = "2f2ee1f5-d2cf-474c-8398-f60107a15c97"


def events_of(data: bytes) -> list[Event]:
    return [Event.from_frame(f) for f in FrameParser().feed(data) if f.content_type.startswith("text/event-")]


def plain_frame(payload: bytes) -> Frame:
    return Frame({"Content-Type": "text/event-plain", "Content-Length": str(len(payload))}, payload)


def test_event_count_matches_an_independent_count(any_trace: str, load_trace: Load) -> None:
    data = load_trace(any_trace)
    assert len(events_of(data)) == data.count(b"Content-Type: text/event-")


def test_events_are_the_same_however_the_stream_is_split(any_trace: str, load_trace: Load) -> None:
    data = load_trace(any_trace)
    rng = random.Random(any_trace)
    parser = FrameParser()
    split: list[Frame] = []
    cuts = sorted(rng.sample(range(1, len(data)), min(len(data) - 1, 500)))
    for start, end in zip([0, *cuts], [*cuts, len(data)], strict=True):
        split.extend(parser.feed(data[start:end]))
    split_events = [Event.from_frame(f) for f in split if f.content_type.startswith("text/event-")]
    assert [(e.headers, e.body) for e in split_events] == [(e.headers, e.body) for e in events_of(data)]


def test_lazy_get_agrees_with_the_full_header_dict(any_trace: str, load_trace: Load) -> None:
    data = load_trace(any_trace)
    for lazy, full in zip(events_of(data), events_of(data), strict=True):
        headers = full.headers
        assert {name: lazy.get(name) for name in headers} == headers
        assert lazy.headers == headers


def test_caller_id_cannot_inject_a_header(load_trace: Load) -> None:
    (event,) = events_of(load_trace("i_caller_id_header_injection.recv.raw"))
    assert event.name == "CHANNEL_PARK"
    assert event.unique_id == INJECTED_UUID
    assert event.get("Caller-Caller-ID-Name") == "x\nUnique-ID: victim-uuid"
    assert event.headers["Unique-ID"] == INJECTED_UUID
    assert event.headers["Caller-Caller-ID-Name"] == "x\nUnique-ID: victim-uuid"
    assert "victim-uuid" not in event.headers.values()


def test_background_job_bodies_and_job_uuids(load_trace: Load) -> None:
    events = events_of(load_trace("c_bgapi_originate_background_job.recv.raw"))
    jobs = [e for e in events if e.name == "BACKGROUND_JOB"]
    assert [(e.job_uuid, e.body) for e in jobs[:2]] == [
        ("46cb5f2f-8b1c-4606-9244-40f4287f540c", "+OK ce28864c-3139-4b5e-8ed4-e0a7ec6ab648\n"),
        ("f6f41cd4-a688-41d1-87f3-21eb8a5a36b4", "-ERR USER_NOT_REGISTERED\n"),
    ]
    status = jobs[2]
    assert status.get("Job-Command") == "status"
    assert status.body is not None and status.body.startswith("UP 0 years")
    # The inner Content-Length frames the body; it is not an event header.
    assert "Content-Length" not in status.headers and status.get("Content-Length") is None


def test_json_and_plain_give_the_same_headers_for_the_same_scenario(load_trace: Load) -> None:
    ignored = {"HEARTBEAT", "RE_SCHEDULE"}
    plain = events_of(load_trace("a_inbound_park_answer_broadcast_record_kill.plain.recv.raw"))
    json_events = events_of(load_trace("a_inbound_park_answer_broadcast_record_kill.json.recv.raw"))
    json = [e for e in json_events if e.name not in ignored]
    assert [e.name for e in plain] == [e.name for e in json]
    for p, j in zip(plain, json, strict=True):
        assert set(p.headers) == set(j.headers), p.name
        for name in ("Event-Name", "Channel-State", "Caller-Caller-ID-Name", "variable_DP_MATCH"):
            assert p.get(name) == j.get(name), (p.name, name)


def test_typed_accessors_on_real_events(load_trace: Load) -> None:
    events = events_of(load_trace("b_originate_to_sipp_uas_park_then_uuid_bridge.recv.raw"))
    bridge = next(e for e in events if e.name == "CHANNEL_BRIDGE")
    assert bridge.unique_id == "9532467c-4a89-452e-a535-a6c0f4b52f69"
    assert bridge.other_leg_unique_id == "2bdf0f40-0484-49fa-bf5d-bcc791aaa9e7"
    assert bridge.call_uuid == bridge.get("Channel-Call-UUID") is not None
    hangup = next(e for e in events if e.name == "CHANNEL_HANGUP_COMPLETE")
    assert hangup.hangup_cause is not None and hangup.hangup_cause.isupper()
    assert hangup.variable("uuid") == hangup.unique_id
    assert hangup.subclass is None and hangup.job_uuid is None

    plain = events_of(load_trace("a_inbound_park_answer_broadcast_record_kill.plain.recv.raw"))
    done = next(e for e in plain if e.name == "CHANNEL_EXECUTE_COMPLETE")
    assert done.application == "playback"
    assert done.application_uuid is not None
    assert done.get("Application-Data") == "tone_stream://%(500,500,440)"


def test_custom_events_carry_their_subclass(load_trace: Load) -> None:
    events = events_of(load_trace("e_registered_agent_callcenter.recv.raw"))
    subclasses = {e.subclass for e in events if e.name == "CUSTOM"}
    assert {"callcenter::info", "sofia::register"} <= subclasses


def test_duplicate_headers_first_wins_for_get_and_headers() -> None:
    event = Event.from_frame(plain_frame(b"Event-Name: X\nDup: first\nDup: second\n\n"))
    assert event.get("Dup") == "first"
    assert event.headers == {"Event-Name": "X", "Dup": "first"}


def test_values_are_decoded_only_when_read_and_missing_headers_give_the_default() -> None:
    event = Event.from_frame(plain_frame(b"Event-Name: X\nCaller-Caller-ID-Name: SIPp%20Caller\n\n"))
    assert event.get("Caller-Caller-ID-Name") == "SIPp Caller"
    assert event.get("Missing") is None
    assert event.get("Missing", "fallback") == "fallback"
    assert event.get("Event-Name: X\nCaller") is None


def test_the_body_is_never_read_as_headers() -> None:
    body = b"Unique-ID: evil\nEvent-Name: EVIL\n"
    payload = b"Event-Name: BACKGROUND_JOB\nContent-Length: %d\n\n" % len(body) + body
    event = Event.from_frame(plain_frame(payload))
    assert event.name == "BACKGROUND_JOB"
    assert event.unique_id is None
    assert event.headers == {"Event-Name": "BACKGROUND_JOB"}
    assert event.body == body.decode()


def test_json_event_body_and_arrays() -> None:
    payload = b'{"Event-Name":"BACKGROUND_JOB","Job-UUID":"j1","variable_x":["a","b"],"_body":"+OK done\\n"}'
    event = Event.from_frame(Frame({"Content-Type": "text/event-json"}, payload))
    assert event.job_uuid == "j1"
    assert event.body == "+OK done\n"
    assert event.variable("x") == "ARRAY::a|:b"
    assert "_body" not in event.headers


def test_event_is_read_only() -> None:
    event = Event.from_frame(plain_frame(b"Event-Name: X\n\n"))
    with pytest.raises(AttributeError):
        event.name = "Y"  # type: ignore[misc]
    event.headers["Event-Name"] = "Y"
    assert event.name == "X" and event.get("Event-Name") == "X"


@pytest.mark.parametrize(
    ("frame", "message"),
    [
        (Frame({"Content-Type": "api/response"}, b"+OK"), "not an event frame"),
        (plain_frame(b"Unique-ID: u\n\n"), "without Event-Name"),
        (plain_frame(b"Event-Name: X\n"), "blank line"),
        (plain_frame(b"Event-Name: X\nbroken line\n\n"), "without 'Name: value'"),
        (plain_frame(b"Event-Name: X"), "without its newline"),
        (plain_frame(b"Event-Name: X\nContent-Length: 10\n\nshort"), "shorter than its Content-Length"),
        (Frame({"Content-Type": "text/event-json"}, b"[1, 2]"), "not a JSON object"),
        (Frame({"Content-Type": "text/event-json"}, b"{broken"), "not JSON"),
        (Frame({"Content-Type": "text/event-json"}, b'{"Event-Name": ' + b"[" * 100_000 + b"]" * 100_000 + b"}"),
         "nests too deeply"),
        (Frame({"Content-Type": "text/event-json"}, b'{"Event-Name": "X", "Unique-ID": {"a": 1}}'),
         "neither a string nor a list of strings"),
        (Frame({"Content-Type": "text/event-json"}, b'{"Event-Name": "X", "_body": [[1]]}'), "_body is not a string"),
    ],
)
def test_malformed_events_raise_protocol_error(frame: Frame, message: str) -> None:
    with pytest.raises(EslProtocolError, match=message):
        Event.from_frame(frame).headers  # noqa: B018 - headers parses the rest of the event
