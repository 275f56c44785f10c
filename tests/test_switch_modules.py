"""The modules a configuration needs, and reading a switch's answers about them (no network)."""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path
from types import MappingProxyType

import pytest

from ccswitch.config import Config, load_config
from ccswitch.errors import UnsafeValueError
from ccswitch.esl import commands
from ccswitch.switch_modules import Requirement, describe, missing_requirements, module_loaded, required_modules

ROOT = Path(__file__).resolve().parents[1]


@pytest.fixture(scope="module")
def config() -> Config:
    return load_config(ROOT / "config" / "ccswitch.yaml", env={})


def test_the_shipped_configuration_needs_the_core_modules_amd_for_its_campaigns_and_what_its_queues_use(
    config: Config,
) -> None:
    needed = required_modules(config)
    modules = {requirement.module for requirement in needed}
    assert {"mod_commands", "mod_dptools", "mod_sofia", "mod_sndfile", "mod_amd", "mod_say_en",
            "mod_local_stream"} <= modules
    amd = [requirement.campaign for requirement in needed if requirement.module == "mod_amd"]
    assert amd == sorted(name for name, c in config.campaigns.items() if c.mode != "preview")


def test_preview_campaigns_run_no_detection_so_need_no_mod_amd(config: Config) -> None:
    previews = {name: replace(campaign, mode="preview") for name, campaign in config.campaigns.items()}
    assert "mod_amd" not in {r.module for r in required_modules(replace(config, campaigns=MappingProxyType(previews)))}


def test_module_exists_answers_plain_true_or_false() -> None:
    assert module_loaded("true") and not module_loaded("false") and not module_loaded("-ERR no reply\n")


def test_each_module_is_asked_once_and_the_missing_ones_keep_their_features() -> None:
    asked: list[str] = []

    def api(command: str) -> str:
        asked.append(command)
        return "false" if command == "module_exists mod_amd" else "true"

    needed = [Requirement("mod_dptools", "apps"), Requirement("mod_amd", "detection of a", "a"),
              Requirement("mod_amd", "detection of b", "b")]
    assert missing_requirements(api, needed) == needed[1:]
    assert asked == ["module_exists mod_dptools", "module_exists mod_amd"]
    (line,) = describe("fs1", needed[1:])
    assert "FreeSWITCH node fs1: module mod_amd is not loaded (needed for detection of a; detection of b)" in line


@pytest.mark.parametrize("name", ["amd", "mod_amd; load x", "mod_AMD", "mod_amd\nexit"])
def test_module_names_are_checked_before_they_reach_a_command(name: str) -> None:
    with pytest.raises(UnsafeValueError, match="module name"):
        commands.module_exists(name)
