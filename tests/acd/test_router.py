"""The incremental Router against the reference planner: random centres driven through random event sequences
(calls arriving and leaving, agents freed, delayed, busy, time passing so tier levels open) must get exactly
the same dispatches, step by step; plus the Router's own bookkeeping."""

from __future__ import annotations

import random
from dataclasses import replace

import pytest

from ccswitch.acd import (
    STRATEGIES,
    Agent,
    AgentState,
    Dispatch,
    Member,
    QueueEntry,
    QueueRules,
    Router,
    plan_dispatches,
)
from ccswitch.acd.agents import Login, apply, new_agent
from ccswitch.acd.capacity import DEFAULT_OFFER_DURING, VOICE_ONLY, AgentCapacity, Channel, handling
from ccswitch.errors import UnknownNameError

SKILLS = ("en", "de", "billing")
ONE_CALL_OR_THREE_CHATS = AgentCapacity(3, {Channel.VOICE: 3, Channel.CHAT: 1})
CHAT_ONLY = AgentCapacity(2, {Channel.CHAT: 1})
CALL_BESIDE_CHATS = AgentCapacity(4, {Channel.VOICE: 2, Channel.CHAT: 1},
                                  {**DEFAULT_OFFER_DURING, Channel.VOICE: handling(Channel.CHAT)})
CAPACITIES = (VOICE_ONLY, ONE_CALL_OR_THREE_CHATS, CHAT_ONLY, CALL_BESIDE_CHATS)


class Centre:
    """A random centre and the model state the reference plans from."""

    def __init__(self, rng: random.Random, channels: bool = False) -> None:
        self.rng = rng
        self.channels = channels
        self.now = 1000.0
        self.queues = [f"q{n}" for n in range(rng.randint(1, 3))]
        self.rules = {
            queue: QueueRules(
                strategy=rng.choice(sorted(STRATEGIES)),
                aging_s=rng.choice([None, 10.0, 45.0]),
                tier_rules_apply=rng.random() < 0.5,
                tier_wait_s=rng.choice([0, 10, 25]),
                tier_wait_multiply_level=rng.random() < 0.5,
            )
            for queue in self.queues
        }
        agent_ids = [f"a{n}" for n in range(rng.randint(1, 9))]
        self.members = {
            queue: [Member(a, rng.randint(1, 3), rng.randint(1, 5)) for a in agent_ids if rng.random() < 0.6]
            for queue in self.queues
        }
        self.skills = {
            a: {skill: rng.randint(1, 3) for skill in SKILLS if rng.random() < 0.6} for a in agent_ids
        }
        self.capacity = {a: rng.choice(CAPACITIES) for a in agent_ids} if channels else {}
        state = [AgentState.AVAILABLE, AgentState.ON_CALL, AgentState.ON_BREAK, AgentState.LOGGED_OUT]
        state += [AgentState.WRAP_UP] if channels else []
        self.agents = {a: self.agent(a, rng.choice(state)) for a in agent_ids}
        self.waiting: dict[str, list[QueueEntry]] = {queue: [] for queue in self.queues}
        self.pointers: dict[str, str] = {}
        self.seq = 0

    def agent(self, agent_id: str, state: AgentState, **changes: object) -> Agent:
        rng = self.rng
        return replace(
            Agent(id=agent_id, state=state, since=self.now, idle_since=self.now - rng.randint(0, 3)),
            calls_handled=rng.randint(0, 3),
            talk_time_s=float(rng.randint(0, 3) * 60),
            **changes,  # type: ignore[arg-type]
        )

    def new_call(self) -> QueueEntry:
        self.seq += 1
        skills = {skill: self.rng.randint(1, 3) for skill in SKILLS if self.rng.random() < 0.3}
        queue = self.rng.choice(self.queues)
        at = self.now - self.rng.choice([0, 0, 5, 30])
        channel = self.rng.choice([Channel.VOICE, Channel.CHAT]) if self.channels else Channel.VOICE
        call = QueueEntry(f"c{self.seq}", queue, self.rng.randint(0, 2), at, self.seq, skills=skills,
                          channel=channel)
        self.waiting[queue].append(call)
        return call

    def plan(self) -> tuple[list[Dispatch], dict[str, str]]:
        return plan_dispatches(
            self.waiting, self.agents, self.members, self.now, self.rules, self.skills, self.pointers, self.capacity
        )


@pytest.mark.parametrize("channels", [False, True], ids=["voice", "voice-and-chat"])
@pytest.mark.parametrize("seed", range(300))
def test_router_decides_exactly_like_the_reference(seed: int, channels: bool) -> None:
    rng = random.Random(seed)
    centre = Centre(rng, channels)
    router = Router(centre.members, centre.rules, centre.skills, centre.capacity)
    for each in centre.agents.values():
        router.update_agent(each)
    for _ in range(60):
        action = rng.choice(["call", "call", "free", "busy", "abandon", "time", "time", "hand-back"])
        if action == "call":
            router.add_call(centre.new_call())
        elif action == "free":
            agent_id = rng.choice(sorted(centre.agents))
            delay = rng.choice([0, 0, 0, 7])
            state = rng.choice([AgentState.AVAILABLE, AgentState.WRAP_UP]) if channels else AgentState.AVAILABLE
            freed = centre.agent(agent_id, state, not_before=centre.now + delay)
            centre.agents[agent_id] = freed
            router.update_agent(freed)
        elif action == "busy":
            agent_id = rng.choice(sorted(centre.agents))
            old = centre.agents[agent_id]
            busy = rng.choice([replace(old, direct_calls=1), replace(old, state=AgentState.ON_BREAK)])
            centre.agents[agent_id] = busy
            router.update_agent(busy)
        elif action == "abandon":
            calls = [call for entries in centre.waiting.values() for call in entries]
            if calls:
                gone = rng.choice(calls)
                centre.waiting[gone.queue].remove(gone)
                router.remove_call(gone.call)
        elif action == "time":
            centre.now += rng.choice([1, 4, 11, 30])
        expected, pointers = centre.plan()
        assert router.next_offers(centre.now) == expected
        assert router.last_offered == pointers
        centre.pointers = pointers
        for dispatch in expected:
            centre.waiting[dispatch.entry.queue].remove(dispatch.entry)
            for agent_id in dispatch.agents:
                reserved = replace(centre.agents[agent_id], state=AgentState.RESERVED, call=dispatch.entry.call)
                centre.agents[agent_id] = reserved
                router.update_agent(reserved)
            if action == "hand-back":  # the offer failed: the call returns to its place
                handed_back = replace(dispatch.entry, attempts=dispatch.entry.attempts + 1)
                centre.waiting[handed_back.queue].append(handed_back)
                router.add_call(handed_back)
        assert router.waiting_count == sum(len(entries) for entries in centre.waiting.values())


def available(agent_id: str, idle_since: float = 0.0, not_before: float = 0.0) -> Agent:
    return Agent(id=agent_id, state=AgentState.AVAILABLE, since=idle_since, idle_since=idle_since,
                 not_before=not_before)


def call(name: str, at: float = 0.0, queue: str = "q") -> QueueEntry:
    return QueueEntry(name, queue, 0, at, int(at))


def test_a_delayed_agent_is_offered_a_call_when_the_delay_ends() -> None:
    router = Router({"q": ["a"]})
    router.update_agent(available("a", not_before=50))
    router.add_call(call("x"))
    assert router.next_offers(49.9) == []
    assert router.next_offers(50) == [Dispatch(call("x"), ("a",))]


def test_a_tier_level_opens_on_time_without_any_other_event() -> None:
    router = Router({"q": [Member("gold", 1), Member("silver", 2)]}, {"q": QueueRules(tier_rules_apply=True,
                                                                                        tier_wait_s=20)})
    router.update_agent(available("silver"))
    router.add_call(call("x", at=100))
    assert router.next_offers(119) == []
    assert router.next_offers(120) == [Dispatch(call("x", at=100), ("silver",))]


def test_dispatched_agents_and_calls_leave_until_reported_again() -> None:
    router = Router({"q": ["a"]})
    router.update_agent(available("a"))
    router.add_call(call("x"))
    router.add_call(call("y", at=1))
    assert [d.entry.call for d in router.next_offers(5)] == ["x"]
    assert router.next_offers(6) == []  # a is taken until the engine reports them
    assert router.waiting_count == 1
    router.update_agent(available("a", idle_since=6))  # e.g. the reservation failed in the store
    assert [d.entry.call for d in router.next_offers(6)] == ["y"]


def test_removed_calls_are_not_offered() -> None:
    router = Router({"q": ["a"]})
    router.add_call(call("x"))
    router.add_call(call("y", at=1))
    assert router.next_offers(2) == []
    router.remove_call("x")
    router.update_agent(available("a"))
    assert [d.entry.call for d in router.next_offers(3)] == ["y"]


def test_an_agent_kept_for_a_campaigns_lines_takes_only_its_people_until_released() -> None:
    router = Router({"q": ["a", "b"]})
    router.update_agent(available("a"))
    router.update_agent(available("b", idle_since=1))
    router.keep_for_outbound(frozenset({"a", "b"}))
    router.add_call(call("inbound"))
    assert router.next_offers(2) == []  # kept: not for an inbound call
    person = replace(call("person", at=3), priority=100, outbound=True)
    router.add_call(person)
    assert router.next_offers(3) == [Dispatch(person, ("a",))]  # the longest idle kept agent, as ever
    router.keep_for_outbound(frozenset())  # released: settled again, as if newly free
    assert router.next_offers(4) == [Dispatch(call("inbound"), ("b",))]


def test_a_kept_agent_proposes_a_person_queued_behind_older_inbound_calls() -> None:
    # Aging puts the old inbound calls first in the queue's order; the kept agent still finds the person.
    router = Router({"q": ["a"]}, {"q": QueueRules(aging_s=10.0)})
    router.add_call(call("old", at=0))
    person = replace(call("person", at=100), outbound=True)
    router.add_call(person)
    router.keep_for_outbound(frozenset({"a"}))
    router.update_agent(available("a"))
    assert router.next_offers(100) == [Dispatch(person, ("a",))]
    router.keep_for_outbound(frozenset({"a", "stranger"}))  # an agent the router does not know changes nothing
    router.keep_for_outbound(frozenset())


def test_agents_outside_every_queue_are_ignored_and_unknown_queues_refused() -> None:
    router = Router({"q": ["a"]})
    router.update_agent(available("stranger"))
    router.add_call(call("x"))
    assert router.next_offers(1) == []
    with pytest.raises(UnknownNameError, match="unknown queue 'nope'"):
        router.add_call(call("z", queue="nope"))


def test_an_agent_in_two_queues_takes_the_more_urgent_call() -> None:
    router = Router({"sales": ["a"], "support": ["a"]})
    router.add_call(call("late", at=5, queue="sales"))
    router.add_call(call("early", at=3, queue="support"))
    assert router.next_offers(10) == []
    router.update_agent(available("a"))
    assert [d.entry.call for d in router.next_offers(10)] == ["early"]


def test_given_an_agent_logged_in_to_one_of_their_queues_then_only_its_calls_are_offered() -> None:
    router = Router({"sales": ["1001"], "support": ["1001"]})
    agent = apply(new_agent("1001", 0.0), Login(queues=("sales",)), 0.0)
    router.update_agent(agent)
    router.add_call(QueueEntry("support-call", "support", 0, 0.0, 1))
    assert router.next_offers(1.0) == []
    router.add_call(QueueEntry("sales-call", "sales", 0, 1.0, 2))
    (offer,) = router.next_offers(2.0)
    assert offer.entry.call == "sales-call" and offer.agents == ("1001",)


def contact(name: str, channel: Channel, at: float) -> QueueEntry:
    return QueueEntry(name, "q", 0, at, int(at), channel=channel)


def offers(agent: Agent, capacity: AgentCapacity, *entries: QueueEntry) -> list[tuple[str, tuple[str, ...]]]:
    router = Router({"q": [agent.id]}, capacity={agent.id: capacity})
    router.update_agent(agent)
    for entry in entries:
        router.add_call(entry)
    return [(dispatch.entry.call, dispatch.agents) for dispatch in router.next_offers(100.0)]


@pytest.mark.parametrize(("chat_at", "call_at", "first"), [(5.0, 10.0, "chat"), (10.0, 5.0, "call")])
def test_an_agent_of_both_channels_is_offered_the_oldest_entry_whatever_its_channel(
        chat_at: float, call_at: float, first: str) -> None:
    entries = contact("chat", Channel.CHAT, chat_at), contact("call", Channel.VOICE, call_at)
    assert offers(available("a"), ONE_CALL_OR_THREE_CHATS, *entries) == [(first, ("a",))]


def test_an_agent_who_handles_voice_only_is_never_offered_an_older_chat() -> None:
    entries = contact("chat", Channel.CHAT, 1.0), contact("call", Channel.VOICE, 9.0)
    assert offers(available("a"), VOICE_ONLY, *entries) == [("call", ("a",))]


def test_a_chat_only_agent_is_never_offered_an_older_call() -> None:
    entries = contact("call", Channel.VOICE, 1.0), contact("chat", Channel.CHAT, 9.0)
    assert offers(available("a"), CHAT_ONLY, *entries) == [("chat", ("a",))]


def test_an_agent_in_wrap_up_after_a_call_is_offered_a_chat_but_not_the_older_call() -> None:
    in_wrap_up = replace(available("a"), state=AgentState.WRAP_UP)
    entries = contact("call", Channel.VOICE, 1.0), contact("chat", Channel.CHAT, 9.0)
    assert offers(in_wrap_up, ONE_CALL_OR_THREE_CHATS, *entries) == [("chat", ("a",))]
    assert offers(in_wrap_up, VOICE_ONLY, *entries) == []


def test_an_agent_on_a_call_is_offered_nothing_even_with_room_left_for_chats() -> None:
    on_call = replace(available("a"), state=AgentState.ON_CALL, call="x")
    assert offers(on_call, CALL_BESIDE_CHATS, contact("chat", Channel.CHAT, 1.0)) == []
