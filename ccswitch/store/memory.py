"""In-process store, the embedded default.

Under gevent one thread runs everything and no method here yields, so each method (``update_agent``'s
compare-and-set included) is atomic without locks.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import replace
from typing import TypeVar

from ccswitch.acd import Agent, QueueEntry, in_order
from ccswitch.outbound import CampaignRun, Lead, LeadState
from ccswitch.store.base import (
    check_answer,
    check_bound,
    check_campaign,
    check_same_agent,
    check_same_lead,
    check_same_run,
)

_Versioned = TypeVar("_Versioned", Lead, CampaignRun)


class MemoryStore:
    def __init__(self) -> None:
        self._agents: dict[str, Agent] = {}
        self._entries: dict[str, dict[str, QueueEntry]] = {}  # queue → call → entry
        self._seq = 0
        self._leads: dict[str, dict[str, Lead]] = {}  # campaign → phone → lead, in position order
        self._lead_order: dict[str, list[str]] = {}  # campaign → its phones as stored: a page's cursor indexes them
        self._runs: dict[str, CampaignRun] = {}
        self._answers: dict[str, dict[str, tuple[float, bool]]] = {}  # campaign → call → (time, abandoned)

    def get_agent(self, agent_id: str) -> Agent | None:
        return self._agents.get(agent_id)

    def agents(self) -> list[Agent]:
        return list(self._agents.values())

    def put_agent(self, agent: Agent) -> Agent:
        return self._write(agent, self._version_of(agent.id) + 1)

    def restore_agent(self, agent: Agent) -> Agent:
        if self._version_of(agent.id) < agent.version:
            return self._write(agent, agent.version)
        return self._agents[agent.id]

    def update_agent(self, old: Agent, new: Agent) -> Agent | None:
        check_same_agent(old, new)
        if self._version_of(old.id) != old.version:
            return None
        return self._write(new, old.version + 1)

    def add_entry(self, entry: QueueEntry) -> None:
        self._entries.setdefault(entry.queue, {})[entry.call] = entry

    def remove_entry(self, queue: str, call: str) -> bool:
        return self._entries.get(queue, {}).pop(call, None) is not None

    def entries(self, queue: str) -> list[QueueEntry]:
        return in_order(self._entries.get(queue, {}).values())

    def all_entries(self) -> dict[str, list[QueueEntry]]:
        return {queue: in_order(calls.values()) for queue, calls in self._entries.items() if calls}

    def next_seq(self) -> int:
        self._seq += 1
        return self._seq

    def put_leads(self, campaign: str, leads: Sequence[Lead]) -> list[Lead]:
        check_campaign(campaign, leads)
        stored = self._leads.setdefault(campaign, {})
        added: list[Lead] = []
        for lead in leads:
            if lead.phone not in stored:
                stored[lead.phone] = replace(lead, position=len(stored), version=1)
                added.append(stored[lead.phone])
        self._lead_order.setdefault(campaign, []).extend(lead.phone for lead in added)
        return added

    def get_lead(self, campaign: str, phone: str) -> Lead | None:
        return self._leads.get(campaign, {}).get(phone)

    def leads(self, campaign: str) -> list[Lead]:
        return list(self._leads.get(campaign, {}).values())

    def lead_page(self, campaign: str, cursor: int, count: int) -> tuple[list[Lead], int]:
        stored, phones = self._leads.get(campaign, {}), self._lead_order.get(campaign, [])  # (none is ever removed)
        page = [stored[phone] for phone in phones[cursor:cursor + count]]
        return page, (cursor + len(page) if cursor + len(page) < len(phones) else 0)

    def dialling_leads(self, campaign: str) -> list[Lead]:
        return [lead for lead in self._leads.get(campaign, {}).values() if lead.state is LeadState.DIALLING]

    def update_lead(self, old: Lead, new: Lead) -> Lead | None:
        check_same_lead(old, new)
        stored = self._leads.setdefault(old.campaign, {})
        created = old.phone not in stored  # (a lead not stored counts as version 0)
        written = _compare_and_set(stored, old.phone, old, new)
        if written is not None and created:
            self._lead_order.setdefault(old.campaign, []).append(old.phone)
        return written

    def get_campaign_run(self, campaign: str) -> CampaignRun | None:
        return self._runs.get(campaign)

    def update_campaign_run(self, old: CampaignRun, new: CampaignRun) -> CampaignRun | None:
        check_same_run(old, new)
        return _compare_and_set(self._runs, old.campaign, old, new)

    def add_answer(self, campaign: str, at: float, abandoned: bool, call: str) -> None:
        check_answer(at, call)
        self._answers.setdefault(campaign, {}).setdefault(call, (at, abandoned))

    def answers(self, campaign: str, since: float) -> list[tuple[float, bool]]:
        check_bound("answers", since)
        calls = self._answers.get(campaign, {})
        in_window = sorted((at, call) for call, (at, _) in calls.items() if at >= since)
        return [(at, calls[call][1]) for at, call in in_window]

    def trim_answers(self, campaign: str, before: float) -> int:
        check_bound("trim_answers", before)
        calls = self._answers.get(campaign, {})
        old = [call for call, (at, _) in calls.items() if at < before]
        for call in old:
            del calls[call]
        return len(old)

    def ping(self) -> None:
        pass

    def close(self) -> None:
        pass

    def _version_of(self, agent_id: str) -> int:
        stored = self._agents.get(agent_id)
        return 0 if stored is None else stored.version

    def _write(self, agent: Agent, version: int) -> Agent:
        stored = replace(agent, version=version)
        self._agents[agent.id] = stored
        return stored


def _compare_and_set(records: dict[str, _Versioned], key: str, old: _Versioned, new: _Versioned) -> _Versioned | None:
    stored = records.get(key)
    if (0 if stored is None else stored.version) != old.version:
        return None
    records[key] = replace(new, version=old.version + 1)
    return records[key]
