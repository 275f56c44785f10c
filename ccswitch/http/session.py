"""Who is asking: a browser's session cookie (with its CSRF token) or a script's bearer token, and the routes that
log a person in and out (``/api/session``)."""

from __future__ import annotations

from flask import request

from ccswitch.auth.access import Access
from ccswitch.auth.gate import SESSION_S, Forbidden, Gate, NotAuthenticated
from ccswitch.auth.users import User
from ccswitch.http.errors import BadRequest, json_response
from ccswitch.http.request import ApiRequest, Route, text

SESSION_COOKIE = "ccswitch_session"
CSRF_HEADER = "X-CSRF-Token"


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
    reply.set_cookie(SESSION_COOKIE, session.id, max_age=SESSION_S, httponly=True, samesite="Strict",
                     secure=request.is_secure or request.headers.get("X-Forwarded-Proto") == "https", path="/")
    return reply


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
