"""Contact-centre figures, counted from queue outcomes (pure: the engine reports outcomes with their times).

How each figure is counted (the README repeats this):

- offered: a call that entered the queue and whose queue outcome is known (answered, abandoned or overflowed).
  Calls still waiting are not counted until they leave the queue.
- answered: bridged to an agent. Its wait is from entering the queue to the bridge.
- abandoned: the caller hung up while waiting (also while an agent's phone was ringing).
- overflowed: the queue gave the call away (max wait reached) to its overflow step.
- service level = answered within the queue's threshold (``service_level_s``) / offered.
- ASA (average speed of answer) = mean wait of answered calls.
- abandon rate = abandoned / offered.
- per agent: calls answered, talk seconds (bridge to hang-up), offers missed (no answer / busy), wrap-up seconds
  (from entering wrap-up to leaving it, however it ends).

Every outcome is also forwarded, as it is counted, to an optional ``sink`` (``ccswitch.metrics.Metrics``).
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Protocol

from ccswitch.acd.agents import Agent, AgentState

if TYPE_CHECKING:
    from ccswitch.config import Config


def service_level_thresholds(config: Config) -> dict[str, float]:
    """Each queue's service-level threshold (``service_level_s`` in queues.yaml, else the main one)."""
    return {name: queue.service_level_s for name, queue in config.queues.items()}


@dataclass(slots=True)
class QueueFigures:
    answered: int = 0
    abandoned: int = 0
    overflowed: int = 0
    answered_within_sl: int = 0
    total_answer_wait: float = 0.0
    longest_answer_wait: float = 0.0

    def record_answer(self, wait_s: float, service_level_s: float) -> None:
        self.answered += 1
        self.total_answer_wait += wait_s
        self.longest_answer_wait = max(self.longest_answer_wait, wait_s)
        if wait_s <= service_level_s:
            self.answered_within_sl += 1

    @property
    def offered(self) -> int:
        return self.answered + self.abandoned + self.overflowed

    @property
    def service_level(self) -> float | None:
        return self.answered_within_sl / self.offered if self.offered else None

    @property
    def asa(self) -> float | None:
        return self.total_answer_wait / self.answered if self.answered else None

    @property
    def abandon_rate(self) -> float | None:
        return self.abandoned / self.offered if self.offered else None


@dataclass(slots=True)
class AgentFigures:
    answered: int = 0
    talk_seconds: float = 0.0
    missed: int = 0
    wrap_up_seconds: float = 0.0


class OutcomeSink(Protocol):
    """Receives each outcome as Stats counts it."""

    def answered(self, queue: str, agent: str, wait_s: float) -> None: ...
    def abandoned(self, queue: str) -> None: ...
    def overflowed(self, queue: str) -> None: ...
    def missed(self, agent: str) -> None: ...
    def talked(self, agent: str, seconds: float) -> None: ...
    def wrapped_up(self, agent: str, seconds: float) -> None: ...


@dataclass
class Stats:
    service_level_s: float = 20.0  # the threshold of a queue without one of its own
    thresholds: Mapping[str, float] = field(default_factory=dict)  # queue -> its service-level threshold
    queues: defaultdict[str, QueueFigures] = field(default_factory=lambda: defaultdict(QueueFigures))
    agents: defaultdict[str, AgentFigures] = field(default_factory=lambda: defaultdict(AgentFigures))
    sink: OutcomeSink | None = None

    @classmethod
    def for_config(cls, config: Config) -> Stats:
        return cls(config.service_level_s, service_level_thresholds(config))

    def answered(self, queue: str, agent: str, wait_s: float) -> None:
        self.queues[queue].record_answer(wait_s, self.thresholds.get(queue, self.service_level_s))
        self.agents[agent].answered += 1
        if self.sink is not None:
            self.sink.answered(queue, agent, wait_s)

    def abandoned(self, queue: str) -> None:
        self.queues[queue].abandoned += 1
        if self.sink is not None:
            self.sink.abandoned(queue)

    def overflowed(self, queue: str) -> None:
        self.queues[queue].overflowed += 1
        if self.sink is not None:
            self.sink.overflowed(queue)

    def missed(self, agent: str) -> None:
        self.agents[agent].missed += 1
        if self.sink is not None:
            self.sink.missed(agent)

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
            total.total_answer_wait += figures.total_answer_wait
            total.longest_answer_wait = max(total.longest_answer_wait, figures.longest_answer_wait)
        return total
