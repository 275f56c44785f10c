"""The record application (voicemail): what stops it (silence after the caller's message, the time limit, a
hang-up, a terminator key) and the events it fires, as switch_ivr_record_file_event does."""

from __future__ import annotations

from ccswitch.sim.people import CallerScript
from ccswitch.sim.switch import SimSwitch
from tests.sim.conftest import PlainEvent, RawClient
from tests.sim.test_behaviour import parked_call, sendmsg
from tests.sim.test_originate import of, seconds_between

MESSAGE = "/recordings/voicemail/m1.wav"
RECORDED = ("CODEC", "RECORD_START", "RECORD_STOP", "CHANNEL_EXECUTE", "CHANNEL_EXECUTE_COMPLETE", "CHANNEL_HANGUP",
            "CHANNEL_HANGUP_COMPLETE", "DTMF")


def from_record(client: RawClient, uuid: str) -> list[str]:
    events = of(client, uuid, *RECORDED)
    return events[events.index("CHANNEL_EXECUTE(record)") :]


def recording_call(client: RawClient, switch: SimSwitch, script: CallerScript, arg: str) -> tuple[str, PlainEvent]:
    """A caller, answered, records with ``arg``; returns the call and its record CHANNEL_EXECUTE_COMPLETE."""
    uuid = parked_call(client, switch, script)
    assert client.command(f"api uuid_answer {uuid}").body == b"+OK\n"
    sendmsg(client, uuid, "record", arg, "msg-1")
    return uuid, client.wait_event("CHANNEL_EXECUTE_COMPLETE", Application="record", Unique_ID=uuid)


def test_recording_stops_after_the_silence_that_follows_the_message(client: RawClient, switch: SimSwitch) -> None:
    uuid, done = recording_call(client, switch, CallerScript(patience_s=600, message_s=4), f"{MESSAGE} 120 200 3")
    start = client.wait_event("RECORD_START", Unique_ID=uuid)
    stop = client.wait_event("RECORD_STOP", Unique_ID=uuid)
    assert from_record(client, uuid) == [
        "CHANNEL_EXECUTE(record)", "CODEC", "RECORD_START", "RECORD_STOP", "CODEC",
        "CHANNEL_EXECUTE_COMPLETE(record)"]  # fmt: skip
    assert [e.get("channel-read-codec-name") for e in client.events() if e.name == "CODEC"][-2:] == ["L16", "PCMU"]
    assert start.get("Record-File-Path") == stop.get("Record-File-Path") == MESSAGE
    assert (start.get("Event-Calling-File"), start.get("Event-Calling-Function")) == (
        "switch_ivr_play_say.c", "switch_ivr_record_file_event")
    assert 6.9 <= seconds_between(start, stop) <= 7.5  # 4 s of message, then 3 s of silence
    assert done.get("variable_silence_hits_exhausted") == "true"
    assert done.get("variable_record_ms") == "7000" and done.get("variable_record_seconds") == "7"
    assert done.get("variable_record_samples") == "56000"
    assert (done.get("Application-UUID"), done.get("Application-Response")) == ("msg-1", "_none_")
    assert switch.channels[uuid].answered  # the caller is still there: hanging up is the controller's job


def test_the_time_limit_ends_a_long_message(client: RawClient, switch: SimSwitch) -> None:
    _, done = recording_call(client, switch, CallerScript(patience_s=600, message_s=60), f"{MESSAGE} 5 200 3")
    assert done.get("variable_record_ms") == "5000"
    assert done.get("variable_silence_hits_exhausted") == "false"


def test_without_a_threshold_or_limit_it_records_until_the_caller_hangs_up(
    client: RawClient, switch: SimSwitch
) -> None:
    uuid = parked_call(client, switch, CallerScript(patience_s=12, message_s=1))
    client.command(f"api uuid_answer {uuid}")
    sendmsg(client, uuid, "record", MESSAGE)
    client.wait_event("CHANNEL_HANGUP_COMPLETE", Unique_ID=uuid)
    assert from_record(client, uuid) == [
        "CHANNEL_EXECUTE(record)", "CODEC", "RECORD_START", "CHANNEL_HANGUP", "RECORD_STOP", "CODEC",
        "CHANNEL_EXECUTE_COMPLETE(record)", "CHANNEL_EXECUTE_COMPLETE(park)", "CHANNEL_HANGUP_COMPLETE"]  # fmt: skip
    stop = client.wait_event("RECORD_STOP", Unique_ID=uuid)
    assert 9_000 <= int(stop.get("variable_record_ms") or 0) <= 12_000


def test_a_terminator_key_ends_the_recording_and_other_keys_are_read(client: RawClient, switch: SimSwitch) -> None:
    script = CallerScript(patience_s=600, message_s=60, keys=((8.0, "5"), (9.0, "*")))
    uuid, done = recording_call(client, switch, script, f"{MESSAGE} 120 200 3")
    assert of(client, uuid, "RECORD_START", "DTMF", "RECORD_STOP") == ["RECORD_START", "DTMF", "DTMF", "RECORD_STOP"]
    assert done.get("variable_playback_terminator_used") == "*"
    assert done.get("variable_silence_hits_exhausted") == "false"
    assert int(done.get("variable_record_ms") or 0) < 60_000


def test_uuid_break_ends_the_recording(client: RawClient, switch: SimSwitch) -> None:
    uuid = parked_call(client, switch, CallerScript(patience_s=600, message_s=60))
    client.command(f"api uuid_answer {uuid}")
    sendmsg(client, uuid, "record", f"{MESSAGE} 120 200 3")
    client.wait_event("RECORD_START", Unique_ID=uuid)
    client.command(f"api uuid_break {uuid}")
    done = client.wait_event("CHANNEL_EXECUTE_COMPLETE", Application="record", Unique_ID=uuid)
    assert int(done.get("variable_record_ms") or 0) < 60_000 and switch.channels[uuid].answered
