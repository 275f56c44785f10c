"""Each strategy, tiers, aging, skills and VIPs with hand-computed cases; every case is decided by both the
reference planner and the incremental Router, which must agree."""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import pytest

from ccswitch.acd import (
    Agent,
    AgentState,
    Dispatch,
    Member,
    QueueEntry,
    QueueRules,
    Router,
    caller_priority,
    plan_dispatches,
    skill_levels,
)

NOW = 10_000.0


def entry(call: str, at: float = 0.0, priority: int = 0, queue: str = "q", **skills: int) -> QueueEntry:
    return QueueEntry(call=call, queue=queue, priority=priority, enqueued_at=at, seq=int(at * 10), skills=skills)


def agent(agent_id: str, idle_since: float = 0.0, **changes: object) -> Agent:
    base = Agent(id=agent_id, state=AgentState.AVAILABLE, since=idle_since, idle_since=idle_since)
    return Agent(**{**{f: getattr(base, f) for f in base.__slots__}, **changes})  # type: ignore[arg-type]


def decide(
    calls: Sequence[QueueEntry],
    agents: Sequence[Agent],
    members: Mapping[str, Sequence[Member | str]],
    rules: Mapping[str, QueueRules] | None = None,
    skills: Mapping[str, Mapping[str, int]] | None = None,
    last_offered: Mapping[str, str] | None = None,
    now: float = NOW,
) -> list[tuple[str, tuple[str, ...]]]:
    """(call, agents) as both planners decide it."""
    waiting: dict[str, list[QueueEntry]] = {queue: [] for queue in members}
    for call in calls:
        waiting[call.queue].append(call)
    by_id = {each.id: each for each in agents}
    reference, pointers = plan_dispatches(waiting, by_id, members, now, rules, skills, last_offered)
    router = Router(members, rules, skills)
    router._last_offered.update(last_offered or {})
    for each in agents:
        router.update_agent(each)
    for call in calls:
        router.add_call(call)
    fast = router.next_offers(now)
    assert fast == reference
    assert router.last_offered == pointers
    return summary(reference)


def summary(plan: list[Dispatch]) -> list[tuple[str, tuple[str, ...]]]:
    return [(dispatch.entry.call, dispatch.agents) for dispatch in plan]


def rules(strategy: str, **changes: object) -> dict[str, QueueRules]:
    return {"q": QueueRules(strategy=strategy, **changes)}  # type: ignore[arg-type]


FOUR = [Member("a", 1, 3), Member("b", 1, 1), Member("c", 1, 2), Member("d", 1, 4)]


def test_longest_idle_agent() -> None:
    agents = [agent("a", 30), agent("b", 10), agent("c", 20), agent("d", 5, state=AgentState.ON_CALL)]
    assert decide([entry("x")], agents, {"q": FOUR}) == [("x", ("b",))]


def test_top_down_follows_positions_not_idle_time() -> None:
    agents = [agent("a", 1), agent("b", 50), agent("c", 2)]
    assert decide([entry("x"), entry("y", 1)], agents, {"q": FOUR}, rules("top-down")) == [
        ("x", ("b",)),
        ("y", ("c",)),
    ]


def test_round_robin_starts_after_the_last_offered_position_and_wraps() -> None:
    agents = [agent(name) for name in "abcd"]  # positions: b1 c2 a3 d4
    members = {"q": FOUR}
    three = [entry("x"), entry("y", 1), entry("z", 2)]
    assert decide(three, agents, members, rules("round-robin"), last_offered={"q": "c"}) == [
        ("x", ("a",)),
        ("y", ("d",)),
        ("z", ("b",)),
    ]


def test_round_robin_without_history_starts_at_the_top() -> None:
    agents = [agent(name) for name in "acd"]
    assert decide([entry("x")], agents, {"q": FOUR}, rules("round-robin")) == [("x", ("c",))]


def test_fewest_calls_then_idle_time() -> None:
    agents = [agent("a", 1, calls_handled=4), agent("b", 9, calls_handled=2), agent("c", 3, calls_handled=2)]
    assert decide([entry("x")], agents, {"q": FOUR}, rules("fewest-calls")) == [("x", ("c",))]


def test_least_talk_time() -> None:
    agents = [agent("a", 1, talk_time_s=600.0), agent("b", 9, talk_time_s=120.0), agent("c", 3, talk_time_s=300.0)]
    assert decide([entry("x")], agents, {"q": FOUR}, rules("least-talk-time")) == [("x", ("b",))]


def test_random_is_deterministic_for_the_same_idle_moments_and_varies_with_them() -> None:
    winners = set()
    for shift in range(20):
        agents = [agent(name, idle_since=shift) for name in "abcd"]
        first = decide([entry("x")], agents, {"q": FOUR}, rules("random"))
        assert decide([entry("x")], agents, {"q": FOUR}, rules("random")) == first
        winners.add(first[0][1])
    assert len(winners) > 1


def test_ring_all_rings_every_eligible_agent_of_the_queue_at_once() -> None:
    agents = [agent("a"), agent("b"), agent("c", state=AgentState.ON_BREAK), agent("d")]
    plan = decide([entry("x"), entry("y", 1)], agents, {"q": FOUR}, rules("ring-all"))
    assert plan == [("x", ("b", "a", "d"))]  # by position; y waits for the next free agent


def test_ring_progressively_staggers_legs() -> None:
    members = {"q": FOUR}
    waiting = {"q": [entry("x")]}
    by_id = {name: agent(name) for name in "abd"}
    plan, _ = plan_dispatches(waiting, by_id, members, NOW, rules("ring-progressively", ring_progressively_delay_s=7))
    assert plan == [Dispatch(entry("x"), ("b", "a", "d"), stagger_s=7)]


def test_skills_filter_applies_to_every_strategy() -> None:
    skills = {"a": {"english": 2}, "b": {"english": 5}, "c": {"german": 5}}
    agents = [agent("a", 1), agent("b", 2), agent("c", 0)]
    calls = [entry("x", english=3), entry("y", 1, german=1), entry("z", 2, english=1, german=1)]
    assert decide(calls, agents, {"q": FOUR}, skills=skills) == [("x", ("b",)), ("y", ("c",))]


def test_skills_based_picks_the_best_skilled_then_the_longest_idle() -> None:
    skills = {"a": {"english": 3, "billing": 3}, "b": {"english": 5, "billing": 1}, "c": {"english": 2, "billing": 4}}
    agents = [agent("a", 20), agent("b", 10), agent("c", 30)]
    calls = [entry("x", english=2, billing=1)]
    assert decide(calls, agents, {"q": FOUR}, rules("skills-based"), skills) == [("x", ("b",))]  # 6, 6, 6: idle


def test_skills_based_prefers_higher_total_level() -> None:
    skills = {"a": {"english": 3}, "b": {"english": 5}}
    agents = [agent("a", 1), agent("b", 99)]
    assert decide([entry("x", english=1)], agents, {"q": FOUR}, rules("skills-based"), skills) == [("x", ("b",))]


TIERED = {"q": [Member("gold", 1, 1), Member("silver", 2, 1), Member("bronze", 3, 1)]}


@pytest.mark.parametrize(
    ("waited", "multiply", "expected"),
    [
        (0, False, ()),
        (29, False, ()),
        (30, False, ("silver",)),  # every higher level after tier_wait_s; the lower one first
        (30, True, ()),
        (60, True, ("silver",)),  # level 2 after 2 x 30 s
        (89, True, ("silver",)),
        (90, True, ("silver",)),
    ],
)
def test_tier_levels_open_after_the_wait(waited: float, multiply: bool, expected: tuple[str, ...]) -> None:
    agents = [agent("gold", state=AgentState.ON_CALL), agent("silver"), agent("bronze")]
    tier_rules = rules("longest-idle-agent", tier_rules_apply=True, tier_wait_s=30, tier_wait_multiply_level=multiply)
    plan = decide([entry("x", at=NOW - waited)], agents, TIERED, tier_rules)
    assert plan == ([("x", expected)] if expected else [])


def test_third_level_after_three_waits_when_multiplied() -> None:
    agents = [agent("gold", state=AgentState.ON_CALL), agent("silver", state=AgentState.ON_CALL), agent("bronze")]
    tier_rules = rules("top-down", tier_rules_apply=True, tier_wait_s=30, tier_wait_multiply_level=True)
    assert decide([entry("x", at=NOW - 89)], agents, TIERED, tier_rules) == []
    assert decide([entry("x", at=NOW - 90)], agents, TIERED, tier_rules) == [("x", ("bronze",))]


def test_without_tier_rules_a_lower_level_still_comes_first() -> None:
    agents = [agent("gold", idle_since=500), agent("silver", idle_since=1)]
    assert decide([entry("x", at=NOW)], agents, TIERED) == [("x", ("gold",))]


def test_priority_beats_arrival_without_aging() -> None:
    calls = [entry("old", at=0), entry("vip", at=NOW - 1, priority=1)]
    assert decide(calls, [agent("a")], {"q": ["a"]}) == [("vip", ("a",))]


@pytest.mark.parametrize(("old_waited", "winner"), [(59, "vip"), (61, "old")])
def test_aging_lets_an_old_call_overtake_a_new_vip(old_waited: float, winner: str) -> None:
    # Urgency = priority + waited / 60: the VIP (priority 1) waited 0 s.
    calls = [entry("old", at=NOW - old_waited), entry("vip", at=NOW, priority=1)]
    assert decide(calls, [agent("a")], {"q": ["a"]}, rules("longest-idle-agent", aging_s=60)) == [(winner, ("a",))]


def test_across_queues_urgency_is_compared_at_now() -> None:
    calls = [entry("aged", at=NOW - 300, queue="slow"), entry("strict", at=NOW - 1000, priority=3, queue="fast")]
    members = {"slow": ["a"], "fast": ["a"]}
    aging = {"slow": QueueRules(aging_s=60), "fast": QueueRules()}
    assert decide(calls, [agent("a")], members, aging) == [("aged", ("a",))]  # 0 + 5 beats 3


def test_agents_delayed_or_on_a_direct_call_are_skipped() -> None:
    agents = [agent("a", 1, not_before=NOW + 1), agent("b", 2, direct_calls=1), agent("c", 3)]
    assert decide([entry("x")], agents, {"q": ["a", "b", "c"]}) == [("x", ("c",))]
    assert decide([entry("x")], agents, {"q": ["a", "b", "c"]}, now=NOW + 1) == [("x", ("a",))]


def test_vip_callers_get_the_queue_vip_priority() -> None:
    assert caller_priority(0, "+79161234567", {"+79161234567"}, 10) == 10
    assert caller_priority(20, "+79161234567", {"+79161234567"}, 10) == 20
    assert caller_priority(0, "5550100", {"+79161234567"}, 10) == 0


def test_entry_skills_are_normalised_and_survive_a_json_round_trip() -> None:
    made = entry("x", english=3, billing=1)
    assert made.skills == (("billing", 1), ("english", 3))
    from_json = QueueEntry("x", "q", 0, 0.0, 0, skills=[["english", 3], ["billing", 1]])  # type: ignore[arg-type]
    assert from_json == made
    assert skill_levels({"b": 1, "a": 2}) == (("a", 2), ("b", 1))
