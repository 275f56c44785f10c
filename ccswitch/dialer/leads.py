"""Leads: the record kept for each number a campaign dials, and the files leads come from.

A leads CSV has a header row naming its columns: ``phone`` (required), ``name``, ``timezone`` (an IANA name such
as Asia/Vladivostok; empty: the campaign's) and any others, kept in order as the lead's custom fields. A
do-not-call list has one number per line; ``#`` starts a comment. Both normalise numbers alike (spaces, dashes,
dots and brackets dropped; 3-15 digits left, optionally after one leading '+'), and a number on a list matches a
lead with or without the '+'. Every bad line is reported with its line number in one ``DataFileError``.

A leads file may hold millions of rows, so it is never read whole: ``read_leads_header`` reads its first line
(what the configuration loader checks), and a ``LeadReader`` streams it a batch of rows at a time, holding one
batch, hashing the bytes as they go by (the file's ``Fingerprint``). ``check_leads_file`` is one such pass that keeps
nothing (``ccswitch check``); ``ccswitch.lead_import`` makes two (check every line, then import). ``parse_leads``
and ``read_leads`` give a small file's leads at once.
"""

from __future__ import annotations

import csv
import enum
import hashlib
import io
import itertools
import re
from collections.abc import Collection, Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path
from types import TracebackType
from typing import BinaryIO

from ccswitch.errors import DataFileError
from ccswitch.validators import time_zone

PHONE, NAME, TIMEZONE = "phone", "name", "timezone"
_PHONE = re.compile(r"\+?[0-9]{3,15}")
_FORMATTING = re.compile(r"[\s().-]")
_MAX_PROBLEMS = 20  # a wholly wrong file should not print a line per row
CHECK_BATCH_ROWS = 10_000  # rows a check holds at once
_LINE_ENDS = re.compile(r"(?<=\n)(?=.)", re.DOTALL)  # between a line's end and the next line


class LeadState(enum.Enum):
    PENDING = "pending"  # not dialled yet
    DIALLING = "dialling"  # a call is out (``Lead.call``)
    ANSWERED = "answered"  # a person is with an agent, whose disposition decides what follows
    RETRY = "retry"  # to be dialled again from ``next_at``
    DONE = "done"  # finished: ``disposition`` (an agent's) or ``last_outcome`` says how
    DNC = "dnc"  # on a do-not-call list, or asked not to be called again


class DialOutcome(enum.Enum):
    """How a call out ended, as the engine saw it."""

    PERSON_ANSWERED = "person_answered"  # and an agent took it (or, in a blast, the message played)
    MACHINE = "machine"
    BUSY = "busy"
    NO_ANSWER = "no_answer"
    FAILED = "failed"  # the gateway or the network refused the call
    ABANDONED = "abandoned"  # a person answered, no agent was free within 2 s: they heard the abandon message


@dataclass(frozen=True, slots=True)
class Lead:
    campaign: str
    phone: str  # normalised (``normalise_phone``): one lead per number in a campaign
    name: str = ""
    timezone: str | None = None  # IANA name; None: the campaign's
    extra: tuple[tuple[str, str], ...] = ()  # the CSV's other columns and their values, in order
    state: LeadState = LeadState.PENDING
    attempts: int = 0  # calls placed so far
    next_at: float | None = None  # RETRY: not dialled before this
    call: str | None = None  # the uuid of the call out (DIALLING, ANSWERED)
    last_outcome: DialOutcome | None = None
    abandoned_at: float | None = None  # when a call to this person was last abandoned
    disposition: str | None = None  # the agent's, once set
    position: int = 0  # import order; the store's to set, like version
    version: int = 0


@dataclass(frozen=True, slots=True)
class LeadFile:
    leads: tuple[Lead, ...]
    duplicates: tuple[int, ...]  # lines whose number an earlier line already has: skipped


def normalise_phone(text: str) -> str:
    """``+7 (916) 123-45-67`` → ``+79161234567``; ``ValueError`` saying what is wrong otherwise."""
    phone = _FORMATTING.sub("", text)
    if not _PHONE.fullmatch(phone):
        raise ValueError(
            f"bad phone number {text!r} (3-15 digits, optionally after '+'; spaces, dashes, dots and brackets "
            "are ignored)"
        )
    return phone


def on_list(numbers: Collection[str], phone: str) -> bool:
    """Whether ``phone`` is on a do-not-call list read by ``read_do_not_call`` (with or without its '+')."""
    return phone.removeprefix("+") in numbers


@dataclass(frozen=True, slots=True)
class Fingerprint:
    """One version of a file: ``size`` and ``mtime_ns`` tell it from another without reading it; ``digest`` (of
    its bytes, filled in once they were read) tells a file rewritten with the same content."""

    size: int
    mtime_ns: int
    digest: str = ""

    def same_stamp(self, other: Fingerprint) -> bool:
        return (self.size, self.mtime_ns) == (other.size, other.mtime_ns)


def file_stamp(path: Path) -> Fingerprint:
    """The size and modification time of ``path`` (no digest: nothing is read)."""
    try:
        status = path.stat()
    except OSError as exc:
        raise DataFileError(str(path), [(0, f"cannot read file: {exc.strerror or exc}")]) from exc
    return Fingerprint(status.st_size, status.st_mtime_ns)


def parse_leads(campaign: str, text: str, file: str = "leads") -> LeadFile:
    """The leads of a CSV text (see the module docstring); ``DataFileError`` listing every bad line."""
    rows = _Rows(campaign, io.StringIO(text.removeprefix("\ufeff")), file)
    leads: list[Lead] = []
    first_line: dict[str, int] = {}
    duplicates: list[int] = []
    for line, lead in rows:
        if lead is None:
            continue
        if lead.phone in first_line:
            duplicates.append(line)
            continue
        first_line[lead.phone] = line
        leads.append(lead)
    rows.problems.raise_any(file)
    return LeadFile(tuple(leads), tuple(duplicates))


def read_leads(campaign: str, path: Path) -> LeadFile:
    return parse_leads(campaign, _read(path), str(path))


def read_leads_header(path: Path) -> tuple[str, ...]:
    """The columns of a leads file, from its first line alone; ``DataFileError`` if it cannot be read or the header
    is wrong (the rows are not read: ``check_leads_file`` does that)."""
    with LeadReader("", path) as reader:
        return reader.columns


def check_leads_file(campaign: str, path: Path) -> None:
    """Stream every row of a leads file; ``DataFileError`` listing every bad line (as ``read_leads``), in memory
    one batch at a time."""
    with LeadReader(campaign, path) as reader:
        while not reader.done:
            reader.read(CHECK_BATCH_ROWS)
        reader.problems.raise_any(reader.file)


class LeadReader:
    """One pass over a leads file on disk, ``read(rows)`` at a time (see the module docstring).

    Opening reads the header (``DataFileError`` at once if it is wrong or the file unreadable). Each ``read``
    returns the good leads of the next ``rows`` data rows; bad rows are collected in ``problems`` (raise them with
    ``problems.raise_any``). ``skip_duplicates``: a number met on an earlier row is left out and counted in
    ``duplicates`` (this keeps every number seen so far: one string per lead). Once ``done`` (the file is closed),
    ``digest`` is the hash of all its bytes."""

    def __init__(self, campaign: str, path: Path, *, skip_duplicates: bool = False) -> None:
        self.file = str(path)
        self._hash = hashlib.blake2b(digest_size=16)
        self._binary = _open(path)
        try:
            self._rows = _Rows(campaign, _lines(self._binary, self._hash, self.file), self.file)
        except BaseException:
            self._binary.close()
            raise
        self._records = iter(self._rows)
        self._seen: set[str] | None = set() if skip_duplicates else None
        self.duplicates = 0
        self.done = False

    @property
    def columns(self) -> tuple[str, ...]:
        return tuple(self._rows.columns)

    @property
    def rows(self) -> int:
        """Data rows read so far (blank ones included)."""
        return self._rows.count

    @property
    def problems(self) -> Problems:
        return self._rows.problems

    @property
    def digest(self) -> str:
        return self._hash.hexdigest()

    def read(self, rows: int) -> list[Lead]:
        leads: list[Lead] = []
        read = 0
        for _line, lead in itertools.islice(self._records, rows):
            read += 1
            if lead is None:
                continue
            if self._seen is not None:
                if lead.phone in self._seen:
                    self.duplicates += 1
                    continue
                self._seen.add(lead.phone)
            leads.append(lead)
        if read < rows:
            self.close()
        return leads

    def close(self) -> None:
        self.done = True
        self._seen = None
        self._binary.close()

    def __enter__(self) -> LeadReader:
        return self

    def __exit__(self, kind: type[BaseException] | None, error: BaseException | None,
                 traceback: TracebackType | None) -> None:
        self.close()


class Problems:
    """A file's bad lines: the first ``_MAX_PROBLEMS`` kept, the rest only counted (a wholly wrong file of a
    million rows must not fill memory or the screen)."""

    def __init__(self) -> None:
        self.kept: list[tuple[int, str]] = []
        self.more = 0

    def add(self, line: int, problem: str) -> None:
        if len(self.kept) < _MAX_PROBLEMS:
            self.kept.append((line, problem))
        else:
            self.more += 1

    def __len__(self) -> int:
        return len(self.kept) + self.more

    def raise_any(self, file: str) -> None:
        if self.more:
            raise DataFileError(file, [*self.kept, (0, f"... and {self.more} more bad lines")])
        if self.kept:
            raise DataFileError(file, self.kept)


class _Rows:
    """The rows of a leads CSV's lines: the header is read and checked at once; iterating gives each data row's
    first line and its lead (None: blank, or bad and added to ``problems``)."""

    def __init__(self, campaign: str, lines: Iterable[str], file: str) -> None:
        self._campaign, self._file = campaign, file
        self._reader = csv.reader(lines)
        header = self._next()
        columns = [column.strip() for column in header or []]
        self.columns = [column.lower() if column.lower() in (PHONE, NAME, TIMEZONE) else column for column in columns]
        _check_header(file, self.columns)
        self.problems = Problems()
        self.count = 0

    def __iter__(self) -> Iterator[tuple[int, Lead | None]]:
        columns, line = self.columns, self._reader.line_num
        while (row := self._next()) is not None:
            start, line = line + 1, self._reader.line_num  # a quoted field may span lines: report the row's first
            self.count += 1
            if not any(field.strip() for field in row):
                yield start, None
            elif len(row) > len(columns):
                self.problems.add(start, f"{len(row)} fields, but the header names {len(columns)} columns")
                yield start, None
            else:
                fields = [field.strip() for field in row] + [""] * (len(columns) - len(row))
                yield start, _lead(self._campaign, dict(zip(columns, fields, strict=True)), start, self.problems)

    def _next(self) -> list[str] | None:
        try:
            return next(self._reader, None)
        except csv.Error as exc:  # e.g. a field over the csv module's size limit: the rest cannot be split into rows
            raise DataFileError(self._file, [(self._reader.line_num, f"not a CSV row: {exc}")]) from exc


def _open(path: Path) -> BinaryIO:
    try:
        return path.open("rb")
    except OSError as exc:
        raise DataFileError(str(path), [(0, f"cannot read file: {exc.strerror or exc}")]) from exc


def _lines(binary: BinaryIO, digest: hashlib.blake2b, file: str) -> Iterator[str]:
    """The UTF-8 text lines of ``binary`` as ``Path.read_text`` would give them (BOM dropped, CR LF and CR read as
    LF), feeding every byte to ``digest``."""
    offset = 0
    for raw in binary:
        digest.update(raw)
        try:
            text = raw.decode("utf-8")
        except UnicodeDecodeError as exc:
            raise DataFileError(file, [(0, f"not UTF-8 text: {exc.reason} at byte {offset + exc.start}")]) from exc
        if offset == 0:
            text = text.removeprefix("\ufeff")
        offset += len(raw)
        if "\r" in text:
            yield from _LINE_ENDS.split(text.replace("\r\n", "\n").replace("\r", "\n"))
        else:
            yield text


def parse_do_not_call(text: str, file: str = "do-not-call") -> frozenset[str]:
    """The numbers of a do-not-call text, without leading '+' (match them with ``on_list``)."""
    numbers: set[str] = set()
    problems = Problems()
    for number, line in enumerate(text.removeprefix("\ufeff").splitlines(), start=1):
        entry = line.partition("#")[0].strip()
        if not entry:
            continue
        try:
            numbers.add(normalise_phone(entry).removeprefix("+"))
        except ValueError as exc:
            problems.add(number, str(exc))
    problems.raise_any(file)
    return frozenset(numbers)


def read_do_not_call(path: Path) -> frozenset[str]:
    return parse_do_not_call(_read(path), str(path))


def _check_header(file: str, columns: list[str]) -> None:
    problems: list[tuple[int, str]] = []
    if not columns:
        problems.append((1, f"no header row: expected column names, one of them {PHONE!r}"))
    elif PHONE not in columns:
        problems.append((1, f"no {PHONE!r} column (columns: {', '.join(columns)})"))
    for index, column in enumerate(columns):
        if not column:
            problems.append((1, f"column {index + 1} has no name"))
        elif column in columns[:index]:
            problems.append((1, f"column {column!r} named twice"))
    if problems:
        raise DataFileError(file, problems)


def _lead(campaign: str, values: dict[str, str], line: int, problems: Problems) -> Lead | None:
    phone, zone = values[PHONE], values.get(TIMEZONE, "")
    found = len(problems)
    if not phone:
        problems.add(line, "no phone number")
    else:
        try:
            phone = normalise_phone(phone)
        except ValueError as exc:
            problems.add(line, str(exc))
    if zone:
        try:
            time_zone(zone)
        except ValueError as exc:
            problems.add(line, str(exc))
    if len(problems) > found:
        return None
    extra = tuple((column, value) for column, value in values.items() if column not in (PHONE, NAME, TIMEZONE))
    return Lead(campaign, phone, name=values.get(NAME, ""), timezone=zone or None, extra=extra)


def _read(path: Path) -> str:
    try:
        return path.read_text(encoding="utf-8-sig")
    except OSError as exc:
        raise DataFileError(str(path), [(0, f"cannot read file: {exc.strerror or exc}")]) from exc
    except UnicodeDecodeError as exc:
        raise DataFileError(str(path), [(0, f"not UTF-8 text: {exc.reason} at byte {exc.start}")]) from exc
