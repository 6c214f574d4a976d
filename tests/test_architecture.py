"""The import structure between feature packages (learncom/<feature>/), read from the code (AST):
no cycles, the core never imports an add-on, the core's layers point one way, shared modules
import no feature, and no import of another feature hides inside a function (where it would
only paper over a cycle). Run with `-s` to see the graph."""

from __future__ import annotations

import ast
from pathlib import Path

import learncom
from learncom import CORE, FEATURES, ROOT

PACKAGE = ROOT / "learncom"
PACKAGES = sorted(p.name for p in PACKAGE.iterdir() if (p / "__init__.py").exists())
#: Modules of learncom/ itself that wire the features together (the app factory, the metadata,
#: the CLI group): they may import any feature.
WIRING = {"__init__.py", "models.py", "cli.py"}


def _imported_packages(node: ast.AST) -> set[str]:
    names: list[str] = []
    if isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
        names = [node.module] + [f"{node.module}.{alias.name}" for alias in node.names]
    elif isinstance(node, ast.Import):
        names = [alias.name for alias in node.names]
    found = set()
    for name in names:
        parts = name.split(".")
        if parts[0] == "learncom" and len(parts) > 1 and parts[1] in PACKAGES:
            found.add(parts[1])
    return found


def _imports(path: Path):
    """(imported package, inside a function?, line) for every import of a feature package."""
    def walk(node: ast.AST, in_function: bool):
        for child in ast.iter_child_nodes(node):
            for package in _imported_packages(child):
                yield package, in_function, child.lineno
            yield from walk(child, in_function or isinstance(
                child, ast.FunctionDef | ast.AsyncFunctionDef))
    yield from walk(ast.parse(path.read_text(encoding="utf-8")), False)


def _graph() -> dict[str, dict[str, list[str]]]:
    """package -> imported package -> where ("posts/views.py:12")."""
    graph: dict[str, dict[str, list[str]]] = {p: {} for p in PACKAGES}
    for package in PACKAGES:
        for path in sorted((PACKAGE / package).rglob("*.py")):
            for imported, _in_function, line in _imports(path):
                if imported != package:
                    graph[package].setdefault(imported, []).append(
                        f"{path.relative_to(PACKAGE)}:{line}")
    return graph


def _cycles(graph: dict[str, dict]) -> list[list[str]]:
    """The strongly connected components of more than one package (Tarjan)."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    components: list[list[str]] = []

    def visit(node: str) -> None:
        index[node] = low[node] = len(index)
        stack.append(node)
        for other in graph[node]:
            if other not in index:
                visit(other)
                low[node] = min(low[node], low[other])
            elif other in stack:
                low[node] = min(low[node], index[other])
        if low[node] == index[node]:
            component = []
            while True:
                other = stack.pop()
                component.append(other)
                if other == node:
                    break
            if len(component) > 1:
                components.append(sorted(component))

    for node in sorted(graph):
        if node not in index:
            visit(node)
    return components


def test_the_graph_between_feature_packages_has_no_cycle():
    graph = _graph()
    for package in PACKAGES:
        print(f"{package} -> {', '.join(sorted(graph[package])) or '-'}")
    assert _cycles(graph) == []


def test_the_core_never_imports_an_add_on():
    graph = _graph()
    wrong = {f"{core} -> {other}": where for core in CORE
             for other, where in graph[core].items() if other not in CORE}
    assert wrong == {}


def test_each_core_layer_imports_only_the_layers_below_it():
    """learncom.CORE lists the core bottom-up: accounts, guard, posts, discussion, search,
    privacy, core."""
    graph = _graph()
    wrong = {f"{core} -> {other}": where for position, core in enumerate(CORE)
             for other, where in graph[core].items()
             if other in CORE and CORE.index(other) > position}
    assert wrong == {}


def test_every_package_is_core_or_an_add_on_and_plugged_in():
    assert set(CORE) <= set(PACKAGES) and set(FEATURES) <= set(PACKAGES)
    assert not set(CORE) & set(FEATURES)
    # The rest are command-line features without pages: backup, demo data, import/export.
    assert set(PACKAGES) - set(CORE) - set(FEATURES) == {"backup", "demo", "portability"}
    for package in (*CORE, *FEATURES):
        assert callable(getattr(__import__(f"learncom.{package}", fromlist=["init_app"]),
                                "init_app", None)), package


def test_shared_modules_import_no_feature():
    """learncom/*.py (web, slots, events, markdown, …) sit below every feature."""
    wrong = {}
    for path in sorted(PACKAGE.glob("*.py")):
        if path.name in WIRING:
            continue
        found = {package for package, _f, _l in _imports(path)}
        if found:
            wrong[path.name] = sorted(found)
    assert wrong == {}


def test_no_import_of_another_feature_hides_in_a_function():
    """A feature imports another at the top of the module. Only a package's `__init__.py`
    imports lazily: every models module is imported with the metadata, which runs its
    package's `__init__.py`, so wiring (`init_app`) must stay light."""
    hidden = []
    for package in PACKAGES:
        for path in sorted((PACKAGE / package).rglob("*.py")):
            if path.name == "__init__.py" and path.parent.name == package:
                continue
            hidden += [f"{path.relative_to(PACKAGE)}:{line} imports {imported}"
                       for imported, in_function, line in _imports(path)
                       if in_function and imported != package]
    assert hidden == []


def test_the_walk_sees_every_kind_of_import(tmp_path):
    """The checks above cannot pass by not seeing an import."""
    source = tmp_path / "sample.py"
    source.write_text("import learncom.posts.models\nfrom learncom import search\n"
                      "from learncom.discussion.models import Comment\n"
                      "def f():\n    from learncom.applications import services\n"
                      "from learncom import slots\n", encoding="utf-8")
    assert sorted(_imports(source)) == [("applications", True, 5), ("discussion", False, 3),
                                        ("posts", False, 1), ("search", False, 2)]
    assert _cycles({"a": {"b": []}, "b": {"c": []}, "c": {"a": []}, "d": {"a": []}}) \
        == [["a", "b", "c"]]
    assert learncom.CORE[0] == "accounts"
