"""The simulator against the real switch when a module is missing (tests/fixtures/fs-traces/m): module_exists,
unload and load answer as FreeSWITCH does, and an application whose module is not loaded is never executed: the
switch hangs the channel up DESTINATION_OUT_OF_ORDER instead, with no CHANNEL_EXECUTE for it."""

from __future__ import annotations

from ccswitch.sim.people import CallerScript
from ccswitch.sim.server import EslServer
from ccswitch.sim.switch import SimSwitch
from tests.sim.conftest import TRACES, RawClient, wait_until
from tests.sim.test_wire_compat import outline, replies, trace_events, trace_frames

M_CALLER = "4b39344e-2fbd-4ebe-8de0-ca90b7061c7d"


def test_a_missing_application_hangs_the_call_up_as_in_trace_m(server: EslServer, switch: SimSwitch) -> None:
    name = "m_missing_application"
    commands = [c for c in (TRACES / f"{name}.sent.raw").read_text().split("\n\n") if c]
    client = RawClient(server.port).login(commands[1])
    caller = None
    for command in commands[2:]:
        if command.startswith("api uuid_answer"):  # the trace's call arrives here
            caller = switch.place_call(CallerScript())
            client.wait_event("CHANNEL_PARK")
        command = command.replace(M_CALLER, caller or M_CALLER)
        client.command(command) if command != "exit" else client.send(command)
        if command.startswith("sendmsg"):
            client.wait_event("CHANNEL_DESTROY")
    wait_until(lambda: client.closed)
    real_events, sim_events = trace_events(f"{name}.recv.raw"), client.events()
    assert replies(client.frames) == replies(trace_frames(f"{name}.recv.raw"))
    assert ("CHANNEL_EXECUTE", "amd") not in outline(sim_events)

    def from_the_hangup(events: list) -> list[tuple[str, str, str]]:
        start = next(i for i, e in enumerate(events) if e.name == "CHANNEL_HANGUP")
        return [(*pair, e.get("Hangup-Cause") or "") for pair, e in zip(outline(events[start:]), events[start:],
                                                                        strict=True)]

    assert from_the_hangup(sim_events) == from_the_hangup(real_events)
    assert from_the_hangup(sim_events)[0] == ("CHANNEL_HANGUP", "", "DESTINATION_OUT_OF_ORDER")

