"""The engine when an offer fails for a reason that is not the agent's: the caller hung up while the phone rang
(trace k), or the network or configuration kept the call from the phone (trace n)."""

from __future__ import annotations

from ccswitch.acd.agents import AgentState, TakeBreak
from ccswitch.acd.offer_failures import BACKOFF_FIRST_S
from ccswitch.channel_events import AppCompleted, HangingUp, HungUp
from ccswitch.effects import ConnectAgent
from ccswitch.engine import Engine
from tests.test_engine import CALLER, MONDAY_10AM, Recorder, config, emitted, engine, queue_for_support

__all__ = ["config", "emitted", "engine"]  # fixtures


def test_given_the_caller_hangs_up_while_the_agent_rings_then_trace_k_charges_nobody_and_reoffers_nothing(
    engine: Engine, emitted: Recorder
) -> None:
    offer = queue_for_support(engine, emitted)
    place = engine.agents[offer.agent_id].idle_since
    now = MONDAY_10AM + 8
    # trace k's order: caller CHANNEL_HANGUP, agent CHANNEL_HANGUP, the caller's bridge completes, then completes
    engine.handle("fs1", HangingUp(CALLER, "NORMAL_CLEARING"), now)
    engine.handle("fs1", HangingUp(offer.leg, "ORIGINATOR_CANCEL"), now)
    engine.handle("fs1", AppCompleted(CALLER, "bridge", None, "", "ORIGINATOR_CANCEL"), now)
    engine.handle("fs1", HungUp(offer.leg, "ORIGINATOR_CANCEL"), now)
    engine.handle("fs1", HungUp(CALLER, "NORMAL_CLEARING"), now)
    assert emitted.take() == []  # nothing for the gone caller: no re-offer, no transfer
    agent = engine.agents[offer.agent_id]
    assert (agent.state, agent.missed_in_row, agent.idle_since) == (AgentState.AVAILABLE, 0, place)
    assert engine.stats.agents[offer.agent_id].missed == 0
    assert engine.stats.queues["support"].abandoned == 1
    assert CALLER not in engine.calls and engine.store.entries("support") == []


def test_given_an_incompatible_destination_then_no_miss_a_back_off_and_the_next_agent_is_rung(
    engine: Engine, emitted: Recorder
) -> None:
    first = queue_for_support(engine, emitted)
    now = MONDAY_10AM + 4
    engine.handle("fs1", HungUp(first.leg, "INCOMPATIBLE_DESTINATION"), now)
    engine.handle("fs1", AppCompleted(CALLER, "bridge", None, "", "INCOMPATIBLE_DESTINATION"), now)
    (retry,) = emitted.take()
    assert isinstance(retry, ConnectAgent) and retry.legs[0].agent_id != first.agent_id
    agent = engine.agents[first.agent_id]
    assert (agent.state, agent.missed_in_row, agent.unreachable_in_row) == (AgentState.AVAILABLE, 0, 1)
    assert agent.not_before == now + BACKOFF_FIRST_S
    assert engine.stats.agents[first.agent_id].missed == 0
    assert engine.offer_failures[("network", "INCOMPATIBLE_DESTINATION")] == 1


def test_given_a_fault_that_persists_then_the_agent_is_never_put_on_break_and_backs_off_longer(
    engine: Engine, emitted: Recorder
) -> None:
    offer = queue_for_support(engine, emitted)
    agent_id, now = offer.agent_id, MONDAY_10AM + 4
    for other in engine.config.members("support"):
        if other != agent_id:
            engine.agent_action(other, TakeBreak("lunch"), now)
    waits = []
    for _attempt in range(4):  # more than support's max_no_answer (3)
        engine.handle("fs1", AppCompleted(CALLER, "bridge", None, "", "USER_NOT_REGISTERED"), now)
        assert emitted.take() == []  # not re-offered in a tight loop
        back = engine.agents[agent_id].not_before
        waits.append(back - now)
        engine.tick(back - 0.5)
        assert emitted.take() == []
        engine.tick(back)
        (again,) = emitted.take()
        assert isinstance(again, ConnectAgent) and again.legs[0].agent_id == agent_id
        now = back
    assert waits == [BACKOFF_FIRST_S, 2 * BACKOFF_FIRST_S, 4 * BACKOFF_FIRST_S, 8 * BACKOFF_FIRST_S]
    assert engine.agents[agent_id].state is AgentState.RESERVED and engine.agents[agent_id].missed_in_row == 0
    assert engine.stats.agents[agent_id].missed == 0
