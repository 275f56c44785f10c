"""The simulated mod_amd ``amd`` application on a campaign's answered leg: it blocks, then leaves amd_result and
amd_cause on the channel for the CHANNEL_EXECUTE_COMPLETE, as mod_amd.c amd_start_function does."""

from __future__ import annotations

import pytest

from ccswitch.channel_events import AmdCompleted, from_esl
from ccswitch.esl.event import Event
from ccswitch.sim.people import CallerScript, GatewayCallee
from ccswitch.sim.switch import SimSwitch
from tests.sim.conftest import PlainEvent, RawClient
from tests.sim.test_behaviour import parked_call

LEAD = "{origination_uuid=L1,origination_caller_id_number=88005550556,originate_timeout=22,ignore_early_media=true}"


def answered_lead(client: RawClient, switch: SimSwitch, number: str) -> PlainEvent:
    reply = client.command(f"bgapi originate {LEAD}sofia/gateway/trunk/{number} &park()\nJob-UUID: L1")
    assert reply.headers["Reply-Text"] == "+OK Job-UUID: L1"
    assert client.wait_event("BACKGROUND_JOB", Job_UUID="L1").body == "+OK L1\n"
    return client.wait_event("CHANNEL_PARK", Unique_ID="L1")


def detect(client: RawClient, uuid: str) -> PlainEvent:
    """sendmsg execute amd (no argument), as the executor sends it."""
    reply = client.command(f"sendmsg {uuid}\ncall-command: execute\nexecute-app-name: amd\nEvent-UUID: amd-1")
    assert reply.headers["Reply-Text"] == "+OK"
    return client.wait_event("CHANNEL_EXECUTE_COMPLETE", Unique_ID=uuid, Application="amd")


@pytest.mark.parametrize(("outcome", "result", "cause"), [("person", "HUMAN", "HUMAN"),
                                                          ("machine", "MACHINE", "LONGGREETING")])
def test_amd_tells_a_person_from_a_machine_after_its_analysis_time(
    client: RawClient, switch: SimSwitch, outcome: str, result: str, cause: str
) -> None:
    switch.gateway_callee = GatewayCallee(numbers=(("+447700900001", outcome),), answer_after_s=1, amd_s=1.5,
                                          talk_s=600, machine_s=600)
    park = answered_lead(client, switch, "+447700900001")
    assert park.get("Call-Direction") == "outbound"
    started = client.wait_event("CHANNEL_EXECUTE", Unique_ID="L1", Application="park")
    done = detect(client, "L1")
    assert (done.get("variable_amd_result"), done.get("variable_amd_cause")) == (result, cause)
    assert done.get("Application-UUID") == "amd-1" and done.get("Application-Response") == "_none_"
    waited = (int(done.get("Event-Date-Timestamp") or 0) - int(started.get("Event-Date-Timestamp") or 0)) / 1e6
    assert waited >= 1.5


def test_the_typed_event_carries_the_result_and_the_tag(client: RawClient, switch: SimSwitch) -> None:
    switch.gateway_callee = GatewayCallee(numbers=(("+447700900002", "machine"),), answer_after_s=1, machine_s=600)
    answered_lead(client, switch, "+447700900002")
    detect(client, "L1")
    frame = next(f for f in reversed(client.frames) if f.content_type == "text/event-plain"
                 and b"Application: amd" in f.body and b"CHANNEL_EXECUTE_COMPLETE" in f.body)
    assert from_esl(Event.from_frame(frame)) == AmdCompleted("L1", "amd-1", "MACHINE", "LONGGREETING")


def test_on_a_channel_with_nobody_to_classify_it_is_not_sure_after_5_s(client: RawClient, switch: SimSwitch) -> None:
    call = parked_call(client, switch, CallerScript(patience_s=600))
    done = detect(client, call)
    assert (done.get("variable_amd_result"), done.get("variable_amd_cause")) == ("NOTSURE", "TOOLONG")


def test_a_hang_up_during_detection_leaves_no_result(client: RawClient, switch: SimSwitch) -> None:
    switch.gateway_callee = GatewayCallee(numbers=(("+447700900003", "person"),), answer_after_s=1, talk_s=0.5,
                                          amd_s=5)
    answered_lead(client, switch, "+447700900003")
    done = detect(client, "L1")
    assert done.get("variable_amd_result") is None and done.get("variable_amd_cause") is None
