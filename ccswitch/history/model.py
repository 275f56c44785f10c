"""What the contact history keeps: one record per contact, one per agent-state interval; and the phone-number key.

A ``ContactRecord`` is written once, when the contact ends. Times are epoch seconds (floats, as the engine's ``now``).
A campaign's call out has one record too: the engine's if a person was handed to it, else the dialler's (no answer,
busy, machine, failed; a blast person who only heard the prompt is ``announced``).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Literal

from ccswitch.acd.capacity import Channel

Direction = Literal["inbound", "outbound"]
Outcome = Literal[
    "answered",  # bridged to an agent
    "abandoned",  # the caller hung up while queued (also while an agent's phone rang)
    "overflowed",  # the queue gave the call to its overflow step
    "announced",  # ended by an announcement (e.g. closed), never queued
    "transferred",  # handed to another extension by a dialplan/IVR step
    "hung_up",  # ended by a hangup step
    "abandoned_in_ivr",  # the caller hung up in a menu
    "voicemail",  # the caller left a message (recording_path)
    # A campaign's call out that never reached a person (written by the dialler; it never reaches the engine):
    "no_answer",  # rang out unanswered, or hung up while we listened for a machine
    "busy",  # the callee was busy or rejected the call
    "machine",  # an answering machine answered: it got the campaign's message, or was hung up on
    "failed",  # the gateway or the network could not place the call (or the controller lost it)
]
# Queue outcomes: a contact with one of these entered a queue and counts as offered there.
QUEUE_OUTCOMES: frozenset[Outcome] = frozenset({"answered", "abandoned", "overflowed"})
# A campaign's call with one of these reached no person; with any other outcome a person answered it.
NO_PERSON_OUTCOMES: frozenset[Outcome] = frozenset({"no_answer", "busy", "machine", "failed"})


@dataclass(frozen=True, slots=True)
class ContactRecord:
    call_uuid: str
    channel: Channel
    direction: Direction
    started_at: float
    ended_at: float
    caller_number: str
    caller_name: str
    destination: str  # the DID dialled (inbound) or the number called (outbound)
    outcome: Outcome
    hangup_cause: str
    ivr_path: tuple[str, ...] = ()  # "menu:digits" in the order pressed, e.g. ("main:2", "support:1")
    queue: str | None = None  # None if never queued
    enqueued_at: float | None = None
    answered_at: float | None = None  # bridged to the agent
    agent: str | None = None
    wait_s: float | None = None  # enqueued → answered, or enqueued → left the queue (abandoned, overflowed)
    talk_s: float = 0.0
    wrap_up_s: float = 0.0  # the wrap-up the agent was given when the call ended
    recording_path: str | None = None
    disposition: str | None = None
    transferred_to: str | None = None
    callback: bool = False
    campaign: str | None = None  # a dialler campaign's call (outbound); the campaign report groups by it
    recording_started_at: float | None = None  # with recording_path: when the recording began (the bridge)
    recording_s: float | None = None  # its length: to the caller's hang-up, masked stretches included
    first_response_s: float | None = None  # a text contact's: accepted → the agent's first message (None: never)

    def __post_init__(self) -> None:
        object.__setattr__(self, "channel", Channel(self.channel))  # the database and JSON bring the name

    @property
    def caller_key(self) -> str:
        return phone_key(self.caller_number)


@dataclass(frozen=True, slots=True)
class AgentStateRecord:
    """An agent spent [started_at, ended_at) in ``state`` (an ``AgentState`` value; ``reason`` for breaks)."""

    agent: str
    state: str
    started_at: float
    ended_at: float
    reason: str | None = None


@dataclass(frozen=True, slots=True)
class OpenAgentState:
    """An agent has been in ``state`` since ``started_at`` and still is: the interval an ``AgentStateRecord`` will
    close. One per agent, replaced at every change, so a report can count the state the agent is in now (an agent
    on break all day has no closed interval that day)."""

    agent: str
    state: str
    started_at: float
    reason: str | None = None


@dataclass(frozen=True, slots=True)
class MonitoringRecord:
    """A supervisor listened to, whispered to or barged into a call: ``modes`` is every mode in order, each with
    the time it began (``listen@1700000000.0,whisper@1700000042.5``); ``reason`` is why it ended."""

    session: str  # the supervisor's leg uuid
    supervisor: str
    agent: str | None
    call_uuid: str
    started_at: float
    ended_at: float
    modes: str
    reason: str

    @property
    def mode_changes(self) -> list[tuple[str, float]]:
        """``modes`` read back: each mode with the time it began, in order."""
        return [(mode, float(at)) for mode, at in (part.split("@") for part in self.modes.split(","))]


@dataclass(frozen=True, slots=True)
class DispositionRecord:
    """An agent's disposition of a campaign call, set after the call (so after its contact record): kept apart and
    read back into ``ContactRecord.disposition``."""

    call_uuid: str
    disposition: str
    at: float


@dataclass(frozen=True, slots=True)
class AuditRecord:
    """A privileged action through the API: who (the user and their role), what (method and path, and the HTTP
    status it got: refusals are kept too), when, and from where (the client's address)."""

    id: str  # unique per request: a re-sent batch is not written twice
    at: float
    actor: str
    role: str
    address: str
    action: str  # "POST /api/reload"
    status: int


HistoryRecord = ContactRecord | AgentStateRecord | OpenAgentState | MonitoringRecord | DispositionRecord | AuditRecord

_NOT_DIGITS = re.compile(r"\D")
_WRITTEN_NUMBER = re.compile(r"\+?[0-9 ().-]*[0-9][0-9 ().-]*")


def is_phone_number(text: str) -> bool:
    """Digits, with an optional leading ``+`` and spaces, dashes, dots or brackets between them (what
    ``phone_key`` reads); ``abc`` is not a number, rather than a number nobody called from."""
    return _WRITTEN_NUMBER.fullmatch(text.strip()) is not None


def phone_key(number: str) -> str:
    """The form numbers are stored and looked up by, so one customer matches however the network wrote them.

    Rule: keep the digits only (``+``, spaces, dashes, brackets go); drop an international ``00`` prefix; a
    national Russian number written with the trunk prefix 8 and 11 digits without ``+`` (``8 916 123-45-67``)
    becomes ``7…``. So ``+79161234567``, ``79161234567``, ``89161234567`` and ``+7 (916) 123-45-67`` share
    ``79161234567``; ``+81312345678`` (Japan, written with ``+``) stays as it is.
    """
    written = number.strip()
    digits = _NOT_DIGITS.sub("", written)
    if written.startswith("+"):
        return digits
    if digits.startswith("00"):
        return digits[2:]
    if len(digits) == 11 and digits.startswith("8"):
        return "7" + digits[1:]
    return digits
