"""A restart without a shared store: the engine rebuilds what the agents' live phone legs say (``show channels``,
read by ``ccswitch.channel_list``) before it offers anything."""

from __future__ import annotations

from ccswitch.acd.agents import AgentState, TakeBreak
from ccswitch.acd.queues import QueueEntry
from ccswitch.channel_events import Bridged, HungUp, PhoneChannel
from ccswitch.channel_list import Caller, PhoneLeg
from ccswitch.config import Config
from ccswitch.engine import OFFER_GRACE_S, Engine, Phase
from ccswitch.history.model import ContactRecord, HistoryRecord
from ccswitch.store.memory import MemoryStore
from tests.test_engine import CALLER, MONDAY_10AM, Recorder, config, emitted, queue_for_support, reserve

__all__ = ["config", "emitted"]  # fixtures

TALKING = "7a1c0000-0000-4000-8000-000000000001"
LEG = "7a1c0000-0000-4000-8000-0000000000a1"
TALKER = Caller(TALKING, "79990000001", "Olga", "88005550556", MONDAY_10AM - 300, "support")


def restarted(config: Config, emitted: Recorder, records: list[HistoryRecord] | None = None) -> Engine:
    engine = Engine(config, MemoryStore(), emitted, record=records.append if records is not None else None)
    engine.start(MONDAY_10AM - 1)
    return engine


def test_given_an_agent_bridged_to_a_caller_then_the_call_is_taken_back_talking_and_its_end_recorded(
    config: Config, emitted: Recorder
) -> None:
    records: list[HistoryRecord] = []
    engine = restarted(config, emitted, records)
    engine.reconcile("fs1", [TALKING, LEG], [], MONDAY_10AM,
                     [PhoneLeg(LEG, "1003", True, MONDAY_10AM - 120, TALKER)])
    session = engine.calls[TALKING]
    assert (session.phase, session.agent, session.agent_leg) == (Phase.CONNECTED, "1003", LEG)
    assert session.connected_at == MONDAY_10AM - 120 and session.entry and session.entry.queue == "support"
    assert engine.agents["1003"].state is AgentState.ON_CALL
    assert emitted.take() == []  # nothing played, broken or transferred into the conversation

    leg = queue_for_support(engine, emitted, MONDAY_10AM + 5)
    assert leg.agent_id != "1003"  # a talking agent is never offered a second call

    engine.handle("fs1", HungUp(TALKING, "NORMAL_CLEARING"), MONDAY_10AM + 60)
    (contact,) = [r for r in records if isinstance(r, ContactRecord) and r.call_uuid == TALKING]
    assert (contact.outcome, contact.agent, contact.queue, contact.talk_s) == ("answered", "1003", "support", 180)
    assert engine.agents["1003"].state is AgentState.WRAP_UP


def test_given_an_agent_rung_for_a_caller_then_the_offer_waits_for_its_outcome_from_now(
    config: Config, emitted: Recorder
) -> None:
    engine = restarted(config, emitted)
    engine.reconcile("fs1", [TALKING, LEG], [], MONDAY_10AM,
                     [PhoneLeg(LEG, "1003", False, MONDAY_10AM - 5, TALKER)])
    session = engine.calls[TALKING]
    assert (session.phase, session.ringing) == (Phase.OFFERING, {"1003": LEG})
    assert session.offer_deadline == MONDAY_10AM + config.queues["support"].ring_timeout_s + OFFER_GRACE_S
    assert engine.agents["1003"].state is AgentState.RESERVED
    engine.handle("fs1", Bridged(TALKING, LEG), MONDAY_10AM + 3)
    assert session.phase is Phase.CONNECTED and engine.agents["1003"].state is AgentState.ON_CALL


def test_given_a_leg_of_an_agent_who_cannot_take_it_back_then_they_are_busy_until_it_ends(
    config: Config, emitted: Recorder
) -> None:
    engine = restarted(config, emitted)
    engine.agent_action("1003", TakeBreak("lunch"), MONDAY_10AM - 1)  # (as configured after a restart: logged out)
    engine.reconcile("fs1", [TALKING, LEG], [], MONDAY_10AM,
                     [PhoneLeg(LEG, "1003", True, MONDAY_10AM - 120, TALKER)])
    assert TALKING not in engine.calls and engine.direct_calls == {LEG: ("fs1", "1003")}
    engine.handle("fs1", PhoneChannel(LEG, "1003"), MONDAY_10AM + 1)  # its creation, behind the list: counted once
    assert engine.agents["1003"].direct_calls == 1
    engine.handle("fs1", HungUp(LEG, "NORMAL_CLEARING"), MONDAY_10AM + 30)
    assert engine.agents["1003"].direct_calls == 0


def test_given_agents_ringing_for_one_call_in_the_store_then_all_of_them_ring_after_the_restart(
    config: Config, emitted: Recorder
) -> None:
    """Ring-all: every reserved agent is taken back with the call (with its leg), none left reserved for ever."""
    store = MemoryStore()
    Engine(config, store, emitted).start(MONDAY_10AM - 3600)
    store.add_entry(QueueEntry(CALLER, "support", 0, MONDAY_10AM - 40, store.next_seq()))
    reserve(store, "1003", CALLER)
    reserve(store, "1004", CALLER)
    engine = Engine(config, store, emitted)
    engine.start(MONDAY_10AM)
    caller = Caller(CALLER, "79161234567", "Ivan", "88005550556", MONDAY_10AM - 60, "support")
    engine.reconcile("fs1", [CALLER, LEG, "leg-2"], [], MONDAY_10AM,
                     [PhoneLeg(LEG, "1003", False, MONDAY_10AM - 30, caller),
                      PhoneLeg("leg-2", "1004", False, MONDAY_10AM - 30, caller)])
    session = engine.calls[CALLER]
    assert (session.phase, session.ringing) == (Phase.OFFERING, {"1003": LEG, "1004": "leg-2"})
    engine.handle("fs1", Bridged(CALLER, "leg-2"), MONDAY_10AM + 1)
    assert session.phase is Phase.CONNECTED and session.agent == "1004"
    assert engine.agents["1003"].state is AgentState.AVAILABLE  # lost the race, free again


def test_given_the_store_says_talking_or_ringing_then_the_listed_legs_are_attached_and_a_bridged_offer_connects(
    config: Config, emitted: Recorder
) -> None:
    store = MemoryStore()
    Engine(config, store, emitted).start(MONDAY_10AM - 3600)
    store.add_entry(QueueEntry(CALLER, "support", 0, MONDAY_10AM - 40, store.next_seq()))
    reserve(store, "1003", CALLER)  # ringing when the previous run stopped; answered while nobody watched
    reserve(store, "1004", TALKING, answered=True)
    engine = Engine(config, store, emitted)
    engine.start(MONDAY_10AM)
    caller = Caller(CALLER, "79161234567", "Ivan", "88005550556", MONDAY_10AM - 60, "support")
    engine.reconcile("fs1", [CALLER, TALKING, LEG, "leg-2"], [], MONDAY_10AM,
                     [PhoneLeg(LEG, "1003", True, MONDAY_10AM - 30, caller),
                      PhoneLeg("leg-2", "1004", True, MONDAY_10AM - 25, TALKER)])
    answered, talking = engine.calls[CALLER], engine.calls[TALKING]
    assert (answered.phase, answered.agent, answered.agent_leg) == (Phase.CONNECTED, "1003", LEG)
    assert engine.agents["1003"].state is AgentState.ON_CALL and engine.stats.queues["support"].answered == 1
    assert (talking.phase, talking.agent, talking.agent_leg) == (Phase.CONNECTED, "1004", "leg-2")
    assert engine.direct_calls == {}
