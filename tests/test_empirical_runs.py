"""Issue 25 for the empirical claims this suite settles by its own rule (hessian.information-loss-broadness,
subspace.trained-networks-low-hidden-match): the report shows the exploratory values beside the confirmatory run,
and ``nnclaims verify --json`` gives the same records twice, apart from timings (rule 7)."""

import json
import os
import subprocess
import sys

import pytest

from nnclaims.reports.render import RUN_HEAD, render_markdown, run_rows

CLAIMS = ("hessian.information-loss-broadness", "subspace.trained-networks-low-hidden-match")


def _claim(details, **numeric):
    return {"id": "x.emp", "source": "s", "quote": "q", "statement": "st", "kind": "empirical", "verdict": "conditional",
            "evidence": "e", "disagreement": None, "seconds": {},
            "symbolic": {"status": "absent"}, "search": {"status": "absent"},
            "numeric": {"status": "unsupported", "value": 1.0, "interval": [0.0, 2.0], "networks": 54, **numeric,
                        "details": details}}


def test_report_shows_exploratory_beside_confirmatory():
    details = {"run": "confirmatory", "seeds": [3000000, 3000026],
               "conditions": {"depth-1": {"value": 1.0, "interval": [0.0, 2.0], "status": "unsupported",
                                          "ci_level": 0.99969, "n": 27},
                              "depth-2": {"value": 8.0, "interval": [6.0, 11.0], "status": "supported",
                                          "ci_level": 0.99969, "n": 27}},
               "exploratory": {"depth-1": {"value": 0.0, "interval": [0.0, 2.0], "status": "unsupported", "n": 16,
                                           "ci_method": "bootstrap"},
                               "average": {"value": 4.5, "interval": [4.0, 5.0], "status": "supported", "n": 16}}}
    rows = {r[0]: r for r in run_rows(_claim(details))}
    assert set(rows) == {"depth-1", "depth-2", "average"}
    assert "0 [0, 2] unsupported" in rows["depth-1"][1] and "1 [0, 2] unsupported" in rows["depth-1"][2]
    assert rows["depth-1"][3] == "99.969%" and "confirmatory seeds [3000000, 3000026]" in rows["depth-1"][2]
    assert rows["depth-2"][1] == "—" and rows["average"][2] == "—"  # nothing invented on either side
    md = render_markdown({"claims": [_claim(details)]})
    assert "Exploratory and confirmatory runs" in md and " | ".join(RUN_HEAD) in md
    # a record without exploratory values gets no such table (negative control)
    assert run_rows(_claim({k: v for k, v in details.items() if k != "exploratory"})) == []
    assert "Exploratory and confirmatory runs" not in render_markdown({"claims": [_claim({})]})


def _verify_json(tmp_path, name):
    out = tmp_path / f"{name}.json"
    env = {**os.environ, "OMP_NUM_THREADS": "1" if name == "a" else "2"}  # 1 and 2 BLAS threads: same records
    subprocess.run([sys.executable, "-m", "nnclaims", "verify", *CLAIMS, "--networks", "4", "--device", "cpu",
                    "--json", str(out)], check=False, env=env, capture_output=True, timeout=1200)
    payload = json.loads(out.read_text())
    for c in payload["claims"]:
        c.pop("seconds", None)
        (c.get("numeric") or {}).get("details", {}).pop("timing", None)
    return payload["claims"]


@pytest.mark.numeric
@pytest.mark.slow
def test_verify_twice_gives_identical_records(tmp_path):
    a, b = _verify_json(tmp_path, "a"), _verify_json(tmp_path, "b")
    assert [c["id"] for c in a] == list(CLAIMS)
    assert all(c["numeric"].get("status") in ("supported", "unsupported") for c in a)  # it ran, not an error
    assert a == b


def test_dead_units_control_moves_with_its_inputs():
    """examples/dead_units.py: the control (hidden biases lowered by 2) depends on the networks and their inputs;
    the earlier control (lowered by 100) was 0 whatever they were, and fails this test."""
    import importlib.util
    from pathlib import Path
    from types import SimpleNamespace

    import torch

    path = Path(__file__).resolve().parents[1] / "examples" / "dead_units.py"
    spec = importlib.util.spec_from_file_location("nnclaims_user_dead_units_for_test", path)
    du = importlib.util.module_from_spec(spec)
    from nnclaims.proofs import catalogue

    before = dict(catalogue._REGISTRY)  # loading the example registers its claim: leave the registry as it was
    catalogue._REGISTRY.pop("user.relu-units-stay-alive", None)
    try:
        spec.loader.exec_module(du)
    finally:
        catalogue._REGISTRY.clear()
        catalogue._REGISTRY.update(before)
    g = torch.Generator().manual_seed(0)

    def zoo():
        return SimpleNamespace(params={"0.weight": torch.randn(6, 32, 8, generator=g, dtype=torch.float64),
                                       "0.bias": torch.randn(6, 32, generator=g, dtype=torch.float64) * 0.1},
                               X=torch.randn(6, 64, 8, generator=g, dtype=torch.float64) * 0.5)

    def moves(x, y):
        return not torch.equal(x, y) and len(set(torch.cat([x, y]).tolist())) > 1

    a, b = zoo(), zoo()
    assert moves(du.alive_fraction(a, du.CONTROL_SHIFT), du.alive_fraction(b, du.CONTROL_SHIFT))
    assert not moves(du.alive_fraction(a, -100.0), du.alive_fraction(b, -100.0))


def test_numeric_layer_line_prints_the_achieved_level():
    from nnclaims.reports.render import layer_summary

    rec = {"status": "supported", "statistic": "median", "value": 0.35, "threshold": 0.2, "networks": 128,
           "device": "cpu", "interval": [0.233, 0.417], "ci_level": 0.9997731176171167}
    _, line = layer_summary("numeric", rec)
    assert "interval [0.233, 0.417] at 99.9773% (achieved)" in line and "95%" not in line
    _, line = layer_summary("numeric", {**rec, "ci_level": None})
    assert "interval [0.233, 0.417] (level not stated)" in line
