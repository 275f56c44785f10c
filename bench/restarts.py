"""Controller restarts under steady traffic: what a restart costs, with the memory store (the default) or Redis.

The shipped configuration (10 agents) on an in-process simulator whose clock runs ``--speed`` times faster than the
wall clock. Callers arrive one every ``--every`` simulated seconds (Poisson), choose sales or support, wait up to
10 minutes and talk 30-90 s; phones answer after ``--answer-after`` s (long enough that restarts find offers
ringing). Every ``--restart-every`` simulated seconds the controller is
stopped and a new one started on a fresh memory store (``--store memory``) or on the same private
``redis-server`` (``--store redis``, which must be installed). Printed:

- offers to a busy agent: a leg created for an agent whose phone already had one of the controller's legs up
  (each such offer rings a talking agent, or takes them from a call);
- commands into talking calls: after a restart, commands naming a caller that was bridged at the restart (a menu,
  music, a transfer played into the conversation; the recording commands of a call that bridges later excluded);
- talking calls without a record: callers bridged at a restart whose contact record never came (``answered``);
- offers taken back: offers that got no outcome in time (``stuck_offers_repaired``), e.g. one ringing at a restart
  taken back at once;
- recovery: real seconds from the new controller's start to its first reconcile done.

    .venv/bin/python bench/restarts.py [--store memory|redis] [--restarts 4] [--speed 10]
"""

from __future__ import annotations

from gevent import monkey

monkey.patch_all()  # before redis-py and sockets are imported: they must yield to the simulator

import argparse  # noqa: E402
import random  # noqa: E402
import shutil  # noqa: E402
import socket  # noqa: E402
import subprocess  # noqa: E402
import time  # noqa: E402
from collections.abc import Callable  # noqa: E402
from dataclasses import dataclass, field, replace  # noqa: E402
from datetime import datetime  # noqa: E402
from pathlib import Path  # noqa: E402
from zoneinfo import ZoneInfo  # noqa: E402

import gevent  # noqa: E402
import redis  # noqa: E402

from ccswitch.clock import ScaledClock  # noqa: E402
from ccswitch.config import load_config  # noqa: E402
from ccswitch.controller import Controller  # noqa: E402
from ccswitch.history.model import ContactRecord, HistoryRecord  # noqa: E402
from ccswitch.sim import AgentPhone, CallerScript, EslServer, SimSwitch  # noqa: E402
from ccswitch.store.base import Store  # noqa: E402
from ccswitch.store.memory import MemoryStore  # noqa: E402
from ccswitch.store.redis_store import RedisStore  # noqa: E402

ROOT = Path(__file__).resolve().parents[1]
MONDAY_10AM = datetime(2026, 11, 23, 10, 0, tzinfo=ZoneInfo("Europe/Moscow")).timestamp()
RECORDING = ("api uuid_broadcast", "api uuid_record")


@dataclass
class Tally:
    busy_offers: int = 0
    into_talking_calls: int = 0
    unrecorded: int = 0
    taken_back: int = 0
    recovery_s: list[float] = field(default_factory=list)
    placed: int = 0
    answered_records: int = 0


def watch_agent_legs(switch: SimSwitch, tally: Tally) -> None:
    """Count each of the controller's legs (``cc_agent``) that appears while its agent already has another up."""
    seen: set[str] = set()
    while True:
        legs: dict[str, list[str]] = {}
        for uuid, channel in switch.channels.items():
            agent = channel.variables.get("cc_agent")
            if agent:
                legs.setdefault(agent, []).append(uuid)
        for uuids in legs.values():
            new = [uuid for uuid in uuids if uuid not in seen]
            seen.update(new)
            if len(uuids) > 1:
                tally.busy_offers += len(new)
        gevent.sleep(0.002)


def private_redis() -> tuple[str, subprocess.Popen[bytes]]:
    if shutil.which("redis-server") is None:
        raise SystemExit("redis-server is not installed")
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    process = subprocess.Popen(["redis-server", "--port", str(port), "--bind", "127.0.0.1", "--save", "",
                                "--appendonly", "no"], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    url = f"redis://127.0.0.1:{port}/0"
    client = redis.Redis.from_url(url, socket_connect_timeout=0.5)
    deadline = time.monotonic() + 10
    while True:
        try:
            client.ping()
            return url, process
        except redis.RedisError:
            if time.monotonic() > deadline:
                process.kill()
                raise
            time.sleep(0.05)


def run(store_kind: str, restarts: int, restart_every: float, every: float, answer_after: float, speed: float,
        seed: int) -> Tally:
    rng = random.Random(seed)
    clock = ScaledClock(speed, start=MONDAY_10AM)
    switch = SimSwitch(clock=clock)
    server = EslServer(switch, "127.0.0.1", 0, password="ClueCon")
    server.start()
    config = load_config(ROOT / "config" / "ccswitch.yaml", env={})
    for agent in config.agents.values():
        switch.add_phone(AgentPhone(agent.contact.removeprefix("user/"), answer_after_s=answer_after,
                                    talk_s=3600.0))
    config = replace(config, nodes=(replace(config.nodes[0], host="127.0.0.1", port=server.port),))
    redis = private_redis() if store_kind == "redis" else None
    records: list[HistoryRecord] = []

    def new_store() -> Store:
        return RedisStore(redis[0], "bench:") if redis is not None else MemoryStore()

    def start(make: Callable[[], Store]) -> Controller:
        controller = Controller(config, make(), clock, tick_s=0.05, record=records.append)
        began = time.monotonic()
        controller.start()
        while controller.engine._unreconciled:
            gevent.sleep(0.005)
        tally.recovery_s.append(time.monotonic() - began)
        return controller

    tally = Tally()
    watcher = gevent.spawn(watch_agent_legs, switch, tally)
    controller = start(new_store)
    tally.recovery_s.clear()  # the first start is no recovery

    def place_calls() -> None:
        while True:
            clock.sleep(rng.expovariate(1 / every))
            switch.place_call(CallerScript(dtmf=(rng.choice("12"),), patience_s=600, talk_s=rng.uniform(30, 90)))
            tally.placed += 1

    caller = gevent.spawn(place_calls)
    bridged_at_restarts: set[str] = set()
    try:
        for _ in range(restarts):
            clock.sleep(restart_every)
            tally.taken_back += controller.engine.stuck_offers_repaired
            controller.stop()
            bridged = {uuid for uuid, channel in switch.channels.items()
                       if channel.bridged_with and channel.variables.get("direction") == "inbound"}
            bridged_at_restarts |= bridged
            received = len(server.commands_received)
            controller = start(new_store)
            clock.sleep(restart_every / 2)
            tally.into_talking_calls += sum(
                1 for command in server.commands_received[received:]
                if any(uuid in command for uuid in bridged) and not command.startswith(RECORDING))
        caller.kill()
        clock.sleep(120)  # every call talking at the last restart has ended
        tally.taken_back += controller.engine.stuck_offers_repaired
    finally:
        watcher.kill()
        caller.kill()
        controller.stop()
        server.stop()
        switch.shutdown()
        if redis is not None:
            redis[1].kill()
    recorded = {r.call_uuid for r in records if isinstance(r, ContactRecord) and r.outcome == "answered"}
    tally.unrecorded = len(bridged_at_restarts - recorded)
    tally.answered_records = len(recorded)
    return tally


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--store", choices=("memory", "redis"), default="memory")
    parser.add_argument("--restarts", type=int, default=4)
    parser.add_argument("--restart-every", type=float, default=60.0, help="simulated seconds between restarts")
    parser.add_argument("--every", type=float, default=5.0, help="mean simulated seconds between calls")
    parser.add_argument("--answer-after", type=float, default=8.0, help="simulated seconds a phone rings")
    parser.add_argument("--speed", type=float, default=10.0)
    parser.add_argument("--seed", type=int, default=1)
    args = parser.parse_args()
    tally = run(args.store, args.restarts, args.restart_every, args.every, args.answer_after, args.speed, args.seed)
    recovery = ", ".join(f"{s:.2f}" for s in tally.recovery_s)
    print(f"store {args.store}: {args.restarts} restarts, {tally.placed} calls placed, "
          f"{tally.answered_records} answered contact records")
    print(f"  offers to a busy agent:           {tally.busy_offers}")
    print(f"  commands into talking calls:      {tally.into_talking_calls}")
    print(f"  talking calls without a record:   {tally.unrecorded}")
    print(f"  offers taken back for no outcome: {tally.taken_back}")
    print(f"  recovery (real s, start to first reconcile): {recovery}")


if __name__ == "__main__":
    main()
