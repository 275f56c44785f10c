"""Opening hours for a chatbot, from the dialplan's calendar rules. Pure: ``now`` is an argument.

The bot is open when the dialplan would route a contact for the calendar's number by the calendar's rule
(``routing.dialplan.route``): the same decision the voice line takes, holidays above the rule included. The next
opening is the first moment, within two weeks, at which that holds: it can only begin at midnight or where one of
the rule's hour ranges starts, so those are the only moments tried.
"""

from __future__ import annotations

from datetime import datetime, time, timedelta

from ccswitch.chat.defaults import DAY_NAMES, WORDS
from ccswitch.chat.text import Language
from ccswitch.config.model import BotCalendar
from ccswitch.routing.dialplan import day_names, hour_ranges, route

LOOK_AHEAD_DAYS = 14


def is_open(calendar: BotCalendar, now: datetime) -> bool:
    return route(calendar.dialplan, calendar.did, "", now).rule == calendar.rule.name


def next_opening(calendar: BotCalendar, now: datetime) -> datetime | None:
    """The first moment after ``now`` (within ``LOOK_AHEAD_DAYS``) at which the calendar is open, in its zone."""
    zone = calendar.dialplan.timezone
    local = now.astimezone(zone)
    starts = sorted({0, *(hours.start for hours in calendar.rule.hours)})
    for offset in range(LOOK_AHEAD_DAYS + 1):
        day = local.date() + timedelta(days=offset)
        for minute in starts:
            moment = datetime.combine(day, time(minute // 60, minute % 60), zone)
            if moment > local and is_open(calendar, moment):
                return moment
    return None


def describe_hours(calendar: BotCalendar, language: Language) -> str:
    """The rule's days and hours in words: ``Mon-Fri 09:00-18:00`` / ``пн-пт 09:00-18:00``."""
    rule, words = calendar.rule, WORDS[language]
    days = day_names(rule.days, DAY_NAMES[language]) if rule.days else words["every_day"]
    hours = hour_ranges(rule.hours) or words["all_day"]
    return f"{days} {hours}"


def describe_moment(moment: datetime | None, now: datetime, language: Language) -> str:
    """When ``moment`` is, seen from ``now`` (in ``moment``'s zone): ``today at 09:00``, ``tomorrow at 09:00``,
    ``on Mon at 09:00``."""
    words = WORDS[language]
    if moment is None:
        return words["not_soon"]
    days = (moment.date() - now.astimezone(moment.tzinfo).date()).days
    clock = f"{moment:%H:%M}"
    if days == 0:
        return f"{words['today']} {clock}"
    if days == 1:
        return f"{words['tomorrow']} {clock}"
    return f"{words['on']} {DAY_NAMES[language][moment.weekday()]} {words['at']} {clock}"
