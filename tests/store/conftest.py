"""A real Redis for the store tests: a private ``redis-server`` on a free port, no persistence.

Falls back to 127.0.0.1:6379 db 15 (each test uses its own key prefix) when redis-server is not installed.
"""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from .redis_server import RedisServer, answers_ping, has_redis_server

FALLBACK_URL = "redis://127.0.0.1:6379/15"


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
