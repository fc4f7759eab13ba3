"""No import cycles, between modules or between packages, and the layers point one way.

Every module of fundwatch, checks, models and flows is parsed (ast, nothing imported) and every
import in it counted: at the top, inside a function, under `if TYPE_CHECKING`. A cycle is named
module by module, e.g. `fundwatch.emit -> fundwatch.masking -> fundwatch.emit`.

The layers: fundwatch is the library core and imports none of the others; checks (the rule
catalogue, running its rules, validation) and models (features, the isolation forest, identity
resolution) build on fundwatch; flows (the Prefect flows and the CLI) import everything.
"""

from __future__ import annotations

import ast
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
PACKAGES = ("fundwatch", "checks", "models", "flows")
ALLOWED = {  # package -> the packages it may import
    "fundwatch": set(),
    "checks": {"fundwatch"},
    "models": {"fundwatch"},
    "flows": {"fundwatch", "checks", "models"},
}


def modules(root: Path = ROOT) -> dict[str, Path]:
    found = {}
    for package in PACKAGES:
        for path in sorted((root / package).rglob("*.py")):
            parts = list(path.relative_to(root).with_suffix("").parts)
            if parts[-1] == "__init__":
                parts.pop()
            found[".".join(parts)] = path
    return found


def _within(name: str, known: dict[str, Path]) -> str | None:
    """The longest module of ours that `name` is or lies in (fundwatch.db.connect -> fundwatch.db)."""
    while name and name not in known:
        name = name.rpartition(".")[0]
    return name or None


def _absolute(node: ast.ImportFrom, module: str, path: Path) -> str:
    if not node.level:
        return node.module or ""
    package = module.split(".") if path.name == "__init__.py" else module.split(".")[:-1]
    base = package[:len(package) - node.level + 1]
    return ".".join(base + ([node.module] if node.module else []))


def import_graph(root: Path = ROOT) -> dict[str, set[str]]:
    """module -> the modules of ours it imports (anywhere in its file)."""
    known = modules(root)
    graph: dict[str, set[str]] = {m: set() for m in known}
    for module, path in known.items():
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"), str(path))):
            if isinstance(node, ast.Import):
                targets = [_within(alias.name, known) for alias in node.names]
            elif isinstance(node, ast.ImportFrom):
                base = _absolute(node, module, path)
                # `from fundwatch import interrupt` imports the module fundwatch.interrupt
                targets = [_within(f"{base}.{alias.name}", known) for alias in node.names]
            else:
                continue
            graph[module].update(t for t in targets if t and t != module)
    return graph


def package_graph(graph: dict[str, set[str]]) -> dict[str, set[str]]:
    packages: dict[str, set[str]] = {p: set() for p in PACKAGES}
    for module, targets in graph.items():
        for target in targets:
            if module.split(".")[0] != target.split(".")[0]:
                packages[module.split(".")[0]].add(target.split(".")[0])
    return packages


def cycles(graph: dict[str, set[str]]) -> list[list[str]]:
    """Cycles covering every node of every strongly connected component of more than one node
    (Tarjan): for each node, in sorted order, not yet on a cycle found, the shortest cycle through it."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    components: list[list[str]] = []

    def visit(node: str) -> None:
        index[node] = low[node] = len(index)
        stack.append(node)
        on_stack.add(node)
        for target in sorted(graph.get(node, ())):
            if target not in index:
                visit(target)
                low[node] = min(low[node], low[target])
            elif target in on_stack:
                low[node] = min(low[node], index[target])
        if low[node] == index[node]:
            component = []
            while True:
                member = stack.pop()
                on_stack.discard(member)
                component.append(member)
                if member == node:
                    break
            if len(component) > 1:
                components.append(sorted(component))

    for node in sorted(graph):
        if node not in index:
            visit(node)
    found: list[list[str]] = []
    for component in sorted(components):
        for node in component:
            if not any(node in cycle for cycle in found):
                found.append(_cycle_through(graph, set(component), node))
    return found


def _cycle_through(graph: dict[str, set[str]], component: set[str], start: str) -> list[str]:
    """The shortest path start -> ... -> start inside the component (breadth first)."""
    paths = {start: [start]}
    queue = [start]
    while queue:
        node = queue.pop(0)
        for target in sorted(graph[node] & component):
            if target == start:
                return paths[node] + [start]
            if target not in paths:
                paths[target] = paths[node] + [target]
                queue.append(target)
    raise AssertionError(f"{start} is in no cycle")  # pragma: no cover - a component always has one


def _named(found: list[list[str]]) -> str:
    return "; ".join(" -> ".join(c) for c in found)


def test_no_module_imports_itself_back():
    found = cycles(import_graph())
    assert not found, f"import cycles between modules: {_named(found)}"


def test_no_package_imports_itself_back():
    found = cycles(package_graph(import_graph()))
    assert not found, f"import cycles between packages: {_named(found)}"


def test_packages_import_only_the_layers_below():
    graph = import_graph()
    wrong = sorted(f"{module} -> {target}" for module, targets in graph.items() for target in targets
                   if target.split(".")[0] not in ALLOWED[module.split(".")[0]] | {module.split(".")[0]})
    assert not wrong, "imports against the layers (fundwatch <- checks, models <- flows): " + ", ".join(wrong)


def test_the_checker_finds_a_cycle(tmp_path):
    """The graph is read the way Python resolves imports, and a planted cycle is named."""
    for package, files in {"fundwatch": {"__init__.py": "", "a.py": "from fundwatch import b\n",
                                         "b.py": "def f():\n    from .a import x\n"},
                           "checks": {"__init__.py": "", "c.py": "import models.d\n"},
                           "models": {"__init__.py": "", "d.py": "from checks.c import y\n"},
                           "flows": {"__init__.py": ""}}.items():
        (tmp_path / package).mkdir()
        for name, text in files.items():
            (tmp_path / package / name).write_text(text, encoding="utf-8")
    graph = import_graph(tmp_path)
    assert cycles(graph) == [["checks.c", "models.d", "checks.c"], ["fundwatch.a", "fundwatch.b", "fundwatch.a"]]
    assert cycles(package_graph(graph)) == [["checks", "models", "checks"]]
