"""The engine without sockets: channel events in, effects and agent states out (shipped config, MemoryStore)."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import replace
from datetime import datetime
from pathlib import Path
from types import MappingProxyType
from zoneinfo import ZoneInfo

import pytest

from ccswitch.acd.agents import AgentState, Answered, Offer, TakeBreak, apply
from ccswitch.acd.queues import QueueEntry
from ccswitch.channel_events import AppCompleted, Bridged, HungUp, Parked
from ccswitch.config import Config, load_config
from ccswitch.effects import (
    AgentLeg,
    AnnounceToCaller,
    Answer,
    CollectDigits,
    ConnectAgent,
    Effect,
    Hangup,
    MaskRecording,
    Play,
    StartMusic,
    StartRecording,
    StopMedia,
    TakeCall,
)
from ccswitch.engine import OFFER_GRACE_S, Engine, Phase
from ccswitch.errors import InvalidTransition, UnknownNameError
from ccswitch.history.model import ContactRecord, HistoryRecord
from ccswitch.media.recording import RecordingMode, RecordingPolicy, should_record
from ccswitch.routing.steps import ToAnnouncement, ToQueue
from ccswitch.store.memory import MemoryStore

ROOT = Path(__file__).resolve().parents[1]
MOSCOW = ZoneInfo("Europe/Moscow")
MONDAY_10AM = datetime(2026, 11, 23, 10, 0, tzinfo=MOSCOW).timestamp()
SUNDAY_10AM = datetime(2026, 11, 22, 10, 0, tzinfo=MOSCOW).timestamp()
CALLER = "c0ffee00-0000-4000-8000-000000000001"


class Recorder:
    def __init__(self) -> None:
        self.effects: list[Effect] = []

    def __call__(self, node: str, effects: Sequence[Effect]) -> None:
        assert node == "fs1"
        self.effects.extend(effects)

    def take(self) -> list[Effect]:
        taken, self.effects = self.effects, []
        return taken


@pytest.fixture(scope="module")
def config() -> Config:
    return load_config(ROOT / "config" / "ccswitch.yaml", env={})


@pytest.fixture
def emitted() -> Recorder:
    return Recorder()


@pytest.fixture
def engine(config: Config, emitted: Recorder) -> Engine:
    engine = Engine(config, MemoryStore(), emitted)
    engine.start(MONDAY_10AM - 3600)
    return engine


def park(engine: Engine, uuid: str = CALLER, now: float = MONDAY_10AM) -> None:
    engine.handle("fs1", Parked(uuid, True, "88005550556", "79161234567", "Ivan"), now)


def press(engine: Engine, emitted: Recorder, digits: str, now: float, uuid: str = CALLER) -> list[Effect]:
    collect = [e for e in emitted.take() if isinstance(e, CollectDigits)][-1]
    engine.handle("fs1", AppCompleted(uuid, "play_and_get_digits", collect.tag, digits, None), now)
    return emitted.take()


def queue_for_support(engine: Engine, emitted: Recorder, now: float = MONDAY_10AM) -> AgentLeg:
    """The caller chooses support; an agent is free, so the call rings them at once (no music first)."""
    park(engine, now=now)
    (offer,) = press(engine, emitted, "2", now + 3)
    assert isinstance(offer, ConnectAgent) and offer.queue == "support"
    (leg,) = offer.legs
    return leg


def test_given_business_hours_when_call_parks_then_answered_and_main_menu_collects_digits(
    engine: Engine, emitted: Recorder
) -> None:
    park(engine)
    take, answer, collect = emitted.effects
    assert take == TakeCall(CALLER) and answer == Answer(CALLER)
    assert isinstance(collect, CollectDigits)
    assert collect.path.endswith("sounds/ivr/main_menu.wav")


def test_given_sunday_when_call_parks_then_closed_announcement_then_hangup(
    engine: Engine, emitted: Recorder
) -> None:
    park(engine, now=SUNDAY_10AM)
    _take, answer, play = emitted.take()
    assert answer == Answer(CALLER) and isinstance(play, Play) and play.path.endswith("announce/closed.wav")
    engine.handle("fs1", AppCompleted(CALLER, "playback", play.tag, "", None), SUNDAY_10AM + 5)
    assert emitted.take() == [Hangup(CALLER, "NORMAL_CLEARING")]


def test_given_support_choice_then_longest_idle_support_agent_is_rung(engine: Engine, emitted: Recorder) -> None:
    offer = queue_for_support(engine, emitted)
    assert offer.agent_id == "1003"  # all equally idle: the first support member in the agents file
    assert offer.dial_string == f"user/{offer.agent_id}"
    assert engine.agents[offer.agent_id].state is AgentState.RESERVED
    assert engine.calls[CALLER].phase is Phase.OFFERING


def test_given_agent_answers_then_call_connected_and_wait_counted(engine: Engine, emitted: Recorder) -> None:
    offer = queue_for_support(engine, emitted)
    engine.handle("fs1", Bridged(CALLER, offer.leg), MONDAY_10AM + 10)
    assert engine.agents[offer.agent_id].state is AgentState.ON_CALL
    figures = engine.stats.queues["support"]
    assert figures.answered == 1 and figures.asa == pytest.approx(7.0)
    assert engine.store.entries("support") == []


def test_given_talking_when_agent_hangs_up_then_wrap_up_then_available(engine: Engine, emitted: Recorder) -> None:
    offer = queue_for_support(engine, emitted)
    engine.handle("fs1", Bridged(CALLER, offer.leg), MONDAY_10AM + 10)
    engine.handle("fs1", HungUp(offer.leg, "NORMAL_CLEARING"), MONDAY_10AM + 70)
    engine.handle("fs1", HungUp(CALLER, "NORMAL_CLEARING"), MONDAY_10AM + 70)
    agent = engine.agents[offer.agent_id]
    assert agent.state is AgentState.WRAP_UP and agent.calls_handled == 1
    assert engine.stats.agents[offer.agent_id].talk_seconds == pytest.approx(60)
    engine.tick(MONDAY_10AM + 70 + 14)
    assert engine.agents[offer.agent_id].state is AgentState.WRAP_UP
    engine.tick(MONDAY_10AM + 70 + 15)  # support's wrap_up_s
    assert engine.agents[offer.agent_id].state is AgentState.AVAILABLE
    assert CALLER not in engine.calls


def test_given_agent_does_not_answer_then_miss_and_call_offered_to_next_agent(
    engine: Engine, emitted: Recorder
) -> None:
    first = queue_for_support(engine, emitted)
    engine.handle("fs1", HungUp(first.leg, "NO_ANSWER"), MONDAY_10AM + 18)
    engine.handle("fs1", AppCompleted(CALLER, "bridge", None, "", "NO_ANSWER"), MONDAY_10AM + 18)
    (second,) = emitted.take()
    assert isinstance(second, ConnectAgent) and second.legs[0].agent_id != first.agent_id
    missed = engine.agents[first.agent_id]
    assert missed.state is AgentState.AVAILABLE and missed.missed_in_row == 1
    assert engine.stats.agents[first.agent_id].missed == 1
    # The failed bridge's park arrives after the new offer: nothing more to do.
    park(engine, now=MONDAY_10AM + 18)
    assert emitted.take() == []


def test_given_caller_hangs_up_while_agent_rings_then_abandoned_and_agent_keeps_place(
    engine: Engine, emitted: Recorder
) -> None:
    offer = queue_for_support(engine, emitted)
    before = engine.agents[offer.agent_id].idle_since
    engine.handle("fs1", HungUp(CALLER, "ORIGINATOR_CANCEL"), MONDAY_10AM + 8)
    agent = engine.agents[offer.agent_id]
    assert agent.state is AgentState.AVAILABLE and agent.missed_in_row == 0 and agent.idle_since == before
    assert engine.stats.queues["support"].abandoned == 1
    assert engine.store.entries("support") == []


def test_given_no_free_agent_when_max_wait_passes_then_overflow_announcement(
    config: Config, emitted: Recorder
) -> None:
    engine = Engine(with_queue(config, "support", announcements=None, overflow=ToAnnouncement("queue/all_busy")),
                    MemoryStore(), emitted)
    engine.start(MONDAY_10AM - 3600)
    for agent_id in config.members("support"):
        engine.agents[agent_id] = engine.store.put_agent(
            engine.agents[agent_id].__class__(agent_id, AgentState.ON_BREAK, MONDAY_10AM, break_reason="lunch")
        )
    park(engine)
    effects = press(engine, emitted, "2", MONDAY_10AM + 3)
    assert [type(e) for e in effects] == [StartMusic]
    engine.tick(MONDAY_10AM + 3 + 119)
    assert emitted.take() == []
    engine.tick(MONDAY_10AM + 3 + 120)
    stop, play = emitted.take()
    assert stop == StopMedia(CALLER) and isinstance(play, Play) and play.path.endswith("queue/all_busy.wav")
    assert engine.stats.queues["support"].overflowed == 1
    assert engine.store.entries("support") == []


def test_given_call_unknown_to_switch_after_reconnect_then_it_is_closed_and_parked_calls_adopted(
    engine: Engine, emitted: Recorder
) -> None:
    offer = queue_for_support(engine, emitted)
    other = "c0ffee00-0000-4000-8000-000000000002"
    parked = Parked(other, True, "88005550556", "79990000000", "Olga")
    engine.reconcile("fs1", [other], [parked], MONDAY_10AM + 30)
    assert CALLER not in engine.calls
    assert engine.agents[offer.agent_id].state is AgentState.AVAILABLE
    assert engine.calls[other].phase is Phase.IVR
    assert emitted.take()[:2] == [TakeCall(other), Answer(other)]


def test_given_a_previous_run_left_calls_in_the_store_when_the_node_reports_then_live_ones_are_taken_back(
    config: Config, emitted: Recorder
) -> None:
    store = MemoryStore()
    first = Engine(config, store, emitted)
    first.start(MONDAY_10AM - 3600)
    waiting, ringing, talking, gone_entry, gone_ringing = (f"c0ffee00-0000-4000-8000-00000000010{n}" for n in range(5))
    for n, call in enumerate((waiting, ringing, gone_entry)):
        store.add_entry(QueueEntry(call, "sales", 0, MONDAY_10AM - 60 + n, store.next_seq()))
    for agent_id in config.members("sales"):  # nobody free in sales when the previous run stopped
        first.agent_action(agent_id, TakeBreak("lunch"), MONDAY_10AM - 50)
    reserve(store, "1004", ringing)
    reserve(store, "1005", talking, answered=True)
    reserve(store, "1006", gone_ringing)

    engine = Engine(config, store, emitted)
    engine.start(MONDAY_10AM)
    emitted.take()
    engine.reconcile("fs1", [waiting, ringing, talking], [], MONDAY_10AM)

    assert engine.calls[waiting].phase is Phase.QUEUED and list(engine.waiting["sales"]) == [waiting]
    assert engine.calls[ringing].phase is Phase.OFFERING and engine.calls[ringing].ringing == {"1004": ""}
    # It waits for its outcome until the ring timeout (sales: 15 s) and the grace have passed since the offer.
    assert engine.calls[ringing].offer_deadline == MONDAY_10AM - 30 + 15 + OFFER_GRACE_S
    assert engine.calls[talking].phase is Phase.CONNECTED and engine.calls[talking].agent == "1005"
    assert [e.call for e in store.entries("sales")] == [waiting, ringing]  # the dead call left its queue
    assert engine.agents["1006"].state is AgentState.AVAILABLE  # not stuck ringing a call that is gone
    engine.handle("fs1", HungUp(talking, "NORMAL_CLEARING"), MONDAY_10AM + 30)
    assert engine.agents["1005"].state is AgentState.WRAP_UP


def reserve(store: MemoryStore, agent_id: str, call: str, answered: bool = False) -> None:
    agent = store.get_agent(agent_id)
    assert agent is not None
    ringing = apply(agent, Offer(call), MONDAY_10AM - 30)
    store.update_agent(agent, apply(ringing, Answered(call), MONDAY_10AM - 20) if answered else ringing)


def with_queue(config: Config, name: str, **changes: object) -> Config:
    return replace(config, queues=MappingProxyType({**config.queues, name: replace(config.queues[name], **changes)}))


def with_agent(config: Config, agent_id: str, **changes: object) -> Config:
    agents = {**config.agents, agent_id: replace(config.agents[agent_id], **changes)}
    return replace(config, agents=MappingProxyType(agents))


def test_given_ring_all_then_every_free_member_rings_and_the_first_to_answer_wins(
    config: Config, emitted: Recorder
) -> None:
    engine = Engine(with_queue(config, "support", strategy="ring-all"), MemoryStore(), emitted)
    engine.start(MONDAY_10AM - 3600)
    park(engine)
    (offer,) = press(engine, emitted, "2", MONDAY_10AM + 3)
    assert isinstance(offer, ConnectAgent)
    assert sorted(leg.agent_id for leg in offer.legs) == list(config.members("support"))
    winner, loser = offer.legs[2], offer.legs[0]
    loser_place = engine.agents[loser.agent_id].idle_since

    engine.handle("fs1", Bridged(CALLER, winner.leg), MONDAY_10AM + 8)
    engine.handle("fs1", HungUp(loser.leg, "LOSE_RACE"), MONDAY_10AM + 8)
    assert engine.agents[winner.agent_id].state is AgentState.ON_CALL
    assert engine.calls[CALLER].phase is Phase.CONNECTED and engine.calls[CALLER].agent == winner.agent_id
    released = engine.agents[loser.agent_id]
    assert released.state is AgentState.AVAILABLE and released.missed_in_row == 0
    assert released.idle_since == loser_place


def test_given_a_busy_agent_then_the_busy_delay_applies_and_no_no_answer_is_counted(
    config: Config, emitted: Recorder
) -> None:
    engine = Engine(with_agent(config, "1003", busy_delay_s=30), MemoryStore(), emitted)
    engine.start(MONDAY_10AM - 3600)
    first = queue_for_support(engine, emitted)
    assert first.agent_id == "1003"
    engine.handle("fs1", AppCompleted(CALLER, "bridge", None, "", "USER_BUSY"), MONDAY_10AM + 4)
    (retry,) = emitted.take()
    assert isinstance(retry, ConnectAgent) and retry.legs[0].agent_id != "1003"
    busy = engine.agents["1003"]
    assert busy.state is AgentState.AVAILABLE and busy.missed_in_row == 0 and busy.not_before == MONDAY_10AM + 34


def test_given_a_full_queue_then_the_call_goes_straight_to_overflow(config: Config, emitted: Recorder) -> None:
    engine = Engine(with_queue(config, "support", max_length=1, overflow=ToAnnouncement("queue/all_busy")),
                    MemoryStore(), emitted)
    engine.start(MONDAY_10AM - 3600)
    for agent_id in config.members("support"):
        engine.agent_action(agent_id, TakeBreak("lunch"), MONDAY_10AM - 60)
    park(engine)
    press(engine, emitted, "2", MONDAY_10AM + 3)
    second = "c0ffee00-0000-4000-8000-000000000002"
    park(engine, second, MONDAY_10AM + 4)
    (play,) = press(engine, emitted, "2", MONDAY_10AM + 6, uuid=second)
    assert isinstance(play, Play) and play.path.endswith("queue/all_busy.wav")
    assert engine.stats.queues["support"].overflowed == 1
    assert [e.call for e in engine.store.entries("support")] == [CALLER]


def test_given_full_queues_overflowing_into_each_other_then_the_call_is_refused(
    config: Config, emitted: Recorder
) -> None:
    looping = with_queue(with_queue(config, "support", max_length=0, overflow=ToQueue("sales")),
                         "sales", max_length=0, overflow=ToQueue("support"))
    engine = Engine(looping, MemoryStore(), emitted)
    engine.start(MONDAY_10AM - 3600)
    park(engine)
    effects = press(engine, emitted, "2", MONDAY_10AM + 3)
    assert effects[-1] == Hangup(CALLER, "NORMAL_CIRCUIT_CONGESTION")


def test_given_an_offer_with_no_outcome_then_it_is_taken_back_without_charging_the_agent(
    engine: Engine, emitted: Recorder
) -> None:
    offer = queue_for_support(engine, emitted)
    deadline = MONDAY_10AM + 3 + 15 + 10  # offered at +3 s, support rings 15 s, 10 s grace
    engine.tick(deadline)
    assert engine.stuck_offers_repaired == 0
    engine.tick(deadline + 0.5)
    assert engine.stuck_offers_repaired == 1
    effects = emitted.take()
    assert Hangup(offer.leg, "ORIGINATOR_CANCEL") in effects
    assert StopMedia(CALLER) in effects and any(isinstance(e, StartMusic) for e in effects)
    assert engine.agents[offer.agent_id].missed_in_row == 0
    assert any(isinstance(e, ConnectAgent) for e in effects)  # offered again at once



# ----------------------------------------------------------------- recording
def with_support_recording(config: Config, **policy: object) -> Config:
    support = config.queues["support"]
    recording = replace(support.recording, **policy)  # type: ignore[arg-type]
    return replace(config, queues=MappingProxyType({**config.queues, "support": replace(support, recording=recording)}))


def bridge_support_call(config: Config, emitted: Recorder, history: list[HistoryRecord],
                        uuid: str = CALLER) -> tuple[Engine, list[Effect]]:
    """A support call answered by its agent at MONDAY_10AM + 10; returns the effects decided at the bridge."""
    engine = Engine(config, MemoryStore(), emitted, record=history.append)
    engine.start(MONDAY_10AM - 3600)
    park(engine, uuid)
    (offer,) = press(engine, emitted, "2", MONDAY_10AM + 3, uuid)
    assert isinstance(offer, ConnectAgent)
    engine.handle("fs1", Bridged(uuid, offer.legs[0].leg), MONDAY_10AM + 10)
    return engine, emitted.take()


def test_given_record_all_when_the_agent_answers_then_announce_then_record_the_callers_channel(
    config: Config, emitted: Recorder
) -> None:
    config = with_support_recording(config, mode=RecordingMode.ALL)
    _engine, effects = bridge_support_call(config, emitted, [])
    switch_dir = config.recordings.switch_dir
    assert effects == [
        AnnounceToCaller(CALLER, f"{config.media.switch_sounds_dir}/announce/recorded.wav"),
        StartRecording(CALLER, f"{switch_dir}/2026/11/23/support/{CALLER}.wav", stereo=True),
    ]


def test_given_no_announcement_and_mono_then_only_the_recording_starts(config: Config, emitted: Recorder) -> None:
    config = with_support_recording(config, mode=RecordingMode.ALL, announce=None, stereo=False)
    _engine, effects = bridge_support_call(config, emitted, [])
    assert [(type(e), getattr(e, "stereo", None)) for e in effects] == [(StartRecording, False)]


def test_given_record_none_then_nothing_is_recorded(config: Config, emitted: Recorder) -> None:
    config = with_support_recording(config, mode=RecordingMode.NONE)
    engine, effects = bridge_support_call(config, emitted, [])
    assert effects == [] and engine.calls[CALLER].recording is None


@pytest.mark.parametrize("n", range(6))
def test_given_a_sample_then_the_uuid_decides_the_same_way_every_time(
    config: Config, emitted: Recorder, n: int
) -> None:
    uuid = f"c0ffee00-0000-4000-8000-00000000020{n}"
    policy = config.queues["support"].recording  # shipped: a 50% sample
    assert policy.mode is RecordingMode.SAMPLE and policy.sample_percent == 50
    runs = [bridge_support_call(config, emitted, [], uuid)[1] for _ in range(2)]
    recorded = [any(isinstance(e, StartRecording) for e in effects) for effects in runs]
    assert recorded == [should_record(policy, uuid)] * 2


def test_pause_and_resume_mask_and_unmask_and_the_history_keeps_the_recording(
    config: Config, emitted: Recorder
) -> None:
    history: list[HistoryRecord] = []
    engine, effects = bridge_support_call(with_support_recording(config, mode=RecordingMode.ALL), emitted, history)
    path = next(e.path for e in effects if isinstance(e, StartRecording))
    assert engine.recording(CALLER, True, MONDAY_10AM + 20).state.value == "masked"
    assert emitted.take() == [MaskRecording(CALLER, path, True)]
    with pytest.raises(InvalidTransition):
        engine.recording(CALLER, True, MONDAY_10AM + 21)  # already paused
    engine.recording(CALLER, False, MONDAY_10AM + 40)
    assert emitted.take() == [MaskRecording(CALLER, path, False)]
    engine.handle("fs1", HungUp(CALLER, "NORMAL_CLEARING"), MONDAY_10AM + 70)
    (contact,) = [r for r in history if isinstance(r, ContactRecord)]
    assert (contact.recording_path, contact.recording_started_at, contact.recording_s) == (
        path, MONDAY_10AM + 10, 60.0)


def test_pause_refuses_unknown_and_unrecorded_calls(config: Config, emitted: Recorder) -> None:
    engine, _ = bridge_support_call(with_support_recording(config, mode=RecordingMode.NONE), emitted, [])
    with pytest.raises(UnknownNameError):
        engine.recording("c0ffee00-0000-4000-8000-0000000009ff", True, MONDAY_10AM + 20)
    with pytest.raises(InvalidTransition, match="not being recorded"):
        engine.recording(CALLER, True, MONDAY_10AM + 20)
    assert emitted.take() == []


def test_a_dialplan_rules_recording_policy_wins_over_the_queues(config: Config, emitted: Recorder) -> None:
    config = with_support_recording(config, mode=RecordingMode.NONE)
    rules = tuple(replace(rule, recording=RecordingPolicy(RecordingMode.ALL, stereo=False))
                  if rule.name == "business-hours" else rule for rule in config.dialplan.rules)
    config = replace(config, dialplan=replace(config.dialplan, rules=rules))
    _engine, effects = bridge_support_call(config, emitted, [])
    assert effects == [StartRecording(CALLER, f"{config.recordings.switch_dir}/2026/11/23/support/{CALLER}.wav",
                                      stereo=False)]
