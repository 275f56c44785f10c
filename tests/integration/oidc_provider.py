"""A small OpenID Connect provider for the single sign-on tests, following the spec where the client can tell:
OpenID Connect Discovery 1.0 (``/.well-known/openid-configuration`` naming its issuer), Core 1.0's authorization
code flow (``/authorize`` redirects back with ``code`` and the client's ``state``; ``/token`` answers an ID token
signed RS256 by a key published at ``/jwks``, with ``iss``, ``sub``, ``aud``, ``exp``, ``iat`` and the client's
``nonce``) and RFC 7636 PKCE (S256 required; the token endpoint refuses a verifier that does not match).

No log-in page: ``/authorize`` signs in whoever ``person`` names. ``forge`` makes it sign with a key it does not
publish (an attacker's token), to show the client refuses it.
"""

from __future__ import annotations

import base64
import hashlib
import json
import secrets
import time
import urllib.parse
from collections.abc import Iterable
from dataclasses import dataclass, field
from wsgiref.types import StartResponse, WSGIEnvironment

from gevent.pywsgi import WSGIServer
from joserfc import jwt
from joserfc.jwk import KeySet, RSAKey
from werkzeug.wrappers import Request, Response

CLIENT_ID = "ccswitch"


@dataclass
class _Grant:
    redirect_uri: str
    challenge: str
    nonce: str
    person: str


@dataclass
class Provider:
    person: str = "alice"
    forge: bool = False
    key: RSAKey = field(default_factory=lambda: RSAKey.generate_key(2048, parameters={"kid": "published"}))
    other_key: RSAKey = field(default_factory=lambda: RSAKey.generate_key(2048, parameters={"kid": "published"}))
    codes: dict[str, _Grant] = field(default_factory=dict)
    refused: list[str] = field(default_factory=list)  # why the token endpoint said no, for the tests to read

    def serve(self) -> WSGIServer:
        server = WSGIServer(("127.0.0.1", 0), self.app, log=None)
        server.start()
        self.issuer = f"http://127.0.0.1:{server.server_port}"
        return server

    def app(self, environ: WSGIEnvironment, start_response: StartResponse) -> Iterable[bytes]:
        request = Request(environ)
        handler = {"/.well-known/openid-configuration": self._discovery, "/jwks": self._jwks,
                   "/authorize": self._authorize, "/token": self._token}.get(request.path)
        response = handler(request) if handler else Response("no such path", 404)
        return response(environ, start_response)

    def _discovery(self, request: Request) -> Response:
        return _json({"issuer": self.issuer, "authorization_endpoint": f"{self.issuer}/authorize",
                      "token_endpoint": f"{self.issuer}/token", "jwks_uri": f"{self.issuer}/jwks",
                      "response_types_supported": ["code"], "subject_types_supported": ["public"],
                      "id_token_signing_alg_values_supported": ["RS256"], "code_challenge_methods_supported": ["S256"]})

    def _jwks(self, request: Request) -> Response:
        return _json(KeySet([self.key]).as_dict(private=False))

    def _authorize(self, request: Request) -> Response:
        query = request.args
        if (query.get("response_type") != "code" or query.get("client_id") != CLIENT_ID
                or query.get("code_challenge_method") != "S256" or "openid" not in query.get("scope", "").split()):
            return Response("bad authorization request", 400)
        code = secrets.token_urlsafe(16)
        self.codes[code] = _Grant(query["redirect_uri"], query["code_challenge"], query["nonce"], self.person)
        back = urllib.parse.urlencode({"code": code, "state": query["state"]})
        return Response("", 302, {"Location": f"{query['redirect_uri']}?{back}"})

    def _token(self, request: Request) -> Response:
        form = request.form
        grant = self.codes.pop(form.get("code", ""), None)  # a code is good once
        verifier = form.get("code_verifier", "")
        challenge = base64.urlsafe_b64encode(hashlib.sha256(verifier.encode()).digest()).rstrip(b"=").decode()
        if grant is None or form.get("grant_type") != "authorization_code" or form.get("client_id") != CLIENT_ID:
            self.refused.append("unknown code or client")
            return _json({"error": "invalid_grant"}, 400)
        if form.get("redirect_uri") != grant.redirect_uri or challenge != grant.challenge:
            self.refused.append("redirect_uri or PKCE verifier")
            return _json({"error": "invalid_grant"}, 400)
        now = int(time.time())
        claims = {"iss": self.issuer, "sub": f"sub-{grant.person}", "aud": CLIENT_ID, "exp": now + 300, "iat": now,
                  "nonce": grant.nonce, "preferred_username": grant.person}
        id_token = jwt.encode({"alg": "RS256", "kid": "published"}, claims,
                              self.other_key if self.forge else self.key)
        return _json({"access_token": secrets.token_urlsafe(16), "token_type": "Bearer", "expires_in": 300,
                      "id_token": id_token})


def _json(document: object, status: int = 200) -> Response:
    return Response(json.dumps(document), status, mimetype="application/json")
