"""Contact-centre figures, counted from queue outcomes (pure: the engine reports outcomes with their times).

How each figure is counted (the README repeats this):

- offered: a call that entered the queue and whose queue outcome is known (answered, abandoned or overflowed).
  Calls still waiting are not counted until they leave the queue.
- answered: bridged to an agent. Its wait is from entering the queue to the bridge.
- abandoned: the caller hung up while waiting (also while an agent's phone was ringing).
- overflowed: the queue gave the call away (max wait reached) to its overflow step.
- service level = answered within the threshold / offered.
- ASA (average speed of answer) = mean wait of answered calls.
- abandon rate = abandoned / offered.
- per agent: calls answered, talk seconds (bridge to hang-up), offers missed (no answer / busy).
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field


@dataclass(slots=True)
class QueueFigures:
    answered: int = 0
    abandoned: int = 0
    overflowed: int = 0
    answered_within_sl: int = 0
    total_answer_wait: float = 0.0
    longest_answer_wait: float = 0.0

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


@dataclass
class Stats:
    service_level_s: float = 20.0
    queues: defaultdict[str, QueueFigures] = field(default_factory=lambda: defaultdict(QueueFigures))
    agents: defaultdict[str, AgentFigures] = field(default_factory=lambda: defaultdict(AgentFigures))

    def answered(self, queue: str, agent: str, wait_s: float) -> None:
        figures = self.queues[queue]
        figures.answered += 1
        figures.total_answer_wait += wait_s
        figures.longest_answer_wait = max(figures.longest_answer_wait, wait_s)
        if wait_s <= self.service_level_s:
            figures.answered_within_sl += 1
        self.agents[agent].answered += 1

    def abandoned(self, queue: str) -> None:
        self.queues[queue].abandoned += 1

    def overflowed(self, queue: str) -> None:
        self.queues[queue].overflowed += 1

    def missed(self, agent: str) -> None:
        self.agents[agent].missed += 1

    def talked(self, agent: str, seconds: float) -> None:
        self.agents[agent].talk_seconds += seconds

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
