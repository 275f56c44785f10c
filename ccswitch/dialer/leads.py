"""Leads: the record kept for each number a campaign dials, and the files leads come from.

A leads CSV has a header row naming its columns: ``phone`` (required), ``name``, ``timezone`` (an IANA name such
as Asia/Vladivostok; empty: the campaign's) and any others, kept in order as the lead's custom fields. A
do-not-call list has one number per line; ``#`` starts a comment. Both normalise numbers alike (spaces, dashes,
dots and brackets dropped; 3-15 digits left, optionally after one leading '+'), and a number on a list matches a
lead with or without the '+'. Every bad line is reported with its line number in one ``DataFileError``.
"""

from __future__ import annotations

import csv
import enum
import io
import re
from collections.abc import Collection
from dataclasses import dataclass
from pathlib import Path

from ccswitch.clock import time_zone
from ccswitch.errors import DataFileError

PHONE, NAME, TIMEZONE = "phone", "name", "timezone"
_PHONE = re.compile(r"\+?[0-9]{3,15}")
_FORMATTING = re.compile(r"[\s().-]")
_MAX_PROBLEMS = 20  # a wholly wrong file should not print a line per row


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


def parse_leads(campaign: str, text: str, file: str = "leads") -> LeadFile:
    """The leads of a CSV text (see the module docstring); ``DataFileError`` listing every bad line."""
    reader = csv.reader(io.StringIO(text.removeprefix("\ufeff")))
    header = next(reader, None)
    columns = [column.strip() for column in header or []]
    columns = [column.lower() if column.lower() in (PHONE, NAME, TIMEZONE) else column for column in columns]
    _check_header(file, columns)
    leads: list[Lead] = []
    first_line: dict[str, int] = {}
    duplicates: list[int] = []
    problems: list[tuple[int, str]] = []
    line = reader.line_num
    for row in reader:
        start, line = line + 1, reader.line_num  # a quoted field may span lines: report the row's first
        if not any(field.strip() for field in row):
            continue
        if len(row) > len(columns):
            problems.append((start, f"{len(row)} fields, but the header names {len(columns)} columns"))
            continue
        values = dict(zip(columns, [field.strip() for field in row] + [""] * (len(columns) - len(row)), strict=True))
        lead = _lead(campaign, values, start, problems)
        if lead is None:
            continue
        if lead.phone in first_line:
            duplicates.append(start)
            continue
        first_line[lead.phone] = start
        leads.append(lead)
    if problems:
        raise DataFileError(file, _shortened(problems))
    return LeadFile(tuple(leads), tuple(duplicates))


def read_leads(campaign: str, path: Path) -> LeadFile:
    return parse_leads(campaign, _read(path), str(path))


def parse_do_not_call(text: str, file: str = "do-not-call") -> frozenset[str]:
    """The numbers of a do-not-call text, without leading '+' (match them with ``on_list``)."""
    numbers: set[str] = set()
    problems: list[tuple[int, str]] = []
    for number, line in enumerate(text.removeprefix("\ufeff").splitlines(), start=1):
        entry = line.partition("#")[0].strip()
        if not entry:
            continue
        try:
            numbers.add(normalise_phone(entry).removeprefix("+"))
        except ValueError as exc:
            problems.append((number, str(exc)))
    if problems:
        raise DataFileError(file, _shortened(problems))
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


def _lead(campaign: str, values: dict[str, str], line: int, problems: list[tuple[int, str]]) -> Lead | None:
    phone, zone = values[PHONE], values.get(TIMEZONE, "")
    found = len(problems)
    if not phone:
        problems.append((line, "no phone number"))
    else:
        try:
            phone = normalise_phone(phone)
        except ValueError as exc:
            problems.append((line, str(exc)))
    if zone:
        try:
            time_zone(zone)
        except ValueError as exc:
            problems.append((line, str(exc)))
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


def _shortened(problems: list[tuple[int, str]]) -> list[tuple[int, str]]:
    if len(problems) <= _MAX_PROBLEMS:
        return problems
    return [*problems[:_MAX_PROBLEMS], (0, f"... and {len(problems) - _MAX_PROBLEMS} more bad lines")]
