from __future__ import annotations

import pytest

from ccswitch.effects import BridgeLegs, HangupLeg, HoldLeg, MuteLeg, Requeue, RunInline, SetLegVar, Transfer
from ccswitch.errors import InvalidTransition
from ccswitch.media import control as x

CALL, AGENT, TARGET = "call-1", "agent-1", "target-1"


def test_hold_sets_the_music_on_the_agent_leg_then_holds_it_once() -> None:
    controls = x.AgentLegControls(CALL, AGENT)
    controls, effects = x.set_hold(controls, True, "local_stream://moh")
    assert effects == [SetLegVar(CALL, AGENT, "hold_music", "local_stream://moh"), HoldLeg(CALL, AGENT, True)]
    assert x.set_hold(controls, True, "local_stream://moh") == (controls, [])
    controls, effects = x.set_hold(controls, False, "local_stream://moh")
    assert effects == [HoldLeg(CALL, AGENT, False)] and not controls.held


def test_mute_toggles_once() -> None:
    controls, effects = x.set_mute(x.AgentLegControls(CALL, AGENT), True)
    assert effects == [MuteLeg(CALL, AGENT, True)] and controls.muted
    assert x.set_mute(controls, True) == (controls, [])
    assert x.set_mute(controls, False)[1] == [MuteLeg(CALL, AGENT, False)]


def test_blind_transfers() -> None:
    assert x.transfer_to_extension(CALL, "89001234567", "outbound") == [Transfer(CALL, "89001234567", "outbound")]
    assert x.transfer_to_queue(CALL, "sales") == [RunInline(CALL, CALL, (("park", ""),)), Requeue(CALL, "sales")]


def test_consult_keeps_the_caller_and_moves_the_agent_to_the_target() -> None:
    transfer, effects = x.consult(CALL, AGENT, TARGET, "user/1001", 15)
    assert transfer == x.AttendedTransfer(CALL, AGENT, TARGET, x.TransferState.CONSULTING)
    assert effects == [
        SetLegVar(CALL, CALL, "hangup_after_bridge", "false"),
        RunInline(CALL, AGENT, (("bridge", f"{{origination_uuid={TARGET},leg_timeout=15}}user/1001"), ("park", ""))),
    ]


def test_a_caller_dialled_from_the_agents_leg_is_parked_not_hung_up_and_unparked_before_each_new_bridge() -> None:
    transfer, effects = x.consult(CALL, AGENT, TARGET, "user/1001", 15, caller_is_bleg=True)
    assert effects[:2] == [SetLegVar(CALL, CALL, "park_after_bridge", "true"),
                           SetLegVar(CALL, AGENT, "hangup_after_bridge", "false")] and transfer.caller_is_bleg
    unpark = SetLegVar(CALL, CALL, "park_after_bridge", "false")
    assert x.apply(transfer, _E.COMPLETE)[1] == [unpark, BridgeLegs(CALL, CALL, TARGET), HangupLeg(CALL, AGENT)]
    assert x.rejoin_agent(transfer) == [unpark, BridgeLegs(CALL, CALL, AGENT)]
    assert x.apply(transfer, _E.CANCEL)[1] == [HangupLeg(CALL, TARGET)]


def consulting() -> x.AttendedTransfer:
    return x.AttendedTransfer(CALL, AGENT, TARGET)


_S, _E = x.TransferState, x.TransferEvent
_EXPECTED = {
    (_S.CONSULTING, _E.COMPLETE): (_S.COMPLETED, [BridgeLegs(CALL, CALL, TARGET), HangupLeg(CALL, AGENT)]),
    # the caller rejoins the agent once the agent's leg has parked (rejoins_agent): nothing more is sent now
    (_S.CONSULTING, _E.CANCEL): (_S.CANCELLED, [HangupLeg(CALL, TARGET)]),
    (_S.CONSULTING, _E.CONFERENCE): (_S.THREE_WAY, [RunInline(CALL, TARGET, (("three_way", AGENT),))]),
    (_S.CONSULTING, _E.TARGET_GONE): (_S.CANCELLED, []),
    (_S.CONSULTING, _E.AGENT_GONE): (_S.ABANDONED, []),
    (_S.THREE_WAY, _E.COMPLETE): (_S.COMPLETED, [BridgeLegs(CALL, CALL, TARGET), HangupLeg(CALL, AGENT)]),
    (_S.THREE_WAY, _E.CANCEL): (_S.CANCELLED, [HangupLeg(CALL, TARGET)]),
    (_S.THREE_WAY, _E.TARGET_GONE): (_S.CANCELLED, []),
    (_S.THREE_WAY, _E.AGENT_GONE): (_S.ABANDONED, []),
}


def test_the_caller_rejoins_the_agent_after_cancel_conference_or_target_gone_while_consulting() -> None:
    assert [state for state in _S if x.rejoins_agent(_S.CONSULTING, state)] == [_S.THREE_WAY, _S.CANCELLED]
    assert not x.rejoins_agent(_S.THREE_WAY, _S.CANCELLED)  # still bridged: only the target leaves
    assert x.rejoin_agent(consulting()) == [BridgeLegs(CALL, CALL, AGENT)]


@pytest.mark.parametrize("state", list(x.TransferState))
@pytest.mark.parametrize("event", list(x.TransferEvent))
def test_every_attended_transfer_state_and_event(state: x.TransferState, event: x.TransferEvent) -> None:
    transfer = x.AttendedTransfer(CALL, AGENT, TARGET, state)
    if (state, event) in _EXPECTED:
        after, effects = x.apply(transfer, event)
        assert (after.state, effects) == _EXPECTED[(state, event)]
    else:
        with pytest.raises(InvalidTransition, match=f"{event.value} while {state.value}"):
            x.apply(transfer, event)
