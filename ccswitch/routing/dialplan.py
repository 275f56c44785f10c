"""Dialplan matching: DID, caller number and calendar → a call's first step. Pure: ``now`` is an argument.

Rules are tried in order and the first whose every condition holds wins. Calendar conditions are read in the
dialplan's time zone. Patterns are searched like FreeSWITCH's dialplan conditions: anchor them with ``^…$``.

Each condition a rule may set is one row of ``CONDITIONS``: whether it holds for a call, and in words why not.
``route`` asks only whether they hold; ``misses`` (used by ``ccswitch route``) asks the same rows why not.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Literal

from ccswitch.config._fields import DAYS
from ccswitch.config.model import Dialplan, DialplanRule, HourRange, within
from ccswitch.media.recording import RecordingPolicy
from ccswitch.routing.steps import Step

ConditionKind = Literal["DID", "caller", "calendar"]


@dataclass(frozen=True, slots=True)
class Route:
    step: Step
    rule: str | None  # the matching rule's name; None when the dialplan's default applied
    recording: RecordingPolicy | None = None  # the rule's own recording policy, over the queue's


@dataclass(frozen=True, slots=True)
class Offered:
    """What a rule is matched against: the dialled number, the caller's number and the dialplan's local time."""

    did: str
    caller: str
    local: datetime


@dataclass(frozen=True, slots=True)
class Condition:
    key: str  # the rule's key in the dialplan file
    kind: ConditionKind
    holds: Callable[[DialplanRule, Offered], bool]
    why_not: Callable[[DialplanRule, Offered], str]


@dataclass(frozen=True, slots=True)
class Miss:
    """A condition of a rule that a call does not meet."""

    key: str
    kind: ConditionKind
    reason: str


def route(dialplan: Dialplan, did: str, caller: str, now: datetime) -> Route:
    call = offered(dialplan, did, caller, now)
    for rule in dialplan.rules:
        if matches(rule, call):
            return Route(rule.then, rule.name, rule.recording)
    return Route(dialplan.default, None)


def offered(dialplan: Dialplan, did: str, caller: str, now: datetime) -> Offered:
    if now.tzinfo is None:
        raise ValueError("now must be timezone-aware")
    return Offered(did, caller, now.astimezone(dialplan.timezone))


def matches(rule: DialplanRule, call: Offered) -> bool:
    # A loop, not all(<generator>) (about half the time): this runs for every rule of every call.
    for condition in CONDITIONS:  # noqa: SIM110
        if not condition.holds(rule, call):
            return False
    return True


def misses(rule: DialplanRule, call: Offered) -> tuple[Miss, ...]:
    """Every condition of ``rule`` that ``call`` does not meet, in the order of ``CONDITIONS``; empty: it
    matches."""
    return tuple(Miss(condition.key, condition.kind, condition.why_not(rule, call))
                 for condition in CONDITIONS if not condition.holds(rule, call))


def _pattern_text(rule: DialplanRule, key: str) -> str:
    pattern = rule.did_pattern if key == "did_pattern" else rule.caller_pattern
    return pattern.pattern if pattern is not None else ""


def day_names(days: frozenset[int], names: Sequence[str] = DAYS) -> str:
    """``{0, 1, 2, 3, 4, 6}`` → ``mon-fri, sun`` (``names``: the days' names, Monday first)."""
    runs: list[list[int]] = []
    for day in sorted(days):
        if runs and runs[-1][-1] == day - 1:
            runs[-1].append(day)
        else:
            runs.append([day])
    return ", ".join(names[run[0]] if len(run) == 1 else f"{names[run[0]]}-{names[run[-1]]}" for run in runs)


def hour_ranges(hours: tuple[HourRange, ...]) -> str:
    return ", ".join(f"{_clock(part.start)}-{_clock(part.end)}" for part in hours)


def _clock(minute: int) -> str:
    return f"{minute // 60:02d}:{minute % 60:02d}"


def _either(values: frozenset[str]) -> str:
    ordered = sorted(values)
    return ordered[0] if len(ordered) == 1 else f"one of {', '.join(ordered)}"


CONDITIONS: tuple[Condition, ...] = (
    Condition("did", "DID",
              lambda rule, call: not rule.dids or call.did in rule.dids,
              lambda rule, call: f"{call.did} is not {_either(rule.dids)}"),
    Condition("did_pattern", "DID",
              lambda rule, call: rule.did_pattern is None or rule.did_pattern.search(call.did) is not None,
              lambda rule, call: f"{call.did} does not match {_pattern_text(rule, 'did_pattern')}"),
    Condition("caller_pattern", "caller",
              lambda rule, call: rule.caller_pattern is None or rule.caller_pattern.search(call.caller) is not None,
              lambda rule, call: f"{call.caller} does not match {_pattern_text(rule, 'caller_pattern')}"),
    Condition("days", "calendar",
              lambda rule, call: within(call.local, rule.days, ()),
              lambda rule, call: f"{DAYS[call.local.weekday()]} is not {day_names(rule.days)}"),
    Condition("hours", "calendar",
              lambda rule, call: within(call.local, frozenset(), rule.hours),
              lambda rule, call: f"{call.local:%H:%M} is outside {hour_ranges(rule.hours)}"),
    Condition("dates", "calendar",
              lambda rule, call: (not rule.dates
                                  or not rule.dates.isdisjoint({call.local.date().isoformat(),
                                                                f"{call.local:%m-%d}"})),
              lambda rule, call: f"{call.local.date().isoformat()} is not {_either(rule.dates)}"),
)
