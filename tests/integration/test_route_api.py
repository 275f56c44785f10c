"""``GET /api/route``: the running controller explains how its configuration routes a call (real HTTP)."""

from __future__ import annotations

import json
import urllib.error
import urllib.parse
import urllib.request
from collections.abc import Iterator
from typing import Any

import pytest

from ccswitch.http import serve_http

from .conftest import ContactCentre


@pytest.fixture
def url(centre: ContactCentre) -> Iterator[str]:
    server = serve_http(centre.controller.metrics, "127.0.0.1", 0, centre.controller)
    yield f"http://127.0.0.1:{server.server_port}"
    server.stop()


def get(url: str, **query: str) -> tuple[int, Any]:
    try:
        with urllib.request.urlopen(f"{url}/api/route?{urllib.parse.urlencode(query)}", timeout=10) as response:
            return response.status, json.load(response)
    except urllib.error.HTTPError as exc:
        return exc.code, json.load(exc)


def test_the_issue_example_as_json(url: str) -> None:
    status, document = get(url, did="88005550556", caller="79161234567", at="2026-12-08 19:30")

    assert status == 200
    assert document["at"] == "2026-12-08T19:30:00+03:00"
    assert [(rule["rule"], [miss["kind"] for miss in rule["misses"]]) for rule in document["rules"]] == [
        ("holidays", ["calendar"]), ("business-hours", ["calendar"]), ("out-of-hours", [])]
    assert document["first_step"]["text"] == "play announce/closed, then hang up (NORMAL_CLEARING)"


def test_without_a_time_the_controllers_clock_decides(url: str) -> None:
    status, document = get(url, did="88005550556")  # the centre's clock starts on a Monday at 10:00 in Moscow

    assert status == 200
    assert document["at"].startswith("2026-11-23T10:0")
    assert document["matched_rule"] == "business-hours"
    assert [option["label"] for option in document["first_step"]["options"]][:2] == ["1", "2"]


def test_a_missing_did_or_a_bad_time_is_a_bad_request(url: str) -> None:
    assert get(url, caller="79161234567") == (400, {"error": "bad_request",
                                                    "message": 'give "did", the dialled number'})
    status, document = get(url, did="88005550556", at="half past seven")
    assert status == 400 and document["message"].startswith("bad time 'half past seven'")
