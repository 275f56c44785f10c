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
import re
import shutil
import subprocess
import sys
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import gevent
import gevent.event
import pytest
from store.redis_server import free_port

from ccswitch.acd import AgentState
from ccswitch.clock import WallClock
from ccswitch.config import load_config
from ccswitch.controller import Controller
from ccswitch.dialer import DialOutcome, LeadState, new_run
from ccswitch.engine import Phase
from ccswitch.sim import AgentPhone, CallerScript, EslServer, GatewayCallee, SimSwitch
from ccswitch.sim.dialstring import AppCall
from ccswitch.store.leases import NodeLeases
from ccswitch.store.redis_store import RedisStore

from .conftest import ROOT, build, wait_until
from .switch_log import SwitchLog
from .test_dialer import CAMPAIGN, SALES, lead

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


@contextmanager
def running_and_standby(main_file: Path, env: dict[str, str], redis_url: str
                        ) -> Iterator[tuple[subprocess.Popen[bytes], Controller]]:
    """A ``ccswitch run`` child, once it runs the switch (being first), and a standby controller here, not started
    yet; both stopped at the end."""
    first = subprocess.Popen([sys.executable, "-m", "ccswitch", "--log-level", "INFO", "run", "--config",
                              str(main_file)], env={**os.environ, **env}, stdout=subprocess.DEVNULL,
                             stderr=subprocess.DEVNULL)
    leases = NodeLeases(redis_url, PREFIX, "standby", LEASE_S)
    standby = Controller(load_config(main_file, env=env), RedisStore(redis_url, PREFIX), WallClock(), tick_s=0.05,
                         leases=leases)
    try:
        wait_until(lambda: leases.owners().get("fs1", "standby") != "standby", timeout=30,
                   what="the first controller to run the switch")
        yield first, standby
    finally:
        standby.stop()
        leases.close()
        if first.poll() is None:
            first.kill()
            first.wait(timeout=10)


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
        with running_and_standby(main_file, env, redis_url) as (first, standby):
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

            by_phase = {uuid: engine.calls[uuid].phase for uuid in talking_and_ringing + waiting
                        if uuid in engine.calls}
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
        store.close()


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


def campaign_tree(root: Path) -> tuple[Path, int]:
    """``config_tree`` with promo-nov progressive (a line per free agent) at any hour of any day; and the port of
    the controller's HTTP API."""
    main_file = config_tree(root)
    campaigns = root / "config" / "campaigns.yaml"
    text = campaigns.read_text().replace("  mode: predictive\n", "  mode: progressive\n", 1)
    text = text.replace('  window: {days: mon-fri, hours: "09:00-21:00"}\n',
                        '  window: {days: [mon-fri, sat, sun], hours: "00:00-24:00"}\n', 1)
    text = text.replace("  max_lines_per_agent: 3\n", "", 1)
    campaigns.write_text(text)
    port = re.search(r"\n  port: (\d+)", main_file.read_text())
    assert port is not None
    return main_file, int(port.group(1))


def test_given_the_running_controller_is_killed_while_it_dials_then_the_standby_follows_its_lines(
    redis_url: str, tmp_path: Path
) -> None:
    """The standby read the campaign before it started (leads pending, run loaded); the running controller starts
    it and dials a lead per sales agent, and is killed while those lines ring. Once it takes the switch over, the
    standby follows each line: the person answers, is detected and put through to an agent; no lead is dialled
    twice or left 'dialling' with nobody following its call."""
    sim = SimSwitch()
    for extension in SALES:
        sim.add_phone(AgentPhone(extension, answer_after_s=0.3, talk_s=3.0))
    people = {lead(n).phone: "person" for n in range(1, len(SALES) + 1)}
    sim.gateway_callee = GatewayCallee(person_probability=0.0, machine_probability=0.0, busy_probability=0.0,
                                       numbers=tuple(people.items()), answer_after_s=8.0, amd_s=1.0, talk_s=3.0)
    log = SwitchLog(sim)
    server = EslServer(sim, "127.0.0.1", 0, password="ClueCon")
    server.start()
    main_file, http_port = campaign_tree(tmp_path)
    env = {"CCSWITCH_ESL_HOST": "127.0.0.1", "CCSWITCH_ESL_PORT": str(server.port), "CCSWITCH_REDIS_URL": redis_url}
    store = RedisStore(redis_url, PREFIX)
    store.put_leads(CAMPAIGN, [lead(n) for n in range(1, len(SALES) + 1)])
    store.update_campaign_run(new_run(CAMPAIGN, time.time()), new_run(CAMPAIGN, time.time()))

    def dialling() -> list[str]:
        return sorted(lead.phone for lead in store.leads(CAMPAIGN) if lead.state is LeadState.DIALLING)

    try:
        with running_and_standby(main_file, env, redis_url) as (first, standby):
            standby.start()  # it reads the campaign now: loaded, every lead pending
            wait_until(lambda: post_json(http_port, f"/api/campaigns/{CAMPAIGN}/start") == 200, timeout=10,
                       what="the first controller to start the campaign")
            wait_until(lambda: dialling() == sorted(people), timeout=10, what="a line for each lead")
            lines = {lead.phone: lead.call for lead in store.leads(CAMPAIGN)}

            first.kill()  # kill -9, the lines still ringing (a person answers 8 s after the dial)
            first.wait(timeout=10)
            wait_until(lambda: standby.held == {"fs1"} and not standby.engine._unreconciled, timeout=15,
                       what="the standby to take the switch over")
            abandon_message = AppCall("playback", standby.config.prompt_path("campaigns/abandoned"))

            def taken_care_of(call: str) -> bool:  # put through to an agent, or (no agent within the 2 s a person may
                # be kept waiting: a loaded machine) told so with the campaign's abandon message
                return bool(log.of(call, "CHANNEL_BRIDGE")) or abandon_message in sim.apps_on(call)

            wait_until(lambda: all(taken_care_of(str(call)) for call in lines.values()), timeout=20,
                       what="the standby to take care of each person who answers")
            assert any(log.of(str(call), "CHANNEL_BRIDGE") for call in lines.values())
            wait_until(lambda: dialling() == [], timeout=20, what="no lead left dialling")
            originates = [c for c in server.commands_received if c.startswith("bgapi originate")]
            dials = {phone: len([c for c in originates if f"cc_lead={phone}}}" in c]) for phone in people}
            assert dials == dict.fromkeys(people, 1)
            settled = {lead.phone: (lead.attempts, lead.last_outcome) for lead in store.leads(CAMPAIGN)}
            assert set(settled.values()) <= {(1, DialOutcome.PERSON_ANSWERED), (1, DialOutcome.ABANDONED)}, settled
    finally:
        store.close()
        server.stop()
        sim.shutdown()


def post_json(port: int, path: str) -> int:
    request = urllib.request.Request(f"http://127.0.0.1:{port}{path}", data=b"{}", method="POST",
                                     headers={"Content-Type": "application/json"})
    try:
        with urllib.request.urlopen(request, timeout=5) as response:
            return int(response.status)
    except (urllib.error.URLError, ConnectionError):
        return 0
