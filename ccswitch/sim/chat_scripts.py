"""What simulated chat customers and the agents answering them are scripted to do, and how each decides its next
step: plain data and pure functions of (state, event, now); the greenlets that act on them are in
``ccswitch.sim.chat_customers``.

Theory of operation
-------------------
A customer opens a chat on a topic. With a topic that has a bot they ask it a few questions (opening hours, the
price of a catalogue item), one after each bot message (its greeting first), then ask for a person; with a topic
that queues straight they just wait. Once handed over they wait for an agent's first message for at most
``patience_s``, then leave. With an agent they send their messages one per agent reply, each after its think time,
and end the chat a little after the agent answered their last one, unless the agent closes it first. Every step is
one row of ``_CUSTOMER_STEPS`` ((phase, event type) → handler); anything else raises ``InvalidTransition``.

An agent accepts an offer after ``accept_after_s``, greets, and answers each customer message after ``think_s``;
after ``exchanges`` replies they close the chat ``think_s`` later with a disposition of the queue's
(``agent_turn``).
"""

from __future__ import annotations

import enum
import random
from collections.abc import Callable, Sequence
from dataclasses import dataclass, replace

from ccswitch.errors import InvalidTransition

PERSON_PLEASE = "I would like to talk to a person, please."  # the bot's handover keywords include "person"


@dataclass(frozen=True, slots=True)
class Say:
    """A message sent ``after_s`` seconds after what it answers (think and typing time)."""

    text: str
    after_s: float


@dataclass(frozen=True, slots=True)
class ChatCustomerScript:
    """One chat customer: ``bot_questions`` one per bot reply, then ``ask_person`` (None: the topic queues
    straight, nothing to ask); ``patience_s`` for an agent's first message; ``messages`` one per agent reply;
    then the customer ends the chat ``ends_after_s`` later."""

    name: str
    email: str
    topic: str
    bot_questions: tuple[Say, ...] = ()
    ask_person: Say | None = None
    patience_s: float = 120.0
    messages: tuple[Say, ...] = ()
    ends_after_s: float = 10.0  # after the agent answered the last message


class CustomerPhase(enum.Enum):
    WITH_BOT = "with_bot"  # the chat is open; the customer talks to the bot (or waits to be queued)
    WAITING = "waiting"  # handed over, no agent has written yet: patience runs
    WITH_AGENT = "with_agent"
    LEFT = "left"  # patience ran out
    DONE = "done"  # the chat ended (by the customer, the agent or the service)


@dataclass(frozen=True, slots=True)
class CustomerState:
    phase: CustomerPhase = CustomerPhase.WITH_BOT
    asked: int = 0  # bot questions sent, the request for a person included
    said: int = 0  # messages sent to the agent
    waiting_since: float | None = None


@dataclass(frozen=True, slots=True)
class BotReplied:
    """The bot wrote: its greeting, or its answer to the customer's last message."""


@dataclass(frozen=True, slots=True)
class HandedOver:
    """The conversation is queued for a person."""

    at: float


@dataclass(frozen=True, slots=True)
class AgentReplied:
    pass


@dataclass(frozen=True, slots=True)
class Tick:
    """Time passed: patience is checked."""

    now: float


@dataclass(frozen=True, slots=True)
class Closed:
    """The chat ended, whoever ended it."""


CustomerEvent = BotReplied | HandedOver | AgentReplied | Tick | Closed


@dataclass(frozen=True, slots=True)
class Leave:
    """Patience ran out: the customer goes without a word."""


@dataclass(frozen=True, slots=True)
class End:
    """The customer ends the chat ``after_s`` after the agent answered their last message (unless the agent
    closes it first)."""

    after_s: float


CustomerAction = Say | Leave | End


def _next_bot_question(script: ChatCustomerScript, state: CustomerState,
                       _event: CustomerEvent) -> tuple[CustomerState, list[CustomerAction]]:
    steps = (*script.bot_questions, *((script.ask_person,) if script.ask_person else ()))
    if state.asked >= len(steps):
        return state, []  # asked for a person already: the bot's reply is its handover message
    return replace(state, asked=state.asked + 1), [steps[state.asked]]


def _queued(_script: ChatCustomerScript, state: CustomerState,
            event: CustomerEvent) -> tuple[CustomerState, list[CustomerAction]]:
    assert isinstance(event, HandedOver)
    return replace(state, phase=CustomerPhase.WAITING, waiting_since=event.at), []


def _patience(script: ChatCustomerScript, state: CustomerState,
              event: CustomerEvent) -> tuple[CustomerState, list[CustomerAction]]:
    assert isinstance(event, Tick)
    if patience_expired(script, state, event.now):
        return replace(state, phase=CustomerPhase.LEFT), [Leave()]
    return state, []


def _answer_agent(script: ChatCustomerScript, state: CustomerState,
                  _event: CustomerEvent) -> tuple[CustomerState, list[CustomerAction]]:
    if state.said >= len(script.messages):
        return replace(state, phase=CustomerPhase.DONE), [End(script.ends_after_s)]
    return replace(state, phase=CustomerPhase.WITH_AGENT, said=state.said + 1), [script.messages[state.said]]


def _nothing(_script: ChatCustomerScript, state: CustomerState,
             _event: CustomerEvent) -> tuple[CustomerState, list[CustomerAction]]:
    return state, []


def _closed(_script: ChatCustomerScript, state: CustomerState,
            _event: CustomerEvent) -> tuple[CustomerState, list[CustomerAction]]:
    return replace(state, phase=CustomerPhase.DONE), []


_Step = Callable[[ChatCustomerScript, CustomerState, CustomerEvent], tuple[CustomerState, list[CustomerAction]]]
_WITH_BOT, _WAITING, _WITH_AGENT = CustomerPhase.WITH_BOT, CustomerPhase.WAITING, CustomerPhase.WITH_AGENT
_CUSTOMER_STEPS: dict[tuple[CustomerPhase, type], _Step] = {
    (_WITH_BOT, BotReplied): _next_bot_question,
    (_WITH_BOT, HandedOver): _queued,
    (_WITH_BOT, AgentReplied): _answer_agent,  # an agent wrote before the customer saw the queued status
    (_WITH_BOT, Tick): _nothing,
    (_WITH_BOT, Closed): _closed,
    (_WAITING, BotReplied): _nothing,  # the bot's handover message, or its word on the wait
    (_WAITING, HandedOver): _nothing,  # requeued before any agent wrote: patience still counts from the first time
    (_WAITING, Tick): _patience,
    (_WAITING, AgentReplied): _answer_agent,
    (_WAITING, Closed): _closed,
    (_WITH_AGENT, AgentReplied): _answer_agent,
    (_WITH_AGENT, HandedOver): _nothing,  # transferred or requeued: the next agent picks the thread up
    (_WITH_AGENT, BotReplied): _nothing,
    (_WITH_AGENT, Tick): _nothing,
    (_WITH_AGENT, Closed): _closed,
}


def customer_step(script: ChatCustomerScript, state: CustomerState,
                  event: CustomerEvent) -> tuple[CustomerState, list[CustomerAction]]:
    """The customer's next state and what they do now (each ``Say`` after its ``after_s``)."""
    handler = _CUSTOMER_STEPS.get((state.phase, type(event)))
    if handler is None:
        raise InvalidTransition(f"chat customer {script.name!r}: {type(event).__name__} while {state.phase.value}")
    return handler(script, state, event)


def patience_expired(script: ChatCustomerScript, state: CustomerState, now: float) -> bool:
    """Handed over ``patience_s`` ago or more and no agent has written yet."""
    return (state.phase is CustomerPhase.WAITING and state.waiting_since is not None
            and now - state.waiting_since >= script.patience_s)


def patience_deadline(script: ChatCustomerScript, state: CustomerState) -> float | None:
    """When the customer leaves unless an agent writes first (None: not waiting)."""
    if state.phase is not CustomerPhase.WAITING or state.waiting_since is None:
        return None
    return state.waiting_since + script.patience_s


# ------------------------------------------------------------------------------------------------ agents
@dataclass(frozen=True, slots=True)
class ChatAgentHabits:
    """How a simulated agent handles chats: accept an offer after ``accept_after_s``; greet after half their
    ``think_s``; answer each customer message after ``think_s``; ``think_s`` after their ``exchanges``-th reply
    (the greeting is not one), close with ``disposition``."""

    accept_after_s: float = 3.0
    think_s: float = 10.0
    exchanges: int = 3
    disposition: str = "resolved"


_AGENT_REPLIES = (
    "Let me check that for you.",
    "Yes, that is possible; I have noted it on your order.",
    "Done. Is there anything else?",
    "I see. One moment, please.",
)
AGENT_GREETING = "Hello, thank you for waiting. How can I help?"


@dataclass(frozen=True, slots=True)
class CloseChat:
    disposition: str | None
    after_s: float


def agent_turn(habits: ChatAgentHabits, replies_sent: int, dispositions: Sequence[str] = ()) -> Say | CloseChat:
    """The agent's next step when they have sent ``replies_sent`` replies: the reply to the customer's next
    message, or the close (at once, not waiting for another message). A close takes one of the queue's
    ``dispositions``: the agent's usual one if the queue has it, else the queue's first (None: it has none)."""
    if replies_sent >= habits.exchanges:
        usual = habits.disposition if habits.disposition in dispositions else None
        return CloseChat(usual or next(iter(dispositions), None), habits.think_s)
    return Say(_AGENT_REPLIES[replies_sent % len(_AGENT_REPLIES)], habits.think_s)


# ------------------------------------------------------------------------------------------------ scripts
_CUSTOMER_LINES = (  # a customer says the first two, or all three
    "Hello, I have a question about my order 4711.",
    "Could you change the delivery address?",
    "Great, thanks.",
)


def chat_customers(rng: random.Random, count: int, minutes: float, topics: Sequence[tuple[str, bool]],
                   items: Sequence[str]) -> list[tuple[float, ChatCustomerScript]]:
    """``count`` customers arriving as a Poisson process over ``minutes``; ``topics`` are (name, has a bot),
    drawn evenly; ``items`` are catalogue item names the bot questions ask the price of. Patience 1-5 min; bot
    questions 3-12 s apart; 2-3 messages to the agent, 5-20 s apart; the end 5-30 s after the last answer."""
    if not topics:
        return []
    rate = count / (minutes * 60)
    at = 0.0
    arrivals = []
    for n in range(count):
        at += rng.expovariate(rate)
        topic, has_bot = rng.choice(topics)
        questions: tuple[Say, ...] = ()
        if has_bot:
            asks = ["What are your opening hours?", *(f"How much is the {item}?" for item in items)]
            questions = tuple(Say(text, rng.uniform(3, 12)) for text in rng.sample(asks, min(len(asks), 2)))
        messages = tuple(Say(text, rng.uniform(5, 20)) for text in _CUSTOMER_LINES[:rng.randint(2, 3)])
        arrivals.append((at, ChatCustomerScript(
            name=f"Chat customer {n + 1}",
            email=f"customer{n + 1}@example.com",
            topic=topic,
            bot_questions=questions,
            ask_person=Say(PERSON_PLEASE, rng.uniform(3, 12)) if has_bot else None,
            patience_s=rng.uniform(60, 300),
            messages=messages,
            ends_after_s=rng.uniform(5, 30),
        )))
    return arrivals


def chat_agent_habits(rng: random.Random, agents: Sequence[str]) -> dict[str, ChatAgentHabits]:
    """Each agent's habits: accept in 2-8 s, answer in 4-15 s, close after 2-3 replies."""
    dispositions = ("resolved", "resolved", "escalated", "sale")
    return {agent: ChatAgentHabits(accept_after_s=rng.uniform(2, 8), think_s=rng.uniform(4, 15),
                                   exchanges=rng.randint(2, 3), disposition=rng.choice(dispositions))
            for agent in agents}
