"""``ccswitch route``: a call routed on paper from the configuration files."""

from __future__ import annotations

import json
from datetime import datetime
from pathlib import Path
from zoneinfo import ZoneInfo

from click.testing import CliRunner, Result

from ccswitch.cli import main

ROOT = Path(__file__).resolve().parents[1]
CONFIG = str(ROOT / "config" / "ccswitch.yaml")


def route(*options: str) -> Result:
    return CliRunner().invoke(main, ["route", "--config", CONFIG, *options])


def test_the_issue_example_out_of_hours() -> None:
    result = route("--did", "88005550556", "--caller", "79161234567", "--at", "2026-12-08 19:30")

    assert result.exit_code == 0, result.output
    assert result.stdout.splitlines() == [
        "DID 88005550556, caller 79161234567, 2026-12-08 19:30 Tue (Europe/Moscow): dialplan main",
        "  1. holidays        calendar: 2026-12-08 is not one of 01-01, 01-02, 01-07, 02-23, 03-08, 05-01, 05-09, "
        "06-12, 11-04",
        "  2. business-hours  calendar: 19:30 is outside 09:00-18:00",
        "  3. out-of-hours    MATCHES",
        "first step: play announce/closed, then hang up (NORMAL_CLEARING)",
    ]


def test_in_hours_with_an_offset_the_menu_tree_and_json() -> None:
    result = route("--did", "88005550556", "--caller", "79161234567", "--at", "2026-12-08T07:30:00Z", "--json")

    assert result.exit_code == 0, result.output
    document = json.loads(result.stdout)
    assert document["at"] == "2026-12-08T10:30:00+03:00"
    assert [(rule["rule"], rule["matched"]) for rule in document["rules"]] == [
        ("holidays", False), ("business-hours", True)]
    menu = document["first_step"]
    assert (menu["kind"], menu["menu"]) == ("ivr", "main")
    assert {option["label"]: option.get("queue") for option in menu["options"]} == {
        "1": "sales", "2": "support", "3": None, "0": "operator", "9": None, "on failure (after 3 tries)": "operator"}


def test_now_is_the_default_time() -> None:
    result = route("--did", "74950000000")

    assert result.exit_code == 0, result.output
    assert f"{datetime.now(ZoneInfo('Europe/Moscow')):%Y-%m-%d}" in result.stdout.splitlines()[0]
    assert result.stdout.splitlines()[-2:] == ["  no rule matches: the dialplan's default applies",
                                               "first step: hang up (UNALLOCATED_NUMBER)"]


def test_a_bad_time_is_a_usage_error() -> None:
    result = route("--did", "88005550556", "--at", "tomorrow")

    assert result.exit_code == 2
    assert "Invalid value for '--at': bad time 'tomorrow'" in result.stderr


def test_a_config_found_by_discovery_is_named_on_stderr_only() -> None:
    result = CliRunner(env={"CCSWITCH_CONFIG": CONFIG}).invoke(
        main, ["route", "--did", "88005550556", "--at", "2026-12-08 19:30", "--json"])

    assert result.exit_code == 0, result.output
    assert json.loads(result.stdout)["rules"][-1] == {"rule": "out-of-hours", "matched": True, "misses": []}
    assert result.stderr == f"ccswitch: using {CONFIG} (from $CCSWITCH_CONFIG)\n"
