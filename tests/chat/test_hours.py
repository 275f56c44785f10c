"""Opening hours from a dialplan rule: open when the dialplan routes the rule's number by that rule; the next
opening found at a midnight or where an hour range starts; both languages."""

from __future__ import annotations

from datetime import datetime
from zoneinfo import ZoneInfo

from ccswitch.chat.hours import describe_hours, describe_moment, is_open, next_opening
from ccswitch.config.model import BotCalendar, Dialplan, DialplanRule, HourRange
from ccswitch.routing.steps import ToHangup, ToIvr

ZONE = ZoneInfo("Europe/Moscow")
SHOP = DialplanRule("shop", ToIvr("main"), dids=frozenset({"100"}), days=frozenset({0, 1, 2, 3, 4, 5}),
                    hours=(HourRange(10 * 60, 14 * 60), HourRange(15 * 60, 20 * 60)))
HOLIDAY = DialplanRule("holiday", ToHangup(), dids=frozenset({"100"}), dates=frozenset({"12-31", "01-01"}))
OTHER_LINE = DialplanRule("other", ToHangup(), dids=frozenset({"200"}))
CALENDAR = BotCalendar(Dialplan("main", (OTHER_LINE, HOLIDAY, SHOP), ToHangup(), ZONE), SHOP, "100")


def at(day: int, hour: int, minute: int = 0, month: int = 12) -> datetime:
    return datetime(2026, month, day, hour, minute, tzinfo=ZONE)


def test_open_within_the_rules_hours_on_its_days_unless_a_rule_above_takes_the_number() -> None:
    assert [is_open(CALENDAR, moment) for moment in (at(7, 10), at(7, 14, 30), at(12, 19, 59), at(13, 12),
                                                     at(31, 12))] == [True, False, True, False, False]


def test_rules_for_other_numbers_do_not_close_it() -> None:
    assert is_open(CALENDAR, at(8, 11))  # OTHER_LINE matches any time, but only number 200


def test_the_next_opening_is_after_a_break_the_next_day_or_after_holidays() -> None:
    assert next_opening(CALENDAR, at(7, 14, 30)) == at(7, 15)
    assert next_opening(CALENDAR, at(7, 21)) == at(8, 10)
    assert next_opening(CALENDAR, at(12, 21)) == at(14, 10)  # Saturday evening: Monday
    assert next_opening(CALENDAR, at(30, 21)) == datetime(2027, 1, 2, 10, tzinfo=ZONE)


def test_a_calendar_that_does_not_open_within_two_weeks_says_so() -> None:
    never = BotCalendar(Dialplan("main", (HOLIDAY,), ToHangup(), ZONE), HOLIDAY, "100")
    assert next_opening(never, at(1, 12, 0, month=1)) is None
    assert describe_moment(None, at(7, 12), "en") == "in more than two weeks"


def test_hours_and_moments_in_words() -> None:
    assert describe_hours(CALENDAR, "en") == "Mon-Sat 10:00-14:00, 15:00-20:00"
    assert describe_hours(CALENDAR, "ru") == "пн-сб 10:00-14:00, 15:00-20:00"
    assert describe_hours(BotCalendar(CALENDAR.dialplan, HOLIDAY, "100"), "ru") == "ежедневно круглосуточно"
    assert describe_moment(at(7, 15), at(7, 14), "ru") == "сегодня в 15:00"
    assert describe_moment(at(8, 10), at(7, 21), "en") == "tomorrow at 10:00"
    assert describe_moment(at(14, 10), at(12, 21), "ru") == "в пн в 10:00"
