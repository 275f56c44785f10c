"""Faults under steady traffic: a Redis outage mid-traffic, in real time.

The controller runs here against the simulator (in-process, on a real-time clock started on a Monday at 10:00 in
business hours) and a private ``redis-server`` (no persistence) that is killed for ``--outages`` seconds each and
started again, empty, on the same port. Traffic: the shipped configuration with 20 agents in ``support`` (wrap-up
2 s), a caller every ``--every`` s pressing 2 for support, phones answering after 1 s, agents talking 2 s, callers
who never give up. No offer is made while Redis is away, so callers pile up: ``--max-length`` (support ships with
50) decides whether a 30 s outage's 60 fit in the queue. Printed per outage:

- calls placed (during the outage), calls lost (never reached an agent), of which overflowed by the queue's own
  limits (full, or waited past ``max_wait_s``), calls not taken within the dialplan's 10 s fallback window (on a
  real switch ``sched_transfer`` would have taken them away: lost too);
- agents stuck 30 s after Redis is back (reserved or on a call that no longer exists on the switch);
- recovery: Redis back → the controller's store available again (view written through), → every caller who
  arrived during the outage reached an agent; the longest wait of those callers; /healthz during and after.

    .venv/bin/python bench/faults.py [--outages 5 30] [--every 0.5] [--agents 20] [--max-length 200]

Needs ``redis-server`` on the PATH.
"""

from __future__ import annotations

from gevent import monkey

monkey.patch_all()

import argparse  # noqa: E402
import json  # noqa: E402
import logging  # noqa: E402
import sys  # noqa: E402
import time  # noqa: E402
import urllib.error  # noqa: E402
import urllib.request  # noqa: E402
from collections.abc import Callable  # noqa: E402
from dataclasses import dataclass, replace  # noqa: E402
from datetime import datetime  # noqa: E402
from pathlib import Path  # noqa: E402
from zoneinfo import ZoneInfo  # noqa: E402

import gevent  # noqa: E402

from ccswitch.acd import AgentState  # noqa: E402
from ccswitch.clock import ScaledClock  # noqa: E402
from ccswitch.config import Config, load_config  # noqa: E402
from ccswitch.controller import Controller  # noqa: E402
from ccswitch.http import serve_http  # noqa: E402
from ccswitch.sim import AgentPhone, CallerScript, EslServer, SimSwitch  # noqa: E402
from ccswitch.sim.wire import SimEvent  # noqa: E402
from ccswitch.store.redis_store import RedisStore  # noqa: E402

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "tests"))  # the tests' private redis-server helper, not a copy of it
from store.redis_server import RedisServer  # noqa: E402

MONDAY_10AM = datetime(2026, 11, 23, 10, 0, tzinfo=ZoneInfo("Europe/Moscow")).timestamp()
FALLBACK_S = 10.0  # the dialplan's sched_transfer in the README
AFTER_RETURN_S = 30.0
WARM_UP_S = 10.0


@dataclass
class Run:
    outage_s: float
    placed: int = 0
    during: int = 0
    lost: int = 0
    overflowed: int = 0
    late: int = 0
    stuck: int = 0
    store_back_s: float | None = None
    drained_s: float | None = None
    longest_wait_s: float = 0.0
    health_during: int = 0
    health_after: int = 0


def bench_config(agents: int, max_length: int) -> Config:
    config = load_config(ROOT / "config" / "ccswitch.yaml", env={})
    model = config.agents["1004"]  # a support agent
    support = {str(2000 + n): replace(model, id=str(2000 + n), name=f"Agent {2000 + n}", contact=f"user/{2000 + n}")
               for n in range(agents)}
    queues = {**config.queues, "support": replace(config.queues["support"], wrap_up_s=2, max_length=max_length)}
    return replace(config, agents=support, queues=queues)


def health(port: int) -> int:
    try:
        with urllib.request.urlopen(f"http://127.0.0.1:{port}/healthz", timeout=5) as response:
            return int(response.status)
    except urllib.error.HTTPError as error:
        return error.code


def wait_for(condition: Callable[[], bool], timeout: float) -> float | None:
    """Seconds until ``condition()`` held (polled), or None if it did not within ``timeout``."""
    started = time.monotonic()
    while time.monotonic() - started < timeout:
        if condition():
            return time.monotonic() - started
        gevent.sleep(0.02)
    return None


def run(outage_s: float, every_s: float, agents: int, max_length: int) -> Run:
    result = Run(outage_s)
    clock = ScaledClock(1.0, start=MONDAY_10AM)
    switch = SimSwitch(clock=clock)
    events: list[SimEvent] = []
    switch.subscribe(lambda event: events.append(event) if event.name in (
        "CHANNEL_CREATE", "CHANNEL_ANSWER", "CHANNEL_BRIDGE") else None)
    server = EslServer(switch, "127.0.0.1", 0, password="ClueCon").start()
    config = bench_config(agents, max_length)
    for agent in config.agents.values():
        switch.add_phone(AgentPhone(agent.contact.removeprefix("user/"), answer_after_s=1.0, talk_s=2.0))
    config = replace(config, nodes=(replace(config.nodes[0], host="127.0.0.1", port=server.port),))
    redis = RedisServer()
    controller = Controller(config, RedisStore(redis.url, "faults:", timeout_s=1.0), clock)
    http = serve_http(controller.metrics, "127.0.0.1", 0, controller)
    placed: list[tuple[str, float]] = []

    def arrivals() -> None:
        while True:
            placed.append((switch.place_call(CallerScript(dtmf=("2",), patience_s=3600)), clock.now()))
            gevent.sleep(every_s)

    def first(uuid: str, name: str) -> float | None:
        return next((int(e.get("Event-Date-Timestamp") or 0) / 1e6 for e in events
                     if e.name == name and e.get("Unique-ID") == uuid), None)

    controller.start()
    feeder = gevent.spawn(arrivals)
    try:
        gevent.sleep(WARM_UP_S)
        redis.stop()
        before = len(placed)
        gevent.sleep(outage_s / 2)
        result.health_during = health(http.server_port)
        gevent.sleep(outage_s / 2)
        during = [uuid for uuid, _ in placed[before:]]
        redis.start()
        back_at = clock.now()
        result.store_back_s = wait_for(
            lambda: controller.metrics.registry.get_sample_value("ccswitch_store_available") == 1, 30)
        result.drained_s = wait_for(lambda: all(first(uuid, "CHANNEL_BRIDGE") is not None for uuid in during), 120)
        gevent.sleep(max(0.0, back_at + AFTER_RETURN_S - clock.now()))
        result.stuck = sum(1 for agent in controller.engine.agents.values()
                           if agent.state in (AgentState.RESERVED, AgentState.ON_CALL)
                           and agent.call not in switch.channels)
        result.health_after = health(http.server_port)
        feeder.kill()
        wait_for(lambda: not switch.channels, 120)
        bridged = {e.get("Unique-ID") for e in events if e.name == "CHANNEL_BRIDGE"}
        result.placed, result.during = len(placed), len(during)
        result.lost = sum(1 for uuid, _ in placed if uuid not in bridged)
        result.overflowed = controller.engine.stats.queues["support"].overflowed
        for uuid, created in placed:
            answered = first(uuid, "CHANNEL_ANSWER")
            if answered is None or answered - created >= FALLBACK_S:
                result.late += 1
        waits = [(first(uuid, "CHANNEL_BRIDGE") or clock.now()) - created for uuid, created in placed[before:]]
        result.longest_wait_s = max(waits, default=0.0)
    finally:
        feeder.kill()
        http.stop()
        controller.stop()
        server.stop()
        switch.shutdown()
        redis.stop()
    return result


def report(result: Run) -> None:
    def seconds(value: float | None) -> str:
        return "never" if value is None else f"{value:.1f} s"

    print(f"Redis outage {result.outage_s:.0f} s: calls placed {result.placed} ({result.during} during the outage), "
          f"lost {result.lost} (overflowed by the queue's limits {result.overflowed}), not taken within the "
          f"{FALLBACK_S:.0f} s fallback window {result.late}; "
          f"agents stuck {AFTER_RETURN_S:.0f} s after Redis is back {result.stuck}")
    print(f"  recovery after Redis is back: store available again {seconds(result.store_back_s)}, every outage "
          f"caller with an agent {seconds(result.drained_s)}; longest wait of those callers "
          f"{result.longest_wait_s:.1f} s; /healthz during {result.health_during}, after {result.health_after}")
    print(json.dumps(result.__dict__))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--outages", type=float, nargs="+", default=[5.0, 30.0], help="real seconds each")
    parser.add_argument("--every", type=float, default=0.5, help="seconds between arrivals")
    parser.add_argument("--agents", type=int, default=20)
    parser.add_argument("--max-length", type=int, default=200, help="support's max_length (shipped: 50)")
    args = parser.parse_args()
    logging.basicConfig(level=logging.WARNING, format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    for outage_s in args.outages:
        report(run(outage_s, args.every, args.agents, args.max_length))


if __name__ == "__main__":
    main()
