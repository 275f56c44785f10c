"""Finding the configuration the way daemons do: --config, $CCSWITCH_CONFIG, /etc/ccswitch, ./config."""

from __future__ import annotations

from pathlib import Path

import pytest

from ccswitch.config.locate import ConfigLocation, ConfigNotFound, locate_config


@pytest.fixture
def places(tmp_path: Path) -> tuple[Path, Path, Path]:
    """(the current folder, its config/ccswitch.yaml, a system file), both files present."""
    cwd = tmp_path / "here"
    local = cwd / "config" / "ccswitch.yaml"
    system = tmp_path / "etc" / "ccswitch" / "ccswitch.yaml"
    for file in (local, system):
        file.parent.mkdir(parents=True)
        file.write_text("timezone: UTC\n")
    return cwd, local, system


def test_the_option_comes_first_even_over_the_environment(places: tuple[Path, Path, Path]) -> None:
    cwd, _, system = places
    found = locate_config(Path("mine.yaml"), {"CCSWITCH_CONFIG": "/elsewhere.yaml"}, cwd, system)

    assert found == ConfigLocation(cwd / "mine.yaml", "--config")  # named, so taken even though it is missing


def test_then_the_environment_relative_to_the_current_folder(places: tuple[Path, Path, Path]) -> None:
    cwd, _, system = places

    assert locate_config(None, {"CCSWITCH_CONFIG": "prod/cc.yaml"}, cwd, system) == ConfigLocation(
        cwd / "prod" / "cc.yaml", "$CCSWITCH_CONFIG")


def test_an_empty_variable_counts_as_unset(places: tuple[Path, Path, Path]) -> None:
    cwd, _, system = places

    assert locate_config(None, {"CCSWITCH_CONFIG": ""}, cwd, system).path == system


def test_then_the_system_file_before_the_current_folder(places: tuple[Path, Path, Path]) -> None:
    cwd, local, system = places

    assert locate_config(None, {}, cwd, system) == ConfigLocation(system, "the system location")
    system.unlink()
    assert locate_config(None, {}, cwd, system) == ConfigLocation(local, "the current folder")


def test_nothing_found_is_one_line_naming_every_place_looked_at(places: tuple[Path, Path, Path]) -> None:
    cwd, local, system = places
    local.unlink()
    system.unlink()

    with pytest.raises(ConfigNotFound) as raised:
        locate_config(None, {}, cwd, system)
    assert str(raised.value) == (f"no configuration found: no --config, CCSWITCH_CONFIG not set, no {system}, "
                                 f"no {local}")
