"""Voicemail, controller <-> simulator over TCP: the shipped operator queue overflows to ``{voicemail:
queue/leave_message, max_s: 120}``; the caller hears the prompt, the message is recorded with mod_dptools'
``record`` (ended by silence, the time limit or the caller hanging up), then the controller hangs up and the
contact's history keeps the recording's path."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import replace
from types import MappingProxyType

from ccswitch.acd.agents import TakeBreak
from ccswitch.config import Config
from ccswitch.history.model import ContactRecord
from ccswitch.routing.steps import ToVoicemail
from ccswitch.sim import CallerScript, Hangup
from ccswitch.sim.dialstring import AppCall

from .conftest import ContactCentre, wait_until
from .switch_log import SwitchLog, at

Factory = Callable[..., ContactCentre]


def operator(max_s: int = 120) -> Callable[[Config], Config]:
    """The shipped operator queue, overflowing after 5 s instead of 180 s, messages up to ``max_s``."""

    def configure(config: Config) -> Config:
        queue = config.queues["operator"]
        assert isinstance(queue.overflow, ToVoicemail)
        changed = replace(queue, max_wait_s=5, overflow=replace(queue.overflow, max_s=max_s))
        return replace(config, queues=MappingProxyType({**config.queues, "operator": changed}))

    return configure


def caller_for_operator(centre: ContactCentre, records: list[object], **script: object) -> str:
    """A caller who presses 0 in the main menu while every operator is on a break."""
    for agent_id in centre.controller.config.members("operator"):
        centre.controller.agent_action(agent_id, TakeBreak("lunch"))
    uuid = centre.switch.place_call(CallerScript(dtmf=("0",), **script))  # type: ignore[arg-type]
    wait_until(lambda: contact(records, uuid) is not None, timeout=5, what="the contact's history record")
    return uuid


def contact(records: list[object], call: str) -> ContactRecord | None:
    return next((r for r in records if isinstance(r, ContactRecord) and r.call_uuid == call), None)


def message_path(centre: ContactCentre, uuid: str) -> str:
    return f"{centre.controller.config.recordings.switch_dir}/voicemail/2026/11/23/{uuid}.wav"


def test_an_operator_caller_who_waits_too_long_leaves_a_message_kept_with_the_contact(
    centre_factory: Factory,
) -> None:
    records: list[object] = []
    centre = centre_factory(configure=operator(), record=records.append)
    log = SwitchLog(centre.switch)
    caller = caller_for_operator(centre, records, patience_s=600, message_s=6)

    path = message_path(centre, caller)
    prompt = centre.controller.config.prompt_path("queue/leave_message")
    assert centre.switch.apps_on(caller)[-3:] == [
        AppCall("playback", "local_stream://moh"), AppCall("playback", prompt), AppCall("record", f"{path} 120 200 3")]
    assert any(c.startswith(f"sendmsg {caller}\n") and "execute-app-name: record\n" in c
               and f"execute-app-arg: {path} 120 200 3" in c for c in centre.server.commands_received)
    (started,), (stopped,) = log.of(caller, "RECORD_START"), log.of(caller, "RECORD_STOP")
    assert started.get("Record-File-Path") == stopped.get("Record-File-Path") == path
    (recorded,) = [e for e in log.of(caller, "CHANNEL_EXECUTE_COMPLETE") if e.get("Application") == "record"]
    assert recorded.get("variable_silence_hits_exhausted") == "true"
    assert recorded.get("variable_record_ms") == "9000"  # 6 s of message, 3 s of silence
    (prompted,) = [e for e in log.of(caller, "PLAYBACK_STOP") if e.get("Playback-File-Path") == prompt]
    assert log.index(prompted) < log.index(started)  # the whole prompt first
    (hung_up,) = log.of(caller, "CHANNEL_HANGUP")
    assert log.index(recorded) < log.index(hung_up) and Hangup(caller, "NORMAL_CLEARING") in centre.switch.hangups
    assert at(hung_up) - at(recorded) < 1  # the controller hangs up as soon as the message is in

    record = contact(records, caller)
    assert record is not None and record.recording_path == path
    assert (record.queue, record.outcome, record.agent) == ("operator", "overflowed", None)  # the queue's view
    assert record.wait_s is not None and 5 <= record.wait_s <= 6
    assert centre.controller.engine.stats.queues["operator"].overflowed == 1


def test_a_message_longer_than_max_s_is_cut_off_there(centre_factory: Factory) -> None:
    records: list[object] = []
    centre = centre_factory(configure=operator(max_s=5), record=records.append)
    log = SwitchLog(centre.switch)
    caller = caller_for_operator(centre, records, patience_s=600, message_s=60)
    assert centre.switch.apps_on(caller)[-1] == AppCall("record", f"{message_path(centre, caller)} 5 200 3")
    (recorded,) = [e for e in log.of(caller, "CHANNEL_EXECUTE_COMPLETE") if e.get("Application") == "record"]
    assert recorded.get("variable_record_ms") == "5000"
    assert recorded.get("variable_silence_hits_exhausted") == "false"
    record = contact(records, caller)
    assert record is not None and record.recording_path == message_path(centre, caller)


def test_a_caller_who_hangs_up_while_speaking_leaves_the_message_so_far(centre_factory: Factory) -> None:
    records: list[object] = []
    centre = centre_factory(configure=operator(), record=records.append)
    log = SwitchLog(centre.switch)
    # joins the operator queue ~1 s in, overflows at ~6 s, the prompt lasts 8.1 s: speaking from ~14 s, gone at 20 s
    caller = caller_for_operator(centre, records, patience_s=20, message_s=60)
    (hung_up,), (stopped,) = log.of(caller, "CHANNEL_HANGUP"), log.of(caller, "RECORD_STOP")
    assert log.index(hung_up) < log.index(stopped)
    assert 3_000 <= int(stopped.get("variable_record_ms") or 0) <= 8_000
    record = contact(records, caller)
    assert record is not None and record.recording_path == message_path(centre, caller)
    assert record.hangup_cause == "NORMAL_CLEARING"


def test_a_caller_who_hangs_up_during_the_prompt_leaves_no_message(centre_factory: Factory) -> None:
    records: list[object] = []
    centre = centre_factory(configure=operator(), record=records.append)
    log = SwitchLog(centre.switch)
    caller = caller_for_operator(centre, records, patience_s=10, message_s=60)  # the prompt runs 6 s - 14 s
    assert log.of(caller, "RECORD_START") == []
    record = contact(records, caller)
    assert record is not None and record.recording_path is None
