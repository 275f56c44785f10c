"""The main file's platform sections: FreeSWITCH nodes, store, HTTP, history, timezone, pause reasons, paths,
media, recordings (and the recording policy queues, campaigns and dialplans share) and overload."""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import replace
from pathlib import Path
from typing import cast, get_args
from zoneinfo import ZoneInfo

from ccswitch.admission import DEFAULT_RTP_END_PORT, DEFAULT_RTP_START_PORT, Reserve
from ccswitch.config import _fields as f
from ccswitch.config._common import ENV_FILE, _unique
from ccswitch.config._reader import Issues, Node
from ccswitch.config.model import (
    EslNode,
    HttpConfig,
    MediaConfig,
    OverloadConfig,
    Paths,
    QueueConfig,
    RecordingsConfig,
    SsoConfig,
    StoreBackend,
    StoreConfig,
)
from ccswitch.media import numbers
from ccswitch.media.recording import DEFAULT_TEMPLATE, RecordingMode, RecordingPolicy, check_template
from ccswitch.routing.steps import ToIvr, ToQueue, ToVoicemail
from ccswitch.sentinel_url import is_sentinel_url, parse_sentinel_url

DEFAULT_PAUSE_REASONS = ("break", "lunch", "training", "meeting")
_DEFAULT_NODE = {"name": "fs1", "host": "127.0.0.1", "port": 8021, "password": "ClueCon"}


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
        scheme = url.partition("://")[0]
        # Never the URL itself, which may hold a password: at most a plain scheme name.
        shown = f"a {scheme!r} URL" if "://" in url and re.fullmatch(r"[A-Za-z][A-Za-z0-9+.-]{0,19}", scheme) else (
            "not a URL")
        problem = f"{shown}: expected redis://, rediss://, unix:// or redis+sentinel://"
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
    section.known(("host", "port", "sso"))
    host = section.text("host", "127.0.0.1", token=f.HOST)
    if env.get("CCSWITCH_HTTP_HOST"):
        env_node = Node(section.issues, ENV_FILE, "", {"CCSWITCH_HTTP_HOST": env["CCSWITCH_HTTP_HOST"]})
        host = env_node.text("CCSWITCH_HTTP_HOST", host, token=f.HOST)
    sso = _sso(section.section("sso")) if section.raw("sso") is not None else None
    return HttpConfig(host, section.integer("port", 8080, 0, 65535), sso)


# An https URL; plain http only to this host's loopback (a provider on the same machine, as in the tests).
_URL = re.compile(r"https://[A-Za-z0-9.-]+(:[0-9]+)?(/[A-Za-z0-9._~/-]*)?|http://(127\.0\.0\.1|localhost)(:[0-9]+)?"
                  r"(/[A-Za-z0-9._~/-]*)?")


_MAX_LABEL = 64  # the provider's name on the log-in button


def _sso(section: Node) -> SsoConfig:
    """``http.sso: {issuer, client_id, redirect_uri, user_claim, label}``: log-in through an OpenID Connect
    provider."""
    section.known(("issuer", "client_id", "redirect_uri", "user_claim", "label"))
    urls = {}
    for key in ("issuer", "redirect_uri"):
        urls[key] = section.text(key)
        if urls[key] and not _URL.fullmatch(urls[key]):
            section.error(key, "expected an https:// URL (http:// only on 127.0.0.1 or localhost)")
    if urls["redirect_uri"] and not urls["redirect_uri"].endswith("/api/sso/callback"):
        section.error("redirect_uri", "expected this controller's <base URL>/api/sso/callback")
    label = section.optional_text("label")
    if label is not None and (len(label) > _MAX_LABEL or not label.isprintable()):
        section.error("label", f"expected a name of at most {_MAX_LABEL} printable characters")
    return SsoConfig(urls["issuer"].rstrip("/"), section.text("client_id", token=f.NAME), urls["redirect_uri"],
                     section.text("user_claim", "preferred_username", token=f.NAME), label)


def _overload(section: Node, refs: list[f.Ref]) -> OverloadConfig:
    """Admission: the reserve kept under each node limit, and the step callers beyond it take. A step that keeps
    the caller on this node (a queue, an IVR menu, voicemail) would hold what admission protects. Pacing: the
    headroom the channels the controller creates leave for callers."""
    section.known(("reserve", "then", "pacing_headroom"))
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
        _deviations(section, "pacing_headroom", default.pacing_headroom),
    )


def _deviations(section: Node, key: str, default: float) -> float:
    value = section.raw(key)
    if value is None:
        return default
    if isinstance(value, bool) or not isinstance(value, int | float) or not 0 <= value <= 5:
        section.error(key, f"expected standard deviations from 0 to 5, such as 2 or 1.5, got {value!r}")
        return default
    return float(value)


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
                   "users", "chatbots"))

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
        chatbots=path("chatbots", "chatbots.yaml"),
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
        stereo=section.flag("stereo", True),
        announce=f.prompt(section, "announce", refs) if "announce" in section.data else None,
    )
