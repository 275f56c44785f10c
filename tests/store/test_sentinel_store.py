"""The Redis store behind real sentinels: it finds the master, and a write the master refuses (it did nothing) is
sent again until the master takes it, within the store's timeout, and fails after it. A change of master is told
to the first command that meets it (not sent), so that the controller writes through what the old master lost."""

from __future__ import annotations

import json
import time
from collections.abc import Iterator

import gevent
import pytest

from ccswitch.acd import Agent, AgentState
from ccswitch.acd import agents as agent_fsm
from ccswitch.errors import StoreError, StoreUnavailable
from ccswitch.store.redis_client import MasterAddress
from ccswitch.store.redis_store import RedisStore
from ccswitch.store.resilient import ResilientStore

from .redis_server import has_redis_server
from .sentinel_cluster import PASSWORD, SERVICE, SentinelCluster, wait_for


def _sentinel_cluster() -> Iterator[SentinelCluster]:
    if not has_redis_server():
        pytest.skip("redis-server is not installed: no Sentinel set-up")
    started = SentinelCluster()
    yield started
    started.stop()


sentinels = pytest.fixture(scope="module")(_sentinel_cluster)
own_sentinels = pytest.fixture(_sentinel_cluster)  # for a test that moves the master


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


def test_a_change_of_master_is_told_once_and_not_before_a_first_master_was_reached() -> None:
    master = MasterAddress()
    assert master.reached(("10.0.0.1", 6379)) is None
    assert master.reached(("10.0.0.1", 6379)) is None
    assert master.reached(("10.0.0.2", 6379)) == ("10.0.0.1", 6379)
    assert master.reached(("10.0.0.2", 6379)) is None  # the pool's other connections, following


def stored_agents(cluster: SentinelCluster, port: int, prefix: str) -> dict[str, tuple[str, int]]:
    """Agent id → (state, version) as the server on ``port`` holds them."""
    server = cluster.server(port)
    records, versions = server.hgetall(f"{prefix}agents"), server.hgetall(f"{prefix}agent-versions")
    return {agent: (json.loads(record)["state"], int(versions[agent])) for agent, record in records.items()}


def test_given_sentinel_failover_while_the_master_runs_then_what_the_old_master_took_is_written_through(
    own_sentinels: SentinelCluster,
) -> None:
    cluster = own_sentinels
    store = ResilientStore(RedisStore(cluster.url, "moved:"), time.time)
    try:
        mine = {agent_id: store.put_agent(agent_fsm.new_agent(agent_id, 0.0)) for agent_id in ("1001", "1002")}
        old = cluster.master()
        assert cluster.server(old).wait(len(cluster.replica_ports), 5000) == len(cluster.replica_ports)
        cluster.sentinel(cluster.sentinel_ports[0]).execute_command("SENTINEL", "FAILOVER", SERVICE)
        wait_for(lambda: cluster.master() != old, 15, "the sentinels to promote a replica")

        def change(agent: Agent, event: agent_fsm.AgentEvent) -> Agent:
            stored = store.update_agent(agent, agent_fsm.apply(agent, event, time.time()))
            assert stored is not None
            mine[agent.id] = stored
            return stored

        # The old master, not converted yet, still takes writes: the store's connection is to it.
        change(change(mine["1002"], agent_fsm.Login()), agent_fsm.TakeBreak("lunch"))
        assert stored_agents(cluster, old, "moved:")["1002"] == ("on_break", 3)
        wait_for(lambda: cluster.server(old).role()[0] == "slave", 30, "the sentinels to convert the old master")
        new = cluster.master()
        assert stored_agents(cluster, new, "moved:")["1002"] == ("logged_out", 1)  # what it acknowledged is lost

        # The next write is refused by the old master and meets the new one: not sent, taken as an outage.
        change(mine["1001"], agent_fsm.Login())
        assert not store.available and "the master changed" in store.outage_cause
        store.ping()
        agents = store.write_through()

        assert agents is not None and store.available
        expected = {agent.id: (agent.state.value, agent.version) for agent in mine.values()}
        assert stored_agents(cluster, new, "moved:") == expected == {"1001": ("available", 2), "1002": ("on_break", 3)}
        assert {agent.id: (agent.state, agent.version) for agent in agents} == {
            "1001": (AgentState.AVAILABLE, 2), "1002": (AgentState.ON_BREAK, 3)}
    finally:
        store.close()


def test_given_a_connection_still_on_the_old_master_when_another_reaches_the_new_one_then_it_is_dropped_too(
    own_sentinels: SentinelCluster,
) -> None:
    """Going on with the old master, it would write what is lost again, and its reconnection later would tell
    nobody (the change was told once). redis-py's pool does it: this pins it down."""
    cluster = own_sentinels
    store = RedisStore(cluster.url, "dropped:")
    try:
        store.put_agent(agent_fsm.new_agent("1001", 0.0))
        pool = store._client.connection_pool
        in_use = pool.get_connection()  # another greenlet's, between two commands to the old master
        old = cluster.master()
        cluster.sentinel(cluster.sentinel_ports[0]).execute_command("SENTINEL", "FAILOVER", SERVICE)
        # (the address clients are given: it changes once the replicas follow the promoted one, after its promotion)
        wait_for(lambda: all(int(cluster.sentinel(port).sentinel_master(SERVICE)["port"]) != old
                             for port in cluster.sentinel_ports), 15, "every sentinel to give the new master")
        assert in_use.port == old
        with pytest.raises(StoreUnavailable, match="the master changed"):
            store.get_agent("1001")  # on a connection of its own: it reaches the new master
        pool.release(in_use)
        assert store.get_agent("1001") is not None
        assert {connection.port for connection in pool._available_connections} == {cluster.master()}
    finally:
        store.close()
