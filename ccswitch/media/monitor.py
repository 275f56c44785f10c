"""Supervisor monitoring: listen, whisper (coach the agent), barge, on one FreeSWITCH eavesdrop session.

Theory of operation
===================
The controller originates the supervisor's phone with ``&eavesdrop(<agent leg>)``. The eavesdrop application
(switch_ivr_async.c switch_ivr_eavesdrop_session) puts a media bug on its *target*, the agent's leg, and mixes
the supervisor's voice into the target's streams by two flags:

- ED_MUX_WRITE: into what the target *hears*: the agent hears the supervisor (whisper, coaching);
- ED_MUX_READ: into what the target *sends* to its bridged partner: the caller hears the supervisor.

Both set is a barge (a three-way call), neither is silent listening. The agent's leg is the target rather than
the caller's because it exists exactly while that agent talks to that caller: the session ends by itself when
the agent hangs up or the caller is transferred away.

The initial flags come from the supervisor leg's own variables (mod_dptools.c eavesdrop_function):
``eavesdrop_whisper_aleg=true`` sets ED_MUX_READ, ``eavesdrop_whisper_bleg=true`` sets ED_MUX_WRITE. Later
switches are DTMF received on the supervisor's leg, read by the eavesdrop loop (ED_DTMF is on unless
``eavesdrop_enable_dtmf`` is false): ``1`` READ only, ``2`` WRITE only, ``3`` both, ``0`` neither, ``*`` ends
eavesdrop. The controller sends them with ``uuid_recv_dtmf``; a supervisor pressing keys on the phone has the
same effect, and both fire DTMF events on the supervisor leg that ``on_digit`` follows.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from enum import Enum

from ccswitch.effects import Effect, HangupLeg, Originate, SendDtmf
from ccswitch.errors import CcswitchError, InvalidTransition

ALL_QUEUES = "*"


class NotAuthorised(CcswitchError):
    """A supervisor asked to monitor a call they are not allowed to (nothing is sent to the switch)."""

    error_id = "supervisor_not_authorised"


class MonitorMode(Enum):
    LISTEN = "listen"
    WHISPER = "whisper"  # only the agent hears the supervisor
    WHISPER_CALLER = "whisper_caller"  # only the caller hears the supervisor (key 1 on the supervisor's phone)
    BARGE = "barge"  # both hear the supervisor


# mode -> (ED_MUX_READ: the caller hears, ED_MUX_WRITE: the agent hears)
_MUX: dict[MonitorMode, tuple[bool, bool]] = {
    MonitorMode.LISTEN: (False, False),
    MonitorMode.WHISPER_CALLER: (True, False),
    MonitorMode.WHISPER: (False, True),
    MonitorMode.BARGE: (True, True),
}
# switch_ivr_async.c switch_ivr_eavesdrop_session, the DTMF switch in its loop
MODE_DIGIT: dict[MonitorMode, str] = {
    MonitorMode.LISTEN: "0",
    MonitorMode.WHISPER_CALLER: "1",
    MonitorMode.WHISPER: "2",
    MonitorMode.BARGE: "3",
}
STOP_DIGIT = "*"
_DIGIT_MODE = {digit: mode for mode, digit in MODE_DIGIT.items()}


@dataclass(frozen=True, slots=True)
class Supervisor:
    id: str
    contact: str
    queues: frozenset[str]  # the queues they may monitor; "*" for all
    name: str = ""

    def may_monitor(self, queue: str) -> bool:
        return ALL_QUEUES in self.queues or queue in self.queues


def authorise(supervisor: Supervisor, call_queue: str | None) -> None:
    """Raise NotAuthorised unless ``supervisor`` may monitor a call of ``call_queue`` (None: no queue)."""
    if call_queue is None or not supervisor.may_monitor(call_queue):
        allowed = ", ".join(sorted(supervisor.queues)) or "none"
        raise NotAuthorised(
            f"supervisor {supervisor.id} may not monitor a call of queue {call_queue or '(none)'} (allowed: {allowed})"
        )


@dataclass(frozen=True, slots=True)
class MonitorSession:
    """One supervisor on one call; ``log`` is every (time, mode) the session was in, for the call's history."""

    supervisor: str
    call: str
    agent_leg: str
    supervisor_leg: str
    mode: MonitorMode
    started_at: float
    log: tuple[tuple[float, MonitorMode], ...]
    ended_at: float | None = None

    @property
    def active(self) -> bool:
        return self.ended_at is None


def start(
    supervisor: Supervisor,
    call_queue: str | None,
    call: str,
    agent_leg: str,
    supervisor_leg: str,
    mode: MonitorMode,
    now: float,
    ring_timeout_s: int = 30,
) -> tuple[MonitorSession, list[Effect]]:
    """Authorise, then ring the supervisor; once answered their leg eavesdrops on the agent's leg in ``mode``."""
    authorise(supervisor, call_queue)
    mux_read, mux_write = _MUX[mode]
    variables = [("leg_timeout", str(ring_timeout_s)), ("origination_caller_id_name", f"monitor {supervisor.id}")]
    variables += [("eavesdrop_whisper_aleg", "true")] if mux_read else []
    variables += [("eavesdrop_whisper_bleg", "true")] if mux_write else []
    ring = Originate(call, supervisor_leg, supervisor.contact, tuple(variables), "eavesdrop", agent_leg)
    session = MonitorSession(supervisor.id, call, agent_leg, supervisor_leg, mode, now, ((now, mode),))
    return session, [ring]


def switch_mode(session: MonitorSession, mode: MonitorMode, now: float) -> tuple[MonitorSession, list[Effect]]:
    """Change what the supervisor's voice reaches; the same mode again sends nothing."""
    _require_active(session, f"switch to {mode.value}")
    if mode is session.mode:
        return session, []
    return _entered(session, mode, now), [SendDtmf(session.call, session.supervisor_leg, MODE_DIGIT[mode])]


def on_digit(session: MonitorSession, digit: str, now: float) -> MonitorSession:
    """A DTMF event on the supervisor's leg (their keys or our uuid_recv_dtmf): follow the switch's mode."""
    if not session.active:
        return session
    if digit == STOP_DIGIT:
        return replace(session, ended_at=now)
    mode = _DIGIT_MODE.get(digit)
    return session if mode is None or mode is session.mode else _entered(session, mode, now)


def stop(session: MonitorSession, now: float) -> tuple[MonitorSession, list[Effect]]:
    """End monitoring: hang up the supervisor's leg (the agent and caller notice nothing)."""
    _require_active(session, "stop")
    return replace(session, ended_at=now), [HangupLeg(session.call, session.supervisor_leg)]


def ended(session: MonitorSession, now: float) -> MonitorSession:
    """The supervisor's leg is gone (they hung up, never answered, or the agent's leg ended)."""
    return session if not session.active else replace(session, ended_at=now)


def _entered(session: MonitorSession, mode: MonitorMode, now: float) -> MonitorSession:
    return replace(session, mode=mode, log=(*session.log, (now, mode)))


def _require_active(session: MonitorSession, action: str) -> None:
    if not session.active:
        raise InvalidTransition(f"monitoring of call {session.call} by {session.supervisor} already ended: {action}")

