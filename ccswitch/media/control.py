"""An agent's live call control: hold, mute, blind and attended transfer, three-way calls.

The call is the caller's channel C, bridged (by ``connect_agent``) to the agent's leg L; C runs the bridge with
``hangup_after_bridge=true`` and then ``park`` in its inline dialplan.

- **Hold** holds L, not C: switch_ivr.c switch_ivr_hold signals hold to the held channel's phone and plays *its*
  ``hold_music`` to its partner, so the caller hears the queue's music and the agent's phone shows hold.
- **Mute** silences what L sends (``uuid_audio L start read mute 1``): the caller no longer hears the agent.
- **Blind transfer** to an extension or an external number moves C to FreeSWITCH's dialplan (``uuid_transfer``);
  to a queue, C is sent to ``park`` and the engine queues it again (``Requeue``). Either way C leaves the bridge
  flagged CF_TRANSFER and FreeSWITCH hangs up the orphaned agent leg (switch_ivr_bridge.c
  audio_bridge_on_exchange_media): the agent goes to wrap-up as after any call.
- **Attended transfer** (``AttendedTransfer``): *consult* clears C's ``hangup_after_bridge`` and moves L to an
  inline ``bridge`` to the target T, then ``park``: C drops out of its bridge into ``park``. A caller dialled from
  the agent's phone (a callback, a preview) is the B-leg of L's bridge instead, which FreeSWITCH hangs up when L
  leaves unless it has ``park_after_bridge`` (switch_ivr_bridge.c audio_bridge_on_exchange_media): consult sets that
  on C, and it is cleared before C is bridged again (``uuid_bridge``), so C is hung up, not parked, when its
  partner hangs up later; L, which dialled C with ``hangup_after_bridge=true``, gets it cleared so that it parks
  after the target (the engine plays it
  music there) while the agent talks to T. *complete* bridges C with T and hangs up L; *cancel* hangs up T;
  T hanging up or not answering needs nothing sent; *conference* makes T run ``three_way`` on L. In each of those
  three, L's bridge with T ends and L runs its next application, ``park``: the engine bridges C with L again on
  that CHANNEL_PARK (``rejoins_agent``). Sending ``uuid_bridge C L`` at once would race with L still leaving its
  bridge; all three hear each other in the conference once C and L are bridged.
- **Three-way** uses mod_dptools ``three_way`` (switch_ivr_eavesdrop_session with ED_MUX_READ|ED_MUX_WRITE on L:
  T hears L and C, both hear T) rather than a conference: no conference profile to configure, nothing to
  tear down, and the same eavesdrop machinery as supervisor monitoring.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, replace
from enum import Enum

from ccswitch import validators
from ccswitch.effects import BridgeLegs, Effect, HangupLeg, HoldLeg, MuteLeg, Requeue, RunInline, SetLegVar, Transfer
from ccswitch.errors import InvalidTransition

AnyEffect = Effect | Requeue  # Requeue is carried out by the engine itself


@dataclass(frozen=True, slots=True)
class AgentLegControls:
    """What the agent has switched on their leg; asking for the current state again sends nothing (FreeSWITCH
    would answer a second hold with ``-ERR Operation failed``)."""

    call: str
    agent_leg: str
    held: bool = False
    muted: bool = False


def set_hold(controls: AgentLegControls, held: bool, music: str) -> tuple[AgentLegControls, list[AnyEffect]]:
    """Hold (the caller hears ``music``) or take off hold."""
    if held is controls.held:
        return controls, []
    effects: list[AnyEffect] = [SetLegVar(controls.call, controls.agent_leg, "hold_music", music)] if held else []
    effects.append(HoldLeg(controls.call, controls.agent_leg, held))
    return replace(controls, held=held), effects


def set_mute(controls: AgentLegControls, muted: bool) -> tuple[AgentLegControls, list[AnyEffect]]:
    if muted is controls.muted:
        return controls, []
    return replace(controls, muted=muted), [MuteLeg(controls.call, controls.agent_leg, muted)]


def transfer_to_extension(call: str, destination: str, context: str) -> list[AnyEffect]:
    """Blind transfer to an extension, or an external number that ``context`` routes to a gateway. Raises
    UnsafeValueError for a destination or context FreeSWITCH must not be given, before anything is sent."""
    # the executor's own validation (commands.uuid_transfer), run now
    validators.uuid(call)
    validators.extension(destination, "transfer destination")
    validators.dialplan_context(context)
    return [Transfer(call, destination, context)]


def transfer_to_queue(call: str, queue: str) -> list[AnyEffect]:
    """Blind transfer to a queue: park the caller, then the engine queues it again keeping its entry's data."""
    return [RunInline(call, call, (("park", ""),)), Requeue(call, queue)]


class TransferState(Enum):
    CONSULTING = "consulting"
    THREE_WAY = "three_way"
    COMPLETED = "completed"  # caller and target talk, the agent is gone
    CANCELLED = "cancelled"  # caller and agent talk again
    ABANDONED = "abandoned"  # the agent hung up mid-transfer


class TransferEvent(Enum):
    COMPLETE = "complete"
    CANCEL = "cancel"
    CONFERENCE = "conference"
    TARGET_GONE = "target_gone"  # the target hung up or never answered
    AGENT_GONE = "agent_gone"


@dataclass(frozen=True, slots=True)
class AttendedTransfer:
    call: str
    agent_leg: str
    target_leg: str
    state: TransferState = TransferState.CONSULTING
    caller_is_bleg: bool = False  # the caller was dialled from the agent's leg (a callback, a preview)


def consult(
    call: str, agent_leg: str, target_leg: str, endpoint: str, ring_timeout_s: int, caller_is_bleg: bool = False
) -> tuple[AttendedTransfer, list[AnyEffect]]:
    """The agent rings ``endpoint``; the caller waits parked (the engine starts music on its CHANNEL_PARK)."""
    dial = validators.dial_string(endpoint, {"origination_uuid": target_leg, "leg_timeout": str(ring_timeout_s)})
    if caller_is_bleg:  # (and L, whose bridge app it was, must park after the target, not hang up)
        stay = [SetLegVar(call, call, "park_after_bridge", "true"),
                SetLegVar(call, agent_leg, "hangup_after_bridge", "false")]
    else:
        stay = [SetLegVar(call, call, "hangup_after_bridge", "false")]
    effects: list[AnyEffect] = [*stay, RunInline(call, agent_leg, (("bridge", dial), ("park", "")))]
    return AttendedTransfer(call, agent_leg, target_leg, caller_is_bleg=caller_is_bleg), effects


def _bridge_caller(x: AttendedTransfer, leg: str) -> list[Effect]:
    """The parked caller bridged with ``leg``; a B-leg caller first loses ``park_after_bridge`` again."""
    unpark: list[Effect] = [SetLegVar(x.call, x.call, "park_after_bridge", "false")] if x.caller_is_bleg else []
    return [*unpark, BridgeLegs(x.call, x.call, leg)]


def _complete(x: AttendedTransfer) -> list[AnyEffect]:
    # Bridge first: T hung up with L would leave the caller nobody to go to.
    return [*_bridge_caller(x, x.target_leg), HangupLeg(x.call, x.agent_leg)]


def rejoin_agent(x: AttendedTransfer) -> list[Effect]:
    """The caller and the agent's leg bridged again: sent once the agent's leg is parked."""
    return _bridge_caller(x, x.agent_leg)


def rejoins_agent(before: TransferState, after: TransferState) -> bool:
    """Whether the agent's leg leaves its bridge with the target and parks, to be bridged with the caller again."""
    return before is TransferState.CONSULTING and after in (TransferState.CANCELLED, TransferState.THREE_WAY)


def _drop_target(x: AttendedTransfer) -> list[AnyEffect]:
    return [HangupLeg(x.call, x.target_leg)]


def _conference(x: AttendedTransfer) -> list[AnyEffect]:
    return [RunInline(x.call, x.target_leg, (("three_way", x.agent_leg),))]


def _nothing(x: AttendedTransfer) -> list[AnyEffect]:
    return []


Plan = Callable[[AttendedTransfer], list[AnyEffect]]
_S, _E = TransferState, TransferEvent
_TRANSITIONS: dict[tuple[TransferState, TransferEvent], tuple[TransferState, Plan]] = {
    (_S.CONSULTING, _E.COMPLETE): (_S.COMPLETED, _complete),
    (_S.CONSULTING, _E.CANCEL): (_S.CANCELLED, _drop_target),
    (_S.CONSULTING, _E.CONFERENCE): (_S.THREE_WAY, _conference),
    (_S.CONSULTING, _E.TARGET_GONE): (_S.CANCELLED, _nothing),
    # FreeSWITCH hangs up T with L (an orphaned B-leg); the parked caller is the engine's to route again.
    (_S.CONSULTING, _E.AGENT_GONE): (_S.ABANDONED, _nothing),
    (_S.THREE_WAY, _E.COMPLETE): (_S.COMPLETED, _complete),
    (_S.THREE_WAY, _E.CANCEL): (_S.CANCELLED, _drop_target),
    (_S.THREE_WAY, _E.TARGET_GONE): (_S.CANCELLED, _nothing),
    # three_way ends with L, and the caller (bridged to L by uuid_bridge) is hung up with it.
    (_S.THREE_WAY, _E.AGENT_GONE): (_S.ABANDONED, _nothing),
}


def apply(transfer: AttendedTransfer, event: TransferEvent) -> tuple[AttendedTransfer, list[AnyEffect]]:
    step = _TRANSITIONS.get((transfer.state, event))
    if step is None:
        raise InvalidTransition(f"attended transfer of call {transfer.call}: {event.value} while "
                                f"{transfer.state.value}")
    state, effects = step
    return replace(transfer, state=state), effects(transfer)
