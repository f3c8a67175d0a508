"""The package's own structure: no two modules of helpers/ import each other, directly or through others."""

import ast
from pathlib import Path

from tests.notebook_utils import ROOT


def module_name(path: Path, root: Path) -> str:
    """``root/helpers/plot.py`` -> ``helpers.plot``; a package's ``__init__.py`` is the package."""
    parts = path.relative_to(root).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def imported_modules(tree: ast.Module, module: str, is_package: bool, known: set[str]) -> set[str]:
    """The modules of ``known`` that ``module`` imports anywhere: at the top, in functions, under ``if``.

    ``from . import data`` names the module ``helpers.data``; ``from . import setup`` (a name, not a
    module) and ``from .environment import keras`` name the module that holds the name.
    """
    package = module if is_package else module.rpartition(".")[0]
    found = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            found.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                anchor = package.split(".")[: len(package.split(".")) - node.level + 1]
                base = ".".join(anchor + ([base] if base else []))
            found.update(f"{base}.{alias.name}" if f"{base}.{alias.name}" in known else base for alias in node.names)
    return found & known - {module}


def import_graph(root: Path, package: str = "helpers") -> dict[str, set[str]]:
    """Each module of ``package`` (sub-packages included) -> the modules of the package it imports."""
    paths = sorted((root / package).rglob("*.py"))
    known = {module_name(path, root) for path in paths}
    return {
        module_name(path, root): imported_modules(
            ast.parse(path.read_text(), str(path)), module_name(path, root), path.name == "__init__.py", known
        )
        for path in paths
    }


def find_cycle(graph: dict[str, set[str]]) -> list[str] | None:
    """One import cycle, as ``[a, b, ..., a]``, or ``None`` (depth-first search)."""
    done: set[str] = set()

    def visit(node: str, path: list[str]) -> list[str] | None:
        if node in path:
            return path[path.index(node) :] + [node]
        if node in done:
            return None
        for target in sorted(graph.get(node, ())):
            if cycle := visit(target, path + [node]):
                return cycle
        done.add(node)
        return None

    return next((cycle for node in sorted(graph) if (cycle := visit(node, []))), None)


def test_no_two_helpers_modules_import_each_other():
    cycle = find_cycle(import_graph(ROOT))
    assert cycle is None, "an import cycle: " + " -> ".join(cycle)


def test_the_graph_sees_every_kind_of_import_and_the_cycle_check_finds_a_cycle(tmp_path):
    package = tmp_path / "pkg"
    (package / "sub").mkdir(parents=True)
    (package / "__init__.py").write_text("def __getattr__(name):\n    from . import a\n    return a\n")
    (package / "a.py").write_text("from .b import thing\n")
    (package / "b.py").write_text("import os\ntry:\n    import x\nexcept ImportError:\n    from .sub import c\n")
    (package / "sub" / "__init__.py").write_text("")
    (package / "sub" / "c.py").write_text("def f():\n    from .. import a\n    import pkg.b\n")
    graph = import_graph(tmp_path, "pkg")
    assert graph == {"pkg": {"pkg.a"}, "pkg.a": {"pkg.b"}, "pkg.b": {"pkg.sub.c"}, "pkg.sub": set(),
                     "pkg.sub.c": {"pkg.a", "pkg.b"}}  # fmt: skip
    assert find_cycle(graph) == ["pkg.a", "pkg.b", "pkg.sub.c", "pkg.a"]
    (package / "sub" / "c.py").write_text("from pkg import b\n")  # b's import of c now goes nowhere back
    (package / "b.py").write_text("import os\n")
    assert find_cycle(import_graph(tmp_path, "pkg")) is None
