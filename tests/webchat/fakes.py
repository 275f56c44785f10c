"""A desk that only records what the chat service asks of it and answers what a test sets (``ChatDesk``)."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field, replace

from ccswitch.chat.messages import Customer, Sender
from ccswitch.errors import InvalidTransition
from ccswitch.webchat.desk import AgentAction, DeskNews, DeskStatus


@dataclass
class FakeDesk:
    staffed_queues: set[str] = field(default_factory=lambda: {"sales", "support"})
    statuses: dict[str, DeskStatus] = field(default_factory=dict)
    asked: list[tuple[object, ...]] = field(default_factory=list)
    listeners: list[Callable[[DeskNews], None]] = field(default_factory=list)

    def queue(self, contact: str, queue: str, customer: Customer, at: float) -> None:
        self.asked.append(("queue", contact, queue))
        self.statuses[contact] = DeskStatus(contact, "queued", position=1)

    def act(self, agent: str, contact: str, action: AgentAction, *, disposition: str | None = None,
            to_queue: str | None = None, to_agent: str | None = None) -> None:
        held = self.statuses.get(contact)
        if held is None or held.agent != agent:
            raise InvalidTransition(f"{contact} is not offered to {agent}")
        self.asked.append((action, agent, contact, disposition or to_queue or to_agent))
        phase = {"accept": "active", "close": "ended", "decline": "queued", "transfer": "queued"}[action]
        self.statuses[contact] = replace(held, phase=phase)  # type: ignore[arg-type]

    def activity(self, contact: str, by: Sender, at: float) -> None:
        self.asked.append(("activity", contact, by))

    def gone(self, contact: str) -> None:
        self.asked.append(("gone", contact))
        self.statuses.pop(contact, None)

    def status(self, contact: str) -> DeskStatus | None:
        return self.statuses.get(contact)

    def held_by(self, agent: str) -> list[DeskStatus]:
        return [held for held in self.statuses.values() if held.agent == agent]

    def staffed(self, queue: str) -> bool:
        return queue in self.staffed_queues

    def expected_wait_s(self, queue: str, place: int) -> float | None:
        return 90.0 * place if queue in self.staffed_queues else None

    def listen(self, callback: Callable[[DeskNews], None]) -> None:
        self.listeners.append(callback)

    def offer(self, contact: str, agent: str) -> None:
        """What the engine does when it offers the conversation to ``agent``."""
        self.statuses[contact] = DeskStatus(contact, "offered", agent)
        self.tell(DeskNews(contact, "offered", agent))

    def tell(self, news: DeskNews) -> None:
        for listener in self.listeners:
            listener(news)
