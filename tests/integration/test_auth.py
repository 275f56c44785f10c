"""The authenticated API over real HTTP: every route refuses a request without credentials (401) and a person
without the route's role (403), walked from the route table so a new route cannot escape it; log-in sessions with
CSRF, tokens, log-in rate limits, and the audit history of privileged actions."""

from __future__ import annotations

import re
import urllib.request
from collections.abc import Iterator
from dataclasses import dataclass, replace
from pathlib import Path
from types import MappingProxyType

import pytest
from click.testing import CliRunner

from ccswitch.acd.agents import AgentState
from ccswitch.auth.access import Access
from ccswitch.auth.gate import Gate
from ccswitch.auth.users import load_users, save_users
from ccswitch.cli import main
from ccswitch.history.model import AuditRecord
from ccswitch.http import ROUTES, Route, serve_http

from .auth_support import PASSWORD, bearer, request, write_users
from .conftest import ContactCentre

# Who holds the wrong role for each rule (acting on agent 1001, whose user is alice); none for PUBLIC and USER.
WRONG_ROLE = {Access.AGENT: "bob", Access.SUPERVISOR: "alice", Access.MONITOR: "alice", Access.ADMIN: "sam"}
PARAMS = {"agent": "1001", "target": "1001", "call": "1001", "session": "nosuch", "name": "renewals",
          "conversation": "nosuch", "attachment": "nosuch"}


def _paths(route: Route) -> list[str]:
    """The route's rule with each parameter filled in, once per choice of an ``any(…)`` segment."""
    paths = [route.rule]
    for match in re.finditer(r"<(?:any\(([^)]*)\)|name):([a-z_]+)>", route.rule):
        names = [name.strip() for name in match[1].split(",")] if match[1] else [PARAMS[match[2]]]
        paths = [path.replace(match[0], name) for path in paths for name in names]
    return paths


@dataclass
class Api:
    url: str
    tokens: dict[str, str]
    audit: list[AuditRecord]
    users_file: Path


@pytest.fixture
def api(centre: ContactCentre, tmp_path: Path) -> Iterator[Api]:
    users_file = tmp_path / "users.yaml"
    tokens = write_users(users_file)
    audit: list[AuditRecord] = []
    server = serve_http(centre.controller.metrics, "127.0.0.1", 0, centre.controller,
                        gate=Gate(users_file, centre.controller.clock.now), audit=audit.append)
    yield Api(f"http://127.0.0.1:{server.server_port}", tokens, audit, users_file)
    server.stop()


def _body(route: Route) -> dict[str, str] | None:
    return {"agent": "1001"} if route.method == "POST" else None


def test_the_walk_covers_every_route_and_only_logging_in_the_description_and_the_web_chat_are_public() -> None:
    """The web chat's customer routes (``/chat/api/``) are public: each conversation has its own token; so is a
    document's link sent to a caller (``/files/<token>``): the token is the permission."""
    public = {(route.method, route.rule) for route in ROUTES if route.access is Access.PUBLIC}
    web_chat = {(method, rule) for method, rule in public if rule.startswith("/chat/api/")}
    assert public - web_chat == {
        ("GET", "/api/openapi.json"), ("POST", "/api/session"), ("GET", "/api/session/methods"),
        ("GET", "/api/sso/login"), ("GET", "/api/sso/callback"), ("GET", "/files/<name:token>")}
    assert {(method, rule) for method, rule in web_chat if "<name:conversation>" not in rule} == {
        ("GET", "/chat/api/topics"), ("POST", "/chat/api/conversations"), ("POST", "/chat/api/offline")}
    users = {route.rule for route in ROUTES if route.access is Access.USER}
    assert users == {"/api/info", "/api/session", "/api/events", "/api/customers/history"}
    assert all(route.access in WRONG_ROLE for route in ROUTES if route.access not in (Access.PUBLIC, Access.USER))


@pytest.mark.parametrize("route", [route for route in ROUTES if route.access is not Access.PUBLIC],
                         ids=lambda route: f"{route.method} {route.rule}")
def test_every_route_refuses_a_request_without_credentials(api: Api, centre: ContactCentre, route: Route) -> None:
    for path in _paths(route):
        status, reply, headers = request(api.url + path, route.method, _body(route))
        assert (status, reply["error"]) == (401, "not_authenticated"), path
        assert headers["WWW-Authenticate"].startswith("Bearer")
        status, reply, _ = request(api.url + path, route.method, _body(route), bearer("ccs_not-a-token"))
        assert status == 401, path
    assert centre.controller.engine.agents["1001"].state is AgentState.AVAILABLE


@pytest.mark.parametrize("route", [route for route in ROUTES if route.access in WRONG_ROLE],
                         ids=lambda route: f"{route.method} {route.rule}")
def test_every_route_refuses_the_wrong_role(api: Api, centre: ContactCentre, route: Route) -> None:
    person = WRONG_ROLE[route.access]
    for path in _paths(route):
        status, reply, _ = request(api.url + path, route.method, _body(route), bearer(api.tokens[person]))
        assert (status, reply["error"]) == (403, "forbidden"), (path, person)
    assert centre.controller.engine.agents["1001"].state is AgentState.AVAILABLE


def test_an_agent_acts_on_their_own_state_a_supervisor_on_their_queues_an_admin_on_anything(api: Api) -> None:
    alice, sam, root = (bearer(api.tokens[name]) for name in ("alice", "sam", "root"))
    assert request(f"{api.url}/api/agents/1001/break", "POST", {"reason": "lunch"}, alice)[0] == 200
    assert request(f"{api.url}/api/agents/1002/break", "POST", {"reason": "lunch"}, alice)[0] == 403
    assert request(f"{api.url}/api/agents/1002/break", "POST", {"reason": "lunch"}, sam)[0] == 200
    assert request(f"{api.url}/api/agents", "GET", None, sam)[0] == 200
    assert request(f"{api.url}/api/reload", "POST", {}, sam)[0] == 403
    assert request(f"{api.url}/api/reload", "POST", {}, root)[0] == 200


def test_the_supervisor_of_a_monitor_request_is_the_logged_in_person(api: Api) -> None:
    sam = bearer(api.tokens["sam"])
    status, reply, _ = request(f"{api.url}/api/monitor", "POST", {"supervisor": "2002", "agent": "1001"}, sam)
    assert (status, reply["error"]) == (403, "forbidden")
    status, reply, _ = request(f"{api.url}/api/monitor", "POST", {"agent": "1001"}, sam)
    assert (status, reply["error"]) == (409, "invalid_transition")  # as 2001: agent 1001 is on no call


def _cookie(headers: dict[str, str]) -> str:
    return headers["Set-Cookie"].split(";", 1)[0]


def test_a_browser_session_needs_its_csrf_token_for_actions_and_ends_at_log_out(api: Api,
                                                                                   centre: ContactCentre) -> None:
    status, me, headers = request(f"{api.url}/api/session", "POST", {"user": "alice", "password": PASSWORD})
    assert (status, me["role"], me["agent"]) == (200, "agent", "1001")
    attributes = headers["Set-Cookie"].lower()
    assert "httponly" in attributes and "samesite=strict" in attributes and "secure" not in attributes  # plain HTTP
    cookie = {"Cookie": _cookie(headers)}
    assert request(f"{api.url}/api/session", "GET", None, cookie)[1]["csrf"] == me["csrf"]
    status, reply, _ = request(f"{api.url}/api/agents/1001/break", "POST", {"reason": "lunch"}, cookie)
    assert (status, reply["error"]) == (403, "forbidden")
    assert centre.controller.engine.agents["1001"].state is AgentState.AVAILABLE
    with_csrf = {**cookie, "X-CSRF-Token": str(me["csrf"])}
    assert request(f"{api.url}/api/agents/1001/break", "POST", {"reason": "lunch"}, with_csrf)[0] == 200
    assert request(f"{api.url}/api/session", "DELETE", None, with_csrf)[0] == 200
    assert request(f"{api.url}/api/session", "GET", None, cookie)[0] == 401


def test_behind_https_the_cookie_is_secure(api: Api) -> None:
    _, _, headers = request(f"{api.url}/api/session", "POST", {"user": "alice", "password": PASSWORD},
                            {"X-Forwarded-Proto": "https"})
    assert "secure" in headers["Set-Cookie"].lower()


def test_failed_log_ins_are_limited_per_user_even_with_the_right_password_then(api: Api) -> None:
    for _ in range(5):
        status, reply, _ = request(f"{api.url}/api/session", "POST", {"user": "bob", "password": "guess-1234"})
        assert (status, reply["error"]) == (401, "not_authenticated")
    status, reply, headers = request(f"{api.url}/api/session", "POST", {"user": "bob", "password": PASSWORD})
    assert (status, reply["error"]) == (429, "too_many_attempts")
    assert 0 < int(headers["Retry-After"]) <= 60
    assert request(f"{api.url}/api/session", "POST", {"user": "alice", "password": PASSWORD})[0] == 200


def test_privileged_actions_and_refusals_are_audited_with_who_what_and_where(api: Api) -> None:
    request(f"{api.url}/api/agents/1001/break", "POST", {"reason": "lunch"}, bearer(api.tokens["alice"]))
    request(f"{api.url}/api/reload", "POST", {}, bearer(api.tokens["alice"]))
    request(f"{api.url}/api/session", "POST", {"user": "sam", "password": "wrong-password"})
    request(f"{api.url}/api/agents", "GET", None, bearer(api.tokens["sam"]))  # a look, not an action
    assert [(r.actor, r.role, r.address, r.action, r.status) for r in api.audit] == [
        ("alice", "agent", "127.0.0.1", "POST /api/agents/1001/break", 200),
        ("alice", "agent", "127.0.0.1", "POST /api/reload", 403),
        ("sam", "-", "127.0.0.1", "POST /api/session", 401),
    ]


def test_a_removed_user_s_token_and_session_stop_working_at_once(api: Api) -> None:
    sam = bearer(api.tokens["sam"])
    _, _, headers = request(f"{api.url}/api/session", "POST", {"user": "sam", "password": PASSWORD})
    assert request(f"{api.url}/api/queues", "GET", None, sam)[0] == 200
    users = load_users(api.users_file)
    del users["sam"]
    save_users(api.users_file, users)
    assert request(f"{api.url}/api/queues", "GET", None, sam)[0] == 401
    assert request(f"{api.url}/api/queues", "GET", None, {"Cookie": _cookie(headers)})[0] == 401


def test_the_cli_sends_the_token_in_ccswitch_token(api: Api, monkeypatch: pytest.MonkeyPatch) -> None:
    refused = CliRunner().invoke(main, ["agent", "list", "--url", api.url])
    assert refused.exit_code == 1 and "Bearer" in refused.output
    monkeypatch.setenv("CCSWITCH_TOKEN", api.tokens["sam"])
    listed = CliRunner().invoke(main, ["agent", "list", "--url", api.url])
    assert listed.exit_code == 0 and "1001" in listed.output


def test_the_pages_are_served_with_a_policy_that_runs_only_their_own_scripts(api: Api) -> None:
    with urllib.request.urlopen(f"{api.url}/desk", timeout=5) as page:
        assert page.headers["Content-Type"].startswith("text/html")
        policy = page.headers["Content-Security-Policy"]
        assert "script-src 'self'" in policy and "frame-ancestors 'none'" in policy
        assert b"/static/common.js" in page.read()
    for name in ("common.js", "deskchat.js", "desk.js", "wallboard.js"):
        with urllib.request.urlopen(f"{api.url}/static/{name}", timeout=5) as script:
            source = script.read().decode()
        assert "innerHTML" not in source and "insertAdjacentHTML" not in source and "eval(" not in source, name


def test_a_supervisor_sees_the_queues_and_agents_they_are_granted(api: Api, centre: ContactCentre) -> None:
    config = centre.controller.config
    support_only = replace(config, supervisors=MappingProxyType(
        {"2001": replace(config.supervisors["2001"], queues=frozenset({"support"}))}))
    centre.controller.config = centre.controller.engine.config = support_only
    sam, root = bearer(api.tokens["sam"]), bearer(api.tokens["root"])
    assert [queue["name"] for queue in request(f"{api.url}/api/queues", "GET", None, sam)[1]] == ["support"]
    seen = {agent["id"] for agent in request(f"{api.url}/api/agents", "GET", None, sam)[1]}
    assert seen == set(config.members("support"))
    assert len(request(f"{api.url}/api/agents", "GET", None, root)[1]) == len(config.agents)
    assert request(f"{api.url}/api/agents/1001/break", "POST", {"reason": "lunch"}, sam)[0] == 403  # sales only


def test_an_admin_without_a_supervisor_id_cannot_monitor(api: Api) -> None:
    status, reply, _ = request(f"{api.url}/api/monitor", "POST", {"agent": "1001"}, bearer(api.tokens["root"]))
    assert (status, reply["error"]) == (403, "forbidden") and "supervisor id" in str(reply["message"])


def test_a_fault_of_ours_is_a_json_500_and_audited_as_one(api: Api, centre: ContactCentre,
                                                           monkeypatch: pytest.MonkeyPatch) -> None:
    def broken(*args: object, **kwargs: object) -> None:
        raise RuntimeError("a bug")

    monkeypatch.setattr(centre.controller, "reload", broken)
    status, reply, _ = request(f"{api.url}/api/reload", "POST", {}, bearer(api.tokens["root"]))
    assert (status, reply["error"]) == (500, "internal_error") and "a bug" not in str(reply["message"])
    assert [(record.action, record.status) for record in api.audit] == [("POST /api/reload", 500)]


def test_a_users_file_broken_while_running_keeps_the_users_it_had(api: Api) -> None:
    api.users_file.write_text("alice: [not, a, mapping]\n")
    assert request(f"{api.url}/api/queues", "GET", None, bearer(api.tokens["sam"]))[0] == 200
