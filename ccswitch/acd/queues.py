"""Waiting calls, their order, and which free agents get which call now (pure: no I/O, time is an argument).

Order of calls
--------------
Within a queue, calls are served by priority (higher first), then arrival time, then arrival sequence number
(ties from one clock tick). A call handed back after an agent's no-answer keeps its ``enqueued_at`` and ``seq``,
so it returns to its original place. With ``aging_s`` set, a queue serves by *urgency* instead:
``priority + waited / aging_s`` (one priority point per ``aging_s`` seconds waited), so an old low-priority call
is not starved by a stream of VIPs. Urgency grows at the same rate for every call of a queue, so their order
never changes with time: ``enqueued_at - priority * aging_s`` is a time-invariant key (``queue_key``), which is
what lets ``ccswitch.acd.router`` keep calls in heaps. Across queues calls compare by urgency at ``now``
(``urgency_key``).

Who may take a call
-------------------
A waiting entry is a contact of some channel (``QueueEntry.channel``; a call unless it says). An agent may take
it when routing may offer them that channel now (``Agent.offerable``: logged in, not on a break, not delayed
after a miss, and their capacity, ``ccswitch.acd.capacity``, leaves room for it beside the contacts they hold:
with the default voice-only capacity, available and not on a direct call), belong to the call's queue, have
every skill the call requires at its level or above, and their tier level is open for the call. Tiers follow
mod_callcenter's tier rules (mod_callcenter.c ``agents_callback``): with ``tier_rules_apply``, an agent of
level L gets a call only after it has waited ``tier_wait_s`` (times L with ``tier_wait_multiply_level``); the
queue's lowest configured level is open at once (mod_callcenter's default ``tier-rule-no-agent-no-wait``,
decided on the configured levels rather than on who is logged in). Without tier rules every level is open, and
a lower level still comes first.

Who gets it: the queue's *strategy* (``STRATEGIES``) ranks eligible agents after their level, best first.
ring-all and ring-progressively hand the call to every eligible agent at once (``Dispatch.agents``);
ring-progressively asks the engine to start each next leg ``stagger_s`` later.

``plan_dispatches`` is the plain reference: every waiting call in one global order, each taking its best
eligible agents not yet taken. ``ccswitch.acd.router.Router`` makes the same decisions incrementally.
"""

from __future__ import annotations

import enum
import math
import zlib
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass

from ccswitch.acd.agents import Agent
from ccswitch.acd.capacity import VOICE_ONLY, AgentCapacity, Channel
from ccswitch.errors import UnknownNameError

SkillLevels = tuple[tuple[str, int], ...]
"""Skills as sorted (name, level) pairs: hashable, so calls that require the same skills share a bucket."""


def skill_levels(skills: Mapping[str, int] | Iterable[Sequence[str | int]]) -> SkillLevels:
    """``{"english": 3}`` or pairs (also the lists a JSON round trip makes of them) → ``SkillLevels``."""
    pairs = skills.items() if isinstance(skills, Mapping) else skills
    return tuple(sorted((str(name), int(level)) for name, level in pairs))


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
    skills: SkillLevels = ()  # required minimum levels
    callback: str = ""  # the number to call back: the caller hung up and keeps this place
    channel: Channel = Channel.VOICE  # a queue entry is a contact of any channel ("call" is its id)
    owner: str = ""  # a text contact's: the controller that routes it ("" without an id); a call's: its node's
    outbound: bool = False  # a person a campaign reached: agents kept for the campaign's lines take only these

    def __post_init__(self) -> None:
        object.__setattr__(self, "skills", skill_levels(self.skills))
        object.__setattr__(self, "channel", Channel(self.channel))  # a JSON round trip brings the name


def order_key(entry: QueueEntry) -> tuple[int, float, int]:
    """Priority, then arrival: a queue's order without aging."""
    return (-entry.priority, entry.enqueued_at, entry.seq)


def in_order(entries: Iterable[QueueEntry]) -> list[QueueEntry]:
    return sorted(entries, key=order_key)


def queue_key(entry: QueueEntry, aging_s: float | None) -> tuple[float, float, int, str]:
    """Time-invariant order within one queue, smallest first (see the module docstring)."""
    first = entry.enqueued_at - entry.priority * aging_s if aging_s else -entry.priority
    return (first, entry.enqueued_at, entry.seq, entry.call)


def urgency_key(entry: QueueEntry, aging_s: float | None, now: float) -> tuple[float, float, int, str]:
    """Order across queues at ``now``, smallest first: most urgent, then earliest, then first numbered."""
    urgency = (now - queue_key(entry, aging_s)[0]) / aging_s if aging_s else entry.priority
    return (-urgency, entry.enqueued_at, entry.seq, entry.call)


def overdue(entries: Iterable[QueueEntry], max_wait_s: float | None, now: float) -> list[QueueEntry]:
    """Entries that have waited ``max_wait_s`` or longer (``None``: no limit); the engine overflows them."""
    if max_wait_s is None:
        return []
    return [entry for entry in entries if now - entry.enqueued_at >= max_wait_s]


def caller_priority(step_priority: int, caller_number: str, vip_numbers: Iterable[str], vip_priority: int) -> int:
    """A VIP caller's priority is at least the queue's ``vip_priority``; others keep the dialplan/IVR's."""
    return max(step_priority, vip_priority) if caller_number in vip_numbers else step_priority


# ----------------------------------------------------------------------------------------------- members


@dataclass(frozen=True, slots=True)
class Member:
    """An agent's place in a queue (mod_callcenter's tier): lower ``level`` first, ``position`` within it."""

    agent: str
    level: int = 1
    position: int = 1


def as_members(members: Sequence[Member | str]) -> tuple[Member, ...]:
    """Bare agent ids become level 1, positioned in list order."""
    return tuple(m if isinstance(m, Member) else Member(m, 1, index + 1) for index, m in enumerate(members))


def has_skills(agent_skills: Mapping[str, int], required: SkillLevels) -> bool:
    return all(agent_skills.get(name, 0) >= level for name, level in required)


def skill_score(agent_skills: Mapping[str, int], required: SkillLevels) -> int:
    """How well an agent covers a call's skills: the sum of their levels in them."""
    return sum(agent_skills.get(name, 0) for name, _ in required)


# ----------------------------------------------------------------------------------------------- rules


class Ring(enum.Enum):
    ONE = "one"
    ALL = "all"
    PROGRESSIVELY = "progressively"


AgentKey = Callable[[Agent, Member], tuple[float | int | str, ...]]
"""A free agent's rank within their level, smallest first; ends with the agent id so it is unique, and does
not change while the agent stays free."""


def _lottery(agent: Agent) -> int:
    # Deterministic but unpredictable: a new draw each time the agent becomes idle.
    return zlib.crc32(f"{agent.id}@{agent.idle_since!r}".encode())


@dataclass(frozen=True, slots=True)
class Strategy:
    name: str
    agent_key: AgentKey
    ring: Ring = Ring.ONE
    by_skill: bool = False  # the best-skilled agent first; agent_key breaks ties
    rotates: bool = False  # start after the agent last offered a call of this queue (round-robin)


def _by_idle(agent: Agent, _member: Member) -> tuple[float | str, ...]:
    return (agent.idle_since, agent.id)


def _by_position(agent: Agent, member: Member) -> tuple[int | str, ...]:
    return (member.position, agent.id)


LONGEST_IDLE_AGENT = "longest-idle-agent"
_STRATEGY_LIST = (
    Strategy(LONGEST_IDLE_AGENT, _by_idle),
    Strategy("round-robin", _by_position, rotates=True),
    Strategy("top-down", _by_position),
    Strategy("fewest-calls", lambda agent, _m: (agent.calls_handled, agent.idle_since, agent.id)),
    Strategy("least-talk-time", lambda agent, _m: (agent.talk_time_s, agent.idle_since, agent.id)),
    Strategy("random", lambda agent, _m: (_lottery(agent), agent.id)),
    Strategy("ring-all", _by_position, ring=Ring.ALL),
    Strategy("ring-progressively", _by_position, ring=Ring.PROGRESSIVELY),
    Strategy("skills-based", _by_idle, by_skill=True),
)
STRATEGIES: Mapping[str, Strategy] = {strategy.name: strategy for strategy in _STRATEGY_LIST}


@dataclass(frozen=True, slots=True)
class QueueRules:
    """What routing needs to know about one queue (from ``QueueConfig``)."""

    strategy: str = LONGEST_IDLE_AGENT
    aging_s: float | None = None  # None: strict priority
    tier_rules_apply: bool = False
    tier_wait_s: float = 0.0
    tier_wait_multiply_level: bool = False
    ring_progressively_delay_s: float = 10.0


def strategy_of(queue: str, rules: QueueRules) -> Strategy:
    strategy = STRATEGIES.get(rules.strategy)
    if strategy is None:
        known = ", ".join(sorted(STRATEGIES))
        raise UnknownNameError(f"queue {queue}: unknown strategy {rules.strategy!r} (known: {known})")
    return strategy


def level_opens_at(entry: QueueEntry, level: int, rules: QueueRules, lowest_level: int) -> float:
    """When agents of ``level`` may get ``entry`` (``-inf``: at once)."""
    if not rules.tier_rules_apply or level <= lowest_level:
        return -math.inf
    return entry.enqueued_at + rules.tier_wait_s * (level if rules.tier_wait_multiply_level else 1)


@dataclass(frozen=True, slots=True)
class Dispatch:
    """Ring ``agents`` for ``entry``: one agent, or several in parallel (ring-all), the i-th leg starting
    ``i * stagger_s`` seconds after the first (ring-progressively)."""

    entry: QueueEntry
    agents: tuple[str, ...]
    stagger_s: float = 0.0


def rank_order(
    strategy: Strategy,
    candidates: Iterable[tuple[Member, Agent]],
    entry: QueueEntry,
    skills: Mapping[str, Mapping[str, int]],
    last_offered: Member | None,
) -> list[str]:
    """Eligible agents of one queue, best first, as ``strategy`` ranks them for ``entry``."""

    def key(candidate: tuple[Member, Agent]) -> tuple[float | int | str, ...]:
        member, agent = candidate
        score = skill_score(skills.get(agent.id, {}), entry.skills) if strategy.by_skill else 0
        return (member.level, -score, *strategy.agent_key(agent, member))

    ranked = sorted(candidates, key=key)
    if strategy.rotates and last_offered is not None:
        # mod_callcenter's round-robin: the same level after the last offered position, then everyone.
        last = last_offered
        ranked = [
            c for c in ranked if c[0].level == last.level and (c[0].position, c[0].agent) > (last.position, last.agent)
        ] + ranked
    return list(dict.fromkeys(agent.id for _, agent in ranked))


def plan_dispatches(
    waiting: Mapping[str, Sequence[QueueEntry]],
    agents: Mapping[str, Agent],
    members: Mapping[str, Sequence[Member | str]],
    now: float,
    rules: Mapping[str, QueueRules] | None = None,
    skills: Mapping[str, Mapping[str, int]] | None = None,
    last_offered: Mapping[str, str] | None = None,
    capacity: Mapping[str, AgentCapacity] | None = None,
) -> tuple[list[Dispatch], dict[str, str]]:
    """Which waiting calls go to which agents now, best calls first, and the queues' round-robin pointers after.

    The reference planner: every waiting call of a queue with someone free, in one global order
    (``urgency_key``), takes the best eligible agents no better call took. An agent in two queues thus gets the
    better of their calls, and no agent appears twice. ``last_offered`` maps queue → the agent last offered one
    of its calls (round-robin's pointer); ``capacity`` maps agent → their capacity (default ``VOICE_ONLY``). An
    agent gets one contact per plan: what is left of their capacity is known again once it is reserved. Cost:
    O(C log C + C * M) for C calls of staffed queues and M memberships; ``Router`` is the fast equivalent.
    """
    rules_of = rules or {}
    skills_of = skills or {}
    pointers = dict(last_offered or {})
    capacity_of = capacity or {}
    offerable = {agent_id: agent.offerable(capacity_of.get(agent_id, VOICE_ONLY), now)
                 for agent_id, agent in agents.items()}
    free = {agent_id for agent_id, channels in offerable.items() if channels}
    tiers = {queue: as_members(members.get(queue, ())) for queue in waiting}
    staffed = [queue for queue in waiting if any(m.agent in free for m in tiers[queue])]
    queue_rules = {queue: rules_of.get(queue, QueueRules()) for queue in staffed}
    calls = sorted(
        (entry for queue in staffed for entry in waiting[queue]),
        key=lambda entry: urgency_key(entry, queue_rules[entry.queue].aging_s, now),
    )
    plan: list[Dispatch] = []
    for entry in calls:
        queue, queue_tiers = entry.queue, tiers[entry.queue]
        rule = queue_rules[queue]
        strategy = strategy_of(queue, rule)
        lowest = min(m.level for m in queue_tiers)
        candidates = [
            (member, agents[member.agent])
            for member in queue_tiers
            if member.agent in free
            and entry.channel in offerable[member.agent]
            and agents[member.agent].serves(entry.queue)
            and has_skills(skills_of.get(member.agent, {}), entry.skills)
            and now >= level_opens_at(entry, member.level, rule, lowest)
        ]
        if not candidates:
            continue
        pointer = next((m for m in queue_tiers if m.agent == pointers.get(queue)), None)
        ranked = rank_order(strategy, candidates, entry, skills_of, pointer)
        chosen = tuple(ranked) if strategy.ring is not Ring.ONE else (ranked[0],)
        free.difference_update(chosen)
        if strategy.rotates:
            pointers[queue] = chosen[0]
        stagger = rule.ring_progressively_delay_s if strategy.ring is Ring.PROGRESSIVELY else 0.0
        plan.append(Dispatch(entry, chosen, stagger))
    return plan, pointers
