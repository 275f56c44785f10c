"""One launch's pick of leads in a running campaign with many pending leads: every lead read (``next_leads`` over the
campaign's leads, as a launch did before the lead queue) against the front of the campaign's ``LeadQueue``.

For each size (``--leads``; default 10,000, 100,000 and 1,000,000) a campaign as the shipped ``promo-nov`` (its
window, do-not-call list and attempts), its leads put in the memory store and read back as a (re)started controller
reads them: one lead in ten in Europe/London, the rest in the campaign's zone (Moscow); 5% retries due within the next
2 hours, 1% due already, 0.5% held by the 72-hour rule after an abandon. Then, at two moments, Monday 12:00 in Moscow
(both zones open) and Monday 21:30 in Moscow (closed there; 18:30 in London, open), a pick of ``--wanted`` leads
(default 10) both ways: the queue's first pick at that moment and the best of ``--repeat`` after it, the best of
``--repeat`` reading every lead; whether both ways gave the same leads. Then 72 hours on: the leads held by the
72-hour rule due, moved to their zones' heaps by the pick. Also: the time to fill the queue (start-up), the memory
it takes (``tracemalloc``: what filling it allocated) and the process's RSS with the leads (the store's and the
campaign's: the same objects). Then a reload that gives one more attempt: the queue filled again a step at a time, as
the controller runs it (the reload's start of the fill, then each step, timed: the longest is the longest the
controller's loop is held); and a campaign a reload adds with those leads stored (its read starting, then each
step reading a page of its leads from the store and keeping them). Code from before the fill in steps fills at once
in the reload: one slice.

    .venv/bin/python bench/lead_pick.py [--leads 10000 100000 1000000] [--wanted 10] [--repeat 5]

Both ways run in one process on the same leads (``next_leads`` is still there). Nothing is written anywhere.
"""

import argparse
import gc
import importlib.util
import os
import time
import tracemalloc
from collections.abc import Callable
from dataclasses import replace
from datetime import UTC, datetime
from pathlib import Path
from typing import TypeVar

import ccswitch
from ccswitch.campaign_files import load_config
from ccswitch.config.model import CampaignConfig
from ccswitch.dialer.campaign import ABANDONED_REDIAL_SECONDS, next_leads
from ccswitch.dialer.campaign_state import CampaignState
from ccswitch.dialer.leads import Lead, LeadState
from ccswitch.store.memory import MemoryStore

ROOT = Path(__file__).resolve().parents[1]
CAMPAIGN = "promo-nov"
NOON_MOSCOW = datetime(2026, 11, 23, 9, tzinfo=UTC).timestamp()  # a Monday
EVENING_MOSCOW = datetime(2026, 11, 23, 18, 30, tzinfo=UTC).timestamp()  # 21:30 in Moscow, 18:30 in London
MOMENTS = (("Mon 12:00 Moscow (both zones open)", NOON_MOSCOW), ("Mon 21:30 Moscow (London open)", EVENING_MOSCOW))
HAS_QUEUE = importlib.util.find_spec("ccswitch.dialer.lead_queue") is not None  # (not in code from before it)
IN_STEPS = HAS_QUEUE and hasattr(importlib.import_module("ccswitch.dialer.lead_queue").LeadQueue, "fill_step")
T = TypeVar("T")


def generate(count: int, now: float) -> list[Lead]:
    leads = []
    for n in range(count):
        zone = "Europe/London" if n % 10 == 0 else None
        lead = Lead(CAMPAIGN, f"+4477{n:08d}", name=f"Lead {n}", timezone=zone)
        share = n % 200  # per 200 leads: 10 retries due within 2 h, 2 due already, 1 held 72 h after an abandon
        if share < 10:
            lead = Lead(CAMPAIGN, lead.phone, lead.name, zone, state=LeadState.RETRY, attempts=1,
                        next_at=now + 720 * share + n % 720)
        elif share < 12:
            lead = Lead(CAMPAIGN, lead.phone, lead.name, zone, state=LeadState.RETRY, attempts=1,
                        next_at=now - 60 * share - n % 60)
        elif share == 12:
            lead = Lead(CAMPAIGN, lead.phone, lead.name, zone, state=LeadState.RETRY, attempts=1, next_at=now - 3600,
                        abandoned_at=now - 3600)
        leads.append(lead)
    return leads


def scan(campaign: CampaignState, now: float, wanted: int) -> list[Lead]:
    """The pick as a launch made it before the lead queue: every lead read."""
    candidates = (lead for lead in campaign.leads.values()
                  if lead.state in (LeadState.PENDING, LeadState.RETRY)
                  and (lead.next_at is None or lead.next_at <= now))
    return next_leads(campaign.config, candidates, now, wanted)


def timed(run: Callable[[], T]) -> tuple[float, T]:
    start = time.perf_counter()
    result = run()
    return time.perf_counter() - start, result


def best(run: Callable[[], object], repeat: int) -> float:
    return min(timed(run)[0] for _ in range(repeat))


def rss_mb() -> float:
    return int(Path("/proc/self/statm").read_text().split()[1]) * os.sysconf("SC_PAGE_SIZE") / 2**20


def queue_memory(config: CampaignConfig, campaign: CampaignState) -> tuple[float, int]:
    """MB that filling a queue of the campaign's leads allocated (kept), and its entries."""
    from ccswitch.dialer.lead_queue import LeadQueue

    gc.collect()
    tracemalloc.start()
    queue = LeadQueue(config, campaign.leads)
    allocated, _peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    return allocated / 2**20, len(queue)


def one_size(config: CampaignConfig, count: int, wanted: int, repeat: int) -> None:
    started = time.perf_counter()
    store = MemoryStore()
    store.put_leads(CAMPAIGN, generate(count, NOON_MOSCOW))
    made = time.perf_counter() - started
    read, campaign = timed(lambda: CampaignState.read(config, store, NOON_MOSCOW))
    gc.collect()
    gc.freeze()  # as the controller does after start-up and imports: the leads stay out of the collector's passes
    print(f"\n{count:,} leads (made and stored in {made:.1f} s; read back in {read:.2f} s); RSS {rss_mb():.0f} MB")
    if not HAS_QUEUE:
        for label, now in MOMENTS:
            before = best(lambda: scan(campaign, now, wanted), repeat)  # noqa: B023 (called at once)
            print(f"{label:<34} every lead read: {before * 1000:.1f} ms")
        return
    print(f"{'moment':<34} {'every lead read':>16} {'queue, first':>13} {'queue, after':>13} {'ratio':>8}  same")
    for label, now in MOMENTS:
        first, _ = timed(lambda: campaign.queue.pick(now, wanted))  # noqa: B023 (called at once)
        before = best(lambda: scan(campaign, now, wanted), repeat)  # noqa: B023
        after = best(lambda: campaign.queue.pick(now, wanted), repeat)  # noqa: B023
        same = campaign.queue.pick(now, wanted) == scan(campaign, now, wanted)
        print(f"{label:<34} {before * 1000:13.1f} ms {first * 1000:10.3f} ms {after * 1000:10.3f} ms "
              f"{before / after:7.0f}x  {same}")
    held_until = NOON_MOSCOW - 3600 + ABANDONED_REDIAL_SECONDS
    later = best(lambda: campaign.queue.pick(held_until, wanted), 1)
    print(f"72 hours on, the held leads due: a pick {later * 1000:.1f} ms (moves them to their zones)")
    megabytes, entries = queue_memory(config, campaign)
    print(f"queue: filled in {fill_time(config, campaign):.2f} s; {megabytes:.1f} MB for {entries:,} entries "
          f"({megabytes * 2**20 / max(entries, 1):.0f} bytes each)")
    print("reload, one more attempt: " + loop_slices("the reload", *refill(config, campaign), "of the fill"))
    if IN_STEPS:
        print("a campaign a reload adds: " + loop_slices("its read from the store", *added(config, store),
                                                         "keeping its leads"))


def fill_time(config: CampaignConfig, campaign: CampaignState) -> float:
    """Seconds to fill a queue from the campaign's leads (start-up; a reload: more attempts, another mode)."""
    from ccswitch.dialer.lead_queue import LeadQueue

    return timed(lambda: LeadQueue(config, campaign.leads))[0]


Slice = tuple[float, float]  # how long a call held the loop: wall seconds, and this process's CPU seconds


def held(run: Callable[[], T]) -> tuple[Slice, T]:
    """What ``run`` returns, and how long it held the loop (the wall time counts other processes' turns on a shared
    machine as well)."""
    wall, cpu = time.perf_counter(), time.process_time()
    result = run()
    return (time.perf_counter() - wall, time.process_time() - cpu), result


def refill(config: CampaignConfig, campaign: CampaignState) -> tuple[Slice, list[Slice]]:
    """The slices of the controller's loop that a reload giving one more attempt takes: the reload's own (the fill's
    start; the whole fill in code from before the fill in steps), and each step of the fill."""
    reload, _ = held(lambda: campaign.reconfigure(replace(config, max_attempts=config.max_attempts + 1)))
    return reload, steps(campaign)


def added(config: CampaignConfig, store: MemoryStore) -> tuple[Slice, list[Slice]]:
    """The slices of a campaign a reload adds, its leads stored: its read, and each step keeping its leads."""
    read, campaign = held(lambda: CampaignState.read(config, store, NOON_MOSCOW, in_steps=True))
    return read, steps(campaign)


def steps(campaign: CampaignState) -> list[Slice]:
    """Each step as the controller runs it: what lives frozen out of the collector's passes first."""
    if not IN_STEPS:
        return []
    from ccswitch.lead_import import freeze_what_lives

    def step() -> None:
        freeze_what_lives()
        campaign.fill_step()

    slices = []
    while campaign.filling:
        slices.append(held(step)[0])
    return slices


def loop_slices(label: str, first: Slice, then: list[Slice], steps_of: str) -> str:
    every = [first, *then]
    return (f"{label} {first[0] * 1000:.1f} ms, then {len(then)} steps {steps_of} ({sum(w for w, _ in then):.2f} s "
            f"in all); the longest slice of the loop {max(w for w, _ in every) * 1000:.1f} ms "
            f"(CPU: {max(c for _, c in every) * 1000:.1f} ms)")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--leads", type=int, nargs="+", default=[10_000, 100_000, 1_000_000])
    parser.add_argument("--wanted", type=int, default=10)
    parser.add_argument("--repeat", type=int, default=5)
    args = parser.parse_args()
    print(f"code: {Path(ccswitch.__file__).parent}; load average at start: {os.getloadavg()}")
    config = load_config(ROOT / "config" / "ccswitch.yaml", env={}).campaigns[CAMPAIGN]
    for count in args.leads:
        one_size(config, count, args.wanted, args.repeat)
        gc.unfreeze()
    print(f"\nload average at end: {os.getloadavg()}")


if __name__ == "__main__":
    main()
