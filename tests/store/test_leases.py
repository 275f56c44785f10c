"""Node leases in a real Redis: the first controller takes the free nodes, another takes them only once the
holder's lease lapsed or was released, and a holder that comes back finds them gone."""

from __future__ import annotations

import time
from collections.abc import Iterator

import pytest

from ccswitch.errors import StoreError
from ccswitch.store.leases import NodeLeases

from .redis_server import RedisServer, free_port

NODES = ("fs1", "fs2")
TTL_S = 0.3


@pytest.fixture
def pair(private_redis: RedisServer) -> Iterator[tuple[NodeLeases, NodeLeases]]:
    first, second = (NodeLeases(private_redis.url, "lease:", me, TTL_S) for me in ("a", "b"))
    yield first, second
    first.close()
    second.close()


def test_given_free_nodes_then_the_first_to_ask_takes_them_all_and_the_other_none(
    pair: tuple[NodeLeases, NodeLeases],
) -> None:
    first, second = pair

    assert first.hold(NODES) == set(NODES)
    assert second.hold(NODES) == set()
    assert first.hold(NODES) == set(NODES)  # renewed, kept
    assert first.owners() == {"fs1": "a", "fs2": "a"}


def test_given_the_holder_stops_renewing_then_the_other_takes_every_node_once_its_lease_lapsed(
    pair: tuple[NodeLeases, NodeLeases],
) -> None:
    first, second = pair
    first.hold(NODES)
    renewed_at = time.monotonic()

    while second.hold(NODES) == set():
        assert time.monotonic() - renewed_at < TTL_S + 1.0, "the lease never lapsed"
        time.sleep(0.01)

    assert time.monotonic() - renewed_at >= TTL_S * 0.9  # not before it lapsed (Redis expires to the millisecond)
    assert second.owners() == {"fs1": "b", "fs2": "b"}
    assert first.hold(NODES) == set()  # back too late: the nodes are the other's


def test_given_the_holder_releases_then_the_other_takes_the_nodes_at_once(pair: tuple[NodeLeases, NodeLeases]) -> None:
    first, second = pair
    first.hold(NODES)

    first.release()

    assert second.hold(NODES) == set(NODES)


def test_a_controller_is_alive_while_its_lease_lives(pair: tuple[NodeLeases, NodeLeases]) -> None:
    first, second = pair
    assert not second.alive("a")  # never held
    first.hold(NODES)
    assert second.alive("a")
    first.release()
    assert not second.alive("a")


def test_given_no_redis_then_holding_raises_store_error() -> None:
    leases = NodeLeases(f"redis://127.0.0.1:{free_port()}/0", "lease:", "a", TTL_S)
    with pytest.raises(StoreError, match="renew the lease of controller a"):
        leases.hold(NODES)
    with pytest.raises(StoreError, match="is controller b alive"):
        leases.alive("b")


def test_a_lease_must_live_for_some_time() -> None:
    with pytest.raises(ValueError, match="must be positive"):
        NodeLeases("redis://127.0.0.1:6379/0", "lease:", "a", 0)
