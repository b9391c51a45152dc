"""The old module paths of 0.2 (``nnclaims.reports.<name>``), kept for one release: each forwards to the new one.

This module is the one place that lists them (:data:`MOVED`), so that they can be deleted together (this module,
the two lines of ``reports/__init__.py`` that call :func:`install`, and the tests in ``tests/test_layout.py``).  No
file stands at an old path (so that git follows each move): importing ``nnclaims.reports`` puts a finder on
``sys.meta_path`` that answers for the old names only, with :data:`SHIM_SOURCE` as their code.  Importing an old
path prints one deprecation line on stderr and hands back the new module itself (``sys.modules`` holds the new
module under the old name too, so attributes and monkeypatching agree); ``python -m`` on an old path runs the new
module as ``__main__``.  Nothing in the repository uses an old path (``tests/test_layout.py`` checks it).
"""

from __future__ import annotations

import importlib
import importlib.abc
import importlib.util
import runpy
import sys

MOVED = {
    "nnclaims.reports.__main__": "nnclaims.__main__",
    "nnclaims.reports.cli": "nnclaims.cli.app",
    "nnclaims.reports.measure_command": "nnclaims.cli.measure",
    "nnclaims.reports.similarity_command": "nnclaims.cli.similarity",
    "nnclaims.reports.study_command": "nnclaims.cli.study",
    "nnclaims.reports.model_options": "nnclaims.cli.model_options",
    "nnclaims.reports.provenance": "nnclaims.cli.provenance",
    "nnclaims.reports.verdict": "nnclaims.verdict",
    "nnclaims.reports.mutation": "nnclaims.mutation",
    "nnclaims.reports.verify_units": "nnclaims.verify_units",
    "nnclaims.reports.bench": "nnclaims.bench.suite",
    "nnclaims.reports.bench_curvature": "nnclaims.bench.curvature",
    "nnclaims.reports.bench_ray": "nnclaims.bench.backends",
    "nnclaims.reports.bench_similarity": "nnclaims.bench.similarity",
    "nnclaims.reports.gpu": "nnclaims.bench.gpu",
}
"""Old module path → new module path (removed in the release after 0.3)."""

SHIM_SOURCE = '''"""Deprecated path (one release): the module moved to {new} (nnclaims._deprecated)."""

from nnclaims._deprecated import forward

forward(__spec__.name, __name__)
'''
"""The code an old path runs, with its new path filled in."""


def line(old: str) -> str:
    """The one deprecation line an old path prints."""
    return f"nnclaims: deprecated: {old} moved to {MOVED[old]}; the old path will be removed in the next release"


def forward(old: str, run_name: str) -> None:
    """Print :func:`line` on stderr, then run the new module as ``__main__`` (``python -m OLD``) or put it in
    ``sys.modules`` under the old name (``import OLD``: the import hands back the new module)."""
    print(line(old), file=sys.stderr)
    new = MOVED[old]
    if run_name == "__main__":
        runpy.run_module(new, run_name="__main__", alter_sys=True)
    else:
        sys.modules[old] = importlib.import_module(new)


NAMES = {name: "nnclaims.verdict" for name in ("Verdict", "Outcome", "decide", "verify", "verify_many", "NumericConfig",
                                               "LAYERS")}
"""Names the ``nnclaims.reports`` package itself exported in 0.2 (now :mod:`nnclaims.verdict`'s): its module
``__getattr__`` hands them out through :func:`attribute`."""


def attribute(package: str, name: str):
    """``package.name`` for a name of :data:`NAMES`, with one deprecation line; any other name is not there."""
    if name not in NAMES:
        raise AttributeError(f"module {package!r} has no attribute {name!r}")
    print(f"nnclaims: deprecated: {package}.{name} moved to {NAMES[name]}.{name}; the old name will be removed in "
          "the next release", file=sys.stderr)
    value = getattr(importlib.import_module(NAMES[name]), name)
    setattr(sys.modules[package], name, value)  # found there from now on: one line, however often it is read
    return value


class _Shims(importlib.abc.MetaPathFinder, importlib.abc.InspectLoader):
    """Finder and loader of the old paths (nothing else): a module whose code is :data:`SHIM_SOURCE`."""

    def find_spec(self, fullname, path=None, target=None):
        if fullname not in MOVED:
            return None
        return importlib.util.spec_from_loader(fullname, self, origin=f"deprecated path of {MOVED[fullname]}")

    def get_source(self, fullname):
        return SHIM_SOURCE.format(new=MOVED[fullname])

    def is_package(self, fullname):
        return False

    def exec_module(self, module):
        exec(self.get_code(module.__spec__.name), module.__dict__)


_FINDER = _Shims()


def install() -> None:
    """Answer for the old paths from now on (once; ``reports/__init__.py`` calls it)."""
    if _FINDER not in sys.meta_path:
        sys.meta_path.insert(0, _FINDER)
