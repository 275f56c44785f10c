"""A real Prometheus scrapes a running controller: it sees the series, evaluates every dashboard query and every
alert rule against them. Needs the ``prometheus`` binary (Debian: ``apt-get install prometheus``)."""

from __future__ import annotations

import json
import re
import shutil
import socket
import subprocess
import urllib.parse
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from integration.conftest import wait_until

from ccswitch.sim import CallerScript

from .conftest import MeteredCentre, http_get
from .test_scrape import ALERTS, SUPPORT, dashboard_exprs

PROMETHEUS = shutil.which("prometheus")
pytestmark = pytest.mark.skipif(PROMETHEUS is None, reason="the prometheus binary is not installed")


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
        return port


class PrometheusServer:
    def __init__(self, base_url: str) -> None:
        self.base_url = base_url

    def api(self, path: str, **params: str) -> Any:
        """The ``data`` of a successful API answer, or None while Prometheus is not answering yet."""
        try:
            status, body = http_get(f"{self.base_url}/api/v1/{path}?{urllib.parse.urlencode(params)}")
        except OSError:
            return None
        answer = json.loads(body)
        assert status == 200 and answer["status"] == "success", (path, params, answer)
        return answer["data"]

    def value(self, query: str) -> float | None:
        data = self.api("query", query=query)
        if not data or not data["result"]:
            return None
        return float(data["result"][0]["value"][1])


@pytest.fixture
def prometheus(metered: MeteredCentre, tmp_path: Path) -> Iterator[PrometheusServer]:
    assert PROMETHEUS is not None
    config = tmp_path / "prometheus.yml"
    config.write_text(json.dumps({  # JSON is YAML
        "global": {"scrape_interval": "1s", "evaluation_interval": "1s"},
        "rule_files": [str(ALERTS)],
        "scrape_configs": [{"job_name": "ccswitch",
                            "static_configs": [{"targets": [f"127.0.0.1:{metered.server.server_port}"]}]}],
    }))
    port = free_port()
    log = (tmp_path / "prometheus.log").open("wb")
    process = subprocess.Popen(
        [PROMETHEUS, f"--config.file={config}", f"--storage.tsdb.path={tmp_path / 'data'}",
         f"--web.listen-address=127.0.0.1:{port}", "--log.level=warn"],
        stdout=log, stderr=subprocess.STDOUT,
    )
    try:
        yield PrometheusServer(f"http://127.0.0.1:{port}")
    finally:
        process.terminate()
        process.wait(timeout=10)
        log.close()


def test_prometheus_scrapes_the_controller_and_evaluates_the_dashboard_and_the_alert_rules(
    metered: MeteredCentre, prometheus: PrometheusServer,
) -> None:
    engine = metered.centre.controller.engine
    metered.centre.switch.place_call(CallerScript(dtmf=SUPPORT, talk_s=20))
    wait_until(lambda: engine.stats.queues["support"].answered == 1, what="a call to be answered")

    # support has a chat series too (agent 1005 takes chats): the call is the voice one
    offered = 'ccswitch_queue_calls_offered_total{queue="support", channel="voice"}'
    wait_until(lambda: prometheus.value(offered) == 1, timeout=15, what="Prometheus to scrape the answered call")
    assert prometheus.value('ccswitch_esl_connected{job="ccswitch", node="fs1"}') == 1
    assert prometheus.value('ccswitch_queue_agents{queue="sales", state="available"}') == 4

    for expr in dashboard_exprs():
        prometheus.api("query", query=re.sub(r"\$(queue|campaign|channel)\b", ".*", expr))  # errors fail here

    def rules() -> list[dict[str, Any]]:
        data = prometheus.api("rules") or {"groups": []}
        return [rule for group in data["groups"] for rule in group["rules"]]

    wait_until(lambda: len(rules()) == 8 and all(rule["health"] == "ok" for rule in rules()), timeout=10,
               what="every alert rule to be evaluated without error")
    assert [rule["name"] for rule in rules() if rule["state"] != "inactive"] == []
