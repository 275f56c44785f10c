"""A call routed on paper: the rule that takes it, why each earlier one does not, and the menu tree beneath."""

from __future__ import annotations

import json
from dataclasses import replace
from datetime import datetime, timedelta
from pathlib import Path
from types import MappingProxyType
from zoneinfo import ZoneInfo

import pytest

from ccswitch.config import Config, load_config
from ccswitch.config.model import Repeat
from ccswitch.routing.dialplan import Miss, route
from ccswitch.routing.explain import (
    RuleTried,
    StepNode,
    describe,
    explain_route,
    explanation_document,
    explanation_lines,
    parse_at,
)
from ccswitch.routing.steps import ToAnnouncement, ToCallback, ToHangup, ToIvr, ToQueue

REPO = Path(__file__).resolve().parents[2]
SHIPPED = load_config(REPO / "config" / "ccswitch.yaml", env={})
MSK = ZoneInfo("Europe/Moscow")
LINE, CALLER = "88005550556", "79161234567"
TUESDAY_EVENING = datetime(2026, 12, 8, 19, 30, tzinfo=MSK)
TUESDAY_MORNING = datetime(2026, 12, 8, 10, 30, tzinfo=MSK)
HOLIDAYS = "01-01, 01-02, 01-07, 02-23, 03-08, 05-01, 05-09, 06-12, 11-04"


def test_out_of_hours_each_earlier_rule_says_which_calendar_condition_failed() -> None:
    explanation = explain_route(SHIPPED, LINE, CALLER, TUESDAY_EVENING)

    assert explanation.tried == (
        RuleTried("holidays", (Miss("dates", "calendar", f"2026-12-08 is not one of {HOLIDAYS}"),)),
        RuleTried("business-hours", (Miss("hours", "calendar", "19:30 is outside 09:00-18:00"),)),
        RuleTried("out-of-hours", ()),
    )
    assert explanation.route == route(SHIPPED.dialplan, LINE, CALLER, TUESDAY_EVENING)
    assert explanation.first_step == StepNode("first step", ToAnnouncement("announce/closed"))
    assert explanation_lines(explanation) == [
        "DID 88005550556, caller 79161234567, 2026-12-08 19:30 Tue (Europe/Moscow): dialplan main",
        f"  1. holidays        calendar: 2026-12-08 is not one of {HOLIDAYS}",
        "  2. business-hours  calendar: 19:30 is outside 09:00-18:00",
        "  3. out-of-hours    MATCHES",
        "first step: play announce/closed, then hang up (NORMAL_CLEARING)",
    ]


def test_in_hours_the_menu_tree_shows_the_queue_and_agents_behind_each_key() -> None:
    lines = explanation_lines(explain_route(SHIPPED, LINE, CALLER, TUESDAY_MORNING))

    assert lines[1:] == [
        f"  1. holidays        calendar: 2026-12-08 is not one of {HOLIDAYS}",
        "  2. business-hours  MATCHES",
        "first step: IVR menu main",
        "  1: queue sales (4 agents: 1000, 1001, 1002, 1003)",
        "  2: queue support (5 agents: 1003, 1004, 1005, 1006, 1007)",
        "  3: play info/opening_hours, back to the menu",
        "  0: queue operator, priority 5 (3 agents: 1007, 1008, 1009)",
        "  9: repeat the menu",
        "  on failure (after 3 tries): queue operator (3 agents: 1007, 1008, 1009)",
    ]


def test_an_unknown_did_misses_every_rule_on_the_did_and_gets_the_default() -> None:
    explanation = explain_route(SHIPPED, "74950000000", CALLER, TUESDAY_MORNING)

    assert [tried.rule for tried in explanation.tried] == ["holidays", "business-hours", "out-of-hours"]
    assert all(tried.misses[0] == Miss("did", "DID", "74950000000 is not 88005550556")
               for tried in explanation.tried)
    assert explanation.route.rule is None and explanation.first_step.choice == ToHangup("UNALLOCATED_NUMBER")
    assert explanation_lines(explanation)[-2:] == [
        "  no rule matches: the dialplan's default applies",
        "first step: hang up (UNALLOCATED_NUMBER)",
    ]


def with_submenu() -> Config:
    """main: 4 → menu more; more: 1 → queue sales with skills, 8 → back to main."""
    main = SHIPPED.menus["main"]
    more = replace(main, name="more", options=MappingProxyType({
        "1": ToQueue("sales", 3, (("english", 2),)), "8": ToIvr("main"), "9": Repeat()}))
    main = replace(main, options=MappingProxyType({"4": ToIvr("more")}), on_failure=ToHangup())
    dialplan = replace(SHIPPED.dialplan, rules=(), default=ToIvr("main"))
    return replace(SHIPPED, menus=MappingProxyType({"main": main, "more": more}), dialplan=dialplan)


def test_submenus_are_expanded_once_and_a_way_back_is_shown_as_above() -> None:
    explanation = explain_route(with_submenu(), LINE, CALLER, TUESDAY_MORNING)

    assert explanation_lines(explanation) == [
        "DID 88005550556, caller 79161234567, 2026-12-08 10:30 Tue (Europe/Moscow): dialplan main",
        "  the dialplan has no rules: its default applies",
        "first step: IVR menu main",
        "  4: IVR menu more",
        "    1: queue sales, priority 3, skills english >= 2 (4 agents: 1000, 1001, 1002, 1003)",
        "    8: IVR menu main (shown above)",
        "    9: repeat the menu",
        "    on failure (after 3 tries): queue operator (3 agents: 1007, 1008, 1009)",
        "  on failure (after 3 tries): hang up (NORMAL_CLEARING)",
    ]


def test_the_json_document_has_iso_times_the_rules_and_the_tree() -> None:
    document = explanation_document(explain_route(with_submenu(), LINE, CALLER,
                                                  datetime(2026, 12, 8, 7, 30, tzinfo=ZoneInfo("UTC"))))

    assert json.loads(json.dumps(document)) == document
    assert document["at"] == "2026-12-08T10:30:00+03:00" and document["timezone"] == "Europe/Moscow"
    assert document["rules"] == [] and document["matched_rule"] is None
    more = document["first_step"]["options"][0]
    assert more["kind"] == "ivr" and more["menu"] == "more" and more["label"] == "4"
    assert more["options"][0] == {"label": "1", "kind": "queue", "queue": "sales", "priority": 3,
                                  "skills": {"english": 2}, "text": "queue sales, priority 3, skills english >= 2",
                                  "agents": ["1000", "1001", "1002", "1003"]}
    assert more["options"][1]["shown_above"] is True and more["options"][1]["options"] == []
    assert more["options"][2] == {"label": "9", "kind": "repeat", "text": "repeat the menu"}


def test_rules_tried_carry_their_misses_into_the_json() -> None:
    document = explanation_document(explain_route(SHIPPED, LINE, CALLER, TUESDAY_EVENING))

    assert document["matched_rule"] == "out-of-hours"
    assert document["rules"][1] == {"rule": "business-hours", "matched": False, "misses": [
        {"key": "hours", "kind": "calendar", "reason": "19:30 is outside 09:00-18:00"}]}
    assert document["first_step"] == {"label": "first step", "kind": "announce", "prompt": "announce/closed",
                                      "cause": "NORMAL_CLEARING",
                                      "text": "play announce/closed, then hang up (NORMAL_CLEARING)"}


def test_a_time_without_an_offset_is_local_to_the_given_zone_and_one_with_an_offset_is_kept() -> None:
    assert parse_at("2026-12-08 19:30", MSK) == TUESDAY_EVENING
    assert parse_at("2026-12-08T16:30:00Z", MSK) == TUESDAY_EVENING
    assert parse_at("2026-12-08T16:30+00:00", MSK).utcoffset() == timedelta(0)


def test_a_time_that_is_no_time_says_what_is_expected() -> None:
    with pytest.raises(ValueError, match=r"bad time '19:30 tomorrow': expected YYYY-MM-DD HH:MM \(local time in "
                                         r"Europe/Moscow\) or ISO 8601 with an offset"):
        parse_at("19:30 tomorrow", MSK)


def test_a_callback_says_whether_the_caller_hears_a_confirmation_or_is_hung_up_at_once() -> None:
    assert describe(ToCallback("support")) == "callback from queue support (no number to call back: hang up " \
                                              "(NORMAL_CLEARING))"
    assert describe(ToCallback("support", confirm=False)) == (
        "callback from queue support, hung up at once (USER_BUSY) without confirmation (no number to call back: "
        "hang up (NORMAL_CLEARING))")
