"""The validated configuration: frozen objects the engine reads. Built only by ``ccswitch.config.loader``."""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from types import MappingProxyType
from typing import Literal
from zoneinfo import ZoneInfo

from ccswitch.errors import UnknownNameError
from ccswitch.media.monitor import Supervisor
from ccswitch.media.recording import DEFAULT_TEMPLATE, RecordingMode, RecordingPolicy
from ccswitch.routing.steps import Step

StoreBackend = Literal["memory", "redis"]
LoginState = Literal["available", "logged_out"]


@dataclass(frozen=True, slots=True)
class EslNode:
    name: str
    host: str
    port: int
    password: str


@dataclass(frozen=True, slots=True)
class StoreConfig:
    backend: StoreBackend
    url: str
    key_prefix: str


@dataclass(frozen=True, slots=True)
class HttpConfig:
    host: str
    port: int


@dataclass(frozen=True, slots=True)
class Paths:
    """Absolute local paths, resolved against the directory of ``ccswitch.yaml``."""

    dialplans: Path
    ivr: Path
    queues: Path
    agents: Path
    sounds: Path
    supervisors: Path


@dataclass(frozen=True, slots=True)
class MediaConfig:
    switch_sounds_dir: str
    music: str


@dataclass(frozen=True, slots=True)
class RecordingsConfig:
    """Where recordings go: ``dir`` is the local directory (checked at start-up), ``switch_dir`` the same
    directory as FreeSWITCH sees it; files are ``path_template`` under it."""

    dir: Path
    switch_dir: str
    path_template: str = DEFAULT_TEMPLATE


@dataclass(frozen=True, slots=True)
class HourRange:
    """Minutes since local midnight, ``start`` included, ``end`` excluded (1440 = 24:00)."""

    start: int
    end: int


@dataclass(frozen=True, slots=True)
class DialplanRule:
    """Every condition that is set must hold; an unset condition matches anything.

    ``dates`` holds ``YYYY-MM-DD`` (one day) and ``MM-DD`` (that day every year) strings.
    """

    name: str
    then: Step
    dids: frozenset[str] = frozenset()
    did_pattern: re.Pattern[str] | None = None
    caller_pattern: re.Pattern[str] | None = None
    days: frozenset[int] = frozenset()  # date.weekday(): 0 = Monday
    hours: tuple[HourRange, ...] = ()
    dates: frozenset[str] = frozenset()


@dataclass(frozen=True, slots=True)
class Dialplan:
    name: str
    rules: tuple[DialplanRule, ...]
    default: Step
    timezone: ZoneInfo


@dataclass(frozen=True, slots=True)
class Repeat:
    """IVR option: play the menu again without counting an attempt."""


@dataclass(frozen=True, slots=True)
class Say:
    """IVR option: play an information prompt, then come back to the same menu."""

    prompt: str


IvrChoice = Repeat | Say | Step


@dataclass(frozen=True, slots=True)
class IvrMenu:
    name: str
    prompt: str
    invalid_prompt: str
    timeout_prompt: str | None
    timeout_s: int
    max_attempts: int
    digits: int
    options: Mapping[str, IvrChoice]
    on_failure: Step

    @property
    def terminator(self) -> str:
        """The key that ends input early: '#', or '*' when '#' is an option (a terminator is no choice)."""
        return "*" if "#" in self.options else "#"


@dataclass(frozen=True, slots=True)
class QueueConfig:
    name: str
    strategy: str
    music: str
    max_wait_s: int
    overflow: Step
    wrap_up_s: int
    ring_timeout_s: int
    max_no_answer: int
    max_length: int | None
    service_level_s: int
    aging_s: int | None = None  # one priority point per aging_s seconds waited; None: strict priority
    tier_rules_apply: bool = False
    tier_wait_s: int = 0
    tier_wait_multiply_level: bool = False
    ring_progressively_delay_s: int = 10
    vip_numbers: frozenset[str] = frozenset()
    vip_priority: int = 10
    recording: RecordingPolicy = field(default_factory=RecordingPolicy)  # none unless the queue says
    when_no_agents: Step | None = None  # where waiting calls go when no member is logged in (None: they wait)
    no_agents_wait_s: int = 0  # ... once they have waited this long with nobody logged in
    rejoin_window_s: int = 0  # a caller who hung up and calls back within this resumes their place (0: off)
    short_abandon_s: int = 5  # abandoned before this: a short abandon (one service-level variant excludes them)


@dataclass(frozen=True, slots=True)
class Tier:
    """An agent's place in one queue: lower levels are offered calls first; position orders within a level."""

    queue: str
    level: int
    position: int


@dataclass(frozen=True, slots=True)
class AgentConfig:
    id: str
    name: str
    contact: str
    queues: tuple[str, ...]
    wrap_up_s: int | None
    login: LoginState
    tiers: tuple[Tier, ...] = ()  # one per queue, in the order of ``queues``
    skills: Mapping[str, int] = field(default_factory=lambda: MappingProxyType({}))
    reject_delay_s: int = 0
    busy_delay_s: int = 0
    no_answer_delay_s: int = 0


@dataclass(frozen=True, slots=True)
class Config:
    config_file: Path
    nodes: tuple[EslNode, ...]
    store: StoreConfig
    http: HttpConfig
    history_url: str  # sqlite:///<absolute file> or postgresql://…
    timezone: ZoneInfo
    service_level_s: int
    paths: Paths
    media: MediaConfig
    dialplan: Dialplan
    menus: Mapping[str, IvrMenu]
    queues: Mapping[str, QueueConfig]
    agents: Mapping[str, AgentConfig]
    prompts: frozenset[str]  # every sounds/**/*.wav, as names without the extension
    recordings: RecordingsConfig
    pause_reasons: tuple[str, ...] = ("break", "lunch", "training", "meeting")  # breaks agents may ask for
    supervisors: Mapping[str, Supervisor] = field(default_factory=lambda: MappingProxyType({}))

    @property
    def music(self) -> str:
        return self.media.music

    def members(self, queue: str) -> tuple[str, ...]:
        """Agent ids serving ``queue``, in the order of the agents file."""
        if queue not in self.queues:
            raise UnknownNameError(f"unknown queue {queue!r}")
        return tuple(agent.id for agent in self.agents.values() if queue in agent.queues)

    def prompt_path(self, name: str) -> str:
        """The file FreeSWITCH plays for ``name``: ``ivr/x`` → ``<switch_sounds_dir>/ivr/x.wav``."""
        if name not in self.prompts:
            raise UnknownNameError(f"unknown prompt {name!r}")
        return f"{self.media.switch_sounds_dir}/{name}.wav"

    @property
    def records_calls(self) -> bool:
        """Whether any queue records (then the recordings directory must be there and writable)."""
        return any(queue.recording.mode is not RecordingMode.NONE for queue in self.queues.values())
