"""Figures per queue and channel: Stats keeps each channel apart and measures chat against its own service-level
threshold; the metrics carry a ``channel`` label, chat's series exist once an agent handles chat, and the engine's
agents show how many contacts of each channel they hold."""

from __future__ import annotations

import json
import re
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field, replace
from datetime import datetime
from pathlib import Path
from types import MappingProxyType
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from prometheus_client import generate_latest

from ccswitch.acd import QueueEntry
from ccswitch.acd.agents import Agent, AgentState
from ccswitch.acd.capacity import AgentCapacity, Channel
from ccswitch.admission import Capacity, Limit, NodeLoad
from ccswitch.config import Config, load_config
from ccswitch.config.model import ChatSettings
from ccswitch.metrics import EngineCollector, Metrics, contacts_held
from ccswitch.stats import Stats, channels_in_use

ROOT = Path(__file__).resolve().parents[2]
DASHBOARD = ROOT / "config" / "grafana" / "ccswitch.json"
TEN_AM = datetime(2026, 11, 23, 10, 0, tzinfo=ZoneInfo("Europe/Moscow")).timestamp()
VOICE, CHAT = Channel.VOICE, Channel.CHAT


@pytest.fixture(scope="module")
def config() -> Config:
    """The shipped configuration, agent 1004 also taking chats (three at a time, or one call)."""
    shipped = load_config(ROOT / "config" / "ccswitch.yaml", env={})
    chat_too = AgentCapacity(3, MappingProxyType({VOICE: 3, CHAT: 1}))
    agents = {**shipped.agents, "1004": replace(shipped.agents["1004"], capacity=chat_too)}
    return replace(shipped, agents=agents, chat=ChatSettings(service_level_s=60))


def value(metrics: Metrics, name: str, **labels: str) -> float | None:
    sample: float | None = metrics.registry.get_sample_value(name, labels)
    return sample


# ---------------------------------------------------------------------------------------------- Stats
def test_given_chat_at_60_s_and_voice_at_20_s_then_each_channel_counts_against_its_own_threshold() -> None:
    stats = Stats(service_level_s=20.0, channel_thresholds={CHAT: 60.0})
    stats.answered("support", "1004", 45.0)  # a call: over 20 s
    stats.answered("support", "1004", 45.0, channel=CHAT)  # a chat: within 60 s
    stats.answered("support", "1005", 60.0, channel=CHAT)  # on the threshold counts as within
    stats.answered("support", "1005", 61.0, channel=CHAT)
    stats.abandoned("support", 30.0, channel=CHAT)
    stats.overflowed("support", channel=CHAT)

    chat, voice = stats.channels[CHAT]["support"], stats.queues["support"]
    assert (chat.offered, chat.answered, chat.answered_within_sl, chat.abandoned, chat.overflowed) == (5, 3, 2, 1, 1)
    assert chat.service_level == pytest.approx(2 / 5)
    assert chat.asa == pytest.approx((45 + 60 + 61) / 3)
    assert (voice.offered, voice.answered, voice.answered_within_sl, voice.service_level) == (1, 1, 0, 0.0)
    assert stats.queues is stats.channels[VOICE]  # the calls: what there was before channels
    assert (stats.total(CHAT).offered, stats.total(VOICE).offered, stats.total().offered) == (5, 1, 6)
    assert stats.agents["1004"].answered == 2  # contacts of every channel


def test_handle_time_and_first_response_are_kept_per_channel() -> None:
    stats = Stats()
    stats.handled("support", 600.0, channel=CHAT)
    stats.handled("support", 300.0, channel=CHAT)
    stats.handled("support", 120.0)  # a call
    stats.first_response("support", CHAT, 12.0)
    stats.first_response("support", CHAT, 18.0)
    chat, voice = stats.channels[CHAT]["support"], stats.queues["support"]
    assert (chat.handled, chat.aht, chat.first_responses, chat.average_first_response) == (2, 450.0, 2, 15.0)
    assert (voice.handled, voice.aht, voice.average_first_response) == (1, 120.0, None)
    assert stats.total().aht == pytest.approx(340.0)


def test_for_config_takes_chats_threshold_and_a_reload_changes_it(config: Config) -> None:
    stats = Stats.for_config(config)
    assert stats.service_level_threshold("support", CHAT) == 60
    assert stats.service_level_threshold("support", VOICE) == config.queues["support"].service_level_s == 20
    assert stats.service_level_threshold("support", Channel.EMAIL) == 20  # no threshold of its own: the queue's
    stats.reconfigure(replace(config, chat=ChatSettings(service_level_s=90)))
    stats.answered("support", "1004", 75.0, channel=CHAT)
    assert stats.channels[CHAT]["support"].answered_within_sl == 1


def test_the_channels_in_use_are_voice_and_those_some_agent_handles(config: Config) -> None:
    assert channels_in_use(config) == (VOICE, CHAT)
    voice_only = {agent_id: replace(agent, capacity=AgentCapacity()) for agent_id, agent in config.agents.items()}
    assert channels_in_use(replace(config, agents=voice_only)) == (VOICE,)


# ---------------------------------------------------------------------------------------------- metrics
def test_every_queue_has_voice_and_chat_series_and_its_thresholds_per_channel(config: Config) -> None:
    metrics = Metrics(config, lambda: TEN_AM)
    for queue in config.queues:
        for channel in ("voice", "chat"):
            assert value(metrics, "ccswitch_queue_calls_offered_total", queue=queue, channel=channel) == 0
            assert value(metrics, "ccswitch_queue_handle_seconds_count", queue=queue, channel=channel) == 0
        assert value(metrics, "ccswitch_queue_first_response_seconds_count", queue=queue, channel="chat") == 0
        assert value(metrics, "ccswitch_queue_service_level_threshold_seconds", queue=queue, channel="chat") == 60
    assert value(metrics, "ccswitch_queue_service_level_threshold_seconds", queue="support", channel="voice") == 20
    assert 'channel="email"' not in generate_latest(metrics.registry).decode()  # no agent handles it


def test_chat_outcomes_are_exposed_with_their_channel_and_chats_threshold(config: Config) -> None:
    metrics = Metrics(config, lambda: TEN_AM)
    stats = Stats.for_config(config)
    stats.sink = metrics
    stats.answered("support", "1004", 45.0, channel=CHAT)  # within chat's 60 s
    stats.answered("support", "1004", 45.0)  # a call: not within 20 s
    stats.abandoned("support", 2.0, channel=CHAT)  # short
    stats.first_response("support", CHAT, 30.0)
    stats.handled("support", 900.0, channel=CHAT)
    stats.handled("support", 200.0)  # a call: its count, talk and wrap-up come from talked / wrapped_up
    stats.answered("sales", "1004", 5.0, channel=CHAT)  # a chat beside the call: its talk stays the call's
    stats.talked("1004", 150.0)

    def chat(name: str, **labels: str) -> float | None:
        return value(metrics, name, queue="support", channel="chat", **labels)

    assert value(metrics, "ccswitch_queue_talk_seconds_total", queue="support", channel="voice") == 150.0
    assert (chat("ccswitch_queue_calls_offered_total"), chat("ccswitch_queue_calls_answered_total"),
            chat("ccswitch_queue_calls_answered_within_threshold_total"), chat("ccswitch_queue_calls_abandoned_total"),
            chat("ccswitch_queue_calls_short_abandoned_total"), chat("ccswitch_queue_calls_handled_total")) == (
        2, 1, 1, 1, 1, 1)
    assert value(metrics, "ccswitch_queue_calls_answered_within_threshold_total", queue="support",
                 channel="voice") == 0
    assert chat("ccswitch_queue_answer_wait_seconds_sum") == 45.0
    assert chat("ccswitch_queue_first_response_seconds_bucket", le="30.0") == 1
    assert chat("ccswitch_queue_handle_seconds_sum") == 900.0
    assert value(metrics, "ccswitch_queue_handle_seconds_sum", queue="support", channel="voice") == 200.0
    assert value(metrics, "ccswitch_queue_calls_handled_total", queue="support", channel="voice") == 1  # talked
    for period in ("15m", "today"):
        assert chat("ccswitch_queue_service_level_ratio", period=period) == 0.5
        assert chat("ccswitch_queue_service_level_excluding_short_abandons_ratio", period=period) == 1.0
        assert chat("ccswitch_queue_asa_seconds", period=period) == 45.0
        assert chat("ccswitch_queue_aht_seconds", period=period) == 900.0
        assert chat("ccswitch_queue_average_first_response_seconds", period=period) == 30.0
        assert value(metrics, "ccswitch_queue_service_level_ratio", queue="support", channel="voice",
                     period=period) == 0.0
        assert value(metrics, "ccswitch_queue_average_first_response_seconds", queue="support", channel="voice",
                     period=period) is None


@dataclass
class FakeEngine:
    """Just what ``EngineCollector`` reads (``EngineView``): agents and queue entries, no nodes."""

    config: Config
    agents: Mapping[str, Agent]
    entries: list[QueueEntry] = field(default_factory=list)
    stuck_offers_repaired: int = 0
    offer_failures: Mapping[tuple[str, str], int] = field(default_factory=dict)
    capacities: Mapping[str, Capacity] = field(default_factory=dict)
    overload_overflows: Mapping[tuple[str, Limit], int] = field(default_factory=dict)
    dropped_by_switch: Mapping[tuple[str, str], int] = field(default_factory=dict)
    kept_for_outbound: frozenset[str] = frozenset()

    def members(self, queue: str) -> tuple[str, ...]:
        return self.config.members(queue)

    def queued_entries(self) -> list[QueueEntry]:
        return self.entries

    def callbacks_pending(self) -> dict[str, int]:
        return {}

    def node_load(self, node: str) -> NodeLoad:
        raise AssertionError("no nodes")


def test_contacts_held_count_each_agents_contacts_by_channel() -> None:
    agents = [Agent("1000", AgentState.ON_CALL, 0.0, direct_calls=1), Agent("1001", AgentState.WRAP_UP, 0.0),
              Agent("1002", AgentState.AVAILABLE, 0.0)]
    assert contacts_held(agents) == {("1000", VOICE): 2, ("1001", VOICE): 1}


def test_the_engines_agents_and_waiting_contacts_are_exposed_by_channel(config: Config) -> None:
    agents = {"1004": Agent("1004", AgentState.ON_CALL, 0.0, direct_calls=1),
              "1005": Agent("1005", AgentState.RESERVED, 0.0), "1006": Agent("1006", AgentState.AVAILABLE, 0.0)}
    entries = [QueueEntry("c1", "support", 0, TEN_AM - 30, 1),
               QueueEntry("chat-1", "support", 0, TEN_AM - 90, 2, channel=CHAT),
               QueueEntry("chat-2", "support", 0, TEN_AM - 10, 3, channel=CHAT)]
    metrics = Metrics(config, lambda: TEN_AM, per_agent=True)
    metrics.registry.register(EngineCollector(FakeEngine(config, agents, entries), lambda: TEN_AM, per_agent=True))
    assert value(metrics, "ccswitch_queue_calls_waiting", queue="support", channel="voice") == 1
    assert value(metrics, "ccswitch_queue_calls_waiting", queue="support", channel="chat") == 2
    assert value(metrics, "ccswitch_queue_longest_wait_seconds", queue="support", channel="chat") == 90
    assert value(metrics, "ccswitch_queue_calls_waiting", queue="sales", channel="chat") == 0
    assert (value(metrics, "ccswitch_contacts_held", channel="voice"),
            value(metrics, "ccswitch_agents_holding_contacts", channel="voice")) == (3, 2)
    assert (value(metrics, "ccswitch_contacts_held", channel="chat"),
            value(metrics, "ccswitch_agents_holding_contacts", channel="chat")) == (0, 0)
    assert value(metrics, "ccswitch_agent_contacts_held", agent="1004", channel="voice") == 2
    assert value(metrics, "ccswitch_agent_contacts_held", agent="1006", channel="chat") == 0


def test_available_agents_the_dialler_keeps_for_its_lines_are_counted_in_each_of_their_queues(config: Config) -> None:
    agents = {agent_id: Agent(agent_id, AgentState.AVAILABLE, 0.0) for agent_id in ("1001", "1002", "1003")}
    engine = FakeEngine(config, agents, kept_for_outbound=frozenset({"1002", "1003"}))  # 1003: sales and support
    metrics = Metrics(config, lambda: TEN_AM)
    metrics.registry.register(EngineCollector(engine, lambda: TEN_AM))
    assert value(metrics, "ccswitch_queue_agents_kept_for_outbound", queue="sales") == 2
    assert value(metrics, "ccswitch_queue_agents_kept_for_outbound", queue="support") == 1
    assert value(metrics, "ccswitch_queue_agents_kept_for_outbound", queue="operator") == 0
    assert value(metrics, "ccswitch_queue_agents", queue="sales", state="available") == 3  # still available


# ---------------------------------------------------------------------------------------------- the dashboard
SELECTOR = re.compile(r"\b(ccswitch_[a-z0-9_]+)(\{[^}]*\})?")


def channel_labelled(config: Config) -> set[str]:
    """Every sample name the controller serves with a ``channel`` label."""
    metrics = Metrics(config, lambda: TEN_AM)
    metrics.registry.register(EngineCollector(FakeEngine(config, {}), lambda: TEN_AM))
    metrics.answered("support", "1004", 5.0, CHAT)  # the period figures appear with the first outcome
    metrics.first_response("support", CHAT, 5.0)
    metrics.handled("support", 5.0, CHAT)
    return {sample.name for family in metrics.registry.collect() for sample in family.samples
            if "channel" in sample.labels}


def test_the_dashboard_has_a_channel_variable_and_every_query_of_a_channel_metric_filters_by_it(
        config: Config) -> None:
    dashboard = json.loads(DASHBOARD.read_text())
    variables = {variable["name"]: variable for variable in dashboard["templating"]["list"]}
    channel = variables["channel"]
    assert channel["query"]["query"] == "label_values(ccswitch_queue_calls_offered_total, channel)"
    assert (channel["includeAll"], channel["multi"], channel["allValue"]) == (True, True, ".*")

    labelled = channel_labelled(config)
    assert {"ccswitch_queue_calls_offered_total", "ccswitch_queue_calls_waiting", "ccswitch_contacts_held",
            "ccswitch_queue_first_response_seconds_bucket", "ccswitch_queue_service_level_ratio"} <= labelled
    filtered = 0
    for panel in panels(dashboard["panels"]):
        for target in panel.get("targets", []):
            for name, selector in SELECTOR.findall(target["expr"]):
                if name in labelled:
                    assert 'channel=~"$channel"' in selector, f"{panel['title']}: {name}{selector}"
                    assert "{{channel}}" in target["legendFormat"], panel["title"]
                    filtered += 1
    assert filtered >= 20
    titles = {panel["title"] for panel in panels(dashboard["panels"])}
    assert {"First response time (text contacts, 15 min)", "Concurrency: contacts per agent holding the channel",
            "AHT (talk + wrap-up, 15 min)"} <= titles


def panels(items: list[dict[str, Any]]) -> Iterator[dict[str, Any]]:
    for panel in items:
        yield panel
        yield from panels(panel.get("panels", []))
