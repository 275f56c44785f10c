"""The dialler sees the ACD only through its own protocol (``ccswitch.dialer.acd_port``): no module of it imports
the engine or the shell around it."""

from __future__ import annotations

import ast
from pathlib import Path

DIALLER = Path(__file__).resolve().parents[2] / "ccswitch" / "dialer"
FORBIDDEN = ("ccswitch.engine", "ccswitch.controller", "ccswitch.executor", "ccswitch.metrics", "ccswitch.http")


def imported_modules(source: str) -> set[str]:
    names: set[str] = set()
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.Import):
            names.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module is not None and node.level == 0:
            names.add(node.module)
    return names


def test_imported_modules_sees_plain_and_from_imports_at_any_depth() -> None:
    source = "import ccswitch.engine as e\ndef f():\n    from ccswitch.metrics import x\n"
    assert imported_modules(source) == {"ccswitch.engine", "ccswitch.metrics"}


def test_no_module_of_the_dialler_imports_the_engine_or_the_shell() -> None:
    offending = {
        (path.name, name)
        for path in sorted(DIALLER.glob("*.py"))
        for name in imported_modules(path.read_text(encoding="utf-8"))
        if any(name == forbidden or name.startswith(f"{forbidden}.") for forbidden in FORBIDDEN)
    }
    assert (DIALLER / "acd_port.py").exists()  # the folder is the dialler's
    assert offending == set()
