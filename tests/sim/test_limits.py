"""The simulated switch's limits, refused as FreeSWITCH refuses them (ccswitch.sim.limits): the session budget per
second and the session limit (an inbound call answered 503, an agent leg failing DESTINATION_OUT_OF_ORDER), and RTP
ports (``uuid_answer`` says ``-ERROR`` and the caller is hung up DESTINATION_OUT_OF_ORDER)."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from ccswitch.clock import ScaledClock
from ccswitch.sim.limits import Resources, SwitchLimits
from ccswitch.sim.people import AgentPhone, CallerScript
from ccswitch.sim.server import EslServer
from ccswitch.sim.switch import SimSwitch
from tests.sim.conftest import SPEED, RawClient
from tests.sim.test_behaviour import parked_call, sendmsg

TWO_PORTS = SwitchLimits(rtp_start_port=20000, rtp_end_port=20003)  # 20000 and 20002


@pytest.fixture
def limits() -> SwitchLimits:
    return SwitchLimits()


@pytest.fixture
def switch(limits: SwitchLimits) -> Iterator[SimSwitch]:
    sim = SimSwitch(clock=ScaledClock(SPEED), hostname="vm", limits=limits)
    yield sim
    sim.shutdown()


@pytest.fixture
def client(switch: SimSwitch) -> Iterator[RawClient]:
    server = EslServer(switch).start()
    c = RawClient(server.port).login()
    yield c
    c.close()
    server.stop()


# ---- the session budget, pure -----------------------------------------------------------------------------------


def test_the_budget_allows_one_less_than_sessions_per_second_in_each_second_then_refills() -> None:
    resources = Resources(SwitchLimits(sessions_per_second=5), started_at=100.0)
    assert [resources.request_session(0, 100.2) for _ in range(5)] == [None, None, None, None, "Throttle Error! 0"]
    assert resources.request_session(3, 100.9) == "Throttle Error! 3"
    assert resources.request_session(0, 101.0) is None  # a new second, a full budget
    assert resources.last_second_created == 6  # asked for in the second before, the refused ones included


def test_the_session_limit_counts_live_channels() -> None:
    resources = Resources(SwitchLimits(max_sessions=3), started_at=0.0)
    assert resources.request_session(2, 0.1) is None
    assert resources.request_session(3, 0.2) == "Over Session Limit! 3"


def test_ports_are_even_taken_once_per_channel_and_given_back() -> None:
    resources = Resources(TWO_PORTS, started_at=0.0)
    assert resources.take_port("a") and resources.take_port("a") and resources.take_port("b")
    assert not resources.take_port("c")
    resources.release_port("a")
    assert resources.take_port("c") and resources.ports_in_use == 2


# ---- over ESL ---------------------------------------------------------------------------------------------------


@pytest.mark.parametrize("limits", [SwitchLimits(max_sessions=2)])
def test_a_caller_over_the_session_limit_gets_no_channel(client: RawClient, switch: SimSwitch) -> None:
    first, second = parked_call(client, switch, CallerScript(patience_s=600)), parked_call(
        client, switch, CallerScript(patience_s=600))
    third = switch.place_call(CallerScript(patience_s=600))
    assert [refusal.uuid for refusal in switch.refused_calls] == [third]
    assert switch.refused_calls[0].cause == "Over Session Limit! 2"
    assert third not in switch.channels and {first, second} <= set(switch.channels)
    assert not [e for e in client.events() if e.get("Unique-ID") == third]


@pytest.mark.parametrize("limits", [TWO_PORTS])
def test_answering_with_no_rtp_port_left_fails_and_hangs_the_caller_up(client: RawClient, switch: SimSwitch) -> None:
    calls = [parked_call(client, switch, CallerScript(patience_s=600)) for _ in range(3)]
    replies = [client.command(f"api uuid_answer {uuid}").body for uuid in calls]
    assert replies == [b"+OK\n", b"+OK\n", b"-ERROR\n"]
    hangup = client.wait_event("CHANNEL_HANGUP_COMPLETE", Unique_ID=calls[2])
    assert hangup.get("Hangup-Cause") == "DESTINATION_OUT_OF_ORDER"
    client.command(f"api uuid_kill {calls[0]}")
    client.wait_event("CHANNEL_DESTROY", Unique_ID=calls[0])
    fourth = parked_call(client, switch, CallerScript(patience_s=600))
    assert client.command(f"api uuid_answer {fourth}").body == b"+OK\n"  # the port came back


@pytest.mark.parametrize("limits", [TWO_PORTS])
def test_an_agent_leg_with_no_rtp_port_left_fails_destination_out_of_order(client: RawClient,
                                                                           switch: SimSwitch) -> None:
    switch.add_phone(AgentPhone("1000", answer_after_s=1, talk_s=600))
    calls = [parked_call(client, switch, CallerScript(patience_s=600)) for _ in range(2)]
    for uuid in calls:
        assert client.command(f"api uuid_answer {uuid}").body == b"+OK\n"
    sendmsg(client, calls[0], "bridge", "[origination_uuid=ag-1]user/1000")
    done = client.wait_event("CHANNEL_EXECUTE_COMPLETE", Unique_ID=calls[0], Application="bridge")
    assert done.get("variable_originate_disposition") == "DESTINATION_OUT_OF_ORDER"
    assert client.wait_event("CHANNEL_HANGUP_COMPLETE", Unique_ID="ag-1").get("Hangup-Cause") == (
        "DESTINATION_OUT_OF_ORDER")


@pytest.mark.parametrize("limits", [SwitchLimits(sessions_per_second=3)])
def test_a_delayed_leg_takes_its_session_when_the_originate_starts(client: RawClient, switch: SimSwitch) -> None:
    for extension in ("1000", "1001", "1002"):
        switch.add_phone(AgentPhone(extension, answer_after_s=5, talk_s=600))
    # 2 sessions a second: the first two legs take them at once, the delayed second one included; the third fails
    dial = ("[origination_uuid=n-1]user/1000,[origination_uuid=n-2,leg_delay_start=3]user/1001,"
            "[origination_uuid=n-3]user/1002")
    client.command(f"bgapi originate {dial} &park()\nJob-UUID: job-d")
    assert client.wait_event("CHANNEL_CREATE", Unique_ID="n-1")
    assert client.wait_event("BACKGROUND_JOB", Job_UUID="job-d").body == "+OK n-1\n"
    assert "n-3" not in switch.channels and not [h for h in switch.hangups if h.uuid == "n-3"]  # never made
    assert client.wait_event("CHANNEL_HANGUP", Unique_ID="n-2").get("Hangup-Cause") == "LOSE_RACE"  # it rang


def test_a_gone_channel_answers_error_as_freeswitch_does(client: RawClient) -> None:
    assert client.command("api uuid_answer 4b3a0000-0000-0000-0000-000000000000").body == b"-ERROR\n"


@pytest.mark.parametrize("limits", [SwitchLimits(max_sessions=250, sessions_per_second=12)])
def test_status_reports_the_limits(client: RawClient, switch: SimSwitch) -> None:
    body = client.command("api status").body.decode()
    assert "session(s) per Sec out of max 12, peak" in body and "250 session(s) max" in body


@pytest.mark.parametrize("limits", [TWO_PORTS])
def test_a_ringing_caller_with_no_port_left_when_the_agent_answers_fails_the_bridge(client: RawClient,
                                                                                   switch: SimSwitch) -> None:
    switch.add_phone(AgentPhone("1000", answer_after_s=1, talk_s=600))
    answered, ringing = (parked_call(client, switch, CallerScript(patience_s=600)) for _ in range(2))
    assert client.command(f"api uuid_answer {answered}").body == b"+OK\n"
    sendmsg(client, ringing, "bridge", "[origination_uuid=ag-1]user/1000")  # the leg takes the last port
    assert client.wait_event("CHANNEL_HANGUP_COMPLETE", Unique_ID=ringing).get("Hangup-Cause") == (
        "DESTINATION_OUT_OF_ORDER")
    assert client.wait_event("CHANNEL_HANGUP_COMPLETE", Unique_ID="ag-1").get("Hangup-Cause") == (
        "INCOMPATIBLE_DESTINATION")
