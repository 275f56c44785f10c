"""Predictive dialler proof bench: a discrete-event simulation of outbound campaigns in virtual time.

A campaign runs 8 hours with N agents. A dialled line is answered by a person with the scenario's answer rate
(constant 25 %, or drifting 35 % -> 15 % across the day), by a machine with 15 % (answering-machine detection holds
the line 2-3 s, then drops it; it never reaches an agent), each after a delay uniform in 5-30 s; otherwise it rings
out after the 30 s ring timeout (at least the 15 s minimum). Talk time is lognormal, mean 120 s, sigma 0.8 (CV
~0.95); wrap-up 10 s. A person answered with no agent free within 2 s is abandoned. Every second the dialler asks its
mode how many lines to launch:

* progressive: ``progressive_lines`` (one line per free agent not already held by a ringing line or one being
  classified);
* predictive: ``pace`` (``lines_to_cancel`` then ``lines_to_dial``) with the shipped defaults (what the controller
  runs for a campaign ringing 15-30 s: ``PacingPolicy.cancelling``, the default 24 h ``AbandonLedger`` at 3 % and its
  ``pacing_budget``), fed by the controller's estimators (priors that fade; the person rate's mean and posterior
  deviation; persons' share of detection time, here none) and told how many lines detection holds. It may hang
  up lines that have rung at least 15 s before anyone answers them: a no-answer; a callee who would have answered
  later never does (a person lost), and the estimators record what the model expects of the line
  (``unseen_outcome``), the ledger its person chance (``record_given_up``: the pacer is passed the share of people
  lost, ``lost_share``, as the controller's is);
* ratio-2.5: VICIdial's RATIO dial level, ``ceil(2.5 x free agents) - lines ringing``.

Abandon rate = abandons / person answers, for the day and for every full rolling hour (windows ``(t - 1 h, t]``
inside the day). Occupancy = talk time / logged-in time; idle = the share of logged-in time neither talking nor in
wrap-up (agents waiting for a person to answer); given up = lines the pacer hung up, as a share of the lines dialled;
lost/100 = given-up lines a person would have answered, per 100 person answers (people reached).

    .venv/bin/python bench/dialer.py [--seeds 5] [--first-seed 0] [--agents 50 20 10] [--jobs 2] [--policy ...]
        [--inbound-per-minute 2 [--inbound-unknown]]

``--inbound-per-minute`` makes the agents blended: inbound calls arrive for them at that rate (Poisson; the
campaign's talk times and wrap-up); one takes a free agent at once or waits for the next (after a campaign's
person in their 2 s), but, as the controller's predictive and progressive campaigns do (``keep_agents``), not an
agent kept for the people the lines ringing or in detection may still bring (``agents_to_hold``; ``--policy
hold_risk=0`` keeps none, the controller before). The pacer is told how many wait and, as the controller does,
their recent rate (``ArrivalEstimator``); with ``--inbound-unknown`` only how many wait. Occupancy then counts both
kinds of talk, and the issue's targets are not checked.

``--first-seed N`` runs seeds N .. N + seeds - 1: seeds 0-4 are the ones the defaults were tuned on, later ones are
held out. Per scenario and mode the report also counts the days (campaigns, one per seed) with a rolling hour over
the limit. ``--policy`` changes the pacer's knobs only (the world keeps its 30 s ring timeout and 2 s grace); for
example ``--policy min_risk=0.95 max_risk=0.95`` holds the allowance fixed, without ledger feedback, to measure the
abandon-occupancy trade-off of the forecast alone.
"""

from __future__ import annotations

import argparse
import bisect
import heapq
import itertools
import math
import random
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass, fields, replace
from multiprocessing import Pool
from typing import Any

from ccswitch.dialer import (
    AbandonLedger,
    LogNormal,
    PacerInput,
    PacingPolicy,
    agents_to_hold,
    lines_to_dial,
    pace,
    progressive_lines,
)
from ccswitch.dialer.estimators import ArrivalEstimator
from ccswitch.dialer.figures import Estimates

HOURS = 8
DAY = HOURS * 3600.0
MACHINE_RATE = 0.15
TALK = LogNormal.from_mean(120.0, 0.8)
WRAP_UP = 10.0
DELAY_LOW, DELAY_HIGH = 5.0, 30.0
# The shipped cancelling pacer (the controller's for a campaign ringing 15-30 s; see PacingPolicy.cancelling).
# Without cancelling: ``--policy cancel_risk=inf late_weight=1 max_risk=1 reserve_abandons=3``.
POLICY = PacingPolicy.cancelling(ring_timeout=30.0, min_ring=15.0)
LIMIT = 0.03
OCCUPANCY_TARGETS = {50: 0.87, 20: 0.82, 10: 0.75}  # by agents: the mean over a scenario's seeds
LOST_TARGET = 0.08  # people lost per person reached
RATIO_LEVEL = 2.5
MODES = ("progressive", "predictive", "ratio-2.5")
SCENARIOS: dict[str, Callable[[float], float]] = {
    "flat 25%": lambda now: 0.25,
    "drift 35->15%": lambda now: 0.35 - 0.20 * now / DAY,
}

DETECT_LOW, DETECT_HIGH = 2.0, 3.0  # answering-machine detection holds a machine's line this long before dropping it

# event kinds: a line's fate (decided when it is dialled) comes at its answer or ring timeout
PERSON, MACHINE, NO_ANSWER, TALK_END, WRAP_END, GRACE_END, MACHINE_DROPPED, INBOUND = range(8)


@dataclass(frozen=True)
class Blend:
    """Inbound calls for the same agents (blended): Poisson arrivals, the campaign's talk times and wrap-up; an
    arrival takes a free agent not kept for the predictive lines' people at once, or waits for the next one (after a
    campaign's person in their 2 s). ``counted``: the pacer is told their rate (the controller's
    ``ArrivalEstimator``), else 0 as before."""

    per_minute: float = 0.0
    counted: bool = True


@dataclass(frozen=True)
class Result:
    scenario: str
    agents: int
    mode: str
    seed: int
    answered: int
    abandoned: int
    worst_hour: float
    talk_seconds: float
    wrap_up_seconds: float
    connected: int
    dials: int
    cancelled: int = 0
    lost: int = 0  # cancelled lines a person would have answered
    inbound: int = 0  # inbound calls that arrived (blended)
    inbound_wait: float = 0.0  # their seconds waiting for an agent, in all


def simulate(scenario: str, agents: int, mode: str, seed: int, pacer: PacingPolicy = POLICY,
             blend: Blend = Blend()) -> Result:
    rng = random.Random(f"{scenario}/{agents}/{seed}")  # the same callers for every mode
    inbound_rng = random.Random(f"inbound/{scenario}/{agents}/{seed}")  # the same inbound calls, counted or not
    answer_rate = SCENARIOS[scenario]
    ledger = AbandonLedger(limit=LIMIT)  # the shipped default window (24 h, Ofcom's)
    estimates = Estimates.new(int(POLICY.ring_timeout), now=0.0)  # the controller's, for a campaign ringing 30 s
    events: list[tuple[float, int, int, int]] = []  # (time, seq, kind, id)
    seq = itertools.count()
    ids = itertools.count()
    free = agents
    talking: dict[int, float] = {}  # call id -> talk start
    wrapping: dict[int, float] = {}  # call id -> wrap-up end
    ringing: dict[int, float] = {}  # line id -> dial time
    fates: dict[int, int] = {}  # ringing line id -> PERSON, MACHINE or NO_ANSWER (the world's, hidden from the pacer)
    detecting: dict[int, float] = {}  # answered lines whose detection has not decided yet -> answer time
    waiting: dict[int, float] = {}  # person answered, no agent yet: line id -> answer time
    records: list[tuple[float, bool]] = []  # (time, abandoned) per person answer
    inbound: dict[int, float] = {}  # blended: inbound calls waiting for an agent -> arrival time
    inbound_calls: set[int] = set()  # blended: calls talking or in wrap-up that came in (not the campaign's)
    arrivals = ArrivalEstimator.starting(0.0)
    arrived = arrived_before = 0
    inbound_wait = 0.0
    talk_seconds = 0.0
    wrap_up_seconds = 0.0
    dials = 0
    cancelled = 0
    lost = 0

    def push(at: float, kind: int, key: int) -> None:
        heapq.heappush(events, (at, next(seq), kind, key))

    def connect(now: float, line: int) -> None:
        duration = rng.lognormvariate(TALK.mu, TALK.sigma)
        talking[line] = now
        push(now + duration, TALK_END, line)
        ledger.record(now, answered_person=True, abandoned=False)
        records.append((now, False))

    def take_inbound(now: float, call: int) -> None:
        nonlocal inbound_wait
        inbound_wait += now - inbound.pop(call, now)
        inbound_calls.add(call)
        talking[call] = now
        push(now + inbound_rng.lognormvariate(TALK.mu, TALK.sigma), TALK_END, call)

    def dial(now: float) -> None:
        line = next(ids)
        ringing[line] = now
        draw = rng.random()
        rate = answer_rate(now)
        fates[line] = PERSON if draw < rate else MACHINE if draw < rate + MACHINE_RATE else NO_ANSWER
        if fates[line] == NO_ANSWER:
            push(now + POLICY.ring_timeout, NO_ANSWER, line)
        else:
            push(now + rng.uniform(DELAY_LOW, DELAY_HIGH), fates[line], line)

    def observe(now: float) -> PacerInput:
        estimates.refresh(now)
        return estimates.pacer_input(
            now,
            agents_free=free,
            talking_for=tuple(now - start for start in talking.values()),
            wrap_up_left=tuple(end - now for end in wrapping.values()),
            ringing_for=tuple(now - start for start in ringing.values()),
            detecting=len(detecting),
            wrap_up_seconds=WRAP_UP,
            budget=ledger.pacing_budget(now),
            lost_share=ledger.lost_share(now),
            inbound_waiting=len(inbound),
            inbound_per_second=arrivals.per_second(now) if blend.counted else 0.0,
        )

    def kept(now: float) -> int:
        """Free agents kept from inbound calls for the people the lines may bring (the controller's, for a
        predictive or progressive campaign: ``agents_to_hold``)."""
        if mode not in ("predictive", "progressive") or not (ringing or detecting):
            return 0
        return agents_to_hold(observe(now), pacer)

    def decide(now: float) -> int:
        nonlocal cancelled, lost
        if mode == "ratio-2.5":
            return max(0, math.ceil(RATIO_LEVEL * free) - len(ringing))
        if mode == "progressive":
            return progressive_lines(observe(now))
        if pacer.cancel_risk == math.inf:
            return lines_to_dial(observe(now), pacer)
        decision = pace(observe(now), pacer)
        if decision.cancel:
            # Hung up before anyone answered: no-answers. A future answer never happens; the estimators record what
            # each would have been as the model expects, as the controller's do (see the module docstring).
            lines = list(ringing)  # in the order observe() listed them
            going = [lines[index] for index in decision.cancel]
            persons = estimates.given_up(now, [now - ringing.pop(line) for line in going], POLICY.ring_timeout)
            for line, would_person in zip(going, persons, strict=True):
                lost += fates.pop(line) == PERSON
                ledger.record_given_up(now, would_person)
            cancelled += len(decision.cancel)
        return decision.dial

    if blend.per_minute > 0.0:
        push(inbound_rng.expovariate(blend.per_minute / 60.0), INBOUND, next(ids))
    tick = 0.0
    while tick < DAY:
        while events and events[0][0] <= tick:
            now, _, kind, key = heapq.heappop(events)
            if kind in (PERSON, MACHINE, NO_ANSWER):
                if key not in ringing:
                    continue  # cancelled before this answer: nobody picks up a call that is no longer there
                dialled = ringing.pop(key)
                del fates[key]
                if kind == NO_ANSWER:
                    estimates.unanswered(now)
                else:
                    estimates.answered(now, now - dialled)
                if kind == MACHINE:  # the pacer sees a line being classified: a person or a machine, it cannot tell
                    detecting[key] = now
                    push(now + rng.uniform(DETECT_LOW, DETECT_HIGH), MACHINE_DROPPED, key)
                elif kind == PERSON:
                    estimates.classified(now, machine=False, detecting_s=0.0)  # a person is told apart at once
                    if free:
                        free -= 1
                        connect(now, key)
                    else:
                        waiting[key] = now
                        push(now + POLICY.grace, GRACE_END, key)
            elif kind == MACHINE_DROPPED:
                estimates.classified(now, machine=True, detecting_s=now - detecting.pop(key))
            elif kind == INBOUND:
                arrived += 1
                push(now + inbound_rng.expovariate(blend.per_minute / 60.0), INBOUND, next(ids))
                inbound[key] = now
                if free > kept(now):
                    free -= 1
                    take_inbound(now, key)
            elif kind == TALK_END:
                talk_seconds += now - talking[key]
                wrap_up_seconds += min(WRAP_UP, DAY - now)
                if key in inbound_calls:
                    talking.pop(key)  # the controller's estimates learn from the campaign's calls only
                else:
                    estimates.talked(now, now - talking.pop(key))
                wrapping[key] = now + WRAP_UP
                push(now + WRAP_UP, WRAP_END, key)
            elif kind == WRAP_END:
                del wrapping[key]
                inbound_calls.discard(key)
                if waiting:  # a campaign's person first: they are abandoned 2 s after answering
                    line = next(iter(waiting))
                    del waiting[line]
                    connect(now, line)
                elif inbound and free + 1 > kept(now):
                    take_inbound(now, next(iter(inbound)))
                else:
                    free += 1
            elif key in waiting:  # GRACE_END with nobody free: abandoned
                del waiting[key]
                ledger.record(now, answered_person=True, abandoned=True)
                records.append((now, True))
        while inbound and free > kept(tick):  # agents no longer kept take the callers waiting
            free -= 1
            take_inbound(tick, next(iter(inbound)))
        arrivals = arrivals.record(tick, arrived - arrived_before)
        arrived_before = arrived
        for _ in range(decide(tick)):
            dial(tick)
            dials += 1
        tick += 1.0

    talk_seconds += sum(DAY - start for start in talking.values())
    abandoned = sum(abandon for _, abandon in records)
    return Result(
        scenario=scenario,
        agents=agents,
        mode=mode,
        seed=seed,
        answered=len(records),
        abandoned=abandoned,
        worst_hour=worst_rolling_hour(records),
        talk_seconds=talk_seconds,
        wrap_up_seconds=wrap_up_seconds,
        connected=len(records) - abandoned,
        dials=dials,
        cancelled=cancelled,
        lost=lost,
        inbound=arrived,
        inbound_wait=inbound_wait + sum(DAY - at for at in inbound.values()),
    )


def worst_rolling_hour(records: list[tuple[float, bool]]) -> float:
    """The highest abandon rate over windows (t - 1 h, t] inside the day, checked wherever the rate can change."""
    times = [at for at, _ in records]
    abandons_before = list(itertools.accumulate((abandon for _, abandon in records), initial=0))
    ends = [at for at in times if at >= 3600.0] + [at + 3600.0 for at in times if at + 3600.0 <= DAY] + [DAY]
    worst = 0.0
    for end in ends:
        last = bisect.bisect_right(times, end)
        first = bisect.bisect_right(times, end - 3600.0)
        if last > first:
            worst = max(worst, (abandons_before[last] - abandons_before[first]) / (last - first))
    return worst


def run(job: tuple[str, int, str, int, PacingPolicy, Blend]) -> Result:
    return simulate(*job)


WORLD_KNOBS = ("ring_timeout", "grace", "min_ring")  # the world's, not the pacer's: --policy may not change them


def pacer_policy(overrides: list[str]) -> PacingPolicy:
    """``POLICY`` with ``name=value`` overrides of the pacer's knobs."""
    kinds = {field.name: field.type for field in fields(PacingPolicy) if field.name not in WORLD_KNOBS}
    changes: dict[str, Any] = {}
    for override in overrides:
        name, _, value = override.partition("=")
        try:
            changes[name] = (int if kinds[name] == "int" else float)(value)
        except (KeyError, ValueError):
            raise SystemExit(f"--policy {override}: expected NAME=NUMBER, NAME one of {', '.join(kinds)}") from None
    try:
        return replace(POLICY, **changes)
    except ValueError as exc:
        raise SystemExit(f"--policy: {exc}") from None


def report(results: list[Result], seeds: int) -> bool:
    """Print a row per scenario, agents and mode; whether the issue's targets were met (not checked when inbound
    calls came: they are for a campaign's own agents)."""
    print(
        f"{'scenario':<14} {'agents':>6} {'mode':<12} {'abandon%':>9} {'worst seed%':>11} {'worst hour%':>11} "
        f"{'occupancy%':>10} {'min occ%':>8} {'idle%':>6} {'talk min/agent-h':>16} {'calls/h':>8} {'dials/h':>8} "
        f"{'given up%':>9} {'lost/100':>8} {'days over 3%':>12}"
    )
    all_met = True

    def key(r: Result) -> tuple[str, int, int]:
        return (r.scenario, -r.agents, MODES.index(r.mode))

    for (scenario, minus_agents, _), group in itertools.groupby(sorted(results, key=key), key=key):
        runs = list(group)
        agents = -minus_agents
        mode = runs[0].mode
        answered = sum(r.answered for r in runs)
        abandoned = sum(r.abandoned for r in runs)
        occupancies = [r.talk_seconds / (agents * DAY) for r in runs]
        worst_seed = max(r.abandoned / r.answered for r in runs)
        worst_hour = max(r.worst_hour for r in runs)
        idle = 1.0 - sum(r.talk_seconds + r.wrap_up_seconds for r in runs) / (seeds * agents * DAY)
        lost = sum(r.lost for r in runs) / answered
        days_over = sum(r.worst_hour > LIMIT for r in runs)
        print(
            f"{scenario:<14} {agents:>6} {mode:<12} {100 * abandoned / answered:>9.2f} {100 * worst_seed:>11.2f} "
            f"{100 * worst_hour:>11.2f} {100 * sum(occupancies) / seeds:>10.1f} {100 * min(occupancies):>8.1f} "
            f"{100 * idle:>6.1f} "
            f"{60 * sum(occupancies) / seeds:>16.1f} {sum(r.connected for r in runs) / seeds / HOURS:>8.0f} "
            f"{sum(r.dials for r in runs) / seeds / HOURS:>8.0f} "
            f"{100 * sum(r.cancelled for r in runs) / sum(r.dials for r in runs):>9.1f} {100 * lost:>8.1f} "
            f"{f'{days_over}/{len(runs)}':>12}"
        )
        inbound = sum(r.inbound for r in runs)
        if inbound:
            print(f"{'':<14} {'':>6} {'':<12} inbound: {inbound / seeds / HOURS:.0f} calls/h, waiting "
                  f"{sum(r.inbound_wait for r in runs) / inbound:.1f} s on average for an agent")
        if mode == "predictive" and not inbound:
            abandon_met = worst_seed <= LIMIT and worst_hour <= LIMIT
            occupancy_target = OCCUPANCY_TARGETS.get(agents, 0.0)
            occupancy_met = sum(occupancies) / seeds >= occupancy_target
            lost_met = lost <= LOST_TARGET
            all_met = all_met and abandon_met and occupancy_met and lost_met
            print(
                f"{'':<14} {'':>6} {'':<12} targets: abandon <= 3% every seed and rolling hour "
                f"{'met' if abandon_met else 'MISSED'}; occupancy >= {100 * occupancy_target:.0f}% "
                f"{'met' if occupancy_met else 'MISSED'}; lost <= {100 * LOST_TARGET:.0f} per 100 reached "
                f"{'met' if lost_met else 'MISSED'}"
            )
    return all_met


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--seeds", type=int, default=5)
    parser.add_argument("--first-seed", type=int, default=0, help="seeds first-seed .. first-seed + seeds - 1")
    parser.add_argument("--agents", type=int, nargs="+", default=[50, 20, 10])
    parser.add_argument("--modes", nargs="+", default=list(MODES), choices=MODES)
    parser.add_argument("--jobs", type=int, default=2)
    parser.add_argument("--policy", nargs="+", default=[], metavar="NAME=VALUE", help="override a pacer knob")
    parser.add_argument("--inbound-per-minute", type=float, default=0.0, help="blended: inbound calls for the agents")
    parser.add_argument("--inbound-unknown", action="store_true", help="blended: the pacer is told no arrival rate")
    args = parser.parse_args()
    pacer = pacer_policy(args.policy)
    if pacer != POLICY:
        print(f"pacer: {pacer}")
    blend = Blend(args.inbound_per_minute, counted=not args.inbound_unknown)
    jobs = [
        (scenario, agents, mode, seed, pacer, blend)
        for mode in sorted(args.modes, key=lambda m: m != "predictive")  # the slow ones first
        for agents in args.agents
        for scenario in SCENARIOS
        for seed in range(args.first_seed, args.first_seed + args.seeds)
    ]
    started = time.perf_counter()
    with Pool(args.jobs) as pool:
        results = pool.map(run, jobs, chunksize=1)
    print(f"{len(jobs)} campaigns of {HOURS} h simulated in {time.perf_counter() - started:.0f} s on {args.jobs} cores")
    return 0 if report(results, args.seeds) else 1


if __name__ == "__main__":
    sys.exit(main())
