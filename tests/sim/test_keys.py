"""Caller keypresses (CallerScript.keys): queued on the channel without an event, announced by DTMF when an
application dequeues them (playback and its terminators, park, a bridge), flushed by a transfer."""

from __future__ import annotations

from ccswitch.sim.people import AgentPhone, CallerScript
from ccswitch.sim.switch import SimSwitch
from tests.sim.conftest import PlainEvent, RawClient, wait_until
from tests.sim.test_behaviour import parked_call, sendmsg


def answered_call(client: RawClient, switch: SimSwitch, keys: tuple[tuple[float, str], ...]) -> str:
    uuid = parked_call(client, switch, CallerScript(patience_s=600, keys=keys))
    assert client.command(f"api uuid_answer {uuid}").body == b"+OK\n"
    return uuid


def names(client: RawClient, uuid: str, wanted: tuple[str, ...]) -> list[str]:
    """The caller's events among ``wanted``, DTMF shown with its digit."""
    out = []
    for event in client.events():
        if event.get("Unique-ID") == uuid and event.name in wanted:
            out.append(f"DTMF {event.get('DTMF-Digit')}" if event.name == "DTMF" else event.name)
    return out


def dtmf_events(client: RawClient, uuid: str) -> list[PlainEvent]:
    return [e for e in client.events() if e.name == "DTMF" and e.get("Unique-ID") == uuid]


def test_star_ends_the_playback_and_other_digits_are_consumed(client: RawClient, switch: SimSwitch) -> None:
    uuid = answered_call(client, switch, keys=((20.0, "5"), (22.0, "*")))
    sendmsg(client, uuid, "playback", "silence_stream://60000", "play-1")
    done = client.wait_event("CHANNEL_EXECUTE_COMPLETE", Application="playback", Unique_ID=uuid)
    assert names(client, uuid, ("PLAYBACK_START", "DTMF", "PLAYBACK_STOP")) == [
        "PLAYBACK_START", "DTMF 5", "DTMF *", "PLAYBACK_STOP"]  # fmt: skip
    stop = client.wait_event("PLAYBACK_STOP", Unique_ID=uuid)
    assert stop.get("Playback-Status") == "break" and stop.get("Playback-File-Type") is None
    assert done.get("variable_playback_terminator_used") == "*"
    assert done.get("Application-UUID") == "play-1"
    assert int(done.get("variable_playback_ms") or 0) < 60_000
    assert {e.get("DTMF-Source") for e in dtmf_events(client, uuid)} == {"RTP"}


def test_terminators_none_lets_the_prompt_play_out(client: RawClient, switch: SimSwitch) -> None:
    uuid = answered_call(client, switch, keys=((20.0, "*"),))
    sendmsg(client, uuid, "set", "playback_terminators=none")
    sendmsg(client, uuid, "playback", "silence_stream://30000")
    done = client.wait_event("CHANNEL_EXECUTE_COMPLETE", Application="playback", Unique_ID=uuid)
    assert [e.get("DTMF-Digit") for e in dtmf_events(client, uuid)] == ["*"]  # read, but no terminator
    assert client.wait_event("PLAYBACK_STOP").get("Playback-Status") == "done"
    assert done.get("variable_playback_ms") == "30000"
    assert done.get("variable_playback_terminator_used") is None


def test_terminators_any_accepts_a_digit(client: RawClient, switch: SimSwitch) -> None:
    uuid = answered_call(client, switch, keys=((20.0, "7"),))
    sendmsg(client, uuid, "set", "playback_terminators=any")
    sendmsg(client, uuid, "playback", "local_stream://moh")
    done = client.wait_event("CHANNEL_EXECUTE_COMPLETE", Application="playback", Unique_ID=uuid)
    assert done.get("variable_playback_terminator_used") == "7"


def test_a_terminator_ends_only_the_current_loop_of_an_endless_playback(client: RawClient, switch: SimSwitch) -> None:
    uuid = answered_call(client, switch, keys=((20.0, "*"),))
    client.command(
        f"sendmsg {uuid}\ncall-command: execute\nexecute-app-name: playback\n"
        "execute-app-arg: local_stream://moh\nloops: -1\nEvent-UUID: moh-1"
    )
    client.wait_event("PLAYBACK_START", count=2, Unique_ID=uuid)
    assert names(client, uuid, ("PLAYBACK_START", "DTMF", "PLAYBACK_STOP")) == [
        "PLAYBACK_START", "DTMF *", "PLAYBACK_STOP", "PLAYBACK_START"]  # fmt: skip
    again = client.wait_event("CHANNEL_EXECUTE", count=2, Application="playback", Unique_ID=uuid)
    assert (again.get("Application-UUID"), again.get("variable_current_loop")) == ("moh-1", "2")


def test_park_reads_and_drops_digits(client: RawClient, switch: SimSwitch) -> None:
    uuid = answered_call(client, switch, keys=((5.0, "12"),))
    client.wait_event("DTMF", count=2, Unique_ID=uuid)
    assert [e.get("DTMF-Digit") for e in dtmf_events(client, uuid)] == ["1", "2"]
    live = switch.channel(uuid)
    assert live is not None and live.parked and not live.dtmf_queue


def test_keys_before_the_call_has_media_are_lost(client: RawClient, switch: SimSwitch) -> None:
    uuid = parked_call(client, switch, CallerScript(patience_s=600, keys=((1.0, "9"),)))
    switch.clock.sleep(3.0)  # the key is pressed while the call still rings
    client.command(f"api uuid_answer {uuid}")
    sendmsg(client, uuid, "playback", "silence_stream://1000")
    client.wait_event("CHANNEL_EXECUTE_COMPLETE", Application="playback", Unique_ID=uuid)
    assert dtmf_events(client, uuid) == []


def test_digits_wait_while_agents_ring_and_fire_once_bridged(client: RawClient, switch: SimSwitch) -> None:
    switch.add_phone(AgentPhone("1000", answer_after_s=40, talk_s=600))
    uuid = answered_call(client, switch, keys=((20.0, "3"),))
    sendmsg(client, uuid, "bridge", "{origination_uuid=agent-k1}user/1000")
    wait_until(lambda: (ch := switch.channel(uuid)) is not None and bool(ch.dtmf_queue), timeout=5)
    assert dtmf_events(client, uuid) == []  # queued while the originate loop runs: no event yet
    client.wait_event("DTMF", Unique_ID=uuid)
    assert names(client, uuid, ("CHANNEL_BRIDGE", "DTMF")) == ["CHANNEL_BRIDGE", "DTMF 3"]


def test_bridged_digits_fire_on_the_channel_that_received_them(client: RawClient, switch: SimSwitch) -> None:
    switch.add_phone(AgentPhone("1000", answer_after_s=1, talk_s=600))
    uuid = answered_call(client, switch, keys=((10.0, "#"),))
    sendmsg(client, uuid, "bridge", "{origination_uuid=agent-k2}user/1000")
    client.wait_event("CHANNEL_BRIDGE", Unique_ID=uuid)
    client.command("api uuid_recv_dtmf agent-k2 4")
    agent_digit = client.wait_event("DTMF", Unique_ID="agent-k2")
    caller_digit = client.wait_event("DTMF", Unique_ID=uuid)
    assert (agent_digit.get("DTMF-Digit"), agent_digit.get("DTMF-Source")) == ("4", "APP")
    assert (caller_digit.get("DTMF-Digit"), caller_digit.get("DTMF-Source")) == ("#", "RTP")


def test_a_transfer_flushes_pending_digits_without_events(client: RawClient, switch: SimSwitch) -> None:
    switch.add_phone(AgentPhone("1000", behaviour="no_answer"))
    uuid = answered_call(client, switch, keys=((15.0, "8"),))
    sendmsg(client, uuid, "bridge", "{leg_timeout=600}user/1000")
    wait_until(lambda: (ch := switch.channel(uuid)) is not None and bool(ch.dtmf_queue), timeout=5)
    client.command(f"api uuid_transfer {uuid} park inline")
    client.wait_event("CHANNEL_PARK", count=2, Unique_ID=uuid)
    live = switch.channel(uuid)
    assert live is not None and not live.dtmf_queue
    assert dtmf_events(client, uuid) == []
