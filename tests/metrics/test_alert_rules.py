"""The shipped Prometheus files pass promtool: rule syntax, the rules' unit tests, and the example config."""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

import pytest

PROMETHEUS_DIR = Path(__file__).resolve().parents[2] / "config" / "prometheus"
PROMTOOL = shutil.which("promtool")
pytestmark = pytest.mark.skipif(PROMTOOL is None, reason="promtool is not installed (Debian: prometheus package)")


@pytest.mark.parametrize("args", [
    ("check", "rules", "alerts.yml"),
    ("test", "rules", "alerts_test.yml"),
    ("check", "config", "prometheus.yml"),
])
def test_promtool_accepts(args: tuple[str, ...]) -> None:
    assert PROMTOOL is not None
    result = subprocess.run([PROMTOOL, *args], cwd=PROMETHEUS_DIR, capture_output=True, text=True, timeout=60)
    assert result.returncode == 0, result.stdout + result.stderr
