"""``ccswitch check``: errors, warnings and their exit statuses, --strict, --json, and the closing summary."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest
from click.testing import CliRunner, Result

from ccswitch.cli import CHECK_ERRORS, CHECK_WARNINGS, main

ROOT = Path(__file__).resolve().parents[1]
SECRET = {"CCSWITCH_ESL_PASSWORD": "a-long-random-secret"}
PASSWORD_WARNING = ("config/ccswitch.yaml: freeswitch.nodes[0].password: warning: node fs1 uses FreeSWITCH's "
                    "default password ClueCon")


@pytest.fixture
def config(tmp_path: Path) -> Path:
    """A copy of the shipped configuration, with its recordings folder."""
    for folder in ("config", "dialplans", "ivr", "sounds", "recordings"):
        shutil.copytree(ROOT / folder, tmp_path / folder)
    return tmp_path / "config" / "ccswitch.yaml"


def check(config: Path, *options: str, env: dict[str, str] | None = None) -> Result:
    return CliRunner(env=env).invoke(main, ["check", "--config", str(config), *options])


def test_the_exit_statuses_are_distinct() -> None:
    assert len({0, CHECK_ERRORS, CHECK_WARNINGS, 2}) == 4  # 2: click's wrong command line


def test_clean_exits_0_and_ends_with_what_was_loaded(config: Path) -> None:
    result = check(config, env=SECRET)

    assert result.exit_code == 0, result.output
    assert result.stderr == ""
    assert result.stdout.splitlines() == [
        f"{config}: OK",
        f"Loaded {config}: dialplan main with 3 rules for DIDs 88005550556 (otherwise: hang up "
        "(UNALLOCATED_NUMBER)); 1 IVR menu (main); 3 queues (sales, support, operator); 10 agents; 1 supervisor; "
        "2 campaigns (promo-nov, renewals); 1 chatbot (shop for sales); web chat 2 topics (sales → bot shop, "
        "support → queue support); time zone Europe/Moscow; 1 switch node "
        "(fs1 at 127.0.0.1:8021); memory store; HTTP API on 127.0.0.1:8080.",
    ]


def test_warnings_only_exit_3_and_strict_makes_them_fail(config: Path) -> None:
    result = check(config)

    assert result.exit_code == CHECK_WARNINGS, result.output
    assert result.stderr.startswith(PASSWORD_WARNING)
    assert result.stdout.splitlines()[0] == f"{config}: OK, 1 warning(s)"
    assert result.stdout.splitlines()[1].startswith(f"Loaded {config}: dialplan main")

    strict = check(config, "--strict")
    assert strict.exit_code == CHECK_ERRORS
    assert strict.stdout.splitlines()[0] == f"{config}: OK, 1 warning(s) (failing: --strict)"
    assert check(config, "--strict", env=SECRET).exit_code == 0


def test_errors_exit_1_as_before_without_warnings_or_summary(config: Path) -> None:
    ivr = config.parents[1] / "ivr" / "main.yaml"
    ivr.write_text(ivr.read_text().replace('"2": {queue: support}', '"2": {queue: supprt}'))
    result = check(config)

    assert result.exit_code == CHECK_ERRORS
    assert result.stdout == ""
    assert result.stderr.splitlines() == [
        "ivr/main.yaml: main.options.2.queue: unknown queue 'supprt' (known: operator, sales, support)",
        "1 error(s)",
    ]


def test_every_row_of_a_leads_file_is_checked(config: Path) -> None:
    # The configuration loader reads only a leads file's header (the controller imports the rows in the background):
    # check is where a bad row shows before a load.
    leads = config.parent / "campaigns" / "promo-nov.csv"
    leads.write_text(leads.read_text() + "+44 7700 9000xx,Typo\n")
    result = check(config, env=SECRET)

    assert result.exit_code == CHECK_ERRORS
    assert result.stderr.splitlines() == [
        "config/campaigns/promo-nov.csv: line 12: bad phone number '+44 7700 9000xx' (3-15 digits, optionally after "
        "'+'; spaces, dashes, dots and brackets are ignored)",
        "1 error(s)",
    ]


def test_a_catch_all_above_the_calendar_rules_is_reported(config: Path) -> None:
    dialplan = config.parents[1] / "dialplans" / "main.yaml"
    dialplan.write_text(dialplan.read_text().replace(
        "rules:\n", 'rules:\n  - name: catch-all\n    did: "88005550556"\n    then: {ivr: main}\n\n'))
    result = check(config, env=SECRET)

    assert result.exit_code == CHECK_WARNINGS
    assert [line.split(": warning: ")[0] for line in result.stderr.splitlines()] == [
        "dialplans/main.yaml: rules[1]", "dialplans/main.yaml: rules[2]", "dialplans/main.yaml: rules[3]"]
    assert "rule 'holidays' can never match: rule 'catch-all' above it" in result.stderr


def test_an_empty_main_file_warns_of_the_defaults_that_matter(config: Path) -> None:
    config.write_text("")
    result = check(config)

    assert result.exit_code == CHECK_WARNINGS, result.output
    assert [line.split(": warning: ")[0] for line in result.stderr.splitlines()] == [
        "config/ccswitch.yaml", "config/ccswitch.yaml: timezone", "config/ccswitch.yaml: freeswitch"]
    assert "time zone UTC" in result.stdout


def test_json_has_the_status_the_warnings_and_the_summary_and_the_same_exit(config: Path) -> None:
    result = check(config, "--json")

    assert result.exit_code == CHECK_WARNINGS
    document = json.loads(result.stdout)
    assert document["status"] == "warnings" and document["exit_status"] == CHECK_WARNINGS
    assert document["errors"] == []
    assert [(w["warning_id"], w["key_path"]) for w in document["warnings"]] == [
        ("default_esl_password", "freeswitch.nodes[0].password")]
    assert document["summary"]["timezone"] == "Europe/Moscow"
    assert document["summary"]["dids"] == ["88005550556"]
    assert document["summary"]["switch_nodes"] == [{"name": "fs1", "host": "127.0.0.1", "port": 8021}]
    assert check(config, "--json", "--strict").exit_code == CHECK_ERRORS

    config.write_text("timezone: Mars/Olympus\n")
    broken = check(config, "--json")
    assert broken.exit_code == CHECK_ERRORS
    document = json.loads(broken.stdout)
    assert document["status"] == "errors" and document["summary"] is None
    assert document["errors"][0]["key_path"] == "timezone"
