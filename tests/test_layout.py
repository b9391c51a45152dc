"""The package's layout: no import circle, each floor imports only floors below it, one-line module docstrings, old paths.

The import graph is built from the installed package's source (``ast``, nothing imported but the packages
themselves).  What counts as an edge A → B: *every* ``import``/``from … import`` statement in A's source, at module
level or inside a function, class or ``if`` (a function-level import is as much a dependency as a module-level one;
it only runs later), resolved to the deepest module of the package it names (``from .x import name`` is ``x.name``
when that is a module, else ``x``).  The implicit import of a module's parent packages is not an edge, and imports
made through ``importlib`` with a computed name (the catalogue's ``"module:function"`` links) are not seen.  The
deprecated old paths (:mod:`nnclaims._deprecated`) have no source file and are checked on their own below.
"""

from __future__ import annotations

import ast
import importlib
import importlib.util
import pkgutil
import re
import subprocess
import sys
from pathlib import Path

import pytest

from nnclaims._deprecated import MOVED, SHIM_SOURCE, line

ROOT = Path(__file__).resolve().parents[1]

# the floors, bottom to top: a module may import its own floor and the floors below, never one above
# (catalogue → proof | search | numeric → verdict → report; the command line and the benchmarks on top)
UPPER = {
    "nnclaims.proofs": ("nnclaims.verdict", "nnclaims.mutation", "nnclaims.verify_units", "nnclaims.reports",
                        "nnclaims.cli", "nnclaims.bench"),
    "nnclaims.numeric": ("nnclaims.verdict", "nnclaims.mutation", "nnclaims.verify_units", "nnclaims.reports",
                         "nnclaims.cli", "nnclaims.bench"),
    "nnclaims.verdict": ("nnclaims.reports", "nnclaims.cli", "nnclaims.bench"),
    "nnclaims.mutation": ("nnclaims.reports", "nnclaims.cli", "nnclaims.bench"),
    "nnclaims.verify_units": ("nnclaims.reports", "nnclaims.cli", "nnclaims.bench"),
    "nnclaims.reports": ("nnclaims.cli", "nnclaims.bench"),
}


def packages() -> list[str]:
    """The packages pyproject.toml installs (its folders are mapped, so walking ``nnclaims`` alone misses some)."""
    import tomllib

    return tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))["tool"]["setuptools"]["packages"]


def package_sources() -> dict[str, Path]:
    """Every module of the installed package (shims of old paths excluded) → its source file."""
    found = {}
    for name in packages():
        pkg = importlib.import_module(name)
        if pkg.__file__ is None:  # a folder of data (nnclaims.proofs.seeds)
            continue
        found[name] = Path(pkg.__file__)
        for info in pkgutil.iter_modules(pkg.__path__, name + "."):
            if info.name not in MOVED and not info.ispkg:
                found[info.name] = Path(importlib.util.find_spec(info.name).origin)
    return found


def import_graph(sources: dict[str, Path], root: str = "nnclaims") -> dict[str, set[str]]:
    """``module → modules of the package it imports`` (every import statement, at any depth; see the docstring)."""
    graph = {}
    for name, path in sources.items():
        is_package = path.name == "__init__.py"
        edges = set()
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.Import):
                targets = [a.name for a in node.names]
            elif isinstance(node, ast.ImportFrom):
                if node.level:
                    base = name.split(".") if is_package else name.split(".")[:-1]
                    base = base[:len(base) - (node.level - 1)]
                    module = ".".join(base + ([node.module] if node.module else []))
                else:
                    module = node.module or ""
                targets = [f"{module}.{a.name}" if f"{module}.{a.name}" in sources else module for a in node.names]
            else:
                continue
            for t in targets:
                while t not in sources and "." in t:
                    t = t.rsplit(".", 1)[0]
                if t in sources and t != name and (t == root or t.startswith(root + ".")):
                    edges.add(t)
        graph[name] = edges
    return graph


def cycles(graph: dict[str, set[str]]) -> list[list[str]]:
    """The strongly connected components with more than one module (or a module importing itself): the circles."""
    index, low, stack, on, found, counter = {}, {}, [], set(), [], [0]

    def visit(v):
        index[v] = low[v] = counter[0]
        counter[0] += 1
        stack.append(v)
        on.add(v)
        for w in sorted(graph.get(v, ())):
            if w not in index:
                visit(w)
                low[v] = min(low[v], low[w])
            elif w in on:
                low[v] = min(low[v], index[w])
        if low[v] == index[v]:
            component = []
            while True:
                w = stack.pop()
                on.discard(w)
                component.append(w)
                if w == v:
                    break
            if len(component) > 1 or v in graph.get(v, ()):
                found.append(sorted(component))

    for v in sorted(graph):
        if v not in index:
            visit(v)
    return found


def upward(graph: dict[str, set[str]]) -> list[tuple[str, str]]:
    """Edges from a floor of :data:`UPPER` to a floor above it."""
    def under(name, prefix):
        return name == prefix or name.startswith(prefix + ".")

    return sorted((a, b) for a, bs in graph.items() for b in bs for floor, above in UPPER.items()
                  if under(a, floor) and any(under(b, up) for up in above))


def summary_problem(source: str) -> str | None:
    """What is wrong with a module's docstring as a one-line summary (None: nothing)."""
    doc = ast.get_docstring(ast.parse(source))
    if not doc:
        return "no module docstring"
    lines = doc.split("\n")
    if not lines[0].strip() or not lines[0].rstrip().rstrip(")").endswith("."):
        return f"first line is not a sentence: {lines[0][:60]!r}"
    if len(lines) > 1 and lines[1].strip():
        return "the summary runs over more than one line"
    return None


GRAPH = import_graph(package_sources())


def test_the_graph_sees_the_package():
    """The graph holds every floor and the edges everyone knows of (a builder that saw nothing would pass the rest)."""
    assert "nnclaims.proofs.seeds" in packages() and len(GRAPH) > 80
    assert {"nnclaims.cli.app", "nnclaims.bench.suite", "nnclaims.verdict", "nnclaims.proofs.catalogue",
            "nnclaims.numeric.subspace", "nnclaims.reports.render"} <= set(GRAPH)
    assert "nnclaims.verdict" in GRAPH["nnclaims.cli.verify"]
    assert "nnclaims.proofs.claims.subspace" in GRAPH["nnclaims.proofs.claims"]
    assert "nnclaims.numeric.subspace" in GRAPH["nnclaims.proofs.claims.subspace"]  # a function-level import


def test_no_import_circle():
    assert cycles(GRAPH) == []


def test_each_floor_imports_only_floors_below():
    """catalogue → proof | search | numeric → verdict → report; the command line and the benchmarks on top: in
    particular no module of reports/ imports the command line or the benchmarks."""
    assert upward(GRAPH) == []


def test_the_checks_catch_a_circle_and_an_upward_import(tmp_path):
    """Negative controls: a synthetic circle is found, also through a function-level import in a package's source,
    and a report module importing the command line is an upward edge."""
    assert cycles({"a": {"b"}, "b": {"c"}, "c": {"a"}, "d": {"a"}}) == [["a", "b", "c"]]
    assert cycles({"a": {"b"}, "b": {"c"}, "c": set()}) == []
    pkg = tmp_path / "pkgx"
    pkg.mkdir()
    (pkg / "__init__.py").write_text('"""x."""\n')
    (pkg / "a.py").write_text('"""a."""\nfrom . import b\n')
    (pkg / "b.py").write_text('"""b."""\n\ndef f():\n    from .a import g\n')
    sources = {"pkgx": pkg / "__init__.py", "pkgx.a": pkg / "a.py", "pkgx.b": pkg / "b.py"}
    assert cycles(import_graph(sources, root="pkgx")) == [["pkgx.a", "pkgx.b"]]
    bad = {**GRAPH, "nnclaims.reports.render": GRAPH["nnclaims.reports.render"] | {"nnclaims.cli._common"}}
    assert upward(bad) == [("nnclaims.reports.render", "nnclaims.cli._common")]


def test_every_module_says_in_one_line_what_it_is():
    problems = {name: summary_problem(path.read_text(encoding="utf-8")) for name, path in package_sources().items()}
    assert {k: v for k, v in problems.items() if v} == {}


def test_the_docstring_check_can_fail():
    assert summary_problem("x = 1\n") == "no module docstring"
    assert summary_problem('"""The thing.\nMore of it, on the next line."""\n') == "the summary runs over more than one line"
    assert summary_problem('"""The thing, wrapped\nonto a second line."""\n').startswith("first line is not a sentence")
    assert summary_problem('"""The thing."""\n') is None


# --- the deprecated old paths (nnclaims._deprecated): delete with it ---------------------------------------------

def _run(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, *args], capture_output=True, text=True, cwd=ROOT, timeout=300)


def test_no_file_stands_at_an_old_path():
    """The old paths are served by nnclaims._deprecated's finder, so each move is a move to git (a file left at the
    old path would make it an edit there and a new file here)."""
    assert [old for old in MOVED if (ROOT / "reports" / f"{old.rsplit('.', 1)[1]}.py").exists()] == []
    assert "nnclaims._deprecated" in SHIM_SOURCE.format(new="x")


def test_an_old_path_is_the_new_module_with_one_deprecation_line():
    """``import`` of an old path hands back the new module itself and prints one line; the new path prints none
    (the control)."""
    code = ("import importlib, sys\n"
            "old = importlib.import_module('nnclaims.reports.cli')\n"
            "import nnclaims.cli.app as new\n"
            "from nnclaims.reports import bench\n"
            "import nnclaims.bench.suite as suite\n"
            "assert old is new and bench is suite and sys.modules['nnclaims.reports.cli'] is new\n")
    done = _run("-c", code)
    assert done.returncode == 0, done.stderr[-2000:]
    assert done.stderr.splitlines() == [line("nnclaims.reports.cli"), line("nnclaims.reports.bench")]
    done = _run("-c", "import nnclaims.cli.app, nnclaims.bench.suite, nnclaims.reports.render")
    assert done.returncode == 0 and done.stderr == ""
    done = _run("-c", "from nnclaims.reports import Verdict; import nnclaims.reports as r, nnclaims.verdict as v\n"
                      "assert Verdict is r.Verdict is v.Verdict")
    assert done.returncode == 0 and len(done.stderr.splitlines()) == 1, done.stderr[-2000:]
    assert "nnclaims.reports.Verdict moved to nnclaims.verdict.Verdict" in done.stderr


def test_python_dash_m_on_an_old_path_still_runs():
    done = _run("-m", "nnclaims.reports.bench", "--help")
    assert done.returncode == 0, done.stderr[-2000:]
    assert done.stderr.splitlines() == [line("nnclaims.reports.bench")]
    assert "symbolic" in done.stdout and "curvature" in done.stdout
    done = _run("-m", "nnclaims.reports", "list", "--json")
    assert done.returncode == 0 and done.stderr.splitlines() == [line("nnclaims.reports.__main__")]
    assert '"claims"' in done.stdout


OLD = re.compile("|".join(re.escape(old) + r"\b" for old in sorted(MOVED, key=len, reverse=True) if "__main__" not in old)
                 + r"|from nnclaims\.reports import (cli|bench|gpu|verdict|mutation)\b"
                 + r"|reports/(cli|bench\w*|gpu|verdict|mutation|provenance|verify_units|\w+_command|model_options)\.py")


def old_paths(text: str) -> list[str]:
    return [m.group(0) for m in OLD.finditer(text)]


def test_nothing_in_the_repository_uses_an_old_path():
    """The repository's own code, tests, docs and scripts use the new paths (the shims are for users)."""
    places = [ROOT / p for p in ("README.md", "mkdocs.yml", "pyproject.toml", "reports/gpu.sh", ".ci/run")]
    for folder in ("nnclaims", "proofs", "numeric", "reports", "tests", "docs", "examples"):
        places += [p for p in (ROOT / folder).rglob("*") if p.suffix in (".py", ".md", ".sh", ".toml", ".yml")
                   and "cpu-reference" not in p.parts and "dnfa-study-cpu" not in p.parts]
    exempt = {ROOT / "nnclaims" / "_deprecated.py", Path(__file__).resolve()}
    hits = {str(p.relative_to(ROOT)): old_paths(p.read_text(encoding="utf-8")) for p in places
            if p.is_file() and p not in exempt}
    assert {k: v for k, v in hits.items() if v} == {}


def test_the_old_path_search_can_find_one():
    assert old_paths("python -m nnclaims.reports.bench zoo; see reports/cli.py") == ["nnclaims.reports.bench",
                                                                                    "reports/cli.py"]
    assert old_paths("python -m nnclaims.bench.suite zoo; nnclaims.reports.render") == []


@pytest.mark.parametrize("old", sorted(MOVED))
def test_each_old_path_names_a_module_that_exists(old):
    assert importlib.util.find_spec(MOVED[old]) is not None
