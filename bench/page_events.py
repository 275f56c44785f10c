"""How soon the pages hear of a change: an agent's state changes on a running controller (against the simulator);
each of N browsers' Server-Sent Events streams (``GET /api/events``, the wallboard's snapshots) is read until the
new state shows. Target: within a second of the change for every page.

    .venv/bin/python bench/page_events.py [--pages 1 20 100] [--changes 20]
"""

from __future__ import annotations

from gevent import monkey

monkey.patch_all()

import argparse  # noqa: E402
import json  # noqa: E402
import socket  # noqa: E402
import statistics  # noqa: E402
import time  # noqa: E402
from dataclasses import replace  # noqa: E402
from pathlib import Path  # noqa: E402

import gevent  # noqa: E402

from ccswitch.acd.agents import Ready, TakeBreak  # noqa: E402
from ccswitch.clock import WallClock  # noqa: E402
from ccswitch.config import load_config  # noqa: E402
from ccswitch.controller import Controller  # noqa: E402
from ccswitch.http import serve_http  # noqa: E402
from ccswitch.sim import EslServer, SimSwitch  # noqa: E402
from ccswitch.store.memory import MemoryStore  # noqa: E402

CONFIG = Path(__file__).resolve().parents[1] / "config" / "ccswitch.yaml"
AGENT = "1004"


def follow(port: int, seen: dict[int, float], page: int, reason: list[str]) -> None:
    """One page's stream: the time it first shows the agent in the state ``reason[0]`` names."""
    connection = socket.create_connection(("127.0.0.1", port))
    connection.sendall(b"GET /api/events HTTP/1.1\r\nHost: bench\r\n\r\n")
    for line in connection.makefile("rb"):
        if not line.startswith(b"data: "):
            continue
        agents = {agent["id"]: agent for agent in json.loads(line[6:])["agents"]}
        if agents[AGENT]["reason"] == reason[0] and page not in seen:
            seen[page] = time.monotonic()


def run(pages: int, changes: int, port: int, controller: Controller) -> list[float]:
    reason = ["-"]
    seen: dict[int, float] = {}
    readers = [gevent.spawn(follow, port, seen, page, reason) for page in range(pages)]
    gevent.sleep(1.0)
    delays = []
    for change in range(changes):
        reason[0] = ("lunch", "meeting")[change % 2]
        seen.clear()
        changed_at = time.monotonic()
        controller.agent_action(AGENT, TakeBreak(reason[0]))
        while len(seen) < pages and time.monotonic() - changed_at < 5:
            gevent.sleep(0.005)
        delays += [at - changed_at for at in seen.values()] + [5.0] * (pages - len(seen))
        controller.agent_action(AGENT, Ready())
        gevent.sleep(0.3)
    gevent.killall(readers)
    return delays


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--pages", type=int, nargs="+", default=[1, 20, 100])
    parser.add_argument("--changes", type=int, default=20)
    options = parser.parse_args()
    switch = SimSwitch(clock=WallClock())
    server = EslServer(switch, "127.0.0.1", 0, password="ClueCon")
    server.start()
    config = load_config(CONFIG, env={})
    config = replace(config, nodes=(replace(config.nodes[0], host="127.0.0.1", port=server.port),))
    controller = Controller(config, MemoryStore(), WallClock())
    controller.start()
    http = serve_http(controller.metrics, "127.0.0.1", 0, controller)
    print("pages  changes  p50 (ms)  p99 (ms)  max (ms)  over 1 s")
    for pages in options.pages:
        delays = sorted(run(pages, options.changes, http.server_port, controller))
        p99 = delays[min(len(delays) - 1, int(0.99 * len(delays)))]
        print(f"{pages:>5}  {options.changes:>7}  {1000 * statistics.median(delays):>8.0f}  {1000 * p99:>8.0f}  "
              f"{1000 * delays[-1]:>8.0f}  {sum(1 for d in delays if d > 1.0):>8}")
    http.stop()
    controller.stop()
    server.stop()


if __name__ == "__main__":
    main()
