"""The simulator against the real switch when an offer to an agent fails (tests/fixtures/fs-traces k and n): the
same events in the same order, for the same channels, with the same hang-up causes and bridge outcome, from the
inline transfer that rings the agent on. (Header names are not compared here: these traces come from a later build
whose channel headers differ from trace a's, which the simulator follows.)

Before that point the traces differ from the simulator in ways that have nothing to do with a failing bridge: the
agents' phones register (CUSTOM sofia::register, which the simulator does not fire) and ``uuid_answer`` of these
callers sends no CHANNEL_PROGRESS_MEDIA (the simulator answers as trace a's caller did)."""

from __future__ import annotations

from ccswitch.sim.people import AgentPhone, CallerScript
from ccswitch.sim.server import EslServer
from ccswitch.sim.switch import SimSwitch
from tests.sim.conftest import TRACES, PlainEvent, RawClient
from tests.sim.test_wire_compat import trace_events


def sent_commands(name: str) -> list[str]:
    return [c for c in (TRACES / name).read_text().split("\n\n") if c]


def from_the_transfer(events: list[PlainEvent]) -> list[PlainEvent]:
    """The events from the caller's CHANNEL_UNPARK (the inline transfer) on, registrations left out."""
    start = next(i for i, e in enumerate(events) if e.name == "CHANNEL_UNPARK")
    return [e for e in events[start:] if e.name != "CUSTOM"]


def caller_and_agent(events: list[PlainEvent], caller: str) -> list[tuple[str, str, str, str]]:
    """(event, application, whose, Hangup-Cause): the order the controller sees the failure in."""
    return [(e.name, e.get("Application") or "", "caller" if e.get("Unique-ID") == caller else "agent",
             e.get("Hangup-Cause") or "") for e in events]


def test_a_caller_hanging_up_while_the_agent_rings_matches_trace_k(server: EslServer, switch: SimSwitch) -> None:
    name = "k_caller_hangup_while_agent_rings"
    commands = sent_commands(f"{name}.sent.raw")
    switch.add_phone(AgentPhone("1001", "no_answer"))
    client = RawClient(server.port).login(commands[1])
    caller = switch.place_call(CallerScript(patience_s=20.0))  # the caller's BYE while 1001 rings (30 s)
    client.wait_event("CHANNEL_PARK")
    client.command(f"api uuid_answer {caller}")
    transfer = commands[4].replace("f95c504d-7bd8-4c0d-b182-3289cf035a46", caller)
    assert client.command(transfer).body == b"+OK\n"
    client.wait_event("CHANNEL_DESTROY", count=2)
    # the controller's re-offer in the old code: the gone caller's channel answers as the real switch does
    assert client.command(transfer).body == b"-ERR No such channel!\n"

    real = from_the_transfer(trace_events(f"{name}.recv.raw"))
    sim = from_the_transfer(client.events())
    assert caller_and_agent(sim, caller) == caller_and_agent(real, "f95c504d-7bd8-4c0d-b182-3289cf035a46")
    completed = next(e for e in sim if e.name == "CHANNEL_EXECUTE_COMPLETE" and e.get("Application") == "bridge")
    assert (completed.get("variable_originate_disposition"), completed.get("variable_DIALSTATUS")) == (
        "ORIGINATOR_CANCEL", "CANCEL")


N_CALLER = "ec53b668-731e-4f91-8829-f9dbba12aa96"


def test_phones_without_a_common_codec_fail_the_bridge_as_in_trace_n(server: EslServer, switch: SimSwitch) -> None:
    name = "n_bridge_incompatible_codec"
    commands = sent_commands(f"{name}.sent.raw")
    switch.add_phone(AgentPhone("1002", "wrong_codec", answer_after_s=0.3))  # 200 OK with PCMA only
    switch.add_phone(AgentPhone("1003", "not_acceptable", busy_after_s=0.02))  # 488 Not Acceptable Here
    client = RawClient(server.port).login(commands[1])
    caller = switch.place_call(CallerScript())
    client.wait_event("CHANNEL_PARK")
    client.command(f"api uuid_answer {caller}")
    part_1, part_2 = (command.replace(N_CALLER, caller) for command in commands[3:5])
    client.command(part_1)  # continue_on_fail=true, then park: the caller survives
    client.wait_event("CHANNEL_PARK", count=2)
    client.command(part_2)  # continue_on_fail unset (set stays on the channel): the caller is hung up
    client.wait_event("CHANNEL_DESTROY", count=3)
    assert client.command(f"api uuid_exists {caller}").body == b"false"

    real = from_the_transfer(trace_events(f"{name}.recv.raw"))
    sim = from_the_transfer(client.events())
    assert caller_and_agent(sim, caller) == caller_and_agent(real, N_CALLER)
    bridges = [e for e in sim if e.name == "CHANNEL_EXECUTE_COMPLETE" and e.get("Application") == "bridge"]
    for bridge in bridges:
        assert bridge.get("Application-Response") == "_none_"
        for variable in ("originate_disposition", "DIALSTATUS", "originate_failed_cause"):
            assert bridge.get(f"variable_{variable}") == "INCOMPATIBLE_DESTINATION"
    assert [e.get("Hangup-Cause") for e in sim if e.name == "CHANNEL_HANGUP_COMPLETE"] == [
        "INCOMPATIBLE_DESTINATION"] * 3
