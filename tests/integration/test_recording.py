"""Call recording over real TCP: started at the bridge, paused and resumed over HTTP, listed from the history."""

from __future__ import annotations

import json
import urllib.error
import urllib.request
from collections.abc import Callable, Iterator
from dataclasses import replace
from datetime import datetime
from pathlib import Path
from types import MappingProxyType

import pytest

from ccswitch.config import Config
from ccswitch.engine import Phase
from ccswitch.history import History, open_history
from ccswitch.http import serve_http
from ccswitch.media.recording import RecordingMode, RecordingPolicy, should_record
from ccswitch.sim import CallerScript
from ccswitch.sim.channel import Channel
from tests.history.records import T0, contact

from .conftest import ContactCentre, api_call, wait_until

RECORDED = "c0ffee00-0000-4000-8000-000000000001"  # in support's 50% sample
NOT_RECORDED = "c0ffee00-0000-4000-8000-000000000200"  # not in it


@pytest.fixture
def history(tmp_path: Path) -> Iterator[History]:
    database = open_history(f"sqlite:///{tmp_path / 'history.sqlite'}")
    yield database
    database.close()


@pytest.fixture
def url(centre: ContactCentre, history: History) -> Iterator[str]:
    server = serve_http(centre.controller.metrics, "127.0.0.1", 0, centre.controller, history)
    yield f"http://127.0.0.1:{server.server_port}"
    server.stop()


def post(url: str) -> tuple[int, dict[str, object]]:
    return api_call(url, "POST", {})[:2]


def sent(centre: ContactCentre) -> list[str]:
    return [command.split("\n", 1)[0] for command in centre.server.commands_received]


def caller_channel(centre: ContactCentre) -> Channel:
    channel = centre.switch.channel(RECORDED)
    assert channel is not None
    return channel


def connect(centre: ContactCentre, uuid: str) -> None:
    centre.switch.place_call(CallerScript(dtmf=("2",), talk_s=600), uuid=uuid)
    wait_until(lambda: centre.controller.engine.stats.queues["support"].answered == 1, what="the bridge")


def test_a_sampled_call_is_recorded_from_the_bridge_and_paused_and_resumed_over_http(
    centre: ContactCentre, url: str
) -> None:
    config = centre.controller.config
    assert should_record(config.queues["support"].recording, RECORDED)
    connect(centre, RECORDED)
    day = datetime.fromtimestamp(centre.controller.engine.calls[RECORDED].connected_at or 0, config.timezone)
    path = f"{config.recordings.switch_dir}/{day:%Y/%m/%d}/support/{RECORDED}.wav"
    wait_until(lambda: caller_channel(centre).recording == path, what="the recording to start")
    commands = sent(centre)
    start = commands.index(f"api uuid_record {RECORDED} start {path} 0 {{RECORD_STEREO=true}}")
    announce = commands.index(f"api uuid_broadcast {RECORDED} {config.prompt_path('announce/recorded')} aleg")
    connect_agent = next(i for i, c in enumerate(commands) if c.startswith(f"api uuid_transfer {RECORDED} 'm:"))
    assert connect_agent < announce < start
    assert caller_channel(centre).recording_stereo

    assert post(f"{url}/api/calls/{RECORDED}/recording/pause") == (200, {
        "call": RECORDED, "queue": "support", "agent": centre.controller.engine.calls[RECORDED].agent,
        "path": path, "state": "masked", "started_at": centre.controller.engine.calls[RECORDED].connected_at})
    wait_until(lambda: caller_channel(centre).recording_masked, what="the mask")
    status, body = post(f"{url}/api/calls/{RECORDED}/recording/pause")
    assert (status, body["error"]) == (409, "invalid_transition")
    assert post(f"{url}/api/calls/{RECORDED}/recording/resume")[0] == 200
    wait_until(lambda: not caller_channel(centre).recording_masked, what="the unmask")
    assert f"api uuid_record {RECORDED} mask {path}" in sent(centre)
    assert f"api uuid_record {RECORDED} unmask {path}" in sent(centre)
    assert centre.controller.engine.calls[RECORDED].phase is Phase.CONNECTED  # the announcement kept the bridge


def test_a_call_outside_the_sample_is_not_recorded_and_cannot_be_paused(centre: ContactCentre, url: str) -> None:
    assert not should_record(centre.controller.config.queues["support"].recording, NOT_RECORDED)
    connect(centre, NOT_RECORDED)
    status, body = post(f"{url}/api/calls/{NOT_RECORDED}/recording/pause")
    assert (status, body["error"]) == (409, "invalid_transition")
    assert not any(c.startswith("api uuid_record") for c in sent(centre))
    status, body = post(f"{url}/api/calls/c0ffee00-0000-4000-8000-0000000009ff/recording/resume")
    assert (status, body["error"]) == (404, "unknown_name")


def test_recordings_are_listed_from_the_history(centre: ContactCentre, url: str, history: History) -> None:
    history.record_batch([
        contact("one", recording_path="/r/one.wav", recording_started_at=T0 + 35, recording_s=60.0, agent="1001"),
        contact("two", recording_path="/r/two.wav", recording_started_at=T0 + 90, recording_s=30.0, agent="1004"),
    ])
    with urllib.request.urlopen(f"{url}/api/recordings?agent=1001&since=2026-11-18", timeout=5) as response:
        assert json.load(response) == [{"call": "one", "queue": "support", "agent": "1001", "caller": "+79161234567",
                                         "started_at": T0 + 35, "duration_s": 60.0, "path": "/r/one.wav"}]
    with urllib.request.urlopen(f"{url}/api/recordings?since=2026-11-19", timeout=5) as response:
        assert json.load(response) == []
    with pytest.raises(urllib.error.HTTPError) as refused:
        urllib.request.urlopen(f"{url}/api/recordings?since=yesterday", timeout=5)
    assert refused.value.code == 400


def test_a_dialplan_rules_policy_records_a_call_its_queue_would_not(
    centre_factory: Callable[..., ContactCentre],
) -> None:
    def rule_records(config: Config) -> Config:
        support = replace(config.queues["support"], recording=RecordingPolicy())  # the queue records nothing
        rules = tuple(replace(rule, recording=RecordingPolicy(RecordingMode.ALL, stereo=False))
                      if rule.name == "business-hours" else rule for rule in config.dialplan.rules)
        return replace(config, queues=MappingProxyType({**config.queues, "support": support}),
                       dialplan=replace(config.dialplan, rules=rules))

    centre = centre_factory(configure=rule_records)
    caller = centre.switch.place_call(CallerScript(dtmf=("2",), talk_s=30))
    wait_until(lambda: any(c.startswith(f"api uuid_record {caller} start") for c in centre.server.commands_received),
               what="the recording to start")
    (start,) = [c for c in centre.server.commands_received if c.startswith(f"api uuid_record {caller} start")]
    assert start.endswith("{RECORD_STEREO=false}")
