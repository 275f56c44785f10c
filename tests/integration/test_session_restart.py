"""Browser sessions kept in Redis survive a restart of the controller's HTTP side: a new gate (its memory empty)
and a new server find the session by its cookie, with its user, expiry and CSRF token; logging out and removing
the user still end it at once. In memory (the memory store) a restart logs everyone out, as before."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
import redis
from gevent.pywsgi import WSGIServer

from ccswitch.auth.gate import SESSION_S, Gate
from ccswitch.auth.sessions import Sessions, open_sessions
from ccswitch.auth.users import load_users, save_users
from ccswitch.config.model import StoreConfig
from ccswitch.http import serve_http

from .auth_support import PASSWORD, request, write_users
from .conftest import ContactCentre

PREFIX = "test-sessions:"


@dataclass
class Restartable:
    """Starts the HTTP side afresh (a new gate, a new server) each time, as a restarted controller would."""

    centre: ContactCentre
    users_file: Path
    sessions: Callable[[], Sessions]
    server: WSGIServer | None = None

    def start(self) -> str:
        self.stop()
        gate = Gate(self.users_file, self.centre.controller.clock.now, self.sessions())
        self.server = serve_http(self.centre.controller.metrics, "127.0.0.1", 0, self.centre.controller, gate=gate)
        return f"http://127.0.0.1:{self.server.server_port}"

    def stop(self) -> None:
        if self.server is not None:
            self.server.stop()
            self.server = None


@pytest.fixture
def users_file(tmp_path: Path) -> Path:
    path = tmp_path / "users.yaml"
    write_users(path)
    return path


@pytest.fixture
def in_redis(centre: ContactCentre, users_file: Path, redis_url: str) -> Iterator[Restartable]:
    http = Restartable(centre, users_file, lambda: open_sessions(StoreConfig("redis", redis_url, PREFIX)))
    yield http
    http.stop()


def _log_in(url: str, user: str) -> dict[str, str]:
    """The headers a browser sends after logging in: the session cookie and the session's CSRF token."""
    status, me, headers = request(f"{url}/api/session", "POST", {"user": user, "password": PASSWORD})
    assert status == 200
    cookie = headers["Set-Cookie"].split(";", 1)[0]
    return {"Cookie": cookie, "X-CSRF-Token": str(me["csrf"])}


def test_a_session_in_redis_survives_a_restart_with_its_user_and_csrf_token(in_redis: Restartable,
                                                                             redis_url: str) -> None:
    browser = _log_in(in_redis.start(), "alice")
    url = in_redis.start()  # restarted: nothing of the first gate is left but Redis
    status, me, _ = request(f"{url}/api/session", "GET", None, browser)
    assert (status, me["user"], me["agent"], me["csrf"]) == (200, "alice", "1001", browser["X-CSRF-Token"])
    assert request(f"{url}/api/agents/1001/break", "POST", {"reason": "lunch"}, browser)[0] == 200
    forged = {**browser, "X-CSRF-Token": "not-the-token"}
    assert request(f"{url}/api/agents/1001/ready", "POST", {}, forged)[0] == 403

    client = redis.Redis.from_url(redis_url, decode_responses=True)
    [key] = client.keys(f"{PREFIX}session:*")
    assert browser["Cookie"].split("=", 1)[1] not in key + client.get(key)  # the cookie's id is not in Redis
    assert 0 < client.ttl(key) <= SESSION_S  # a forgotten session goes by itself

    assert request(f"{url}/api/session", "DELETE", None, browser)[0] == 200
    assert client.keys(f"{PREFIX}session:*") == []
    assert request(f"{in_redis.start()}/api/session", "GET", None, browser)[0] == 401


def test_removing_the_user_ends_their_session_in_redis_at_once(in_redis: Restartable, users_file: Path) -> None:
    url = in_redis.start()
    alice, sam = _log_in(url, "alice"), _log_in(url, "sam")
    users = load_users(users_file)
    del users["alice"]
    save_users(users_file, users)
    url = in_redis.start()
    assert request(f"{url}/api/session", "GET", None, alice)[0] == 401
    assert request(f"{url}/api/session", "GET", None, sam)[0] == 200


def test_an_expired_session_is_refused_even_if_redis_still_has_it(centre: ContactCentre, users_file: Path,
                                                                  redis_url: str) -> None:
    now = [1000.0]
    gate = Gate(users_file, lambda: now[0], open_sessions(StoreConfig("redis", redis_url, PREFIX)))
    session = gate.log_in("alice", PASSWORD, "127.0.0.1")
    assert gate.session(session.id) is not None
    now[0] += SESSION_S
    assert gate.session(session.id) is None


def test_in_memory_a_restart_logs_everyone_out(centre: ContactCentre, users_file: Path) -> None:
    http = Restartable(centre, users_file, Sessions)
    try:
        browser = _log_in(http.start(), "alice")
        assert request(f"{http.start()}/api/session", "GET", None, browser)[0] == 401
    finally:
        http.stop()
