"""The engine while callers wait: nobody logged in, callers who hang up and call back, announcements, keys,
callbacks."""

from __future__ import annotations

import pytest

from ccswitch.acd.agents import AgentState, Logout, Ready, TakeBreak
from ccswitch.channel_events import AppCompleted, Bridged, Dtmf, HungUp, JobFailed, Parked
from ccswitch.config import Config
from ccswitch.effects import (
    ConnectAgent,
    DialOut,
    Hangup,
    Originate,
    Play,
    PlayFiles,
    RecordMessage,
    RunInline,
    StartMusic,
    StartRecording,
    StopMedia,
)
from ccswitch.engine import CallAction, Engine, Phase
from ccswitch.history.model import ContactRecord, HistoryRecord
from ccswitch.media.recording import RecordingMode, RecordingPolicy
from ccswitch.routing.steps import ToAnnouncement, ToQueue
from ccswitch.store.memory import MemoryStore
from tests.test_engine import CALLER, MONDAY_10AM, Recorder, config, emitted, park, press, reserve, with_queue

__all__ = ["config", "emitted"]  # fixtures

SECOND = "c0ffee00-0000-4000-8000-000000000002"
THIRD = "c0ffee00-0000-4000-8000-000000000003"


def started(config: Config, emitted: Recorder, **support: object) -> Engine:
    engine = Engine(with_queue(config, "support", **support), MemoryStore(), emitted)
    engine.start(MONDAY_10AM - 3600)
    return engine


def all_support_agents(engine: Engine, config: Config, event: Logout | TakeBreak, now: float) -> None:
    for agent_id in config.members("support"):
        engine.agent_action(agent_id, event, now)


def test_given_nobody_logged_in_when_a_call_queues_then_it_goes_straight_to_when_no_agents(
    config: Config, emitted: Recorder
) -> None:
    engine = started(config, emitted, when_no_agents=ToQueue("operator"))
    all_support_agents(engine, config, Logout(), MONDAY_10AM - 60)
    park(engine)
    (offer,) = press(engine, emitted, "2", MONDAY_10AM + 3)
    assert isinstance(offer, ConnectAgent) and offer.queue == "operator"
    assert engine.stats.queues["support"].overflowed == 1


def test_given_agents_on_break_then_they_count_as_logged_in_and_the_call_waits(
    config: Config, emitted: Recorder
) -> None:
    engine = started(config, emitted, when_no_agents=ToQueue("operator"))
    all_support_agents(engine, config, TakeBreak("lunch"), MONDAY_10AM - 60)
    park(engine)
    (music,) = press(engine, emitted, "2", MONDAY_10AM + 3)
    assert isinstance(music, StartMusic) and CALLER in engine.waiting["support"]


def test_given_the_last_agent_logs_out_then_waiting_calls_leave_after_no_agents_wait(
    config: Config, emitted: Recorder
) -> None:
    engine = started(config, emitted, when_no_agents=ToAnnouncement("queue/all_busy"), no_agents_wait_s=30)
    all_support_agents(engine, config, TakeBreak("lunch"), MONDAY_10AM - 60)
    park(engine)
    press(engine, emitted, "2", MONDAY_10AM + 3)
    all_support_agents(engine, config, Logout(), MONDAY_10AM + 10)
    engine.tick(MONDAY_10AM + 32)
    assert emitted.take() == [] and CALLER in engine.waiting["support"]
    engine.tick(MONDAY_10AM + 33)
    stop, play = emitted.take()
    assert stop == StopMedia(CALLER) and isinstance(play, Play) and play.path.endswith("queue/all_busy.wav")
    assert engine.calls[CALLER].phase is Phase.ANNOUNCING and engine.stats.queues["support"].overflowed == 1


def test_given_rejoin_window_when_the_caller_calls_back_in_time_then_they_are_back_at_their_place(
    config: Config, emitted: Recorder
) -> None:
    engine = started(config, emitted, rejoin_window_s=300)
    all_support_agents(engine, config, TakeBreak("lunch"), MONDAY_10AM - 60)
    park(engine)
    press(engine, emitted, "2", MONDAY_10AM + 3)
    engine.handle("fs1", Parked(SECOND, True, "88005550556", "79990000000", "Olga"), MONDAY_10AM + 10)
    press(engine, emitted, "2", MONDAY_10AM + 12, uuid=SECOND)
    engine.handle("fs1", HungUp(CALLER, "NORMAL_CLEARING"), MONDAY_10AM + 60)
    assert list(engine.waiting["support"]) == [SECOND]

    park(engine, THIRD, MONDAY_10AM + 200)  # the first caller again, within 300 s
    press(engine, emitted, "2", MONDAY_10AM + 203, uuid=THIRD)
    order = sorted(engine.waiting["support"].values(), key=lambda e: (e.enqueued_at, e.seq))
    assert [entry.call for entry in order] == [THIRD, SECOND]
    assert engine.calls[THIRD].queued_at == MONDAY_10AM + 203  # the wait counts from the new call

    engine.agent_action("1004", Ready(), MONDAY_10AM + 210)
    (offer,) = [e for e in emitted.take() if isinstance(e, ConnectAgent)]
    assert offer.call == THIRD


def test_given_rejoin_window_passed_then_the_caller_queues_at_the_back(config: Config, emitted: Recorder) -> None:
    engine = started(config, emitted, rejoin_window_s=60)
    all_support_agents(engine, config, TakeBreak("lunch"), MONDAY_10AM - 60)
    park(engine)
    press(engine, emitted, "2", MONDAY_10AM + 3)
    engine.handle("fs1", HungUp(CALLER, "NORMAL_CLEARING"), MONDAY_10AM + 30)
    park(engine, THIRD, MONDAY_10AM + 100)
    press(engine, emitted, "2", MONDAY_10AM + 103, uuid=THIRD)
    assert engine.waiting["support"][THIRD].enqueued_at == MONDAY_10AM + 103


def waiting_in_support(engine: Engine, config: Config, emitted: Recorder) -> None:
    """All support agents on break; the caller queues for support and hears music."""
    all_support_agents(engine, config, TakeBreak("lunch"), MONDAY_10AM - 60)
    park(engine)
    (music,) = press(engine, emitted, "2", MONDAY_10AM + 3)
    assert isinstance(music, StartMusic)


def test_periodic_announcement_says_position_and_expected_wait_then_music_again(
    config: Config, emitted: Recorder
) -> None:
    store = MemoryStore()
    Engine(config, store, emitted).start(MONDAY_10AM - 7200)  # the agents' records, as a previous run left them
    for busy, call in (("1004", "earlier-call-1"), ("1005", "earlier-call-2")):
        reserve(store, busy, call, answered=True)
    engine = Engine(config, store, emitted)  # shipped: every 45 s, first after 30 s, position + wait, callback
    engine.start(MONDAY_10AM - 3600)
    for agent_id in ("1003", "1006", "1007"):
        engine.agent_action(agent_id, TakeBreak("lunch"), MONDAY_10AM - 60)
    park(engine)
    press(engine, emitted, "2", MONDAY_10AM + 3)
    engine.tick(MONDAY_10AM + 32)
    assert emitted.take() == []
    engine.tick(MONDAY_10AM + 33)
    effects = emitted.take()
    plays = [e.path.rsplit("sounds/", 1)[1] for e in effects if isinstance(e, Play)]
    assert isinstance(effects[0], StopMedia) and effects[-1] == StartMusic(CALLER, "local_stream://moh")
    assert plays == ["queue/position.wav", "queue/wait_time.wav", "queue/callback_offer.wav"]
    # the only caller waiting; two agents serving (on calls), none handled yet: 1 x 180 s / 2 = 90 s -> 2 min
    assert [[path.rsplit("sounds/", 1)[1] for path in e.paths] for e in effects if isinstance(e, PlayFiles)] == [
        ["numbers/en/digits/1.wav"], ["numbers/en/digits/2.wav", "numbers/en/time/minutes.wav"]]
    engine.tick(MONDAY_10AM + 33 + 44)
    assert emitted.take() == []
    engine.tick(MONDAY_10AM + 33 + 45)
    assert isinstance(emitted.take()[0], StopMedia)


def test_the_exit_key_takes_the_caller_to_the_exit_step(config: Config, emitted: Recorder) -> None:
    engine = started(config, emitted)
    waiting_in_support(engine, config, emitted)
    engine.handle("fs1", Dtmf(CALLER, "5"), MONDAY_10AM + 10)  # not a key of this queue
    assert emitted.take() == [] and CALLER in engine.waiting["support"]
    engine.handle("fs1", Dtmf(CALLER, "0"), MONDAY_10AM + 11)
    stop, offer = emitted.take()
    assert stop == StopMedia(CALLER) and isinstance(offer, ConnectAgent) and offer.queue == "operator"
    assert engine.stats.queues["support"].overflowed == 1


def callback_requested(engine: Engine, config: Config, emitted: Recorder) -> None:
    waiting_in_support(engine, config, emitted)
    engine.handle("fs1", Dtmf(CALLER, "1"), MONDAY_10AM + 20)
    stop, confirm = emitted.take()
    assert stop == StopMedia(CALLER) and isinstance(confirm, Play) and confirm.path.endswith("callback_confirm.wav")
    engine.handle("fs1", AppCompleted(CALLER, "playback", confirm.tag, "", None), MONDAY_10AM + 26)
    assert emitted.take() == [Hangup(CALLER, "NORMAL_CLEARING")]
    engine.handle("fs1", HungUp(CALLER, "NORMAL_CLEARING"), MONDAY_10AM + 26)
    assert engine.callbacks_pending()["support"] == 1
    assert engine.store.entries("support")[0].callback == "79161234567"
    assert engine.queued_entries() == [] and engine.stats.queues["support"].abandoned == 0


def callback_dialled(engine: Engine, config: Config, emitted: Recorder) -> tuple[Originate, DialOut]:
    """A callback asked for; 1004, back from a break, takes it: their phone answers and dials the caller."""
    callback_requested(engine, config, emitted)
    engine.agent_action("1004", Ready(), MONDAY_10AM + 100)
    (originate,) = emitted.take()
    assert isinstance(originate, Originate)
    engine.handle("fs1", Parked(originate.leg, False, "1004", "", ""), MONDAY_10AM + 103)
    (dial,) = emitted.take()
    assert isinstance(dial, DialOut)
    return originate, dial


def test_callback_dials_the_agent_first_then_the_caller_and_connects_them(config: Config, emitted: Recorder) -> None:
    history: list[HistoryRecord] = []
    engine = Engine(config, MemoryStore(), emitted, record=history.append)
    engine.start(MONDAY_10AM - 3600)
    callback_requested(engine, config, emitted)
    engine.agent_action("1004", Ready(), MONDAY_10AM + 100)
    (originate,) = emitted.take()
    assert isinstance(originate, Originate) and originate.endpoint == "user/1004" and originate.app == "park"
    assert ("origination_caller_id_number", "79161234567") in originate.variables
    engine.handle("fs1", Parked(originate.leg, False, "1004", "79161234567", "Callback support"), MONDAY_10AM + 103)
    (dial,) = emitted.take()
    assert isinstance(dial, DialOut) and dial.leg == originate.leg and dial.number == "79161234567"
    assert dial.gateway == "trunk" and dial.caller_id_number == "88005550556"
    engine.handle("fs1", Bridged(originate.leg, dial.callee_leg), MONDAY_10AM + 110)
    assert engine.agents["1004"].state is AgentState.ON_CALL and engine.callbacks_pending()["support"] == 0
    engine.handle("fs1", HungUp(dial.callee_leg, "NORMAL_CLEARING"), MONDAY_10AM + 170)
    engine.handle("fs1", HungUp(originate.leg, "NORMAL_CLEARING"), MONDAY_10AM + 170)
    assert engine.agents["1004"].state is AgentState.WRAP_UP and CALLER not in engine.calls
    (contact,) = [r for r in history if isinstance(r, ContactRecord)]
    assert contact.outcome == "answered" and contact.callback and contact.agent == "1004"
    assert contact.call_uuid == CALLER  # the contact's first channel, though the call moved to the dialled leg
    assert contact.talk_s == 60 and contact.wait_s == pytest.approx(107.0)
    assert engine.store.entries("support") == []


def test_a_callbacks_customer_is_dialled_once_the_nodes_per_second_budget_allows(
        config: Config, emitted: Recorder) -> None:
    engine = started(config, emitted)
    callback_requested(engine, config, emitted)
    engine.agent_action("1004", Ready(), MONDAY_10AM + 100)
    (originate,) = emitted.take()
    assert engine.take_channels("fs1", 100, MONDAY_10AM + 102.5) == 29  # the dialler takes the whole second's budget
    engine.handle("fs1", Parked(originate.leg, False, "1004", "", ""), MONDAY_10AM + 103)
    engine.tick(MONDAY_10AM + 103.4)
    assert emitted.take() == []  # the agent's phone waits parked
    engine.tick(MONDAY_10AM + 103.5)  # the dialler's channels are a second old
    (dial,) = emitted.take()
    assert isinstance(dial, DialOut) and dial.leg == originate.leg and dial.number == "79161234567"


def test_a_connected_callback_is_recorded_and_transferred_like_any_call_on_the_leg_the_caller_is_on(
    config: Config, emitted: Recorder
) -> None:
    history: list[HistoryRecord] = []
    engine = Engine(with_queue(config, "support", recording=RecordingPolicy(RecordingMode.ALL, announce=None)),
                    MemoryStore(), emitted, record=history.append)
    engine.start(MONDAY_10AM - 3600)
    originate, dial = callback_dialled(engine, config, emitted)
    assert dial.callee_leg == originate.call  # the call is named by the caller's leg
    engine.handle("fs1", Bridged(originate.leg, dial.callee_leg), MONDAY_10AM + 110)
    (record,) = emitted.take()
    assert isinstance(record, StartRecording) and record.call == dial.callee_leg
    control = engine.control("1004", CallAction.TRANSFER, MONDAY_10AM + 150, queue="operator")
    assert control.call == dial.callee_leg
    assert emitted.take() == [RunInline(dial.callee_leg, dial.callee_leg, (("park", ""),))]
    engine.handle("fs1", HungUp(originate.leg, "NORMAL_CLEARING"), MONDAY_10AM + 150)
    engine.handle("fs1", Parked(dial.callee_leg, False, "79161234567", "88005550556", ""), MONDAY_10AM + 151)
    assert engine.calls[dial.callee_leg].phase in (Phase.QUEUED, Phase.OFFERING)
    assert engine.calls[dial.callee_leg].entry.queue == "operator"  # type: ignore[union-attr]
    offer = [effect for effect in emitted.take() if isinstance(effect, ConnectAgent)]
    assert [connect.call for connect in offer] == [dial.callee_leg]  # rung from the caller's leg, as inbound
    engine.handle("fs1", HungUp(dial.callee_leg, "NORMAL_CLEARING"), MONDAY_10AM + 160)
    (contact,) = [r for r in history if isinstance(r, ContactRecord)]
    assert (contact.call_uuid, contact.transferred_to, contact.callback) == (CALLER, "queue:operator", True)
    assert contact.recording_path == record.path


def test_an_unanswered_callback_is_retried_then_given_up_as_abandoned(config: Config, emitted: Recorder) -> None:
    history: list[HistoryRecord] = []
    engine = Engine(config, MemoryStore(), emitted, record=history.append)
    engine.start(MONDAY_10AM - 3600)
    callback_requested(engine, config, emitted)
    engine.agent_action("1004", Ready(), MONDAY_10AM + 100)
    now = MONDAY_10AM + 100
    for attempt in range(1, 4):
        (originate,) = [e for e in emitted.take() if isinstance(e, Originate)]
        engine.handle("fs1", Parked(originate.leg, False, "1004", "", ""), now + 3)
        (dial,) = emitted.take()
        engine.handle("fs1", AppCompleted(originate.leg, "bridge", dial.tag, "", "NO_ANSWER"), now + 40)
        assert Hangup(originate.leg) in emitted.take()  # the agent's parked leg
        assert engine.agents["1004"].state is AgentState.AVAILABLE and engine.agents["1004"].missed_in_row == 0
        if attempt < 3:
            assert engine.callbacks_pending()["support"] == 1
            engine.tick(now + 40 + 119)
            assert not [e for e in emitted.take() if isinstance(e, Originate)]  # not before retry_s
            now += 40 + 120
            engine.tick(now)
    assert engine.callbacks_pending()["support"] == 0 and engine.store.entries("support") == []
    assert engine.stats.queues["support"].abandoned == 1
    (contact,) = [r for r in history if isinstance(r, ContactRecord)]
    assert contact.outcome == "abandoned" and contact.callback and contact.hangup_cause == "NO_ANSWER"


def test_an_agent_who_misses_a_callback_is_charged_and_the_callback_waits_again(
    config: Config, emitted: Recorder
) -> None:
    engine = started(config, emitted)
    callback_requested(engine, config, emitted)
    engine.agent_action("1004", Ready(), MONDAY_10AM + 100)
    (originate,) = emitted.take()
    assert isinstance(originate, Originate)
    engine.handle("fs1", JobFailed(originate.leg, "NO_ANSWER"), MONDAY_10AM + 116)
    assert engine.agents["1004"].missed_in_row == 1 and engine.callbacks_pending()["support"] == 1
    (again,) = emitted.take()  # the only agent free: offered again
    assert isinstance(again, Originate) and again.leg != originate.leg
    callback = engine.calls[again.call]  # each attempt on a leg of its own; the contact keeps the caller's uuid
    assert again.call != originate.call and (callback.phase, callback.contact_uuid) == (Phase.OFFERING, CALLER)


def test_a_callback_promised_before_a_restart_is_kept(config: Config, emitted: Recorder) -> None:
    store = MemoryStore()
    before = Engine(config, store, emitted)
    before.start(MONDAY_10AM - 3600)
    callback_requested(before, config, emitted)
    after = Engine(config, store, emitted)
    after.start(MONDAY_10AM + 60)
    after.reconcile("fs1", [], [], MONDAY_10AM + 61)
    assert after.callbacks_pending()["support"] == 1 and after.calls[CALLER].caller_gone


def test_the_agent_announcement_goes_with_the_offer(config: Config, emitted: Recorder) -> None:
    engine = started(config, emitted)
    park(engine)
    (offer,) = press(engine, emitted, "2", MONDAY_10AM + 3)
    assert isinstance(offer, ConnectAgent) and offer.agent_announcement is not None
    assert offer.agent_announcement.endswith("sounds/queue/agent_support.wav")


def test_max_wait_with_a_callback_overflow_keeps_the_place_as_a_callback(config: Config, emitted: Recorder) -> None:
    engine = started(config, emitted, announcements=None)  # shipped support: overflow {callback: support}
    waiting_in_support(engine, config, emitted)
    place = engine.waiting["support"][CALLER]
    engine.tick(MONDAY_10AM + 3 + 120)
    stop, confirm = emitted.take()
    assert stop == StopMedia(CALLER) and isinstance(confirm, Play) and confirm.path.endswith("callback_confirm.wav")
    entry = engine.store.entries("support")[0]
    assert (entry.seq, entry.enqueued_at, entry.callback) == (place.seq, place.enqueued_at, "79161234567")
    assert engine.stats.queues["support"].overflowed == 0 and engine.callbacks_pending()["support"] == 1


def test_a_caller_without_a_number_to_call_back_goes_to_otherwise(config: Config, emitted: Recorder) -> None:
    engine = started(config, emitted, announcements=None)
    all_support_agents(engine, config, TakeBreak("lunch"), MONDAY_10AM - 60)
    engine.handle("fs1", Parked(CALLER, True, "88005550556", "anonymous", ""), MONDAY_10AM)
    press(engine, emitted, "2", MONDAY_10AM + 3)
    engine.tick(MONDAY_10AM + 3 + 120)
    _stop, play = emitted.take()
    assert isinstance(play, Play) and play.path.endswith("queue/all_busy.wav")
    assert engine.stats.queues["support"].overflowed == 1 and engine.callbacks_pending()["support"] == 0


def test_a_voicemail_overflow_records_the_message_and_keeps_it_with_the_contact(
    config: Config, emitted: Recorder
) -> None:
    history: list[HistoryRecord] = []
    engine = Engine(config, MemoryStore(), emitted, record=history.append)  # shipped operator: voicemail overflow
    engine.start(MONDAY_10AM - 3600)
    for agent_id in config.members("operator"):
        engine.agent_action(agent_id, TakeBreak("lunch"), MONDAY_10AM - 60)
    park(engine)
    press(engine, emitted, "0", MONDAY_10AM + 3)
    engine.tick(MONDAY_10AM + 3 + 180)
    _stop, prompt, record = emitted.take()
    assert isinstance(prompt, Play) and prompt.path.endswith("queue/leave_message.wav")
    assert isinstance(record, RecordMessage) and record.max_s == 120
    assert record.path.endswith(f"recordings/voicemail/2026/11/23/{CALLER}.wav")
    engine.handle("fs1", AppCompleted(CALLER, "record", record.tag, "", None), MONDAY_10AM + 240)
    assert emitted.take() == [Hangup(CALLER, "NORMAL_CLEARING")]
    engine.handle("fs1", HungUp(CALLER, "NORMAL_CLEARING"), MONDAY_10AM + 240)
    (contact,) = [r for r in history if isinstance(r, ContactRecord)]
    assert contact.outcome == "overflowed" and contact.recording_path == record.path  # from the queue's view


def test_hanging_up_a_callback_from_the_api_ends_the_leg_that_dialled_the_caller(
    config: Config, emitted: Recorder
) -> None:
    engine = started(config, emitted)
    originate, dial = callback_dialled(engine, config, emitted)
    engine.handle("fs1", Bridged(originate.leg, dial.callee_leg), MONDAY_10AM + 110)
    emitted.take()  # (a recording, if the queue's sample picks this call)
    engine.control("1004", CallAction.HANGUP, MONDAY_10AM + 120)
    assert emitted.take() == [Hangup(dial.callee_leg, "NORMAL_CLEARING")]


def booked_then_waiting_again(config: Config, emitted: Recorder) -> Engine:
    """The caller's number waits for a callback of support (they left after the confirmation); they call again and
    wait in support."""
    engine = started(config, emitted, announcements=None)
    waiting_in_support(engine, config, emitted)
    engine.tick(MONDAY_10AM + 3 + 120)  # max wait: their place becomes a callback
    engine.handle("fs1", HungUp(CALLER, "NORMAL_CLEARING"), MONDAY_10AM + 130)
    emitted.take()
    engine.handle("fs1", Parked(SECOND, True, "88005550556", "79161234567", "Ivan"), MONDAY_10AM + 200)
    press(engine, emitted, "2", MONDAY_10AM + 203, uuid=SECOND)
    assert SECOND in engine.waiting["support"] and engine.callbacks_pending()["support"] == 1
    return engine


def test_a_number_already_booked_for_a_callback_gets_no_second_one_when_its_wait_overflows(
        config: Config, emitted: Recorder) -> None:
    engine = booked_then_waiting_again(config, emitted)
    engine.tick(MONDAY_10AM + 203 + 120)
    stop, confirm = emitted.take()
    assert stop == StopMedia(SECOND) and isinstance(confirm, Play) and confirm.path.endswith("callback_confirm.wav")
    assert SECOND not in engine.waiting["support"] and engine.calls[SECOND].phase is Phase.ANNOUNCING
    assert engine.callbacks_pending()["support"] == 1 and len(engine.store.entries("support")) == 1


def test_a_number_already_booked_for_a_callback_gets_no_second_one_from_the_callback_key(
        config: Config, emitted: Recorder) -> None:
    engine = booked_then_waiting_again(config, emitted)
    key = engine.config.queues["support"].callback
    assert key is not None
    engine.handle("fs1", Dtmf(SECOND, key.key), MONDAY_10AM + 210)
    *_, confirm = emitted.take()
    assert isinstance(confirm, Play) and confirm.path.endswith("callback_confirm.wav")
    assert SECOND not in engine.waiting["support"] and engine.callbacks_pending()["support"] == 1
