"""Two controllers attached to the same switch, sharing one real Redis, with node leases (``store.lease_s``): one runs
the switch (``ccswitch run`` in a child process), the other stands by (here). The running one is killed (kill -9)
with calls talking, ringing agents and waiting in the queue, and a caller arrives while no controller runs the
switch: the other takes the switch over once the lease lapses and carries every call on: the talking ones go on,
the ringing ones connect when the agent answers, the waiting ones and the newcomer reach agents; no agent is ever
rung or bridged for two calls at once.

A controller that finds its switch taken by another (it was stalled past its lease) stops; one that stops cleanly
hands its switch over at once.

The takeover runs in real time (the child has a wall clock): the lease lapses in real seconds.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import gevent
import gevent.event
import pytest
from store.redis_server import free_port

from ccswitch.acd import AgentState
from ccswitch.clock import WallClock
from ccswitch.config import load_config
from ccswitch.controller import Controller
from ccswitch.engine import Phase
from ccswitch.sim import AgentPhone, CallerScript, EslServer, SimSwitch
from ccswitch.store.leases import NodeLeases
from ccswitch.store.redis_store import RedisStore

from .conftest import ROOT, build, wait_until
from .switch_log import SwitchLog

LEASE_S = 2
PREFIX = "ccswitch:"  # the shipped key_prefix
SUPPORT = ("2",)
TALKING = ("1003", "1004")  # answer at once: talking when the first controller dies
RINGING = ("1005", "1006", "1007")  # answer after 10 s: still ringing then
HUNG_UP = ("CS_HANGUP", "CS_REPORTING", "CS_DESTROY")


@pytest.fixture
def switch() -> Iterator[tuple[SimSwitch, EslServer]]:
    switch = SimSwitch()
    for extension in TALKING:
        switch.add_phone(AgentPhone(extension, answer_after_s=0.3, talk_s=8.0))
    for extension in RINGING:
        switch.add_phone(AgentPhone(extension, answer_after_s=10.0, talk_s=3.0))
    server = EslServer(switch, "127.0.0.1", 0, password="ClueCon")
    server.start()
    yield switch, server
    server.stop()
    switch.shutdown()


def config_tree(root: Path) -> Path:
    """A copy of the shipped configuration with leases on and a short wrap-up in support."""
    for folder in ("config", "dialplans", "ivr", "sounds"):
        shutil.copytree(ROOT / folder, root / folder)
    (root / "recordings").mkdir()
    main_file = root / "config" / "ccswitch.yaml"
    text = main_file.read_text().replace("port: 8080", f"port: {free_port()}")
    main_file.write_text(text.replace("  key_prefix:", f"  lease_s: {LEASE_S}\n  key_prefix:"))
    queues = root / "config" / "queues.yaml"
    queues.write_text(queues.read_text().replace("  wrap_up_s: 15\n", "  wrap_up_s: 1\n"))
    return main_file


def agents_in(store: RedisStore, state: AgentState) -> list[str]:
    return sorted(agent.id for agent in store.agents() if agent.state is state)


def test_given_the_running_controller_is_killed_then_the_standby_carries_every_call_on(
    redis_url: str, switch: tuple[SimSwitch, EslServer], tmp_path: Path
) -> None:
    sim, server = switch
    log = SwitchLog(sim)
    main_file = config_tree(tmp_path)
    env = {"CCSWITCH_ESL_HOST": "127.0.0.1", "CCSWITCH_ESL_PORT": str(server.port), "CCSWITCH_REDIS_URL": redis_url,
           "CCSWITCH_DIALPLAN": "demo"}  # open at any hour: the child's clock is the wall clock
    store = RedisStore(redis_url, PREFIX)
    first = subprocess.Popen([sys.executable, "-m", "ccswitch", "--log-level", "INFO", "run", "--config",
                              str(main_file)], env={**os.environ, **env}, stdout=subprocess.DEVNULL,
                             stderr=subprocess.DEVNULL)
    standby_leases = NodeLeases(redis_url, PREFIX, "standby", LEASE_S)
    standby = Controller(load_config(main_file, env=env), RedisStore(redis_url, PREFIX), WallClock(), tick_s=0.05,
                         leases=standby_leases)
    double_offers: list[str] = []

    def watch() -> None:
        while True:
            legs: dict[str, int] = {}
            for channel in sim.channels.values():
                agent = channel.variables.get("cc_agent")
                if agent and channel.state not in HUNG_UP:  # (a leg hung up a moment ago is still listed)
                    legs[agent] = legs.get(agent, 0) + 1
            double_offers.extend(agent for agent, count in legs.items() if count > 1)

            gevent.sleep(0.005)

    watcher = gevent.spawn(watch)
    try:
        wait_until(lambda: standby_leases.owners().get("fs1", "standby") != "standby", timeout=30,
                   what="the first controller to run the switch")
        standby.start()
        talking_and_ringing = [sim.place_call(CallerScript(dtmf=SUPPORT, patience_s=3600)) for _ in range(5)]
        wait_until(lambda: (agents_in(store, AgentState.ON_CALL), agents_in(store, AgentState.RESERVED))
                   == (list(TALKING), list(RINGING)), timeout=20, what="two agents talking and three ringing")
        waiting = [sim.place_call(CallerScript(dtmf=SUPPORT, patience_s=3600)) for _ in range(2)]
        wait_until(lambda: len(store.entries("support")) == len(RINGING) + len(waiting), timeout=20,
                   what="two callers waiting in the queue")
        assert not standby.held and not standby.connections["fs1"].connected  # a standby does nothing

        first.kill()  # kill -9
        killed_at = time.monotonic()
        first.wait(timeout=10)
        parked = sim.place_call(CallerScript(dtmf=SUPPORT, patience_s=3600))  # nobody runs the switch now
        engine = standby.engine
        wait_until(lambda: standby.held == {"fs1"} and not engine._unreconciled, timeout=15,
                   what="the standby to take the switch over")
        took_over_s = time.monotonic() - killed_at

        by_phase = {uuid: engine.calls[uuid].phase for uuid in talking_and_ringing + waiting if uuid in engine.calls}
        assert sorted(by_phase.values(), key=str) == sorted(
            [Phase.CONNECTED] * 2 + [Phase.OFFERING] * 3 + [Phase.QUEUED] * 2, key=str)
        assert parked in engine.calls
        # Every caller reaches an agent, each bridged once: the talking ones were never broken into.
        everyone = [*talking_and_ringing, *waiting, parked]
        wait_until(lambda: all(log.of(uuid, "CHANNEL_BRIDGE") for uuid in everyone), timeout=40,
                   what="every caller to be bridged to an agent")
        assert {uuid: len(log.of(uuid, "CHANNEL_BRIDGE")) for uuid in everyone} == dict.fromkeys(everyone, 1)
        assert [uuid for uuid in everyone if any(e.get("Application") == "transfer"
                                                for e in log.of(uuid, "CHANNEL_EXECUTE"))] == []
        wait_until(lambda: all(agent.state is AgentState.AVAILABLE for agent in store.agents()
                               if agent.id in TALKING + RINGING), timeout=30, what="every agent free again")
        assert double_offers == []
        print(f"the standby ran the switch {took_over_s:.2f} s after the kill (lease {LEASE_S} s)")
    finally:
        watcher.kill()
        standby.stop()
        standby_leases.close()
        store.close()
        if first.poll() is None:
            first.kill()
            first.wait(timeout=10)


def test_given_another_controller_took_its_switch_then_a_controller_stops(redis_url: str) -> None:
    centre = build()
    leases = NodeLeases(redis_url, PREFIX, "stalled", LEASE_S)
    rival = NodeLeases(redis_url, PREFIX, "rival", LEASE_S)
    lost = gevent.event.Event()
    controller = Controller(centre.controller.config, RedisStore(redis_url, PREFIX), centre.clock, tick_s=0.02,
                            leases=leases, on_lease_lost=lost.set)
    try:
        controller.start()
        wait_until(lambda: controller.held == {"fs1"} and controller.connections["fs1"].connected,
                   what="the controller to run the switch")
        assert rival.hold(["fs1"]) == set()
        leases.release()  # as if it had been stalled past its lease: the rival takes the switch
        assert rival.hold(["fs1"]) == {"fs1"}
        wait_until(lost.is_set, timeout=LEASE_S, what="the controller to see it lost the switch")
    finally:
        controller.stop()
        rival.close()
        leases.close()
        centre.server.stop()
        centre.switch.shutdown()


def test_given_a_controller_stops_cleanly_then_another_takes_its_switch_at_once(redis_url: str) -> None:
    centre = build()
    leases = NodeLeases(redis_url, PREFIX, "leaving", LEASE_S)
    rival = NodeLeases(redis_url, PREFIX, "rival", LEASE_S)
    controller = Controller(centre.controller.config, RedisStore(redis_url, PREFIX), centre.clock, tick_s=0.02,
                            leases=leases)
    try:
        controller.start()
        wait_until(lambda: controller.held == {"fs1"}, what="the controller to run the switch")
        assert rival.hold(["fs1"]) == set()

        controller.stop()

        assert rival.hold(["fs1"]) == {"fs1"}  # released: not after the lease lapses
    finally:
        rival.close()
        leases.close()
        centre.server.stop()
        centre.switch.shutdown()
