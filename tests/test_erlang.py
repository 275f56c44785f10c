"""Erlang B / C / A: published worked examples, exact cross-checks, properties and the staffing plan.

Reference values are checked twice: against the published figure (to the precision it was published with) and
against the independent high-precision helpers below, which evaluate the textbook definitions directly with
``decimal`` (power series and birth-death sums, not the recursion ``ccswitch.erlang`` uses).
"""

from __future__ import annotations

import math
import re
from collections.abc import Callable
from decimal import Decimal, localcontext
from itertools import pairwise

import pytest

from ccswitch.erlang import (
    MAX_PATIENCE_IN_AHTS,
    StaffingPlan,
    agents_for_max_abandon,
    agents_for_service_level,
    asa,
    erlang_a,
    erlang_b,
    erlang_c,
    format_plan,
    occupancy,
    offered_traffic,
    parse_service_level_target,
    plan,
    service_level,
    trunks_needed,
)

PRECISION = 60


def _poisson_terms(traffic: float, last: int) -> list[Decimal]:
    """``A^k / k!`` for ``k = 0..last``."""
    a = Decimal(repr(traffic))
    terms = [Decimal(1)]
    for k in range(1, last + 1):
        terms.append(terms[-1] * a / k)
    return terms


def direct_erlang_b(traffic: float, servers: int) -> float:
    """``B = (A^N/N!) / sum_{k=0..N} A^k/k!``, in 60-digit decimal arithmetic."""
    with localcontext(prec=PRECISION):
        terms = _poisson_terms(traffic, servers)
        return float(terms[-1] / sum(terms, Decimal(0)))


def direct_erlang_c(traffic: float, agents: int) -> float:
    """``C = X / (X + Y)``, ``X = A^N/N! * N/(N - A)``, ``Y = sum_{k<N} A^k/k!`` (the textbook form)."""
    with localcontext(prec=PRECISION):
        terms = _poisson_terms(traffic, agents)
        queued = terms[-1] * agents / (agents - Decimal(repr(traffic)))
        return float(queued / (queued + sum(terms[:-1], Decimal(0))))


def direct_erlang_a(traffic: float, agents: int, aht_s: float, patience_s: float) -> tuple[float, float, float]:
    """``(P(wait), P(abandon), mean wait s)`` of M/M/N+M from its birth-death chain, summed until negligible."""
    with localcontext(prec=PRECISION):
        a, r = Decimal(repr(traffic)), Decimal(repr(aht_s)) / Decimal(repr(patience_s))
        states = _poisson_terms(traffic, agents)
        negligible = sum(states, Decimal(0)) * Decimal("1e-50")
        queue: list[Decimal] = []
        last = states[-1]
        while len(queue) < 10 or agents + len(queue) * r < a or last > negligible:
            last = last * a / (agents + (len(queue) + 1) * r)
            queue.append(last)
        queued = sum(queue, Decimal(0))
        total = sum(states, Decimal(0)) + queued
        mean_queue = sum(((j + 1) * term for j, term in enumerate(queue)), Decimal(0)) / total
        return (
            float((states[-1] + queued) / total),
            float(r * mean_queue / a),
            float(mean_queue * Decimal(repr(aht_s)) / a),
        )


# --- Published worked examples ---------------------------------------------------------------------------------

def test_callcentrehelper_worked_example_fourteen_agents() -> None:
    # Call Centre Helper, "Erlang C Formula - Made Simple With an Easy Worked Example": 100 calls per 30 minutes,
    # AHT 180 s, 80% within 20 s -> A = 10 Erl; with N = 14: P(wait) = 0.1741, service level 88.8%,
    # ASA 7.8 s, 82.6% answered immediately, occupancy 71.4%.
    traffic = offered_traffic(200, 180)
    assert traffic == pytest.approx(10.0)
    assert erlang_c(traffic, 14) == pytest.approx(0.1741, abs=5e-5)
    assert service_level(traffic, 14, 180, 20) == pytest.approx(0.888, abs=5e-4)
    assert asa(traffic, 14, 180) == pytest.approx(7.8, abs=0.05)
    assert 1 - erlang_c(traffic, 14) == pytest.approx(0.826, abs=5e-4)
    assert occupancy(traffic, 14) == pytest.approx(0.714, abs=5e-4)
    assert erlang_c(traffic, 14) == pytest.approx(direct_erlang_c(traffic, 14), rel=1e-12)


def test_callcentrehelper_worked_example_first_guess_of_eleven_agents() -> None:
    # Same article, first iteration N = A + 1 = 11: P(wait) = 0.6821, far from 80/20.
    assert erlang_c(10.0, 11) == pytest.approx(0.6821, abs=5e-5)
    assert erlang_c(10.0, 11) == pytest.approx(direct_erlang_c(10.0, 11), rel=1e-12)
    assert service_level(10.0, 11, 180, 20) < 0.8


def test_callcentrehelper_worked_example_needs_fourteen_raw_agents() -> None:
    # Same article: 14 raw agents meet 80/20, and 71.4% occupancy is under its 85% maximum.
    assert agents_for_service_level(200, 180, 0.8, 20) == 14
    assert agents_for_service_level(200, 180, 0.8, 20, max_occupancy=0.85) == 14


def test_westbay_erlang_b_manual_fifteen_lines_carry_8_108_erlangs_at_one_percent() -> None:
    # erlang.com (Westbay Engineers) calculator manual, "How much traffic can a trunk group handle?":
    # 15 lines at 1% blocking can be offered 8.108 Erl in the busy hour.
    assert erlang_b(8.108, 15) == pytest.approx(0.01, abs=5e-6)
    assert erlang_b(8.108, 15) == pytest.approx(direct_erlang_b(8.108, 15), rel=1e-12)
    assert trunks_needed(3600, 8.108, 0.01) == 15  # 3600 calls/h x 8.108 s = 8.108 Erl


def test_westbay_forum_trunk_engineering_1200_calls_per_hour_need_45_lines() -> None:
    # erlang.com forum thread "Trunk Engineering" (2001): 1200 busy-hour calls of 100 s (1200/36 = 33.33 Erl) at
    # 1% blocking -> 45 lines.
    assert trunks_needed(1200, 100, 0.01) == 45


@pytest.mark.parametrize(
    ("traffic", "servers", "published"),
    [
        (5.0, 10, 0.0184),  # standard Erlang B table entries
        (10.0, 15, 0.0365),
    ],
)
def test_erlang_b_table_entries(traffic: float, servers: int, published: float) -> None:
    assert erlang_b(traffic, servers) == pytest.approx(published, abs=5e-5)
    assert erlang_b(traffic, servers) == pytest.approx(direct_erlang_b(traffic, servers), rel=1e-12)


# --- Exact agreement and numerical stability --------------------------------------------------------------------

@pytest.mark.parametrize("traffic", [0.5, 1.0, 2.7, 10.0, 48.0, 99.5])
@pytest.mark.parametrize("servers", [1, 2, 5, 11, 55, 120])
def test_erlang_b_and_c_match_the_direct_definitions(traffic: float, servers: int) -> None:
    assert erlang_b(traffic, servers) == pytest.approx(direct_erlang_b(traffic, servers), rel=1e-11)
    if servers > traffic:
        assert erlang_c(traffic, servers) == pytest.approx(direct_erlang_c(traffic, servers), rel=1e-11)
    else:
        assert erlang_c(traffic, servers) == 1.0


@pytest.mark.parametrize("agents", [4001, 4050, 4100, 4200, 5000])
def test_thousands_of_agents_stay_finite_and_exact(agents: int) -> None:
    traffic = 4000.0
    blocking, waiting = erlang_b(traffic, agents), erlang_c(traffic, agents)
    assert math.isfinite(blocking) and math.isfinite(waiting)
    assert blocking == pytest.approx(direct_erlang_b(traffic, agents), rel=1e-9)
    assert waiting == pytest.approx(direct_erlang_c(traffic, agents), rel=1e-9)
    assert 0.0 <= service_level(traffic, agents, 180, 20) <= 1.0
    assert math.isfinite(asa(traffic, agents, 180))


def test_staffing_for_4000_erlangs_is_minimal() -> None:
    calls_per_hour, aht_s = 80_000, 180  # 4000 Erl
    agents = agents_for_service_level(calls_per_hour, aht_s, 0.8, 20)
    assert service_level(4000.0, agents, aht_s, 20) >= 0.8 > service_level(4000.0, agents - 1, aht_s, 20)
    trunks = trunks_needed(calls_per_hour, 250, 0.01)
    assert erlang_b(offered_traffic(calls_per_hour, 250), trunks) <= 0.01
    assert erlang_b(offered_traffic(calls_per_hour, 250), trunks - 1) > 0.01


def test_no_traffic_never_blocks_or_waits() -> None:
    assert erlang_b(0.0, 3) == 0.0
    assert erlang_c(0.0, 3) == 0.0
    assert service_level(0.0, 3, 180, 20) == 1.0
    assert asa(0.0, 3, 180) == 0.0
    assert erlang_a(0.0, 3, 180, 60).abandon_probability == 0.0


def test_overloaded_group_waits_forever() -> None:
    assert erlang_c(10.0, 10) == 1.0
    assert service_level(10.0, 9, 180, 20) == 0.0
    assert asa(10.0, 10, 180) == math.inf
    assert occupancy(10.0, 8) == 1.0
    assert erlang_b(4.0, 0) == 1.0


# --- Properties --------------------------------------------------------------------------------------------------

TRAFFICS = [0.3, 3.0, 30.0, 300.0]


@pytest.mark.parametrize("traffic", TRAFFICS)
def test_more_servers_never_hurt(traffic: float) -> None:
    servers = range(1, int(traffic * 2) + 10)
    blocking = [erlang_b(traffic, n) for n in servers]
    waiting = [erlang_c(traffic, n) for n in servers]
    levels = [service_level(traffic, n, 180, 20) for n in servers]
    answers = [asa(traffic, n, 180) for n in servers]
    assert all(0.0 <= b <= 1.0 for b in blocking)
    assert all(earlier > later for earlier, later in pairwise(blocking))
    assert all(earlier >= later for earlier, later in pairwise(waiting))
    assert all(earlier <= later for earlier, later in pairwise(levels))
    assert all(earlier >= later for earlier, later in pairwise(answers))
    assert all(c >= b for c, b in zip(waiting, blocking, strict=True))


@pytest.mark.parametrize("servers", [1, 7, 40])
def test_more_traffic_blocks_more(servers: int) -> None:
    blocking = [erlang_b(traffic, servers) for traffic in (0.1, 1.0, 5.0, 20.0, 80.0)]
    assert all(earlier < later for earlier, later in pairwise(blocking))


@pytest.mark.parametrize("calls_per_hour", [20, 200, 600, 3000, 20_000])
@pytest.mark.parametrize("aht_s", [60, 180, 600])
@pytest.mark.parametrize(("fraction", "within_s"), [(0.8, 20), (0.9, 10), (0.5, 0), (0.95, 60)])
def test_agents_for_service_level_is_the_fewest_that_meet_it(
    calls_per_hour: float, aht_s: float, fraction: float, within_s: float
) -> None:
    traffic = offered_traffic(calls_per_hour, aht_s)
    agents = agents_for_service_level(calls_per_hour, aht_s, fraction, within_s)
    assert service_level(traffic, agents, aht_s, within_s) >= fraction
    assert service_level(traffic, agents - 1, aht_s, within_s) < fraction


@pytest.mark.parametrize("max_occupancy", [0.7, 0.8, 0.85, 1.0])
def test_max_occupancy_adds_agents_only_when_it_binds(max_occupancy: float) -> None:
    by_service_level = agents_for_service_level(600, 180, 0.8, 20)
    agents = agents_for_service_level(600, 180, 0.8, 20, max_occupancy=max_occupancy)
    assert occupancy(30.0, agents) <= max_occupancy
    assert agents == max(by_service_level, math.ceil(30.0 / max_occupancy))


@pytest.mark.parametrize("calls_per_hour", [10, 500, 7000])
@pytest.mark.parametrize("holding_s", [30, 240])
@pytest.mark.parametrize("target", [0.001, 0.01, 0.05])
def test_trunks_needed_is_the_fewest_that_meet_the_blocking_target(
    calls_per_hour: float, holding_s: float, target: float
) -> None:
    traffic = offered_traffic(calls_per_hour, holding_s)
    trunks = trunks_needed(calls_per_hour, holding_s, target)
    assert erlang_b(traffic, trunks) <= target < erlang_b(traffic, trunks - 1)


# --- Erlang A (abandonment) --------------------------------------------------------------------------------------

@pytest.mark.parametrize(
    ("traffic", "agents", "aht_s", "patience_s"),
    [
        (10.0, 14, 180, 300),
        (10.0, 8, 180, 60),
        (30.0, 35, 180, 45),
        (2.0, 1, 300, 600),
        (120.0, 110, 240, 120),
        (100.0, 90, 180, 18_000),  # overloaded, patient: the queue peaks ~1000 callers deep
        (4000.0, 4100, 180, 180 * MAX_PATIENCE_IN_AHTS),  # the most patient callers accepted
    ],
)
def test_erlang_a_matches_the_birth_death_chain(traffic: float, agents: int, aht_s: float, patience_s: float) -> None:
    result = erlang_a(traffic, agents, aht_s, patience_s)
    wait, abandon, mean_wait_s = direct_erlang_a(traffic, agents, aht_s, patience_s)
    assert result.wait_probability == pytest.approx(wait, rel=1e-9)
    assert result.abandon_probability == pytest.approx(abandon, rel=1e-9)
    assert result.mean_wait_s == pytest.approx(mean_wait_s, rel=1e-9)


def test_erlang_a_agrees_with_pyworkforce() -> None:
    # Cross-check against another implementation: rodrigo-arenas/pyworkforce, tests/test_abandonment.py
    # (100 calls / 30 min, AHT 3 min, patience 5 min, 14 positions): P(wait) 0.14526, P(abandon) 0.013984,
    # mean wait 0.069919 min.
    result = erlang_a(10.0, 14, 180, 300)
    assert result.wait_probability == pytest.approx(0.14526, abs=5e-6)
    assert result.abandon_probability == pytest.approx(0.013984, abs=5e-7)
    assert result.mean_wait_s / 60 == pytest.approx(0.069919, abs=5e-7)


@pytest.mark.parametrize(("traffic", "agents"), [(10.0, 12), (30.0, 33), (4000.0, 4100)])
def test_erlang_a_becomes_erlang_c_when_callers_never_give_up(traffic: float, agents: int) -> None:
    result = erlang_a(traffic, agents, 180, 180 * MAX_PATIENCE_IN_AHTS)
    assert result.wait_probability == pytest.approx(erlang_c(traffic, agents), rel=1e-3)
    assert result.mean_wait_s == pytest.approx(asa(traffic, agents, 180), rel=1e-3)


@pytest.mark.parametrize(("traffic", "agents"), [(10.0, 5), (4000.0, 1000), (4000.0, 3990)])
def test_erlang_a_overload_abandons_at_least_the_excess(traffic: float, agents: int) -> None:
    # Agents can serve at most N erlangs, so at least 1 - N/A of callers must hang up; patient callers approach it.
    result = erlang_a(traffic, agents, 180, 3600)
    excess = 1 - agents / traffic
    assert excess - 1e-12 <= result.abandon_probability <= 1.0
    assert result.abandon_probability == pytest.approx(excess, abs=0.01)


def test_erlang_a_less_patience_means_more_abandonment_but_shorter_waits() -> None:
    patient, impatient = erlang_a(10.0, 11, 180, 600), erlang_a(10.0, 11, 180, 30)
    assert impatient.abandon_probability > patient.abandon_probability
    assert impatient.mean_wait_s < patient.mean_wait_s


@pytest.mark.parametrize("calls_per_hour", [100, 600, 80_000])
@pytest.mark.parametrize(("max_abandon", "patience_s"), [(0.02, 60), (0.05, 120), (0.3, 30)])
def test_agents_for_max_abandon_is_the_fewest_that_meet_it(
    calls_per_hour: float, max_abandon: float, patience_s: float
) -> None:
    traffic = offered_traffic(calls_per_hour, 180)
    agents = agents_for_max_abandon(calls_per_hour, 180, max_abandon, patience_s)
    assert erlang_a(traffic, agents, 180, patience_s).abandon_probability <= max_abandon
    assert erlang_a(traffic, agents - 1, 180, patience_s).abandon_probability > max_abandon


# --- The plan the CLI prints -------------------------------------------------------------------------------------

def test_plan_for_600_calls_per_hour_at_80_20() -> None:
    staffing = plan(600, 180, target_sl=(0.8, 20))
    assert staffing.traffic_erlangs == pytest.approx(30.0)
    assert staffing.agents == agents_for_service_level(600, 180, 0.8, 20) == 35
    assert staffing.service_level == pytest.approx(service_level(30.0, 35, 180, 20))
    assert staffing.trunk_holding_s == pytest.approx(30 + asa(30.0, 35, 180) + 180)
    assert staffing.trunks == trunks_needed(600, staffing.trunk_holding_s, 0.01)
    assert staffing.blocking <= 0.01
    assert staffing.abandon_probability is None
    assert format_plan(staffing) == "\n".join([
        "offered traffic      600 calls/h x 180 s AHT = 30.00 Erl",
        "target               80% answered within 20 s",
        "agents needed        35",
        "service level        83.7% within 20 s",
        "ASA                  10.2 s",
        "calls that wait      28.5%",
        "occupancy            85.7%",
        "trunk time per call  30 s IVR + 10.2 s queue + 180 s talk = 220.2 s",
        "trunk traffic        36.71 Erl",
        "trunk channels       49 (blocking 0.90%, target <= 1.00%)",
    ])


def test_plan_keeps_wrap_up_off_the_trunk() -> None:
    with_wrap = plan(600, 180, wrap_up_s=30)
    assert with_wrap.agents == 35  # wrap-up still occupies the agent
    assert with_wrap.trunk_holding_s == pytest.approx(30 + with_wrap.asa_s + 150)


def test_plan_staffs_for_abandonment_when_asked() -> None:
    by_service_level = plan(600, 180, mean_patience_s=20)
    assert by_service_level.agents == 35
    assert by_service_level.abandon_probability is not None
    strict = plan(600, 180, mean_patience_s=20, max_abandon=0.01)
    assert strict.agents == agents_for_max_abandon(600, 180, 0.01, 20) > 35
    assert strict.abandon_probability is not None and strict.abandon_probability <= 0.01
    assert "abandoned (Erlang A)" in format_plan(strict)
    assert "target <= 1.0%" in format_plan(strict)


def test_plan_is_frozen() -> None:
    staffing = plan(600, 180)
    assert isinstance(staffing, StaffingPlan)
    with pytest.raises(AttributeError):
        staffing.agents = 1  # type: ignore[misc]


@pytest.mark.parametrize(
    ("text", "expected"), [("80/20", (0.8, 20.0)), ("95/10.5", (0.95, 10.5)), ("50/0", (0.5, 0.0))]
)
def test_parse_service_level_target(text: str, expected: tuple[float, float]) -> None:
    assert parse_service_level_target(text) == pytest.approx(expected)


# --- Validation --------------------------------------------------------------------------------------------------

@pytest.mark.parametrize(
    ("call", "message"),
    [
        (lambda: erlang_b(-1.0, 3), "traffic_erlangs must not be negative"),
        (lambda: erlang_b(math.nan, 3), "traffic_erlangs must be a finite number"),
        (lambda: erlang_b(1.0, -1), "servers must not be negative"),
        (lambda: erlang_c(1.0, -2), "agents must not be negative"),
        (lambda: service_level(10.0, 12, 0, 20), "aht_s must be greater than 0"),
        (lambda: service_level(10.0, 12, 180, -1), "target_s must not be negative"),
        (lambda: occupancy(10.0, 0), "agents must be at least 1"),
        (lambda: agents_for_service_level(0, 180, 0.8, 20), "calls_per_hour must be greater than 0"),
        (lambda: agents_for_service_level(600, 180, 1.0, 20), "target_fraction must be in (0, 1)"),
        (lambda: agents_for_service_level(600, 180, 0.8, 20, max_occupancy=0), "max_occupancy must be in (0, 1]"),
        (lambda: trunks_needed(600, 200, 0.0), "blocking_target must be in (0, 1)"),
        (lambda: trunks_needed(600, math.inf, 0.01), "seconds_per_call_on_trunk must be a finite number"),
        (lambda: agents_for_max_abandon(600, 180, 0.05, 0), "mean_patience_s must be greater than 0"),
        (lambda: erlang_a(10.0, 12, 180, 180 * MAX_PATIENCE_IN_AHTS * 2), "use Erlang C"),
        (lambda: plan(600, 180, wrap_up_s=180), "wrap_up_s (180) must be shorter than aht_s (180)"),
        (lambda: plan(600, 180, max_abandon=0.05), "max_abandon needs mean_patience_s"),
        (lambda: plan(600, 180, ivr_s=-5), "ivr_s must not be negative"),
        (lambda: parse_service_level_target("80-20"), "must look like 80/20"),
        (lambda: parse_service_level_target("eighty/20"), "must look like 80/20"),
        (lambda: parse_service_level_target("120/20"), "must be in (0, 1)"),
    ],
)
def test_invalid_input_is_rejected_with_a_clear_message(call: Callable[[], object], message: str) -> None:
    with pytest.raises(ValueError, match=re.escape(message)):
        call()
