"""Small records that expire, kept under a secret key: browsers' sessions, single sign-on flows, the links of
documents sent to callers. In this process's memory (the memory store: a restart forgets them), or in Redis with
the configured store (they survive a restart, and every controller sharing the Redis reads them).

Redis keys (under the store's ``key_prefix``): ``<kind>:<sha256 of the key>`` → a JSON object, with a Redis time
to live, so a forgotten record goes by itself. The key is the secret's digest: whoever reads Redis finds no
cookie, state or link token to replay. ``take`` reads and deletes in one MULTI/EXEC transaction: of two takers of
one key, on one controller or two, only one gets the record. A Redis that does not answer is a ``StoreError``:
a record is never taken on trust. Memory forgets expired records as new ones come, and the oldest beyond a
bound, so a process that runs for months does not grow.
"""

from __future__ import annotations

import hashlib
import json
import math
import time
from collections.abc import Callable
from typing import Any, Protocol

import redis

from ccswitch.config.model import StoreConfig
from ccswitch.errors import StoreError
from ccswitch.store.redis_client import connect

Record = dict[str, Any]  # JSON-serialisable values
MAX_IN_MEMORY = 100_000  # beyond this many live records of one kind, memory forgets the oldest


class ExpiringRecords(Protocol):
    def put(self, key: str, record: Record, ttl_s: float) -> None:
        """Keep ``record`` under ``key`` for ``ttl_s`` seconds (at least one), replacing what was there."""
        ...

    def get(self, key: str) -> Record | None: ...

    def take(self, key: str) -> Record | None:
        """The record, removed at once: whoever takes or gets ``key`` afterwards finds None."""
        ...

    def delete(self, key: str) -> None: ...


class MemoryRecords:
    def __init__(self, clock: Callable[[], float] = time.monotonic, most: int = MAX_IN_MEMORY) -> None:
        self._clock, self._most = clock, most
        self._records: dict[str, tuple[float, Record]] = {}  # key -> (expires at on the clock, record)

    def put(self, key: str, record: Record, ttl_s: float) -> None:
        now = self._clock()
        self._records.pop(key, None)  # a replaced record goes to the end: the newest
        if len(self._records) >= self._most:
            self._records = {kept: entry for kept, entry in self._records.items() if entry[0] > now}
            while len(self._records) >= self._most:
                del self._records[next(iter(self._records))]
        self._records[key] = (now + max(1.0, ttl_s), dict(record))

    def get(self, key: str) -> Record | None:
        entry = self._records.get(key)
        if entry is None or entry[0] <= self._clock():
            self._records.pop(key, None)
            return None
        return dict(entry[1])

    def take(self, key: str) -> Record | None:
        found = self.get(key)
        self._records.pop(key, None)
        return found

    def delete(self, key: str) -> None:
        self._records.pop(key, None)


class RedisRecords:
    def __init__(self, url: str, key_prefix: str, kind: str, what: str, timeout_s: float = 5.0) -> None:
        """``kind`` names the keys; ``what`` the record in errors ("a session")."""
        self._client, self._where = connect(url, timeout_s)  # _where, for errors: never the URL (a password)
        self._prefix, self._what = f"{key_prefix}{kind}:", what

    def _key(self, key: str) -> str:
        return self._prefix + hashlib.sha256(key.encode()).hexdigest()

    def put(self, key: str, record: Record, ttl_s: float) -> None:
        try:
            self._client.set(self._key(key), json.dumps(record), ex=max(1, math.ceil(ttl_s)))
        except redis.RedisError as exc:
            raise StoreError(f"{self._where}: keep {self._what} failed: {exc}") from exc

    def get(self, key: str) -> Record | None:
        try:
            raw = self._client.get(self._key(key))
        except redis.RedisError as exc:
            raise StoreError(f"{self._where}: read {self._what} failed: {exc}") from exc
        return None if raw is None else _record(raw)

    def take(self, key: str) -> Record | None:
        try:
            with self._client.pipeline(transaction=True) as both:  # MULTI … EXEC: no other command in between
                both.get(self._key(key))
                both.delete(self._key(key))
                raw, _ = both.execute()
        except redis.RedisError as exc:
            raise StoreError(f"{self._where}: take {self._what} failed: {exc}") from exc
        return None if raw is None else _record(raw)

    def delete(self, key: str) -> None:
        try:
            self._client.delete(self._key(key))
        except redis.RedisError as exc:
            raise StoreError(f"{self._where}: remove {self._what} failed: {exc}") from exc

    def close(self) -> None:
        self._client.close()


def _record(raw: str | bytes) -> Record:
    record = json.loads(raw)
    if not isinstance(record, dict):
        raise StoreError(f"a stored record is {type(record).__name__}, not an object")
    return record


def open_records(store: StoreConfig, kind: str, what: str) -> ExpiringRecords:
    """The ``kind`` records of the configured store: Redis's, or this process's memory."""
    if store.backend == "redis":
        return RedisRecords(store.url, store.key_prefix, kind, what)
    return MemoryRecords()
