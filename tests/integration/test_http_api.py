"""The operations API's protocol over real HTTP: routes and methods, body limits, content types, error replies that
say what went wrong without quoting the request back."""

from __future__ import annotations

import json
from collections.abc import Iterator

import pytest

from ccswitch import __version__
from ccswitch.acd.agents import AgentState
from ccswitch.http import serve_http

from .conftest import ContactCentre, api_call


@pytest.fixture
def url(centre: ContactCentre) -> Iterator[str]:
    server = serve_http(centre.controller.metrics, "127.0.0.1", 0, centre.controller)
    yield f"http://127.0.0.1:{server.server_port}"
    server.stop()


@pytest.mark.parametrize("path", ["/api/nosuch", "/api/agents/1001/dance", "/api/campaigns/x/y/z", "/nosuch",
                                  "/api/agents/"])
def test_a_path_no_resource_has_is_404_not_found(url: str, path: str) -> None:
    status, reply, _ = api_call(url + path, "GET")
    assert (status, reply["error"]) == (404, "not_found")
    assert "nosuch" not in reply["message"] and "dance" not in reply["message"]


@pytest.mark.parametrize(("method", "path", "allowed"), [
    ("GET", "/api/reload", "POST"),
    ("DELETE", "/api/agents", "GET"),
    ("POST", "/api/queues", "GET"),
    ("GET", "/api/agents/1001/break", "POST"),
    ("PUT", "/api/monitor", "GET, POST"),
])
def test_a_method_the_resource_does_not_take_is_405_with_allow(url: str, method: str, path: str,
                                                                allowed: str) -> None:
    status, reply, headers = api_call(url + path, method, {} if method in ("POST", "PUT") else None)
    assert (status, reply["error"]) == (405, "method_not_allowed")
    assert headers["Allow"] == allowed


def test_an_unknown_break_reason_is_422_and_changes_nothing(centre: ContactCentre, url: str) -> None:
    status, reply, _ = api_call(f"{url}/api/agents/1004/break", "POST", {"reason": "nap"})
    assert (status, reply["error"]) == (422, "unknown_name")
    assert "lunch" in str(reply["message"])  # says which reasons there are
    assert centre.controller.engine.agents["1004"].state is AgentState.AVAILABLE


def test_an_unknown_agent_in_the_path_stays_404(url: str) -> None:
    status, reply, _ = api_call(f"{url}/api/agents/9999/break", "POST", {"reason": "lunch"})
    assert (status, reply["error"]) == (404, "unknown_name")


def test_a_refused_transition_is_said_in_words_not_a_python_repr(url: str) -> None:
    assert api_call(f"{url}/api/agents/1004/logout", "POST", {})[0] == 200
    status, reply, _ = api_call(f"{url}/api/agents/1004/break", "POST", {"reason": "lunch"})
    assert (status, reply["error"]) == (409, "invalid_transition")
    assert reply["message"] == "agent 1004: take break (lunch) is not allowed in state logged_out"


@pytest.mark.parametrize("content_type", ["application/x-www-form-urlencoded", "text/plain", "multipart/form-data"])
def test_a_body_without_a_json_content_type_is_415_and_runs_nothing(centre: ContactCentre, url: str,
                                                                     content_type: str) -> None:
    """What a page in a browser can send to another origin without asking first (a form post, a simple fetch)."""
    data = b'{"reason": "lunch"}' if content_type == "text/plain" else b"reason=lunch"
    status, reply, _ = api_call(f"{url}/api/agents/1004/break", "POST", data=data, content_type=content_type)
    assert (status, reply["error"]) == (415, "unsupported_media_type")
    assert centre.controller.engine.agents["1004"].state is AgentState.AVAILABLE


def test_a_json_content_type_with_a_charset_is_accepted(centre: ContactCentre, url: str) -> None:
    status, _, _ = api_call(f"{url}/api/agents/1004/break", "POST", {"reason": "lunch"},
                            content_type="application/json; charset=utf-8")
    assert status == 200
    assert centre.controller.engine.agents["1004"].state is AgentState.ON_BREAK


def test_bodies_are_limited_per_endpoint_and_never_quoted_back(centre: ContactCentre, url: str) -> None:
    padded = {"reason": "lunch", "padding": "x" * 6000}
    status, reply, _ = api_call(f"{url}/api/agents/1004/break", "POST", padded)
    assert (status, reply["error"]) == (413, "body_too_large")
    assert "xxx" not in json.dumps(reply) and "4096 bytes" in str(reply["message"])
    assert centre.controller.engine.agents["1004"].state is AgentState.AVAILABLE
    # A login may carry a list of queues: the same body fits under its larger limit.
    assert api_call(f"{url}/api/agents/1004/logout", "POST", {})[0] == 200
    status, reply, _ = api_call(f"{url}/api/agents/1004/login", "POST", {"queues": ["support"], "padding": "x" * 6000})
    assert status == 200, reply
    status, reply, _ = api_call(f"{url}/api/reload", "POST", {"padding": "x" * 1000})
    assert (status, reply["error"]) == (413, "body_too_large")


def test_long_or_malformed_values_are_refused_without_quoting_them(url: str) -> None:
    status, reply, _ = api_call(f"{url}/api/agents/1004/break", "POST", {"reason": "y" * 3000})
    assert (status, reply["error"]) == (400, "bad_request")
    assert "yyy" not in json.dumps(reply)
    status, reply, _ = api_call(f"{url}/api/agents/1004/break", "POST", data=b'{"reason": zzzz', )
    assert (status, reply["error"]) == (400, "bad_request")
    assert "zzzz" not in json.dumps(reply)
    status, reply, _ = api_call(f"{url}/api/agents/{'w' * 500}", "GET")
    assert (status, reply["error"]) == (404, "not_found")
    assert "www" not in json.dumps(reply)


def test_info_names_the_version_and_the_configured_time_zone(url: str) -> None:
    status, reply, _ = api_call(f"{url}/api/info", "GET")
    assert (status, reply) == (200, {"version": __version__, "timezone": "Europe/Moscow"})


@pytest.mark.parametrize(("method", "body"), [
    ("GET", None), ("DELETE", None), ("POST", {"user": "a", "password": "b"})])
def test_without_users_there_is_no_session_to_have(url: str, method: str, body: object) -> None:
    status, reply, _ = api_call(f"{url}/api/session", method, body)
    assert (status, reply["error"]) == (401, "not_authenticated") and "no users" in str(reply["message"])
