"""Configuration: YAML files → validated, frozen objects. ``load_config`` for the engine and ``ccswitch check``
(which adds ``warnings.config_warnings`` and ``summary.summary``), ``check_config`` for the list of problems alone.
The data files campaigns name are checked outside the configuration, by ``ccswitch.campaign_files``."""

from ccswitch.config._reader import display_path
from ccswitch.config.loader import ConfigErrors, check_config, load_config, read_config
from ccswitch.config.model import (
    AgentConfig,
    Blast,
    CampaignConfig,
    Config,
    Dialplan,
    DialplanRule,
    Disposition,
    EslNode,
    HourRange,
    HttpConfig,
    IvrChoice,
    IvrMenu,
    MediaConfig,
    Paths,
    QueueConfig,
    Repeat,
    RetryDelays,
    Say,
    StoreConfig,
)

__all__ = [
    "AgentConfig",
    "Blast",
    "CampaignConfig",
    "Config",
    "ConfigErrors",
    "Dialplan",
    "DialplanRule",
    "Disposition",
    "EslNode",
    "HourRange",
    "HttpConfig",
    "IvrChoice",
    "IvrMenu",
    "MediaConfig",
    "Paths",
    "QueueConfig",
    "Repeat",
    "RetryDelays",
    "Say",
    "StoreConfig",
    "check_config",
    "display_path",
    "load_config",
    "read_config",
]
