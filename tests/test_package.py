"""The installed package: one top-level name, ``nnclaims``; every module imports from it and its doctests pass."""

import doctest
import importlib
import pkgutil
import subprocess
import sys
from pathlib import Path

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


@pytest.mark.slow
@pytest.mark.parametrize("name", module_names())
def test_module_doctests_pass(name):
    module = importlib.import_module(name)
    result = doctest.testmod(module, optionflags=doctest.ELLIPSIS | doctest.NORMALIZE_WHITESPACE, verbose=False)
    assert result.failed == 0, f"{result.failed} doctest(s) failed in {name}"


@pytest.mark.slow
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


def test_cli_starts_without_torch():
    """Importing the command (as every ``nnclaims`` call does, even ``nnclaims list``) does not import torch:
    commands import it inside their bodies.  Control: importing a numeric module does import it."""
    check = "import {}, sys; sys.exit(0 if 'torch' not in sys.modules else 'torch imported')"
    done = subprocess.run([sys.executable, "-c", check.format("nnclaims.cli.app")], capture_output=True, text=True)
    assert done.returncode == 0, done.stderr[-2000:]
    done = subprocess.run([sys.executable, "-c", check.format("nnclaims.numeric.agop")], capture_output=True, text=True)
    assert done.returncode != 0 and "torch imported" in done.stderr


def test_activation_names_of_the_commands_are_agops():
    """``measure`` and ``compare`` offer exactly the activations :func:`nnclaims.numeric.agop.forward_layers`
    knows, in its order (the light constant stands in for ``agop.ACTIVATIONS`` at start-up)."""
    import click

    from nnclaims.numeric.agop import ACTIVATIONS
    from nnclaims.cli.measure import measure_cmd
    from nnclaims.cli.model_options import ACTIVATION_NAMES
    from nnclaims.cli.similarity import compare_cmd

    assert ACTIVATION_NAMES == tuple(ACTIVATIONS)
    for cmd in (measure_cmd, compare_cmd):
        (option,) = [p for p in cmd.params if p.name == "activation"]
        assert isinstance(option.type, click.Choice) and tuple(option.type.choices) == ACTIVATION_NAMES
        assert option.default == "relu"


def _readme_test_command(readme: str) -> str:
    """The shell line in the fenced block after "Run the tests" in the README."""
    block = readme.split("Run the tests", 1)[1].split("```sh\n", 1)[1].split("```", 1)[0]
    return block.strip()


def _ci_steps(script: str) -> list[str]:
    """The commands ``.ci/run`` runs after creating its venv, ``-q`` flags dropped, split at ``&&`` and lines."""
    lines = [ln.strip() for ln in script.splitlines() if ln.strip() and not ln.lstrip().startswith("#")]
    start = next(i for i, ln in enumerate(lines) if ln.startswith("python3 -m venv"))
    steps = []
    for ln in lines[start:]:
        steps += [s.strip().replace(" -q", "") for s in ln.split("&&")]
    return steps


def test_ci_runs_the_readme_test_command():
    """``.ci/run`` runs the README's test command, step by step and in order (it may add steps between them, such
    as upgrading pip); a README command that drifts from it (here: a step the CI does not run) is caught."""
    root = Path(__file__).resolve().parents[1]
    readme_steps = [s.strip() for s in _readme_test_command((root / "README.md").read_text()).split("&&")]
    ci = _ci_steps((root / ".ci" / "run").read_text())

    def in_order(wanted, have):
        it = iter(have)
        return all(any(w == h for h in it) for w in wanted)

    assert readme_steps[-1].startswith("python -m pytest")
    assert in_order([s.replace(" -q", "") for s in readme_steps], ci), (readme_steps, ci)
    assert not in_order([s.replace(" -q", "") for s in readme_steps] + ["pip install something-else"], ci)
