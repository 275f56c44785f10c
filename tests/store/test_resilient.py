"""ResilientStore during and after an outage of the store behind it: answered from the local view, no agent
reserved, everything written through on return, the store the truth for what another controller changed."""

from __future__ import annotations

import logging
from dataclasses import replace
from typing import Any

import pytest

from ccswitch.acd import Agent, AgentState, QueueEntry
from ccswitch.dialer import CampaignRun, DialOutcome, Lead, LeadState, RunState
from ccswitch.errors import StoreUnavailable
from ccswitch.store.memory import MemoryStore
from ccswitch.store.resilient import ResilientStore

NOW = 1_800_000_000.0


class FlakyStore(MemoryStore):
    """A MemoryStore that can be unreachable (``down``), or apply its next write and lose the reply
    (``lose_next_reply``), as a connection cut between the request and the answer does."""

    def __init__(self) -> None:
        super().__init__()
        self.down = False
        self.lose_next_reply = False

    def __getattribute__(self, name: str) -> Any:
        attribute = super().__getattribute__(name)
        if name.startswith("_") or not callable(attribute):
            return attribute

        def gated(*args: Any, **kwargs: Any) -> Any:
            if self.down:
                raise StoreUnavailable(f"redis 127.0.0.1:6379: {name} failed: Connection refused")
            if self.lose_next_reply:
                self.lose_next_reply = False
                self.down = True
                attribute(*args, **kwargs)
                raise StoreUnavailable(f"redis 127.0.0.1:6379: {name} failed: Connection reset by peer")
            return attribute(*args, **kwargs)

        return gated


def agent(agent_id: str, state: AgentState = AgentState.AVAILABLE, call: str | None = None) -> Agent:
    return Agent(id=agent_id, state=state, since=NOW, call=call)


def known(store: ResilientStore, agent_id: str) -> Agent:
    """The agent as the store (or its view) has it."""
    found = store.get_agent(agent_id)
    assert found is not None
    return found


def entry(call: str, queue: str = "support") -> QueueEntry:
    return QueueEntry(call=call, queue=queue, priority=0, enqueued_at=NOW, seq=1)


@pytest.fixture
def behind() -> FlakyStore:
    store = FlakyStore()
    store.put_agent(agent("1000"))
    store.put_agent(agent("1001", AgentState.ON_CALL, "c0"))
    return store


@pytest.fixture
def changes() -> list[tuple[bool, float]]:
    return []


@pytest.fixture
def store(behind: FlakyStore, changes: list[tuple[bool, float]]) -> ResilientStore:
    resilient = ResilientStore(behind, lambda: NOW, lambda available, since: changes.append((available, since)))
    resilient.agents()  # the view starts with what the store holds
    return resilient


def test_given_the_store_goes_away_then_calls_are_answered_from_the_view_and_the_outage_is_told_once(
    behind: FlakyStore, store: ResilientStore, changes: list[tuple[bool, float]], caplog: pytest.LogCaptureFixture
) -> None:
    store.add_entry(entry("c1"))
    behind.down = True
    with caplog.at_level(logging.ERROR):
        on_call = store.get_agent("1001")
        assert on_call is not None and on_call.state is AgentState.ON_CALL
        store.add_entry(entry("c2"))
        assert store.remove_entry("support", "c1") is True
        assert store.remove_entry("support", "never") is False
        assert [e.call for e in store.entries("support")] == ["c2"]
        assert store.all_entries() == {"support": [entry("c2")]}
        assert store.next_seq() == 1
        released = store.update_agent(on_call, replace(on_call, state=AgentState.WRAP_UP, call=None))
    assert released is not None and released.version == on_call.version + 1
    assert store.get_agent("1001") == released
    assert not store.available and store.unavailable_since == NOW
    assert changes == [(False, NOW)]
    assert len([r for r in caplog.records if "store unavailable" in r.getMessage()]) == 1


def test_given_an_outage_then_no_agent_is_reserved_but_other_changes_are_kept(
    behind: FlakyStore, store: ResilientStore
) -> None:
    behind.down = True
    free = known(store, "1000")
    assert store.update_agent(free, replace(free, state=AgentState.RESERVED, call="c1")) is None
    assert store.get_agent("1000") == free
    on_break = store.update_agent(free, replace(free, state=AgentState.ON_BREAK, break_reason="lunch"))
    assert on_break is not None and store.get_agent("1000") == on_break


def test_given_an_outage_then_what_only_the_store_holds_waits_for_it(behind: FlakyStore, store: ResilientStore) -> None:
    behind.down = True
    store.get_agent("1000")
    with pytest.raises(StoreUnavailable, match="store unavailable since"):
        store.get_campaign_run("spring")
    run = CampaignRun("spring", RunState.RUNNING, NOW)
    with pytest.raises(StoreUnavailable):
        store.update_campaign_run(run, run)
    with pytest.raises(StoreUnavailable):
        store.leads("spring")
    with pytest.raises(StoreUnavailable):
        store.get_lead("spring", "+447700900001")  # never seen here


def test_given_an_outage_then_no_lead_is_dialled_but_calls_in_progress_are_settled_and_written_on_return(
    behind: FlakyStore, store: ResilientStore
) -> None:
    behind.put_leads("spring", [Lead("spring", "+447700900001"), Lead("spring", "+447700900002")])
    first, second = behind.leads("spring")
    ringing = store.update_lead(first, replace(first, state=LeadState.DIALLING, attempts=1, call="line1"))
    assert ringing is not None
    behind.down = True
    assert store.update_lead(second, replace(second, state=LeadState.DIALLING, attempts=1, call="line2")) is None
    assert store.get_lead("spring", second.phone) == second  # what the dialler re-reads after a refusal
    done = store.update_lead(ringing, replace(ringing, state=LeadState.DONE, last_outcome=DialOutcome.PERSON_ANSWERED))
    assert done is not None and done.version == ringing.version + 1
    assert store.get_lead("spring", first.phone) == done
    store.add_answer("spring", NOW, False, "line1")
    assert store.trim_answers("spring", NOW + 1) == 0  # later
    behind.down = False
    assert store.write_through() is not None
    assert behind.get_lead("spring", first.phone) == done
    assert behind.get_lead("spring", second.phone) == second
    assert behind.answers("spring", 0) == [(NOW, False)]


def test_given_a_dial_met_the_outage_and_reached_the_store_then_it_is_undone(
    behind: FlakyStore, store: ResilientStore
) -> None:
    behind.put_leads("spring", [Lead("spring", "+447700900001")])
    (lead,) = behind.leads("spring")
    behind.lose_next_reply = True
    assert store.update_lead(lead, replace(lead, state=LeadState.DIALLING, attempts=1, call="line1")) is None
    behind.down = False
    stored_then = behind.get_lead("spring", lead.phone)
    assert stored_then is not None and stored_then.state is LeadState.DIALLING  # nobody dials it, yet it is taken
    assert store.write_through() is not None
    stored = behind.get_lead("spring", lead.phone)
    assert stored is not None and stored.state is LeadState.PENDING and stored.call is None


def test_given_a_campaign_call_meets_the_outage_first_then_the_outage_begins(
    behind: FlakyStore, store: ResilientStore, changes: list[tuple[bool, float]]
) -> None:
    behind.down = True
    with pytest.raises(StoreUnavailable):
        store.leads("spring")
    assert changes == [(False, NOW)]


def test_when_the_store_returns_then_the_view_is_written_through_and_its_agents_come_back_with_its_versions(
    behind: FlakyStore, store: ResilientStore, changes: list[tuple[bool, float]]
) -> None:
    store.add_entry(entry("c1"))
    behind.down = True
    on_call = known(store, "1001")
    wrap_up = store.update_agent(on_call, replace(on_call, state=AgentState.WRAP_UP, call=None))
    assert wrap_up is not None
    available = store.update_agent(wrap_up, replace(wrap_up, state=AgentState.AVAILABLE))
    assert available is not None
    store.add_entry(entry("c2"))
    store.remove_entry("support", "c1")
    assert store.write_through() is None  # still away
    behind.down = False
    agents = store.write_through()
    assert agents is not None and store.available
    stored = behind.get_agent("1001")
    assert stored is not None and stored.state is AgentState.AVAILABLE and stored.call is None
    assert stored.version == on_call.version + 1  # one compare-and-set from where the store was
    assert stored in agents
    assert behind.entries("support") == [entry("c2")]
    assert changes == [(False, NOW), (True, NOW)]


def test_given_the_store_lost_its_data_when_it_returns_then_every_agent_and_entry_is_written_again(
    behind: FlakyStore, store: ResilientStore
) -> None:
    store.add_entry(entry("c1"))
    behind.down = True
    free = known(store, "1000")
    store.update_agent(free, replace(free, state=AgentState.ON_BREAK))
    MemoryStore.__init__(behind)  # a Redis restarted without persistence
    behind.down = False
    agents = store.write_through()
    assert agents is not None
    assert {(a.id, a.state) for a in behind.agents()} == {("1000", AgentState.ON_BREAK),
                                                          ("1001", AgentState.ON_CALL)}
    assert behind.entries("support") == [entry("c1")]


@pytest.mark.parametrize("stale_first", [True, False])
def test_given_two_controllers_and_the_store_lost_its_data_then_the_freshest_view_wins_whoever_returns_first(
    behind: FlakyStore, store: ResilientStore, stale_first: bool
) -> None:
    """The race seen with two controllers on a Redis restarted empty: the other controller last read agent 1000
    reserved for our call; we connected it and the call ended before the outage. Had the stale view been put back
    first at a new version 1, ours would have been 'not changed here' and the agent stuck reserved for a call that
    no controller knows."""
    other = ResilientStore(behind, lambda: NOW)
    free = known(store, "1000")
    reserved = store.update_agent(free, replace(free, state=AgentState.RESERVED, call="c1"))
    assert reserved is not None
    other.agents()  # the other controller's view: 1000 reserved for c1, and it reads no more
    on_call = store.update_agent(reserved, replace(reserved, state=AgentState.ON_CALL))
    assert on_call is not None
    done = store.update_agent(on_call, replace(on_call, state=AgentState.AVAILABLE, call=None))
    assert done is not None
    behind.down = True
    for controller in (store, other):
        controller.get_agent("1001")  # each meets the outage
    MemoryStore.__init__(behind)  # a Redis restarted without persistence
    behind.down = False
    for controller in ((other, store) if stale_first else (store, other)):
        assert controller.write_through() is not None
    assert behind.get_agent("1000") == done
    assert known(other, "1000") == known(store, "1000") == done


def test_given_another_controller_changed_an_agent_we_changed_then_the_store_record_stands(
    behind: FlakyStore, store: ResilientStore
) -> None:
    behind.down = True
    free = known(store, "1000")
    store.update_agent(free, replace(free, state=AgentState.ON_BREAK))
    behind.down = False
    theirs = behind.update_agent(free, replace(free, state=AgentState.RESERVED, call="theirs"))  # a partition
    agents = store.write_through()
    assert agents is not None and theirs in agents
    assert behind.get_agent("1000") == theirs


def test_given_the_write_that_met_the_outage_reached_the_store_then_it_is_taken_as_ours(
    behind: FlakyStore, store: ResilientStore
) -> None:
    on_call = known(store, "1001")
    behind.lose_next_reply = True
    wrap_up = store.update_agent(on_call, replace(on_call, state=AgentState.WRAP_UP, call=None))
    assert wrap_up is not None and not store.available
    store.update_agent(wrap_up, replace(wrap_up, state=AgentState.AVAILABLE))
    behind.down = False
    assert store.write_through() is not None
    stored = behind.get_agent("1001")
    assert stored is not None and stored.state is AgentState.AVAILABLE


def test_given_a_reservation_met_the_outage_and_reached_the_store_then_it_is_undone(
    behind: FlakyStore, store: ResilientStore
) -> None:
    free = known(store, "1000")
    behind.lose_next_reply = True
    assert store.update_agent(free, replace(free, state=AgentState.RESERVED, call="c1")) is None  # not rung
    behind.down = False
    stored_then = behind.get_agent("1000")
    assert stored_then is not None and stored_then.state is AgentState.RESERVED  # yet reserved in the store
    assert store.write_through() is not None
    stored = behind.get_agent("1000")
    assert stored is not None and stored.state is AgentState.AVAILABLE and stored.call is None


def test_given_the_write_through_is_cut_short_then_the_next_one_recognises_its_own_writes(
    behind: FlakyStore, store: ResilientStore
) -> None:
    behind.down = True
    on_call = known(store, "1001")
    store.update_agent(on_call, replace(on_call, state=AgentState.WRAP_UP, call=None))
    behind.down = False
    original_update = MemoryStore.update_agent
    cut: list[bool] = []

    def update_then_cut(self: MemoryStore, old: Agent, new: Agent) -> Agent | None:
        stored = original_update(self, old, new)
        if not cut:
            cut.append(True)
            behind.down = True
            raise StoreUnavailable("redis: update agent failed: Connection reset by peer")
        return stored

    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(MemoryStore, "update_agent", update_then_cut)
        assert store.write_through() is None and not store.available  # the wrap-up did reach the store
        wrap_up = known(store, "1001")
        store.update_agent(wrap_up, replace(wrap_up, state=AgentState.AVAILABLE))
        behind.down = False
        assert store.write_through() is not None
    stored = behind.get_agent("1001")
    assert stored is not None and stored.state is AgentState.AVAILABLE
