"""The installed package: one top-level name, ``nnclaims``; every module imports from it and its doctests pass."""

import doctest
import importlib
import pkgutil
import subprocess
import sys

import pytest

import nnclaims

SUBPACKAGES = ("nnclaims", "nnclaims.proofs", "nnclaims.numeric", "nnclaims.reports")


def module_names() -> list[str]:
    """Every module of the package (``__main__`` modules excluded: importing them runs the CLI)."""
    names = []
    for name in SUBPACKAGES:
        pkg = importlib.import_module(name)
        names.append(name)
        names += [m.name for m in pkgutil.walk_packages(pkg.__path__, name + ".") if not m.name.endswith("__main__")]
    return sorted(set(names))


@pytest.mark.parametrize("name", module_names())
def test_module_doctests_pass(name):
    module = importlib.import_module(name)
    result = doctest.testmod(module, optionflags=doctest.ELLIPSIS | doctest.NORMALIZE_WHITESPACE, verbose=False)
    assert result.failed == 0, f"{result.failed} doctest(s) failed in {name}"


def test_package_imports_outside_the_repository(tmp_path):
    """Installed, ``nnclaims.proofs`` imports from any folder and the generic names do not."""
    code = ("import importlib, sys\n"
            f"for n in {module_names()!r}: importlib.import_module(n)\n"
            "for n in ('proofs', 'numeric', 'reports'):\n"
            "    try:\n        importlib.import_module(n)\n    except ModuleNotFoundError:\n        continue\n"
            "    sys.exit('generic top-level module importable: ' + n)\n")
    done = subprocess.run([sys.executable, "-c", code], cwd=tmp_path, capture_output=True, text=True)
    assert done.returncode == 0, done.stderr[-2000:]


def test_version_is_the_distributions():
    from importlib.metadata import version

    assert nnclaims.__version__ == version("nnclaims")


def test_caches_hold_immutable_results_only():
    """Every cache in the package is :func:`nnclaims.caching.cached` (fresh copies per call), never a bare
    ``functools`` cache that would hand the same mutable tensors to every caller."""
    import inspect
    import re

    bare = re.compile(r"^\s*@(functools\.)?(lru_cache|cache)\b", re.M)
    offenders = [name for name in module_names()
                 if bare.search(inspect.getsource(importlib.import_module(name)))]
    assert not offenders, offenders
