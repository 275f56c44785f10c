"""The abandon ledger: person answers and abandons per campaign over the regulator's rolling window, and the budget
the pacer spends (pure: time is an argument)."""

from __future__ import annotations

from collections import deque
from dataclasses import dataclass

from ccswitch.outbound import DEFAULT_ABANDON_LIMIT, OFCOM_WINDOW_SECONDS

PACING_WINDOW_SECONDS = 3600.0  # the pacer keeps every rolling hour within the limit, whatever the window
US_TSR_WINDOW_SECONDS = 30 * 24 * 3600.0


@dataclass(frozen=True)
class AbandonBudget:
    """Person answers and abandons inside the regulator's window, against the campaign's limit."""

    limit: float
    answered: int
    abandoned: int

    @property
    def rate(self) -> float:
        return self.abandoned / self.answered if self.answered else 0.0

    @property
    def remaining(self) -> float:
        """Abandons still allowed before the window's rate would exceed the limit (negative when over)."""
        return self.limit * self.answered - self.abandoned


class AbandonLedger:
    """Per-campaign record of person-answered calls and abandons over a rolling window (time is an argument).

    The pacer spends :meth:`pacing_budget`: the tighter of the window's budget and the last ``pacing_seconds``'
    (an hour): a day's budget saved up in quiet hours would otherwise let one busy hour go over the limit, and every
    rolling hour within the limit keeps any longer window within it too.
    """

    def __init__(
        self,
        window_seconds: float = OFCOM_WINDOW_SECONDS,
        limit: float = DEFAULT_ABANDON_LIMIT,
        pacing_seconds: float = PACING_WINDOW_SECONDS,
    ) -> None:
        if window_seconds <= 0.0 or pacing_seconds <= 0.0 or not 0.0 <= limit < 1.0:
            raise ValueError("the windows must be positive and the limit a share in [0, 1)")
        self.window_seconds = window_seconds
        self.pacing_seconds = pacing_seconds
        self.limit = limit
        self._window = _Tally()
        self._recent = _Tally()

    def record(self, time: float, answered_person: bool, abandoned: bool) -> None:
        if abandoned and not answered_person:
            raise ValueError("only a call answered by a person can be abandoned")
        if self._window.entries and time < self._window.entries[-1][0]:
            raise ValueError("ledger records must come in time order")
        if answered_person:
            self._window.add(time, abandoned)
            self._recent.add(time, abandoned)

    def budget(self, now: float) -> AbandonBudget:
        """The window's answers and abandons (what the regulator counts)."""
        self._window.forget(now - self.window_seconds)
        return AbandonBudget(limit=self.limit, answered=len(self._window.entries), abandoned=self._window.abandoned)

    def pacing_budget(self, now: float) -> AbandonBudget:
        """The budget the pacer spends: the window's or the last ``pacing_seconds``', whichever has less left."""
        self._recent.forget(now - min(self.pacing_seconds, self.window_seconds))
        recent = AbandonBudget(limit=self.limit, answered=len(self._recent.entries), abandoned=self._recent.abandoned)
        window = self.budget(now)
        return window if window.remaining < recent.remaining else recent


class _Tally:
    """Person answers (time, abandoned) in time order, and how many of them were abandoned."""

    def __init__(self) -> None:
        self.entries: deque[tuple[float, bool]] = deque()
        self.abandoned = 0

    def add(self, time: float, abandoned: bool) -> None:
        self.entries.append((time, abandoned))
        self.abandoned += abandoned

    def forget(self, until: float) -> None:
        """Drop the entries at or before ``until``."""
        while self.entries and self.entries[0][0] <= until:
            _, abandoned = self.entries.popleft()
            self.abandoned -= abandoned
