"""Waiting calls, their order, and which free agent gets which call now (pure: no I/O, time is an argument).

A queue is ordered by priority (higher first), then arrival time, then arrival sequence number (ties from
one clock tick). A call handed back after an agent's no-answer keeps its ``enqueued_at`` and ``seq``, so it
returns to its original place. Who gets a call is a queue's *strategy*: a function ranking the free member
agents, best first, looked up by name in ``STRATEGIES``.
"""

from __future__ import annotations

import heapq
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass

from ccswitch.acd.agents import Agent, AgentState
from ccswitch.errors import UnknownNameError


@dataclass(frozen=True, slots=True)
class QueueEntry:
    call: str
    queue: str
    priority: int
    enqueued_at: float
    seq: int
    caller_number: str = ""
    caller_name: str = ""
    attempts: int = 0


def order_key(entry: QueueEntry) -> tuple[int, float, int]:
    return (-entry.priority, entry.enqueued_at, entry.seq)


def in_order(entries: Iterable[QueueEntry]) -> list[QueueEntry]:
    return sorted(entries, key=order_key)


def overdue(entries: Iterable[QueueEntry], max_wait_s: float | None, now: float) -> list[QueueEntry]:
    """Entries that have waited ``max_wait_s`` or longer (``None``: no limit); the engine overflows them."""
    if max_wait_s is None:
        return []
    return [entry for entry in entries if now - entry.enqueued_at >= max_wait_s]


RankAgents = Callable[[Sequence[Agent], float], list[Agent]]
"""A strategy: the free agents of one queue, best first, given ``now``."""


def _longest_idle_first(candidates: Sequence[Agent], _now: float) -> list[Agent]:
    return sorted(candidates, key=lambda agent: (agent.idle_since, agent.id))


LONGEST_IDLE_AGENT = "longest-idle-agent"
STRATEGIES: Mapping[str, RankAgents] = {LONGEST_IDLE_AGENT: _longest_idle_first}


def plan_offers(
    waiting: Mapping[str, Sequence[QueueEntry]],
    agents: Mapping[str, Agent],
    members: Mapping[str, Sequence[str]],
    now: float,
    strategies: Mapping[str, str] | None = None,
) -> list[tuple[QueueEntry, str]]:
    """Which waiting call to offer to which AVAILABLE agent now, best calls first.

    ``waiting`` maps queue → entries not yet being offered; ``members`` maps queue → agent ids; ``strategies``
    maps queue → strategy name (default longest-idle-agent). Calls are served in one global order (priority,
    then wait) across queues, each taking its queue's best agent not already taken: an agent in two queues
    thus gets the better of their calls, and no agent appears twice.

    Cost, for C waiting calls, Q queues, M memberships and P planned offers: ranking candidates O(M log M);
    per queue only the first k calls can be served (k = its free agents), picked in O(C log k); then a heap
    of queue heads, O((P + Q) log Q), with each queue's ranked agents consumed once: no calls-by-agents scan.
    """
    strategy_of = strategies or {}
    free_agents: dict[str, Iterator[Agent]] = {}
    next_calls: dict[str, Iterator[QueueEntry]] = {}
    heads: list[tuple[tuple[int, float, int], str, QueueEntry]] = []
    for queue, entries in waiting.items():
        candidates = [
            agents[agent_id]
            for agent_id in members.get(queue, ())
            if agent_id in agents and agents[agent_id].state is AgentState.AVAILABLE
        ]
        if not entries or not candidates:
            continue
        strategy = strategy_of.get(queue, LONGEST_IDLE_AGENT)
        rank = STRATEGIES.get(strategy)
        if rank is None:
            known = ", ".join(sorted(STRATEGIES))
            raise UnknownNameError(f"queue {queue}: unknown strategy {strategy!r} (known: {known})")
        free_agents[queue] = iter(rank(candidates, now))
        calls = iter(heapq.nsmallest(len(candidates), entries, key=order_key))
        next_calls[queue] = calls
        first = next(calls)
        heads.append((order_key(first), queue, first))
    heapq.heapify(heads)

    taken: set[str] = set()
    plan: list[tuple[QueueEntry, str]] = []
    while heads:
        _, queue, entry = heapq.heappop(heads)
        # Agents skipped here were taken by a better call of another queue; they stay taken, so consuming
        # them from this queue's iterator is safe and keeps the whole pass linear in memberships.
        agent = next((agent for agent in free_agents[queue] if agent.id not in taken), None)
        if agent is None:
            continue  # no free agent left for this queue: its remaining calls wait
        taken.add(agent.id)
        plan.append((entry, agent.id))
        following = next(next_calls[queue], None)
        if following is not None:
            heapq.heappush(heads, (order_key(following), queue, following))
    return plan
