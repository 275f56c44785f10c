"""The ``ccswitch`` command line, as a user runs it (click's runner, real files)."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest
from click.testing import CliRunner

from ccswitch import __version__
from ccswitch.cli import main
from ccswitch.cli._operations import _agent_line
from ccswitch.history import MonitoringRecord, open_history
from tests.history.records import T0, campaign_call, contact  # T0: 2026-11-18 14:06:40 in Moscow

ROOT = Path(__file__).resolve().parents[1]


@pytest.fixture
def config_copy(tmp_path: Path) -> Path:
    """A copy of the shipped config (support records a sample), without its recordings folder."""
    for folder in ("config", "dialplans", "ivr", "sounds"):
        shutil.copytree(ROOT / folder, tmp_path / folder)
    return tmp_path / "config" / "ccswitch.yaml"


@pytest.fixture
def broken_copy(config_copy: Path) -> Path:
    """A copy of the shipped config with a typo in a queue name."""
    ivr = config_copy.parents[1] / "ivr" / "main.yaml"
    ivr.write_text(ivr.read_text().replace('"2": {queue: support}', '"2": {queue: supprt}'))
    return config_copy


def test_version() -> None:
    result = CliRunner().invoke(main, ["--version"])
    assert result.exit_code == 0 and __version__ in result.output


SECRET = {"CCSWITCH_ESL_PASSWORD": "a-long-random-secret"}  # the shipped file has FreeSWITCH's default: a warning


def test_check_passes_on_the_shipped_config() -> None:
    result = CliRunner(env=SECRET).invoke(main, ["check", "--config", str(ROOT / "config" / "ccswitch.yaml")])
    assert result.exit_code == 0, result.output
    assert result.stdout.splitlines()[0].endswith("config/ccswitch.yaml: OK")


def test_check_names_file_key_and_problem_and_fails(broken_copy: Path) -> None:
    result = CliRunner().invoke(main, ["check", "--config", str(broken_copy)])
    assert result.exit_code == 1
    assert "ivr/main.yaml: main.options.2.queue: unknown queue 'supprt' (known: operator, sales, support)" in (
        result.output
    )


def test_run_refuses_a_broken_config_with_the_same_message(broken_copy: Path) -> None:
    result = CliRunner().invoke(main, ["run", "--config", str(broken_copy)])
    assert result.exit_code == 1
    assert "unknown queue 'supprt'" in result.output


def test_erlang_prints_the_staffing_plan_for_the_issue_example() -> None:
    result = CliRunner().invoke(main, ["erlang", "--calls-per-hour", "600", "--aht", "180", "--target-sl", "80/20"])
    assert result.exit_code == 0, result.output
    assert "agents needed        35" in result.output
    assert "trunk channels       49" in result.output


def test_erlang_rejects_nonsense_with_a_usage_error() -> None:
    result = CliRunner().invoke(main, ["erlang", "--calls-per-hour", "-5", "--aht", "180"])
    assert result.exit_code == 2 and "calls_per_hour" in result.output


def test_check_and_run_refuse_a_missing_recordings_folder(config_copy: Path) -> None:
    folder = config_copy.parents[1] / "recordings"
    expected = f"config/ccswitch.yaml: recordings.dir: recordings directory '{folder}' "
    for command in ("check", "run"):
        result = CliRunner().invoke(main, [command, "--config", str(config_copy)])
        assert result.exit_code == 1, result.output
        assert f"{expected}does not exist" in result.output
    folder.mkdir()
    assert CliRunner(env=SECRET).invoke(main, ["check", "--config", str(config_copy)]).exit_code == 0


def test_a_config_that_records_nothing_needs_no_recordings_folder(config_copy: Path) -> None:
    queues = config_copy.parent / "queues.yaml"
    queues.write_text(queues.read_text().replace("mode: sample, sample_percent: 50,", "mode: none,")
                      .replace("{voicemail: queue/leave_message, max_s: 120}", "{announce: queue/all_busy}"))
    assert CliRunner(env=SECRET).invoke(main, ["check", "--config", str(config_copy)]).exit_code == 0


def test_recordings_list_filters_by_agent_day_and_queue(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'history.sqlite'}"
    database = open_history(url)
    database.record_batch([
        contact("old", recording_path="/r/old.wav", recording_started_at=T0 - 86400, recording_s=12.0, agent="1001"),
        contact("mine", recording_path="/r/mine.wav", recording_started_at=T0 + 35, recording_s=165.0, agent="1001"),
        contact("other", recording_path="/r/other.wav", recording_started_at=T0 + 40, recording_s=5.0, agent="1004"),
        contact("unrecorded", agent="1001", started_at=T0 + 50),
    ])
    database.close()
    runner = CliRunner(env={"CCSWITCH_HISTORY_URL": url})
    config = str(ROOT / "config" / "ccswitch.yaml")
    result = runner.invoke(main, ["recordings", "list", "--config", config, "--agent", "1001", "--since", "2026-11-18"])
    assert result.exit_code == 0, result.output
    assert [line.split() for line in result.output.splitlines()] == [
        ["started", "queue", "agent", "caller", "length", "path"],
        ["2026-11-18", "14:07:15", "support", "1001", "+79161234567", "2:45", "/r/mine.wav"],
    ]
    none = runner.invoke(main, ["recordings", "list", "--config", config, "--queue", "sales"])
    assert none.exit_code == 0 and none.output.strip() == "no recordings"


def test_monitor_history_lists_a_days_sessions_with_their_modes(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'history.sqlite'}"
    database = open_history(url)
    database.record_batch([
        MonitoringRecord("leg-1", "2001", "1003", "call-1", T0, T0 + 60, f"listen@{T0},barge@{T0 + 20}", "stopped"),
        MonitoringRecord("leg-2", "2002", None, "call-2", T0 - 86400, T0 - 86000, f"listen@{T0 - 86400}", "hung up"),
    ])
    database.close()
    runner = CliRunner(env={"CCSWITCH_HISTORY_URL": url})
    config = str(ROOT / "config" / "ccswitch.yaml")
    result = runner.invoke(main, ["monitor", "history", "--config", config, "--date", "2026-11-18"])
    assert result.exit_code == 0, result.output
    assert result.output.splitlines() == [
        "14:06:40-14:07:40 supervisor 2001 agent 1003 call call-1: listen 14:06:40, barge 14:07:00 (stopped)"]
    # 2002 is no longer in the configuration: their sessions are still found; a day without any is an unknown name.
    other = runner.invoke(main, ["monitor", "history", "--config", config, "--date", "2026-11-17",
                                 "--supervisor", "2002"])
    assert other.exit_code == 0 and " supervisor 2002 agent - call call-2: listen " in other.output
    none = runner.invoke(main, ["monitor", "history", "--config", config, "--date", "2026-11-18",
                                "--supervisor", "2002"])
    assert none.exit_code == 2 and "unknown supervisor '2002': nothing found" in none.output
    idle = runner.invoke(main, ["monitor", "history", "--config", config, "--date", "2026-11-17",
                                "--supervisor", "2001"])
    assert idle.exit_code == 0 and idle.output.strip() == "no monitoring sessions"


def test_report_campaign_per_campaign_per_hour_and_as_a_chart(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    url = f"sqlite:///{tmp_path / 'history.sqlite'}"
    database = open_history(url)
    database.record_batch([
        campaign_call("p1", T0, "answered", talk_s=120.0),  # 14:06:40 in Moscow
        campaign_call("m1", T0 + 60, "machine"),
        campaign_call("n1", T0 + 120, "no_answer"),
        campaign_call("o1", T0 + 3600, "overflowed"),  # 15:06:40: no agent within 2 s
        campaign_call("r1", T0, "busy", campaign="renewals"),
        campaign_call("next-day", T0 + 86400, "machine"),
        contact("inbound"),
    ])
    database.close()
    runner = CliRunner(env={"CCSWITCH_HISTORY_URL": url})
    config = str(ROOT / "config" / "ccswitch.yaml")

    def report(*args: str, code: int = 0) -> str:
        result = runner.invoke(main, ["report", "campaign", "--config", config, *args])
        assert result.exit_code == code, result.output
        return result.output

    assert report("--date", "2026-11-18").splitlines() == [
        "campaign,start,end,dialled,person_answered,connected,abandoned,abandon_rate_pct,machine,busy,no_answer,"
        "failed,answer_rate_pct,talk_min,avg_talk_s",
        "promo-nov,2026-11-18T00:00:00+03:00,2026-11-19T00:00:00+03:00,4,2,1,1,50.0,1,0,1,0,50.0,2.0,120.0",
        "renewals,2026-11-18T00:00:00+03:00,2026-11-19T00:00:00+03:00,1,0,0,0,,0,1,0,0,0.0,0.0,",
    ]
    hours = report("--date", "2026-11-18", "--campaign", "promo-nov").splitlines()
    assert len(hours) == 1 + 24
    assert hours[15:17] == [  # after the header: 14:00 and 15:00
        "promo-nov,2026-11-18T14:00:00+03:00,2026-11-18T15:00:00+03:00,3,1,1,0,0.0,1,0,1,0,33.3,2.0,120.0",
        "promo-nov,2026-11-18T15:00:00+03:00,2026-11-18T16:00:00+03:00,1,1,0,1,100.0,0,0,0,0,100.0,0.0,",
    ]

    chart = tmp_path / "promo.png"
    assert report("--date", "2026-11-18", "--campaign", "promo-nov", "--format", "png", "--output", str(chart)) == (
        f"wrote {chart}\n")
    assert chart.read_bytes().startswith(b"\x89PNG") and chart.stat().st_size > 0
    assert "give --campaign (campaigns that dialled on 2026-11-18: promo-nov, renewals)" in report(
        "--date", "2026-11-18", "--format", "png", code=2)
    assert "unknown campaign 'promo-dec'" in report("--date", "2026-11-18", "--campaign", "promo-dec", code=2)
    monkeypatch.chdir(tmp_path)  # the day's one campaign, to the default file name
    assert report("--date", "2026-11-19", "--format", "svg") == "wrote campaign-2026-11-19-promo-nov.svg\n"
    assert (tmp_path / "campaign-2026-11-19-promo-nov.svg").read_text().rstrip().endswith("</svg>")


def test_recordings_history_and_monitor_history_as_json_with_iso_times_in_the_configured_zone(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'history.sqlite'}"
    database = open_history(url)
    database.record_batch([
        contact("mine", recording_path="/r/mine.wav", recording_started_at=T0 + 35, recording_s=165.0, agent="1001"),
        MonitoringRecord("leg-1", "2001", "1001", "mine", T0, T0 + 60, f"listen@{T0},barge@{T0 + 20}", "stopped"),
    ])
    database.close()
    runner = CliRunner(env={"CCSWITCH_HISTORY_URL": url})
    config = ["--config", str(ROOT / "config" / "ccswitch.yaml")]
    recordings = runner.invoke(main, ["recordings", "list", *config, "--json"])
    assert recordings.exit_code == 0, recordings.output
    (recording,) = json.loads(recordings.output)
    assert (recording["call_uuid"], recording["recording_started_at"]) == ("mine", "2026-11-18T14:07:15.000+03:00")
    lookup = runner.invoke(main, ["history", *config, "--json", "+7 916 123-45-67"])
    assert lookup.exit_code == 0, lookup.output
    (found,) = json.loads(lookup.output)
    assert (found["call_uuid"], found["started_at"]) == ("mine", "2026-11-18T14:06:40.000+03:00")
    assert json.loads(runner.invoke(main, ["history", *config, "--json", "79990000000"]).output) == []
    sessions = runner.invoke(main, ["monitor", "history", *config, "--date", "2026-11-18", "--json"])
    assert sessions.exit_code == 0, sessions.output
    (session,) = json.loads(sessions.output)
    assert session["modes"] == [{"mode": "listen", "at": "2026-11-18T14:06:40.000+03:00"},
                                {"mode": "barge", "at": "2026-11-18T14:07:00.000+03:00"}]
    assert session["ended_at"] == "2026-11-18T14:07:40.000+03:00"


@pytest.mark.parametrize(("args", "message"), [
    (["recordings", "list", "--agent", "nosuch"], "unknown agent 'nosuch': nothing found, and it is not in the "
                                                  "configuration (known: 1000, 1001"),
    (["recordings", "list", "--queue", "nosuch"], "(known: operator, sales, support)"),
    (["history", "abc"], "a phone number is digits"),
    (["monitor", "history", "--supervisor", "nosuch"], "unknown supervisor 'nosuch'"),
])
def test_unknown_filter_values_fail_clearly_with_nothing_printed_before(tmp_path: Path, args: list[str],
                                                                        message: str) -> None:
    runner = CliRunner(env={"CCSWITCH_HISTORY_URL": f"sqlite:///{tmp_path / 'history.sqlite'}"})
    for output in ([], ["--json"]):
        result = runner.invoke(main, [*args, *output, "--config", str(ROOT / "config" / "ccswitch.yaml")])
        assert result.exit_code == 2, result.output
        assert message in result.output
        assert result.output.startswith("Usage:"), result.output  # no table header or JSON before the error


def test_erlang_as_json() -> None:
    result = CliRunner().invoke(main, ["erlang", "--calls-per-hour", "600", "--aht", "180", "--json"])
    assert result.exit_code == 0, result.output
    plan = json.loads(result.output)
    assert (plan["agents"], plan["trunks"]) == (35, 49)


@pytest.mark.parametrize(("reason", "kept", "state"), [
    (None, False, "available"), ("lunch", False, "on_break (lunch)"), (None, True, "available (for outbound)")])
def test_agent_list_shows_the_break_reason_or_that_the_dialler_keeps_the_agent(reason: str | None, kept: bool,
                                                                               state: str) -> None:
    agent = {"id": "1001", "name": "Alice", "state": "on_break" if reason else "available", "reason": reason,
             "kept_for_outbound": kept, "in_state_s": 12.0, "calls_handled": 3, "queues": ["sales"]}
    assert _agent_line(agent)[30:54].rstrip() == state  # the state column: 8 + 1 + 20 + 1 characters in


def test_queue_show_says_how_many_available_agents_are_kept_for_outbound(monkeypatch: pytest.MonkeyPatch) -> None:
    queues = [{"name": "sales", "waiting": 1, "longest_wait_s": 8.0, "agents": {"available": 1, "on_call": 2},
               "kept_for_outbound": 1},
              {"name": "support", "waiting": 0, "longest_wait_s": 0.0, "agents": {"available": 2},
               "kept_for_outbound": 0}]
    monkeypatch.setattr("ccswitch.cli._operations._api", lambda *_: queues)
    result = CliRunner().invoke(main, ["queue", "show", "--url", "http://127.0.0.1:9"])
    assert result.exit_code == 0, result.output
    assert result.output.splitlines()[1:] == [
        "sales              1       8s  available 1, on_call 2 (1 available for outbound only)",
        "support            0       0s  available 2"]
