"""Log output options: ``--log-level`` and ``--log-format json`` (one JSON object a line)."""

from __future__ import annotations

import json
import logging
import os
import subprocess
import sys
from pathlib import Path

import pytest

from ccswitch.logs import JsonFormatter

ROOT = Path(__file__).resolve().parents[1]


def test_json_format_is_one_object_a_line_with_the_message_and_any_traceback() -> None:
    try:
        raise ValueError("boom")
    except ValueError:
        record = logging.LogRecord("ccswitch.engine", logging.ERROR, __file__, 1, "call %s: %s", ("u-1", "x\ny"),
                                   sys.exc_info())
    line = JsonFormatter().format(record)
    assert "\n" not in line
    document = json.loads(line)
    assert document["level"] == "ERROR" and document["logger"] == "ccswitch.engine"
    assert document["message"] == "call u-1: x\ny"
    assert "ValueError: boom" in document["exception"]
    assert document["time"].endswith("+00:00")


DEMO = ["demo", "--config", str(ROOT / "config" / "ccswitch.yaml"), "--calls", "1", "--minutes", "1", "--speed", "600",
        "--quiet"]


def run_demo(options: list[str], env: dict[str, str], folder: Path) -> subprocess.CompletedProcess[str]:
    base = {name: value for name, value in os.environ.items() if not name.startswith("CCSWITCH_LOG_")}
    demo = [*DEMO, "--history-file", str(folder / "history.sqlite")]  # the demo's own database, in the test's folder
    return subprocess.run([sys.executable, "-m", "ccswitch", *options, *demo], capture_output=True, text=True,
                          cwd=folder, env={**base, **env}, timeout=120)


@pytest.mark.parametrize(("options", "env"), [(["--log-level", "INFO", "--log-format", "json"], {}),
                                              ([], {"CCSWITCH_LOG_LEVEL": "info", "CCSWITCH_LOG_FORMAT": "json"})])
def test_the_command_line_logs_json_at_the_level_asked(options: list[str], env: dict[str, str],
                                                       tmp_path: Path) -> None:
    result = run_demo(options, env, tmp_path)
    assert result.returncode == 0, result.stderr
    records = [json.loads(line) for line in result.stderr.splitlines()]
    assert any(r["level"] == "INFO" and r["logger"] == "ccswitch.engine" and r["message"].startswith("call ")
               for r in records)


def test_the_default_level_logs_no_info(tmp_path: Path) -> None:
    result = run_demo([], {}, tmp_path)
    assert result.returncode == 0, result.stderr
    assert " INFO " not in result.stderr
