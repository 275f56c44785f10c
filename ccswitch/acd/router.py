"""The incremental router: ``plan_dispatches``' decisions without looking at every waiting call each time.

Theory of operation
-------------------
After every ``next_offers`` the centre is *settled*: no waiting call has an eligible free agent (otherwise it
would have been dispatched). So only what changed since can make a new match: calls added (or whose next tier
level opened), and agents who became free (or whose reject/busy/no-answer delay ran out). The global greedy of
``plan_dispatches`` restricted to those is a small event loop over a heap of *candidate calls* in global order:

* a new call is a candidate itself;
* a newly free agent proposes the best waiting call they may take;
* popping a candidate gives the call its best eligible free agents (as the strategy ranks them); an agent whose
  proposal went elsewhere proposes their next best call.

Data kept so that each step is cheap, whatever the number of waiting calls:

* waiting calls (contacts of any channel), per queue, in heaps of calls of the same channel that require the
  same skills *and* have the same tier levels open (bucket ``((channel, skills), open level)``), ordered by
  ``queue_key`` (time-invariant even with aging). An agent scans the heads of the buckets of their queues that
  the channels they may be offered now, their skills and their level allow (the requirements each agent meets are
  remembered per queue, as bit masks): O(queues * requirements met * levels) per proposal, whatever the number of
  calls. A call moves to the next bucket when its next level opens (a timer), at most once per tier level.
* free agents, per queue, in a list sorted by (level, strategy key): the key does not change while an agent is
  free, so the best eligible agent is the first in the list that passes the call's channel and skills
  (skills-based and ring-all look at every free member of the queue with an open level). An agent is free when
  their capacity (``ccswitch.acd.capacity``) lets them be offered some channel now; which channels is worked out
  once, when the agent is reported, as channel bits, so each check while matching is an integer AND.
* timers (a heap): tier levels opening for a call, delays after a miss ending for an agent.
* agents the dialler keeps for the people its lines may bring (``keep_for_outbound``): a campaign's person is a
  requirement of its own, so a kept agent proposes only from those buckets and is picked only for such a call; an
  agent no longer kept is settled again, as if newly free.

Removed calls leave stale heap items behind; each waiting call carries a token and a heap item counts only while
its token is current (lazy deletion). The engine owns the truth (agents' FSM records, the store): it reports
every agent record it writes (``update_agent``), every call queued or handed back (``add_call``) and every call
that left the queue (``remove_call``); the dispatched calls and agents leave the router at once.
"""

from __future__ import annotations

import heapq
import itertools
from bisect import bisect_left, bisect_right, insort
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING

from ccswitch.acd.agents import Agent
from ccswitch.acd.capacity import VOICE_ONLY, AgentCapacity, Channel
from ccswitch.acd.queues import (
    Dispatch,
    Member,
    QueueEntry,
    QueueRules,
    Ring,
    SkillLevels,
    as_members,
    has_skills,
    level_opens_at,
    queue_key,
    skill_score,
    strategy_of,
    urgency_key,
)
from ccswitch.errors import UnknownNameError

if TYPE_CHECKING:
    from ccswitch.config.model import Config

_Requirement = tuple[Channel, SkillLevels, bool]  # the channel, the skills of a waiting call, and whether a
# campaign reached it (agents kept for a campaign's lines are offered only these)
_Bucket = tuple[_Requirement, int]  # requirement, highest open tier level
_FreeKey = tuple[int, tuple[float | int | str, ...], str]  # level, strategy key (ends with the id), agent id
_Candidate = tuple[tuple[float, float, int, str], int, str, str | None]  # order, tiebreak, call, proposed by
_CALL, _AGENT = "call", "agent"
# Channels as bits, so that checking one against what an agent may be offered is an integer AND while matching.
_CHANNEL_BIT = {channel: 1 << index for index, channel in enumerate(Channel)}


@dataclass(frozen=True, slots=True)
class _Waiting:
    entry: QueueEntry
    open_level: int
    token: int


class Router:
    """Waiting calls and free agents of every queue; ``next_offers(now)`` says who rings for which call."""

    def __init__(
        self,
        members: Mapping[str, Sequence[Member | str]],
        rules: Mapping[str, QueueRules] | None = None,
        skills: Mapping[str, Mapping[str, int]] | None = None,
        capacity: Mapping[str, AgentCapacity] | None = None,
    ) -> None:
        self._rules = {queue: (rules or {}).get(queue, QueueRules()) for queue in members}
        self._strategies = {queue: strategy_of(queue, rule) for queue, rule in self._rules.items()}
        self._tiers = {queue: {m.agent: m for m in as_members(ms)} for queue, ms in members.items()}
        self._levels = {queue: tuple(sorted({m.level for m in t.values()})) or (1,) for queue, t in self._tiers.items()}
        self._queues_of: dict[str, list[tuple[str, Member]]] = {}
        for queue, tiers in self._tiers.items():
            for member in tiers.values():
                self._queues_of.setdefault(member.agent, []).append((queue, member))
        self._skills = {agent_id: dict(levels) for agent_id, levels in (skills or {}).items()}
        self._capacity = dict(capacity or {})
        self._qualified: dict[tuple[str, SkillLevels], bool] = {}
        # Every requirement seen per queue, numbered as first seen, and as bit masks: queue → skill → required
        # level → the requirements asking that level, and queue → channel → the requirements of that channel, so
        # that what an agent meets is a few big-int ORs.
        self._signatures: dict[str, list[_Requirement]] = {queue: [] for queue in self._rules}
        self._skill_masks: dict[str, dict[str, dict[int, int]]] = {queue: {} for queue in self._rules}
        self._channel_masks: dict[str, dict[int, int]] = {queue: {} for queue in self._rules}  # by channel bit
        self._signatures_of: dict[tuple[str, str], tuple[int, int]] = {}  # (agent, queue) → requirements seen, met
        self._signature_bit: dict[tuple[str, _Requirement], int] = {}
        self._waiting_mask: dict[str, int] = dict.fromkeys(self._rules, 0)  # requirements with calls (maybe stale)
        self._outbound_mask: dict[str, int] = dict.fromkeys(self._rules, 0)  # requirements of campaigns' people
        self._kept: frozenset[str] = frozenset()  # free agents kept for campaigns' lines (``keep_for_outbound``)
        self._agents: dict[str, Agent] = {}
        self._serving: dict[str, list[tuple[str, Member]]] = {}  # agent → the queues they are logged in to now
        self._changed_agents: set[str] = set()
        self._taken: set[str] = set()  # dispatched; free again only after the engine reports them
        self._free: dict[str, list[_FreeKey]] = {queue: [] for queue in self._rules}
        self._free_keys: dict[str, dict[str, _FreeKey]] = {}  # agent → queue → key in that queue's list
        self._offerable: dict[str, int] = {}  # free agent → the channels they may be offered, as channel bits
        self._unplaced: dict[str, QueueEntry] = {}
        self._waiting: dict[str, _Waiting] = {}
        self._buckets: dict[str, dict[_Bucket, list[tuple[tuple[float, float, int, str], int, str]]]] = {
            queue: {} for queue in self._rules
        }
        self._timers: list[tuple[float, int, str, str]] = []  # (when, token, kind, call or agent id)
        self._tokens = itertools.count()
        self._last_offered: dict[str, str] = {}

    @classmethod
    def from_config(cls, config: Config) -> Router:
        members = {
            queue: [
                Member(agent.id, tier.level, tier.position)
                for agent in config.agents.values()
                for tier in agent.tiers
                if tier.queue == queue
            ]
            for queue in config.queues
        }
        rules = {
            name: QueueRules(
                strategy=queue.strategy,
                aging_s=queue.aging_s,
                tier_rules_apply=queue.tier_rules_apply,
                tier_wait_s=queue.tier_wait_s,
                tier_wait_multiply_level=queue.tier_wait_multiply_level,
                ring_progressively_delay_s=queue.ring_progressively_delay_s,
            )
            for name, queue in config.queues.items()
        }
        return cls(members, rules, {agent.id: agent.skills for agent in config.agents.values()},
                   {agent.id: agent.capacity for agent in config.agents.values()})

    # ------------------------------------------------------------------------------------- reports
    def update_agent(self, agent: Agent) -> None:
        """The agent's record changed (any transition, or a fresh read from the store)."""
        if agent.id in self._queues_of:
            self._agents[agent.id] = agent
            self._serving[agent.id] = [(queue, member) for queue, member in self._queues_of[agent.id]
                                       if agent.queues is None or queue in agent.queues]
            self._taken.discard(agent.id)
            self._changed_agents.add(agent.id)

    def add_call(self, entry: QueueEntry) -> None:
        """A call waits (queued, or handed back after a failed offer); replaces an earlier entry of the call."""
        if entry.queue not in self._rules:
            raise UnknownNameError(f"unknown queue {entry.queue!r}")
        self._waiting.pop(entry.call, None)
        self._unplaced[entry.call] = entry

    def keep_for_outbound(self, agent_ids: frozenset[str]) -> None:
        """Offer these agents (free ones the dialler keeps for the people its lines may bring) only the calls of
        people a campaign reached; those no longer kept may take any call again."""
        self._changed_agents |= {agent_id for agent_id in self._kept - agent_ids  # settled while kept: propose again
                                 if agent_id in self._agents}
        self._kept = agent_ids

    @property
    def kept(self) -> frozenset[str]:
        """The agents the dialler last said to keep (``keep_for_outbound``); some may have taken a call since."""
        return self._kept

    def remove_call(self, call: str) -> None:
        """The call left its queue (abandoned, overflowed, or taken back by the engine)."""
        self._waiting.pop(call, None)
        self._unplaced.pop(call, None)

    @property
    def waiting_count(self) -> int:
        return len(self._waiting) + len(self._unplaced)

    @property
    def last_offered(self) -> Mapping[str, str]:
        """Queue → the agent last offered one of its calls (round-robin queues)."""
        return dict(self._last_offered)

    # ------------------------------------------------------------------------------------- decisions
    def next_offers(self, now: float) -> list[Dispatch]:
        """The calls to ring now and for whom, best calls first; they leave the router with their agents."""
        new_calls, new_agents = self._settle(now)
        candidates: list[_Candidate] = []
        for call in new_calls:
            entry = self._waiting[call].entry
            candidates.append((urgency_key(entry, self._rules[entry.queue].aging_s, now), 0, call, None))
        heapq.heapify(candidates)
        for agent_id in new_agents:
            self._propose(agent_id, now, candidates)
        plan: list[Dispatch] = []
        while candidates:
            _, _, call, proposed_by = heapq.heappop(candidates)
            waiting = self._waiting.get(call)
            if waiting is not None:
                chosen = self._pick_agents(waiting)
                if not chosen:
                    continue
                plan.append(self._dispatch(waiting, chosen))
            if proposed_by is not None and proposed_by in self._free_keys:
                self._propose(proposed_by, now, candidates)  # their call went to someone else
        return plan

    # ------------------------------------------------------------------------------------- settling
    def _settle(self, now: float) -> tuple[list[str], list[str]]:
        new_calls: list[str] = []
        while self._timers and self._timers[0][0] <= now:
            _, token, kind, name = heapq.heappop(self._timers)
            if kind == _AGENT:
                self._changed_agents.add(name)
            elif (waiting := self._waiting.get(name)) is not None and waiting.token == token:
                self._place(waiting.entry, now)
                new_calls.append(name)
        for entry in self._unplaced.values():
            self._place(entry, now)
            new_calls.append(entry.call)
        self._unplaced.clear()
        new_agents = [agent_id for agent_id in self._changed_agents if self._settle_agent(agent_id, now)]
        self._changed_agents.clear()
        return new_calls, new_agents

    def _place(self, entry: QueueEntry, now: float) -> None:
        """Put the call in the bucket of its skills and open tier levels; set a timer for the next level."""
        rules, levels = self._rules[entry.queue], self._levels[entry.queue]
        opens_at = [level_opens_at(entry, level, rules, levels[0]) for level in levels]
        open_count = sum(1 for when in opens_at if now >= when)  # open levels are a prefix: waits grow by level
        token = next(self._tokens)
        self._waiting[entry.call] = _Waiting(entry, levels[open_count - 1], token)
        buckets, requirement = self._buckets[entry.queue], (entry.channel, entry.skills, entry.outbound)
        if (requirement, levels[-1]) not in buckets:
            self._new_signature(entry.queue, requirement)
            buckets.update({(requirement, level): [] for level in levels})  # kept when empty
        heap = buckets[(requirement, levels[open_count - 1])]
        self._waiting_mask[entry.queue] |= self._signature_bit[(entry.queue, requirement)]
        heapq.heappush(heap, (queue_key(entry, rules.aging_s), token, entry.call))
        if open_count < len(levels):
            heapq.heappush(self._timers, (opens_at[open_count], token, _CALL, entry.call))

    def _settle_agent(self, agent_id: str, now: float) -> bool:
        """Re-file the agent's free-list entries; True if they are free now."""
        self._drop_free(agent_id)
        agent = self._agents[agent_id]
        if agent_id in self._taken:
            return False
        capacity = self._capacity.get(agent_id, VOICE_ONLY)
        offerable = agent.offerable(capacity, now)
        if offerable:
            self._offerable[agent_id] = sum(_CHANNEL_BIT[channel] for channel in offerable)
            keys = self._free_keys[agent_id] = {}
            for queue, member in self._serving[agent_id]:
                keys[queue] = (member.level, self._strategies[queue].agent_key(agent, member), agent_id)
                insort(self._free[queue], keys[queue])
            return True
        if agent.not_before > now and agent.offerable(capacity, agent.not_before):
            heapq.heappush(self._timers, (agent.not_before, next(self._tokens), _AGENT, agent_id))
        return False

    def _drop_free(self, agent_id: str) -> None:
        self._offerable.pop(agent_id, None)
        for queue, key in self._free_keys.pop(agent_id, {}).items():
            free = self._free[queue]
            del free[bisect_left(free, key)]

    # ------------------------------------------------------------------------------------- matching
    def _qualifies(self, agent_id: str, required: SkillLevels) -> bool:
        known = self._qualified.get((agent_id, required))
        if known is None:
            known = self._qualified[(agent_id, required)] = has_skills(self._skills.get(agent_id, {}), required)
        return known

    def _propose(self, agent_id: str, now: float, candidates: list[_Candidate]) -> None:
        """Add the best waiting call the free agent may take to the candidates."""
        best: tuple[tuple[float, float, int, str], str] | None = None
        offerable = self._offerable[agent_id]
        for queue, member in self._serving[agent_id]:
            aging_s, levels = self._rules[queue].aging_s, self._levels[queue]
            buckets, signatures = self._buckets[queue], self._signatures[queue]
            of_channels = 0
            for channel_bit, requirements in self._channel_masks[queue].items():
                if offerable & channel_bit:
                    of_channels |= requirements
            mask = self._signatures_met(agent_id, queue) & self._waiting_mask[queue] & of_channels
            if agent_id in self._kept:
                mask &= self._outbound_mask[queue]
            while mask:
                lowest = mask & -mask
                mask ^= lowest
                required = signatures[lowest.bit_length() - 1]
                heads = [self._head(buckets[(required, level)]) for level in levels]
                if not any(heads):
                    self._waiting_mask[queue] &= ~lowest
                for level, head in zip(levels, heads, strict=True):
                    if head is None or level < member.level:
                        continue
                    key = urgency_key(head.entry, aging_s, now)
                    if best is None or key < best[0]:
                        best = (key, head.entry.call)
        if best is not None:
            heapq.heappush(candidates, (best[0], next(self._tokens), best[1], agent_id))

    def _new_signature(self, queue: str, required: _Requirement) -> None:
        bit = 1 << len(self._signatures[queue])
        self._signatures[queue].append(required)
        self._signature_bit[(queue, required)] = bit
        channel, skills, outbound = required
        if outbound:
            self._outbound_mask[queue] |= bit
        channel_bit = _CHANNEL_BIT[channel]
        self._channel_masks[queue][channel_bit] = self._channel_masks[queue].get(channel_bit, 0) | bit
        for name, level in skills:
            by_level = self._skill_masks[queue].setdefault(name, {})
            by_level[level] = by_level.get(level, 0) | bit

    def _signatures_met(self, agent_id: str, queue: str) -> int:
        """The requirements seen in ``queue`` whose skills the agent has, as a bit mask (recomputed only when new
        requirements appear)."""
        seen = len(self._signatures[queue])
        known = self._signatures_of.get((agent_id, queue))
        if known is not None and known[0] == seen:
            return known[1]
        skills = self._skills.get(agent_id, {})
        unmet = 0
        for name, by_level in self._skill_masks[queue].items():
            have = skills.get(name, 0)
            for level, mask in by_level.items():
                if level > have:
                    unmet |= mask
        met = ((1 << seen) - 1) & ~unmet
        self._signatures_of[(agent_id, queue)] = (seen, met)
        return met

    def _head(self, heap: list[tuple[tuple[float, float, int, str], int, str]]) -> _Waiting | None:
        while heap:
            _, token, call = heap[0]
            waiting = self._waiting.get(call)
            if waiting is not None and waiting.token == token:
                return waiting
            heapq.heappop(heap)
        return None

    def _pick_agents(self, waiting: _Waiting) -> tuple[str, ...]:
        """The call's best eligible free agents: one, or all of them for ring-all / ring-progressively."""
        entry, queue = waiting.entry, waiting.entry.queue
        strategy, channel_bit = self._strategies[queue], _CHANNEL_BIT[entry.channel]
        eligible = (
            key
            for key in self._in_rank_order(queue, waiting.open_level)
            if key[0] <= waiting.open_level and self._qualifies(key[2], entry.skills)
            and self._offerable[key[2]] & channel_bit and (entry.outbound or key[2] not in self._kept)
        )
        if strategy.ring is not Ring.ONE:
            return tuple(dict.fromkeys(key[2] for key in eligible))
        if strategy.by_skill:
            best = min(
                ((level, -skill_score(self._skills.get(agent_id, {}), entry.skills), key, agent_id)
                 for level, key, agent_id in eligible),
                default=None,
            )
            return () if best is None else (best[3],)
        first = next(eligible, None)
        return () if first is None else (first[2],)

    def _in_rank_order(self, queue: str, open_level: int) -> Iterator[_FreeKey]:
        free = self._free[queue]
        in_open_levels = itertools.takewhile(lambda key: key[0] <= open_level, free)
        last = self._tiers[queue].get(self._last_offered.get(queue, ""))
        if not self._strategies[queue].rotates or last is None:
            return in_open_levels
        # Round-robin: the last offered agent's level after their position, then everyone (as rank_order).
        start = bisect_right(free, (last.level, (last.position, last.agent), last.agent))
        after_last = itertools.takewhile(lambda key: key[0] == last.level, itertools.islice(free, start, None))
        return itertools.chain(after_last, in_open_levels)

    def _dispatch(self, waiting: _Waiting, chosen: tuple[str, ...]) -> Dispatch:
        entry = waiting.entry
        del self._waiting[entry.call]
        for agent_id in chosen:
            self._drop_free(agent_id)
            self._taken.add(agent_id)
        strategy, rules = self._strategies[entry.queue], self._rules[entry.queue]
        if strategy.rotates:
            self._last_offered[entry.queue] = chosen[0]
        stagger = rules.ring_progressively_delay_s if strategy.ring is Ring.PROGRESSIVELY else 0.0
        return Dispatch(entry, chosen, stagger)
