"""``capacity:`` of an agent (agents.yaml) or a queue (queues/*.yaml, the default of its agents): how many contacts
of which channels an agent holds at once (``ccswitch.acd.capacity``).

    capacity:
      total: 3
      cost: {voice: 3, chat: 1}          # one call or three chats
      offer_during:                      # channel → the contacts in progress it may be offered during
        voice: [chat]                    # a call beside chats, when the cost leaves room (default: never)
        chat: [chat, voice-wrap-up]      # "<channel>": offered or active; "<channel>-wrap-up": its wrap-up

A channel ``offer_during`` leaves out keeps its default rules. An agent's own ``capacity`` wins; without one, the
first of their queues (in the order of their ``queues``) that has one gives it; without either, the agent takes
one call at a time and no other channel.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from types import MappingProxyType

from ccswitch.acd.capacity import (
    DEFAULT_OFFER_DURING,
    VOICE_ONLY,
    Activity,
    AgentCapacity,
    Channel,
    handling,
    wrapping_up,
)
from ccswitch.config._reader import REQUIRED, Node

MAX_TOTAL = 1000
WRAP_UP_SUFFIX = "-wrap-up"
_CHANNELS = ", ".join(Channel)


def _capacity(node: Node) -> AgentCapacity | None:
    """The ``capacity`` section of an agent or a queue; None when it has none (or it is too broken to read)."""
    if "capacity" not in node.data:
        return None
    section = node.section("capacity")
    section.known(("total", "cost", "offer_during"))
    total = section.integer("total", REQUIRED, 1, MAX_TOTAL)
    costs = _costs(section, total)
    offer_during = _offer_during(section, costs)
    if not costs:
        return None
    return AgentCapacity(total, MappingProxyType(costs), MappingProxyType({**DEFAULT_OFFER_DURING, **offer_during}))


def _costs(section: Node, total: int) -> dict[Channel, int]:
    """``cost: {channel: what one contact spends}``: at least 1 and at most the total, for at least one channel."""
    if "cost" not in section.data:
        section.error("cost", f"missing: what one contact of each channel the agent handles costs ({_CHANNELS})")
        return {}
    cost_node = section.section("cost")
    costs: dict[Channel, int] = {}
    for name in cost_node.data:
        channel = _channel(cost_node, name, str(name))
        if channel is None:
            continue
        cost = cost_node.integer(name, REQUIRED, 1, MAX_TOTAL)
        if cost > total:
            cost_node.error(name, f"{cost} is above the total capacity {total}: a {channel} contact would never be "
                                  "offered")
        costs[channel] = cost
    if not cost_node.data:
        section.error("cost", f"empty: name at least one channel ({_CHANNELS})")
    return costs


def _offer_during(section: Node, costs: Mapping[Channel, int]) -> dict[Channel, frozenset[Activity]]:
    rules_node = section.section("offer_during")
    rules: dict[Channel, frozenset[Activity]] = {}
    for name in rules_node.data:
        channel = _channel(rules_node, name, str(name))
        if channel is None:
            continue
        if channel not in costs:
            rules_node.error(name, f"{channel} has no cost: the agent does not handle it")
            continue
        activities = _activities(rules_node, name, rules_node.items(name))
        if channel is Channel.VOICE and any(held is Channel.VOICE for held, _ in activities):
            rules_node.error(name, "an agent has one phone: a call is never offered during another call or its "
                                   "wrap-up")
            continue
        rules[channel] = activities
    return rules


def _activities(node: Node, key: str, names: Sequence[object]) -> frozenset[Activity]:
    """``[chat, voice-wrap-up]``: a channel's contacts offered or active, or a channel's contacts in wrap-up."""
    activities: set[Activity] = set()
    for index, item in enumerate(names):
        name = str(item)
        in_wrap_up = name.endswith(WRAP_UP_SUFFIX)
        channel = _channel(node, f"{key}[{index}]", name.removesuffix(WRAP_UP_SUFFIX), shown=name)
        if channel is not None:
            activities |= wrapping_up(channel) if in_wrap_up else handling(channel)
    return frozenset(activities)


def _channel(node: Node, key: object, name: str, shown: str | None = None) -> Channel | None:
    try:
        return Channel(name)
    except ValueError:
        node.error(key, f"unknown channel {shown or name!r} (known: {_CHANNELS})")
        return None


def agent_capacity(own: AgentCapacity | None, queues: Sequence[str],
                   queue_capacity: Mapping[str, AgentCapacity | None]) -> AgentCapacity:
    """The agent's own capacity, else the first of their queues' that has one, else ``VOICE_ONLY``."""
    if own is not None:
        return own
    return next((found for queue in queues if (found := queue_capacity.get(queue)) is not None), VOICE_ONLY)
