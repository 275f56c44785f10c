"""Calls a phone makes or takes outside the controller, and how FreeSWITCH marks a phone's channels: a call the
phone makes is authenticated by sofia (``sip_authorized``, ``user_name``), a leg ringing a directory user carries
``dialed_user`` (mod_dptools.c user_outgoing_channel) - the controller's own agent legs too."""

from __future__ import annotations

from ccswitch.channel_events import PhoneChannel, from_esl
from ccswitch.esl.event import Event
from ccswitch.sim.people import AgentPhone, CallerScript, GatewayCallee
from ccswitch.sim.switch import SimSwitch
from tests.sim.conftest import PlainEvent, RawClient, wait_until
from tests.sim.test_behaviour import parked_call, sendmsg


def creates(client: RawClient) -> dict[str, PlainEvent]:
    return {e.get("Unique-ID") or "": e for e in client.events() if e.name == "CHANNEL_CREATE"}


def as_controller_sees_it(client: RawClient, uuid: str) -> object:
    """The CHANNEL_CREATE frame of ``uuid`` as it came off the wire, read by the controller's own parser."""
    for frame in client.frames:
        if frame.content_type == "text/event-plain":
            event = Event.from_frame(frame)
            if event.name == "CHANNEL_CREATE" and event.unique_id == uuid:
                return from_esl(event)
    raise AssertionError(f"no CHANNEL_CREATE for {uuid}")


def test_an_agent_calling_another_agent_shows_both_phones(client: RawClient, switch: SimSwitch) -> None:
    switch.add_phone(AgentPhone("1004"))
    switch.add_phone(AgentPhone("1005", answer_after_s=1, talk_s=5))
    calling = switch.place_direct_call("1004", "1005")
    bridge = client.wait_event("CHANNEL_BRIDGE", Unique_ID=calling)
    rung = bridge.get("Other-Leg-Unique-ID") or ""
    made, ringing = creates(client)[calling], creates(client)[rung]
    assert (made.get("Call-Direction"), made.get("variable_sip_authorized"), made.get("variable_user_name")) == (
        "inbound", "true", "1004")
    assert (made.get("Caller-Caller-ID-Number"), made.get("Caller-Destination-Number")) == ("1004", "1005")
    assert made.get("Caller-Context") == "default" and made.get("variable_domain_name") == switch.domain
    assert (ringing.get("Call-Direction"), ringing.get("variable_dialed_user")) == ("outbound", "1005")
    assert ringing.get("variable_dialed_domain") == switch.domain
    assert ringing.get("Channel-Presence-ID") == ringing.get("variable_presence_id") == f"1005@{switch.domain}"
    assert as_controller_sees_it(client, calling) == PhoneChannel(calling, "1004")
    assert as_controller_sees_it(client, rung) == PhoneChannel(rung, "1005")
    # the called phone hangs up after its talk time; hangup_after_bridge ends the calling phone's channel too
    client.wait_event("CHANNEL_HANGUP_COMPLETE", Unique_ID=calling)
    wait_until(lambda: not switch.channels)


def test_an_agent_dialling_out_goes_through_the_gateway(client: RawClient, switch: SimSwitch) -> None:
    switch.gateway_callee = GatewayCallee(person_probability=1.0, answer_after_s=1, talk_s=600)
    switch.add_phone(AgentPhone("1004"))
    calling = switch.place_direct_call("1004", "79031234567")
    other = client.wait_event("CHANNEL_BRIDGE", Unique_ID=calling).get("Other-Leg-Unique-ID") or ""
    assert switch.channels[other].name == "sofia/gateway/trunk/79031234567"
    assert creates(client)[other].get("variable_dialed_user") is None
    assert as_controller_sees_it(client, other) is None
    assert as_controller_sees_it(client, calling) == PhoneChannel(calling, "1004")
    channel = switch.channel(calling)
    assert channel is not None
    switch.hangup(channel)
    client.wait_event("CHANNEL_HANGUP_COMPLETE", Unique_ID=other)


def test_legs_the_controller_rings_carry_dialed_user_as_in_real_freeswitch(
    client: RawClient, switch: SimSwitch
) -> None:
    switch.add_phone(AgentPhone("1000", answer_after_s=1, talk_s=600))
    switch.add_phone(AgentPhone("1001", answer_after_s=1, talk_s=600))
    call = parked_call(client, switch)
    sendmsg(client, call, "bridge", "{origination_uuid=agent-leg-1}user/1000")
    client.command("bgapi originate {origination_uuid=agent-leg-2}user/1001 &park()")
    for leg, user in (("agent-leg-1", "1000"), ("agent-leg-2", "1001")):
        create = client.wait_event("CHANNEL_CREATE", Unique_ID=leg)
        assert (create.get("variable_dialed_user"), create.get("Call-Direction")) == (user, "outbound")
        assert as_controller_sees_it(client, leg) == PhoneChannel(leg, user)
    client.wait_event("CHANNEL_BRIDGE", Unique_ID=call)
    # the calling session gets dialed_user as well, but it is an inbound, unauthenticated trunk call: nobody's phone
    assert switch.channels[call].variables.get("dialed_user") == "1000"
    assert as_controller_sees_it(client, call) is None



def test_a_phone_calling_the_service_number_is_parked_for_the_controller(client: RawClient, switch: SimSwitch) -> None:
    uuid = switch.place_call(CallerScript(caller_number="1005", destination="88005550556"), from_phone="1005")
    park = client.wait_event("CHANNEL_PARK", Unique_ID=uuid)
    created = creates(client)[uuid]
    assert (created.get("variable_sip_authorized"), created.get("variable_user_name")) == ("true", "1005")
    assert created.get("Channel-Name") == f"sofia/internal/1005@{switch.domain}"
    assert (park.get("Caller-Context"), park.get("Caller-Destination-Number")) == ("default", "88005550556")
    assert as_controller_sees_it(client, uuid) == PhoneChannel(uuid, "1005")
