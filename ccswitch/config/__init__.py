"""Configuration: YAML files → validated, frozen objects. ``load_config`` for the engine, ``check_config`` for
``ccswitch check``."""

from ccswitch.config.loader import ConfigErrors, check_config, load_config
from ccswitch.config.model import (
    AgentConfig,
    Config,
    Dialplan,
    DialplanRule,
    EslNode,
    HourRange,
    HttpConfig,
    IvrChoice,
    IvrMenu,
    MediaConfig,
    Paths,
    QueueConfig,
    Repeat,
    Say,
    StoreConfig,
)

__all__ = [
    "AgentConfig",
    "Config",
    "ConfigErrors",
    "Dialplan",
    "DialplanRule",
    "EslNode",
    "HourRange",
    "HttpConfig",
    "IvrChoice",
    "IvrMenu",
    "MediaConfig",
    "Paths",
    "QueueConfig",
    "Repeat",
    "Say",
    "StoreConfig",
    "check_config",
    "load_config",
]
