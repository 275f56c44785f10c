"""The OpenAPI document at /api/openapi.json against the Flask routes: every route is documented, every documented
route exists, its choices are the routes' choices, and its schemas describe real replies."""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import Any

import jsonschema
import pytest

from ccswitch.acd.agents import AgentState
from ccswitch.http import ROUTES, api_app, openapi_document, serve_http
from ccswitch.media.monitor import MonitorMode

from .conftest import ContactCentre, api_call

DOCUMENT: dict[str, Any] = openapi_document()  # type: ignore[assignment]
_CONVERTER = re.compile(r"<(?:([a-z]+)(?:\(([^)]*)\))?:)?([a-z_]+)>")


def _flask_routes(centre: ContactCentre) -> set[tuple[str, str]]:
    """(OpenAPI path, method) for every API rule of the Flask app: an ``any(…)`` segment stands for each of its
    choices (the document names each action's path), a ``<name:…>`` segment for a ``{…}`` parameter."""
    routes = set()
    for rule in api_app(centre.controller, None).url_map.iter_rules():
        if rule.rule.startswith(("/api/", "/chat/api/", "/files/")):  # the API, the web chat's customer side, links
            routes |= _rule_paths(rule.rule, rule.methods or set())
    return routes


def _rule_paths(rule: str, methods: set[str]) -> set[tuple[str, str]]:
    paths = [rule]
    for match in _CONVERTER.finditer(rule):
        names = [name.strip() for name in match[2].split(",")] if match[1] == "any" else ["{" + match[3] + "}"]
        paths = [path.replace(match[0], name) for path in paths for name in names]
    return {(path, method.lower()) for path in paths for method in methods if method not in ("HEAD", "OPTIONS")}


def _documented() -> set[tuple[str, str]]:
    return {(path, method) for path, item in DOCUMENT["paths"].items() for method in item}


def test_every_route_is_documented_and_every_documented_route_exists(centre: ContactCentre) -> None:
    routes = _flask_routes(centre)
    assert ("/api/calls/{target}/hold", "post") in routes and ("/api/monitor/{session}", "delete") in routes
    assert sorted(routes - _documented()) == []
    assert sorted(_documented() - routes) == []


def test_each_documented_path_parameter_is_in_its_path() -> None:
    for path, item in DOCUMENT["paths"].items():
        for operation in item.values():
            names = {parameter["name"] for parameter in operation.get("parameters", []) if parameter["in"] == "path"}
            assert names == set(re.findall(r"\{([a-z_]+)\}", path)), path


def test_each_operation_names_its_routes_access() -> None:
    for route in ROUTES:
        for (path, method) in _rule_paths(route.rule, {route.method}):
            assert DOCUMENT["paths"][path][method]["x-access"] == route.access.value, (path, method)


def test_the_agent_states_and_monitor_modes_are_the_engines() -> None:
    states = DOCUMENT["components"]["schemas"]["Agent"]["properties"]["state"]["enum"]
    assert sorted(states) == sorted(state.value for state in AgentState)
    modes = DOCUMENT["components"]["schemas"]["MonitorSession"]["properties"]["mode"]["enum"]
    assert modes == [mode.value for mode in MonitorMode]


@pytest.fixture
def url(centre: ContactCentre) -> Iterator[str]:
    server = serve_http(centre.controller.metrics, "127.0.0.1", 0, centre.controller)
    yield f"http://127.0.0.1:{server.server_port}"
    server.stop()


def _validate(reply: object, path: str, method: str = "get") -> None:
    schema = DOCUMENT["paths"][path][method]["responses"]["200"]["content"]["application/json"]["schema"]
    jsonschema.validate(reply, {**schema, "components": DOCUMENT["components"]})


def test_the_document_is_served_and_its_schemas_describe_real_replies(url: str) -> None:
    status, served, _ = api_call(f"{url}/api/openapi.json", "GET")
    assert (status, served) == (200, DOCUMENT)
    for path in ("/api/info", "/api/session/methods", "/api/agents", "/api/queues", "/api/monitor", "/api/campaigns"):
        status, reply, _ = api_call(url + path, "GET")
        assert status == 200
        _validate(reply, path)
    status, reply, _ = api_call(f"{url}/api/agents/1004/break", "POST", {"reason": "lunch"})
    _validate(reply, "/api/agents/{agent}/break", "post")
    status, refused, _ = api_call(f"{url}/api/agents/9999", "GET")
    assert status == 404
    jsonschema.validate(refused, {**DOCUMENT["components"]["schemas"]["Error"]})


def test_a_schema_refuses_what_the_api_never_sends() -> None:
    """The check above can fail: a reply missing a field is refused."""
    with pytest.raises(jsonschema.ValidationError):
        jsonschema.validate({"version": "0.1.0"}, DOCUMENT["components"]["schemas"]["Info"])
