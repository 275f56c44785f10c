"""Redis store: several controllers share agents, queue entries and the arrival counter.

Keys (all under ``key_prefix``, used verbatim, e.g. ``"ccswitch:"``):

* ``agents`` — hash agent id → JSON record (without version);
* ``agent-versions`` — hash agent id → version; kept apart so the compare-and-set script never has to decode
  and re-encode JSON in Lua (its cjson rounds floats such as timestamps to 14 digits);
* ``entries:<queue>`` — hash call uuid → JSON entry; ordering fields are inside and sorted client-side, which
  keeps float timestamps exact (a single sorted-set score cannot hold priority, time and seq losslessly);
* ``queues`` — set of queue names that have had entries (``all_entries`` reads these);
* ``seq`` — the arrival counter.

redis-py's automatic retries are turned off: re-sending a compare-and-set whose reply was lost would see its
own write, report a lost race and leave the agent reserved for nobody. Failures surface as ``StoreError``; the
engine decides what to do.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import asdict, replace
from typing import Any

import redis
from redis.backoff import NoBackoff
from redis.retry import Retry

from ccswitch.acd import Agent, AgentState, QueueEntry, in_order
from ccswitch.errors import StoreError
from ccswitch.store.base import check_same_agent

# KEYS: agents hash, versions hash. ARGV: agent id, expected version, new JSON. Returns new version or nil.
_COMPARE_AND_SET = """
local current = tonumber(redis.call('HGET', KEYS[2], ARGV[1]) or '0')
if current ~= tonumber(ARGV[2]) then
    return false
end
redis.call('HSET', KEYS[1], ARGV[1], ARGV[3])
return redis.call('HINCRBY', KEYS[2], ARGV[1], 1)
"""


class RedisStore:
    def __init__(self, url: str, key_prefix: str, timeout_s: float = 5.0) -> None:
        self._client = redis.Redis.from_url(
            url,
            decode_responses=True,
            socket_timeout=timeout_s,
            socket_connect_timeout=timeout_s,
            retry=Retry(NoBackoff(), 0),
        )
        kwargs = self._client.connection_pool.connection_kwargs
        # Where, for error messages: never the URL itself, which may hold a password.
        self._where = f"redis {kwargs.get('host', kwargs.get('path', '?'))}:{kwargs.get('port', '')}"
        self._agents_key = f"{key_prefix}agents"
        self._versions_key = f"{key_prefix}agent-versions"
        self._queues_key = f"{key_prefix}queues"
        self._seq_key = f"{key_prefix}seq"
        self._entries_prefix = f"{key_prefix}entries:"
        self._compare_and_set = self._client.register_script(_COMPARE_AND_SET)

    def get_agent(self, agent_id: str) -> Agent | None:
        with self._failures("get agent " + agent_id):
            pipe = self._client.pipeline(transaction=True)
            pipe.hget(self._agents_key, agent_id)
            pipe.hget(self._versions_key, agent_id)
            record, version = pipe.execute()
            return None if record is None else self._decode_agent(record, version)

    def agents(self) -> list[Agent]:
        with self._failures("list agents"):
            pipe = self._client.pipeline(transaction=True)
            pipe.hgetall(self._agents_key)
            pipe.hgetall(self._versions_key)
            records, versions = pipe.execute()
            return [self._decode_agent(record, versions.get(agent)) for agent, record in records.items()]

    def put_agent(self, agent: Agent) -> Agent:
        with self._failures("put agent " + agent.id):
            pipe = self._client.pipeline(transaction=True)
            pipe.hset(self._agents_key, agent.id, _encode_agent(agent))
            pipe.hincrby(self._versions_key, agent.id, 1)
            _, version = pipe.execute()
            return _with_version(agent, version)

    def update_agent(self, old: Agent, new: Agent) -> Agent | None:
        check_same_agent(old, new)
        with self._failures("update agent " + old.id):
            version = self._compare_and_set(
                keys=[self._agents_key, self._versions_key], args=[old.id, old.version, _encode_agent(new)]
            )
            return None if version is None else _with_version(new, version)

    def add_entry(self, entry: QueueEntry) -> None:
        with self._failures(f"add call {entry.call} to queue {entry.queue}"):
            pipe = self._client.pipeline(transaction=True)
            pipe.hset(self._entries_key(entry.queue), entry.call, json.dumps(asdict(entry)))
            pipe.sadd(self._queues_key, entry.queue)
            pipe.execute()

    def remove_entry(self, queue: str, call: str) -> bool:
        with self._failures(f"remove call {call} from queue {queue}"):
            return bool(self._client.hdel(self._entries_key(queue), call))

    def entries(self, queue: str) -> list[QueueEntry]:
        with self._failures("read queue " + queue):
            records = self._client.hvals(self._entries_key(queue))
            return in_order(self._decode_entry(record) for record in records)

    def all_entries(self) -> dict[str, list[QueueEntry]]:
        with self._failures("read all queues"):
            # decode_responses makes these str already; the client's types admit bytes.
            queues = sorted(str(name) for name in self._client.smembers(self._queues_key))
            pipe = self._client.pipeline(transaction=True)
            for queue in queues:
                pipe.hvals(self._entries_key(queue))
            per_queue = pipe.execute()
            return {
                queue: in_order(self._decode_entry(record) for record in records)
                for queue, records in zip(queues, per_queue, strict=True)
                if records
            }

    def next_seq(self) -> int:
        with self._failures("next arrival number"):
            return int(self._client.incr(self._seq_key))

    def ping(self) -> None:
        with self._failures("ping"):
            self._client.ping()

    def close(self) -> None:
        self._client.close()

    def _entries_key(self, queue: str) -> str:
        return self._entries_prefix + queue

    @contextmanager
    def _failures(self, action: str) -> Iterator[None]:
        try:
            yield
        except redis.RedisError as exc:
            raise StoreError(f"{self._where}: {action} failed: {exc}") from exc

    def _decode_agent(self, record: bytes | str, version: bytes | str | None) -> Agent:
        try:
            fields: dict[str, Any] = json.loads(record)
            return Agent(**{**fields, "state": AgentState(fields["state"]), "version": int(version or 0)})
        except (ValueError, TypeError, KeyError) as exc:
            raise StoreError(f"{self._where}: corrupt agent record {record!r}: {exc}") from exc

    def _decode_entry(self, record: bytes | str) -> QueueEntry:
        try:
            return QueueEntry(**json.loads(record))
        except (ValueError, TypeError) as exc:
            raise StoreError(f"{self._where}: corrupt queue entry {record!r}: {exc}") from exc


def _encode_agent(agent: Agent) -> str:
    fields = asdict(agent)
    del fields["version"]
    fields["state"] = agent.state.value
    return json.dumps(fields)


def _with_version(agent: Agent, version: Any) -> Agent:
    return replace(agent, version=int(version))
