"""Feature codes that take a destination typed on the phone (``*7`` blind transfer, ``*8`` consult): the bound
extension runs ``read`` (the agent's digits after the meta key go to it, not to the caller, who hears hold music
meanwhile), then ``event`` with ``${ccswitch_destination}`` expanded when it runs. Also ``read`` and ``${var}``
expansion on their own."""

from __future__ import annotations

from ccswitch.esl import commands
from ccswitch.feature_codes import DESTINATION_FEATURES, FEATURE_KEYS, READ_DESTINATION, extension
from ccswitch.sim.dialstring import AppCall
from ccswitch.sim.people import AgentPhone, CallerScript
from ccswitch.sim.switch import SimSwitch
from ccswitch.sim.variables import expand_variables
from tests.sim.conftest import PlainEvent, RawClient, wait_until
from tests.sim.test_behaviour import parked_call
from tests.sim.test_feature_codes import digits_seen

AGENT_LEG = "agent-leg-7"
CODES = {extension(feature): FEATURE_KEYS[feature] for feature in DESTINATION_FEATURES}
MUSIC = "local_stream://moh"
PROMPT = READ_DESTINATION.split()[2]  # the shipped extensions' read prompt (ccswitch.feature_codes)


def bridged(client: RawClient, switch: SimSwitch, agent_vars: dict[str, str] | None = None) -> str:
    """A caller bridged to agent 1000 whose leg binds *7 / *8 as the controller's agent legs do (the
    simulator runs the shipped ccswitch-features dialplan)."""
    switch.add_phone(AgentPhone("1000", answer_after_s=0.1, talk_s=600))
    call = parked_call(client, switch, CallerScript(patience_s=600, talk_s=None))
    variables = {**commands.feature_code_vars(CODES, "ccswitch-features"), **(agent_vars or {})}
    leg = commands.AgentDial("user/1000", AGENT_LEG, 0, variables)
    command = commands.connect_agent(call, [leg], 10, "Caller", "79161234567", {})
    assert client.command(commands.api(command)).body == b"+OK\n"
    client.wait_event("CHANNEL_BRIDGE", Unique_ID=call)
    return call


def feature(client: RawClient) -> PlainEvent:
    return client.wait_event("CUSTOM", Unique_ID=AGENT_LEG)


def index(client: RawClient, name: str, uuid: str, **headers: str) -> int:
    return next(i for i, e in enumerate(client.events()) if e.name == name and e.get("Unique-ID") == uuid
                and all(e.get(k.replace("_", "-")) == v for k, v in headers.items()))


def test_star_seven_then_digits_and_hash_fire_transfer_with_the_destination(client: RawClient,
                                                                            switch: SimSwitch) -> None:
    call = bridged(client, switch, {"hold_music": MUSIC})
    switch.press_keys(AGENT_LEG, "*71002#")
    event = feature(client)
    assert (event.get("Event-Subclass"), event.get("Feature"), event.get("Destination")) == (
        "ccswitch::feature", "transfer", "1002")
    assert (event.get("variable_read_result"), event.get("variable_read_terminator_used"),
            event.get("variable_ccswitch_destination")) == ("success", "#", "1002")
    # read dequeues the typed digits itself (DTMF on the agent leg); the meta keys and the digits never reach the
    # caller, whose leg shows no DTMF at all
    assert digits_seen(client, AGENT_LEG) == "1002#"
    assert digits_seen(client, call) == ""
    # ${ccswitch_destination} is expanded when the event application runs (switch_core_session_exec)
    expanded = "Event-Subclass=ccswitch::feature,Event-Name=CUSTOM,Feature=transfer,Destination=1002"
    assert switch.apps_on(AGENT_LEG)[-3:] == [
        AppCall("execute_extension", "ccswitch_transfer XML ccswitch-features"),
        AppCall("read", f"1 20 {PROMPT} ccswitch_destination 5000 #"),
        AppCall("event", expanded)]
    assert client.wait_event("CHANNEL_EXECUTE", Unique_ID=AGENT_LEG, Application="event").get(
        "Application-Data") == expanded
    # read's prompt: the first digit breaks it; no application response
    stop = client.wait_event("PLAYBACK_STOP", Unique_ID=AGENT_LEG)
    assert (stop.get("Playback-File-Path"), stop.get("Playback-Status")) == (PROMPT, "break")
    done = client.wait_event("CHANNEL_EXECUTE_COMPLETE", Unique_ID=AGENT_LEG, Application="read")
    assert done.get("Application-Response") == "_none_"
    # the caller hears the hold music from before the extension runs until after it (hold-bleg)
    client.wait_event("CHANNEL_EXECUTE_COMPLETE", Unique_ID=call, Application="playback")
    assert (index(client, "CHANNEL_EXECUTE", call, Application="playback", Application_Data=MUSIC)
            < index(client, "CHANNEL_EXECUTE", AGENT_LEG, Application="execute_extension")
            < index(client, "CUSTOM", AGENT_LEG)
            < index(client, "CHANNEL_EXECUTE_COMPLETE", AGENT_LEG, Application="execute_extension")
            < index(client, "PLAYBACK_STOP", call, Playback_File_Path=MUSIC))
    assert switch.channels[call].bridged_with == AGENT_LEG
    # digits after it pass to the caller again
    switch.press_keys(AGENT_LEG, "5")
    wait_until(lambda: digits_seen(client, AGENT_LEG) == "1002#5")


def test_the_raw_event_carries_the_destination(client: RawClient, switch: SimSwitch) -> None:
    bridged(client, switch)
    switch.press_keys(AGENT_LEG, "*82005#")
    assert feature(client).get("Feature") == "consult"
    (frame,) = [f for f in client.frames if b"Event-Name: CUSTOM" in f.body]
    assert b"\nFeature: consult\nDestination: 2005\n" in frame.body


def test_a_timeout_with_no_digits_gives_an_empty_destination(client: RawClient, switch: SimSwitch) -> None:
    bridged(client, switch)
    switch.press_keys(AGENT_LEG, "*7")
    event = feature(client)
    # switch_event_serialize writes the empty header as _undef_; fewer than <min> digits is a failure
    assert (event.get("Feature"), event.get("Destination")) == ("transfer", "_undef_")
    assert event.get("variable_read_result") == "failure"
    assert event.get("variable_ccswitch_destination") is None
    (frame,) = [f for f in client.frames if b"Event-Name: CUSTOM" in f.body]
    assert b"\nDestination: _undef_\n" in frame.body
    started = client.wait_event("CHANNEL_EXECUTE", Unique_ID=AGENT_LEG, Application="read")
    waited_s = (int(event.get("Event-Date-Timestamp") or 0) - int(started.get("Event-Date-Timestamp") or 0)) / 1e6
    assert 5.2 <= waited_s < 6.5  # the 200 ms prompt, then 5 s with no key


def test_a_timeout_after_some_digits_keeps_them(client: RawClient, switch: SimSwitch) -> None:
    bridged(client, switch)
    switch.press_keys(AGENT_LEG, "*71")
    client.wait_event("DTMF", Unique_ID=AGENT_LEG)
    switch.press_keys(AGENT_LEG, "0")
    event = feature(client)
    assert (event.get("Destination"), event.get("variable_read_result")) == ("10", "timeout")


def test_without_hold_music_the_caller_hears_nothing_new(client: RawClient, switch: SimSwitch) -> None:
    call = bridged(client, switch)
    switch.press_keys(AGENT_LEG, "*71002#")
    feature(client)
    client.wait_event("CHANNEL_EXECUTE_COMPLETE", Unique_ID=AGENT_LEG, Application="execute_extension")
    assert [e for e in client.events() if e.name == "PLAYBACK_START" and e.get("Unique-ID") == call] == []


def test_a_global_hold_music_serves_as_the_callers(client: RawClient, switch: SimSwitch) -> None:
    switch.global_variables["hold_music"] = MUSIC  # vanilla vars.xml: <X-PRE-PROCESS cmd="set" data="hold_music=…"/>
    call = bridged(client, switch)
    switch.press_keys(AGENT_LEG, "*8")
    client.wait_event("PLAYBACK_START", Unique_ID=call, Playback_File_Path=MUSIC)
    assert feature(client).get("Feature") == "consult"
    client.wait_event("PLAYBACK_STOP", Unique_ID=call, Playback_File_Path=MUSIC)


def test_read_stops_at_max_digits_and_leaves_the_rest(client: RawClient, switch: SimSwitch) -> None:
    uuid = parked_call(client, switch)
    client.command(f"api uuid_answer {uuid}")
    client.command(f"sendmsg {uuid}\ncall-command: execute\nexecute-app-name: read\n"
                   "execute-app-arg: 2 3 silence picked 2000 *")
    client.wait_event("CHANNEL_EXECUTE", Unique_ID=uuid, Application="read")
    switch.press_keys(uuid, "12345")
    done = client.wait_event("CHANNEL_EXECUTE_COMPLETE", Unique_ID=uuid, Application="read")
    assert (done.get("variable_picked"), done.get("variable_read_result")) == ("123", "success")
    wait_until(lambda: digits_seen(client, uuid) == "12345")  # park drops the two left over
    assert [e.name for e in client.events() if e.get("Unique-ID") == uuid and e.name.startswith("PLAYBACK")] == []


def test_variables_expand_when_the_application_runs(client: RawClient, switch: SimSwitch) -> None:
    uuid = parked_call(client, switch)
    client.command(f"sendmsg {uuid}\ncall-command: execute\nexecute-app-name: set\n"
                   "execute-app-arg: seen=${caller_id_number}/${destination_number}/${nothing}/$${domain}")
    done = client.wait_event("CHANNEL_EXECUTE_COMPLETE", Unique_ID=uuid, Application="set")
    assert done.get("Application-Data") == "seen=79161234567/88005550556//127.0.0.1"
    assert switch.channels[uuid].variables["seen"] == "79161234567/88005550556//127.0.0.1"
    client.command(f"api uuid_setvar {uuid} app_disable_expand_variables true")
    client.command(f"sendmsg {uuid}\ncall-command: execute\nexecute-app-name: set\nexecute-app-arg: raw=${{uuid}}")
    wait_until(lambda: switch.channels[uuid].variables.get("raw") == "${uuid}")


def test_expansion_rules() -> None:
    variables = {"a": "1", "b": "${a}2", "name": "a", "long": "abcdef"}
    assert expand_variables("${a}-${b}-${${name}}-${none}-$${a}", variables.get) == "1-12-1--1"
    assert expand_variables("${long:2}|${long:1:3}|${long:-2}|${long:-9}", variables.get) == "cdef|bcd|ef|abcdef"
    assert expand_variables("\\${a} costs $5", variables.get) == "${a} costs $5"
    assert expand_variables("no vars \\\\ here", variables.get) == "no vars \\\\ here"
    assert expand_variables("${expr(1+1)}", variables.get) == ""  # api expansion: not simulated
