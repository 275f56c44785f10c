"""A campaign as this controller has it, kept in step with the store; and the state the dialler's parts share.

Lead outcomes follow ``campaign.on_outcome``: the -ERR cause of the originate (or the leg's hang-up cause) gives
busy / no answer / failed, detection gives machine, the connect deadline answered or abandoned; agents set the
disposition afterwards (``Dialer.dispose``). Every lead is written with the store's compare-and-set, so no two
controllers dial one lead for one attempt, and a restarted controller resumes from the store.

The ledger's answers are also written to the store (``add_answer``, once per call; trimmed to the window once a
minute), and a (re)started controller reads the window back, so a restart forgets no abandon. Each controller
paces from the answers it saw itself since it started, plus those stored before: two controllers dialling one
campaign at once do not see each other's answers until one restarts.

History: a line that ends in the dialler, never handed to the ACD, is recorded here (``contact``), as the ACD
would record it, from the originate to the line's end.
"""

from __future__ import annotations

import logging
from collections import Counter
from dataclasses import dataclass, field, replace

from ccswitch.acd.capacity import Channel
from ccswitch.config import Config
from ccswitch.config.model import CampaignConfig
from ccswitch.dialer.acd_port import Acd, Emit, Record
from ccswitch.dialer.campaign import CampaignRun, RunState, on_outcome
from ccswitch.dialer.figures import Estimates, OutcomeWindow
from ccswitch.dialer.lead_queue import LeadQueue
from ccswitch.dialer.leads import DialOutcome, Lead, LeadState, normalise_phone
from ccswitch.dialer.lines import Line
from ccswitch.dialer.pacing import HOLD_RISK, AbandonLedger, PacingPolicy
from ccswitch.errors import InvalidTransition, UnknownNameError
from ccswitch.history.model import ContactRecord, Outcome
from ccswitch.store.base import Store

log = logging.getLogger(__name__)

RING_SETUP_S = 2  # originate_timeout runs from the INVITE; the phone starts ringing a moment later


def ring_seconds(campaign: CampaignConfig) -> int:
    """``originate_timeout``: the campaign's ring timeout plus call set-up."""
    return campaign.ring_timeout_s + RING_SETUP_S


def pacing_policy(campaign: CampaignConfig) -> PacingPolicy:
    """The pacer for ``campaign``: for a predictive one, the cancelling pacer (``PacingPolicy.cancelling``) when its
    lines ring longer than the minimum, so that a line may be hung up once it rang that long, else the plain one; a
    progressive one gives no line up, and its policy serves only to keep agents (``keep_agents``).

    The minimum counts from the INVITE plus call set-up, as ``originate_timeout`` does. A campaign whose
    ``ring_timeout_s`` is its ``min_ring_s`` cancels nothing: the switch gives up on the line at that moment.
    """
    ring = float(ring_seconds(campaign))
    cancel_after = float(campaign.min_ring_s + RING_SETUP_S)
    hold = HOLD_RISK if campaign.keep_agents else 0.0
    if campaign.mode != "predictive" or cancel_after >= ring:
        return PacingPolicy(ring_timeout=ring, hold_risk=hold)
    return replace(PacingPolicy.cancelling(ring_timeout=ring, min_ring=cancel_after), hold_risk=hold)


READ_STEP = 1_000  # leads a step of a campaign's read keeps: decoding a page from Redis takes ~12 ms (5,000: ~60 ms)


@dataclass
class CampaignState:
    config: CampaignConfig
    store: Store
    run: CampaignRun | None
    leads: dict[str, Lead]  # phone -> lead, as last read or written: changed through ``keep``
    ledger: AbandonLedger
    estimates: Estimates
    window: OutcomeWindow
    totals: Counter[DialOutcome] = field(default_factory=Counter)  # since this controller started
    ledger_at: float = 0.0  # the ledger takes records in time order
    idle_until: float = 0.0  # no lead was left to dial: not looked for again before this
    skipped: dict[str, float] = field(default_factory=dict)  # phone -> not previewed again before this
    by_state: Counter[LeadState] = field(default_factory=Counter)  # ``leads`` counted: status walks no million leads
    queue: LeadQueue = field(init=False)  # ``leads`` in the order they are dialled: a pick reads no million leads
    unread_from: int | None = None  # the store's cursor of the leads still to keep (``fill_step``); None: all kept

    def __post_init__(self) -> None:
        self.by_state.update(lead.state for lead in self.leads.values())
        self.queue = LeadQueue(self.config, self.leads)

    @classmethod
    def read(cls, campaign: CampaignConfig, store: Store, now: float, in_steps: bool = False) -> CampaignState:
        """A campaign as the store has it: run, leads, and the answers of the abandon window so far. ``in_steps``:
        its leads are read and kept by ``fill_step``, a page at a time (a campaign a reload adds: a million would
        hold the controller's loop for seconds)."""
        leads = {} if in_steps else {lead.phone: lead for lead in store.leads(campaign.name)}
        ledger, ledger_at = _stored_ledger(campaign, store, now)
        return cls(campaign, store, store.get_campaign_run(campaign.name), leads, ledger,
                   Estimates.new(ring_seconds(campaign), now), OutcomeWindow(campaign.abandon_window_s),
                   ledger_at=ledger_at, unread_from=0 if in_steps else None)

    @property
    def filling(self) -> bool:
        """Whether ``fill_step`` has work left: leads to read from the store and keep, or the queue's fill."""
        return self.unread_from is not None or self.queue.filling

    def fill_step(self) -> None:
        """Read and keep the next page of about ``READ_STEP`` leads from the store (a lead kept already, written or
        read again since the read began, is no older than the store's page), else a step of the queue's fill
        (``LeadQueue.fill_step``). A store that fails leaves the cursor where it was: the next step reads the page
        again."""
        if self.unread_from is None:
            self.queue.fill_step()
            return
        page, cursor = self.store.lead_page(self.config.name, self.unread_from, READ_STEP)
        for lead in page:
            if lead.phone not in self.leads:
                self.keep(lead)
        self.unread_from = cursor or None

    def read_what_others_changed(self, now: float) -> None:
        """What another controller that ran this campaign's lines (and died) knew and this one may not: the leads
        it was dialling, the run (it may have started or paused it) and the abandon window's answers (its
        abandons count against the same limit). Not every lead: a million would stall the take-over."""
        self.run = self.store.get_campaign_run(self.config.name)
        for lead in self.store.dialling_leads(self.config.name):
            known = self.leads.get(lead.phone)
            if known is None or known.version < lead.version:
                self.keep(lead)
        self.ledger, self.ledger_at = _stored_ledger(self.config, self.store, now)

    def reconfigure(self, campaign: CampaignConfig) -> None:
        """New settings (lists, windows, retries, limits); the figures carry on."""
        self.config = campaign
        self.queue.reconfigure(campaign)
        self.ledger.window_seconds, self.ledger.limit = campaign.abandon_window_s, campaign.abandon_limit
        self.window.window_s = campaign.abandon_window_s

    @property
    def ring_s(self) -> int:
        return ring_seconds(self.config)

    @property
    def running(self) -> bool:
        return self.run is not None and self.run.state is RunState.RUNNING

    @property
    def preview(self) -> bool:
        """Its agents dial the leads they are shown (``dialer.preview``): no pacing, no detection, no ledger (nobody
        can be abandoned), and the ACD times the call out (it rings the agent first)."""
        return self.config.mode == "preview"

    # ----------------------------------------------------------------- the run
    def set_run(self, old: CampaignRun, new: CampaignRun) -> CampaignRun:
        """Compare-and-set the run (``old`` = ``new`` of version 0 creates it)."""
        stored = self.store.update_campaign_run(old, new)
        if stored is None:  # another controller changed it: take theirs and let the caller ask again
            self.run = self.store.get_campaign_run(new.campaign)
            raise InvalidTransition(f"campaign {new.campaign} was changed by another controller at the same "
                                    "moment; try again")
        self.run = stored
        return stored

    # ----------------------------------------------------------------- leads
    def keep(self, lead: Lead) -> None:
        """``lead`` as last read or written: every change of ``leads`` is made here (``by_state`` and ``queue``
        follow them)."""
        old = self.leads.get(lead.phone)
        if old is not None:
            self.by_state[old.state] -= 1
        self.by_state[lead.state] += 1
        self.leads[lead.phone] = lead
        self.queue.update(old, lead)

    def write_lead(self, old: Lead, new: Lead) -> Lead | None:
        """Compare-and-set; on a conflict the cache takes the stored lead and None is returned."""
        stored = self.store.update_lead(old, new)
        if stored is None:
            fresh = self.store.get_lead(old.campaign, old.phone)
            if fresh is not None:
                self.keep(fresh)
            return None
        self.keep(stored)
        return stored

    def stored_lead(self, phone: str) -> Lead:
        """The lead of ``phone`` however it is written (``+44 7700 900001``, ``447700900001``)."""
        name = self.config.name
        try:
            number = normalise_phone(phone)
        except ValueError as exc:
            raise UnknownNameError(f"campaign {name} has no lead {phone}: {exc}") from exc
        lead = self.store.get_lead(name, number) or self.store.get_lead(name, f"+{number.removeprefix('+')}") \
            or self.store.get_lead(name, number.removeprefix("+"))
        if lead is None:
            raise UnknownNameError(f"campaign {name} has no lead {phone}")
        self.keep(lead)
        return lead

    # ----------------------------------------------------------------- outcomes
    def record_answer(self, line: Line, now: float, abandoned: bool) -> None:
        """A person answered ``line``: into the ledger, and the store's (a restart reads it back)."""
        self.ledger_at = max(self.ledger_at, now)  # a wall clock may step back; the ledger must not
        self.ledger.record(self.ledger_at, answered_person=True, abandoned=abandoned)
        self.store.add_answer(self.config.name, self.ledger_at, abandoned, line.uuid)

    def record_given_up(self, now: float, persons: float) -> None:
        """The pacer hung up a line that a person would have answered with chance ``persons``: into the ledger, for
        the pacer's share of people lost (not stored: a restart counts afresh)."""
        self.ledger_at = max(self.ledger_at, now)
        self.ledger.record_given_up(self.ledger_at, persons)

    def lead_outcome(self, line: Line, outcome: DialOutcome, now: float) -> None:
        """How ``line`` ended for its lead, if the lead is still being dialled by it."""
        name = self.config.name
        lead = self.leads.get(line.phone)
        if lead is None or lead.state is not LeadState.DIALLING or lead.call != line.uuid:
            lead = self.store.get_lead(name, line.phone)
        if lead is None or lead.state is not LeadState.DIALLING or lead.call != line.uuid:
            log.warning("line %s: lead %s of campaign %s is no longer being dialled by it: %s not recorded",
                        line.uuid, line.phone, name, outcome.value)
            return
        self.settle(lead, outcome, now)

    def settle(self, lead: Lead, outcome: DialOutcome, now: float) -> None:
        """The lead's call ended with ``outcome``: counted, and the lead written (a retry, or done)."""
        self.totals[outcome] += 1
        self.window.record(now, outcome)
        for _attempt in range(2):
            if self.write_lead(lead, on_outcome(self.config, lead, outcome, now)) is not None:
                return
            fresh = self.leads.get(lead.phone)
            if fresh is None or fresh.state is not LeadState.DIALLING or fresh.call != lead.call:
                return
            lead = fresh
        log.error("campaign %s: lead %s: outcome %s could not be stored", self.config.name, lead.phone,
                  outcome.value)

    def contact(self, line: Line, outcome: Outcome, cause: str, now: float) -> ContactRecord:
        """The history record of a line the ACD never had, as the ACD would write it: the lead's number and name
        as the caller, from the originate to ``now``."""
        lead = self.leads.get(line.phone)
        return ContactRecord(call_uuid=line.uuid, channel=Channel.VOICE, direction="outbound",
                             started_at=line.dialled_at, ended_at=now, caller_number=line.phone,
                             caller_name=lead.name if lead else "",
                             destination=line.phone, outcome=outcome, hangup_cause=cause, campaign=line.campaign)


@dataclass
class DialerState:
    """What the dialler's parts share. Only the controller greenlet touches it, as the ACD's state."""

    config: Config
    store: Store
    acd: Acd
    emit: Emit
    record: Record
    campaigns: dict[str, CampaignState] = field(default_factory=dict)
    lines: dict[str, Line] = field(default_factory=dict)  # channel uuid -> line

    def campaign(self, name: str) -> CampaignState:
        """A configured campaign; UnknownNameError names the known ones."""
        campaign = self.campaigns.get(name)
        if campaign is None or name not in self.config.campaigns:
            known = ", ".join(sorted(self.config.campaigns)) or "none"
            raise UnknownNameError(f"unknown campaign '{name}' (known: {known})")
        return campaign

    def quietest_node(self) -> str:
        """The node with the fewest of our lines: a new line goes there."""
        busy = Counter(line.node for line in self.lines.values())
        return min((node.name for node in self.config.nodes), key=lambda name: busy[name])


def _stored_ledger(campaign: CampaignConfig, store: Store, now: float) -> tuple[AbandonLedger, float]:
    """The abandon window's answers as the store has them (every controller's), and the last one's time."""
    ledger = AbandonLedger(campaign.abandon_window_s, campaign.abandon_limit)
    ledger_at = 0.0
    for at, abandoned in store.answers(campaign.name, now - campaign.abandon_window_s):
        ledger_at = max(ledger_at, at)
        ledger.record(ledger_at, answered_person=True, abandoned=abandoned)
    ledger.count_lost_from(ledger_at)  # the lines hung up are not stored: their share counts from here
    return ledger, ledger_at
