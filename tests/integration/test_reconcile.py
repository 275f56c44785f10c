"""The reconcile after connecting, controller <-> simulator over TCP: a call that parks just after FreeSWITCH
answered ``show channels`` is live, and must not be taken for one that ended while the controller was away."""

from __future__ import annotations

import gevent.queue
import pytest

from ccswitch.engine import Phase
from ccswitch.sim import CallerScript, server, wire
from ccswitch.sim.api import execute_api
from ccswitch.sim.server import ClientSession, Command

from .conftest import build, wait_until


def test_a_call_parked_right_after_the_channel_list_is_routed(monkeypatch: pytest.MonkeyPatch) -> None:
    centre = build()
    placed: list[str] = []

    def api(session: ClientSession, rest: str, command: Command) -> None:
        """mod_event_socket's listener thread writes an api reply, then the events queued meanwhile: a call that
        parks while ``show channels`` runs arrives right behind the (older) list, here in the same write."""
        if not rest.startswith("show channels") or placed:
            ClientSession.cmd_api(session, rest, command)
            return
        reply = wire.api_response(execute_api(centre.switch, "show", rest.partition(" ")[2]))
        with session._lock:  # the session's event writer waits
            placed.append(centre.switch.place_call(CallerScript(dtmf=("2",), patience_s=600)))
            wait_until(lambda: centre.switch.channels[placed[0]].parked, what="the call to park")
            events = []
            while True:
                try:
                    events.append(session._events.get_nowait())
                except gevent.queue.Empty:
                    break
            session.sock.sendall(reply + b"".join(frame for frame in events if frame is not None))

    monkeypatch.setitem(server._COMMANDS, "api", api)
    try:
        centre.controller.start()
        engine = centre.controller.engine
        wait_until(lambda: bool(placed) and not engine._unreconciled, what="the first reconcile")
        (caller,) = placed
        assert caller in engine.calls, "the live call was dropped by the reconcile"
        wait_until(lambda: engine.calls[caller].phase is Phase.CONNECTED, what="the call to reach an agent")
    finally:
        centre.controller.stop()
        centre.server.stop()
        centre.switch.shutdown()
