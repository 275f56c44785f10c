"""Where logged-in browsers' sessions are kept: in the controller's memory (the memory store: a restart logs
everyone out), or in Redis with the configured store (they survive a controller restart, and every controller
sharing the Redis knows them).

Redis keys (under the store's ``key_prefix``): ``session:<sha256 of the id>`` → JSON ``{user, csrf, expires_at}``,
with a Redis time to live of the session's remaining life, so a forgotten session goes by itself. The key is the
id's digest: whoever reads Redis finds no cookie to replay. Logging out deletes the key at once; a removed user's
session is refused and deleted on its next use (``ccswitch.auth.gate``). A Redis that does not answer is a
``StoreError`` (503): a session is never taken on trust.
"""

from __future__ import annotations

import hashlib
import json
import math
from dataclasses import asdict, dataclass
from typing import Protocol

import redis

from ccswitch.config.model import StoreConfig
from ccswitch.errors import StoreError
from ccswitch.store.redis_client import connect


@dataclass(frozen=True, slots=True)
class Session:
    id: str
    user: str
    csrf: str
    expires_at: float


class Sessions(Protocol):
    def put(self, session: Session, ttl_s: float) -> None:
        """Keep ``session`` for ``ttl_s`` seconds at least (its expiry is ``expires_at``, checked by the gate)."""
        ...

    def get(self, session_id: str) -> Session | None: ...

    def delete(self, session_id: str) -> None: ...


class MemorySessions:
    def __init__(self) -> None:
        self._sessions: dict[str, Session] = {}

    def put(self, session: Session, ttl_s: float) -> None:
        self._sessions[session.id] = session

    def get(self, session_id: str) -> Session | None:
        return self._sessions.get(session_id)

    def delete(self, session_id: str) -> None:
        self._sessions.pop(session_id, None)


class RedisSessions:
    def __init__(self, url: str, key_prefix: str, timeout_s: float = 5.0) -> None:
        self._client, self._where = connect(url, timeout_s)  # _where, for errors: never the URL (a password)
        self._prefix = f"{key_prefix}session:"

    def _key(self, session_id: str) -> str:
        return self._prefix + hashlib.sha256(session_id.encode()).hexdigest()

    def put(self, session: Session, ttl_s: float) -> None:
        record = {key: value for key, value in asdict(session).items() if key != "id"}
        try:
            self._client.set(self._key(session.id), json.dumps(record), ex=max(1, math.ceil(ttl_s)))
        except redis.RedisError as exc:
            raise StoreError(f"{self._where}: keep a session failed: {exc}") from exc

    def get(self, session_id: str) -> Session | None:
        try:
            raw = self._client.get(self._key(session_id))
        except redis.RedisError as exc:
            raise StoreError(f"{self._where}: read a session failed: {exc}") from exc
        if raw is None:
            return None
        record = json.loads(raw)
        return Session(session_id, str(record["user"]), str(record["csrf"]), float(record["expires_at"]))

    def delete(self, session_id: str) -> None:
        try:
            self._client.delete(self._key(session_id))
        except redis.RedisError as exc:
            raise StoreError(f"{self._where}: end a session failed: {exc}") from exc

    def close(self) -> None:
        self._client.close()


def open_sessions(store: StoreConfig) -> Sessions:
    """The sessions of the configured store: Redis's, or this process's memory."""
    return RedisSessions(store.url, store.key_prefix) if store.backend == "redis" else MemorySessions()
