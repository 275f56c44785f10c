"""Supervisors on live calls, in the engine: authorise first, then originate an eavesdrop; modes, stop, ends."""

from __future__ import annotations

from dataclasses import replace
from types import MappingProxyType

import pytest

from ccswitch.channel_events import Bridged, Dtmf, HungUp, JobFailed, from_esl
from ccswitch.config import load_config
from ccswitch.effects import HangupLeg, Originate, SendDtmf
from ccswitch.engine import Engine
from ccswitch.errors import InvalidTransition, UnknownNameError
from ccswitch.esl.event import Event
from ccswitch.history.model import HistoryRecord, MonitoringRecord
from ccswitch.media.monitor import MonitorMode, NotAuthorised, Supervisor
from ccswitch.store.memory import MemoryStore
from tests.test_engine import CALLER, MONDAY_10AM, ROOT, Recorder, queue_for_support

T = MONDAY_10AM + 20
SALES_ONLY = Supervisor("3001", "user/3001", frozenset({"sales"}), name="Sales lead")


@pytest.fixture
def emitted() -> Recorder:
    return Recorder()


@pytest.fixture
def engine(emitted: Recorder) -> Engine:
    """Shipped supervisors (2001: sales and support) plus a sales-only one."""
    config = load_config(ROOT / "config" / "ccswitch.yaml", env={})
    config = replace(config, supervisors=MappingProxyType({**config.supervisors, SALES_ONLY.id: SALES_ONLY}))
    engine = Engine(config, MemoryStore(), emitted)
    engine.start(MONDAY_10AM - 3600)
    return engine


@pytest.fixture
def agent_leg(engine: Engine, emitted: Recorder) -> str:
    """A support call talking to its agent since MONDAY_10AM + 10."""
    offer = queue_for_support(engine, emitted)
    engine.handle("fs1", Bridged(CALLER, offer.leg), MONDAY_10AM + 10)
    emitted.take()
    return offer.leg


def test_an_authorised_supervisor_is_rung_to_eavesdrop_on_the_agent_leg(
    engine: Engine, emitted: Recorder, agent_leg: str
) -> None:
    session = engine.monitor("2001", "1003", MonitorMode.WHISPER, T)
    assert emitted.take() == [Originate(CALLER, session.supervisor_leg, "user/2001", (
        ("leg_timeout", "30"), ("origination_caller_id_name", "monitor 2001"), ("eavesdrop_whisper_bleg", "true"),
    ), "eavesdrop", agent_leg)]
    assert engine.monitors == {session.supervisor_leg: session}
    (entry,) = engine.monitor_log
    assert (entry.action, entry.supervisor, entry.agent, entry.call, entry.mode) == (
        "start", "2001", "1003", CALLER, MonitorMode.WHISPER)
    with pytest.raises(InvalidTransition, match="already monitors"):  # one session per supervisor
        engine.monitor("2001", CALLER, MonitorMode.LISTEN, T)


def test_a_supervisor_outside_the_calls_queue_is_refused_and_nothing_is_sent(
    engine: Engine, emitted: Recorder, agent_leg: str
) -> None:
    with pytest.raises(NotAuthorised, match="3001 may not monitor a call of queue support") as refused:
        engine.monitor("3001", CALLER, MonitorMode.BARGE, T)
    assert refused.value.error_id == "supervisor_not_authorised"
    assert emitted.take() == [] and engine.monitors == {} and not engine.monitor_log


def test_unknown_names_and_calls_not_connected_are_refused_before_anything_is_sent(
    engine: Engine, emitted: Recorder
) -> None:
    with pytest.raises(UnknownNameError, match="unknown supervisor '9'"):
        engine.monitor("9", "1003", MonitorMode.LISTEN, T)
    with pytest.raises(UnknownNameError, match="no agent or live call"):
        engine.monitor("2001", "no-such-call", MonitorMode.LISTEN, T)
    with pytest.raises(InvalidTransition, match="agent 1003 is not on a call"):
        engine.monitor("2001", "1003", MonitorMode.LISTEN, T)
    queue_for_support(engine, emitted)  # ringing, not yet answered
    emitted.take()
    with pytest.raises(InvalidTransition, match="not connected"):
        engine.monitor("2001", CALLER, MonitorMode.LISTEN, T)
    assert emitted.take() == [] and engine.monitors == {}


def test_switching_modes_sends_the_eavesdrop_digit_and_is_logged(
    engine: Engine, emitted: Recorder, agent_leg: str
) -> None:
    leg = engine.monitor("2001", "1003", MonitorMode.LISTEN, T).supervisor_leg
    emitted.take()
    assert engine.monitor_mode(leg, MonitorMode.BARGE, T + 5).mode is MonitorMode.BARGE
    assert emitted.take() == [SendDtmf(CALLER, leg, "3")]
    engine.monitor_mode(leg, MonitorMode.BARGE, T + 6)  # already there
    engine.monitor_mode(leg, MonitorMode.WHISPER, T + 7)
    assert emitted.take() == [SendDtmf(CALLER, leg, "2")]
    assert [(e.action, e.mode) for e in engine.monitor_log] == [
        ("start", MonitorMode.LISTEN), ("mode", MonitorMode.BARGE), ("mode", MonitorMode.WHISPER)]


def test_stop_hangs_up_the_supervisor_leg_only(engine: Engine, emitted: Recorder, agent_leg: str) -> None:
    leg = engine.monitor("2001", "1003", MonitorMode.LISTEN, T).supervisor_leg
    emitted.take()
    assert engine.stop_monitor(leg, T + 30).ended_at == T + 30
    assert emitted.take() == [HangupLeg(CALLER, leg)] and engine.monitors == {}
    assert (engine.monitor_log[-1].action, engine.monitor_log[-1].detail) == ("end", "stopped")
    with pytest.raises(UnknownNameError, match="no active monitoring session"):
        engine.monitor_mode(leg, MonitorMode.BARGE, T + 31)
    engine.handle("fs1", HungUp(leg, "NORMAL_CLEARING"), T + 31)  # its hang-up changes nothing more
    assert len(engine.monitor_log) == 2


@pytest.mark.parametrize(("who", "detail"), [
    ("supervisor", "supervisor hung up (NORMAL_CLEARING)"),
    ("agent", "agent hung up (NORMAL_CLEARING)"),
    ("caller", "caller hung up (NORMAL_CLEARING)"),
])
def test_the_session_ends_when_any_of_its_legs_hangs_up(
    engine: Engine, emitted: Recorder, agent_leg: str, who: str, detail: str
) -> None:
    leg = engine.monitor("2001", "1003", MonitorMode.LISTEN, T).supervisor_leg
    emitted.take()
    engine.handle("fs1", HungUp({"supervisor": leg, "agent": agent_leg, "caller": CALLER}[who], "NORMAL_CLEARING"),
                  T + 40)
    assert engine.monitors == {}
    end = engine.monitor_log[-1]
    assert (end.action, end.detail, end.at, end.agent) == ("end", detail, T + 40, "1003")
    assert not any(isinstance(effect, HangupLeg) and effect.leg == leg for effect in emitted.take())


def test_an_originate_that_fails_without_a_channel_ends_the_session(
    engine: Engine, emitted: Recorder, agent_leg: str
) -> None:
    leg = engine.monitor("2001", "1003", MonitorMode.LISTEN, T).supervisor_leg
    engine.handle("fs1", JobFailed("some-other-job", "USER_BUSY"), T + 1)
    assert leg in engine.monitors
    engine.handle("fs1", JobFailed(leg, "USER_NOT_REGISTERED"), T + 1)
    assert engine.monitors == {} and engine.monitor_log[-1].detail == "originate failed: USER_NOT_REGISTERED"


def test_a_failed_background_job_is_read_from_its_event() -> None:
    def job(body: str) -> Event:
        return Event(b"", {"Event-Name": "BACKGROUND_JOB", "Job-UUID": "job-1"}, body)

    assert from_esl(job("-ERR USER_NOT_REGISTERED\n")) == JobFailed("job-1", "USER_NOT_REGISTERED")
    assert from_esl(job("+OK 5de5ae67-f1bb-41e9-88d3-ef5467ae5aec\n")) is None


def test_keys_the_supervisor_presses_on_their_phone_are_followed_and_every_session_goes_into_the_history(
    emitted: Recorder, agent_leg: str, engine: Engine
) -> None:
    history: list[HistoryRecord] = []
    engine.record = history.append
    session = engine.monitor("2001", "1003", MonitorMode.LISTEN, MONDAY_10AM + 20)
    engine.handle("fs1", Dtmf(session.supervisor_leg, "2"), MONDAY_10AM + 30)  # whisper, chosen on the phone
    assert engine.monitors[session.supervisor_leg].mode is MonitorMode.WHISPER
    assert engine.monitor_log[-1].action == "mode" and engine.monitor_log[-1].detail == "from the supervisor's phone"
    engine.monitor_mode(session.supervisor_leg, MonitorMode.BARGE, MONDAY_10AM + 40)
    engine.handle("fs1", Dtmf(session.supervisor_leg, "3"), MONDAY_10AM + 40)  # our own DTMF coming back
    assert [e.action for e in engine.monitor_log].count("mode") == 2
    engine.handle("fs1", Dtmf(session.supervisor_leg, "*"), MONDAY_10AM + 50)  # eavesdrop ends on *
    assert session.supervisor_leg not in engine.monitors
    (record,) = [r for r in history if isinstance(r, MonitoringRecord)]
    assert record == MonitoringRecord(
        session.supervisor_leg, "2001", "1003", CALLER, MONDAY_10AM + 20, MONDAY_10AM + 50,
        f"listen@{MONDAY_10AM + 20:.3f},whisper@{MONDAY_10AM + 30:.3f},barge@{MONDAY_10AM + 40:.3f}",
        "the supervisor pressed *")
