"""Routing decision time: the incremental Router with 10,000 waiting calls, 5,000 agents, 50 queues and skills.

A decision is one ``next_offers`` after one change, as the engine makes it:

* agent free: a busy agent becomes available → which waiting call (if any) they get;
* call arrives (busy centre): a call joins 10,000 waiting ones, a few agents are free but mostly lack the
  skills or tier level the waiting calls need → which agent (if any);
* call arrives (quiet centre): half the agents are free, no call waits → which agent.

Queues cycle through every strategy; every third queue has tier rules (level 2 after 30 s); agents have 2-4
skills at levels 1-5 and belong to 1-3 queues; calls require 0-2 skills. The reference planner is timed once
on the busy centre for comparison.

Each decision is timed twice: wall clock, and CPU time of this thread (``time.thread_time``), which leaves out
the time the OS gave the CPU to other processes (on a shared machine the wall p99 mostly measures them). As the
controller does once started (``gc.freeze()``), what a centre's set-up built is kept out of the collector's
passes; the collector still runs during the decisions, and its pauses are in the figures.

    /work/venv/bin/python bench/router.py [--calls 10000] [--agents 5000] [--queues 50] [--decisions 3000]
"""

from __future__ import annotations

import argparse
import gc
import random
import statistics
import time
from dataclasses import replace

from ccswitch.acd import STRATEGIES, Agent, AgentState, Member, QueueEntry, QueueRules, Router, plan_dispatches

SKILLS = ("english", "german", "french", "spanish", "billing", "tech")


class Centre:
    def __init__(self, rng: random.Random, queues: int, agents: int) -> None:
        self.rng = rng
        self.now = 100_000.0
        self.seq = 0
        names = sorted(STRATEGIES)
        self.queues = [f"q{n}" for n in range(queues)]
        self.rules = {
            queue: QueueRules(
                strategy=names[n % len(names)],
                aging_s=60.0 if n % 2 else None,
                tier_rules_apply=n % 3 == 0,
                tier_wait_s=30,
            )
            for n, queue in enumerate(self.queues)
        }
        self.members: dict[str, list[Member]] = {queue: [] for queue in self.queues}
        self.skills: dict[str, dict[str, int]] = {}
        self.agent_ids = [f"agent{n}" for n in range(agents)]
        for n, agent_id in enumerate(self.agent_ids):
            for queue in rng.sample(self.queues, rng.randint(1, 3)):
                self.members[queue].append(Member(agent_id, rng.choice((1, 1, 2)), n + 1))
            self.skills[agent_id] = {skill: rng.randint(1, 5) for skill in rng.sample(SKILLS, rng.randint(2, 4))}

    def agent(self, agent_id: str, state: AgentState) -> Agent:
        return Agent(id=agent_id, state=state, since=self.now, idle_since=self.now - self.rng.random(),
                     calls_handled=self.rng.randint(0, 50), talk_time_s=self.rng.random() * 3600)

    def call(self) -> QueueEntry:
        self.seq += 1
        skills = {skill: self.rng.randint(1, 4) for skill in self.rng.sample(SKILLS, self.rng.randint(0, 2))}
        return QueueEntry(f"call{self.seq}", self.rng.choice(self.queues), self.rng.choice((0, 0, 0, 5)),
                          self.now - self.rng.random() * 20, self.seq, skills=skills)

    def router(self) -> Router:
        return Router(self.members, self.rules, self.skills)


class Timer:
    """Wall and CPU time of the decisions made inside ``with timer:``."""

    def __init__(self) -> None:
        self.wall: list[float] = []
        self.cpu: list[float] = []

    def __enter__(self) -> None:
        self._wall, self._cpu = time.perf_counter(), time.thread_time()

    def __exit__(self, *_: object) -> None:
        self.cpu.append(time.thread_time() - self._cpu)
        self.wall.append(time.perf_counter() - self._wall)

    def report(self) -> str:
        return f"cpu {percentiles(self.cpu)} | wall {percentiles(self.wall)}"


def percentiles(samples: list[float]) -> str:
    cuts = statistics.quantiles(samples, n=100, method="inclusive")
    return f"p50 {cuts[49] * 1e6:6.0f} p99 {cuts[98] * 1e6:6.0f} max {max(samples) * 1e6:6.0f} µs"


def busy_centre(centre: Centre, calls: int, decisions: int) -> tuple[Timer, Timer, int, int]:
    router = centre.router()
    agents = {agent_id: centre.agent(agent_id, AgentState.ON_CALL) for agent_id in centre.agent_ids}
    for agent in agents.values():
        router.update_agent(agent)
    for _ in range(calls):
        router.add_call(centre.call())
    router.next_offers(centre.now)
    gc.freeze()  # as the controller does once started

    def reserve(dispatches: list) -> None:  # type: ignore[type-arg]
        for dispatch in dispatches:
            for agent_id in dispatch.agents:
                agents[agent_id] = replace(agents[agent_id], state=AgentState.RESERVED, call=dispatch.entry.call)
                router.update_agent(agents[agent_id])
            router.add_call(centre.call())  # keep the queues full

    freed, arrived = Timer(), Timer()
    matched_free = matched_arrival = 0
    busy = list(centre.agent_ids)
    for _ in range(decisions):
        centre.now += 0.05
        agent_id = busy.pop(centre.rng.randrange(len(busy)))
        agents[agent_id] = centre.agent(agent_id, AgentState.AVAILABLE)
        with freed:
            router.update_agent(agents[agent_id])
            plan = router.next_offers(centre.now)
        matched_free += bool(plan)
        reserve(plan)
        busy.extend(agent for dispatch in plan for agent in dispatch.agents)

        entry = centre.call()
        with arrived:
            router.add_call(entry)
            plan = router.next_offers(centre.now)
        matched_arrival += bool(plan)
        reserve(plan)
        busy.extend(agent for dispatch in plan for agent in dispatch.agents)
    return freed, arrived, matched_free, matched_arrival


def quiet_centre(centre: Centre, decisions: int) -> tuple[Timer, int]:
    router = centre.router()
    agents = {agent_id: centre.agent(agent_id, centre.rng.choice((AgentState.AVAILABLE, AgentState.ON_CALL)))
              for agent_id in centre.agent_ids}
    for agent in agents.values():
        router.update_agent(agent)
    router.next_offers(centre.now)
    gc.freeze()  # as the controller does once started: the collector leaves what start-up built alone
    timer, matched = Timer(), 0
    for _ in range(decisions):
        centre.now += 0.05
        entry = centre.call()
        with timer:
            router.add_call(entry)
            plan = router.next_offers(centre.now)
        matched += bool(plan)
        for dispatch in plan:  # the agents hang up at once: the centre stays half free
            for agent_id in dispatch.agents:
                router.update_agent(replace(agents[agent_id], idle_since=centre.now))
        router.next_offers(centre.now)  # (those agents free again: a decision of its own, not timed here)
    return timer, matched


def reference_time(centre: Centre, calls: int) -> float:
    waiting: dict[str, list[QueueEntry]] = {queue: [] for queue in centre.queues}
    for _ in range(calls):
        entry = centre.call()
        waiting[entry.queue].append(entry)
    agents = {agent_id: centre.agent(agent_id, AgentState.ON_CALL) for agent_id in centre.agent_ids}
    agents["agent0"] = centre.agent("agent0", AgentState.AVAILABLE)
    start = time.perf_counter()
    plan_dispatches(waiting, agents, centre.members, centre.now, centre.rules, centre.skills)
    return time.perf_counter() - start


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--calls", type=int, default=10_000)
    parser.add_argument("--agents", type=int, default=5_000)
    parser.add_argument("--queues", type=int, default=50)
    parser.add_argument("--decisions", type=int, default=3_000)
    args = parser.parse_args()
    rng = random.Random(7)
    print(f"{args.calls} waiting calls, {args.agents} agents, {args.queues} queues, skills; "
          f"{args.decisions} decisions each")
    freed, arrived, matched_free, matched_arrival = busy_centre(Centre(rng, args.queues, args.agents),
                                                               args.calls, args.decisions)
    print(f"agent free -> call    (busy centre, {matched_free:4} matched)  {freed.report()}")
    print(f"call arrives -> agent (busy centre, {matched_arrival:4} matched)  {arrived.report()}")
    quiet, matched_quiet = quiet_centre(Centre(rng, args.queues, args.agents), args.decisions)
    print(f"call arrives -> agent (quiet centre, {matched_quiet:4} matched) {quiet.report()}")
    reference = reference_time(Centre(rng, args.queues, args.agents), args.calls)
    print(f"reference plan_dispatches, busy centre, one agent free: {reference * 1e3:.1f} ms per decision")


if __name__ == "__main__":
    main()
