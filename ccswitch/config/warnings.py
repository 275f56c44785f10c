"""What a valid configuration can still get wrong in production: ``ccswitch check`` reports these as warnings.

Each check is a pure function of the loaded ``Config`` returning ``ConfigWarning``s; ``config_warnings`` runs them
all. A warning names the file and key like an error does, plus a stable ``warning_id`` for scripts.
"""

from __future__ import annotations

import ipaddress
from collections.abc import Callable
from collections.abc import Set as AbstractSet
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

from ccswitch.acd.capacity import Channel
from ccswitch.auth.users import users_configured
from ccswitch.config._reader import display_path
from ccswitch.config.loader import MAIN_KEYS
from ccswitch.config.model import Config, DialplanRule
from ccswitch.routing.dialplan import CONDITIONS, Offered
from ccswitch.routing.explain import describe
from ccswitch.routing.steps import ToHangup

DEFAULT_ESL_PASSWORD = "ClueCon"  # FreeSWITCH's own, in every stock event_socket.conf.xml


@dataclass(frozen=True, slots=True)
class ConfigWarning:
    warning_id: str
    file: str
    key_path: str
    problem: str

    def __str__(self) -> str:
        where = f"{self.file}: {self.key_path}" if self.key_path else self.file
        return f"{where}: warning: {self.problem}"


def config_warnings(config: Config) -> list[ConfigWarning]:
    return [warning for check in CHECKS for warning in check(config)]


def _file(config: Config, path: Path) -> str:
    return display_path(path, config.config_file.parent.parent)


def _main_file(config: Config) -> str:
    return _file(config, config.config_file)


def empty_main_file(config: Config) -> list[ConfigWarning]:
    if config.unset != frozenset(MAIN_KEYS):
        return []
    return [ConfigWarning("empty_main_file", _main_file(config), "",
                          "empty: every setting takes its default")]


def timezone_unset(config: Config) -> list[ConfigWarning]:
    if "timezone" not in config.unset:
        return []
    return [ConfigWarning("timezone_unset", _main_file(config), "timezone",
                          "not set: the dialplan's calendar rules, campaign windows and reports run in UTC")]


def default_esl_password(config: Config) -> list[ConfigWarning]:
    """A node left with FreeSWITCH's default event-socket password: whoever reaches the port controls the switch."""
    advice = "set a long random one in event_socket.conf.xml and here (or CCSWITCH_ESL_PASSWORD)"
    if "freeswitch" in config.unset:
        node = config.nodes[0]
        if node.password != DEFAULT_ESL_PASSWORD:  # CCSWITCH_ESL_PASSWORD set one
            return []
        return [ConfigWarning("default_esl_password", _main_file(config), "freeswitch",
                              f"not set: ccswitch connects to {node.host}:{node.port} with FreeSWITCH's default "
                              f"password {DEFAULT_ESL_PASSWORD}; {advice}")]
    return [ConfigWarning("default_esl_password", _main_file(config), f"freeswitch.nodes[{index}].password",
                          f"node {node.name} uses FreeSWITCH's default password {DEFAULT_ESL_PASSWORD}: whoever "
                          f"reaches {node.host}:{node.port} controls the switch; {advice}")
            for index, node in enumerate(config.nodes) if node.password == DEFAULT_ESL_PASSWORD]


def http_exposed(config: Config) -> list[ConfigWarning]:
    """Without users (``paths.users``) the operations API has no authentication: it must listen on loopback only
    (``ccswitch run`` refuses otherwise)."""
    if _is_loopback(config.http.host) or users_configured(config.paths.users):
        return []
    return [ConfigWarning("http_exposed", _main_file(config), "http.host",
                          f"{config.http.host} serves the operations API, which has no authentication (no users in "
                          f"{config.paths.users.name}), beyond this host: 'ccswitch run' refuses to start; add users "
                          "with 'ccswitch user add' or bind 127.0.0.1")]


def _is_loopback(host: str) -> bool:
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False  # a host name: where it points is not known here


def no_agents(config: Config) -> list[ConfigWarning]:
    agents_file = _file(config, config.paths.agents)
    if not config.agents:
        return [ConfigWarning("no_agents", agents_file, "",
                              "no agents: every queued call waits until its queue's max_wait_s, then overflows")]
    return [ConfigWarning("queue_without_agents", _file(config, config.paths.queues), name,
                          f"no agent serves this queue: its calls wait {queue.max_wait_s} s, then "
                          f"{describe(queue.overflow)}")
            for name, queue in config.queues.items() if not config.members(name)]


def chat_topic_without_chat_agents(config: Config) -> list[ConfigWarning]:
    """A web-chat topic whose queue has no agent who takes chats: its conversations would never be offered."""
    warnings = []
    for index, topic in enumerate(config.chat.topics):
        bot = config.chatbots.get(topic.bot or "")
        queue = topic.queue or (bot.queue if bot else "")
        if queue in config.queues and not any(Channel.CHAT in config.agents[agent].capacity.costs
                                              for agent in config.members(queue)):
            warnings.append(ConfigWarning(
                "chat_topic_without_chat_agents", _main_file(config), f"chat.topics[{index}]",
                f"no agent of queue {queue} takes chats (an agent's or the queue's capacity: cost: {{chat: 1}}): "
                f"the {topic.name} topic's conversations would wait for nobody"))
    return warnings


def _dialplan_file(config: Config) -> str:
    return _file(config, config.paths.dialplans / f"{config.dialplan.name}.yaml")


def empty_dialplan(config: Config) -> list[ConfigWarning]:
    dialplan = config.dialplan
    if dialplan.rules or not isinstance(dialplan.default, ToHangup):
        return []
    return [ConfigWarning("empty_dialplan", _dialplan_file(config), "rules",
                          f"the active dialplan {dialplan.name!r} has no rules: every call is hung up "
                          f"({dialplan.default.cause})")]


def shadowed_rules(config: Config) -> list[ConfigWarning]:
    """A rule that an earlier rule matches every call of can never match (first match wins). Only what can be
    shown rule by rule is reported: a rule hidden by several earlier rules together is not."""
    rules = config.dialplan.rules
    warnings = []
    for index, rule in enumerate(rules):
        earlier = next((above for above in rules[:index] if covers(above, rule)), None)
        if earlier is not None:
            warnings.append(ConfigWarning(
                "shadowed_rule", _dialplan_file(config), f"rules[{index}]",
                f"rule {rule.name!r} can never match: rule {earlier.name!r} above it matches every call it would "
                f"(first match wins); move {rule.name!r} above it or narrow {earlier.name!r}"))
    return warnings


def covers(earlier: DialplanRule, later: DialplanRule) -> bool:
    """Every call ``later`` matches, ``earlier`` matches too (each of its conditions is unset or at least as wide)."""
    return (_covers_dids(earlier, later)
            and (earlier.caller_pattern is None or _same_pattern(earlier, later, "caller_pattern"))
            and _inside(later.days, earlier.days)
            and _inside(_minutes(later), _minutes(earlier))
            and _inside({_every_year(day, earlier) for day in later.dates}, earlier.dates))


def _inside(later: AbstractSet[object], earlier: AbstractSet[object]) -> bool:
    """The earlier rule's condition is unset (any), or the later rule's is set and no wider."""
    return not earlier or (bool(later) and later <= earlier)


_ANY_TIME = datetime(2000, 1, 1, tzinfo=UTC)


def _did_matches(rule: DialplanRule, did: str) -> bool:
    """The rule's DID conditions, as the dialplan decides them, for one dialled number."""
    call = Offered(did, "", _ANY_TIME)
    return all(condition.holds(rule, call) for condition in CONDITIONS if condition.kind == "DID")


def _covers_dids(earlier: DialplanRule, later: DialplanRule) -> bool:
    if later.dids:  # a list: the earlier rule must take each number the later one does
        return all(_did_matches(earlier, did) for did in later.dids if _did_matches(later, did))
    return not earlier.dids and (earlier.did_pattern is None or _same_pattern(earlier, later, "did_pattern"))


def _same_pattern(earlier: DialplanRule, later: DialplanRule, key: str) -> bool:
    mine, theirs = (rule.did_pattern if key == "did_pattern" else rule.caller_pattern for rule in (earlier, later))
    return mine is not None and theirs is not None and mine.pattern == theirs.pattern


def _minutes(rule: DialplanRule) -> set[int]:
    return {minute for part in rule.hours for minute in range(part.start, part.end)}


def _every_year(day: str, rule: DialplanRule) -> str:
    """``YYYY-MM-DD`` as the rule's every-year ``MM-DD`` when it has that one (the rule takes that day too)."""
    return day[5:] if len(day) == 10 and day[5:] in rule.dates else day


CHECKS: tuple[Callable[[Config], list[ConfigWarning]], ...] = (
    empty_main_file, timezone_unset, default_esl_password, http_exposed, no_agents, empty_dialplan, shadowed_rules,
    chat_topic_without_chat_agents,
)
