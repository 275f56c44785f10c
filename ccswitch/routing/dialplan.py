"""Dialplan matching: DID, caller number and calendar → a call's first step. Pure: ``now`` is an argument.

Rules are tried in order and the first whose every condition holds wins. Calendar conditions are read in the
dialplan's time zone. Patterns are searched like FreeSWITCH's dialplan conditions: anchor them with ``^…$``.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from ccswitch.config.model import Dialplan, DialplanRule, within
from ccswitch.media.recording import RecordingPolicy
from ccswitch.routing.steps import Step


@dataclass(frozen=True, slots=True)
class Route:
    step: Step
    rule: str | None  # the matching rule's name; None when the dialplan's default applied
    recording: RecordingPolicy | None = None  # the rule's own recording policy, over the queue's


def route(dialplan: Dialplan, did: str, caller: str, now: datetime) -> Route:
    if now.tzinfo is None:
        raise ValueError("now must be timezone-aware")
    local = now.astimezone(dialplan.timezone)
    for rule in dialplan.rules:
        if _matches(rule, did, caller, local):
            return Route(rule.then, rule.name, rule.recording)
    return Route(dialplan.default, None)


def _matches(rule: DialplanRule, did: str, caller: str, local: datetime) -> bool:
    return (
        (not rule.dids or did in rule.dids)
        and (rule.did_pattern is None or rule.did_pattern.search(did) is not None)
        and (rule.caller_pattern is None or rule.caller_pattern.search(caller) is not None)
        and within(local, rule.days, rule.hours)
        and (not rule.dates or not rule.dates.isdisjoint({local.date().isoformat(), local.strftime("%m-%d")}))
    )
