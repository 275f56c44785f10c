"""Shared state: one ``Store`` contract, an in-process and a Redis implementation."""

from ccswitch.store.base import Store
from ccswitch.store.memory import MemoryStore
from ccswitch.store.redis_store import RedisStore

BACKENDS = ("memory", "redis")


def open_store(backend: str, url: str | None, key_prefix: str) -> Store:
    """The configured store; a Redis store is pinged so a wrong URL fails at start-up with ``StoreError``."""
    if backend == "memory":
        return MemoryStore()
    if backend == "redis":
        if not url:
            raise ValueError("the redis store needs a url, e.g. redis://127.0.0.1:6379/0")
        store = RedisStore(url, key_prefix)
        store.ping()
        return store
    raise ValueError(f"unknown store backend {backend!r} (known: {', '.join(BACKENDS)})")


__all__ = ["BACKENDS", "MemoryStore", "RedisStore", "Store", "open_store"]
