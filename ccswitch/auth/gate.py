"""The live side of authentication: the users file (re-read when it changes), log-in with its rate limits, the
sessions of logged-in browsers and the API tokens of scripts.

A session is a random 256-bit id in a cookie, kept with its user, its CSRF token and its expiry in the configured
store (``ccswitch.auth.sessions``: memory, where a restart logs everyone out; or Redis, where sessions survive a
restart); logging out ends it at once, and so does removing the user. A browser's POST and DELETE must
echo the session's CSRF token in ``X-CSRF-Token``; a request with a bearer token has no cookie to abuse and needs none.
"""

from __future__ import annotations

import hmac
import logging
import secrets
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING

from ccswitch.auth import limits
from ccswitch.auth.sessions import Session, Sessions
from ccswitch.auth.users import User, load_users, password_matches, token_digest
from ccswitch.errors import CcswitchError, ConfigError

if TYPE_CHECKING:
    from ccswitch.auth.oidc import SingleSignOn

log = logging.getLogger(__name__)

SESSION_S = 12 * 3600  # a working day and a bit; then log in again
_MAX_BUCKETS = 10_000  # full buckets are forgotten beyond this many keys


class NotAuthenticated(CcswitchError):
    error_id = "not_authenticated"


class Forbidden(CcswitchError):
    error_id = "forbidden"


class TooManyAttempts(CcswitchError):
    error_id = "too_many_attempts"

    def __init__(self, retry_after: float, what: str = "failed log-ins") -> None:
        super().__init__(f"too many {what}: try again in {int(retry_after) + 1} s")
        self.retry_after = int(retry_after) + 1


class Gate:
    """Users from ``users_file`` (re-read when its modification time changes), sessions (in ``sessions``; this
    process's memory by default) and log-in buckets."""

    def __init__(self, users_file: Path, clock: Callable[[], float], sessions: Sessions | None = None,
                 sso: SingleSignOn | None = None) -> None:
        """Raises ConfigError when ``users_file`` is malformed: at start-up that stops ``ccswitch run``."""
        self.users_file = users_file
        self._clock = clock
        self._users: dict[str, User] = {}
        self._by_token: dict[str, User] = {}
        self._seen: float | None = None
        self._sessions = Sessions() if sessions is None else sessions
        self.sso = sso  # log-in through an OpenID Connect provider, when configured (http.sso)
        self._buckets: dict[tuple[str, str], limits.Bucket] = {}
        self._sso_starts = limits.Throttle(limits.SSO_STARTS_PER_ADDRESS)
        self._users = load_users(users_file)

    @property
    def users(self) -> dict[str, User]:
        try:
            stamp = self.users_file.stat().st_mtime_ns
        except FileNotFoundError:
            stamp = None
        if stamp != self._seen:
            self._seen = stamp
            try:
                self._users = load_users(self.users_file)
            except ConfigError as exc:  # a hand edit gone wrong: the users as they were, until it is fixed
                log.error("users not re-read, the previous ones stay: %s", exc)
            self._by_token = {digest: user for user in self._users.values() for digest in user.tokens.values()}
        return self._users

    @property
    def enabled(self) -> bool:
        """Authentication is on once the users file has a user."""
        return bool(self.users)

    def start_sso(self, address: str) -> None:
        """Count a single sign-on started from ``address`` (each keeps a flow for ten minutes, in Redis with a
        shared store); refused (TooManyAttempts) beyond ``limits.SSO_STARTS_PER_ADDRESS``."""
        wait = self._sso_starts.take(address, self._clock())
        if wait:
            raise TooManyAttempts(wait, "sign-ons started from this address")

    def log_in(self, name: str, password: str, address: str) -> Session:
        """A new session for ``name``; refused (TooManyAttempts) while the user's or the address's bucket is empty,
        before the password is even checked."""
        now = self._clock()
        keys = ((("user", name), limits.PER_USER), (("address", address), limits.PER_ADDRESS))
        wait = max(limits.retry_after(self._buckets.get(key), now, rule) for key, rule in keys)
        if wait > 0:
            raise TooManyAttempts(wait)
        user = self.users.get(name)
        if not password_matches(user, password) or user is None:
            for key, rule in keys:
                self._buckets[key] = limits.penalise(self._buckets.get(key), now, rule)
            self._forget_full_buckets(now)
            raise NotAuthenticated("wrong user name or password")
        return self.open_session(name)

    def open_session(self, name: str) -> Session:
        """A new session for user ``name``, who has proved who they are (a password, or single sign-on)."""
        session = Session(secrets.token_urlsafe(32), name, secrets.token_urlsafe(32), self._clock() + SESSION_S)
        self._sessions.put(session, SESSION_S)
        return session

    def log_out(self, session_id: str) -> None:
        if session_id:
            self._sessions.delete(session_id)

    def session(self, session_id: str) -> tuple[Session, User] | None:
        """The live session ``session_id`` and its user (None when unknown, expired, or the user was removed)."""
        session = self._sessions.get(session_id) if session_id else None
        if session is None:
            return None
        user = self.users.get(session.user)
        if user is None or session.expires_at <= self._clock():
            self._sessions.delete(session_id)
            return None
        return session, user

    def bearer(self, token: str) -> User | None:
        self.users  # noqa: B018 (re-read a changed file first)
        return self._by_token.get(token_digest(token))

    @staticmethod
    def csrf_matches(session: Session, sent: str) -> bool:
        return hmac.compare_digest(session.csrf.encode(), sent.encode())

    def _forget_full_buckets(self, now: float) -> None:
        if len(self._buckets) > _MAX_BUCKETS:
            rules = {"user": limits.PER_USER, "address": limits.PER_ADDRESS}
            self._buckets = {key: bucket for key, bucket in self._buckets.items()
                             if not limits.is_full(bucket, now, rules[key[0]])}
