"""The history database: SQLite (embedded default) or PostgreSQL, one schema, one set of queries.

``open_history(url)`` migrates the database to the current schema and returns a ``History``. Its calls are
synchronous; in the controller only ``HistoryWriter`` writes (off the controller greenlet), and look-ups are
short indexed queries.

Two connections per ``History``: one for writes, one for reads, so a slow report never waits behind a batch and
(SQLite) the writer's thread and the reading greenlet never share a connection. Any database error closes the
connection it happened on, which rolls back its open transaction; the next call opens a fresh one. That is how a
restarted PostgreSQL is picked up again. Errors surface as ``StoreError`` naming the database, never the URL
(it may hold a password).

``transaction`` and ``query`` are the one way in to either connection: ``ccswitch.history.conversations`` keeps
its tables through them too.

Inserts use ``ON CONFLICT DO NOTHING`` (SQLite ≥ 3.24 and PostgreSQL both have it): re-sending a batch whose
commit reached the database but whose reply was lost writes nothing twice.
"""

from __future__ import annotations

import json
import sqlite3
import time
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, fields
from pathlib import Path
from typing import Any, Protocol
from urllib.parse import urlsplit

from ccswitch.errors import StoreError
from ccswitch.history.model import (
    AgentStateRecord,
    AuditRecord,
    ContactRecord,
    DispositionRecord,
    HistoryRecord,
    MonitoringRecord,
    OpenAgentState,
    phone_key,
)
from ccswitch.history.schema import MIGRATIONS, SCHEMA_VERSION_TABLE, Migration

SQLITE_PREFIX = "sqlite:///"
POSTGRES_SCHEMES = ("postgresql", "postgres")


def default_history_url(config_dir: Path) -> str:
    """``sqlite:///<config dir>/data/history.sqlite``: the embedded default."""
    return f"{SQLITE_PREFIX}{(config_dir / 'data' / 'history.sqlite').resolve()}"


class Cursor(Protocol):
    def execute(self, sql: str, params: Sequence[Any] = ..., /) -> Any: ...
    def executemany(self, sql: str, params: Sequence[Sequence[Any]], /) -> Any: ...
    def fetchall(self) -> list[Any]: ...


class _Connection(Protocol):
    def cursor(self) -> Any: ...
    def close(self) -> None: ...


@dataclass(frozen=True, slots=True)
class Dialect:
    name: str
    connect: Callable[[], _Connection]  # autocommit mode: transactions are explicit BEGIN … COMMIT
    errors: tuple[type[Exception], ...]
    placeholder: str
    begin_exclusive: tuple[str, ...]  # starts a transaction that keeps a second migrator out
    blocks_event_loop: bool  # the driver's I/O cannot yield to other greenlets

    def sql(self, query: str) -> str:
        """Queries are written with ``?``; PostgreSQL's driver wants ``%s``."""
        return query.replace("?", self.placeholder)


_CONTACT_COLUMNS = tuple(field.name for field in fields(ContactRecord))
_STATE_COLUMNS = tuple(field.name for field in fields(AgentStateRecord))
_MONITORING_COLUMNS = tuple(field.name for field in fields(MonitoringRecord))
_OPEN_STATE_COLUMNS = tuple(field.name for field in fields(OpenAgentState))
_AUDIT_COLUMNS = tuple(field.name for field in fields(AuditRecord))


def insert_statement(table: str, columns: Sequence[str]) -> str:
    marks = ", ".join("?" for _ in columns)
    return f"INSERT INTO {table} ({', '.join(columns)}) VALUES ({marks}) ON CONFLICT DO NOTHING"


_INSERT_CONTACT = insert_statement("contacts", (*_CONTACT_COLUMNS, "caller_key"))
_INSERT_STATE = insert_statement("agent_states", _STATE_COLUMNS)
_INSERT_MONITORING = insert_statement("monitoring", _MONITORING_COLUMNS)
_SELECT_MONITORING = f"SELECT {', '.join(_MONITORING_COLUMNS)} FROM monitoring"
_INSERT_AUDIT = insert_statement("audit", _AUDIT_COLUMNS)
_INSERT_DISPOSITION = insert_statement("dispositions", ("disposed_call", "disposed", "disposed_at"))
_INSERT_OPEN_STATE = insert_statement("agent_open_states", _OPEN_STATE_COLUMNS)
_SELECT_OPEN_STATES = f"SELECT {', '.join(_OPEN_STATE_COLUMNS)} FROM agent_open_states"
# A disposition comes after the call's record (an agent sets it in wrap-up): the latest one wins, read in here.
_SELECT_CONTACTS = "SELECT {} FROM contacts LEFT JOIN dispositions ON disposed_call = call_uuid".format(
    ", ".join("COALESCE(disposed, disposition)" if name == "disposition" else name for name in _CONTACT_COLUMNS))
_SELECT_STATES = f"SELECT {', '.join(_STATE_COLUMNS)} FROM agent_states"


def _contact_row(record: ContactRecord) -> tuple[Any, ...]:
    values = {name: getattr(record, name) for name in _CONTACT_COLUMNS}
    values["ivr_path"] = json.dumps(list(record.ivr_path))
    return (*values.values(), record.caller_key)


def _contact_from_row(row: Sequence[Any]) -> ContactRecord:
    values = dict(zip(_CONTACT_COLUMNS, row, strict=True))
    values["ivr_path"] = tuple(json.loads(values["ivr_path"]))
    values["callback"] = bool(values["callback"])  # SQLite stores booleans as 0/1
    return ContactRecord(**values)


def _state_row(record: AgentStateRecord) -> tuple[Any, ...]:
    return tuple(getattr(record, name) for name in _STATE_COLUMNS)


def _overlapping(start: float, end: float, column: str, value: str | None) -> tuple[str, list[Any]]:
    """WHERE clause: the row's [started_at, ended_at] meets [start, end), and ``column = value`` if given."""
    where, params = "ended_at >= ? AND started_at < ?", [start, end]
    if value is None:
        return where, params
    return f"{where} AND {column} = ?", [*params, value]


class History:
    def __init__(self, dialect: Dialect, where: str, migrations: Sequence[Migration] = MIGRATIONS) -> None:
        self.dialect = dialect
        self.where = where
        self._writer: _Connection | None = None
        self._reader: _Connection | None = None
        self._migrate(migrations)

    @property
    def blocks_event_loop(self) -> bool:
        return self.dialect.blocks_event_loop

    # ----------------------------------------------------------------- writes
    def record_contact(self, record: ContactRecord) -> None:
        self.record_batch([record])

    def record_agent_state(self, record: AgentStateRecord) -> None:
        self.record_batch([record])

    def record_batch(self, records: Sequence[HistoryRecord]) -> None:
        """Write every record in one transaction: all of them or, on error (``StoreError``), none."""
        contacts = [_contact_row(r) for r in records if isinstance(r, ContactRecord)]
        states = [_state_row(r) for r in records if isinstance(r, AgentStateRecord)]
        monitoring = [tuple(getattr(r, name) for name in _MONITORING_COLUMNS)
                      for r in records if isinstance(r, MonitoringRecord)]
        audit = [tuple(getattr(r, name) for name in _AUDIT_COLUMNS) for r in records if isinstance(r, AuditRecord)]
        dispositions = [(r.call_uuid, r.disposition, r.at) for r in records if isinstance(r, DispositionRecord)]
        open_states = [tuple(getattr(r, name) for name in _OPEN_STATE_COLUMNS)
                       for r in records if isinstance(r, OpenAgentState)]
        with self.transaction(f"write {len(records)} records", ("BEGIN",)) as cursor:
            for insert, rows in ((_INSERT_CONTACT, contacts), (_INSERT_STATE, states),
                                 (_INSERT_MONITORING, monitoring), (_INSERT_AUDIT, audit)):
                if rows:
                    cursor.executemany(self.dialect.sql(insert), rows)
            for row in dispositions:  # a new disposition of the same call replaces the last
                cursor.execute(self.dialect.sql("DELETE FROM dispositions WHERE disposed_call = ?"), row[:1])
                cursor.execute(self.dialect.sql(_INSERT_DISPOSITION), row)
            for row in open_states:  # in order: the agent's latest state replaces the one before
                cursor.execute(self.dialect.sql("DELETE FROM agent_open_states WHERE agent = ?"), row[:1])
                cursor.execute(self.dialect.sql(_INSERT_OPEN_STATE), row)

    # ----------------------------------------------------------------- look-ups
    def contacts_by_phone(self, number: str, limit: int = 50) -> list[ContactRecord]:
        """The newest ``limit`` contacts from this caller, newest first; numbers match by ``phone_key``."""
        rows = self.query(f"{_SELECT_CONTACTS} WHERE caller_key = ? ORDER BY started_at DESC LIMIT ?",
                          (phone_key(number), limit))
        return [_contact_from_row(row) for row in rows]

    def contact(self, call_uuid: str) -> ContactRecord | None:
        """The call's record (with its latest disposition), None until it is written."""
        rows = self.query(f"{_SELECT_CONTACTS} WHERE call_uuid = ?", (call_uuid,))
        return _contact_from_row(rows[0]) if rows else None

    def last_contact_of(self, agent: str, ended_since: float) -> ContactRecord | None:
        """The agent's call that ended last, at ``ended_since`` or later (the ended-at index bounds the search)."""
        rows = self.query(f"{_SELECT_CONTACTS} WHERE ended_at >= ? AND agent = ? ORDER BY ended_at DESC LIMIT 1",
                          (ended_since, agent))
        return _contact_from_row(rows[0]) if rows else None

    def contacts_between(self, start: float, end: float, queue: str | None = None) -> list[ContactRecord]:
        """Contacts alive at some moment of [start, end) (oldest first), so every call that entered a queue in
        the window is there whenever it started or ended."""
        where, params = _overlapping(start, end, "queue", queue)
        rows = self.query(f"{_SELECT_CONTACTS} WHERE {where} ORDER BY started_at, call_uuid", params)
        return [_contact_from_row(row) for row in rows]

    def campaign_contacts_started(self, start: float, end: float,
                                  campaign: str | None = None) -> list[ContactRecord]:
        """Calls of dialler campaigns (or of one) that started in [start, end), oldest first: a campaign report
        counts a call in the hour it was dialled."""
        params: list[Any]
        where, params = "campaign IS NOT NULL AND started_at >= ? AND started_at < ?", [start, end]
        if campaign is not None:
            where, params = "campaign = ? AND started_at >= ? AND started_at < ?", [campaign, start, end]
        rows = self.query(f"{_SELECT_CONTACTS} WHERE {where} ORDER BY started_at, call_uuid", params)
        return [_contact_from_row(row) for row in rows]

    def recordings_since(self, since: float, agent: str | None = None, queue: str | None = None,
                         limit: int = 1000) -> list[ContactRecord]:
        """Recorded contacts whose recording started at ``since`` or later (oldest first), optionally one agent's
        or one queue's."""
        params: list[Any]
        where, params = "recording_started_at >= ?", [since]
        for column, value in (("agent", agent), ("queue", queue)):
            if value is not None:
                where, params = f"{where} AND {column} = ?", [*params, value]
        rows = self.query(f"{_SELECT_CONTACTS} WHERE {where} ORDER BY recording_started_at, call_uuid LIMIT ?",
                          [*params, limit])
        return [_contact_from_row(row) for row in rows]

    def agent_states_between(self, start: float, end: float, agent: str | None = None) -> list[AgentStateRecord]:
        """State intervals overlapping [start, end), by agent then time."""
        where, params = _overlapping(start, end, "agent", agent)
        rows = self.query(f"{_SELECT_STATES} WHERE {where} ORDER BY agent, started_at, ended_at", params)
        return [AgentStateRecord(**dict(zip(_STATE_COLUMNS, row, strict=True))) for row in rows]

    def open_agent_states(self, before: float) -> list[OpenAgentState]:
        """The state each agent is in now, where it began before ``before``, by agent."""
        rows = self.query(f"{_SELECT_OPEN_STATES} WHERE started_at < ? ORDER BY agent", [before])
        return [OpenAgentState(**dict(zip(_OPEN_STATE_COLUMNS, row, strict=True))) for row in rows]

    def monitoring_between(self, start: float, end: float, supervisor: str | None = None) -> list[MonitoringRecord]:
        """Monitoring sessions overlapping [start, end), oldest first, optionally one supervisor's."""
        where, params = _overlapping(start, end, "supervisor", supervisor)
        rows = self.query(f"{_SELECT_MONITORING} WHERE {where} ORDER BY started_at, session", params)
        return [MonitoringRecord(**dict(zip(_MONITORING_COLUMNS, row, strict=True))) for row in rows]

    def audit_between(self, start: float, end: float) -> list[AuditRecord]:
        """Privileged API actions in [start, end), oldest first."""
        rows = self.query(f"SELECT {', '.join(_AUDIT_COLUMNS)} FROM audit WHERE at >= ? AND at < ? ORDER BY at, id",
                          [start, end])
        return [AuditRecord(**dict(zip(_AUDIT_COLUMNS, row, strict=True))) for row in rows]

    def schema_version(self) -> int:
        return int(self.query("SELECT COALESCE(MAX(version), 0) FROM schema_version", ())[0][0])

    def close(self) -> None:
        for connection in (self._writer, self._reader):
            if connection is not None:
                connection.close()
        self._writer = self._reader = None

    # ----------------------------------------------------------------- plumbing, shared with the conversation log
    def _migrate(self, migrations: Sequence[Migration]) -> None:
        latest = max((m.version for m in migrations), default=0)
        with self.transaction("create schema_version", ()) as cursor:
            cursor.execute(SCHEMA_VERSION_TABLE)
        with self.transaction("migrate", self.dialect.begin_exclusive) as cursor:
            cursor.execute("SELECT COALESCE(MAX(version), 0) FROM schema_version")
            current = int(cursor.fetchall()[0][0])
            if current > latest:
                raise StoreError(f"history {self.where} is at schema version {current}, "
                                 f"newer than this ccswitch knows ({latest})")
            for migration in sorted(migrations, key=lambda m: m.version):
                if migration.version > current:
                    for statement in migration.statements:
                        cursor.execute(statement)
                    cursor.execute(self.dialect.sql("INSERT INTO schema_version VALUES (?, ?, ?)"),
                                   (migration.version, migration.description, time.time()))

    @contextmanager
    def transaction(self, what: str, begin: Sequence[str]) -> Iterator[Cursor]:
        """Run ``begin``, then the body, then COMMIT, on the writer connection (``begin`` empty: autocommit)."""
        if self._writer is None:
            self._writer = self._connect(what)
        connection = self._writer
        try:
            cursor = connection.cursor()
            for statement in begin:
                cursor.execute(statement)
            yield cursor
            if begin:
                cursor.execute("COMMIT")
        except BaseException as exc:
            self._writer = None
            connection.close()
            if isinstance(exc, self.dialect.errors):
                raise StoreError(f"history {self.where}: {what} failed: {exc}") from exc
            raise

    def query(self, sql: str, params: Sequence[Any]) -> list[Any]:
        """The rows ``sql`` (written with ``?``) selects, on the reader connection."""
        if self._reader is None:
            self._reader = self._connect("connect")
        connection = self._reader
        try:
            cursor = connection.cursor()
            cursor.execute(self.dialect.sql(sql), params)
            rows: list[Any] = cursor.fetchall()
            return rows
        except self.dialect.errors as exc:
            self._reader = None
            connection.close()
            raise StoreError(f"history {self.where}: query failed: {exc}") from exc

    def _connect(self, what: str) -> _Connection:
        try:
            return self.dialect.connect()
        except self.dialect.errors as exc:
            raise StoreError(f"history {self.where}: cannot connect ({what}): {exc}") from exc


def open_history(url: str, migrations: Sequence[Migration] = MIGRATIONS) -> History:
    """``sqlite:///relative/or//absolute/file.sqlite`` or ``postgresql://user@host:port/db?options=…``; the
    database is migrated to the current schema before this returns."""
    if url.startswith(SQLITE_PREFIX):
        return History(_sqlite_dialect(Path(url[len(SQLITE_PREFIX):])), "sqlite", migrations)
    parts = urlsplit(url)
    if parts.scheme in POSTGRES_SCHEMES:
        where = f"postgresql {parts.hostname or 'localhost'}:{parts.port or 5432}{parts.path}"
        return History(_postgres_dialect(url), where, migrations)
    raise StoreError(f"history url must start with {SQLITE_PREFIX} or postgresql:// (got scheme {parts.scheme!r})")


def _sqlite_dialect(path: Path) -> Dialect:
    if not path.name or path.name == ":memory:":
        raise StoreError("history needs a SQLite file (a memory database would be private to one connection)")
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise StoreError(f"history sqlite: cannot create {path.parent}: {exc.strerror}") from exc

    def connect() -> _Connection:
        # isolation_level=None: no implicit transactions, ours are explicit. check_same_thread=False: the writer
        # connection is used from HistoryWriter's one worker thread, never from two threads at once.
        connection = sqlite3.connect(path, timeout=5.0, isolation_level=None, check_same_thread=False)
        # WAL: readers never wait for the writer; NORMAL sync is durable across a process crash in WAL mode.
        connection.execute("PRAGMA journal_mode=WAL")
        connection.execute("PRAGMA synchronous=NORMAL")
        return connection

    return Dialect(
        name="sqlite",
        connect=connect,
        errors=(sqlite3.Error,),
        placeholder="?",
        begin_exclusive=("BEGIN IMMEDIATE",),  # takes the write lock at once
        blocks_event_loop=True,
    )


def _postgres_dialect(url: str) -> Dialect:
    import psycopg

    def connect() -> _Connection:
        return psycopg.connect(url, autocommit=True, connect_timeout=5)

    return Dialect(
        name="postgresql",
        connect=connect,
        errors=(psycopg.Error,),
        placeholder="%s",
        # A second controller starting at the same moment waits here, then finds the schema current.
        begin_exclusive=("BEGIN", "LOCK TABLE schema_version IN SHARE ROW EXCLUSIVE MODE"),
        # With gevent's monkey patching psycopg waits in a patched select.poll (psycopg/waiting.py,
        # _is_select_patched), so its I/O yields to other greenlets.
        blocks_event_loop=False,
    )
