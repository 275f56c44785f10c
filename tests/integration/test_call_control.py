"""An agent holds, mutes, transfers (blind and attended) and conferences a live call over real TCP: HTTP API and
CLI, simulated switch."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import replace
from types import MappingProxyType

import pytest
from click.testing import CliRunner

from ccswitch.cli import main
from ccswitch.config import Config
from ccswitch.http import serve_http
from ccswitch.media.recording import RecordingPolicy
from ccswitch.sim import AgentPhone

from .conftest import ContactCentre, wait_until
from .test_monitoring import call, support_call


def unrecorded(config: Config) -> Config:
    # The simulator does not yet model a uuid_broadcast (the recording announcement) still pending on a caller
    # whose bridge ends: that caller would never reach park. Real FreeSWITCH plays it, then runs park.
    support = replace(config.queues["support"], recording=RecordingPolicy())
    return replace(config, queues=MappingProxyType({**config.queues, "support": support}))


@pytest.fixture
def centre(centre_factory: Callable[..., ContactCentre]) -> ContactCentre:
    """Agents talk for 10 simulated minutes."""
    return centre_factory(phones=tuple(AgentPhone(f"100{n}", answer_after_s=1.0, talk_s=600) for n in range(10)),
                          configure=unrecorded)


@pytest.fixture
def url(centre: ContactCentre) -> Iterator[str]:
    server = serve_http(centre.controller.metrics, "127.0.0.1", 0, centre.controller)
    yield f"http://127.0.0.1:{server.server_port}"
    server.stop()


def sent(centre: ContactCentre, prefix: str) -> list[str]:
    return [c.split("\n", 1)[0] for c in centre.server.commands_received if c.startswith(prefix)]


def test_hold_sets_the_queue_music_on_the_agent_leg_then_holds_it(centre: ContactCentre, url: str) -> None:
    caller, agent, agent_leg = support_call(centre)
    status, view = call(f"{url}/api/calls/{agent}/hold", "POST")
    assert (status, view) == (200, {"call": caller, "agent": agent, "agent_leg": agent_leg, "held": True,
                                    "muted": False, "transferred_to": None, "consulting": None})
    wait_until(lambda: centre.switch.channels[agent_leg].call_state == "HELD", what="the agent leg on hold")
    assert sent(centre, f"api uuid_setvar {agent_leg}") == [f"api uuid_setvar {agent_leg} hold_music "
                                                            "local_stream://moh"]
    assert sent(centre, "api uuid_hold") == [f"api uuid_hold {agent_leg}"]
    status, body = call(f"{url}/api/calls/{caller}/hold", "POST")
    assert (status, body["error"]) == (409, "invalid_transition")
    assert call(f"{url}/api/calls/{caller}/unhold", "POST")[1]["held"] is False
    wait_until(lambda: sent(centre, "api uuid_hold") == [f"api uuid_hold {agent_leg}",
                                                         f"api uuid_hold off {agent_leg}"], what="unhold")


def test_refusals_over_http(centre: ContactCentre, url: str) -> None:
    _caller, agent, _leg = support_call(centre)
    transfers = sent(centre, "api uuid_transfer")  # the agent's own connection
    assert call(f"{url}/api/calls/nobody/mute", "POST")[0] == 404
    assert call(f"{url}/api/calls/1009/mute", "POST")[0] == 409  # not on a call
    assert call(f"{url}/api/calls/{agent}/transfer", "POST", {"queue": "billing"})[0] == 422  # no such queue
    assert call(f"{url}/api/calls/{agent}/transfer", "POST", {"to": "1000 evil"})[1]["error"] == "unsafe_value"
    assert call(f"{url}/api/calls/{agent}/transfer", "POST", {})[0] == 400
    assert sent(centre, "api uuid_transfer") == transfers
    assert centre.controller.engine.agents[agent].state.value == "on_call"


def test_cli_mutes_then_transfers_to_a_queue_where_another_agent_answers(centre: ContactCentre, url: str) -> None:
    caller, agent, agent_leg = support_call(centre)
    engine = centre.controller.engine

    def cli(*args: str) -> str:
        result = CliRunner().invoke(main, ["call", *args, "--url", url])
        assert result.exit_code == 0, result.output
        return result.output

    assert cli("mute", agent) == f"call {caller}  agent {agent}  muted\n"
    wait_until(lambda: sent(centre, "api uuid_audio") == [f"api uuid_audio {agent_leg} start read mute 1"],
               what="mute")
    assert cli("transfer", caller, "--queue", "sales").endswith("transferred to queue:sales\n")
    wait_until(lambda: engine.stats.queues["sales"].answered == 1, what="a sales agent to answer")
    session = engine.calls[caller]
    assert session.agent not in (None, agent) and session.entry is not None and session.entry.queue == "sales"
    assert centre.switch.channels[caller].bridged_with == session.agent_leg
    assert agent_leg not in centre.switch.channels or centre.switch.channels[agent_leg].state == "CS_DESTROY"
    assert engine.agents[agent].state.value == "wrap_up"
    assert engine.stats.queues["support"].abandoned == 0
    refused = CliRunner().invoke(main, ["call", "transfer", caller, "--url", url])
    assert refused.exit_code == 2 and "give one of --to or --queue" in refused.output


def test_attended_transfer_over_the_cli_consults_then_completes(centre: ContactCentre, url: str) -> None:
    caller, agent, agent_leg = support_call(centre)
    engine = centre.controller.engine
    target = "1008" if agent != "1008" else "1009"

    def cli(*args: str) -> str:
        result = CliRunner().invoke(main, ["call", *args, "--url", url])
        assert result.exit_code == 0, result.output
        return result.output

    def music_played() -> int:
        return sum(1 for app in centre.switch.apps_on(caller) if app.arg == "local_stream://moh")

    before = music_played()
    assert cli("consult", agent, "--to", target).endswith("consulting\n")
    (target_leg,) = engine._consult_legs
    wait_until(lambda: centre.switch.channels[agent_leg].bridged_with == target_leg, what="agent talks to target")
    wait_until(lambda: music_played() > before, what="the caller waiting with music")
    assert cli("complete", agent).endswith(f"transferred to {target}\n")
    wait_until(lambda: centre.switch.channels[caller].bridged_with == target_leg, what="caller talks to target")
    wait_until(lambda: engine.agents[agent].state.value == "wrap_up", what="the agent to wrap up")


def test_conference_over_http_then_cancel_drops_the_third_party(centre: ContactCentre, url: str) -> None:
    caller, agent, agent_leg = support_call(centre)
    engine = centre.controller.engine
    status, view = call(f"{url}/api/calls/{agent}/consult", "POST", {"to": "1009"})
    assert (status, view["consulting"]) == (200, "consulting")
    (target_leg,) = engine._consult_legs
    wait_until(lambda: centre.switch.channels[agent_leg].bridged_with == target_leg, what="agent talks to target")
    assert call(f"{url}/api/calls/{agent}/conference", "POST")[1]["consulting"] == "three_way"
    wait_until(lambda: centre.switch.channels[caller].bridged_with == agent_leg, what="caller back with the agent")
    wait_until(lambda: "three_way" in [app.app for app in centre.switch.apps_on(target_leg)], what="three_way")
    cancelled = call(f"{url}/api/calls/{agent}/cancel", "POST")
    assert cancelled[1].get("consulting", "missing") is None, cancelled
    wait_until(lambda: target_leg not in centre.switch.channels
               or centre.switch.channels[target_leg].state == "CS_DESTROY", what="the third party dropped")
    assert centre.switch.channels[caller].bridged_with == agent_leg
    assert engine.agents[agent].state.value == "on_call"


def test_blind_transfer_to_an_external_number_hands_the_caller_to_the_dialplan(
    centre: ContactCentre, url: str
) -> None:
    caller, agent, _agent_leg = support_call(centre)
    engine = centre.controller.engine
    status, view = call(f"{url}/api/calls/{agent}/transfer", "POST", {"to": "89001234567", "context": "outbound"})
    assert (status, view["transferred_to"]) == (200, "89001234567")
    wait_until(lambda: sent(centre, f"api uuid_transfer {caller}")[-1:]
               == [f"api uuid_transfer {caller} 89001234567 XML outbound"], what="the transfer command")
    wait_until(lambda: engine.agents[agent].state.value == "wrap_up", what="the agent to wrap up")
    assert engine.calls[caller].outcome == "transferred"
