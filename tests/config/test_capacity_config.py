"""``capacity:`` in agents.yaml and queues.yaml: read into the capacity model, queue defaults for agents without
their own, and every kind of nonsense refused with its key."""

from __future__ import annotations

import pytest

from ccswitch.acd import Agent, AgentState, QueueEntry, Router
from ccswitch.acd.capacity import DEFAULT_OFFER_DURING, VOICE_ONLY, AgentCapacity, Channel, handling, wrapping_up
from ccswitch.config import load_config

from .conftest import Tree
from .test_config_errors import problems

AGENTS, QUEUES = "config/agents.yaml", "config/queues.yaml"
AGENT_1008 = "queues: [operator], login: available}"
OPERATOR = "operator:\n  strategy: longest-idle-agent\n"
ONE_CALL_OR_THREE_CHATS = "capacity: {total: 3, cost: {voice: 3, chat: 1}}"


def agent_1008_with(tree: Tree, capacity: str) -> None:
    tree.edit(AGENTS, AGENT_1008, f"queues: [operator], login: available, {capacity}}}")


def operator_with(tree: Tree, capacity: str) -> None:
    tree.edit(QUEUES, OPERATOR, f"{OPERATOR}  {capacity}\n")


def capacity_of(tree: Tree, agent: str) -> AgentCapacity:
    return load_config(tree.config_file, env={}).agents[agent].capacity


def test_without_capacity_settings_every_agent_takes_one_call_at_a_time(tree: Tree) -> None:
    agents = load_config(tree.config_file, env={}).agents
    with_chat = {"1000", "1001", "1005"}  # the shipped agents that take web chats (agents.yaml)
    assert all(agent.capacity == VOICE_ONLY for agent in agents.values() if agent.id not in with_chat)
    assert all(agents[agent].capacity.costs[Channel.CHAT] == 1 for agent in with_chat)


def test_an_agents_capacity_is_read_with_the_default_rules_for_channels_it_leaves_out(tree: Tree) -> None:
    agent_1008_with(tree, "capacity: {total: 4, cost: {voice: 2, chat: 1}, offer_during: {voice: [chat]}}")
    capacity = capacity_of(tree, "1008")
    assert (capacity.total, dict(capacity.costs)) == (4, {Channel.VOICE: 2, Channel.CHAT: 1})
    assert capacity.offer_during[Channel.VOICE] == handling(Channel.CHAT)
    assert capacity.offer_during[Channel.CHAT] == DEFAULT_OFFER_DURING[Channel.CHAT]


def test_wrap_up_activities_and_a_single_name_for_a_list_of_one(tree: Tree) -> None:
    agent_1008_with(tree, "capacity: {total: 3, cost: {chat: 1}, offer_during: {chat: voice-wrap-up}}")
    assert capacity_of(tree, "1008").offer_during[Channel.CHAT] == wrapping_up(Channel.VOICE)


def test_a_queues_capacity_is_the_default_of_its_agents_and_an_agents_own_wins(tree: Tree) -> None:
    operator_with(tree, ONE_CALL_OR_THREE_CHATS)
    agent_1008_with(tree, "capacity: {total: 2, cost: {voice: 2}}")
    config = load_config(tree.config_file, env={})
    assert config.queues["operator"].capacity == config.agents["1009"].capacity
    assert dict(config.agents["1009"].capacity.costs) == {Channel.VOICE: 3, Channel.CHAT: 1}
    assert config.agents["1008"].capacity.total == 2
    assert config.agents["1002"].capacity == VOICE_ONLY  # sales sets none (nor does 1002)


def test_the_first_of_an_agents_queues_with_a_capacity_gives_it(tree: Tree) -> None:
    operator_with(tree, ONE_CALL_OR_THREE_CHATS)
    tree.edit(QUEUES, "support:\n  strategy: longest-idle-agent\n",
              "support:\n  strategy: longest-idle-agent\n  capacity: {total: 2, cost: {voice: 2, sms: 1}}\n")
    assert Channel.SMS in capacity_of(tree, "1007").costs  # queues: [support, operator]


def test_the_router_gets_each_agents_capacity(tree: Tree) -> None:
    operator_with(tree, ONE_CALL_OR_THREE_CHATS)
    router = Router.from_config(load_config(tree.config_file, env={}))
    router.update_agent(Agent("1008", AgentState.WRAP_UP, 0.0))
    router.add_call(QueueEntry("chat-1", "operator", 0, 0.0, 1, channel=Channel.CHAT))
    assert [dispatch.agents for dispatch in router.next_offers(1.0)] == [("1008",)]


@pytest.mark.parametrize(("capacity", "key", "problem"), [
    ("capacity: {total: 3, cost: {chat: -1}}", "capacity.cost.chat", "-1 is out of range 1..1000"),
    ("capacity: {total: 3, cost: {chat: 0}}", "capacity.cost.chat", "0 is out of range 1..1000"),
    ("capacity: {total: 3, cost: {voice: 4}}", "capacity.cost.voice",
     "4 is above the total capacity 3: a voice contact would never be offered"),
    ("capacity: {total: 3, cost: {fax: 1}}", "capacity.cost.fax", "unknown channel 'fax' (known: voice, chat, "
                                                                   "email, sms, messenger)"),
    ("capacity: {total: 3, cost: {}}", "capacity.cost", "empty: name at least one channel"),
    ("capacity: {total: 3}", "capacity.cost", "missing: what one contact of each channel"),
    ("capacity: {cost: {voice: 1}}", "capacity.total", "missing"),
    ("capacity: {total: 0, cost: {voice: 1}}", "capacity.total", "0 is out of range 1..1000"),
    ("capacity: {total: 3, cost: {chat: 1}, limit: 2}", "capacity.limit", "unknown key"),
    ("capacity: {total: 3, cost: {chat: 1}, offer_during: {telegram: [chat]}}", "capacity.offer_during.telegram",
     "unknown channel 'telegram'"),
    ("capacity: {total: 3, cost: {chat: 1}, offer_during: {chat: [chat, fax-wrap-up]}}",
     "capacity.offer_during.chat[1]", "unknown channel 'fax-wrap-up'"),
    ("capacity: {total: 3, cost: {chat: 1}, offer_during: {email: [chat]}}", "capacity.offer_during.email",
     "email has no cost: the agent does not handle it"),
    ("capacity: {total: 3, cost: {voice: 1}, offer_during: {voice: [voice-wrap-up]}}",
     "capacity.offer_during.voice", "an agent has one phone"),
    ("capacity: {total: 3, cost: {voice: 1}, offer_during: {voice: voice}}", "capacity.offer_during.voice",
     "an agent has one phone"),
])
def test_capacity_mistakes_are_reported_at_their_key(tree: Tree, capacity: str, key: str, problem: str) -> None:
    agent_1008_with(tree, capacity)
    operator_with(tree, capacity)
    found = problems(tree)
    assert any(line.startswith(f"{AGENTS}: 1008.{key}: {problem}") for line in found), found
    assert any(line.startswith(f"{QUEUES}: operator.{key}: {problem}") for line in found), found


def test_a_capacity_that_is_not_a_mapping_is_refused(tree: Tree) -> None:
    agent_1008_with(tree, "capacity: 3")
    assert f"{AGENTS}: 1008.capacity: expected a mapping, got number 3" in problems(tree)

