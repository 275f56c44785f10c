"""A campaign's line: one outbound call, from the originate to the moment the dialler is done with it. Pure.

A line moves along one table (``_LINE_MOVES``); anything else raises ``InvalidTransition``::

    RINGING --answered (CHANNEL_PARK)--> DETECTING --person--> WAITING --connected (CHANNEL_BRIDGE)--> CONNECTED
       |                                    |  \\--machine message / blast prompt--> MESSAGE --played--> (over)
       \\--ended (-ERR, hang-up, timeout)    \\--ended (machine hung up on, gone)    WAITING --abandoned--> (over)
    RINGING --connected (a preview: bridged from the agent's phone)--> CONNECTED
    RINGING --cancelled (rang the minimum, no agent expected)--> CANCELLING --ended (its hang-up)--> (over)

*Answered*: the callee picked up and the leg parked; mod_amd's ``amd`` runs on it (``DetectMachine``).
``ignore_early_media=true`` matters: without it originate succeeds on early media (a 183 from the network,
switch_ivr_originate.c ``early_ok``) and the line would park while it still rings. *Person* (HUMAN, and NOTSURE:
a person hung up on by mistake would be an abandoned call): the ACD queues them ahead of everyone and must
connect an agent within ``CONNECT_WITHIN_S``, otherwise it plays the campaign's abandon message. *Machine*: the
campaign's message is played, then the line is hung up, or it is hung up at once; it never reaches an agent.
"""

from __future__ import annotations

import enum
from collections.abc import Mapping
from dataclasses import dataclass, replace
from types import MappingProxyType

from ccswitch.dialer.leads import DialOutcome
from ccswitch.errors import InvalidTransition
from ccswitch.history.model import Outcome

# How a line that was never answered ended: the originate's -ERR cause or the leg's hang-up cause.
_BUSY_CAUSES = frozenset({"USER_BUSY", "CALL_REJECTED"})
_NO_ANSWER_CAUSES = frozenset(
    {"NO_ANSWER", "NO_USER_RESPONSE", "ALLOTTED_TIMEOUT", "RECOVERY_ON_TIMER_EXPIRE", "ORIGINATOR_CANCEL"}
)


def outcome_of_cause(cause: str) -> DialOutcome:
    """What a failed originate means for its lead: busy, no answer, or failed (the network refused)."""
    cause = cause.strip().upper()
    if cause in _BUSY_CAUSES:
        return DialOutcome.BUSY
    if cause in _NO_ANSWER_CAUSES:
        return DialOutcome.NO_ANSWER
    return DialOutcome.FAILED


_UNANSWERED_OUTCOMES: Mapping[DialOutcome, Outcome] = MappingProxyType(
    {DialOutcome.BUSY: "busy", DialOutcome.NO_ANSWER: "no_answer", DialOutcome.FAILED: "failed"}
)


class LineState(enum.Enum):
    RINGING = "ringing"  # originated, not answered yet
    DETECTING = "detecting"  # answered and parked: machine or person?
    WAITING = "waiting"  # a person, handed to the ACD: an agent within CONNECT_WITHIN_S, or the abandon message
    CONNECTED = "connected"  # talking to an agent
    MESSAGE = "message"  # a machine hears the campaign's message, or a person the blast prompt
    CANCELLING = "cancelling"  # rang the minimum, hung up by the pacer (no agent for it): waiting for its end


class LineEvent(enum.Enum):
    ANSWERED = "answered"
    TO_AGENT = "to_agent"
    TO_MESSAGE = "to_message"
    HANDED_OVER = "handed_over"  # a blast person goes to an IVR menu: the ACD's from here
    CONNECTED = "connected"
    ABANDONED = "abandoned"
    PLAYED = "played"
    CANCELLED = "cancelled"  # the pacer hangs up a line that rang the minimum before anyone answered
    ENDED = "ended"  # failed, hung up, gone, or hung up on


_OVER = None  # the line is finished: the dialler forgets it
_LINE_MOVES: Mapping[tuple[LineState, LineEvent], LineState | None] = MappingProxyType(
    {
        (LineState.RINGING, LineEvent.ANSWERED): LineState.DETECTING,
        (LineState.RINGING, LineEvent.ENDED): _OVER,
        (LineState.RINGING, LineEvent.CONNECTED): LineState.CONNECTED,  # a preview: the agent's phone dialled it
        (LineState.RINGING, LineEvent.CANCELLED): LineState.CANCELLING,
        (LineState.CANCELLING, LineEvent.ENDED): _OVER,
        (LineState.DETECTING, LineEvent.TO_AGENT): LineState.WAITING,
        (LineState.DETECTING, LineEvent.TO_MESSAGE): LineState.MESSAGE,
        (LineState.DETECTING, LineEvent.HANDED_OVER): _OVER,
        (LineState.DETECTING, LineEvent.ENDED): _OVER,
        (LineState.WAITING, LineEvent.CONNECTED): LineState.CONNECTED,
        (LineState.WAITING, LineEvent.ABANDONED): _OVER,
        (LineState.CONNECTED, LineEvent.ENDED): _OVER,
        (LineState.MESSAGE, LineEvent.PLAYED): _OVER,
        (LineState.MESSAGE, LineEvent.ENDED): _OVER,
    }
)

# Lines whose outcome for the pacer is still open: they may yet need an agent.
IN_FLIGHT = frozenset({LineState.RINGING, LineState.DETECTING, LineState.WAITING, LineState.MESSAGE})


@dataclass(frozen=True, slots=True)
class Line:
    """One outbound call of a campaign; ``uuid`` is its channel (and the originate's Job-UUID)."""

    uuid: str
    node: str
    campaign: str
    phone: str
    state: LineState
    dialled_at: float
    answered_at: float | None = None
    handed_at: float | None = None  # to the ACD, as a person
    connected_at: float | None = None
    tag: str | None = None  # the Event-UUID of the application whose end we wait for (amd, a message)
    person: bool | None = None  # what detection said (NOTSURE counts as a person)


def move(line: Line, event: LineEvent, **changes: object) -> Line | None:
    """``line`` after ``event`` (None: it is over); ``InvalidTransition`` when the table has no such move."""
    if (line.state, event) not in _LINE_MOVES:
        raise InvalidTransition(f"line {line.uuid} of campaign {line.campaign}: no {event.value} while "
                                f"{line.state.value}")
    state = _LINE_MOVES[(line.state, event)]
    return None if state is None else replace(line, state=state, **changes)  # type: ignore[arg-type]


def history_outcome(line: Line, cause: str) -> Outcome:
    """The history outcome of a line that ends in the dialler, never handed to the ACD: from the cause while it
    rang; no answer if hung up before detection said anything; then machine, or a blast person's prompt."""
    if line.state is LineState.RINGING:
        return _UNANSWERED_OUTCOMES[outcome_of_cause(cause)]
    if line.state is LineState.CANCELLING:
        return "no_answer" if line.answered_at is None else "abandoned"
    if line.person is None:
        return "no_answer"
    return "announced" if line.person else "machine"

