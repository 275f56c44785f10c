"""What the section readers share: the environment pseudo-file, reading a directory of YAML files, names,
flags and lists of unique names."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

from ccswitch.config import _fields as f
from ccswitch.config._reader import Issues, Node

ENV_FILE = "environment"


def _yaml_files(issues: Issues, directory: Path, kind: str) -> list[Node]:
    """Every ``*.yaml`` in ``directory`` that reads; if one does not, the ``kind`` names are not all known."""
    if not directory.is_dir():
        issues.add(issues.display(directory), "", "directory not found")
        issues.unknowable.add(kind)
        return []
    nodes = [issues.read_yaml(path) for path in sorted(directory.glob("*.yaml"))]
    if None in nodes:
        issues.unknowable.add(kind)
    return [node for node in nodes if node is not None]


def _optional_entries(issues: Issues, file: Path) -> Iterator[tuple[str, Node]]:
    """The ``<name>: {...}`` entries of an optional file: none when it is absent (or unreadable: reported)."""
    if not file.exists():
        return
    top = issues.read_yaml(file)
    if top is None:
        return
    for raw_name, raw in top.data.items():
        name = str(raw_name)
        node = top.child(name, raw)
        if node is not None and _name(top, name):
            yield name, node


def _name(parent: Node, name: Any) -> bool:
    problem = f.NAME.check(str(name))
    if problem:
        parent.error(name, f"bad name: {problem}")
    return problem is None


def _unique(node: Node, key: str, names: list[str]) -> None:
    seen: set[str] = set()
    for name in names:
        if name in seen:
            node.error(key, f"name {name!r} used twice")
        seen.add(name)
