"""Effects of live call control, as data, and the one ESL command each becomes.

Recording effects live with the engine's in ``ccswitch.effects`` (the executor sends them). Like those, every
effect names the call (the caller's channel uuid) it belongs to, so the executor keeps one call's effects in
order; ``leg`` is the channel the command acts on when that is another one (the agent's leg, a consult or
supervisor leg). ``Requeue`` is the one effect the engine carries out itself.
"""

from __future__ import annotations

from dataclasses import dataclass

from ccswitch.effects import Effect
from ccswitch.esl import commands


@dataclass(frozen=True, slots=True)
class SetLegVar:
    call: str
    leg: str
    name: str
    value: str


@dataclass(frozen=True, slots=True)
class HoldLeg:
    call: str
    leg: str
    held: bool


@dataclass(frozen=True, slots=True)
class MuteLeg:
    call: str
    leg: str
    muted: bool


@dataclass(frozen=True, slots=True)
class HangupLeg:
    call: str
    leg: str
    cause: str = "NORMAL_CLEARING"


@dataclass(frozen=True, slots=True)
class BridgeLegs:
    call: str
    a_leg: str
    b_leg: str


@dataclass(frozen=True, slots=True)
class RunInline:
    """Take ``leg`` out of what it does (a bridge, park) and run ``apps`` (app, argument) on it."""

    call: str
    leg: str
    apps: tuple[tuple[str, str], ...]


@dataclass(frozen=True, slots=True)
class Originate:
    """A new leg (``origination_uuid`` = ``leg``) that runs ``app(app_arg)`` once answered.

    ``originate`` waits until the phone answers: the executor should send it as ``bgapi``.
    """

    call: str
    leg: str
    endpoint: str
    variables: tuple[tuple[str, str], ...]
    app: str
    app_arg: str


@dataclass(frozen=True, slots=True)
class SendDtmf:
    """DTMF received on ``leg`` as if its phone sent it (drives the eavesdrop application's modes)."""

    call: str
    leg: str
    digits: str


@dataclass(frozen=True, slots=True)
class Requeue:
    """Not a command: once the call is parked again, the engine puts it back in ``queue`` with its priority,
    skills and history (a blind transfer to a queue)."""

    call: str
    queue: str


CommandEffect = SetLegVar | HoldLeg | MuteLeg | HangupLeg | BridgeLegs | RunInline | Originate | SendDtmf
MediaEffect = CommandEffect | Requeue
SwitchEffect = Effect | CommandEffect  # everything the executor sends to the switch


def command_for(effect: CommandEffect) -> str:
    """The ``api`` command text that carries out ``effect`` (``Originate``: wrap the API part in ``bgapi``)."""
    return commands.api(api_command(effect))


def api_command(effect: CommandEffect) -> str:
    """The API command (without ``api``/``bgapi``) that carries out ``effect``."""
    match effect:
        case SetLegVar(_, leg, name, value):
            return commands.uuid_setvar(leg, name, value)
        case HoldLeg(_, leg, held):
            return commands.uuid_hold(leg, held)
        case MuteLeg(_, leg, muted):
            return commands.uuid_audio_mute(leg, muted)
        case HangupLeg(_, leg, cause):
            return commands.uuid_kill(leg, cause)
        case BridgeLegs(_, a_leg, b_leg):
            return commands.uuid_bridge(a_leg, b_leg)
        case RunInline(_, leg, apps):
            return commands.uuid_transfer_inline(leg, apps)
        case Originate(_, leg, endpoint, variables, app, app_arg):
            dial = commands.dial_string(endpoint, {"origination_uuid": leg, **dict(variables)})
            return commands.originate(dial, app, app_arg)
        case SendDtmf(_, leg, digits):
            return commands.uuid_recv_dtmf(leg, digits)
    raise TypeError(f"unknown effect {effect!r}")
