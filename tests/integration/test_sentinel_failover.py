"""Redis behind Sentinel: the controller, against the simulator over TCP and a real master, two replicas and three
sentinels on loopback (``redis+sentinel://`` URL), keeps routing while the master goes away mid-traffic and the
sentinels promote a replica: no call lost, no agent stuck, and what the controller wrote is on the new master,
version for version. The master goes away two ways: killed (kill -9), and moved by ``SENTINEL FAILOVER`` while it
runs (it goes on taking writes until the sentinels convert it, about 10 s later: those the controller writes
through). The change of master is an outage of a moment (one operation not sent, ``/healthz`` degraded until the
write-through), not a failure of everything in flight.

Sentinel fails over in real time (the master is judged down after 1 s), so the switch runs only ``SPEED`` times
faster than real time here: the pause (about 2 s) must stay within the dialplan's 10 s fallback in switch time, as it
does in real time, or callers arriving meanwhile would leave for the fallback.
"""

from __future__ import annotations

import time
from collections.abc import Iterator
from dataclasses import replace
from pathlib import Path

import gevent
import gevent.event
import pytest
from metrics.conftest import http_get
from store.redis_server import has_redis_server
from store.sentinel_cluster import SERVICE, SentinelCluster

from ccswitch.acd import AgentState
from ccswitch.clock import ScaledClock
from ccswitch.config import load_config
from ccswitch.controller import STORE_PROBE_S, Controller
from ccswitch.http import serve_http
from ccswitch.sim import AgentPhone, CallerScript, EslServer, SimSwitch
from ccswitch.store.redis_store import RedisStore

from .conftest import MONDAY_10AM, wait_until

ROOT = Path(__file__).resolve().parents[2]
SPEED = 2.0
CALL_EVERY_S = 2.0  # switch seconds between arrivals
TRAFFIC_S = 8.0  # real seconds of arrivals at least: the master goes away a third of the way in
CALLS_AFTER_CHANGE = 3  # arrivals after the controller has met the new master
HEALTH_EVERY_S = 0.1


@pytest.fixture
def sentinels() -> Iterator[SentinelCluster]:
    if not has_redis_server():
        pytest.skip("redis-server is not installed: no Sentinel set-up to fail over")
    cluster = SentinelCluster()
    yield cluster
    cluster.stop()


def take_master_away(sentinels: SentinelCluster, how: str) -> None:
    if how == "kill":
        sentinels.kill(sentinels.master())
    else:
        sentinels.sentinel(sentinels.sentinel_ports[0]).execute_command("SENTINEL", "FAILOVER", SERVICE)


@pytest.mark.parametrize("how", ["kill", "failover"])
def test_given_the_master_goes_away_mid_traffic_then_sentinel_promotes_a_replica_and_no_call_is_lost(
    sentinels: SentinelCluster, how: str,
) -> None:
    clock = ScaledClock(SPEED, start=MONDAY_10AM)
    switch = SimSwitch(clock=clock)
    server = EslServer(switch, "127.0.0.1", 0, password="ClueCon")
    server.start()
    config = load_config(ROOT / "config" / "ccswitch.yaml", env={})
    for agent in config.agents.values():
        switch.add_phone(AgentPhone(agent.contact.removeprefix("user/"), answer_after_s=1.0, talk_s=4.0))
    config = replace(config, nodes=(replace(config.nodes[0], host="127.0.0.1", port=server.port),))
    controller = Controller(config, RedisStore(sentinels.url, "ha:"), clock, tick_s=0.02)
    http = serve_http(controller.metrics, "127.0.0.1", 0, controller)
    engine = controller.engine
    old_master = sentinels.master()
    placed: list[str] = []
    health: list[int] = []
    enough = gevent.event.Event()

    def watch_health() -> None:
        while True:
            health.append(http_get(f"http://127.0.0.1:{http.server_port}/healthz")[0])
            gevent.sleep(HEALTH_EVERY_S)

    def arrivals() -> None:
        deadline = time.monotonic() + TRAFFIC_S
        while time.monotonic() < deadline or not enough.is_set():
            placed.append(switch.place_call(CallerScript(dtmf=("2",), patience_s=3600)))
            gevent.sleep(CALL_EVERY_S / SPEED)

    try:
        controller.start()
        wait_until(lambda: not engine._unreconciled, what="the first reconcile")
        traffic, watcher = gevent.spawn(arrivals), gevent.spawn(watch_health)
        gevent.sleep(TRAFFIC_S / 3)
        answered_before = engine.stats.queues["support"].answered
        take_master_away(sentinels, how)
        taken_at = time.monotonic()
        wait_until(lambda: sentinels.master() != old_master, timeout=15, what="the sentinels to promote a replica")
        promoted_after = time.monotonic() - taken_at
        registry = controller.metrics.registry
        wait_until(lambda: registry.get_sample_value("ccswitch_store_outages_total") == 1, timeout=30,
                   what="the controller to meet the new master")  # after the conversion, for a SENTINEL FAILOVER
        met_after = time.monotonic() - taken_at
        calls_then = len(placed)
        wait_until(lambda: len(placed) >= calls_then + CALLS_AFTER_CHANGE, timeout=30, what="calls after it")
        enough.set()
        traffic.join()
        watcher.kill()

        support = engine.stats.queues["support"]
        wait_until(lambda: support.answered == len(placed), timeout=30, what="every caller to reach an agent")
        assert answered_before > 0 and support.abandoned == 0 and support.overflowed == 0
        members = config.members("support")
        wait_until(lambda: all(engine.agents[a].state is AgentState.AVAILABLE for a in members), timeout=30,
                   what="support's agents to be free again")
        failed = sum(registry.get_sample_value("ccswitch_store_errors_total", {"operation": op}) or 0
                     for op in ("update_agent", "add_entry", "remove_entry", "next_seq", "agents", "ping"))
        # The operation that met the new master (not sent); or one in flight as the old master went (it died, or
        # closed its connections at its conversion), then the watcher's first ping, which met the new master.
        assert failed in (1, 2)
        assert registry.get_sample_value("ccswitch_store_outages_total") == 1
        outage_s = registry.get_sample_value("ccswitch_store_outage_seconds_total") / SPEED
        # Written through as soon as the new master answered; after an operation in flight, at the next ping.
        assert outage_s < (1.0 if failed == 1 else promoted_after + STORE_PROBE_S + 1.0)
        assert len(health) > 20 and set(health) <= {200, 503}
        assert health.count(503) <= outage_s / HEALTH_EVERY_S + 1  # degraded during the outage only
        # What the controller wrote reached the new master: its agents there are the controller's, version for version.
        new_master = RedisStore(sentinels.url, "ha:")
        stored = {agent.id: agent for agent in new_master.agents()}
        new_master.close()
        assert {a: (stored[a].state, stored[a].version) for a in members} == {
            a: (engine.agents[a].state, engine.agents[a].version) for a in members}
        print(f"{how}: sentinels promoted a replica {promoted_after:.2f} s after, the controller met it "
              f"{met_after:.2f} s after; {len(placed)} calls, none lost")
    finally:
        http.stop()
        controller.stop()
        server.stop()
        switch.shutdown()
