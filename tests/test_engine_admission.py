"""The engine asks admission about each new caller (ccswitch.admission): beyond a node's reserve the caller takes
the overload step instead of being answered; callers the switch drops for want of capacity are counted."""

from __future__ import annotations

from dataclasses import replace

import pytest

from ccswitch.admission import Capacity, Limit, Reserve
from ccswitch.channel_events import HungUp, Parked
from ccswitch.config import Config
from ccswitch.config.model import OverloadConfig
from ccswitch.effects import Answer, Hangup, Play, TakeCall
from ccswitch.engine import Engine
from ccswitch.routing.steps import ToAnnouncement
from ccswitch.store.memory import MemoryStore
from tests.test_engine import MONDAY_10AM, Recorder, config, emitted

__all__ = ["config", "emitted"]  # fixtures

ANNOUNCE = OverloadConfig(Reserve(sessions=0, sessions_per_second=1, media_ports=1),
                          ToAnnouncement("queue/all_busy", "NORMAL_CIRCUIT_CONGESTION"))


@pytest.fixture
def engine(config: Config, emitted: Recorder) -> Engine:
    engine = Engine(replace(config, overload=ANNOUNCE), MemoryStore(), emitted)
    engine.start(MONDAY_10AM - 3600)
    # 3 media ports, 1 kept in reserve: one answered caller (+ their agent's leg) fits, a second does not
    engine.capacities["fs1"] = Capacity(max_sessions=1000, sessions_per_second=1000, media_ports=3)
    return engine


def arrive(engine: Engine, uuid: str, now: float = MONDAY_10AM) -> None:
    engine.handle("fs1", Parked(uuid, True, "88005550556", "79161234567", "Ivan"), now)


def test_given_a_node_at_its_media_reserve_when_a_caller_arrives_then_they_hear_the_overload_announcement(
        engine: Engine, emitted: Recorder) -> None:
    arrive(engine, "c-1")
    assert Answer("c-1") in emitted.take()  # the IVR answers the first
    arrive(engine, "c-2", MONDAY_10AM + 2)
    take, answer, play = emitted.take()
    assert (take, answer) == (TakeCall("c-2"), Answer("c-2"))
    assert isinstance(play, Play) and play.path.endswith("queue/all_busy.wav")
    assert engine.overload_overflows[("fs1", Limit.MEDIA)] == 1


def test_given_no_media_port_left_then_the_overflow_hangs_up_unanswered_with_its_cause(
        engine: Engine, emitted: Recorder) -> None:
    engine.capacities["fs1"] = Capacity(1000, 1000, media_ports=1)
    arrive(engine, "c-1")
    emitted.take()
    arrive(engine, "c-2", MONDAY_10AM + 2)
    assert emitted.take() == [TakeCall("c-2"), Hangup("c-2", "NORMAL_CIRCUIT_CONGESTION")]


def test_given_callers_arriving_faster_than_the_budget_then_the_one_over_it_overflows(
        engine: Engine, emitted: Recorder) -> None:
    engine.capacities["fs1"] = Capacity(1000, sessions_per_second=4, media_ports=100)
    for index in range(4):
        arrive(engine, f"c-{index}", MONDAY_10AM + index * 0.1)
    # 4 - 1 (FreeSWITCH's own) = 3 a second, 1 of them kept for agent legs: the third and fourth overflow
    assert engine.overload_overflows == {("fs1", Limit.RATE): 2}
    arrive(engine, "c-late", MONDAY_10AM + 1.5)  # a second later the budget is back
    assert engine.overload_overflows == {("fs1", Limit.RATE): 2}


def test_when_the_switch_hangs_up_a_caller_it_could_not_answer_then_it_is_counted(
        engine: Engine, emitted: Recorder) -> None:
    arrive(engine, "c-1")
    engine.handle("fs1", HungUp("c-1", "DESTINATION_OUT_OF_ORDER"), MONDAY_10AM + 0.1)
    arrive(engine, "c-2", MONDAY_10AM + 5)
    engine.handle("fs1", HungUp("c-2", "NORMAL_CLEARING"), MONDAY_10AM + 6)
    assert engine.dropped_by_switch == {("fs1", "DESTINATION_OUT_OF_ORDER"): 1}


def test_the_switchs_reported_limits_apply_unless_configured(engine: Engine) -> None:
    engine.node_capacity("fs1", 200, 50)
    assert engine.capacities["fs1"] == Capacity(200, 50, 8193)
