"""Reloading the configuration on a running controller: in process over TCP, and ``ccswitch run`` on SIGHUP."""

from __future__ import annotations

import json
import os
import shutil
import signal
import socket
import subprocess
import sys
import urllib.request
from collections.abc import Callable, Iterator
from dataclasses import replace
from pathlib import Path
from types import MappingProxyType

import gevent
import gevent.monkey
import pytest
from click.testing import CliRunner

from ccswitch.acd.agents import AgentState, Ready, TakeBreak
from ccswitch.cli import main
from ccswitch.config import Config, load_config
from ccswitch.errors import InvalidTransition
from ccswitch.http import serve_http
from ccswitch.sim import CallerScript, EslServer, SimSwitch

from .conftest import ROOT, ContactCentre, wait_until

Factory = Callable[..., ContactCentre]


def without_queue(config: Config, name: str) -> Config:
    queues = {queue: settings for queue, settings in config.queues.items() if queue != name}
    agents = {agent_id: replace(agent, queues=tuple(q for q in agent.queues if q != name),
                                tiers=tuple(t for t in agent.tiers if t.queue != name))
              for agent_id, agent in config.agents.items()}
    return replace(config, queues=MappingProxyType(queues), agents=MappingProxyType(agents))


def test_reload_keeps_waiting_calls_and_agent_states_and_takes_in_new_settings(centre: ContactCentre) -> None:
    controller, engine = centre.controller, centre.controller.engine
    for agent_id in controller.config.members("support"):
        controller.agent_action(agent_id, TakeBreak("lunch"))
    callers = [centre.switch.place_call(CallerScript(dtmf=("2",), patience_s=600, caller_number=f"7916000000{n}"))
               for n in range(2)]
    wait_until(lambda: all(c in engine.waiting["support"] for c in callers), what="two callers waiting")
    longer = replace(controller.config.queues["support"], max_wait_s=900)
    edited = replace(controller.config, queues=MappingProxyType({**controller.config.queues, "support": longer}))

    summary = controller.reload(edited)

    assert str(summary) == "no queues or agents added or removed"
    assert list(engine.waiting["support"]) == callers and engine.config.queues["support"].max_wait_s == 900
    assert engine.agents["1004"].state is AgentState.ON_BREAK
    controller.agent_action("1004", Ready())
    wait_until(lambda: engine.agents["1004"].call == callers[0], what="the first caller offered")


def test_reload_that_would_drop_a_queue_with_calls_is_refused_and_changes_nothing(centre: ContactCentre) -> None:
    controller, engine = centre.controller, centre.controller.engine
    for agent_id in controller.config.members("support"):
        controller.agent_action(agent_id, TakeBreak("lunch"))
    caller = centre.switch.place_call(CallerScript(dtmf=("2",), patience_s=600))
    wait_until(lambda: caller in engine.waiting["support"], what="the caller to wait")
    with pytest.raises(InvalidTransition, match="queue support still has calls"):
        controller.reload(without_queue(controller.config, "support"))
    assert "support" in engine.config.queues and caller in engine.waiting["support"]


def test_events_and_actions_go_on_while_a_reload_reads_its_files(centre: ContactCentre,
                                                                 monkeypatch: pytest.MonkeyPatch) -> None:
    # The files are parsed in a worker thread: a parse blocked on a real (not gevent) lock must not stop the loop.
    controller = centre.controller
    parse_may_finish = gevent.monkey.get_original("_thread", "allocate_lock")()
    parse_may_finish.acquire()
    parses: list[str] = []

    def slow_load_config(path: str | Path) -> Config:
        parses.append("started")
        parses.append("released" if parse_may_finish.acquire(timeout=5) else "timed out")
        return controller.config

    monkeypatch.setattr("ccswitch.controller.load_config", slow_load_config)
    reload = gevent.spawn(controller.reload)
    wait_until(lambda: parses == ["started"], what="the reload to start parsing")
    caller = centre.switch.place_call(CallerScript(dtmf=("2",), patience_s=600))
    wait_until(lambda: any(agent.call == caller for agent in controller.engine.agents.values()),
               what="a caller offered to an agent during the reload")
    assert controller.agent_action("1005", TakeBreak("lunch")).state is AgentState.ON_BREAK
    parse_may_finish.release()
    assert str(reload.get(timeout=5)) == "no queues or agents added or removed"
    assert parses == ["started", "released"]


def test_reload_adds_and_removes_queues_over_http_and_the_cli(tmp_path: Path, centre_factory: Factory) -> None:
    for folder in ("config", "dialplans", "ivr", "sounds"):
        shutil.copytree(ROOT / folder, tmp_path / folder)
    main_file = tmp_path / "config" / "ccswitch.yaml"
    centre = centre_factory(configure=lambda _shipped: load_config(main_file, env={}))
    server = serve_http(centre.controller.metrics, "127.0.0.1", 0, centre.controller)
    url = f"http://127.0.0.1:{server.server_port}"
    queues = tmp_path / "config" / "queues.yaml"
    queues.write_text(queues.read_text() + "\nbilling:\n  strategy: round-robin\n")
    try:
        result = CliRunner().invoke(main, ["reload", "--url", url])
        assert result.exit_code == 0, result.output
        assert result.output.strip() == "reloaded (queues added: billing)"
        assert "billing" in centre.controller.engine.waiting
        queues.write_text(queues.read_text().replace("round-robin", "round-robbin"))
        broken = CliRunner().invoke(main, ["reload", "--url", url])
        assert broken.exit_code == 1 and "billing.strategy" in broken.output and "round-robbin" in broken.output
        assert centre.controller.engine.config.queues["billing"].strategy == "round-robin"
    finally:
        server.stop()


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


@pytest.fixture
def running(tmp_path: Path) -> Iterator[tuple[subprocess.Popen[bytes], str, Path]]:
    """``ccswitch run`` in a child process on a copy of the shipped config, connected to a simulator here."""
    for folder in ("config", "dialplans", "ivr", "sounds"):
        shutil.copytree(ROOT / folder, tmp_path / folder)
    (tmp_path / "recordings").mkdir()
    port = free_port()
    main_file = tmp_path / "config" / "ccswitch.yaml"
    main_file.write_text(main_file.read_text().replace("port: 8080", f"port: {port}"))
    switch = SimSwitch()
    server = EslServer(switch, "127.0.0.1", 0, password="ClueCon")
    server.start()
    env = {**os.environ, "CCSWITCH_ESL_HOST": "127.0.0.1", "CCSWITCH_ESL_PORT": str(server.port)}
    child = subprocess.Popen([sys.executable, "-m", "ccswitch", "--log-level", "INFO", "run", "--config",
                              str(main_file)], env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
    try:
        yield child, f"http://127.0.0.1:{port}", tmp_path
    finally:
        child.terminate()
        child.wait(timeout=10)
        server.stop()
        switch.shutdown()


def queue_names(url: str) -> list[str]:
    try:
        with urllib.request.urlopen(f"{url}/api/queues", timeout=2) as response:
            return [queue["name"] for queue in json.load(response)]
    except OSError:
        return []


def test_sighup_makes_ccswitch_run_reload(running: tuple[subprocess.Popen[bytes], str, Path]) -> None:
    child, url, root = running
    wait_until(lambda: "support" in queue_names(url), timeout=20, what="ccswitch run to serve its API")
    queues = root / "config" / "queues.yaml"
    queues.write_text(queues.read_text() + "\nbilling:\n  strategy: round-robin\n")
    child.send_signal(signal.SIGHUP)
    wait_until(lambda: "billing" in queue_names(url), timeout=10, what="the new queue after SIGHUP")
