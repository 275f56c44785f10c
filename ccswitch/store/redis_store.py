"""Redis store: several controllers share agents, queue entries and the arrival counter.

Keys (all under ``key_prefix``, used verbatim, e.g. ``"ccswitch:"``):

* ``agents`` — hash agent id → JSON record (without version);
* ``agent-versions`` — hash agent id → version; kept apart so the compare-and-set script never has to decode
  and re-encode JSON in Lua (its cjson rounds floats such as timestamps to 14 digits);
* ``entries:<queue>`` — hash call uuid → JSON entry; ordering fields are inside and sorted client-side, which
  keeps float timestamps exact (a single sorted-set score cannot hold priority, time and seq losslessly);
* ``queues`` — set of queue names that have had entries (``all_entries`` reads these);
* ``seq`` — the arrival counter;
* ``leads:<campaign>`` / ``lead-versions:<campaign>`` — hashes phone → JSON lead (without version) / version,
  as for agents; ``lead-positions:<campaign>`` — the counter that numbers imported leads;
* ``campaign-runs`` / ``campaign-run-versions`` — hashes campaign → JSON run state (without version) / version;
* ``answers:<campaign>`` — sorted set of the campaign's person-answered calls, member ``<call uuid>:<1|0>``
  (abandoned or not), score the answer time (a double, exact: redis-py sends ``repr``); a script adds a call only
  if neither of its two members is there, so the first write of a call wins. Equal scores are re-sorted
  client-side by call uuid (Redis would order them by the whole member).

redis-py's automatic retries are turned off: re-sending a compare-and-set whose reply was lost would see its
own write, report a lost race and leave the agent reserved for nobody. The one re-send is behind Sentinel
(``ccswitch.store.redis_client``): a command the master refused (``READONLY``, ``NOREPLICAS``) did nothing, so it
is sent again to the master the sentinels name, within the store's timeout. Failures surface as ``StoreError``;
``StoreUnavailable`` when Redis cannot be reached at all (refused, lost connection, timeout, still loading its data
after a restart), which ``ccswitch.store.resilient`` rides out. A change of master behind Sentinel is one too, for
the first command that meets it (not sent: ``MasterChanged``): the new master may lack writes the old one
acknowledged, so the controller writes its view through as after an outage before anything else reaches it.
"""

from __future__ import annotations

import json
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import asdict, replace
from typing import Any, cast

import redis

from ccswitch.acd import Agent, AgentState, QueueEntry, in_order
from ccswitch.errors import StoreError, StoreUnavailable
from ccswitch.outbound import CampaignRun, DialOutcome, Lead, LeadState, RunState
from ccswitch.store.base import (
    check_answer,
    check_bound,
    check_campaign,
    check_same_agent,
    check_same_lead,
    check_same_run,
)
from ccswitch.store.redis_client import connect

# KEYS: records hash, versions hash[, a set]. ARGV: id, expected version, new JSON[, '1' or '0']. Returns the new
# version or nil. With the set (a campaign's leads being dialled), the id joins it on '1' and leaves it on '0' in
# the same step.
_COMPARE_AND_SET = """
local current = tonumber(redis.call('HGET', KEYS[2], ARGV[1]) or '0')
if current ~= tonumber(ARGV[2]) then
    return false
end
redis.call('HSET', KEYS[1], ARGV[1], ARGV[3])
if KEYS[3] then
    if ARGV[4] == '1' then
        redis.call('SADD', KEYS[3], ARGV[1])
    else
        redis.call('SREM', KEYS[3], ARGV[1])
    end
end
return redis.call('HINCRBY', KEYS[2], ARGV[1], 1)
"""

# KEYS: agents hash, versions hash. ARGV: agent id, its version, its JSON. Writes it if the stored version is lower
# (or none); returns the stored version and JSON afterwards.
_RESTORE = """
local current = tonumber(redis.call('HGET', KEYS[2], ARGV[1]) or '0')
if current < tonumber(ARGV[2]) then
    redis.call('HSET', KEYS[1], ARGV[1], ARGV[3])
    redis.call('HSET', KEYS[2], ARGV[1], ARGV[2])
    return {tonumber(ARGV[2]), ARGV[3]}
end
return {current, redis.call('HGET', KEYS[1], ARGV[1])}
"""

# KEYS: leads hash, versions hash, dialling set. ARGV: phone, JSON, '1' if dialling else '0', phone, ... Adds the
# absent ones at version 1 (and to the dialling set if dialling); returns the 0-based indexes of the leads added.
_ADD_ABSENT_LEADS = """
local added = {}
for i = 1, #ARGV, 3 do
    if redis.call('HSETNX', KEYS[1], ARGV[i], ARGV[i + 1]) == 1 then
        redis.call('HSET', KEYS[2], ARGV[i], 1)
        if ARGV[i + 2] == '1' then
            redis.call('SADD', KEYS[3], ARGV[i])
        end
        added[#added + 1] = (i - 1) / 3
    end
end
return added
"""
_LEADS_PER_SCRIPT = 1000  # one script call blocks Redis: keep each short

# KEYS: a campaign's answers sorted set. ARGV: time, call uuid, '1' (abandoned) or '0'. Adds the call unless it is
# there already, abandoned or not; returns 1 if added.
_ADD_ANSWER = """
local call = ARGV[2] .. ':'
if redis.call('ZSCORE', KEYS[1], call .. '0') or redis.call('ZSCORE', KEYS[1], call .. '1') then
    return 0
end
return redis.call('ZADD', KEYS[1], ARGV[1], call .. ARGV[3])
"""


# KEYS: an agent's held contacts hash. ARGV: contact, JSON. Replaces the contact's record only if it is there.



class RedisStore:
    def __init__(self, url: str, key_prefix: str, timeout_s: float = 5.0) -> None:
        # _where, for errors: never the URL (a password)
        self._client, self._where = connect(url, timeout_s, report_master_change=True)
        self._agents_key = f"{key_prefix}agents"
        self._versions_key = f"{key_prefix}agent-versions"
        self._queues_key = f"{key_prefix}queues"
        self._seq_key = f"{key_prefix}seq"
        self._entries_prefix = f"{key_prefix}entries:"
        self._prefix = key_prefix
        self._runs_key = f"{key_prefix}campaign-runs"
        self._run_versions_key = f"{key_prefix}campaign-run-versions"
        self._compare_and_set = self._client.register_script(_COMPARE_AND_SET)
        self._add_absent_leads = self._client.register_script(_ADD_ABSENT_LEADS)
        self._restore = self._client.register_script(_RESTORE)
        self._add_answer = self._client.register_script(_ADD_ANSWER)

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

    def restore_agent(self, agent: Agent) -> Agent:
        with self._failures("restore agent " + agent.id):
            version, record = self._restore(keys=[self._agents_key, self._versions_key],
                                            args=[agent.id, agent.version, _encode_agent(agent)])
            return self._decode_agent(record, version)

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

    def put_leads(self, campaign: str, leads: Sequence[Lead]) -> list[Lead]:
        check_campaign(campaign, leads)
        added: list[Lead] = []
        with self._failures(f"add leads to campaign {campaign}"):
            for start in range(0, len(leads), _LEADS_PER_SCRIPT):
                batch = leads[start : start + _LEADS_PER_SCRIPT]
                first = int(self._client.incrby(f"{self._prefix}lead-positions:{campaign}", len(batch))) - len(batch)
                positioned = [replace(lead, position=first + offset) for offset, lead in enumerate(batch)]
                args = [part for lead in positioned
                        for part in (lead.phone, _encode_lead(lead), _dialling_flag(lead))]
                indexes = self._add_absent_leads(keys=[*self._lead_keys(campaign), self._dialling_key(campaign)],
                                                 args=args)
                added += [replace(positioned[int(index)], version=1) for index in indexes]
        return added

    def get_lead(self, campaign: str, phone: str) -> Lead | None:
        records, versions = self._lead_keys(campaign)
        with self._failures(f"get lead {phone} of campaign {campaign}"):
            pipe = self._client.pipeline(transaction=True)
            pipe.hget(records, phone)
            pipe.hget(versions, phone)
            record, version = pipe.execute()
            return None if record is None else self._decode_lead(record, version)

    def leads(self, campaign: str) -> list[Lead]:
        records_key, versions_key = self._lead_keys(campaign)
        with self._failures(f"read leads of campaign {campaign}"):
            pipe = self._client.pipeline(transaction=True)
            pipe.hgetall(records_key)
            pipe.hgetall(versions_key)
            records, versions = pipe.execute()
            leads = [self._decode_lead(record, versions.get(phone)) for phone, record in records.items()]
            return sorted(leads, key=lambda lead: lead.position)

    def lead_page(self, campaign: str, cursor: int, count: int) -> tuple[list[Lead], int]:
        with self._failures(f"read a page of the leads of campaign {campaign}"):
            # HSCAN on the small hash gives the numbers; their leads are then read as _stored_leads reads them
            cursor, versions = self._client.hscan(self._lead_keys(campaign)[1], cursor=cursor, count=count)
            return self._stored_leads(campaign, [str(phone) for phone in versions]), int(cursor)

    def dialling_leads(self, campaign: str) -> list[Lead]:
        with self._failures(f"read the leads being dialled of campaign {campaign}"):
            phones = sorted(str(phone) for phone in self._client.smembers(self._dialling_key(campaign)))
            return [lead for lead in self._stored_leads(campaign, phones) if lead.state is LeadState.DIALLING]

    def _stored_leads(self, campaign: str, phones: list[str]) -> list[Lead]:
        """The leads of these numbers that are stored, each record read with its version in one transaction, as
        get_lead reads them: a record and a version from either side of a change would make a lead that never was,
        whose compare-and-set could then succeed."""
        if not phones:
            return []
        records_key, versions_key = self._lead_keys(campaign)
        pipe = self._client.pipeline(transaction=True)
        pipe.hmget(records_key, phones)
        pipe.hmget(versions_key, phones)
        records, versions = pipe.execute()
        return [self._decode_lead(record, version)
                for record, version in zip(records, versions, strict=True) if record is not None]

    def update_lead(self, old: Lead, new: Lead) -> Lead | None:
        check_same_lead(old, new)
        with self._failures(f"update lead {old.phone} of campaign {old.campaign}"):
            version = self._compare_and_set(
                keys=[*self._lead_keys(old.campaign), self._dialling_key(old.campaign)],
                args=[old.phone, old.version, _encode_lead(new), _dialling_flag(new)],
            )
            return None if version is None else replace(new, version=int(version))

    def get_campaign_run(self, campaign: str) -> CampaignRun | None:
        with self._failures(f"get run state of campaign {campaign}"):
            pipe = self._client.pipeline(transaction=True)
            pipe.hget(self._runs_key, campaign)
            pipe.hget(self._run_versions_key, campaign)
            record, version = pipe.execute()
            return None if record is None else self._decode_run(record, version)

    def update_campaign_run(self, old: CampaignRun, new: CampaignRun) -> CampaignRun | None:
        check_same_run(old, new)
        record = json.dumps({"campaign": new.campaign, "state": new.state.value, "since": new.since})
        with self._failures(f"update run state of campaign {old.campaign}"):
            version = self._compare_and_set(
                keys=[self._runs_key, self._run_versions_key], args=[old.campaign, old.version, record]
            )
            return None if version is None else replace(new, version=int(version))

    def add_answer(self, campaign: str, at: float, abandoned: bool, call: str) -> None:
        check_answer(at, call)
        with self._failures(f"add answered call {call} to campaign {campaign}"):
            self._add_answer(keys=[self._answers_key(campaign)], args=[at, call, "1" if abandoned else "0"])

    def answers(self, campaign: str, since: float) -> list[tuple[float, bool]]:
        check_bound("answers", since)
        with self._failures(f"read answers of campaign {campaign}"):
            # withscores and decode_responses: (member, score) pairs; the client's types admit other shapes.
            scored = cast(
                "list[tuple[str, float]]",
                self._client.zrangebyscore(self._answers_key(campaign), since, "+inf", withscores=True),
            )
            in_window = sorted(self._decode_answer(member, at) for member, at in scored)
            return [(at, abandoned) for at, _, abandoned in in_window]

    def trim_answers(self, campaign: str, before: float) -> int:
        check_bound("trim_answers", before)
        with self._failures(f"trim answers of campaign {campaign}"):
            return int(self._client.zremrangebyscore(self._answers_key(campaign), "-inf", f"({before!r}"))

    def ping(self) -> None:
        with self._failures("ping"):
            self._client.ping()

    def close(self) -> None:
        self._client.close()

    def _entries_key(self, queue: str) -> str:
        return self._entries_prefix + queue

    def _lead_keys(self, campaign: str) -> tuple[str, str]:
        return f"{self._prefix}leads:{campaign}", f"{self._prefix}lead-versions:{campaign}"

    def _dialling_key(self, campaign: str) -> str:
        return f"{self._prefix}leads-dialling:{campaign}"

    def _answers_key(self, campaign: str) -> str:
        return f"{self._prefix}answers:{campaign}"

    @contextmanager
    def _failures(self, action: str) -> Iterator[None]:
        try:
            yield
        except (redis.ConnectionError, redis.TimeoutError) as exc:
            raise StoreUnavailable(f"{self._where}: {action} failed: {exc}") from exc
        except redis.RedisError as exc:
            raise StoreError(f"{self._where}: {action} failed: {exc}") from exc

    def _decode_agent(self, record: bytes | str, version: bytes | str | None) -> Agent:
        try:
            fields: dict[str, Any] = json.loads(record)
            return Agent(**{**fields, "state": AgentState(fields["state"]), "version": int(version or 0)})
        except (ValueError, TypeError, KeyError) as exc:
            raise StoreError(f"{self._where}: corrupt agent record {record!r}: {exc}") from exc

    def _decode_lead(self, record: bytes | str, version: bytes | str | None) -> Lead:
        try:
            fields: dict[str, Any] = json.loads(record)
            outcome = fields["last_outcome"]
            return Lead(
                **{
                    **fields,
                    "extra": tuple((str(name), str(value)) for name, value in fields["extra"]),
                    "state": LeadState(fields["state"]),
                    "last_outcome": None if outcome is None else DialOutcome(outcome),
                    "version": int(version or 0),
                }
            )
        except (ValueError, TypeError, KeyError) as exc:
            raise StoreError(f"{self._where}: corrupt lead record {record!r}: {exc}") from exc

    def _decode_run(self, record: bytes | str, version: bytes | str | None) -> CampaignRun:
        try:
            fields: dict[str, Any] = json.loads(record)
            return CampaignRun(fields["campaign"], RunState(fields["state"]), fields["since"], int(version or 0))
        except (ValueError, TypeError, KeyError) as exc:
            raise StoreError(f"{self._where}: corrupt campaign run record {record!r}: {exc}") from exc

    def _decode_answer(self, member: str, at: float) -> tuple[float, str, bool]:
        """``(time, call, abandoned)`` of one ``answers:<campaign>`` member."""
        call, _, flag = member.rpartition(":")
        if not call or flag not in ("0", "1"):
            raise StoreError(f"{self._where}: corrupt answer {member!r}")
        return at, call, flag == "1"

    def _decode_entry(self, record: bytes | str) -> QueueEntry:
        try:
            return QueueEntry(**json.loads(record))
        except (ValueError, TypeError) as exc:
            raise StoreError(f"{self._where}: corrupt queue entry {record!r}: {exc}") from exc


def _dialling_flag(lead: Lead) -> str:
    return "1" if lead.state is LeadState.DIALLING else "0"


def _encode_agent(agent: Agent) -> str:
    fields = asdict(agent)
    del fields["version"]
    fields["state"] = agent.state.value
    fields["texts"] = [{**asdict(text), "phase": text.phase.value} for text in agent.texts]
    return json.dumps(fields)



def _encode_lead(lead: Lead) -> str:
    fields = asdict(lead)
    del fields["version"]
    fields["state"] = lead.state.value
    fields["last_outcome"] = None if lead.last_outcome is None else lead.last_outcome.value
    return json.dumps(fields)


def _with_version(agent: Agent, version: Any) -> Agent:
    return replace(agent, version=int(version))
