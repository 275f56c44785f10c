"""Reports: hand-computed figures, exact CSV, real chart files, the history table, the phone-number key."""

from __future__ import annotations

import io
from dataclasses import replace
from datetime import date, datetime
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest

from ccswitch.acd.agents import Ready, TakeBreak
from ccswitch.config import load_config
from ccswitch.engine import Engine
from ccswitch.history import ContactRecord, HistoryRecord, OpenAgentState, open_history, phone_key
from ccswitch.reports import (
    CampaignRow,
    IntervalRow,
    agent_report,
    busy_hours,
    busy_span,
    campaign_hours,
    campaign_report,
    concurrency,
    day_bounds,
    history_table,
    interval_report,
    load_agent_report,
    load_campaign_hours,
    load_campaign_report,
    load_interval_report,
    spreadsheet_safe,
    write_agent_chart,
    write_agent_csv,
    write_campaign_chart,
    write_campaign_csv,
    write_interval_chart,
    write_interval_csv,
)
from ccswitch.store.memory import MemoryStore

from .conftest import Database
from .records import campaign_call, contact, state

ROOT = Path(__file__).resolve().parents[2]
MOSCOW = ZoneInfo("Europe/Moscow")
DAY = date(2026, 11, 22)


def at(hh: int, mm: int, ss: float = 0.0) -> float:
    return datetime(2026, 11, 22, hh, mm, tzinfo=MOSCOW).timestamp() + ss


RECORDS = [
    # 10:00 interval: answered at exactly the 20.0 s threshold (within SL)...
    contact("a", enqueued_at=at(10, 0), wait_s=20.0, answered_at=at(10, 0, 20), talk_s=100.0, wrap_up_s=10.0),
    # ...answered 0.1 s over it, entering just before the interval's edge and answered after it...
    contact("b", enqueued_at=at(10, 14, 59.9), wait_s=20.1, answered_at=at(10, 15, 20), talk_s=50.0,
            wrap_up_s=10.0),
    # ...and a sales call answered at once.
    contact("g", queue="sales", enqueued_at=at(10, 5), wait_s=5.0, answered_at=at(10, 5, 5), talk_s=30.0,
            wrap_up_s=0.0),
    # 10:15 interval: an abandon exactly on the edge, a sales overflow.
    contact("c", outcome="abandoned", enqueued_at=at(10, 15), wait_s=30.0, answered_at=None, agent=None,
            talk_s=0.0, wrap_up_s=0.0),
    contact("d", outcome="overflowed", queue="sales", enqueued_at=at(10, 20), wait_s=300.0, answered_at=None,
            agent=None, talk_s=0.0, wrap_up_s=0.0),
    # Never counted: no queue, or queued the day before.
    contact("e", outcome="announced", queue=None, enqueued_at=None, answered_at=None, agent=None, wait_s=None),
    contact("f", enqueued_at=at(0, 0, -10.0), wait_s=20.0),
]


def row(rows: list[IntervalRow], hh: int, mm: int) -> IntervalRow:
    return next(r for r in rows if (r.start.hour, r.start.minute) == (hh, mm))


def test_interval_report_all_queues_by_15_minutes() -> None:
    rows = interval_report(RECORDS, DAY, MOSCOW, minutes=15)
    assert len(rows) == 96
    assert rows[0].start == datetime(2026, 11, 22, 0, 0, tzinfo=MOSCOW)
    assert rows[-1].end == datetime(2026, 11, 23, 0, 0, tzinfo=MOSCOW)
    first = row(rows, 10, 0)
    assert (first.offered, first.answered, first.abandoned, first.overflowed, first.answered_within_sl) == (
        3, 3, 0, 0, 2)
    assert first.service_level == pytest.approx(2 / 3)
    assert first.asa_s == pytest.approx((20.0 + 20.1 + 5.0) / 3)
    assert first.aht_s == pytest.approx((110.0 + 60.0 + 30.0) / 3)
    assert first.abandon_rate == 0.0
    second = row(rows, 10, 15)
    assert (second.offered, second.answered, second.abandoned, second.overflowed) == (2, 0, 1, 1)
    assert (second.service_level, second.asa_s, second.aht_s, second.abandon_rate) == (0.0, None, None, 0.5)
    assert sum(r.offered for r in rows) == 5
    empty = row(rows, 9, 45)
    assert (empty.offered, empty.service_level, empty.asa_s, empty.aht_s) == (0, None, None, None)


def test_interval_report_for_one_queue_by_30_minutes() -> None:
    rows = interval_report(RECORDS, DAY, MOSCOW, minutes=30, queue="support")
    assert len(rows) == 48
    busy = row(rows, 10, 0)
    assert (busy.offered, busy.answered, busy.abandoned, busy.answered_within_sl) == (3, 2, 1, 1)
    assert busy.service_level == pytest.approx(1 / 3)
    assert busy.asa_s == pytest.approx(20.05)
    assert busy.aht_s == pytest.approx(85.0)


def test_service_level_threshold_is_a_parameter() -> None:
    rows = interval_report(RECORDS, DAY, MOSCOW, minutes=60, service_level_s=20.1)
    assert row(rows, 10, 0).answered_within_sl == 3


# 11:00 interval of support, threshold 20 s: answered after 10 s (within) and 30 s; abandoned after 3 s (short),
# 5 s (on the short threshold: not short) and 12 s; one overflow. Offered 6, within 1, short abandons 1.
VARIANTS = [
    contact("v1", enqueued_at=at(11, 0), wait_s=10.0),
    contact("v2", enqueued_at=at(11, 1), wait_s=30.0),
    *(contact(f"v{n}", outcome="abandoned", enqueued_at=at(11, n), wait_s=wait, answered_at=None, agent=None,
              talk_s=0.0, wrap_up_s=0.0) for n, wait in ((3, 3.0), (4, 5.0), (5, 12.0))),
    contact("v6", outcome="overflowed", enqueued_at=at(11, 6), wait_s=120.0, answered_at=None, agent=None,
            talk_s=0.0, wrap_up_s=0.0),
]


def test_interval_report_service_level_variants() -> None:
    hour = row(interval_report(VARIANTS, DAY, MOSCOW, minutes=60), 11, 0)
    assert (hour.offered, hour.answered_within_sl, hour.abandoned, hour.short_abandoned) == (6, 1, 3, 1)
    assert hour.service_level == pytest.approx(1 / 6)
    assert hour.service_level_excluding_short_abandons == pytest.approx(1 / 5)
    assert hour.service_level_of_answered == pytest.approx(1 / 2)


@pytest.mark.parametrize(("short_abandon_s", "short", "excluding"), [(0.0, 0, 1 / 6), (5.01, 2, 1 / 4)])
def test_short_abandon_threshold_is_a_parameter(short_abandon_s: float, short: int, excluding: float) -> None:
    hour = row(interval_report(VARIANTS, DAY, MOSCOW, minutes=60, short_abandon_s=short_abandon_s), 11, 0)
    assert hour.short_abandoned == short
    assert hour.service_level_excluding_short_abandons == pytest.approx(excluding)
    assert hour.service_level == pytest.approx(1 / 6)  # the other variants do not move


def test_an_interval_of_short_abandons_only_has_no_variant_service_levels() -> None:
    hour = row(interval_report(VARIANTS[2:3], DAY, MOSCOW, minutes=60), 11, 0)
    assert (hour.offered, hour.short_abandoned, hour.service_level, hour.service_level_excluding_short_abandons,
            hour.service_level_of_answered) == (1, 1, 0.0, None, None)


def test_an_abandoned_contact_without_its_wait_is_an_error_not_a_guess() -> None:
    with pytest.raises(ValueError, match="abandoned contact v3 has no wait_s"):
        interval_report([replace(VARIANTS[2], wait_s=None)], DAY, MOSCOW)


def test_only_15_30_60_minute_intervals() -> None:
    with pytest.raises(ValueError, match="15, 30, 60"):
        interval_report(RECORDS, DAY, MOSCOW, minutes=20)


def test_a_day_when_clocks_go_back_has_25_hours_of_intervals() -> None:
    berlin = ZoneInfo("Europe/Berlin")
    start, end = day_bounds(date(2026, 10, 25), berlin)
    assert end - start == 25 * 3600
    rows = interval_report([], date(2026, 10, 25), berlin, minutes=60)
    assert [r.start.strftime("%H%z") for r in rows[1:5]] == ["01+0200", "02+0200", "02+0100", "03+0100"]


def test_busy_span_trims_empty_intervals_at_both_ends() -> None:
    rows = interval_report(RECORDS, DAY, MOSCOW, minutes=15)
    assert [r.start.strftime("%H:%M") for r in busy_span(rows)] == ["10:00", "10:15"]
    empty = interval_report([], DAY, MOSCOW, minutes=60)
    assert busy_span(empty) == empty


def test_interval_csv_exact_text() -> None:
    busy = busy_span(interval_report(RECORDS, DAY, MOSCOW, minutes=60))
    empty = row(interval_report([], DAY, MOSCOW, minutes=60), 11, 0)
    out = io.StringIO()
    write_interval_csv([*busy, empty], out)
    assert out.getvalue() == (
        "interval_start,interval_end,offered,answered,abandoned,overflowed,answered_within_sl,service_level_pct,"
        "asa_s,aht_s,abandon_rate_pct,short_abandoned,service_level_excl_short_abandons_pct,"
        "service_level_of_answered_pct\r\n"
        "2026-11-22T10:00:00+03:00,2026-11-22T11:00:00+03:00,5,3,1,1,2,40.0,15.0,66.7,20.0,0,40.0,66.7\r\n"
        "2026-11-22T11:00:00+03:00,2026-11-22T12:00:00+03:00,0,0,0,0,0,,,,,0,,\r\n"
    )


STATES = [
    state("1000", "available", at(9, 50), at(10, 10)),  # 600 s inside [10:00, 11:00)
    state("1000", "on_call", at(10, 10), at(10, 12)),
    state("1000", "wrap_up", at(10, 12), at(10, 12, 10)),
    state("1000", "on_break", at(10, 50), at(11, 30), "lunch"),  # 600 s inside
    state("1000", "available", at(11, 30), at(12, 0)),  # outside
]
ANSWERED = [
    contact("in", agent="1000", answered_at=at(10, 10), talk_s=120.0, wrap_up_s=10.0),
    contact("late", agent="1000", answered_at=at(11, 5), talk_s=999.0),
    contact("other", agent="1001", answered_at=at(10, 30), talk_s=60.0, wrap_up_s=0.0),
    contact("lost", agent=None, outcome="abandoned", answered_at=None),
]


def test_agent_report_clips_state_time_to_the_window_and_counts_calls_answered_in_it() -> None:
    rows = agent_report(ANSWERED, STATES, at(10, 0), at(11, 0))
    assert [r.agent for r in rows] == ["1000", "1001"]
    first, second = rows
    assert first.seconds_by_state == {"logged_out": 0.0, "available": 600.0, "on_break": 600.0, "reserved": 0.0,
                                      "on_call": 120.0, "wrap_up": 10.0}
    assert (first.calls, first.talk_s, first.aht_s) == (1, 120.0, 130.0)
    assert (second.calls, second.talk_s, second.aht_s, sum(second.seconds_by_state.values())) == (1, 60.0, 60.0, 0)


@pytest.mark.parametrize(("started", "now", "on_break_s"), [
    (at(8, 0), None, 3600.0),  # on break since before the window, still: the whole window
    (at(8, 0), at(10, 20), 1200.0),  # the window is not over: up to now
    (at(10, 45), None, 900.0),  # went on break inside the window
    (at(11, 0), None, 0.0),  # at the window's end: nothing in it
    (at(8, 0), at(9, 0), 0.0),  # "now" before the window (a report of a future day)
])
def test_agent_report_counts_the_state_still_open_up_to_the_end_of_the_window_or_now(
    started: float, now: float | None, on_break_s: float,
) -> None:
    rows = agent_report([], [], at(10, 0), at(11, 0), [OpenAgentState("1002", "on_break", started, "lunch")], now)
    seconds = {row.agent: row.seconds_by_state["on_break"] for row in rows}
    assert seconds.get("1002", 0.0) == on_break_s


def test_agent_csv_exact_text() -> None:
    out = io.StringIO()
    write_agent_csv(agent_report(ANSWERED, STATES, at(10, 0), at(11, 0)), out)
    assert out.getvalue() == (
        "agent,logged_out_s,available_s,on_break_s,reserved_s,on_call_s,wrap_up_s,calls,talk_s,aht_s,chats,"
        "peak_held,mean_held\r\n"
        "1000,0.0,600.0,600.0,0.0,120.0,10.0,1,120.0,130.0,0,1,1.00\r\n"
        "1001,0.0,0.0,0.0,0.0,0.0,0.0,1,60.0,60.0,0,1,1.00\r\n"
    )


@pytest.mark.parametrize(("spans", "peak", "mean"), [
    ([], 0, None),
    ([(0.0, 10.0)], 1, 1.0),
    ([(0.0, 10.0), (10.0, 20.0)], 1, 1.0),  # one ends as the next starts: never two at once
    ([(0.0, 10.0), (5.0, 15.0)], 2, 20 / 15),  # 15 s busy, 20 contact-seconds
    ([(0.0, 30.0), (0.0, 10.0), (20.0, 30.0), (40.0, 40.0)], 2, 50 / 30),  # an empty span counts for nothing
])
def test_concurrency_is_the_peak_and_the_mean_over_busy_time(spans: list[tuple[float, float]], peak: int,
                                                               mean: float | None) -> None:
    assert concurrency(spans) == (peak, pytest.approx(mean) if mean is not None else None)


def test_agent_report_counts_an_agents_chats_and_how_many_contacts_they_held_at_once() -> None:
    chats = [contact(f"chat-{n}", channel="chat", agent="1000", answered_at=at(10, 0) + 60 * n, talk_s=300.0,
                     wrap_up_s=0.0) for n in range(3)]
    call = contact("call", agent="1000", answered_at=at(10, 30), talk_s=120.0, wrap_up_s=0.0)
    [row] = agent_report([*chats, call], [], at(10, 0), at(11, 0))
    assert (row.calls, row.chats, row.peak_held) == (4, 3, 3)  # three chats overlap from 10:02 to 10:05
    assert row.mean_held == pytest.approx((900 + 120) / (420 + 120))  # contact-seconds over busy seconds


@pytest.mark.parametrize(
    ("cell", "written"),
    [("=HYPERLINK(\"http://x\")", "'=HYPERLINK(\"http://x\")"), ("+7916", "'+7916"), ("-cmd", "'-cmd"),
     ("@SUM(A1)", "'@SUM(A1)"), ("\t=1", "'\t=1"), ("-12.5", "-12.5"), ("1000", "1000"), ("a=b", "a=b"), (7, 7)],
)
def test_text_that_would_start_a_formula_is_neutralised(cell: object, written: object) -> None:
    assert spreadsheet_safe(cell) == written


def test_report_csv_cells_never_start_a_formula() -> None:
    out = io.StringIO()
    hostile = replace(agent_report(ANSWERED, STATES, at(10, 0), at(11, 0))[0], agent="=cmd|'/C calc'!A0")
    write_agent_csv([hostile], out)
    assert out.getvalue().splitlines()[1].startswith("'=cmd|'/C calc'!A0,0.0,")


def test_charts_are_real_png_and_svg_files(tmp_path: Path) -> None:
    rows = busy_span(interval_report(RECORDS, DAY, MOSCOW, minutes=15))
    write_interval_chart(rows, tmp_path / "interval.png", "png", "support 2026-11-22", service_level_s=20)
    write_interval_chart(rows, tmp_path / "interval.svg", "svg", "support 2026-11-22", service_level_s=20)
    write_agent_chart(agent_report(ANSWERED, STATES, at(10, 0), at(11, 0)), tmp_path / "agents.png", "png",
                      "agents")
    assert (tmp_path / "interval.png").read_bytes().startswith(b"\x89PNG\r\n\x1a\n")
    assert (tmp_path / "agents.png").read_bytes().startswith(b"\x89PNG\r\n\x1a\n")
    svg = (tmp_path / "interval.svg").read_text()
    assert svg.startswith("<?xml") and "<svg" in svg and svg.rstrip().endswith("</svg>")


def test_history_table_one_line_per_contact_in_local_time() -> None:
    lines = history_table([
        contact("x", started_at=at(10, 0), enqueued_at=at(10, 0, 15), answered_at=at(10, 0, 35), wait_s=20.0,
                talk_s=125.0, ivr_path=("main:2", "support:1"), disposition="resolved", callback=True),
        contact("y", started_at=at(9, 0), outcome="abandoned_in_ivr", queue=None, enqueued_at=None,
                answered_at=None, agent=None, wait_s=None, talk_s=0.0, ivr_path=()),
    ], MOSCOW)
    assert lines == [
        "started             channel from         ivr              queue   wait agent talk outcome          notes",
        "2026-11-22 10:00:00 voice   +79161234567 main:2 support:1 support 0:20 1000  2:05 answered         "
        "disposition resolved, callback",
        "2026-11-22 09:00:00 voice   +79161234567 -                -          - -        - abandoned_in_ivr",
    ]


@pytest.mark.parametrize(("written", "key"), [
    ("+79161234567", "79161234567"),
    ("79161234567", "79161234567"),
    ("89161234567", "79161234567"),
    ("+7 (916) 123-45-67", "79161234567"),
    ("8 916 123 45 67", "79161234567"),
    ("0079161234567", "79161234567"),
    ("+81312345678", "81312345678"),  # written with +: an international number, kept as it is
    ("88005550556", "78005550556"),
    ("1000", "1000"),  # an internal extension
    ("", ""),
])
def test_phone_key(written: str, key: str) -> None:
    assert phone_key(written) == key


def test_reports_loaded_from_the_database_count_a_call_that_started_the_day_before(database: Database) -> None:
    def realistic(record: ContactRecord) -> ContactRecord:
        queued = record.enqueued_at if record.enqueued_at is not None else at(10, 0)
        return replace(record, started_at=queued - 10, ended_at=queued + 300)

    records = [realistic(r) for r in [*RECORDS, *VARIANTS]]
    records.append(contact("midnight", started_at=at(0, 0, -10), enqueued_at=at(0, 0, 5), ended_at=at(0, 5),
                           answered_at=at(0, 0, 15), wait_s=10.0, talk_s=60.0, wrap_up_s=0.0))
    history = open_history(database.url)
    history.record_batch([*records, *STATES])
    loaded = load_interval_report(history, DAY, MOSCOW, minutes=15, queue="support")
    assert loaded == interval_report(records, DAY, MOSCOW, minutes=15, queue="support")
    assert row(loaded, 0, 0).answered == 1
    assert row(load_interval_report(history, DAY, MOSCOW, 60, "support", 20.0, 5.01), 11, 0).short_abandoned == 2
    day_start, day_end = day_bounds(DAY, MOSCOW)
    assert load_agent_report(history, DAY, MOSCOW, now=at(23, 0)) == agent_report(records, STATES, day_start,
                                                                                  day_end)
    history.close()


# -- campaigns --------------------------------------------------------------------------------------------------------


CAMPAIGN_CALLS = [
    # promo-nov, 10:00-11:00: two connected (talk 120 s and 60 s), one with no agent within 2 s, one machine, one
    # busy, one not answered.
    campaign_call("p1", at(10, 0, 5), "answered", talk_s=120.0),
    campaign_call("p2", at(10, 10), "answered", talk_s=60.0),
    campaign_call("p3", at(10, 20), "overflowed"),
    campaign_call("m1", at(10, 30), "machine"),
    campaign_call("b1", at(10, 40), "busy"),
    campaign_call("n1", at(10, 50), "no_answer"),
    # 11:00-12:00: failed on the hour's first instant, a person who hung up waiting, not answered at its last.
    campaign_call("f1", at(11, 0), "failed"),
    campaign_call("a1", at(11, 15), "abandoned"),
    campaign_call("n2", at(11, 59, 59.9), "no_answer"),
    # renewals at noon: one connected for 5 minutes, one machine.
    campaign_call("r1", at(12, 0), "answered", talk_s=300.0, campaign="renewals"),
    campaign_call("r2", at(12, 30), "machine", campaign="renewals"),
    # Never counted: an inbound call, promo-nov calls dialled the day before and the day after.
    contact("inbound", started_at=at(10, 0)),
    campaign_call("before", at(0, 0, -10.0), "answered", talk_s=60.0),
    campaign_call("after", at(0, 0) + 86400, "machine"),
]


def campaign_row(name: str, start: datetime, end: datetime, counts: tuple[int, int, int, int, int, int, int, int],
                 talk_s: float = 0.0) -> CampaignRow:
    """``counts``: dialled, person answered, connected, abandoned, machine, busy, no answer, failed."""
    dialled_, answered, connected, abandoned, machine, busy, no_answer, failed = counts
    return CampaignRow(name, start, end, dialled_, answered, connected, abandoned, machine, busy, no_answer, failed,
                       talk_s)


def local(hh: int, mm: int = 0, day: int = 22) -> datetime:
    return datetime(2026, 11, day, hh, mm, tzinfo=MOSCOW)


def test_campaign_report_counts_each_campaigns_calls_of_the_day() -> None:
    rows = campaign_report(CAMPAIGN_CALLS, local(0), local(0, day=23))
    assert rows == [
        campaign_row("promo-nov", local(0), local(0, day=23), (9, 4, 2, 2, 1, 1, 2, 1), talk_s=180.0),
        campaign_row("renewals", local(0), local(0, day=23), (2, 1, 1, 0, 1, 0, 0, 0), talk_s=300.0),
    ]
    promo, renewals = rows
    assert promo.abandon_rate == 0.5 and promo.answer_rate == pytest.approx(4 / 9) and promo.average_talk_s == 90.0
    assert (renewals.abandon_rate, renewals.answer_rate, renewals.average_talk_s) == (0.0, 0.5, 300.0)


def test_campaign_report_of_a_window_counts_calls_that_started_in_it() -> None:
    (promo,) = campaign_report(CAMPAIGN_CALLS, local(10, 30), local(11, 15))  # m1 b1 n1 f1; not a1 (at the end)
    assert (promo.dialled, promo.person_answered, promo.machine, promo.busy, promo.no_answer, promo.failed) == (
        4, 0, 1, 1, 1, 1)
    assert (promo.abandon_rate, promo.answer_rate, promo.average_talk_s) == (None, 0.0, None)


def test_campaign_hours_split_one_campaign_by_the_hour_its_calls_started() -> None:
    hours = campaign_hours(CAMPAIGN_CALLS, DAY, MOSCOW, "promo-nov")
    assert len(hours) == 24 and hours[0].start == local(0) and hours[-1].end == local(0, day=23)
    assert busy_hours(hours) == [
        campaign_row("promo-nov", local(10), local(11), (6, 3, 2, 1, 1, 1, 1, 0), talk_s=180.0),
        campaign_row("promo-nov", local(11), local(12), (3, 1, 0, 1, 0, 0, 1, 1)),
    ]
    ten, eleven = busy_hours(hours)
    assert ten.abandon_rate == pytest.approx(1 / 3) and ten.answer_rate == 0.5 and ten.average_talk_s == 90.0
    assert eleven.abandon_rate == 1.0 and eleven.answer_rate == pytest.approx(1 / 3)
    assert eleven.average_talk_s is None
    assert sum(hour.dialled for hour in hours) == campaign_report(CAMPAIGN_CALLS, local(0), local(0, day=23))[0].dialled


def test_a_day_without_campaign_calls_has_no_campaign_rows_and_empty_hours() -> None:
    assert campaign_report([contact("inbound", started_at=at(10, 0))], local(0), local(0, day=23)) == []
    hours = campaign_hours([], DAY, MOSCOW, "promo-nov")
    assert len(hours) == 24 and busy_hours(hours) == hours
    assert all((h.dialled, h.abandon_rate, h.answer_rate, h.average_talk_s) == (0, None, None, None) for h in hours)


def test_campaign_hours_of_a_day_when_clocks_go_back() -> None:
    berlin = ZoneInfo("Europe/Berlin")
    hours = campaign_hours([], date(2026, 10, 25), berlin, "promo-nov")
    assert len(hours) == 25
    assert [h.start.strftime("%H%z") for h in hours[2:4]] == ["02+0200", "02+0100"]


def test_a_blast_person_counts_as_answered_but_neither_connected_nor_abandoned() -> None:
    blast = [campaign_call("x1", at(10, 0), "announced"), campaign_call("x2", at(10, 1), "abandoned_in_ivr")]
    (row,) = campaign_report(blast, local(0), local(0, day=23))
    assert (row.dialled, row.person_answered, row.connected, row.abandoned, row.abandon_rate) == (2, 2, 0, 0, 0.0)


def test_campaign_csv_exact_text() -> None:
    out = io.StringIO()
    day = campaign_report(CAMPAIGN_CALLS, local(0), local(0, day=23))
    write_campaign_csv([*day, *busy_hours(campaign_hours(CAMPAIGN_CALLS, DAY, MOSCOW, "promo-nov"))], out)
    assert out.getvalue() == (
        "campaign,start,end,dialled,person_answered,connected,abandoned,abandon_rate_pct,machine,busy,no_answer,"
        "failed,answer_rate_pct,talk_min,avg_talk_s\r\n"
        "promo-nov,2026-11-22T00:00:00+03:00,2026-11-23T00:00:00+03:00,9,4,2,2,50.0,1,1,2,1,44.4,3.0,90.0\r\n"
        "renewals,2026-11-22T00:00:00+03:00,2026-11-23T00:00:00+03:00,2,1,1,0,0.0,1,0,0,0,50.0,5.0,300.0\r\n"
        "promo-nov,2026-11-22T10:00:00+03:00,2026-11-22T11:00:00+03:00,6,3,2,1,33.3,1,1,1,0,50.0,3.0,90.0\r\n"
        "promo-nov,2026-11-22T11:00:00+03:00,2026-11-22T12:00:00+03:00,3,1,0,1,100.0,0,0,1,1,33.3,0.0,\r\n"
    )


def test_campaign_charts_are_real_png_and_svg_files(tmp_path: Path) -> None:
    hours = busy_hours(campaign_hours(CAMPAIGN_CALLS, DAY, MOSCOW, "promo-nov"))
    write_campaign_chart(hours, tmp_path / "campaign.png", "png", "promo-nov 2026-11-22", abandon_limit=0.03)
    write_campaign_chart(campaign_hours([], DAY, MOSCOW, "x"), tmp_path / "empty.svg", "svg", "x 2026-11-22")
    png = (tmp_path / "campaign.png").read_bytes()
    assert png.startswith(b"\x89PNG\r\n\x1a\n") and len(png) > 10_000
    svg = (tmp_path / "empty.svg").read_text()
    assert svg.startswith("<?xml") and "<svg" in svg and svg.rstrip().endswith("</svg>")


def test_campaign_reports_loaded_from_the_database(database: Database) -> None:
    history = open_history(database.url)
    history.record_batch(CAMPAIGN_CALLS)
    day_start, day_end = day_bounds(DAY, MOSCOW)
    assert [r.call_uuid for r in history.campaign_contacts_started(day_start, day_end, "renewals")] == ["r1", "r2"]
    assert len(history.campaign_contacts_started(day_start, day_end)) == 11  # not inbound, nor other days
    assert load_campaign_report(history, DAY, MOSCOW) == campaign_report(CAMPAIGN_CALLS, local(0), local(0, day=23))
    assert load_campaign_hours(history, DAY, MOSCOW, "promo-nov") == campaign_hours(CAMPAIGN_CALLS, DAY, MOSCOW,
                                                                                    "promo-nov")
    assert load_campaign_report(history, date(2026, 11, 20), MOSCOW) == []
    history.close()


def test_an_agent_on_break_all_day_shows_the_break_from_the_engines_records(database: Database) -> None:
    """The engine records the state each agent enters; the day's report counts it though it never ended."""
    config = load_config(ROOT / "config" / "ccswitch.yaml")
    written: list[HistoryRecord] = []
    engine = Engine(config, MemoryStore(), lambda _node, _effects: None, record=written.append)
    engine.start(at(8, 0))
    engine.agent_action("1004", TakeBreak("lunch"), at(9, 0))
    engine.agent_action("1004", Ready(), at(9, 30))
    engine.agent_action("1004", TakeBreak("training"), at(10, 0))
    history = open_history(database.url)
    history.record_batch(written)
    midday = {row.agent: row for row in load_agent_report(history, DAY, MOSCOW, now=at(12, 0))}
    whole_day = {row.agent: row for row in load_agent_report(history, DAY, MOSCOW, now=at(23, 0) + 7200)}
    history.close()
    assert config.agents["1004"].login == "available"  # from the start at 8:00
    assert midday["1004"].seconds_by_state["on_break"] == 1800.0 + 7200.0  # lunch 9:00-9:30, training 10:00-now
    assert whole_day["1004"].seconds_by_state["on_break"] == 1800.0 + 14 * 3600.0  # training until midnight
    assert sum(whole_day["1004"].seconds_by_state.values()) == 24 * 3600.0 - 8 * 3600.0  # from the start at 8:00
