"""How the figures are counted (ccswitch/stats.py): each queue against its own service-level threshold."""

from __future__ import annotations

from pathlib import Path

import pytest

from ccswitch.config import load_config
from ccswitch.stats import Stats

ROOT = Path(__file__).resolve().parents[1]


def test_each_queue_is_measured_against_its_own_threshold() -> None:
    stats = Stats(service_level_s=20.0, thresholds={"sales": 30.0})
    stats.answered("sales", "1000", 25.0)
    stats.answered("support", "1004", 25.0)
    stats.answered("support", "1005", 20.0)  # on the threshold counts as within
    stats.abandoned("support")
    assert stats.queues["sales"].service_level == 1.0
    assert stats.queues["support"].service_level == pytest.approx(1 / 3)
    assert stats.queues["support"].asa == pytest.approx(22.5)
    assert stats.queues["support"].abandon_rate == pytest.approx(1 / 3)
    total = stats.total()
    assert (total.offered, total.answered, total.answered_within_sl) == (4, 3, 2)


def test_for_config_takes_each_queues_threshold() -> None:
    config = load_config(ROOT / "config" / "ccswitch.yaml", env={})
    stats = Stats.for_config(config)
    assert stats.thresholds == {name: queue.service_level_s for name, queue in config.queues.items()}
