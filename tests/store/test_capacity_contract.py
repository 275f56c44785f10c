"""Reserving an agent's capacity, one contract for every store: the capacity model's decision made atomically
against the contacts the store holds, also with many greenlets racing and with two controllers on one Redis."""

from __future__ import annotations

import itertools
import uuid
from collections.abc import Callable

import gevent
import gevent.event
import pytest
import redis

from ccswitch.acd import VOICE_ONLY, AgentCapacity, Channel, Held, Phase
from ccswitch.acd.capacity import used
from ccswitch.errors import StoreError
from ccswitch.store import RedisStore, Store

ONE_CALL_OR_THREE_CHATS = AgentCapacity(3, {Channel.VOICE: 3, Channel.CHAT: 1})
CHAT, VOICE = Channel.CHAT, Channel.VOICE


def test_given_room_for_three_chats_then_three_are_held_and_a_fourth_refused(store: Store) -> None:
    assert [store.reserve_contact("1001", f"chat-{n}", CHAT, ONE_CALL_OR_THREE_CHATS) for n in range(4)] == [
        True, True, True, False]
    assert store.held_contacts("1001") == {f"chat-{n}": Held(CHAT, Phase.OFFERED) for n in range(3)}


def test_given_the_default_capacity_then_one_call_at_a_time(store: Store) -> None:
    assert store.reserve_contact("1001", "call-1", VOICE, VOICE_ONLY)
    assert not store.reserve_contact("1001", "call-2", VOICE, VOICE_ONLY)
    assert not store.reserve_contact("1001", "chat-1", CHAT, VOICE_ONLY)  # not handled


def test_reserving_a_contact_held_already_succeeds_and_adds_nothing(store: Store) -> None:
    assert store.reserve_contact("1001", "call-1", VOICE, VOICE_ONLY)
    assert store.reserve_contact("1001", "call-1", VOICE, VOICE_ONLY)
    assert list(store.held_contacts("1001")) == ["call-1"]


def test_given_a_chat_held_then_no_call_until_it_is_released(store: Store) -> None:
    assert store.reserve_contact("1001", "chat-1", CHAT, ONE_CALL_OR_THREE_CHATS)
    assert not store.reserve_contact("1001", "call-1", VOICE, ONE_CALL_OR_THREE_CHATS)
    assert store.release_contact("1001", "chat-1")
    assert not store.release_contact("1001", "chat-1")
    assert store.reserve_contact("1001", "call-1", VOICE, ONE_CALL_OR_THREE_CHATS)
    assert not store.reserve_contact("1001", "chat-2", CHAT, ONE_CALL_OR_THREE_CHATS)


def test_given_a_call_in_wrap_up_then_chats_may_be_reserved_beside_it(store: Store) -> None:
    store.reserve_contact("1001", "call-1", VOICE, ONE_CALL_OR_THREE_CHATS)
    assert store.set_contact_phase("1001", "call-1", Phase.ACTIVE)
    assert not store.reserve_contact("1001", "chat-1", CHAT, ONE_CALL_OR_THREE_CHATS)
    assert store.set_contact_phase("1001", "call-1", Phase.WRAP_UP)
    assert store.reserve_contact("1001", "chat-1", CHAT, ONE_CALL_OR_THREE_CHATS)
    assert store.held_contacts("1001") == {"call-1": Held(VOICE, Phase.WRAP_UP), "chat-1": Held(CHAT, Phase.OFFERED)}


def test_moving_a_contact_not_held_changes_nothing(store: Store) -> None:
    assert not store.set_contact_phase("1001", "call-1", Phase.ACTIVE)
    assert store.held_contacts("1001") == {}


def test_agents_hold_their_contacts_apart(store: Store) -> None:
    assert store.reserve_contact("1001", "call-1", VOICE, VOICE_ONLY)
    assert store.reserve_contact("1002", "call-2", VOICE, VOICE_ONLY)
    assert store.release_contact("1001", "call-1")
    assert store.held_contacts("1002") == {"call-2": Held(VOICE, Phase.OFFERED)}
    assert not store.release_contact("1002", "call-1")


# --- parallel reservations ---

def race(stores: list[Store], racers: int, attempt: Callable[[Store, int], bool]) -> list[int]:
    """Start ``racers`` greenlets together, the n-th on ``stores[n % len(stores)]``; the ones whose attempt won."""
    start = gevent.event.Event()

    def run(n: int) -> bool:
        start.wait(timeout=5)
        return attempt(stores[n % len(stores)], n)

    greenlets = [gevent.spawn(run, n) for n in range(racers)]
    start.set()
    gevent.joinall(greenlets, timeout=20, raise_error=True)
    assert all(greenlet.ready() for greenlet in greenlets)
    return [n for n, greenlet in enumerate(greenlets) if greenlet.value]


def reserve_chat(store: Store, n: int) -> bool:
    return store.reserve_contact("1001", f"chat-{n}", CHAT, ONE_CALL_OR_THREE_CHATS)


def test_given_many_greenlets_racing_for_chats_then_exactly_the_capacity_is_reserved(
        store: Store) -> None:
    assert len(race([store], 30, reserve_chat)) == 3
    assert len(store.held_contacts("1001")) == 3


def test_given_two_controllers_racing_for_chats_then_exactly_the_capacity_is_reserved(
        two_redis_clients: tuple[RedisStore, RedisStore]) -> None:
    winners = race(list(two_redis_clients), 30, reserve_chat)
    assert len(winners) == 3
    assert set(two_redis_clients[1].held_contacts("1001")) == {f"chat-{n}" for n in winners}


def test_given_two_controllers_racing_a_call_against_chats_then_never_both(
        two_redis_clients: tuple[RedisStore, RedisStore]) -> None:
    for round_ in range(5):
        call = f"call-{round_}"

        def reserve(store: Store, n: int, call: str = call, caller: int = round_) -> bool:
            if n == caller:  # the call starts at a different place in the crowd each round
                return store.reserve_contact("1001", call, VOICE, ONE_CALL_OR_THREE_CHATS)
            return reserve_chat(store, n)

        winners = race(list(two_redis_clients), 12, reserve)
        held = two_redis_clients[0].held_contacts("1001")
        assert (set(held) == {call}) if round_ in winners else (len(held) == 3 and call not in held)
        for contact in held:
            two_redis_clients[0].release_contact("1001", contact)


def test_given_two_controllers_reserving_and_releasing_then_the_capacity_is_never_exceeded(
        two_redis_clients: tuple[RedisStore, RedisStore]) -> None:
    contacts = itertools.count()
    seen: list[int] = []

    def churn(store: Store, n: int) -> bool:
        for _ in range(10):
            contact = f"contact-{next(contacts)}"
            channel = VOICE if n % 5 == 0 else CHAT
            if store.reserve_contact("1001", contact, channel, ONE_CALL_OR_THREE_CHATS):
                held = store.held_contacts("1001").values()
                seen.append(used(ONE_CALL_OR_THREE_CHATS, held))
                gevent.sleep(0)
                assert store.release_contact("1001", contact)
        return True

    race(list(two_redis_clients), 20, churn)
    assert seen and max(seen) <= ONE_CALL_OR_THREE_CHATS.total
    assert two_redis_clients[0].held_contacts("1001") == {}


def test_given_a_corrupt_held_contact_then_store_error(redis_url: str) -> None:
    prefix = f"test:{uuid.uuid4().hex}:"
    store = RedisStore(redis_url, prefix)
    client = redis.Redis.from_url(redis_url)
    try:
        client.hset(f"{prefix}held:1001", "call-1", '{"channel": "fax", "phase": "active"}')
        with pytest.raises(StoreError, match="corrupt held contact"):
            store.reserve_contact("1001", "chat-1", CHAT, ONE_CALL_OR_THREE_CHATS)
    finally:
        client.close()
        store.close()
