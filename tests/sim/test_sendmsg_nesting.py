"""How queued sendmsg / broadcast applications run, as switch_ivr.c switch_ivr_parse_event and
switch_core_session_dequeue_private_event have it (and trace j shows): inside whatever application is waiting,
unless an event-locked one runs; ``uuid_break <uuid> all`` ends the whole nest and drops what is still queued.
Prompts without a sound file last the switch's ``default_prompt_s`` (1 s)."""

from __future__ import annotations

from ccswitch.sim.channel import Heard
from ccswitch.sim.people import CallerScript
from ccswitch.sim.switch import SimSwitch
from tests.sim.conftest import RawClient

A, B, C = "/snd/a.wav", "/snd/b.wav", "/snd/c.wav"


def play(client: RawClient, uuid: str, path: str, *headers: str) -> None:
    lines = [f"sendmsg {uuid}", "call-command: execute", "execute-app-name: playback", f"execute-app-arg: {path}"]
    assert client.command("\n".join([*lines, *headers])).headers["Reply-Text"] == "+OK"


def answered_call(client: RawClient, switch: SimSwitch) -> str:
    uuid = switch.place_call(CallerScript(patience_s=600))
    client.wait_event("CHANNEL_PARK", Unique_ID=uuid)
    client.command(f"api uuid_answer {uuid}")
    return uuid


def playbacks(client: RawClient) -> list[tuple[str, str, str]]:
    """(event, file, Playback-Status) of every playback event, in order."""
    return [(e.name, e.get("Playback-File-Path") or "", e.get("Playback-Status") or "") for e in client.events()
            if e.name in ("PLAYBACK_START", "PLAYBACK_STOP")]


def heard(switch: SimSwitch, uuid: str) -> list[Heard]:
    return [stretch for stretch in switch.heard if stretch.uuid == uuid]


def test_a_prompt_sent_while_another_plays_runs_inside_it_which_goes_on_where_it_was(
    client: RawClient, switch: SimSwitch
) -> None:
    uuid = answered_call(client, switch)
    play(client, uuid, A)
    client.wait_event("PLAYBACK_START")
    switch.clock.sleep(0.3)
    play(client, uuid, B)
    client.wait_event("CHANNEL_EXECUTE_COMPLETE", count=2, Application="playback")

    assert playbacks(client) == [("PLAYBACK_START", A, ""), ("PLAYBACK_START", B, ""), ("PLAYBACK_STOP", B, "done"),
                                 ("PLAYBACK_STOP", A, "done")]
    first, inner, rest = heard(switch, uuid)
    assert (first.path, inner.path, rest.path) == (A, B, A)
    assert inner.whole and not first.whole and not rest.whole
    assert 0 < first.end_s == rest.start_s < rest.end_s == rest.length_s == 1.0


def test_event_locked_prompts_sent_back_to_back_are_heard_one_after_another(
    client: RawClient, switch: SimSwitch
) -> None:
    uuid = answered_call(client, switch)
    for path in (A, B, C):
        play(client, uuid, path, "event-lock: true")
    client.wait_event("CHANNEL_EXECUTE_COMPLETE", count=3, Application="playback")

    assert playbacks(client) == [(name, path, status) for path in (A, B, C)
                                 for name, status in (("PLAYBACK_START", ""), ("PLAYBACK_STOP", "done"))]
    assert [(stretch.path, stretch.whole) for stretch in heard(switch, uuid)] == [(A, True), (B, True), (C, True)]


def test_uuid_break_all_ends_every_nested_prompt_innermost_first_and_the_channel_stays_parked(
    client: RawClient, switch: SimSwitch
) -> None:
    uuid = answered_call(client, switch)
    for path in (A, B, C):
        play(client, uuid, path)
    client.wait_event("PLAYBACK_START", count=3)
    assert client.command(f"api uuid_break {uuid} all").body == b"+OK\n"
    client.wait_event("CHANNEL_EXECUTE_COMPLETE", count=3, Application="playback")

    assert playbacks(client)[3:] == [("PLAYBACK_STOP", C, "break"), ("PLAYBACK_STOP", B, "break"),
                                     ("PLAYBACK_STOP", A, "break")]
    assert switch.channels[uuid].parked
    play(client, uuid, A)  # the break is over: the next prompt plays to its end
    client.wait_event("CHANNEL_EXECUTE_COMPLETE", count=4, Application="playback")
    assert playbacks(client)[-1] == ("PLAYBACK_STOP", A, "done")


def test_uuid_break_all_drops_the_event_locked_prompts_still_waiting_their_turn(
    client: RawClient, switch: SimSwitch
) -> None:
    uuid = answered_call(client, switch)
    for path in (A, B, C):
        play(client, uuid, path, "event-lock: true")
    client.wait_event("PLAYBACK_START")
    client.command(f"api uuid_break {uuid} all")
    client.wait_event("CHANNEL_EXECUTE_COMPLETE", Application="playback")
    play(client, uuid, C, "Event-UUID: after-break")
    client.wait_event("CHANNEL_EXECUTE_COMPLETE", Application_UUID="after-break")

    assert playbacks(client) == [("PLAYBACK_START", A, ""), ("PLAYBACK_STOP", A, "break"),
                                 ("PLAYBACK_START", C, ""), ("PLAYBACK_STOP", C, "done")]


def test_every_repeat_of_a_loop_carries_the_event_uuid_sent_and_loops_0_runs_nothing(
    client: RawClient, switch: SimSwitch
) -> None:
    uuid = answered_call(client, switch)
    play(client, uuid, A, "loops: 0")
    play(client, uuid, B, "loops: 2", "Event-UUID: twice")
    client.wait_event("CHANNEL_EXECUTE_COMPLETE", count=2, Application="playback")

    runs = [(e.name, e.get("Application-Data"), e.get("Application-UUID")) for e in client.events()
            if e.name.startswith("CHANNEL_EXECUTE") and e.get("Application") == "playback"]
    assert runs == [("CHANNEL_EXECUTE", B, "twice"), ("CHANNEL_EXECUTE_COMPLETE", B, "twice")] * 2


def test_a_uuid_broadcast_is_event_locked_so_a_sendmsg_after_it_waits_its_turn(
    client: RawClient, switch: SimSwitch
) -> None:
    uuid = answered_call(client, switch)
    client.command(f"api uuid_broadcast {uuid} {A} aleg")
    client.wait_event("PLAYBACK_START")
    play(client, uuid, B)
    client.wait_event("CHANNEL_EXECUTE_COMPLETE", count=2, Application="playback")

    assert [(stretch.path, stretch.whole) for stretch in heard(switch, uuid)] == [(A, True), (B, True)]
