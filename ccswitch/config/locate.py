"""Where the configuration is, found the way daemons find theirs: ``--config``, then ``$CCSWITCH_CONFIG``, then
``/etc/ccswitch/ccswitch.yaml``, then ``config/ccswitch.yaml`` in the current folder.

A file named explicitly (the option or the variable) is taken even when it is missing, so that a typo is reported
as that file's problem instead of silently passing over to another configuration.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

from ccswitch.errors import CcswitchError

ENV_VAR = "CCSWITCH_CONFIG"
SYSTEM_FILE = Path("/etc/ccswitch/ccswitch.yaml")
LOCAL_FILE = Path("config/ccswitch.yaml")


@dataclass(frozen=True, slots=True)
class ConfigLocation:
    path: Path  # absolute
    found_by: str  # "--config", "$CCSWITCH_CONFIG", "the system location" or "the current folder"


class ConfigNotFound(CcswitchError):
    error_id = "config_not_found"


def locate_config(option: Path | None, env: Mapping[str, str], cwd: Path,
                  system_file: Path | None = None) -> ConfigLocation:
    """The main configuration file to use (``system_file``: ``SYSTEM_FILE``); raises ``ConfigNotFound`` naming
    every place looked at."""
    system_file = system_file or SYSTEM_FILE
    if option is not None:
        return ConfigLocation(cwd / option, "--config")
    if env.get(ENV_VAR):
        return ConfigLocation(cwd / env[ENV_VAR], f"${ENV_VAR}")
    local_file = cwd / LOCAL_FILE
    for candidate, found_by in ((system_file, "the system location"), (local_file, "the current folder")):
        if candidate.is_file():
            return ConfigLocation(candidate, found_by)
    raise ConfigNotFound(f"no configuration found: no --config, {ENV_VAR} not set, no {system_file}, "
                         f"no {local_file}")
