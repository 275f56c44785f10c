"""Reports by channel: a history holding calls and chats, each measured against its channel's service-level
threshold (calls 20 s, chats 60 s), split per queue and channel, filtered to one channel, from a real database and
from the command line."""

from __future__ import annotations

import io
from dataclasses import replace
from datetime import date, datetime
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
from click.testing import CliRunner

from ccswitch.acd.capacity import Channel
from ccswitch.cli import main
from ccswitch.history import ContactRecord, open_history
from ccswitch.reports import (
    IntervalRow,
    QueueRow,
    day_bounds,
    interval_report,
    load_interval_report,
    load_queue_report,
    queue_report,
    write_queue_csv,
)
from ccswitch.stats import QueueFigures, Stats

from .conftest import Database
from .records import contact

ROOT = Path(__file__).resolve().parents[2]
MOSCOW = ZoneInfo("Europe/Moscow")
DAY = date(2026, 11, 22)
VOICE, CHAT = Channel.VOICE, Channel.CHAT
THRESHOLDS = Stats(service_level_s=20.0, channel_thresholds={CHAT: 60.0})


def at(hh: int, mm: int, ss: float = 0.0) -> float:
    return datetime(2026, 11, 22, hh, mm, tzinfo=MOSCOW).timestamp() + ss


def chat(name: str, **fields: object) -> ContactRecord:
    return contact(name, channel="chat", caller_number="", ivr_path=(), **fields)


RECORDS = [
    # support, calls: 45 s is over the 20 s threshold; 15 s within; an abandon.
    contact("v1", enqueued_at=at(10, 0), wait_s=45.0, answered_at=at(10, 0, 45), talk_s=100.0, wrap_up_s=20.0),
    contact("v2", enqueued_at=at(10, 20), wait_s=15.0, answered_at=at(10, 20, 15), talk_s=200.0, wrap_up_s=0.0),
    contact("v3", outcome="abandoned", enqueued_at=at(10, 40), wait_s=30.0, answered_at=None, agent=None,
            talk_s=0.0, wrap_up_s=0.0),
    # support, chats: 45 s and 60 s are within the 60 s threshold, 61 s is not; an overflow.
    chat("c1", enqueued_at=at(10, 5), wait_s=45.0, answered_at=at(10, 5, 45), talk_s=900.0, wrap_up_s=60.0,
         first_response_s=20.0),
    chat("c2", enqueued_at=at(10, 10), wait_s=60.0, answered_at=at(10, 11), talk_s=300.0, wrap_up_s=0.0,
         first_response_s=40.0),
    chat("c3", enqueued_at=at(11, 0), wait_s=61.0, answered_at=at(11, 1, 1), talk_s=600.0, wrap_up_s=0.0),
    chat("c4", outcome="overflowed", enqueued_at=at(11, 30), wait_s=600.0, answered_at=None, agent=None,
         talk_s=0.0, wrap_up_s=0.0),
    # sales, a chat abandoned after 3 s (a short abandon); a chat of the day before is not counted.
    chat("c5", queue="sales", outcome="abandoned", enqueued_at=at(12, 0), wait_s=3.0, answered_at=None, agent=None,
         talk_s=0.0, wrap_up_s=0.0),
    chat("c6", enqueued_at=at(0, 0, -30.0), wait_s=10.0),
]


def figures(answered: int, abandoned: int, overflowed: int, within: int, short: int, wait: float, longest: float,
            handle: float, first_responses: tuple[float, ...] = ()) -> QueueFigures:
    return QueueFigures(answered=answered, abandoned=abandoned, overflowed=overflowed, answered_within_sl=within,
                        short_abandoned=short, total_answer_wait=wait, longest_answer_wait=longest,
                        handled=answered, total_handle_time=handle, first_responses=len(first_responses),
                        total_first_response=sum(first_responses))


def test_queue_report_has_a_row_per_queue_and_channel_each_against_its_own_threshold() -> None:
    start, end = day_bounds(DAY, MOSCOW)
    rows = queue_report(RECORDS, start, end, THRESHOLDS)
    assert rows == [
        QueueRow("sales", CHAT, 60.0, figures(0, 1, 0, 0, 1, 0.0, 0.0, 0.0)),
        QueueRow("support", VOICE, 20.0, figures(2, 1, 0, 1, 0, 60.0, 45.0, 320.0)),
        QueueRow("support", CHAT, 60.0, figures(3, 0, 1, 2, 0, 166.0, 61.0, 1860.0, (20.0, 40.0))),
    ]
    support_chat = rows[2].figures
    assert (support_chat.offered, support_chat.service_level, support_chat.aht) == (4, 0.5, 620.0)
    assert support_chat.average_first_response == 30.0  # c3's agent never wrote: not counted
    assert queue_report(RECORDS, start, end, THRESHOLDS, channel=VOICE) == [rows[1]]


def test_queue_csv_exact_text() -> None:
    start, end = day_bounds(DAY, MOSCOW)
    out = io.StringIO()
    write_queue_csv(queue_report(RECORDS, start, end, THRESHOLDS), out)
    assert out.getvalue().splitlines() == [
        "queue,channel,service_level_s,offered,answered,abandoned,overflowed,answered_within_sl,service_level_pct,"
        "asa_s,aht_s,abandon_rate_pct,short_abandoned,service_level_excl_short_abandons_pct,"
        "service_level_of_answered_pct,first_response_s",
        "sales,chat,60,1,0,1,0,0,0.0,,,100.0,1,,,",
        "support,voice,20,3,2,1,0,1,33.3,30.0,160.0,33.3,0,33.3,50.0,",
        "support,chat,60,4,3,0,1,2,50.0,55.3,620.0,0.0,0,50.0,66.7,30.0",
    ]


def hour(rows: list[IntervalRow], hh: int) -> IntervalRow:
    return next(row for row in rows if row.start.hour == hh)


def test_interval_report_of_one_channel_or_all_each_contact_against_its_channels_threshold() -> None:
    def report(channel: Channel | None) -> list[IntervalRow]:
        return interval_report(RECORDS, DAY, MOSCOW, 60, "support", 20.0, channel=channel,
                               channel_thresholds={CHAT: 60.0})

    chats, calls, both = hour(report(CHAT), 10), hour(report(VOICE), 10), hour(report(None), 10)
    assert (chats.offered, chats.answered_within_sl, chats.service_level) == (2, 2, 1.0)
    assert (calls.offered, calls.answered_within_sl) == (3, 1)
    assert (both.offered, both.answered_within_sl) == (5, 3)
    # Without chat's threshold, a chat is measured against the queue's, as every contact was before channels.
    voice_threshold = interval_report(RECORDS, DAY, MOSCOW, 60, "support", 20.0, channel=CHAT)
    assert hour(voice_threshold, 10).answered_within_sl == 0


def test_reports_from_a_history_database_holding_calls_and_chats(database: Database) -> None:
    history = open_history(database.url)
    try:
        history.record_batch([replace(record, started_at=record.enqueued_at - 5, ended_at=record.enqueued_at + 1000)
                              for record in RECORDS])
        start, end = day_bounds(DAY, MOSCOW)
        assert load_queue_report(history, DAY, MOSCOW, THRESHOLDS) == queue_report(RECORDS, start, end, THRESHOLDS)
        loaded = load_interval_report(history, DAY, MOSCOW, 60, "support", 20.0, channel=CHAT,
                                      channel_thresholds={CHAT: 60.0})
        assert (hour(loaded, 10).offered, hour(loaded, 10).service_level, hour(loaded, 11).offered) == (2, 1.0, 2)
    finally:
        history.close()


@pytest.fixture
def cli_history(tmp_path: Path) -> CliRunner:
    url = f"sqlite:///{tmp_path / 'history.sqlite'}"
    history = open_history(url)
    history.record_batch([replace(record, started_at=record.enqueued_at - 5, ended_at=record.enqueued_at + 1000)
                          for record in RECORDS])
    history.close()
    return CliRunner(env={"CCSWITCH_HISTORY_URL": url})


def test_ccswitch_report_queues_splits_by_channel_and_takes_one(cli_history: CliRunner) -> None:
    config = str(ROOT / "config" / "ccswitch.yaml")  # chat.service_level_s: the default 60 s; queues 20 s

    def report(*args: str) -> list[str]:
        result = cli_history.invoke(main, ["report", "queues", "--config", config, "--date", "2026-11-22", *args])
        assert result.exit_code == 0, result.output
        return result.output.splitlines()

    everything = report()
    assert [line.split(",")[:4] for line in everything[1:]] == [
        ["sales", "chat", "60", "1"], ["support", "voice", "20", "3"], ["support", "chat", "60", "4"]]
    assert report("--channel", "chat") == [everything[0], everything[1], everything[3]]
    wrong = cli_history.invoke(main, ["report", "queues", "--config", config, "--date", "2026-11-22",
                                      "--channel", "fax"])
    assert wrong.exit_code == 2 and "'fax' is not one of 'voice', 'chat'" in wrong.output


def test_ccswitch_report_interval_takes_a_channel(cli_history: CliRunner) -> None:
    config = str(ROOT / "config" / "ccswitch.yaml")
    result = cli_history.invoke(main, ["report", "interval", "--config", config, "--date", "2026-11-22",
                                       "--minutes", "60", "--queue", "support", "--channel", "chat"])
    assert result.exit_code == 0, result.output
    ten = next(line for line in result.output.splitlines() if line.startswith("2026-11-22T10:00"))
    assert ten.split(",")[2:9] == ["2", "2", "0", "0", "2", "100.0", "52.5"]
