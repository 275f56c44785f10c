"""The configuration loader locates a campaign's leads file but never opens it; ``ccswitch.campaign_files`` checks
it as the controller and ``ccswitch check`` load (the messages: tests/config/test_campaigns_config.py)."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from ccswitch import campaign_files, config

ROOT = Path(__file__).resolve().parents[1]
MISSING = "config/campaigns.yaml: promo-nov.leads: file not found: config/campaigns/promo-nov.csv"


@pytest.fixture
def main_file(tmp_path: Path) -> Path:
    """A copy of the shipped configuration without its leads file."""
    for folder in ("config", "dialplans", "ivr", "sounds"):
        shutil.copytree(ROOT / folder, tmp_path / folder)
    (tmp_path / "config" / "campaigns" / "promo-nov.csv").unlink()
    return tmp_path / "config" / "ccswitch.yaml"


def test_the_configuration_loader_does_not_open_a_leads_file(main_file: Path) -> None:
    loaded = config.load_config(main_file, env={})

    assert loaded.campaigns["promo-nov"].leads == main_file.parent / "campaigns" / "promo-nov.csv"
    assert config.check_config(main_file, env={}) == []


def test_loading_with_the_campaign_files_refuses_a_missing_leads_file(main_file: Path) -> None:
    with pytest.raises(config.ConfigErrors) as caught:
        campaign_files.load_config(main_file, env={})

    assert [str(error) for error in caught.value.errors] == [MISSING]
    assert [str(error) for error in campaign_files.check_config(main_file, env={})] == [MISSING]


def test_the_leads_files_problems_follow_the_loaders(main_file: Path) -> None:
    queues = main_file.parent / "queues.yaml"
    queues.write_text(queues.read_text().replace("max_wait_s: 300", "max_wait_s: -1", 1))

    problems = [str(error) for error in campaign_files.check_config(main_file, env={})]

    assert problems[-1] == MISSING and len(problems) == 2 and problems[0].startswith("config/queues.yaml: ")
