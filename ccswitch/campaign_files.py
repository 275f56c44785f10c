"""The configuration with the leads files its campaigns name: what ``ccswitch run``, the demo, a reload and
``ccswitch check`` load.

The configuration loader (``ccswitch.config``) records where a campaign's leads file is but never opens it: the
file is in the dialler's format (``ccswitch.dialer.leads``) and may hold millions of rows. Here, once the
configuration is read, each leads file is checked: that it is there and its header (first line) is right at every
load; every row too with ``lead_rows`` (``ccswitch check``; the controller imports the rows in the background,
``ccswitch.lead_import``). Problems read as the loader's do, ``file: key.path: problem``, after the loader's.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from pathlib import Path

from ccswitch.config import CampaignConfig, Config, ConfigErrors, display_path, read_config
from ccswitch.dialer.leads import check_leads_file, read_leads_header
from ccswitch.errors import ConfigError, DataFileError


def load_config(path: str | Path, env: Mapping[str, str] | None = None, *, lead_rows: bool = False) -> Config:
    """The configuration rooted at ``path`` (see ``ccswitch.config.load_config``), its campaigns' leads files
    checked; raises ``ConfigErrors`` listing all problems."""
    config, errors = _read(Path(path), env, lead_rows)
    if errors or config is None:
        raise ConfigErrors(errors)
    return config


def check_config(path: str | Path, env: Mapping[str, str] | None = None) -> list[ConfigError]:
    """Every problem in the configuration rooted at ``path`` and in every row of its campaigns' leads files (as
    ``ccswitch check``); empty when valid."""
    return _read(Path(path), env, lead_rows=True)[1]


def _read(path: Path, env: Mapping[str, str] | None, lead_rows: bool) -> tuple[Config | None, list[ConfigError]]:
    config, errors = read_config(path, os.environ if env is None else env)
    if config is not None:
        errors += lead_file_problems(config, lead_rows)
    return config, errors


def lead_file_problems(config: Config, rows: bool) -> list[ConfigError]:
    """Each campaign's leads file missing or with a wrong header; with ``rows``, every bad row of the others."""
    base = config.config_file.parent.parent
    errors: list[ConfigError] = []
    for campaign in config.campaigns.values():
        if campaign.leads is not None:
            errors += _problems(campaign, campaign.leads, rows, config.paths.campaigns, base)
    return errors


def _problems(campaign: CampaignConfig, leads: Path, rows: bool, campaigns_file: Path,
              base: Path) -> list[ConfigError]:
    if not leads.is_file():
        return [ConfigError(display_path(campaigns_file, base), f"{campaign.name}.leads",
                            f"file not found: {display_path(leads, base)}")]
    try:
        read_leads_header(leads)
        if rows:
            check_leads_file(campaign.name, leads)
    except DataFileError as exc:
        return [ConfigError(display_path(leads, base), f"line {line}" if line else "", problem)
                for line, problem in exc.problems]
    return []
