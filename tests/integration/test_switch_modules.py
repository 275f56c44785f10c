"""Controller ↔ simulator over TCP: a switch without a module the configuration needs (trace m). At connect the
controller asks for every required module and will not start a campaign that needs a missing one; an application
the switch turns out not to have at run time is an error with a metric, never "not a person"; and ``ccswitch check
--switch`` asks a running switch the same questions."""

from __future__ import annotations

from collections.abc import Callable, Iterator

import pytest
from click.testing import CliRunner

from ccswitch.cli import main
from ccswitch.dialer import DialOutcome, LeadState, RunCommand
from ccswitch.errors import InvalidTransition
from ccswitch.sim import EslServer, SimSwitch
from ccswitch.sim.switch import DEFAULT_MODULES

from .conftest import ROOT, ContactCentre, wait_until
from .test_dialer import CAMPAIGN, callee, campaign_centre, lead, settled, start, stored
from .test_offer_failures import metric


def test_a_campaign_that_detects_machines_is_not_started_on_a_switch_without_mod_amd(
    centre_factory: Callable[..., ContactCentre],
) -> None:
    def without_amd(**kwargs: object) -> ContactCentre:
        return centre_factory(modules=DEFAULT_MODULES - {"mod_amd"}, **kwargs)

    centre = campaign_centre(without_amd, callee(n1="person"))
    assert "api module_exists mod_amd" in centre.server.commands_received
    wait_until(lambda: metric(centre, "ccswitch_switch_module_missing", node="fs1", module="mod_amd") == 1,
               what="the missing module in the metrics")
    assert metric(centre, "ccswitch_switch_module_missing", node="fs1", module="mod_sofia") == 0
    centre.controller.campaign_leads(CAMPAIGN, [lead(1)])
    with pytest.raises(InvalidTransition, match="mod_amd"):
        centre.controller.campaign_command(CAMPAIGN, RunCommand.START)
    centre.clock.sleep(10.0)
    assert not any(command.startswith("bgapi originate") for command in centre.server.commands_received)
    assert stored(centre, lead(1).phone).state is LeadState.PENDING
    centre.switch.modules.add("mod_amd")  # fs_cli -x 'load mod_amd': a start asks the node again
    centre.controller.campaign_command(CAMPAIGN, RunCommand.START)
    assert metric(centre, "ccswitch_switch_module_missing", node="fs1", module="mod_amd") == 0
    wait_until(lambda: any(command.startswith("bgapi originate") for command in centre.server.commands_received),
               what="the campaign to dial")


def test_detection_the_switch_cannot_run_is_an_error_and_a_failed_lead_not_a_person_or_a_no_answer(
    centre_factory: Callable[..., ContactCentre],
) -> None:
    centre = campaign_centre(centre_factory, callee(n1="person"))
    start(centre, lead(1))
    centre.switch.modules.discard("mod_amd")  # unloaded after the controller connected (`unload mod_amd`)
    wait_until(settled(centre, lead(1).phone, LeadState.RETRY, LeadState.DONE), timeout=8,
               what="the lead to be settled")
    assert stored(centre, lead(1).phone).last_outcome is DialOutcome.FAILED
    assert [h.cause for h in centre.switch.hangups] == ["DESTINATION_OUT_OF_ORDER"]  # the line, by the switch
    assert metric(centre, "ccswitch_switch_application_missing_total", node="fs1", application="amd") == 1
    assert centre.controller.engine.stats.total().offered == 0  # never handed to the queue as a person
    assert centre.controller.campaign_status(CAMPAIGN).state == "paused"


@pytest.fixture
def bare_switch() -> Iterator[tuple[SimSwitch, EslServer]]:
    switch = SimSwitch(modules=DEFAULT_MODULES - {"mod_amd"})
    server = EslServer(switch, "127.0.0.1", 0, password="ClueCon").start()
    yield switch, server
    server.stop()
    switch.shutdown()


def test_check_switch_names_the_modules_a_running_switch_lacks(bare_switch: tuple[SimSwitch, EslServer]) -> None:
    switch, server = bare_switch
    env = {"CCSWITCH_ESL_HOST": "127.0.0.1", "CCSWITCH_ESL_PORT": str(server.port)}
    args = ["check", "--config", str(ROOT / "config" / "ccswitch.yaml"), "--switch"]
    result = CliRunner().invoke(main, args, env=env)
    assert result.exit_code == 1, result.output
    assert "module mod_amd is not loaded" in result.stderr
    assert "answering-machine detection of campaign promo-nov" in result.stderr
    switch.modules.add("mod_amd")
    result = CliRunner().invoke(main, args, env=env)
    assert result.exit_code == 3, result.output  # warnings only: the simulator, like the shipped config, uses ClueCon
    assert "FreeSWITCH node fs1 (127.0.0.1:" in result.output and "has every module needed" in result.output
