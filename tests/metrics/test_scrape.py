"""A running controller's /metrics after real calls; every metric the dashboard and the alert rules query is there."""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from pathlib import Path

import yaml
from integration.conftest import wait_until
from prometheus_client.parser import text_string_to_metric_families

from ccswitch.acd.agents import AgentState, Ready, TakeBreak
from ccswitch.sim import CallerScript

from .conftest import MeteredCentre

ROOT = Path(__file__).resolve().parents[2]
DASHBOARD = ROOT / "config" / "grafana" / "ccswitch.json"
ALERTS = ROOT / "config" / "prometheus" / "alerts.yml"
SUPPORT = ("2",)
METRIC_NAME = re.compile(r"\bccswitch_[a-z0-9_]+")


def scrape(metered: MeteredCentre) -> dict[tuple[str, frozenset[tuple[str, str]]], float]:
    status, text = metered.get("/metrics")
    assert status == 200
    return {(sample.name, frozenset(sample.labels.items())): sample.value
            for family in text_string_to_metric_families(text) for sample in family.samples}


def sample(samples: dict[tuple[str, frozenset[tuple[str, str]]], float], name: str, **labels: str) -> float | None:
    return samples.get((name, frozenset(labels.items())))


def calls(samples: dict[tuple[str, frozenset[tuple[str, str]]], float], name: str, **labels: str) -> float | None:
    """A queue figure of the calls (``channel="voice"``)."""
    return sample(samples, name, channel="voice", **labels)


def test_a_waiting_call_shows_live_and_its_outcome_is_counted_once_answered(metered: MeteredCentre) -> None:
    controller = metered.centre.controller
    support = controller.config.members("support")
    for agent_id in support:
        controller.agent_action(agent_id, TakeBreak("meeting"))
    caller = metered.centre.switch.place_call(CallerScript(dtmf=SUPPORT, talk_s=20))

    def waiting() -> float | None:
        return calls(scrape(metered), "ccswitch_queue_calls_waiting", queue="support")

    wait_until(lambda: waiting() == 1, what="the call to show as waiting")
    wait_until(lambda: (calls(scrape(metered), "ccswitch_queue_longest_wait_seconds", queue="support") or 0) > 0,
               what="its wait to grow")
    now = scrape(metered)
    assert sample(now, "ccswitch_queue_agents", queue="support", state="on_break") == len(support)
    assert sample(now, "ccswitch_queue_occupancy_ratio", queue="support") is None  # nobody staffed
    assert calls(now, "ccswitch_queue_calls_offered_total", queue="support") == 0  # not until it leaves the queue

    controller.agent_action(support[0], Ready())
    engine = controller.engine
    wait_until(lambda: engine.stats.queues["support"].answered == 1, what="the call to be answered")
    wait_until(lambda: caller not in metered.centre.switch.channels, what="the call to end")
    wait_until(lambda: engine.agents[support[0]].state is AgentState.AVAILABLE, what="wrap-up to end")
    after = scrape(metered)
    assert calls(after, "ccswitch_queue_calls_waiting", queue="support") == 0
    assert calls(after, "ccswitch_queue_calls_offered_total", queue="support") == 1
    assert calls(after, "ccswitch_queue_calls_answered_total", queue="support") == 1
    assert calls(after, "ccswitch_queue_answer_wait_seconds_count", queue="support") == 1
    assert calls(after, "ccswitch_queue_calls_handled_total", queue="support") == 1
    assert (calls(after, "ccswitch_queue_talk_seconds_total", queue="support") or 0) > 0
    assert (calls(after, "ccswitch_queue_wrap_up_seconds_total", queue="support") or 0) >= 15  # support's wrap_up_s
    assert calls(after, "ccswitch_queue_asa_seconds", queue="support", period="today") is not None
    assert calls(after, "ccswitch_queue_service_level_of_answered_ratio", queue="support", period="today") is not None
    assert calls(after, "ccswitch_queue_calls_short_abandoned_total", queue="support") == 0
    assert calls(after, "ccswitch_queue_service_level_threshold_seconds", queue="support") == 20
    assert sample(after, "ccswitch_queue_short_abandon_threshold_seconds", queue="support") == 5
    assert calls(after, "ccswitch_queue_calls_offered_total", queue="sales") == 0
    assert sample(after, "ccswitch_esl_connected", node="fs1") == 1
    assert (sample(after, "ccswitch_esl_events_received_total", node="fs1", event="CHANNEL_PARK") or 0) >= 1
    assert (sample(after, "ccswitch_esl_command_seconds_count", node="fs1") or 0) >= 3
    assert (sample(after, "ccswitch_store_operation_seconds_count", operation="update_agent") or 0) >= 1
    assert metered.get("/healthz") == (200, '{"status": "ok", "esl_connected": {"fs1": true}, "store_available": '
                                            'true, "reasons": []}')


def panel_exprs(panels: list[dict[str, object]]) -> Iterator[str]:
    for panel in panels:
        yield from (str(target["expr"]) for target in panel.get("targets", []))  # type: ignore[attr-defined]
        yield from panel_exprs(panel.get("panels", []))  # type: ignore[arg-type]


def dashboard_exprs() -> list[str]:
    return list(panel_exprs(json.loads(DASHBOARD.read_text())["panels"]))


def alert_exprs() -> list[str]:
    return [rule["expr"] for group in yaml.safe_load(ALERTS.read_text())["groups"] for rule in group["rules"]]


def test_every_metric_the_dashboard_and_the_alerts_query_is_in_the_controllers_output(metered: MeteredCentre) -> None:
    engine = metered.centre.controller.engine
    metered.centre.switch.place_call(CallerScript(dtmf=SUPPORT, talk_s=20))
    wait_until(lambda: engine.stats.queues["support"].answered == 1, what="a call to be answered")
    served = {name for name, _labels in scrape(metered)}

    queried = {name for expr in [*dashboard_exprs(), *alert_exprs()] for name in METRIC_NAME.findall(expr)}
    assert len(queried) >= 15
    # Served once an agent takes a text channel (tests/metrics/test_channels.py); these agents take calls only.
    text_only = {f"ccswitch_queue_first_response_seconds_{part}" for part in ("bucket", "sum", "count")}
    # Served once a predictive campaign has 100 person answers to judge its share by (tests/dialer/test_runner.py).
    later = text_only | {"ccswitch_dialer_lost_ratio"}
    assert queried - later <= served, f"queried but not served: {sorted(queried - later - served)}"


def test_the_dashboard_is_importable_as_is_with_the_datasource_as_a_variable() -> None:
    dashboard = json.loads(DASHBOARD.read_text())
    variables = {v["name"]: v for v in dashboard["templating"]["list"]}
    assert variables["datasource"]["type"] == "datasource" and variables["datasource"]["query"] == "prometheus"
    assert "__inputs" not in dashboard  # nothing to map on import

    def check(panels: list[dict[str, object]]) -> Iterator[int]:
        for panel in panels:
            yield int(panel["id"])  # type: ignore[call-overload]
            if panel.get("targets"):
                assert panel["datasource"] == {"type": "prometheus", "uid": "${datasource}"}, panel["title"]
            yield from check(panel.get("panels", []))  # type: ignore[arg-type]

    ids = list(check(dashboard["panels"]))
    assert len(ids) == len(set(ids))
    titles = " ".join(str(p["title"]) for p in dashboard["panels"]).lower()
    for subject in ("service level", "asa", "abandon", "waiting", "agents by state", "occupancy", "dialler",
                    "esl", "store"):
        assert subject in titles


def test_repaired_stuck_offers_are_counted(metered: MeteredCentre) -> None:
    assert sample(scrape(metered), "ccswitch_stuck_offers_repaired_total") == 0
    metered.centre.controller.engine.stuck_offers_repaired = 2
    assert sample(scrape(metered), "ccswitch_stuck_offers_repaired_total") == 2
