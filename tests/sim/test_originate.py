"""Originate and bridge: legs ringing together, leg_delay_start, the agent announcement before the bridge
(group_confirm_key=exec), and agent-first callbacks (bgapi originate ... &park(), then bridge to a gateway)."""

from __future__ import annotations

from dataclasses import replace

import pytest

from ccswitch.sim.dialstring import AppCall
from ccswitch.sim.people import AgentPhone, CallerScript, GatewayCallee
from ccswitch.sim.switch import SimSwitch
from tests.sim.conftest import PlainEvent, RawClient
from tests.sim.test_behaviour import parked_call, sendmsg

ANNOUNCE = "group_confirm_key=exec,group_confirm_file=playback /sounds/queue_support.wav"


def of(client: RawClient, uuid: str, *wanted: str) -> list[str]:
    """``uuid``'s own events among ``wanted``, with the application in brackets."""
    return [
        e.name + (f"({e.get('Application')})" if e.get("Application") else "")
        for e in client.events()
        if e.get("Unique-ID") == uuid and e.name in wanted
    ]


def seconds_between(first: PlainEvent, second: PlainEvent) -> float:
    return (int(second.get("Event-Date-Timestamp") or 0) - int(first.get("Event-Date-Timestamp") or 0)) / 1e6


def index(client: RawClient, name: str, **headers: str) -> int:
    event = client.wait_event(name, **headers)
    return client.events().index(event)


# ---- the agent announcement -----------------------------------------------------------------------------------


def test_the_agent_hears_the_announcement_before_the_bridge(client: RawClient, switch: SimSwitch) -> None:
    switch.add_phone(AgentPhone("1000", answer_after_s=1, talk_s=600))
    call = parked_call(client, switch, CallerScript(patience_s=600))
    sendmsg(client, call, "bridge", f"[origination_uuid=ag-1,{ANNOUNCE}]user/1000")
    bridge = client.wait_event("CHANNEL_BRIDGE", Unique_ID=call)
    assert of(client, "ag-1", "CHANNEL_ANSWER", "CHANNEL_EXECUTE", "PLAYBACK_START", "PLAYBACK_STOP",
              "CHANNEL_EXECUTE_COMPLETE") == [
        "CHANNEL_ANSWER", "CHANNEL_EXECUTE(playback)", "PLAYBACK_START", "PLAYBACK_STOP",
        "CHANNEL_EXECUTE_COMPLETE(playback)"]  # fmt: skip
    # the caller still hears ringback: it is answered only once the announcement is over
    assert index(client, "CHANNEL_EXECUTE_COMPLETE", Unique_ID="ag-1") < index(client, "CHANNEL_ANSWER", Unique_ID=call)
    assert bridge.get("Bridge-B-Unique-ID") == "ag-1"
    assert switch.apps_on("ag-1") == [AppCall("playback", "/sounds/queue_support.wav")]
    assert [app.app for app in switch.apps_on(call)] == ["park", "bridge"]
    agent = switch.channels["ag-1"].variables
    assert agent.get("group_dial_status") == "winner" and "group_confirm_key" not in agent


def test_agent_hanging_up_during_the_announcement_fails_the_leg(client: RawClient, switch: SimSwitch) -> None:
    switch.add_phone(AgentPhone("1000", answer_after_s=1, talk_s=0.5))
    call = parked_call(client, switch, CallerScript(patience_s=600))
    sendmsg(client, call, "set", "continue_on_fail=true")
    sendmsg(client, call, "bridge", f"[origination_uuid=ag-2,{ANNOUNCE}]user/1000")
    done = client.wait_event("CHANNEL_EXECUTE_COMPLETE", Application="bridge", Unique_ID=call)
    assert done.get("variable_originate_disposition") == "NORMAL_CLEARING"
    client.wait_event("CHANNEL_DESTROY", Unique_ID="ag-2")
    assert of(client, "ag-2", "CHANNEL_HANGUP", "CHANNEL_EXECUTE_COMPLETE", "CHANNEL_HANGUP_COMPLETE") == [
        "CHANNEL_HANGUP", "CHANNEL_EXECUTE_COMPLETE(playback)", "CHANNEL_HANGUP_COMPLETE"]  # fmt: skip
    assert of(client, call, "CHANNEL_BRIDGE") == [] and switch.channels[call].parked


def test_caller_hanging_up_during_the_announcement_cancels_the_agent(client: RawClient, switch: SimSwitch) -> None:
    switch.add_phone(AgentPhone("1000", answer_after_s=1, talk_s=600))
    call = parked_call(client, switch, CallerScript(patience_s=3))
    sendmsg(
        client,
        call,
        "bridge",
        "[origination_uuid=ag-3,group_confirm_key=exec,group_confirm_file=playback silence_stream://20000]user/1000",
    )
    hangup = client.wait_event("CHANNEL_HANGUP_COMPLETE", Unique_ID="ag-3")
    assert hangup.get("Hangup-Cause") == "ORIGINATOR_CANCEL"
    assert "CHANNEL_EXECUTE_COMPLETE(playback)" in of(client, "ag-3", "CHANNEL_EXECUTE_COMPLETE")
    assert of(client, call, "CHANNEL_BRIDGE", "CHANNEL_ANSWER") == []


def test_other_legs_ring_on_during_an_announcement_and_may_win(client: RawClient, switch: SimSwitch) -> None:
    switch.add_phone(AgentPhone("1000", answer_after_s=1, talk_s=600))
    switch.add_phone(AgentPhone("1001", answer_after_s=3, talk_s=600))
    call = parked_call(client, switch, CallerScript(patience_s=600))
    slow = "group_confirm_key=exec,group_confirm_file=playback silence_stream://10000"
    sendmsg(client, call, "bridge", f"[origination_uuid=ag-4,{slow}]user/1000,[origination_uuid=ag-5]user/1001")
    bridge = client.wait_event("CHANNEL_BRIDGE", Unique_ID=call)
    assert bridge.get("Bridge-B-Unique-ID") == "ag-5"
    loser = client.wait_event("CHANNEL_HANGUP_COMPLETE", Unique_ID="ag-4")
    assert (loser.get("Hangup-Cause"), loser.get("variable_group_dial_status")) == ("LOSE_RACE", "loser")
    assert of(client, "ag-4", "PLAYBACK_STOP", "CHANNEL_HANGUP_COMPLETE") == [
        "PLAYBACK_STOP", "CHANNEL_HANGUP_COMPLETE"]  # fmt: skip


def test_group_confirm_timeout_gives_the_announcement_time(client: RawClient, switch: SimSwitch) -> None:
    switch.add_phone(AgentPhone("1000", answer_after_s=1, talk_s=600))
    call = parked_call(client, switch, CallerScript(patience_s=600))
    sendmsg(client, call, "set", "continue_on_fail=true")
    long_one = "group_confirm_key=exec,group_confirm_file=playback silence_stream://5000"
    sendmsg(client, call, "bridge", f"[origination_uuid=ag-6,leg_timeout=3,{long_one}]user/1000")
    cut = client.wait_event("CHANNEL_HANGUP", Unique_ID="ag-6")
    assert cut.get("Hangup-Cause") == "NO_ANSWER"  # the leg timeout still runs during the announcement
    sendmsg(
        client, call, "bridge", f"[origination_uuid=ag-7,leg_timeout=3,group_confirm_timeout=10,{long_one}]user/1000"
    )
    assert client.wait_event("CHANNEL_BRIDGE", Unique_ID=call).get("Bridge-B-Unique-ID") == "ag-7"


# ---- legs ringing together --------------------------------------------------------------------------------------


def test_ring_all_first_answer_wins_and_the_others_lose_the_race(client: RawClient, switch: SimSwitch) -> None:
    switch.add_phone(AgentPhone("1000", answer_after_s=4, talk_s=600))
    switch.add_phone(AgentPhone("1001", answer_after_s=2, talk_s=600))
    call = parked_call(client, switch, CallerScript(patience_s=600))
    sendmsg(client, call, "bridge", "[origination_uuid=r-1]user/1000,[origination_uuid=r-2]user/1001")
    assert client.wait_event("CHANNEL_BRIDGE", Unique_ID=call).get("Bridge-B-Unique-ID") == "r-2"
    assert client.wait_event("CHANNEL_HANGUP", Unique_ID="r-1").get("Hangup-Cause") == "LOSE_RACE"
    created = [client.wait_event("CHANNEL_CREATE", Unique_ID=leg) for leg in ("r-1", "r-2")]
    assert seconds_between(*created) < 1  # both rang from the start


def test_leg_delay_start_rings_a_leg_later(client: RawClient, switch: SimSwitch) -> None:
    switch.add_phone(AgentPhone("1000", behaviour="no_answer"))
    switch.add_phone(AgentPhone("1001", answer_after_s=1, talk_s=600))
    call = parked_call(client, switch, CallerScript(patience_s=600))
    dial = "[origination_uuid=d-1]user/1000,[origination_uuid=d-2,leg_delay_start=3]user/1001"
    sendmsg(client, call, "bridge", dial)
    assert client.wait_event("CHANNEL_BRIDGE", Unique_ID=call).get("Bridge-B-Unique-ID") == "d-2"
    created = [client.wait_event("CHANNEL_CREATE", Unique_ID=leg) for leg in ("d-1", "d-2")]
    assert seconds_between(*created) >= 2.9


def test_a_delayed_leg_starts_at_once_when_no_other_leg_rings(client: RawClient, switch: SimSwitch) -> None:
    switch.add_phone(AgentPhone("1000", behaviour="busy", busy_after_s=0.5))
    switch.add_phone(AgentPhone("1001", answer_after_s=1, talk_s=600))
    call = parked_call(client, switch, CallerScript(patience_s=600))
    dial = "[origination_uuid=e-1]user/1000,[origination_uuid=e-2,leg_delay_start=60]user/1001"
    sendmsg(client, call, "bridge", dial)
    assert client.wait_event("CHANNEL_BRIDGE", Unique_ID=call).get("Bridge-B-Unique-ID") == "e-2"
    created = [client.wait_event("CHANNEL_CREATE", Unique_ID=leg) for leg in ("e-1", "e-2")]
    assert seconds_between(*created) < 30


# ---- agent-first callbacks ----------------------------------------------------------------------------------------

AGENT_FIRST = "{origination_uuid=AG,origination_caller_id_number=74950000000,originate_timeout=%s}user/1001 &park()"
CUSTOMER = (
    "{origination_uuid=CU,origination_caller_id_number=74950000000,originate_timeout=40,continue_on_fail=true}"
    "sofia/gateway/gw1/79161234567"
)


def agent_parked(client: RawClient, switch: SimSwitch, agent_vars: str = "") -> PlainEvent:
    switch.add_phone(AgentPhone("1001", answer_after_s=1, talk_s=600))
    dial = AGENT_FIRST % "30"
    if agent_vars:
        dial = dial.replace("{", "{" + agent_vars + ",", 1)
    reply = client.command(f"bgapi originate {dial}\nJob-UUID: job-ag")
    assert reply.headers["Reply-Text"] == "+OK Job-UUID: job-ag"
    assert client.wait_event("BACKGROUND_JOB", Job_UUID="job-ag").body == "+OK AG\n"
    return client.wait_event("CHANNEL_PARK", Unique_ID="AG")


def callee(outcome: str) -> GatewayCallee:
    odds = {"person_probability": 0.0, "machine_probability": 0.0, "busy_probability": 0.0}
    if outcome != "no_answer":
        odds[f"{outcome}_probability"] = 1.0
    return GatewayCallee(**odds, answer_after_s=1, talk_s=3, machine_s=2)


def test_agent_first_callback_bridges_to_the_person(client: RawClient, switch: SimSwitch) -> None:
    switch.gateway_callee = callee("person")
    park = agent_parked(client, switch)
    assert park.get("Call-Direction") == "outbound"
    sendmsg(client, "AG", "bridge", CUSTOMER, "cb-1")
    bridge = client.wait_event("CHANNEL_BRIDGE", Unique_ID="AG")
    assert (bridge.get("Bridge-A-Unique-ID"), bridge.get("Bridge-B-Unique-ID")) == ("AG", "CU")
    customer = client.wait_event("CHANNEL_CREATE", Unique_ID="CU")
    assert customer.get("Caller-Caller-ID-Number") == "74950000000"
    assert customer.get("Caller-Destination-Number") == "79161234567"
    done = client.wait_event("CHANNEL_EXECUTE_COMPLETE", Application="bridge", Unique_ID="AG")
    assert done.get("Application-UUID") == "cb-1"
    assert client.wait_event("CHANNEL_HANGUP_COMPLETE", Unique_ID="CU").get("Hangup-Cause") == "NORMAL_CLEARING"
    assert switch.channels["AG"].parked and switch.channels["AG"].answered  # back in park, not hung up


def test_agent_first_callback_to_a_machine(client: RawClient, switch: SimSwitch) -> None:
    switch.gateway_callee = replace(callee("machine"), talk_s=600)
    agent_parked(client, switch)
    sendmsg(client, "AG", "bridge", CUSTOMER, "cb-2")
    client.wait_event("CHANNEL_EXECUTE_COMPLETE", Application="bridge", Unique_ID="AG")
    answer = client.wait_event("CHANNEL_ANSWER", Unique_ID="CU")
    hangup = client.wait_event("CHANNEL_HANGUP", Unique_ID="CU")
    assert 1.9 <= seconds_between(answer, hangup) < 300  # the machine's machine_s, not a person's talk_s
    assert "AG" in switch.channels and switch.channels["AG"].parked


@pytest.mark.parametrize(("outcome", "cause"), [("no_answer", "NO_ANSWER"), ("busy", "USER_BUSY")])
def test_agent_first_callback_unreached_customer_returns_the_agent_to_park(
    client: RawClient, switch: SimSwitch, outcome: str, cause: str
) -> None:
    switch.gateway_callee = callee(outcome)
    # continue_on_fail must be the agent leg's own variable: the one in the bridge's {} block is the customer's
    agent_parked(client, switch, agent_vars="continue_on_fail=true")
    sendmsg(client, "AG", "bridge", CUSTOMER.replace("originate_timeout=40", "originate_timeout=3"), "cb-3")
    customer = client.wait_event("CHANNEL_HANGUP_COMPLETE", Unique_ID="CU")
    done = client.wait_event("CHANNEL_EXECUTE_COMPLETE", Application="bridge", Unique_ID="AG")
    assert customer.get("Hangup-Cause") == cause
    assert (done.get("variable_originate_disposition"), done.get("Application-UUID")) == (cause, "cb-3")
    assert switch.channels["AG"].parked and "CHANNEL_HANGUP" not in of(client, "AG", "CHANNEL_HANGUP")


def test_a_busy_customer_hangs_the_agent_up_without_continue_on_fail_on_the_agent_leg(
    client: RawClient, switch: SimSwitch
) -> None:
    switch.gateway_callee = callee("busy")
    agent_parked(client, switch)
    sendmsg(client, "AG", "bridge", CUSTOMER)
    assert client.wait_event("CHANNEL_HANGUP", Unique_ID="AG").get("Hangup-Cause") == "USER_BUSY"


@pytest.mark.parametrize(
    ("phone", "reply"),
    [
        (AgentPhone("1001", behaviour="no_answer"), "-ERR NO_ANSWER\n"),
        (AgentPhone("1001", behaviour="busy"), "-ERR USER_BUSY\n"),
        (AgentPhone("1001", behaviour="unregistered"), "-ERR USER_NOT_REGISTERED\n"),
    ],
)
def test_agent_first_originate_failures(client: RawClient, switch: SimSwitch, phone: AgentPhone, reply: str) -> None:
    switch.add_phone(phone)
    client.command(f"bgapi originate {AGENT_FIRST % '2'}\nJob-UUID: job-f")
    job = client.wait_event("BACKGROUND_JOB", Job_UUID="job-f")
    assert job.body == reply
    assert job.get("Job-Command") == "originate" and job.get("Job-Command-Arg") == AGENT_FIRST % "2"
