"""How the figures are counted (ccswitch/stats.py): each queue against its own service-level threshold, the three
service-level variants, and the same counting in the live figures, the metrics ledger and the interval report."""

from __future__ import annotations

from datetime import date, datetime
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest

from ccswitch.acd.capacity import Channel
from ccswitch.config import load_config
from ccswitch.metrics import Outcome, OutcomeKind, OutcomeLedger
from ccswitch.reports import interval_report
from ccswitch.stats import DEFAULT_SHORT_ABANDON_S, QueueFigures, Stats, answered_within, is_short_abandon
from tests.history.records import contact

ROOT = Path(__file__).resolve().parents[1]
MOSCOW = ZoneInfo("Europe/Moscow")


def test_each_queue_is_measured_against_its_own_threshold() -> None:
    stats = Stats(service_level_s=20.0, thresholds={"sales": 30.0})
    stats.answered("sales", "1000", 25.0)
    stats.answered("support", "1004", 25.0)
    stats.answered("support", "1005", 20.0)  # on the threshold counts as within
    stats.abandoned("support", 40.0)
    assert stats.queues["sales"].service_level == 1.0
    assert stats.queues["support"].service_level == pytest.approx(1 / 3)
    assert stats.queues["support"].asa == pytest.approx(22.5)
    assert stats.queues["support"].abandon_rate == pytest.approx(1 / 3)
    total = stats.total()
    assert (total.offered, total.answered, total.answered_within_sl) == (4, 3, 2)


def test_for_config_takes_each_queues_thresholds() -> None:
    config = load_config(ROOT / "config" / "ccswitch.yaml", env={})
    stats = Stats.for_config(config)
    assert stats.thresholds == {name: queue.service_level_s for name, queue in config.queues.items()}
    assert stats.short_abandon_thresholds == dict.fromkeys(config.queues, 5.0)


def test_the_boundaries_answered_on_the_threshold_is_within_abandoned_on_the_short_threshold_is_not_short() -> None:
    assert answered_within(20.0, 20.0) and not answered_within(20.01, 20.0)
    assert is_short_abandon(4.99, 5.0) and not is_short_abandon(5.0, 5.0)
    assert not is_short_abandon(0.0, 0.0)  # a threshold of 0 turns the exclusion off


# support, threshold 20 s, short abandons under 5 s:
#   answered after 10 s, 20 s (both within), 35 s;  abandoned after 2 s, 4.99 s (short), 5 s, 60 s;  one overflow.
#   offered 8, answered 3, within 2, abandoned 4 of which 2 short, overflowed 1.
#   of offered 2/8; excluding short abandons 2/(8 - 2); of answered 2/3.
ANSWER_WAITS = (10.0, 20.0, 35.0)
ABANDON_WAITS = (2.0, 4.99, 5.0, 60.0)


def support_stats() -> Stats:
    stats = Stats(service_level_s=20.0)
    for wait in ANSWER_WAITS:
        stats.answered("support", "1004", wait)
    for wait in ABANDON_WAITS:
        stats.abandoned("support", wait)
    stats.overflowed("support")
    return stats


def test_given_short_and_long_abandons_and_an_overflow_then_the_three_service_levels() -> None:
    figures = support_stats().queues["support"]
    assert (figures.offered, figures.answered, figures.answered_within_sl) == (8, 3, 2)
    assert (figures.abandoned, figures.short_abandoned, figures.overflowed) == (4, 2, 1)
    assert figures.service_level == pytest.approx(2 / 8)
    assert figures.service_level_excluding_short_abandons == pytest.approx(2 / 6)
    assert figures.service_level_of_answered == pytest.approx(2 / 3)
    assert figures.abandon_rate == pytest.approx(4 / 8)  # short abandons are still abandons


def test_a_queues_own_short_abandon_threshold_wins_over_the_default() -> None:
    stats = Stats(short_abandon_s=5.0, short_abandon_thresholds={"sales": 0.0, "operator": 10.0})
    for queue in ("sales", "operator", "support"):
        stats.abandoned(queue, 0.0)
        stats.abandoned(queue, 7.0)
    assert {queue: figures.short_abandoned for queue, figures in stats.queues.items()} == {
        "sales": 0, "operator": 2, "support": 1}
    assert stats.total().short_abandoned == 3
    assert DEFAULT_SHORT_ABANDON_S == Stats().short_abandon_s == 5.0


def test_undefined_ratios_are_none_not_zero() -> None:
    only_short = Stats()
    only_short.abandoned("support", 1.0)
    figures = only_short.queues["support"]
    assert (figures.service_level, figures.service_level_excluding_short_abandons,
            figures.service_level_of_answered) == (0.0, None, None)
    nothing = QueueFigures()
    assert (nothing.service_level, nothing.service_level_excluding_short_abandons,
            nothing.service_level_of_answered, nothing.abandon_rate) == (None, None, None, None)


def test_stats_the_metrics_ledger_and_the_interval_report_count_the_same_calls_the_same_way() -> None:
    ten = datetime(2026, 11, 22, 10, 0, tzinfo=MOSCOW).timestamp()
    live = support_stats().queues["support"]

    ledger = OutcomeLedger(900.0, {"support": 20.0}, {"support": 5.0}, MOSCOW)
    outcomes = [*((OutcomeKind.ANSWERED, wait) for wait in ANSWER_WAITS),
                *((OutcomeKind.ABANDONED, wait) for wait in ABANDON_WAITS), (OutcomeKind.OVERFLOWED, 300.0)]
    for kind, wait in outcomes:
        ledger.record(Outcome(ten, "support", kind, wait))
    windowed = ledger.window(ten)["support", Channel.VOICE].calls

    records = [contact(f"c{n}", outcome=kind.value, enqueued_at=ten, wait_s=wait)
               for n, (kind, wait) in enumerate(outcomes)]
    reported = next(row for row in interval_report(records, date(2026, 11, 22), MOSCOW, minutes=60)
                    if row.start.hour == 10)

    expected = (8, 3, 4, 2, 1, 2, 2 / 8, 2 / 6, 2 / 3)
    assert (windowed.offered, windowed.answered, windowed.abandoned, windowed.short_abandoned, windowed.overflowed,
            windowed.answered_within_sl, windowed.service_level, windowed.service_level_excluding_short_abandons,
            windowed.service_level_of_answered) == pytest.approx(expected)
    assert (reported.offered, reported.answered, reported.abandoned, reported.short_abandoned, reported.overflowed,
            reported.answered_within_sl, reported.service_level, reported.service_level_excluding_short_abandons,
            reported.service_level_of_answered) == pytest.approx(expected)
    assert (live.offered, live.answered, live.abandoned, live.short_abandoned, live.overflowed,
            live.answered_within_sl, live.service_level, live.service_level_excluding_short_abandons,
            live.service_level_of_answered) == pytest.approx(expected)
