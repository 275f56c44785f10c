"""The engine while callers wait: nobody logged in, callers who hang up and call back."""

from __future__ import annotations

from ccswitch.acd.agents import Logout, Ready, TakeBreak
from ccswitch.channel_events import HungUp, Parked
from ccswitch.config import Config
from ccswitch.effects import ConnectAgent, Play, StartMusic, StopMedia
from ccswitch.engine import Engine, Phase
from ccswitch.routing.steps import ToAnnouncement, ToQueue
from ccswitch.store.memory import MemoryStore
from tests.test_engine import CALLER, MONDAY_10AM, Recorder, config, emitted, park, press, with_queue

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
