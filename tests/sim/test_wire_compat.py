"""The simulator against the real switch's bytes (tests/fixtures/fs-traces): same command sequence, same replies,
same
ordered events (name + Application) and, per event, the same header names in the same order — except the
``variable_*`` headers of SIP / RTP / CDR detail the simulator does not model (everything outside
SIM_VARIABLES)."""

from __future__ import annotations

import difflib
import json
import re

from ccswitch.sim.people import CallerScript
from ccswitch.sim.server import EslServer
from ccswitch.sim.switch import SimSwitch
from tests.sim.conftest import TRACES, PlainEvent, RawClient, frames_of, wait_until

# The channel variables the simulator keeps; the traces' other variable_* headers are omitted on purpose.
SIM_VARIABLES = frozenset(
    {
        "direction",
        "uuid",
        "call_uuid",
        "session_id",
        "channel_name",
        "sofia_profile_name",
        "is_outbound",
        "origination_uuid",
        "DP_MATCH",
        "current_application",
        "current_application_data",
        "current_application_response",
        "app_uuid",
        "current_loop",
        "total_loops",
        "playback_last_offset_pos",
        "playback_seconds",
        "playback_ms",
        "playback_samples",
        "record_completion_cause",
        "hangup_cause",
        "hangup_cause_q850",
        "last_app",
        "last_arg",
        "bridge_channel",
        "bridge_uuid",
        "signal_bond",
    }
)
# Events of the real switch's own housekeeping, not caused by the scenario.
UNRELATED_EVENTS = frozenset({"HEARTBEAT", "RE_SCHEDULE"})


def modelled(name: str) -> bool:
    return not name.startswith("variable_") or name.removeprefix("variable_") in SIM_VARIABLES


def trace_frames(name: str) -> list:
    return frames_of((TRACES / name).read_bytes())


def trace_events(name: str) -> list[PlainEvent]:
    events = [PlainEvent.parse(f.body) for f in trace_frames(name) if f.content_type == "text/event-plain"]
    return [e for e in events if e.name not in UNRELATED_EVENTS]


def replies(frames: list) -> list[str]:
    out = []
    for frame in frames:
        if frame.content_type == "command/reply":
            out.append(frame.headers["Reply-Text"])
        elif frame.content_type == "api/response":
            out.append(frame.body.decode())
    return out


def outline(events: list[PlainEvent]) -> list[tuple[str, str]]:
    return [(e.name, e.get("Application") or "") for e in events]


def assert_same_headers(real: list[PlainEvent], sim: list[PlainEvent]) -> None:
    assert outline(sim) == outline(real)
    differences = []
    for index, (real_event, sim_event) in enumerate(zip(real, sim, strict=True)):
        expected = [name for name in real_event.names if modelled(name)]
        if sim_event.names != expected:
            diff = [line for line in difflib.ndiff(expected, sim_event.names) if line[0] in "+-"]
            differences.append(f"#{index} {real_event.name}: {diff}")
    assert not differences, "\n".join(differences)


def uuid_free(texts: list[str]) -> list[str]:
    return [re.sub(r"[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}", "<uuid>", t) for t in texts]


def test_inbound_park_answer_broadcast_record_kill_matches_trace_a(server: EslServer, switch: SimSwitch) -> None:
    client = RawClient(server.port).login()
    uuid = switch.place_call(CallerScript(caller_name="SIPp Caller"))
    client.wait_event("CHANNEL_PARK")
    client.command(f"api uuid_answer {uuid}")
    client.command(f"api uuid_broadcast {uuid} tone_stream://%(500,500,440) aleg")
    client.wait_event("CHANNEL_EXECUTE_COMPLETE", Application="playback")
    client.command(f"api uuid_record {uuid} start /tmp/rec-{uuid}.wav")
    client.command(f"api uuid_record {uuid} stop /tmp/rec-{uuid}.wav")
    client.command(f"api uuid_kill {uuid}")
    client.wait_event("CHANNEL_STATE", Channel_State="CS_DESTROY")
    client.command("exit")
    wait_until(lambda: client.closed)

    name = "a_inbound_park_answer_broadcast_record_kill.plain.recv.raw"
    assert_same_headers(trace_events(name), client.events())
    assert replies(client.frames) == replies(trace_frames(name))
    assert client.frames[-1].content_type == "text/disconnect-notice"
    assert client.frames[-1].body == trace_frames(name)[-1].body


def test_json_events_carry_the_same_keys_as_trace_a_json(server: EslServer, switch: SimSwitch) -> None:
    client = RawClient(server.port).login("event json ALL")
    uuid = switch.place_call(CallerScript())
    wait_until(lambda: any(b'"CHANNEL_PARK"' in f.body for f in client.frames))
    client.command(f"api uuid_kill {uuid}")
    wait_until(lambda: any(b'"CHANNEL_DESTROY"' in f.body for f in client.frames))

    def parked(frames: list) -> dict[str, str]:
        bodies = [json.loads(f.body) for f in frames if f.content_type == "text/event-json"]
        return next(b for b in bodies if b["Event-Name"] == "CHANNEL_PARK")

    real = parked(trace_frames("a_inbound_park_answer_broadcast_record_kill.json.recv.raw"))
    sim = parked(client.frames)
    assert list(sim) == [key for key in real if modelled(key)]
    assert sim["Caller-Destination-Number"] == "88005550556"
    assert sim["FreeSWITCH-IPv6"] == "::1"  # json values are not URL-encoded


def test_originate_and_uuid_bridge_match_trace_b(server: EslServer, switch: SimSwitch) -> None:
    client = RawClient(server.port).login()
    sent = (TRACES / "b_originate_to_sipp_uas_park_then_uuid_bridge.sent.raw").read_text().split("\n\n")
    for command in [c for c in sent if c][2:]:  # after auth and event plain ALL
        parks = len([e for e in client.events() if e.name == "CHANNEL_PARK"])
        client.command(command)
        if "uuid_kill" in command:
            client.wait_event("CHANNEL_STATE", count=2, Channel_State="CS_DESTROY")
        elif command.startswith("api originate"):
            client.wait_event("CHANNEL_PARK", count=parks + 1)
    wait_until(lambda: client.closed)
    name = "b_originate_to_sipp_uas_park_then_uuid_bridge.recv.raw"
    assert_same_headers(trace_events(name), client.events())
    assert replies(client.frames) == replies(trace_frames(name))


def test_bgapi_background_job_framing_matches_trace_c(server: EslServer, switch: SimSwitch) -> None:
    client = RawClient(server.port).login()
    sent = (TRACES / "c_bgapi_originate_background_job.sent.raw").read_text().split("\n\n")
    for command in [c for c in sent if c][2:]:
        jobs = len([e for e in client.events() if e.name == "BACKGROUND_JOB"])
        client.command(command)
        if command.startswith("bgapi"):
            client.wait_event("BACKGROUND_JOB", count=jobs + 1)
        if command.startswith("bgapi originate {"):
            client.wait_event("CHANNEL_PARK")
        if "uuid_kill" in command:
            client.wait_event("CHANNEL_STATE", Channel_State="CS_DESTROY")
    wait_until(lambda: client.closed)
    name = "c_bgapi_originate_background_job.recv.raw"
    real = [
        e
        for e in trace_events(name)
        if not (e.name == "API" and e.get("API-Command") in ("sofia_contact", "verto_contact"))
    ]
    sim_jobs = [e for e in client.events() if e.name == "BACKGROUND_JOB"]
    real_jobs = [e for e in real if e.name == "BACKGROUND_JOB"]
    assert [e.names for e in sim_jobs] == [e.names for e in real_jobs]
    assert sim_jobs[0].get("Job-UUID") == "46cb5f2f-8b1c-4606-9244-40f4287f540c"
    assert [e.body for e in sim_jobs[:2]] == [real_jobs[0].body, real_jobs[1].body]
    assert uuid_free(replies(client.frames)) == uuid_free(replies(trace_frames(name)))
    assert_same_headers(real, client.events())


# Commands whose replies describe the real installation (modules the simulator does not have, its version
# text).
INSTALLATION_SPECIFIC = ("api version", "api status", "api sofia", "api callcenter_config")


def test_api_and_command_replies_match_trace_f(server: EslServer) -> None:
    client = RawClient(server.port).login(subscribe=None)
    sent = [c for c in (TRACES / "f_api_and_command_replies.sent.raw").read_text().split("\n\n") if c][1:]
    for command in sent:
        client.send(command)
    wait_until(lambda: client.closed)
    real = replies(trace_frames("f_api_and_command_replies.recv.raw"))[1:]
    sim = replies(client.frames)[1:]
    assert len(sim) == len(sent) == len(real)
    compared = [(c, s, r) for c, s, r in zip(sent, sim, real, strict=True) if not c.startswith(INSTALLATION_SPECIFIC)]
    assert [s for _, s, _ in compared] == [r for _, _, r in compared]
    assert client.frames[-1].content_type == "text/disconnect-notice"
    assert server.commands_received == ["auth ClueCon", *sent]


def test_wrong_password_gets_the_trace_g_bytes_and_is_closed(server: EslServer) -> None:
    client = RawClient(server.port)
    wait_until(lambda: client.frames)
    client.send("auth WrongPassword")
    wait_until(lambda: client.closed)
    raw = (TRACES / "g_auth_failure.recv.raw").read_bytes()
    assert [(f.headers, f.body) for f in client.frames] == [(f.headers, f.body) for f in frames_of(raw)]


def test_commands_before_auth_are_refused_but_the_socket_stays(server: EslServer) -> None:
    client = RawClient(server.port)
    wait_until(lambda: client.frames)
    assert client.command("api status").headers["Reply-Text"] == "-ERR command not found"
    assert client.command("auth ClueCon").headers["Reply-Text"] == "+OK accepted"
    assert not client.closed


def test_caller_name_with_escapes_round_trips_like_trace_i(server: EslServer, switch: SimSwitch) -> None:
    client = RawClient(server.port).login("event plain CHANNEL_PARK")
    switch.place_call(CallerScript(caller_name="x%0AUnique-ID%3A%20victim-uuid"))
    switch.place_call(CallerScript(caller_name="Ivan Petrov: VIP\n"))
    client.wait_event("CHANNEL_PARK", count=2)
    raw = b"".join(f.body for f in client.frames if f.content_type == "text/event-plain")
    # An existing %XX passes through untouched (switch_url_encode_opt without double encoding), as in trace i.
    assert b"Caller-Caller-ID-Name: x%0AUnique-ID%3A%20victim-uuid\n" in raw
    assert b"Caller-Caller-ID-Name: Ivan%20Petrov%3A%20VIP%0A\n" in raw
    real = next(e for e in trace_events("i_caller_id_header_injection.recv.raw") if e.name == "CHANNEL_PARK")
    first = client.events()[0]
    assert first.get("Unique-ID") != "victim-uuid"
    assert [n for n in first.names] == [n for n in real.names if modelled(n)]
