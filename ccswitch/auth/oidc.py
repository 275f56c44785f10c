"""Single sign-on with OpenID Connect (``http.sso``): the authorization code flow with PKCE.

``start`` makes a flow: a random ``state`` (kept by the browser in a cookie, so a code cannot be pushed into
another person's browser), a ``nonce`` (echoed in the ID token, so a token cannot be replayed into another flow)
and a PKCE verifier whose S256 challenge goes to the provider (RFC 7636: an intercepted code is useless without
it); it returns the provider's authorization URL. ``finish`` takes the code the provider sent back, exchanges it
with the verifier at the token endpoint, and verifies the ID token with joserfc (Authlib's JOSE library): its
signature by the provider's published keys (JWKS), ``iss``, ``aud``, ``exp``, ``iat`` and ``nonce``. The user is the
ID token's ``user_claim``, who must be in users.yaml (roles stay there): SSO proves who they are, not what they may do.

The provider's discovery document and keys are read when first needed (and the keys again when a token names an
unknown key: the provider rotated them). A flow waits ``FLOW_S`` for its callback in the store
(``ccswitch.auth.sso_flows``: Redis when configured, so any controller sharing it finishes the flow, else memory)
and is taken from it once: a replayed callback finds nothing.
"""

from __future__ import annotations

import base64
import hashlib
import json
import secrets
import time
import urllib.error
import urllib.parse
import urllib.request
from collections.abc import Callable, Mapping
from typing import Any

from joserfc import jwt
from joserfc.errors import InvalidKeyIdError, JoseError
from joserfc.jwk import KeySet

from ccswitch.auth.gate import NotAuthenticated
from ccswitch.auth.sso_flows import Flow, Flows, open_flows
from ccswitch.config.model import SsoConfig, StoreConfig
from ccswitch.errors import CcswitchError

FLOW_S = 600.0  # a person has this long at the provider's log-in page
_TIMEOUT_S = 5.0
_SCOPE = "openid profile email"
_ALGORITHMS = ["RS256", "ES256", "PS256"]  # asymmetric only: "none" and HS256 (signed with our own secret) never

Fetch = Callable[[urllib.request.Request], Mapping[str, Any]]


class SsoUnavailable(CcswitchError):
    """The OpenID Connect provider did not answer, or answered nonsense (HTTP 503)."""

    error_id = "sso_unavailable"


def _fetch_json(request: urllib.request.Request) -> Mapping[str, Any]:
    try:
        with urllib.request.urlopen(request, timeout=_TIMEOUT_S) as reply:
            document = json.load(reply)
    except urllib.error.HTTPError as exc:
        raise SsoUnavailable(f"the provider refused {request.full_url.split('?')[0]}: HTTP {exc.code}") from exc
    except (OSError, ValueError) as exc:
        raise SsoUnavailable(f"the provider did not answer at {request.full_url.split('?')[0]}: {exc}") from exc
    if not isinstance(document, dict):
        raise SsoUnavailable("the provider's reply is not a JSON object")
    return document


def s256(verifier: str) -> str:
    """The PKCE challenge of ``verifier`` (RFC 7636 section 4.2)."""
    return base64.urlsafe_b64encode(hashlib.sha256(verifier.encode()).digest()).rstrip(b"=").decode()


class SingleSignOn:
    def __init__(self, settings: SsoConfig, client_secret: str | None = None, fetch: Fetch = _fetch_json,
                 flows: Flows | None = None, clock: Callable[[], float] = time.time) -> None:
        """``flows``: where started flows wait (this process's memory by default); ``clock``: epoch seconds."""
        self.settings = settings
        self._client_secret = client_secret
        self._fetch = fetch
        self._flows = Flows() if flows is None else flows
        self._clock = clock
        self._provider: Mapping[str, Any] | None = None
        self._keys: KeySet | None = None

    def start(self, next_path: str) -> tuple[str, str]:
        """A new flow: (the provider's authorization URL to send the browser to, the flow's state)."""
        now = self._clock()
        state, flow = secrets.token_urlsafe(32), Flow(secrets.token_urlsafe(32), secrets.token_urlsafe(48),
                                                      next_path, now + FLOW_S)
        endpoint = str(self._discovery()["authorization_endpoint"])  # before keeping a flow no one can use
        self._flows.put(state, flow, now)
        query = urllib.parse.urlencode({
            "response_type": "code", "client_id": self.settings.client_id, "redirect_uri": self.settings.redirect_uri,
            "scope": _SCOPE, "state": state, "nonce": flow.nonce, "code_challenge": s256(flow.verifier),
            "code_challenge_method": "S256"})
        return f"{endpoint}{'&' if '?' in endpoint else '?'}{query}", state

    def finish(self, state: str, code: str) -> tuple[str, str]:
        """The flow ``state`` completed with ``code``: (the user name the ID token asserts, where to go next).
        NotAuthenticated for an unknown, expired or already finished flow and for a token that does not verify."""
        flow = self._flows.take(state)
        if flow is None or flow.expires_at <= self._clock():
            raise NotAuthenticated("this single sign-on is unknown or expired: start again")
        form = {"grant_type": "authorization_code", "code": code, "redirect_uri": self.settings.redirect_uri,
                "client_id": self.settings.client_id, "code_verifier": flow.verifier}
        if self._client_secret:
            form["client_secret"] = self._client_secret
        tokens = self._fetch(urllib.request.Request(
            str(self._discovery()["token_endpoint"]), urllib.parse.urlencode(form).encode(),
            {"Content-Type": "application/x-www-form-urlencoded", "Accept": "application/json"}, method="POST"))
        id_token = tokens.get("id_token")
        if not isinstance(id_token, str):
            raise NotAuthenticated("the provider sent no ID token")
        claims = self._verified_claims(id_token, flow.nonce)
        name = claims.get(self.settings.user_claim)
        if not isinstance(name, str) or not name:
            raise NotAuthenticated(f"the ID token has no {self.settings.user_claim!r}")
        return name, flow.next_path

    def _verified_claims(self, id_token: str, nonce: str) -> Mapping[str, Any]:
        registry = jwt.JWTClaimsRegistry(
            iss={"essential": True, "value": self.settings.issuer}, aud={"essential": True,
                                                                        "value": self.settings.client_id},
            sub={"essential": True}, exp={"essential": True}, iat={"essential": True},
            nonce={"essential": True, "value": nonce})
        try:
            try:
                token = jwt.decode(id_token, self._key_set(fresh=False), algorithms=_ALGORITHMS)
            except InvalidKeyIdError:  # the provider may have rotated its keys since they were read
                token = jwt.decode(id_token, self._key_set(fresh=True), algorithms=_ALGORITHMS)
            registry.validate(token.claims)
        except JoseError as exc:
            raise NotAuthenticated(f"the ID token does not verify ({exc.error})") from exc
        return token.claims

    def _discovery(self) -> Mapping[str, Any]:
        if self._provider is None:
            document = self._fetch(urllib.request.Request(
                f"{self.settings.issuer}/.well-known/openid-configuration", headers={"Accept": "application/json"}))
            if document.get("issuer") != self.settings.issuer:  # OpenID Connect Discovery 1.0, section 4.3
                raise SsoUnavailable("the provider's discovery document names another issuer")
            self._provider = document
        return self._provider

    def _key_set(self, fresh: bool) -> KeySet:
        if self._keys is None or fresh:
            jwks = self._fetch(urllib.request.Request(str(self._discovery()["jwks_uri"]),
                                                      headers={"Accept": "application/json"}))
            try:
                self._keys = KeySet.import_key_set(jwks)  # type: ignore[arg-type]
            except (JoseError, ValueError, KeyError, TypeError) as exc:
                raise SsoUnavailable("the provider's keys (JWKS) do not read") from exc
        return self._keys


def single_sign_on(settings: SsoConfig | None, store: StoreConfig, env: Mapping[str, str]) -> SingleSignOn | None:
    """The configured single sign-on, its flows in ``store``, its client secret from ``CCSWITCH_SSO_CLIENT_SECRET``
    (none: a public client, which PKCE protects)."""
    if settings is None:
        return None
    return SingleSignOn(settings, env.get("CCSWITCH_SSO_CLIENT_SECRET") or None, flows=open_flows(store))
