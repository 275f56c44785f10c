"""``load_config`` / ``check_config``: YAML files → one validated, frozen ``Config``.

Every file is read and every problem collected before anything is returned, so ``ccswitch check`` shows all
mistakes at once. Names that one file uses and another defines (queues, menus, prompt files) are gathered as
``Ref``s and checked last, when everything is known.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from pathlib import Path
from types import MappingProxyType

from ccswitch.config import _fields as f
from ccswitch.config._agents import _agents, _supervisors
from ccswitch.config._campaigns import _campaigns, _numbers
from ccswitch.config._chat import _chatbots
from ccswitch.config._documents import _documents
from ccswitch.config._platform import (
    _history_url,
    _http,
    _media,
    _nodes,
    _number_refs,
    _overload,
    _paths,
    _pause_reasons,
    _recordings,
    _store,
    _timezone,
)
from ccswitch.config._queues import _queues
from ccswitch.config._reader import Issues
from ccswitch.config._routing import _active_dialplan, _dialplans, _menus
from ccswitch.config._webchat import _chat
from ccswitch.config.model import Config, IvrMenu, QueueConfig
from ccswitch.errors import ConfigError

MAIN_KEYS = ("freeswitch", "store", "http", "history", "timezone", "service_level_s", "dialplan", "paths", "media",
             "pause_reasons", "recordings", "overload", "chat", "documents")


class ConfigErrors(ConfigError):
    """Everything wrong with a configuration: fields of the first problem; ``str()`` lists all, one a line."""

    def __init__(self, errors: list[ConfigError]) -> None:
        first = errors[0]
        super().__init__(first.file, first.key_path, first.problem)
        self.errors = tuple(errors)
        self.args = ("\n".join(str(error) for error in errors),)


def check_config(path: str | Path, env: Mapping[str, str] | None = None) -> list[ConfigError]:
    """Every problem in the configuration rooted at ``path`` (``config/ccswitch.yaml``); empty when valid. The
    campaigns' leads files are not read: ``ccswitch.campaign_files.check_config`` adds them (``ccswitch check``)."""
    return read_config(path, env)[1]


def load_config(path: str | Path, env: Mapping[str, str] | None = None) -> Config:
    """The configuration rooted at ``path``; raises ``ConfigErrors`` (a ``ConfigError``) listing all problems.

    ``env`` defaults to ``os.environ``: CCSWITCH_ESL_HOST / _PORT / _PASSWORD override the first FreeSWITCH
    node, CCSWITCH_REDIS_URL selects the redis store at that URL, CCSWITCH_DIALPLAN picks the active dialplan,
    CCSWITCH_HISTORY_URL sets the contact-history database, CCSWITCH_HTTP_HOST the HTTP listener's address.

    A campaign's leads file is only located, not opened (it may hold millions of rows, in the dialler's format):
    ``ccswitch.campaign_files.load_config`` checks it too, as the controller and the CLI load a configuration.
    """
    config, errors = read_config(path, env)
    if errors or config is None:
        raise ConfigErrors(errors)
    return config


def read_config(path: str | Path, env: Mapping[str, str] | None = None) -> tuple[Config | None, list[ConfigError]]:
    """The configuration rooted at ``path`` as far as it could be built (None: the main file did not read) and
    every problem found; for callers that add checks of their own before deciding (``ccswitch.campaign_files``)."""
    return _load(Path(path), os.environ if env is None else env)


def _load(config_file: Path, env: Mapping[str, str]) -> tuple[Config | None, list[ConfigError]]:
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
    agents = _agents(issues, paths.agents, refs, {name: queue.capacity for name, queue in queues.items()})
    supervisors = _supervisors(issues, paths.supervisors, refs)
    menus = _menus(issues, paths.ivr, refs)
    dialplans = _dialplans(issues, paths.dialplans, timezone, refs)
    dialplan = _active_dialplan(main, env, dialplans)
    do_not_call = _numbers(paths_section, "do_not_call", paths.do_not_call) if paths.do_not_call else frozenset()
    campaigns = _campaigns(issues, paths.campaigns, timezone, do_not_call, refs)
    overload = _overload(main.section("overload"), refs)
    chatbots = _chatbots(issues, paths.chatbots, dialplans, refs)
    chat = _chat(main.section("chat"), config_file.resolve().parent, chatbots, refs)
    documents = _documents(main.section("documents"), config_file.resolve().parent)
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
        chatbots=MappingProxyType(chatbots),
        chat=chat,
        documents=documents,
        unset=frozenset(key for key in MAIN_KEYS if key not in main.data),
    )
    return config, issues.errors


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


__all__ = ["ConfigErrors", "check_config", "load_config", "read_config"]
