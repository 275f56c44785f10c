from __future__ import annotations

import os
from datetime import UTC, datetime
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest

from ccswitch.effects import AnnounceToCaller, MaskRecording, StartRecording, StopRecording
from ccswitch.errors import ConfigError, InvalidTransition
from ccswitch.media import recording as r

MOSCOW = ZoneInfo("Europe/Moscow")
NOW = datetime(2026, 11, 22, 23, 30, tzinfo=UTC).timestamp()  # already the 23rd in Moscow
UUID = "5de5ae67-f1bb-41e9-88d3-ef5467ae5aec"


def uuids(n: int) -> list[str]:
    return [f"00000000-0000-4000-8000-{i:012d}" for i in range(n)]


def test_all_and_none_ignore_the_sample() -> None:
    assert r.should_record(r.RecordingPolicy(r.RecordingMode.ALL, sample_percent=0), UUID)
    assert not r.should_record(r.RecordingPolicy(r.RecordingMode.NONE, sample_percent=100), UUID)


def test_a_sample_records_about_its_percentage_and_always_the_same_calls() -> None:
    policy = r.RecordingPolicy(r.RecordingMode.SAMPLE, sample_percent=20)
    chosen = [u for u in uuids(2000) if r.should_record(policy, u)]
    assert 340 <= len(chosen) <= 460
    assert chosen == [u for u in uuids(2000) if r.should_record(policy, u)]


@pytest.mark.parametrize(("percent", "expected"), [(0, 0), (100, 300)])
def test_sample_edges(percent: int, expected: int) -> None:
    policy = r.RecordingPolicy(r.RecordingMode.SAMPLE, sample_percent=percent)
    assert sum(r.should_record(policy, u) for u in uuids(300)) == expected


def test_path_uses_the_local_date_and_safe_fields() -> None:
    path = r.recording_path(r.DEFAULT_TEMPLATE, NOW, MOSCOW, queue="support", agent="1004", caller="+7916", uuid=UUID)
    assert path == f"2026/11/23/support/{UUID}.wav"
    hostile = r.recording_path("rec/{queue}/{caller}-{agent}.wav", NOW, UTC, queue="../../etc",
                               agent="", caller="x y/${system(rm)}", uuid=UUID)
    assert hostile == "rec/______etc/x_y___system_rm__-unknown.wav"


@pytest.mark.parametrize(
    ("template", "problem"),
    [
        ("rec/{nope}.wav", "unknown field {nope}"),
        ("rec/{uuid.wav", "bad template"),
        ("rec/%Y/{uuid}", "extension"),
        ("rec/../{uuid}.wav", "file path"),
        ("rec/{uuid} x.wav", "file path"),
        ("/rec/{uuid}.wav", "relative file path"),
    ],
)
def test_bad_templates_are_explained(template: str, problem: str) -> None:
    assert problem in (r.check_template(template) or "")


def test_good_template() -> None:
    assert r.check_template("%Y-%m/{queue}/{agent}_{caller}_{uuid}.wav") is None
    assert r.check_template(r.DEFAULT_TEMPLATE) is None


def test_recordings_dir_missing_or_a_file_is_a_config_error(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="does not exist") as missing:
        r.check_recordings_dir(str(tmp_path / "nope"))
    assert missing.value.key_path == "recordings.dir"
    (tmp_path / "file").write_text("")
    with pytest.raises(ConfigError, match="is not a directory"):
        r.check_recordings_dir(str(tmp_path / "file"))
    r.check_recordings_dir(str(tmp_path))


@pytest.mark.skipif(os.geteuid() == 0, reason="root writes anywhere")
def test_unwritable_recordings_dir_is_a_config_error(tmp_path: Path) -> None:
    tmp_path.chmod(0o500)
    try:
        with pytest.raises(ConfigError, match="not writable"):
            r.check_recordings_dir(str(tmp_path))
    finally:
        tmp_path.chmod(0o700)


def test_start_announces_then_records() -> None:
    session, effects = r.start("c", "support", "1004", "/r/c.wav", False, 10.0, "/s/recorded.wav")
    assert effects == [AnnounceToCaller("c", "/s/recorded.wav"), StartRecording("c", "/r/c.wav", stereo=False)]
    assert (session.state, session.started_at, session.duration_s) == (r.RecordingState.RECORDING, 10.0, None)
    assert r.start("c", "q", "a", "/r/c.wav", True, 0)[1] == [StartRecording("c", "/r/c.wav", stereo=True)]


def test_mask_unmask_stop_keep_the_masked_stretches() -> None:
    session, _ = r.start("c", "support", "1004", "/r/c.wav", True, 100.0)
    session, effects = r.apply(session, r.RecordingEvent.MASK, 130.0)
    assert effects == [MaskRecording("c", "/r/c.wav", True)] and session.state is r.RecordingState.MASKED
    session, effects = r.apply(session, r.RecordingEvent.UNMASK, 175.0)
    assert effects == [MaskRecording("c", "/r/c.wav", False)]
    session, _ = r.apply(session, r.RecordingEvent.MASK, 200.0)
    session, effects = r.apply(session, r.RecordingEvent.STOP, 210.0)
    assert effects == [StopRecording("c", "/r/c.wav")]
    assert r.metadata(session) == r.RecordingMetadata("c", "support", "1004", "/r/c.wav", True, 100.0, 110.0, 55.0)


def test_hangup_ends_the_session_without_a_command() -> None:
    session, _ = r.start("c", "q", "a", "/r/c.wav", True, 0.0)
    session, effects = r.apply(session, r.RecordingEvent.HANGUP, 42.0)
    assert effects == [] and r.metadata(session).duration_s == 42.0


_LEGAL = {
    (r.RecordingState.RECORDING, r.RecordingEvent.MASK),
    (r.RecordingState.RECORDING, r.RecordingEvent.STOP),
    (r.RecordingState.RECORDING, r.RecordingEvent.HANGUP),
    (r.RecordingState.MASKED, r.RecordingEvent.UNMASK),
    (r.RecordingState.MASKED, r.RecordingEvent.STOP),
    (r.RecordingState.MASKED, r.RecordingEvent.HANGUP),
}


@pytest.mark.parametrize("state", list(r.RecordingState))
@pytest.mark.parametrize("event", list(r.RecordingEvent))
def test_every_state_event_pair(state: r.RecordingState, event: r.RecordingEvent) -> None:
    session = r.RecordingSession("c", "q", "a", "/r/c.wav", True, 0.0, state=state,
                                 masked_since=0.0 if state is r.RecordingState.MASKED else None)
    if (state, event) in _LEGAL:
        assert r.apply(session, event, 1.0)[0].state is not state
    else:
        with pytest.raises(InvalidTransition, match=event.value):
            r.apply(session, event, 1.0)


def test_metadata_of_a_running_recording_is_a_bug() -> None:
    session, _ = r.start("c", "q", "a", "/r/c.wav", True, 0.0)
    with pytest.raises(InvalidTransition):
        r.metadata(session)
