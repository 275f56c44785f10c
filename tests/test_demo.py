"""``ccswitch demo`` as a user runs it: its own history file, a closing hint that charts that run, Ctrl-C, --seed."""

from __future__ import annotations

import shlex
import signal
import socket
import subprocess
import sys
import tempfile
from pathlib import Path

import pytest
from click.testing import CliRunner

from ccswitch.acd.capacity import Channel
from ccswitch.cli import main
from ccswitch.config import load_config
from ccswitch.demo import DemoOptions, demo_script, queue_table
from ccswitch.stats import Stats

ROOT = Path(__file__).resolve().parents[1]
CONFIG = ROOT / "config" / "ccswitch.yaml"


def test_demo_keeps_its_own_history_and_its_hint_charts_that_run(tmp_path: Path,
                                                                  monkeypatch: pytest.MonkeyPatch) -> None:
    configured = tmp_path / "configured.sqlite"  # what `ccswitch run` and the reports would use
    demo_file = tmp_path / "demo" / "history.sqlite"
    result = CliRunner(env={"CCSWITCH_HISTORY_URL": f"sqlite:///{configured}"}).invoke(main, [
        "demo", "--config", str(CONFIG), "--calls", "6", "--chats", "4", "--minutes", "1", "--speed", "100",
        "--quiet", "--history-file", str(demo_file)])
    assert result.exit_code == 0, result.output
    assert not configured.exists()
    lines = result.output.splitlines()
    assert lines[-2].endswith(f"history records of this run in {demo_file}")  # a path, not a sqlite:/// URL
    total = next(line for line in lines if line.startswith("total"))
    offered = int(total.split()[1])
    assert offered >= 4  # a caller whose patience runs out in the IVR never reaches a queue
    # Chat: the controller's figures by queue, then what the simulated customers lived through.
    chat_total = lines[lines.index(next(line for line in lines if line.startswith("chat queue"))):]
    chat_total = next(line for line in chat_total if line.startswith("total")).split()
    handed_over, answered, abandoned = (int(n) for n in chat_total[1:4])
    assert handed_over == answered + abandoned and answered >= 1 and chat_total[8].endswith("s")  # 1st reply
    lived = next(line for line in lines if line.startswith("web chats: "))
    assert lived.startswith(f"web chats: 4 opened, {handed_over} handed to a person, ")
    agents = lines.index(next(line for line in lines if line.startswith("agent")))
    by_agent = [line.split() for line in lines[agents + 1:agents + 11]]
    assert sum(int(row[4]) for row in by_agent) >= answered  # the "chats" column: those each agent took

    # The hint, run as the shell would: an environment assignment, then the command.
    hint = shlex.split(lines[-1].removeprefix("a chart of this run: "))
    assignment, program, *args = hint
    name, _, value = assignment.partition("=")
    assert (name, program) == ("CCSWITCH_HISTORY_URL", "ccswitch")
    monkeypatch.chdir(tmp_path)
    chart = CliRunner(env={name: value}).invoke(main, args)
    assert chart.exit_code == 0, chart.output
    written = tmp_path / chart.output.split()[-1]
    assert written.read_bytes().startswith(b"\x89PNG")
    assert not configured.exists()

    # The same file answers the other history commands: every offered call and chat is in the day's interval report.
    day = args[args.index("--date") + 1]
    csv = CliRunner(env={name: value}).invoke(main, ["report", "interval", "--config", str(CONFIG), "--date", day,
                                                     "--minutes", "60"])
    assert csv.exit_code == 0, csv.output
    header, *rows = (line.split(",") for line in csv.output.splitlines())
    assert sum(int(row[header.index("offered")]) for row in rows) == offered + handed_over


def test_demo_refuses_an_existing_history_file_so_runs_never_mix(tmp_path: Path) -> None:
    existing = tmp_path / "history.sqlite"
    existing.write_bytes(b"")
    result = CliRunner().invoke(main, ["demo", "--config", str(CONFIG), "--calls", "1", "--history-file",
                                       str(existing)])
    assert result.exit_code == 1 and f"{existing} exists" in result.output


def test_ctrl_c_ends_the_demo_with_the_summary_so_far(tmp_path: Path) -> None:
    demo = subprocess.Popen(
        [sys.executable, "-m", "ccswitch", "demo", "--config", str(CONFIG), "--calls", "400", "--minutes", "60",
         "--speed", "10", "--history-file", str(tmp_path / "history.sqlite")],
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        assert demo.stdout is not None
        for line in demo.stdout:  # a progress line a second: the load is running
            if line.startswith("["):
                break
        demo.send_signal(signal.SIGINT)
        rest, errors = demo.communicate(timeout=60)
    finally:
        demo.kill()
    assert demo.returncode == 130, errors
    assert "interrupted after" in rest and "\ntotal " in rest and "a chart of this run:" in rest
    assert "Traceback" not in errors and "KeyboardInterrupt" not in errors, errors


def test_the_seed_fixes_callers_and_phones_as_the_help_says() -> None:
    config = load_config(CONFIG)
    first = demo_script(config, DemoOptions(CONFIG, seed=7))
    assert demo_script(config, DemoOptions(CONFIG, seed=7)) == first
    assert demo_script(config, DemoOptions(CONFIG, seed=8)) != first
    help_text = " ".join(CliRunner().invoke(main, ["demo", "--help"]).output.split())
    assert "It fixes the callers (arrival times, numbers, menu keys, patience, talk time) and the agents' answer " \
           "delays, and the chat customers (arrival times, topics, questions, patience, messages) and the agents' " \
           "chat habits. The outcome still varies a little between runs" in help_text
    assert first.chat_customers and set(first.chat_habits) == {"1000", "1001", "1004", "1005"}


def test_the_summary_shows_each_channel_against_its_own_service_level() -> None:
    stats = Stats(service_level_s=20, channel_thresholds={Channel.CHAT: 60})
    stats.answered("sales", "1000", 30.0)  # a call answered after 30 s: outside 20 s
    stats.answered("sales", "1000", 30.0, Channel.CHAT)  # a chat accepted after 30 s: inside 60 s
    stats.first_response("sales", Channel.CHAT, 12.0)
    stats.abandoned("support", 90.0, Channel.CHAT)
    voice, chat = queue_table(stats, Channel.VOICE), queue_table(stats, Channel.CHAT)
    assert voice[1].split()[:3] == ["queue", "offered", "answered"] and "1st reply" not in voice[1]
    assert voice[2].split() == ["sales", "1", "1", "0", "0", "0.0%", "30.0s", "0.0%"]
    assert chat[1].startswith("chat queue") and "SL 60s" in chat[1] and chat[1].endswith("1st reply")
    assert chat[2].split() == ["sales", "1", "1", "0", "0", "100.0%", "30.0s", "0.0%", "12.0s"]
    assert chat[4].split() == ["total", "2", "1", "1", "0", "50.0%", "30.0s", "50.0%", "12.0s"]


def test_a_demo_that_fails_to_start_leaves_no_temporary_folder(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(tempfile, "tempdir", str(tmp_path))
    with socket.socket() as holder:  # --http-port taken: the demo fails after its history file was made
        holder.bind(("127.0.0.1", 0))
        holder.listen()
        result = CliRunner().invoke(main, ["demo", "--config", str(CONFIG), "--calls", "1", "--quiet",
                                           "--http-port", str(holder.getsockname()[1])])
    assert result.exit_code != 0
    assert list(tmp_path.iterdir()) == []
