"""Expiring records (``ccswitch.store.expiring``), the one contract behind sessions, sign-on flows and document
links: the same tests on memory and on a real Redis; then what each keeps to itself (memory's clock and bound,
Redis's hashed keys, time to live and refusal)."""

from __future__ import annotations

import hashlib
import uuid
from collections.abc import Iterator

import pytest
import redis

from ccswitch.config.model import StoreConfig
from ccswitch.errors import StoreError
from ccswitch.store.expiring import ExpiringRecords, MemoryRecords, RedisRecords, open_records

from .redis_server import RedisServer


@pytest.fixture(params=["memory", "redis"])
def records(request: pytest.FixtureRequest) -> Iterator[ExpiringRecords]:
    if request.param == "memory":
        yield MemoryRecords()
        return
    kept = RedisRecords(request.getfixturevalue("redis_url"), f"test:{uuid.uuid4().hex}:", "thing", "a thing")
    yield kept
    kept.close()


def test_a_record_is_read_back_as_it_was_kept(records: ExpiringRecords) -> None:
    records.put("secret-1", {"user": "alice", "expires_at": 1.5, "tags": ["a"]}, 60)
    assert records.get("secret-1") == {"user": "alice", "expires_at": 1.5, "tags": ["a"]}
    assert records.get("secret-2") is None


def test_put_replaces_and_delete_removes(records: ExpiringRecords) -> None:
    records.put("key", {"n": 1}, 60)
    records.put("key", {"n": 2}, 60)
    assert records.get("key") == {"n": 2}
    records.delete("key")
    records.delete("key")  # deleting what is gone is no error
    assert records.get("key") is None


def test_take_hands_a_record_out_once(records: ExpiringRecords) -> None:
    records.put("state", {"nonce": "n"}, 60)
    assert records.take("state") == {"nonce": "n"}
    assert records.take("state") is None
    assert records.get("state") is None


def test_a_record_read_is_a_copy(records: ExpiringRecords) -> None:
    kept = {"n": 1}
    records.put("key", kept, 60)
    kept["n"] = 2
    read = records.get("key")
    assert read == {"n": 1}
    read["n"] = 3
    assert records.get("key") == {"n": 1}


def test_memory_forgets_a_record_when_its_time_is_up() -> None:
    now = [100.0]
    records = MemoryRecords(clock=lambda: now[0])
    records.put("short", {"n": 1}, 10)
    records.put("long", {"n": 2}, 100)
    now[0] += 10
    assert records.get("short") is None
    assert records.take("short") is None
    assert records.get("long") == {"n": 2}


def test_memory_stays_within_its_bound_forgetting_the_expired_then_the_oldest() -> None:
    now = [0.0]
    records = MemoryRecords(clock=lambda: now[0], most=3)
    records.put("expired", {}, 1)
    records.put("old", {}, 100)
    records.put("newer", {}, 100)
    now[0] = 5.0
    records.put("new", {}, 100)  # the expired one makes room
    assert [records.get(key) for key in ("old", "newer", "new")] == [{}, {}, {}]
    records.put("old", {"again": True}, 100)  # replaced: now the newest
    records.put("newest", {}, 100)  # full of live records: the oldest goes
    assert records.get("newer") is None
    assert [records.get(key) for key in ("new", "old", "newest")] == [{}, {"again": True}, {}]


def test_redis_keeps_the_digest_of_the_key_with_a_time_to_live(redis_url: str) -> None:
    prefix = f"test:{uuid.uuid4().hex}:"
    records = open_records(StoreConfig("redis", redis_url, prefix), "session", "a session")
    records.put("the-cookie", {"user": "alice"}, 90.2)
    client = redis.Redis.from_url(redis_url, decode_responses=True)
    digest = hashlib.sha256(b"the-cookie").hexdigest()
    assert client.keys(f"{prefix}*") == [f"{prefix}session:{digest}"]
    assert 90 <= client.ttl(f"{prefix}session:{digest}") <= 91
    records.put("brief", {}, 0.2)  # Redis counts whole seconds: at least one
    assert client.ttl(f"{prefix}session:{hashlib.sha256(b'brief').hexdigest()}") == 1


def test_a_record_that_is_not_an_object_is_a_store_error(redis_url: str) -> None:
    prefix = f"test:{uuid.uuid4().hex}:"
    records = RedisRecords(redis_url, prefix, "thing", "a thing")
    redis.Redis.from_url(redis_url).set(f"{prefix}thing:{hashlib.sha256(b'key').hexdigest()}", "[1, 2]")
    with pytest.raises(StoreError, match="not an object"):
        records.get("key")


def test_a_redis_that_does_not_answer_is_a_store_error_naming_the_record(private_redis: RedisServer) -> None:
    records = RedisRecords(private_redis.url, "test:", "sso-flow", "a single sign-on flow", timeout_s=0.5)
    records.put("state", {}, 60)
    private_redis.stop()
    for attempt in (lambda: records.get("state"), lambda: records.take("state"),
                    lambda: records.put("state", {}, 60), lambda: records.delete("state")):
        with pytest.raises(StoreError, match="a single sign-on flow failed"):
            attempt()


def test_the_memory_store_keeps_records_in_memory() -> None:
    assert isinstance(open_records(StoreConfig("memory", "", ""), "session", "a session"), MemoryRecords)
