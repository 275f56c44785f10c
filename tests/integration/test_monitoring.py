"""Supervisors listen, whisper and barge on live calls over real TCP: HTTP API and CLI, simulator eavesdrop."""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator
from dataclasses import replace
from datetime import datetime
from types import MappingProxyType
from zoneinfo import ZoneInfo

import pytest
from click.testing import CliRunner

from ccswitch.cli import main
from ccswitch.http import serve_http
from ccswitch.media.monitor import Supervisor
from ccswitch.sim import AgentPhone, CallerScript
from ccswitch.sim.channel import Eavesdrop

from .conftest import ContactCentre, api_call, wait_until

SALES_ONLY = Supervisor("3001", "user/3001", frozenset({"sales"}))


@pytest.fixture
def centre(centre_factory: Callable[..., ContactCentre]) -> ContactCentre:
    """Agents talk for 10 simulated minutes; supervisor 2001's phone answers at once."""
    talking = tuple(AgentPhone(f"100{n}", answer_after_s=1.0, talk_s=600) for n in range(10))
    centre = centre_factory(phones=(*talking, AgentPhone("2001", answer_after_s=0.5, talk_s=600)))
    engine = centre.controller.engine
    supervisors = MappingProxyType({**engine.config.supervisors, SALES_ONLY.id: SALES_ONLY})
    engine.config = replace(engine.config, supervisors=supervisors)
    return centre


@pytest.fixture
def url(centre: ContactCentre) -> Iterator[str]:
    server = serve_http(centre.controller.metrics, "127.0.0.1", 0, centre.controller)
    yield f"http://127.0.0.1:{server.server_port}"
    server.stop()


def call(url: str, method: str, body: object = None) -> tuple[int, dict[str, object]]:
    return api_call(url, method, body)[:2]


def support_call(centre: ContactCentre) -> tuple[str, str, str]:
    """A support call talking to its agent: (caller uuid, agent id, agent leg)."""
    caller = centre.switch.place_call(CallerScript(dtmf=("2",), talk_s=600))
    engine = centre.controller.engine
    wait_until(lambda: engine.stats.queues["support"].answered == 1, what="the agent to answer")
    session = engine.calls[caller]
    assert session.agent is not None and session.agent_leg is not None
    return caller, session.agent, session.agent_leg


def originates(centre: ContactCentre) -> list[str]:
    return [c for c in centre.server.commands_received if "originate" in c.split("\n", 1)[0]]


def test_listen_then_barge_then_stop_over_http(centre: ContactCentre, url: str) -> None:
    caller, agent, agent_leg = support_call(centre)
    status, view = call(f"{url}/api/monitor", "POST", {"supervisor": "2001", "agent": agent, "mode": "listen"})
    assert status == 200, view
    leg = str(view["id"])
    assert view == {"id": leg, "supervisor": "2001", "agent": agent, "call": caller, "mode": "listen",
                    "started_at": view["started_at"], "ended_at": None}
    wait_until(lambda: centre.switch.eavesdrops.get(leg) == Eavesdrop(agent_leg, mux_read=False, mux_write=False),
               what="the supervisor to eavesdrop on the agent leg")
    (originate,) = originates(centre)
    assert originate.startswith(f"bgapi originate '{{origination_uuid={leg},") and f"Job-UUID: {leg}" in originate

    assert call(f"{url}/api/monitor/{leg}/mode", "POST", {"mode": "barge"})[1]["mode"] == "barge"
    wait_until(lambda: centre.switch.eavesdrops.get(leg) == Eavesdrop(agent_leg, mux_read=True, mux_write=True),
               what="barge")
    assert call(f"{url}/api/monitor/{leg}/mode", "POST", {"mode": "whisper"})[0] == 200
    wait_until(lambda: centre.switch.eavesdrops.get(leg) == Eavesdrop(agent_leg, mux_read=False, mux_write=True),
               what="whisper")
    listing = call(f"{url}/api/monitor", "GET")[1]
    assert [s["id"] for s in listing["active"]] == [leg]  # type: ignore[union-attr]

    assert call(f"{url}/api/monitor/{leg}", "DELETE")[0] == 200
    wait_until(lambda: leg not in centre.switch.channels, what="the supervisor leg to hang up")
    assert centre.switch.eavesdrops == {} and centre.switch.channels[caller].bridged_with == agent_leg
    log = call(f"{url}/api/monitor", "GET")[1]["log"]
    assert [(e["action"], e["mode"]) for e in log] == [  # type: ignore[union-attr,index]
        ("start", "listen"), ("mode", "barge"), ("mode", "whisper"), ("end", "whisper")]


def test_a_supervisor_outside_the_queue_gets_403_and_no_originate_is_sent(centre: ContactCentre, url: str) -> None:
    caller, _agent, _leg = support_call(centre)
    status, body = call(f"{url}/api/monitor", "POST", {"supervisor": "3001", "call": caller, "mode": "barge"})
    assert (status, body["error"]) == (403, "supervisor_not_authorised")
    assert "3001 may not monitor a call of queue support" in str(body["message"])
    assert originates(centre) == [] and centre.controller.engine.monitors == {}
    assert call(f"{url}/api/monitor", "POST", {"supervisor": "2001", "agent": "1003", "call": caller})[0] == 400
    assert call(f"{url}/api/monitor", "POST", {"supervisor": "2001", "agent": "1009"})[0] == 409
    assert call(f"{url}/api/monitor", "POST", {"supervisor": "4004", "agent": "1003"})[0] == 404


def test_cli_monitors_and_the_session_ends_when_the_agent_hangs_up(centre: ContactCentre, url: str) -> None:
    caller, agent, agent_leg = support_call(centre)

    def cli(*args: str) -> str:
        result = CliRunner().invoke(main, [*args, "--url", url])
        assert result.exit_code == 0, result.output
        return result.output

    leg = cli("monitor", "whisper", "--supervisor", "2001", "--agent", agent).split()[0]
    wait_until(lambda: centre.switch.eavesdrops.get(leg) == Eavesdrop(agent_leg, mux_read=False, mux_write=True),
               what="whisper")
    assert cli("monitor", "mode", leg, "listen").split()[-1] == "listen"
    assert f"{leg}  supervisor 2001  agent {agent}  call {caller}  listen" in cli("monitor", "list")

    agent_channel = centre.switch.channel(agent_leg)
    assert agent_channel is not None
    centre.switch.hangup(agent_channel)
    wait_until(lambda: centre.controller.engine.monitors == {}, what="the session to end")
    assert "agent hung up (NORMAL_CLEARING)" in cli("monitor", "list").splitlines()[-1]
    refused = CliRunner().invoke(main, ["monitor", "stop", leg, "--url", url])
    assert refused.exit_code == 1 and "no active monitoring session" in refused.output
    assert CliRunner().invoke(main, ["monitor", "listen", "--supervisor", "2001", "--url", url]).exit_code == 2


@pytest.mark.usefixtures("host_in_new_york")
def test_monitor_list_shows_times_in_the_controllers_zone_and_as_iso_json(
    centre_factory: Callable[..., ContactCentre],
) -> None:
    """The controller runs in Vladivostok (UTC+10), the host is in New York, the local config says Moscow: times
    are shown in the zone of the controller that reports them."""
    vladivostok = ZoneInfo("Asia/Vladivostok")
    centre = centre_factory(phones=(*(AgentPhone(f"100{n}", answer_after_s=1.0, talk_s=600) for n in range(10)),
                                    AgentPhone("2001", answer_after_s=0.5, talk_s=600)),
                            configure=lambda config: replace(config, timezone=vladivostok))
    server = serve_http(centre.controller.metrics, "127.0.0.1", 0, centre.controller)
    url = f"http://127.0.0.1:{server.server_port}"
    try:
        _caller, agent, _leg = support_call(centre)
        started = CliRunner().invoke(main, ["monitor", "listen", "--supervisor", "2001", "--agent", agent,
                                            "--url", url])
        assert started.exit_code == 0, started.output
        (entry,) = centre.controller.engine.monitor_log
        local = datetime.fromtimestamp(entry.at, vladivostok)
        listing = CliRunner().invoke(main, ["monitor", "list", "--url", url])
        assert listing.exit_code == 0, listing.output
        assert listing.output.splitlines()[-1].startswith(f"{local:%Y-%m-%d %H:%M:%S} start")
        as_json = CliRunner().invoke(main, ["monitor", "list", "--json", "--url", url])
        assert as_json.exit_code == 0, as_json.output
        document = json.loads(as_json.output)
        assert document["log"][0]["at"] == local.isoformat(timespec="milliseconds")
        assert document["log"][0]["at"].endswith("+10:00")
        assert document["active"][0]["started_at"].endswith("+10:00") and document["active"][0]["ended_at"] is None
    finally:
        server.stop()
