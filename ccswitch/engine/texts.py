"""Text contacts (chat now; e-mail, SMS and messengers later): queued, offered to agents beside their calls, and
taken back when an agent does not or can no longer answer. The same router, agent records and store as calls.

Theory of operation
-------------------
A text contact arrives (``arrive``) with its queue entry, which is written to the store and stays there until the
conversation ends: its place survives a restart (``restore``) and a taking-back. The router plans text entries as
it plans calls; ``offer`` (called by ``Offers.dispatch`` for entries of a text channel) reserves the agent with
``agent_fsm.OfferText``, a compare-and-set of the agent's record that the agent state machine refuses beyond the
agent's capacity, so a contact is never offered past a limit, even by two controllers sharing the store. No channel
is created: the chat service hears of the offer (``TextNews``) and shows it to the agent.

The agent accepts or declines (``act``); an offer not accepted within ``chat.offer_timeout_s`` goes back to its
place as a no-answer miss. An accepted contact is CONNECTED until the agent closes or transfers it or the customer
leaves. Agents who go away are the failure Chatwoot's users report (conversations left with an agent gone
offline): when an agent logs out every text they hold goes back to its place at once; an agent on a break, or
one who leaves a customer's message unanswered for ``chat.requeue_unanswered_s`` (``activity`` keeps the clock),
has that conversation taken back to its place.

The engine tells the chat service what happened through the listeners of ``on_news``, called on the controller
greenlet: they must not block.
"""

from __future__ import annotations

import enum
from collections.abc import Callable, Iterable
from dataclasses import dataclass, replace

from ccswitch.acd import agents as agent_fsm
from ccswitch.acd.agents import Agent, AgentState, TextDrop
from ccswitch.acd.capacity import Channel
from ccswitch.acd.capacity import Phase as HeldPhase
from ccswitch.acd.queues import Dispatch, QueueEntry, SkillLevels, in_order, queue_key
from ccswitch.calls import Phase
from ccswitch.chat.messages import Customer, Sender
from ccswitch.engine.core import Core, log
from ccswitch.errors import InvalidTransition, UnknownNameError
from ccswitch.history.model import Outcome
from ccswitch.text_contacts import TextContact, text_contact_record


@dataclass(frozen=True, slots=True)
class TextArrival:
    """A text contact handed to a queue (by the chatbot, or straight from the pre-chat form)."""

    contact: str
    channel: Channel
    queue: str
    customer: Customer
    arrived_at: float
    priority: int = 0
    skills: SkillLevels = ()


@dataclass(frozen=True, slots=True)
class Accept:
    pass


@dataclass(frozen=True, slots=True)
class Decline:
    pass


@dataclass(frozen=True, slots=True)
class Close:
    disposition: str | None = None


@dataclass(frozen=True, slots=True)
class Transfer:
    """To a queue (waits there as a new arrival) or to an agent (offered to them at once, if they can take it)."""

    queue: str | None = None
    agent: str | None = None


TextAction = Accept | Decline | Close | Transfer


class NewsKind(enum.StrEnum):
    OFFERED = "offered"
    WITHDRAWN = "withdrawn"  # an offer declined, not accepted in time, or taken back
    CONNECTED = "connected"
    REQUEUED = "requeued"  # taken back from an agent, or transferred to a queue: waits at its place
    ENDED = "ended"


@dataclass(frozen=True, slots=True)
class TextNews:
    contact: str
    kind: NewsKind
    agent: str | None = None


@dataclass(frozen=True, slots=True)
class TextStatus:
    contact: str
    phase: str  # "queued", "offered", "active", "ended"
    queue: str
    agent: str | None
    position: int | None  # 1 = next in its queue, while queued
    customer: Customer
    unanswered_s: float | None  # how long the customer's oldest unanswered message has waited


_STATUS = {Phase.QUEUED: "queued", Phase.OFFERING: "offered", Phase.CONNECTED: "active", Phase.ENDED: "ended"}


class Texts:
    def __init__(self, core: Core) -> None:
        self.core = core
        self.contacts: dict[str, TextContact] = {}
        self.waiting: dict[str, dict[str, QueueEntry]] = {}  # queue -> contact -> entry
        self._listeners: list[Callable[[TextNews], None]] = []

    def on_news(self, listener: Callable[[TextNews], None]) -> None:
        self._listeners.append(listener)

    def _tell(self, contact: str, kind: NewsKind, agent: str | None = None) -> None:
        news = TextNews(contact, kind, agent)
        for listener in self._listeners:
            listener(news)

    # ----------------------------------------------------------------- arrivals
    def arrive(self, arrival: TextArrival, now: float) -> None:
        core = self.core
        if arrival.queue not in core.config.queues:
            raise UnknownNameError(f"unknown queue '{arrival.queue}'")
        if arrival.contact in self.contacts:
            raise InvalidTransition(f"text contact {arrival.contact} is already here")
        customer = arrival.customer
        entry = QueueEntry(call=arrival.contact, queue=arrival.queue, priority=arrival.priority,
                           enqueued_at=arrival.arrived_at, seq=core.store.next_seq(), caller_number=customer.phone,
                           caller_name=customer.name, skills=arrival.skills, channel=arrival.channel,
                           owner=core.owner)
        contact = TextContact(uuid=arrival.contact, caller_number=customer.phone, caller_name=customer.name,
                              destination=arrival.queue, arrived_at=arrival.arrived_at, entry=entry,
                              queued_at=now, customer=customer)
        core.store.add_entry(entry)
        self.contacts[contact.uuid] = contact
        self._wait(contact)
        log.info("%s %s queued in %s", arrival.channel.value, contact.uuid, arrival.queue)

    def _wait(self, contact: TextContact) -> None:
        assert contact.entry is not None
        contact.move_to(Phase.QUEUED)
        contact.agent, contact.offered_at = None, None
        self.waiting.setdefault(contact.entry.queue, {})[contact.uuid] = contact.entry
        self.core.router.add_call(contact.entry)

    # ----------------------------------------------------------------- offers
    def offer(self, dispatch: Dispatch, now: float) -> None:
        """Offer a text entry the router planned to its first agent (ring-all means nothing for a text: one
        agent holds a conversation); the others it named are free again."""
        core = self.core
        entry, agent_id = dispatch.entry, dispatch.agents[0]
        for spare in dispatch.agents[1:]:
            core.router.update_agent(core.agents[spare])
        contact = self.contacts[entry.call]
        capacity = core.config.agents[agent_id].capacity
        if not core.agent_event(agent_id, agent_fsm.OfferText(entry.call, entry.channel, capacity), now):
            core.router.add_call(entry)  # another controller changed the agent first: its place, later
            return
        core.router.remove_call(entry.call)  # (gone already when the router planned it; not for a transfer)
        self.waiting.get(entry.queue, {}).pop(entry.call, None)
        contact.move_to(Phase.OFFERING)
        contact.agent, contact.offered_at = agent_id, now
        log.info("%s %s offered to agent %s (queue %s)", entry.channel.value, entry.call, agent_id, entry.queue)
        self._tell(entry.call, NewsKind.OFFERED, agent_id)

    # ----------------------------------------------------------------- what agents do
    def act(self, agent_id: str, contact_id: str, action: TextAction, now: float) -> None:
        """An agent's action on a text contact they hold; InvalidTransition if it is not theirs (or not offered
        to them, for accept and decline), UnknownNameError for an unknown contact, queue or agent."""
        contact = self._held_by(agent_id, contact_id)
        if isinstance(action, Accept | Decline) and contact.phase is not Phase.OFFERING:
            raise InvalidTransition(f"{contact_id} is not offered to agent {agent_id} ({_STATUS[contact.phase]})")
        if isinstance(action, Close | Transfer) and contact.phase is not Phase.CONNECTED:
            raise InvalidTransition(f"agent {agent_id} has not accepted {contact_id} yet")
        if isinstance(action, Accept):
            self._accept(contact, agent_id, now)
        elif isinstance(action, Decline):
            delay = self.core.config.agents[agent_id].reject_delay_s
            self._take_back(contact, agent_fsm.DropText(contact_id, TextDrop.DECLINED, delay), now)
        elif isinstance(action, Close):
            contact.disposition = action.disposition
            self._end(contact, agent_fsm.DropText(contact_id, TextDrop.CLOSED), now)
        else:
            self._transfer(contact, agent_id, action, now)

    def _held_by(self, agent_id: str, contact_id: str) -> TextContact:
        if agent_id not in self.core.agents:
            raise UnknownNameError(f"unknown agent '{agent_id}'")
        contact = self.contacts.get(contact_id)
        if contact is None:
            raise UnknownNameError(f"no text contact '{contact_id}'")
        if contact.agent != agent_id or contact.phase not in (Phase.OFFERING, Phase.CONNECTED):
            raise InvalidTransition(f"{contact_id} is not with agent {agent_id}")
        return contact

    def _accept(self, contact: TextContact, agent_id: str, now: float) -> None:
        if not self.core.agent_event(agent_id, agent_fsm.AcceptText(contact.uuid), now):
            raise InvalidTransition(f"agent {agent_id} was changed by another controller; try again")
        assert contact.entry is not None
        contact.move_to(Phase.CONNECTED)
        contact.connected_at = now
        if not contact.counted_answered:  # a conversation taken back and accepted again is answered once
            contact.counted_answered = True
            self.core.stats.answered(contact.entry.queue, agent_id, now - contact.queued_at, contact.entry.channel)
        if contact.unanswered_since is None:
            contact.unanswered_since = now  # the customer waits for the agent's first word from now on
        log.info("%s %s accepted by agent %s after %.1f s in queue %s", contact.entry.channel.value, contact.uuid,
                 agent_id, now - contact.queued_at, contact.entry.queue)
        self._tell(contact.uuid, NewsKind.CONNECTED, agent_id)

    def _transfer(self, contact: TextContact, agent_id: str, action: Transfer, now: float) -> None:
        core = self.core
        assert contact.entry is not None
        if (action.queue is None) == (action.agent is None):
            raise InvalidTransition("a transfer names a queue or an agent, not both or neither")
        if action.queue is not None and action.queue not in core.config.queues:
            raise UnknownNameError(f"unknown queue '{action.queue}'")
        if action.agent is not None:
            if action.agent not in core.agents:
                raise UnknownNameError(f"unknown agent '{action.agent}'")
            capacity = core.config.agents[action.agent].capacity
            if action.agent == agent_id or not core.agents[action.agent].can_take(contact.entry.channel, capacity,
                                                                                   now):
                raise InvalidTransition(f"agent {action.agent} cannot take a {contact.entry.channel.value} now")
        contact.transferred_to = action.queue or action.agent
        self._release(contact, agent_fsm.DropText(contact.uuid, TextDrop.CLOSED), now)
        self._tell(contact.uuid, NewsKind.WITHDRAWN, agent_id)
        if action.queue is not None:
            core.store.remove_entry(contact.entry.queue, contact.uuid)
            contact.entry = replace(contact.entry, queue=action.queue, enqueued_at=now, seq=core.store.next_seq())
            core.store.add_entry(contact.entry)
            contact.queued_at = now
            self._wait(contact)
            self._tell(contact.uuid, NewsKind.REQUEUED)
            return
        assert action.agent is not None
        self._wait(contact)  # at its place, should the agent's record have changed meanwhile (another controller)
        self.offer(Dispatch(contact.entry, (action.agent,)), now)

    # ----------------------------------------------------------------- the customer
    def activity(self, contact_id: str, by: Sender, at: float) -> None:
        """A message in the conversation: the agent's answers the customer's (first response, unanswered clock)."""
        contact = self.contacts.get(contact_id)
        if contact is None:
            return
        if by is Sender.CUSTOMER:
            if contact.unanswered_since is None:
                contact.unanswered_since = at
        elif by is Sender.AGENT and contact.phase is Phase.CONNECTED:
            if contact.first_response_at is None and contact.connected_at is not None:
                contact.first_response_at = at
                assert contact.entry is not None
                self.core.stats.first_response(contact.entry.queue, contact.entry.channel, at - contact.connected_at)
            contact.unanswered_since = None

    def gone(self, contact_id: str, now: float) -> None:
        """The customer left (closed the chat, or timed out)."""
        contact = self.contacts.get(contact_id)
        if contact is None:
            return
        drop = agent_fsm.DropText(contact_id, TextDrop.CUSTOMER_LEFT) if contact.agent is not None else None
        self._end(contact, drop, now)

    # ----------------------------------------------------------------- timers
    def due(self, now: float) -> None:
        """Offers not accepted in time go back as misses; conversations whose agent logged out, or left the
        customer unanswered too long, go back to their places."""
        for contact in list(self.contacts.values()):
            if contact.agent is None:
                continue
            if contact.phase is Phase.OFFERING:
                timeout = self.core.config.chat.offer_timeout_s
                if contact.offered_at is not None and now - contact.offered_at >= timeout:
                    self._miss(contact, contact.agent, now)
            elif self._neglected(contact, self.core.agents.get(contact.agent), now):
                log.warning("%s %s: the customer unanswered for %.0f s by agent %s: back to its place",
                            contact.CHANNEL.value, contact.uuid, now - (contact.unanswered_since or now), contact.agent)
                self._take_back(contact, agent_fsm.DropText(contact.uuid, TextDrop.TAKEN_BACK), now)

    def _neglected(self, contact: TextContact, agent: Agent | None, now: float) -> bool:
        if agent is None or agent.state is AgentState.LOGGED_OUT:
            return True
        waited = now - contact.unanswered_since if contact.unanswered_since is not None else 0.0
        return waited >= self.core.config.chat.requeue_unanswered_s

    def _miss(self, contact: TextContact, agent_id: str, now: float) -> None:
        queue = self.core.config.queues[self._queue(contact)]
        delays = self.core.config.agents[agent_id]
        log.info("agent %s did not accept %s in time: back to its place", agent_id, contact.uuid)
        self.core.stats.missed(agent_id)
        self._take_back(contact, agent_fsm.DropText(contact.uuid, TextDrop.NO_ANSWER, delays.no_answer_delay_s,
                                                    queue.max_no_answer), now)

    def agent_changed(self, agent_id: str, now: float) -> None:
        """After an agent's own action: logged out, everything they hold goes back at once; on a break, the offers
        they have not accepted."""
        agent = self.core.agents[agent_id]
        if agent.state not in (AgentState.LOGGED_OUT, AgentState.ON_BREAK):
            return
        for held in agent.texts:
            contact = self.contacts.get(held.contact)
            if contact is not None and (agent.state is AgentState.LOGGED_OUT or held.phase is HeldPhase.OFFERED):
                self._take_back(contact, agent_fsm.DropText(held.contact, TextDrop.TAKEN_BACK), now)

    # ----------------------------------------------------------------- leaving an agent, ending
    def _release(self, contact: TextContact, drop: agent_fsm.DropText, now: float) -> None:
        """The agent no longer holds the contact. The store's compare-and-set may lose to another controller;
        the agent is then re-read, and the drop is tried once more on the fresh record."""
        agent_id = contact.agent
        if agent_id is None:
            return
        for _attempt in range(2):
            agent = self.core.agents.get(agent_id)
            if agent is None or agent.text(contact.uuid) is None or self.core.agent_event(agent_id, drop, now):
                break
        contact.agent = None

    def _take_back(self, contact: TextContact, drop: agent_fsm.DropText, now: float) -> None:
        agent_id = contact.agent
        self._release(contact, drop, now)
        self._tell(contact.uuid, NewsKind.WITHDRAWN, agent_id)
        self._wait(contact)
        self._tell(contact.uuid, NewsKind.REQUEUED)

    def _end(self, contact: TextContact, drop: agent_fsm.DropText | None, now: float) -> None:
        """The conversation is over: answered if an agent ever accepted it, else abandoned."""
        assert contact.entry is not None
        agent = contact.agent
        if drop is not None:
            self._release(contact, drop, now)
        contact.agent = agent if contact.connected_at is not None else None  # who answered, for the history
        self.waiting.get(contact.entry.queue, {}).pop(contact.uuid, None)
        self.core.router.remove_call(contact.uuid)
        self.core.store.remove_entry(contact.entry.queue, contact.uuid)
        contact.move_to(Phase.ENDED)
        del self.contacts[contact.uuid]
        outcome: Outcome = "answered" if contact.connected_at is not None else "abandoned"
        if contact.connected_at is not None:
            self.core.stats.handled(contact.entry.queue, now - contact.connected_at, contact.entry.channel)
        else:
            self.core.stats.abandoned(contact.entry.queue, now - contact.queued_at, contact.entry.channel)
        self.core.record(text_contact_record(contact, outcome, now))
        log.info("%s %s ended (%s)", contact.CHANNEL.value, contact.uuid, outcome)
        self._tell(contact.uuid, NewsKind.ENDED, agent)

    # ----------------------------------------------------------------- restart
    def restore(self, entries: Iterable[QueueEntry], now: float, adoptable: Callable[[str], bool]) -> None:
        """Text entries in the store that are this controller's (a previous run's under the same id) or
        ``adoptable`` (their controller is gone), and not known here: each is with the agent whose record holds it
        (offered or accepted), or waits at its place. An adopted entry is rewritten as this controller's. Each is
        told as news (requeued, offered or connected), so that a chat service here takes up the conversation."""
        holders = {held.contact: (agent, held) for agent in self.core.agents.values() for held in agent.texts}
        for entry in in_order(entries):
            known = entry.call in self.contacts or entry.queue not in self.core.config.queues
            if entry.channel is Channel.VOICE or known:
                continue
            if entry.owner != self.core.owner:
                if not adoptable(entry.owner):
                    continue  # another live controller's
                log.warning("%s %s: taken over from controller %s", entry.channel.value, entry.call,
                            entry.owner or "(unnamed)")
                entry = replace(entry, owner=self.core.owner)
                self.core.store.add_entry(entry)
            customer = Customer(name=entry.caller_name, phone=entry.caller_number)
            contact = TextContact(uuid=entry.call, caller_number=entry.caller_number, caller_name=entry.caller_name,
                                  destination=entry.queue, arrived_at=entry.enqueued_at, entry=entry,
                                  queued_at=entry.enqueued_at, customer=customer)
            self.contacts[entry.call] = contact
            log.info("%s %s taken back from the store (queue %s)", entry.channel.value, entry.call, entry.queue)
            holder = holders.get(entry.call)
            if holder is None:
                self._wait(contact)
                self._tell(entry.call, NewsKind.REQUEUED)
                continue
            agent, held = holder
            contact.agent = agent.id
            contact.move_to(Phase.OFFERING)
            if held.phase is HeldPhase.OFFERED:
                contact.offered_at = now  # a fresh deadline: the agent's screen may have missed the offer
                self._tell(entry.call, NewsKind.OFFERED, agent.id)
            else:
                contact.move_to(Phase.CONNECTED)
                contact.connected_at = held.since
                self._tell(entry.call, NewsKind.CONNECTED, agent.id)

    # ----------------------------------------------------------------- views
    def status(self, contact_id: str, now: float) -> TextStatus:
        contact = self.contacts.get(contact_id)
        if contact is None:
            raise UnknownNameError(f"no text contact '{contact_id}'")
        queue = self._queue(contact)
        position = None
        if contact.phase is Phase.QUEUED and contact.entry is not None:
            aging = self.core.config.queues[queue].aging_s  # the queue's own order; one pass, no sort: customers ask
            mine = queue_key(contact.entry, aging)  # often and queues can be long
            position = 1 + sum(1 for entry in self.waiting.get(queue, {}).values() if queue_key(entry, aging) < mine)
        unanswered = now - contact.unanswered_since if contact.unanswered_since is not None else None
        return TextStatus(contact_id, _STATUS[contact.phase], queue, contact.agent, position, contact.customer,
                          unanswered)

    def of_agent(self, agent_id: str, now: float) -> list[TextStatus]:
        if agent_id not in self.core.agents:
            raise UnknownNameError(f"unknown agent '{agent_id}'")
        return [self.status(held.contact, now) for held in self.core.agents[agent_id].texts
                if held.contact in self.contacts]

    @staticmethod
    def _queue(contact: TextContact) -> str:
        assert contact.entry is not None
        return contact.entry.queue
