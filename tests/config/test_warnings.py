"""Warnings: a valid configuration that would still hurt in production. Each check is a pure function of Config."""

from __future__ import annotations

import re
from dataclasses import replace
from pathlib import Path
from types import MappingProxyType
from typing import Any

import pytest

from ccswitch.acd.capacity import VOICE_ONLY
from ccswitch.config import Config, DialplanRule, HourRange, load_config
from ccswitch.config.loader import MAIN_KEYS
from ccswitch.config.warnings import (
    ConfigWarning,
    chat_topic_without_chat_agents,
    config_warnings,
    covers,
    default_esl_password,
    empty_dialplan,
    empty_main_file,
    http_exposed,
    no_agents,
    shadowed_rules,
    timezone_unset,
)
from ccswitch.routing.steps import ToIvr, ToQueue

REPO = Path(__file__).resolve().parents[2]
SHIPPED = load_config(REPO / "config" / "ccswitch.yaml", env={"CCSWITCH_ESL_PASSWORD": "a-long-random-secret"})
LINE = frozenset({"88005550556"})


def test_the_shipped_configuration_with_a_real_password_has_no_warnings() -> None:
    assert config_warnings(SHIPPED) == []


def test_the_default_esl_password_is_named_per_node() -> None:
    second = replace(SHIPPED.nodes[0], name="fs2", host="10.0.0.2", password="ClueCon")
    config = replace(SHIPPED, nodes=(SHIPPED.nodes[0], second))

    assert default_esl_password(config) == [ConfigWarning(
        "default_esl_password", "config/ccswitch.yaml", "freeswitch.nodes[1].password",
        "node fs2 uses FreeSWITCH's default password ClueCon: whoever reaches 10.0.0.2:8021 controls the switch; "
        "set a long random one in event_socket.conf.xml and here (or CCSWITCH_ESL_PASSWORD)")]


def test_an_empty_main_file_says_so_and_which_defaults_matter() -> None:
    config = replace(SHIPPED, unset=frozenset(MAIN_KEYS), nodes=(replace(SHIPPED.nodes[0], password="ClueCon"),))

    assert [str(warning) for warning in config_warnings(config)] == [
        "config/ccswitch.yaml: warning: empty: every setting takes its default",
        "config/ccswitch.yaml: timezone: warning: not set: the dialplan's calendar rules, campaign windows and "
        "reports run in UTC",
        "config/ccswitch.yaml: freeswitch: warning: not set: ccswitch connects to 127.0.0.1:8021 with "
        "FreeSWITCH's default password ClueCon; set a long random one in event_socket.conf.xml and here (or "
        "CCSWITCH_ESL_PASSWORD)",
    ]


def test_a_missing_key_warns_alone_and_a_password_from_the_environment_is_not_the_default() -> None:
    config = replace(SHIPPED, unset=frozenset({"timezone", "freeswitch"}))

    assert [w.warning_id for w in config_warnings(config)] == ["timezone_unset"]
    assert empty_main_file(config) == [] and default_esl_password(config) == []
    assert timezone_unset(SHIPPED) == []


@pytest.mark.parametrize(("host", "warned"), [
    ("127.0.0.1", False), ("127.0.0.53", False), ("::1", False), ("localhost", False),
    ("0.0.0.0", True), ("::", True), ("10.0.0.5", True), ("cc.example.net", True),
])
def test_the_unauthenticated_api_beyond_loopback_is_a_warning(host: str, warned: bool) -> None:
    warnings = http_exposed(replace(SHIPPED, http=replace(SHIPPED.http, host=host)))

    assert [w.key_path for w in warnings] == (["http.host"] if warned else [])
    if warned:
        assert warnings[0].problem.startswith(f"{host} serves the operations API, which has no authentication")


def test_no_agents_at_all_and_a_queue_nobody_serves() -> None:
    assert no_agents(replace(SHIPPED, agents=MappingProxyType({}))) == [ConfigWarning(
        "no_agents", "config/agents.yaml", "",
        "no agents: every queued call waits until its queue's max_wait_s, then overflows")]
    without_sales = {agent_id: agent for agent_id, agent in SHIPPED.agents.items() if "sales" not in agent.queues}

    assert no_agents(replace(SHIPPED, agents=MappingProxyType(without_sales))) == [ConfigWarning(
        "queue_without_agents", "config/queues.yaml", "sales",
        "no agent serves this queue: its calls wait 300 s, then queue operator")]


def test_a_chat_topic_whose_queue_has_no_agent_taking_chats() -> None:
    voice_only = {agent_id: replace(agent, capacity=VOICE_ONLY) if "sales" in agent.queues else agent
                  for agent_id, agent in SHIPPED.agents.items()}

    assert chat_topic_without_chat_agents(replace(SHIPPED, agents=MappingProxyType(voice_only))) == [ConfigWarning(
        "chat_topic_without_chat_agents", "config/ccswitch.yaml", "chat.topics[0]",
        "no agent of queue sales takes chats (an agent's or the queue's capacity: cost: {chat: 1}): the sales "
        "topic's conversations would wait for nobody")]


def test_an_empty_dialplan_that_hangs_every_call_up() -> None:
    hangs_up = replace(SHIPPED, dialplan=replace(SHIPPED.dialplan, rules=()))
    to_the_menu = replace(SHIPPED, dialplan=replace(SHIPPED.dialplan, rules=(), default=ToIvr("main")))

    assert empty_dialplan(hangs_up) == [ConfigWarning(
        "empty_dialplan", "dialplans/main.yaml", "rules",
        "the active dialplan 'main' has no rules: every call is hung up (UNALLOCATED_NUMBER)")]
    assert empty_dialplan(to_the_menu) == []


def with_rules(*rules: DialplanRule) -> Config:
    return replace(SHIPPED, dialplan=replace(SHIPPED.dialplan, rules=rules))


def test_a_catch_all_above_the_holiday_and_business_hours_rules_hides_both() -> None:
    holidays, business_hours, out_of_hours = SHIPPED.dialplan.rules
    config = with_rules(out_of_hours, holidays, business_hours)

    assert [(w.key_path, w.problem) for w in shadowed_rules(config)] == [
        ("rules[1]", "rule 'holidays' can never match: rule 'out-of-hours' above it matches every call it would "
                     "(first match wins); move 'holidays' above it or narrow 'out-of-hours'"),
        ("rules[2]", "rule 'business-hours' can never match: rule 'out-of-hours' above it matches every call it "
                     "would (first match wins); move 'business-hours' above it or narrow 'out-of-hours'"),
    ]
    assert shadowed_rules(SHIPPED) == []


def rule(name: str, **conditions: Any) -> DialplanRule:
    return DialplanRule(name, ToQueue("sales"), **conditions)


@pytest.mark.parametrize(("earlier", "later", "hidden"), [
    (rule("anything"), rule("vip", dids=LINE, caller_pattern=re.compile("^7916")), True),
    (rule("weekdays", dids=LINE, days=frozenset(range(5))), rule("mon-tue", dids=LINE, days=frozenset({0, 1})), True),
    (rule("mon-tue", dids=LINE, days=frozenset({0, 1})), rule("weekdays", dids=LINE, days=frozenset(range(5))), False),
    (rule("weekdays", days=frozenset(range(5))), rule("any day"), False),
    (rule("day", hours=(HourRange(540, 1080),)), rule("late morning", hours=(HourRange(600, 720),)), True),
    (rule("split", hours=(HourRange(540, 780), HourRange(840, 1080))), rule("lunch", hours=(HourRange(780, 840),)),
     False),
    (rule("8800", did_pattern=re.compile(r"^8800")), rule("line", dids=LINE), True),
    (rule("8800", did_pattern=re.compile(r"^8800")), rule("moscow", dids=frozenset({"74950000000"})), False),
    (rule("line", dids=LINE), rule("8800", did_pattern=re.compile(r"^8800")), False),
    (rule("8800", did_pattern=re.compile(r"^8800")), rule("8800 too", did_pattern=re.compile(r"^8800")), True),
    (rule("vip", caller_pattern=re.compile("^7916")), rule("everyone"), False),
    (rule("vip", caller_pattern=re.compile("^7916")), rule("vip again", caller_pattern=re.compile("^7916")), True),
    (rule("new year", dates=frozenset({"01-01"})), rule("this new year", dates=frozenset({"2027-01-01"})), True),
    (rule("this new year", dates=frozenset({"2027-01-01"})), rule("new year", dates=frozenset({"01-01"})), False),
])
def test_a_rule_is_hidden_only_when_the_earlier_one_is_at_least_as_wide_in_every_condition(
        earlier: DialplanRule, later: DialplanRule, hidden: bool) -> None:
    assert covers(earlier, later) is hidden
    assert [w.key_path for w in shadowed_rules(with_rules(earlier, later))] == (["rules[1]"] if hidden else [])


def test_a_warning_reads_like_an_error_with_the_word_warning() -> None:
    assert str(ConfigWarning("x", "dialplans/main.yaml", "rules[2]", "never matches")) == (
        "dialplans/main.yaml: rules[2]: warning: never matches")



def test_an_api_beyond_loopback_with_users_configured_is_no_warning(tmp_path: Path) -> None:
    users = tmp_path / "users.yaml"
    users.write_text('root: {role: admin, password: "$argon2id$v=19$m=65536,t=3,p=4$x$y"}\n')
    exposed = replace(SHIPPED, http=replace(SHIPPED.http, host="0.0.0.0"))

    assert http_exposed(replace(exposed, paths=replace(exposed.paths, users=users))) == []
