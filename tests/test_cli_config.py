"""Every command finds its configuration the same way, and says which one it used (on stderr)."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
from click.testing import CliRunner

from ccswitch.cli import main

ROOT = Path(__file__).resolve().parents[1]


@pytest.fixture
def checkout(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A folder holding a copy of the shipped configuration; no system file."""
    for folder in ("config", "dialplans", "ivr", "sounds"):
        shutil.copytree(ROOT / folder, tmp_path / "checkout" / folder)
    (tmp_path / "checkout" / "recordings").mkdir()
    monkeypatch.setattr("ccswitch.config.locate.SYSTEM_FILE", tmp_path / "etc" / "ccswitch" / "ccswitch.yaml")
    monkeypatch.delenv("CCSWITCH_CONFIG", raising=False)
    monkeypatch.delenv("CCSWITCH_URL", raising=False)
    return tmp_path / "checkout"


def test_outside_the_checkout_the_error_is_one_line_naming_where_it_looked(
        checkout: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    elsewhere = checkout.parent / "elsewhere"
    elsewhere.mkdir()
    monkeypatch.chdir(elsewhere)
    for command in (["check"], ["history", "79161234567"], ["route", "--did", "1"], ["agent", "list"]):
        result = CliRunner().invoke(main, command)
        assert result.exit_code == 1, (command, result.output)
        assert result.stderr == (f"Error: no configuration found: no --config, CCSWITCH_CONFIG not set, no "
                                 f"{checkout.parent}/etc/ccswitch/ccswitch.yaml, no {elsewhere}/config/ccswitch.yaml"
                                 "\n"), command


def test_the_current_folders_config_is_found_and_named(checkout: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(checkout)
    result = CliRunner().invoke(main, ["history", "79161234567"],
                                env={"CCSWITCH_HISTORY_URL": f"sqlite:///{checkout / 'h.sqlite'}"})

    assert result.exit_code == 0, result.output
    assert result.stderr == f"ccswitch: using {checkout}/config/ccswitch.yaml (from the current folder)\n"
    assert result.stdout == "no contacts from 79161234567\n"


def test_the_system_file_wins_over_the_current_folder(checkout: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    system = checkout.parent / "etc" / "ccswitch" / "ccswitch.yaml"
    system.parent.mkdir(parents=True)
    system.write_text("{not yaml")
    monkeypatch.chdir(checkout)
    result = CliRunner().invoke(main, ["check"])

    assert result.exit_code == 1
    assert f"ccswitch: using {system} (from the system location)" in result.stderr
    assert "YAML syntax error" in result.stderr


def test_the_environment_wins_over_both_and_the_option_over_it(checkout: Path,
                                                               monkeypatch: pytest.MonkeyPatch) -> None:
    other = checkout.parent / "other.yaml"
    monkeypatch.chdir(checkout)
    by_env = CliRunner().invoke(main, ["check"], env={"CCSWITCH_CONFIG": str(other)})
    assert by_env.exit_code == 1
    assert f"ccswitch: using {other} (from $CCSWITCH_CONFIG)" in by_env.stderr
    assert "cannot read file" in by_env.stderr  # named, so not passed over for the current folder's

    named = CliRunner().invoke(main, ["check", "--config", "config/ccswitch.yaml"],
                               env={"CCSWITCH_CONFIG": str(other)})
    assert "cannot read file" not in named.stderr and "ccswitch: using" not in named.stderr  # named by the user


def test_a_command_given_the_controllers_url_needs_no_config(checkout: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(checkout.parent)
    result = CliRunner().invoke(main, ["agent", "list", "--url", "http://127.0.0.1:9"])

    assert result.exit_code == 1
    assert "cannot reach the controller at http://127.0.0.1:9" in result.stderr
    assert "configuration" not in result.stderr
