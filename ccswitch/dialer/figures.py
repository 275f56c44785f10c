"""A campaign's figures kept in memory: dial outcomes over the abandon window (status, metrics) and the pacer's
estimates (answer rates, answer delay, talk time), updated as lines end. Pure: time is an argument."""

from __future__ import annotations

from collections import Counter, deque
from dataclasses import dataclass

from ccswitch.dialer.leads import DialOutcome
from ccswitch.dialer.pacing import DelayDistribution, DelayEstimator, LogNormal, RateEstimator, TalkTimeEstimator

ESTIMATES_REFRESH_S = 60.0  # the pacer's delay and talk-time snapshots are rebuilt this often (they key its caches)


class OutcomeWindow:
    """Dial outcomes over a rolling window, in one-minute buckets (bounded memory, whatever the dial rate)."""

    BUCKET_S = 60.0

    def __init__(self, window_s: float) -> None:
        self.window_s = window_s
        self._buckets: deque[tuple[float, Counter[DialOutcome]]] = deque()

    def record(self, at: float, outcome: DialOutcome) -> None:
        start = at - at % self.BUCKET_S
        if not self._buckets or self._buckets[-1][0] < start:
            self._buckets.append((start, Counter()))
        self._buckets[-1][1][outcome] += 1

    def counts(self, now: float) -> Counter[DialOutcome]:
        while self._buckets and self._buckets[0][0] + self.BUCKET_S <= now - self.window_s:
            self._buckets.popleft()
        total: Counter[DialOutcome] = Counter()
        for _, counts in self._buckets:
            total.update(counts)
        return total


@dataclass
class Estimates:
    """The pacer's view of one campaign, updated as lines end. The priors are cautious (a high answer rate, long
    talks) and fade like data, so they rule the first minutes only (see ``estimators``)."""

    person: RateEstimator
    machine: RateEstimator
    detection: RateEstimator  # persons' share of the seconds lines spend in answering-machine detection
    delay: DelayEstimator
    talk: TalkTimeEstimator
    delay_now: DelayDistribution
    talk_now: LogNormal
    refreshed_at: float

    @classmethod
    def new(cls, ring_s: int, now: float) -> Estimates:
        delay = DelayEstimator.fading(DelayDistribution.uniform(0, ring_s), prior_weight=20.0, now=now)
        talk = TalkTimeEstimator.fading(LogNormal.from_mean(180.0, 0.8), prior_weight=30.0, now=now)
        return cls(RateEstimator.fading(prior_rate=0.5, prior_weight=50.0, now=now),
                   RateEstimator.fading(prior_rate=0.2, prior_weight=50.0, now=now),
                   RateEstimator.fading(prior_rate=0.5, prior_weight=10.0, now=now),
                   delay, talk, delay.distribution(now), talk.distribution(now), now)

    def refresh(self, now: float) -> bool:
        """Rebuild the snapshots if they are due; whether they were."""
        if now - self.refreshed_at < ESTIMATES_REFRESH_S:
            return False
        self.delay_now, self.talk_now = self.delay.distribution(now), self.talk.distribution(now)
        self.refreshed_at = now
        return True

