"""Who is asking: a browser's session cookie (with its CSRF token) or a script's bearer token, and the routes that
log a person in and out (``/api/session``, and single sign-on: ``/api/sso/login`` and ``/api/sso/callback``) and
tell a log-in page how it may log in (``/api/session/methods``)."""

from __future__ import annotations

import hmac
import urllib.parse

from flask import Response, request

from ccswitch.auth.access import Access
from ccswitch.auth.gate import SESSION_S, Forbidden, Gate, NotAuthenticated
from ccswitch.auth.oidc import FLOW_S, SingleSignOn
from ccswitch.auth.sessions import Session
from ccswitch.auth.users import User
from ccswitch.http.errors import BadRequest, NotFound, json_response
from ccswitch.http.request import ApiRequest, Route, text

SESSION_COOKIE = "ccswitch_session"
CSRF_HEADER = "X-CSRF-Token"
SSO_COOKIE = "ccswitch_sso"
_PAGES = ("/desk", "/wallboard")
_MAX_NEXT = 512  # a page's address with its settings (?lang=ru&big=1): longer is no page of ours


def authenticate(gate: Gate | None, route: Route) -> User | None:
    """The request's user: from ``Authorization: Bearer <token>``, else the session cookie (whose POST and DELETE
    must carry the session's CSRF token). None when no users are configured, or on a public route."""
    if gate is None or route.access is Access.PUBLIC or not gate.enabled:
        return None
    scheme, _, token = request.headers.get("Authorization", "").partition(" ")
    if scheme.lower() == "bearer" and token:
        user = gate.bearer(token.strip())
        if user is None:
            raise NotAuthenticated("the token is not valid")
        return user
    found = gate.session(request.cookies.get(SESSION_COOKIE, ""))
    if found is None:
        raise NotAuthenticated("log in (POST /api/session) or send Authorization: Bearer <token>")
    session, user = found
    if route.method != "GET" and not gate.csrf_matches(session, request.headers.get(CSRF_HEADER, "")):
        raise Forbidden(f"a browser's {route.method} must carry the session's {CSRF_HEADER}")
    return user


def log_in(api: ApiRequest) -> object:
    """``POST /api/session {"user", "password"}``: a session cookie (HttpOnly, SameSite=Strict, Secure over
    HTTPS) and the CSRF token the page sends back in ``X-CSRF-Token``."""
    if api.gate is None or not api.gate.enabled:
        raise _no_users()
    name, password = text(api.body, "user"), api.body.get("password")
    if name is None or not isinstance(password, str) or len(password) > 1024:
        raise BadRequest('give "user" and "password"')
    session = api.gate.log_in(name, password, request.remote_addr or "-")
    user = api.gate.users[session.user]
    reply = json_response(200, {**_user_view(user), "csrf": session.csrf})
    _set_session_cookie(reply, session)
    return reply


def log_in_methods(api: ApiRequest) -> object:
    """``GET /api/session/methods`` (public: the log-in page asks before anyone has logged in): whether a password
    logs in (there are users) and whether single sign-on does, with the name its button gives the provider."""
    gate = api.gate if api.gate is not None and api.gate.enabled else None
    sso = gate.sso if gate is not None else None
    return {"password": gate is not None, "sso": sso is not None, "sso_label": sso.settings.label if sso else None}


def _set_session_cookie(reply: Response, session: Session) -> None:
    reply.set_cookie(SESSION_COOKIE, session.id, max_age=SESSION_S, httponly=True, samesite="Strict",
                     secure=_over_https(), path="/")


def _over_https() -> bool:
    return request.is_secure or request.headers.get("X-Forwarded-Proto") == "https"


def sso_login(api: ApiRequest) -> Response:
    """``GET /api/sso/login?next=/desk``: off to the OpenID Connect provider (302), the flow's state in a cookie
    (SameSite=Lax: the provider's redirect back is a navigation from another site, which a Strict cookie misses)."""
    sso = _sso(api)
    assert api.gate is not None  # _sso has checked
    api.gate.start_sso(request.remote_addr or "-")
    url, state = sso.start(_our_page(api.query.get("next", "")))
    reply = _redirect(url)
    reply.set_cookie(SSO_COOKIE, state, max_age=int(FLOW_S), httponly=True, samesite="Lax", secure=_over_https(),
                     path="/api/sso")
    return reply


def _our_page(next_path: str) -> str:
    """``next_path`` when it is one of our pages, with its query (the page's language and settings) re-encoded;
    else the desk. Never another site's address: no open redirect."""
    path, _, query = next_path.partition("?")
    if path not in _PAGES or len(next_path) > _MAX_NEXT:
        return _PAGES[0]
    return f"{path}?{urllib.parse.urlencode(urllib.parse.parse_qsl(query))}" if query else path


def sso_callback(api: ApiRequest) -> Response:
    """``GET /api/sso/callback?state=&code=``: the provider sends the browser back; the code is exchanged and the ID
    token verified (``ccswitch.auth.oidc``), and its user, who must be in users.yaml, gets a session (302 to the
    page the log-in started from)."""
    sso, gate = _sso(api), api.gate
    assert gate is not None  # _sso has checked
    state, code = api.query.get("state", ""), api.query.get("code", "")
    if "error" in api.query or not code:
        raise NotAuthenticated("the provider did not log you in")
    if not state or not hmac.compare_digest(state.encode(), request.cookies.get(SSO_COOKIE, "").encode()):
        raise NotAuthenticated("this log-in was not started in this browser: start again at /api/sso/login")
    name, next_path = sso.finish(state, code)
    if name not in gate.users:
        raise Forbidden(f"{name[:64]} signed on, but is not a user here (ccswitch user add)")
    reply = _redirect(next_path)
    _set_session_cookie(reply, gate.open_session(name))
    reply.delete_cookie(SSO_COOKIE, path="/api/sso", httponly=True, samesite="Lax")
    return reply


def _redirect(location: str) -> Response:
    return Response("", 302, {"Location": location, "Cache-Control": "no-store"})


def _sso(api: ApiRequest) -> SingleSignOn:
    if api.gate is None or api.gate.sso is None or not api.gate.enabled:
        raise NotFound("single sign-on is not configured (http.sso, and users in users.yaml)")
    return api.gate.sso


def _no_users() -> NotAuthenticated:
    return NotAuthenticated("no users are configured: the API is open (on loopback only)")


def whoami(api: ApiRequest) -> object:
    if api.user is None or api.gate is None:
        raise _no_users()
    found = api.gate.session(request.cookies.get(SESSION_COOKIE, ""))
    return {**_user_view(api.user), "csrf": found[0].csrf if found else None}


def log_out(api: ApiRequest) -> object:
    if api.gate is None:
        raise _no_users()
    api.gate.log_out(request.cookies.get(SESSION_COOKIE, ""))
    reply = json_response(200, {"logged_out": True})
    reply.delete_cookie(SESSION_COOKIE, path="/", httponly=True, samesite="Strict")
    return reply


def _user_view(user: User) -> dict[str, object]:
    return {"user": user.name, "role": user.role.value, "agent": user.agent, "supervisor": user.supervisor}
