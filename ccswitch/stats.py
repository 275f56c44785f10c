"""Contact-centre figures, counted from queue outcomes (pure: the engine reports outcomes with their times).

Theory of operation. Every figure is kept per queue *and channel* (voice, chat …): one table, ``Stats.channels``,
channel → queue → ``QueueFigures``; ``Stats.queues`` is its voice column (the calls), which is what existed before
there were channels. Each channel is counted by the same rules; only the service-level threshold differs: a call is
measured against its queue's ``service_level_s``, a contact of a channel with a threshold of its own (chat:
``chat.service_level_s``) against that one (``service_level_threshold``).

How each figure is counted (the README repeats this; "call" reads "contact" for a text channel):

- offered: a call that entered the queue and whose queue outcome is known (answered, abandoned or overflowed).
  Calls still waiting are not counted until they leave the queue.
- answered: bridged to an agent. Its wait is from entering the queue to the bridge.
- abandoned: the caller hung up while waiting (also while an agent's phone was ringing).
- overflowed: the queue gave the call away (max wait reached) to its overflow step.
- service level, three ways (the same call counts the same in each; only the denominators differ):
  - **of offered** = answered within the queue's threshold (``service_level_s``, inclusive) / offered. Abandons
    and overflows count against the queue, however short the wait. This is "the" service level.
  - **excluding short abandons** = answered within the threshold / (offered - short abandons). A short abandon is
    a call abandoned *before* ``short_abandon_s`` seconds of waiting (exclusive, so 0 turns the exclusion off):
    the caller gave the queue no chance to answer (a wrong menu choice, an instant hang-up). Longer abandons and
    overflows still count against the queue.
  - **of answered** = answered within the threshold / answered: how fast the answered calls were answered; blind to
    abandons and overflows.
  Overflowed calls are offered and count against the queue in the first two: they waited ``max_wait_s`` and were
  not answered (Avaya CMS likewise counts a call that flows out of a split in that split's calls offered;
  mod_callcenter records member outcomes but computes no service level).
- ASA (average speed of answer) = mean wait of answered calls.
- abandon rate = abandoned / offered.
- handled, AHT: an answered contact that ended; its handle time is talk (a text contact: accepted to closed) plus
  the wrap-up it earned; AHT = mean handle time.
- first response (text channels): from the agent accepting the contact to their first message; its mean.
- per agent: calls answered, talk seconds (bridge to hang-up), offers missed (no answer / busy), wrap-up seconds
  (from entering wrap-up to leaving it, however it ends).

Each ratio is ``None`` when its denominator is 0. Every outcome is also forwarded, as it is counted, to an optional
``sink`` (``ccswitch.metrics.Metrics``).
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Protocol

from ccswitch.acd.agents import Agent, AgentState
from ccswitch.acd.capacity import Channel

if TYPE_CHECKING:
    from ccswitch.config import Config


DEFAULT_SHORT_ABANDON_S = 5.0


def service_level_thresholds(config: Config) -> dict[str, float]:
    """Each queue's service-level threshold (``service_level_s`` in queues.yaml, else the main one)."""
    return {name: queue.service_level_s for name, queue in config.queues.items()}


def short_abandon_thresholds(config: Config) -> dict[str, float]:
    """Each queue's short-abandon threshold (``short_abandon_s`` in queues.yaml)."""
    return {name: queue.short_abandon_s for name, queue in config.queues.items()}


def channel_thresholds(config: Config) -> dict[Channel, float]:
    """The channels with a service-level threshold of their own (chat: ``chat.service_level_s``)."""
    return {Channel.CHAT: config.chat.service_level_s}


def channels_in_use(config: Config) -> tuple[Channel, ...]:
    """Voice, and every channel some agent handles (their ``capacity:``), in ``Channel`` order."""
    handled = {channel for agent in config.agents.values() for channel in agent.capacity.costs}
    return tuple(channel for channel in Channel if channel is Channel.VOICE or channel in handled)


def service_level_threshold(queue_threshold: float, channel: Channel,
                            thresholds: Mapping[Channel, float]) -> float:
    """The threshold a contact of ``channel`` is measured against: its channel's own, else its queue's (voice
    always takes the queue's)."""
    return queue_threshold if channel is Channel.VOICE else thresholds.get(channel, queue_threshold)


def answered_within(wait_s: float, service_level_s: float) -> bool:
    """An answer counts towards the service level: on the threshold counts as within."""
    return wait_s <= service_level_s


def is_short_abandon(wait_s: float, short_abandon_s: float) -> bool:
    """An abandon too quick to count against the queue: strictly before the threshold, so 0 means none is."""
    return wait_s < short_abandon_s


@dataclass(slots=True)
class QueueFigures:
    """One queue's contacts of one channel."""

    answered: int = 0
    abandoned: int = 0
    overflowed: int = 0
    answered_within_sl: int = 0
    short_abandoned: int = 0  # also counted in ``abandoned``
    total_answer_wait: float = 0.0
    longest_answer_wait: float = 0.0
    handled: int = 0  # answered contacts that have ended
    total_handle_time: float = 0.0  # their talk plus the wrap-up they were given
    first_responses: int = 0  # text contacts whose agent has written
    total_first_response: float = 0.0  # accepted to the agent's first message, summed

    @property
    def aht(self) -> float | None:
        return self.total_handle_time / self.handled if self.handled else None

    @property
    def average_first_response(self) -> float | None:
        return self.total_first_response / self.first_responses if self.first_responses else None

    def record_answer(self, wait_s: float, service_level_s: float) -> None:
        self.answered += 1
        self.total_answer_wait += wait_s
        self.longest_answer_wait = max(self.longest_answer_wait, wait_s)
        if answered_within(wait_s, service_level_s):
            self.answered_within_sl += 1

    def record_abandon(self, wait_s: float, short_abandon_s: float) -> None:
        self.abandoned += 1
        if is_short_abandon(wait_s, short_abandon_s):
            self.short_abandoned += 1

    def record_overflow(self) -> None:
        self.overflowed += 1

    def record_handle(self, handle_s: float) -> None:
        self.handled += 1
        self.total_handle_time += handle_s

    def record_first_response(self, seconds: float) -> None:
        self.first_responses += 1
        self.total_first_response += seconds

    def add(self, other: QueueFigures) -> None:
        """Count ``other``'s contacts in these too (totals over queues or channels)."""
        self.answered += other.answered
        self.abandoned += other.abandoned
        self.overflowed += other.overflowed
        self.answered_within_sl += other.answered_within_sl
        self.short_abandoned += other.short_abandoned
        self.total_answer_wait += other.total_answer_wait
        self.longest_answer_wait = max(self.longest_answer_wait, other.longest_answer_wait)
        self.handled += other.handled
        self.total_handle_time += other.total_handle_time
        self.first_responses += other.first_responses
        self.total_first_response += other.total_first_response

    @property
    def offered(self) -> int:
        return self.answered + self.abandoned + self.overflowed

    @property
    def service_level(self) -> float | None:
        """Answered within the threshold / offered."""
        return _ratio(self.answered_within_sl, self.offered)

    @property
    def service_level_excluding_short_abandons(self) -> float | None:
        """Answered within the threshold / (offered - short abandons)."""
        return _ratio(self.answered_within_sl, self.offered - self.short_abandoned)

    @property
    def service_level_of_answered(self) -> float | None:
        """Answered within the threshold / answered."""
        return _ratio(self.answered_within_sl, self.answered)

    @property
    def asa(self) -> float | None:
        return self.total_answer_wait / self.answered if self.answered else None

    @property
    def abandon_rate(self) -> float | None:
        return _ratio(self.abandoned, self.offered)


def _ratio(part: int, whole: int) -> float | None:
    return part / whole if whole else None


@dataclass(slots=True)
class AgentFigures:
    answered: int = 0  # contacts of every channel
    talk_seconds: float = 0.0
    missed: int = 0
    wrap_up_seconds: float = 0.0


class OutcomeSink(Protocol):
    """Receives each outcome as Stats counts it."""

    def answered(self, queue: str, agent: str, wait_s: float, channel: Channel = Channel.VOICE) -> None: ...
    def abandoned(self, queue: str, wait_s: float, channel: Channel = Channel.VOICE) -> None: ...
    def overflowed(self, queue: str, channel: Channel = Channel.VOICE) -> None: ...
    def handled(self, queue: str, handle_s: float, channel: Channel = Channel.VOICE) -> None: ...
    def first_response(self, queue: str, channel: Channel, seconds: float) -> None: ...
    def missed(self, agent: str) -> None: ...
    def talked(self, agent: str, seconds: float) -> None: ...
    def wrapped_up(self, agent: str, seconds: float) -> None: ...


def _figures_by_channel() -> defaultdict[Channel, defaultdict[str, QueueFigures]]:
    return defaultdict(lambda: defaultdict(QueueFigures))


@dataclass
class Stats:
    service_level_s: float = 20.0  # the threshold of a queue without one of its own
    thresholds: Mapping[str, float] = field(default_factory=dict)  # queue -> its service-level threshold
    short_abandon_s: float = DEFAULT_SHORT_ABANDON_S  # the short-abandon threshold of a queue without one of its own
    short_abandon_thresholds: Mapping[str, float] = field(default_factory=dict)  # queue -> its own
    channel_thresholds: Mapping[Channel, float] = field(default_factory=dict)  # channel -> its own SL threshold
    channels: defaultdict[Channel, defaultdict[str, QueueFigures]] = field(default_factory=_figures_by_channel)
    agents: defaultdict[str, AgentFigures] = field(default_factory=lambda: defaultdict(AgentFigures))
    sink: OutcomeSink | None = None

    @classmethod
    def for_config(cls, config: Config) -> Stats:
        return cls(config.service_level_s, service_level_thresholds(config),
                   short_abandon_thresholds=short_abandon_thresholds(config),
                   channel_thresholds=channel_thresholds(config))

    def reconfigure(self, config: Config) -> None:
        """A reloaded configuration: new thresholds from now on; the figures so far stay."""
        self.thresholds = service_level_thresholds(config)
        self.short_abandon_thresholds = short_abandon_thresholds(config)
        self.channel_thresholds = channel_thresholds(config)

    @property
    def queues(self) -> defaultdict[str, QueueFigures]:
        """The calls: each queue's voice figures (what a caller's expected wait and the wallboard read)."""
        return self.channels[Channel.VOICE]

    def service_level_threshold(self, queue: str, channel: Channel = Channel.VOICE) -> float:
        queue_threshold = self.thresholds.get(queue, self.service_level_s)
        return service_level_threshold(queue_threshold, channel, self.channel_thresholds)

    def short_abandon_threshold(self, queue: str) -> float:
        return self.short_abandon_thresholds.get(queue, self.short_abandon_s)

    def answered(self, queue: str, agent: str, wait_s: float, channel: Channel = Channel.VOICE) -> None:
        """Bridged to (a call) or accepted by (a text contact) ``agent`` after waiting ``wait_s`` in ``queue``."""
        self.channels[channel][queue].record_answer(wait_s, self.service_level_threshold(queue, channel))
        self.agents[agent].answered += 1
        if self.sink is not None:
            self.sink.answered(queue, agent, wait_s, channel)

    def abandoned(self, queue: str, wait_s: float, channel: Channel = Channel.VOICE) -> None:
        """The customer left after waiting ``wait_s`` (queue entry to hang-up, or to leaving the chat)."""
        self.channels[channel][queue].record_abandon(wait_s, self.short_abandon_threshold(queue))
        if self.sink is not None:
            self.sink.abandoned(queue, wait_s, channel)

    def overflowed(self, queue: str, channel: Channel = Channel.VOICE) -> None:
        self.channels[channel][queue].record_overflow()
        if self.sink is not None:
            self.sink.overflowed(queue, channel)

    def missed(self, agent: str) -> None:
        self.agents[agent].missed += 1
        if self.sink is not None:
            self.sink.missed(agent)

    def handled(self, queue: str, handle_s: float, channel: Channel = Channel.VOICE) -> None:
        """An answered contact of ``queue`` ended: talk plus the wrap-up it earned (the expected wait uses it)."""
        self.channels[channel][queue].record_handle(handle_s)
        if self.sink is not None:
            self.sink.handled(queue, handle_s, channel)

    def first_response(self, queue: str, channel: Channel, seconds: float) -> None:
        """The agent who accepted a text contact of ``queue`` wrote to the customer ``seconds`` later."""
        self.channels[channel][queue].record_first_response(seconds)
        if self.sink is not None:
            self.sink.first_response(queue, channel, seconds)

    def talked(self, agent: str, seconds: float) -> None:
        self.agents[agent].talk_seconds += seconds
        if self.sink is not None:
            self.sink.talked(agent, seconds)

    def agent_changed(self, old: Agent, new: Agent, now: float) -> None:
        """Every stored agent transition; leaving wrap-up (elapsed, ready, break, logout) ends its time."""
        if old.state is AgentState.WRAP_UP and new.state is not AgentState.WRAP_UP:
            seconds = now - old.since
            self.agents[new.id].wrap_up_seconds += seconds
            if self.sink is not None:
                self.sink.wrapped_up(new.id, seconds)

    def total(self, channel: Channel | None = None) -> QueueFigures:
        """Every queue together: of one channel, or of all of them (None)."""
        total = QueueFigures()
        for each, queues in self.channels.items():
            if channel is None or each is channel:
                for figures in queues.values():
                    total.add(figures)
        return total
