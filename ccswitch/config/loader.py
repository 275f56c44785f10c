"""``load_config`` / ``check_config``: YAML files → one validated, frozen ``Config``.

Every file is read and every problem collected before anything is returned, so ``ccswitch check`` shows all
mistakes at once. Names that one file uses and another defines (queues, menus, prompt files) are gathered as
``Ref``s and checked last, when everything is known.
"""

from __future__ import annotations

import os
import re
from collections.abc import Iterator, Mapping
from dataclasses import replace
from pathlib import Path
from types import MappingProxyType
from typing import Any, cast, get_args
from zoneinfo import ZoneInfo

from ccswitch.acd.queues import STRATEGIES
from ccswitch.acd.waiting import AnnouncementPrompts, Announcements, CallbackPolicy, ExitKey
from ccswitch.admission import DEFAULT_RTP_END_PORT, DEFAULT_RTP_START_PORT, Reserve
from ccswitch.config import _fields as f
from ccswitch.config._reader import REQUIRED, Issues, Node
from ccswitch.config.model import (
    AgentConfig,
    Blast,
    CampaignConfig,
    Config,
    DialMode,
    Dialplan,
    DialplanRule,
    Disposition,
    EslNode,
    HttpConfig,
    IvrChoice,
    IvrMenu,
    LoginState,
    MediaConfig,
    OverloadConfig,
    Paths,
    QueueConfig,
    RecordingsConfig,
    RetryDelays,
    StoreBackend,
    StoreConfig,
    Tier,
)
from ccswitch.dialer.leads import check_leads_file, normalise_phone, read_do_not_call, read_leads_header
from ccswitch.dialer.pacing import DEFAULT_ABANDON_LIMIT, DEFAULT_RING_SECONDS, MIN_RING_SECONDS, OFCOM_WINDOW_SECONDS
from ccswitch.errors import ConfigError, DataFileError, UnsafeValueError
from ccswitch.esl import commands
from ccswitch.media import numbers
from ccswitch.media.monitor import ALL_QUEUES, Supervisor
from ccswitch.media.recording import DEFAULT_TEMPLATE, RecordingMode, RecordingPolicy, check_template
from ccswitch.routing.steps import ToHangup, ToIvr, ToQueue, ToVoicemail
from ccswitch.store.sentinel_url import is_sentinel_url, parse_sentinel_url

ENV_FILE = "environment"
DEFAULT_STRATEGY = "longest-idle-agent"
DEFAULT_PAUSE_REASONS = ("break", "lunch", "training", "meeting")
_DEFAULT_NODE = {"name": "fs1", "host": "127.0.0.1", "port": 8021, "password": "ClueCon"}
_DIGITS = re.compile(r"[0-9*#]+")
_RETRY_DEFAULTS = {"no_answer": 2 * 3600, "busy": 15 * 60, "machine": 4 * 3600, "failed": 30 * 60}
_NEVER = "never"
MAIN_KEYS = ("freeswitch", "store", "http", "history", "timezone", "service_level_s", "dialplan", "paths", "media",
             "pause_reasons", "recordings", "overload")


class ConfigErrors(ConfigError):
    """Everything wrong with a configuration: fields of the first problem; ``str()`` lists all, one a line."""

    def __init__(self, errors: list[ConfigError]) -> None:
        first = errors[0]
        super().__init__(first.file, first.key_path, first.problem)
        self.errors = tuple(errors)
        self.args = ("\n".join(str(error) for error in errors),)


def check_config(path: str | Path, env: Mapping[str, str] | None = None) -> list[ConfigError]:
    """Every problem in the configuration rooted at ``path`` (``config/ccswitch.yaml``), every row of the
    campaigns' leads files included (as ``ccswitch check``); empty when valid."""
    return _load(Path(path), os.environ if env is None else env, lead_rows=True)[1]


def load_config(path: str | Path, env: Mapping[str, str] | None = None, *, lead_rows: bool = False) -> Config:
    """The configuration rooted at ``path``; raises ``ConfigErrors`` (a ``ConfigError``) listing all problems.

    ``env`` defaults to ``os.environ``: CCSWITCH_ESL_HOST / _PORT / _PASSWORD override the first FreeSWITCH
    node, CCSWITCH_REDIS_URL selects the redis store at that URL, CCSWITCH_DIALPLAN picks the active dialplan,
    CCSWITCH_HISTORY_URL sets the contact-history database, CCSWITCH_HTTP_HOST the HTTP listener's address.

    Of a campaign's leads file only the header is read (it may hold millions of rows: the controller imports it
    in the background, ``ccswitch.lead_import``); ``lead_rows`` checks every row too (``ccswitch check``).
    """
    config, errors = _load(Path(path), os.environ if env is None else env, lead_rows)
    if errors or config is None:
        raise ConfigErrors(errors)
    return config


def _load(config_file: Path, env: Mapping[str, str], lead_rows: bool) -> tuple[Config | None, list[ConfigError]]:
    issues = Issues(config_file.resolve().parent.parent)
    main = issues.read_yaml(config_file)
    if main is None:
        return None, issues.errors
    main.known(MAIN_KEYS)
    nodes = _nodes(main.section("freeswitch"), env)
    store = _store(main.section("store"), env)
    http = _http(main.section("http"), env)
    history_url = _history_url(main.section("history"), env, config_file.resolve().parent)
    refs: list[f.Ref] = []
    paths_section = main.section("paths")
    paths = _paths(paths_section, config_file.resolve().parent)
    service_level_s = main.integer("service_level_s", 20, 1, 3600)
    media = _media(main.section("media"), paths.sounds)
    recordings = _recordings(main.section("recordings"), config_file.resolve().parent)
    timezone = _timezone(main)
    pause_reasons = _pause_reasons(main)
    queues = _queues(issues, paths.queues, media.music, service_level_s, refs)
    agents = _agents(issues, paths.agents, refs)
    supervisors = _supervisors(issues, paths.supervisors, refs)
    menus = _menus(issues, paths.ivr, refs)
    dialplans = _dialplans(issues, paths.dialplans, timezone, refs)
    dialplan = _active_dialplan(main, env, dialplans)
    do_not_call = _numbers(paths_section, "do_not_call", paths.do_not_call) if paths.do_not_call else frozenset()
    campaigns = _campaigns(issues, paths.campaigns, timezone, do_not_call, refs)
    if lead_rows:
        _check_lead_rows(issues, campaigns)
    overload = _overload(main.section("overload"), refs)
    refs += _number_refs(main.section("media"), media.say_language, queues)
    prompts = _prompt_files(paths.sounds)
    _check_refs(issues, refs, queues, menus, prompts, issues.display(paths.sounds))
    config = Config(
        config_file=config_file.resolve(),
        nodes=nodes,
        store=store,
        http=http,
        history_url=history_url,
        timezone=timezone,
        service_level_s=service_level_s,
        paths=paths,
        media=media,
        dialplan=dialplan,
        menus=MappingProxyType(menus),
        queues=MappingProxyType(queues),
        agents=MappingProxyType(agents),
        prompts=prompts,
        recordings=recordings,
        pause_reasons=pause_reasons,
        supervisors=MappingProxyType(supervisors),
        campaigns=MappingProxyType(campaigns),
        overload=overload,
        unset=frozenset(key for key in MAIN_KEYS if key not in main.data),
    )
    return config, issues.errors


def _nodes(section: Node, env: Mapping[str, str]) -> tuple[EslNode, ...]:
    section.known(("nodes",))
    raw_nodes = section.raw("nodes")
    if raw_nodes is None:
        raw_nodes = [_DEFAULT_NODE]
    if not isinstance(raw_nodes, list) or not raw_nodes:
        section.error("nodes", "expected a non-empty list of {name, host, port, password}")
        raw_nodes = [_DEFAULT_NODE]
    nodes: list[EslNode] = []
    for index, raw in enumerate(raw_nodes):
        node = Node(section.issues, section.file, section.at("nodes"), {}).child(index, raw)
        if node is None:
            continue
        node.known(("name", "host", "port", "password", "max_sessions", "sessions_per_second", "rtp_start_port",
                    "rtp_end_port"))
        esl_node = EslNode(
            name=node.text("name", f"fs{index + 1}", token=f.NAME),
            host=node.text("host", "127.0.0.1", token=f.HOST),
            port=node.integer("port", 8021, 1, 65535),
            password=node.text("password", "ClueCon", token=f.SECRET),
            max_sessions=node.optional_integer("max_sessions", 1, 1_000_000),
            sessions_per_second=node.optional_integer("sessions_per_second", 2, 100_000),
            rtp_start_port=node.integer("rtp_start_port", DEFAULT_RTP_START_PORT, 1024, 65535),
            rtp_end_port=node.integer("rtp_end_port", DEFAULT_RTP_END_PORT, 1024, 65535),
        )
        if esl_node.rtp_end_port <= esl_node.rtp_start_port:
            node.error("rtp_end_port", "must be above rtp_start_port")
        nodes.append(esl_node)
    _unique(section, "nodes", [n.name for n in nodes])
    if nodes:
        nodes[0] = _esl_env(section.issues, nodes[0], env)
    return tuple(nodes)


def _esl_env(issues: Issues, node: EslNode, env: Mapping[str, str]) -> EslNode:
    """Environment overrides for the first node (how containers pass the switch's address and password)."""
    set_vars = {key: value for key, value in env.items() if key.startswith("CCSWITCH_ESL_") and value}
    env_node = Node(issues, ENV_FILE, "", set_vars)
    port = node.port
    port_text = set_vars.get("CCSWITCH_ESL_PORT")
    if port_text is not None:
        if port_text.isdigit() and 1 <= int(port_text) <= 65535:
            port = int(port_text)
        else:
            env_node.error("CCSWITCH_ESL_PORT", f"expected a port number 1..65535, got {port_text!r}")
    return replace(
        node,
        host=env_node.text("CCSWITCH_ESL_HOST", node.host, token=f.HOST),
        port=port,
        password=env_node.text("CCSWITCH_ESL_PASSWORD", node.password, token=f.SECRET),
    )


def _store(section: Node, env: Mapping[str, str]) -> StoreConfig:
    section.known(("backend", "url", "key_prefix", "lease_s"))
    backend = cast(StoreBackend, section.choice("backend", "memory", get_args(StoreBackend)))
    url = section.text("url", "redis://127.0.0.1:6379/0")
    env_url = env.get("CCSWITCH_REDIS_URL")
    if env_url:
        backend, url = "redis", env_url
    where = Node(section.issues, ENV_FILE, "", {}) if env_url else section
    if is_sentinel_url(url):
        try:
            parse_sentinel_url(url)
        except ValueError as exc:  # says which part is wrong, never the URL (a password)
            where.error("CCSWITCH_REDIS_URL" if env_url else "url", f"a redis+sentinel:// URL: {exc}")
    elif not re.match(r"(redis|rediss|unix)://", url):
        problem = f"{url!r} is not a redis://, rediss://, unix:// or redis+sentinel:// URL"
        where.error("CCSWITCH_REDIS_URL" if env_url else "url", problem)
    prefix = section.text("key_prefix", "ccswitch:")
    if not re.fullmatch(r"[A-Za-z0-9_:.-]+", prefix):
        section.error("key_prefix", f"unsafe value {prefix!r} (allowed: letters, digits and _ : . -)")
    lease_s = section.integer("lease_s", 0, 0, 60)
    if lease_s and backend != "redis":
        section.error("lease_s", "leases are kept in Redis: set backend: redis (or CCSWITCH_REDIS_URL)")
    return StoreConfig(backend, url, prefix, lease_s)


def _history_url(section: Node, env: Mapping[str, str], config_dir: Path) -> str:
    """``sqlite:///<path>`` (a relative path is relative to the config directory) or ``postgresql://…``."""
    section.known(("url",))
    env_url = env.get("CCSWITCH_HISTORY_URL")
    url = env_url or section.text("url", "sqlite:///data/history.sqlite")
    if url.startswith("sqlite:///"):
        return f"sqlite:///{(config_dir / url.removeprefix('sqlite:///')).resolve()}"
    if not re.match(r"postgres(ql)?://", url):
        where = Node(section.issues, ENV_FILE, "", {}) if env_url else section
        where.error("CCSWITCH_HISTORY_URL" if env_url else "url",
                    f"{url!r} is not a sqlite:///<file> or postgresql:// URL")
    return url


def _http(section: Node, env: Mapping[str, str]) -> HttpConfig:
    """``CCSWITCH_HTTP_HOST`` overrides the address: a container listens on all of its interfaces, a host on
    loopback, with one configuration file."""
    section.known(("host", "port"))
    host = section.text("host", "127.0.0.1", token=f.HOST)
    if env.get("CCSWITCH_HTTP_HOST"):
        env_node = Node(section.issues, ENV_FILE, "", {"CCSWITCH_HTTP_HOST": env["CCSWITCH_HTTP_HOST"]})
        host = env_node.text("CCSWITCH_HTTP_HOST", host, token=f.HOST)
    return HttpConfig(host, section.integer("port", 8080, 0, 65535))


def _overload(section: Node, refs: list[f.Ref]) -> OverloadConfig:
    """Admission: the reserve kept under each node limit, and the step callers beyond it take. A step that keeps
    the caller on this node (a queue, an IVR menu, voicemail) would hold what admission protects."""
    section.known(("reserve", "then"))
    reserve = section.section("reserve")
    reserve.known(("sessions", "sessions_per_second", "media_ports"))
    default = OverloadConfig()
    then = f.step_at(section, "then", refs, default.then)
    if isinstance(then, ToQueue | ToIvr | ToVoicemail):
        section.error("then", "expected an announce, hangup, callback or transfer step (a queue, menu or voicemail "
                      "would keep the caller on the busy node)")
        then = default.then
    return OverloadConfig(
        Reserve(reserve.integer("sessions", default.reserve.sessions, 0, 100_000),
                reserve.integer("sessions_per_second", default.reserve.sessions_per_second, 0, 10_000),
                reserve.integer("media_ports", default.reserve.media_ports, 0, 100_000)),
        then,
    )


def _timezone(main: Node) -> ZoneInfo:
    return f.zone(main, "timezone", ZoneInfo("UTC"))


def _pause_reasons(main: Node) -> tuple[str, ...]:
    if "pause_reasons" not in main.data:
        return DEFAULT_PAUSE_REASONS
    reasons = tuple(str(reason) for reason in main.items("pause_reasons"))
    for reason in reasons:
        problem = f.NAME.check(reason)
        if problem:
            main.error("pause_reasons", problem)
    _unique(main, "pause_reasons", list(reasons))
    return reasons


def _paths(section: Node, root: Path) -> Paths:
    section.known(("dialplans", "ivr", "queues", "agents", "sounds", "supervisors", "campaigns", "do_not_call",
                   "users"))

    def path(key: str, default: str) -> Path:
        return (root / section.text(key, default)).resolve()

    do_not_call = section.optional_text("do_not_call")

    return Paths(
        dialplans=path("dialplans", "../dialplans"),
        ivr=path("ivr", "../ivr"),
        queues=path("queues", "queues.yaml"),
        agents=path("agents", "agents.yaml"),
        sounds=path("sounds", "../sounds"),
        supervisors=path("supervisors", "supervisors.yaml"),
        campaigns=path("campaigns", "campaigns.yaml"),
        do_not_call=(root / do_not_call).resolve() if do_not_call else None,
        users=path("users", "users.yaml"),
    )


def _media(section: Node, sounds: Path) -> MediaConfig:
    section.known(("switch_sounds_dir", "music", "say_language"))
    switch_dir = _switch_dir(section, "switch_sounds_dir", sounds, "switch_sounds_dir", "media.switch_sounds_dir")
    language = section.text("say_language", "en")
    if language not in numbers.LANGUAGES:
        section.error("say_language", f"expected one of {', '.join(numbers.LANGUAGES)} (the spoken numbers under "
                                      f"sounds/numbers/), got {language!r}")
    return MediaConfig(switch_dir, section.text("music", "local_stream://moh", token=f.MEDIA), language)


def _number_refs(section: Node, language: str, queues: Mapping[str, QueueConfig]) -> list[f.Ref]:
    """When a queue announces a position or a wait, every file a spoken number may need must be there."""
    if language not in numbers.LANGUAGES or not any(
        queue.announcements and (queue.announcements.position or queue.announcements.wait_time)
        for queue in queues.values()
    ):
        return []
    return [f.Ref("prompt", name, section.file, section.at("say_language")) for name in sorted(
        numbers.vocabulary(language))]


def _switch_dir(section: Node, key: str, local: Path, local_key: str, hint: str) -> str:
    """Where FreeSWITCH sees a local folder: ``key`` if set, else the folder's local absolute path. Either must be
    safe inside a command; a local path that is not is reported at ``local_key`` with a ``hint`` to set ``key``."""
    switch_dir = section.optional_text(key)
    if switch_dir is None:
        switch_dir = local.as_posix()
        problem = f.SWITCH_DIR.check(switch_dir)
        if problem:
            section.error(local_key, f"{problem}; set {hint}")
    else:
        problem = f.SWITCH_DIR.check(switch_dir)
        if problem:
            section.error(key, problem)
    return switch_dir.rstrip("/") or "/"


def _recordings(section: Node, config_dir: Path) -> RecordingsConfig:
    """``recordings: {dir, switch_dir, path_template}``; ``dir`` is relative to the config directory and is
    checked at start-up (``ccswitch run``/``check``), not here, so a config can be read on any host."""
    section.known(("dir", "switch_dir", "path_template"))
    local = (config_dir / section.text("dir", "../recordings")).resolve()
    switch_dir = _switch_dir(section, "switch_dir", local, "dir", "recordings.switch_dir")
    template = section.text("path_template", DEFAULT_TEMPLATE)
    problem = check_template(template)
    if problem:
        section.error("path_template", problem)
    return RecordingsConfig(local, switch_dir, template)


def _recording_policy(node: Node, refs: list[f.Ref]) -> RecordingPolicy:
    """A queue's ``recording: {mode: all|sample|none, sample_percent, stereo, announce}`` [none]."""
    section = node.section("recording")
    section.known(("mode", "sample_percent", "stereo", "announce"))
    mode = RecordingMode(section.choice("mode", "none", [m.value for m in RecordingMode]))
    if "sample_percent" in section.data and mode is not RecordingMode.SAMPLE:
        section.error("sample_percent", "only used with mode: sample")
    return RecordingPolicy(
        mode=mode,
        sample_percent=section.integer("sample_percent", 100, 0, 100),
        stereo=_flag(section, "stereo", True),
        announce=f.prompt(section, "announce", refs) if "announce" in section.data else None,
    )


def _queues(
    issues: Issues, file: Path, music: str, service_level_s: int, refs: list[f.Ref]
) -> dict[str, QueueConfig]:
    top = issues.read_yaml(file)
    queues: dict[str, QueueConfig] = {}
    if top is None:
        issues.unknowable.add("queue")
        return queues
    if not top.data:
        top.error(None, "no queues defined")
    for raw_name, raw in top.data.items():
        name = str(raw_name)
        node = top.child(name, raw)
        if node is None or not _name(top, name):
            continue
        node.known(
            (
                "strategy",
                "music",
                "max_wait_s",
                "overflow",
                "wrap_up_s",
                "ring_timeout_s",
                "max_no_answer",
                "max_length",
                "service_level_s",
                "aging_s",
                "tier_rules_apply",
                "tier_wait_s",
                "tier_wait_multiply_level",
                "ring_progressively_delay_s",
                "vip_numbers",
                "vip_priority",
                "recording",
                "when_no_agents",
                "no_agents_wait_s",
                "rejoin_window_s",
                "short_abandon_s",
                "announcements",
                "exit",
                "callback",
                "agent_announce",
                "default_aht_s",
                "unanswered_wait_s",
            )
        )
        overflow = f.step_at(node, "overflow", refs, ToHangup())
        exit_key, callback = _exit_key(node, name, refs), _callback(node, refs)
        if exit_key and callback and exit_key.key == callback.key:
            node.error("callback", f"key {callback.key!r} is also the exit key")
        when_no_agents = f.step_at(node, "when_no_agents", refs) if "when_no_agents" in node.data else None
        for key, step in (("overflow", overflow), ("when_no_agents", when_no_agents)):
            if isinstance(step, ToQueue) and step.queue == name:
                node.error(key, "a queue cannot overflow to itself")
        queues[name] = QueueConfig(
            name=name,
            strategy=node.choice("strategy", DEFAULT_STRATEGY, STRATEGIES),
            music=node.text("music", music, token=f.MEDIA),
            max_wait_s=node.integer("max_wait_s", 300, 1, 86400),
            overflow=overflow,
            wrap_up_s=node.integer("wrap_up_s", 10, 0, 3600),
            ring_timeout_s=node.integer("ring_timeout_s", 15, 1, 300),
            max_no_answer=node.integer("max_no_answer", 3, 0, 100),
            max_length=node.optional_integer("max_length", 1, 100000),
            service_level_s=node.integer("service_level_s", service_level_s, 1, 3600),
            aging_s=node.optional_integer("aging_s", 1, 86400),
            tier_rules_apply=_flag(node, "tier_rules_apply", False),
            tier_wait_s=node.integer("tier_wait_s", 0, 0, 86400),
            tier_wait_multiply_level=_flag(node, "tier_wait_multiply_level", False),
            ring_progressively_delay_s=node.integer("ring_progressively_delay_s", 10, 1, 300),
            vip_numbers=frozenset(_vip_numbers(node)),
            vip_priority=node.integer("vip_priority", 10, 0, 100),
            recording=_recording_policy(node, refs),
            when_no_agents=when_no_agents,
            no_agents_wait_s=node.integer("no_agents_wait_s", 0, 0, 86400),
            rejoin_window_s=node.integer("rejoin_window_s", 0, 0, 86400),
            short_abandon_s=node.integer("short_abandon_s", 5, 0, 3600),
            announcements=_announcements(node, refs),
            exit_key=exit_key,
            callback=callback,
            agent_announce=f.prompt(node, "agent_announce", refs) if "agent_announce" in node.data else None,
            default_aht_s=node.integer("default_aht_s", 180, 1, 7200),
            unanswered_wait_s=node.integer("unanswered_wait_s", 0, 0, 600),
        )
    return queues


def _announcements(node: Node, refs: list[f.Ref]) -> Announcements | None:
    """``announcements: {every_s, first_after_s, prompt, position, wait_time}`` [none]."""
    if "announcements" not in node.data:
        return None
    section = node.section("announcements")
    section.known(("every_s", "first_after_s", "prompt", "position", "wait_time"))
    every_s = section.integer("every_s", REQUIRED, 10, 3600)
    announcements = Announcements(
        every_s=every_s,
        first_after_s=section.integer("first_after_s", every_s, 0, 3600),
        prompt=f.prompt(section, "prompt", refs) if "prompt" in section.data else None,
        position=_flag(section, "position", False),
        wait_time=_flag(section, "wait_time", False),
    )
    if not (announcements.prompt or announcements.position or announcements.wait_time):
        section.error(None, "nothing to announce: give a prompt, position: true or wait_time: true")
    if announcements.position:
        refs.append(f.Ref("prompt", AnnouncementPrompts().position, section.file, section.at("position")))
    if announcements.wait_time:
        refs.append(f.Ref("prompt", AnnouncementPrompts().wait_time, section.file, section.at("wait_time")))
    return announcements


def _exit_key(node: Node, queue: str, refs: list[f.Ref]) -> ExitKey | None:
    """``exit: {key: "0", then: step}``: the caller leaves the queue with a key [none]."""
    if "exit" not in node.data:
        return None
    section = node.section("exit")
    section.known(("key", "then"))
    step = f.step_at(section, "then", refs)
    if isinstance(step, ToQueue) and step.queue == queue:
        section.error("then", "the exit of a queue cannot be the same queue")
    return ExitKey(_key(section), step)


def _callback(node: Node, refs: list[f.Ref]) -> CallbackPolicy | None:
    """``callback: {key, gateway, caller_id_number, offer, confirm, attempts, retry_s, ring_timeout_s}`` [none]."""
    if "callback" not in node.data:
        return None
    section = node.section("callback")
    section.known(("key", "gateway", "caller_id_number", "offer", "confirm", "attempts", "retry_s", "ring_timeout_s"))
    caller_id = section.text("caller_id_number", numbers=True)
    if caller_id and not re.fullmatch(r"\+?[0-9]{3,20}", caller_id):
        section.error("caller_id_number", f"bad number {caller_id!r} (3-20 digits, optionally after '+')")
    return CallbackPolicy(
        key=_key(section),
        gateway=section.text("gateway", token=f.NAME),
        caller_id_number=caller_id,
        offer=f.prompt(section, "offer", refs),
        confirm=f.prompt(section, "confirm", refs),
        attempts=section.integer("attempts", 3, 1, 10),
        retry_s=section.integer("retry_s", 120, 10, 86400),
        ring_timeout_s=section.integer("ring_timeout_s", 40, 15, 120),
    )


def _key(section: Node) -> str:
    key = section.text("key", numbers=True)
    if key and not re.fullmatch(r"[0-9*#]", key):
        section.error("key", f"expected one key of 0-9 * #, got {key!r}")
    return key


def _flag(node: Node, key: str, default: bool) -> bool:
    value = node.raw(key)
    if value is None:
        return default
    if not isinstance(value, bool):
        node.error(key, f"expected true or false, got {value!r}")
        return default
    return value


def _vip_numbers(node: Node) -> list[str]:
    numbers = [str(number) for number in node.items("vip_numbers")]  # bare numbers are fine: 79161234567
    for number in numbers:
        if not re.fullmatch(r"\+?[0-9]+", number):
            node.error("vip_numbers", f"bad caller number {number!r} (digits, optionally after '+')")
    return numbers


def _agents(issues: Issues, file: Path, refs: list[f.Ref]) -> dict[str, AgentConfig]:
    top = issues.read_yaml(file)
    agents: dict[str, AgentConfig] = {}
    if top is None:
        return agents
    for raw_id, raw in top.data.items():
        agent_id = str(raw_id)  # bare extensions (1000:) are fine as agent ids
        node = top.child(agent_id, raw)
        if node is None or not _name(top, agent_id):
            continue
        node.known(
            (
                "name",
                "contact",
                "queues",
                "wrap_up_s",
                "login",
                "skills",
                "reject_delay_s",
                "busy_delay_s",
                "no_answer_delay_s",
            )
        )
        tiers = _tiers(node, len(agents) + 1, refs)
        name = node.text("name", agent_id)
        if not name.isprintable():
            node.error("name", f"unsafe value {name!r} (no control characters)")
        agents[agent_id] = AgentConfig(
            id=agent_id,
            name=name,
            contact=_endpoint(node),
            queues=tuple(tier.queue for tier in tiers),
            wrap_up_s=node.optional_integer("wrap_up_s", 0, 3600),
            login=cast(LoginState, node.choice("login", "logged_out", get_args(LoginState))),
            tiers=tiers,
            skills=MappingProxyType(f.skills(node)),
            reject_delay_s=node.integer("reject_delay_s", 0, 0, 3600),
            busy_delay_s=node.integer("busy_delay_s", 0, 0, 3600),
            no_answer_delay_s=node.integer("no_answer_delay_s", 0, 0, 3600),
        )
    return agents


def _tiers(node: Node, default_position: int, refs: list[f.Ref]) -> tuple[Tier, ...]:
    """``queues: [sales, {queue: support, level: 2, position: 1}]``: level 1 and the agent's place in the file
    unless given (so top-down follows the agents file)."""
    tiers: list[Tier] = []
    for index, item in enumerate(node.items("queues")):
        key_path = f"{node.at('queues')}[{index}]"
        if isinstance(item, dict):
            tier_node = Node(node.issues, node.file, node.at("queues"), {}).child(index, item)
            assert tier_node is not None
            tier_node.known(("queue", "level", "position"))
            queue = tier_node.text("queue", token=f.NAME)
            level = tier_node.integer("level", 1, 1, 9)
            tier = Tier(queue, level, tier_node.integer("position", default_position, 1, 100000))
            key_path = tier_node.at("queue")
        else:
            tier = Tier(str(item), 1, default_position)
        refs.append(f.Ref("queue", tier.queue, node.file, key_path))
        tiers.append(tier)
    _unique(node, "queues", [tier.queue for tier in tiers])
    return tuple(tiers)


def _optional_entries(issues: Issues, file: Path) -> Iterator[tuple[str, Node]]:
    """The ``<name>: {...}`` entries of an optional file: none when it is absent (or unreadable: reported)."""
    if not file.exists():
        return
    top = issues.read_yaml(file)
    if top is None:
        return
    for raw_name, raw in top.data.items():
        name = str(raw_name)
        node = top.child(name, raw)
        if node is not None and _name(top, name):
            yield name, node


def _supervisors(issues: Issues, file: Path, refs: list[f.Ref]) -> dict[str, Supervisor]:
    """``<id>: {name, contact, queues: [q, ...] | "*"}``; no file means no supervisors."""
    supervisors: dict[str, Supervisor] = {}
    for supervisor_id, node in _optional_entries(issues, file):
        node.known(("name", "contact", "queues"))
        queues = [ALL_QUEUES] if node.raw("queues") == ALL_QUEUES else [str(q) for q in node.items("queues")]
        if not queues:
            node.error("queues", f'missing: the queues this supervisor may monitor, or "{ALL_QUEUES}" for all')
        for index, queue in enumerate(queues):
            if queue != ALL_QUEUES:
                refs.append(f.Ref("queue", queue, node.file, f"{node.at('queues')}[{index}]"))
        _unique(node, "queues", queues)
        supervisors[supervisor_id] = Supervisor(supervisor_id, _endpoint(node), frozenset(queues),
                                                name=node.text("name", supervisor_id))
    return supervisors


def _campaigns(
    issues: Issues, file: Path, zone: ZoneInfo, do_not_call: frozenset[str], refs: list[f.Ref]
) -> dict[str, CampaignConfig]:
    """``<name>: {...}`` (see ``CampaignConfig``); no file means no campaigns. Files it names (leads,
    do_not_call) are relative to its folder."""
    campaigns: dict[str, CampaignConfig] = {}
    for name, node in _optional_entries(issues, file):
        campaigns[name] = _campaign(node, name, file.parent, zone, do_not_call, refs)
    return campaigns


def _campaign(
    node: Node, name: str, folder: Path, zone: ZoneInfo, do_not_call: frozenset[str], refs: list[f.Ref]
) -> CampaignConfig:
    node.known(
        (
            "caller_id_number",
            "caller_id_name",
            "gateway",
            "queue",
            "mode",
            "blast",
            "max_attempts",
            "retry",
            "window",
            "timezone",
            "abandon_limit",
            "abandon_window",
            "min_ring_s",
            "ring_timeout_s",
            "max_lines_per_agent",
            "machine",
            "abandon_message",
            "dispositions",
            "leads",
            "do_not_call",
            "recording",
            "preview_dial_after_s",
        )
    )
    if "mode" not in node.data:
        node.error("mode", f"missing ({', '.join(get_args(DialMode))})")
    mode = cast(DialMode, node.choice("mode", "progressive", get_args(DialMode)))
    queue = node.text("queue", token=f.NAME)
    if queue:
        refs.append(f.Ref("queue", queue, node.file, node.at("queue")))
    caller_id_number = _caller_id_number(node)
    window = node.section("window")
    window.known(("days", "hours"))
    if "window" not in node.data:
        node.error("window", 'missing: when leads may be called, e.g. {days: mon-fri, hours: "09:00-21:00"}')
    elif "hours" not in window.data:
        window.error("hours", 'missing: the calling hours in the lead\'s time, e.g. "09:00-21:00"')
    if mode in ("blast", "preview"):  # nobody can be abandoned: an agent dials each preview call
        abandon_message = f.prompt(node, "abandon_message", refs) if "abandon_message" in node.data else None
    elif "abandon_message" not in node.data:
        node.error("abandon_message", "missing: the prompt a person hears when no agent is free within 2 s")
        abandon_message = None
    else:
        abandon_message = f.prompt(node, "abandon_message", refs)
    own_file, leads_file = node.optional_text("do_not_call"), node.optional_text("leads")
    own = _numbers(node, "do_not_call", folder / own_file) if own_file else frozenset()
    leads = (folder / leads_file).resolve() if leads_file else None
    if leads is not None:
        _check_leads(node, leads)
    return CampaignConfig(
        name=name,
        caller_id_number=caller_id_number,
        caller_id_name=_caller_id_name(node, caller_id_number),
        gateway=_gateway(node),
        queue=queue,
        mode=mode,
        timezone=f.zone(node, "timezone", zone),
        days=f.days(window, "days"),
        hours=f.hours(window, "hours"),
        max_attempts=node.integer("max_attempts", 3, 1, 100),
        retry=_retry_delays(node.section("retry")),
        abandon_limit=_share(node, "abandon_limit", DEFAULT_ABANDON_LIMIT),
        abandon_window_s=f.duration(node, "abandon_window", int(OFCOM_WINDOW_SECONDS), 3600, 90 * 86400),
        min_ring_s=(min_ring := _min_ring_s(node)),
        ring_timeout_s=_ring_timeout_s(node, min_ring),
        max_lines_per_agent=_max_lines_per_agent(node, mode),
        abandon_message=abandon_message,
        dispositions=MappingProxyType(_dispositions(node)),
        machine_message=_machine_message(node, refs),
        blast=_blast(node, mode, refs),
        leads=leads,
        do_not_call=do_not_call | own if own else do_not_call,
        recording=_recording_policy(node, refs) if "recording" in node.data else None,
        preview_dial_after_s=_preview_dial_after_s(node, mode),
    )


def _preview_dial_after_s(node: Node, mode: DialMode) -> int | None:
    """A preview the agent neither dials nor skips is dialled after this many seconds [never]."""
    if "preview_dial_after_s" not in node.data:
        return None
    if mode != "preview":
        node.error("preview_dial_after_s", "only used with mode: preview")
        return None
    return node.integer("preview_dial_after_s", 30, 5, 3600)


def _caller_id_number(node: Node) -> str:
    number = node.text("caller_id_number", numbers=True)
    try:
        return normalise_phone(number) if number else number
    except ValueError as exc:
        node.error("caller_id_number", str(exc))
        return number


def _caller_id_name(node: Node, number: str) -> str:
    """What the called person's phone shows beside the number [the number: FreeSWITCH's own default is its name]."""
    name = node.text("caller_id_name", number, numbers=True)
    if commands.caller_id_text(name) != name:
        allowed = f"letters, digits, single spaces and {commands.CALLER_ID_PUNCTUATION.strip()}"
        node.error("caller_id_name", f"unsafe value {name!r} (allowed: {allowed}, at most "
                                     f"{commands.CALLER_ID_MAX_CHARS} characters)")
    return name


def _gateway(node: Node) -> str:
    gateway = node.text("gateway")
    try:
        return commands.gateway(gateway) if gateway else gateway
    except UnsafeValueError as exc:
        node.error("gateway", str(exc))
        return gateway


def _min_ring_s(node: Node) -> int:
    least = int(MIN_RING_SECONDS)
    return _ring_seconds(node, "min_ring_s", least, least,
                         f"{least}: an unanswered line rings at least {least} s (Ofcom)")


def _ring_timeout_s(node: Node, min_ring_s: int) -> int:
    """How long a line rings before the dialler gives up on it [30 s, or min_ring_s if longer]; at least min_ring_s.
    A predictive campaign may hang up a line between the two once no agent is expected for it."""
    return _ring_seconds(node, "ring_timeout_s", max(int(DEFAULT_RING_SECONDS), min_ring_s), min_ring_s,
                         f"min_ring_s ({min_ring_s}): a line rings at least that long")


def _ring_seconds(node: Node, key: str, default: int, least: int, why_least: str) -> int:
    """A ring time in seconds, ``least`` to 300; below ``least`` the error says why (``<value> is below
    <why_least>``) and ``default`` stands."""
    value = node.raw(key)
    if isinstance(value, int) and not isinstance(value, bool) and value < least:
        node.error(key, f"{value} is below {why_least}")
        return default
    return node.integer(key, default, least, 300)


def _max_lines_per_agent(node: Node, mode: DialMode) -> int:
    """Preview and progressive dial one line per agent; predictive and blast up to this many [3]."""
    if mode in ("preview", "progressive"):
        if "max_lines_per_agent" in node.data:
            node.error("max_lines_per_agent", "only used with mode: predictive or blast")
        return 1
    return node.integer("max_lines_per_agent", 3, 1, 20)


def _retry_delays(section: Node) -> RetryDelays:
    """``retry: {no_answer: 2h, busy: 15m, machine: 4h, failed: 30m}``; ``never``: that outcome ends the lead."""
    section.known(_RETRY_DEFAULTS)
    return RetryDelays(
        **{
            key: None if section.raw(key) == _NEVER else f.duration(section, key, default, 60, 365 * 86400)
            for key, default in _RETRY_DEFAULTS.items()
        }
    )


def _share(node: Node, key: str, default: float) -> float:
    value = node.raw(key)
    if value is None:
        return default
    if isinstance(value, bool) or not isinstance(value, int | float) or not 0 <= value < 1:
        node.error(key, f"expected a share from 0 to below 1, such as 0.03 for 3%, got {value!r}")
        return default
    return float(value)


def _dispositions(node: Node) -> dict[str, Disposition]:
    """``{sale: {final: true}, callback: {retry_after: 1d}, do_not_call: {do_not_call: true}}``: final unless
    ``retry_after``; ``sale:`` alone is final."""
    section = node.section("dispositions")
    if not section.data:
        node.error("dispositions", "missing: what agents may set after a call, e.g. {sale: {final: true}}")
    dispositions: dict[str, Disposition] = {}
    for raw_name, raw in section.data.items():
        name = str(raw_name)
        item = section.child(name, {} if raw is None else raw)
        if item is None or not _name(section, name):
            continue
        item.known(("final", "retry_after", "do_not_call"))
        retry_after = f.duration(item, "retry_after", 0, 60, 365 * 86400) if "retry_after" in item.data else None
        do_not_call = _flag(item, "do_not_call", False)
        final = _flag(item, "final", retry_after is None)
        if final and retry_after is not None:
            item.error("retry_after", "a final disposition is not retried (drop final: true or retry_after)")
        elif not final and retry_after is None:
            item.error("final", "final: false needs retry_after, when to call again")
        elif do_not_call and retry_after is not None:
            item.error("do_not_call", "a do-not-call disposition is final: it takes no retry_after")
        dispositions[name] = Disposition(name, retry_after, do_not_call)
    return dispositions


def _machine_message(node: Node, refs: list[f.Ref]) -> str | None:
    """``machine: hangup`` [default] or ``machine: {message: <prompt>}`` (left on the answering machine)."""
    value = node.raw("machine")
    if value is None or value == "hangup":
        return None
    if not isinstance(value, dict):
        node.error("machine", f"expected hangup or {{message: <prompt>}}, got {value!r}")
        return None
    item = node.child("machine", value)
    assert item is not None
    item.known(("message",))
    return f.prompt(item, "message", refs)


def _blast(node: Node, mode: DialMode, refs: list[f.Ref]) -> Blast | None:
    """``blast: {prompt: <prompt>, ivr: <menu>}``: what a person who answers gets (at least one; both: the
    prompt, then the menu)."""
    if mode != "blast":
        if "blast" in node.data:
            node.error("blast", "only used with mode: blast")
        return None
    section = node.section("blast")
    section.known(("prompt", "ivr"))
    prompt = f.prompt(section, "prompt", refs) if "prompt" in section.data else None
    ivr = section.optional_text("ivr", token=f.NAME)
    if ivr:
        refs.append(f.Ref("menu", ivr, section.file, section.at("ivr")))
    if prompt is None and ivr is None:
        node.error("blast", "missing: a prompt to play, an ivr menu to enter, or both")
    return Blast(prompt, ivr)


def _numbers(node: Node, key: str, path: Path) -> frozenset[str]:
    """A do-not-call file's numbers; its bad lines are reported as ``<file>: line N: problem``."""
    if not path.is_file():
        node.error(key, f"file not found: {node.issues.display(path)}")
        return frozenset()
    try:
        return read_do_not_call(path)
    except DataFileError as exc:
        _data_file_problems(node.issues, path, exc)
        return frozenset()


def _check_leads(node: Node, path: Path) -> None:
    """The file is there and its header (first line) is right; the rows are ``_check_lead_rows``'s."""
    if not path.is_file():
        node.error("leads", f"file not found: {node.issues.display(path)}")
        return
    try:
        read_leads_header(path)
    except DataFileError as exc:
        _data_file_problems(node.issues, path, exc)


def _check_lead_rows(issues: Issues, campaigns: Mapping[str, CampaignConfig]) -> None:
    """Every bad row of the campaigns' leads files (those found, with a right header), streamed."""
    for campaign in campaigns.values():
        path = campaign.leads
        if path is None or not path.is_file() or any(e.file == issues.display(path) for e in issues.errors):
            continue
        try:
            check_leads_file(campaign.name, path)
        except DataFileError as exc:
            _data_file_problems(issues, path, exc)


def _data_file_problems(issues: Issues, path: Path, error: DataFileError) -> None:
    for line, problem in error.problems:
        issues.add(issues.display(path), f"line {line}" if line else "", problem)


def _endpoint(node: Node) -> str:
    contact = node.text("contact")
    if contact and not f.ENDPOINT.pattern.fullmatch(contact):
        node.error("contact", f"bad endpoint {contact!r} (expected {f.ENDPOINT.allowed})")
    return contact


def _menus(issues: Issues, directory: Path, refs: list[f.Ref]) -> dict[str, IvrMenu]:
    menus: dict[str, IvrMenu] = {}
    for top in _yaml_files(issues, directory, "menu"):
        for raw_name, raw in top.data.items():
            name = str(raw_name)
            node = top.child(name, raw)
            if node is None or not _name(top, name):
                continue
            if name in menus:
                top.error(name, "menu defined twice")
            menus[name] = _menu(node, name, refs)
    return menus


def _menu(node: Node, name: str, refs: list[f.Ref]) -> IvrMenu:
    node.known(
        (
            "prompt",
            "invalid_prompt",
            "timeout_prompt",
            "timeout_s",
            "max_attempts",
            "digits",
            "options",
            "on_failure",
        )
    )
    digits = node.integer("digits", 1, 1, 20)
    options: dict[str, IvrChoice] = {}
    raw_options = node.raw("options")
    option_node = node.child("options", raw_options) if raw_options is not None else None
    if raw_options is None:
        node.error("options", "missing")
    if option_node is not None:
        for raw_key, value in option_node.data.items():
            key = str(raw_key)  # 1: reads as an integer in YAML; quote "0"-led, "*" and "#" keys
            if not _DIGITS.fullmatch(key) or len(key) > digits:
                option_node.error(key, f"option keys are 1..{digits} DTMF digits (0-9 * #)")
                continue
            options[key] = f.ivr_choice(option_node, key, value, refs)
            if options[key] == ToIvr(name):
                option_node.error(key, "a menu option cannot enter its own menu (use repeat)")
    if {"*", "#"} <= options.keys():
        node.error("options", "use '*' or '#' as an option, not both: the other one ends input")
    on_failure = f.step_at(node, "on_failure", refs, ToHangup())
    return IvrMenu(
        name=name,
        prompt=f.prompt(node, "prompt", refs),
        invalid_prompt=f.prompt(node, "invalid_prompt", refs),
        timeout_prompt=f.prompt(node, "timeout_prompt", refs) if "timeout_prompt" in node.data else None,
        timeout_s=node.integer("timeout_s", 5, 1, 120),
        max_attempts=node.integer("max_attempts", 3, 1, 20),
        digits=digits,
        options=MappingProxyType(options),
        on_failure=on_failure,
    )


def _dialplans(issues: Issues, directory: Path, timezone: ZoneInfo, refs: list[f.Ref]) -> dict[str, Dialplan]:
    dialplans: dict[str, Dialplan] = {}
    for top in _yaml_files(issues, directory, "dialplan"):
        top.known(("rules", "default"))
        default = f.step_at(top, "default", refs, ToHangup("UNALLOCATED_NUMBER"))
        raw_rules = top.raw("rules")
        if raw_rules is not None and not isinstance(raw_rules, list):
            top.error("rules", "expected a list of rules")
            raw_rules = []
        rules = tuple(
            rule
            for index, raw in enumerate(raw_rules or [])
            if (rule := _rule(Node(issues, top.file, "rules", {}), index, raw, refs)) is not None
        )
        _unique(top, "rules", [rule.name for rule in rules])
        name = Path(top.file).stem
        dialplans[name] = Dialplan(name, rules, default, timezone)
    return dialplans


def _rule(rules: Node, index: int, raw: Any, refs: list[f.Ref]) -> DialplanRule | None:
    node = rules.child(index, raw)
    if node is None:
        return None
    node.known(("name", "did", "did_pattern", "caller_pattern", "days", "hours", "dates", "then", "recording"))
    dids = frozenset(str(did) for did in node.items("did"))  # bare numbers are fine: 88005550556
    return DialplanRule(
        name=node.text("name", f"rule-{index + 1}", token=f.NAME),
        dids=dids,
        did_pattern=f.pattern(node, "did_pattern"),
        caller_pattern=f.pattern(node, "caller_pattern"),
        days=f.days(node, "days"),
        hours=f.hours(node, "hours"),
        dates=f.dates(node, "dates"),
        then=f.step_at(node, "then", refs),
        recording=_recording_policy(node, refs) if "recording" in node.data else None,
    )


def _active_dialplan(main: Node, env: Mapping[str, str], dialplans: dict[str, Dialplan]) -> Dialplan:
    name = main.text("dialplan", "main", token=f.NAME)
    where, key = main, "dialplan"
    if env.get("CCSWITCH_DIALPLAN"):
        name, where, key = env["CCSWITCH_DIALPLAN"], Node(main.issues, ENV_FILE, "", {}), "CCSWITCH_DIALPLAN"
    if name not in dialplans:
        if "dialplan" not in main.issues.unknowable:
            where.error(key, f"no dialplan {name!r} (known: {', '.join(sorted(dialplans)) or 'none'})")
        return Dialplan(name, (), ToHangup("UNALLOCATED_NUMBER"), ZoneInfo("UTC"))
    return dialplans[name]


def _yaml_files(issues: Issues, directory: Path, kind: str) -> list[Node]:
    """Every ``*.yaml`` in ``directory`` that reads; if one does not, the ``kind`` names are not all known."""
    if not directory.is_dir():
        issues.add(issues.display(directory), "", "directory not found")
        issues.unknowable.add(kind)
        return []
    nodes = [issues.read_yaml(path) for path in sorted(directory.glob("*.yaml"))]
    if None in nodes:
        issues.unknowable.add(kind)
    return [node for node in nodes if node is not None]


def _prompt_files(sounds: Path) -> frozenset[str]:
    return frozenset(p.relative_to(sounds).with_suffix("").as_posix() for p in sounds.rglob("*.wav"))


def _check_refs(
    issues: Issues,
    refs: list[f.Ref],
    queues: Mapping[str, QueueConfig],
    menus: Mapping[str, IvrMenu],
    prompts: frozenset[str],
    sounds_dir: str,
) -> None:
    known = {"queue": sorted(queues), "menu": sorted(menus),
             "callback queue": sorted(name for name, queue in queues.items() if queue.callback is not None)}
    for ref in refs:
        if ref.kind == "prompt":
            if ref.name not in prompts:
                issues.add(ref.file, ref.key_path, f"missing prompt file {sounds_dir}/{ref.name}.wav")
        elif ref.name not in known[ref.kind] and ref.kind not in issues.unknowable:
            names = ", ".join(known[ref.kind]) or "none"
            issues.add(ref.file, ref.key_path, f"unknown {ref.kind} {ref.name!r} (known: {names})")


def _name(parent: Node, name: Any) -> bool:
    problem = f.NAME.check(str(name))
    if problem:
        parent.error(name, f"bad name: {problem}")
    return problem is None


def _unique(node: Node, key: str, names: list[str]) -> None:
    seen: set[str] = set()
    for name in names:
        if name in seen:
            node.error(key, f"name {name!r} used twice")
        seen.add(name)


__all__ = ["ConfigErrors", "check_config", "load_config"]
