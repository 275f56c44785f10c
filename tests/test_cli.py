"""The ``ccswitch`` command line, as a user runs it (click's runner, real files)."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
from click.testing import CliRunner

from ccswitch import __version__
from ccswitch.cli import main

ROOT = Path(__file__).resolve().parents[1]


@pytest.fixture
def broken_copy(tmp_path: Path) -> Path:
    """A copy of the shipped config with a typo in a queue name."""
    for folder in ("config", "dialplans", "ivr", "sounds"):
        shutil.copytree(ROOT / folder, tmp_path / folder)
    ivr = tmp_path / "ivr" / "main.yaml"
    ivr.write_text(ivr.read_text().replace('"2": {queue: support}', '"2": {queue: supprt}'))
    return tmp_path / "config" / "ccswitch.yaml"


def test_version() -> None:
    result = CliRunner().invoke(main, ["--version"])
    assert result.exit_code == 0 and __version__ in result.output


def test_check_passes_on_the_shipped_config() -> None:
    result = CliRunner().invoke(main, ["check", "--config", str(ROOT / "config" / "ccswitch.yaml")])
    assert result.exit_code == 0, result.output
    assert result.output.strip().endswith(": OK")


def test_check_names_file_key_and_problem_and_fails(broken_copy: Path) -> None:
    result = CliRunner().invoke(main, ["check", "--config", str(broken_copy)])
    assert result.exit_code == 1
    assert "ivr/main.yaml: main.options.2.queue: unknown queue 'supprt' (known: operator, sales, support)" in (
        result.output
    )


def test_run_refuses_a_broken_config_with_the_same_message(broken_copy: Path) -> None:
    result = CliRunner().invoke(main, ["run", "--config", str(broken_copy)])
    assert result.exit_code == 1
    assert "unknown queue 'supprt'" in result.output


def test_demo_plays_calls_through_the_simulator_and_prints_the_summary() -> None:
    result = CliRunner().invoke(main, [
        "demo", "--config", str(ROOT / "config" / "ccswitch.yaml"),
        "--calls", "6", "--minutes", "1", "--speed", "100", "--quiet",
    ])
    assert result.exit_code == 0, result.output
    total = next(line for line in result.output.splitlines() if line.startswith("total"))
    offered = int(total.split()[1])
    assert offered >= 4  # callers who chose the opening hours only, or gave no input, may never reach a queue
    assert "agent  answered" in result.output


def test_erlang_prints_the_staffing_plan_for_the_issue_example() -> None:
    result = CliRunner().invoke(main, ["erlang", "--calls-per-hour", "600", "--aht", "180", "--target-sl", "80/20"])
    assert result.exit_code == 0, result.output
    assert "agents needed        35" in result.output
    assert "trunk channels       49" in result.output


def test_erlang_rejects_nonsense_with_a_usage_error() -> None:
    result = CliRunner().invoke(main, ["erlang", "--calls-per-hour", "-5", "--aht", "180"])
    assert result.exit_code == 2 and "calls_per_hour" in result.output
