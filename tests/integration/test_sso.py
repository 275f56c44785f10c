"""Single sign-on with OpenID Connect (authorization code with PKCE), against a small provider of the tests' own
that follows the spec (``oidc_provider.py``): a person signs on at the provider and comes back with a session; a
token the provider did not sign, a callback from another browser, a replayed one and a person who is no user here
are refused."""

from __future__ import annotations

import http.cookiejar
import urllib.error
import urllib.parse
import urllib.request
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
from store.redis_server import free_port

from ccswitch.auth.gate import Gate
from ccswitch.auth.limits import SSO_STARTS_PER_ADDRESS
from ccswitch.auth.oidc import SingleSignOn
from ccswitch.config.model import SsoConfig
from ccswitch.history.model import AuditRecord
from ccswitch.http import serve_http

from .auth_support import request, write_users
from .conftest import ContactCentre
from .oidc_provider import CLIENT_ID, Provider


class _Stay(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, *args: object, **kwargs: object) -> None:
        return None  # the test follows each redirect itself, to see it


class Browser:
    """Cookies kept per site, redirects shown one by one."""

    def __init__(self) -> None:
        self.cookies = http.cookiejar.CookieJar()
        self._opener = urllib.request.build_opener(_Stay, urllib.request.HTTPCookieProcessor(self.cookies))

    def get(self, url: str) -> tuple[int, str]:
        """(status, Location)."""
        try:
            with self._opener.open(url, timeout=10) as reply:
                return reply.status, reply.headers.get("Location", "")
        except urllib.error.HTTPError as exc:
            return exc.code, exc.headers.get("Location", "")

    def cookie(self, name: str) -> str | None:
        return next((cookie.value for cookie in self.cookies if cookie.name == name), None)


@dataclass
class Sso:
    url: str
    provider: Provider
    audit: list[AuditRecord]


@pytest.fixture
def sso(centre: ContactCentre, tmp_path: Path) -> Iterator[Sso]:
    provider = Provider()
    provider_server = provider.serve()
    users_file = tmp_path / "users.yaml"
    write_users(users_file)
    port = free_port()
    url = f"http://127.0.0.1:{port}"
    single_sign_on = SingleSignOn(SsoConfig(provider.issuer, CLIENT_ID, f"{url}/api/sso/callback"))
    audit: list[AuditRecord] = []
    server = serve_http(centre.controller.metrics, "127.0.0.1", port, centre.controller, audit=audit.append,
                        gate=Gate(users_file, centre.controller.clock.now, sso=single_sign_on))
    yield Sso(url, provider, audit)
    server.stop()
    provider_server.stop()


def _to_the_provider_and_back(sso: Sso, browser: Browser, next_page: str = "/wallboard") -> str:
    """Start at /api/sso/login; the callback URL the provider sends the browser back to."""
    query = urllib.parse.urlencode({"next": next_page})
    status, to_provider = browser.get(f"{sso.url}/api/sso/login?{query}")
    assert status == 302 and to_provider.startswith(f"{sso.provider.issuer}/authorize?")
    assert "code_challenge_method=S256" in to_provider and "nonce=" in to_provider
    assert browser.cookie("ccswitch_sso") is not None
    status, back = browser.get(to_provider)
    assert status == 302 and back.startswith(f"{sso.url}/api/sso/callback?code=")
    return back


def test_a_person_signs_on_at_the_provider_and_comes_back_logged_in(sso: Sso) -> None:
    status, methods, _ = request(f"{sso.url}/api/session/methods")  # what the log-in page offers
    assert (status, methods) == (200, {"password": True, "sso": True, "sso_label": None})
    browser = Browser()
    status, page = browser.get(_to_the_provider_and_back(sso, browser))
    assert (status, page) == (302, "/wallboard")
    assert sso.provider.refused == []  # the PKCE verifier matched the challenge
    session = browser.cookie("ccswitch_session")
    assert session is not None and browser.cookie("ccswitch_sso") is None
    status, me, _ = request(f"{sso.url}/api/session", "GET", None, {"Cookie": f"ccswitch_session={session}"})
    assert (status, me["user"], me["agent"]) == (200, "alice", "1001")
    assert [(record.action.split("?")[0], record.status) for record in sso.audit] == [("GET /api/sso/callback", 302)]


@pytest.mark.parametrize(("asked", "page"), [
    ("/wallboard?lang=ru&big=1", "/wallboard?lang=ru&big=1"),  # the page's language and settings come back too
    ("https://elsewhere.example/desk", "/desk"), ("//elsewhere.example", "/desk"), ("/desk/../x", "/desk"),
    (f"/desk?lang={'x' * 600}", "/desk"),
])
def test_the_person_comes_back_to_a_page_of_ours_only(sso: Sso, asked: str, page: str) -> None:
    browser = Browser()
    assert browser.get(_to_the_provider_and_back(sso, browser, asked)) == (302, page)


def test_a_token_the_provider_did_not_sign_is_refused(sso: Sso) -> None:
    sso.provider.forge = True
    browser = Browser()
    assert browser.get(_to_the_provider_and_back(sso, browser))[0] == 401
    assert browser.cookie("ccswitch_session") is None


def test_a_callback_in_another_browser_or_twice_is_refused(sso: Sso) -> None:
    browser = Browser()
    back = _to_the_provider_and_back(sso, browser)
    assert Browser().get(back)[0] == 401  # a code pushed into someone else's browser (no state cookie)
    state = urllib.parse.parse_qs(urllib.parse.urlsplit(back).query)["state"][0]
    assert browser.get(back)[0] == 302
    status, refused, _ = request(back, "GET", None, {"Cookie": f"ccswitch_sso={state}"})  # the same flow again
    assert (status, refused["error"]) == (401, "not_authenticated")
    assert "unknown or expired" in str(refused["message"])


def test_a_person_who_is_no_user_here_gets_no_session(sso: Sso) -> None:
    sso.provider.person = "mallory"
    browser = Browser()
    assert browser.get(_to_the_provider_and_back(sso, browser))[0] == 403
    assert browser.cookie("ccswitch_session") is None


def test_without_single_sign_on_configured_there_is_none(centre: ContactCentre, tmp_path: Path) -> None:
    users_file = tmp_path / "users.yaml"
    write_users(users_file)
    server = serve_http(centre.controller.metrics, "127.0.0.1", 0, centre.controller,
                        gate=Gate(users_file, centre.controller.clock.now))
    url = f"http://127.0.0.1:{server.server_port}"
    try:
        assert Browser().get(f"{url}/api/sso/login")[0] == 404
        assert request(f"{url}/api/session/methods")[:2] == (200, {"password": True, "sso": False, "sso_label": None})
    finally:
        server.stop()


def test_sign_ons_started_from_one_address_are_limited(sso: Sso) -> None:
    browser = Browser()
    statuses = [browser.get(f"{sso.url}/api/sso/login")[0] for _ in range(SSO_STARTS_PER_ADDRESS.capacity + 1)]
    assert statuses == [302] * SSO_STARTS_PER_ADDRESS.capacity + [429]  # each start keeps a flow for ten minutes
