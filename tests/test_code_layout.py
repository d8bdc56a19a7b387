"""The package's shape: no import cycles, no module named like a package, short functions.

Imports inside functions count too: a lazy import that closes a cycle still ties two modules
into one knot, it only hides it until the function runs.
"""

from __future__ import annotations

import ast
from pathlib import Path

PACKAGE = Path(__file__).resolve().parents[1] / "src" / "xstilts"
MAX_FUNCTION_LINES = 60


def _module_name(path: Path) -> str:
    parts = path.relative_to(PACKAGE.parent).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def _modules() -> dict[str, ast.Module]:
    return {_module_name(p): ast.parse(p.read_text(encoding="utf-8")) for p in sorted(PACKAGE.rglob("*.py"))}


def _imported(name: str, tree: ast.Module, known: set[str]) -> set[str]:
    """xstilts modules imported anywhere in a module (`from a import b` counts a.b when b is a module)."""
    found = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            found |= {alias.name for alias in node.names if alias.name in known}
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0 and node.module.startswith("xstilts"):
            found |= {f"{node.module}.{a.name}" if f"{node.module}.{a.name}" in known else node.module for a in node.names}
    return {module for module in found if module in known and module != name}


def _cycles(graph: dict[str, set[str]]) -> list[list[str]]:
    cycles, state = [], {}

    def visit(module: str, path: list[str]) -> None:
        state[module] = "open"
        for child in sorted(graph[module]):
            if state.get(child) == "open":
                cycles.append(path[path.index(child):] + [child])
            elif child not in state:
                visit(child, path + [child])
        state[module] = "closed"

    for module in sorted(graph):
        if module not in state:
            visit(module, [module])
    return cycles


def test_no_import_cycles():
    modules = _modules()
    graph = {name: _imported(name, tree, set(modules)) for name, tree in modules.items()}
    assert sum(map(len, graph.values())) > 200  # the walk saw the package's imports
    assert _cycles(graph) == []


def test_no_module_is_named_like_a_package():
    """pipeline/data.py beside the data package, or sweep/pipeline.py beside pipeline/, read as
    the other thing. CLI modules are named after their commands (`xstilts data`) and exempt."""
    packages = {p.name for p in PACKAGE.rglob("*") if p.is_dir() and (p / "__init__.py").is_file()}
    modules = {p.stem: p for p in PACKAGE.rglob("*.py") if p.stem != "__init__" and p.parent.name != "cli"}
    assert {"data", "pipeline", "train", "sweep"} <= packages and len(modules) > 50
    assert sorted(str(modules[name].relative_to(PACKAGE)) for name in packages & set(modules)) == []
    assert "training" not in modules  # pipeline/training.py read as the train package


def test_functions_are_short():
    long = []
    for name, tree in _modules().items():
        for node in ast.walk(tree):
            if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)):
                lines = node.end_lineno - node.lineno + 1
                if lines > MAX_FUNCTION_LINES:
                    long.append(f"{name}.{node.name}: {lines} lines")
    assert long == []
