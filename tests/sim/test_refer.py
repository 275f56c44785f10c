"""The phone's own transfer button: a blind REFER from an agent's phone bridged to a caller (mod_sofia
sofia_handle_sip_i_refer). The caller is transferred to the Refer-To user in its own context; the agent leg is
hung up when its bridge ends; no event names the REFER itself."""

from __future__ import annotations

import pytest

from ccswitch.sim.people import AgentPhone, CallerScript
from ccswitch.sim.switch import Hangup, SimSwitch
from tests.sim.conftest import PlainEvent, RawClient
from tests.sim.test_behaviour import parked_call
from tests.sim.test_feature_codes import AGENT_LEG, bridged_to_agent

# The trunk caller's context: phones 10xx are rung by their directory user.
PUBLIC = r"""<include>
  <context name="public">
    <extension name="phones">
      <condition field="destination_number" expression="^(10\d\d)$">
        <action application="bridge" data="user/$1@${domain}"/>
      </condition>
    </extension>
  </context>
</include>"""


def referred(client: RawClient, switch: SimSwitch) -> tuple[str, list[PlainEvent]]:
    """Agent 1000 bridged to a trunk caller presses the phone's transfer button and dials 1002."""
    switch.load_dialplan(PUBLIC)
    switch.add_phone(AgentPhone("1002", answer_after_s=0.1, talk_s=600))
    call = bridged_to_agent(client, switch)
    before = len(client.events())
    switch.blind_refer(AGENT_LEG, "1002")
    client.wait_event("CHANNEL_BRIDGE", count=2, Unique_ID=call)
    return call, client.events()[before:]


def test_a_blind_refer_sends_the_caller_to_the_extension_in_its_own_context(client: RawClient,
                                                                            switch: SimSwitch) -> None:
    call, events = referred(client, switch)
    steps = [(e.get("Unique-ID"), e.name, e.get("Application") or e.get("Channel-State") or "") for e in events
             if e.name in ("CHANNEL_HANGUP", "CHANNEL_HANGUP_COMPLETE", "CHANNEL_UNBRIDGE", "CHANNEL_EXECUTE",
                           "CHANNEL_EXECUTE_COMPLETE", "CHANNEL_STATE", "CHANNEL_BRIDGE")
             and e.get("Unique-ID") in (call, AGENT_LEG)]
    assert steps == [
        (AGENT_LEG, "CHANNEL_HANGUP", "CS_EXCHANGE_MEDIA"),
        (AGENT_LEG, "CHANNEL_STATE", "CS_HANGUP"),
        (AGENT_LEG, "CHANNEL_STATE", "CS_REPORTING"),
        (AGENT_LEG, "CHANNEL_HANGUP_COMPLETE", "CS_REPORTING"),
        (call, "CHANNEL_UNBRIDGE", "CS_EXECUTE"),
        (call, "CHANNEL_EXECUTE_COMPLETE", "bridge"),  # the old bridge app returns; park after it never runs
        (call, "CHANNEL_STATE", "CS_ROUTING"),
        (call, "CHANNEL_STATE", "CS_EXECUTE"),
        (call, "CHANNEL_EXECUTE", "bridge"),
        (AGENT_LEG, "CHANNEL_STATE", "CS_DESTROY"),
        (call, "CHANNEL_BRIDGE", "CS_EXECUTE"),
    ]
    # the agent leg: hung up NORMAL_CLEARING when its bridge ended, sofia's variables on it
    hangup = next(e for e in events if e.name == "CHANNEL_HANGUP" and e.get("Unique-ID") == AGENT_LEG)
    assert hangup.get("Hangup-Cause") == "NORMAL_CLEARING"
    assert {k: v for k, v in hangup.headers if k.startswith(("variable_transfer", "variable_endpoint"))} == {
        "variable_transfer_disposition": "recv_replace",
        "variable_transfer_to": f"blind:{call}",
        "variable_transfer_destination": "blind:1002",
        "variable_transfer_fallback_extension": "1000",
        "variable_endpoint_disposition": "BLIND_TRANSFER",
    }
    assert Hangup(AGENT_LEG, "NORMAL_CLEARING") in switch.hangups
    # the caller: a new profile for 1002 in its own context (public), the REFER headers as variables
    routing = next(e for e in events if e.name == "CHANNEL_STATE" and e.get("Channel-State") == "CS_ROUTING")
    assert (routing.get("Caller-Destination-Number"), routing.get("Caller-Context"), routing.get("Caller-Dialplan"),
            routing.get("Caller-Profile-Index")) == ("1002", "public", "XML", "3")  # 2: the controller's transfer
    assert (routing.get("Caller-Transfer-Source") or "").endswith(":bl_xfer:1002/public/XML")
    bridge = next(e for e in events if e.name == "CHANNEL_EXECUTE" and e.get("Unique-ID") == call)
    assert bridge.get("Application-Data") == "user/1002@127.0.0.1"  # $1 at hunt time, ${domain} at run time
    assert bridge.get("variable_transfer_source") == routing.get("Caller-Transfer-Source")
    assert (bridge.get("variable_transfer_history") or "").startswith("ARRAY::")  # the controller's, then this
    assert (bridge.get("variable_sip_refer_to"), bridge.get("variable_sip_h_Referred-By")) == (
        "<sip:1002@127.0.0.1>", "<sip:1000@127.0.0.1>")
    assert not any(e.name == "CHANNEL_EXECUTE" and e.get("Application") == "transfer" for e in events)
    assert switch.channels[call].bridged_with is not None and switch.channels[call].parked is False


def test_force_transfer_context_wins_over_the_callers_own(client: RawClient, switch: SimSwitch) -> None:
    switch.transfer_talk_s = 600
    call = bridged_to_agent(client, switch)
    client.command(f"api uuid_setvar {call} force_transfer_context support-desk")
    switch.blind_refer(AGENT_LEG, "2005")
    routing = client.wait_event("CHANNEL_STATE", Unique_ID=call, Caller_Destination_Number="2005")
    assert (routing.get("Channel-State"), routing.get("Caller-Context")) == ("CS_ROUTING", "support-desk")
    # a destination no simulated dialplan holds: someone answers
    client.wait_event("CHANNEL_EXECUTE", Unique_ID=call, Application="sleep")


def test_a_refer_on_a_leg_with_no_partner_fires_sofia_error(client: RawClient, switch: SimSwitch) -> None:
    call = parked_call(client, switch, CallerScript(patience_s=600))
    switch.blind_refer(call, "1002")
    error = client.wait_event("CUSTOM", Unique_ID=call)
    assert (error.get("Event-Subclass"), error.get("Error-Type"), error.get("Transfer-Exten"),
            error.get("Full-Refer-To")) == ("sofia::error", "blind_transfer", "1002", "<sip:1002@127.0.0.1>")
    assert (error.get("Event-Calling-File"), error.get("Event-Calling-Function")) == ("sofia.c",
                                                                                     "sofia_handle_sip_i_refer")
    assert switch.channels[call].parked
    assert switch.channels[call].variables["endpoint_disposition"] == "ATTENDED_TRANSFER_ERROR"


def test_only_a_sip_channel_that_is_up_can_refer(switch: SimSwitch) -> None:
    with pytest.raises(ValueError, match="no SIP channel"):
        switch.blind_refer("no-such-leg", "1002")
