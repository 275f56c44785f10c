"""A store that rides out an outage of the one behind it (Redis going away), so no event is dropped for it.

Theory of operation. ``ResilientStore`` sits between the controller (engine and dialler) and the real store and
keeps a *local view*: every agent record it has read or written, the leads it has written, and the queue entries
this controller wrote. While the store answers, each call goes through and refreshes the view. The first call that
meets ``StoreUnavailable`` starts an outage (logged once) and is answered from the view, as is every call after it,
until the controller writes the view through (``write_through``). So a handler never stops halfway because the
store failed: there is no partial application to undo and nothing to replay. Behind Sentinel, the first call to
reach a new master is such a failure (``MasterChanged``, not sent: ``ccswitch.store.redis_client``): the old master
may have acknowledged writes the new one never got, which the write-through puts back before anything else is
written there.

While the store is away:

* queue entries are added and removed in the view; the last word per call is written on return;
* agent and lead changes are applied in the view (each gets the next version, as a store write would) and
  remembered, except two: **no agent is taken into ``reserved`` and no lead into ``dialling``**. Those are the
  compare-and-sets that keep controllers sharing the store from offering one agent two calls and from dialling
  one lead twice, so only the store may grant them: such a write is answered "someone else wrote first"
  (``None``), which the engine and the dialler already handle (the call keeps waiting, the lead is not dialled).
  Calls keep arriving, being answered and queued, hearing music; agents on calls hang up and wrap up; outbound
  calls in progress are settled; new offers and new dials wait for the store;
* a campaign's answered calls are kept and written on return; trimming old ones waits for the next trim;
* arrival numbers continue from the last one seen (they only break ties between equal arrival times);
* what only the store holds (leads not seen here, leads loaded, campaign runs, the answers window) raises
  ``StoreUnavailable``: loading and starting campaigns, and dispositions of leads not seen, wait for the store.

On return (``write_through``, from the controller greenlet, nothing else running), for each agent, and each lead
changed here:

* not changed here during the outage: the store's record stands, unless the store lost it (a Redis restarted
  without persistence, a new master that lacks the old one's last writes): then the agent is put back from the
  view *with its version*, and only over an older version (``Store.restore_agent``, one atomic step). Every
  controller that shares the store puts back what it saw, so the most recent record anyone saw wins, whoever
  writes first: a controller whose view was stale (it last read an agent reserved for another controller's call)
  can't leave that agent reserved for a call nobody knows. (The leads of such a Redis are lost but for those
  changed here during the outage: load the campaign again);
* changed here: the view's record is written if the store's version is where we left it (or lower: the store
  lost its data; versions only grow), or one above with exactly the change whose reply the outage swallowed
  (it did reach the store). Otherwise another controller changed it meanwhile, and the store's record stands:
  the store is the truth for what other controllers share.

Then every entry this controller holds is written again and the ones it removed are deleted, the answers are
added (writes that repeat harmlessly), and the store's agents are returned for the engine to adopt as they are,
versions included, so its next compare-and-set starts from the store's own. A write-through cut short by another
failure leaves the outage on; the next one starts over.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Hashable, Iterable, Sequence
from dataclasses import replace
from typing import Generic, ParamSpec, TypeVar

from ccswitch.acd import Agent, AgentState, QueueEntry, in_order
from ccswitch.errors import StoreUnavailable
from ccswitch.outbound import CampaignRun, Lead, LeadState
from ccswitch.store.base import Store

log = logging.getLogger(__name__)

_P = ParamSpec("_P")
_R = TypeVar("_R")
Availability = Callable[[bool, float], None]  # (available, since): told when an outage starts and ends


_K = TypeVar("_K", bound=Hashable)
_V = TypeVar("_V", Agent, Lead)


class _View(Generic[_K, _V]):
    """Versioned records (agents, leads) as last read or written here, and, during an outage, what changed here:
    the record each had in the store before (None: none we knew of) and the write whose reply the outage
    swallowed (it may have reached the store)."""

    def __init__(self, kind: str, key: Callable[[_V], _K]) -> None:
        self.kind = kind
        self.key: Callable[[_V], _K] = key
        self.records: dict[_K, _V] = {}
        self.before: dict[_K, _V | None] = {}
        self.in_doubt: dict[_K, _V] = {}

    def seen(self, record: _V) -> _V:
        self.records[self.key(record)] = record
        return record

    def doubt(self, old: _V | None, attempted: _V) -> None:
        key = self.key(attempted)
        self.before.setdefault(key, self.records.get(key, old))
        self.in_doubt[key] = attempted

    def changed_here(self, old: _V | None, new: _V) -> _V:
        key = self.key(new)
        self.before.setdefault(key, self.records.get(key, old))
        self.records[key] = new
        return new

    def write_through(self, keys: Iterable[_K], stored: Callable[[_K], _V | None],
                      compare_and_set: Callable[[_V, _V], _V | None], restore: Callable[[_V], _V | None]
                      ) -> tuple[int, int]:
        """Write the records of ``keys`` as the module's docstring says; ``restore`` puts back a record the store
        lost, with its version, unless the store has a newer one by then (``None``). Returns how many were written
        and how many changed here were kept as stored. Each write is in doubt until answered, so a write-through
        cut short and started over recognises its own writes."""
        written = kept = 0
        for key in list(keys):
            mine, current = self.records[key], stored(key)
            if key not in self.before:
                if current is None or current.version < mine.version:  # lost, or put back from an older view
                    restore(mine)
                continue
            if current is not None and not self._ours(key, current):
                log.warning("%s %s was changed by another controller while the store was away: the store's record "
                            "stands", self.kind, key)
                kept += 1
                continue
            if current is not None and _same_record(current, mine):
                continue  # (e.g. an agent we asked to reserve while the store was away: nothing changed)
            self.before.setdefault(key, None)
            self.in_doubt[key] = mine
            done = restore(mine) if current is None else compare_and_set(current, mine)
            if done is None:  # written by someone else this very moment: theirs stands
                kept += 1
                continue
            self.before[key] = done
            del self.in_doubt[key]
            written += 1
        return written, kept

    def forget_changes(self) -> None:
        self.before.clear()
        self.in_doubt.clear()

    def _ours(self, key: _K, current: _V) -> bool:
        """Nobody but us wrote ``key`` since the outage began (see the module's docstring)."""
        before = self.before[key]
        version = 0 if before is None else before.version
        doubt = self.in_doubt.get(key)
        return current.version <= version or (
            doubt is not None and current.version == version + 1 and _same_record(current, doubt))


class ResilientStore:
    def __init__(self, store: Store, now: Callable[[], float],
                 on_availability: Availability = lambda _available, _since: None) -> None:
        self._store = store
        self._now = now
        self._on_availability = on_availability
        self.unavailable_since: float | None = None
        self.outage_cause = ""
        self._agents: _View[str, Agent] = _View("agent", lambda agent: agent.id)
        self._leads: _View[tuple[str, str], Lead] = _View("lead", lambda lead: (lead.campaign, lead.phone))
        self._entries: dict[tuple[str, str], QueueEntry] = {}  # (queue, call) -> entry this controller holds
        self._seq = 0
        self._removed: set[tuple[str, str]] = set()  # entries removed during an outage
        self._answers: list[tuple[str, float, bool, str]] = []  # answers added during an outage

    @property
    def available(self) -> bool:
        return self.unavailable_since is None

    # ----------------------------------------------------------------- agents
    def get_agent(self, agent_id: str) -> Agent | None:
        if self.available:
            try:
                agent = self._store.get_agent(agent_id)
                return None if agent is None else self._agents.seen(agent)
            except StoreUnavailable as exc:
                self._outage(exc)
        return self._agents.records.get(agent_id)

    def agents(self) -> list[Agent]:
        if self.available:
            try:
                return [self._agents.seen(agent) for agent in self._store.agents()]
            except StoreUnavailable as exc:
                self._outage(exc)
        return list(self._agents.records.values())

    def put_agent(self, agent: Agent) -> Agent:
        if self.available:
            try:
                return self._agents.seen(self._store.put_agent(agent))
            except StoreUnavailable as exc:
                self._outage(exc)
                self._agents.doubt(None, agent)
        known = self._agents.records.get(agent.id)
        return self._agents.changed_here(None, replace(agent, version=(0 if known is None else known.version) + 1))

    def restore_agent(self, agent: Agent) -> Agent:
        return self._agents.seen(self._store_only(self._store.restore_agent, agent))

    def update_agent(self, old: Agent, new: Agent) -> Agent | None:
        if self.available:
            try:
                stored = self._store.update_agent(old, new)
                return None if stored is None else self._agents.seen(stored)
            except StoreUnavailable as exc:
                self._outage(exc)
                self._agents.doubt(old, new)
        if new.state is AgentState.RESERVED and old.state is not AgentState.RESERVED:
            self._agents.records.setdefault(old.id, old)
            return None  # only the store may reserve an agent: the engine leaves the call waiting
        return self._agents.changed_here(old, replace(new, version=old.version + 1))

    # ----------------------------------------------------------------- queue entries
    def add_entry(self, entry: QueueEntry) -> None:
        key = (entry.queue, entry.call)
        self._entries[key] = entry
        if self.available:
            try:
                self._store.add_entry(entry)
                return
            except StoreUnavailable as exc:
                self._outage(exc)
        self._removed.discard(key)

    def remove_entry(self, queue: str, call: str) -> bool:
        held = self._entries.pop((queue, call), None) is not None
        if self.available:
            try:
                return self._store.remove_entry(queue, call)
            except StoreUnavailable as exc:
                self._outage(exc)
        self._removed.add((queue, call))
        return held

    def entries(self, queue: str) -> list[QueueEntry]:
        if self.available:
            try:
                return self._store.entries(queue)
            except StoreUnavailable as exc:
                self._outage(exc)
        return in_order(entry for (name, _call), entry in self._entries.items() if name == queue)

    def all_entries(self) -> dict[str, list[QueueEntry]]:
        if self.available:
            try:
                return self._store.all_entries()
            except StoreUnavailable as exc:
                self._outage(exc)
        queues = {queue for queue, _call in self._entries}
        return {queue: self.entries(queue) for queue in sorted(queues)}

    def next_seq(self) -> int:
        if self.available:
            try:
                self._seq = max(self._seq, self._store.next_seq())
                return self._seq
            except StoreUnavailable as exc:
                self._outage(exc)
        self._seq += 1
        return self._seq

    # ----------------------------------------------------------------- campaigns
    def get_lead(self, campaign: str, phone: str) -> Lead | None:
        if self.available:
            try:
                return self._store.get_lead(campaign, phone)
            except StoreUnavailable as exc:
                self._outage(exc)
        lead = self._leads.records.get((campaign, phone))
        if lead is None:
            raise self._unavailable()
        return lead

    def update_lead(self, old: Lead, new: Lead) -> Lead | None:
        if self.available:
            try:
                return self._store.update_lead(old, new)  # (leads are kept in the view only during an outage)
            except StoreUnavailable as exc:
                self._outage(exc)
                self._leads.doubt(old, new)
        if new.state is LeadState.DIALLING and old.state is not LeadState.DIALLING:
            self._leads.records.setdefault((old.campaign, old.phone), old)
            return None  # only the store may hand a lead to one controller to dial: it is not dialled now
        return self._leads.changed_here(old, replace(new, version=old.version + 1))

    def add_answer(self, campaign: str, at: float, abandoned: bool, call: str) -> None:
        if self.available:
            try:
                self._store.add_answer(campaign, at, abandoned, call)
                return
            except StoreUnavailable as exc:
                self._outage(exc)
        self._answers.append((campaign, at, abandoned, call))

    def trim_answers(self, campaign: str, before: float) -> int:
        if self.available:
            try:
                return self._store.trim_answers(campaign, before)
            except StoreUnavailable as exc:
                self._outage(exc)
        return 0  # nothing now: the next trim after the outage takes these too

    def put_leads(self, campaign: str, leads: Sequence[Lead]) -> list[Lead]:
        return self._store_only(self._store.put_leads, campaign, leads)

    def leads(self, campaign: str) -> list[Lead]:
        return self._store_only(self._store.leads, campaign)

    def lead_page(self, campaign: str, cursor: int, count: int) -> tuple[list[Lead], int]:
        return self._store_only(self._store.lead_page, campaign, cursor, count)

    def dialling_leads(self, campaign: str) -> list[Lead]:
        return self._store_only(self._store.dialling_leads, campaign)

    def get_campaign_run(self, campaign: str) -> CampaignRun | None:
        return self._store_only(self._store.get_campaign_run, campaign)

    def update_campaign_run(self, old: CampaignRun, new: CampaignRun) -> CampaignRun | None:
        return self._store_only(self._store.update_campaign_run, old, new)

    def answers(self, campaign: str, since: float) -> list[tuple[float, bool]]:
        return self._store_only(self._store.answers, campaign, since)

    def _store_only(self, call: Callable[_P, _R], *args: _P.args, **kwargs: _P.kwargs) -> _R:
        """What only the store can answer: refused during an outage, and the failure that starts one starts it."""
        if not self.available:
            raise self._unavailable()
        try:
            return call(*args, **kwargs)
        except StoreUnavailable as exc:
            self._outage(exc)
            raise

    # ----------------------------------------------------------------- the outage
    def ping(self) -> None:
        """Raise ``StoreUnavailable`` unless the store behind answers (whether or not an outage is on)."""
        self._store.ping()

    def close(self) -> None:
        self._store.close()

    def write_through(self) -> list[Agent] | None:
        """End the outage: write the view through (see the module's docstring) and return the store's agents for
        the engine to adopt; ``None`` if the store failed again (the outage goes on). Call it only from the
        greenlet that drives the engine, between two events."""
        assert self.unavailable_since is not None, "no outage to end"
        try:
            stored = {agent.id: agent for agent in self._store.agents()}
            agents = self._agents.write_through(self._agents.records, stored.get, self._store.update_agent,
                                                self._restore_agent)
            leads = self._leads.write_through(self._leads.before, lambda key: self._store.get_lead(*key),
                                              self._store.update_lead, self._put_lead)
            for entry in self._entries.values():
                self._store.add_entry(entry)
            for queue, call in self._removed - self._entries.keys():
                self._store.remove_entry(queue, call)
            while self._answers:
                self._store.add_answer(*self._answers[-1])
                self._answers.pop()
            now_stored = self._store.agents()
        except StoreUnavailable as exc:
            log.info("store still unavailable while writing through: %s", exc)
            return None
        since, now = self.unavailable_since, self._now()
        log.warning("store available again after %.1f s: wrote through %d agent(s), %d lead(s), %d queue entries, "
                    "%d removal(s); kept as stored %d agent(s) and %d lead(s) another controller changed meanwhile",
                    now - since, agents[0], leads[0], len(self._entries), len(self._removed), agents[1], leads[1])
        self._agents.forget_changes()
        self._leads.forget_changes()
        self._leads.records.clear()
        self._removed.clear()
        self._agents.records = {agent.id: agent for agent in now_stored}
        self.unavailable_since = None
        self._on_availability(True, now)
        return now_stored

    def _restore_agent(self, agent: Agent) -> Agent | None:
        restored = self._store.restore_agent(agent)
        return restored if restored.version == agent.version and _same_record(restored, agent) else None

    def _put_lead(self, lead: Lead) -> Lead | None:
        """A lead the store lost (a Redis restarted without persistence), with the progress we know of."""
        self._store.put_leads(lead.campaign, [lead])
        return self._store.get_lead(lead.campaign, lead.phone)

    def _outage(self, exc: StoreUnavailable) -> None:
        self.unavailable_since = self._now()
        self.outage_cause = str(exc)
        log.error("store unavailable: %s; carrying on with this controller's own view (calls are queued, agents "
                  "released, no new offers or dials) until it answers again", exc)
        self._on_availability(False, self.unavailable_since)

    def _unavailable(self) -> StoreUnavailable:
        return StoreUnavailable(f"store unavailable since {self.unavailable_since:.3f}: {self.outage_cause}")


def _same_record(a: _V, b: _V) -> bool:
    """The same record, whatever its version."""
    return replace(a, version=0) == replace(b, version=0)
