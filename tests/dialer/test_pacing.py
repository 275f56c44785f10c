"""The pacer, its ledger and estimators: hand-computed cases, the budget's edges, determinism."""

from __future__ import annotations

import inspect
import math
import random
from dataclasses import MISSING, fields, replace

import pytest

from ccswitch.dialer import (
    AbandonBudget,
    AbandonLedger,
    DelayDistribution,
    DelayEstimator,
    LogNormal,
    PacerInput,
    PacingPolicy,
    RateEstimator,
    TalkTimeEstimator,
    abandon_allowance,
    abandon_probability,
    agents_to_hold,
    lines_to_dial,
    progressive_lines,
)
from ccswitch.dialer.pacing import (
    MIN_RING_SECONDS,
    PacingDecision,
    cancel_threshold,
    cautious_input,
    lines_to_cancel,
    overrun_cap,
    pace,
    unseen_outcome,
)

PLENTY = AbandonBudget(limit=0.03, answered=1000, abandoned=0)
SPENT = AbandonBudget(limit=0.03, answered=1000, abandoned=30)
TALK = LogNormal.from_mean(120.0, 0.8)


def observe(**changes: object) -> PacerInput:
    """A 20-agent campaign mid-shift: answer rate 25 %, machines 15 %, answers 5-30 s after dialling."""
    rng = random.Random(7)
    base = PacerInput(
        agents_free=3,
        talking_for=tuple(rng.uniform(0.0, 300.0) for _ in range(15)),
        wrap_up_left=(4.0, 9.0),
        ringing_for=tuple(rng.uniform(0.0, 30.0) for _ in range(12)),
        person_rate=0.25,
        machine_rate=0.15,
        answer_delay=DelayDistribution.uniform(5, 30),
        talk_time=TALK,
        wrap_up_seconds=10.0,
        budget=PLENTY,
    )
    return replace(base, **changes)


def lone(**changes: object) -> PacerInput:
    """Nobody talking, nothing ringing: the hand-computed cases start from here."""
    return observe(**({"talking_for": (), "wrap_up_left": (), "ringing_for": (), "agents_free": 1} | changes))


# -- lines_to_dial -------------------------------------------------------------------------------------------------


def test_given_no_agents_when_pacing_then_no_lines() -> None:
    assert lines_to_dial(observe(agents_free=0, talking_for=(), wrap_up_left=(), ringing_for=())) == 0


def test_given_spent_budget_when_pacing_then_lines_carry_at_most_the_floor_risk() -> None:
    inp = observe(agents_free=5, ringing_for=(3.0, 12.0), budget=SPENT)
    lines = lines_to_dial(inp)
    assert progressive_lines(inp) == 3 < lines < lines_to_dial(replace(inp, budget=PLENTY))
    assert abandon_probability(inp, lines) <= 0.1 * 0.03 < abandon_probability(inp, lines + 1)


def test_given_spent_budget_and_no_floor_when_pacing_then_only_lines_that_cannot_abandon() -> None:
    inp = observe(agents_free=5, ringing_for=(3.0, 12.0), budget=SPENT)
    assert lines_to_dial(inp, PacingPolicy(min_risk=0.0)) == 3


def test_given_budget_when_pacing_then_more_lines_than_progressive_and_a_sane_number() -> None:
    inp = observe()
    lines = lines_to_dial(inp)
    assert progressive_lines(inp) == 0
    assert 1 <= lines <= 40
    assert abandon_probability(inp, lines) <= abandon_allowance(inp.budget) < abandon_probability(inp, lines + 1)


def test_given_a_fresh_campaign_when_pacing_then_progressive_until_answers_build_a_budget() -> None:
    inp = observe(agents_free=6, ringing_for=(1.0,), budget=AbandonBudget(limit=0.03, answered=0, abandoned=0))
    assert lines_to_dial(inp) == 5


def test_given_inbound_calls_waiting_when_pacing_then_outbound_yields() -> None:
    calm = observe(agents_free=8, ringing_for=())
    busy = replace(calm, inbound_waiting=6, inbound_per_second=0.2)
    assert lines_to_dial(busy) < lines_to_dial(calm)
    assert progressive_lines(busy) == 2


def test_given_a_higher_answer_rate_when_pacing_then_fewer_lines() -> None:
    assert lines_to_dial(observe(person_rate=0.5)) < lines_to_dial(observe(person_rate=0.25))


def test_given_equal_inputs_when_pacing_then_equal_answers() -> None:
    assert lines_to_dial(observe()) == lines_to_dial(observe())
    assert abandon_probability(observe(), 9) == abandon_probability(observe(), 9)


def test_abandon_probability_grows_with_the_lines_launched() -> None:
    chances = [abandon_probability(observe(), n) for n in range(1, 30)]
    assert chances == sorted(chances)
    assert chances[0] < 0.01 < chances[-1]


# -- abandon_probability, by hand ---------------------------------------------------------------------------------


def test_one_free_agent_two_certain_answers_at_the_same_second_then_one_is_abandoned() -> None:
    inp = lone(person_rate=1.0, machine_rate=0.0, answer_delay=DelayDistribution.uniform(9, 10))
    assert abandon_probability(inp, 1) == 0.0
    assert abandon_probability(inp, 2) == 1.0
    assert lines_to_dial(inp) == 1


def test_one_free_agent_two_coin_flip_answers_then_even_odds_for_the_other() -> None:
    # margin = 1 free - 0.5 expected other answers, variance 0.25: P(margin < 0.5) = Phi(0) = 0.5
    inp = lone(person_rate=0.5, machine_rate=0.0, answer_delay=DelayDistribution.uniform(9, 10))
    assert abandon_probability(inp, 2) == pytest.approx(0.5)


def test_a_line_still_ringing_is_less_likely_to_be_answered_than_a_fresh_one() -> None:
    # Answers come at 2 s or at 10 s. A line ringing for 5 s missed the 2 s chance: a person answers it (at 10 s)
    # with p*0.5 / (1 - (p+m)*0.5) = 0.25 / 0.6. A new line answered at 2 s (half the time) finds the agent;
    # answered at 10 s it competes: P = 0.5 * Phi((q - 0.5) / sqrt(q(1-q))).
    delay = DelayDistribution.from_weights([0, 0, 1, 0, 0, 0, 0, 0, 0, 0, 1])
    inp = lone(person_rate=0.5, machine_rate=0.3, answer_delay=delay, ringing_for=(5.4,))
    q = 0.25 / 0.6
    expected = 0.5 * 0.5 * math.erfc(-((q - 0.5) / math.sqrt(q * (1 - q))) / math.sqrt(2))
    assert abandon_probability(inp, 1, PacingPolicy(forecast_step=1)) == pytest.approx(expected)


@pytest.mark.parametrize(("wrap_up_left", "abandoned"), [(3.0, 0.0), (3.5, 1.0)])
def test_an_agent_finishing_wrap_up_within_the_grace_takes_the_answer(wrap_up_left: float, abandoned: float) -> None:
    # the answer comes in the first second (counted at 1 s); the agent is free at 3 s: within the 2 s grace
    inp = lone(
        agents_free=0,
        wrap_up_left=(wrap_up_left,),
        person_rate=1.0,
        machine_rate=0.0,
        answer_delay=DelayDistribution.uniform(0, 1),
    )
    assert abandon_probability(inp, 1, PacingPolicy(forecast_step=1)) == abandoned


def test_a_talking_agent_counts_with_the_chance_the_call_ends_in_time() -> None:
    # one agent has talked 100 s; no wrap-up; an answer at 10 s finds it if the talk ends by 12 s from now
    talk = LogNormal(mu=math.log(100.0), sigma=0.5)
    inp = lone(
        agents_free=0,
        talking_for=(100.0,),
        wrap_up_seconds=0.0,
        talk_time=talk,
        person_rate=1.0,
        machine_rate=0.0,
        answer_delay=DelayDistribution.uniform(9, 10),
    )
    done = talk.cdf(100.0)
    free = (talk.cdf(112.0) - done) / (1.0 - done)
    expected = 0.5 * math.erfc(-((0.5 - free) / math.sqrt(free * (1 - free))) / math.sqrt(2))
    assert abandon_probability(inp, 1, PacingPolicy(forecast_step=1)) == pytest.approx(expected)


# -- the budget ---------------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("answered", "abandoned", "allowance"),
    [
        (0, 0, 0.0),  # nothing answered yet: no budget, start progressive
        (1000, 0, 0.03),  # (30 - 3 reserve) / 30 unspent >= the taper: full risk
        (1000, 20, 0.03 * (0.1 + 0.9 * (7 / 30) / 0.3)),  # under the taper: sliding towards the floor
        (1000, 27, 0.003),  # only the reserve is left: the floor
        (1000, 40, 0.003),  # over budget: the floor, far under the limit, pulls the window's rate down
    ],
)
def test_allowance_spends_the_window_budget(answered: int, abandoned: int, allowance: float) -> None:
    budget = AbandonBudget(limit=0.03, answered=answered, abandoned=abandoned)
    assert abandon_allowance(budget) == pytest.approx(allowance)


@pytest.mark.parametrize(("answered", "unspent"), [(1000, (30 - math.sqrt(30)) / 30), (100, (3 - math.sqrt(3)) / 3)])
def test_the_reserve_grows_with_the_square_root_of_the_budget(answered: int, unspent: float) -> None:
    # abandons in an hour are about Poisson: a small team's budget needs a larger share of it kept back
    policy = PacingPolicy(reserve_abandons=0.0, reserve_deviations=1.0, taper=1.0, min_risk=0.0, max_risk=1.0)
    budget = AbandonBudget(limit=0.03, answered=answered, abandoned=0)
    assert abandon_allowance(budget, policy) == pytest.approx(0.03 * unspent)


@pytest.mark.parametrize(("abandoned", "risk"), [(0, 0.65), (10, 0.65), (20, 0.65), (33, 0.1), (50, 0.1)])
def test_the_shipped_pacer_holds_a_steady_allowance_far_from_its_reserve(abandoned: int, risk: float) -> None:
    # an hour of 50 agents: 1300 answers allow 39 abandons, sqrt(39) = 6.2 of them kept back
    budget = AbandonBudget(limit=0.03, answered=1300, abandoned=abandoned)
    assert abandon_allowance(budget, PacingPolicy.cancelling(ring_timeout=30.0)) == pytest.approx(0.03 * risk)


def test_the_shipped_pacer_leans_on_its_allowance_as_the_budget_nears_its_reserve() -> None:
    policy = PacingPolicy.cancelling(ring_timeout=30.0)
    allowances = [abandon_allowance(AbandonBudget(0.03, 1300, abandoned), policy) for abandoned in range(20, 34)]
    assert allowances == sorted(allowances, reverse=True)
    assert 0.03 * policy.min_risk < allowances[10] < 0.03 * policy.max_risk  # 30 abandons: on the slope


def test_ledger_window_rolls() -> None:
    ledger = AbandonLedger(window_seconds=3600.0, limit=0.03)
    ledger.record(0.0, answered_person=True, abandoned=True)
    ledger.record(10.0, answered_person=True, abandoned=False)
    ledger.record(20.0, answered_person=False, abandoned=False)
    assert ledger.budget(3599.0) == AbandonBudget(limit=0.03, answered=2, abandoned=1)
    assert ledger.budget(3600.0) == AbandonBudget(limit=0.03, answered=1, abandoned=0)
    assert ledger.budget(3610.0).answered == 0
    assert ledger.budget(3610.0).rate == 0.0


def test_ledger_refuses_impossible_records() -> None:
    ledger = AbandonLedger()
    with pytest.raises(ValueError, match="answered by a person"):
        ledger.record(1.0, answered_person=False, abandoned=True)
    ledger.record(5.0, answered_person=True, abandoned=False)
    with pytest.raises(ValueError, match="time order"):
        ledger.record(4.0, answered_person=True, abandoned=False)


def test_budget_remaining_and_rate() -> None:
    budget = AbandonBudget(limit=0.03, answered=200, abandoned=4)
    assert budget.rate == pytest.approx(0.02)
    assert budget.remaining == pytest.approx(2.0)


# -- estimators ---------------------------------------------------------------------------------------------------


def test_rate_estimator_starts_conservative_and_learns_the_rate() -> None:
    rng = random.Random(1)
    estimator = RateEstimator(prior_rate=0.5, prior_weight=50.0, half_life=600.0)
    for second in range(20):
        estimator = estimator.record(float(second), rng.random() < 0.25)
    assert estimator.mean(20.0) > 0.4  # 20 dials cannot outweigh the cautious prior
    for second in range(20, 3000):
        estimator = estimator.record(float(second), rng.random() < 0.25)
    assert estimator.mean(3000.0) == pytest.approx(0.25, abs=0.03)
    assert 0.0 < estimator.spread(3000.0) < 0.03


def test_rate_estimator_with_a_fading_prior_starts_conservative_and_then_follows_the_data_alone() -> None:
    fading = RateEstimator.fading(prior_rate=0.5, prior_weight=50.0, now=0.0, half_life=600.0)
    lasting = RateEstimator(prior_rate=0.5, prior_weight=50.0, half_life=600.0)
    assert fading.mean(0.0) == pytest.approx(0.5) and fading.spread(0.0) == pytest.approx(lasting.spread(0.0))
    thin = fading.spread(0.0)
    for second in range(3000):  # a dial every 4 s, 1 in 4 answered by a person: about 212 dials in reach
        if second % 4 == 0:
            hit = second % 16 == 0
            fading, lasting = fading.record(float(second), hit), lasting.record(float(second), hit)
    assert fading.mean(3000.0) == pytest.approx(0.25, abs=0.006)
    assert lasting.mean(3000.0) > 0.29  # 50 dials at 50 % never fade
    assert fading.spread(3000.0) < thin / 2


def test_rate_estimator_weighs_an_observation_by_what_it_counts_for() -> None:
    # persons' share of detection time: a 3 s machine, a person told apart at once, a 1 s person
    share = RateEstimator(prior_rate=0.5, prior_weight=1.0)
    share = share.record(0.0, False, weight=3.0).record(0.0, True, weight=0.0).record(0.0, True, weight=1.0)
    assert share.mean(0.0) == pytest.approx((0.5 + 1.0) / 5.0)


def test_delay_and_talk_estimators_with_a_fading_prior_start_at_the_prior_and_forget_it() -> None:
    prior = DelayDistribution.uniform(0, 30)
    delay = DelayEstimator.fading(prior, prior_weight=20.0, now=0.0, half_life=600.0)
    assert delay.distribution(0.0).cumulative == pytest.approx(prior.cumulative)
    talk = TalkTimeEstimator.fading(LogNormal.from_mean(240.0, 0.8), prior_weight=30.0, now=0.0, half_life=600.0)
    assert talk.distribution(0.0).mean == pytest.approx(240.0) and talk.distribution(0.0).sigma == pytest.approx(0.8)
    for i in range(3000):
        delay = delay.record(float(i), 10.0 + (i % 10))  # 10-19 s
        talk = talk.record(float(i), 120.0)
    assert delay.distribution(3000.0).at(10) < 0.001  # the lasting prior: 1 answer in about 866
    assert talk.distribution(3000.0).mean == pytest.approx(120.0, rel=0.01)


def test_rate_estimator_follows_a_drift_within_a_few_half_lives() -> None:
    estimator = RateEstimator(prior_rate=0.5, prior_weight=10.0, half_life=300.0)
    for second in range(3000):
        estimator = estimator.record(float(second), second % 10 < 3)  # 30 %
    for second in range(3000, 5000):
        estimator = estimator.record(float(second), second % 10 < 1)  # then 10 %
    assert estimator.mean(5000.0) == pytest.approx(0.10, abs=0.02)


def test_delay_estimator_learns_the_histogram() -> None:
    estimator = DelayEstimator(prior=DelayDistribution.uniform(0, 30), prior_weight=5.0)
    for i in range(2000):
        estimator = estimator.record(float(i), 10.0 + (i % 10))  # 10-19 s
    learned = estimator.distribution(2000.0)
    assert learned.at(10) < 0.02
    assert learned.at(20) > 0.98


def test_talk_time_estimator_learns_the_lognormal() -> None:
    rng = random.Random(3)
    estimator = TalkTimeEstimator(prior=LogNormal.from_mean(240.0, 0.8), prior_weight=30.0)
    for i in range(3000):
        estimator = estimator.record(float(i), rng.lognormvariate(TALK.mu, TALK.sigma))
    learned = estimator.distribution(3000.0)
    assert learned.mean == pytest.approx(120.0, rel=0.1)
    assert learned.sigma == pytest.approx(0.8, abs=0.08)


# -- validation ---------------------------------------------------------------------------------------------------


def test_ring_timeout_below_the_minimum_is_refused() -> None:
    with pytest.raises(ValueError, match="at least 15"):
        PacingPolicy(ring_timeout=10.0)


@pytest.mark.parametrize(("min_risk", "max_risk"), [(1.0, 1.5), (0.5, 0.4), (-0.1, 1.0)])
def test_min_risk_must_be_a_floor_under_the_limit_and_max_risk(min_risk: float, max_risk: float) -> None:
    with pytest.raises(ValueError, match="min_risk"):
        PacingPolicy(min_risk=min_risk, max_risk=max_risk)


def test_rates_must_be_shares() -> None:
    with pytest.raises(ValueError, match="shares"):
        observe(person_rate=0.7, machine_rate=0.4)


def test_delay_weights_must_be_usable() -> None:
    with pytest.raises(ValueError, match="non-negative"):
        DelayDistribution.from_weights([0.0, 0.0])


@pytest.mark.parametrize("changes", [{"min_ring": 14.0}, {"min_ring": 31.0}, {"late_weight": 1.5},
                                     {"cancel_risk": -1.0}, {"cancel_horizon": 0.0}, {"reserve_deviations": -1.0},
                                     {"rate_deviations": -0.5}, {"cancel_step": -1}, {"lost_target": 0.0},
                                     {"lost_gain": -1.0}, {"lost_range": 0.5}])
def test_cancelling_knobs_are_checked(changes: dict[str, float]) -> None:
    with pytest.raises(ValueError, match=r"min_ring|cancel_risk|cancel_horizon|_deviations|cancel_step|lost_"):
        PacingPolicy(ring_timeout=30.0, **changes)


@pytest.mark.parametrize(("changes", "problem"), [({"person_rate_spread": -0.01}, "person_rate_spread"),
                                                  ({"detecting_person_share": 1.2}, "detecting_person_share"),
                                                  ({"detecting_person_share": -0.1}, "detecting_person_share"),
                                                  ({"lost_share": -0.01}, "lost_share")])
def test_the_rates_uncertainty_and_the_detection_share_are_checked(changes: dict[str, float], problem: str) -> None:
    with pytest.raises(ValueError, match=problem):
        observe(**changes)


# -- cancelling lines that rang the minimum ------------------------------------------------------------------------

# hang up a line whose abandon risk within 6 s per person lost exceeds the allowance (3 % with PLENTY)
CANCELLING = PacingPolicy(cancel_risk=1.0, cancel_horizon=6.0)
SURE_AT_19 = DelayDistribution.uniform(19, 20)  # every answer 19-20 s after dialling


def sure(**changes: object) -> PacerInput:
    """No agent busy; every line is answered by a person 19-20 s after it was dialled."""
    return lone(**({"person_rate": 1.0, "machine_rate": 0.0, "answer_delay": SURE_AT_19} | changes))


def test_given_cancelling_off_when_pacing_then_no_line_is_hung_up() -> None:
    inp = sure(agents_free=0, ringing_for=(16.0,))
    assert lines_to_cancel(inp) == ()
    assert pace(inp) == PacingDecision(cancel=(), dial=lines_to_dial(inp))


def test_given_a_sure_answer_and_no_agent_when_it_rang_the_minimum_then_it_is_hung_up() -> None:
    # margin without the line: 0 agents, so its answer 3-4 s from now is abandoned for sure: yield 1 > 3 %
    inp = sure(agents_free=0, ringing_for=(10.0, 16.0))
    assert lines_to_cancel(inp, CANCELLING) == (1,)  # the line at 10 s has not rung the legal 15 s yet


def test_given_a_line_under_the_minimum_ring_when_it_is_doomed_then_it_still_rings() -> None:
    inp = sure(agents_free=0, ringing_for=(14.9,))
    assert lines_to_cancel(inp, CANCELLING) == ()
    assert lines_to_cancel(inp, replace(CANCELLING, min_ring=20.0)) == ()
    assert lines_to_cancel(replace(inp, ringing_for=(16.0,)), replace(CANCELLING, min_ring=20.0)) == ()


def test_given_two_sure_answers_and_one_agent_then_the_later_answer_goes() -> None:
    # the 17.5 s line is answered within 3 s and takes the agent (risk 0); the 16 s one, answered 3-6 s from now,
    # finds nobody (risk 1, and a person for sure: yield 1)
    inp = sure(agents_free=1, ringing_for=(16.0, 17.5))
    assert lines_to_cancel(inp, CANCELLING) == (0,)
    assert pace(inp, CANCELLING) == PacingDecision(cancel=(0,), dial=0)  # a new line would meet no agent


def test_given_two_sure_answers_at_the_same_time_and_one_agent_then_the_longest_rung_goes() -> None:
    # both yield 1 (margin 1 - 2 answers): the tie goes to the older line; without it the other's margin is 1
    assert lines_to_cancel(sure(agents_free=1, ringing_for=(16.2, 16.7)), CANCELLING) == (1,)


def test_given_as_many_free_agents_as_lines_then_none_is_hung_up() -> None:
    assert lines_to_cancel(sure(agents_free=2, ringing_for=(16.0, 17.5)), CANCELLING) == ()


def test_given_coin_flip_answers_when_cancelling_then_the_risk_is_the_normal_bound() -> None:
    # one agent; two lines at 14 s (too young to cancel) and one at 16 s, each a person with p = 0.5, all answered
    # by 6 s from now. Without the 16 s line the margin at 6 s is 1 - 0.5 - 0.5 = 0, variance 0.5, so its risk is
    # 0.5 x P(margin < 0.5) = 0.5 x Phi(0.5 / sqrt(0.5)); per person lost (0.5) that is 0.7602: hung up when the
    # threshold (cancel_risk x 3 %) is under it.
    inp = sure(person_rate=0.5, ringing_for=(14.0, 16.0, 14.0))
    risk = 0.5 * math.erfc(-(0.5 / math.sqrt(0.5)) / math.sqrt(2))
    assert risk == pytest.approx(0.7602, abs=1e-4)
    assert lines_to_cancel(inp, replace(CANCELLING, cancel_risk=risk / 0.03 - 0.01)) == (1,)
    assert lines_to_cancel(inp, replace(CANCELLING, cancel_risk=risk / 0.03 + 0.01)) == ()
    # a spent budget lowers the threshold with the allowance: to its floor, 0.1 x 3 %
    spent = replace(inp, budget=SPENT)
    assert lines_to_cancel(spent, replace(CANCELLING, cancel_risk=risk / 0.003 - 0.1)) == (1,)
    assert lines_to_cancel(spent, replace(CANCELLING, cancel_risk=risk / 0.003 + 0.1)) == ()


def test_late_weight_discounts_the_risk_of_answers_after_the_minimum_ring() -> None:
    # one agent, two sure answers at 16-17 s: the second is abandoned, but in the step (15, 18] a line past the
    # minimum ring may be cancelled first, so only late_weight of it counts
    inp = sure(answer_delay=DelayDistribution.uniform(16, 17))
    assert abandon_probability(inp, 2) == 1.0
    assert abandon_probability(inp, 2, PacingPolicy(late_weight=0.5)) == 0.5
    assert abandon_probability(inp, 2, PacingPolicy(late_weight=0.0)) == 0.0
    early = sure(answer_delay=DelayDistribution.uniform(9, 10))
    assert abandon_probability(early, 2, PacingPolicy(late_weight=0.0)) == 1.0


def test_given_equal_inputs_when_cancelling_then_equal_answers() -> None:
    inp = observe(agents_free=0, budget=SPENT)
    assert lines_to_cancel(inp, CANCELLING) == lines_to_cancel(inp, CANCELLING)
    cancelled = lines_to_cancel(inp, CANCELLING)
    assert cancelled and all(inp.ringing_for[i] >= MIN_RING_SECONDS for i in cancelled)


# -- lines being classified by answering-machine detection --------------------------------------------------------


def test_given_a_line_being_classified_when_pacing_then_it_is_a_person_only_with_the_person_share() -> None:
    # one free agent; a line in detection is a person with 0.5 / (0.5 + 0.5): the margin for a new line answered
    # at 10 s is 1 - 0.5 (mean), variance 0.25, so P(margin < 0.5) = Phi(0) = 0.5. Held as a waiting call, the
    # agent would be gone for sure.
    inp = lone(person_rate=0.5, machine_rate=0.5, answer_delay=DelayDistribution.uniform(9, 10), detecting=1)
    assert abandon_probability(inp, 1, PacingPolicy(forecast_step=1)) == pytest.approx(0.5)
    held = replace(inp, detecting=0, inbound_waiting=1)
    assert abandon_probability(held, 1, PacingPolicy(forecast_step=1)) == 1.0


@pytest.mark.parametrize(("share", "abandoned"), [(0.0, 0.0), (0.5, 0.5), (1.0, 1.0)])
def test_given_the_persons_share_of_detection_when_pacing_then_a_line_being_classified_counts_with_it(
    share: float, abandoned: float
) -> None:
    # as above, but the controller measured the share of detection time that persons take: persons told apart at
    # once (0) leave the agent free; with 1 the line is a person for sure
    inp = lone(person_rate=0.5, machine_rate=0.5, answer_delay=DelayDistribution.uniform(9, 10), detecting=1,
               detecting_person_share=share)
    assert abandon_probability(inp, 1, PacingPolicy(forecast_step=1)) == pytest.approx(abandoned)


def test_given_a_line_being_classified_when_dialling_progressively_then_it_holds_an_agent() -> None:
    assert progressive_lines(lone(agents_free=3, detecting=1, ringing_for=(4.0,))) == 1


# -- the person rate's uncertainty: a quantile while data is thin, near the mean once it is rich ---------------------


def test_given_no_spread_then_the_person_rate_is_taken_as_it_is() -> None:
    inp = observe(person_rate=0.25)
    assert cautious_input(inp, PacingPolicy(rate_deviations=2.0)) is inp


def test_given_a_spread_then_the_pacer_dials_for_the_rate_that_many_deviations_above_the_mean() -> None:
    inp = observe(person_rate=0.25, person_rate_spread=0.04)
    policy = PacingPolicy(rate_deviations=0.5)
    assert cautious_input(inp, policy) == replace(inp, person_rate=0.27, person_rate_spread=0.0)
    as_if = replace(inp, person_rate=0.27, person_rate_spread=0.0)
    assert lines_to_dial(inp, policy) == lines_to_dial(as_if, policy)
    assert abandon_probability(inp, 5, policy) == abandon_probability(as_if, 5, policy)
    cancelling = PacingPolicy.cancelling(ring_timeout=30.0)
    spent = replace(inp, agents_free=0, budget=SPENT)
    assert lines_to_cancel(spent, cancelling) == lines_to_cancel(replace(spent, person_rate=0.27,
                                                                         person_rate_spread=0.0), cancelling)


def test_given_a_spread_beyond_what_the_machines_leave_then_the_rate_stops_there() -> None:
    inp = observe(person_rate=0.8, machine_rate=0.15, person_rate_spread=0.2)
    assert cautious_input(inp, PacingPolicy(rate_deviations=1.0)).person_rate == pytest.approx(0.85)


def test_given_thin_data_when_pacing_then_fewer_lines_than_with_rich_data_at_the_same_mean() -> None:
    thin, rich = observe(person_rate_spread=0.05), observe(person_rate_spread=0.005)
    assert lines_to_dial(thin) < lines_to_dial(rich) <= lines_to_dial(observe())


# -- which lines go: abandon risk removed soon, per person lost ---------------------------------------------------

HALF_5_30 = {"person_rate": 0.5, "machine_rate": 0.0, "answer_delay": DelayDistribution.uniform(5, 30)}


def test_given_no_agent_at_all_then_a_line_goes_when_its_near_risk_per_person_lost_exceeds_the_threshold() -> None:
    # No agent will be free: a person answering the 16 s line within 3 s is abandoned for sure. It is answered by
    # a person within 3 s with 0.5 * 3/25 / u and ever with 0.5 * 14/25 / u (u = 1 - 0.5 * 11/25): its yield is
    # 3/14 = 0.2143 abandons avoided per person lost. The threshold is cancel_risk x 3 %.
    inp = lone(agents_free=0, ringing_for=(16.0,), **HALF_5_30)
    assert lines_to_cancel(inp, PacingPolicy(cancel_risk=0.2143 / 0.03 - 0.01)) == (0,)
    assert lines_to_cancel(inp, PacingPolicy(cancel_risk=0.2143 / 0.03 + 0.01)) == ()
    # a horizon of 6 s doubles the answers counted: yield 6/14
    assert lines_to_cancel(inp, PacingPolicy(cancel_risk=0.4286 / 0.03 - 0.01, cancel_horizon=6.0)) == (0,)


def test_given_two_lines_and_no_agent_then_the_one_least_likely_to_reach_a_person_goes_first() -> None:
    # the 27 s line yields 3/3 = 1 (all of what it may still bring comes within 3 s); the 16 s line 3/14: at a
    # threshold of 0.3 only the old one goes, though both would be abandoned if answered
    inp = lone(agents_free=0, ringing_for=(16.0, 27.0), **HALF_5_30)
    assert lines_to_cancel(inp, PacingPolicy(cancel_risk=10.0)) == (1,)
    assert lines_to_cancel(inp, PacingPolicy(cancel_risk=5.0)) == (0, 1)


def test_given_a_shortage_within_the_horizon_but_not_at_the_next_point_then_a_finer_cancel_step_sees_it() -> None:
    # The only agent leaves wrap-up in 4.5 s: free for answers from 2.5 s on (2 s of grace). The 16 s line is
    # answered within 2 s with 0.5 * 2/25 / u and ever with 0.5 * 14/25 / u: a yield of 2/14 = 0.143 (above 4 x 3 %)
    # counted each second; forecast every 3 s, the first point (3 s) already has the agent, and nothing goes.
    inp = lone(agents_free=0, wrap_up_left=(4.5,), ringing_for=(16.0,), **HALF_5_30)
    coarse = PacingPolicy(cancel_risk=4.0, cancel_horizon=2.0)
    assert lines_to_cancel(inp, coarse) == ()
    assert lines_to_cancel(inp, replace(coarse, cancel_step=1)) == (0,)
    assert lines_to_cancel(inp, replace(coarse, cancel_step=1, cancel_risk=5.0)) == ()


# -- the threshold slides with the people lost so far --------------------------------------------------------------

LOST_FEEDBACK = PacingPolicy(cancel_risk=10.0, lost_target=0.07, lost_gain=4.0, lost_range=4.0)


@pytest.mark.parametrize(("lost_share", "threshold"), [(None, 10.0), (0.07, 10.0), (0.07 * 1.1, 10.0 * 1.1**4),
                                                      (0.07 * 0.9, 10.0 * 0.9**4), (0.5, 40.0), (0.0, 2.5)])
def test_the_cancel_threshold_slides_with_the_share_of_people_lost(lost_share: float | None, threshold: float) -> None:
    assert cancel_threshold(observe(lost_share=lost_share), LOST_FEEDBACK) == pytest.approx(threshold)
    assert cancel_threshold(observe(lost_share=lost_share), replace(LOST_FEEDBACK, lost_target=math.inf)) == 10.0


def test_given_few_people_lost_then_a_line_goes_that_would_ring_on_at_the_target() -> None:
    # the 16 s line yields 3/14 = 0.2143 abandons avoided per person lost (see above); at 3 % the fixed threshold
    # is 10 x 0.03 = 0.3: it rings on; having lost half the target's share, the threshold is 10 x 0.5^4 x 0.03
    inp = lone(agents_free=0, ringing_for=(16.0,), **HALF_5_30)
    assert lines_to_cancel(replace(inp, lost_share=0.07), LOST_FEEDBACK) == ()
    assert lines_to_cancel(replace(inp, lost_share=0.035), LOST_FEEDBACK) == (0,)
    assert lines_to_cancel(replace(inp, lost_share=None), LOST_FEEDBACK) == ()


def test_ledger_counts_the_people_lost_per_person_answered_over_its_window() -> None:
    ledger = AbandonLedger(window_seconds=3600.0, limit=0.03)
    for second in range(99):
        ledger.record(float(second), answered_person=True, abandoned=False)
    ledger.record_given_up(50.0, 0.25)
    ledger.record_given_up(200.0, 0.5)
    assert ledger.lost_share(200.0) is None  # 99 answers: too few to judge
    ledger.record(200.0, answered_person=True, abandoned=True)
    assert ledger.lost_share(200.0) == pytest.approx(0.75 / 100)
    assert ledger.lost_share(3650.0) is None  # the first 51 answers and the first line left the window
    for second in range(3651, 3751):
        ledger.record(float(second), answered_person=True, abandoned=False)
    assert ledger.lost_share(3799.0) == pytest.approx(0.5 / 101)  # the answer at 200 s and the 100 since
    assert ledger.lost_share(3800.0) == 0.0  # the line hung up at 200 s left the window with that answer


def test_a_ledger_rebuilt_from_stored_answers_counts_the_share_lost_from_then() -> None:
    # the hung-up lines are not stored: 500 answers read back had none counted against them
    ledger = AbandonLedger()
    for second in range(500):
        ledger.record(float(second), answered_person=True, abandoned=False)
    ledger.count_lost_from(499.0)
    ledger.record_given_up(600.0, 0.2)
    for second in range(600, 700):
        ledger.record(float(second), answered_person=True, abandoned=False)
    assert ledger.lost_share(700.0) == pytest.approx(0.2 / 100)  # not 0.2 / 600
    assert ledger.budget(700.0).answered == 600  # the abandon budget keeps them all


def test_once_the_window_no_longer_reaches_back_to_where_lost_people_began_every_answer_in_it_counts() -> None:
    ledger = AbandonLedger(window_seconds=1000.0)
    for second in range(500):
        ledger.record(float(second), answered_person=True, abandoned=False)
    ledger.count_lost_from(499.0)
    for second in range(600, 900):
        ledger.record(float(second), answered_person=True, abandoned=False)
    ledger.record_given_up(600.0, 0.2)
    ledger.record_given_up(800.0, 0.3)
    assert ledger.lost_share(1000.0) == pytest.approx(0.5 / 300)  # the 300 since, not the window's 800
    assert ledger.lost_share(1700.0) == pytest.approx(0.3 / 199)  # the window (700, 1700]: 701..899


def test_ledger_refuses_given_up_lines_out_of_order() -> None:
    ledger = AbandonLedger()
    ledger.record_given_up(10.0, 0.2)
    with pytest.raises(ValueError, match="time order"):
        ledger.record_given_up(9.0, 0.2)
    with pytest.raises(ValueError, match="non-negative"):
        ledger.record_given_up(11.0, -0.1)


def test_a_line_whose_answers_fall_after_the_horizon_is_left_to_ring() -> None:
    # answers come 25-30 s after dialling; at 16 s none falls within the next 3 s: nothing to gain by hanging up yet
    inp = lone(agents_free=0, ringing_for=(16.0,), person_rate=0.5, machine_rate=0.0,
               answer_delay=DelayDistribution.uniform(25, 30))
    assert lines_to_cancel(inp, PacingPolicy(cancel_risk=0.01)) == ()


# -- lines hung up unanswered: what the estimators record ---------------------------------------------------------


def test_unseen_outcome_is_the_chance_of_an_answer_after_the_hang_up() -> None:
    # rang 15 s of answers uniform in 5-30 s: unresolved 1 - 0.4 * 10/25 = 0.84; answered later 15/25 / 0.84
    person, machine = unseen_outcome(0.25, 0.15, DelayDistribution.uniform(5, 30), 15.0, 30.0)
    assert person == pytest.approx(0.25 * 0.6 / 0.84)
    assert machine == pytest.approx(0.15 * 0.6 / 0.84)
    assert unseen_outcome(0.25, 0.15, DelayDistribution.uniform(5, 30), 30.0, 30.0) == (0.0, 0.0)


def test_rate_estimator_takes_a_share_for_an_unseen_outcome() -> None:
    estimator = RateEstimator(prior_rate=0.5, prior_weight=50.0).record(0.0, 0.2)
    assert estimator.mean(0.0) == pytest.approx((25.0 + 0.2) / 51.0)


def test_delay_estimator_spreads_an_unseen_answer_over_the_later_seconds() -> None:
    # prior uniform over 0-4 s worth 4 answers (1 a second); a line hung up at 2 s, answered later with 0.5:
    # 0.25 more in each of [2, 3) and [3, 4)
    estimator = DelayEstimator(prior=DelayDistribution.uniform(0, 4), prior_weight=4.0)
    learned = estimator.record_unseen(0.0, 2.0, 0.5).distribution(0.0)
    assert learned.cumulative == pytest.approx((1 / 4.5, 2 / 4.5, 3.25 / 4.5, 1.0))
    assert estimator.record_unseen(0.0, 2.0, 0.0) == estimator


# -- the pacer's budget: the window's, or the last hour's if tighter ------------------------------------------------


def test_given_a_quiet_day_when_one_hour_abandons_too_much_then_the_pacer_spends_the_hours_budget() -> None:
    ledger = AbandonLedger(limit=0.03)  # 24 h window
    for second in range(100):
        ledger.record(float(second), answered_person=True, abandoned=False)
    for second in range(4000, 4010):
        ledger.record(float(second), answered_person=True, abandoned=second < 4003)
    assert ledger.budget(4010.0) == AbandonBudget(limit=0.03, answered=110, abandoned=3)  # 2.7 %: within
    assert ledger.pacing_budget(4010.0) == AbandonBudget(limit=0.03, answered=10, abandoned=3)  # 30 % this hour


def test_given_a_day_over_its_limit_when_the_hour_is_calm_then_the_pacer_spends_the_days_budget() -> None:
    ledger = AbandonLedger(limit=0.03)
    for second in range(100):
        ledger.record(float(second), answered_person=True, abandoned=second < 10)
    for second in range(4000, 4010):
        ledger.record(float(second), answered_person=True, abandoned=False)
    assert ledger.pacing_budget(4010.0) == ledger.budget(4010.0) == AbandonBudget(0.03, 110, 10)
    # all of the day's window, when its abandons leave it too (the counts alone are what compares)
    assert ledger.pacing_budget(4010.0).window_seconds == 86400.0
    assert ledger.pacing_budget(4010.0).leaving == tuple((second + 86400.0 - 4010.0, 109 - second) for second in
                                                         range(10))


def test_a_pacing_window_longer_than_the_window_is_the_window() -> None:
    ledger = AbandonLedger(window_seconds=600.0, limit=0.03)
    ledger.record(0.0, answered_person=True, abandoned=True)
    ledger.record(700.0, answered_person=True, abandoned=False)
    assert ledger.pacing_budget(700.0) == ledger.budget(700.0) == AbandonBudget(0.03, 1, 0)


# -- the cap on a new line's risk: no window ahead over the limit ---------------------------------------------------


def poisson_tail(count: int, mean: float) -> float:
    """P(a Poisson count of ``mean`` is at least ``count``), summed in logs (big means too)."""
    below = sum(math.exp(-mean + k * math.log(mean) - math.lgamma(k + 1)) for k in range(count))
    return 1.0 - below


def test_the_ledgers_budgets_tell_when_each_abandon_leaves_and_the_answers_after_it() -> None:
    ledger = AbandonLedger(limit=0.03)  # 24 h window; the pacer's is the last hour
    for second, abandoned in ((100.0, True), (200.0, False), (300.0, True), (400.0, False)):
        ledger.record(second, answered_person=True, abandoned=abandoned)
    hour = ledger.pacing_budget(1000.0)
    assert (hour.window_seconds, hour.leaving) == (3600.0, ((2700.0, 3), (2900.0, 1)))
    day = ledger.budget(1000.0)
    assert (day.window_seconds, day.leaving) == (86400.0, ((85500.0, 3), (85700.0, 1)))
    hourly = AbandonLedger(window_seconds=3600.0, limit=0.03)
    for second, abandoned in ((100.0, True), (200.0, False), (300.0, True), (400.0, False)):
        hourly.record(second, answered_person=True, abandoned=abandoned)
    assert hourly.budget(3750.0).leaving == ((150.0, 1),)  # the first abandon has left the window


def test_without_an_overrun_risk_answers_or_abandons_kept_nothing_caps_a_lines_risk() -> None:
    budget = AbandonBudget(0.03, 200, 5, leaving=((10.0, 199),) * 5)
    assert overrun_cap(budget, PacingPolicy()) == math.inf
    assert overrun_cap(AbandonBudget(0.03, 0, 0), PacingPolicy(overrun_risk=0.01)) == math.inf
    assert overrun_cap(AbandonBudget(0.03, 200, 0), PacingPolicy(overrun_risk=0.01)) == math.inf  # steered as it comes


def test_the_window_before_an_abandon_leaves_bounds_the_risk_and_a_window_already_over_bounds_nothing() -> None:
    # 100 answers in the hour; two abandons: one leaving in 60 s (10 answers after it), one in 30 min (16 after it)
    policy = PacingPolicy(overrun_risk=0.05, answers_ahead=1.0)
    cap = overrun_cap(AbandonBudget(0.03, 100, 2, leaving=((60.0, 10), (1800.0, 16))), policy)
    # in 60 s: 11 + 1.7 answers, 2 abandons: over already, whatever comes. In 30 min: 17 + 50 answers (the abandon
    # itself is one), one abandon kept: 2.01 - 1 more may come, so the 2nd with 5 % at most
    assert poisson_tail(2, 50 * cap) == pytest.approx(0.05, abs=1e-5)


def test_a_big_windows_cap_is_the_poisson_bound_too() -> None:
    # 10,000 answers an hour, one abandon leaving in 50 min with 9,000 after it: 8,333 answers come by then, and
    # 519 more abandons may come: beyond the exact sums
    policy = PacingPolicy(overrun_risk=0.005, answers_ahead=1.0)
    cap = overrun_cap(AbandonBudget(0.03, 10_000, 1, leaving=((3000.0, 9000),)), policy)
    assert poisson_tail(520, 3000 * 10_000 / 3600 * cap) == pytest.approx(0.005, rel=0.2)


def test_given_a_small_teams_budget_about_to_be_overrun_when_pacing_then_fewer_lines_than_its_allowance_gives() -> None:
    # 230 answers an hour, 6 abandons leaving in 10 minutes with 190 answers after them: 0.9 abandons left, and the
    # 27 answers expected by then bring 0.8 more. The proportional allowance (its floor) dials more than the cap.
    budget = AbandonBudget(0.03, 230, 6, leaving=tuple((600.0 + i, 190 - i) for i in range(6)))
    policy = PacingPolicy.cancelling(ring_timeout=30.0)
    inp = observe(budget=budget, agents_free=6, ringing_for=(1.0, 2.0))
    assert overrun_cap(budget, policy) < abandon_allowance(budget, policy)
    uncapped = lines_to_dial(inp, replace(policy, overrun_risk=0.0))
    assert progressive_lines(inp) < lines_to_dial(inp, policy) < uncapped


def test_given_a_budget_about_to_be_overrun_then_a_line_goes_that_the_allowances_floor_would_keep() -> None:
    # 29 of 1000 answers abandoned, each leaving in 10 min with ~900 answers after it: the allowance is its floor
    # (0.3 %), the overrun cap lower; the 16 s line's yield (0.2143, as above) is under 72.4 x the floor, over 72.4 x
    # the cap
    budget = AbandonBudget(0.03, 1000, 29, leaving=tuple((600.0 + i, 900 - i) for i in range(29)))
    inp = lone(agents_free=0, ringing_for=(16.0,), budget=budget, **HALF_5_30)
    policy = PacingPolicy(cancel_risk=0.2143 / 0.003 + 1.0)
    assert lines_to_cancel(inp, policy) == ()
    capped = replace(policy, overrun_risk=0.01)
    assert overrun_cap(budget, capped) < 0.003
    assert lines_to_cancel(inp, capped) == (0,)


def test_overrun_knobs_are_checked() -> None:
    for changes in ({"overrun_risk": -0.1}, {"overrun_risk": 1.0}, {"answers_ahead": 0.0}, {"answers_ahead": 1.5}):
        with pytest.raises(ValueError, match="overrun_risk"):
            PacingPolicy(**changes)  # type: ignore[arg-type]


# -- agents kept from other contacts for the people the lines may bring ---------------------------------------------


def poisson_above(count: int, mean: float) -> float:
    """P(a Poisson count of ``mean`` exceeds ``count``)."""
    return 1.0 - sum(math.exp(-mean) * mean**k / math.factorial(k) for k in range(count + 1))


def test_agents_are_kept_for_the_people_the_ringing_lines_may_still_bring() -> None:
    # Four lines that rang 10 s of answers uniform over 5-30 s: F(10) = 0.2, so each is a person before the ring
    # timeout with 0.25 x 0.8 / (1 - 0.4 x 0.2) = 0.2174; 0.870 people expected, and more than 2 of them with
    # chance 5.8 %, more than 3 with 1.2 %.
    assert DelayDistribution.uniform(5, 30).at(10) == pytest.approx(0.2)
    people = 4 * 0.25 * 0.8 / (1.0 - 0.4 * 0.2)
    assert poisson_above(2, people) == pytest.approx(0.0580, abs=1e-4)
    assert poisson_above(3, people) == pytest.approx(0.0120, abs=1e-4)
    inp = lone(agents_free=5, ringing_for=(10.0,) * 4)
    assert agents_to_hold(inp, PacingPolicy(hold_risk=0.05)) == 3
    assert agents_to_hold(inp, PacingPolicy(hold_risk=0.1)) == 2
    assert agents_to_hold(replace(inp, agents_free=2), PacingPolicy(hold_risk=0.05)) == 2  # no more than are free
    assert agents_to_hold(inp) == 0  # off unless hold_risk is set
    assert agents_to_hold(lone(agents_free=5), PacingPolicy(hold_risk=0.05)) == 0  # nothing rings


def test_lines_being_classified_are_people_with_the_share_measured() -> None:
    # Two lines in detection, persons' share 0.5: one person expected, more than 2 with chance 8.0 %, 3 with 1.9 %.
    inp = lone(agents_free=5, detecting=2, detecting_person_share=0.5)
    assert poisson_above(2, 1.0) == pytest.approx(0.0803, abs=1e-4)
    assert agents_to_hold(inp, PacingPolicy(hold_risk=0.05)) == 3
    assert agents_to_hold(replace(inp, detecting_person_share=0.0), PacingPolicy(hold_risk=0.05)) == 0


# -- the interface another simulation drives ----------------------------------------------------------------------


def test_the_pacers_interface_is_pinned() -> None:
    # Another simulation drives the pacer through these; changing them breaks it (add fields with defaults only).
    assert [(f.name, f.default) for f in fields(PacerInput)] == [
        ("agents_free", MISSING), ("talking_for", MISSING), ("wrap_up_left", MISSING), ("ringing_for", MISSING),
        ("person_rate", MISSING), ("machine_rate", MISSING), ("answer_delay", MISSING), ("talk_time", MISSING),
        ("wrap_up_seconds", MISSING), ("budget", MISSING), ("inbound_waiting", 0), ("inbound_per_second", 0.0),
        ("detecting", 0), ("person_rate_spread", 0.0), ("detecting_person_share", None), ("lost_share", None),
    ]
    assert [f.name for f in fields(PacingDecision)] == ["cancel", "dial"]
    assert [(f.name, f.default) for f in fields(AbandonBudget)] == [
        ("limit", MISSING), ("answered", MISSING), ("abandoned", MISSING), ("window_seconds", 3600.0), ("leaving", ()),
    ]
    assert all(f.default is not MISSING for f in fields(PacingPolicy))  # PacingPolicy() is always a pacer
    for function, returns in ((pace, "PacingDecision"), (lines_to_dial, "int"), (lines_to_cancel, "tuple[int, ...]")):
        signature = inspect.signature(function)
        assert list(signature.parameters) == ["inp", "policy"]
        assert signature.parameters["policy"].default == PacingPolicy()
        assert signature.return_annotation == returns
    assert list(inspect.signature(abandon_probability).parameters) == ["inp", "new_lines", "policy"]
    assert list(inspect.signature(abandon_allowance).parameters) == ["budget", "policy"]
    assert list(inspect.signature(progressive_lines).parameters) == ["inp"]
    assert list(inspect.signature(agents_to_hold).parameters) == ["inp", "policy"]
    decision = pace(observe(), PacingPolicy.cancelling(ring_timeout=30.0))
    assert isinstance(decision, PacingDecision) and isinstance(decision.dial, int)
    assert all(isinstance(index, int) and 0 <= index < len(observe().ringing_for) for index in decision.cancel)
    assert isinstance(lines_to_dial(observe()), int)
    assert isinstance(lines_to_cancel(observe()), tuple)
