"""The shared-state contract: agents (with optimistic versions), queue entries, the arrival counter, and
outbound campaigns' leads, run states and answer ledgers.

Two implementations keep it: ``MemoryStore`` (one process) and ``RedisStore`` (several controllers sharing
one Redis). Agent ``version`` is the store's: a record never written has version 0, every write adds one, and
``update_agent`` is a compare-and-set on it: that is how two controllers never reserve one agent twice. Leads and
campaign runs are versioned the same way, so a lead is dialled by one controller once per attempt, and a
restarted controller finds every lead where it was left. A campaign's answer ledger (its person-answered calls,
abandoned or not, for the regulator's rolling abandon-rate window) is shared the same way and keyed by call, so a
call written twice, by a retry or by two controllers, counts once. Failures of the backing service raise
``StoreError``.

The text contacts an agent holds are in the agent's record (``Agent.texts``), and the agent state machine refuses
an offer beyond their capacity (``ccswitch.acd.capacity``): the same compare-and-set that keeps one call from two
agents keeps every agent within their capacity, across every controller sharing the store.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from typing import Protocol

from ccswitch.acd import Agent, QueueEntry
from ccswitch.outbound import CampaignRun, Lead


class Store(Protocol):
    def get_agent(self, agent_id: str) -> Agent | None: ...

    def agents(self) -> list[Agent]: ...

    def put_agent(self, agent: Agent) -> Agent:
        """Write unconditionally (first login, config load); returns the record with its new version."""
        ...

    def restore_agent(self, agent: Agent) -> Agent:
        """Write ``agent`` with its own version if the store has no record of it or an older version; returns the
        record the store holds afterwards (``agent``, or the newer one that stood). For a store that lost its data
        (a Redis restarted empty): the controllers that kept a view put back what they saw, and the most recent
        view wins whoever writes first."""
        ...

    def update_agent(self, old: Agent, new: Agent) -> Agent | None:
        """Store ``new`` only if the stored version still equals ``old.version`` (missing agent: 0).

        Returns ``new`` with version ``old.version + 1``, or ``None`` when someone else wrote first: re-read,
        re-decide, retry.
        """
        ...

    def add_entry(self, entry: QueueEntry) -> None:
        """Add the entry, or replace the one with the same queue and call (e.g. a call handed back)."""
        ...

    def remove_entry(self, queue: str, call: str) -> bool:
        """Remove a call from a queue; ``False`` if it was not there."""
        ...

    def entries(self, queue: str) -> list[QueueEntry]:
        """One queue's entries in queue order (``ccswitch.acd.order_key``)."""
        ...

    def all_entries(self) -> dict[str, list[QueueEntry]]:
        """Every non-empty queue's entries, each in queue order."""
        ...

    def next_seq(self) -> int:
        """The next arrival number: increasing across every controller sharing the store."""
        ...

    def put_leads(self, campaign: str, leads: Sequence[Lead]) -> list[Lead]:
        """Add the leads whose number the campaign does not have yet, with version 1 and ``position`` after
        every lead it has (their order in ``leads``); stored leads keep their progress. Returns the leads added,
        as stored, in that order (a number twice in ``leads``: its first), so that a caller keeping a copy of the
        campaign's leads does work in proportion to ``leads``, never to the campaign."""
        ...

    def get_lead(self, campaign: str, phone: str) -> Lead | None: ...

    def leads(self, campaign: str) -> list[Lead]:
        """The campaign's leads by ``position`` (import order)."""
        ...

    def lead_page(self, campaign: str, cursor: int, count: int) -> tuple[list[Lead], int]:
        """About ``count`` of the campaign's leads from ``cursor`` (0: the first page), each as ``get_lead`` reads
        it, and the cursor of the next page (0 after the last): a million leads read a page at a time. Every lead
        stored for the whole read comes in some page; one may come twice (the later is no older)."""
        ...

    def dialling_leads(self, campaign: str) -> list[Lead]:
        """The campaign's leads in ``DIALLING`` (a line is up for each, run by some controller), found without
        reading every lead: what a controller taking over a dead one's switch must follow."""
        ...

    def update_lead(self, old: Lead, new: Lead) -> Lead | None:
        """Compare-and-set on the lead's version, as ``update_agent`` (a lead not stored counts as version 0)."""
        ...

    def get_campaign_run(self, campaign: str) -> CampaignRun | None: ...

    def update_campaign_run(self, old: CampaignRun, new: CampaignRun) -> CampaignRun | None:
        """Compare-and-set on the run's version, as ``update_agent``: ``update_campaign_run(run, run)`` with a
        version-0 ``run`` creates it."""
        ...

    def add_answer(self, campaign: str, at: float, abandoned: bool, call: str) -> None:
        """Record that a person answered ``call`` (its uuid) at ``at``, and whether the call was abandoned.

        A call is recorded once: the first write wins and later ones for the same call (whatever their time or
        flag) change nothing.
        """
        ...

    def answers(self, campaign: str, since: float) -> list[tuple[float, bool]]:
        """``(time, abandoned)`` of the campaign's calls answered at or after ``since``: by time, equal times by
        call uuid."""
        ...

    def trim_answers(self, campaign: str, before: float) -> int:
        """Forget the campaign's answers from before ``before`` (nothing expires otherwise); returns how many."""
        ...

    def ping(self) -> None:
        """Raise ``StoreError`` unless the store answers."""
        ...

    def close(self) -> None: ...


def check_same_agent(old: Agent, new: Agent) -> None:
    """``update_agent`` replaces one agent's record; mixing up two agents is the caller's bug."""
    if old.id != new.id:
        raise ValueError(f"update_agent: old is agent {old.id} but new is agent {new.id}")


def check_same_lead(old: Lead, new: Lead) -> None:
    if (old.campaign, old.phone) != (new.campaign, new.phone):
        raise ValueError(f"update_lead: old is {old.campaign}/{old.phone} but new is {new.campaign}/{new.phone}")


def check_same_run(old: CampaignRun, new: CampaignRun) -> None:
    if old.campaign != new.campaign:
        raise ValueError(f"update_campaign_run: old is campaign {old.campaign} but new is {new.campaign}")


def check_answer(at: float, call: str) -> None:
    """An answer is of some call, at a finite time (Redis refuses a NaN score)."""
    if not math.isfinite(at):
        raise ValueError(f"add_answer: the time must be finite, not {at}")
    if not call:
        raise ValueError("add_answer: the call uuid is empty")


def check_bound(operation: str, bound: float) -> None:
    """A time bound may be infinite but not NaN, which orders against nothing."""
    if math.isnan(bound):
        raise ValueError(f"{operation}: the time bound must not be NaN")


def check_campaign(campaign: str, leads: Sequence[Lead]) -> None:
    """``put_leads`` adds leads to one campaign."""
    for lead in leads:
        if lead.campaign != campaign:
            raise ValueError(f"put_leads: lead {lead.phone} is of campaign {lead.campaign}, not {campaign}")
