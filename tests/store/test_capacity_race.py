"""An agent's capacity under racing offers, on every store: the agent state machine refuses an offer beyond the
capacity and the store's compare-and-set refuses a decision taken on a stale record, so however many offers race,
from greenlets or from two controllers on one Redis, the agent never holds more than their capacity allows."""

from __future__ import annotations

import itertools
from collections.abc import Callable

import gevent
import gevent.event

from ccswitch.acd import AgentCapacity, Channel, DropText, Login, Offer, OfferText, TextDrop, apply, new_agent
from ccswitch.acd.agents import AgentEvent
from ccswitch.acd.capacity import used
from ccswitch.errors import InvalidTransition
from ccswitch.store import RedisStore, Store

ONE_CALL_OR_THREE_CHATS = AgentCapacity(3, {Channel.VOICE: 3, Channel.CHAT: 1})
NOW = 1000.0


def logged_in(store: Store) -> None:
    store.put_agent(apply(new_agent("1001", NOW), Login(), NOW))


def offer(store: Store, event: AgentEvent) -> bool:
    """What the engine does for one offer: apply the event to the record as read, then compare-and-set; a lost
    race is decided again on the fresh record (the engine puts the entry back to the router, which does that)."""
    for _ in range(50):
        agent = store.get_agent("1001")
        assert agent is not None
        try:
            new = apply(agent, event, NOW)
        except InvalidTransition:
            return False
        if store.update_agent(agent, new) is not None:
            return True
    raise AssertionError("50 lost races in a row")


def race(stores: list[Store], racers: int, attempt: Callable[[Store, int], bool]) -> list[int]:
    """Start ``racers`` greenlets together, the n-th on ``stores[n % len(stores)]``; the ones whose attempt won."""
    start = gevent.event.Event()

    def run(n: int) -> bool:
        start.wait(timeout=5)
        gevent.sleep(0)
        return attempt(stores[n % len(stores)], n)

    greenlets = [gevent.spawn(run, n) for n in range(racers)]
    start.set()
    gevent.joinall(greenlets, timeout=20, raise_error=True)
    assert all(greenlet.ready() for greenlet in greenlets)
    return [n for n, greenlet in enumerate(greenlets) if greenlet.value]


def offer_chat(store: Store, n: int) -> bool:
    return offer(store, OfferText(f"chat-{n}", Channel.CHAT, ONE_CALL_OR_THREE_CHATS))


def test_given_many_greenlets_racing_chats_then_exactly_the_capacity_is_held(store: Store) -> None:
    logged_in(store)
    winners = race([store], 30, offer_chat)
    agent = store.get_agent("1001")
    assert agent is not None
    assert len(winners) == 3 and {text.contact for text in agent.texts} == {f"chat-{n}" for n in winners}


def test_given_two_controllers_racing_chats_then_exactly_the_capacity_is_held(
        two_redis_clients: tuple[RedisStore, RedisStore]) -> None:
    logged_in(two_redis_clients[0])
    winners = race(list(two_redis_clients), 30, offer_chat)
    agent = two_redis_clients[1].get_agent("1001")
    assert agent is not None
    assert len(winners) == 3 and {text.contact for text in agent.texts} == {f"chat-{n}" for n in winners}


def test_given_two_controllers_racing_a_call_against_chats_then_never_both(
        two_redis_clients: tuple[RedisStore, RedisStore]) -> None:
    first, second = two_redis_clients
    for round_ in range(5):
        first.put_agent(apply(new_agent("1001", NOW), Login(), NOW))

        def attempt(store: Store, n: int, caller: int = round_) -> bool:
            if n == caller:  # the call starts at a different place in the crowd each round
                return offer(store, Offer(f"call-{caller}", ONE_CALL_OR_THREE_CHATS))
            return offer_chat(store, n)

        winners = race([first, second], 12, attempt)
        agent = second.get_agent("1001")
        assert agent is not None
        if round_ in winners:
            assert agent.call == f"call-{round_}" and agent.texts == ()
        else:
            assert agent.call is None and len(agent.texts) == 3


def test_given_two_controllers_offering_and_closing_then_the_capacity_is_never_exceeded(
        two_redis_clients: tuple[RedisStore, RedisStore]) -> None:
    logged_in(two_redis_clients[0])
    contacts = itertools.count()
    seen: list[int] = []

    def churn(store: Store, _n: int) -> bool:
        for _ in range(10):
            contact = f"chat-{next(contacts)}"
            if offer(store, OfferText(contact, Channel.CHAT, ONE_CALL_OR_THREE_CHATS)):
                agent = store.get_agent("1001")
                assert agent is not None
                seen.append(used(ONE_CALL_OR_THREE_CHATS, agent.held()))
                gevent.sleep(0)
                assert offer(store, DropText(contact, TextDrop.CLOSED))
        return True

    race(list(two_redis_clients), 20, churn)
    assert seen and max(seen) <= 3
    agent = two_redis_clients[0].get_agent("1001")
    assert agent is not None and agent.texts == ()
