"""Agents and supervisors operate a running controller: the HTTP API and the CLI on top of it."""

from __future__ import annotations

import json
from collections.abc import Iterator

import pytest
from click.testing import CliRunner, Result

from ccswitch.acd.agents import AgentState
from ccswitch.cli import main
from ccswitch.http import serve_http
from ccswitch.sim import CallerScript

from .conftest import ContactCentre, api_call, wait_until


@pytest.fixture
def url(centre: ContactCentre) -> Iterator[str]:
    server = serve_http(centre.controller.metrics, "127.0.0.1", 0, centre.controller)
    yield f"http://127.0.0.1:{server.server_port}"
    server.stop()


def cli(url: str, *args: str) -> Result:
    return CliRunner().invoke(main, [*args, "--url", url])


def test_agent_list_shows_every_agent_with_state_and_queues(url: str) -> None:
    result = cli(url, "agent", "list")
    assert result.exit_code == 0, result.output
    lines = result.output.splitlines()
    assert len(lines) == 11  # header + 10 agents
    assert lines[4].split()[:4] == ["1003", "Agent", "1003", "available"]
    assert lines[4].endswith("sales, support")


def test_break_with_a_configured_reason_then_ready(centre: ContactCentre, url: str) -> None:
    result = cli(url, "agent", "break", "1004", "--reason", "lunch")
    assert result.exit_code == 0, result.output
    assert "on_break (lunch)" in result.output
    assert centre.controller.engine.agents["1004"].state is AgentState.ON_BREAK
    assert cli(url, "agent", "ready", "1004").exit_code == 0
    assert centre.controller.engine.agents["1004"].state is AgentState.AVAILABLE


def test_refusals_are_clear_and_change_nothing(centre: ContactCentre, url: str) -> None:
    unknown_reason = cli(url, "agent", "break", "1004", "--reason", "nap")
    assert unknown_reason.exit_code == 1 and "nap" in unknown_reason.output and "lunch" in unknown_reason.output
    unknown_agent = cli(url, "agent", "logout", "9999")
    assert unknown_agent.exit_code == 1 and "unknown agent '9999'" in unknown_agent.output
    assert centre.controller.engine.agents["1004"].state is AgentState.AVAILABLE


def test_an_agent_on_a_call_cannot_log_out_and_the_api_says_conflict(centre: ContactCentre, url: str) -> None:
    engine = centre.controller.engine
    caller = centre.switch.place_call(CallerScript(dtmf=("2",), talk_s=30))
    wait_until(lambda: engine.stats.queues["support"].answered == 1, what="the call to be answered")
    agent = engine.calls[caller].agent
    status, refused, _ = api_call(f"{url}/api/agents/{agent}/logout", "POST", {})
    assert (status, refused["error"]) == (409, "invalid_transition")
    assert engine.agents[str(agent)].state is AgentState.ON_CALL


def test_queue_show_counts_waiting_calls_and_agents_by_state(centre: ContactCentre, url: str) -> None:
    for agent_id in centre.controller.config.members("support"):
        assert cli(url, "agent", "break", agent_id, "--reason", "meeting").exit_code == 0
    centre.switch.place_call(CallerScript(dtmf=("2",), patience_s=600))
    wait_until(lambda: len(centre.controller.engine.waiting["support"]) == 1, what="the call to wait")
    result = cli(url, "queue", "show")
    assert result.exit_code == 0, result.output
    support = next(line for line in result.output.splitlines() if line.startswith("support"))
    assert support.split()[:2] == ["support", "1"]
    assert "on_break 5" in support


@pytest.mark.parametrize("command", [["agent", "list"], ["queue", "show"], ["campaign", "status"]])
def test_an_unreachable_controller_is_a_clear_error_with_no_table_header_before_it(command: list[str]) -> None:
    result = CliRunner().invoke(main, [*command, "--url", "http://127.0.0.1:9"])
    assert result.exit_code == 1
    assert result.output.startswith("Error: cannot reach the controller"), result.output


def test_agent_list_and_queue_show_as_json(centre: ContactCentre, url: str) -> None:
    assert cli(url, "agent", "break", "1004", "--reason", "lunch").exit_code == 0
    agents = json.loads(cli(url, "agent", "list", "--json").output)
    assert {agent["id"]: (agent["state"], agent["reason"]) for agent in agents}["1004"] == ("on_break", "lunch")
    assert len(agents) == len(centre.controller.config.agents)
    queues = json.loads(cli(url, "queue", "show", "--json").output)
    assert [queue["name"] for queue in queues] == list(centre.controller.config.queues)
    assert next(queue for queue in queues if queue["name"] == "support")["agents"]["on_break"] == 1


def test_login_to_one_queue_takes_only_that_queues_calls(centre: ContactCentre, url: str) -> None:
    engine = centre.controller.engine
    for agent_id in centre.controller.config.members("support"):
        assert cli(url, "agent", "break", agent_id, "--reason", "meeting").exit_code == 0
    assert cli(url, "agent", "logout", "1003").exit_code == 0
    result = cli(url, "agent", "login", "1003", "--queue", "sales")  # a member of sales and support
    assert result.exit_code == 0, result.output
    assert engine.agents["1003"].queues == ("sales",)
    support = cli(url, "queue", "show").output.splitlines()
    assert "logged_out 1" in next(line for line in support if line.startswith("support"))
    caller = centre.switch.place_call(CallerScript(dtmf=("2",), patience_s=600))
    wait_until(lambda: caller in engine.waiting["support"], what="the support call to wait")
    assert engine.agents["1003"].state is AgentState.AVAILABLE  # not offered: not logged in to support
    refused = cli(url, "agent", "login", "1004", "--queue", "sales")
    assert refused.exit_code == 1 and "not a member of queue 'sales'" in refused.output
