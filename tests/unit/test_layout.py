"""The package's floor plan: the ground floor imports no stage, nothing imports the top floor,
the pipeline never imports the simulator, and no module imports itself in a circle.

Every import counts, function-local ones included: an import moved into a function to dodge
a circle is still a circle.
"""

from __future__ import annotations

import ast
import re
import sys
from pathlib import Path

from folio.core.paths import HomePaths

ROOT = Path(__file__).resolve().parents[2]
PACKAGE = ROOT / "folio"


def module_name(path: Path) -> str:
    parts = path.relative_to(ROOT).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def modules() -> dict[str, Path]:
    return {module_name(p): p for p in sorted(PACKAGE.rglob("*.py"))}


def imports_of(path: Path, known: set[str]) -> set[str]:
    """The folio modules ``path`` imports, anywhere in the file."""
    out: set[str] = set()
    package = module_name(path) if path.name == "__init__.py" else module_name(path.parent)
    for node in ast.walk(ast.parse(path.read_text(), str(path))):
        if isinstance(node, ast.Import):
            out.update(a.name for a in node.names)
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                base = ".".join(package.split(".")[: len(package.split(".")) - node.level + 1])
                base = f"{base}.{node.module}" if node.module else base
            for a in node.names:
                sub = f"{base}.{a.name}"
                out.add(sub if sub in known else base)
    return {m for m in out if m in known and m != module_name(path)}


def import_graph() -> dict[str, set[str]]:
    mods = modules()
    known = set(mods)
    return {name: imports_of(path, known) for name, path in mods.items()}


def cycles(graph: dict[str, set[str]]) -> list[list[str]]:
    """The strongly connected components with more than one module (Tarjan)."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    found: list[list[str]] = []

    def visit(v: str) -> None:
        index[v] = low[v] = len(index)
        stack.append(v)
        on_stack.add(v)
        for w in sorted(graph[v]):
            if w not in index:
                visit(w)
                low[v] = min(low[v], low[w])
            elif w in on_stack:
                low[v] = min(low[v], index[w])
        if low[v] == index[v]:
            component = []
            while True:
                w = stack.pop()
                on_stack.discard(w)
                component.append(w)
                if w == v:
                    break
            if len(component) > 1:
                found.append(sorted(component))

    for v in sorted(graph):
        if v not in index:
            visit(v)
    return found


def test_cycle_finder_finds_a_planted_circle():
    graph = {"a": {"b"}, "b": {"c"}, "c": {"a"}, "d": {"a"}, "e": set()}
    assert cycles(graph) == [["a", "b", "c"]]
    assert cycles({"a": {"b"}, "b": set()}) == []


def test_relative_and_function_local_imports_are_edges(tmp_path, monkeypatch):
    pkg = tmp_path / "folio" / "x"
    pkg.mkdir(parents=True)
    (tmp_path / "folio" / "__init__.py").write_text("")
    (pkg / "__init__.py").write_text("")
    (pkg / "a.py").write_text("def f():\n    from folio.x import b\n")
    (pkg / "b.py").write_text("from . import a\n")
    monkeypatch.setattr(sys.modules[__name__], "ROOT", tmp_path)
    known = {"folio", "folio.x", "folio.x.a", "folio.x.b"}
    assert imports_of(pkg / "a.py", known) == {"folio.x.b"}
    assert imports_of(pkg / "b.py", known) == {"folio.x.a"}


def test_no_import_circles():
    found = cycles(import_graph())
    assert found == [], "import circles in folio/: " + "; ".join(" <-> ".join(c) for c in found)


def test_the_ground_floor_imports_no_stage():
    graph = import_graph()
    for name, deps in graph.items():
        if name == "folio.core" or name.startswith("folio.core."):
            above = {d for d in deps if not d.startswith("folio.core") and d != "folio.config"}
            assert above == set(), f"{name} (ground floor) imports {sorted(above)}"
    assert graph["folio.config"] <= {"folio.core", "folio.core.errors", "folio.core.paths"}


def test_nothing_imports_the_top_floor():
    for name, deps in import_graph().items():
        if name.startswith(("folio.pipeline", "folio.cli")):
            continue
        top = {d for d in deps if d.startswith(("folio.pipeline", "folio.cli"))}
        assert top == set(), f"{name} imports the orchestration layer {sorted(top)}"


def test_the_pipeline_never_imports_the_simulator():
    for name, deps in import_graph().items():
        if name.startswith(("folio.simulator", "folio.cli")):
            continue
        sim = {d for d in deps if d.startswith("folio.simulator")}
        assert sim == set(), f"{name} imports the simulator {sorted(sim)}"


def test_the_package_root_holds_packages():
    allowed = {"__init__.py", "config.py"}
    loose = sorted(p.name for p in PACKAGE.glob("*.py") if p.name not in allowed)
    assert len(loose) <= 1, f"loose modules at folio/'s root: {loose}"


def test_every_folio_home_path_is_named_in_one_place():
    """Paths under FOLIO_HOME come from ``Settings.paths`` (folio/core/paths.py), not from
    ``settings.home / "..."`` spelled out wherever a stage needs one."""
    spelled = re.compile(r"\bhome\s*/\s*[\"']")
    allowed = {PACKAGE / "core" / "paths.py", PACKAGE / "config.py"}
    found = [
        f"{path.relative_to(ROOT)}:{n}: {line.strip()}"
        for path in sorted(PACKAGE.rglob("*.py"))
        if path not in allowed and "simulator" not in path.parts
        for n, line in enumerate(path.read_text().splitlines(), start=1)
        if spelled.search(line) and "settings.home" in line
    ]
    assert found == [], "FOLIO_HOME paths spelled out of folio/core/paths.py:\n" + "\n".join(found)
    paths = HomePaths(Path("/h"))
    named = [p for p in dir(HomePaths) if isinstance(getattr(HomePaths, p), property)]
    values = [getattr(paths, p) for p in named]
    assert len(set(values)) == len(values) and all(v.is_relative_to("/h") for v in values)


def test_no_python_source_file_is_over_400_lines():
    sources = [
        *PACKAGE.rglob("*.py"),
        *(ROOT / "spark_jobs").rglob("*.py"),
        *(ROOT / "dags").rglob("*.py"),
    ]
    long = {
        str(p.relative_to(ROOT)): n
        for p in sorted(sources)
        if (n := len(p.read_text().splitlines())) > 400
    }
    assert long == {}, f"source files over 400 lines: {long}"


def test_the_dag_file_is_wiring_under_110_lines():
    assert len((ROOT / "dags" / "folio_nightly.py").read_text().splitlines()) < 110
