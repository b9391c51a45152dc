"""The command line: listing, verifying, searching, reporting; time limits, Ctrl-C and readable output.
(Bad input for every command: tests/test_bad_input.py.)"""

import io
import json
import os
import sys
import time

import pytest
import torch

from nnclaims.proofs.catalogue import CLAIMS
from nnclaims.cli.app import main


def run(capsys, *argv):
    code = main(list(argv))
    out = capsys.readouterr()
    return code, out.out, out.err


def test_cli_list_json_has_every_claim(capsys):
    code, out, _ = run(capsys, "list", "--json")
    assert code == 0
    rows = json.loads(out)["claims"]
    assert [r["id"] for r in rows][:len(CLAIMS)] == [c.id for c in CLAIMS]  # built-ins first, then plug-ins
    assert all(r["source"] and r["quote"] for r in rows)


@pytest.mark.slow
def test_cli_verify_json(tmp_path, capsys):
    path = tmp_path / "out.json"
    code, out, _ = run(capsys, "verify", "perm.inverse-is-transpose", "subspace.definitions",
                       "--networks", "2", "--device", "cpu", "--json", str(path))
    assert code == 0
    data = json.loads(path.read_text())
    by_id = {c["id"]: c for c in data["claims"]}
    assert by_id["perm.inverse-is-transpose"]["verdict"] == "true"
    assert by_id["perm.inverse-is-transpose"]["symbolic"]["status"] == "proved"
    assert by_id["subspace.definitions"]["verdict"] == "open"
    for c in data["claims"]:
        assert {"id", "verdict", "symbolic", "search", "numeric"} <= set(c)
        assert all("status" in c[layer] for layer in ("symbolic", "search", "numeric"))


# bad input for every command: tests/test_bad_input.py (one table)


@pytest.mark.skipif(torch.cuda.is_available(), reason="this machine has a GPU")
def test_cli_cuda_absent_is_error(capsys):
    code, _, err = run(capsys, "verify", "perm.inverse-is-transpose", "--device", "cuda")
    assert code == 2 and "no CUDA GPU" in err


@pytest.mark.search
def test_cli_search_json(tmp_path, capsys):
    path = tmp_path / "w.json"
    code, out, _ = run(capsys, "search", "orthogonal-relu", "--json", str(path))
    assert code == 0
    data = json.loads(path.read_text())
    assert data["status"] == "found" and data["rechecked"] is True


def test_cli_report_from_json(tmp_path, capsys):
    res = tmp_path / "res.json"
    run(capsys, "verify", "perm.row-column-action", "--layers", "symbolic", "--json", str(res))
    code, _, _ = run(capsys, "report", "--from", str(res), "--out", str(tmp_path / "rep"))
    assert code == 0
    md = (tmp_path / "rep" / "report.md").read_text()
    assert "perm.row-column-action" in md and "**true**" in md
    assert (tmp_path / "rep" / "index.html").read_text().startswith("<!doctype html>")


@pytest.mark.search
def test_cli_search_zero_match_json(tmp_path, capsys):
    path = tmp_path / "w.json"
    code, _, _ = run(capsys, "search", "zero-match", "--hidden", "2", "--inputs", "2", "--outputs", "2",
                     "--points", "2", "--max-weight", "1", "--json", str(path))
    assert code == 0
    data = json.loads(path.read_text())
    assert data["status"] == "found" and data["rechecked"] is True
    w = data["witness"]
    assert len(w["inputs"]) == 2 and len(w["net_a"]["weights"]) == 2 and w["hidden_layer"] == 1


def test_cli_search_help_names_every_search(capsys):
    from click.testing import CliRunner

    from nnclaims.proofs.searches import SEARCHES
    from nnclaims.cli.app import app

    text = CliRunner().invoke(app, ["search", "--help"]).output
    assert all(name in text for name in SEARCHES)


@pytest.mark.search
def test_cli_search_equivalent_on_zero_match_witness(tmp_path, capsys):
    w = tmp_path / "w.json"
    run(capsys, "search", "zero-match", "--json", str(w))
    e = tmp_path / "e.json"
    code, _, _ = run(capsys, "search", "equivalent", "--nets", str(w), "--box", "2", "--json", str(e))
    assert code == 0
    data = json.loads(e.read_text())
    # the witness networks agree on the data points but are different functions
    assert data["status"] == "found" and data["rechecked"] is True


def test_cli_verify_johnson_prints_computed_activations(capsys):
    code, out, _ = run(capsys, "verify", "subspace.johnson-example-3-1", "--networks", "2", "--device", "cpu")
    assert code == 0 and "false" in out
    assert out.count("hidden A = [['1', '0'], ['1', '0']]") == 4  # one line per reading of the convention
    assert "similarity 3/4" in out


def test_cli_version(capsys):
    from importlib.metadata import version

    code, out, _ = run(capsys, "--version")
    assert code == 0 and out.strip() == f"nnclaims {version('nnclaims')}"


@pytest.mark.parametrize("width", [200, 80, 50, 30])
def test_cli_list_never_truncates_ids(monkeypatch, width):
    """Every ID appears whole wherever the terminal is wide enough for the longest one; narrower, IDs are folded
    onto the next line, never cut with an ellipsis."""
    from rich.console import Console

    buf = io.StringIO()
    monkeypatch.setattr("nnclaims.cli._common.out", Console(file=buf, width=width))
    assert main(["list"]) == 0
    text = buf.getvalue()
    ids = [c.id for c in CLAIMS]
    assert "…" not in text
    assert all(i in text for i in ids)
    longest_source = max(len(c.source) for c in CLAIMS)
    fits = width >= max(map(len, ids)) + longest_source + 40 + 10  # both columns whole, 40 for the statement
    assert ("│" in text) == fits  # a table where it fits, else one block per claim


@pytest.mark.parametrize("width", [80, 120, 200])
def test_cli_list_never_squeezes_statements(monkeypatch, width):
    """Issue 24: in 80 columns the table left the statement 14 characters; now a statement gets at least 40 columns
    of a table, or a block of its own (at 80 columns), whole on its lines."""
    from rich.console import Console

    buf = io.StringIO()
    monkeypatch.setattr("nnclaims.cli._common.out", Console(file=buf, width=width))
    assert main(["list"]) == 0
    text = buf.getvalue()
    if "│" in text:
        cells = [ln.split("│")[-2] for ln in text.splitlines() if ln.count("│") == 4]
        assert cells and min(len(c) for c in cells) >= 40
    else:
        assert all(f"    statement: {c.statement[:30]}" in text for c in CLAIMS)
    assert width != 80 or "│" not in text  # 80 columns: blocks (the table left the statement 14 characters)


@pytest.mark.search
def test_cli_zero_match_default_is_the_claims_search_and_not_trivial(tmp_path, capsys):
    """`nnclaims search zero-match` with no options is the search of subspace.zero-match-exists, and its witness
    has some nonzero output and no all-zero hidden neuron; the allow options relax exactly those."""
    from nnclaims.proofs.search_subspace import isomorphic_unmatched, recheck_zero_match, zero_match_exists
    from nnclaims.proofs.subspace import activations

    path = tmp_path / "w.json"
    assert run(capsys, "search", "zero-match", "--json", str(path))[0] == 0
    data = json.loads(path.read_text())
    claim = zero_match_exists()
    assert data["witness"] == claim.witness and data["bounds"] == claim.bounds
    assert data["bounds"]["nonzero_output"] and data["bounds"]["no_zero_neuron"]
    w = data["witness"]
    assert recheck_zero_match(w, nonzero_output=True, no_zero_neuron=True)
    for net in ("net_a", "net_b"):
        acts = activations(w[net]["weights"], w[net]["biases"], w["inputs"], w["output_activation"])
        assert all(any(v != 0 for v in row) for row in acts[0])  # no all-zero hidden neuron
        assert any(v != 0 for row in acts[-1] for v in row)  # some output nonzero
    iso = tmp_path / "iso.json"
    assert run(capsys, "search", "zero-match", "--isomorphic", "--points", "3", "--json", str(iso))[0] == 0
    assert json.loads(iso.read_text())["witness"] == isomorphic_unmatched().witness
    relaxed = tmp_path / "r.json"
    run(capsys, "search", "zero-match", "--allow-zero-output", "--allow-zero-neuron", "--json", str(relaxed))
    bounds = json.loads(relaxed.read_text())["bounds"]
    assert not bounds["nonzero_output"] and not bounds["no_zero_neuron"]


def test_cli_sweep_prints_each_configuration_as_it_is_settled(monkeypatch, capsys):
    """When the k-th configuration starts, the k − 1 before it are already on the screen."""
    from nnclaims.proofs.record import SearchResult
    from nnclaims.cli import search as cli

    seen, printed = [], [0]

    def fake(name, fn, kwargs, timeout, seed, runner=None):
        assert runner is None
        printed[0] += capsys.readouterr().out.count(" points=")
        seen.append(printed[0])
        bounds = {"max_weight": kwargs["max_weight"], "hidden": list(kwargs["hidden"]), "points": kwargs["points"]}
        return SearchResult(name, "none", bounds, seconds=0.0)

    monkeypatch.setattr(cli, "_run_search", fake)
    assert main(["search", "zero-match", "--sweep", "--max-weight", "1", "--hidden", "2", "--points", "2"]) == 0
    assert seen == list(range(len(seen))) and len(seen) == 4


@pytest.mark.search
def test_cli_timeout_bounds_the_encoding_too(capsys, slowness):
    """Building this encoding alone takes minutes (width 6, 3 points: 2.7 million determinant terms); the time
    limit stops it anyway, and the answer is unknown, never none.  The allowance past the limit (13 s idle) grows
    with the machine's measured slowness."""
    slow = slowness()
    t0 = time.monotonic()
    code, out, _ = run(capsys, "search", "zero-match", "--method", "whole", "--hidden", "6", "--points", "3",
                       "--timeout", "2")
    assert code == 0 and time.monotonic() - t0 < 2 + 13 * max(slow, slowness())
    assert "unknown" in out and "time limit" in out


@pytest.mark.slow
@pytest.mark.search
@pytest.mark.skipif(not os.path.isdir("/proc/self"), reason="needs Linux /proc to find the worker processes")
def test_cli_ctrl_c_stops_the_search_and_its_workers(interrupt, slowness):
    """Ctrl-C (SIGINT) ends a long search with 2 worker processes within seconds: exit 130, one line saying
    what was settled, and no process of the command left behind."""
    argv = [sys.executable, "-m", "nnclaims", "search", "zero-match", "--inputs", "3", "--hidden", "3", "--outputs",
            "3", "--points", "2", "--max-weight", "2", "--isomorphic", "--jobs", "2", "--no-cover", "--timeout", "600"]
    # ready: the command, the search and its 2 workers are running
    slow = slowness()
    code, stopped, err, left = interrupt(argv, lambda pids: len(pids) >= 4, wait=900, end=900)
    lines = [ln for ln in err.splitlines() if ln.strip()]
    assert code == 130 and stopped < 5 * max(slow, slowness()), (code, stopped, err)
    assert len(lines) == 1 and lines[0].startswith("nnclaims: interrupted: search zero-match stopped:"), err
    assert "data sets settled" in lines[0] and "Traceback" not in err
    assert left == []  # the search process and both workers are gone


def test_cli_prints_refuting_steps_and_records_readably(capsys):
    """A confirmed counterexample is shown as one (never with ✓); the search and numeric records are text, with
    the numeric layer's as-stated reading, negative control and interval."""
    from nnclaims.proofs.catalogue import get_claim
    from nnclaims.proofs.record import NumericResult, Proof, SearchResult, Step
    from nnclaims.cli.verify import _print_details
    from nnclaims.verdict import Outcome, Verdict

    proof = Proof("perm.elementwise-commutes", "s", (), (Step("derive", "a = b", "c", True, "derives"),
                                                         Step("a counterexample", "a \\neq b", "c", True, "refutes")),
                  "refuted", "general", True, counterexample={"Z": [[1, 0]], "activation": "relu"})
    search = SearchResult("zero-match", "found", {"inputs": 2, "biases": False}, {"x": [1]}, True, 0.1)
    num = NumericResult("perm.elementwise-commutes", "consistent", "max error", 1e-16, 4, "cpu", tolerance=1e-12,
                        as_stated="violated", control={"description": "wrong permutation", "value": 0.5, "fails": True},
                        interval=(0.1, 0.2))
    o = Outcome(get_claim("perm.elementwise-commutes"), Verdict.FALSE, "e", {"symbolic": proof, "search": search,
                                                                             "numeric": num})
    _print_details(o)
    out = capsys.readouterr().out
    assert "[1] ✓ derive" in out and "[2] ✗ counterexample (confirmed) a counterexample" in out
    assert "✓ a counterexample" not in out
    assert "[counterexample] Z: [[1, 0]]" in out
    assert "bounds inputs=2, biases=no" in out and "witness re-checked exactly: yes" in out
    assert "the claim as stated: violated" in out and "negative control (wrong permutation): 0.5, fails, as it must" in out
    assert "interval [0.1, 0.2] (level not stated)" in out and "95%" not in out
    assert "{" not in out  # no raw dicts


def test_cli_verify_evidence_has_no_raw_dicts(capsys):
    code, out, _ = run(capsys, "verify", "subspace.zero-match-exists", "--layers", "search")
    assert code == 0 and "{'" not in out and "max_weight=1" in out


def test_progress_lines_when_stderr_is_not_a_terminal(capsys, monkeypatch):
    """Output redirected (pytest's capture is not a terminal): ``report``'s verify loop prints one plain line per
    claim to stderr, where a progress bar would show nothing; on a terminal it prints none (negative control: the
    bar shows the progress there)."""
    from nnclaims.cli import verify as cli

    cli.run_verify(["perm.orthogonal-commutes"], "search", 4, "cpu", 0, lines=True)
    err = capsys.readouterr().err
    assert [ln for ln in err.splitlines() if ln.startswith("verified ")][0].startswith(
        "verified 1/1: perm.orthogonal-commutes: false (")
    monkeypatch.setattr(cli.err, "_force_terminal", True)
    cli.run_verify(["perm.orthogonal-commutes"], "search", 4, "cpu", 0, lines=True)
    assert "verified 1/1" not in capsys.readouterr().err


def _rendered_claim(verdict: str, as_stated: str) -> dict:
    numeric = {"status": "consistent", "statistic": "max error", "value": 1e-16, "tolerance": 1e-12, "networks": 3,
               "device": "cpu", "as_stated": as_stated, "details": {}}
    return {"id": f"perm.{verdict}", "source": "001.txt", "quote": "q", "statement": "s", "kind": "identity",
            "verdict": verdict, "evidence": "e", "disagreement": None, "symbolic": {"status": "proved"},
            "search": {"status": "absent"}, "numeric": numeric}


def test_report_has_a_verdict_legend_and_reads_conditional_claims_plainly():
    """The report explains every verdict; on a conditional claim the numeric line says its 'consistent' is the
    conditional form's and that the violation as stated is what the verdict expects; on a true claim neither
    (negative control)."""
    import html

    from nnclaims.reports.render import VERDICT_LEGEND, render_html, render_markdown, validate_results
    from nnclaims.verdict import Verdict

    assert set(VERDICT_LEGEND) == {v.value for v in Verdict}
    payload = validate_results({"claims": [_rendered_claim("conditional", "violated"), _rendered_claim("true", "holds")],
                                "counts": {"conditional": 1, "true": 1}})
    md, page = render_markdown(payload), render_html(payload)
    for text, esc in ((md, str), (page, html.escape)):
        assert all(esc(meaning) in text for meaning in VERDICT_LEGEND.values())
        assert "the claim as stated: violated (as the verdict expects)" in text
        assert "conditional form consistent" in text and "the claim as stated: holds" in text
    cond, true = md.split("## perm.conditional")[1].split("## perm.true")
    assert "**numeric**: `conditional form consistent`" in cond and "**numeric**: `consistent`" in true
    assert "as the verdict expects" not in true
