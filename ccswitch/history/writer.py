"""Writes history records without ever making the controller greenlet wait.

``submit`` only puts the record into a bounded gevent queue. One writer greenlet takes what is queued, up to
``batch_size`` records, and writes them in one transaction, off the event loop where the driver would block it
(``ccswitch.history.offload``: SQLite in one worker thread, PostgreSQL in the writer greenlet itself).

A failed batch is logged with its call uuids and retried after a doubling delay, up to ``max_attempts``; then its
records are dropped, logged one by one, and counted in ``dropped`` (a full queue and ``close`` with records left
count there too). Nothing is lost without a log line and a count.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from typing import Protocol

import gevent
import gevent.event
import gevent.queue

from ccswitch.errors import StoreError
from ccswitch.history.model import (
    AuditRecord,
    ContactRecord,
    DispositionRecord,
    HistoryRecord,
    MonitoringRecord,
    OpenAgentState,
)
from ccswitch.history.offload import Offload

log = logging.getLogger(__name__)


class HistorySink(Protocol):
    @property
    def blocks_event_loop(self) -> bool: ...

    def record_batch(self, records: Sequence[HistoryRecord]) -> None: ...


def describe(record: HistoryRecord) -> str:
    if isinstance(record, ContactRecord):
        return f"call {record.call_uuid}"
    if isinstance(record, MonitoringRecord):
        return f"monitoring {record.session} of call {record.call_uuid}"
    if isinstance(record, DispositionRecord):
        return f"disposition {record.disposition} of call {record.call_uuid}"
    if isinstance(record, OpenAgentState):
        return f"agent {record.agent} {record.state} since {record.started_at:.3f}"
    if isinstance(record, AuditRecord):
        return f"audit {record.action} by {record.actor}"
    return f"agent {record.agent} {record.state}@{record.started_at:.3f}"


class HistoryWriter:
    def __init__(self, history: HistorySink, capacity: int = 10_000, batch_size: int = 100,
                 max_attempts: int = 6, retry_delay_s: float = 1.0, max_retry_delay_s: float = 30.0) -> None:
        self.written = 0
        self.dropped = 0
        self._history = history
        self._batch_size = batch_size
        self._max_attempts = max_attempts
        self._retry_delay_s = retry_delay_s
        self._max_retry_delay_s = max_retry_delay_s
        self._queue: gevent.queue.Queue[HistoryRecord] = gevent.queue.Queue(maxsize=capacity)
        self._offload = Offload(history.blocks_event_loop)
        self._unfinished = 0  # submitted, neither written nor dropped
        self._idle = gevent.event.Event()
        self._idle.set()
        self._closed = False
        self._greenlet = gevent.spawn(self._run)

    def submit(self, record: HistoryRecord) -> bool:
        """Queue ``record`` for writing; never blocks. False (and counted as dropped) if closed or full."""
        if self._closed:
            self._drop([record], "the history writer is closed")
            return False
        try:
            self._queue.put_nowait(record)
        except gevent.queue.Full:
            self._drop([record], "the history queue is full")
            return False
        self._unfinished += 1
        self._idle.clear()
        return True

    def flush(self, timeout: float) -> bool:
        """Wait until everything submitted so far is written or dropped; False if ``timeout`` came first."""
        return bool(self._idle.wait(timeout))

    def close(self, timeout: float = 5.0) -> None:
        """Stop taking records, give the queued ones ``timeout`` seconds, then stop; what is left counts as
        dropped."""
        self._closed = True
        self.flush(timeout)
        self._greenlet.kill()
        left = []
        while not self._queue.empty():
            left.append(self._queue.get_nowait())
        if left:
            self._drop(left, "not written before the history writer closed")
        if self._unfinished > len(left):
            # A batch was being written when the writer stopped: it may or may not have been committed.
            log.error("history: %d records were being written when the writer closed", self._unfinished - len(left))
            self.dropped += self._unfinished - len(left)
        self._unfinished = 0
        self._idle.set()
        self._offload.close()

    def _run(self) -> None:
        while True:
            batch = [self._queue.get()]
            while len(batch) < self._batch_size and not self._queue.empty():
                batch.append(self._queue.get_nowait())
            self._write_with_retries(batch)
            self._finished(len(batch))

    def _write_with_retries(self, batch: list[HistoryRecord]) -> None:
        delay = self._retry_delay_s
        for attempt in range(1, self._max_attempts + 1):
            try:
                self._write(batch)
            except StoreError as exc:
                log.warning("history: writing %d records failed (attempt %d of %d; %s): %s", len(batch), attempt,
                            self._max_attempts, ", ".join(describe(r) for r in batch), exc)
                if attempt < self._max_attempts:
                    gevent.sleep(delay)
                    delay = min(delay * 2, self._max_retry_delay_s)
                continue
            self.written += len(batch)
            return
        self._drop(batch, f"gave up after {self._max_attempts} attempts")

    def _write(self, batch: list[HistoryRecord]) -> None:
        self._offload.run(self._history.record_batch, batch)

    def _drop(self, records: list[HistoryRecord], why: str) -> None:
        self.dropped += len(records)
        for record in records:
            log.error("history: %s not recorded: %s", describe(record), why)

    def _finished(self, count: int) -> None:
        self._unfinished -= count
        if self._unfinished == 0:
            self._idle.set()
