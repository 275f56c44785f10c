"""Desk-phone feature codes in the simulator: the agent leg runs its execute_on_answer bind_meta_app variables
when answered; ``*`` + a bound digit from the agent's phone never reaches the caller and runs
``execute_extension`` in the shipped ccswitch-features context, whose ``event`` application fires CUSTOM
``ccswitch::feature`` in FreeSWITCH's wire format."""

from __future__ import annotations

from ccswitch.effects import AgentLeg, ConnectAgent
from ccswitch.executor import command_for
from ccswitch.feature_codes import (
    DESTINATION_FEATURES,
    FEATURE_CONTEXT,
    FEATURE_KEYS,
    READ_DESTINATION,
    dialplan_xml,
    event_data,
)
from ccswitch.sim.dialstring import AppCall
from ccswitch.sim.people import AgentPhone, CallerScript
from ccswitch.sim.server import EslServer
from ccswitch.sim.switch import SimSwitch
from ccswitch.sim.xml_dialplan import parse_dialplan
from tests.sim.conftest import RawClient, wait_until
from tests.sim.test_behaviour import parked_call

AGENT_LEG = "agent-leg-1"
BINDS = [AppCall("bind_meta_app", f"{digit} a s execute_extension::ccswitch_{feature} XML ccswitch-features")
         for feature, digit in FEATURE_KEYS.items()]


def bridged_to_agent(client: RawClient, switch: SimSwitch) -> str:
    """A caller bridged to agent 1000 by the command the executor sends for the engine's ConnectAgent."""
    switch.add_phone(AgentPhone("1000", answer_after_s=0.1, talk_s=600))
    call = parked_call(client, switch, CallerScript(patience_s=600, talk_s=None))
    effect = ConnectAgent(call, (AgentLeg("1000", "user/1000", AGENT_LEG),), 10, "support", "79161234567", "Ivan",
                          "local_stream://moh")
    assert client.command(command_for(effect)).body == b"+OK\n"
    client.wait_event("CHANNEL_BRIDGE", Unique_ID=call)
    return call


def features(client: RawClient) -> list[str]:
    return [e.get("Feature") or "" for e in client.events() if e.name == "CUSTOM"]


def digits_seen(client: RawClient, uuid: str) -> str:
    events = client.events()
    return "".join(e.get("DTMF-Digit") or "" for e in events if e.name == "DTMF" and e.get("Unique-ID") == uuid)


def test_the_answered_agent_leg_binds_each_feature_code(client: RawClient, switch: SimSwitch) -> None:
    bridged_to_agent(client, switch)
    assert switch.apps_on(AGENT_LEG) == BINDS  # execute_on_answer_*, in the order the variables were set
    completed = [e for e in client.events() if e.name == "CHANNEL_EXECUTE_COMPLETE" and e.get("Unique-ID") == AGENT_LEG]
    assert [e.get("Application") for e in completed] == ["bind_meta_app"] * len(FEATURE_KEYS)


def test_star_one_fires_the_hold_feature_on_the_agent_leg_and_the_caller_hears_no_key(
    client: RawClient, switch: SimSwitch
) -> None:
    call = bridged_to_agent(client, switch)
    switch.press_keys(AGENT_LEG, "*1")
    event = client.wait_event("CUSTOM", Unique_ID=AGENT_LEG)
    assert (event.get("Event-Subclass"), event.get("Feature"), event.get("Other-Leg-Unique-ID")) == (
        "ccswitch::feature", "hold", call)
    # mod_dptools.c event_function: created as CHANNEL_APPLICATION, then the fields at the bottom in order
    names = event.names
    assert names[: names.index("Event-Sequence") + 1] == [
        "Core-UUID", "FreeSWITCH-Hostname", "FreeSWITCH-Switchname", "FreeSWITCH-IPv4", "FreeSWITCH-IPv6",
        "Event-Date-Local", "Event-Date-GMT", "Event-Date-Timestamp", "Event-Calling-File",
        "Event-Calling-Function", "Event-Calling-Line-Number", "Event-Sequence"]
    assert names[names.index("Event-Sequence") + 1 :][:4] == ["Event-Subclass", "Event-Name", "Feature",
                                                             "Channel-State"]
    assert (event.get("Event-Calling-File"), event.get("Event-Calling-Function")) == ("mod_dptools.c",
                                                                                     "event_function")
    assert event.get("variable_cc_agent") == "1000"
    assert switch.apps_on(AGENT_LEG)[len(BINDS):] == [
        AppCall("execute_extension", f"ccswitch_hold XML {FEATURE_CONTEXT}"),
        AppCall("event", "Event-Subclass=ccswitch::feature,Event-Name=CUSTOM,Feature=hold")]
    assert digits_seen(client, AGENT_LEG) == digits_seen(client, call) == ""
    switch.press_keys(AGENT_LEG, "*2*3")
    wait_until(lambda: features(client) == ["hold", "mute", "hangup"])


def test_the_raw_custom_event_is_url_encoded_like_freeswitchs(client: RawClient, switch: SimSwitch) -> None:
    bridged_to_agent(client, switch)
    switch.press_keys(AGENT_LEG, "*2")
    client.wait_event("CUSTOM")
    (frame,) = [f for f in client.frames if b"Event-Name: CUSTOM" in f.body]
    assert b"\nEvent-Subclass: ccswitch%3A%3Afeature\nEvent-Name: CUSTOM\nFeature: mute\n" in frame.body


def test_other_keys_go_through_and_star_star_sends_one_star(client: RawClient, switch: SimSwitch) -> None:
    call = bridged_to_agent(client, switch)
    switch.press_keys(AGENT_LEG, "5***9*#")  # 5, then ** (one *), then *9 (unbound: both dropped), then *# dropped
    wait_until(lambda: digits_seen(client, AGENT_LEG) == "5*")
    switch.press_keys(AGENT_LEG, "7")
    wait_until(lambda: digits_seen(client, AGENT_LEG) == "5*7")
    assert features(client) == []
    switch.press_keys(call, "*1")  # the caller's own keys: the caller's leg has no bindings
    wait_until(lambda: digits_seen(client, call) == "*1")
    assert features(client) == []


def test_a_digit_more_than_5_seconds_after_the_meta_key_goes_through(client: RawClient, switch: SimSwitch) -> None:
    bridged_to_agent(client, switch)
    switch.press_keys(AGENT_LEG, "*")
    switch.clock.sleep(6.5)
    switch.press_keys(AGENT_LEG, "1")
    wait_until(lambda: digits_seen(client, AGENT_LEG) == "1")
    assert features(client) == []


def test_only_a_client_subscribed_to_the_subclass_gets_it(server: EslServer, switch: SimSwitch) -> None:
    ours = RawClient(server.port).login("event plain CHANNEL_PARK CHANNEL_BRIDGE CUSTOM ccswitch::feature")
    other = RawClient(server.port).login("event plain CHANNEL_PARK CHANNEL_BRIDGE CUSTOM sofia::register")
    bridged_to_agent(ours, switch)
    switch.press_keys(AGENT_LEG, "*3")
    assert ours.wait_event("CUSTOM").get("Feature") == "hangup"
    other.wait_event("CHANNEL_BRIDGE")
    assert [e.name for e in other.events()] == ["CHANNEL_PARK", "CHANNEL_BRIDGE"]
    ours.close()
    other.close()


def test_the_simulator_runs_the_shipped_dialplan() -> None:
    dialplan = parse_dialplan(dialplan_xml())
    assert list(dialplan) == [FEATURE_CONTEXT]
    reads = {feature: (AppCall("read", READ_DESTINATION),) for feature in DESTINATION_FEATURES}
    assert [(ext.name, ext.actions) for ext in dialplan[FEATURE_CONTEXT]] == [
        (f"ccswitch_{feature}", (*reads.get(feature, ()), AppCall("event", event_data(feature))))
        for feature in FEATURE_KEYS]
    assert event_data("hold") == "Event-Subclass=ccswitch::feature,Event-Name=CUSTOM,Feature=hold"
