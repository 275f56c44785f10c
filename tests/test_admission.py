"""Admission (ccswitch.admission) as a table, pacing the channels the controller creates, and the port arithmetic of
FreeSWITCH's allocator."""

from __future__ import annotations

from pathlib import Path

import pytest

from ccswitch.admission import (
    Admit,
    Capacity,
    Limit,
    NodeLoad,
    Overflow,
    Reserve,
    channels_allowed,
    decide,
    inbound_headroom,
    limits_of,
    media_ports,
)
from ccswitch.occupancy import RecentSessions

CAPACITY = Capacity(max_sessions=100, sessions_per_second=30, media_ports=50)
RESERVE = Reserve(sessions=10, sessions_per_second=5, media_ports=4)

# (sessions, media, created in the last second, needs media) -> decision. The caller's own channel is counted in
# sessions (and in recent); an admitted caller needs one more channel and port for their agent's leg.
TABLE = [
    ((1, 0, 1, True), Admit()),
    ((89, 40, 1, True), Admit()),  # 89 + agent leg = 90 = 100 - 10
    ((90, 40, 1, True), Overflow(Limit.SESSIONS, True)),
    ((100, 50, 1, True), Overflow(Limit.SESSIONS, False)),  # the reserve gone too: hang up unanswered
    ((10, 5, 24, True), Admit()),  # 24 = 30 - 1 (FreeSWITCH's budget) - 5
    ((10, 5, 25, True), Overflow(Limit.RATE, True)),
    ((10, 44, 1, True), Admit()),  # 44 + own port + agent leg's = 46 = 50 - 4
    ((10, 45, 1, True), Overflow(Limit.MEDIA, True)),
    ((10, 45, 1, False), Admit()),  # left ringing, the caller needs the agent leg's port only
    ((10, 46, 1, False), Overflow(Limit.MEDIA, True)),
    ((10, 49, 1, True), Overflow(Limit.MEDIA, True)),  # one port left: enough for the overflow announcement
    ((10, 50, 1, True), Overflow(Limit.MEDIA, False)),
    ((95, 50, 29, True), Overflow(Limit.SESSIONS, False)),  # sessions are looked at first
    ((50, 50, 29, True), Overflow(Limit.RATE, False)),  # then the rate
]


@pytest.mark.parametrize(("load", "expected"), TABLE, ids=[str(row[0]) for row in TABLE])
def test_given_a_node_load_when_a_caller_arrives_then_the_table_decides(
        load: tuple[int, int, int, bool], expected: Admit | Overflow) -> None:
    sessions, media, recent, needs_media = load
    assert decide(CAPACITY, RESERVE, NodeLoad(sessions, media, recent), needs_media) == expected


def test_given_no_reserve_then_a_caller_is_admitted_up_to_the_switchs_own_limits() -> None:
    none = Reserve(0, 0, 0)
    assert decide(CAPACITY, none, NodeLoad(99, 48, 29), True) == Admit()
    assert decide(CAPACITY, none, NodeLoad(100, 48, 1), True) == Overflow(Limit.SESSIONS, True)
    assert decide(CAPACITY, none, NodeLoad(10, 49, 1), True) == Overflow(Limit.MEDIA, True)


def test_without_a_per_second_reserve_the_rate_is_not_checked() -> None:
    # the caller already got in: admitting them spends none of the switch's budget
    assert decide(CAPACITY, Reserve(0, 0, 0), NodeLoad(10, 5, 45), True) == Admit()
    assert decide(CAPACITY, Reserve(0, 1, 0), NodeLoad(10, 5, 29), True) == Overflow(Limit.RATE, True)


@pytest.mark.parametrize(("start", "end", "ports"), [
    (16384, 32768, 8193),  # FreeSWITCH's defaults: 16384, 16386 ... 32768
    (16384, 16584, 101),
    (16385, 16584, 100),  # an odd start is rounded up to the next even port
    (16384, 16585, 101),  # an odd end down
    (16384, 16385, 1),
])
def test_media_ports_count_even_ports_as_the_allocator_does(start: int, end: int, ports: int) -> None:
    assert media_ports(start, end) == ports


def test_limits_are_read_from_freeswitchs_status_reply() -> None:
    trace = (Path(__file__).parent / "fixtures" / "fs-traces" / "f_api_and_command_replies.recv.raw").read_text()
    status = trace[trace.index("UP 0 years"):]
    assert limits_of(status) == (1000, 30)
    assert limits_of("-ERR status Command not found!\n") == (None, None)


def test_recent_sessions_are_counted_per_node_over_the_last_second() -> None:
    recent = RecentSessions()
    recent.created("fs1", 10.0)
    recent.created("fs1", 10.5, count=2)  # a ring-all offer: two agent legs
    recent.created("fs2", 10.6)
    assert (recent.count("fs1", 10.9), recent.count("fs2", 10.9), recent.count("fs3", 10.9)) == (3, 1, 0)
    assert recent.count("fs1", 11.0) == 2  # the first is a second old
    assert recent.count("fs1", 11.6) == 0


# ---- pacing: channels the controller creates ------------------------------------------------------------------------

# (created in the last second, callers a second, wanted) -> granted, on a node of 30 a second (29 channels), with
# the default headroom of 2 deviations
PACING = [
    ((0, 0.0, 1), 1),  # nothing going on
    ((0, 0.0, 40), 29),  # a ring-all bigger than the budget: as many as fit
    ((28, 0.0, 1), 1),  # the 29th channel of the second
    ((29, 0.0, 1), 0),  # the budget is spent: deferred
    ((40, 0.0, 1), 0),  # over it (callers the switch took anyway): never negative
    ((10, 2.0, 5), 5),  # 29 - 10 - headroom 4 = 15 left
    ((10, 8.0, 20), 11),  # headroom 8 for 8 callers a second
    ((20, 20.0, 3), 0),  # 29 - 20 - headroom 13 < 0: the callers need the rest of the budget
    ((0, 0.0, 0), 0),  # nothing wanted
]
# (created in the last second, callers a second, wanted, deviations) -> granted
PACING_HEADROOM = [
    ((20, 20.0, 3, 0.0), 3),  # no headroom: the sliding count alone
    ((20, 20.0, 9, 0.0), 9),
    ((20, 20.0, 9, 1.0), 2),  # headroom 7 (sqrt(40) = 6.3)
]


@pytest.mark.parametrize(("situation", "granted"), PACING)
def test_channels_allowed(situation: tuple[int, float, int], granted: int) -> None:
    created, arrivals, wanted = situation
    assert channels_allowed(CAPACITY, created, arrivals, wanted) == granted


@pytest.mark.parametrize(("situation", "granted"), PACING_HEADROOM)
def test_channels_allowed_with_a_configured_headroom(situation: tuple[int, float, int, float], granted: int) -> None:
    created, arrivals, wanted, deviations = situation
    assert channels_allowed(CAPACITY, created, arrivals, wanted, deviations) == granted


@pytest.mark.parametrize(("arrivals", "headroom"), [(0.0, 0), (0.5, 2), (2.0, 4), (8.0, 8), (20.0, 13),
                                                     (-1.0, 0)])
def test_the_headroom_for_callers_grows_with_the_fluctuation_of_their_arrivals(arrivals: float,
                                                                                headroom: int) -> None:
    # 2 standard deviations of the difference of two seconds' Poisson arrivals: 2 * sqrt(2 * rate), rounded up
    assert inbound_headroom(arrivals, 2.0) == headroom


def test_recent_callers_rate_is_counted_over_five_seconds_and_among_the_created() -> None:
    recent = RecentSessions()
    for index in range(10):
        recent.arrived("fs1", 10.0 + index * 0.25)  # 4 a second, 10.0 .. 12.25
    recent.created("fs1", 12.3, count=2)  # two agent legs
    assert recent.arrivals_per_second("fs1", 12.3) == 2.0  # 10 callers over the last 5 s
    assert recent.count("fs1", 12.3) == 6  # in the last second: 11.5, 11.75, 12.0, 12.25 and the two legs
    assert recent.arrivals_per_second("fs1", 15.6) == 1.4  # those of 10.0, 10.25 and 10.5 are 5 s old
    assert (recent.arrivals_per_second("fs2", 15.0), recent.count("fs2", 15.0)) == (0.0, 0)
