"""Metrics without a network: the Stats sink, controller health, the instrumented store, and /healthz, /metrics."""

from __future__ import annotations

import json
from dataclasses import replace
from datetime import datetime
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
from prometheus_client import generate_latest

from ccswitch.acd import QueueEntry
from ccswitch.config import Config, load_config
from ccswitch.errors import StoreError
from ccswitch.http import serve_http
from ccswitch.metrics import Metrics
from ccswitch.store.memory import MemoryStore

from .conftest import http_get

ROOT = Path(__file__).resolve().parents[2]
TEN_AM = datetime(2026, 11, 23, 10, 0, tzinfo=ZoneInfo("Europe/Moscow")).timestamp()


class ManualTime:
    def __init__(self, now: float) -> None:
        self.value = now

    def __call__(self) -> float:
        return self.value


@pytest.fixture(scope="module")
def config() -> Config:
    return load_config(ROOT / "config" / "ccswitch.yaml", env={})


def value(metrics: Metrics, name: str, **labels: str) -> float | None:
    sample: float | None = metrics.registry.get_sample_value(name, labels)
    return sample


def voice(metrics: Metrics, name: str, **labels: str) -> float | None:
    """A queue figure of the calls (``channel="voice"``)."""
    return value(metrics, name, channel="voice", **labels)


def test_every_queue_and_node_series_exists_at_zero_before_anything_happens(config: Config) -> None:
    metrics = Metrics(config, ManualTime(TEN_AM))
    for queue in config.queues:
        assert voice(metrics, "ccswitch_queue_calls_offered_total", queue=queue) == 0
        assert voice(metrics, "ccswitch_queue_answer_wait_seconds_count", queue=queue) == 0
        assert voice(metrics, "ccswitch_queue_calls_short_abandoned_total", queue=queue) == 0
    assert value(metrics, "ccswitch_esl_connected", node="fs1") == 0
    assert value(metrics, "ccswitch_esl_reconnects_total", node="fs1") == 0
    # Nothing offered yet: no made-up service level.
    for variant in ("", "_excluding_short_abandons", "_of_answered"):
        assert voice(metrics, f"ccswitch_queue_service_level{variant}_ratio", queue="support", period="15m") is None


def test_each_queue_exports_its_own_thresholds(config: Config) -> None:
    support = replace(config.queues["support"], service_level_s=30)
    metrics = Metrics(replace(config, queues={**config.queues, "support": support}), ManualTime(TEN_AM))
    assert voice(metrics, "ccswitch_queue_service_level_threshold_seconds", queue="support") == 30
    assert voice(metrics, "ccswitch_queue_service_level_threshold_seconds", queue="sales") == 20
    assert value(metrics, "ccswitch_queue_short_abandon_threshold_seconds", queue="support") == 5
    assert value(metrics, "ccswitch_service_level_threshold_seconds") is None  # the old global one is gone
    metrics.answered("support", "1004", 25.0)  # within support's 30 s, not the main 20 s
    assert voice(metrics, "ccswitch_queue_calls_answered_within_threshold_total", queue="support") == 1


def test_outcomes_feed_counters_the_wait_histogram_and_the_period_gauges(config: Config) -> None:
    now = ManualTime(TEN_AM)
    metrics = Metrics(config, now)
    metrics.answered("support", "1004", 12.0)
    metrics.answered("support", "1005", 45.0)
    metrics.abandoned("support", 40.0)
    metrics.overflowed("support")
    now.value += 60
    metrics.talked("1004", 100.0)
    metrics.wrapped_up("1004", 15.0)

    assert voice(metrics, "ccswitch_queue_calls_offered_total", queue="support") == 4
    assert voice(metrics, "ccswitch_queue_calls_answered_total", queue="support") == 2
    assert voice(metrics, "ccswitch_queue_calls_answered_within_threshold_total", queue="support") == 1
    assert voice(metrics, "ccswitch_queue_calls_abandoned_total", queue="support") == 1
    assert voice(metrics, "ccswitch_queue_calls_short_abandoned_total", queue="support") == 0
    assert voice(metrics, "ccswitch_queue_calls_overflowed_total", queue="support") == 1
    assert voice(metrics, "ccswitch_queue_answer_wait_seconds_bucket", queue="support", le="20.0") == 1
    assert voice(metrics, "ccswitch_queue_answer_wait_seconds_bucket", queue="support", le="45.0") == 2
    assert voice(metrics, "ccswitch_queue_answer_wait_seconds_sum", queue="support") == 57.0
    # The talk and wrap-up belong to the queue of the agent's call.
    assert voice(metrics, "ccswitch_queue_calls_handled_total", queue="support") == 1
    assert voice(metrics, "ccswitch_queue_talk_seconds_total", queue="support") == 100.0
    assert voice(metrics, "ccswitch_queue_wrap_up_seconds_total", queue="support") == 15.0
    assert value(metrics, "ccswitch_agent_calls_handled_total") == 1

    for period in ("15m", "today"):
        assert voice(metrics, "ccswitch_queue_service_level_ratio", queue="support", period=period) == 0.25
        assert voice(metrics, "ccswitch_queue_service_level_excluding_short_abandons_ratio", queue="support",
                     period=period) == 0.25  # no short abandon: the same as of offered
        assert voice(metrics, "ccswitch_queue_service_level_of_answered_ratio", queue="support",
                     period=period) == 0.5
        assert voice(metrics, "ccswitch_queue_asa_seconds", queue="support", period=period) == 28.5
        assert voice(metrics, "ccswitch_queue_abandon_ratio", queue="support", period=period) == 0.25
        assert voice(metrics, "ccswitch_queue_aht_seconds", queue="support", period=period) == 115.0
    now.value += 16 * 60
    assert voice(metrics, "ccswitch_queue_service_level_ratio", queue="support", period="15m") is None
    assert voice(metrics, "ccswitch_queue_service_level_ratio", queue="support", period="today") == 0.25


def test_short_abandons_are_counted_and_left_out_of_one_service_level_variant(config: Config) -> None:
    metrics = Metrics(config, ManualTime(TEN_AM))
    metrics.answered("sales", "1000", 8.0)  # within 20 s
    metrics.answered("sales", "1001", 50.0)
    metrics.abandoned("sales", 1.5)  # short (under 5 s)
    metrics.abandoned("sales", 5.0)  # on the short threshold: a real abandon
    metrics.abandoned("sales", 90.0)
    assert voice(metrics, "ccswitch_queue_calls_abandoned_total", queue="sales") == 3
    assert voice(metrics, "ccswitch_queue_calls_short_abandoned_total", queue="sales") == 1
    assert voice(metrics, "ccswitch_queue_calls_offered_total", queue="sales") == 5
    for period in ("15m", "today"):
        assert voice(metrics, "ccswitch_queue_service_level_ratio", queue="sales", period=period) == 1 / 5
        assert voice(metrics, "ccswitch_queue_service_level_excluding_short_abandons_ratio", queue="sales",
                     period=period) == 1 / 4
        assert voice(metrics, "ccswitch_queue_service_level_of_answered_ratio", queue="sales",
                     period=period) == 1 / 2
        assert voice(metrics, "ccswitch_queue_abandon_ratio", queue="sales", period=period) == 3 / 5


def test_agent_labels_appear_only_when_configured(config: Config) -> None:
    plain = Metrics(config, ManualTime(TEN_AM))
    plain.missed("1003")
    assert value(plain, "ccswitch_agent_offers_missed_total") == 1
    assert "agent=" not in generate_latest(plain.registry).decode()

    per_agent = Metrics(config, ManualTime(TEN_AM), per_agent=True)
    per_agent.missed("1003")
    assert value(per_agent, "ccswitch_agent_offers_missed_total", agent="1003") == 1
    assert value(per_agent, "ccswitch_agent_talk_seconds_total", agent="1009") == 0


def test_a_node_coming_back_counts_a_reconnect_but_the_first_connection_does_not(config: Config) -> None:
    metrics = Metrics(config, ManualTime(TEN_AM))
    metrics.esl_connected("fs1", True)
    assert (value(metrics, "ccswitch_esl_connected", node="fs1"),
            value(metrics, "ccswitch_esl_reconnects_total", node="fs1")) == (1, 0)
    metrics.esl_connected("fs1", False)
    assert value(metrics, "ccswitch_esl_connected", node="fs1") == 0
    metrics.esl_connected("fs1", True)
    assert value(metrics, "ccswitch_esl_reconnects_total", node="fs1") == 1
    metrics.esl_event("fs1", "CHANNEL_PARK")
    metrics.command_latency("fs1", 0.003)
    assert value(metrics, "ccswitch_esl_events_received_total", node="fs1", event="CHANNEL_PARK") == 1
    assert value(metrics, "ccswitch_esl_command_seconds_bucket", node="fs1", le="0.005") == 1


class BrokenStore(MemoryStore):
    def next_seq(self) -> int:
        raise StoreError("redis: connection refused")


def test_instrumented_store_times_operations_and_counts_failures_then_passes_them_on(config: Config) -> None:
    metrics = Metrics(config, ManualTime(TEN_AM))
    store = metrics.instrument(BrokenStore())
    store.add_entry(QueueEntry("c1", "sales", 0, TEN_AM, 1))
    assert [entry.call for entry in store.entries("sales")] == ["c1"]
    with pytest.raises(StoreError):
        store.next_seq()
    assert value(metrics, "ccswitch_store_operation_seconds_count", operation="add_entry") == 1
    assert value(metrics, "ccswitch_store_operation_seconds_count", operation="next_seq") == 1
    assert value(metrics, "ccswitch_store_errors_total", operation="next_seq") == 1
    assert value(metrics, "ccswitch_store_errors_total", operation="add_entry") == 0


def test_http_serves_metrics_and_health_which_turns_503_while_a_node_is_down(config: Config) -> None:
    metrics = Metrics(config, ManualTime(TEN_AM))
    server = serve_http(metrics, "127.0.0.1", 0)
    try:
        def client(path: str) -> tuple[int, str]:
            return http_get(f"http://127.0.0.1:{server.server_port}{path}")

        status, body = client("/healthz")
        assert (status, json.loads(body)) == (503, {"status": "degraded", "esl_connected": {"fs1": False},
                                                    "store_available": True,
                                                    "reasons": ["FreeSWITCH node fs1: event socket down"]})
        metrics.esl_connected("fs1", True)
        assert client("/healthz") == (200, '{"status": "ok", "esl_connected": {"fs1": true}, "store_available": '
                                           'true, "reasons": []}')
        status, body = client("/metrics")
        assert status == 200 and 'ccswitch_esl_connected{node="fs1"} 1.0' in body
        assert client("/nothing")[0] == 404
    finally:
        server.stop()


def test_a_store_outage_turns_health_503_with_its_start_and_is_counted_with_its_length(config: Config) -> None:
    time = ManualTime(TEN_AM)
    metrics = Metrics(config, time)
    metrics.esl_connected("fs1", True)
    server = serve_http(metrics, "127.0.0.1", 0)
    try:
        assert value(metrics, "ccswitch_store_available") == 1
        metrics.store_availability(False, TEN_AM)
        time.value += 12
        status, body = http_get(f"http://127.0.0.1:{server.server_port}/healthz")
        started = datetime.fromtimestamp(TEN_AM, ZoneInfo("UTC")).isoformat(timespec="seconds")
        assert (status, json.loads(body)) == (503, {
            "status": "degraded", "esl_connected": {"fs1": True}, "store_available": False,
            "reasons": [f"store unavailable since {started} (12 s): calls are queued, no new offers until it is back"]})
        assert value(metrics, "ccswitch_store_available") == 0
        metrics.store_availability(True, TEN_AM + 12)
        assert http_get(f"http://127.0.0.1:{server.server_port}/healthz")[0] == 200
    finally:
        server.stop()
    assert value(metrics, "ccswitch_store_available") == 1
    assert value(metrics, "ccswitch_store_outages_total") == 1
    assert value(metrics, "ccswitch_store_outage_seconds_total") == 12

