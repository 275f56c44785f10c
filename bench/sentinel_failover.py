"""What a Redis Sentinel failover costs the store: a real master, two replicas and three sentinels on loopback
(``tests/store/sentinel_cluster.py``: the master judged down after 1 s), a writer doing an agent compare-and-set
every 5 ms through ``RedisStore`` on a ``redis+sentinel://`` URL behind ``ResilientStore``, as the controller does
(an outage, a change of master among them, is answered from its view; the writer writes the view through when the
store answers a ping, at once and then every second, as the controller's watcher asks), and the master made to go
away one of three ways:

- ``kill``: kill -9 (a crash, a host gone);
- ``shutdown``: ``SHUTDOWN`` (a planned move: Redis waits for its replicas before it exits);
- ``failover``: ``SENTINEL FAILOVER`` while the master keeps running.

Printed for each: when the sentinels named the new master, outages (each begins with one store operation that
failed or was not sent: a change of master is one) and how long they lasted until the write-through, writes lost
(compare-and-sets acknowledged, by the store or the view, that are not on the new master at the end: each write
counts one more ``calls_handled``), and the longest pause of one operation. Needs ``redis-server``.

    .venv/bin/python bench/sentinel_failover.py [--runs 1] [--after 12]
"""

from __future__ import annotations

from gevent import monkey

monkey.patch_all()  # before redis-py is imported: the writer and the clock must share the hub

import argparse  # noqa: E402
import contextlib  # noqa: E402
import sys  # noqa: E402
import time  # noqa: E402
from dataclasses import dataclass, replace  # noqa: E402
from pathlib import Path  # noqa: E402

import gevent  # noqa: E402
import redis  # noqa: E402

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "tests"))  # the test suite's Sentinel set-up

from store.sentinel_cluster import SERVICE, SentinelCluster  # noqa: E402

from ccswitch.acd import Agent  # noqa: E402
from ccswitch.acd import agents as agent_fsm  # noqa: E402
from ccswitch.controller import STORE_PROBE_S  # noqa: E402
from ccswitch.errors import StoreError, StoreUnavailable  # noqa: E402
from ccswitch.store.redis_store import RedisStore  # noqa: E402
from ccswitch.store.resilient import ResilientStore  # noqa: E402

WRITE_EVERY_S = 0.005


@dataclass
class Run:
    switched_after_s: float = 0.0
    outages: int = 0
    outage_s: float = 0.0
    failed: int = 0
    lost: int = 0
    longest_s: float = 0.0
    outage_began: float | None = None

    def availability(self, available: bool, since: float) -> None:
        if not available:
            self.outages += 1
            self.outage_began = since
        elif self.outage_began is not None:
            self.outage_s += since - self.outage_began


def take_master_away(cluster: SentinelCluster, how: str) -> None:
    master = cluster.master()
    if how == "kill":
        cluster.kill(master)
    elif how == "shutdown":
        with contextlib.suppress(redis.ConnectionError):  # the server closes the connection as it exits
            cluster.server(master).shutdown()
    else:
        cluster.sentinel(cluster.sentinel_ports[0]).execute_command("SENTINEL", "FAILOVER", SERVICE)


def write_through_if_back(store: ResilientStore) -> Agent | None:
    """The controller's watcher and ``_StoreBack`` in one: the agent as stored after a write-through, if the store
    answers again and the write-through went through."""
    try:
        store.ping()
    except StoreUnavailable:
        return None
    agents = store.write_through()
    return None if agents is None else next(agent for agent in agents if agent.id == "1001")


def measure(how: str, after_s: float) -> Run:
    cluster = SentinelCluster()
    run = Run()
    behind = RedisStore(cluster.url, "bench:")
    store = ResilientStore(behind, time.time, run.availability)
    try:
        agent = store.put_agent(agent_fsm.new_agent("1001", 0.0))
        stopping = False

        def take(stored: Agent) -> None:
            """Go on from the store's record: what it lacks of ours is lost."""
            nonlocal agent
            run.lost += max(0, agent.calls_handled - stored.calls_handled)
            agent = stored

        def writer() -> None:
            nonlocal agent
            next_probe = 0.0
            while not stopping:
                if not store.available and time.monotonic() >= next_probe:  # (the controller's watcher pings
                    next_probe = time.monotonic() + STORE_PROBE_S          # in a greenlet of its own: not timed)
                    back = write_through_if_back(store)
                    if back is not None:
                        take(back)
                if store.available:
                    next_probe = 0.0  # the next outage's first probe is at once
                started = time.monotonic()
                try:
                    stored = store.update_agent(agent, replace(agent, calls_handled=agent.calls_handled + 1))
                    if stored is None:  # the master we wrote to lost our writes: start from what is there
                        fresh = store.get_agent("1001")
                        assert fresh is not None
                        take(fresh)
                    else:
                        agent = stored
                except StoreError:
                    run.failed += 1
                run.longest_s = max(run.longest_s, time.monotonic() - started)
                gevent.sleep(WRITE_EVERY_S)

        greenlet = gevent.spawn(writer)
        gevent.sleep(1.0)
        old = cluster.master()
        started = time.monotonic()
        take_master_away(cluster, how)
        while cluster.master() == old:
            gevent.sleep(0.01)
        run.switched_after_s = time.monotonic() - started
        gevent.sleep(after_s)  # past the old master's conversion to a replica (about 10 s after the promotion)
        stopping = True
        greenlet.join()
        final = behind.get_agent("1001")
        assert final is not None
        take(final)
        return run
    finally:
        store.close()
        cluster.stop()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--runs", type=int, default=1, help="runs of each way")
    parser.add_argument("--after", type=float, default=12.0, help="seconds of writes after the new master is named")
    args = parser.parse_args()
    print(f"{'master':<10}{'new master named (s)':>22}{'outages':>9}{'outage (s)':>12}{'ops failed':>12}"
          f"{'writes lost':>13}{'longest op (s)':>16}")
    for how in ("kill", "shutdown", "failover"):
        for _ in range(args.runs):
            run = measure(how, args.after)
            print(f"{how:<10}{run.switched_after_s:>22.2f}{run.outages:>9}{run.outage_s:>12.2f}{run.failed:>12}"
                  f"{run.lost:>13}{run.longest_s:>16.2f}")


if __name__ == "__main__":
    main()
