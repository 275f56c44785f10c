"""A campaign's leads in the order they are dialled, so that a pick reads the front of that order and not every lead.

``campaign.next_leads`` reads every lead it is given: a million pending leads cost a second of the controller's
loop on every launch. A ``LeadQueue`` gives the same leads in the same order (``campaign.pick_order``: due retries
oldest first, then new leads in import order) and walks only as far as the ``n`` it was asked for.

Where each lead is (``_place``):

- not in play (``campaign.in_play``: done, answered, being dialled, out of attempts, on a do-not-call list): nowhere;
- held beyond its ``next_at`` (``campaign.held_until``: the 72-hour rule after an abandon, without an agent reserved):
  in ``held``, by the time it is held until, a heap that a pick reads only as far as now (``_ripen``) and that then
  puts the lead in its zone's heaps;
- otherwise in its time zone's heaps: retries by ``next_at`` (a pick reads them only as far as now: one not due yet
  costs nothing), new leads by ``position``. Every lead of one zone shares its calling window, so a pick reads only
  the zones open now and a closed zone costs one look.

``CampaignState.keep`` tells the queue of every lead read or written (``update``). Entries are small tuples of the
lead's own fields (its order and its phone); a lead that changes gets a new entry and its old one is left where it is,
dropped when a pick meets it: a pick checks every entry against the lead as it is now, keeps what is still right and
drops what is not (stale, a second entry of one lead, out of play). So the queue never gives a lead that
``dialable`` refuses, and a pick leaves the leads it gave in place: they leave when they are dialled. (Old entries
are not swept otherwise: those of a zone seldom open wait for it; each is one lead's change.)

The settings the queue was filled by (do-not-call lists, ``max_attempts``, whether an agent is reserved for each
call) change only with a reload (``reconfigure``); picks check the new ones at once. A lead newly on a list is
dropped when met; a number taken off a list has its lead placed again. More attempts or another mode may bring back
leads it left out anywhere (``needs_refill``): a queue under the new settings is filled from every lead,
``FILL_STEP`` leads a step (``fill_step``: the controller runs the steps between its other work, so a million leads
never hold it at once), and replaces this one's entries after the last step. Until then picks come from these
entries, checked against the new settings: the leads they bring back wait for the fill (about a second per million
leads), and nothing is given that they refuse. The fill starts from the leads as they are at the reload; those that
change meanwhile reach it through ``update``, as they reach this queue, and their stale entries are dropped when met,
as any. A reload during a fill starts it again under the newest settings. The entries a fill replaces (or those of a
fill given up) are freed a step at a time too: a million at once would hold the loop for a tenth of a second.
"""

from __future__ import annotations

import heapq
import math
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import TypeVar

from ccswitch.config.model import CampaignConfig
from ccswitch.dialer.campaign import held_until, in_play, zone_open
from ccswitch.dialer.leads import Lead

Zone = str | None  # a lead's IANA time zone; None: the campaign's

_Retry = tuple[float, int, str]  # next_at, position, phone
_New = tuple[int, str]  # position, phone
_Held = tuple[float, str]  # held until, phone
_Entry = TypeVar("_Entry", _Retry, _New)

FILL_STEP = 5_000  # leads a step of a fill places (or of a campaign's read keeps): 1-10 ms of the controller's loop


@dataclass
class _ZoneLeads:
    """One time zone's leads that nothing holds beyond their ``next_at``: retries (due or not), and new leads."""

    retries: list[_Retry] = field(default_factory=list)  # heaps
    new: list[_New] = field(default_factory=list)


@dataclass
class _Fill:
    """A fill under way (``LeadQueue.fill_step``)."""

    queue: LeadQueue  # under the new settings (its own leads, none, are never read: its entries are what it is for)
    leads: list[Lead]  # the campaign's leads when it began, to place in ``queue``
    placed: int = 0  # of ``leads``


_Heap = list[_Held] | list[_Retry] | list[_New]


def reserves_agents(campaign: CampaignConfig) -> bool:
    """Whether each call of ``campaign`` has an agent waiting for it (``next_leads``' ``agent_reserved``)."""
    return campaign.mode == "preview"


def needs_refill(before: CampaignConfig, after: CampaignConfig) -> bool:
    """Whether ``after`` may put in play leads that a queue filled under ``before`` left out anywhere: more attempts,
    or another mode (the 72-hour rule applies to it or not)."""
    return after.max_attempts > before.max_attempts or reserves_agents(after) != reserves_agents(before)


class LeadQueue:
    """The dialable leads of one campaign, in ``next_leads``' order (see the module docstring)."""

    def __init__(self, campaign: CampaignConfig, leads: Mapping[str, Lead]) -> None:
        self._campaign = campaign
        self._leads = leads  # phone -> the lead as it is now: the campaign's, which ``update`` follows
        self._agent_reserved = reserves_agents(campaign)
        self._held: list[_Held] = []
        self._zones: dict[Zone, _ZoneLeads] = {}
        self._fill: _Fill | None = None
        self._dropped: list[_Heap] = []  # entries replaced, to free
        for lead in leads.values():
            self._place(lead)

    @property
    def filling(self) -> bool:
        """Whether ``fill_step`` has work left: a fill under way (leads the new settings bring back may not be given
        yet), or entries it replaced to free."""
        return self._fill is not None or bool(self._dropped)

    def update(self, old: Lead | None, new: Lead) -> None:
        """``new`` replaces ``old`` (None: a lead not seen before) in the campaign's leads."""
        if self._fill is not None:
            self._fill.queue.update(old, new)
        if old is not None and self._placement(old) == self._placement(new):
            return  # the entry it has stands for the new lead as well
        self._place(new)

    def reconfigure(self, campaign: CampaignConfig) -> None:
        """New settings: leads they bring back into play get entries again, or a fill starts (see the module
        docstring)."""
        before = self._campaign
        self._campaign, self._agent_reserved = campaign, reserves_agents(campaign)
        if self._fill is not None or needs_refill(before, campaign):
            self._start_fill()  # (one under way was for older settings: this one takes its place)
        for number in before.do_not_call - campaign.do_not_call:  # (listed without the '+' a lead's number may have)
            for phone in (number, f"+{number}"):
                lead = self._leads.get(phone)
                if lead is not None:
                    self._place(lead)

    def fill_step(self) -> None:
        """Place the next ``FILL_STEP`` leads of the fill under way, and after the last take its entries for these;
        else free up to ``FILL_STEP`` of the entries replaced."""
        fill = self._fill
        if fill is not None:
            for lead in fill.leads[fill.placed:fill.placed + FILL_STEP]:
                fill.queue._place(lead)
            fill.placed += FILL_STEP
            if fill.placed >= len(fill.leads):
                self._drop(self)
                self._held, self._zones, self._fill = fill.queue._held, fill.queue._zones, None
        elif self._dropped:
            del self._dropped[-1][-FILL_STEP:]
            if not self._dropped[-1]:
                self._dropped.pop()

    def pick(self, now: float, n: int, allow: Callable[[Lead], bool] | None = None) -> list[Lead]:
        """Up to ``n`` leads to dial at ``now``, as ``next_leads`` over the campaign's leads would give them (with
        its ``agent_reserved`` for this campaign's mode); ``allow``: leads it refuses are passed over, kept."""
        if n <= 0:
            return []
        self._ripen(now)
        open_zones = [(zone, leads) for zone, leads in self._zones.items()
                      if (leads.retries or leads.new) and zone_open(self._campaign, zone, now)]
        zones = [zone for zone, _ in open_zones]
        picked = self._walk([leads.retries for _, leads in open_zones], zones, now, n, allow, timed=True)
        if len(picked) < n:
            picked += self._walk([leads.new for _, leads in open_zones], zones, now, n - len(picked), allow,
                                 timed=False)
        return picked

    def __len__(self) -> int:
        """Entries held, stale ones included (the memory it takes)."""
        return len(self._held) + sum(len(leads.retries) + len(leads.new) for leads in self._zones.values())

    # ----------------------------------------------------------------- inside
    def _start_fill(self) -> None:
        if self._fill is not None:
            self._drop(self._fill.queue)
        self._fill = _Fill(LeadQueue(self._campaign, {}), list(self._leads.values()))

    def _drop(self, queue: LeadQueue) -> None:
        """``queue``'s entries (this one's, or a fill's) are to be freed, a step at a time."""
        heaps = [queue._held, *(heap for zone in queue._zones.values() for heap in (zone.retries, zone.new))]
        self._dropped += [heap for heap in heaps if heap]

    def _placement(self, lead: Lead) -> tuple[float, Zone, float | None, int] | None:
        """Where ``lead`` belongs: None out of play, else what its entry is made of."""
        if not in_play(self._campaign, lead):
            return None
        return held_until(lead, self._agent_reserved), lead.timezone, lead.next_at, lead.position

    def _place(self, lead: Lead) -> None:
        """A new entry for ``lead`` where it belongs now."""
        if not in_play(self._campaign, lead):
            return
        until = held_until(lead, self._agent_reserved)
        if until == (-math.inf if lead.next_at is None else lead.next_at):
            self._due(lead)
        else:
            heapq.heappush(self._held, (until, lead.phone))

    def _due(self, lead: Lead) -> None:
        """An entry for ``lead``, which nothing holds beyond its ``next_at``, in its zone's heaps."""
        zone = self._zones.get(lead.timezone)
        if zone is None:
            zone = self._zones[lead.timezone] = _ZoneLeads()
        if lead.next_at is None:
            heapq.heappush(zone.new, (lead.position, lead.phone))
        else:
            heapq.heappush(zone.retries, (lead.next_at, lead.position, lead.phone))

    def _ripen(self, now: float) -> None:
        """Leads held until now or earlier go to their zone's heaps."""
        held = self._held
        while held and held[0][0] <= now:
            until, phone = heapq.heappop(held)
            lead = self._leads.get(phone)
            if lead is not None and in_play(self._campaign, lead) \
                    and held_until(lead, self._agent_reserved) == until:
                self._due(lead)
            # else: changed since it was held; its entry now is another

    def _walk(self, heaps: list[list[_Entry]], zones: list[Zone], now: float, n: int,
              allow: Callable[[Lead], bool] | None, timed: bool) -> list[Lead]:
        """Up to ``n`` dialable leads from the fronts of ``heaps`` (one per open zone, ``zones``), merged in order;
        ``timed``: retries, read up to those due at ``now``. Entries met are popped: those still right go back, the
        others are dropped (or held again)."""
        picked: list[Lead] = []
        kept: list[tuple[list[_Entry], _Entry]] = []
        seen: set[str] = set()
        fronts = [(heap[0], index) for index, heap in enumerate(heaps) if heap]
        heapq.heapify(fronts)
        while fronts and len(picked) < n:
            entry, index = fronts[0]
            if timed and entry[0] > now:
                break  # the rest are retries not due yet
            heap = heaps[index]
            heapq.heappop(heap)
            if heap:
                heapq.heapreplace(fronts, (heap[0], index))
            else:
                heapq.heappop(fronts)
            phone = entry[-1]
            lead = self._leads.get(phone)
            if lead is None or phone in seen or not self._matches(lead, entry, zones[index]):
                continue  # stale, or a second entry of one lead
            seen.add(phone)
            if held_until(lead, self._agent_reserved) > now:  # (the clock went back, or a hold without a new entry)
                self._place(lead)
                continue
            kept.append((heap, entry))
            if allow is None or allow(lead):
                picked.append(lead)
        for heap, entry in kept:
            heapq.heappush(heap, entry)
        return picked

    def _matches(self, lead: Lead, entry: _Retry | _New, zone: Zone) -> bool:
        """Whether ``entry`` (met in ``zone``'s heaps) is ``lead``'s as it is now, and the lead still in play."""
        if lead.timezone != zone or lead.position != entry[-2] or not in_play(self._campaign, lead):
            return False
        return lead.next_at is None if len(entry) == 2 else lead.next_at == entry[0]
