"""A campaign's big leads file: configuration load, controller start, API load, a second load and a reload.

Generates a leads CSV of ``--rows`` rows (default 1,000,000; phone, name, timezone, city, plan, one row in ten with
a time zone) in a temporary copy of the shipped configuration, as the shipped campaign ``promo-nov``'s file, then:

1. ``load_config`` (what start-up and every reload run), timed;
2. the controller started against the simulator over loopback TCP, with the memory store, timed;
3. ``campaign_load`` (what ``POST /api/campaigns/<name>/load`` and ``ccswitch campaign load`` run), timed;
4. a second ``campaign_load`` of the unchanged file, and ``reload()``, each timed;
and, as a baseline, 3 s of the controller idle.

All the while a timer greenlet sleeps 5 ms at a time and records by how much it woke late: its worst lag in a phase
is the longest the controller's process served nothing (no event, no agent action, no HTTP request). After each
phase: the process's RSS, and its high-water mark so far (``ru_maxrss``). Uses only the APIs that the code before
the streamed import had too, so the same script measures both:

    .venv/bin/python bench/leads_import.py [--rows 1000000]
    PYTHONPATH=/path/to/an/older/checkout .venv/bin/python bench/leads_import.py   # the same, older code

The generated file is deleted at the end; nothing is written to the repository.
"""

from gevent import monkey

monkey.patch_all()

import argparse  # noqa: E402
import os  # noqa: E402
import resource  # noqa: E402
import shutil  # noqa: E402
import tempfile  # noqa: E402
import time  # noqa: E402
from collections.abc import Callable  # noqa: E402
from dataclasses import replace  # noqa: E402
from pathlib import Path  # noqa: E402
from typing import TypeVar  # noqa: E402

import gevent  # noqa: E402

import ccswitch  # noqa: E402
from ccswitch.campaign_files import load_config  # noqa: E402
from ccswitch.clock import WallClock  # noqa: E402
from ccswitch.controller import Controller  # noqa: E402
from ccswitch.sim import EslServer, SimSwitch  # noqa: E402
from ccswitch.store.memory import MemoryStore  # noqa: E402

ROOT = Path(__file__).resolve().parents[1]
CAMPAIGN = "promo-nov"
TICK_S = 0.005
T = TypeVar("T")


class LagWatch:
    """A greenlet that sleeps ``TICK_S`` at a time; the worst lateness of its wake-ups per phase."""

    def __init__(self) -> None:
        self.phase = "idle"
        self.worst: dict[str, float] = {}
        self._greenlet = gevent.spawn(self._run)

    def _run(self) -> None:
        while True:
            before = time.perf_counter()
            gevent.sleep(TICK_S)
            late = time.perf_counter() - before - TICK_S
            self.worst[self.phase] = max(self.worst.get(self.phase, 0.0), late)

    def stop(self) -> None:
        self._greenlet.kill()


def generate(path: Path, rows: int) -> None:
    with path.open("w", encoding="utf-8") as out:
        out.write("phone,name,timezone,city,plan\n")
        for n in range(rows):
            zone = "Europe/London" if n % 10 == 0 else ""
            out.write(f"+4477{n:08d},Lead {n},{zone},Leeds,basic\n")


def peak_rss_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def rss_mb() -> float:
    return int(Path("/proc/self/statm").read_text().split()[1]) * os.sysconf("SC_PAGE_SIZE") / 2**20


def timed(watch: LagWatch, phase: str, run: Callable[[], T], report: list[str]) -> T:
    """Run one phase; add its line to ``report``: seconds, longest stall, peak RSS so far."""
    watch.phase = phase
    gevent.sleep(0.05)  # the timer's first wake-up in this phase
    start = time.perf_counter()
    result = run()
    took = time.perf_counter() - start
    gevent.sleep(0.05)
    watch.phase = "idle"
    report.append(f"{phase:<40} {took:7.2f} s   longest stall {watch.worst.get(phase, 0.0) * 1000:8.1f} ms   "
                  f"RSS {rss_mb():5.0f} MB, peak so far {peak_rss_mb():5.0f} MB")
    return result


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--rows", type=int, default=1_000_000)
    args = parser.parse_args()
    print(f"code: {Path(ccswitch.__file__).parent}; load average at start: {os.getloadavg()}")
    with tempfile.TemporaryDirectory(prefix="ccswitch-leads-bench-") as folder:
        tree = Path(folder)
        for part in ("config", "dialplans", "ivr", "sounds", "recordings"):
            shutil.copytree(ROOT / part, tree / part)
        leads = tree / "config" / "campaigns" / "promo-nov.csv"
        started = time.perf_counter()
        generate(leads, args.rows)
        print(f"generated {args.rows:,} rows ({leads.stat().st_size / 1e6:.1f} MB) in "
              f"{time.perf_counter() - started:.1f} s")
        watch = LagWatch()
        report: list[str] = []
        config = timed(watch, "load_config (start-up, every reload)",
                       lambda: load_config(tree / "config" / "ccswitch.yaml", env={}), report)
        switch = SimSwitch(clock=WallClock())
        server = EslServer(switch, "127.0.0.1", 0, password="ClueCon")
        server.start()
        node = replace(config.nodes[0], host="127.0.0.1", port=server.port)
        controller = Controller(replace(config, nodes=(node,)), MemoryStore(), WallClock(), tick_s=0.1)
        try:
            timed(watch, "controller start", controller.start, report)
            timed(watch, "idle 3 s (the machine's own stalls)", lambda: gevent.sleep(3), report)
            loads = [timed(watch, f"campaign load ({which})", lambda: controller.campaign_load(CAMPAIGN, timeout=3600),
                           report) for which in ("first", "unchanged file")]
            timed(watch, "reload", lambda: controller.reload(timeout=3600), report)
        finally:
            watch.stop()
            controller.stop()
            server.stop()
            switch.shutdown()
        print("\n".join(report))
        for loaded in loads:
            print(loaded)
        print(f"load average at end: {os.getloadavg()}")


if __name__ == "__main__":
    main()
