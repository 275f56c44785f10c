from __future__ import annotations

import pytest

from ccswitch.effects import HangupLeg, Originate, SendDtmf
from ccswitch.errors import InvalidTransition
from ccswitch.executor import command_for
from ccswitch.media import monitor as m

BOSS = m.Supervisor("boss", "user/2000", frozenset({"support", "sales"}))
CALL, AGENT_LEG, SUP_LEG = "call-1", "agent-leg-1", "sup-leg-1"


def started(mode: m.MonitorMode = m.MonitorMode.LISTEN) -> m.MonitorSession:
    return m.start(BOSS, "support", CALL, AGENT_LEG, SUP_LEG, mode, 10.0)[0]


def test_a_supervisor_outside_the_queue_is_refused_and_nothing_is_sent() -> None:
    with pytest.raises(m.NotAuthorised, match="boss may not monitor a call of queue operator") as refused:
        m.start(BOSS, "operator", CALL, AGENT_LEG, SUP_LEG, m.MonitorMode.LISTEN, 0.0)
    assert refused.value.error_id == "supervisor_not_authorised"
    with pytest.raises(m.NotAuthorised, match=r"queue \(none\)"):
        m.authorise(BOSS, None)
    m.authorise(m.Supervisor("head", "user/2001", frozenset({m.ALL_QUEUES})), "operator")


@pytest.mark.parametrize(
    ("mode", "variables"),
    [
        (m.MonitorMode.LISTEN, ""),
        (m.MonitorMode.WHISPER, ",eavesdrop_whisper_bleg=true"),
        (m.MonitorMode.WHISPER_CALLER, ",eavesdrop_whisper_aleg=true"),
        (m.MonitorMode.BARGE, ",eavesdrop_whisper_aleg=true,eavesdrop_whisper_bleg=true"),
    ],
)
def test_the_supervisor_phone_is_originated_eavesdropping_on_the_agent_leg(mode: m.MonitorMode, variables: str) -> None:
    session, [ring] = m.start(BOSS, "support", CALL, AGENT_LEG, SUP_LEG, mode, 10.0)
    assert isinstance(ring, Originate) and ring.call == CALL
    assert command_for(ring) == (  # bgapi: originate waits for the supervisor to answer
        f"bgapi originate '{{origination_uuid={SUP_LEG},leg_timeout=30,origination_caller_id_name=monitor boss"
        f"{variables}}}user/2000' &eavesdrop({AGENT_LEG})\nJob-UUID: {SUP_LEG}"
    )
    assert session.log == ((10.0, mode),) and session.active


@pytest.mark.parametrize("start_mode", list(m.MonitorMode))
@pytest.mark.parametrize("target", list(m.MonitorMode))
def test_every_mode_switch_sends_the_eavesdrop_digit(start_mode: m.MonitorMode, target: m.MonitorMode) -> None:
    session, effects = m.switch_mode(started(start_mode), target, 20.0)
    assert session.mode is target
    if target is start_mode:
        assert effects == [] and len(session.log) == 1
    else:
        assert effects == [SendDtmf(CALL, SUP_LEG, m.MODE_DIGIT[target])]
        assert session.log[-1] == (20.0, target)


def test_digits_are_those_of_switch_ivr_eavesdrop_session() -> None:
    assert m.MODE_DIGIT == {m.MonitorMode.LISTEN: "0", m.MonitorMode.WHISPER_CALLER: "1",
                            m.MonitorMode.WHISPER: "2", m.MonitorMode.BARGE: "3"}
    assert command_for(SendDtmf(CALL, SUP_LEG, "2")) == f"api uuid_recv_dtmf {SUP_LEG} 2"


def test_keys_pressed_on_the_supervisor_phone_are_followed_and_logged() -> None:
    session = started()
    session = m.on_digit(session, "3", 11.0)
    session = m.on_digit(session, "9", 12.0)  # not an eavesdrop key
    session = m.on_digit(session, "3", 13.0)  # no change
    session = m.on_digit(session, "*", 14.0)
    assert session.log == ((10.0, m.MonitorMode.LISTEN), (11.0, m.MonitorMode.BARGE))
    assert session.ended_at == 14.0 and m.on_digit(session, "2", 15.0) == session


def test_stop_hangs_up_the_supervisor_leg_only_once() -> None:
    session, effects = m.stop(started(), 30.0)
    assert effects == [HangupLeg(CALL, SUP_LEG)] and not session.active
    with pytest.raises(InvalidTransition):
        m.stop(session, 31.0)
    with pytest.raises(InvalidTransition):
        m.switch_mode(session, m.MonitorMode.BARGE, 31.0)
    assert m.ended(session, 40.0).ended_at == 30.0
    assert m.ended(started(), 40.0).ended_at == 40.0
