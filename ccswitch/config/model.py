"""The validated configuration: frozen objects the engine reads. Built only by ``ccswitch.config.loader``."""

from __future__ import annotations

import re
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from datetime import datetime
from decimal import Decimal
from pathlib import Path
from types import MappingProxyType
from typing import Literal
from zoneinfo import ZoneInfo

from ccswitch.acd.capacity import VOICE_ONLY, AgentCapacity
from ccswitch.acd.waiting import Announcements, CallbackPolicy, ExitKey
from ccswitch.admission import (
    DEFAULT_MAX_SESSIONS,
    DEFAULT_PACING_HEADROOM,
    DEFAULT_RTP_END_PORT,
    DEFAULT_RTP_START_PORT,
    DEFAULT_SESSIONS_PER_SECOND,
    Capacity,
    Reserve,
    media_ports,
)
from ccswitch.chat.defaults import Answer
from ccswitch.chat.text import Keyword, Language, WordIndex
from ccswitch.errors import UnknownNameError
from ccswitch.media.monitor import Supervisor
from ccswitch.media.recording import DEFAULT_TEMPLATE, RecordingMode, RecordingPolicy
from ccswitch.routing.steps import Step, ToHangup, ToVoicemail

StoreBackend = Literal["memory", "redis"]
LoginState = Literal["available", "logged_out"]
DialMode = Literal["preview", "progressive", "predictive", "blast"]


@dataclass(frozen=True, slots=True)
class EslNode:
    name: str
    host: str
    port: int
    password: str
    # The switch's own limits; None: read from the node at connect (``api status``), FreeSWITCH's default until then.
    max_sessions: int | None = None
    sessions_per_second: int | None = None
    rtp_start_port: int = DEFAULT_RTP_START_PORT  # switch.conf.xml rtp-start-port / rtp-end-port: no command reads
    rtp_end_port: int = DEFAULT_RTP_END_PORT  # them back, so they are configured here to match

    def capacity(self, max_sessions: int | None = None, sessions_per_second: int | None = None) -> Capacity:
        """The node's capacity: configured values first, then what the switch reported, then FreeSWITCH's
        defaults."""
        return Capacity(self.max_sessions or max_sessions or DEFAULT_MAX_SESSIONS,
                        self.sessions_per_second or sessions_per_second or DEFAULT_SESSIONS_PER_SECOND,
                        media_ports(self.rtp_start_port, self.rtp_end_port))


@dataclass(frozen=True, slots=True)
class OverloadConfig:
    """Admission (``ccswitch.admission``): the reserve kept under each node limit, where callers beyond it go, and
    the headroom the channels the controller creates leave for callers."""

    reserve: Reserve = field(default_factory=Reserve)
    then: Step = field(default_factory=lambda: ToHangup("NORMAL_CIRCUIT_CONGESTION"))
    pacing_headroom: float = DEFAULT_PACING_HEADROOM  # deviations of callers' arrivals pacing leaves them


@dataclass(frozen=True, slots=True)
class StoreConfig:
    backend: StoreBackend
    url: str
    key_prefix: str
    lease_s: int = 0  # > 0: controllers attached to the same nodes share them by leases (ccswitch.store.leases)


@dataclass(frozen=True, slots=True)
class SsoConfig:
    """Single sign-on with an OpenID Connect provider (``ccswitch.auth.oidc``); the client secret, if the provider
    gave one, comes from ``CCSWITCH_SSO_CLIENT_SECRET``, never a file."""

    issuer: str  # discovery at <issuer>/.well-known/openid-configuration
    client_id: str
    redirect_uri: str  # this controller's <base URL>/api/sso/callback, as registered with the provider
    user_claim: str = "preferred_username"  # the ID token's claim that names the user in users.yaml
    label: str | None = None  # the pages' button says "Sign in with <label>"; none: "with single sign-on"


@dataclass(frozen=True, slots=True)
class HttpConfig:
    host: str
    port: int
    sso: SsoConfig | None = None


@dataclass(frozen=True, slots=True)
class Paths:
    """Absolute local paths, resolved against the directory of ``ccswitch.yaml``."""

    dialplans: Path
    ivr: Path
    queues: Path
    agents: Path
    sounds: Path
    supervisors: Path
    campaigns: Path
    do_not_call: Path | None  # numbers no campaign may dial; None: no global list
    users: Path  # who may use the HTTP API (ccswitch.auth.users); no file or no users: the API is open, on loopback
    chatbots: Path  # the chatbots in front of chat queues (ccswitch.chat); no file means none


@dataclass(frozen=True, slots=True)
class MediaConfig:
    switch_sounds_dir: str
    music: str
    say_language: str = "en"  # the language of the spoken numbers (ccswitch.media.numbers.LANGUAGES)


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


def within(local: datetime, days: frozenset[int], hours: tuple[HourRange, ...]) -> bool:
    """``local`` falls on one of ``days`` (none: any day) inside one of ``hours`` (none: any time)."""
    minute = local.hour * 60 + local.minute
    return (not days or local.weekday() in days) and (not hours or any(r.start <= minute < r.end for r in hours))


@dataclass(frozen=True, slots=True)
class DialplanRule:
    """Every condition that is set must hold; an unset condition matches anything.

    ``dates`` holds ``YYYY-MM-DD`` (one day) and ``MM-DD`` (that day every year) strings.
    """

    name: str
    then: Step
    recording: RecordingPolicy | None = None  # overrides the queue's policy for the calls this rule routes
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
    announcements: Announcements | None = None  # periodic, while the caller waits
    exit_key: ExitKey | None = None  # a key that takes the caller out of the queue to a step
    callback: CallbackPolicy | None = None  # a key that turns the wait into a callback
    agent_announce: str | None = None  # prompt the answering agent hears before the caller is put through
    default_aht_s: int = 180  # handle time assumed for the expected wait until the queue has handled a call
    unanswered_wait_s: int = 0  # a caller who comes here unanswered waits ringing (no media) up to this (0: off)
    dispositions: tuple[str, ...] = ()  # what an agent may set after a call of this queue (the contact history)
    quick_replies: tuple[str, ...] = ()  # ready answers the desk offers in this queue's chats
    capacity: AgentCapacity | None = None  # the default of the agents who serve it first (ccswitch.config._capacity)


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
    capacity: AgentCapacity = VOICE_ONLY  # how many contacts of which channels at once (ccswitch.acd.capacity)


@dataclass(frozen=True, slots=True)
class RetryDelays:
    """Seconds before a lead is dialled again after each outcome; ``None``: that outcome ends the lead."""

    no_answer: int | None
    busy: int | None
    machine: int | None
    failed: int | None


@dataclass(frozen=True, slots=True)
class Disposition:
    """What an agent may set after a campaign call: final unless ``retry_after_s``; ``do_not_call`` ends the lead
    and marks its number not to be dialled again by this campaign."""

    name: str
    retry_after_s: int | None = None
    do_not_call: bool = False


@dataclass(frozen=True, slots=True)
class Blast:
    """What a person who answers a blast call gets: a message, then an IVR menu (at least one of them)."""

    prompt: str | None
    ivr: str | None


@dataclass(frozen=True, slots=True)
class CampaignConfig:
    """An outbound campaign (``campaigns.yaml``). Calls go out through ``gateway`` presenting ``caller_id_*``;
    agents of ``queue`` take the answered ones. Leads are dialled on ``days`` within ``hours`` of their own time
    zone (``timezone`` when the lead has none). ``do_not_call`` holds the global and the campaign's lists, as
    numbers without a leading '+'."""

    name: str
    caller_id_number: str
    caller_id_name: str
    gateway: str
    queue: str
    mode: DialMode
    timezone: ZoneInfo
    days: frozenset[int]  # date.weekday(): 0 = Monday; empty: every day
    hours: tuple[HourRange, ...]
    max_attempts: int
    retry: RetryDelays
    abandon_limit: float  # share of person-answered calls that may be abandoned in abandon_window_s
    abandon_window_s: int
    min_ring_s: int  # an unanswered line rings at least this long
    ring_timeout_s: int  # ... and at most this long (predictive may hang it up in between: no agent expected)
    max_lines_per_agent: int
    abandon_message: str | None  # prompt for a person answered with no agent free (None for blast, preview)
    dispositions: Mapping[str, Disposition]
    machine_message: str | None = None  # prompt left on an answering machine; None: hang up
    blast: Blast | None = None
    leads: Path | None = None  # a CSV of leads to import
    do_not_call: frozenset[str] = frozenset()
    recording: RecordingPolicy | None = None  # over the queue's, for the persons this campaign reaches
    preview_dial_after_s: int | None = None  # preview: a lead shown this long is dialled (None: the agent dials)
    keep_agents: bool = False  # predictive, progressive: free agents are kept from other contacts for the people
    # its lines may bring


@dataclass(frozen=True, slots=True)
class BotCalendar:
    """A chatbot's opening hours: those of a dialplan rule. The bot is open when that dialplan routes a contact
    for ``did`` (the rule's number) by that rule, so the rules above it (holidays) close it too."""

    dialplan: Dialplan
    rule: DialplanRule
    did: str


@dataclass(frozen=True, slots=True)
class CatalogueItem:
    sku: str
    names: Mapping[Language, str]
    price: Decimal | None  # None: not priced (the bot says to ask a person)
    stock: int | None  # None: not known
    promotions: Mapping[Language, str]  # the item's current offer, per language; empty: none


@dataclass(frozen=True, slots=True)
class Catalogue:
    file: Path
    items: tuple[CatalogueItem, ...]
    index: WordIndex  # the items' names and keywords → item positions


@dataclass(frozen=True, slots=True)
class BotIntent:
    name: str
    answer: Answer
    keywords: tuple[Keyword, ...]
    patterns: tuple[re.Pattern[str], ...]
    reply: Mapping[Language, str] = field(default_factory=lambda: MappingProxyType({}))  # answer "reply" only


@dataclass(frozen=True, slots=True)
class ChatBot:
    """A chatbot in front of a chat queue (``chatbots.yaml``), run by ``ccswitch.chat.bot``."""

    name: str
    queue: str  # where it hands the customer over to a person
    language: Language  # of the greeting, until the customer writes
    intents: tuple[BotIntent, ...]  # in the order they win a tie
    intent_index: WordIndex  # the intents' keywords → intent positions
    texts: Mapping[str, Mapping[Language, str]]  # every key of ccswitch.chat.defaults.TEXT_FIELDS
    max_misses_in_row: int  # messages not understood in a row before a person takes over
    currency: str = ""
    calendar: BotCalendar | None = None
    catalogue: Catalogue | None = None


@dataclass(frozen=True, slots=True)
class ChatTopic:
    """A topic of the web chat's pre-chat form: the customer is greeted by ``bot`` (then handed to its queue), or
    queued straight in ``queue``."""

    name: str
    label: str
    bot: str | None = None
    queue: str | None = None


@dataclass(frozen=True, slots=True)
class ChatSettings:
    """``chat:`` in ccswitch.yaml: the web chat and how agents hold text contacts."""

    topics: tuple[ChatTopic, ...] = ()
    attachments: Path | None = None  # folder of the files customers and agents send (None: no attachments)
    max_attachment_bytes: int = 10 * 2**20
    offer_timeout_s: float = 30.0  # an offer not accepted by then goes back to its place (a no-answer miss)
    requeue_unanswered_s: float = 120.0  # a customer's message unanswered this long, the agent away: requeued
    service_level_s: int = 60  # chat's own service-level threshold
    site_origins: tuple[str, ...] = ()  # web sites allowed to embed the widget (CORS)


@dataclass(frozen=True, slots=True)
class TrunkMessages:
    """Where a SIP MESSAGE to a caller from the trunk goes: ``<profile>/<number>@<host>``, the carrier's SIP host
    that bridges MESSAGE to SMS (sofia sends straight to ``sip:<number>@<host>``; no gateway is involved)."""

    profile: str
    host: str


@dataclass(frozen=True, slots=True)
class DocumentSettings:
    """``documents:`` in ccswitch.yaml: agents send the caller a link to a picture or PDF by SIP MESSAGE (``api
    chat``). Off unless ``from``, ``public_url`` and ``folder`` are set; each kind of caller is reached only if
    its way is configured (``phones``: the sofia profile of registered phones; ``trunk``)."""

    sender: str = ""  # the MESSAGE's From, user@host (the service number)
    public_url: str = ""  # where callers reach this controller's /files/<token>, e.g. https://cc.example.com
    folder: Path | None = None  # the agents' uploads, one folder per call
    link_ttl_s: int = 24 * 3600
    max_bytes: int = 10 * 2**20
    phones: str | None = None  # sofia profile of callers from registered phones, e.g. internal
    trunk: TrunkMessages | None = None
    library: Mapping[str, Path] = field(default_factory=lambda: MappingProxyType({}))  # name -> file to pick

    @property
    def enabled(self) -> bool:
        return bool(self.sender and self.public_url and self.folder)


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
    campaigns: Mapping[str, CampaignConfig] = field(default_factory=lambda: MappingProxyType({}))
    overload: OverloadConfig = field(default_factory=OverloadConfig)
    chatbots: Mapping[str, ChatBot] = field(default_factory=lambda: MappingProxyType({}))
    chat: ChatSettings = field(default_factory=ChatSettings)
    documents: DocumentSettings = field(default_factory=DocumentSettings)
    unset: frozenset[str] = frozenset()  # top-level keys ccswitch.yaml leaves out: their defaults apply

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
        """Whether any queue records or any step takes messages (then the recordings directory must be there and
        writable)."""
        return (any(queue.recording.mode is not RecordingMode.NONE for queue in self.queues.values())
                or any(policy is not None and policy.mode is not RecordingMode.NONE
                       for policy in (*(rule.recording for rule in self.dialplan.rules),
                                      *(campaign.recording for campaign in self.campaigns.values())))
                or any(isinstance(step, ToVoicemail) for step in self.steps()))

    def steps(self) -> Iterator[Step]:
        """Every step the configuration names: dialplan rules and defaults, IVR options, queue overflows."""
        yield self.dialplan.default
        yield self.overload.then
        yield from (rule.then for rule in self.dialplan.rules)
        for menu in self.menus.values():
            yield menu.on_failure
            yield from (choice for choice in menu.options.values() if not isinstance(choice, Repeat | Say))
        for queue in self.queues.values():
            yield queue.overflow
            yield from (step for step in (queue.when_no_agents, queue.exit_key and queue.exit_key.step) if step)
