"""The pacer's models of a campaign and the estimators that learn them: talk time (lognormal), answer delay
(1-second histogram) and shares of dials (Beta), each fading old data with a half-life so that it follows a drifting
campaign. Pure: time is an argument; estimators are immutable (``record`` returns a new one).

Each has a prior that never fades (``prior_weight``) and may start with one that does (``fading``: pseudo-data
recorded at the start, fading like the data). A lasting prior worth many observations keeps the estimate off the data
for good: 50 dials at 50 % held a 25 % campaign with 10 agents (about 240 dials within a 600 s half-life) at 29 %
(32 % as the upper bound the pacer was given), and it dialled too few lines. The controller and the bench start each
estimator with a cautious prior that fades and a lasting one worth a single observation, which only keeps the
estimate defined through long silences."""

from __future__ import annotations

import math
from dataclasses import dataclass, replace


def _fade(elapsed: float, half_life: float) -> float:
    """Weight left on an observation ``elapsed`` seconds old."""
    return math.exp(-math.log(2.0) * max(0.0, elapsed) / half_life)


def normal_cdf(x: float) -> float:
    return 0.5 * math.erfc(-x / math.sqrt(2.0))


# -- distributions (frozen snapshots the pacer reads) ----------------------------------------------------------


@dataclass(frozen=True)
class LogNormal:
    """Talk time: ``ln(seconds)`` is normal with mean ``mu`` and deviation ``sigma``."""

    mu: float
    sigma: float

    @classmethod
    def from_mean(cls, mean: float, sigma: float) -> LogNormal:
        return cls(mu=math.log(mean) - sigma * sigma / 2.0, sigma=sigma)

    @property
    def mean(self) -> float:
        return math.exp(self.mu + self.sigma * self.sigma / 2.0)

    def cdf(self, seconds: float) -> float:
        if seconds <= 0.0:
            return 0.0
        return normal_cdf((math.log(seconds) - self.mu) / self.sigma)


@dataclass(frozen=True)
class DelayDistribution:
    """Answer delay as a 1-second histogram: ``cumulative[i]`` is ``P(delay ≤ i + 1 s)``; the last is 1."""

    cumulative: tuple[float, ...]

    @classmethod
    def from_weights(cls, weights: tuple[float, ...] | list[float]) -> DelayDistribution:
        """From non-negative weights per second ``[0,1), [1,2), …``."""
        total = sum(weights)
        if total <= 0.0 or min(weights) < 0.0:
            raise ValueError("answer-delay weights must be non-negative with a positive sum")
        running = 0.0
        cumulative = []
        for weight in weights:
            running += weight
            cumulative.append(running / total)
        cumulative[-1] = 1.0
        return cls(tuple(cumulative))

    @classmethod
    def uniform(cls, low: int, high: int) -> DelayDistribution:
        return cls.from_weights([0.0] * low + [1.0] * (high - low))

    @property
    def seconds(self) -> int:
        """The longest delay, rounded up to a whole second."""
        return len(self.cumulative)

    def at(self, whole_seconds: int) -> float:
        """``P(delay ≤ whole_seconds)``."""
        if whole_seconds <= 0:
            return 0.0
        return self.cumulative[min(whole_seconds, len(self.cumulative)) - 1]


# -- estimators (immutable: record returns a new estimator) -------------------------------------------------


@dataclass(frozen=True)
class RateEstimator:
    """Share of dials with some outcome: a Beta prior worth ``prior_weight`` dials plus data fading by half-life."""

    prior_rate: float
    prior_weight: float
    half_life: float = 600.0
    hits: float = 0.0
    trials: float = 0.0
    updated_at: float = 0.0

    @classmethod
    def fading(
        cls, prior_rate: float, prior_weight: float, now: float, half_life: float = 600.0, lasting_weight: float = 1.0
    ) -> RateEstimator:
        """A prior worth ``prior_weight`` dials made ``now``, all but ``lasting_weight`` of them fading like data."""
        faded = max(0.0, prior_weight - lasting_weight)
        return cls(prior_rate, min(prior_weight, lasting_weight), half_life, prior_rate * faded, faded, now)

    def record(self, now: float, hit: float, weight: float = 1.0) -> RateEstimator:
        """One dial's outcome: ``True``/``False``, or the chance of a hit for a line hung up before it had one;
        ``weight``: what it counts for (a share of time, e.g. seconds of detection, instead of one dial)."""
        fade = _fade(now - self.updated_at, self.half_life)
        return replace(self, hits=self.hits * fade + hit * weight, trials=self.trials * fade + weight, updated_at=now)

    def mean(self, now: float) -> float:
        fade = _fade(now - self.updated_at, self.half_life)
        weight = self.prior_weight + self.trials * fade
        return (self.prior_rate * self.prior_weight + self.hits * fade) / weight

    def spread(self, now: float) -> float:
        """The posterior deviation of the rate: wide while data is thin, narrow once it is rich."""
        mean = self.mean(now)
        weight = self.prior_weight + self.trials * _fade(now - self.updated_at, self.half_life)
        return math.sqrt(mean * (1.0 - mean) / (weight + 1.0))


@dataclass(frozen=True)
class DelayEstimator:
    """Answer-delay histogram: a prior worth ``prior_weight`` answers plus answers fading by half-life."""

    prior: DelayDistribution
    prior_weight: float
    half_life: float = 1800.0
    counts: tuple[float, ...] = ()
    updated_at: float = 0.0

    @classmethod
    def fading(
        cls, prior: DelayDistribution, prior_weight: float, now: float, half_life: float = 1800.0,
        lasting_weight: float = 1.0,
    ) -> DelayEstimator:
        """A prior worth ``prior_weight`` answers seen ``now``, all but ``lasting_weight`` of them fading like data."""
        faded = max(0.0, prior_weight - lasting_weight)
        counts = tuple(faded * (prior.at(i + 1) - prior.at(i)) for i in range(prior.seconds))
        return cls(prior, min(prior_weight, lasting_weight), half_life, counts, now)

    def record(self, now: float, delay: float) -> DelayEstimator:
        fade = _fade(now - self.updated_at, self.half_life)
        counts = [count * fade for count in self.counts or [0.0] * self.prior.seconds]
        counts[min(max(0, int(delay)), len(counts) - 1)] += 1.0
        return replace(self, counts=tuple(counts), updated_at=now)

    def record_unseen(self, now: float, rang: float, answered: float) -> DelayEstimator:
        """A line hung up after ringing ``rang`` s, which would have been answered with probability ``answered``:
        that much weight spread over the later delays as the histogram has them (leaving it out would bias the
        delays early: only the late answers are ever cut short)."""
        later = self.distribution(now)
        first = min(max(0, int(rang)), later.seconds - 1)
        beyond = 1.0 - later.at(first)
        if answered <= 0.0 or beyond <= 0.0:
            return self
        fade = _fade(now - self.updated_at, self.half_life)
        counts = [count * fade for count in self.counts or [0.0] * self.prior.seconds]
        for second in range(first, later.seconds):
            counts[second] += answered * (later.at(second + 1) - later.at(second)) / beyond
        return replace(self, counts=tuple(counts), updated_at=now)

    def distribution(self, now: float) -> DelayDistribution:
        fade = _fade(now - self.updated_at, self.half_life)
        prior_mass = [self.prior.at(i + 1) - self.prior.at(i) for i in range(self.prior.seconds)]
        counts = self.counts or (0.0,) * self.prior.seconds
        weights = [self.prior_weight * prior + count * fade for prior, count in zip(prior_mass, counts, strict=True)]
        return DelayDistribution.from_weights(weights)


@dataclass(frozen=True)
class TalkTimeEstimator:
    """Lognormal talk time from fading moments of ``ln(seconds)`` plus a prior worth ``prior_weight`` calls."""

    prior: LogNormal
    prior_weight: float
    half_life: float = 1800.0
    weight: float = 0.0
    log_sum: float = 0.0
    log_square_sum: float = 0.0
    updated_at: float = 0.0

    @classmethod
    def fading(
        cls, prior: LogNormal, prior_weight: float, now: float, half_life: float = 1800.0, lasting_weight: float = 1.0
    ) -> TalkTimeEstimator:
        """A prior worth ``prior_weight`` calls ended ``now``, all but ``lasting_weight`` of them fading like data."""
        faded = max(0.0, prior_weight - lasting_weight)
        second_moment = prior.sigma**2 + prior.mu**2
        return cls(prior, min(prior_weight, lasting_weight), half_life, faded, faded * prior.mu,
                   faded * second_moment, now)

    def record(self, now: float, seconds: float) -> TalkTimeEstimator:
        fade = _fade(now - self.updated_at, self.half_life)
        log = math.log(max(seconds, 1.0))
        return replace(
            self,
            weight=self.weight * fade + 1.0,
            log_sum=self.log_sum * fade + log,
            log_square_sum=self.log_square_sum * fade + log * log,
            updated_at=now,
        )

    def distribution(self, now: float) -> LogNormal:
        fade = _fade(now - self.updated_at, self.half_life)
        total = self.prior_weight + self.weight * fade
        mu = (self.prior_weight * self.prior.mu + self.log_sum * fade) / total
        second = (self.prior_weight * (self.prior.sigma**2 + self.prior.mu**2) + self.log_square_sum * fade) / total
        return LogNormal(mu=mu, sigma=math.sqrt(max(second - mu * mu, 0.01)))


@dataclass(frozen=True)
class ArrivalEstimator:
    """Arrivals per second (inbound calls joining a queue): arrivals counted against the time watched, both fading
    by half-life, so the rate follows the day's rises and falls. Nothing watched yet: no arrivals expected."""

    half_life: float = 600.0
    arrivals: float = 0.0
    watched: float = 0.0  # seconds watched, faded as the arrivals are
    updated_at: float = 0.0

    @classmethod
    def starting(cls, now: float, half_life: float = 600.0) -> ArrivalEstimator:
        """Watching from ``now``."""
        return cls(half_life, 0.0, 0.0, now)

    def record(self, now: float, joined: int) -> ArrivalEstimator:
        """``joined`` calls arrived since the last record (none is a figure too: time watched)."""
        arrivals, watched = self._faded(now)
        return replace(self, arrivals=arrivals + joined, watched=watched, updated_at=now)

    def per_second(self, now: float) -> float:
        arrivals, watched = self._faded(now)
        return arrivals / watched if watched > 0.0 else 0.0

    def _faded(self, now: float) -> tuple[float, float]:
        """The arrivals and the time watched as they weigh at ``now``: each second watched fades like an arrival
        then would (``∫ fade`` over the time since the last record)."""
        fade = _fade(now - self.updated_at, self.half_life)
        since = (1.0 - fade) * self.half_life / math.log(2.0)
        return self.arrivals * fade, self.watched * fade + since
