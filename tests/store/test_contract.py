"""One contract, two stores: every test here runs against MemoryStore and a real Redis, and against a real Redis
behind the ResilientStore the controller puts in front of it (which passes everything through while Redis
answers): the ``store`` fixture (conftest)."""

from __future__ import annotations

import math
import uuid
from collections.abc import Callable
from dataclasses import replace

import gevent
import gevent.event
import pytest
import redis

from ccswitch.acd import (
    Agent,
    AgentState,
    Channel,
    HeldText,
    Offer,
    Phase,
    QueueEntry,
    apply,
    new_agent,
)
from ccswitch.dialer import CampaignRun, DialOutcome, Lead, LeadState, RunCommand, RunState, apply_command, new_run
from ccswitch.errors import InvalidTransition, StoreError, StoreUnavailable
from ccswitch.store import MemoryStore, RedisStore, Store, open_store

from .redis_server import RedisServer, free_port

NOW = 1_712_345_678.123456  # more digits than a float32 or Lua's cjson would keep


def available(agent_id: str) -> Agent:
    return Agent(id=agent_id, state=AgentState.AVAILABLE, since=NOW, idle_since=NOW - 10)


def entry(call: str, queue: str = "support", priority: int = 0, at: float = NOW, seq: int = 0) -> QueueEntry:
    return QueueEntry(call=call, queue=queue, priority=priority, enqueued_at=at, seq=seq)


# --- agents ---


def test_given_empty_store_when_get_agent_then_none(store: Store) -> None:
    assert store.get_agent("1001") is None
    assert store.agents() == []


@pytest.mark.parametrize("state", list(AgentState))
def test_put_then_get_round_trips_every_field(store: Store, state: AgentState) -> None:
    agent = Agent(
        id="1001",
        state=state,
        since=NOW,
        break_reason="lunch",
        call="5f0c-caller",
        missed_in_row=2,
        wrap_until=NOW + 30.000001,
        idle_since=NOW - 0.000001,
        calls_handled=7,
        queues=("sales", "support"),
        texts=(HeldText("chat-1", Channel.CHAT, Phase.ACTIVE, NOW - 3.000001),
               HeldText("chat-2", Channel.CHAT, Phase.OFFERED, NOW)),
    )
    stored = store.put_agent(agent)
    assert stored == replace(agent, version=1)
    assert store.get_agent("1001") == stored
    assert store.agents() == [stored]


def test_every_put_bumps_the_version(store: Store) -> None:
    store.put_agent(new_agent("1001", NOW))
    assert store.put_agent(new_agent("1001", NOW)).version == 2
    store.put_agent(new_agent("1002", NOW))
    assert sorted((agent.id, agent.version) for agent in store.agents()) == [("1001", 2), ("1002", 1)]


def test_given_current_version_when_update_then_stored_with_next_version(store: Store) -> None:
    old = store.put_agent(available("1001"))
    new = apply(old, Offer("call-1"), NOW + 1)
    stored = store.update_agent(old, new)
    assert stored == replace(new, version=old.version + 1)
    assert store.get_agent("1001") == stored


def test_given_two_writers_from_one_version_when_both_update_then_exactly_one_wins(store: Store) -> None:
    old = store.put_agent(available("1001"))
    first = store.update_agent(old, apply(old, Offer("call-1"), NOW))
    second = store.update_agent(old, apply(old, Offer("call-2"), NOW))
    assert first is not None and first.call == "call-1"
    assert second is None
    assert store.get_agent("1001") == first


def test_given_stale_copy_after_put_when_update_then_refused(store: Store) -> None:
    old = store.put_agent(available("1001"))
    store.put_agent(old)
    assert store.update_agent(old, apply(old, Offer("call-1"), NOW)) is None


def test_missing_agent_counts_as_version_zero(store: Store) -> None:
    fresh = new_agent("1001", NOW)
    assert store.update_agent(replace(fresh, version=3), fresh) is None
    created = store.update_agent(fresh, fresh)
    assert created == replace(fresh, version=1)
    assert store.update_agent(fresh, fresh) is None  # a second creator loses


def test_restoring_a_lost_agent_keeps_its_version_and_the_newest_restored_record_wins(store: Store) -> None:
    reserved = replace(apply(available("1001"), Offer("call-1"), NOW), version=7)  # a stale view: version 7
    on_call = replace(available("1001"), state=AgentState.ON_CALL, call="call-1", version=8)  # the fresher one
    assert store.restore_agent(reserved) == reserved  # lost: put back as it was, version included
    assert store.restore_agent(on_call) == on_call  # newer: replaces it
    assert store.restore_agent(reserved) == on_call  # older: the newer record stands, and is returned
    assert store.restore_agent(replace(reserved, version=8)) == on_call  # equal: the stored one stands
    assert store.get_agent("1001") == on_call
    wrapping_up = store.update_agent(on_call, replace(on_call, state=AgentState.WRAP_UP))
    assert wrapping_up is not None and wrapping_up.version == 9  # compare-and-set goes on from 8


def test_update_refuses_to_mix_two_agents(store: Store) -> None:
    old = store.put_agent(available("1001"))
    with pytest.raises(ValueError, match="1002"):
        store.update_agent(old, available("1002"))


# --- queue entries ---


def test_entries_come_back_in_queue_order(store: Store) -> None:
    late_vip = entry("late-vip", priority=5, at=NOW + 9, seq=9)
    first = entry("first", at=NOW, seq=1)
    same_tick = entry("same-tick", at=NOW, seq=2)
    later = entry("later", at=NOW + 0.000001, seq=3)
    for each in (later, same_tick, late_vip, first):
        store.add_entry(each)
    assert store.entries("support") == [late_vip, first, same_tick, later]


def test_all_entries_groups_by_queue_and_omits_empty_queues(store: Store) -> None:
    support = [entry("a", seq=1), entry("b", seq=2)]
    sales = entry("c", queue="sales", seq=3)
    for each in (support[1], sales, support[0]):
        store.add_entry(each)
    assert store.all_entries() == {"support": support, "sales": [sales]}
    assert store.remove_entry("sales", "c")
    assert store.all_entries() == {"support": support}
    assert store.entries("sales") == []


def test_given_entry_handed_back_when_added_again_then_replaced_in_its_original_place(store: Store) -> None:
    first, second = entry("first", seq=1), entry("second", at=NOW + 1, seq=2)
    store.add_entry(first)
    store.add_entry(second)
    assert store.remove_entry("support", "first")
    handed_back = replace(first, attempts=1)
    store.add_entry(handed_back)
    store.add_entry(handed_back)
    assert store.entries("support") == [handed_back, second]


def test_remove_entry_reports_whether_it_was_there(store: Store) -> None:
    store.add_entry(entry("a"))
    assert not store.remove_entry("sales", "a")
    assert store.remove_entry("support", "a")
    assert not store.remove_entry("support", "a")


def test_next_seq_increases(store: Store) -> None:
    numbers = [store.next_seq() for _ in range(5)]
    assert numbers == sorted(set(numbers))


def test_ping_and_close(store: Store) -> None:
    store.ping()
    store.close()


# --- campaign leads and runs ---


def lead(phone: str, campaign: str = "promo") -> Lead:
    return Lead(campaign, phone)


def test_given_no_leads_then_none(store: Store) -> None:
    assert store.leads("promo") == []
    assert store.get_lead("promo", "+79161234567") is None


def test_put_leads_adds_in_import_order_with_version_1_and_returns_them_as_stored(store: Store) -> None:
    added = store.put_leads("promo", [lead("300"), lead("100"), lead("200")])

    stored = store.leads("promo")
    assert [(each.phone, each.version) for each in stored] == [("300", 1), ("100", 1), ("200", 1)]
    assert added == stored
    assert store.get_lead("promo", "100") == stored[1]


def test_lead_round_trips_every_field(store: Store) -> None:
    store.put_leads("promo", [Lead("promo", "+79161234567", name="Анна Петрова", timezone="Asia/Vladivostok",
                                   extra=(("city", "Владивосток"), ("plan", "")))])
    (stored,) = store.leads("promo")
    progressed = replace(stored, state=LeadState.RETRY, attempts=2, next_at=NOW + 3600.000001, call="leg-1",
                         last_outcome=DialOutcome.ABANDONED, abandoned_at=NOW, disposition="callback")

    written = store.update_lead(stored, progressed)

    assert written == replace(progressed, version=2)
    assert store.get_lead("promo", "+79161234567") == written
    assert store.leads("promo") == [written]


def test_given_leads_stored_when_imported_again_then_progress_kept_and_only_new_ones_added(store: Store) -> None:
    store.put_leads("promo", [lead("100"), lead("200")])
    first = store.get_lead("promo", "100")
    assert first is not None
    done = store.update_lead(first, replace(first, state=LeadState.DONE, attempts=1, disposition="sale"))

    added = store.put_leads("promo", [lead("200"), lead("300"), lead("100")])

    assert [each.phone for each in store.leads("promo")] == ["100", "200", "300"]
    assert added == [store.get_lead("promo", "300")] and added[0].version == 1
    assert store.get_lead("promo", "100") == done


def test_an_import_in_batches_returns_each_batchs_new_leads_and_stores_them_in_file_order(store: Store) -> None:
    phones = [f"7900{n:07}" for n in range(12)]
    store.put_leads("promo", [lead(phones[0])])

    returned = [store.put_leads("promo", [lead(phone) for phone in phones[start : start + 5]])
                for start in range(0, 12, 5)]

    assert [[each.phone for each in batch] for batch in returned] == [phones[1:5], phones[5:10], phones[10:]]
    assert [each.phone for each in store.leads("promo")] == phones
    assert [each for batch in returned for each in batch] == store.leads("promo")[1:]
    assert store.put_leads("promo", [lead(phone) for phone in phones]) == []


def test_a_number_twice_in_one_import_is_added_once(store: Store) -> None:
    added = store.put_leads("promo", [Lead("promo", "100", name="first"), Lead("promo", "100", name="second")])
    assert [each.name for each in added] == ["first"]
    assert [each.name for each in store.leads("promo")] == ["first"]


def test_large_import_keeps_its_order(store: Store) -> None:
    phones = [f"7900{n:07}" for n in range(2500, 0, -1)]
    added = store.put_leads("promo", [lead(phone) for phone in phones])
    assert [each.phone for each in added] == phones
    assert [each.phone for each in store.leads("promo")] == phones


def test_campaigns_keep_their_leads_apart(store: Store) -> None:
    store.put_leads("promo", [lead("100")])
    store.put_leads("winter", [lead("100", "winter"), lead("200", "winter")])

    assert [each.phone for each in store.leads("promo")] == ["100"]
    assert [each.phone for each in store.leads("winter")] == ["100", "200"]


def test_given_two_writers_from_one_lead_version_then_exactly_one_wins(store: Store) -> None:
    store.put_leads("promo", [lead("100")])
    old = store.get_lead("promo", "100")
    assert old is not None

    first = store.update_lead(old, replace(old, state=LeadState.DIALLING, attempts=1, call="leg-1"))
    second = store.update_lead(old, replace(old, state=LeadState.DIALLING, attempts=1, call="leg-2"))

    assert first is not None and first.call == "leg-1" and first.version == 2
    assert second is None
    assert store.get_lead("promo", "100") == first


def test_the_leads_being_dialled_are_found_as_they_go_in_and_out_of_dialling(store: Store) -> None:
    lost = replace(lead("300"), state=LeadState.DIALLING, attempts=1, call="leg-0")  # e.g. written back after an
    store.put_leads("promo", [lead("100"), lead("200"), lost])  # outage, dialling
    store.put_leads("winter", [replace(lead("100", "winter"), state=LeadState.DIALLING, call="leg-w")])
    assert [each.phone for each in store.dialling_leads("promo")] == ["300"]
    first, second = store.get_lead("promo", "100"), store.get_lead("promo", "200")
    assert first is not None and second is not None
    dialling = store.update_lead(first, replace(first, state=LeadState.DIALLING, attempts=1, call="leg-1"))
    assert store.update_lead(replace(second, version=9), replace(second, state=LeadState.DIALLING)) is None  # lost
    assert dialling is not None
    assert sorted(store.dialling_leads("promo"), key=lambda each: each.phone) == [dialling, store.get_lead(
        "promo", "300")]
    done = store.update_lead(dialling, replace(dialling, state=LeadState.DONE, call=None))
    assert done is not None
    assert [each.phone for each in store.dialling_leads("promo")] == ["300"]
    assert [each.phone for each in store.dialling_leads("winter")] == ["100"]
    assert store.dialling_leads("none") == []


def test_leads_read_a_page_at_a_time_are_every_lead_as_stored(store: Store) -> None:
    store.put_leads("promo", [lead(f"{100 + n}") for n in range(25)])
    store.put_leads("winter", [lead("100", "winter")])
    first = store.get_lead("promo", "103")
    assert first is not None
    dialling = store.update_lead(first, replace(first, state=LeadState.DIALLING, attempts=1, call="leg-1"))
    assert store.update_lead(lead("900"), lead("900")) is not None  # one not put (counts as version 0)
    read: dict[str, object] = {}
    cursor, pages = 0, 0
    while True:
        page, cursor = store.lead_page("promo", cursor, 7)
        read |= {each.phone: each for each in page}
        pages += 1
        if cursor == 0 or pages > 100:
            break
    assert pages <= 100  # it ends
    assert read == {each.phone: each for each in store.leads("promo")}
    assert read["103"] == dialling and "900" in read and len(read) == 26
    assert store.lead_page("none", 0, 7) == ([], 0)


def test_missing_lead_counts_as_version_zero(store: Store) -> None:
    fresh = lead("100")
    assert store.update_lead(replace(fresh, version=1), fresh) is None
    assert store.update_lead(fresh, fresh) == replace(fresh, version=1)
    assert store.update_lead(fresh, fresh) is None


def test_leads_of_another_campaign_or_number_are_refused(store: Store) -> None:
    with pytest.raises(ValueError, match="winter"):
        store.put_leads("promo", [lead("100"), lead("200", "winter")])
    with pytest.raises(ValueError, match="200"):
        store.update_lead(lead("100"), lead("200"))


def test_campaign_run_is_created_and_moved_by_compare_and_set(store: Store) -> None:
    assert store.get_campaign_run("promo") is None
    loaded = store.update_campaign_run(new_run("promo", NOW), new_run("promo", NOW))
    assert loaded == CampaignRun("promo", RunState.LOADED, NOW, version=1)

    running = store.update_campaign_run(loaded, apply_command(loaded, RunCommand.START, NOW + 1.000001))
    stale = store.update_campaign_run(loaded, apply_command(loaded, RunCommand.STOP, NOW + 2))

    assert running == CampaignRun("promo", RunState.RUNNING, NOW + 1.000001, version=2)
    assert stale is None
    assert store.get_campaign_run("promo") == running
    with pytest.raises(ValueError, match="winter"):
        store.update_campaign_run(running, new_run("winter", NOW))


# --- campaign answer ledger ---


def test_given_no_answers_then_none_and_nothing_to_trim(store: Store) -> None:
    assert store.answers("promo", -math.inf) == []
    assert store.trim_answers("promo", math.inf) == 0


def test_answers_come_back_oldest_first_with_exact_times(store: Store) -> None:
    store.add_answer("promo", NOW + 2.000001, False, "leg-3")
    store.add_answer("promo", NOW, True, "leg-1")
    store.add_answer("promo", NOW + 0.000001, False, "leg-2")

    assert store.answers("promo", -math.inf) == [(NOW, True), (NOW + 0.000001, False), (NOW + 2.000001, False)]


def test_given_equal_times_then_answers_are_ordered_by_call_uuid(store: Store) -> None:
    # "leg-10" sorts before "leg-1:…" as a Redis member, so this also checks the order is the calls'.
    for call, abandoned in (("leg-2", False), ("leg-10", True), ("leg-1", False)):
        store.add_answer("promo", NOW, abandoned, call)

    assert store.answers("promo", NOW) == [(NOW, False), (NOW, True), (NOW, False)]


def test_answers_since_includes_the_bound(store: Store) -> None:
    for offset, call in enumerate(("leg-1", "leg-2", "leg-3")):
        store.add_answer("promo", NOW + offset, offset == 1, call)

    assert store.answers("promo", NOW + 1) == [(NOW + 1, True), (NOW + 2, False)]
    assert store.answers("promo", math.nextafter(NOW + 1, math.inf)) == [(NOW + 2, False)]
    assert store.answers("promo", NOW + 3) == []


def test_given_a_call_written_again_then_counted_once_and_the_first_write_wins(store: Store) -> None:
    store.add_answer("promo", NOW, False, "leg-1")
    store.add_answer("promo", NOW, False, "leg-1")  # a retry
    store.add_answer("promo", NOW + 1, True, "leg-1")  # a confused second writer
    store.add_answer("promo", NOW - 1, True, "leg-1")

    assert store.answers("promo", -math.inf) == [(NOW, False)]


def test_trim_forgets_answers_before_the_bound_and_counts_them(store: Store) -> None:
    for offset, call in enumerate(("leg-1", "leg-2", "leg-3")):
        store.add_answer("promo", NOW + offset, True, call)

    assert store.trim_answers("promo", NOW + 1) == 1
    assert store.answers("promo", -math.inf) == [(NOW + 1, True), (NOW + 2, True)]
    assert store.trim_answers("promo", NOW + 1) == 0
    assert store.trim_answers("promo", math.inf) == 2
    assert store.answers("promo", -math.inf) == []


def test_campaigns_keep_their_answers_apart(store: Store) -> None:
    store.add_answer("promo", NOW, True, "leg-1")
    store.add_answer("winter", NOW + 1, False, "leg-1")
    store.add_answer("winter", NOW + 2, False, "leg-2")

    assert store.trim_answers("winter", NOW + 2) == 1
    assert store.answers("promo", -math.inf) == [(NOW, True)]
    assert store.answers("winter", -math.inf) == [(NOW + 2, False)]


def test_an_answer_needs_a_call_and_times_must_be_numbers(store: Store) -> None:
    with pytest.raises(ValueError, match="call"):
        store.add_answer("promo", NOW, False, "")
    with pytest.raises(ValueError, match="finite"):
        store.add_answer("promo", math.nan, False, "leg-1")
    with pytest.raises(ValueError, match="finite"):
        store.add_answer("promo", math.inf, False, "leg-1")
    with pytest.raises(ValueError, match="NaN"):
        store.answers("promo", math.nan)
    with pytest.raises(ValueError, match="NaN"):
        store.trim_answers("promo", math.nan)
    assert store.answers("promo", -math.inf) == []


# --- Redis only: sharing, races, failures ---


def test_given_two_controllers_then_they_share_state_and_one_seq(
    two_redis_clients: tuple[RedisStore, RedisStore],
) -> None:
    first, second = two_redis_clients
    stored = first.put_agent(available("1001"))
    first.add_entry(entry("a"))
    assert second.get_agent("1001") == stored
    assert second.entries("support") == [entry("a")]
    numbers = [client.next_seq() for client in (first, second, first, second)]
    assert numbers == sorted(set(numbers))


def test_given_many_greenlets_on_two_controllers_when_racing_to_reserve_one_agent_then_exactly_one_wins(
    two_redis_clients: tuple[RedisStore, RedisStore],
) -> None:
    racers = 20
    first, second = two_redis_clients
    first.put_agent(available("1001"))
    everyone_has_read = gevent.event.Event()
    reads: list[Agent] = []
    refused: list[str] = []

    def reserve(store: Store, call: str) -> bool:
        """What the engine does: read, decide, compare-and-set; on a lost race re-read and re-decide."""
        current = store.get_agent("1001")
        assert current is not None
        # Line every racer up on the same version before anyone writes, so all of them really race.
        reads.append(current)
        if len(reads) == racers:
            everyone_has_read.set()
        everyone_has_read.wait(timeout=5)
        while True:
            try:
                wanted = apply(current, Offer(call), NOW)
            except InvalidTransition:
                return False  # someone else reserved them
            if store.update_agent(current, wanted) is not None:
                return True
            refused.append(call)
            reloaded = store.get_agent("1001")
            assert reloaded is not None
            current = reloaded

    greenlets = [gevent.spawn(reserve, (first, second)[n % 2], f"call-{n}") for n in range(racers)]
    gevent.joinall(greenlets, timeout=10, raise_error=True)
    winners = [f"call-{n}" for n, greenlet in enumerate(greenlets) if greenlet.value]
    assert len(winners) == 1
    assert {agent.version for agent in reads} == {1}
    assert len(refused) == racers - 1
    final = second.get_agent("1001")
    assert final is not None
    assert (final.state, final.call, final.version) == (AgentState.RESERVED, winners[0], 2)


def _operations(store: RedisStore) -> dict[str, Callable[[], object]]:
    agent = available("1001")
    return {
        "ping": store.ping,
        "get_agent": lambda: store.get_agent("1001"),
        "agents": store.agents,
        "put_agent": lambda: store.put_agent(agent),
        "update_agent": lambda: store.update_agent(agent, agent),
        "restore_agent": lambda: store.restore_agent(agent),
        "dialling_leads": lambda: store.dialling_leads("promo"),
        "add_entry": lambda: store.add_entry(entry("a")),
        "remove_entry": lambda: store.remove_entry("support", "a"),
        "entries": lambda: store.entries("support"),
        "all_entries": store.all_entries,
        "next_seq": store.next_seq,
        "put_leads": lambda: store.put_leads("promo", [lead("100")]),
        "get_lead": lambda: store.get_lead("promo", "100"),
        "leads": lambda: store.leads("promo"),
        "lead_page": lambda: store.lead_page("promo", 0, 10),
        "update_lead": lambda: store.update_lead(lead("100"), lead("100")),
        "get_campaign_run": lambda: store.get_campaign_run("promo"),
        "update_campaign_run": lambda: store.update_campaign_run(new_run("promo", NOW), new_run("promo", NOW)),
        "add_answer": lambda: store.add_answer("promo", NOW, False, "leg-1"),
        "answers": lambda: store.answers("promo", NOW),
        "trim_answers": lambda: store.trim_answers("promo", NOW),
    }


def test_given_a_restart_then_a_new_controller_resumes_every_lead_where_it_was(
    two_redis_clients: tuple[RedisStore, RedisStore],
) -> None:
    before, after_restart = two_redis_clients
    before.put_leads("promo", [lead("100"), lead("200"), lead("300")])
    dialled = before.get_lead("promo", "200")
    assert dialled is not None
    dialled = before.update_lead(dialled, replace(dialled, state=LeadState.DIALLING, attempts=1, call="leg-1"))
    before.close()

    assert after_restart.put_leads("promo", [lead("100"), lead("200"), lead("300")]) == []
    assert after_restart.leads("promo") == [
        replace(lead("100"), position=0, version=1), dialled, replace(lead("300"), position=2, version=1)
    ]


def test_given_two_controllers_and_a_restart_then_the_answer_ledger_is_shared_and_kept(redis_url: str) -> None:
    prefix = f"test:{uuid.uuid4().hex}:"
    first, second = RedisStore(redis_url, prefix), RedisStore(redis_url, prefix)
    first.add_answer("promo", NOW, True, "leg-1")
    second.add_answer("promo", NOW, True, "leg-1")  # both controllers saw the same call
    second.add_answer("promo", NOW + 1, False, "leg-2")
    assert first.answers("promo", -math.inf) == [(NOW, True), (NOW + 1, False)]
    first.close()
    second.close()

    after_restart = RedisStore(redis_url, prefix)
    assert after_restart.answers("promo", -math.inf) == [(NOW, True), (NOW + 1, False)]
    after_restart.close()


def test_given_a_corrupt_answer_then_store_error(redis_url: str) -> None:
    prefix = f"test:{uuid.uuid4().hex}:"
    store = RedisStore(redis_url, prefix)
    client = redis.Redis.from_url(redis_url)
    try:
        client.zadd(f"{prefix}answers:promo", {"leg-1:yes": NOW})
        with pytest.raises(StoreError, match="corrupt answer"):
            store.answers("promo", NOW)
    finally:
        client.close()
        store.close()


def test_given_redis_goes_away_then_every_operation_raises_store_unavailable(private_redis: RedisServer) -> None:
    store = RedisStore(private_redis.url, key_prefix="test:", timeout_s=2)
    store.put_agent(available("1001"))
    private_redis.stop()
    for name, operation in _operations(store).items():
        with pytest.raises(StoreUnavailable, match="failed") as caught:
            operation()
        assert caught.value.__cause__ is not None, name
    store.close()


def test_open_store() -> None:
    assert isinstance(open_store("memory", None, "x:"), MemoryStore)
    with pytest.raises(ValueError, match="unknown store backend"):
        open_store("etcd", None, "x:")
    with pytest.raises(ValueError, match="url"):
        open_store("redis", None, "x:")


def test_open_store_pings_redis(redis_url: str) -> None:
    store = open_store("redis", redis_url, f"test:{uuid.uuid4().hex}:")
    assert isinstance(store, RedisStore)
    store.close()


def test_given_nothing_listening_when_open_redis_store_then_store_error() -> None:
    with pytest.raises(StoreError, match="ping failed"):
        open_store("redis", f"redis://127.0.0.1:{free_port()}/0", "x:")
