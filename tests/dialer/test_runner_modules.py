"""The dialler and the switch's modules: a campaign that detects machines does not run on a node without mod_amd,
and an ``amd`` the switch hangs up at once (no such application, trace m) is an error, not a person."""

from __future__ import annotations

import pytest

from ccswitch.channel_events import HangingUp, HungUp
from ccswitch.config import Config
from ccswitch.dialer import DialOutcome, LeadState, RunCommand, RunState
from ccswitch.errors import InvalidTransition
from ccswitch.switch_modules import Requirement
from tests.dialer.test_runner import Rig, dialled_contact, leads, rig, rig_with
from tests.test_engine import MONDAY_10AM, config

__all__ = ["config", "rig"]  # fixtures

AMD = Requirement("mod_amd", "answering-machine detection of campaign promo-nov", "promo-nov")


def test_a_campaign_that_needs_a_module_a_node_lacks_is_refused_with_the_module_named(rig: Rig) -> None:
    rig.dialer.load("promo-nov", leads(1), MONDAY_10AM)
    rig.dialer.modules_missing("fs1", [AMD], MONDAY_10AM)
    with pytest.raises(InvalidTransition, match="node fs1 does not have mod_amd"):
        rig.dialer.command("promo-nov", RunCommand.START, MONDAY_10AM)
    rig.tick(MONDAY_10AM + 1)
    assert rig.effects.originated() == []
    rig.dialer.modules_missing("fs1", [], MONDAY_10AM + 2)  # asked again: loaded since
    assert rig.dialer.command("promo-nov", RunCommand.START, MONDAY_10AM + 2).state is RunState.RUNNING


def test_a_running_campaign_is_paused_when_a_node_turns_out_to_lack_its_module(rig: Rig) -> None:
    rig.dial_one()
    rig.dialer.modules_missing("fs1", [Requirement("mod_dptools", "applications"), AMD], MONDAY_10AM + 1)
    assert rig.dialer.status("promo-nov", MONDAY_10AM + 1).state == "paused"


def test_a_preview_campaign_runs_no_detection_and_does_not_need_mod_amd(config: Config) -> None:
    preview = rig_with(config, mode="preview", abandon_message=None)
    preview.dialer.load("promo-nov", leads(1), MONDAY_10AM)
    preview.dialer.modules_missing("fs1", [AMD], MONDAY_10AM)
    assert preview.dialer.command("promo-nov", RunCommand.START, MONDAY_10AM).state is RunState.RUNNING


def test_detection_hung_up_at_once_out_of_order_is_a_missing_application_not_a_no_answer(rig: Rig) -> None:
    originate = rig.dial_one()
    rig.answer(originate.leg, MONDAY_10AM + 5)
    rig.handle(HangingUp(originate.leg, "DESTINATION_OUT_OF_ORDER"), MONDAY_10AM + 5.02)
    rig.handle(HungUp(originate.leg, "DESTINATION_OUT_OF_ORDER"), MONDAY_10AM + 5.02)
    lead = rig.lead("+447700900001")
    assert (lead.state, lead.last_outcome) == (LeadState.RETRY, DialOutcome.FAILED)
    assert rig.dialer.applications_missing == {("fs1", "amd"): 1}
    assert rig.contacts() == {originate.leg: dialled_contact(originate.leg, MONDAY_10AM + 5.02, "failed",
                                                             "DESTINATION_OUT_OF_ORDER")}
    assert rig.dialer.status("promo-nov", MONDAY_10AM + 6).state == "paused"


def test_the_same_cause_after_detection_ran_a_while_is_a_hang_up_during_detection(rig: Rig) -> None:
    originate = rig.dial_one()
    rig.answer(originate.leg, MONDAY_10AM + 5)
    rig.handle(HungUp(originate.leg, "DESTINATION_OUT_OF_ORDER"), MONDAY_10AM + 7)  # the network, 2 s in
    assert rig.lead("+447700900001").last_outcome is DialOutcome.NO_ANSWER
    assert rig.dialer.applications_missing == {}
