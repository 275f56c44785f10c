"""A contact centre on loopback (tests/integration) with metrics wired and the HTTP server on a free port."""

from __future__ import annotations

import urllib.error
import urllib.request
from collections.abc import Iterator
from dataclasses import dataclass

import pytest
from gevent.pywsgi import WSGIServer
from integration.conftest import ContactCentre, build

from ccswitch.http import serve_http
from ccswitch.metrics import Metrics


@dataclass
class MeteredCentre:
    centre: ContactCentre
    metrics: Metrics
    server: WSGIServer

    @property
    def base_url(self) -> str:
        return f"http://127.0.0.1:{self.server.server_port}"

    def get(self, path: str) -> tuple[int, str]:
        return http_get(self.base_url + path)


def http_get(url: str) -> tuple[int, str]:
    """Status and body, error statuses included."""
    try:
        with urllib.request.urlopen(url, timeout=5) as response:
            return response.status, response.read().decode()
    except urllib.error.HTTPError as error:
        return error.code, error.read().decode()


@pytest.fixture
def metered() -> Iterator[MeteredCentre]:
    centre = build()
    metrics = centre.controller.metrics
    server = serve_http(metrics, "127.0.0.1", 0)
    centre.start_controller()
    yield MeteredCentre(centre, metrics, server)
    server.stop()
    centre.controller.stop()
    centre.server.stop()
    centre.switch.shutdown()
