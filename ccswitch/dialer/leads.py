"""Leads: the record kept for each number a campaign dials, and the files leads come from.

A leads CSV has a header row naming its columns: ``phone`` (required), ``name``, ``timezone`` (an IANA name such
as Asia/Vladivostok; empty: the campaign's) and any others, kept in order as the lead's custom fields. Numbers
are normalised as on a do-not-call list (``ccswitch.phone_numbers``). Every bad line is reported with its line
number in one ``DataFileError``.

A leads file may hold millions of rows, so it is never read whole: ``read_leads_header`` reads its first line
(what ``ccswitch.campaign_files`` checks at load), and a ``LeadReader`` streams it a batch of rows at a time,
holding one batch, hashing the bytes as they go by (the file's ``Fingerprint``). ``check_leads_file`` is one such
pass that keeps nothing (``ccswitch check``); ``ccswitch.lead_import`` makes two (check every line, then import).
``parse_leads`` and ``read_leads`` give a small file's leads at once.
"""

from __future__ import annotations

import csv
import hashlib
import io
import itertools
import re
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path
from types import TracebackType
from typing import BinaryIO

from ccswitch.errors import DataFileError
from ccswitch.outbound import DialOutcome as DialOutcome
from ccswitch.outbound import Lead as Lead
from ccswitch.outbound import LeadState as LeadState
from ccswitch.phone_numbers import Problems, read_text
from ccswitch.phone_numbers import normalise_phone as normalise_phone
from ccswitch.validators import time_zone

PHONE, NAME, TIMEZONE = "phone", "name", "timezone"
CHECK_BATCH_ROWS = 10_000  # rows a check holds at once
_LINE_ENDS = re.compile(r"(?<=\n)(?=.)", re.DOTALL)  # between a line's end and the next line


@dataclass(frozen=True, slots=True)
class LeadFile:
    leads: tuple[Lead, ...]
    duplicates: tuple[int, ...]  # lines whose number an earlier line already has: skipped


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
    return parse_leads(campaign, read_text(path), str(path))


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
