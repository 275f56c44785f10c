"""The engine asks admission about each new caller (ccswitch.admission): beyond a node's reserve the caller takes
the overload step instead of being answered; callers the switch drops for want of capacity are counted."""

from __future__ import annotations

from dataclasses import replace

import pytest

from ccswitch.acd.agents import TakeBreak
from ccswitch.admission import Capacity, Limit, Reserve
from ccswitch.channel_events import Bridged, HungUp, Parked
from ccswitch.config import Config
from ccswitch.config.model import OverloadConfig
from ccswitch.effects import Answer, ConnectAgent, Hangup, Originate, Play, StartMusic, StopMedia, TakeCall
from ccswitch.engine import Engine, Phase
from ccswitch.routing.steps import ToAnnouncement, ToCallback, ToQueue
from ccswitch.store.memory import MemoryStore
from tests.test_engine import MONDAY_10AM, Recorder, config, emitted, with_queue

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


def arrive(engine: Engine, uuid: str, now: float = MONDAY_10AM, number: str = "79161234567") -> None:
    engine.handle("fs1", Parked(uuid, True, "88005550556", number, "Ivan"), now)


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


# ---- a callback as the overload step -------------------------------------------------------------------------------


def callback_on_overload(config: Config, emitted: Recorder, step: ToCallback, media_ports: int) -> Engine:
    engine = Engine(replace(config, overload=replace(ANNOUNCE, then=step)), MemoryStore(), emitted)
    engine.start(MONDAY_10AM - 3600)
    engine.capacities["fs1"] = Capacity(max_sessions=1000, sessions_per_second=1000, media_ports=media_ports)
    arrive(engine, "c-1", number="79160000001")  # answered (by the IVR, or for the callback's confirmation): a port
    emitted.take()
    return engine


def test_given_a_callback_step_without_confirmation_the_caller_is_hung_up_unanswered_and_called_back(
        config: Config, emitted: Recorder) -> None:
    engine = callback_on_overload(config, emitted, ToCallback("support", confirm=False), media_ports=3)
    arrive(engine, "c-2", MONDAY_10AM + 2)
    assert emitted.take() == [TakeCall("c-2"), Hangup("c-2", "USER_BUSY")]  # no Answer: no port, no charge
    assert engine.overload_overflows == {("fs1", Limit.MEDIA): 1}
    entry = engine.calls["c-2"].entry
    assert engine.calls["c-2"].phase is Phase.CALLBACK and entry is not None and entry.callback == "79161234567"
    engine.handle("fs1", HungUp("c-2", "USER_BUSY"), MONDAY_10AM + 2.1)
    (originate,) = [effect for effect in emitted.take() if isinstance(effect, Originate)]  # an agent's phone first
    assert originate.endpoint in {engine.config.agents[agent].contact for agent in engine.members("support")}
    assert engine.callbacks_pending()["support"] == 1
    arrive(engine, "c-3", MONDAY_10AM + 3)  # the same number again, having heard a busy tone: no second callback
    assert emitted.take() == [TakeCall("c-3"), Hangup("c-3", "USER_BUSY")]
    engine.handle("fs1", HungUp("c-3", "USER_BUSY"), MONDAY_10AM + 3.1)
    assert engine.callbacks_pending()["support"] == 1 and "c-3" not in engine.calls


def test_given_no_port_left_a_callback_step_that_confirms_hangs_up_unanswered_and_keeps_the_number(
        config: Config, emitted: Recorder) -> None:
    engine = callback_on_overload(config, emitted, ToCallback("support"), media_ports=1)
    arrive(engine, "c-2", MONDAY_10AM + 2)
    assert emitted.take() == [TakeCall("c-2"), Hangup("c-2", "USER_BUSY")]
    assert engine.calls["c-2"].phase is Phase.CALLBACK


def test_given_ports_left_a_callback_step_that_confirms_answers_and_plays_the_confirmation(
        config: Config, emitted: Recorder) -> None:
    engine = callback_on_overload(config, emitted, ToCallback("support"), media_ports=3)
    arrive(engine, "c-2", MONDAY_10AM + 2)
    take, answer, stop, play = emitted.take()
    assert (take, answer, stop) == (TakeCall("c-2"), Answer("c-2"), StopMedia("c-2"))
    policy = engine.config.queues["support"].callback
    assert policy is not None and isinstance(play, Play) and play.path == engine.config.prompt_path(policy.confirm)


# ---- pacing the agent legs within the node's per-second budget ----------------------------------------------------


def test_given_the_nodes_per_second_budget_spent_then_the_offer_waits_at_its_place_and_goes_in_the_next_second(
        config: Config, emitted: Recorder) -> None:
    straight_to_support = replace(config.dialplan, rules=(), default=ToQueue("support"))
    engine = Engine(replace(config, dialplan=straight_to_support), MemoryStore(), emitted)
    engine.start(MONDAY_10AM - 3600)
    engine.capacities["fs1"] = Capacity(sessions_per_second=4)  # 3 channels a second
    before = dict(engine.agents)
    arrive(engine, "c-1")  # its channel takes 1, the headroom for callers (0.2 a second) the other 2
    engine.tick(MONDAY_10AM + 0.9)
    assert not [effect for effect in emitted.take() if isinstance(effect, ConnectAgent)]
    assert engine.calls["c-1"].phase is Phase.QUEUED and "c-1" in engine.waiting["support"]
    assert engine.agents == before  # nobody reserved, nobody charged: their places in the idle line kept
    engine.tick(MONDAY_10AM + 1.0)  # the caller's channel is a second old
    (offer,) = [effect for effect in emitted.take() if isinstance(effect, ConnectAgent)]
    assert offer.call == "c-1" and len(offer.legs) == 1
    assert engine.calls["c-1"].phase is Phase.OFFERING


def test_given_no_headroom_configured_for_callers_the_offer_takes_what_the_last_second_left(
        config: Config, emitted: Recorder) -> None:
    straight_to_support = replace(config.dialplan, rules=(), default=ToQueue("support"))
    engine = Engine(replace(config, dialplan=straight_to_support, overload=OverloadConfig(pacing_headroom=0.0)),
                    MemoryStore(), emitted)
    engine.start(MONDAY_10AM - 3600)
    engine.capacities["fs1"] = Capacity(sessions_per_second=4)  # 3 channels a second: the caller's and 2 more
    arrive(engine, "c-1")
    (offer,) = [effect for effect in emitted.take() if isinstance(effect, ConnectAgent)]
    assert offer.call == "c-1"


# ---- the toll-free option: callers left ringing in a queue --------------------------------------------------------


def ringing_support(config: Config, emitted: Recorder, *on_break: str) -> Engine:
    """Every caller goes straight to support, which keeps callers ringing up to 30 s."""
    changed = with_queue(replace(config, dialplan=replace(config.dialplan, rules=(), default=ToQueue("support")),
                                 overload=ANNOUNCE), "support", unanswered_wait_s=30, announcements=None)
    engine = Engine(changed, MemoryStore(), emitted)
    engine.start(MONDAY_10AM - 3600)
    for agent_id in on_break:
        engine.agent_action(agent_id, TakeBreak("lunch"), MONDAY_10AM - 60)
    engine.capacities["fs1"] = Capacity(max_sessions=1000, sessions_per_second=1000, media_ports=3)
    return engine


def test_given_no_free_agent_a_caller_left_ringing_is_not_answered_until_the_queue_says(
        config: Config, emitted: Recorder) -> None:
    engine = ringing_support(config, emitted, *config.members("support"))
    arrive(engine, "c-1")
    assert emitted.take() == [TakeCall("c-1")]  # no answer, no music: the carrier's ringback
    engine.tick(MONDAY_10AM + 29)
    assert not [e for e in emitted.take() if e.call == "c-1"]
    engine.tick(MONDAY_10AM + 30)
    answer, music = emitted.take()
    assert answer == Answer("c-1") and isinstance(music, StartMusic)


def test_given_a_free_agent_a_caller_left_ringing_is_answered_by_the_agents_answer(
        config: Config, emitted: Recorder) -> None:
    engine = ringing_support(config, emitted)
    arrive(engine, "c-1")
    take, offer = emitted.take()
    assert take == TakeCall("c-1") and isinstance(offer, ConnectAgent)  # no Answer first
    engine.handle("fs1", Bridged("c-1", offer.legs[0].leg), MONDAY_10AM + 3)
    engine.tick(MONDAY_10AM + 60)
    assert engine.calls["c-1"].answered and Answer("c-1") not in emitted.take()


def test_callers_left_ringing_hold_no_media_port_so_admission_takes_more_of_them(
        config: Config, emitted: Recorder) -> None:
    engine = ringing_support(config, emitted, *config.members("support"))
    for index in range(5):
        arrive(engine, f"c-{index}", MONDAY_10AM + index)
    assert not engine.overload_overflows  # answered, the second would have overflowed (the first test above)
    assert all(engine.calls[f"c-{index}"].phase is Phase.QUEUED for index in range(5))
