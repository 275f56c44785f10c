"""Reading YAML into checked values while collecting every problem (not stopping at the first).

``Issues`` gathers ``ConfigError``s; ``Node`` is one YAML mapping plus where it sits (file, key path), with
typed getters that record a problem and return a harmless fallback, so one pass reports everything wrong.
"""

from __future__ import annotations

import difflib
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml

from ccswitch.errors import ConfigError


class _Loader(yaml.SafeLoader):
    """SafeLoader that refuses duplicate keys and keeps numbers with leading zeros (``0123``) as text.

    YAML 1.1 reads ``0123`` as octal 83 and ``18:00`` as 1080: a DID or an extension must never change so.
    Only plain decimals become integers; any other int-looking scalar stays a string.
    """

    def construct_mapping(self, node: yaml.MappingNode, deep: bool = False) -> dict[Any, Any]:
        seen: set[Any] = set()
        for key_node, _ in node.value:
            key = self.construct_object(key_node, deep=deep)
            if key in seen:
                raise yaml.constructor.ConstructorError(
                    None, None, f"duplicate key {key!r}", key_node.start_mark
                )
            seen.add(key)
        return super().construct_mapping(node, deep=deep)

    def int_or_text(self, node: yaml.ScalarNode) -> int | str:
        text = str(self.construct_scalar(node))
        return int(text) if re.fullmatch(r"-?(0|[1-9][0-9]*)", text) else text

    def date_or_text(self, node: yaml.ScalarNode) -> Any:
        """A date-like scalar that is no real day (``2026-02-30``) stays text for the checks to report, rather
        than stopping the read with a ValueError."""
        try:
            return self.construct_yaml_timestamp(node)
        except ValueError:
            return str(self.construct_scalar(node))


_Loader.add_constructor("tag:yaml.org,2002:int", _Loader.int_or_text)
_Loader.add_constructor("tag:yaml.org,2002:timestamp", _Loader.date_or_text)
_Loader.add_constructor("tag:yaml.org,2002:map", _Loader.construct_mapping)

# A configuration file is hand-written: the largest shipped one is a few KB. These bound what a broken or hostile
# file can cost before anything is built from it (PyYAML parses ~1 MB/s in pure Python).
MAX_YAML_BYTES = 4 * 1024 * 1024
# Nodes with every alias expanded, as the checks walk them: an "alias bomb" (a: [x, x, …], b: [*a, *a, …], …) is
# a few hundred bytes that expand to billions of nodes.
MAX_YAML_NODES = 1_000_000


class _TooLarge(Exception):
    """The document is well-formed but too big or too deep to build."""


def _load_yaml(text: str) -> Any:
    """The document in ``text``; _TooLarge if it would expand past MAX_YAML_NODES or nests too deeply."""
    loader = _Loader(text)
    try:
        node = loader.get_single_node()
        if node is None:
            return None
        if _expanded_size(node, {}) > MAX_YAML_NODES:
            raise _TooLarge(f"aliases expand the document to over {MAX_YAML_NODES:,} nodes")
        return loader.construct_document(node)
    except RecursionError as exc:  # PyYAML composes and constructs recursively
        raise _TooLarge("the document nests too deeply") from exc
    finally:
        loader.dispose()


def _expanded_size(node: yaml.Node, sizes: dict[int, int]) -> int:
    """How many nodes ``node`` stands for once every alias is expanded: each distinct node is counted once and
    its size reused wherever an alias repeats it, so this is linear in the file, not in the expansion."""
    known = sizes.get(id(node))
    if known is not None:
        return known
    sizes[id(node)] = MAX_YAML_NODES + 1  # a node reached again while counting itself: a recursive alias
    if isinstance(node, yaml.SequenceNode):
        size = 1 + sum(_expanded_size(child, sizes) for child in node.value)
    elif isinstance(node, yaml.MappingNode):
        size = 1 + sum(_expanded_size(key, sizes) + _expanded_size(value, sizes) for key, value in node.value)
    else:
        size = 1
    sizes[id(node)] = size = min(size, MAX_YAML_NODES + 1)
    return size


def display_path(path: Path, base: Path) -> str:
    """``path`` as messages show it: relative to ``base`` (the config directory's parent) when under it."""
    try:
        return path.resolve().relative_to(base.resolve()).as_posix()
    except ValueError:
        return str(path)


class Issues:
    """Every problem found so far; file names shown relative to ``base`` (the config directory's parent)."""

    def __init__(self, base: Path) -> None:
        self.base = base
        self.errors: list[ConfigError] = []
        # Kinds of names ("queue", "menu") whose defining file did not read: references to them go unchecked,
        # so one YAML typo does not also flag every use of the names it defines.
        self.unknowable: set[str] = set()

    def display(self, path: Path) -> str:
        return display_path(path, self.base)

    def add(self, file: str, key_path: str, problem: str) -> None:
        self.errors.append(ConfigError(file, key_path, problem))

    def read_yaml(self, path: Path) -> Node | None:
        """The file's top-level mapping (empty file = empty mapping), or None after recording why not."""
        file = self.display(path)
        try:
            size = path.stat().st_size
            if size > MAX_YAML_BYTES:
                self.add(file, "", f"file is {size:,} bytes; a configuration file may have at most "
                                   f"{MAX_YAML_BYTES:,}")
                return None
            text = path.read_text(encoding="utf-8")
        except OSError as exc:
            self.add(file, "", f"cannot read file: {exc.strerror or exc}")
            return None
        except UnicodeDecodeError as exc:
            self.add(file, "", f"not UTF-8 text: {exc.reason} at byte {exc.start}")
            return None
        try:
            data = _load_yaml(text)
        except _TooLarge as exc:
            self.add(file, "", str(exc))
            return None
        except yaml.MarkedYAMLError as exc:
            mark = exc.problem_mark or exc.context_mark
            where = f" at line {mark.line + 1}, column {mark.column + 1}" if mark else ""
            self.add(file, "", f"YAML syntax error{where}: {exc.problem or exc.context}")
            return None
        except yaml.YAMLError as exc:
            self.add(file, "", f"YAML syntax error: {exc}")
            return None
        if data is None:
            data = {}
        if not isinstance(data, dict):
            self.add(file, "", f"expected a mapping at the top level, got {_kind(data)}")
            return None
        return Node(self, file, "", data)


class _Required:
    pass


REQUIRED: Any = _Required()


@dataclass(frozen=True, slots=True)
class Token:
    """A value that reaches FreeSWITCH commands: what it may contain, said in words for the error message."""

    pattern: re.Pattern[str]
    allowed: str

    def check(self, value: str) -> str | None:
        if self.pattern.fullmatch(value):
            return None
        return f"unsafe value {value!r} (allowed: {self.allowed})"


@dataclass(frozen=True, slots=True)
class Node:
    issues: Issues
    file: str
    path: str
    data: Mapping[Any, Any]

    def at(self, key: object) -> str:
        part = f"[{key}]" if isinstance(key, int) else str(key)
        if not self.path:
            return part
        return f"{self.path}{part}" if isinstance(key, int) else f"{self.path}.{part}"

    def error(self, key: object, problem: str) -> None:
        self.issues.add(self.file, self.at(key) if key is not None else self.path, problem)

    def known(self, keys: Iterable[str]) -> None:
        """Record an error for every key not in ``keys`` (typos like ``max_wiat_s``)."""
        known = sorted(keys)
        for key in self.data:
            if key in known:
                continue
            close = difflib.get_close_matches(str(key), known, n=1)
            hint = f", did you mean {close[0]!r}?" if close else ""
            self.error(key, f"unknown key{hint} (known: {', '.join(known)})")

    def raw(self, key: str) -> Any:
        return self.data.get(key)

    def child(self, key: object, value: Any) -> Node | None:
        """``value`` (found at ``key``) as a Node, or None after recording that it is not a mapping."""
        if isinstance(value, dict):
            return Node(self.issues, self.file, self.at(key), value)
        self.error(key, f"expected a mapping, got {_kind(value)}")
        return None

    def section(self, key: str) -> Node:
        """Optional sub-mapping: absent or broken reads as empty (a broken one is reported)."""
        value = self.data.get(key)
        node = Node(self.issues, self.file, self.at(key), {}) if value is None else self.child(key, value)
        return node or Node(self.issues, self.file, self.at(key), {})

    def text(
        self, key: str, default: Any = REQUIRED, *, token: Token | None = None, numbers: bool = False
    ) -> str:
        """A string (``numbers``: a bare YAML integer such as an extension is read as its digits)."""
        value = self.data.get(key)
        fallback = "" if default is REQUIRED or default is None else default
        if value is None:
            if default is REQUIRED:
                self.error(key, "missing")
            return fallback
        if numbers and isinstance(value, int) and not isinstance(value, bool):
            value = str(value)
        if not isinstance(value, str) or not value:
            self.error(key, f"expected a non-empty string, got {_kind(value)}")
            return fallback
        problem = token.check(value) if token else None
        if problem:
            self.error(key, problem)
        return value

    def optional_text(self, key: str, *, token: Token | None = None) -> str | None:
        return self.text(key, None, token=token) if self.data.get(key) is not None else None

    def integer(self, key: str, default: Any, low: int, high: int) -> int:
        value = self.data.get(key)
        if value is None:
            if default is REQUIRED:
                self.error(key, "missing")
                return low
            return int(default)
        if isinstance(value, bool) or not isinstance(value, int):
            self.error(key, f"expected an integer, got {_kind(value)}")
            return low
        if not low <= value <= high:
            self.error(key, f"{value} is out of range {low}..{high}")
            return low
        return value

    def optional_integer(self, key: str, low: int, high: int) -> int | None:
        return self.integer(key, None, low, high) if self.data.get(key) is not None else None

    def flag(self, key: str, default: bool) -> bool:
        value = self.raw(key)
        if value is None:
            return default
        if not isinstance(value, bool):
            self.error(key, f"expected true or false, got {value!r}")
            return default
        return value

    def choice(self, key: str, default: str, choices: Iterable[str]) -> str:
        allowed = tuple(choices)
        value = self.data.get(key, default)
        if value not in allowed:
            self.error(key, f"{value!r} is not one of: {', '.join(allowed)}")
            return default
        return str(value)

    def items(self, key: str) -> list[Any]:
        """A list; a single value reads as a list of one (``did: "8800"`` or ``did: ["8800", "8801"]``)."""
        value = self.data.get(key)
        if value is None:
            return []
        return list(value) if isinstance(value, list) else [value]


def _kind(value: Any) -> str:
    if value is None:
        return "nothing"
    if isinstance(value, str):
        return f"string {value!r}"
    if isinstance(value, bool):
        return f"boolean {value}"
    if isinstance(value, int | float):
        return f"number {value}"
    if isinstance(value, list):
        return "a list"
    if isinstance(value, dict):
        return "a mapping"
    return type(value).__name__
