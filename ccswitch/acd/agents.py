"""Agent state machine: pure, no I/O, no clock reads (``now`` is an argument).

Theory of operation
-------------------
An agent logs in (to all their queues, or to some of them: ``queues``) and becomes AVAILABLE. They may go ON_BREAK
with a reason and come back (``Ready``). The queue engine offers a call to an AVAILABLE agent: they become RESERVED
(their phone rings) and ``call`` names the caller's channel uuid. Then one of three things happens:

* they answer → ON_CALL; the consecutive-miss counter resets;
* they do not answer, are busy or reject → back to AVAILABLE at the end of the longest-idle line (so the next
  call tries someone else first) but not offered calls before ``not_before`` (the reject / busy / no-answer
  delay), or ON_BREAK with reason ``"no-answer"`` after ``max_no_answer`` unanswered offers in a row (busy and
  reject do not count, as in mod_callcenter);
* the caller hangs up while the phone rings → AVAILABLE, keeping their place in line (not the agent's fault);
* the call never reached the phone, or the phone could not take it (no codec in common, not registered, a gateway
  down: ``offer_failures``) → AVAILABLE, keeping their place and their miss count, but not offered calls for a
  back-off that grows with each such fault in a row (``unreachable_in_row``), so a fault that persists does not
  re-offer the same call to the same phone in a tight loop; answering a call clears it.

When the call ends the agent is in WRAP_UP until ``wrap_until`` (``due()`` then yields ``WrapUpElapsed``), or
AVAILABLE at once if wrap-up is 0 s. During wrap-up they may cut it short (``Ready``), go on break or log out.
An agent who logged in or came back "on demand" takes one call and then goes ON_BREAK with reason
``"on-demand"`` (mod_callcenter's "Available (On Demand)"). Logging out is refused while RESERVED or ON_CALL:
the engine reports the refusal to the agent.

Text contacts (chat, e-mail, SMS, messengers) are held beside that, in ``texts``, whatever the state: an offer
(``OfferText``) is refused unless the agent's capacity (``ccswitch.acd.capacity``) lets them take it beside
everything they hold, so a compare-and-set of the record in the store is also the atomic reservation of capacity
(two controllers sharing one store can never both fill the last place). They accept it (``AcceptText``), or it is
dropped (``DropText``): closed, declined, not accepted in time (a no-answer miss, as a call's), taken back from an
agent who went away, or ended by the customer. Text events never move the voice state; a no-answer streak of
texts sends an AVAILABLE agent on break as calls do.

``direct_calls`` counts calls the agent has outside the queues (the engine sees them on the switch); routing
skips such an agent whatever their state, which the direct-call events never change.

Every allowed transition is one row of ``_TRANSITIONS`` ((state, event type) → handler); anything else raises
``InvalidTransition``. Events that name a call must name the agent's current call. ``version`` belongs to the
store (optimistic concurrency): ``apply`` never changes it.
"""

from __future__ import annotations

import enum
import re
from collections.abc import Callable, Collection, Iterable, Mapping
from dataclasses import dataclass, replace
from typing import Any

from ccswitch.acd.capacity import VOICE_ONLY, AgentCapacity, Channel, Held, Phase, can_take, offerable
from ccswitch.errors import InvalidTransition, UnknownChoiceError

NO_ANSWER_BREAK = "no-answer"
ON_DEMAND_BREAK = "on-demand"


class MissReason(enum.Enum):
    """Why an offer failed; only NO_ANSWER counts towards ``max_no_answer`` (mod_callcenter.c
    ``outbound_agent_thread_run``: USER_BUSY / CALL_REJECTED set a delay but leave ``no_answer_count``)."""

    NO_ANSWER = "no-answer"
    BUSY = "busy"
    REJECTED = "rejected"


class AgentState(enum.Enum):
    LOGGED_OUT = "logged_out"
    AVAILABLE = "available"
    ON_BREAK = "on_break"
    RESERVED = "reserved"
    ON_CALL = "on_call"
    WRAP_UP = "wrap_up"


# Logged in and not on a break: the capacity model decides the rest. The voice states are the queue call's phases.
_TAKES_OFFERS = frozenset({AgentState.AVAILABLE, AgentState.RESERVED, AgentState.ON_CALL, AgentState.WRAP_UP})
_QUEUE_CALL: dict[AgentState, tuple[Held, ...]] = {
    AgentState.RESERVED: (Held(Channel.VOICE, Phase.OFFERED),),
    AgentState.ON_CALL: (Held(Channel.VOICE, Phase.ACTIVE),),
    AgentState.WRAP_UP: (Held(Channel.VOICE, Phase.WRAP_UP),),
}
_DIRECT_CALL = (Held(Channel.VOICE, Phase.ACTIVE),)


@dataclass(frozen=True, slots=True)
class HeldText:
    """A text contact an agent holds: offered to them, or accepted (active)."""

    contact: str
    channel: Channel
    phase: Phase
    since: float

    def __post_init__(self) -> None:  # a JSON round trip brings names
        object.__setattr__(self, "channel", Channel(self.channel))
        object.__setattr__(self, "phase", Phase(self.phase))

    def held(self) -> Held:
        return Held(self.channel, self.phase)


@dataclass(frozen=True, slots=True)
class Agent:
    id: str
    state: AgentState
    since: float
    break_reason: str | None = None
    call: str | None = None
    missed_in_row: int = 0
    wrap_until: float | None = None
    idle_since: float = 0.0
    calls_handled: int = 0
    talk_time_s: float = 0.0
    not_before: float = 0.0  # no offers before this (reject / busy / no-answer delay, or a fault's back-off)
    unreachable_in_row: int = 0  # offers in a row that failed for a fault not theirs (network, configuration)
    on_demand: bool = False
    direct_calls: int = 0
    queues: tuple[str, ...] | None = None  # logged in to these of their queues only (None: all of them)
    texts: tuple[HeldText, ...] = ()  # text contacts offered to them or accepted, oldest first
    version: int = 0

    def __post_init__(self) -> None:
        if self.queues is not None:  # a JSON list from the store
            object.__setattr__(self, "queues", tuple(self.queues))
        if not isinstance(self.texts, tuple):  # a JSON list of objects from the store
            object.__setattr__(self, "texts", tuple(HeldText(**text) for text in self.texts))

    def serves(self, queue: str) -> bool:
        """Logged in to ``queue`` (one of their configured queues), whatever their state."""
        return self.state is not AgentState.LOGGED_OUT and (self.queues is None or queue in self.queues)

    def held(self) -> tuple[Held, ...]:
        """The contacts in progress, as the capacity model sees them: the queue call in its phase, and each
        direct call (a call on the agent's phone is a voice contact, whoever placed it), and each text."""
        queue_call = _QUEUE_CALL.get(self.state, ())
        held = queue_call + _DIRECT_CALL * self.direct_calls if self.direct_calls else queue_call
        return held + tuple(text.held() for text in self.texts) if self.texts else held

    def text(self, contact: str) -> HeldText | None:
        return next((text for text in self.texts if text.contact == contact), None)

    def offerable(self, capacity: AgentCapacity, now: float) -> frozenset[Channel]:
        """The channels routing may offer this agent at ``now``: none while logged out, on a break or delayed
        after a miss; otherwise what their capacity leaves beside the contacts they hold."""
        return offerable(capacity, self.held()) if self._open_to_offers(now) else frozenset()

    def can_take(self, channel: Channel, capacity: AgentCapacity, now: float) -> bool:
        """Routing may offer this agent a contact of ``channel`` at ``now`` (as ``offerable``, for one channel)."""
        return self._open_to_offers(now) and can_take(capacity, self.held(), channel)

    def _open_to_offers(self, now: float) -> bool:
        return self.state in _TAKES_OFFERS and self.not_before <= now


@dataclass(frozen=True, slots=True)
class Login:
    """``queues``: serve only these of the agent's queues until they log out (None: all of them)."""

    on_demand: bool = False
    queues: tuple[str, ...] | None = None


@dataclass(frozen=True, slots=True)
class Logout:
    pass


@dataclass(frozen=True, slots=True)
class TakeBreak:
    reason: str


@dataclass(frozen=True, slots=True)
class Ready:
    """Back from a break, or wrap-up finished early; ``on_demand``: for one call only."""

    on_demand: bool = False


@dataclass(frozen=True, slots=True)
class Offer:
    """Ring the agent for ``call``; refused if ``capacity`` leaves no room for a call beside the texts they hold."""

    call: str
    capacity: AgentCapacity = VOICE_ONLY


@dataclass(frozen=True, slots=True)
class Answered:
    call: str


@dataclass(frozen=True, slots=True)
class Missed:
    """No answer, busy or rejected; no offers for ``delay_s`` after. ``max_no_answer`` 0 never sends the agent
    on break, as in mod_callcenter (mod_callcenter.c ``outbound_agent_thread_run``: ``max_no_answer > 0 &&
    count + 1 >= max_no_answer``)."""

    call: str
    max_no_answer: int
    reason: MissReason = MissReason.NO_ANSWER
    delay_s: float = 0.0


@dataclass(frozen=True, slots=True)
class NotReached:
    """The offer failed for a fault that is not the agent's (the network's or the configuration's): no miss; no
    offers for ``delay_s`` (the engine's back-off for the ``unreachable_in_row`` this makes)."""

    call: str
    delay_s: float


@dataclass(frozen=True, slots=True)
class CallEnded:
    """The call is over: after talking (→ wrap-up), or the caller hung up while the agent's phone rang."""

    call: str
    wrap_up_s: float


@dataclass(frozen=True, slots=True)
class WrapUpElapsed:
    pass


@dataclass(frozen=True, slots=True)
class DirectCallStarted:
    """The agent's phone is on a call that is not a queue call."""


@dataclass(frozen=True, slots=True)
class DirectCallEnded:
    pass


@dataclass(frozen=True, slots=True)
class OfferText:
    """Offer the text ``contact`` of ``channel``; refused unless ``capacity`` lets the agent take it now."""

    contact: str
    channel: Channel
    capacity: AgentCapacity


@dataclass(frozen=True, slots=True)
class AcceptText:
    contact: str


class TextDrop(enum.Enum):
    """Why an agent no longer holds a text contact."""

    CLOSED = "closed"  # the agent closed or transferred it
    DECLINED = "declined"  # the agent turned the offer down: no miss, but no offers for ``delay_s``
    NO_ANSWER = "no-answer"  # the offer was not accepted in time: a miss, as an unanswered call
    TAKEN_BACK = "taken-back"  # the agent went away or stopped answering: back to its place in the queue
    CUSTOMER_LEFT = "customer-left"


@dataclass(frozen=True, slots=True)
class DropText:
    contact: str
    why: TextDrop
    delay_s: float = 0.0
    max_no_answer: int = 0  # with NO_ANSWER: misses in a row that send an available agent on break (0: never)


AgentEvent = (
    Login
    | Logout
    | TakeBreak
    | Ready
    | Offer
    | Answered
    | Missed
    | NotReached
    | CallEnded
    | WrapUpElapsed
    | DirectCallStarted
    | DirectCallEnded
    | OfferText
    | AcceptText
    | DropText
)

# Events that refer to the call the agent already has (Offer brings a new one).
_ABOUT_CURRENT_CALL = (Answered, Missed, NotReached, CallEnded)


def new_agent(agent_id: str, now: float) -> Agent:
    return Agent(id=agent_id, state=AgentState.LOGGED_OUT, since=now, idle_since=now)


def _move(agent: Agent, state: AgentState, now: float, **changes: Any) -> Agent:
    return replace(agent, state=state, since=now, **changes)


def _become_available(agent: Agent, _event: AgentEvent, now: float) -> Agent:
    return _move(
        agent, AgentState.AVAILABLE, now, break_reason=None, call=None, wrap_until=None, idle_since=now
    )


def _fresh_start(agent: Agent, event: Login | Ready, now: float) -> Agent:
    # Logging in or back from a break: an old no-answer streak must not send them straight back to break.
    agent = replace(_become_available(agent, event, now), missed_in_row=0, on_demand=event.on_demand)
    return replace(agent, queues=event.queues) if isinstance(event, Login) else agent


def _wrap_up_cut_short(agent: Agent, event: Ready, now: float) -> Agent:
    return replace(_become_available(agent, event, now), on_demand=event.on_demand)


def _logout(agent: Agent, _event: Logout, now: float) -> Agent:
    return _move(agent, AgentState.LOGGED_OUT, now, break_reason=None, wrap_until=None, queues=None)


def _take_break(agent: Agent, event: TakeBreak, now: float) -> Agent:
    return _move(agent, AgentState.ON_BREAK, now, break_reason=event.reason, wrap_until=None)


def _offer(agent: Agent, event: Offer, now: float) -> Agent:
    if not can_take(event.capacity, agent.held(), Channel.VOICE):
        raise InvalidTransition(f"agent {agent.id}: no capacity for a call beside {len(agent.texts)} text(s) held")
    return _move(agent, AgentState.RESERVED, now, call=event.call)


def _answered(agent: Agent, _event: Answered, now: float) -> Agent:
    return _move(agent, AgentState.ON_CALL, now, missed_in_row=0, unreachable_in_row=0)


def _missed(agent: Agent, event: Missed, now: float) -> Agent:
    missed = agent.missed_in_row + (event.reason is MissReason.NO_ANSWER)
    if event.reason is MissReason.NO_ANSWER and 0 < event.max_no_answer <= missed:
        return _move(
            agent, AgentState.ON_BREAK, now, call=None, missed_in_row=missed, break_reason=NO_ANSWER_BREAK
        )
    return replace(_become_available(agent, event, now), missed_in_row=missed, not_before=now + event.delay_s)


def _not_reached(agent: Agent, event: NotReached, now: float) -> Agent:
    # idle_since and the miss count kept: not the agent's fault.
    return _move(agent, AgentState.AVAILABLE, now, call=None, unreachable_in_row=agent.unreachable_in_row + 1,
                 not_before=now + event.delay_s)


def _caller_gave_up(agent: Agent, _event: CallEnded, now: float) -> Agent:
    # idle_since kept: not the agent's fault, so they keep their place in line.
    return _move(agent, AgentState.AVAILABLE, now, call=None)


def _call_ended(agent: Agent, event: CallEnded, now: float) -> Agent:
    handled = replace(agent, calls_handled=agent.calls_handled + 1, talk_time_s=agent.talk_time_s + now - agent.since)
    if agent.on_demand:
        return _move(handled, AgentState.ON_BREAK, now, call=None, break_reason=ON_DEMAND_BREAK, on_demand=False)
    if event.wrap_up_s <= 0:
        return _become_available(handled, event, now)
    return _move(handled, AgentState.WRAP_UP, now, call=None, wrap_until=now + event.wrap_up_s)


def _direct_call_started(agent: Agent, _event: DirectCallStarted, _now: float) -> Agent:
    return replace(agent, direct_calls=agent.direct_calls + 1)


def _direct_call_ended(agent: Agent, _event: DirectCallEnded, _now: float) -> Agent:
    return replace(agent, direct_calls=max(0, agent.direct_calls - 1))  # a call started before we knew of it


def _offer_text(agent: Agent, event: OfferText, now: float) -> Agent:
    if agent.text(event.contact) is not None:
        raise InvalidTransition(f"agent {agent.id}: {event.contact} is already offered to them")
    if not agent.can_take(event.channel, event.capacity, now):
        raise InvalidTransition(f"agent {agent.id}: no capacity for a {event.channel.value} contact beside "
                                f"{len(agent.held())} held")
    return replace(agent, texts=(*agent.texts, HeldText(event.contact, event.channel, Phase.OFFERED, now)))


def _accept_text(agent: Agent, event: AcceptText, now: float) -> Agent:
    text = agent.text(event.contact)
    if text is None or text.phase is not Phase.OFFERED:
        raise InvalidTransition(f"agent {agent.id}: {event.contact} is not offered to them")
    texts = tuple(replace(held, phase=Phase.ACTIVE, since=now) if held is text else held for held in agent.texts)
    return replace(agent, texts=texts, missed_in_row=0)


def _drop_text(agent: Agent, event: DropText, now: float) -> Agent:
    if agent.text(event.contact) is None:
        raise InvalidTransition(f"agent {agent.id}: {event.contact} is not theirs")
    agent = replace(agent, texts=tuple(held for held in agent.texts if held.contact != event.contact),
                    not_before=max(agent.not_before, now + event.delay_s))
    if event.why is TextDrop.DECLINED:
        return replace(agent, idle_since=now)  # to the end of the longest-idle line, as after a missed call
    if event.why is not TextDrop.NO_ANSWER:
        return agent
    missed = agent.missed_in_row + 1
    if agent.state is AgentState.AVAILABLE and 0 < event.max_no_answer <= missed:
        return _move(agent, AgentState.ON_BREAK, now, missed_in_row=missed, break_reason=NO_ANSWER_BREAK)
    return replace(agent, missed_in_row=missed, idle_since=now)


# The table key guarantees the handler's event type, hence ``Any`` for the event parameter.
_Handler = Callable[[Agent, Any, float], Agent]

_S = AgentState
_TRANSITIONS: dict[tuple[AgentState, type[AgentEvent]], _Handler] = {
    (_S.LOGGED_OUT, Login): _fresh_start,
    (_S.AVAILABLE, Logout): _logout,
    (_S.AVAILABLE, TakeBreak): _take_break,
    (_S.AVAILABLE, Offer): _offer,
    (_S.ON_BREAK, Logout): _logout,
    (_S.ON_BREAK, Ready): _fresh_start,
    (_S.RESERVED, Answered): _answered,
    (_S.RESERVED, Missed): _missed,
    (_S.RESERVED, NotReached): _not_reached,
    (_S.RESERVED, CallEnded): _caller_gave_up,
    (_S.ON_CALL, CallEnded): _call_ended,
    (_S.WRAP_UP, WrapUpElapsed): _become_available,
    (_S.WRAP_UP, Ready): _wrap_up_cut_short,
    (_S.WRAP_UP, TakeBreak): _take_break,
    (_S.WRAP_UP, Logout): _logout,
    **{(state, DirectCallStarted): _direct_call_started for state in AgentState},
    **{(state, DirectCallEnded): _direct_call_ended for state in AgentState},
    **{(state, OfferText): _offer_text for state in _TAKES_OFFERS},
    **{(state, AcceptText): _accept_text for state in AgentState if state is not _S.LOGGED_OUT},
    **{(state, DropText): _drop_text for state in AgentState},
}


def apply(agent: Agent, event: AgentEvent, now: float) -> Agent:
    """The agent after ``event`` at ``now``; raises ``InvalidTransition`` if the table does not allow it."""
    handler = _TRANSITIONS.get((agent.state, type(event)))
    if handler is None:
        raise InvalidTransition(f"agent {agent.id}: {describe(event)} is not allowed in state {agent.state.value}")
    if isinstance(event, _ABOUT_CURRENT_CALL) and event.call != agent.call:
        raise InvalidTransition(
            f"agent {agent.id}: {describe(event)} names call {event.call}, but the agent's call is {agent.call}"
        )
    return handler(agent, event, now)


_WORD_START = re.compile(r"(?<!^)(?=[A-Z])")


def describe(event: AgentEvent) -> str:
    """The event in words for people (error messages, logs), from its name: ``take break (lunch)``, ``logout``,
    never a Python repr."""
    words = _WORD_START.sub(" ", type(event).__name__).lower()
    return f"{words} ({event.reason})" if isinstance(event, TakeBreak) else words


def check_break_reason(reason: str, allowed: Collection[str]) -> None:
    """Refuse a break reason an agent asks for that is not in the configured list (``pause_reasons``)."""
    if reason not in allowed:
        raise UnknownChoiceError(f"unknown break reason {reason!r} (allowed: {', '.join(sorted(allowed))})")


def count_by_state(agents: Mapping[str, Agent], agent_ids: Iterable[str], queue: str | None = None
                   ) -> dict[AgentState, int]:
    """How many of ``agent_ids`` are in each state (ids without a record are not counted); for a ``queue``, an
    agent logged in to other queues only counts as logged out."""
    counts = dict.fromkeys(AgentState, 0)
    for agent_id in agent_ids:
        agent = agents.get(agent_id)
        if agent is not None:
            counts[agent.state if queue is None or agent.serves(queue) else AgentState.LOGGED_OUT] += 1
    return counts


def due(agent: Agent, now: float) -> AgentEvent | None:
    """The timer event due for ``agent`` at ``now``, if any."""
    if agent.state is AgentState.WRAP_UP and agent.wrap_until is not None and now >= agent.wrap_until:
        return WrapUpElapsed()
    return None
