"""The command line: listing, verifying, searching, reporting, and one-line errors with exit 2."""

import json

import pytest
import torch

from nnclaims.proofs.catalogue import CLAIMS
from nnclaims.reports.cli import main


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


@pytest.mark.parametrize(
    "argv, needle",
    [
        (["verify", "perm.nope"], "unknown claim ID 'perm.nope'"),
        (["verify", "--networks", "0"], "--networks must be at least 1"),
        (["verify", "--device", "tpu"], "unknown device 'tpu'"),
        (["verify", "--layers", "symbolic,magic"], "unknown layer(s) magic"),
        (["verify", "--networks", "many"], "Invalid value"),
        (["search", "nope"], "unknown search 'nope'"),
        (["search", "orthogonal-relu", "--timeout", "0"], "--timeout must be positive"),
    ],
)
def test_cli_bad_input_one_line_exit_2(capsys, argv, needle):
    code, _, err = run(capsys, *argv)
    assert code == 2
    lines = [ln for ln in err.splitlines() if ln.strip()]
    assert len(lines) == 1 and needle in lines[0] and lines[0].startswith("nnclaims: error:")


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


def test_cli_report_from_bad_file(tmp_path, capsys):
    bad = tmp_path / "bad.json"
    bad.write_text("not json")
    code, _, err = run(capsys, "report", "--from", str(bad))
    assert code == 2 and "not a results file" in err


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


@pytest.mark.parametrize(
    "argv, needle",
    [
        (["search", "orthogonal-relu", "--points", "2"], "does not take --points"),
        (["search", "zero-match", "--hidden", "0"], "--hidden widths must be at least 1"),
        (["search", "zero-match", "--points", "0"], "must be >= 1"),
        (["search", "zero-match", "--jobs", "0"], "jobs must be >= 1"),
        (["search", "zero-match", "--inputs", "1", "--points", "4"], "do not fit"),
        (["search", "zero-match", "--inputs", "6", "--max-weight", "3", "--points", "4"], "too many to enumerate"),
        (["search", "svd-form", "--points", "0"], "must be >= 1"),
        (["search", "basis-change", "--nonzero-output"], "does not take --nonzero-output"),
    ],
)
def test_cli_search_bad_options(capsys, argv, needle):
    code, _, err = run(capsys, *argv)
    assert code == 2 and needle in err and len(err.strip().splitlines()) == 1


def test_cli_search_help_names_every_search(capsys):
    from click.testing import CliRunner

    from nnclaims.proofs.searches import SEARCHES
    from nnclaims.reports.cli import app

    text = CliRunner().invoke(app, ["search", "--help"]).output
    assert all(name in text for name in SEARCHES)


@pytest.mark.search
def test_cli_search_equivalent_on_zero_match_witness(tmp_path, capsys):
    w = tmp_path / "w.json"
    run(capsys, "search", "zero-match", "--nonzero-output", "--json", str(w))
    e = tmp_path / "e.json"
    code, _, _ = run(capsys, "search", "equivalent", "--nets", str(w), "--box", "2", "--json", str(e))
    assert code == 0
    data = json.loads(e.read_text())
    # the witness networks agree on the data points but are different functions
    assert data["status"] == "found" and data["rechecked"] is True


@pytest.mark.parametrize("content, needle", [
    ("garbage", "not a JSON file"),
    ('{"x": 1}', "expected an object with net_a and net_b"),
    ('{"net_a": {"weights": [[[1, NaN]]]}, "net_b": {"weights": [[[1, 2]]]}}', "not a finite number"),
])
def test_cli_search_equivalent_bad_files(tmp_path, capsys, content, needle):
    f = tmp_path / "nets.json"
    f.write_text(content)
    code, _, err = run(capsys, "search", "equivalent", "--nets", str(f))
    assert code == 2 and needle in err and len(err.strip().splitlines()) == 1


def test_cli_verify_johnson_prints_computed_activations(capsys):
    code, out, _ = run(capsys, "verify", "subspace.johnson-example-3-1", "--networks", "2", "--device", "cpu")
    assert code == 0 and "false" in out
    assert out.count("hidden A = [['1', '0'], ['1', '0']]") == 4  # one line per reading of the convention
    assert "similarity 3/4" in out
