"""Supervisors beside a connected call: they listen, whisper or barge (``monitor``); their phone is originated to
eavesdrop on the agent's leg; the session ends with either leg (or the supervisor's), follows the mode keys the
supervisor presses, and is logged and written to the history. Owns the active sessions and their log."""

from __future__ import annotations

import uuid as uuidlib
from collections import deque

from ccswitch.calls import MonitorLogEntry
from ccswitch.channel_events import Dtmf, HungUp, JobFailed
from ccswitch.engine.core import Core, log
from ccswitch.errors import InvalidTransition, UnknownNameError
from ccswitch.history.model import MonitoringRecord
from ccswitch.media import monitor as mon
from ccswitch.media.monitor import MonitorMode, MonitorSession

MONITOR_LOG_SIZE = 1000  # monitoring events kept for the API (every one is also logged)


class Monitoring:
    def __init__(self, core: Core) -> None:
        self.core = core
        self.monitors: dict[str, MonitorSession] = {}  # supervisor leg uuid -> active monitoring session
        self.monitor_log: deque[MonitorLogEntry] = deque(maxlen=MONITOR_LOG_SIZE)

    def owns(self, uuid: str) -> bool:
        """Whether ``uuid`` is a supervisor's leg."""
        return uuid in self.monitors

    def monitor(self, supervisor_id: str, target: str, mode: MonitorMode, now: float) -> MonitorSession:
        """A supervisor listens to, whispers to or barges into the connected call of ``target`` (an agent id or a
        call uuid). Every check comes before any effect: UnknownNameError (supervisor, agent or call),
        InvalidTransition (not a connected call, or the supervisor already monitors one), NotAuthorised (not one
        of the supervisor's queues)."""
        supervisor = self.core.config.supervisors.get(supervisor_id)
        if supervisor is None:
            raise UnknownNameError(f"unknown supervisor '{supervisor_id}' "
                                   f"(known: {', '.join(sorted(self.core.config.supervisors)) or 'none'})")
        call = self.core.connected_call(target)
        busy = next((m for m in self.monitors.values() if m.supervisor == supervisor_id), None)
        if busy is not None:
            raise InvalidTransition(f"supervisor {supervisor_id} already monitors call {busy.call} "
                                    f"(session {busy.supervisor_leg}): stop it first or change its mode")
        assert call.entry is not None and call.agent_leg is not None
        session, effects = mon.start(supervisor, call.entry.queue, call.uuid, call.agent_leg, str(uuidlib.uuid4()),
                                     mode, now)
        self.monitors[session.supervisor_leg] = session
        self.core.recent_sessions.created(call.node, now)  # the supervisor's leg (asked for: not deferred)
        self.core.emit_to(call, effects)
        self._logged("start", session, now)
        return session

    def monitor_mode(self, session_id: str, mode: MonitorMode, now: float) -> MonitorSession:
        """Switch an active session to ``mode`` (DTMF to the supervisor's eavesdrop); UnknownNameError if none."""
        session, effects = mon.switch_mode(self._active(session_id), mode, now)
        self.monitors[session_id] = session
        self.core.send(self.core.calls[session.call].node, session.call, effects)
        if effects:
            self._logged("mode", session, now)
        return session

    def stop_monitor(self, session_id: str, now: float) -> MonitorSession:
        """End a session: the supervisor's leg is hung up; the caller and agent notice nothing."""
        session, effects = mon.stop(self._active(session_id), now)
        self.core.send(self.core.calls[session.call].node, session.call, effects)
        del self.monitors[session_id]
        self._logged("end", session, now, "stopped")
        return session

    # ----------------------------------------------------------------- the switch's events
    def job_failed(self, event: JobFailed, now: float) -> None:
        """The supervisor's phone never rang."""
        self._ended(self.monitors[event.job], f"originate failed: {event.reason}", now)

    def on_key(self, event: Dtmf, now: float) -> None:
        """The eavesdrop application changes mode on the supervisor's keys (1, 2, 3, 0) and ends on *: follow it.
        Our own mode changes come back here too, already applied, and change nothing."""
        session = self.monitors[event.uuid]
        followed = mon.on_digit(session, event.digit, now)
        if followed is session:
            return
        if not followed.active:
            self._ended(session, "the supervisor pressed *", now)
            return
        self.monitors[session.supervisor_leg] = followed
        self._logged("mode", followed, now, "from the supervisor's phone")

    def channel_ended(self, event: HungUp, now: float) -> None:
        """Any channel ended: the sessions on it (the supervisor's leg, the agent's, or the caller's) end too."""
        for monitor in [m for m in self.monitors.values() if event.uuid in (m.supervisor_leg, m.agent_leg, m.call)]:
            who = {monitor.supervisor_leg: "supervisor", monitor.agent_leg: "agent"}.get(event.uuid, "caller")
            self._ended(monitor, f"{who} hung up ({event.cause})", now)

    # ----------------------------------------------------------------- books
    def _active(self, session_id: str) -> MonitorSession:
        session = self.monitors.get(session_id)
        if session is None:
            raise UnknownNameError(f"no active monitoring session '{session_id}'")
        return session

    def _ended(self, session: MonitorSession, reason: str, now: float) -> None:
        del self.monitors[session.supervisor_leg]
        self._logged("end", mon.ended(session, now), now, reason)

    def _recorded(self, session: MonitorSession, reason: str, now: float) -> None:
        """Every monitoring session goes into the history when it ends, with each mode it was in."""
        call = self.core.calls.get(session.call)
        modes = ",".join(f"{mode.value}@{at:.3f}" for at, mode in session.log)
        self.core.record(MonitoringRecord(session.supervisor_leg, session.supervisor, call.agent if call else None,
                                          session.call, session.started_at, session.ended_at or now, modes, reason))

    def _logged(self, action: str, session: MonitorSession, now: float, detail: str = "") -> None:
        call = self.core.calls.get(session.call)
        entry = MonitorLogEntry(now, action, session.supervisor_leg, session.supervisor,
                                call.agent if call else None, session.call, session.mode, detail)
        self.monitor_log.append(entry)
        if action == "end":
            self._recorded(session, detail, now)
        log.info("monitoring %s: %s supervisor %s, agent %s, call %s, mode %s%s", entry.session, action,
                 entry.supervisor, entry.agent, entry.call, entry.mode.value, f" ({detail})" if detail else "")
