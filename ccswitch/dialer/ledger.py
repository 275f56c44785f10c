"""The abandon ledger: person answers and abandons per campaign over the regulator's rolling window, and the budget
the pacer spends (pure: time is an argument)."""

from __future__ import annotations

import math
from collections import deque
from dataclasses import dataclass, field, replace

from ccswitch.outbound import DEFAULT_ABANDON_LIMIT, OFCOM_WINDOW_SECONDS

PACING_WINDOW_SECONDS = 3600.0  # the pacer keeps every rolling hour within the limit, whatever the window
US_TSR_WINDOW_SECONDS = 30 * 24 * 3600.0


@dataclass(frozen=True)
class AbandonBudget:
    """Person answers and abandons inside the regulator's window, against the campaign's limit."""

    limit: float
    answered: int
    abandoned: int
    # When the counts will change on their own (the ledger's budgets say; not compared: the counts are the budget):
    window_seconds: float = field(default=PACING_WINDOW_SECONDS, compare=False)  # its answers come at answered / this
    leaving: tuple[tuple[float, int], ...] = field(default=(), compare=False)  # per abandon in the window, oldest
    # first: seconds until it leaves the window, and the answers recorded after it (they stay in the window longer)

    @property
    def rate(self) -> float:
        return self.abandoned / self.answered if self.answered else 0.0

    @property
    def remaining(self) -> float:
        """Abandons still allowed before the window's rate would exceed the limit (negative when over)."""
        return self.limit * self.answered - self.abandoned


LOST_SHARE_MIN_ANSWERS = 100  # fewer person answers in the window than this: no share of people lost yet


class AbandonLedger:
    """Per-campaign record of person-answered calls and abandons over a rolling window (time is an argument).

    The pacer spends :meth:`pacing_budget`: the tighter of the window's budget and the last ``pacing_seconds``'
    (an hour): a day's budget saved up in quiet hours would otherwise let one busy hour go over the limit, and every
    rolling hour within the limit keeps any longer window within it too.

    It also keeps the people the lines the pacer hung up would have brought (:meth:`record_given_up`, the chance
    ``unseen_outcome`` gives each), so that :meth:`lost_share` tells the pacer how many people its cancels lost per
    person answered in the window. These are not stored: a ledger rebuilt from stored answers counts afresh from
    :meth:`count_lost_from` (answers before it had no hung-up lines counted against them, and would make the share
    look small for hours).
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
        self._given_up: deque[tuple[float, float]] = deque()  # (time, persons it would have brought)
        self._given_up_persons = 0.0
        self._lost_since = -math.inf  # answers after this count in lost_share
        self._answered_since = 0  # person answers recorded after _lost_since

    def count_lost_from(self, time: float) -> None:
        """Count only the answers after ``time`` in :meth:`lost_share` (where the hung-up lines' count begins)."""
        self._lost_since = time
        self._answered_since = 0

    def record(self, time: float, answered_person: bool, abandoned: bool) -> None:
        if abandoned and not answered_person:
            raise ValueError("only a call answered by a person can be abandoned")
        if self._window.entries and time < self._window.entries[-1][0]:
            raise ValueError("ledger records must come in time order")
        if answered_person:
            self._window.add(time, abandoned)
            self._recent.add(time, abandoned)
            self._answered_since += time > self._lost_since

    def record_given_up(self, time: float, persons: float) -> None:
        """A line hung up unanswered at ``time`` that a person would have answered with chance ``persons``."""
        if persons < 0.0:
            raise ValueError("persons must be a non-negative chance")
        if self._given_up and time < self._given_up[-1][0]:
            raise ValueError("ledger records must come in time order")
        self._given_up.append((time, persons))
        self._given_up_persons += persons

    def lost_share(self, now: float) -> float | None:
        """People the hung-up lines would have brought per person answered, in the window (answers since
        :meth:`count_lost_from`); None while fewer than ``LOST_SHARE_MIN_ANSWERS`` answered (too few to judge)."""
        until = now - self.window_seconds
        while self._given_up and self._given_up[0][0] <= until:
            _, persons = self._given_up.popleft()
            self._given_up_persons -= persons
        if not self._given_up:
            self._given_up_persons = 0.0  # no rounding left behind
        # The window's answers after _lost_since: while the window still reaches back before it, none of those has
        # left it (all recorded since); once it no longer does, every answer in it.
        answered = min(self._window.counts(now, self.window_seconds, self.limit).answered, self._answered_since)
        return self._given_up_persons / answered if answered >= LOST_SHARE_MIN_ANSWERS else None

    def budget(self, now: float) -> AbandonBudget:
        """The window's answers and abandons (what the regulator counts)."""
        return self._window.budget(now, self.window_seconds, self.limit)

    def pacing_budget(self, now: float) -> AbandonBudget:
        """The budget the pacer spends: the window's or the last ``pacing_seconds``', whichever has less left."""
        recent_seconds = min(self.pacing_seconds, self.window_seconds)
        recent = self._recent.counts(now, recent_seconds, self.limit)
        if self._window.counts(now, self.window_seconds, self.limit).remaining < recent.remaining:
            return self.budget(now)
        return self._recent.budget(now, recent_seconds, self.limit)


class _Tally:
    """Person answers (time, abandoned) in time order, and how many of them were abandoned."""

    def __init__(self) -> None:
        self.entries: deque[tuple[float, bool]] = deque()
        self.abandoned = 0
        self._added = 0  # answers ever added: an abandon's answers after it, counted without walking the entries
        self._abandons: deque[tuple[float, int]] = deque()  # (time, answers added before it) of each abandon kept

    def add(self, time: float, abandoned: bool) -> None:
        self.entries.append((time, abandoned))
        self.abandoned += abandoned
        if abandoned:
            self._abandons.append((time, self._added))
        self._added += 1

    def forget(self, until: float) -> None:
        """Drop the entries at or before ``until``."""
        while self.entries and self.entries[0][0] <= until:
            _, abandoned = self.entries.popleft()
            self.abandoned -= abandoned
        while self._abandons and self._abandons[0][0] <= until:
            self._abandons.popleft()

    def counts(self, now: float, seconds: float, limit: float) -> AbandonBudget:
        """What the window of ``seconds`` up to ``now`` holds, without when its abandons leave (a budget's counts)."""
        self.forget(now - seconds)
        return AbandonBudget(limit, len(self.entries), self.abandoned, window_seconds=seconds)

    def budget(self, now: float, seconds: float, limit: float) -> AbandonBudget:
        """What the window of ``seconds`` up to ``now`` holds, and when each of its abandons leaves it."""
        counts = self.counts(now, seconds, limit)  # (forgets what left the window first)
        leaving = tuple((at + seconds - now, self._added - before - 1) for at, before in self._abandons)
        return replace(counts, leaving=leaving)
