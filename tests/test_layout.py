"""How the code is laid out: no import cycle among the package's modules, counting imports made inside
functions; and the `handbook` command starts without importing pydantic or MkDocs."""

from __future__ import annotations

import ast
import subprocess
import sys
from pathlib import Path

from conftest import ROOT

PACKAGE = ROOT / "generator"


def module_name(path: Path) -> str:
    """`build` for generator/build.py, `speed` for generator/speed/__init__.py, `speed.workers` for its workers."""
    parts = path.relative_to(PACKAGE).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def imports(path: Path) -> set[str]:
    """The package's modules that `path` imports, anywhere in it (but not under `if TYPE_CHECKING:`), by
    `module_name`: `from . import x` names the module x when there is one, else the package it is in."""
    name = module_name(path)
    package = name.split(".") if path.name == "__init__.py" else name.split(".")[:-1]
    tree = ast.parse(path.read_text(encoding="utf-8"))
    typing_only = {id(node) for block in ast.walk(tree) if isinstance(block, ast.If)
                   and getattr(block.test, "id", "") == "TYPE_CHECKING" for node in ast.walk(block)}
    found: set[str] = set()
    for node in ast.walk(tree):
        if id(node) in typing_only:
            continue
        if isinstance(node, ast.ImportFrom) and node.level:
            base = package[: len(package) - node.level + 1] + (node.module.split(".") if node.module else [])
            found |= {_existing(base + [alias.name]) for alias in node.names}
        elif isinstance(node, ast.ImportFrom) and (node.module or "").startswith("generator."):
            base = str(node.module).split(".")[1:]
            found |= {_existing(base + [alias.name]) for alias in node.names}
        elif isinstance(node, ast.Import):
            found |= {_existing(alias.name.split(".")[1:]) for alias in node.names
                      if alias.name.startswith("generator.")}
    return found - {name, ""}


def _existing(parts: list[str]) -> str:
    """The longest leading part of `parts` that is a module of the package (an imported name is not)."""
    for end in range(len(parts), 0, -1):
        candidate = PACKAGE.joinpath(*parts[:end])
        if candidate.with_suffix(".py").is_file() or (candidate / "__init__.py").is_file():
            return ".".join(parts[:end])
    return ""


def cycles(graph: dict[str, set[str]]) -> list[list[str]]:
    """The strongly connected components of more than one module (Tarjan's algorithm)."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    found: list[list[str]] = []

    def visit(module: str) -> None:
        index[module] = low[module] = len(index)
        stack.append(module)
        for other in sorted(graph[module] & graph.keys()):
            if other not in index:
                visit(other)
                low[module] = min(low[module], low[other])
            elif other in stack:
                low[module] = min(low[module], index[other])
        if low[module] == index[module]:
            component = []
            while not component or component[-1] != module:
                component.append(stack.pop())
            if len(component) > 1:
                found.append(sorted(component))

    for module in sorted(graph):
        if module not in index:
            visit(module)
    return found


def test_no_module_of_the_package_imports_itself_back_even_inside_a_function() -> None:
    graph = {module_name(path): imports(path) for path in PACKAGE.rglob("*.py")}
    assert "build" in graph["cli"] and "speed.workers" in graph["speed"]  # the graph is really read
    assert "speed.caches" in graph["speed"] and "load" in graph["speed.caches"]  # `from .. import load` too
    assert cycles(graph) == []


def test_only_the_pipeline_opens_the_door_to_the_speed_layer() -> None:
    """`generator/speed/` is only about build time: outside it, only `build.py` (the pipeline), the commands
    (`check` quiets the garbage collector, `worksheets` finds the cache folder), the preview (its parse
    cache) and the MkDocs hooks (step timestamps) use it."""
    graph = {module_name(path): imports(path) for path in PACKAGE.rglob("*.py")}
    users = {name for name, imported in graph.items() if not name.startswith("speed")
             and any(module.startswith("speed") for module in imported)}
    assert users == {"build", "cli", "mkdocs_hooks", "serve"}


def test_the_cycle_finder_finds_a_cycle() -> None:
    assert cycles({"a": {"b"}, "b": {"c"}, "c": {"a"}, "d": {"a"}}) == [["a", "b", "c"]]


def test_the_command_starts_without_pydantic_or_mkdocs() -> None:
    code = ("import sys, generator.cli; heavy = sorted(m for m in sys.modules if m.split('.')[0] in "
            "('pydantic', 'mkdocs', 'material', 'weasyprint', 'jinja2')); print(heavy)")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True, cwd=ROOT)
    assert out.stdout.strip() == "[]"
