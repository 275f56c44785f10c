"""Single sign-on flows kept in Redis (``ccswitch.auth.sso_flows``): a sign-on started on one controller finishes on
another sharing the Redis, even when the first has stopped meanwhile (no sticky sessions, no flow lost to a
restart); a flow is taken once, on whichever controller, even by callbacks racing each other; an expired flow is
refused; Redis holds neither the state nor a flow beyond its ten minutes."""

from __future__ import annotations

import hashlib
import urllib.parse
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import gevent
import pytest
import redis
from gevent.pywsgi import WSGIServer
from store.redis_server import RedisServer, free_port, has_redis_server

from ccswitch.auth.gate import Gate, NotAuthenticated
from ccswitch.auth.oidc import FLOW_S, SingleSignOn, single_sign_on
from ccswitch.auth.sessions import open_sessions
from ccswitch.auth.sso_flows import Flow, Flows, open_flows
from ccswitch.config.model import SsoConfig, StoreConfig
from ccswitch.http import serve_http

from .auth_support import request, write_users
from .conftest import ContactCentre
from .oidc_provider import CLIENT_ID, Provider
from .test_sso import Browser

PREFIX = "test-sso:"


def in_redis(url: str) -> StoreConfig:
    return StoreConfig("redis", url, PREFIX)


@dataclass
class TwoControllers:
    """Two controllers' HTTP sides on one Redis behind one registered callback URL (a load balancer's), as
    ``first`` and ``second``; the provider that both trust."""

    first: str
    second: str
    provider: Provider
    servers: list[WSGIServer]


@pytest.fixture
def provider() -> Iterator[Provider]:
    provider = Provider()
    server = provider.serve()
    yield provider
    server.stop()


@pytest.fixture
def two(centre: ContactCentre, tmp_path: Path, redis_url: str, provider: Provider) -> Iterator[TwoControllers]:
    users_file = tmp_path / "users.yaml"
    write_users(users_file)
    ports = [free_port(), free_port()]
    callback = f"http://127.0.0.1:{ports[0]}/api/sso/callback"  # what the provider knows: the balancer's address
    servers = []
    for port in ports:
        sso = SingleSignOn(SsoConfig(provider.issuer, CLIENT_ID, callback), flows=open_flows(in_redis(redis_url)))
        gate = Gate(users_file, centre.controller.clock.now, open_sessions(in_redis(redis_url)), sso=sso)
        servers.append(serve_http(centre.controller.metrics, "127.0.0.1", port, centre.controller, gate=gate))
    yield TwoControllers(f"http://127.0.0.1:{ports[0]}", f"http://127.0.0.1:{ports[1]}", provider, servers)
    for server in servers:
        server.stop()


def _started_on(two: TwoControllers, browser: Browser) -> str:
    """Start a sign-on on the first controller; the query of the callback the provider sends the browser to."""
    status, to_provider = browser.get(f"{two.first}/api/sso/login?next=/wallboard")
    assert status == 302 and to_provider.startswith(f"{two.provider.issuer}/authorize?")
    status, back = browser.get(to_provider)
    assert status == 302
    return urllib.parse.urlsplit(back).query


def test_a_sign_on_started_on_one_controller_finishes_on_another_after_the_first_stopped(
        two: TwoControllers) -> None:
    browser = Browser()
    callback = _started_on(two, browser)
    two.servers[0].stop()  # restarted, or the balancer sends the callback elsewhere: the flow is in Redis
    status, page = browser.get(f"{two.second}/api/sso/callback?{callback}")
    assert (status, page) == (302, "/wallboard")
    assert two.provider.refused == []  # the second controller sent the first one's PKCE verifier
    session = browser.cookie("ccswitch_session")
    status, me, _ = request(f"{two.second}/api/session", "GET", None, {"Cookie": f"ccswitch_session={session}"})
    assert (status, me["user"]) == (200, "alice")


def test_a_callback_replayed_on_the_other_controller_is_refused(two: TwoControllers, redis_url: str) -> None:
    browser = Browser()
    callback = _started_on(two, browser)
    state = urllib.parse.parse_qs(callback)["state"][0]
    client = redis.Redis.from_url(redis_url, decode_responses=True)
    [key] = client.keys(f"{PREFIX}sso-flow:*")
    assert key == f"{PREFIX}sso-flow:{hashlib.sha256(state.encode()).hexdigest()}"  # the state itself is not kept
    assert state not in client.get(key) and 0 < client.ttl(key) <= FLOW_S  # an abandoned flow goes by itself

    assert browser.get(f"{two.second}/api/sso/callback?{callback}")[0] == 302
    assert client.keys(f"{PREFIX}sso-flow:*") == []
    status, refused, _ = request(f"{two.first}/api/sso/callback?{callback}", "GET", None,
                                 {"Cookie": f"ccswitch_sso={state}"})
    assert (status, refused["error"]) == (401, "not_authenticated")
    assert "unknown or expired" in str(refused["message"])


def test_callbacks_racing_for_one_flow_get_it_once() -> None:
    """Twenty controllers take one flow while Redis is frozen: each has asked before Redis answers any, so a take
    that read and then deleted would hand the flow to all twenty."""
    if not has_redis_server():
        pytest.skip("redis-server is not installed")
    server = RedisServer()
    try:
        flow = Flow("nonce", "verifier", "/desk", 2000.0)
        open_flows(in_redis(server.url)).put("the-state", flow, 1000.0)
        controllers = [open_flows(in_redis(server.url)) for _ in range(20)]
        for flows in controllers:
            assert flows.take("another-state") is None  # connected before the race
        server.hang()
        takes = [gevent.spawn(flows.take, "the-state") for flows in controllers]
        gevent.idle()  # every take has sent its commands and waits for Redis
        server.wake()
        gevent.joinall(takes, timeout=10, raise_error=True)
        assert sorted((take.value for take in takes), key=lambda got: got is None) == [flow] + [None] * 19
    finally:
        server.stop()


@pytest.mark.parametrize("kept_in", ["memory", "redis"])
def test_an_expired_flow_is_refused(kept_in: str, request: pytest.FixtureRequest, provider: Provider) -> None:
    flows = Flows() if kept_in == "memory" else open_flows(in_redis(request.getfixturevalue("redis_url")))
    now = [1000.0]
    sso = SingleSignOn(SsoConfig(provider.issuer, CLIENT_ID, "http://127.0.0.1:1/api/sso/callback"), flows=flows,
                       clock=lambda: now[0])
    _, state = sso.start("/desk")
    now[0] += FLOW_S  # Redis would keep it a moment longer (whole seconds): its expiry is what refuses it
    with pytest.raises(NotAuthenticated, match="unknown or expired"):
        sso.finish(state, "a-code")  # (a flow in time would go on to the provider, which refuses this code)


def test_ccswitch_run_keeps_the_flows_in_its_redis_store(redis_url: str, provider: Provider) -> None:
    settings = SsoConfig(provider.issuer, CLIENT_ID, "http://127.0.0.1:1/api/sso/callback")
    sso = single_sign_on(settings, StoreConfig("redis", redis_url, PREFIX), {})
    assert sso is not None
    sso.start("/desk")
    assert len(redis.Redis.from_url(redis_url).keys(f"{PREFIX}sso-flow:*")) == 1
    assert single_sign_on(None, StoreConfig("redis", redis_url, PREFIX), {}) is None
