"""The pure figures the metrics are made of: outcomes and the ledger that sums them over a window and since
local midnight, per queue and channel; contacts waiting per queue; occupancy; contacts held per agent and channel."""

from __future__ import annotations

from collections import Counter as Tally
from collections import defaultdict, deque
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import date, datetime
from enum import Enum
from zoneinfo import ZoneInfo

from ccswitch.acd import Agent, Channel, QueueEntry
from ccswitch.acd.agents import AgentState
from ccswitch.stats import QueueFigures, service_level_threshold

# An agent who cannot take a call because they are handling one (ringing counts: the phone is busy).
BUSY_STATES = frozenset({AgentState.RESERVED, AgentState.ON_CALL, AgentState.WRAP_UP})
STAFFED_STATES = BUSY_STATES | {AgentState.AVAILABLE}


class OutcomeKind(Enum):
    ANSWERED = "answered"  # seconds: the wait
    ABANDONED = "abandoned"  # seconds: the wait
    OVERFLOWED = "overflowed"
    TALKED = "talked"  # seconds: bridge to hang-up; one handled call
    WRAPPED_UP = "wrapped_up"  # seconds: time in wrap-up
    HANDLED = "handled"  # seconds: a text contact's whole handle time (a call's comes as TALKED + WRAPPED_UP)
    FIRST_RESPONSE = "first_response"  # seconds: accepted to the agent's first message


@dataclass(frozen=True, slots=True)
class Outcome:
    at: float
    queue: str
    kind: OutcomeKind
    seconds: float = 0.0
    channel: Channel = Channel.VOICE


QueueChannel = tuple[str, Channel]


@dataclass(slots=True)
class PeriodFigures:
    """One queue's contacts of one channel over a period, counted as ``Stats`` counts them, plus handle time for
    AHT."""

    calls: QueueFigures = field(default_factory=QueueFigures)
    handled: int = 0
    handle_seconds: float = 0.0  # talk + wrap-up (no hold yet)

    def add(self, outcome: Outcome, service_level_s: float, short_abandon_s: float) -> None:
        if outcome.kind is OutcomeKind.ANSWERED:
            self.calls.record_answer(outcome.seconds, service_level_s)
        elif outcome.kind is OutcomeKind.ABANDONED:
            self.calls.record_abandon(outcome.seconds, short_abandon_s)
        elif outcome.kind is OutcomeKind.OVERFLOWED:
            self.calls.record_overflow()
        elif outcome.kind is OutcomeKind.FIRST_RESPONSE:
            self.calls.record_first_response(outcome.seconds)
        else:
            self.handle_seconds += outcome.seconds
            if outcome.kind is not OutcomeKind.WRAPPED_UP:
                self.handled += 1

    @property
    def aht(self) -> float | None:
        return self.handle_seconds / self.handled if self.handled else None


class OutcomeLedger:
    """Recent outcomes and running figures since local midnight, per queue and channel. Pure: every time is an
    argument."""

    def __init__(self, window_s: float, thresholds: Mapping[str, float], short_abandon_thresholds: Mapping[str, float],
                 timezone: ZoneInfo, channel_thresholds: Mapping[Channel, float] | None = None) -> None:
        self.window_s = window_s
        self.thresholds = thresholds  # queue -> service-level threshold
        self.short_abandon_thresholds = short_abandon_thresholds  # queue -> short-abandon threshold
        self.channel_thresholds = channel_thresholds or {}  # channel -> its own service-level threshold
        self.timezone = timezone
        self._recent: deque[Outcome] = deque()
        self._day: date | None = None
        self._today: defaultdict[QueueChannel, PeriodFigures] = defaultdict(PeriodFigures)

    def record(self, outcome: Outcome) -> None:
        self._recent.append(outcome)
        day = self._local_day(outcome.at)
        if day != self._day:
            self._day = day
            self._today.clear()
        self._add(self._today[outcome.queue, outcome.channel], outcome)

    def window(self, now: float) -> dict[QueueChannel, PeriodFigures]:
        """Per queue and channel, the outcomes of the last ``window_s`` seconds."""
        while self._recent and self._recent[0].at < now - self.window_s:
            self._recent.popleft()
        figures: defaultdict[QueueChannel, PeriodFigures] = defaultdict(PeriodFigures)
        for outcome in self._recent:
            self._add(figures[outcome.queue, outcome.channel], outcome)
        return dict(figures)

    def today(self, now: float) -> dict[QueueChannel, PeriodFigures]:
        """Per queue and channel, the outcomes since local midnight (nothing yet when the day has just turned)."""
        return dict(self._today) if self._local_day(now) == self._day else {}

    def service_level_threshold(self, queue: str, channel: Channel) -> float:
        return service_level_threshold(self.thresholds[queue], channel, self.channel_thresholds)

    def _add(self, figures: PeriodFigures, outcome: Outcome) -> None:
        figures.add(outcome, self.service_level_threshold(outcome.queue, outcome.channel),
                    self.short_abandon_thresholds[outcome.queue])

    def _local_day(self, at: float) -> date:
        return datetime.fromtimestamp(at, tz=self.timezone).date()


def waiting_by_queue(entries: Iterable[QueueEntry], queues: Iterable[str], now: float,
                     channel: Channel | None = None) -> dict[str, tuple[int, float]]:
    """Per queue: how many contacts (of ``channel``, or of every one) wait and the longest wait so far (0 when
    none)."""
    result = dict.fromkeys(queues, (0, 0.0))
    for entry in entries:
        if channel is not None and entry.channel is not channel:
            continue
        count, longest = result[entry.queue]
        result[entry.queue] = (count + 1, max(longest, now - entry.enqueued_at))
    return result


def occupancy(counts: Mapping[AgentState, int]) -> float | None:
    """Busy agents / staffed agents right now; ``None`` when nobody is staffed."""
    staffed = sum(counts[state] for state in STAFFED_STATES)
    return sum(counts[state] for state in BUSY_STATES) / staffed if staffed else None


def contacts_held(agents: Iterable[Agent]) -> Tally[tuple[str, Channel]]:
    """Per agent and channel: the contacts the agent holds now (offered, active or in wrap-up)."""
    return Tally((agent.id, contact.channel) for agent in agents for contact in agent.held())
