"""Outbound dialling's shared values: the limits regulators set, and the records the store keeps (a campaign's
run and its leads, frozen).

The rules that use and change them (pacing, dialling, outcomes, dispositions, run commands) are the dialler's
(``ccswitch.dialer``); these live apart so that the configuration and the store depend on no dialler module.
"""

from __future__ import annotations

import enum
from dataclasses import dataclass

MIN_RING_SECONDS = 15.0  # Ofcom: ring at least 15 s before giving up on an unanswered line
DEFAULT_RING_SECONDS = 30.0  # how long a campaign's line rings unless it says otherwise (VICIdial's is 26 s)
DEFAULT_ABANDON_LIMIT = 0.03
OFCOM_WINDOW_SECONDS = 24 * 3600.0

class LeadState(enum.Enum):
    PENDING = "pending"  # not dialled yet
    DIALLING = "dialling"  # a call is out (``Lead.call``)
    ANSWERED = "answered"  # a person is with an agent, whose disposition decides what follows
    RETRY = "retry"  # to be dialled again from ``next_at``
    DONE = "done"  # finished: ``disposition`` (an agent's) or ``last_outcome`` says how
    DNC = "dnc"  # on a do-not-call list, or asked not to be called again


class DialOutcome(enum.Enum):
    """How a call out ended, as the engine saw it."""

    PERSON_ANSWERED = "person_answered"  # and an agent took it (or, in a blast, the message played)
    MACHINE = "machine"
    BUSY = "busy"
    NO_ANSWER = "no_answer"
    FAILED = "failed"  # the gateway or the network refused the call
    ABANDONED = "abandoned"  # a person answered, no agent was free within 2 s: they heard the abandon message


@dataclass(frozen=True, slots=True)
class Lead:
    campaign: str
    phone: str  # normalised (``normalise_phone``): one lead per number in a campaign
    name: str = ""
    timezone: str | None = None  # IANA name; None: the campaign's
    extra: tuple[tuple[str, str], ...] = ()  # the CSV's other columns and their values, in order
    state: LeadState = LeadState.PENDING
    attempts: int = 0  # calls placed so far
    next_at: float | None = None  # RETRY: not dialled before this
    call: str | None = None  # the uuid of the call out (DIALLING, ANSWERED)
    last_outcome: DialOutcome | None = None
    abandoned_at: float | None = None  # when a call to this person was last abandoned
    disposition: str | None = None  # the agent's, once set
    position: int = 0  # import order; the store's to set, like version
    version: int = 0


class RunState(enum.Enum):
    LOADED = "loaded"
    RUNNING = "running"
    PAUSED = "paused"
    STOPPED = "stopped"


@dataclass(frozen=True, slots=True)
class CampaignRun:
    campaign: str
    state: RunState
    since: float
    version: int = 0  # the store's, as for agents and leads
