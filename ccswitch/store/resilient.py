"""A store that rides out an outage of the one behind it (Redis going away), so no event is dropped for it.

Theory of operation. ``ResilientStore`` sits between the engine and the real store and keeps a *local view*: every
agent record it has read or written, and the queue entries this controller wrote. While the store answers, each
call goes through and refreshes the view. The first call that meets ``StoreUnavailable`` starts an outage (logged
once) and is answered from the view, as is every call after it, until the controller writes the view through
(``write_through``). So a handler never stops halfway because the store failed: there is no partial application
to undo and nothing to replay.

While the store is away:

* queue entries are added and removed in the view; the last word per call is written on return;
* agent changes are applied in the view (each gets the next version, as a store write would) and remembered,
  except one: **no agent is taken into ``reserved``**. Reserving is the compare-and-set that keeps two
  controllers sharing the store from offering one agent two calls, so only the store may grant it: such a write
  is answered "someone else wrote first" (``None``), which the engine already handles by leaving the call
  waiting. Calls keep arriving, being answered and queued, hearing music; agents on calls hang up and wrap up;
  new offers wait for the store;
* arrival numbers continue from the last one seen (they only break ties between equal arrival times);
* campaign leads, runs and answers are not kept locally (dialling a lead once needs the store): those calls
  raise ``StoreUnavailable``.

On return (``write_through``, from the controller greenlet, nothing else running) for each agent:

* not changed here during the outage: the store's record stands (written from the view only if the store lost
  it, e.g. a Redis restarted without persistence);
* changed here: the view's record is written if the store's version is where we left it (or lower: the store
  lost its data; versions only grow), or one above with exactly the change whose reply the outage swallowed
  (it did reach the store). Otherwise another controller changed that agent meanwhile, and the store's record
  stands: the store is the truth for agents other controllers share.

Then every entry this controller holds is written again and the ones it removed are deleted (writes that
repeat harmlessly), and the store's agents are returned for the engine to adopt as they are, versions included,
so its next compare-and-set starts from the store's own. A write-through cut short by another failure leaves
the outage on; the next one starts over.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Sequence
from dataclasses import replace
from typing import ParamSpec, TypeVar

from ccswitch.acd import Agent, AgentState, QueueEntry, in_order
from ccswitch.dialer import CampaignRun, Lead
from ccswitch.errors import StoreUnavailable
from ccswitch.store.base import Store

log = logging.getLogger(__name__)

_P = ParamSpec("_P")
_R = TypeVar("_R")
Availability = Callable[[bool, float], None]  # (available, since): told when an outage starts and ends


class ResilientStore:
    def __init__(self, store: Store, now: Callable[[], float],
                 on_availability: Availability = lambda _available, _since: None) -> None:
        self._store = store
        self._now = now
        self._on_availability = on_availability
        self.unavailable_since: float | None = None
        self.outage_cause = ""
        self._agents: dict[str, Agent] = {}  # the view: last record read or written (here, during an outage)
        self._entries: dict[tuple[str, str], QueueEntry] = {}  # (queue, call) -> entry this controller holds
        self._seq = 0
        # During an outage: the record each changed agent had in the store (None: none we knew of), the change
        # whose reply the outage swallowed (it may have reached the store), and the entries removed.
        self._stored_before: dict[str, Agent | None] = {}
        self._in_doubt: dict[str, Agent] = {}
        self._removed: set[tuple[str, str]] = set()

    @property
    def available(self) -> bool:
        return self.unavailable_since is None

    # ----------------------------------------------------------------- agents
    def get_agent(self, agent_id: str) -> Agent | None:
        if self.available:
            try:
                agent = self._store.get_agent(agent_id)
                return None if agent is None else self._seen(agent)
            except StoreUnavailable as exc:
                self._outage(exc)
        return self._agents.get(agent_id)

    def agents(self) -> list[Agent]:
        if self.available:
            try:
                return [self._seen(agent) for agent in self._store.agents()]
            except StoreUnavailable as exc:
                self._outage(exc)
        return list(self._agents.values())

    def put_agent(self, agent: Agent) -> Agent:
        if self.available:
            try:
                return self._seen(self._store.put_agent(agent))
            except StoreUnavailable as exc:
                self._outage(exc, doubt=agent)
        known = self._agents.get(agent.id)
        return self._changed_here(replace(agent, version=(0 if known is None else known.version) + 1))

    def update_agent(self, old: Agent, new: Agent) -> Agent | None:
        if self.available:
            try:
                stored = self._store.update_agent(old, new)
                if stored is not None:
                    self._seen(stored)
                return stored
            except StoreUnavailable as exc:
                self._outage(exc, doubt=new)
        if new.state is AgentState.RESERVED and old.state is not AgentState.RESERVED:
            return None  # only the store may reserve an agent: the engine leaves the call waiting
        return self._changed_here(replace(new, version=old.version + 1))

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

    # ----------------------------------------------------------------- campaigns: the store's alone
    def put_leads(self, campaign: str, leads: Sequence[Lead]) -> int:
        return self._store_only(self._store.put_leads, campaign, leads)

    def get_lead(self, campaign: str, phone: str) -> Lead | None:
        return self._store_only(self._store.get_lead, campaign, phone)

    def leads(self, campaign: str) -> list[Lead]:
        return self._store_only(self._store.leads, campaign)

    def update_lead(self, old: Lead, new: Lead) -> Lead | None:
        return self._store_only(self._store.update_lead, old, new)

    def get_campaign_run(self, campaign: str) -> CampaignRun | None:
        return self._store_only(self._store.get_campaign_run, campaign)

    def update_campaign_run(self, old: CampaignRun, new: CampaignRun) -> CampaignRun | None:
        return self._store_only(self._store.update_campaign_run, old, new)

    def add_answer(self, campaign: str, at: float, abandoned: bool, call: str) -> None:
        self._store_only(self._store.add_answer, campaign, at, abandoned, call)

    def answers(self, campaign: str, since: float) -> list[tuple[float, bool]]:
        return self._store_only(self._store.answers, campaign, since)

    def trim_answers(self, campaign: str, before: float) -> int:
        return self._store_only(self._store.trim_answers, campaign, before)

    def _store_only(self, call: Callable[_P, _R], *args: _P.args, **kwargs: _P.kwargs) -> _R:
        """What only the store can answer: refused during an outage, and the failure that starts one starts it."""
        if self.unavailable_since is not None:
            raise StoreUnavailable(f"store unavailable since {self.unavailable_since:.3f}: {self.outage_cause}")
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
            written, kept = self._write_agents({agent.id: agent for agent in self._store.agents()})
            for entry in self._entries.values():
                self._store.add_entry(entry)
            for queue, call in self._removed - self._entries.keys():
                self._store.remove_entry(queue, call)
            agents = self._store.agents()
        except StoreUnavailable as exc:
            log.info("store still unavailable while writing through: %s", exc)
            return None
        since, now = self.unavailable_since, self._now()
        log.warning("store available again after %.1f s: wrote through %d agent(s), %d queue entries, %d "
                    "removal(s); kept as stored %d agent(s) another controller changed meanwhile", now - since,
                    written, len(self._entries), len(self._removed), kept)
        self._stored_before.clear()
        self._in_doubt.clear()
        self._removed.clear()
        self._agents = {agent.id: agent for agent in agents}
        self.unavailable_since = None
        self._on_availability(True, now)
        return agents

    def _write_agents(self, stored: dict[str, Agent]) -> tuple[int, int]:
        """Write the view's agents as the module's docstring says; returns how many were written and how many
        changed here were kept as stored. Each write is in doubt until answered, so a write-through cut short
        and started over recognises its own writes."""
        written = kept = 0
        for agent_id, mine in self._agents.items():
            current = stored.get(agent_id)
            if current is not None and (agent_id not in self._stored_before or not self._ours(agent_id, current)):
                if agent_id in self._stored_before:
                    log.warning("agent %s was changed by another controller while the store was away: keeping the "
                                "store's record (%s), not ours (%s)", agent_id, current.state.value,
                                mine.state.value)
                    kept += 1
                continue
            self._stored_before.setdefault(agent_id, None)
            self._in_doubt[agent_id] = mine
            done = self._store.put_agent(mine) if current is None else self._store.update_agent(current, mine)
            if done is None:  # written by someone else this very moment: theirs stands
                kept += 1
                continue
            self._stored_before[agent_id] = done
            del self._in_doubt[agent_id]
            written += 1
        return written, kept

    def _ours(self, agent_id: str, current: Agent) -> bool:
        """Nobody but us wrote ``agent_id`` since the outage began (see the module's docstring)."""
        before = self._stored_before[agent_id]
        version = 0 if before is None else before.version
        doubt = self._in_doubt.get(agent_id)
        return current.version <= version or (
            doubt is not None and current.version == version + 1 and _same_record(current, doubt))

    def _outage(self, exc: StoreUnavailable, doubt: Agent | None = None) -> None:
        self.unavailable_since = self._now()
        self.outage_cause = str(exc)
        if doubt is not None:
            self._stored_before.setdefault(doubt.id, self._agents.get(doubt.id))
            self._in_doubt[doubt.id] = doubt
        log.error("store unavailable: %s; carrying on with this controller's own view (calls are queued, agents "
                  "released, no new offers) until it answers again", exc)
        self._on_availability(False, self.unavailable_since)

    def _seen(self, agent: Agent) -> Agent:
        self._agents[agent.id] = agent
        return agent

    def _changed_here(self, agent: Agent) -> Agent:
        self._stored_before.setdefault(agent.id, self._agents.get(agent.id))
        self._agents[agent.id] = agent
        return agent


def _same_record(a: Agent, b: Agent) -> bool:
    """The same record, whatever its version."""
    return replace(a, version=0) == replace(b, version=0)
