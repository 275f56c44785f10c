"""Dependencies point one way, read from the source (``ast``), every module under ``ccswitch/``:

(a) the pure core imports no shell module, directly or through what it imports;
(b) the configuration imports neither the ESL layer, the dialler, the ACD's decision modules nor the engine, and
    reaches no shell module;
(c) no ccswitch module imports itself again through others (an import cycle);
(d) only the composition root imports the engine.

What counts as an import: every ``import`` and ``from … import`` in a module, in function bodies too (a
function-level import dodges a cycle at load time, not the dependency), but not under ``if TYPE_CHECKING:``
(annotations only, never run). ``import a.b.c`` runs ``a/__init__`` and ``a/b/__init__`` first, so importing a
module also imports each package above it that the importer is not inside itself.
"""

from __future__ import annotations

import ast
from collections.abc import Iterable, Mapping
from functools import cache
from pathlib import Path

PACKAGE = Path(__file__).resolve().parents[1] / "ccswitch"

Graph = Mapping[str, frozenset[str]]

# Each module or package here decides without I/O of its own: time and state come in as arguments, effects and new
# state go out as data; the shell (below) does the reading, writing and waiting.
PURE_CORE = {
    "ccswitch.routing": "dialplan matching and IVR steps: (menu, digits, now) -> next step and effects",
    "ccswitch.acd": "agent state machine, queue order, agent choice: tables and functions of (state, event, now)",
    "ccswitch.media": "recording, monitoring and call-control decisions, returned as effects",
    "ccswitch.chat": "the chatbot: (bot, conversation, message, now) -> replies and maybe a handover",
    "ccswitch.dialer.pacing": "the pacer: counts and estimates in, lines to dial out",
    "ccswitch.dialer.leads": "the leads file's line rules (it reads only the file it is handed)",
    "ccswitch.dialer.campaign": "lead and campaign-run transitions",
    "ccswitch.effects": "effects as data, carried out by the executor",
    "ccswitch.errors": "the exception tree",
    "ccswitch.validators": "checks of values that go into FreeSWITCH commands, shared by config, core and esl",
    "ccswitch.phone_numbers": "phone-number and do-not-call rules, shared by config and the dialler",
    "ccswitch.outbound": "outbound limits and the records the store keeps, shared by config, store and dialler",
    "ccswitch.sentinel_url": "parsing a redis+sentinel:// URL, shared by config and the store",
    "ccswitch.admission": "whether a caller is taken in, from the node's limits and counts",
    "ccswitch.erlang": "staffing arithmetic",
    "ccswitch.feature_codes": "desk-phone feature codes: digits -> action",
    "ccswitch.gone_channels": "which channels the switch said are gone",
    "ccswitch.documents": "where a document's SIP MESSAGE goes, its text, what the switch's answer means",
}

# Modules that talk to the world: sockets, Redis, SQLite, greenlets, the clock, the terminal, the simulator.
SHELL = (
    "ccswitch.esl", "ccswitch.store", "ccswitch.executor", "ccswitch.controller", "ccswitch.http", "ccswitch.cli",
    "ccswitch.sim", "ccswitch.engine", "ccswitch.metrics", "ccswitch.clock", "ccswitch.demo", "ccswitch.lead_import",
    "ccswitch.switch_probe", "ccswitch.web", "ccswitch.history", "ccswitch.webchat",
    "redis", "gevent", "socket", "sqlite3", "prometheus_client", "click",
)

CONFIG = "ccswitch.config"
# The configuration builds value types the domains define (routing steps, waiting and recording policies) but knows
# nothing of the switch's protocol, the dialler, how the ACD decides, or the engine.
CONFIG_MUST_NOT_IMPORT = (
    "ccswitch.esl", "ccswitch.dialer", "ccswitch.acd.agents", "ccswitch.acd.router", "ccswitch.acd.offer_failures",
    "ccswitch.engine",
)

ENGINE = "ccswitch.engine"
COMPOSITION_ROOT = "ccswitch.controller"  # wires the engine to the switch, the store, the dialler and the metrics



def module_name(path: Path) -> str:
    parts = list(path.relative_to(PACKAGE.parent).with_suffix("").parts)
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts)


def imports_of(source: str, module: str, modules: Iterable[str]) -> frozenset[str]:
    """What running ``source`` (the module ``module``) imports: ccswitch modules by their full name (a name that is
    not a module stands for the module that defines it), anything else by its top-level name."""
    known = set(modules)
    tree = ast.parse(source)
    for node in ast.walk(tree):
        if isinstance(node, ast.If) and _is_type_checking(node.test):
            node.body = []
    found: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            names = [alias.name for alias in node.names]
        elif isinstance(node, ast.ImportFrom) and node.module is not None:
            assert node.level == 0, f"{module}: relative import"
            names = [f"{node.module}.{alias.name}" for alias in node.names]
            names = [name if name in known else node.module for name in names]
        else:
            continue
        for name in names:
            found |= _with_packages(_defining_module(name, known), module) if name.startswith("ccswitch") else {
                name.partition(".")[0]}
    return frozenset(found)


def _is_type_checking(test: ast.expr) -> bool:
    return isinstance(test, ast.Name | ast.Attribute) and ast.unparse(test).endswith("TYPE_CHECKING")


def _defining_module(name: str, known: set[str]) -> str:
    while name not in known and "." in name:
        name = name.rpartition(".")[0]
    return name


def _with_packages(module: str, importer: str) -> set[str]:
    parts = module.split(".")
    packages = {".".join(parts[:end]) for end in range(1, len(parts))}
    return {module} | {package for package in packages if not _within(importer, package)}


def _within(module: str, prefix: str) -> bool:
    return module == prefix or module.startswith(f"{prefix}.")


@cache
def import_graph() -> Graph:
    paths = {module_name(path): path for path in PACKAGE.rglob("*.py")}
    return {module: imports_of(path.read_text(encoding="utf-8"), module, paths) for module, path in paths.items()}


def path_to(graph: Graph, start: str, forbidden: Iterable[str]) -> list[str] | None:
    """The shortest chain of imports from ``start`` to a module within one of ``forbidden``; None if none."""
    targets = tuple(forbidden)
    came_from: dict[str, str | None] = {start: None}
    frontier = [start]
    while frontier:
        following: list[str] = []
        for module in frontier:
            if any(_within(module, target) for target in targets):
                chain = [module]
                while (previous := came_from[chain[-1]]) is not None:
                    chain.append(previous)
                return chain[::-1]
            for imported in sorted(graph.get(module, ())):
                if imported not in came_from:
                    came_from[imported] = module
                    following.append(imported)
        frontier = following
    return None


def pure_core_violations(graph: Graph) -> list[str]:
    return [" -> ".join(chain) for module in sorted(graph) if any(_within(module, core) for core in PURE_CORE)
            if (chain := path_to(graph, module, SHELL)) is not None]


def config_violations(graph: Graph) -> list[str]:
    found = [f"{module} -> {imported}" for module in sorted(graph) if _within(module, CONFIG)
             for imported in sorted(graph[module]) if any(_within(imported, bad) for bad in CONFIG_MUST_NOT_IMPORT)]
    return found + [" -> ".join(chain) for module in sorted(graph) if _within(module, CONFIG)
                    if (chain := path_to(graph, module, SHELL)) is not None]


def engine_importers(graph: Graph) -> set[tuple[str, str]]:
    """(importer, the engine) for every module outside the engine but the composition root that imports it or any
    of its submodules (which runs the engine package first)."""
    return {(module, ENGINE) for module, imports in graph.items()
            if ENGINE in imports and not _within(module, ENGINE) and module != COMPOSITION_ROOT}


def cycles(graph: Graph) -> list[frozenset[str]]:
    """Every set of ccswitch modules that import each other, however indirectly (Tarjan's strongly connected
    components, iterative)."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    found: list[frozenset[str]] = []
    for root in sorted(graph):
        if root in index:
            continue
        work = [(root, iter(sorted(graph[root])))]
        index[root] = low[root] = len(index)
        stack.append(root)
        on_stack.add(root)
        while work:
            module, children = work[-1]
            child = next((each for each in children if each in graph), None)
            if child is not None:
                if child not in index:
                    index[child] = low[child] = len(index)
                    stack.append(child)
                    on_stack.add(child)
                    work.append((child, iter(sorted(graph[child]))))
                elif child in on_stack:
                    low[module] = min(low[module], index[child])
                continue
            work.pop()
            if work:
                parent = work[-1][0]
                low[parent] = min(low[parent], low[module])
            if low[module] == index[module]:
                component = set()
                while True:
                    member = stack.pop()
                    on_stack.discard(member)
                    component.add(member)
                    if member == module:
                        break
                if len(component) > 1 or module in graph[module]:
                    found.append(frozenset(component))
    return found


def test_the_pure_core_imports_no_shell_module() -> None:
    assert pure_core_violations(import_graph()) == []


def test_the_configuration_imports_no_esl_dialler_acd_decisions_or_engine() -> None:
    assert config_violations(import_graph()) == []


def test_only_the_composition_root_imports_the_engine() -> None:
    assert engine_importers(import_graph()) == set()


def test_no_import_cycle() -> None:
    assert cycles(import_graph()) == []


def test_every_pure_core_entry_names_modules_that_exist() -> None:
    modules = set(import_graph())
    assert [core for core in PURE_CORE if not any(_within(module, core) for module in modules)] == []


# The checks themselves, on small graphs: each rule catches what it is for, through packages and function bodies.


def graph_of(sources: Mapping[str, str]) -> Graph:
    return {module: imports_of(source, module, sources) for module, source in sources.items()}


def test_a_pure_module_reaching_the_shell_through_another_is_caught() -> None:
    graph = graph_of({
        "ccswitch.media": "",
        "ccswitch.media.control": "from ccswitch import validators\n",
        "ccswitch.validators": "def f():\n    from ccswitch.esl import commands\n",
        "ccswitch.esl": "import gevent\n",
        "ccswitch.esl.commands": "",
    })
    assert pure_core_violations(graph) == [
        "ccswitch.media.control -> ccswitch.validators -> ccswitch.esl",
        "ccswitch.validators -> ccswitch.esl",
    ]


def test_an_import_under_type_checking_is_not_one() -> None:
    source = "from typing import TYPE_CHECKING\nif TYPE_CHECKING:\n    from ccswitch.store import Store\n"
    assert imports_of(source, "ccswitch.acd.router", {"ccswitch.acd.router", "ccswitch.store"}) == {"typing"}


def test_the_configuration_importing_the_dialler_is_caught() -> None:
    graph = graph_of({
        "ccswitch.config": "from ccswitch.config import loader\n",
        "ccswitch.config.loader": "from ccswitch.dialer.leads import read_leads_header\n",
        "ccswitch.dialer": "",
        "ccswitch.dialer.leads": "",
    })
    assert config_violations(graph) == [
        "ccswitch.config.loader -> ccswitch.dialer", "ccswitch.config.loader -> ccswitch.dialer.leads"]


def test_a_cycle_through_a_package_init_is_caught() -> None:
    graph = graph_of({
        "ccswitch.a": "from ccswitch.a import x\n",
        "ccswitch.a.x": "from ccswitch.b import y\n",
        "ccswitch.b": "",
        "ccswitch.b.y": "import ccswitch.a.x\n",
        "ccswitch.c": "from ccswitch.b import y\n",
    })
    assert cycles(graph) == [frozenset({"ccswitch.a", "ccswitch.a.x", "ccswitch.b.y"})]


def test_an_engine_import_outside_the_composition_root_is_caught() -> None:
    graph = graph_of({
        "ccswitch.engine": "",
        "ccswitch.engine.core": "",
        "ccswitch.controller": "from ccswitch.engine.core import Engine\n",
        "ccswitch.http": "from ccswitch.engine.core import Engine\n",
    })
    assert engine_importers(graph) == {("ccswitch.http", "ccswitch.engine")}
