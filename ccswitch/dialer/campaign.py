"""The campaign core: which leads to dial now, what the end of each call means for its lead, and whether the
campaign runs. Pure: time (``now``, seconds since the epoch) is an argument and nothing here does I/O.

Theory of operation
-------------------
Leads enter a campaign through ``admit`` (numbers on its do-not-call lists become DNC there and then) and the
store keeps them. A lead moves only along these lines (``_MOVES``); any other move raises ``InvalidTransition``::

    PENDING | RETRY --on_dial--> DIALLING --on_outcome--> ANSWERED | RETRY | DONE
    ANSWERED --on_disposition--> RETRY | DONE | DNC

``next_leads`` picks the leads to dial now: pending, or retrying with ``next_at`` reached; attempts left; not on
a do-not-call list (lists change: they are checked again at every pick); within the campaign's days and hours in
the lead's own time zone; and, if a call to the person was abandoned less than 72 hours ago, only when the caller
guarantees an agent for the call (``agent_reserved``, Ofcom's rule for repeat calls after an abandoned one).
Retries that are due go first, oldest first, then new leads in import order.

``on_outcome``: a person answered → ANSWERED, to an agent (a blast has no agent: DONE); abandoned → RETRY at once,
held back by the 72-hour rule; machine, busy, no answer, failed → RETRY after the campaign's delay for that
outcome, or DONE when that delay is ``never`` or the attempts are used up. ``on_disposition``: the agent's choice
ends the lead (DONE, or DNC for a do-not-call disposition) or schedules a retry, again while attempts are left.

The engine stores each new lead with ``Store.update_lead`` (compare-and-set), so a restarted controller resumes
from the store: DONE and DNC leads are never dialled again and nothing is lost. A lead left DIALLING whose call
no longer exists after a restart should be given ``DialOutcome.FAILED``.

A campaign run is LOADED, RUNNING, PAUSED or STOPPED; ``apply_command`` moves it by one table
(``_RUN_TRANSITIONS``). Paused: no new calls, and ``resume`` goes on. Stopped: the run is over until started again.
"""

from __future__ import annotations

import enum
import heapq
import math
from collections.abc import Iterable, Mapping
from dataclasses import replace
from datetime import datetime
from types import MappingProxyType

from ccswitch.config.model import CampaignConfig, within
from ccswitch.errors import InvalidTransition, UnknownChoiceError
from ccswitch.outbound import CampaignRun as CampaignRun
from ccswitch.outbound import DialOutcome, Lead, LeadState
from ccswitch.outbound import RunState as RunState
from ccswitch.phone_numbers import on_list
from ccswitch.validators import time_zone

ABANDONED_REDIAL_SECONDS = 72 * 3600.0  # no repeat call to an abandoned person without a guaranteed agent
_TO_DIAL = (LeadState.PENDING, LeadState.RETRY)  # (an enum's members read from its class are slow to reach: read once)

_DIAL, _OUTCOME, _DISPOSITION = "dial", "outcome", "disposition"
_MOVES = frozenset(
    {
        (LeadState.PENDING, _DIAL),
        (LeadState.RETRY, _DIAL),
        (LeadState.DIALLING, _OUTCOME),
        (LeadState.ANSWERED, _DISPOSITION),
    }
)


# -- leads -------------------------------------------------------------------------------------------------------


def admit(campaign: CampaignConfig, leads: Iterable[Lead]) -> list[Lead]:
    """Leads as they enter ``campaign``: those whose number is on its do-not-call lists are DNC."""
    return [
        replace(lead, state=LeadState.DNC) if on_list(campaign.do_not_call, lead.phone) else lead for lead in leads
    ]


def dialable(campaign: CampaignConfig, lead: Lead, now: float, agent_reserved: bool = False) -> bool:
    """Whether ``lead`` may be dialled at ``now`` (see the module docstring): in play, no longer held, and within
    the calling window of its zone."""
    return (
        in_play(campaign, lead)
        and held_until(lead, agent_reserved) <= now
        and zone_open(campaign, lead.timezone, now)
    )


def in_play(campaign: CampaignConfig, lead: Lead) -> bool:
    """Whether ``lead`` is to be dialled some day under these settings: pending or retrying, attempts left, not on a
    do-not-call list. Time does not change it; a lead's write or the campaign's settings do."""
    return (
        lead.state in _TO_DIAL
        and lead.attempts < campaign.max_attempts
        and not on_list(campaign.do_not_call, lead.phone)
    )


def held_until(lead: Lead, agent_reserved: bool) -> float:
    """When ``lead`` may be dialled, its calling window aside: its retry's ``next_at`` and, without an agent
    reserved, 72 hours after a call to the person was abandoned (-inf: nothing holds it)."""
    until = -math.inf if lead.next_at is None else lead.next_at
    if not agent_reserved and lead.abandoned_at is not None:
        until = max(until, lead.abandoned_at + ABANDONED_REDIAL_SECONDS)
    return until


def zone_open(campaign: CampaignConfig, zone: str | None, now: float) -> bool:
    """Whether leads of time zone ``zone`` (an IANA name; None: the campaign's) are within the campaign's days and
    hours at ``now``: every lead of one zone shares its window."""
    return within(datetime.fromtimestamp(now, campaign.timezone if zone is None else time_zone(zone)),
                  campaign.days, campaign.hours)


def pick_order(lead: Lead) -> tuple[bool, float, int]:
    """The order ``next_leads`` picks dialable leads in: retries (oldest ``next_at`` first), then new leads in import
    order (``position``, which the store numbers one lead at a time)."""
    return lead.next_at is None, lead.next_at or 0.0, lead.position


def next_leads(
    campaign: CampaignConfig, leads: Iterable[Lead], now: float, n: int, *, agent_reserved: bool = False
) -> list[Lead]:
    """Up to ``n`` leads to dial at ``now``: due retries first (oldest ``next_at`` first), then new leads in
    import order. ``agent_reserved``: each call will have an agent waiting for it (preview: the agent asked for the
    lead; not progressive, whose line's agent may yet take an inbound call or a person another line reached).

    Reads every lead given: a running campaign picks from its ``lead_queue.LeadQueue`` instead, which gives the
    same leads in the same order and reads only the front of that order."""
    if n <= 0:
        return []
    eligible = (lead for lead in leads if dialable(campaign, lead, now, agent_reserved))
    return heapq.nsmallest(n, eligible, key=pick_order)


def on_dial(lead: Lead, call: str) -> Lead:
    """The call ``call`` (its channel uuid) goes out to ``lead``."""
    _check(lead, _DIAL)
    return replace(lead, state=LeadState.DIALLING, attempts=lead.attempts + 1, next_at=None, call=call)


def on_outcome(campaign: CampaignConfig, lead: Lead, outcome: DialOutcome, now: float) -> Lead:
    """How the call to ``lead`` ended (see the module docstring)."""
    _check(lead, _OUTCOME)
    lead = replace(lead, last_outcome=outcome)
    if outcome is DialOutcome.PERSON_ANSWERED:
        if campaign.mode == "blast":
            return replace(lead, state=LeadState.DONE, call=None)
        return replace(lead, state=LeadState.ANSWERED)
    if outcome is DialOutcome.ABANDONED:
        return _again(campaign, replace(lead, abandoned_at=now), 0, now)
    delays = campaign.retry
    delay = {
        DialOutcome.MACHINE: delays.machine,
        DialOutcome.BUSY: delays.busy,
        DialOutcome.NO_ANSWER: delays.no_answer,
        DialOutcome.FAILED: delays.failed,
    }[outcome]
    return _again(campaign, lead, delay, now)


def on_disposition(campaign: CampaignConfig, lead: Lead, disposition: str, now: float) -> Lead:
    """The agent who talked to ``lead`` set ``disposition`` (one of the campaign's)."""
    _check(lead, _DISPOSITION)
    chosen = campaign.dispositions.get(disposition)
    if chosen is None:
        known = ", ".join(campaign.dispositions)
        raise UnknownChoiceError(f"campaign {campaign.name}: unknown disposition {disposition!r} (known: {known})")
    lead = replace(lead, disposition=disposition)
    if chosen.do_not_call:
        return replace(lead, state=LeadState.DNC, call=None)
    return _again(campaign, lead, chosen.retry_after_s, now)


def _again(campaign: CampaignConfig, lead: Lead, delay: int | None, now: float) -> Lead:
    """After a call: dialled again ``delay`` seconds from now while attempts are left, else done."""
    if delay is None or lead.attempts >= campaign.max_attempts:
        return replace(lead, state=LeadState.DONE, next_at=None, call=None)
    return replace(lead, state=LeadState.RETRY, next_at=now + delay, call=None)


def _check(lead: Lead, move: str) -> None:
    if (lead.state, move) not in _MOVES:
        raise InvalidTransition(f"lead {lead.phone} of campaign {lead.campaign}: no {move} while {lead.state.value}")


# -- campaign runs -------------------------------------------------------------------------------------------------


class RunCommand(enum.Enum):
    START = "start"
    PAUSE = "pause"
    RESUME = "resume"
    STOP = "stop"


_RUN_TRANSITIONS: Mapping[tuple[RunState, RunCommand], RunState] = MappingProxyType(
    {
        (RunState.LOADED, RunCommand.START): RunState.RUNNING,
        (RunState.LOADED, RunCommand.STOP): RunState.STOPPED,
        (RunState.RUNNING, RunCommand.PAUSE): RunState.PAUSED,
        (RunState.RUNNING, RunCommand.STOP): RunState.STOPPED,
        (RunState.PAUSED, RunCommand.RESUME): RunState.RUNNING,
        (RunState.PAUSED, RunCommand.STOP): RunState.STOPPED,
        (RunState.STOPPED, RunCommand.START): RunState.RUNNING,
    }
)


def new_run(campaign: str, now: float) -> CampaignRun:
    return CampaignRun(campaign, RunState.LOADED, now)


def apply_command(run: CampaignRun, command: RunCommand, now: float) -> CampaignRun:
    """``run`` after ``command``; ``InvalidTransition`` when the table has no such move."""
    state = _RUN_TRANSITIONS.get((run.state, command))
    if state is None:
        raise InvalidTransition(f"campaign {run.campaign}: cannot {command.value} while {run.state.value}")
    return replace(run, state=state, since=now)
