"""An agent's desk-phone feature codes over real TCP: the simulated phone keys ``*1`` / ``*2`` / ``*3`` while
bridged, or ``*7`` / ``*8`` and a destination, FreeSWITCH (the simulator) fires CUSTOM ccswitch::feature, and the
controller holds, mutes, hangs up, transfers or consults exactly as the HTTP API does."""

from __future__ import annotations

import logging
from collections.abc import Callable

import pytest

from ccswitch.history import ContactRecord, HistoryRecord
from ccswitch.sim import AgentPhone

from .conftest import ContactCentre, wait_until
from .test_call_control import sent, unrecorded
from .test_monitoring import support_call


@pytest.fixture
def centre(centre_factory: Callable[..., ContactCentre]) -> ContactCentre:
    return centre_factory(phones=tuple(AgentPhone(f"100{n}", answer_after_s=1.0, talk_s=600) for n in range(10)),
                          configure=unrecorded)


def test_the_controller_subscribes_to_the_feature_event(centre: ContactCentre) -> None:
    (subscription,) = [c for c in centre.server.commands_received if c.startswith("event plain")]
    assert subscription.endswith(" BACKGROUND_JOB DTMF CUSTOM ccswitch::feature")


def test_star_one_holds_then_unholds_and_star_two_mutes(centre: ContactCentre) -> None:
    caller, agent, agent_leg = support_call(centre)
    engine = centre.controller.engine
    (connect,) = sent(centre, f"api uuid_transfer {caller}")
    assert ("execute_on_answer_ccswitch_hold=bind_meta_app 1 a s execute_extension::ccswitch_hold XML "
            "ccswitch-features,") in connect

    centre.switch.press_keys(agent_leg, "*1")
    wait_until(lambda: centre.switch.channels[agent_leg].call_state == "HELD", what="the agent leg on hold")
    assert sent(centre, "api uuid_hold") == [f"api uuid_hold {agent_leg}"]
    assert sent(centre, f"api uuid_setvar {agent_leg}") == [f"api uuid_setvar {agent_leg} hold_music "
                                                            "local_stream://moh"]
    assert engine.calls[caller].controls is not None and engine.calls[caller].controls.held

    centre.switch.press_keys(agent_leg, "*1")
    wait_until(lambda: sent(centre, "api uuid_hold") == [f"api uuid_hold {agent_leg}",
                                                         f"api uuid_hold off {agent_leg}"], what="unhold")
    wait_until(lambda: centre.switch.channels[agent_leg].call_state == "ACTIVE", what="the agent leg back")

    centre.switch.press_keys(agent_leg, "*2")
    wait_until(lambda: centre.switch.channel(agent_leg) is not None
               and centre.switch.channel(agent_leg).read_muted,  # type: ignore[union-attr]
               what="the agent's microphone muted")
    centre.switch.press_keys(agent_leg, "*2")
    wait_until(lambda: sent(centre, "api uuid_audio") == [f"api uuid_audio {agent_leg} start read mute 1",
                                                          f"api uuid_audio {agent_leg} stop"], what="unmute")
    assert centre.switch.channels[caller].bridged_with == agent_leg
    assert engine.agents[agent].state.value == "on_call"


def test_star_three_hangs_up_and_the_agent_wraps_up(centre: ContactCentre) -> None:
    caller, agent, agent_leg = support_call(centre)
    engine = centre.controller.engine
    centre.switch.press_keys(agent_leg, "*3")
    wait_until(lambda: engine.agents[agent].state.value == "wrap_up", what="the agent to wrap up")
    assert sent(centre, "api uuid_kill") == [f"api uuid_kill {caller} NORMAL_CLEARING"]
    assert caller not in engine.calls
    assert engine.stats.queues["support"].answered == 1 and engine.stats.queues["support"].abandoned == 0


def test_other_keys_change_nothing(centre: ContactCentre) -> None:
    caller, agent, agent_leg = support_call(centre)
    before = len(centre.server.commands_received)
    centre.switch.press_keys(caller, "*1")  # the caller's leg has no bindings: plain digits, sent to the agent
    centre.switch.press_keys(agent_leg, "*95")  # *9 is not bound (both dropped), 5 goes to the caller
    centre.switch.press_keys(agent_leg, "*2")  # events reach the controller in order: once muted, all were seen
    wait_until(lambda: sent(centre, "api uuid_audio") == [f"api uuid_audio {agent_leg} start read mute 1"],
               what="mute")
    assert [c.split("\n", 1)[0] for c in centre.server.commands_received[before:] if c.startswith("api uuid_")] == [
        f"api uuid_audio {agent_leg} start read mute 1"]
    assert [e.arg for e in centre.switch.executed if e.app == "event"] == [
        "Event-Subclass=ccswitch::feature,Event-Name=CUSTOM,Feature=mute"]
    assert centre.controller.engine.agents[agent].state.value == "on_call"


def test_star_seven_and_an_extension_blind_transfers_the_caller_there(centre: ContactCentre) -> None:
    caller, agent, agent_leg = support_call(centre)
    engine = centre.controller.engine
    centre.switch.press_keys(agent_leg, "*71008#")
    wait_until(lambda: engine.agents[agent].state.value == "wrap_up", what="the agent to wrap up")
    # The decision (wrap-up) comes before its command is written to the socket: wait for the command itself.
    transfer = f"api uuid_transfer {caller} 1008 XML default"
    wait_until(lambda: sent(centre, f"api uuid_transfer {caller}")[-1:] == [transfer], what="the caller's transfer")
    wait_until(lambda: [e.app for e in centre.switch.executed if e.uuid == agent_leg and e.app in ("read", "event")]
               == ["read", "event"], what="read, then event, on the agent's leg")
    assert engine.calls[caller].transferred_to == "1008"


def test_star_eight_and_an_extension_consults_it_then_star_four_completes(centre: ContactCentre) -> None:
    caller, agent, agent_leg = support_call(centre)
    engine = centre.controller.engine
    target = "1008" if agent != "1008" else "1009"
    centre.switch.press_keys(agent_leg, f"*8{target}#")
    wait_until(lambda: len(engine._consult_legs) == 1, what="the consultation to start")
    (target_leg,) = engine._consult_legs
    assert engine.calls[caller].consult_target == target
    wait_until(lambda: centre.switch.channels[agent_leg].bridged_with == target_leg, what="agent talks to target")
    centre.switch.press_keys(agent_leg, "*4")
    wait_until(lambda: centre.switch.channels[caller].bridged_with == target_leg, what="caller talks to target")
    wait_until(lambda: engine.agents[agent].state.value == "wrap_up", what="the agent to wrap up")


def test_star_seven_with_no_digits_before_the_timeout_transfers_nothing(centre: ContactCentre,
                                                                       caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.INFO, "ccswitch.engine")
    caller, agent, agent_leg = support_call(centre)
    centre.switch.press_keys(agent_leg, "*7")
    wait_until(lambda: "pressed transfer on their phone: refused" in caplog.text, timeout=10,
               what="read to time out and the controller to refuse the empty destination")
    assert sent(centre, f"api uuid_transfer {caller}")[1:] == []  # (the first one connected the agent)
    assert centre.controller.engine.agents[agent].state.value == "on_call"


def test_the_phones_own_transfer_button_sends_the_caller_on_and_the_agent_wraps_up(
    centre_factory: Callable[..., ContactCentre],
) -> None:
    records: list[HistoryRecord] = []
    centre = centre_factory(phones=tuple(AgentPhone(f"100{n}", answer_after_s=1.0, talk_s=600) for n in range(10)),
                            configure=unrecorded, record=records.append)
    caller, agent, agent_leg = support_call(centre)
    engine = centre.controller.engine
    centre.switch.blind_refer(agent_leg, "1008")  # a blind SIP REFER; 1008 answers in the caller's context
    wait_until(lambda: engine.agents[agent].state.value == "wrap_up", what="the agent to wrap up")
    assert engine.calls[caller].transferred_to == "1008"
    def contacts() -> list[ContactRecord]:
        return [r for r in records if isinstance(r, ContactRecord) and r.call_uuid == caller]

    wait_until(lambda: contacts() != [], timeout=8, what="the caller to talk to 1008, hang up, and be recorded")
    (record,) = contacts()
    assert (record.outcome, record.transferred_to, record.agent) == ("transferred", "1008", agent)


def test_a_caller_transferred_to_the_service_number_is_routed_again(centre: ContactCentre) -> None:
    centre.switch.load_dialplan(SERVICE_PARKS)
    caller, agent, agent_leg = support_call(centre)
    engine = centre.controller.engine
    centre.switch.blind_refer(agent_leg, "88005550556")
    wait_until(lambda: engine.agents[agent].state.value == "wrap_up", what="the agent to wrap up")
    wait_until(lambda: engine.calls[caller].phase.value in ("queued", "offering", "connected"),
               what="the caller to be routed again (the main menu, then support)")
    assert [app.app for app in centre.switch.apps_on(caller)].count("play_and_get_digits") >= 2


SERVICE_PARKS = """<include><context name="public">
  <extension name="service"><condition field="destination_number" expression="^88005550556$">
    <action application="park"/>
  </condition></extension>
</context></include>"""
