"""``InstrumentedStore``: the store with each operation timed and its failures counted in the metrics."""

from __future__ import annotations

import time
from collections.abc import Callable, Sequence
from typing import TYPE_CHECKING, ParamSpec, TypeVar

from ccswitch.acd import Agent, QueueEntry
from ccswitch.dialer import CampaignRun, Lead
from ccswitch.errors import StoreError
from ccswitch.store.base import Store

if TYPE_CHECKING:
    from ccswitch.metrics.sink import Metrics

_P = ParamSpec("_P")
_R = TypeVar("_R")


class InstrumentedStore:
    """A ``Store`` that times every operation and counts ``StoreError``s, then passes them on unchanged."""

    def __init__(self, store: Store, metrics: Metrics) -> None:
        self._store = store
        self._metrics = metrics

    def _timed(self, operation: str, call: Callable[_P, _R], *args: _P.args, **kwargs: _P.kwargs) -> _R:
        started = time.perf_counter()
        try:
            return call(*args, **kwargs)
        except StoreError:
            self._metrics.store_errors.labels(operation).inc()
            raise
        finally:
            self._metrics.store_seconds.labels(operation).observe(time.perf_counter() - started)

    def get_agent(self, agent_id: str) -> Agent | None:
        return self._timed("get_agent", self._store.get_agent, agent_id)

    def agents(self) -> list[Agent]:
        return self._timed("agents", self._store.agents)

    def put_agent(self, agent: Agent) -> Agent:
        return self._timed("put_agent", self._store.put_agent, agent)

    def restore_agent(self, agent: Agent) -> Agent:
        return self._timed("restore_agent", self._store.restore_agent, agent)

    def update_agent(self, old: Agent, new: Agent) -> Agent | None:
        return self._timed("update_agent", self._store.update_agent, old, new)

    def add_entry(self, entry: QueueEntry) -> None:
        self._timed("add_entry", self._store.add_entry, entry)

    def remove_entry(self, queue: str, call: str) -> bool:
        return self._timed("remove_entry", self._store.remove_entry, queue, call)

    def entries(self, queue: str) -> list[QueueEntry]:
        return self._timed("entries", self._store.entries, queue)

    def all_entries(self) -> dict[str, list[QueueEntry]]:
        return self._timed("all_entries", self._store.all_entries)

    def next_seq(self) -> int:
        return self._timed("next_seq", self._store.next_seq)

    def put_leads(self, campaign: str, leads: Sequence[Lead]) -> list[Lead]:
        return self._timed("put_leads", self._store.put_leads, campaign, leads)

    def get_lead(self, campaign: str, phone: str) -> Lead | None:
        return self._timed("get_lead", self._store.get_lead, campaign, phone)

    def leads(self, campaign: str) -> list[Lead]:
        return self._timed("leads", self._store.leads, campaign)

    def lead_page(self, campaign: str, cursor: int, count: int) -> tuple[list[Lead], int]:
        return self._timed("lead_page", self._store.lead_page, campaign, cursor, count)

    def dialling_leads(self, campaign: str) -> list[Lead]:
        return self._timed("dialling_leads", self._store.dialling_leads, campaign)

    def update_lead(self, old: Lead, new: Lead) -> Lead | None:
        return self._timed("update_lead", self._store.update_lead, old, new)

    def get_campaign_run(self, campaign: str) -> CampaignRun | None:
        return self._timed("get_campaign_run", self._store.get_campaign_run, campaign)

    def update_campaign_run(self, old: CampaignRun, new: CampaignRun) -> CampaignRun | None:
        return self._timed("update_campaign_run", self._store.update_campaign_run, old, new)

    def add_answer(self, campaign: str, at: float, abandoned: bool, call: str) -> None:
        self._timed("add_answer", self._store.add_answer, campaign, at, abandoned, call)

    def answers(self, campaign: str, since: float) -> list[tuple[float, bool]]:
        return self._timed("answers", self._store.answers, campaign, since)

    def trim_answers(self, campaign: str, before: float) -> int:
        return self._timed("trim_answers", self._store.trim_answers, campaign, before)

    def ping(self) -> None:
        self._timed("ping", self._store.ping)

    def close(self) -> None:
        self._store.close()
