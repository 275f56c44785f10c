"""A real Redis for the store tests: a private ``redis-server`` on a free port, no persistence.

Falls back to 127.0.0.1:6379 db 15 (each test uses its own key prefix) when redis-server is not installed.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterator

import pytest

from ccswitch.store import MemoryStore, RedisStore, Store
from ccswitch.store.resilient import ResilientStore

from .redis_server import RedisServer, answers_ping, has_redis_server

FALLBACK_URL = "redis://127.0.0.1:6379/15"
OUTAGE_CLOCK = 1_712_345_678.0  # the resilient store reads its clock only when an outage starts


@pytest.fixture(scope="session")
def redis_url() -> Iterator[str]:
    if not has_redis_server():
        if not answers_ping(FALLBACK_URL):
            pytest.skip(f"neither redis-server nor a Redis at {FALLBACK_URL}")
        yield FALLBACK_URL
        return
    server = RedisServer()
    yield server.url
    server.stop()


@pytest.fixture
def private_redis() -> Iterator[RedisServer]:
    """A server this test alone uses, so it may kill it."""
    if not has_redis_server():
        pytest.skip("redis-server is not installed")
    server = RedisServer()
    yield server
    server.stop()


@pytest.fixture(params=["memory", "redis", "resilient"])
def store(request: pytest.FixtureRequest) -> Iterator[Store]:
    """Each store the contract holds for, empty: in memory, on Redis, and on Redis behind the resilient store."""
    if request.param == "memory":
        yield MemoryStore()
        return
    url = request.getfixturevalue("redis_url")
    redis_store = RedisStore(url, key_prefix=f"test:{uuid.uuid4().hex}:")
    yield redis_store if request.param == "redis" else ResilientStore(redis_store, lambda: OUTAGE_CLOCK)
    redis_store.close()


@pytest.fixture
def two_redis_clients(redis_url: str) -> Iterator[tuple[RedisStore, RedisStore]]:
    """Two controllers sharing one Redis: separate clients, same key prefix."""
    prefix = f"test:{uuid.uuid4().hex}:"
    first, second = RedisStore(redis_url, prefix), RedisStore(redis_url, prefix)
    yield first, second
    first.close()
    second.close()
