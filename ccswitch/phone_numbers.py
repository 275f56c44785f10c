"""Phone numbers as people type them, and do-not-call lists: what the configuration (which reads the lists) and
the dialler (which reads leads) share, so that neither imports the other.

A number is normalised alike everywhere (spaces, dashes, dots and brackets dropped; 3-15 digits left, optionally
after one leading '+'). A do-not-call list has one number per line; ``#`` starts a comment; a number on a list
matches a lead with or without the '+'. Every bad line of a file is reported with its line number in one
``DataFileError``.
"""

from __future__ import annotations

import re
from collections.abc import Collection
from pathlib import Path

from ccswitch.errors import DataFileError

_PHONE = re.compile(r"\+?[0-9]{3,15}")
_FORMATTING = re.compile(r"[\s().-]")
_MAX_PROBLEMS = 20  # a wholly wrong file should not print a line per row


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
    return parse_do_not_call(read_text(path), str(path))


def read_text(path: Path) -> str:
    try:
        return path.read_text(encoding="utf-8-sig")
    except OSError as exc:
        raise DataFileError(str(path), [(0, f"cannot read file: {exc.strerror or exc}")]) from exc
    except UnicodeDecodeError as exc:
        raise DataFileError(str(path), [(0, f"not UTF-8 text: {exc.reason} at byte {exc.start}")]) from exc
