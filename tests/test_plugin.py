"""Users' claims: the registry API, the pytest plugin, the example claims and the docs' example, all through
the public API."""

import json
import re
import subprocess
import sys
from pathlib import Path

import pytest

import nnclaims
from nnclaims.cli.app import main

ROOT = Path(__file__).resolve().parents[1]
EXAMPLES = ROOT / "examples"

GOOD = '''
import sympy as sp
from nnclaims import Claim, Derivation, Mutation, register

x = sp.Symbol("x")
POWER = 2

def prove():
    d = Derivation("plug.square", "(x+1)^2", [])
    d.chain((x + 1) ** POWER).by("expand", sp.expand).then(x**2 + 2*x + 1, "claimed")
    return d.close(generality="all x", general=True)

register(Claim("plug.square", "q", "(x+1)^2 = x^2+2x+1", source="test", proof=prove,
               mutations=(Mutation("power 3", f"{__name__}:POWER", lambda p: 3),), established="true"))
'''

# a mutation that changes nothing the check looks at: it must be reported as a survivor
WEAK = GOOD.replace("plug.square", "plug.weak").replace('Mutation("power 3", f"{__name__}:POWER", lambda p: 3)',
                                                         'Mutation("unused", f"{__name__}:UNUSED", lambda u: 1)') + "\nUNUSED = 0\n"


@pytest.mark.slow
def test_plugin_collects_a_users_claim_and_its_mutations(pytester):
    pytester.makepyfile(good_claims=GOOD)
    result = pytester.runpytest_subprocess("--nnclaims", "--nnclaims-claims", "good_claims.py", "-q", "-k", "square")
    result.assert_outcomes(passed=2, deselected=result.parseoutcomes().get("deselected", 0))  # verdict + mutation


@pytest.mark.slow
def test_plugin_collect_only_counts_the_items_it_lists(pytester):
    """``pytest --nnclaims --collect-only``: the count pytest prints is the number of items it lists (the claims'
    items were once left out of it); without --nnclaims only the file's test is there (negative control)."""
    pytester.makepyfile(good_claims=GOOD, test_one="def test_one():\n    pass\n")
    result = pytester.runpytest_subprocess("--nnclaims", "--nnclaims-claims", "good_claims.py", "--collect-only", "-q")
    listed = [ln for ln in result.outlines if "::" in ln]
    assert "::nnclaims[plug.square]" in listed and "::nnclaims[plug.square::power 3]" in listed
    result.stdout.fnmatch_lines([f"{len(listed)} tests collected*"])
    plain = pytester.runpytest_subprocess("--collect-only", "-q")
    plain.stdout.fnmatch_lines(["1 test collected*"])


@pytest.mark.slow
def test_plugin_fails_a_surviving_mutation(pytester):
    pytester.makepyfile(weak_claims=WEAK)
    result = pytester.runpytest_subprocess("--nnclaims", "--nnclaims-claims", "weak_claims.py", "-q", "-k", "weak")
    result.assert_outcomes(passed=1, failed=1, deselected=result.parseoutcomes().get("deselected", 0))
    result.stdout.fnmatch_lines(["*SURVIVED*"])


@pytest.mark.slow
def test_plugin_markers_select_mutations(pytester):
    pytester.makepyfile(good_claims=GOOD)
    result = pytester.runpytest_subprocess("--nnclaims", "--nnclaims-claims", "good_claims.py", "-q", "-m", "mutation",
                                "-k", "square")
    outcomes = result.parseoutcomes()
    assert outcomes["passed"] == 1 and outcomes["deselected"] >= 1


@pytest.mark.slow
def test_plugin_zoo_fixture_is_parametrized_and_private(pytester):
    pytester.makepyfile(test_zoo='''
import pytest

@pytest.mark.parametrize("nnclaims_zoo", [{"networks": 2, "widths": (5,), "steps": 2, "activation": "tanh"}],
                         indirect=True)
def test_shapes(nnclaims_zoo):
    assert nnclaims_zoo.params["0.weight"].shape == (2, 5, 8)
    nnclaims_zoo.params["0.weight"].zero_()

@pytest.mark.parametrize("nnclaims_zoo", [{"networks": 2, "widths": (5,), "steps": 2, "activation": "tanh"}],
                         indirect=True)
def test_cache_is_not_shared_mutably(nnclaims_zoo):
    assert nnclaims_zoo.params["0.weight"].abs().sum() > 0
''')
    pytester.runpytest_subprocess("-q").assert_outcomes(passed=2)


def test_assert_verdict_reports_evidence():
    with pytest.raises(AssertionError, match="(?s)expected verdict 'false', got 'true'.*perm.inverse-is-transpose: true"):
        nnclaims.testing.assert_verdict("perm.inverse-is-transpose", "false", layers=("symbolic",))


def test_register_rejects_a_duplicate_and_a_bad_id():
    claim = nnclaims.get_claim("perm.inverse-is-transpose")
    import dataclasses

    with pytest.raises(ValueError, match="already registered"):
        nnclaims.register(dataclasses.replace(claim, statement="another"))
    with pytest.raises(ValueError, match="family.name"):
        nnclaims.Claim("NoDot", "q", "s")
    with pytest.raises(ValueError, match="preregistered"):
        nnclaims.Claim("user.emp", "q", "s", kind="empirical", numeric="m:f")


def run(capsys, *argv):
    code = main(list(argv))
    out = capsys.readouterr()
    return code, out.out, out.err


def test_cli_claims_option_bad_module(capsys, tmp_path):
    bad = tmp_path / "broken.py"
    bad.write_text("raise RuntimeError('boom')\n")
    code, _, err = run(capsys, "list", "--claims", str(bad))
    assert code == 2 and err.startswith("nnclaims: error: --claims") and "boom" in err and len(err.splitlines()) == 1
    code, _, err = run(capsys, "list", "--claims", "no.such.module")
    assert code == 2 and "ModuleNotFoundError" in err


def test_example_plugin_is_found_through_its_entry_point(capsys):
    """examples/relu_homogeneity is installed by the README's test command (pip install -e examples/...)."""
    from importlib.metadata import entry_points

    assert any(ep.name == "relu-homogeneity" for ep in entry_points(group="nnclaims.claims")), \
        "install the example plug-in: pip install -e examples/relu_homogeneity (part of the README test command)"
    code, out, _ = run(capsys, "list", "--json")
    ids = [r["id"] for r in json.loads(out)["claims"]]
    assert {"user.relu-rescaling", "user.tanh-rescaling"} <= set(ids)
    assert ids.index("user.relu-rescaling") > ids.index("hessian.information-loss-broadness")  # built-ins first


@pytest.mark.parametrize("claim_id, verdict", [("user.relu-rescaling", "true"), ("user.tanh-rescaling", "false")])
def test_example_plugin_claims(claim_id, verdict):
    from nnclaims.testing import assert_mutations_caught, assert_verdict

    assert_verdict(claim_id, verdict)
    assert all(r.caught for r in assert_mutations_caught(claim_id))


@pytest.mark.slow
def test_example_empirical_claim_through_the_cli(tmp_path, capsys):
    out = tmp_path / "r.json"
    code, _, _ = run(capsys, "verify", "--claims", str(EXAMPLES / "dead_units.py"), "user.relu-units-stay-alive",
                     "--networks", "8", "--device", "cpu", "--json", str(out))
    assert code == 0
    rec = json.loads(out.read_text())["claims"][0]
    assert rec["verdict"] == "supported" and rec["numeric"]["interval"][0] >= 0.8
    assert rec["numeric"]["control"]["fails"] is True
    from nnclaims.testing import assert_mutations_caught

    assert_mutations_caught("user.relu-units-stay-alive", networks=8)


def test_docs_add_your_own_claim_example_runs(tmp_path):
    """The worked example of docs/adding-a-claim.md (the block saved as my_claims.py) verifies as true through the
    CLI, and its mutations are caught."""
    text = (ROOT / "docs" / "adding-a-claim.md").read_text(encoding="utf-8")
    code = re.search(r"<!-- file: my_claims.py -->\s*```python\n(.*?)```", text, re.S).group(1)
    (tmp_path / "my_claims.py").write_text(code)
    done = subprocess.run([sys.executable, "-m", "nnclaims", "verify", "--claims", "my_claims.py",
                           "user.relu-net-homogeneous", "--networks", "4", "--json", "out.json"],
                          cwd=tmp_path, capture_output=True, text=True)
    assert done.returncode == 0, done.stderr
    rec = json.loads((tmp_path / "out.json").read_text())["claims"][0]
    assert rec["verdict"] == "true"
    from nnclaims.testing import assert_mutations_caught  # the example's mutations must be caught too

    sys.path.insert(0, str(tmp_path))
    try:
        import my_claims  # noqa: F401  (registers user.relu-net-homogeneous in this process)
        assert_mutations_caught("user.relu-net-homogeneous")
    finally:
        sys.path.remove(str(tmp_path))
        sys.modules.pop("my_claims", None)
