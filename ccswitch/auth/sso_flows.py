"""Where single sign-on flows wait between the log-in and the provider's callback (``ccswitch.auth.oidc``): in the
controller's memory (the memory store), or in Redis with the configured store, so that any controller sharing the
Redis finishes a flow another one started (no sticky sessions behind a load balancer) and a restart in between
loses none.

Redis keys (under the store's ``key_prefix``): ``sso-flow:<sha256 of the state>`` → JSON ``{nonce, verifier,
next_path, expires_at}``, with a Redis time to live of the flow's life, so an abandoned flow goes by itself. The key
is the state's digest: whoever reads Redis finds no state to finish a flow with. ``take`` reads and deletes the key
in one MULTI/EXEC transaction: of two callbacks with one state, on one controller or two, only one gets the flow.
A Redis that does not answer is a ``StoreError`` (503).
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

MAX_IN_MEMORY = 10_000  # beyond this many started and unfinished flows, memory forgets the oldest


@dataclass(frozen=True, slots=True)
class Flow:
    """What the callback needs of the log-in that started it."""

    nonce: str
    verifier: str  # the PKCE code verifier
    next_path: str
    expires_at: float  # epoch seconds: every controller sharing the store reads the same clock


class Flows(Protocol):
    def put(self, state: str, flow: Flow, now: float) -> None:
        """Keep ``flow`` under ``state`` until its ``expires_at`` at least (``now``: the time it starts)."""
        ...

    def take(self, state: str) -> Flow | None:
        """The flow ``state``, removed at once: whoever takes the same state again finds None."""
        ...


class MemoryFlows:
    def __init__(self) -> None:
        self._flows: dict[str, Flow] = {}

    def put(self, state: str, flow: Flow, now: float) -> None:
        self._flows = {kept: old for kept, old in self._flows.items() if old.expires_at > now}
        while len(self._flows) >= MAX_IN_MEMORY:
            del self._flows[next(iter(self._flows))]
        self._flows[state] = flow

    def take(self, state: str) -> Flow | None:
        return self._flows.pop(state, None)


class RedisFlows:
    def __init__(self, url: str, key_prefix: str, timeout_s: float = 5.0) -> None:
        self._client, self._where = connect(url, timeout_s)  # _where, for errors: never the URL (a password)
        self._prefix = f"{key_prefix}sso-flow:"

    def _key(self, state: str) -> str:
        return self._prefix + hashlib.sha256(state.encode()).hexdigest()

    def put(self, state: str, flow: Flow, now: float) -> None:
        try:
            self._client.set(self._key(state), json.dumps(asdict(flow)),
                             ex=max(1, math.ceil(flow.expires_at - now)))
        except redis.RedisError as exc:
            raise StoreError(f"{self._where}: keep a single sign-on flow failed: {exc}") from exc

    def take(self, state: str) -> Flow | None:
        try:
            with self._client.pipeline(transaction=True) as both:  # MULTI … EXEC: no other command in between
                both.get(self._key(state))
                both.delete(self._key(state))
                raw, _ = both.execute()
        except redis.RedisError as exc:
            raise StoreError(f"{self._where}: take a single sign-on flow failed: {exc}") from exc
        if raw is None:
            return None
        record = json.loads(raw)
        return Flow(str(record["nonce"]), str(record["verifier"]), str(record["next_path"]),
                    float(record["expires_at"]))

    def close(self) -> None:
        self._client.close()


def open_flows(store: StoreConfig) -> Flows:
    """The single sign-on flows of the configured store: Redis's, or this process's memory."""
    return RedisFlows(store.url, store.key_prefix) if store.backend == "redis" else MemoryFlows()
