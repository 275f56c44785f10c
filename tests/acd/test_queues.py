"""Queue order, the longest-idle strategy, and planning offers across queues."""

from __future__ import annotations

import random
from collections.abc import Mapping, Sequence
from dataclasses import replace

import pytest

from ccswitch.acd import Agent, AgentState, QueueEntry, in_order, overdue
from ccswitch.acd.queues import QueueRules, plan_dispatches
from ccswitch.errors import UnknownNameError

NOW = 10_000.0


def plan_offers(
    waiting: Mapping[str, Sequence[QueueEntry]],
    agents: Mapping[str, Agent],
    members: Mapping[str, Sequence[str]],
    now: float,
    strategies: Mapping[str, str] | None = None,
) -> list[tuple[QueueEntry, str]]:
    """The plan as (entry, agent) pairs, one per ringing agent."""
    rules = {queue: QueueRules(strategy=name) for queue, name in (strategies or {}).items()}
    plan, _ = plan_dispatches(waiting, agents, members, now, rules)
    return [(dispatch.entry, agent_id) for dispatch in plan for agent_id in dispatch.agents]


def entry(call: str, queue: str = "support", priority: int = 0, at: float = 0.0, seq: int = 0) -> QueueEntry:
    return QueueEntry(call=call, queue=queue, priority=priority, enqueued_at=at, seq=seq)


def agent(agent_id: str, idle_since: float, state: AgentState = AgentState.AVAILABLE) -> Agent:
    return Agent(id=agent_id, state=state, since=idle_since, idle_since=idle_since)


def by_id(*agents: Agent) -> dict[str, Agent]:
    return {each.id: each for each in agents}


def calls_and_agents(plan: list[tuple[QueueEntry, str]]) -> list[tuple[str, str]]:
    return [(queued.call, agent_id) for queued, agent_id in plan]


def test_order_is_priority_then_arrival_time_then_seq() -> None:
    vip = entry("vip", priority=9, at=50, seq=50)
    old = entry("old", at=10, seq=3)
    same_time_first = entry("same-time-first", at=20, seq=4)
    same_time_second = entry("same-time-second", at=20, seq=5)
    low = entry("low", priority=-1, at=1, seq=1)
    scrambled = [low, same_time_second, old, vip, same_time_first]
    assert in_order(scrambled) == [vip, old, same_time_first, same_time_second, low]


def test_given_entry_handed_back_after_no_answer_then_it_regains_its_original_place() -> None:
    first, second, third = entry("1", at=1, seq=1), entry("2", at=2, seq=2), entry("3", at=3, seq=3)
    handed_back = replace(first, attempts=first.attempts + 1)
    assert in_order([second, third, handed_back]) == [handed_back, second, third]


def test_given_one_queue_then_longest_idle_available_member_gets_the_oldest_call() -> None:
    agents = by_id(
        agent("fresh", idle_since=900),
        agent("idle-longest-but-on-call", idle_since=100, state=AgentState.ON_CALL),
        agent("idle-long", idle_since=200),
        agent("not-a-member", idle_since=50),
    )
    waiting = {"support": [entry("newer", at=5, seq=2), entry("older", at=1, seq=1)]}
    members = {"support": ["fresh", "idle-longest-but-on-call", "idle-long"]}
    plan = plan_offers(waiting, agents, members, NOW)
    assert calls_and_agents(plan) == [("older", "idle-long"), ("newer", "fresh")]


def test_given_equal_idle_time_then_agent_id_breaks_the_tie() -> None:
    agents = by_id(agent("b", 100), agent("a", 100))
    plan = plan_offers({"q": [entry("c", queue="q")]}, agents, {"q": ["b", "a"]}, NOW)
    assert calls_and_agents(plan) == [("c", "a")]


def test_given_agent_in_two_queues_then_they_take_the_longer_waiting_call() -> None:
    agents = by_id(agent("shared", 100))
    waiting = {
        "sales": [entry("sales-call", "sales", at=5, seq=2)],
        "support": [entry("support-call", at=3, seq=1)],
    }
    plan = plan_offers(waiting, agents, {"sales": ["shared"], "support": ["shared"]}, NOW)
    assert calls_and_agents(plan) == [("support-call", "shared")]


def test_given_agent_in_two_queues_then_priority_beats_waiting_time() -> None:
    agents = by_id(agent("shared", 100))
    waiting = {
        "sales": [entry("urgent", "sales", priority=1, at=9, seq=9)],
        "support": [entry("patient", at=1, seq=1)],
    }
    plan = plan_offers(waiting, agents, {"sales": ["shared"], "support": ["shared"]}, NOW)
    assert calls_and_agents(plan) == [("urgent", "shared")]


def test_given_best_agent_taken_by_other_queue_then_next_best_member_serves() -> None:
    agents = by_id(agent("shared", 100), agent("support-only", 500))
    waiting = {
        "sales": [entry("sales-call", "sales", at=1, seq=1)],
        "support": [entry("support-call", at=2, seq=2)],
    }
    members = {"sales": ["shared"], "support": ["shared", "support-only"]}
    plan = plan_offers(waiting, agents, members, NOW)
    assert calls_and_agents(plan) == [("sales-call", "shared"), ("support-call", "support-only")]


def test_given_more_calls_than_agents_then_no_agent_is_offered_twice() -> None:
    agents = by_id(agent("a", 1), agent("b", 2))
    waiting = {
        "sales": [entry(f"s{n}", "sales", at=n, seq=n) for n in range(5)],
        "support": [entry(f"t{n}", at=n + 0.5, seq=10 + n) for n in range(5)],
    }
    plan = plan_offers(waiting, agents, {"sales": ["a", "b"], "support": ["a", "b"]}, NOW)
    assert calls_and_agents(plan) == [("s0", "a"), ("t0", "b")]


def test_given_no_free_member_then_nothing_planned() -> None:
    agents = by_id(agent("busy", 1, AgentState.RESERVED), agent("away", 1, AgentState.ON_BREAK))
    waiting = {"q": [entry("c", "q")], "orphan": [entry("d", "orphan")], "empty": []}
    assert plan_offers(waiting, agents, {"q": ["busy", "away", "unknown-id"], "empty": ["busy"]}, NOW) == []


def test_given_unknown_strategy_then_unknown_name_error() -> None:
    with pytest.raises(UnknownNameError, match="queue q: unknown strategy 'fastest-agent'"):
        plan_offers({"q": [entry("c", "q")]}, by_id(agent("a", 1)), {"q": ["a"]}, NOW, {"q": "fastest-agent"})


def reference_plan(
    waiting: dict[str, list[QueueEntry]], agents: dict[str, Agent], members: dict[str, list[str]]
) -> list[tuple[QueueEntry, str]]:
    """The obvious calls-by-agents version of the same rules, to check the fast one against."""
    everyone = in_order(queued for entries in waiting.values() for queued in entries)
    taken: set[str] = set()
    plan = []
    for queued in everyone:
        free = [
            agents[agent_id]
            for agent_id in members.get(queued.queue, [])
            if agents[agent_id].state is AgentState.AVAILABLE and agent_id not in taken
        ]
        if free:
            best = min(free, key=lambda each: (each.idle_since, each.id))
            taken.add(best.id)
            plan.append((queued, best.id))
    return plan


@pytest.mark.parametrize("seed", range(200))
def test_plan_offers_matches_the_obvious_algorithm(seed: int) -> None:
    rng = random.Random(seed)
    queues = [f"q{n}" for n in range(rng.randint(1, 4))]
    states = [AgentState.AVAILABLE, AgentState.AVAILABLE, AgentState.ON_CALL, AgentState.ON_BREAK]
    agents = by_id(*(agent(f"a{n}", rng.randint(0, 5), rng.choice(states)) for n in range(rng.randint(0, 8))))
    members = {queue: [a for a in agents if rng.random() < 0.5] for queue in queues}
    waiting: dict[str, list[QueueEntry]] = {queue: [] for queue in queues}
    for seq in range(rng.randint(0, 12)):
        queue = rng.choice(queues)
        priority, at = rng.randint(0, 2), rng.randint(0, 5)
        waiting[queue].append(entry(f"c{seq}", queue, priority=priority, at=at, seq=seq))
    assert plan_offers(waiting, agents, members, NOW) == reference_plan(waiting, agents, members)


def test_overdue_includes_the_boundary() -> None:
    waited = {seconds: entry(f"{seconds}", at=NOW - seconds) for seconds in (59, 60, 61)}
    assert overdue(waited.values(), 60, NOW) == [waited[60], waited[61]]


def test_given_no_max_wait_then_nothing_is_overdue() -> None:
    assert overdue([entry("ancient", at=0)], None, NOW) == []
