"""The simulator's modules import one another one way only (ccswitch/sim, read with ``ast``, nothing imported).

Every import a module makes outside a function counts, ``if TYPE_CHECKING:`` ones too (a type is a dependency as
much as a call is); an import of a simulator module inside a function is refused outright, as it is the usual way
to hide a cycle from the interpreter.
"""

from __future__ import annotations

import ast
from collections.abc import Iterator, Mapping
from pathlib import Path

import pytest

import ccswitch.sim

PACKAGE = "ccswitch.sim"
SIM = Path(ccswitch.sim.__file__).parent


def module_name(path: Path) -> str:
    parts = path.relative_to(SIM).with_suffix("").parts
    return ".".join([PACKAGE, *parts[:-1]] if parts[-1] == "__init__" else [PACKAGE, *parts])


MODULES = {module_name(path): path for path in sorted(SIM.rglob("*.py"))}


def imported(node: ast.Import | ast.ImportFrom) -> list[str]:
    """The simulator modules an import statement names: ``from ccswitch.sim import wire`` names the module
    ``ccswitch.sim.wire``, ``from ccswitch.sim import SimSwitch`` the package itself."""
    if isinstance(node, ast.Import):
        names = [alias.name for alias in node.names]
    else:
        assert node.level == 0, "the simulator uses absolute imports"
        base = node.module or ""
        names = [f"{base}.{alias.name}" if f"{base}.{alias.name}" in MODULES else base for alias in node.names]
    return sorted({name for name in names if name in MODULES})


def imports(tree: ast.Module) -> Iterator[tuple[ast.Import | ast.ImportFrom, bool]]:
    """Every import statement with whether it runs inside a function (or a method)."""

    def visit(node: ast.AST, in_function: bool) -> Iterator[tuple[ast.Import | ast.ImportFrom, bool]]:
        for child in ast.iter_child_nodes(node):
            if isinstance(child, ast.Import | ast.ImportFrom):
                yield child, in_function
            inside = in_function or isinstance(child, ast.FunctionDef | ast.AsyncFunctionDef | ast.Lambda)
            yield from visit(child, inside)

    return visit(tree, False)


def graph() -> tuple[dict[str, set[str]], list[str]]:
    """Module -> the simulator modules it imports at module level; and every function-level import of one."""
    edges: dict[str, set[str]] = {name: set() for name in MODULES}
    hidden = []
    for name, path in MODULES.items():
        for node, in_function in imports(ast.parse(path.read_text(), str(path))):
            targets = [target for target in imported(node) if target != name]
            if in_function and targets:
                hidden.append(f"{path.relative_to(SIM)}:{node.lineno} imports {', '.join(targets)} in a function")
            elif not in_function:
                edges[name].update(targets)
    return edges, hidden


def cycles(edges: Mapping[str, set[str]]) -> list[list[str]]:
    """The strongly connected components of more than one module (Tarjan), each sorted: the import cycles."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    found = []

    def connect(node: str) -> None:
        index[node] = low[node] = len(index)
        stack.append(node)
        for target in sorted(edges[node]):
            if target not in index:
                connect(target)
                low[node] = min(low[node], low[target])
            elif target in stack:
                low[node] = min(low[node], index[target])
        if low[node] == index[node]:
            component = []
            while True:
                member = stack.pop()
                component.append(member)
                if member == node:
                    break
            if len(component) > 1:
                found.append(sorted(component))

    for node in sorted(edges):
        if node not in index:
            connect(node)
    return found


def test_the_simulator_modules_import_one_another_one_way() -> None:
    edges, _ = graph()
    assert cycles(edges) == []


def test_no_simulator_module_is_imported_inside_a_function() -> None:
    _, hidden = graph()
    assert hidden == []


@pytest.mark.parametrize(
    ("edges", "expected"),
    [
        ({"a": {"b"}, "b": {"c"}, "c": set()}, []),
        ({"a": {"b"}, "b": {"a"}, "c": {"a"}}, [["a", "b"]]),
        ({"a": {"b"}, "b": {"c"}, "c": {"a"}, "d": {"d"}}, [["a", "b", "c"]]),
    ],
)
def test_cycles_are_found(edges: dict[str, set[str]], expected: list[list[str]]) -> None:
    assert cycles(edges) == expected


def test_type_checking_and_function_level_imports_are_seen() -> None:
    tree = ast.parse(
        "from typing import TYPE_CHECKING\n"
        "if TYPE_CHECKING:\n"
        "    from ccswitch.sim.switch import SimSwitch\n"
        "def f() -> None:\n"
        "    from ccswitch.sim import wire, SimSwitch\n"
    )
    seen = [(imported(node), in_function) for node, in_function in imports(tree)]
    assert seen == [([], False), (["ccswitch.sim.switch"], False), (["ccswitch.sim", "ccswitch.sim.wire"], True)]
