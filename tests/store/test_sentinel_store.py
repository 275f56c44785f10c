"""The Redis store behind real sentinels: it finds the master, and a write the master refuses (it did nothing) is
sent again until the master takes it, within the store's timeout, and fails after it."""

from __future__ import annotations

import time
from collections.abc import Iterator

import gevent
import pytest

from ccswitch.acd import agents as agent_fsm
from ccswitch.errors import StoreError
from ccswitch.store.redis_store import RedisStore

from .redis_server import has_redis_server
from .sentinel_cluster import PASSWORD, SentinelCluster


@pytest.fixture(scope="module")
def sentinels() -> Iterator[SentinelCluster]:
    if not has_redis_server():
        pytest.skip("redis-server is not installed: no Sentinel set-up")
    cluster = SentinelCluster()
    yield cluster
    cluster.stop()


def require_replicas(cluster: SentinelCluster, count: int) -> None:
    cluster.server(cluster.master()).config_set("min-replicas-to-write", count)


def test_given_a_sentinel_url_then_the_store_writes_to_the_master_they_name(sentinels: SentinelCluster) -> None:
    store = RedisStore(sentinels.url, "found:")
    try:
        store.put_agent(agent_fsm.new_agent("1001", 0.0))
        assert sentinels.server(sentinels.master()).hget("found:agents", "1001") is not None
    finally:
        store.close()


def test_given_the_master_refuses_writes_for_a_while_then_a_write_waits_and_lands_once(
    sentinels: SentinelCluster,
) -> None:
    store = RedisStore(sentinels.url, "refused:", timeout_s=3.0)
    require_replicas(sentinels, 3)  # it has two: NOREPLICAS
    try:
        gevent.spawn_later(1.0, require_replicas, sentinels, 0)
        started = time.monotonic()
        agent = store.put_agent(agent_fsm.new_agent("1001", 0.0))
        assert time.monotonic() - started >= 0.9  # refused until the master was satisfied, not failed
        assert agent.version == 1 and store.get_agent("1001") == agent  # written once
    finally:
        require_replicas(sentinels, 0)
        store.close()


def test_given_the_master_refuses_writes_past_the_timeout_then_the_write_fails(sentinels: SentinelCluster) -> None:
    store = RedisStore(sentinels.url, "refused-long:", timeout_s=0.5)
    require_replicas(sentinels, 3)
    try:
        with pytest.raises(StoreError, match="NOREPLICAS") as caught:
            store.put_agent(agent_fsm.new_agent("1001", 0.0))
        assert str(caught.value).startswith("redis sentinel service ccs db 0 (sentinels 127.0.0.1:")
        assert PASSWORD not in str(caught.value)
    finally:
        require_replicas(sentinels, 0)
        store.close()
