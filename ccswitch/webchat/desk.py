"""What the chat service asks of the ACD (``ChatDesk``): queue a conversation for a person, forward an agent's
action and each message's activity, say the customer left, tell where a conversation is, and listen to what the
engine decides (offers, withdrawals, ends).

The chat service depends on this small port, not on the controller, so its decisions are tested with a fake desk;
``ControllerDesk`` is the one implementation over ``Controller``'s text calls (``ccswitch.engine.texts``).
"""

from __future__ import annotations

import contextlib
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Literal, Protocol, cast

from ccswitch.acd.agents import Agent, AgentState
from ccswitch.acd.capacity import Channel
from ccswitch.acd.waiting import expected_wait_s
from ccswitch.chat.messages import Customer, Sender
from ccswitch.controller import Accept, Close, Controller, Decline, TextArrival, TextStatus, Transfer
from ccswitch.errors import UnknownNameError

Phase = Literal["queued", "offered", "active", "ended"]
NewsKind = Literal["offered", "withdrawn", "connected", "requeued", "ended"]
AgentAction = Literal["accept", "decline", "close", "transfer"]


@dataclass(frozen=True, slots=True)
class DeskStatus:
    contact: str
    phase: Phase
    agent: str | None = None
    position: int | None = None  # 1 = next, while queued


@dataclass(frozen=True, slots=True)
class DeskNews:
    contact: str
    kind: NewsKind
    agent: str | None = None


class ChatDesk(Protocol):
    def queue(self, contact: str, queue: str, customer: Customer, at: float) -> None:
        """Queue the conversation for a person (the store keeps it: a restart finds it); UnknownNameError for an
        unknown queue."""

    def act(self, agent: str, contact: str, action: AgentAction, *, disposition: str | None = None,
            to_queue: str | None = None, to_agent: str | None = None) -> None:
        """An agent's action; InvalidTransition when the conversation is not offered to them / not theirs."""

    def activity(self, contact: str, by: Sender, at: float) -> None: ...

    def gone(self, contact: str) -> None: ...

    def status(self, contact: str) -> DeskStatus | None:
        """Where the desk holds the conversation; None when it does not (still with the bot, or long ended)."""

    def held_by(self, agent: str) -> list[DeskStatus]: ...

    def staffed(self, queue: str) -> bool:
        """Whether an agent who takes chats is logged in to ``queue``."""

    def expected_wait_s(self, queue: str, place: int) -> float | None:
        """About how long the conversation at ``place`` in ``queue`` waits for a person (None: nobody serves)."""

    def listen(self, callback: Callable[[DeskNews], None]) -> None:
        """``callback`` is called on the controller's greenlet for each piece of news: it must not block."""


class ControllerDesk:
    """``ChatDesk`` over the controller's text calls (each runs on the controller's greenlet)."""

    def __init__(self, controller: Controller) -> None:
        self._controller = controller

    def queue(self, contact: str, queue: str, customer: Customer, at: float) -> None:
        self._controller.text_arrived(TextArrival(contact, Channel.CHAT, queue, customer, at))

    def act(self, agent: str, contact: str, action: AgentAction, *, disposition: str | None = None,
            to_queue: str | None = None, to_agent: str | None = None) -> None:
        actions: dict[AgentAction, Accept | Decline | Close | Transfer] = {"accept": Accept(), "decline": Decline(),
                                                  "close": Close(disposition),
                                                  "transfer": Transfer(to_queue, to_agent)}
        self._controller.text_action(agent, contact, actions[action])

    def activity(self, contact: str, by: Sender, at: float) -> None:
        self._controller.text_activity(contact, by)

    def gone(self, contact: str) -> None:
        with contextlib.suppress(UnknownNameError):  # ended already (closed by the agent a moment before)
            self._controller.text_gone(contact)

    def status(self, contact: str) -> DeskStatus | None:
        try:
            return _desk_status(self._controller.text_status(contact))
        except UnknownNameError:
            return None

    def held_by(self, agent: str) -> list[DeskStatus]:
        return [_desk_status(held) for held in self._controller.texts_of(agent)]

    def staffed(self, queue: str) -> bool:
        return any(True for _agent in self._chat_agents(queue))

    def expected_wait_s(self, queue: str, place: int) -> float | None:
        """As a caller is told (``acd.waiting``): the place times the queue's handle time, shared by the agents who
        take chats there and are not on a break. Each of them holds several chats at once, so this errs long."""
        serving = sum(1 for agent in self._chat_agents(queue) if agent.state is not AgentState.ON_BREAK)
        found = self._controller.config.queues.get(queue)
        return None if found is None else expected_wait_s(place, serving, found.default_aht_s)

    def _chat_agents(self, queue: str) -> Iterator[Agent]:
        """The agents logged in to ``queue`` whose capacity takes chats."""
        config = self._controller.config
        return (agent for agent in self._controller.engine.agents.values()
                if agent.serves(queue) and agent.id in config.agents
                and Channel.CHAT in config.agents[agent.id].capacity.costs)

    def listen(self, callback: Callable[[DeskNews], None]) -> None:
        self._controller.on_text_news(
            lambda news: callback(DeskNews(news.contact, news.kind.value, news.agent)))


def _desk_status(held: TextStatus) -> DeskStatus:
    return DeskStatus(held.contact, cast(Phase, held.phase), held.agent, held.position)
