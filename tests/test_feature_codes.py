"""Desk-phone feature codes (ccswitch.feature_codes): the agent leg variables as FreeSWITCH parses them back
(hostile values included), the shipped dialplan file, the subscription and the typed event. The engine's side is
in test_engine_control.py, the simulator's in sim/test_feature_codes.py, the whole path over TCP in
integration/test_feature_codes.py."""

from __future__ import annotations

from pathlib import Path

import pytest

from ccswitch.channel_events import SUBSCRIBED_EVENTS, FeatureCode, HungUp, from_esl
from ccswitch.effects import AgentLeg, ConnectAgent, Originate
from ccswitch.errors import UnsafeValueError
from ccswitch.esl import commands as c
from ccswitch.esl.connection import subscribe_command
from ccswitch.esl.event import Event
from ccswitch.esl.protocol import Frame
from ccswitch.executor import command_for
from ccswitch.feature_codes import FEATURE_CONTEXT, FEATURE_KEYS, bindings, dialplan_xml
from tests.test_commands import (
    CALL,
    LEG,
    attempt,
    hostile_strings,
    parse_dial_string,
    parse_inline,
    parse_legs,
    separate,
    single_api,
)

ROOT = Path(__file__).resolve().parents[1]
BINDS = {
    f"execute_on_answer_ccswitch_{feature}":
        f"bind_meta_app {digit} a s execute_extension::ccswitch_{feature} XML ccswitch-features"
    for feature, digit in (("hold", "1"), ("mute", "2"), ("hangup", "3"), ("complete", "4"), ("cancel", "5"),
                           ("conference", "6"), ("transfer", "7"), ("consult", "8"))
}


# The leg variables, and what FreeSWITCH makes of them


def test_the_leg_variables_bind_star_one_to_eight() -> None:
    assert bindings() == {"ccswitch_hold": "1", "ccswitch_mute": "2", "ccswitch_hangup": "3", "ccswitch_complete": "4",
                          "ccswitch_cancel": "5", "ccswitch_conference": "6", "ccswitch_transfer": "7",
                          "ccswitch_consult": "8"}
    assert c.feature_code_vars(bindings(), FEATURE_CONTEXT) == BINDS


def execute_on_value(value: str) -> tuple[str, str]:
    """switch_channel.c switch_channel_execute_on_value: app and argument split at the first space or lone ':'."""
    for i, char in enumerate(value):
        if char == " " or (char == ":" and value[i + 1 : i + 2] != ":"):
            return value[:i], value[i + 1 :]
        assert not (char == ":" and value[i + 1 : i + 2] == ":"), "would run asynchronously"
    return value, ""


def test_each_agent_leg_gets_the_variables_and_freeswitch_reads_back_each_binding() -> None:
    effect = ConnectAgent(CALL, (AgentLeg("1003", "user/1003", LEG), AgentLeg("1004", "user/1004", "leg-2", 5)),
                          20, "support", "79161234567", "Ivan", "local_stream://moh")
    _command, arg = single_api(command_for(effect))
    apps = parse_inline(separate(arg, " ", 5)[1])
    _shared, endpoints = parse_dial_string(apps[1][1])
    legs = parse_legs(endpoints)
    assert [endpoint for _, endpoint in legs] == ["user/1003", "user/1004"]
    for variables, _ in legs:
        bound = {name: value for name, value in variables if name.startswith("execute_on_answer")}
        assert bound == BINDS
        for feature, digit in FEATURE_KEYS.items():
            app, app_arg = execute_on_value(bound[f"execute_on_answer_ccswitch_{feature}"])
            key, listen, run, meta_app = separate(app_arg, " ", 4)  # mod_dptools.c dtmf_bind_function
            assert (app, key, listen, run) == ("bind_meta_app", digit, "a", "s")
            broadcast_app, _, path = meta_app.partition("::")  # switch_ivr_async.c switch_ivr_broadcast
            assert broadcast_app == "execute_extension"
            assert separate(path, " ", 4) == [f"ccswitch_{feature}", "XML", FEATURE_CONTEXT]  # exe_function


def test_the_callback_agent_leg_gets_them_in_its_originate() -> None:
    effect = Originate(CALL, LEG, "user/1003", (("continue_on_fail", "true"),), "park", "", feature_codes=True)
    command, arg = single_api(command_for(effect).split("\n", 1)[0].replace("bgapi ", "api ", 1))
    dial, app = separate(arg, " ", 10)
    variables, endpoint = parse_dial_string(dial)
    assert (command, app, endpoint) == ("originate", "&park()", "user/1003")
    assert variables == [("origination_uuid", LEG), ("continue_on_fail", "true"), *BINDS.items()]
    plain = Originate(CALL, LEG, "user/2001", (), "eavesdrop", CALL)
    assert "execute_on_answer" not in command_for(plain)


@pytest.mark.parametrize(
    ("keys", "context", "role"),
    [
        ({"hold,x=1": "1"}, FEATURE_CONTEXT, "feature code extension"),
        ({"Hold": "1"}, FEATURE_CONTEXT, "feature code extension"),
        ({"ho ld": "1"}, FEATURE_CONTEXT, "feature code extension"),
        ({"hold]user/666": "1"}, FEATURE_CONTEXT, "feature code extension"),
        ({"hold^park": "1"}, FEATURE_CONTEXT, "feature code extension"),
        ({"hold": "*"}, FEATURE_CONTEXT, "key of hold"),
        ({"hold": "12"}, FEATURE_CONTEXT, "key of hold"),
        ({"hold": ""}, FEATURE_CONTEXT, "key of hold"),
        ({"hold": "1", "mute": "1"}, FEATURE_CONTEXT, "key of mute"),
        ({"hold": "1"}, "ccswitch features", "feature code context"),
        ({"hold": "1"}, "x,y", "feature code context"),
        ({"hold": "1"}, "x'^park", "feature code context"),
    ],
)
def test_hostile_feature_codes_are_refused(keys: dict[str, str], context: str, role: str) -> None:
    with pytest.raises(UnsafeValueError, match=role):
        c.feature_code_vars(keys, context)


@pytest.mark.parametrize("seed", range(2))
def test_whatever_is_accepted_reaches_the_leg_unchanged(seed: int) -> None:
    for value in hostile_strings(200, seed):
        for keys, context in (({value: "1"}, FEATURE_CONTEXT), ({"hold": value}, FEATURE_CONTEXT),
                              ({"hold": "1"}, value)):
            variables = attempt(c.feature_code_vars, keys, context)
            if variables is None:
                continue
            command = c.connect_agent(CALL, [c.AgentDial("user/1000", LEG, 0, variables)], 20, "a", "1", {})
            _name, arg = single_api(c.api(command))
            apps = parse_inline(separate(arg, " ", 5)[1])
            assert [app for app, _ in apps] == ["multiset", "bridge", "park"]
            (leg_variables, endpoint), = parse_legs(parse_dial_string(apps[1][1])[1])
            assert endpoint == "user/1000"
            assert leg_variables[2:] == list(variables.items())


# The dialplan FreeSWITCH needs, and the event it fires


def test_the_shipped_dialplan_file_is_the_generated_one() -> None:
    shipped = (ROOT / "config" / "freeswitch" / "ccswitch-features.xml").read_text()
    assert shipped == dialplan_xml()
    assert '<action application="event" data="Event-Subclass=ccswitch::feature,Event-Name=CUSTOM,Feature=hold"/>' \
        in shipped
    transfer = shipped.split('<extension name="ccswitch_transfer">')[1].split("</extension>")[0]
    assert [line.strip() for line in transfer.strip().splitlines()][1:3] == [
        '<action application="read" data="1 20 tone_stream://%(200,0,440) ccswitch_destination 5000 #"/>',
        '<action application="event" data="Event-Subclass=ccswitch::feature,Event-Name=CUSTOM,Feature=transfer,'
        'Destination=${ccswitch_destination}"/>']


def custom(subclass: str, feature: str, uuid: str | None = LEG, *extra: str) -> Event:
    head = [f"Event-Subclass: {subclass}", "Event-Name: CUSTOM", f"Feature: {feature}",
            *([f"Unique-ID: {uuid}"] if uuid else []), *extra]
    return Event.from_frame(Frame({"Content-Type": "text/event-plain"}, "\n".join(head).encode() + b"\n\n"))


def test_the_leg_a_phone_blind_transferred_from_says_where_its_partner_went() -> None:
    hangup = ["Event-Name: CHANNEL_HANGUP_COMPLETE", f"Unique-ID: {LEG}", "Hangup-Cause: NORMAL_CLEARING"]

    def hung_up(*variables: str) -> object:
        head = [*hangup, *variables]
        return from_esl(Event.from_frame(Frame({"Content-Type": "text/event-plain"},
                                               "\n".join(head).encode() + b"\n\n")))

    assert hung_up("variable_transfer_destination: blind%3A1008") == HungUp(LEG, "NORMAL_CLEARING", "1008")
    assert hung_up() == HungUp(LEG, "NORMAL_CLEARING")
    assert hung_up("variable_transfer_destination: att%3A1008") == HungUp(LEG, "NORMAL_CLEARING")


def test_the_feature_event_becomes_a_feature_code() -> None:
    assert from_esl(custom("ccswitch%3A%3Afeature", "hold")) == FeatureCode(LEG, "hold")
    assert from_esl(custom("ccswitch%3A%3Afeature", "hangup")) == FeatureCode(LEG, "hangup")
    assert from_esl(custom("ccswitch%3A%3Afeature", "transfer", LEG, "Destination: 1008")) == FeatureCode(
        LEG, "transfer", "1008")
    assert from_esl(custom("ccswitch%3A%3Afeature", "consult", LEG, "Destination: _undef_")) == FeatureCode(
        LEG, "consult")  # nothing keyed: FreeSWITCH writes an empty value as _undef_


@pytest.mark.parametrize(
    ("subclass", "feature", "uuid"),
    [
        ("ccswitch%3A%3Afeature", "park", LEG),  # not a feature we know
        ("ccswitch%3A%3Afeature", "HOLD", LEG),
        ("ccswitch%3A%3Afeature", "hold%0AUnique-ID%3A%20victim", LEG),
        ("ccswitch%3A%3Afeature", "", LEG),
        ("ccswitch%3A%3Afeature", "hold", None),  # no channel
        ("callcenter%3A%3Ainfo", "hold", LEG),
    ],
)
def test_anything_else_is_not_a_feature_code(subclass: str, feature: str, uuid: str | None) -> None:
    assert from_esl(custom(subclass, feature, uuid)) is None


def test_the_subscription_asks_for_the_custom_subclass() -> None:
    assert subscribe_command(SUBSCRIBED_EVENTS) == (
        "event plain CHANNEL_CREATE CHANNEL_PARK CHANNEL_BRIDGE CHANNEL_HANGUP CHANNEL_HANGUP_COMPLETE "
        "CHANNEL_EXECUTE_COMPLETE "
        "BACKGROUND_JOB DTMF CUSTOM ccswitch::feature")
