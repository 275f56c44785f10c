"""Parsers for the values the YAML files share: safe tokens, steps, calendar conditions."""

from __future__ import annotations

import calendar
import re
from dataclasses import dataclass
from datetime import date
from typing import Any
from zoneinfo import ZoneInfo

from ccswitch.config._reader import Node, Token
from ccswitch.config.model import HourRange, IvrChoice, Repeat, Say
from ccswitch.routing.steps import (
    UNCONFIRMED_CALLBACK_CAUSE,
    Step,
    ToAnnouncement,
    ToCallback,
    ToHangup,
    ToIvr,
    ToQueue,
    ToTransfer,
    ToVoicemail,
)
from ccswitch.validators import time_zone

NAME = Token(re.compile(r"[A-Za-z0-9_-]+"), "letters, digits, '_' and '-'")
PROMPT = Token(
    re.compile(r"[A-Za-z0-9_-]+(/[A-Za-z0-9_-]+)*"),
    "a path under the sounds directory without '.wav': letters, digits, '_', '-' and '/'",
)
DESTINATION = Token(re.compile(r"[A-Za-z0-9_.+*#@-]+"), "letters, digits and _ . + * # @ -")
MEDIA = Token(re.compile(r"[A-Za-z0-9_.:/@+-]+"), "letters, digits and _ . : / @ + -")
SWITCH_DIR = Token(re.compile(r"/[A-Za-z0-9_./-]*"), "an absolute path of letters, digits and _ . / -")
HOST = Token(re.compile(r"[A-Za-z0-9_.:-]+"), "a host name or IP address")
SECRET = Token(re.compile(r"[!-~]+"), "printable ASCII without spaces")
ENDPOINT = Token(
    re.compile(
        r"user/[A-Za-z0-9_.+-]+(@[A-Za-z0-9.-]+)?"
        r"|sofia/[A-Za-z0-9_.-]+/[A-Za-z0-9_.+@:/-]+"
        r"|loopback/[A-Za-z0-9_.+*#-]+(/[A-Za-z0-9_-]+)?"
    ),
    "user/<ext>[@<domain>], sofia/<profile>/<target> or loopback/<ext>[/<context>]",
)

# The names FreeSWITCH understands as hangup causes: switch_channel.c, CAUSE_CHART (switch_channel_str2cause).
_CAUSE_NAMES = """
    UNALLOCATED_NUMBER NO_ROUTE_TRANSIT_NET NO_ROUTE_DESTINATION CHANNEL_UNACCEPTABLE CALL_AWARDED_DELIVERED
    NORMAL_CLEARING USER_BUSY NO_USER_RESPONSE NO_ANSWER SUBSCRIBER_ABSENT CALL_REJECTED NUMBER_CHANGED
    REDIRECTION_TO_NEW_DESTINATION EXCHANGE_ROUTING_ERROR DESTINATION_OUT_OF_ORDER INVALID_NUMBER_FORMAT
    FACILITY_REJECTED RESPONSE_TO_STATUS_ENQUIRY NORMAL_UNSPECIFIED NORMAL_CIRCUIT_CONGESTION
    NETWORK_OUT_OF_ORDER NORMAL_TEMPORARY_FAILURE SWITCH_CONGESTION ACCESS_INFO_DISCARDED
    REQUESTED_CHAN_UNAVAIL PRE_EMPTED FACILITY_NOT_SUBSCRIBED OUTGOING_CALL_BARRED INCOMING_CALL_BARRED
    BEARERCAPABILITY_NOTAUTH
    BEARERCAPABILITY_NOTAVAIL SERVICE_UNAVAILABLE BEARERCAPABILITY_NOTIMPL CHAN_NOT_IMPLEMENTED
    FACILITY_NOT_IMPLEMENTED SERVICE_NOT_IMPLEMENTED INVALID_CALL_REFERENCE INCOMPATIBLE_DESTINATION
    INVALID_MSG_UNSPECIFIED MANDATORY_IE_MISSING MESSAGE_TYPE_NONEXIST WRONG_MESSAGE IE_NONEXIST
    INVALID_IE_CONTENTS WRONG_CALL_STATE RECOVERY_ON_TIMER_EXPIRE MANDATORY_IE_LENGTH_ERROR PROTOCOL_ERROR
    INTERWORKING ORIGINATOR_CANCEL MANAGER_REQUEST
"""
HANGUP_CAUSES = frozenset(_CAUSE_NAMES.split())

STEP_KEYS = ("announce", "callback", "hangup", "ivr", "queue", "transfer", "voicemail")
DAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
_DATE = re.compile(r"(?:(?P<year>[0-9]{4})-)?(?P<month>[0-9]{2})-(?P<day>[0-9]{2})")
_DURATION = re.compile(r"([0-9]+) ?([smhd]?)")
_UNIT_SECONDS = {"d": 86400, "h": 3600, "m": 60, "s": 1}


@dataclass(frozen=True, slots=True)
class Ref:
    """A name that must exist somewhere else (checked once every file is read)."""

    kind: str  # "queue" | "menu" | "prompt"
    name: str
    file: str
    key_path: str


def cause(node: Node, key: str, default: str) -> str:
    value = node.text(key, default)
    if value and value not in HANGUP_CAUSES:
        node.error(key, f"unknown hangup cause {value!r} (FreeSWITCH names: NORMAL_CLEARING, USER_BUSY, ...)")
    return value


def prompt(node: Node, key: str, refs: list[Ref]) -> str:
    value = node.text(key, token=PROMPT)
    if value and PROMPT.pattern.fullmatch(value):
        refs.append(Ref("prompt", value, node.file, node.at(key)))
    return value


def step(parent: Node, key: object, value: Any, refs: list[Ref]) -> Step:
    """``{queue: sales, priority: 5}``, ``{ivr: main}``, ``{transfer: "1000", context: default}``,
    ``{announce: announce/closed}`` or ``{hangup: USER_BUSY}``."""
    node = parent.child(key, value)
    fallback = ToHangup()
    if node is None:
        return fallback
    kinds = [k for k in STEP_KEYS if k in node.data]
    if len(kinds) != 1:
        parent.error(key, f"expected exactly one of: {', '.join(STEP_KEYS)}")
        return fallback
    kind = kinds[0]
    if kind == "queue":
        node.known(("queue", "priority", "skills"))
        name = node.text("queue", token=NAME)
        refs.append(Ref("queue", name, node.file, node.at("queue")))
        return ToQueue(name, node.integer("priority", 0, 0, 100), tuple(sorted(skills(node).items())))
    if kind == "ivr":
        node.known(("ivr",))
        name = node.text("ivr", token=NAME)
        refs.append(Ref("menu", name, node.file, node.at("ivr")))
        return ToIvr(name)
    if kind == "transfer":
        node.known(("transfer", "context"))
        return ToTransfer(
            node.text("transfer", token=DESTINATION, numbers=True),
            node.text("context", "default", token=NAME),
        )
    if kind == "announce":
        node.known(("announce", "cause"))
        return ToAnnouncement(prompt(node, "announce", refs), cause(node, "cause", "NORMAL_CLEARING"))
    if kind == "voicemail":
        node.known(("voicemail", "max_s"))
        return ToVoicemail(prompt(node, "voicemail", refs), node.integer("max_s", 120, 5, 600))
    if kind == "callback":
        node.known(("callback", "otherwise", "confirm", "cause"))
        name = node.text("callback", token=NAME)
        refs.append(Ref("callback queue", name, node.file, node.at("callback")))
        otherwise = step(node, "otherwise", node.data["otherwise"], refs) if "otherwise" in node.data else ToHangup()
        if not isinstance(otherwise, ToAnnouncement | ToHangup):
            node.error("otherwise", "expected an announce or hangup step")
            otherwise = ToHangup()
        confirm = node.flag("confirm", True)
        if confirm and "cause" in node.data:
            node.error("cause", "only a callback without confirmation (confirm: false) hangs up with a cause")
        return ToCallback(name, otherwise, confirm, cause(node, "cause", UNCONFIRMED_CALLBACK_CAUSE))
    node.known(("hangup",))
    return ToHangup(cause(node, "hangup", "NORMAL_CLEARING"))


def skills(node: Node) -> dict[str, int]:
    """``skills: {english: 5, billing: 3}``: an agent's levels, or the minimum levels a queued call requires
    (1..100)."""
    section = node.section("skills")
    skills_node = Node(section.issues, section.file, section.path, {str(k): v for k, v in section.data.items()})
    levels = {}
    for name in skills_node.data:
        problem = NAME.check(name)
        if problem:
            skills_node.error(name, f"bad name: {problem}")
        else:
            levels[name] = skills_node.integer(name, 1, 1, 100)
    return levels


def step_at(node: Node, key: str, refs: list[Ref], default: Step | None = None) -> Step:
    """The step under ``key``; ``default`` when absent (absent and no default: an error)."""
    if key in node.data:
        return step(node, key, node.data[key], refs)
    if default is None:
        node.error(key, "missing")
        return ToHangup()
    return default


def ivr_choice(parent: Node, key: str, value: Any, refs: list[Ref]) -> IvrChoice:
    """An IVR option: ``repeat``, ``{say: info/opening_hours}`` or any step."""
    if value == "repeat":
        return Repeat()
    if isinstance(value, dict) and "say" in value:
        node = parent.child(key, value)
        assert node is not None
        node.known(("say",))
        return Say(prompt(node, "say", refs))
    if isinstance(value, str):
        parent.error(key, f"expected 'repeat' or a step mapping, got {value!r}")
        return Repeat()
    return step(parent, key, value, refs)


def days(node: Node, key: str) -> frozenset[int]:
    """``[mon, tue]`` or ranges ``[mon-fri]``; empty = every day."""
    result: set[int] = set()
    for item in node.items(key):
        first, _, last = str(item).lower().partition("-")
        last = last or first
        if first not in DAYS or last not in DAYS or DAYS.index(first) > DAYS.index(last):
            node.error(key, f"bad day {item!r} (use {', '.join(DAYS)} or a range like mon-fri)")
            continue
        result.update(range(DAYS.index(first), DAYS.index(last) + 1))
    return frozenset(result)


def hours(node: Node, key: str) -> tuple[HourRange, ...]:
    """``"09:00-18:00"`` or a list of such ranges; the end is excluded and may be 24:00."""
    result: list[HourRange] = []
    for item in node.items(key):
        found = re.fullmatch(r"(\d\d):(\d\d)-(\d\d):(\d\d)", str(item))
        if found is None:
            node.error(key, f"bad hours {item!r} (expected HH:MM-HH:MM, e.g. 09:00-18:00)")
            continue
        h1, m1, h2, m2 = (int(g) for g in found.groups())
        start, end = h1 * 60 + m1, h2 * 60 + m2
        if h1 > 23 or m1 > 59 or m2 > 59 or end > 24 * 60:
            node.error(key, f"bad hours {item!r} (not a time of day)")
        elif start >= end:
            node.error(key, f"bad hours {item!r} (start must be before end; split overnight ranges at 24:00)")
        else:
            result.append(HourRange(start, end))
    return tuple(result)


def dates(node: Node, key: str) -> frozenset[str]:
    """``YYYY-MM-DD`` (that day) or ``MM-DD`` (every year)."""
    result: set[str] = set()
    for item in node.items(key):
        text = item.isoformat() if isinstance(item, date) else str(item)
        found = _DATE.fullmatch(text)
        if found is None:
            node.error(key, f"bad date {text!r} (expected YYYY-MM-DD or MM-DD)")
            continue
        year = int(found["year"]) if found["year"] else None
        problem = _no_such_day(year, int(found["month"]), int(found["day"]))
        if problem:
            node.error(key, f"invalid date {text!r} ({problem})")
            continue
        result.add(text)
    return frozenset(result)


def _no_such_day(year: int | None, month: int, day: int) -> str | None:
    """Why the day is not in the calendar, or None. An every-year date (no ``year``) is checked in a leap year,
    so ``02-29`` is valid."""
    if not 1 <= month <= 12:
        return f"there is no month {month}"
    days_in_month = calendar.monthrange(year or 2000, month)[1]
    if not 1 <= day <= days_in_month:
        in_year = f" in {year}" if year and month == 2 else ""
        return f"{calendar.month_name[month]} has {days_in_month} days{in_year}"
    return None


def duration(node: Node, key: str, default: int, low: int, high: int) -> int:
    """Seconds: a bare number, or a number and ``s``, ``m``, ``h`` or ``d`` (``90``, ``10m``, ``2h``, ``30d``)."""
    value = node.raw(key)
    if value is None:
        return default
    found = None if isinstance(value, bool) else _DURATION.fullmatch(str(value))
    if found is None:
        node.error(key, f"bad duration {value!r} (seconds, or a number and s, m, h or d: 90, 10m, 2h, 30d)")
        return default
    seconds = int(found[1]) * _UNIT_SECONDS.get(found[2], 1)
    if not low <= seconds <= high:
        node.error(key, f"{value} is out of range {_in_units(low)}..{_in_units(high)}")
        return default
    return seconds


def _in_units(seconds: int) -> str:
    unit = next(unit for unit, size in _UNIT_SECONDS.items() if seconds % size == 0)
    return f"{seconds // _UNIT_SECONDS[unit]}{unit}"


def zone(node: Node, key: str, default: ZoneInfo) -> ZoneInfo:
    """An IANA time zone name such as Europe/Moscow."""
    name = node.optional_text(key)
    if name is None:
        return default
    try:
        return time_zone(name)
    except ValueError as exc:
        node.error(key, str(exc))
        return default


def pattern(node: Node, key: str) -> re.Pattern[str] | None:
    value = node.optional_text(key)
    if value is None:
        return None
    try:
        return re.compile(value)
    except re.error as exc:
        node.error(key, f"bad regular expression {value!r}: {exc}")
        return None
