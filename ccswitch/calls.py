"""Calls as the engine keeps them: a session per caller's channel, its phases, what agents can do to it, and the
contact record it leaves in the history. Data and pure functions; the engine (``ccswitch.engine``) moves them.

What any contact has (``Contact``: who, which queue entry, which agent, when, how it ended, its ``Phase``) is apart
from what only a phone call has (``CallSession``: the node and legs, IVR, music, recording, transfers, callbacks,
previews), so that a contact of another channel can share the queues and agents without the voice fields.

A contact's ``Phase`` moves only along its class's table (``Contact.move_to``): ``PHASE_TRANSITIONS`` for a call,
``TEXT_PHASE_TRANSITIONS`` for a text contact (``TextContact``: chat, e-mail, SMS, messenger); any other move raises
``InvalidTransition``. ``ENDED`` is not final: a call its agent or the dialplan transferred away may park here again
and be routed anew (``ccswitch.engine.inbound``).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from enum import Enum
from typing import ClassVar

from ccswitch.acd.capacity import Channel
from ccswitch.acd.queues import QueueEntry
from ccswitch.config import Config
from ccswitch.errors import InvalidTransition
from ccswitch.history.model import ContactRecord, Outcome
from ccswitch.media import control as ctl
from ccswitch.media import recording as rec
from ccswitch.media.monitor import MonitorMode
from ccswitch.media.recording import RecordingSession
from ccswitch.routing import ivr
from ccswitch.routing.steps import Step


class Phase(Enum):
    IVR = "ivr"
    ANNOUNCING = "announcing"
    QUEUED = "queued"
    OFFERING = "offering"
    CONNECTED = "connected"
    REQUEUING = "requeuing"  # transferred to a queue by its agent: queued again once FreeSWITCH has parked it
    CALLBACK = "callback"  # the caller asked to be called back: their place waits for an agent without them
    PREVIEW = "preview"  # an agent is shown a campaign's lead: reserved for it until they dial it or skip it
    ENDED = "ended"


_P = Phase
_ROUTED = frozenset({_P.IVR, _P.QUEUED, _P.CALLBACK, _P.ANNOUNCING, _P.ENDED})  # where a routing step leads
# Every move a contact's phase may make (staying in a phase is no move); anything else is the engine's bug.
PHASE_TRANSITIONS: dict[Phase, frozenset[Phase]] = {
    # New arrivals start in IVR until their first step; a call taken back after a restart goes straight to where
    # the store or the agents' phones say it was.
    _P.IVR: _ROUTED | {_P.OFFERING, _P.CONNECTED},
    _P.ANNOUNCING: frozenset({_P.ENDED}),  # the prompt (or the message) ends, then the call
    _P.QUEUED: frozenset({_P.OFFERING, _P.CALLBACK, _P.ENDED}),  # offered; a callback at its place; abandoned or
    # overflowed
    _P.OFFERING: frozenset({_P.CONNECTED, _P.QUEUED, _P.CALLBACK, _P.ENDED}),  # answered; back to its place (a
    # failed or lost offer, a callback's customer not reached); abandoned, overflowed, a preview not reached
    _P.CONNECTED: frozenset({_P.ENDED}),
    _P.REQUEUING: _ROUTED,  # parked after the transfer: joins the queue (or its full / nobody-logged-in step)
    _P.CALLBACK: frozenset({_P.OFFERING}),  # an agent takes the callback
    _P.PREVIEW: frozenset({_P.OFFERING, _P.ENDED}),  # dialled, or skipped
    _P.ENDED: _ROUTED | {_P.REQUEUING},  # overflowed to a step; routed again after a transfer; transferred to a
    # queue by its agent
}


@dataclass(frozen=True, slots=True)
class DialOutPlan:
    """How an agent's phone dials the customer: ``number`` through ``gateway``, showing ``caller_id_number``, ringing
    at most ``ring_timeout_s``."""

    number: str
    gateway: str
    caller_id_number: str
    ring_timeout_s: int


LOAD_FIELDS = frozenset({"node", "caller_gone", "preview", "connected_at", "answered", "ringing", "agent_leg",
                         "phase"})  # what ``ccswitch.occupancy.call_load`` reads


@dataclass(kw_only=True)
class Contact:
    """What any contact has, whatever its channel: who, the queue entry it waits on, the agent who took it, its
    times and outcome, and where it is in its life (``phase``, moved by ``move_to``)."""

    CHANNEL: ClassVar[Channel]  # the history's ``channel`` of the contacts of this class
    TRANSITIONS: ClassVar[dict[Phase, frozenset[Phase]]] = PHASE_TRANSITIONS

    uuid: str
    caller_number: str
    caller_name: str
    destination: str
    arrived_at: float
    phase: Phase = Phase.IVR
    entry: QueueEntry | None = None
    ringing: dict[str, str] = field(default_factory=dict)  # agent id -> leg uuid ("" if unknown) while offering
    offer_deadline: float = 0.0  # by then the offer must have bridged or failed, or it is taken back
    agent: str | None = None  # the agent who answered
    connected_at: float | None = None
    outcome: Outcome | None = None  # set by the step that ended the routing: announce, transfer, hangup, overflow
    transferred_to: str | None = None
    queued_at: float = 0.0  # joined its (last) queue; the wait is counted from here, even for a caller who
    # rejoined at an earlier place
    left_queue_at: float | None = None  # abandoned or overflowed
    talk_ended_at: float | None = None
    wrap_up_s: float = 0.0
    contact_uuid: str = ""  # the contact's uuid in the history, if not the session's: a callback's first channel
    campaign: str | None = None  # an outbound contact of this campaign, answered by a person

    def move_to(self, phase: Phase) -> None:
        """Enter ``phase``; InvalidTransition (nothing changed) if the class's table has no such move."""
        if phase is not self.phase and phase not in self.TRANSITIONS[self.phase]:
            raise InvalidTransition(f"{self.CHANNEL.value} contact {self.uuid}: no move from phase "
                                    f"{self.phase.value} to {phase.value}")
        self.phase = phase


@dataclass(kw_only=True)
class CallSession(Contact):
    """What the engine knows about one caller's channel: a contact, and what only a phone call has."""

    CHANNEL: ClassVar[Channel] = Channel.VOICE

    node: str
    answered: bool = False
    ivr: ivr.IvrState | None = None
    pending_tag: str | None = None
    hangup_cause: str = "NORMAL_CLEARING"
    music_on: bool = False  # waiting music started (running or still queued on the channel)
    agent_leg: str | None = None
    tags_used: int = 0  # announcement tags
    ivr_seq: int = 0  # last IVR tag number, so tags stay unique if the call re-enters an IVR
    ivr_path: list[str] = field(default_factory=list)  # "menu:digits", as pressed
    overflows: int = 0  # queues that were full for this call
    routings: int = 0  # times the dialplan routed it: once, and again each time a transfer parks it here again
    recording: RecordingSession | None = None
    controls: ctl.AgentLegControls | None = None  # hold / mute on the connected agent's leg
    requeue_to: str | None = None  # the queue a blind transfer sends the call to (phase REQUEUING)
    next_announcement: float | None = None  # when the waiting caller hears the next periodic announcement
    caller_gone: bool = False  # a callback: the caller's channel has ended; the agent's and the callee's follow
    callee_leg: str | None = None  # a callback, a preview: the leg the agent's phone dials the customer on (the
    # session's uuid, the B-leg of the agent's bridge while it lasts)
    preview: DialOutPlan | None = None  # a campaign's lead an agent dials from their phone (the session's uuid is
    # the leg it is dialled on)
    message_path: str | None = None  # where the caller's message goes (voicemail step) ...
    message_recorded: bool = False  # ... once ``record`` has run: a caller gone during the prompt left none
    connect_by: tuple[float, Step] | None = None  # an outbound call: connected to an agent by then, or this step
    consult: ctl.AttendedTransfer | None = None  # the agent's attended transfer or three-way call in progress
    consult_target: str | None = None  # where the agent consults (the extension dialled)
    rejoin_agent: ctl.AttendedTransfer | None = None  # bridge the caller with the agent again once their leg parks
    recording_policy: rec.RecordingPolicy | None = None  # the dialplan rule's, over the queue's
    answer_by: float | None = None  # left ringing in a queue (``unanswered_wait_s``): answered then, if not before
    on_load_change: Callable[[CallSession], None] | None = field(default=None, init=False, repr=False, compare=False)
    # told whenever a field of ``LOAD_FIELDS`` is assigned: the engine's count of channels per node
    # (``ccswitch.occupancy.NodeLoads``); ``ringing`` is therefore only ever replaced, never changed in place

    def __setattr__(self, name: str, value: object) -> None:
        object.__setattr__(self, name, value)
        if name in LOAD_FIELDS and self.on_load_change is not None:
            self.on_load_change(self)

    @property
    def channel_expected(self) -> bool:
        """Whether the switch should have the customer's channel now: not once a callback's caller has gone, nor
        before a preview's customer has answered."""
        return not self.caller_gone and (self.preview is None or self.connected_at is not None)

    def next_tag(self, prefix: str) -> str:
        self.tags_used += 1
        return f"{prefix}-{self.tags_used}"


@dataclass(frozen=True, slots=True)
class MonitorLogEntry:
    """A monitoring session started, changed mode or ended (``detail``: why it ended)."""

    at: float
    action: str  # start | mode | end
    session: str  # the supervisor's leg uuid
    supervisor: str
    agent: str | None
    call: str
    mode: MonitorMode
    detail: str = ""


class CallAction(Enum):
    HOLD = "hold"
    UNHOLD = "unhold"
    MUTE = "mute"
    UNMUTE = "unmute"
    TRANSFER = "transfer"
    CONSULT = "consult"  # attended transfer: the agent calls the target while the caller waits with music
    COMPLETE = "complete"  # ... the caller and the target are connected, the agent leaves
    CANCEL = "cancel"  # ... the target is dropped, the caller and the agent talk again
    CONFERENCE = "conference"  # ... all three talk (three-way)
    HANGUP = "hangup"


@dataclass(frozen=True, slots=True)
class CallControl:
    """A connected call after an agent's control action (``transferred_to``: an extension or ``queue:<name>``)."""

    call: str
    agent: str
    agent_leg: str
    held: bool
    muted: bool
    transferred_to: str | None
    consulting: str | None = None  # an attended transfer in progress: consulting | three_way


@dataclass(frozen=True, slots=True)
class ReloadSummary:
    """What a reload added and removed."""

    queues_added: tuple[str, ...]
    queues_removed: tuple[str, ...]
    agents_added: tuple[str, ...]
    agents_removed: tuple[str, ...]

    @classmethod
    def between(cls, old: Config, new: Config) -> ReloadSummary:
        return cls(tuple(sorted(set(new.queues) - set(old.queues))), tuple(sorted(set(old.queues) - set(new.queues))),
                   tuple(sorted(set(new.agents) - set(old.agents))), tuple(sorted(set(old.agents) - set(new.agents))))

    def __str__(self) -> str:
        changes = [f"{what} {', '.join(names)}" for what, names in (
            ("queues added:", self.queues_added), ("queues removed:", self.queues_removed),
            ("agents added:", self.agents_added), ("agents removed:", self.agents_removed)) if names]
        return "; ".join(changes) or "no queues or agents added or removed"


def outcome_of(session: Contact) -> Outcome:
    """How the contact ended, decided when the caller hangs up (before the queue bookkeeping changes phase)."""
    if session.outcome == "transferred":  # by the dialplan, or by the agent after answering
        return session.outcome
    if session.connected_at is not None:
        return "answered"
    if session.phase in (Phase.QUEUED, Phase.OFFERING):
        return "abandoned"
    if session.outcome is not None:
        return session.outcome
    return "abandoned_in_ivr" if session.phase is Phase.IVR else "hung_up"

def contact_record(session: CallSession, outcome: Outcome, cause: str, now: float) -> ContactRecord:
    """The contact's one history record, written when it ends."""
    entry = session.entry
    wait_end = session.connected_at if session.connected_at is not None else session.left_queue_at
    talk_s = 0.0
    if session.connected_at is not None:
        talk_s = (session.talk_ended_at or now) - session.connected_at
    return ContactRecord(
        call_uuid=session.contact_uuid or session.uuid,
        channel=session.CHANNEL,
        direction="outbound" if session.campaign else "inbound",
        started_at=session.arrived_at,
        ended_at=now,
        caller_number=session.caller_number,
        caller_name=session.caller_name,
        destination=session.destination,
        outcome=outcome,
        hangup_cause=cause,
        ivr_path=tuple(session.ivr_path),
        queue=entry.queue if entry else None,
        enqueued_at=session.queued_at if entry else None,
        answered_at=session.connected_at,
        agent=session.agent if session.connected_at is not None else None,
        wait_s=wait_end - session.queued_at if entry and wait_end is not None else None,
        talk_s=talk_s,
        wrap_up_s=session.wrap_up_s,
        transferred_to=session.transferred_to,
        recording_path=session.recording.path if session.recording else (
            session.message_path if session.message_recorded else None),
        recording_started_at=session.recording.started_at if session.recording else None,
        recording_s=session.recording.duration_s if session.recording else None,
        callback=bool(entry and entry.callback),
        campaign=session.campaign,
    )
