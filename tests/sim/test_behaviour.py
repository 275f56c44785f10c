"""Call behaviour over real TCP: IVR digits, bridging to agent phones, the after-bridge rules, patience,
breaks."""

from __future__ import annotations

from ccswitch.sim.people import AgentPhone, CallerScript, GatewayCallee, poisson_arrivals, run_load
from ccswitch.sim.server import EslServer
from ccswitch.sim.switch import SimSwitch
from tests.sim.conftest import RawClient, wait_until


def sendmsg(client: RawClient, uuid: str, app: str, arg: str, event_uuid: str = "app-1") -> None:
    lines = [f"sendmsg {uuid}", "call-command: execute", f"execute-app-name: {app}", f"execute-app-arg: {arg}"]
    reply = client.command("\n".join([*lines, f"Event-UUID: {event_uuid}"]))
    assert reply.headers["Reply-Text"] == "+OK"


def parked_call(client: RawClient, switch: SimSwitch, script: CallerScript | None = None) -> str:
    uuid = switch.place_call(script or CallerScript())
    client.wait_event("CHANNEL_PARK", Unique_ID=uuid)
    return uuid


def outline(client: RawClient, uuid: str) -> list[str]:
    names = []
    for event in client.events():
        if uuid in (event.get("Unique-ID"), event.get("Other-Leg-Unique-ID")) and event.name not in (
            "CHANNEL_STATE",
            "CHANNEL_CALLSTATE",
            "CODEC",
            "CALL_UPDATE",
        ):
            names.append(event.name + (f"({event.get('Application')})" if event.get("Application") else ""))
    return names


def test_play_and_get_digits_returns_the_scripted_digits(client: RawClient, switch: SimSwitch) -> None:
    uuid = parked_call(client, switch, CallerScript(dtmf=("42",)))
    sendmsg(client, uuid, "play_and_get_digits", "1 2 3 5000 # /tmp/menu.wav /tmp/bad.wav choice \\d+", "pagd-1")
    done = client.wait_event("CHANNEL_EXECUTE_COMPLETE", Application="play_and_get_digits")
    assert done.get("variable_choice") == "42"
    assert done.get("Application-UUID") == "pagd-1"
    assert [e.get("DTMF-Digit") for e in client.events() if e.name == "DTMF"] == ["4", "2"]


def test_play_and_get_digits_without_input_leaves_the_variable_unset(client: RawClient, switch: SimSwitch) -> None:
    uuid = parked_call(client, switch)
    sendmsg(client, uuid, "play_and_get_digits", "1 1 2 100 # /tmp/menu.wav '' choice \\d")
    done = client.wait_event("CHANNEL_EXECUTE_COMPLETE", Application="play_and_get_digits")
    assert done.get("variable_choice") is None
    assert len([e for e in client.events() if e.name == "PLAYBACK_START"]) == 2


def test_bridge_to_an_answering_phone_then_agent_hangs_up_and_caller_stays(
    client: RawClient, switch: SimSwitch
) -> None:
    switch.add_phone(AgentPhone("1000", answer_after_s=0.5, talk_s=2))
    uuid = parked_call(client, switch)
    sendmsg(client, uuid, "bridge", "{leg_timeout=10}user/1000")
    bridge = client.wait_event("CHANNEL_BRIDGE")
    agent = bridge.get("Bridge-B-Unique-ID")
    assert bridge.get("Bridge-A-Unique-ID") == uuid
    done = client.wait_event("CHANNEL_EXECUTE_COMPLETE", Application="bridge")
    assert done.get("variable_DIALSTATUS") == "SUCCESS"
    assert switch.channels[uuid].parked and switch.channels[uuid].bridged_with is None
    assert outline(client, agent)[:4] == [
        "CHANNEL_OUTGOING",
        "CHANNEL_CREATE",
        "CHANNEL_ORIGINATE",
        "CHANNEL_PROGRESS",
    ]
    assert ("CHANNEL_HANGUP_COMPLETE" in outline(client, agent)) and agent not in switch.channels


def test_hangup_after_bridge_hangs_the_caller_up(client: RawClient, switch: SimSwitch) -> None:
    switch.add_phone(AgentPhone("1000", answer_after_s=0.2, talk_s=1))
    uuid = parked_call(client, switch)
    sendmsg(client, uuid, "set", "hangup_after_bridge=true")
    sendmsg(client, uuid, "bridge", "user/1000")
    client.wait_event("CHANNEL_HANGUP_COMPLETE", Unique_ID=uuid)
    assert [h.uuid for h in switch.hangups][-1] == uuid


def test_unanswered_bridge_continues_by_default_and_hangs_up_with_continue_on_fail_false(
    client: RawClient, switch: SimSwitch
) -> None:
    switch.add_phone(AgentPhone("1000", behaviour="no_answer"))
    uuid = parked_call(client, switch)
    sendmsg(client, uuid, "bridge", "{leg_timeout=2}user/1000")
    done = client.wait_event("CHANNEL_EXECUTE_COMPLETE", Application="bridge")
    assert (done.get("variable_DIALSTATUS"), done.get("variable_originate_disposition")) == (
        "NOANSWER",
        "NO_ANSWER",
    )
    assert switch.channels[uuid].parked  # NO_ANSWER never hangs up the caller unless told to
    sendmsg(client, uuid, "set", "continue_on_fail=false")
    sendmsg(client, uuid, "bridge", "{leg_timeout=1}user/1000")
    hangup = client.wait_event("CHANNEL_HANGUP", Unique_ID=uuid)
    assert hangup.get("Hangup-Cause") == "NO_ANSWER"


def test_busy_phone_hangs_the_caller_up_unless_continue_on_fail(client: RawClient, switch: SimSwitch) -> None:
    switch.add_phone(AgentPhone("1000", behaviour="busy"))
    staying = parked_call(client, switch)
    sendmsg(client, staying, "set", "continue_on_fail=USER_BUSY,NO_ANSWER")
    sendmsg(client, staying, "bridge", "user/1000")
    done = client.wait_event("CHANNEL_EXECUTE_COMPLETE", Application="bridge", Unique_ID=staying)
    assert done.get("variable_DIALSTATUS") == "BUSY" and switch.channels[staying].parked
    leaving = parked_call(client, switch)
    sendmsg(client, leaving, "bridge", "user/1000")
    assert client.wait_event("CHANNEL_HANGUP", Unique_ID=leaving).get("Hangup-Cause") == "USER_BUSY"


def test_inline_transfer_with_bridge_then_park(client: RawClient, switch: SimSwitch) -> None:
    switch.add_phone(AgentPhone("1000", answer_after_s=0.2, talk_s=1))
    uuid = parked_call(client, switch)
    reply = client.command(f"api uuid_transfer {uuid} 'm:^:bridge:{{leg_timeout=5,x=1}}user/1000^park' inline")
    assert reply.body == b"+OK\n"
    client.wait_event("CHANNEL_PARK", count=2, Unique_ID=uuid)
    # A-leg events and the B-leg's (which name the A-leg as Other-Leg), without state/codec noise.
    assert outline(client, uuid)[3:] == [
        "CHANNEL_UNPARK", "CHANNEL_EXECUTE_COMPLETE(park)", "CHANNEL_EXECUTE(bridge)",
        "CHANNEL_OUTGOING", "CHANNEL_CREATE", "CHANNEL_ORIGINATE", "CHANNEL_PROGRESS",  # B rings
        "CHANNEL_PROGRESS",  # A hears ringback
        "CHANNEL_ANSWER",  # B answers
        "CHANNEL_PROGRESS_MEDIA", "CHANNEL_ANSWER",  # so A is answered
        "CHANNEL_BRIDGE",
        "CHANNEL_HANGUP", "CHANNEL_HANGUP_COMPLETE",  # the agent hangs up after talk_s
        "CHANNEL_UNBRIDGE", "CHANNEL_EXECUTE_COMPLETE(bridge)", "CHANNEL_EXECUTE(park)", "CHANNEL_PARK",
        "CHANNEL_DESTROY",  # B, released once A's bridge returned
    ]  # fmt: skip


def test_caller_abandons_after_patience(client: RawClient, switch: SimSwitch) -> None:
    uuid = parked_call(client, switch, CallerScript(patience_s=2))
    assert client.wait_event("CHANNEL_HANGUP", Unique_ID=uuid).get("Hangup-Cause") == "NORMAL_CLEARING"


def test_uuid_break_stops_endless_playback(client: RawClient, switch: SimSwitch) -> None:
    uuid = parked_call(client, switch)
    sendmsg(client, uuid, "playback", "local_stream://moh")
    client.wait_event("PLAYBACK_START")
    assert client.command(f"api uuid_break {uuid} all").body == b"+OK\n"
    client.wait_event("CHANNEL_EXECUTE_COMPLETE", Application="playback")
    assert switch.channels[uuid].parked


def test_uuid_break_ends_every_loop_of_looped_music_and_the_next_queued_app_runs(
    client: RawClient, switch: SimSwitch
) -> None:
    """switch_channel_stop_broadcast: a sendmsg app sets CF_BROADCAST, so uuid_break also stops its loops (unlike a
    terminator key, which ends only the current loop)."""
    uuid = parked_call(client, switch, CallerScript(patience_s=600))
    client.command(
        f"sendmsg {uuid}\ncall-command: execute\nexecute-app-name: playback\n"
        "execute-app-arg: local_stream://moh\nloops: -1\nEvent-UUID: moh-1"
    )
    client.wait_event("PLAYBACK_START", Unique_ID=uuid)
    switch.clock.sleep(1.0)  # a loop that ends within 0.5 s would not be repeated anyway
    assert client.command(f"api uuid_break {uuid} all").body == b"+OK\n"
    sendmsg(client, uuid, "playback", "silence_stream://500", "after-1")
    client.wait_event("CHANNEL_EXECUTE_COMPLETE", Application="playback", Unique_ID=uuid, Application_UUID="after-1")
    started = [e.get("Application-Data") for e in client.events()
               if e.name == "CHANNEL_EXECUTE" and e.get("Unique-ID") == uuid and e.get("Application") == "playback"]
    assert started == ["local_stream://moh", "silence_stream://500"]
    assert switch.channels[uuid].parked


def test_drop_clients_closes_sockets_without_notice(server: EslServer, client: RawClient) -> None:
    server.drop_clients()
    wait_until(lambda: client.closed)
    assert all(f.content_type != "text/disconnect-notice" for f in client.frames)
    again = RawClient(server.port).login()
    assert again.command("api uuid_exists nothing").body == b"false"


def test_filters_limit_events_to_one_call(client: RawClient, switch: SimSwitch) -> None:
    first = parked_call(client, switch)
    client.command(f"filter Unique-ID {first}")
    second = switch.place_call(CallerScript())
    client.command(f"api uuid_kill {first}")
    client.wait_event("CHANNEL_DESTROY", Unique_ID=first)
    after_filter = client.events()[[e.name for e in client.events()].index("CHANNEL_PARK") + 1 :]
    assert {e.get("Unique-ID") for e in after_filter} == {first}
    assert second in switch.channels


def test_inline_bridge_no_answer_falls_through_to_park(client: RawClient, switch: SimSwitch) -> None:
    switch.add_phone(AgentPhone("1000", behaviour="no_answer"))
    uuid = parked_call(client, switch)
    client.command(f"api uuid_transfer {uuid} 'm:^:bridge:{{leg_timeout=1,x=1}}user/1000^park' inline")
    client.wait_event("CHANNEL_PARK", count=2, Unique_ID=uuid)
    done = client.wait_event("CHANNEL_EXECUTE_COMPLETE", Application="bridge")
    assert (done.get("variable_DIALSTATUS"), done.get("variable_originate_failed_cause")) == ("NOANSWER", "NO_ANSWER")
    agent = client.wait_event("CHANNEL_HANGUP", Other_Type="originator")
    assert agent.get("Hangup-Cause") == "NO_ANSWER" and agent.get("variable_x") == "1"


def test_gateway_callees_follow_the_configured_model(switch: SimSwitch, server: EslServer) -> None:
    switch.gateway_callee = GatewayCallee(person_probability=0, machine_probability=0, busy_probability=1)
    client = RawClient(server.port).login(subscribe=None)
    assert client.command("api originate sofia/gateway/trunk/79000000000 &park").body == b"-ERR USER_BUSY\n"


def test_run_load_places_poisson_arrivals(switch: SimSwitch) -> None:
    arrivals = poisson_arrivals(rate_per_s=5, duration_s=2, make_script=[CallerScript(patience_s=1)], seed=7)
    placed = list(run_load(switch, arrivals))
    assert len(placed) == len(arrivals) > 0
    wait_until(lambda: len(switch.hangups) == len(placed), timeout=5)
