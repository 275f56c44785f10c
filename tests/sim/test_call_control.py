"""Live call control in the simulator: hold, eavesdrop (fs-traces d), DTMF mode switches, recording masks,
mute, three_way, and the attended-transfer command sequence ccswitch.media decides."""

from __future__ import annotations

from ccswitch.effects import Effect, RunInline
from ccswitch.esl import commands as c
from ccswitch.executor import command_for
from ccswitch.media import control, monitor
from ccswitch.sim.channel import Eavesdrop
from ccswitch.sim.people import AgentPhone, CallerScript
from ccswitch.sim.server import EslServer
from ccswitch.sim.switch import SimSwitch
from tests.sim.conftest import TRACES, RawClient
from tests.sim.test_behaviour import parked_call
from tests.sim.test_wire_compat import assert_same_headers, replies, trace_events, trace_frames

TRACE_D = "d_hold_eavesdrop_transfer.recv.raw"
CALLER = "5de5ae67-f1bb-41e9-88d3-ef5467ae5aec"
EAVESDROPPER = "097a1df0-6ac5-44b0-921d-2fb249db963c"


def test_hold_and_eavesdrop_match_trace_d_up_to_the_transfer(server: EslServer, switch: SimSwitch) -> None:
    client = RawClient(server.port).login()
    switch.place_call(CallerScript(caller_name="SIPp Caller", patience_s=600), uuid=CALLER)
    client.wait_event("CHANNEL_PARK")
    sent = [cmd for cmd in (TRACES / "d_hold_eavesdrop_transfer.sent.raw").read_text().split("\n\n") if cmd]
    until_transfer = sent[2 : sent.index(f"api uuid_transfer {CALLER} 9998 XML default")]
    for command in until_transfer:
        client.command(command)
        if "&eavesdrop" in command:
            client.wait_event("CALL_UPDATE", Unique_ID=EAVESDROPPER, Direction="SEND")
    client.wait_event("CHANNEL_STATE", Unique_ID=EAVESDROPPER, Channel_State="CS_DESTROY")

    real = trace_events(TRACE_D)
    last = max(i for i, e in enumerate(real) if e.get("Unique-ID") == EAVESDROPPER)
    assert_same_headers(real[: last + 1], client.events())
    assert replies(client.frames)[2:] == replies(trace_frames(TRACE_D))[2 : 2 + len(until_transfer)]
    bug = next(e for e in client.events() if e.name == "MEDIA_BUG_START")
    assert (bug.get("Unique-ID"), bug.get("Media-Bug-Function"), bug.get("Media-Bug-Target")) == (
        CALLER, "eavesdrop", CALLER)


def send(client: RawClient, effect: Effect) -> str:
    """Send the effect's command as ``api``, so the test reads originate's answer synchronously."""
    text = command_for(effect).split("\n", 1)[0]
    return client.command("api " + text.split(" ", 1)[1]).body.decode()


def bridged_call(client: RawClient, switch: SimSwitch, agent_leg: str) -> str:
    """A caller bridged to agent 1000 the way the engine does it (connect_agent)."""
    switch.add_phone(AgentPhone("1000", answer_after_s=0.1, talk_s=600))
    call = parked_call(client, switch, CallerScript(patience_s=600, talk_s=None))
    client.command(c.api(c.connect_agent(call, [c.AgentDial("user/1000", agent_leg)], 10, "Ivan", "79161234567", {})))
    client.wait_event("CHANNEL_BRIDGE", Unique_ID=call)
    return call


def test_supervisor_switches_modes_by_dtmf_and_stops_with_star(client: RawClient, switch: SimSwitch) -> None:
    agent_leg, supervisor_leg = "agent-leg-1", "supervisor-leg-1"
    call = bridged_call(client, switch, agent_leg)
    switch.add_phone(AgentPhone("2000", answer_after_s=0.1, talk_s=600))
    boss = monitor.Supervisor("boss", "user/2000", frozenset({"support"}))
    session, effects = monitor.start(boss, "support", call, agent_leg, supervisor_leg, monitor.MonitorMode.WHISPER, 0)
    assert send(client, effects[0]) == f"+OK {supervisor_leg}\n"
    client.wait_event("MEDIA_BUG_START", Unique_ID=agent_leg, Media_Bug_Function="eavesdrop")
    assert switch.eavesdrops == {supervisor_leg: Eavesdrop(agent_leg, mux_read=False, mux_write=True)}

    session, effects = monitor.switch_mode(session, monitor.MonitorMode.BARGE, 1)
    assert send(client, effects[0]) == f"+OK {supervisor_leg} received DTMF 3.\n"
    dtmf = client.wait_event("DTMF", Unique_ID=supervisor_leg)
    assert dtmf.get("DTMF-Digit") == "3"
    assert monitor.on_digit(session, "3", 1) == session  # the engine sees its own digit come back
    assert switch.eavesdrops[supervisor_leg] == Eavesdrop(agent_leg, mux_read=True, mux_write=True)

    client.command(c.api(c.uuid_recv_dtmf(supervisor_leg, "*")))
    client.wait_event("MEDIA_BUG_STOP", Unique_ID=agent_leg)
    client.wait_event("CHANNEL_HANGUP_COMPLETE", Unique_ID=supervisor_leg)  # its dialplan ran out
    assert switch.eavesdrops == {} and switch.channels[call].bridged_with == agent_leg


def test_eavesdrop_ends_when_the_agent_leg_hangs_up(client: RawClient, switch: SimSwitch) -> None:
    call = bridged_call(client, switch, "agent-leg-2")
    client.command(c.api(c.originate(c.dial_string("sofia/external/2004", {"origination_uuid": "sup-2"}),
                                     "eavesdrop", "agent-leg-2")))
    client.wait_event("MEDIA_BUG_START", Unique_ID="agent-leg-2")
    assert switch.eavesdrops["sup-2"] == Eavesdrop("agent-leg-2", mux_read=False, mux_write=False)
    client.command(c.api(c.uuid_kill("agent-leg-2")))
    client.wait_event("CHANNEL_HANGUP_COMPLETE", Unique_ID="sup-2")
    client.wait_event("CHANNEL_HANGUP_COMPLETE", Unique_ID=call)  # hangup_after_bridge
    assert switch.eavesdrops == {}


def test_recv_dtmf_for_a_missing_channel_is_refused(client: RawClient) -> None:
    assert client.command("api uuid_recv_dtmf nobody 2").body == b"-ERR Cannot locate session!\n"


def test_recording_starts_stereo_and_masks_only_its_own_path(client: RawClient, switch: SimSwitch) -> None:
    call = parked_call(client, switch, CallerScript(patience_s=600))
    client.command(c.api(c.uuid_answer(call)))
    assert client.command(c.api(c.uuid_record_start(call, "/tmp/r/a.wav", stereo=True))).body == b"+OK Success\n"
    client.wait_event("RECORD_START", Unique_ID=call)
    live = switch.channel(call)
    assert live is not None and live.recording_stereo and not live.recording_masked
    assert client.command(c.api(c.uuid_record_mask(call, "/tmp/r/other.wav", True))).body == (
        b"-ERR Cannot mask recording session!\n")
    assert client.command(c.api(c.uuid_record_mask(call, "/tmp/r/a.wav", True))).body == b"+OK Success\n"
    assert live.recording_masked
    client.command(c.api(c.uuid_record_mask(call, "/tmp/r/a.wav", False)))
    assert not live.recording_masked
    client.command(c.api(c.uuid_kill(call)))
    client.wait_event("RECORD_STOP", Unique_ID=call)  # stopped with the channel


def test_mono_recording_when_the_block_says_so(client: RawClient, switch: SimSwitch) -> None:
    call = parked_call(client, switch, CallerScript(patience_s=600))
    client.command(c.api(c.uuid_setvar(call, "RECORD_STEREO", "true")))
    client.command(c.api(c.uuid_record_start(call, "/tmp/r/b.wav", stereo=False)))
    live = switch.channel(call)
    assert live is not None and live.recording == "/tmp/r/b.wav" and not live.recording_stereo


def test_hold_mute_and_their_media_bugs(client: RawClient, switch: SimSwitch) -> None:
    call = bridged_call(client, switch, "agent-leg-3")
    controls = control.AgentLegControls(call, "agent-leg-3")
    controls, effects = control.set_hold(controls, True, "local_stream://moh")
    assert [send(client, effect) for effect in effects] == ["+OK\n", "+OK Success\n"]
    assert switch.channels["agent-leg-3"].call_state == "HELD"
    assert switch.channels["agent-leg-3"].variables["hold_music"] == "local_stream://moh"
    controls, effects = control.set_hold(controls, False, "local_stream://moh")
    assert [send(client, effect) for effect in effects] == ["+OK Success\n"]
    client.wait_event("CHANNEL_UNHOLD", Unique_ID="agent-leg-3")

    controls, effects = control.set_mute(controls, True)
    assert send(client, effects[0]) == "+OK\n"
    client.wait_event("MEDIA_BUG_START", Unique_ID="agent-leg-3", Media_Bug_Function="audio")
    controls, effects = control.set_mute(controls, False)
    send(client, effects[0])
    client.wait_event("MEDIA_BUG_STOP", Unique_ID="agent-leg-3", Media_Bug_Function="audio")
    assert client.command("api uuid_audio agent-leg-3 start read").body.startswith(b"-USAGE")


def test_attended_transfer_consult_conference_then_complete(client: RawClient, switch: SimSwitch) -> None:
    call = bridged_call(client, switch, "agent-leg-4")
    switch.add_phone(AgentPhone("1001", answer_after_s=0.1, talk_s=600))
    transfer, effects = control.consult(call, "agent-leg-4", "target-4", "user/1001", 10)
    for effect in effects:
        send(client, effect)
    client.wait_event("CHANNEL_PARK", count=2, Unique_ID=call)  # the caller waits parked, not hung up
    client.wait_event("CHANNEL_BRIDGE", Unique_ID="agent-leg-4")  # the agent talks to the target
    assert switch.channels["agent-leg-4"].bridged_with == "target-4"

    transfer, effects = control.apply(transfer, control.TransferEvent.CONFERENCE)
    for effect in effects:
        send(client, effect)
    client.wait_event("MEDIA_BUG_START", Unique_ID="agent-leg-4", Media_Bug_Function="eavesdrop")
    client.wait_event("CHANNEL_PARK", Unique_ID="agent-leg-4")  # out of its bridge with the target: rejoin
    for effect in control.rejoin_agent(transfer):
        send(client, effect)
    client.wait_event("CHANNEL_BRIDGE", Unique_ID=call, count=2)
    assert switch.eavesdrops["target-4"] == Eavesdrop("agent-leg-4", mux_read=True, mux_write=True)
    assert switch.channels[call].bridged_with == "agent-leg-4"

    transfer, effects = control.apply(transfer, control.TransferEvent.COMPLETE)
    for effect in effects:
        send(client, effect)
    client.wait_event("CHANNEL_HANGUP_COMPLETE", Unique_ID="agent-leg-4")
    client.wait_event("CHANNEL_BRIDGE", Unique_ID=call, count=3)
    assert switch.channels[call].bridged_with == "target-4" and switch.eavesdrops == {}


def test_attended_transfer_cancel_reconnects_caller_and_agent(client: RawClient, switch: SimSwitch) -> None:
    call = bridged_call(client, switch, "agent-leg-5")
    switch.add_phone(AgentPhone("1001", answer_after_s=0.1, talk_s=600))
    transfer, effects = control.consult(call, "agent-leg-5", "target-5", "user/1001", 10)
    for effect in effects:
        send(client, effect)
    client.wait_event("CHANNEL_BRIDGE", Unique_ID="agent-leg-5")
    transfer, effects = control.apply(transfer, control.TransferEvent.CANCEL)
    for effect in effects:
        send(client, effect)
    client.wait_event("CHANNEL_HANGUP_COMPLETE", Unique_ID="target-5")
    client.wait_event("CHANNEL_PARK", Unique_ID="agent-leg-5")
    for effect in control.rejoin_agent(transfer):
        send(client, effect)
    client.wait_event("CHANNEL_BRIDGE", Unique_ID=call, count=2)
    assert switch.channels[call].bridged_with == "agent-leg-5"


def test_blind_transfer_to_a_queue_parks_the_caller_and_drops_the_agent(client: RawClient, switch: SimSwitch) -> None:
    call = bridged_call(client, switch, "agent-leg-6")
    park = control.transfer_to_queue(call, "sales")[0]
    assert isinstance(park, RunInline)
    send(client, park)
    client.wait_event("CHANNEL_PARK", count=2, Unique_ID=call)
    hangup = client.wait_event("CHANNEL_HANGUP_COMPLETE", Unique_ID="agent-leg-6")
    assert hangup.get("Hangup-Cause") == "NORMAL_CLEARING" and switch.channels[call].parked
