"""The pacer's estimates of a campaign (``figures.Estimates``): what each line event records, and what the pacer is
given; and the inbound arrival rate blended pacing counts. The controller and bench/dialer.py both feed the pacer
through these, so the bench measures what runs."""

from __future__ import annotations

import random

import pytest

from ccswitch.dialer.estimators import ArrivalEstimator
from ccswitch.dialer.figures import ESTIMATES_REFRESH_S, Estimates
from ccswitch.dialer.pacing import AbandonBudget, unseen_outcome

START = 1_000.0


def test_a_fresh_campaign_starts_from_cautious_priors() -> None:
    estimates = Estimates.new(30, START)
    assert estimates.person.mean(START) == pytest.approx(0.5)
    assert estimates.machine.mean(START) == pytest.approx(0.2)
    assert estimates.talk_now.mean == pytest.approx(180.0)
    assert estimates.delay_now.seconds == 30


def test_lines_given_up_together_are_priced_at_the_rates_they_were_dialled_at() -> None:
    estimates = Estimates.new(30, START)
    person, machine, delay = estimates.person, estimates.machine, estimates.delay_now
    persons = estimates.given_up(START + 20, [17.0, 25.0], ring_timeout=30.0)
    expected = [unseen_outcome(person.mean(START + 20), machine.mean(START + 20), delay, rang, 30.0)
                for rang in (17.0, 25.0)]
    assert persons == pytest.approx([would_person for would_person, _ in expected])
    assert persons[0] > persons[1] > 0.0  # the longer a line has rung, the less it could still bring
    faded = person.record(START + 20, 0.0, weight=0.0)
    assert (estimates.person.trials, estimates.person.hits) == pytest.approx(
        (faded.trials + 2.0, faded.hits + sum(persons)))
    assert estimates.machine.hits == pytest.approx(
        machine.record(START + 20, 0.0, weight=0.0).hits + sum(would_machine for _, would_machine in expected))


def test_a_line_given_up_at_the_ring_timeout_would_have_brought_nobody() -> None:
    estimates = Estimates.new(30, START)
    before = estimates.person.mean(START + 30)
    assert estimates.given_up(START + 30, [30.0], ring_timeout=30.0) == [0.0]
    assert estimates.person.mean(START + 30) < before  # a dial that brought nobody


def test_detection_counts_persons_by_their_share_of_the_time_lines_spend_there() -> None:
    estimates = Estimates.new(30, START)
    for second in range(200):  # machines held 3 s each, persons told apart at once
        estimates.classified(START + second, machine=second % 2 == 0, detecting_s=3.0 if second % 2 == 0 else 0.0)
    assert estimates.person.mean(START + 200) == pytest.approx(0.5, abs=0.02)  # half the answers were persons...
    assert estimates.detection.mean(START + 200) < 0.1  # ...but took none of the time in detection


def test_rings_out_and_talks_move_the_rates_and_the_talk_time_once_refreshed() -> None:
    estimates = Estimates.new(30, START)
    for second in range(100):
        estimates.unanswered(START + second)
        estimates.talked(START + second, 60.0)
        estimates.answered(START + second, 5.5)
    assert estimates.person.mean(START + 100) < 0.3
    assert estimates.talk_now.mean == pytest.approx(180.0)  # the snapshot the pacer caches by ...
    assert not estimates.refresh(START + ESTIMATES_REFRESH_S - 1)
    assert estimates.refresh(START + ESTIMATES_REFRESH_S)  # ... until it is due
    assert estimates.talk_now.mean < 120.0
    assert estimates.delay_now.at(6) > 0.5  # most answers now come at 5 s


def test_the_pacer_is_given_the_estimates_with_what_the_caller_observes() -> None:
    estimates = Estimates.new(30, START)
    for second in range(300):
        estimates.classified(START + second, machine=second % 4 == 0, detecting_s=2.0)
    now = START + 300
    budget = AbandonBudget(0.03, 100, 1)
    inp = estimates.pacer_input(now, agents_free=2, talking_for=(30.0,), wrap_up_left=(4.0,), ringing_for=(16.0,),
                                detecting=1, wrap_up_seconds=10.0, budget=budget, lost_share=0.05)
    assert (inp.person_rate, inp.machine_rate) == (estimates.person.mean(now), estimates.machine.mean(now))
    assert inp.person_rate == pytest.approx(0.7, abs=0.05)
    assert inp.person_rate_spread == estimates.person.spread(now) > 0.0
    assert inp.detecting_person_share == estimates.detection.mean(now)
    assert (inp.answer_delay, inp.talk_time) == (estimates.delay_now, estimates.talk_now)
    assert (inp.agents_free, inp.talking_for, inp.wrap_up_left, inp.ringing_for, inp.detecting) == (
        2, (30.0,), (4.0,), (16.0,), 1)
    assert (inp.budget, inp.lost_share, inp.inbound_waiting) == (budget, 0.05, 0)


def test_arrivals_are_counted_against_the_time_watched_and_follow_a_change_within_a_few_half_lives() -> None:
    rng = random.Random(3)
    arrivals = ArrivalEstimator.starting(START, half_life=600.0)
    assert arrivals.per_second(START) == 0.0  # nothing watched yet
    assert arrivals.record(START + 60, 0).per_second(START + 60) == 0.0  # a quiet minute is a figure too
    for second in range(1, 3601):  # 0.2 calls a second for an hour, recorded every second
        arrivals = arrivals.record(START + second, sum(rng.random() < 0.05 for _ in range(4)))
    assert arrivals.per_second(START + 3600) == pytest.approx(0.2, rel=0.1)
    ticks = ArrivalEstimator.starting(START, half_life=600.0)  # the same rate told every 10 s: about the same figure
    for second in range(10, 3601, 10):
        ticks = ticks.record(START + second, 2)
    assert ticks.per_second(START + 3600) == pytest.approx(0.2, rel=0.01)  # (counted at the tick, not through it)
    for second in range(3601, 3601 + 1800):  # then none for half an hour (three half-lives)
        arrivals = arrivals.record(START + second, 0)
    assert arrivals.per_second(START + 5400) < 0.2 / 8 * 1.2
