"""Campaigns' leads files imported in the background, a batch at a time.

Theory of operation
-------------------
A leads file may hold millions of rows. Reading it must neither stall the controller greenlet (calls, agents, the
HTTP API go on) nor hold the file whole in memory. ``LeadImports.load`` runs each campaign's import in a greenlet of
its own:

1. A file with the size and modification time (ns) of the one this controller imported last for the campaign is
   not read at all: the answer comes at once, ``unchanged_since`` that import.
2. Pass 1, check: a ``LeadReader`` streams the file in a worker thread of gevent's threadpool, ``BATCH_ROWS`` rows
   per trip, checking every line and hashing its bytes. Any bad line and the import fails listing them
   (``file: line N: problem``, as ``ccswitch check``) with nothing stored: a file goes in whole or not at all. A file
   whose bytes hash as the last import's (copied again, touched) is not imported again either.
3. Pass 2, import: the file is streamed again the same way, and each batch of leads is handed to the dialler in the
   controller greenlet (``Dialer.add_leads``), whose work is in proportion to the batch; what queued up in between is
   served between batches. The file's fingerprint is remembered only if its bytes are still those of pass 1.

Memory: one batch of rows at a time in each pass, plus, in pass 1, the numbers seen so far (one string per distinct
number, to count duplicate lines; dropped before pass 2 starts). The leads themselves end in the store and in the
dialler's copy of the campaign, as before.

Progress (``progress``: state, rows read, leads added) is logged at every batch of pass 2 and shown by ``ccswitch
campaign status`` and ``GET /api/campaigns/<name>``. A second load of a campaign whose import runs waits for that
import. Fingerprints live in this process: a restarted controller reads a file once more (adding nothing stored).
"""

from __future__ import annotations

import gc
import logging
from collections.abc import Callable, Sequence
from dataclasses import dataclass, replace
from pathlib import Path

import gevent
from gevent.event import AsyncResult

from ccswitch.clock import Clock
from ccswitch.dialer import Lead, on_list
from ccswitch.dialer.leads import Fingerprint, LeadReader, file_stamp
from ccswitch.dialer.runner import ImportProgress, ImportState, LoadResult
from ccswitch.errors import CcswitchError

log = logging.getLogger(__name__)

BATCH_ROWS = 2_000  # rows per trip to the worker thread; leads per hand-over to the dialler (~20 ms of its time)

AddLeads = Callable[[str, Sequence[Lead]], LoadResult]  # ``Dialer.add_leads`` run in the controller greenlet


@dataclass(frozen=True, slots=True)
class _Checked:
    rows: int
    do_not_call: int  # distinct numbers on a do-not-call list
    duplicates: int  # lines whose number an earlier line has
    digest: str


@dataclass(frozen=True, slots=True)
class _Imported:
    path: Path
    fingerprint: Fingerprint
    at: float
    result: LoadResult


class LeadImports:
    def __init__(self, add_leads: AddLeads, clock: Clock) -> None:
        self._add_leads = add_leads
        self._clock = clock
        self._running: dict[str, AsyncResult] = {}
        self._progress: dict[str, ImportProgress] = {}
        self._imported: dict[str, _Imported] = {}
        self._greenlets: set[gevent.Greenlet[None]] = set()

    def load(self, name: str, path: Path, do_not_call: frozenset[str]) -> AsyncResult:
        """Start importing campaign ``name``'s leads file (or join its running import); the result is the
        ``LoadResult``, or the ``CcswitchError`` that ended it (``DataFileError``: bad lines, nothing stored)."""
        running = self._running.get(name)
        if running is None:
            running = self._running[name] = AsyncResult()
            greenlet = gevent.spawn(self._run, name, path, do_not_call, running)
            self._greenlets.add(greenlet)
            greenlet.link(self._greenlets.discard)
        return running

    def progress(self, name: str) -> ImportProgress | None:
        """The campaign's running import, or its last one (None: none since this controller started)."""
        return self._progress.get(name)

    def stop(self) -> None:
        gevent.killall(list(self._greenlets), timeout=5)

    def _run(self, name: str, path: Path, do_not_call: frozenset[str], result: AsyncResult) -> None:
        self._progress[name] = ImportProgress(str(path), ImportState.CHECKING, self._clock.now())
        try:
            result.set(self._import(name, path, do_not_call))
        except (Exception, gevent.Timeout) as exc:  # a batch the controller did not take in time ends it too
            if not isinstance(exc, CcswitchError):
                log.exception("campaign %s: importing %s failed", name, path)
            log.warning("campaign %s: import of %s failed: %s", name, path, exc)
            self._update(name, state=ImportState.FAILED, finished_at=self._clock.now(), error=str(exc))
            result.set_exception(exc)
        finally:
            del self._running[name]

    def _import(self, name: str, path: Path, do_not_call: frozenset[str]) -> LoadResult:
        stamp: Fingerprint = gevent.get_hub().threadpool.apply(file_stamp, (path,))
        last = self._imported.get(name)
        if last is not None and last.path == path and last.fingerprint.same_stamp(stamp):
            return self._unchanged(name, last, last.fingerprint)
        checked = self._check(name, path, do_not_call)
        fingerprint = replace(stamp, digest=checked.digest)
        if last is not None and last.path == path and last.fingerprint.digest == fingerprint.digest:
            return self._unchanged(name, last, fingerprint)
        self._update(name, state=ImportState.IMPORTING, rows=checked.rows, rows_read=0)
        added, digest = self._store(name, path, checked.rows)
        loaded = replace(self._add_leads(name, []), added=added, do_not_call=checked.do_not_call,
                         duplicates=checked.duplicates)
        finished = self._clock.now()
        if digest == fingerprint.digest:
            self._imported[name] = _Imported(path, fingerprint, finished, loaded)
        else:
            log.warning("campaign %s: %s changed while it was imported: it will be read again at the next load",
                        name, path)
        self._update(name, state=ImportState.DONE, finished_at=finished)
        log.info("campaign %s: %s imported: %d leads added (%d in all, %d on a do-not-call list, %d duplicate lines "
                 "skipped)", name, path, added, loaded.total, loaded.do_not_call, loaded.duplicates)
        return loaded

    def _check(self, name: str, path: Path, do_not_call: frozenset[str]) -> _Checked:
        """Pass 1: every row read and checked, nothing stored; ``DataFileError`` listing the bad lines."""
        pool = gevent.get_hub().threadpool
        dnc = 0
        with pool.apply(LeadReader, (name, path), {"skip_duplicates": True}) as reader:
            freeze_what_lives()  # the numbers seen, a set that grows to a million strings
            while not reader.done:
                dnc += pool.apply(_on_list, (reader, do_not_call))
                self._update(name, rows_read=reader.rows)
            reader.problems.raise_any(reader.file)
        log.info("campaign %s: %s checked: %d rows, no bad line", name, path, reader.rows)
        return _Checked(reader.rows, dnc, reader.duplicates, reader.digest)

    def _store(self, name: str, path: Path, rows: int) -> tuple[int, str]:
        """Pass 2: the leads handed to the dialler a batch at a time; how many it added, and the file's digest."""
        pool = gevent.get_hub().threadpool
        added = 0
        with pool.apply(LeadReader, (name, path)) as reader:
            while not reader.done:
                batch: list[Lead] = pool.apply(reader.read, (BATCH_ROWS,))
                reader.problems.raise_any(f"{reader.file} (changed while it was imported)")
                if not batch:
                    continue
                added += self._add_leads(name, batch).added
                freeze_what_lives()  # the batch's leads, now the campaign's
                self._update(name, rows_read=reader.rows, added=added)
                log.info("campaign %s: importing %s: %d of %d rows read, %d leads added", name, path, reader.rows,
                         rows, added)
        return added, reader.digest

    def _unchanged(self, name: str, last: _Imported, fingerprint: Fingerprint) -> LoadResult:
        """The file is the one imported last: nothing (more) to read or store."""
        self._imported[name] = replace(last, fingerprint=fingerprint)
        total = self._add_leads(name, []).total
        self._update(name, state=ImportState.DONE, finished_at=self._clock.now(), unchanged_since=last.at)
        log.info("campaign %s: %s unchanged since its import: not imported again", name, last.path)
        return replace(last.result, added=0, total=total, unchanged_since=last.at)

    def _update(self, name: str, **changes: object) -> None:
        self._progress[name] = replace(self._progress[name], **changes)  # type: ignore[arg-type]


def freeze_what_lives() -> None:
    """Keep what lives on (the campaign's leads, pass 1's numbers seen; a lead queue being filled) out of the
    collector's passes, as the controller does with what start-up built (``gc.freeze``): each full pass would walk
    every lead, up to a second at a million. Young garbage is collected first, so that what is frozen is what lives;
    a frozen object is still freed when its last reference goes."""
    gc.collect(1)
    gc.freeze()


def _on_list(reader: LeadReader, do_not_call: frozenset[str]) -> int:
    """Check the next batch of rows (in the worker thread); how many of its leads are on a do-not-call list."""
    return sum(1 for lead in reader.read(BATCH_ROWS) if on_list(do_not_call, lead.phone))

