"""The routing keys of queues.yaml, agents.yaml and ccswitch.yaml: read into the config, and their mistakes."""

from __future__ import annotations

from ccswitch.acd import Member, Router
from ccswitch.config import check_config, load_config
from ccswitch.config.model import Tier

from .conftest import Tree


def problems(tree: Tree) -> list[str]:
    return [str(error) for error in check_config(tree.config_file, env={})]


def test_defaults_keep_the_shipped_behaviour(tree: Tree) -> None:
    config = load_config(tree.config_file, env={})
    sales = config.queues["sales"]
    assert (sales.aging_s, sales.tier_rules_apply, sales.vip_numbers) == (None, False, frozenset())
    agent = config.agents["1003"]
    assert agent.tiers == (Tier("sales", 1, 4), Tier("support", 1, 4))
    assert (dict(agent.skills), agent.no_answer_delay_s) == ({}, 0)
    assert config.pause_reasons == ("break", "lunch", "training", "meeting")


def test_routing_keys_are_read(tree: Tree) -> None:
    tree.edit(
        "config/queues.yaml",
        "  max_no_answer: 2\n",
        "  max_no_answer: 2\n  strategy: skills-based\n  aging_s: 60\n  tier_rules_apply: true\n  tier_wait_s: 30\n"
        "  tier_wait_multiply_level: true\n  vip_numbers: [79161234567, '+74951234567']\n  vip_priority: 7\n",
    )
    tree.edit("config/ccswitch.yaml", "timezone:", "pause_reasons: [lunch, coaching]\ntimezone:")
    tree.edit(
        "config/agents.yaml",
        "queues: [support, operator], login: available}",
        "queues: [support, {queue: operator, level: 2, position: 1}], login: available, "
        "skills: {english: 5, billing: 3}, reject_delay_s: 10, busy_delay_s: 20, no_answer_delay_s: 30}",
    )
    tree.edit("config/queues.yaml", "operator:\n  strategy: longest-idle-agent\n", "operator:\n")

    config = load_config(tree.config_file, env={})

    operator = config.queues["operator"]
    assert (operator.strategy, operator.aging_s, operator.tier_wait_s, operator.vip_priority) == (
        "skills-based", 60, 30, 7
    )
    assert operator.tier_rules_apply and operator.tier_wait_multiply_level
    assert operator.vip_numbers == frozenset({"79161234567", "+74951234567"})
    agent = config.agents["1007"]
    assert agent.queues == ("support", "operator")
    assert agent.tiers == (Tier("support", 1, 8), Tier("operator", 2, 1))
    assert dict(agent.skills) == {"english": 5, "billing": 3}
    assert (agent.reject_delay_s, agent.busy_delay_s, agent.no_answer_delay_s) == (10, 20, 30)
    assert config.pause_reasons == ("lunch", "coaching")
    router = Router.from_config(config)
    assert router._tiers["operator"]["1007"] == Member("1007", 2, 1)


def test_routing_mistakes_are_reported(tree: Tree) -> None:
    tree.edit("config/queues.yaml", "  max_no_answer: 2\n", "  max_no_answer: 2\n  tier_rules_apply: yes please\n"
              "  vip_numbers: [call-me]\n  strategy: fastest\n")
    tree.edit("config/queues.yaml", "operator:\n  strategy: longest-idle-agent\n", "operator:\n")
    tree.edit("config/agents.yaml", "queues: [operator], login: available}",
              "queues: [{queue: operatr, level: 0}], skills: {english: 500}, login: available}")
    tree.edit("config/ccswitch.yaml", "timezone:", "pause_reasons: [lunch, lunch, 'coffee break']\ntimezone:")

    assert problems(tree) == [
        "config/ccswitch.yaml: pause_reasons: unsafe value 'coffee break' (allowed: letters, digits, '_' and '-')",
        "config/ccswitch.yaml: pause_reasons: name 'lunch' used twice",
        "config/queues.yaml: operator.strategy: 'fastest' is not one of: longest-idle-agent, round-robin, top-down, "
        "fewest-calls, least-talk-time, random, ring-all, ring-progressively, skills-based",
        "config/queues.yaml: operator.tier_rules_apply: expected true or false, got 'yes please'",
        "config/queues.yaml: operator.vip_numbers: bad caller number 'call-me' (digits, optionally after '+')",
        "config/agents.yaml: 1008.queues[0].level: 0 is out of range 1..9",
        "config/agents.yaml: 1008.skills.english: 500 is out of range 1..100",
        "config/agents.yaml: 1008.queues[0].queue: unknown queue 'operatr' (known: operator, sales, support)",
    ]
