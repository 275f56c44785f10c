"""``load_config`` / ``check_config``: YAML files → one validated, frozen ``Config``.

Every file is read and every problem collected before anything is returned, so ``ccswitch check`` shows all
mistakes at once. Names that one file uses and another defines (queues, menus, prompt files) are gathered as
``Ref``s and checked last, when everything is known.
"""

from __future__ import annotations

import os
import re
from collections.abc import Mapping
from dataclasses import replace
from pathlib import Path
from types import MappingProxyType
from typing import Any, cast, get_args
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from ccswitch.acd.queues import STRATEGIES
from ccswitch.config import _fields as f
from ccswitch.config._reader import Issues, Node
from ccswitch.config.model import (
    AgentConfig,
    Config,
    Dialplan,
    DialplanRule,
    EslNode,
    HttpConfig,
    IvrChoice,
    IvrMenu,
    LoginState,
    MediaConfig,
    Paths,
    QueueConfig,
    RecordingsConfig,
    StoreBackend,
    StoreConfig,
    Tier,
)
from ccswitch.errors import ConfigError
from ccswitch.media.monitor import ALL_QUEUES, Supervisor
from ccswitch.media.recording import DEFAULT_TEMPLATE, RecordingMode, RecordingPolicy, check_template
from ccswitch.routing.steps import ToHangup, ToIvr, ToQueue

ENV_FILE = "environment"
DEFAULT_STRATEGY = "longest-idle-agent"
DEFAULT_PAUSE_REASONS = ("break", "lunch", "training", "meeting")
_DEFAULT_NODE = {"name": "fs1", "host": "127.0.0.1", "port": 8021, "password": "ClueCon"}
_DIGITS = re.compile(r"[0-9*#]+")


class ConfigErrors(ConfigError):
    """Everything wrong with a configuration: fields of the first problem; ``str()`` lists all, one a line."""

    def __init__(self, errors: list[ConfigError]) -> None:
        first = errors[0]
        super().__init__(first.file, first.key_path, first.problem)
        self.errors = tuple(errors)
        self.args = ("\n".join(str(error) for error in errors),)


def check_config(path: str | Path, env: Mapping[str, str] | None = None) -> list[ConfigError]:
    """Every problem in the configuration rooted at ``path`` (``config/ccswitch.yaml``); empty when valid."""
    return _load(Path(path), os.environ if env is None else env)[1]


def load_config(path: str | Path, env: Mapping[str, str] | None = None) -> Config:
    """The configuration rooted at ``path``; raises ``ConfigErrors`` (a ``ConfigError``) listing all problems.

    ``env`` defaults to ``os.environ``: CCSWITCH_ESL_HOST / _PORT / _PASSWORD override the first FreeSWITCH
    node, CCSWITCH_REDIS_URL selects the redis store at that URL, CCSWITCH_DIALPLAN picks the active dialplan,
    CCSWITCH_HISTORY_URL sets the contact-history database.
    """
    config, errors = _load(Path(path), os.environ if env is None else env)
    if errors or config is None:
        raise ConfigErrors(errors)
    return config


def _load(config_file: Path, env: Mapping[str, str]) -> tuple[Config | None, list[ConfigError]]:
    issues = Issues(config_file.resolve().parent.parent)
    main = issues.read_yaml(config_file)
    if main is None:
        return None, issues.errors
    main.known(
        ("freeswitch", "store", "http", "history", "timezone", "service_level_s", "dialplan", "paths", "media",
         "pause_reasons", "recordings")
    )
    nodes = _nodes(main.section("freeswitch"), env)
    store = _store(main.section("store"), env)
    http = _http(main.section("http"))
    history_url = _history_url(main.section("history"), env, config_file.resolve().parent)
    refs: list[f.Ref] = []
    paths = _paths(main.section("paths"), config_file.resolve().parent)
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
        node.known(("name", "host", "port", "password"))
        nodes.append(
            EslNode(
                name=node.text("name", f"fs{index + 1}", token=f.NAME),
                host=node.text("host", "127.0.0.1", token=f.HOST),
                port=node.integer("port", 8021, 1, 65535),
                password=node.text("password", "ClueCon", token=f.SECRET),
            )
        )
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
    section.known(("backend", "url", "key_prefix"))
    backend = cast(StoreBackend, section.choice("backend", "memory", get_args(StoreBackend)))
    url = section.text("url", "redis://127.0.0.1:6379/0")
    env_url = env.get("CCSWITCH_REDIS_URL")
    if env_url:
        backend, url = "redis", env_url
    if not re.match(r"(redis|rediss|unix)://", url):
        where = Node(section.issues, ENV_FILE, "", {}) if env_url else section
        problem = f"{url!r} is not a redis://, rediss:// or unix:// URL"
        where.error("CCSWITCH_REDIS_URL" if env_url else "url", problem)
    prefix = section.text("key_prefix", "ccswitch:")
    if not re.fullmatch(r"[A-Za-z0-9_:.-]+", prefix):
        section.error("key_prefix", f"unsafe value {prefix!r} (allowed: letters, digits and _ : . -)")
    return StoreConfig(backend, url, prefix)


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


def _http(section: Node) -> HttpConfig:
    section.known(("host", "port"))
    return HttpConfig(
        section.text("host", "127.0.0.1", token=f.HOST), section.integer("port", 8080, 0, 65535)
    )


def _timezone(main: Node) -> ZoneInfo:
    name = main.text("timezone", "UTC")
    try:
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):
        main.error("timezone", f"unknown time zone {name!r} (use an IANA name such as Europe/Moscow)")
        return ZoneInfo("UTC")


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
    section.known(("dialplans", "ivr", "queues", "agents", "sounds", "supervisors"))

    def path(key: str, default: str) -> Path:
        return (root / section.text(key, default)).resolve()

    return Paths(
        dialplans=path("dialplans", "../dialplans"),
        ivr=path("ivr", "../ivr"),
        queues=path("queues", "queues.yaml"),
        agents=path("agents", "agents.yaml"),
        sounds=path("sounds", "../sounds"),
        supervisors=path("supervisors", "supervisors.yaml"),
    )


def _media(section: Node, sounds: Path) -> MediaConfig:
    section.known(("switch_sounds_dir", "music"))
    switch_dir = _switch_dir(section, "switch_sounds_dir", sounds, "switch_sounds_dir", "media.switch_sounds_dir")
    return MediaConfig(switch_dir, section.text("music", "local_stream://moh", token=f.MEDIA))


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
            )
        )
        overflow = f.step_at(node, "overflow", refs, ToHangup())
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
        )
    return queues


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


def _supervisors(issues: Issues, file: Path, refs: list[f.Ref]) -> dict[str, Supervisor]:
    """``<id>: {name, contact, queues: [q, ...] | "*"}``; no file means no supervisors."""
    supervisors: dict[str, Supervisor] = {}
    if not file.exists():
        return supervisors
    top = issues.read_yaml(file)
    if top is None:
        return supervisors
    for raw_id, raw in top.data.items():
        supervisor_id = str(raw_id)
        node = top.child(supervisor_id, raw)
        if node is None or not _name(top, supervisor_id):
            continue
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
    node.known(("name", "did", "did_pattern", "caller_pattern", "days", "hours", "dates", "then"))
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
    known = {"queue": sorted(queues), "menu": sorted(menus)}
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
