"""Dialplan: first matching rule wins; calendar conditions in the dialplan's time zone."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta, timezone
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest

from ccswitch.config import Dialplan, DialplanRule, HourRange, load_config
from ccswitch.routing.dialplan import Miss, Route, matches, misses, offered, route
from ccswitch.routing.steps import ToAnnouncement, ToHangup, ToIvr, ToQueue, ToTransfer

REPO = Path(__file__).resolve().parents[2]

MSK = ZoneInfo("Europe/Moscow")
LINE = "88005550556"
CALLER = "79161234567"
SHIPPED = load_config(REPO / "config" / "ccswitch.yaml", env={}).dialplan


def msk(day: int, hour: int, minute: int = 0, month: int = 11) -> datetime:
    return datetime(2026, month, day, hour, minute, tzinfo=MSK)  # 2026-11-23 is a Monday


@pytest.mark.parametrize(
    ("now", "expected"),
    [
        (msk(25, 10), Route(ToIvr("main"), "business-hours")),  # Wednesday morning
        (msk(23, 9, 0), Route(ToIvr("main"), "business-hours")),  # opening minute
        (msk(27, 17, 59), Route(ToIvr("main"), "business-hours")),  # Friday, last minute
        (msk(27, 18, 0), Route(ToAnnouncement("announce/closed"), "out-of-hours")),  # closing time
        (msk(25, 8, 59), Route(ToAnnouncement("announce/closed"), "out-of-hours")),
        (msk(28, 11), Route(ToAnnouncement("announce/closed"), "out-of-hours")),  # Saturday
        (msk(29, 11), Route(ToAnnouncement("announce/closed"), "out-of-hours")),  # Sunday
        (msk(4, 11), Route(ToAnnouncement("announce/closed"), "holidays")),  # Wednesday 4 Nov, Unity Day
        (msk(7, 12, month=1), Route(ToAnnouncement("announce/closed"), "holidays")),
    ],
)
def test_shipped_line_by_calendar(now: datetime, expected: Route) -> None:
    assert route(SHIPPED, LINE, CALLER, now) == expected


def test_calendar_is_read_in_the_dialplan_time_zone() -> None:
    utc = UTC
    assert route(SHIPPED, LINE, CALLER, datetime(2026, 11, 25, 6, 0, tzinfo=utc)).rule == "business-hours"
    assert route(SHIPPED, LINE, CALLER, datetime(2026, 11, 25, 5, 59, tzinfo=utc)).rule == "out-of-hours"
    # Friday 23:30 in New York is already Saturday in Moscow.
    new_york = datetime(2026, 11, 27, 10, 30, tzinfo=timezone(timedelta(hours=-5)))
    assert route(SHIPPED, LINE, CALLER, new_york).rule == "out-of-hours"


def test_unknown_did_gets_the_default() -> None:
    assert route(SHIPPED, "74950000000", CALLER, msk(25, 10)) == Route(ToHangup("UNALLOCATED_NUMBER"), None)


def test_naive_time_is_refused() -> None:
    with pytest.raises(ValueError, match="timezone-aware"):
        route(SHIPPED, LINE, CALLER, datetime(2026, 11, 25, 10))


def plan(*rules: DialplanRule) -> Dialplan:
    return Dialplan("test", rules, ToHangup("UNALLOCATED_NUMBER"), MSK)


def test_did_list_and_pattern() -> None:
    dialplan = plan(
        DialplanRule("list", ToQueue("sales"), dids=frozenset({"100", "200"})),
        DialplanRule("pattern", ToQueue("support"), did_pattern=re.compile(r"^8800\d{7}$")),
    )

    assert route(dialplan, "200", CALLER, msk(25, 10)).rule == "list"
    assert route(dialplan, "88001234567", CALLER, msk(25, 10)).rule == "pattern"
    assert route(dialplan, "880012345678", CALLER, msk(25, 10)).rule is None


def test_caller_pattern_routes_vip_callers_first() -> None:
    dialplan = plan(
        DialplanRule("vip", ToQueue("sales", 9), dids=frozenset({LINE}), caller_pattern=re.compile(r"^7916")),
        DialplanRule("everyone", ToQueue("sales"), dids=frozenset({LINE})),
    )

    assert route(dialplan, LINE, "79161234567", msk(25, 10)) == Route(ToQueue("sales", 9), "vip")
    assert route(dialplan, LINE, "74951234567", msk(25, 10)) == Route(ToQueue("sales"), "everyone")


def test_several_hour_ranges_and_exact_dates() -> None:
    lunch_split = DialplanRule(
        "split",
        ToIvr("main"),
        days=frozenset({0}),
        hours=(HourRange(9 * 60, 13 * 60), HourRange(14 * 60, 1440)),
    )
    one_day = DialplanRule("once", ToTransfer("1000"), dates=frozenset({"2026-11-24"}))
    dialplan = plan(one_day, lunch_split)

    assert route(dialplan, LINE, CALLER, msk(23, 12, 59)).rule == "split"
    assert route(dialplan, LINE, CALLER, msk(23, 13, 30)).rule is None
    assert route(dialplan, LINE, CALLER, msk(23, 23, 59)).rule == "split"
    assert route(dialplan, LINE, CALLER, msk(24, 3)).rule == "once"
    assert route(dialplan, LINE, CALLER, msk(24, 3, month=12)).rule is None


def test_each_condition_says_why_a_call_misses_it() -> None:
    rule = DialplanRule(
        "strict", ToQueue("sales"), dids=frozenset({"100", "200"}), did_pattern=re.compile(r"^1"),
        caller_pattern=re.compile(r"^7916"), days=frozenset({0, 1, 2, 3, 4, 6}),
        hours=(HourRange(9 * 60, 13 * 60), HourRange(14 * 60, 1440)), dates=frozenset({"01-01"}),
    )
    call = offered(plan(rule), "300", "74951234567", msk(28, 13, 30))  # Saturday

    assert misses(rule, call) == (
        Miss("did", "DID", "300 is not one of 100, 200"),
        Miss("did_pattern", "DID", "300 does not match ^1"),
        Miss("caller_pattern", "caller", "74951234567 does not match ^7916"),
        Miss("days", "calendar", "sat is not mon-fri, sun"),
        Miss("hours", "calendar", "13:30 is outside 09:00-13:00, 14:00-24:00"),
        Miss("dates", "calendar", "2026-11-28 is not 01-01"),
    )
    assert not matches(rule, call)


def test_a_call_that_meets_every_condition_misses_none() -> None:
    rule = DialplanRule("vip", ToQueue("sales"), dids=frozenset({LINE}), caller_pattern=re.compile(r"^7916"),
                        days=frozenset({0}), hours=(HourRange(600, 660),), dates=frozenset({"2026-11-23"}))
    call = offered(plan(rule), LINE, CALLER, msk(23, 10, 30))

    assert misses(rule, call) == () and matches(rule, call)


@pytest.mark.parametrize("now", [msk(25, 10), msk(27, 18), msk(4, 11), msk(29, 3)])
@pytest.mark.parametrize("did", [LINE, "74950000000"])
def test_a_rule_matches_exactly_when_it_has_no_misses(now: datetime, did: str) -> None:
    call = offered(SHIPPED, did, CALLER, now)
    for rule in SHIPPED.rules:
        assert matches(rule, call) == (misses(rule, call) == ())
