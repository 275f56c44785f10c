"""Staffing and trunk arithmetic: Erlang B, Erlang C and Erlang A (pure functions, no I/O).

Theory of operation
-------------------
Offered traffic in erlangs is ``A = calls_per_hour * holding_s / 3600``.

- **Erlang B** (M/M/N/N, blocked calls cleared) sizes the 8-800 trunk. It is computed with the recursion
  ``B(0) = 1, B(n) = A*B(n-1) / (n + A*B(n-1))``: every term lies in [0, 1], so there is no factorial and no
  overflow for thousands of servers (a tiny B may underflow to 0.0, which is the right answer in floating point).
- **Erlang C** (M/M/N, callers wait forever) sizes the agents. It is derived from Erlang B:
  ``C = N*B / (N - A*(1 - B))`` for ``N > A``; with ``N <= A`` the queue grows without bound and ``C = 1``.
  From it: service level ``SL(t) = 1 - C*exp(-(N - A)*t/AHT)``, average speed of answer
  ``ASA = C*AHT/(N - A)``, occupancy ``A/N``.
- **Erlang A** (M/M/N+M, Palm's model with exponential patience; Garnett, Mandelbaum & Reiman, "Designing a call
  center with impatient customers", MSOM 4(3), 2002) estimates abandonment. It is solved exactly as a birth-death
  chain (see ``erlang_a``), no simulation. Limits: patience and handling times are taken as exponential, callers do
  not retry, and the service level that ``plan`` reports stays the Erlang C one (which ignores abandonment and is
  therefore conservative).

Every search for "the fewest servers meeting a target" relies on the measure being monotone in the number of
servers, so a galloping search followed by bisection finds the minimum with O(log N) evaluations.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass

SECONDS_PER_HOUR = 3600.0
# No realistic contact centre or trunk group is larger; beyond this a target is treated as unreachable.
MAX_SERVERS = 1_000_000
# Queue-length terms this many nats below the largest one no longer change a float sum.
_NEGLIGIBLE_LOG_TERM = 50.0
# Erlang A accepts callers up to this patient (in handling times); beyond it Erlang C is the model to use.
MAX_PATIENCE_IN_AHTS = 1e6


def offered_traffic(calls_per_hour: float, holding_s: float) -> float:
    """Offered traffic in erlangs: ``A = calls_per_hour * holding_s / 3600``."""
    _require_non_negative("calls_per_hour", calls_per_hour)
    _require_non_negative("holding_s", holding_s)
    return calls_per_hour * holding_s / SECONDS_PER_HOUR


def erlang_b(traffic_erlangs: float, servers: int) -> float:
    """Probability that a call finds all ``servers`` busy and is lost (Erlang B).

    ``B(0) = 1``, ``B(n) = A*B(n-1) / (n + A*B(n-1))``.
    """
    _require_non_negative("traffic_erlangs", traffic_erlangs)
    _require_servers("servers", servers)
    blocking = 1.0
    for n in range(1, servers + 1):
        carried = traffic_erlangs * blocking
        blocking = carried / (n + carried)
    return blocking


def erlang_c(traffic_erlangs: float, agents: int) -> float:
    """Probability that a call has to wait (Erlang C).

    ``C = N*B / (N - A*(1 - B))`` with ``B = erlang_b(A, N)``; ``1.0`` when ``N <= A`` (the queue never empties).
    """
    _require_non_negative("traffic_erlangs", traffic_erlangs)
    _require_servers("agents", agents)
    if agents <= traffic_erlangs:
        return 1.0
    blocking = erlang_b(traffic_erlangs, agents)
    return agents * blocking / (agents - traffic_erlangs * (1.0 - blocking))


def service_level(traffic_erlangs: float, agents: int, aht_s: float, target_s: float) -> float:
    """Fraction of calls answered within ``target_s`` seconds (Erlang C).

    ``SL = 1 - C*exp(-(N - A)*t/AHT)``; ``0.0`` when ``N <= A`` (waits grow without bound).
    """
    _require_positive("aht_s", aht_s)
    _require_non_negative("target_s", target_s)
    wait_probability = erlang_c(traffic_erlangs, agents)  # also validates traffic and agents
    if agents <= traffic_erlangs:
        return 0.0
    return 1.0 - wait_probability * math.exp(-(agents - traffic_erlangs) * target_s / aht_s)


def asa(traffic_erlangs: float, agents: int, aht_s: float) -> float:
    """Average speed of answer in seconds over all calls (Erlang C).

    ``ASA = C*AHT/(N - A)``; infinite when ``N <= A``.
    """
    _require_positive("aht_s", aht_s)
    wait_probability = erlang_c(traffic_erlangs, agents)  # also validates traffic and agents
    if agents <= traffic_erlangs:
        return math.inf
    return wait_probability * aht_s / (agents - traffic_erlangs)


def occupancy(traffic_erlangs: float, agents: int) -> float:
    """Fraction of the agents' time spent handling calls: ``A/N``, at most 1.0 (an overloaded team is always busy)."""
    _require_non_negative("traffic_erlangs", traffic_erlangs)
    if agents < 1:
        raise ValueError(f"agents must be at least 1, got {agents}")
    return min(1.0, traffic_erlangs / agents)


@dataclass(frozen=True, slots=True)
class ErlangAResult:
    """Steady state of the M/M/N+M queue (Erlang A)."""

    wait_probability: float
    abandon_probability: float
    mean_wait_s: float
    """Mean time in queue over every caller, answered or abandoned (Little's law: ``E[Lq] / lambda``)."""


def erlang_a(traffic_erlangs: float, agents: int, aht_s: float, mean_patience_s: float) -> ErlangAResult:
    """Wait and abandon probabilities when callers hang up after an exponential patience (mean ``mean_patience_s``).

    The number of callers in the system is a birth-death chain with births at rate ``lambda`` and deaths at
    ``k*mu`` for ``k <= N`` and ``N*mu + j*theta`` with ``j`` callers waiting. Scaling by ``mu = 1/AHT`` gives
    ``A = lambda/mu`` and ``r = theta/mu = AHT/patience``. Normalising the states ``0..N`` to total 1 makes the
    all-busy state ``B = erlang_b(A, N)``, and state ``N + j`` is ``B*t_j`` with ``t_j = prod_{i=1..j} A/(N + i*r)``.
    With ``S = sum_j t_j`` and ``s = B*S/(1 + B*S)`` (the chance someone is queueing):

    - ``P(wait) = (B + B*S)/(1 + B*S) = B + (1 - B)*s``
    - ``E[Lq] = s * sum_j j*t_j / S``
    - ``P(abandon) = theta*E[Lq]/lambda = r*E[Lq]/A`` (each waiting caller leaves at rate theta)
    - mean wait ``= E[Lq]/lambda``

    The ``t_j`` are summed relative to the largest one, so an overloaded group (``A`` far above ``N``) does not
    overflow.
    """
    _require_non_negative("traffic_erlangs", traffic_erlangs)
    _require_servers("agents", agents)
    _require_positive("aht_s", aht_s)
    _require_positive("mean_patience_s", mean_patience_s)
    if mean_patience_s > MAX_PATIENCE_IN_AHTS * aht_s:
        raise ValueError(f"mean_patience_s ({mean_patience_s}) is over {MAX_PATIENCE_IN_AHTS:g} handling times: "
                         "callers that patient never abandon, use Erlang C")
    if traffic_erlangs == 0:
        return ErlangAResult(wait_probability=0.0, abandon_probability=0.0, mean_wait_s=0.0)
    blocking = erlang_b(traffic_erlangs, agents)
    log_queue_sum, mean_queue_when_queueing = _queue_terms(traffic_erlangs, agents, aht_s / mean_patience_s)
    queueing = 0.0 if blocking == 0 else _logistic(math.log(blocking) + log_queue_sum)
    mean_queue = queueing * mean_queue_when_queueing
    return ErlangAResult(
        wait_probability=blocking + (1.0 - blocking) * queueing,
        abandon_probability=min(1.0, mean_queue * aht_s / mean_patience_s / traffic_erlangs),
        mean_wait_s=mean_queue * aht_s / traffic_erlangs,
    )


def agents_for_service_level(
    calls_per_hour: float,
    aht_s: float,
    target_fraction: float,
    target_s: float,
    max_occupancy: float | None = None,
) -> int:
    """Fewest agents answering ``target_fraction`` of calls within ``target_s`` (Erlang C), e.g. 0.8 and 20 s.

    With ``max_occupancy`` the result also keeps ``A/N <= max_occupancy``.
    """
    _require_positive("calls_per_hour", calls_per_hour)
    _require_positive("aht_s", aht_s)
    _require_fraction("target_fraction", target_fraction)
    _require_non_negative("target_s", target_s)
    if max_occupancy is not None:
        _require_fraction("max_occupancy", max_occupancy, allow_one=True)
    traffic = offered_traffic(calls_per_hour, aht_s)

    def meets_target(agents: int) -> bool:
        if max_occupancy is not None and traffic > max_occupancy * agents:
            return False
        return service_level(traffic, agents, aht_s, target_s) >= target_fraction

    return _fewest_servers(meets_target, start=math.floor(traffic) + 1, target="the service level target")


def agents_for_max_abandon(calls_per_hour: float, aht_s: float, max_abandon: float, mean_patience_s: float) -> int:
    """Fewest agents keeping the Erlang A abandon probability at or below ``max_abandon``."""
    _require_positive("calls_per_hour", calls_per_hour)
    _require_positive("aht_s", aht_s)
    _require_fraction("max_abandon", max_abandon)
    _require_positive("mean_patience_s", mean_patience_s)
    traffic = offered_traffic(calls_per_hour, aht_s)

    def meets_target(agents: int) -> bool:
        return erlang_a(traffic, agents, aht_s, mean_patience_s).abandon_probability <= max_abandon

    # Answered calls keep agents busy: A*(1 - P(abandon)) <= N, so no N below A*(1 - max_abandon) can do.
    start = max(1, math.floor(traffic * (1.0 - max_abandon)))
    return _fewest_servers(meets_target, start=start, target="the abandon target")


def trunks_needed(calls_per_hour: float, seconds_per_call_on_trunk: float, blocking_target: float) -> int:
    """Fewest trunk channels losing at most ``blocking_target`` of calls (Erlang B).

    A caller holds a channel for the whole time on the line: IVR + queue wait + talk and hold (not wrap-up).
    """
    _require_positive("calls_per_hour", calls_per_hour)
    _require_positive("seconds_per_call_on_trunk", seconds_per_call_on_trunk)
    _require_fraction("blocking_target", blocking_target)
    traffic = offered_traffic(calls_per_hour, seconds_per_call_on_trunk)
    return _fewest_servers(
        lambda trunks: erlang_b(traffic, trunks) <= blocking_target, start=1, target="the blocking target"
    )


@dataclass(frozen=True, slots=True)
class StaffingPlan:
    """Everything ``ccswitch erlang`` prints: agents for the queue, channels for the 8-800 trunk."""

    calls_per_hour: float
    aht_s: float
    traffic_erlangs: float
    target_fraction: float
    target_s: float
    max_occupancy: float | None
    agents: int
    service_level: float
    wait_probability: float
    asa_s: float
    occupancy: float
    mean_patience_s: float | None
    max_abandon: float | None
    abandon_probability: float | None
    ivr_s: float
    wrap_up_s: float
    trunk_holding_s: float
    trunk_traffic_erlangs: float
    blocking_target: float
    trunks: int
    blocking: float


def plan(
    calls_per_hour: float,
    aht_s: float,
    target_sl: tuple[float, float] = (0.8, 20.0),
    ivr_s: float = 30.0,
    blocking: float = 0.01,
    max_occupancy: float | None = None,
    wrap_up_s: float = 0.0,
    mean_patience_s: float | None = None,
    max_abandon: float | None = None,
) -> StaffingPlan:
    """Agents for the service level (and abandon target, if any), then trunk channels for the resulting calls.

    ``target_sl`` is ``(fraction, seconds)``, e.g. ``(0.8, 20)`` for 80/20. ``wrap_up_s`` is the part of the AHT
    spent after the caller hung up: it keeps an agent busy but not a trunk channel, so a call holds a channel for
    ``ivr_s + ASA + (aht_s - wrap_up_s)``. With ``mean_patience_s`` the Erlang A abandon probability is reported;
    ``max_abandon`` (which needs ``mean_patience_s``) also staffs for it.
    """
    target_fraction, target_s = target_sl
    _require_non_negative("ivr_s", ivr_s)
    _require_non_negative("wrap_up_s", wrap_up_s)
    if wrap_up_s >= aht_s:
        raise ValueError(f"wrap_up_s ({wrap_up_s}) must be shorter than aht_s ({aht_s})")
    if max_abandon is not None and mean_patience_s is None:
        raise ValueError("max_abandon needs mean_patience_s (how long callers wait before hanging up)")
    agents = agents_for_service_level(calls_per_hour, aht_s, target_fraction, target_s, max_occupancy)
    if max_abandon is not None and mean_patience_s is not None:
        agents = max(agents, agents_for_max_abandon(calls_per_hour, aht_s, max_abandon, mean_patience_s))
    traffic = offered_traffic(calls_per_hour, aht_s)
    answer_s = asa(traffic, agents, aht_s)
    holding_s = ivr_s + answer_s + aht_s - wrap_up_s
    trunks = trunks_needed(calls_per_hour, holding_s, blocking)
    trunk_traffic = offered_traffic(calls_per_hour, holding_s)
    abandon = None if mean_patience_s is None else erlang_a(traffic, agents, aht_s, mean_patience_s)
    return StaffingPlan(
        calls_per_hour=calls_per_hour,
        aht_s=aht_s,
        traffic_erlangs=traffic,
        target_fraction=target_fraction,
        target_s=target_s,
        max_occupancy=max_occupancy,
        agents=agents,
        service_level=service_level(traffic, agents, aht_s, target_s),
        wait_probability=erlang_c(traffic, agents),
        asa_s=answer_s,
        occupancy=occupancy(traffic, agents),
        mean_patience_s=mean_patience_s,
        max_abandon=max_abandon,
        abandon_probability=None if abandon is None else abandon.abandon_probability,
        ivr_s=ivr_s,
        wrap_up_s=wrap_up_s,
        trunk_holding_s=holding_s,
        trunk_traffic_erlangs=trunk_traffic,
        blocking_target=blocking,
        trunks=trunks,
        blocking=erlang_b(trunk_traffic, trunks),
    )


def format_plan(staffing: StaffingPlan) -> str:
    """A small two-column table of the plan, for the terminal."""
    target = f"{staffing.target_fraction:.0%} answered within {staffing.target_s:g} s"
    if staffing.max_occupancy is not None:
        target += f", occupancy <= {staffing.max_occupancy:.0%}"
    rows = [
        ("offered traffic", f"{staffing.calls_per_hour:g} calls/h x {staffing.aht_s:g} s AHT = "
                            f"{staffing.traffic_erlangs:.2f} Erl"),
        ("target", target),
        ("agents needed", str(staffing.agents)),
        ("service level", f"{staffing.service_level:.1%} within {staffing.target_s:g} s"),
        ("ASA", f"{staffing.asa_s:.1f} s"),
        ("calls that wait", f"{staffing.wait_probability:.1%}"),
        ("occupancy", f"{staffing.occupancy:.1%}"),
    ]
    if staffing.abandon_probability is not None:
        limit = "" if staffing.max_abandon is None else f" (target <= {staffing.max_abandon:.1%})"
        rows.append(("abandoned (Erlang A)",
                     f"{staffing.abandon_probability:.1%} with {staffing.mean_patience_s:g} s mean patience{limit}"))
    talk_s = staffing.aht_s - staffing.wrap_up_s
    rows += [
        ("trunk time per call", f"{staffing.ivr_s:g} s IVR + {staffing.asa_s:.1f} s queue + {talk_s:g} s talk = "
                                f"{staffing.trunk_holding_s:.1f} s"),
        ("trunk traffic", f"{staffing.trunk_traffic_erlangs:.2f} Erl"),
        ("trunk channels", f"{staffing.trunks} (blocking {staffing.blocking:.2%}, "
                           f"target <= {staffing.blocking_target:.2%})"),
    ]
    width = max(len(label) for label, _ in rows)
    return "\n".join(f"{label:<{width}}  {value}" for label, value in rows)


def parse_service_level_target(text: str) -> tuple[float, float]:
    """``"80/20"`` -> ``(0.8, 20.0)``: percent answered / within seconds, as the CLI's ``--target-sl`` takes it."""
    percent, sep, seconds = text.partition("/")
    try:
        if not sep:
            raise ValueError
        fraction, within_s = float(percent) / 100.0, float(seconds)
    except ValueError:
        raise ValueError(f"service level target must look like 80/20 (percent/seconds), got {text!r}") from None
    _require_fraction("service level percent / 100", fraction)
    _require_non_negative("service level seconds", within_s)
    return fraction, within_s


def _queue_terms(traffic: float, agents: int, ratio: float) -> tuple[float, float]:
    """``(log S, sum_j j*t_j / S)`` for ``t_j = prod_{i=1..j} A/(N + i*r)``, ``j >= 1``.

    The terms rise while ``N + j*r < A`` and fall after, so the sum starts at the largest term (found in closed form:
    ``t_j = (A/r)^j * Gamma(N/r + 1) / Gamma(N/r + j + 1)``) and walks outward in both directions until the terms no
    longer change a float sum. An overloaded group with patient callers thus costs the width of the peak, not its
    distance from ``j = 1``.
    """
    mode = max(1, math.floor((traffic - agents) / ratio))
    if mode == 1:
        log_mode_term = math.log(traffic / (agents + ratio))
    else:  # a difference of two lgammas of size ~A/r: MAX_PATIENCE_IN_AHTS bounds its rounding error
        shifted = agents / ratio
        log_mode_term = mode * math.log(traffic / ratio) - (math.lgamma(shifted + mode + 1) - math.lgamma(shifted + 1))
    total, weighted = 1.0, float(mode)  # sums of t_j / t_mode and j * t_j / t_mode
    for direction in (1, -1):
        j, log_ratio_to_mode = mode, 0.0
        while True:
            if direction > 0:
                j += 1
                log_ratio_to_mode += math.log(traffic / (agents + j * ratio))
            else:
                log_ratio_to_mode -= math.log(traffic / (agents + j * ratio))
                j -= 1
            if j < 1 or log_ratio_to_mode < -_NEGLIGIBLE_LOG_TERM:
                break
            term = math.exp(log_ratio_to_mode)
            total += term
            weighted += j * term
    return log_mode_term + math.log(total), weighted / total


def _logistic(x: float) -> float:
    """``e^x / (1 + e^x)`` without overflow for large ``|x|``."""
    if x >= 0:
        return 1.0 / (1.0 + math.exp(-x))
    exp_x = math.exp(x)
    return exp_x / (1.0 + exp_x)


def _fewest_servers(meets_target: Callable[[int], bool], start: int, target: str) -> int:
    """Smallest ``n >= start`` with ``meets_target(n)``, for a predicate that stays true once it becomes true."""
    if meets_target(start):
        return start
    failing, step = start, 1
    while not meets_target(start + step):
        failing = start + step
        step *= 2
        if start + step > MAX_SERVERS:
            raise ValueError(f"no group of up to {MAX_SERVERS} servers meets {target}")
    meeting = start + step
    while meeting - failing > 1:
        middle = (failing + meeting) // 2
        if meets_target(middle):
            meeting = middle
        else:
            failing = middle
    return meeting


def _require_finite(name: str, value: float) -> None:
    if not math.isfinite(value):
        raise ValueError(f"{name} must be a finite number, got {value}")


def _require_positive(name: str, value: float) -> None:
    _require_finite(name, value)
    if value <= 0:
        raise ValueError(f"{name} must be greater than 0, got {value}")


def _require_non_negative(name: str, value: float) -> None:
    _require_finite(name, value)
    if value < 0:
        raise ValueError(f"{name} must not be negative, got {value}")


def _require_fraction(name: str, value: float, allow_one: bool = False) -> None:
    _require_finite(name, value)
    upper_ok = value <= 1 if allow_one else value < 1
    if not (value > 0 and upper_ok):
        interval = "(0, 1]" if allow_one else "(0, 1)"
        raise ValueError(f"{name} must be in {interval}, got {value}")


def _require_servers(name: str, value: int) -> None:
    if value < 0:
        raise ValueError(f"{name} must not be negative, got {value}")
