"""How many contacts of which channels an agent may hold at once (pure: no I/O, no clock).

Theory of operation
-------------------
An agent has a ``total`` capacity, and each channel they handle a ``cost`` per contact (Azure Job Router's model):
total 3 with voice 3 and chat 1 is one call or three chats. A channel without a cost is one the agent does not
handle. A contact the agent holds (``Held``) is OFFERED (ringing, or waiting for them to accept), ACTIVE, or in
WRAP_UP (after-contact work); it spends its channel's cost until its wrap-up starts.

Cost alone would let a call in beside chats whenever the numbers allow. The interruption rules say, for each
channel, during which contacts in progress (channel and phase) it may be offered at all (Genesys's "which media may
interrupt which", Amazon Connect's cross-channel setting): ``offer_during``. By default a call is offered only to an
agent who holds nothing (one phone; no call while chats are held), and a text contact (chat, e-mail, SMS,
messenger) beside other text contacts and during a call's wrap-up, never during the call itself: chats the agent
holds carry on through a call and its wrap-up.

``can_take`` is the one decision: every contact in progress is allowed by the channel's rules, and what they cost
plus the new contact's cost fits in the total. Its cost is one pass over what the agent holds (a handful of
contacts at most: the total bounds them). ``offerable`` (every channel at once, what routing asks on each change of
an agent) remembers its answers per shape of held contacts, so that routing pays a dictionary lookup.

The default, ``VOICE_ONLY``, is one voice contact that costs the whole capacity: a queue call when the agent holds
nothing, as before there were channels.
"""

from __future__ import annotations

import enum
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from types import MappingProxyType


class Channel(enum.StrEnum):
    """The kinds of contact; a ``str`` so that records and JSON carry the plain name."""

    VOICE = "voice"
    CHAT = "chat"
    EMAIL = "email"
    SMS = "sms"
    MESSENGER = "messenger"


TEXT_CHANNELS = frozenset(Channel) - {Channel.VOICE}


class Phase(enum.Enum):
    OFFERED = "offered"
    ACTIVE = "active"
    WRAP_UP = "wrap_up"


Activity = tuple[Channel, Phase]
"""A contact in progress as the interruption rules see it: its channel and phase."""


@dataclass(frozen=True, slots=True)
class Held:
    """A contact an agent holds."""

    channel: Channel
    phase: Phase = Phase.ACTIVE

    def __post_init__(self) -> None:  # a JSON round trip brings names
        object.__setattr__(self, "channel", Channel(self.channel))
        object.__setattr__(self, "phase", Phase(self.phase))


HANDLING = (Phase.OFFERED, Phase.ACTIVE)


def handling(*channels: Channel) -> frozenset[Activity]:
    """Contacts of ``channels`` offered or active (not in wrap-up)."""
    return frozenset((channel, phase) for channel in channels for phase in HANDLING)


def wrapping_up(*channels: Channel) -> frozenset[Activity]:
    return frozenset((channel, Phase.WRAP_UP) for channel in channels)


def _default_offer_during() -> Mapping[Channel, frozenset[Activity]]:
    text_beside = handling(*TEXT_CHANNELS) | wrapping_up(*TEXT_CHANNELS, Channel.VOICE)
    return MappingProxyType({Channel.VOICE: frozenset(), **dict.fromkeys(TEXT_CHANNELS, text_beside)})


DEFAULT_OFFER_DURING = _default_offer_during()


@dataclass(frozen=True, slots=True)
class AgentCapacity:
    """One agent's capacity. ``costs``: the channels handled and what one contact of each costs.
    ``offer_during``: channel → the contacts in progress it may be offered during (a channel not there: only
    when the agent holds nothing)."""

    total: int = 1
    costs: Mapping[Channel, int] = field(default_factory=lambda: MappingProxyType({Channel.VOICE: 1}))
    offer_during: Mapping[Channel, frozenset[Activity]] = field(default_factory=lambda: DEFAULT_OFFER_DURING)
    # ``offerable``'s answers by what is held: routing asks on every agent change, and an agent's contacts in
    # progress take few shapes, so most answers are one dictionary lookup. Not part of the value.
    _known: dict[tuple[Held, ...], frozenset[Channel]] = field(
        default_factory=dict, init=False, repr=False, compare=False)

    def cost(self, channel: Channel) -> int:
        """What a held contact of ``channel`` spends; a channel no longer handled (the configuration changed
        while the agent held it) spends the whole capacity, so nothing new is added beside it by mistake."""
        return self.costs.get(channel, self.total)


VOICE_ONLY = AgentCapacity()


def used(capacity: AgentCapacity, held: Iterable[Held]) -> int:
    """What the contacts in progress spend (wrap-up spends nothing)."""
    return sum(capacity.cost(contact.channel) for contact in held if contact.phase is not Phase.WRAP_UP)


def remaining(capacity: AgentCapacity, held: Iterable[Held]) -> int:
    """What is left for new contacts (never below 0)."""
    return max(0, capacity.total - used(capacity, held))


def can_take(capacity: AgentCapacity, held: Iterable[Held], channel: Channel) -> bool:
    """Whether a contact of ``channel`` may be offered to an agent holding ``held``: they handle the channel,
    its rules allow every contact in progress, and its cost fits in what is left."""
    cost = capacity.costs.get(channel)
    if cost is None:
        return False
    allowed = capacity.offer_during.get(channel, frozenset())
    spent = 0
    for contact in held:
        if (contact.channel, contact.phase) not in allowed:
            return False
        if contact.phase is not Phase.WRAP_UP:
            spent += capacity.cost(contact.channel)
    return spent + cost <= capacity.total


_KNOWN_SHAPES = 4096  # beyond this many shapes of held contacts the answers are forgotten and learnt again


def offerable(capacity: AgentCapacity, held: tuple[Held, ...]) -> frozenset[Channel]:
    """The channels an agent holding ``held`` may be offered now (``can_take`` for each channel handled)."""
    known = capacity._known.get(held)
    if known is None:
        if len(capacity._known) >= _KNOWN_SHAPES:
            capacity._known.clear()
        known = capacity._known[held] = frozenset(
            channel for channel in capacity.costs if can_take(capacity, held, channel))
    return known
