"""An agent's call control in the engine: hold, mute, blind transfer to an extension or a queue; refusals send
nothing; the agent wraps up and the contact history says where the caller went."""

from __future__ import annotations

import logging

import pytest

from ccswitch.acd.agents import AgentState
from ccswitch.channel_events import AppCompleted, Bridged, FeatureCode, HungUp, Parked
from ccswitch.config import load_config
from ccswitch.effects import (
    BridgeLegs,
    ConnectAgent,
    Hangup,
    HangupLeg,
    HoldLeg,
    MuteLeg,
    RunInline,
    SetLegVar,
    StartMusic,
    StopMedia,
    TakeCall,
    Transfer,
)
from ccswitch.engine import CallAction, Engine, Phase
from ccswitch.errors import InvalidTransition, UnknownNameError, UnsafeValueError
from ccswitch.history.model import ContactRecord, HistoryRecord
from ccswitch.store.memory import MemoryStore
from tests.test_engine import CALLER, MONDAY_10AM, ROOT, Recorder, queue_for_support

T = MONDAY_10AM + 20
MUSIC = "local_stream://moh"


@pytest.fixture
def emitted() -> Recorder:
    return Recorder()


@pytest.fixture
def history() -> list[HistoryRecord]:
    return []


@pytest.fixture
def engine(emitted: Recorder, history: list[HistoryRecord]) -> Engine:
    engine = Engine(load_config(ROOT / "config" / "ccswitch.yaml", env={}), MemoryStore(), emitted,
                    record=history.append)
    engine.start(MONDAY_10AM - 3600)
    return engine


@pytest.fixture
def agent_leg(engine: Engine, emitted: Recorder) -> str:
    """A support call talking to agent 1003 since MONDAY_10AM + 10."""
    offer = queue_for_support(engine, emitted)
    assert offer.agent_id == "1003"
    engine.handle("fs1", Bridged(CALLER, offer.leg), MONDAY_10AM + 10)
    emitted.take()
    return offer.leg


def contact(history: list[HistoryRecord]) -> ContactRecord:
    (record,) = [r for r in history if isinstance(r, ContactRecord)]
    return record


def test_hold_plays_the_queues_music_from_the_agent_leg_and_a_second_hold_is_refused(
    engine: Engine, emitted: Recorder, agent_leg: str
) -> None:
    done = engine.control("1003", CallAction.HOLD, T)
    assert emitted.take() == [SetLegVar(CALLER, agent_leg, "hold_music", MUSIC), HoldLeg(CALLER, agent_leg, True)]
    assert (done.call, done.agent, done.agent_leg, done.held, done.muted) == (CALLER, "1003", agent_leg, True, False)
    with pytest.raises(InvalidTransition, match="already on hold"):
        engine.control(CALLER, CallAction.HOLD, T)
    assert emitted.take() == []
    assert not engine.control(CALLER, CallAction.UNHOLD, T).held
    assert emitted.take() == [HoldLeg(CALLER, agent_leg, False)]


def test_mute_and_unmute_the_agents_microphone(engine: Engine, emitted: Recorder, agent_leg: str) -> None:
    assert engine.control(CALLER, CallAction.MUTE, T).muted
    assert emitted.take() == [MuteLeg(CALLER, agent_leg, True)]
    with pytest.raises(InvalidTransition, match="already muted"):
        engine.control("1003", CallAction.MUTE, T)
    engine.control("1003", CallAction.UNMUTE, T)
    assert emitted.take() == [MuteLeg(CALLER, agent_leg, False)]
    with pytest.raises(InvalidTransition, match="already unmuted"):
        engine.control("1003", CallAction.UNMUTE, T)


def test_refusals_send_nothing(engine: Engine, emitted: Recorder) -> None:
    with pytest.raises(UnknownNameError, match="no agent or live call"):
        engine.control("no-such-call", CallAction.HOLD, T)
    with pytest.raises(InvalidTransition, match="agent 1003 is not on a call"):
        engine.control("1003", CallAction.MUTE, T)
    queue_for_support(engine, emitted)
    emitted.take()
    with pytest.raises(InvalidTransition, match="not connected to an agent"):  # still ringing
        engine.control(CALLER, CallAction.HOLD, T)
    assert emitted.take() == []


def test_bad_transfers_are_refused_before_anything_changes(engine: Engine, emitted: Recorder, agent_leg: str) -> None:
    with pytest.raises(UnknownNameError, match="unknown queue 'billing'"):
        engine.control("1003", CallAction.TRANSFER, T, queue="billing")
    with pytest.raises(UnsafeValueError):
        engine.control("1003", CallAction.TRANSFER, T, to="1000 XML evil")
    with pytest.raises(UnsafeValueError):
        engine.control("1003", CallAction.TRANSFER, T, to="1000", context="default;x")
    with pytest.raises(UnsafeValueError, match="exactly one"):
        engine.control("1003", CallAction.TRANSFER, T, to="1000", queue="sales")
    assert emitted.take() == [] and engine.agents["1003"].state is AgentState.ON_CALL
    assert engine.calls[CALLER].phase is Phase.CONNECTED


def test_transfer_to_an_extension_wraps_the_agent_up_and_the_history_says_transferred(
    engine: Engine, emitted: Recorder, history: list[HistoryRecord], agent_leg: str
) -> None:
    done = engine.control("1003", CallAction.TRANSFER, T, to="89001234567", context="outbound")
    assert emitted.take() == [Transfer(CALLER, "89001234567", "outbound")]
    assert done.transferred_to == "89001234567"
    assert engine.agents["1003"].state is AgentState.WRAP_UP
    assert engine.stats.agents["1003"].talk_seconds == pytest.approx(10)
    # FreeSWITCH hangs up the agent's orphaned leg, later the caller ends the call elsewhere: counted once.
    engine.handle("fs1", HungUp(agent_leg, "NORMAL_CLEARING"), T + 0.1)
    engine.handle("fs1", HungUp(CALLER, "NORMAL_CLEARING"), T + 300)
    record = contact(history)
    assert (record.outcome, record.transferred_to, record.agent) == ("transferred", "89001234567", "1003")
    assert record.talk_s == pytest.approx(10)
    assert engine.stats.queues["support"].abandoned == 0 and engine.stats.queues["support"].answered == 1
    assert engine.agents["1003"].calls_handled == 1


def test_transfer_to_a_queue_requeues_with_the_same_priority_and_skills_once_parked(
    engine: Engine, emitted: Recorder, history: list[HistoryRecord], agent_leg: str
) -> None:
    before = engine.calls[CALLER].entry
    assert before is not None
    engine.control("1003", CallAction.TRANSFER, T, queue="sales")
    (park,) = emitted.take()
    assert park == RunInline(CALLER, CALLER, (("park", ""),))
    assert engine.agents["1003"].state is AgentState.WRAP_UP
    engine.handle("fs1", HungUp(agent_leg, "NORMAL_CLEARING"), T + 0.1)
    assert engine.calls[CALLER].phase is Phase.REQUEUING and engine.waiting["sales"] == {}

    engine.handle("fs1", Parked(CALLER, True, "88005550556", "79161234567", "Ivan"), T + 0.2)
    (offer,) = [e for e in emitted.take() if isinstance(e, ConnectAgent)]
    assert offer.queue == "sales" and offer.legs[0].agent_id != "1003"
    entry = engine.calls[CALLER].entry
    assert entry is not None
    assert (entry.queue, entry.priority, entry.skills, entry.caller_number, entry.enqueued_at) == (
        "sales", before.priority, before.skills, before.caller_number, T + 0.2)

    engine.handle("fs1", Bridged(CALLER, offer.legs[0].leg), T + 5)
    engine.handle("fs1", HungUp(CALLER, "NORMAL_CLEARING"), T + 65)
    record = contact(history)
    assert (record.outcome, record.queue, record.agent, record.transferred_to) == (
        "answered", "sales", offer.legs[0].agent_id, "queue:sales")
    assert record.wait_s == pytest.approx(4.8)
    assert engine.stats.queues["support"].answered == 1 and engine.stats.queues["sales"].answered == 1



def agent_parks(engine: Engine, agent_leg: str, now: float) -> None:
    """The agent's leg left its bridge with the consulted party and runs its next application, park."""
    engine.handle("fs1", Parked(agent_leg, False, "1003", "79161234567", "Ivan"), now)


def consulting(engine: Engine, emitted: Recorder, agent_leg: str) -> str:
    """The agent consults extension 1005; the caller drops into park and hears music. Returns the target leg."""
    done = engine.control("1003", CallAction.CONSULT, T, to="1005")
    keep_caller, move_agent = emitted.take()
    assert keep_caller == SetLegVar(CALLER, CALLER, "hangup_after_bridge", "false")
    assert isinstance(move_agent, RunInline) and move_agent.leg == agent_leg
    (bridge_app, bridge_arg), park = move_agent.apps
    assert bridge_app == "bridge" and bridge_arg.endswith("loopback/1005/default") and park == ("park", "")
    assert done.consulting == "consulting"
    engine.handle("fs1", Parked(CALLER, True, "88005550556", "79161234567", "Ivan"), T + 0.1)
    assert [type(e) for e in emitted.take()] == [StartMusic]
    (target,) = engine._consult_legs
    return target


def test_attended_transfer_completed_connects_caller_and_target_and_the_agent_wraps_up(
    engine: Engine, emitted: Recorder, agent_leg: str, history: list[HistoryRecord]
) -> None:
    target = consulting(engine, emitted, agent_leg)
    engine.handle("fs1", Bridged(agent_leg, target), T + 3)
    done = engine.control("1003", CallAction.COMPLETE, T + 30)
    assert emitted.take() == [StopMedia(CALLER), BridgeLegs(CALLER, CALLER, target), HangupLeg(CALLER, agent_leg)]
    assert done.transferred_to == "1005" and engine.agents["1003"].state is AgentState.WRAP_UP
    engine.handle("fs1", HungUp(agent_leg, "NORMAL_CLEARING"), T + 30)
    engine.handle("fs1", HungUp(target, "NORMAL_CLEARING"), T + 90)  # the target hangs up: so does the caller
    assert emitted.take() == [Hangup(CALLER, "NORMAL_CLEARING")]
    engine.handle("fs1", HungUp(CALLER, "NORMAL_CLEARING"), T + 90)
    record = contact(history)
    assert record.outcome == "transferred" and record.transferred_to == "1005" and record.talk_s == 40


def test_attended_transfer_cancelled_brings_the_caller_back_to_the_agent(
    engine: Engine, emitted: Recorder, agent_leg: str
) -> None:
    target = consulting(engine, emitted, agent_leg)
    done = engine.control("1003", CallAction.CANCEL, T + 10)
    assert emitted.take() == [StopMedia(CALLER), HangupLeg(CALLER, target)]
    assert done.consulting is None and engine.agents["1003"].state is AgentState.ON_CALL
    agent_parks(engine, agent_leg, T + 10)
    assert emitted.take() == [BridgeLegs(CALLER, CALLER, agent_leg)]
    engine.handle("fs1", HungUp(target, "NORMAL_CLEARING"), T + 10)  # our own hang-up: nothing more
    assert emitted.take() == []


def test_a_target_who_does_not_answer_brings_the_caller_back(
    engine: Engine, emitted: Recorder, agent_leg: str
) -> None:
    consulting(engine, emitted, agent_leg)
    engine.handle("fs1", AppCompleted(agent_leg, "bridge", None, "", "NO_ANSWER"), T + 20)
    assert emitted.take() == [StopMedia(CALLER)]
    assert engine.calls[CALLER].consult is None
    agent_parks(engine, agent_leg, T + 20)
    assert emitted.take() == [BridgeLegs(CALLER, CALLER, agent_leg)]


def test_conference_then_the_target_leaves(engine: Engine, emitted: Recorder, agent_leg: str) -> None:
    target = consulting(engine, emitted, agent_leg)
    engine.handle("fs1", Bridged(agent_leg, target), T + 3)
    done = engine.control("1003", CallAction.CONFERENCE, T + 10)
    assert emitted.take() == [StopMedia(CALLER), RunInline(CALLER, target, (("three_way", agent_leg),))]
    assert done.consulting == "three_way"
    agent_parks(engine, agent_leg, T + 10)
    assert emitted.take() == [BridgeLegs(CALLER, CALLER, agent_leg)]
    engine.handle("fs1", HungUp(target, "NORMAL_CLEARING"), T + 50)
    assert emitted.take() == [] and engine.calls[CALLER].consult is None


def test_the_agent_hanging_up_mid_consultation_queues_the_caller_again(
    engine: Engine, emitted: Recorder, agent_leg: str
) -> None:
    consulting(engine, emitted, agent_leg)
    engine.handle("fs1", HungUp(agent_leg, "NORMAL_CLEARING"), T + 5)
    (offer,) = [e for e in emitted.take() if isinstance(e, ConnectAgent)]
    assert offer.queue == "support" and offer.legs[0].agent_id != "1003"
    assert engine.agents["1003"].state is AgentState.WRAP_UP


def test_consult_refusals(engine: Engine, emitted: Recorder, agent_leg: str) -> None:
    with pytest.raises(InvalidTransition, match="no attended transfer"):
        engine.control("1003", CallAction.COMPLETE, T)
    with pytest.raises(UnsafeValueError):
        engine.control("1003", CallAction.CONSULT, T, to="1005 &park()")
    consulting(engine, emitted, agent_leg)
    with pytest.raises(InvalidTransition, match="already consulting with 1005"):
        engine.control("1003", CallAction.CONSULT, T, to="1006")


def test_the_agent_hangs_up_the_call(engine: Engine, emitted: Recorder, agent_leg: str) -> None:
    engine.control("1003", CallAction.HANGUP, T)
    assert emitted.take() == [Hangup(CALLER, "NORMAL_CLEARING")]


def test_a_transfer_to_a_queue_whose_park_event_is_lost_is_queued_anyway(
    engine: Engine, emitted: Recorder, agent_leg: str
) -> None:
    engine.control("1003", CallAction.TRANSFER, T, queue="sales")
    emitted.take()
    engine.tick(T + 10)
    assert engine.calls[CALLER].phase is Phase.REQUEUING
    engine.tick(T + 10.5)
    (offer,) = [e for e in emitted.take() if isinstance(e, ConnectAgent)]
    assert offer.queue == "sales" and engine.calls[CALLER].phase is Phase.OFFERING


# Desk-phone feature codes (ccswitch.feature_codes): the same path as control()


def test_star_one_toggles_hold(engine: Engine, emitted: Recorder, agent_leg: str) -> None:
    engine.handle("fs1", FeatureCode(agent_leg, "hold"), T)
    assert emitted.take() == [SetLegVar(CALLER, agent_leg, "hold_music", MUSIC),
                              HoldLeg(CALLER, agent_leg, True)]
    engine.handle("fs1", FeatureCode(agent_leg, "hold"), T + 5)
    assert emitted.take() == [HoldLeg(CALLER, agent_leg, False)]
    engine.handle("fs1", FeatureCode(agent_leg, "hold"), T + 9)
    assert emitted.take() == [SetLegVar(CALLER, agent_leg, "hold_music", MUSIC),
                              HoldLeg(CALLER, agent_leg, True)]


def test_star_two_toggles_mute_and_an_api_mute_counts(engine: Engine, emitted: Recorder,
                                                      agent_leg: str) -> None:
    engine.handle("fs1", FeatureCode(agent_leg, "mute"), T)
    assert emitted.take() == [MuteLeg(CALLER, agent_leg, True)]
    engine.handle("fs1", FeatureCode(agent_leg, "mute"), T + 1)
    assert emitted.take() == [MuteLeg(CALLER, agent_leg, False)]
    engine.control("1003", CallAction.MUTE, T + 2)  # muted over HTTP: the phone's *2 unmutes
    emitted.take()
    engine.handle("fs1", FeatureCode(agent_leg, "mute"), T + 3)
    assert emitted.take() == [MuteLeg(CALLER, agent_leg, False)]
    assert not engine.control("1003", CallAction.MUTE, T + 4).held


def test_star_seven_transfers_to_the_digits_keyed_after_it(engine: Engine, emitted: Recorder, agent_leg: str) -> None:
    engine.handle("fs1", FeatureCode(agent_leg, "transfer", "1008"), T)
    assert emitted.take() == [Transfer(CALLER, "1008", "default")]
    assert engine.agents["1003"].state is AgentState.WRAP_UP


def test_star_eight_consults_the_digits_keyed_after_it(engine: Engine, emitted: Recorder, agent_leg: str) -> None:
    engine.handle("fs1", FeatureCode(agent_leg, "consult", "1006"), T)
    by_phone = emitted.take()
    engine.handle("fs1", FeatureCode(agent_leg, "cancel"), T + 1)
    emitted.take()
    engine.control("1003", CallAction.CONSULT, T + 2, to="1006")
    by_api = emitted.take()
    assert [type(effect) for effect in by_phone] == [type(effect) for effect in by_api] and by_phone
    assert engine.calls[CALLER].consult_target == "1006"


def test_no_digits_keyed_after_star_seven_transfers_nothing(engine: Engine, emitted: Recorder, agent_leg: str,
                                                             caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.INFO, "ccswitch.engine")
    engine.handle("fs1", FeatureCode(agent_leg, "transfer"), T)
    assert emitted.take() == [] and engine.agents["1003"].state is AgentState.ON_CALL
    assert "pressed transfer on their phone: refused: a transfer goes to an extension or to a queue" in caplog.text


def test_star_three_hangs_up_the_call(engine: Engine, emitted: Recorder, agent_leg: str) -> None:
    engine.handle("fs1", FeatureCode(agent_leg, "hangup"), T)
    assert emitted.take() == [Hangup(CALLER)]


def test_keys_from_any_other_channel_send_nothing(engine: Engine, emitted: Recorder,
                                                  agent_leg: str) -> None:
    for uuid in (CALLER, "unknown-leg"):
        engine.handle("fs1", FeatureCode(uuid, "hangup"), T)
    assert emitted.take() == []


def test_keys_while_the_agent_leg_still_rings_are_ignored(engine: Engine, emitted: Recorder,
                                                         caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.INFO, "ccswitch.engine")
    offer = queue_for_support(engine, emitted)  # the leg is known, the call not connected yet
    emitted.take()
    engine.handle("fs1", FeatureCode(offer.leg, "hold"), MONDAY_10AM + 5)
    assert emitted.take() == []
    assert "not the agent leg of a live call, ignored" in caplog.text


def test_a_refusal_is_logged_not_raised(engine: Engine, emitted: Recorder, agent_leg: str,
                                        caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.INFO, "ccswitch.engine")
    engine.calls[CALLER].phase = Phase.REQUEUING  # (a state control() refuses, with the agent leg still known)
    engine.handle("fs1", FeatureCode(agent_leg, "mute"), T)
    assert emitted.take() == []
    assert f"call {CALLER}: agent 1003 pressed mute on their phone: refused: " in caplog.text


def test_an_attended_transfer_is_completed_from_the_desk_phone(
    engine: Engine, emitted: Recorder, agent_leg: str
) -> None:
    target = consulting(engine, emitted, agent_leg)
    engine.handle("fs1", FeatureCode(agent_leg, "complete"), T + 30)
    assert emitted.take() == [StopMedia(CALLER), BridgeLegs(CALLER, CALLER, target), HangupLeg(CALLER, agent_leg)]
    assert engine.agents["1003"].state is AgentState.WRAP_UP


# The phone's own transfer button (a blind SIP REFER), and calls transferred back to a number that parks here


def test_a_blind_refer_from_the_agents_phone_ends_their_part_as_a_transfer(
    engine: Engine, emitted: Recorder, agent_leg: str, history: list[HistoryRecord]
) -> None:
    engine.handle("fs1", HungUp(agent_leg, "NORMAL_CLEARING", transferred_to="1008"), T)
    assert emitted.take() == [] and engine.agents["1003"].state is AgentState.WRAP_UP
    engine.handle("fs1", HungUp(CALLER, "NORMAL_CLEARING"), T + 60)  # after talking to 1008
    assert (contact(history).outcome, contact(history).transferred_to) == ("transferred", "1008")


def test_a_call_transferred_to_a_number_that_parks_here_is_routed_again_keeping_its_contact(
    engine: Engine, emitted: Recorder, agent_leg: str, history: list[HistoryRecord]
) -> None:
    engine.handle("fs1", HungUp(agent_leg, "NORMAL_CLEARING", transferred_to="88005550556"), T)
    engine.handle("fs1", Parked(CALLER, True, "88005550556", "79161234567", ""), T + 1)
    effects = emitted.take()
    assert isinstance(effects[0], TakeCall) and engine.calls[CALLER].phase is Phase.IVR  # the main menu again
    assert not [r for r in history if isinstance(r, ContactRecord)]  # one contact, still going


def test_a_transfer_that_keeps_parking_here_is_hung_up_after_five_routings(
    engine: Engine, emitted: Recorder, agent_leg: str
) -> None:
    engine.handle("fs1", HungUp(agent_leg, "NORMAL_CLEARING", transferred_to="88005550556"), T)
    session = engine.calls[CALLER]
    for routing in range(2, 7):
        session.phase, session.transferred_to = Phase.ENDED, "88005550556"  # (a dialplan transfer, each time)
        engine.handle("fs1", Parked(CALLER, True, "88005550556", "79161234567", ""), T + routing)
    assert Hangup(CALLER, "EXCHANGE_ROUTING_ERROR") in emitted.take()
