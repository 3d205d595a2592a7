"""The rooms of derisk_xl keep to the dependency rule of docs/architecture.md, read from the
code's own imports (every ``import`` statement, also those inside functions, which the package
uses to keep a button press light): no import circles, the calculator imports nothing but the
standard library and itself, and no room imports one above it."""

from __future__ import annotations

import ast
import sys
from pathlib import Path

import pytest

PACKAGE = Path(__file__).resolve().parent.parent / "derisk_xl"

#: Each room's floor: a module may import its own room and the floors below, never above or
#: beside (the package's face, ``derisk_xl/__init__.py``, hands on core's names: floor 0).
FLOORS = {
    "derisk_xl": 0, "core": 0,
    "fsutil": 1, "workbook": 1, "report": 1, "mail": 1,
    "pipeline": 2,
    "batch": 3, "excel": 3,
    "cli": 4,
}
#: Rooms of one floor that may import each other: the face hands on core's names, the adapters
#: share fsutil, and mail attaches the report. The doors (batch, excel) never import each other.
BESIDE = {("derisk_xl", "core"), ("workbook", "fsutil"), ("report", "fsutil"), ("mail", "fsutil"),
          ("mail", "report")}

#: Circles allowed while one is being taken apart (none now).
KNOWN_CIRCLES: set[frozenset[str]] = set()


def modules() -> dict[str, Path]:
    """Every module of the package by its dotted name (a package by its own name)."""
    found = {}
    for path in sorted(PACKAGE.rglob("*.py")):
        parts = list(path.relative_to(PACKAGE.parent).with_suffix("").parts)
        if parts[-1] == "__init__":
            parts.pop()
        found[".".join(parts)] = path
    return found


def imports(name: str, path: Path, known: set[str]) -> set[str]:
    """The modules of ours ``name`` imports. ``from . import x`` imports the submodule x, not a
    circle through the package; ``from .m import f`` imports m."""
    package = name if path.name == "__init__.py" else name.rpartition(".")[0]
    out: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            out |= {a.name for a in node.names if a.name in known}
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                base = package.split(".")[:len(package.split(".")) - node.level + 1]
                origin = ".".join(base + ([node.module] if node.module else []))
            else:
                origin = node.module or ""
            subs = {f"{origin}.{a.name}" for a in node.names} & known
            out |= subs or ({origin} & known)
    return out - {name}


def graph() -> dict[str, set[str]]:
    found = modules()
    return {name: imports(name, path, set(found)) for name, path in found.items()}


def circles(edges: dict[str, set[str]]) -> list[frozenset[str]]:
    """The strongly connected parts of more than one module (Tarjan's algorithm)."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    found: list[frozenset[str]] = []

    def visit(v: str) -> None:
        index[v] = low[v] = len(index)
        stack.append(v)
        for w in edges[v]:
            if w not in index:
                visit(w)
                low[v] = min(low[v], low[w])
            elif w in stack:
                low[v] = min(low[v], index[w])
        if low[v] == index[v]:
            part = set()
            while True:
                w = stack.pop()
                part.add(w)
                if w == v:
                    break
            if len(part) > 1:
                found.append(frozenset(part))

    for v in sorted(edges):
        if v not in index:
            visit(v)
    return found


def room(name: str) -> str:
    parts = name.split(".")
    return parts[1] if len(parts) > 1 else parts[0]


def test_no_import_circles():
    found = [sorted(c) for c in circles(graph()) if c not in KNOWN_CIRCLES]
    assert found == [], f"modules that import each other, in a loop: {found}"


def test_circles_are_found_where_they_are():
    """The check above can fail: a loop of three, and one through a package's face."""
    assert circles({"a": {"b"}, "b": {"c"}, "c": {"a"}, "d": {"a"}}) == [frozenset("abc")]
    edges = graph()
    edges["derisk_xl.core.money"] = edges["derisk_xl.core.money"] | {"derisk_xl.core.plan"}
    assert any({"derisk_xl.core.money", "derisk_xl.core.plan"} <= c for c in circles(edges))


def test_every_room_has_a_floor():
    assert {room(name) for name in modules()} <= set(FLOORS), "a new room: give it a floor"


def test_no_room_imports_one_above_or_beside_it():
    wrong = sorted(
        f"{a} imports {b}"
        for a, targets in graph().items() for b in targets
        if room(a) != room(b) and (room(a), room(b)) not in BESIDE
        and FLOORS[room(b)] >= FLOORS[room(a)])
    assert wrong == []


@pytest.mark.parametrize("name", sorted(n for n in modules() if room(n) == "core"))
def test_the_calculator_imports_only_the_standard_library_and_itself(name):
    tree = ast.parse(modules()[name].read_text(encoding="utf-8"))
    outside = sorted(
        module for node in ast.walk(tree)
        for module in ([a.name for a in node.names] if isinstance(node, ast.Import)
                       else [node.module or ""] if isinstance(node, ast.ImportFrom)
                       and not node.level else [])
        if module.split(".")[0] not in sys.stdlib_module_names)
    ours = sorted(m for m in imports(name, modules()[name], set(modules())) if room(m) != "core")
    assert outside == [] and ours == []
