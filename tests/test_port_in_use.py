"""A port already taken: ``ccswitch run`` / ``demo`` exit with one line naming the port and the setting, over a real
TCP listener that holds the port."""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]


@pytest.fixture
def taken_port() -> Iterator[int]:
    with socket.socket() as holder:
        holder.bind(("127.0.0.1", 0))
        holder.listen()
        yield holder.getsockname()[1]


def ccswitch(*args: str, cwd: Path) -> subprocess.CompletedProcess[str]:
    history = {"CCSWITCH_HISTORY_URL": f"sqlite:///{cwd / 'history.sqlite'}"}  # never beside the shipped config
    return subprocess.run([sys.executable, "-m", "ccswitch", *args], capture_output=True, text=True, cwd=cwd,
                          env={**os.environ, **history}, timeout=60)


def test_run_with_its_http_port_taken_says_so_in_one_line_and_exits_1(tmp_path: Path, taken_port: int) -> None:
    for folder in ("config", "dialplans", "ivr", "sounds", "recordings"):
        shutil.copytree(ROOT / folder, tmp_path / folder)
    main = tmp_path / "config" / "ccswitch.yaml"
    main.write_text(main.read_text().replace("  port: 8080\n", f"  port: {taken_port}\n"))
    result = ccswitch("run", "--config", str(main), cwd=tmp_path)
    assert result.returncode == 1
    assert result.stderr.splitlines() == [
        f"Error: {main}: http.port: cannot listen on 127.0.0.1:{taken_port}: already in use"
    ]


def test_demo_with_its_http_port_taken_names_the_option(tmp_path: Path, taken_port: int) -> None:
    result = ccswitch("demo", "--config", str(ROOT / "config" / "ccswitch.yaml"), "--calls", "1", "--quiet",
                      "--history-file", str(tmp_path / "demo.sqlite"), "--http-port", str(taken_port), cwd=tmp_path)
    assert result.returncode == 1
    assert result.stderr.splitlines() == [
        f"Error: --http-port: cannot listen on 127.0.0.1:{taken_port}: already in use"
    ]
