"""Simulated chat customers and the agents' side of their chats, acting on the chat service in-process as their
scripts (``ccswitch.sim.chat_scripts``) say.

``run_chat_customers`` opens each scripted customer's chat at its offset and plays their script (one greenlet per
customer); ``ChatDesks`` is every simulated agent's chat window: it accepts the offers, answers each customer
message after the agent's think time and closes after their exchanges (one greenlet per agent, one per chat held).
Both see the service through ``ChatPort`` (``ServicePort``: the ``ChatService`` in this process), and both count
what they lived through in a ``ChatTally``, which ``ccswitch demo`` prints beside the controller's own figures.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Protocol

import gevent
import gevent.pool
import gevent.queue

from ccswitch.chat.messages import Customer
from ccswitch.clock import Clock
from ccswitch.errors import CcswitchError
from ccswitch.sim.chat_scripts import (
    AGENT_GREETING,
    AgentReplied,
    BotReplied,
    ChatAgentHabits,
    ChatCustomerScript,
    CloseChat,
    Closed,
    CustomerAction,
    CustomerEvent,
    CustomerPhase,
    CustomerState,
    HandedOver,
    Leave,
    Say,
    Tick,
    agent_turn,
    customer_step,
    patience_deadline,
)
from ccswitch.webchat.feed import Feed, Item
from ccswitch.webchat.service import ChatService

log = logging.getLogger(__name__)

_IDLE_WAIT_S = 600.0  # how long (clock seconds) a customer waits for news when no patience deadline is near


@dataclass(frozen=True, slots=True)
class Offered:
    conversation: str
    queue: str


@dataclass(frozen=True, slots=True)
class CustomerWrote:
    conversation: str


@dataclass(frozen=True, slots=True)
class ChatGone:
    """The conversation left the agent: the customer ended or left, or the offer was withdrawn."""

    conversation: str


DeskNews = Offered | CustomerWrote | ChatGone


class ChatPort(Protocol):
    """What the simulated people need of the chat service. ``customer_news`` and ``agent_news`` return what
    happened since the previous call for that conversation / agent, waiting up to ``timeout_s`` (real seconds) for
    something when nothing did."""

    def open_chat(self, topic: str, customer: Customer) -> str: ...

    def customer_says(self, conversation: str, text: str) -> None: ...

    def customer_leaves(self, conversation: str) -> None: ...

    def customer_news(self, conversation: str, timeout_s: float) -> list[CustomerEvent]: ...

    def agent_news(self, agent: str, timeout_s: float) -> list[DeskNews]: ...

    def accept(self, agent: str, conversation: str) -> None: ...

    def agent_says(self, agent: str, conversation: str, text: str) -> None: ...

    def close(self, agent: str, conversation: str, disposition: str | None) -> None: ...


@dataclass
class ChatTally:
    """What the simulated customers and agents lived through (the service's own figures are the engine's
    ``Stats``): chats opened, handed over to a person, answered by an agent's message, abandoned (patience ran out
    first); the chats each agent took and held at once."""

    opened: int = 0
    handed_over: int = 0
    answered: int = 0
    abandoned: int = 0
    handled: dict[str, int] = field(default_factory=dict)  # agent → chats accepted
    holding: dict[str, int] = field(default_factory=dict)  # agent → chats held now
    peak_held: dict[str, int] = field(default_factory=dict)  # agent → most chats held at once
    peak_total: int = 0  # most chats held by all agents at once

    def took(self, agent: str) -> None:
        self.handled[agent] = self.handled.get(agent, 0) + 1
        self.holding[agent] = self.holding.get(agent, 0) + 1
        self.peak_held[agent] = max(self.peak_held.get(agent, 0), self.holding[agent])
        self.peak_total = max(self.peak_total, sum(self.holding.values()))

    def let_go(self, agent: str) -> None:
        self.holding[agent] -= 1


def run_chat_customers(port: ChatPort, clock: Clock, arrivals: Sequence[tuple[float, ChatCustomerScript]],
                       tally: ChatTally) -> None:
    """Open each customer's chat at its offset (clock seconds from now) and play their script; returns when every
    customer is done."""
    customers = gevent.pool.Group()
    start = clock.now()
    try:
        for at, script in sorted(arrivals, key=lambda item: item[0]):
            clock.sleep(at - (clock.now() - start))  # from the start: placing chats does not push arrivals back
            customers.spawn(play_customer, port, clock, script, tally)
        customers.join()
    finally:
        customers.kill()


def play_customer(port: ChatPort, clock: Clock, script: ChatCustomerScript, tally: ChatTally) -> None:
    conversation = port.open_chat(script.topic, Customer(name=script.name, email=script.email))
    tally.opened += 1
    state = CustomerState()
    try:
        while state.phase not in (CustomerPhase.LEFT, CustomerPhase.DONE):
            deadline = patience_deadline(script, state)
            wait = _IDLE_WAIT_S if deadline is None else max(0.0, deadline - clock.now())
            for event in [*port.customer_news(conversation, clock.real_seconds(wait)), Tick(clock.now())]:
                before, (state, actions) = state, customer_step(script, state, event)
                if before.waiting_since is None and state.waiting_since is not None:
                    tally.handed_over += 1
                if isinstance(event, AgentReplied) and before.phase is not CustomerPhase.WITH_AGENT:
                    tally.answered += 1
                for action in actions:
                    _act(port, clock, conversation, action, tally)
                if state.phase in (CustomerPhase.LEFT, CustomerPhase.DONE):
                    break
    except CcswitchError as exc:  # the service refused a step (the chat ended meanwhile): the customer is done
        log.info("chat %s: %s stops: %s", conversation, script.name, exc)


def _act(port: ChatPort, clock: Clock, conversation: str, action: CustomerAction, tally: ChatTally) -> None:
    if isinstance(action, Say):
        clock.sleep(action.after_s)
        port.customer_says(conversation, action.text)
        return
    if isinstance(action, Leave):
        log.info("chat %s: the customer's patience ran out", conversation)
        tally.abandoned += 1
    else:
        clock.sleep(action.after_s)  # the agent may close it meanwhile: leaving an ended chat does nothing
    port.customer_leaves(conversation)


class ChatDesks:
    """Every simulated agent's chat window, as their habits say (``start`` / ``stop``); ``dispositions``: each
    queue's, one of which a close must give."""

    def __init__(self, port: ChatPort, clock: Clock, habits: dict[str, ChatAgentHabits],
                 dispositions: Mapping[str, Sequence[str]], tally: ChatTally) -> None:
        self._port, self._clock, self._habits, self._tally = port, clock, habits, tally
        self._dispositions = dispositions
        self._greenlets = gevent.pool.Group()
        self._chats: dict[tuple[str, str], gevent.queue.Queue[DeskNews]] = {}  # (agent, conversation) → its news

    def start(self) -> None:
        for agent in self._habits:
            self._greenlets.spawn(self._desk, agent)

    def stop(self) -> None:
        self._greenlets.kill()

    def _desk(self, agent: str) -> None:
        while True:
            for news in self._port.agent_news(agent, self._clock.real_seconds(_IDLE_WAIT_S)):
                key = (agent, news.conversation)
                if isinstance(news, Offered) and key not in self._chats:
                    self._chats[key] = gevent.queue.Queue()
                    self._greenlets.spawn(self._chat, agent, news.conversation, news.queue)
                elif key in self._chats:
                    self._chats[key].put(news)

    def _chat(self, agent: str, conversation: str, queue: str) -> None:
        habits, inbox = self._habits[agent], self._chats[(agent, conversation)]
        try:
            self._clock.sleep(habits.accept_after_s)
            if not inbox.empty() and isinstance(inbox.peek(), ChatGone):
                return  # withdrawn (or the customer left) before the agent got to it
            self._port.accept(agent, conversation)
            self._tally.took(agent)
            try:
                self._clock.sleep(habits.think_s / 2)
                self._port.agent_says(agent, conversation, AGENT_GREETING)
                replies = 0
                while True:
                    turn = agent_turn(habits, replies, self._dispositions.get(queue, ()))
                    if isinstance(turn, Say) and isinstance(inbox.get(), ChatGone):
                        return
                    self._clock.sleep(turn.after_s)
                    if isinstance(turn, CloseChat):
                        self._port.close(agent, conversation, turn.disposition)
                        return
                    self._port.agent_says(agent, conversation, turn.text)
                    replies += 1
            finally:
                self._tally.let_go(agent)
        except CcswitchError as exc:  # the service refused a step: the customer left meanwhile, or the offer went
            log.info("chat %s: agent %s stops: %s", conversation, agent, exc)
        finally:
            del self._chats[(agent, conversation)]


class ServicePort:
    """``ChatPort`` over the ``ChatService`` in this process: the people read the same feeds the customers' and
    agents' event streams read, and act through the same calls as the HTTP routes."""

    def __init__(self, service: ChatService, clock: Clock) -> None:
        self._service, self._clock = service, clock
        self._customers: dict[str, tuple[Feed, int]] = {}  # conversation → its feed and the cursor read up to
        self._agents: dict[str, int] = {}  # agent → the cursor of their feed read up to

    def open_chat(self, topic: str, customer: Customer) -> str:
        record, _token = self._service.start(topic, customer)
        self._customers[record.id] = (self._service.feed(record.id), 0)
        return record.id

    def customer_says(self, conversation: str, text: str) -> None:
        self._service.post(conversation, text)

    def customer_leaves(self, conversation: str) -> None:
        self._customers.pop(conversation, None)
        self._service.end(conversation)

    def customer_news(self, conversation: str, timeout_s: float) -> list[CustomerEvent]:
        feed, cursor = self._customers[conversation]
        items = feed.wait(cursor, timeout_s)
        if items:
            self._customers[conversation] = (feed, items[-1].cursor)
        return [event for item in items if (event := self._customer_event(item)) is not None]

    def _customer_event(self, item: Item) -> CustomerEvent | None:
        """A bot's or an agent's message, or the conversation's status; the customer's own lines, system lines and
        typing say nothing the script needs."""
        seen = (item.event, item.data.get("sender" if item.event == "message" else "status"))
        if seen == ("status", "queued"):
            return HandedOver(self._clock.now())
        return _CUSTOMER_SEES.get(seen)

    def agent_news(self, agent: str, timeout_s: float) -> list[DeskNews]:
        items = self._service.agent_feed(agent).wait(self._agents.get(agent, 0), timeout_s)
        if items:
            self._agents[agent] = items[-1].cursor
        return [news for item in items if (news := _desk_news(item)) is not None]

    def accept(self, agent: str, conversation: str) -> None:
        self._service.agent_act(agent, conversation, "accept")

    def agent_says(self, agent: str, conversation: str, text: str) -> None:
        self._service.agent_post(agent, conversation, text)

    def close(self, agent: str, conversation: str, disposition: str | None) -> None:
        self._service.agent_act(agent, conversation, "close", disposition=disposition)


_CUSTOMER_SEES: dict[tuple[str, object], CustomerEvent] = {
    ("message", "bot"): BotReplied(), ("message", "agent"): AgentReplied(),
    ("status", "ended"): Closed(),
}


def _desk_news(item: Item) -> DeskNews | None:
    conversation = item.data.get("id")
    if not isinstance(conversation, str):
        return None
    if item.event == "offer":
        return Offered(conversation, str(item.data.get("queue", "")))
    if item.event == "message":
        return CustomerWrote(conversation) if item.data.get("sender") == "customer" else None
    if item.event in ("withdrawn", "ended", "requeued", "transferred"):
        return ChatGone(conversation)  # no longer this agent's
    return None
