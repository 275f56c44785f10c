"""HistoryWriter: batching, flush, retries, drops; off the event loop where the driver blocks."""

from __future__ import annotations

import logging
from collections.abc import Sequence

import gevent
import gevent.event
import pytest
from gevent import monkey

from ccswitch.errors import StoreError
from ccswitch.history import HistoryRecord, HistoryWriter, open_history

from .conftest import Database, terminate_connections
from .records import T0, contact, state

os_thread_id = monkey.get_original("threading", "get_ident")


class FakeHistory:
    """Records each batch; fails the first ``failures`` writes; waits on ``gate`` while it is closed."""

    def __init__(self, blocks_event_loop: bool = False, failures: int = 0) -> None:
        self.blocks_event_loop = blocks_event_loop
        self.failures = failures
        self.batches: list[list[HistoryRecord]] = []
        self.attempts = 0
        self.threads: set[int] = set()
        self.gate = gevent.event.Event()
        self.gate.set()

    def record_batch(self, records: Sequence[HistoryRecord]) -> None:
        self.attempts += 1
        self.threads.add(os_thread_id())
        if not self.blocks_event_loop:
            self.gate.wait()
        if self.attempts <= self.failures:
            raise StoreError("history sqlite: write failed: database is locked")
        self.batches.append(list(records))


def calls(count: int, prefix: str = "call") -> list[HistoryRecord]:
    return [contact(f"{prefix}-{n}") for n in range(count)]


def test_records_submitted_together_are_written_in_batches_of_at_most_batch_size() -> None:
    fake = FakeHistory()
    writer = HistoryWriter(fake, batch_size=100)
    records = calls(250)
    assert all(writer.submit(record) for record in records)  # submit never yields: all queued before a write
    assert writer.flush(timeout=5)
    assert [len(batch) for batch in fake.batches] == [100, 100, 50]
    assert [r for batch in fake.batches for r in batch] == records
    assert (writer.written, writer.dropped) == (250, 0)
    writer.close()


def test_flush_reports_a_timeout_while_a_write_is_stuck() -> None:
    fake = FakeHistory()
    fake.gate.clear()
    writer = HistoryWriter(fake)
    writer.submit(contact("stuck"))
    assert not writer.flush(timeout=0.05)
    fake.gate.set()
    assert writer.flush(timeout=5)
    assert writer.written == 1
    writer.close()


def test_when_the_database_is_down_the_batch_is_retried_then_recorded(caplog: pytest.LogCaptureFixture) -> None:
    fake = FakeHistory(failures=2)
    writer = HistoryWriter(fake, retry_delay_s=0.001)
    writer.submit(contact("call-a"))
    writer.submit(state("1000", "available", T0, T0 + 5))
    with caplog.at_level(logging.WARNING, logger="ccswitch.history.writer"):
        assert writer.flush(timeout=5)
    assert fake.attempts == 3
    assert (writer.written, writer.dropped) == (2, 0)
    warnings = [r.getMessage() for r in caplog.records if r.levelno == logging.WARNING]
    assert len(warnings) == 2
    assert "attempt 1 of 6; call call-a, agent 1000 available@" in warnings[0]
    assert "database is locked" in warnings[0]
    writer.close()


def test_a_database_down_for_good_drops_each_record_with_a_log_line_and_a_count(
        caplog: pytest.LogCaptureFixture) -> None:
    fake = FakeHistory(failures=1_000)
    writer = HistoryWriter(fake, max_attempts=3, retry_delay_s=0.001)
    for record in calls(2):
        writer.submit(record)
    with caplog.at_level(logging.ERROR, logger="ccswitch.history.writer"):
        assert writer.flush(timeout=5)
    assert fake.attempts == 3
    assert (writer.written, writer.dropped) == (0, 2)
    assert [r.getMessage() for r in caplog.records if r.levelno == logging.ERROR] == [
        "history: call call-0 not recorded: gave up after 3 attempts",
        "history: call call-1 not recorded: gave up after 3 attempts",
    ]
    writer.close()


def test_a_full_queue_refuses_and_counts_the_record() -> None:
    writer = HistoryWriter(FakeHistory(), capacity=2)
    assert [writer.submit(record) for record in calls(3)] == [True, True, False]
    assert writer.flush(timeout=5)
    assert (writer.written, writer.dropped) == (2, 1)
    writer.close()


def test_close_counts_what_could_not_be_written_and_refuses_later_records() -> None:
    fake = FakeHistory()
    fake.gate.clear()
    writer = HistoryWriter(fake, batch_size=1)
    for record in calls(3):
        writer.submit(record)
    gevent.sleep(0)  # let the writer take the first record into its stuck write
    writer.close(timeout=0.01)
    assert (writer.written, writer.dropped) == (0, 3)
    assert not writer.submit(contact("late"))
    assert writer.dropped == 4
    assert writer.flush(timeout=0)


@pytest.mark.parametrize(("blocks", "same_thread"), [(True, False), (False, True)])
def test_blocking_drivers_write_in_a_worker_thread_others_in_the_writer_greenlet(
        blocks: bool, same_thread: bool) -> None:
    fake = FakeHistory(blocks_event_loop=blocks)
    writer = HistoryWriter(fake)
    writer.submit(contact("x"))
    assert writer.flush(timeout=5)
    assert (fake.threads == {os_thread_id()}) is same_thread
    writer.close()


def test_records_reach_the_real_database(database: Database) -> None:
    history = open_history(database.url)
    writer = HistoryWriter(history, batch_size=7)
    records = [contact(f"real-{n}", started_at=T0 + n) for n in range(20)]
    for record in records:
        writer.submit(record)
    writer.submit(state("1000", "on_call", T0, T0 + 60))
    assert writer.flush(timeout=10)
    assert history.contacts_by_phone("79161234567") == records[::-1]
    assert len(history.agent_states_between(T0, T0 + 1)) == 1
    writer.close()
    history.close()


def test_a_postgresql_restart_costs_one_retry_not_a_record(postgres_database: Database,
                                                            caplog: pytest.LogCaptureFixture) -> None:
    history = open_history(postgres_database.url)
    writer = HistoryWriter(history, retry_delay_s=0.001)
    writer.submit(contact("before"))
    assert writer.flush(timeout=10)
    terminate_connections(postgres_database)
    with caplog.at_level(logging.WARNING, logger="ccswitch.history.writer"):
        writer.submit(contact("after", started_at=T0 + 1))
        assert writer.flush(timeout=10)
    assert (writer.written, writer.dropped) == (2, 0)
    assert any("call after" in r.getMessage() for r in caplog.records)
    assert [r.call_uuid for r in history.contacts_by_phone("79161234567")] == ["after", "before"]
    writer.close()
    history.close()


def test_postgresql_io_lets_other_greenlets_run(postgres_database: Database) -> None:
    """Why PostgreSQL writes need no worker thread: psycopg waits in gevent's patched poll."""
    history = open_history(postgres_database.url)
    connection = history.dialect.connect()
    query = gevent.spawn(connection.cursor().execute, "SELECT pg_sleep(0.3)")
    ticks = 0
    while not query.ready():
        gevent.sleep(0.01)
        ticks += 1
    query.get()
    assert ticks >= 10
    connection.close()
    history.close()
