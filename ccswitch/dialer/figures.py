"""A campaign's figures kept in memory: dial outcomes over the abandon window (status, metrics) and the pacer's
estimates (answer rates, answer delay, talk time), updated as lines end. Pure: time is an argument."""

from __future__ import annotations

from collections import Counter, deque
from collections.abc import Sequence
from dataclasses import dataclass

from ccswitch.dialer.leads import DialOutcome
from ccswitch.dialer.pacing import (
    AbandonBudget,
    DelayDistribution,
    DelayEstimator,
    LogNormal,
    PacerInput,
    RateEstimator,
    TalkTimeEstimator,
    unseen_outcome,
)

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
    """The pacer's view of one campaign, updated as lines end: the controller's and bench/dialer.py's alike (so the
    bench measures what the controller runs). The priors are cautious (a high answer rate, long talks) and fade like
    data, so they rule the first minutes only (see ``estimators``)."""

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

    # -- what a line tells, as it happens

    def answered(self, now: float, rang: float) -> None:
        """Somebody or something picked up after ringing ``rang`` s (which, detection tells later)."""
        self.delay = self.delay.record(now, rang)

    def classified(self, now: float, machine: bool, detecting_s: float) -> None:
        """Answering-machine detection decided, after listening ``detecting_s`` s."""
        self.person = self.person.record(now, not machine)
        self.machine = self.machine.record(now, machine)
        self.detection = self.detection.record(now, not machine, weight=detecting_s)

    def unanswered(self, now: float) -> None:
        """The line rang out, or failed, with nobody answering."""
        self.person = self.person.record(now, False)
        self.machine = self.machine.record(now, False)

    def given_up(self, now: float, rang: Sequence[float], ring_timeout: float) -> list[float]:
        """The pacer hung these lines up (each having rung so long): their outcome is never seen, so what the model
        expects of each is recorded in its place (``unseen_outcome``; left out, the answer rate would lean high and
        the delays early, as only late answers are cut short). The chance a person would have answered each, for
        the ledger's people lost."""
        person, machine = self.person.mean(now), self.machine.mean(now)  # the rates all of them were dialled at
        persons = []
        for seconds in rang:
            would_person, would_machine = unseen_outcome(person, machine, self.delay_now, seconds, ring_timeout)
            self.person = self.person.record(now, would_person)
            self.machine = self.machine.record(now, would_machine)
            self.delay = self.delay.record_unseen(now, seconds, would_person + would_machine)
            persons.append(would_person)
        return persons

    def talked(self, now: float, seconds: float) -> None:
        """An agent's conversation with a person the campaign reached ended."""
        self.talk = self.talk.record(now, seconds)

    # -- what the pacer is given

    def pacer_input(self, now: float, *, agents_free: int, talking_for: tuple[float, ...],
                    wrap_up_left: tuple[float, ...], ringing_for: tuple[float, ...], detecting: int,
                    wrap_up_seconds: float, budget: AbandonBudget, lost_share: float | None,
                    inbound_waiting: int = 0, inbound_per_second: float = 0.0) -> PacerInput:
        """The pacer's input: what the caller observes of agents and lines now, with these estimates."""
        person = self.person.mean(now)
        return PacerInput(
            agents_free=agents_free,
            talking_for=talking_for,
            wrap_up_left=wrap_up_left,
            ringing_for=ringing_for,
            person_rate=person,
            person_rate_spread=self.person.spread(now),
            machine_rate=min(self.machine.mean(now), 1.0 - person),
            detecting_person_share=self.detection.mean(now),
            answer_delay=self.delay_now,
            talk_time=self.talk_now,
            wrap_up_seconds=wrap_up_seconds,
            budget=budget,
            lost_share=lost_share,
            inbound_waiting=inbound_waiting,
            inbound_per_second=inbound_per_second,
            detecting=detecting,
        )
