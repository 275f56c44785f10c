"""Contact-centre figures, counted from queue outcomes (pure: the engine reports outcomes with their times).

How each figure is counted (the README repeats this):

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

if TYPE_CHECKING:
    from ccswitch.config import Config


DEFAULT_SHORT_ABANDON_S = 5.0


def service_level_thresholds(config: Config) -> dict[str, float]:
    """Each queue's service-level threshold (``service_level_s`` in queues.yaml, else the main one)."""
    return {name: queue.service_level_s for name, queue in config.queues.items()}


def short_abandon_thresholds(config: Config) -> dict[str, float]:
    """Each queue's short-abandon threshold (``short_abandon_s`` in queues.yaml)."""
    return {name: queue.short_abandon_s for name, queue in config.queues.items()}


def answered_within(wait_s: float, service_level_s: float) -> bool:
    """An answer counts towards the service level: on the threshold counts as within."""
    return wait_s <= service_level_s


def is_short_abandon(wait_s: float, short_abandon_s: float) -> bool:
    """An abandon too quick to count against the queue: strictly before the threshold, so 0 means none is."""
    return wait_s < short_abandon_s


@dataclass(slots=True)
class QueueFigures:
    answered: int = 0
    abandoned: int = 0
    overflowed: int = 0
    answered_within_sl: int = 0
    short_abandoned: int = 0  # also counted in ``abandoned``
    total_answer_wait: float = 0.0
    longest_answer_wait: float = 0.0
    handled: int = 0  # answered calls whose talk has ended
    total_handle_time: float = 0.0  # their talk plus the wrap-up they were given

    @property
    def aht(self) -> float | None:
        return self.total_handle_time / self.handled if self.handled else None

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
    answered: int = 0
    talk_seconds: float = 0.0
    missed: int = 0
    wrap_up_seconds: float = 0.0


class OutcomeSink(Protocol):
    """Receives each outcome as Stats counts it."""

    def answered(self, queue: str, agent: str, wait_s: float) -> None: ...
    def abandoned(self, queue: str, wait_s: float) -> None: ...
    def overflowed(self, queue: str) -> None: ...
    def missed(self, agent: str) -> None: ...
    def talked(self, agent: str, seconds: float) -> None: ...
    def wrapped_up(self, agent: str, seconds: float) -> None: ...


@dataclass
class Stats:
    service_level_s: float = 20.0  # the threshold of a queue without one of its own
    thresholds: Mapping[str, float] = field(default_factory=dict)  # queue -> its service-level threshold
    short_abandon_s: float = DEFAULT_SHORT_ABANDON_S  # the short-abandon threshold of a queue without one of its own
    short_abandon_thresholds: Mapping[str, float] = field(default_factory=dict)  # queue -> its own
    queues: defaultdict[str, QueueFigures] = field(default_factory=lambda: defaultdict(QueueFigures))
    agents: defaultdict[str, AgentFigures] = field(default_factory=lambda: defaultdict(AgentFigures))
    sink: OutcomeSink | None = None

    @classmethod
    def for_config(cls, config: Config) -> Stats:
        return cls(config.service_level_s, service_level_thresholds(config),
                   short_abandon_thresholds=short_abandon_thresholds(config))

    def reconfigure(self, config: Config) -> None:
        """A reloaded configuration: new thresholds from now on; the figures so far stay."""
        self.thresholds = service_level_thresholds(config)
        self.short_abandon_thresholds = short_abandon_thresholds(config)

    def answered(self, queue: str, agent: str, wait_s: float) -> None:
        self.queues[queue].record_answer(wait_s, self.thresholds.get(queue, self.service_level_s))
        self.agents[agent].answered += 1
        if self.sink is not None:
            self.sink.answered(queue, agent, wait_s)

    def abandoned(self, queue: str, wait_s: float) -> None:
        """The caller hung up after waiting ``wait_s`` (queue entry to hang-up)."""
        self.queues[queue].record_abandon(wait_s, self.short_abandon_thresholds.get(queue, self.short_abandon_s))
        if self.sink is not None:
            self.sink.abandoned(queue, wait_s)

    def overflowed(self, queue: str) -> None:
        self.queues[queue].record_overflow()
        if self.sink is not None:
            self.sink.overflowed(queue)

    def missed(self, agent: str) -> None:
        self.agents[agent].missed += 1
        if self.sink is not None:
            self.sink.missed(agent)

    def handled(self, queue: str, handle_s: float) -> None:
        """An answered call of ``queue`` ended: talk plus the wrap-up it earned (the expected wait uses it)."""
        figures = self.queues[queue]
        figures.handled += 1
        figures.total_handle_time += handle_s

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

    def total(self) -> QueueFigures:
        total = QueueFigures()
        for figures in self.queues.values():
            total.answered += figures.answered
            total.abandoned += figures.abandoned
            total.overflowed += figures.overflowed
            total.answered_within_sl += figures.answered_within_sl
            total.short_abandoned += figures.short_abandoned
            total.total_answer_wait += figures.total_answer_wait
            total.longest_answer_wait = max(total.longest_answer_wait, figures.longest_answer_wait)
            total.handled += figures.handled
            total.total_handle_time += figures.total_handle_time
        return total
