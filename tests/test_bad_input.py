"""Every command, fed bad input: exit status 2, exactly one line on stderr that starts ``nnclaims: error:`` and
names the problem, no traceback, nothing written.

The table is data: ``(argv, needle)``, one row per bad input; ``{d}`` in an argument is the folder that holds
the bad files of :data:`FILES` (and a file ``a-file.txt``, and a folder ``not-empty/`` holding a user's file).
A new command adds its rows here, one line each; :func:`test_every_command_has_rows` fails until it does.
"""

from __future__ import annotations

import io
import json
import subprocess
import sys

import numpy as np
import pytest

from nnclaims.proofs.searches import SEARCHES
from nnclaims.cli.app import app, main

NET = {"weights": [[[1, 0], [0, 1]], [[1, 1]]], "biases": None}


def _nets(a_weight=1, b_bias=0) -> str:
    """Two small networks; one weight and one bias spliced in as raw JSON text."""
    return ('{"net_a": {"weights": [[[1, %s], [0, 1]], [[1, 1]]], "biases": null}, '
            '"net_b": {"weights": [[[1, 0], [0, 1]], [[1, 1]]], "biases": [[%s, 0], [0]]}}' % (a_weight, b_bias))


def _npy(array) -> bytes:
    buf = io.BytesIO()
    np.save(buf, np.asarray(array), allow_pickle=False)
    return buf.getvalue()


def _claim(**change) -> str:
    c = {"id": "perm.x", "source": "s.txt", "quote": "q", "statement": "s", "verdict": "true", "evidence": "e",
         "symbolic": {"status": "proved", "steps": [{"description": "d", "latex": "x", "check": "c", "holds": True}]},
         "search": {"status": "absent"}, "numeric": {"status": "consistent", "value": 0.0, "tolerance": 1e-12}}
    for path, v in change.items():
        *head, last = path.split("__")
        obj = c
        for k in head:
            obj = obj[k]
        obj[last] = v
    return json.dumps({"claims": [c]})


FILES = {
    "garbage.json": "garbage",
    "binary.json": b"\xff\xfe\x00garbage",
    "truncated.json": '{"claims": [{"id": "perm.x", "verdict": "tr',
    "top-list.json": "[1, 2]",
    "claims-str.json": '{"claims": "x"}',
    "claim-id-only.json": '{"claims": [{"id": "x"}]}',
    "claim-not-object.json": '{"claims": [3]}',
    "bad-verdict.json": _claim(verdict="maybe"),
    "step-holds-str.json": _claim(symbolic__steps=[{"description": "d", "latex": "x", "check": "c", "holds": "yes"}]),
    "step-role.json": _claim(symbolic__steps=[{"description": "d", "latex": "x", "check": "c", "holds": True,
                                               "role": "guesses"}]),
    "numeric-value-str.json": _claim(numeric__value="small"),
    "numeric-interval.json": _claim(numeric__interval=[0.1]),
    "per-network-str.json": _claim(numeric__details={"per_network": ["a", "b"]}),
    "cosines-broken.json": _claim(numeric__details={"per_network": {"ansatz_cos trained layer 1": [0.5]}}),
    "huge-int-result.json": '{"claims": [], "counts": {"true": ' + "9" * 10_000 + "}}",
    "nets-ok.json": _nets(),
    "nets-x.json": '{"x": 1}',
    "nets-nan.json": _nets(a_weight="NaN"),
    "nets-inf-bias.json": _nets(b_bias="-Infinity"),
    "nets-1e999999999.json": _nets(a_weight='"1e999999999"'),
    "nets-10000-digits.json": _nets(a_weight="9" * 10_000),
    "nets-1e999.json": _nets(a_weight="1e999"),  # a bare literal, not a string (issue 24)
    "nets-minus-10000-digits.json": _nets(b_bias="-" + "9" * 10_000),
    "nets-bool.json": _nets(a_weight="true"),
    "nets-shape.json": '{"net_a": {"weights": [[[1, 0]], [[1, 2]]]}, "net_b": %s}' % json.dumps(NET),
    "nets-dims.json": '{"net_a": {"weights": [[[1, 0, 1]], [[1]]]}, "net_b": %s}' % json.dumps(NET),
    "nets-activation.json": '{"net_a": %s, "net_b": %s, "output_activation": "tanh"}' % (json.dumps(NET), json.dumps(NET)),
    "broken.py": "def (:\n",
    "model.safetensors": "garbage",
    "acts.npy": _npy(np.arange(15.0).reshape(5, 3)),
    "acts-nan.npy": _npy([[1.0, float("nan")], [0.0, 1.0]]),
    "acts-3d.npy": _npy(np.zeros((2, 2, 2))),
}

def _search(name: str) -> list[str]:
    """``search NAME`` with what the search needs to run (a good --nets file for 'equivalent')."""
    return ["search", name] + (["--nets", "{d}/nets-ok.json"] if name == "equivalent" else [])


SEARCH_ROWS = [
    row
    for name in sorted(SEARCHES)
    for row in [
        (_search(name) + ["--timeout", "nan"], "Invalid value for '--timeout'"),
        (_search(name) + ["--timeout", "0"], "positive number of seconds"),
        (_search(name) + ["--seed", "-1"], "Invalid value for '--seed'"),
        (_search(name) + ["--json", "{d}"], "is a folder; give a file name"),
        (_search(name) + ["--json", "{d}/a-file.txt/out.json"], "is a file"),
    ] + ([] if name == "zero-match" else [(_search(name) + ["--sweep"], "--sweep applies to the zero-match search only"),
                                          (_search(name) + ["--allow-zero-neuron"], "does not take the zero-match options")])
    + ([] if name == "equivalent" else [(_search(name) + ["--nets", "{d}/nets-x.json"], "does not take --nets")])
]

BAD_INPUTS = [
    # list
    (["list", "--bogus"], "No such option '--bogus'"),
    (["list", "--claims", "{d}/missing.py"], "no such file"),
    (["list", "--claims", "{d}/broken.py"], "SyntaxError"),
    (["list", "--claims", "no_such_module_anywhere"], "ModuleNotFoundError"),
    # verify
    (["verify", "perm.nope"], "unknown claim ID 'perm.nope'"),
    (["verify", "--networks", "0"], "--networks must be at least 1"),
    (["verify", "--networks", "100000000"], "above the limit 4096"),
    (["verify", "--networks", "many"], "Invalid value for '--networks'"),
    (["verify", "--device", "tpu"], "unknown device 'tpu'"),
    (["verify", "--layers", "symbolic,magic"], "unknown layer(s) magic"),
    (["verify", "--seed", "-1"], "0<=x<=4294967295"),
    (["verify", "--seed", "1" + "0" * 30], "0<=x<=4294967295"),
    (["verify", "perm.inverse-is-transpose", "--json", "{d}"], "is a folder; give a file name"),
    (["verify", "perm.inverse-is-transpose", "--json", "{d}/a-file.txt/out.json"], "is a file"),
    (["verify", "--backend", "spark"], "Invalid value for '--backend'"),
    (["verify", "--address", "10.0.0.1:6379"], "--address joins a Ray cluster: it needs --backend ray"),
    (["verify", "--backend", "ray", "--address", "head"], "give HOST:PORT of a Ray cluster's head"),
    (["verify", "--backend", "ray", "--address", "ray://head:10001"], "Ray Client (ray://) is not supported"),
    (["verify", "perm.inverse-is-transpose", "--backend", "ray", "--address", "127.0.0.1:1"], "cannot connect"),
    # search: every name (SEARCH_ROWS), then each search's own options
    (["search", "nope"], "unknown search 'nope'"),
    *SEARCH_ROWS,
    (["search", "zero-match", "--hidden", "100000"], "hidden width 100000 (--hidden) is above the limit 8"),
    (["search", "zero-match", "--max-weight", "1000000000"], "1<=x<=1000000"),
    (["search", "zero-match", "--max-weight", "1000", "--inputs", "2"], "too many to enumerate (limit 5000000)"),
    (["search", "zero-match", "--max-weight", "1000", "--inputs", "1", "--points", "1", "--biases"],
     "the first-layer table has 4004001 weight vectors, above the limit 1000000"),
    (["search", "zero-match", "--hidden", "2,2,2,2,2", "--hidden-layer", "1"], "hidden layers 5 (--hidden) is above the limit 4"),
    (["search", "zero-match", "--hidden", "7", "--points", "8"], "determinant terms, above the limit"),
    (["search", "zero-match", "--points", "9"], "points 9 (--points) is above the limit 8"),
    (["search", "zero-match", "--hidden", "x"], "--hidden must be comma-separated widths"),
    (["search", "zero-match", "--hidden", "0"], "--hidden widths must be at least 1"),
    (["search", "zero-match", "--points", "0"], "Invalid value for '--points'"),
    (["search", "zero-match", "--jobs", "0"], "Invalid value for '--jobs'"),
    (["search", "zero-match", "--jobs", "1000"], "jobs 1000 (--jobs) is above the limit 64"),
    (["search", "zero-match", "--hidden-layer", "2"], "hidden_layer within the hidden layers"),
    (["search", "zero-match", "--inputs", "1", "--points", "4"], "do not fit"),
    (["search", "zero-match", "--inputs", "6", "--max-weight", "3", "--points", "4"], "too many to enumerate"),
    (["search", "zero-match", "--sweep", "--max-weight", "100"], "configurations, above the limit 200"),
    (["search", "zero-match", "--allow-zero-output", "--nonzero-output"], "contradict"),
    (["search", "zero-match", "--backend", "spark"], "Invalid value for '--backend'"),
    (["search", "zero-match", "--address", "10.0.0.1:6379"], "it needs --backend ray"),
    (["search", "zero-match", "--backend", "ray", "--address", "10.0.0.1:99999"], "port 1-65535"),
    (["search", "zero-match", "--backend", "ray", "--address", "127.0.0.1:1"], "cannot connect"),
    (["search", "zero-match", "--backend", "ray", "--method", "whole"], "--method whole is one solver"),
    (["search", "orthogonal-relu", "--backend", "ray"], "search 'orthogonal-relu' is one solver"),
    (["search", "zero-match", "--method", "fast"], "Invalid value for '--method'"),
    (["search", "equivalent"], "needs --nets FILE.json"),
    (["search", "equivalent", "--nets", "{d}/missing.json"], "cannot read"),
    (["search", "equivalent", "--nets", "{d}"], "is a folder, not a JSON file"),
    (["search", "equivalent", "--nets", "{d}/garbage.json"], "not valid JSON (line 1, column 1"),
    (["search", "equivalent", "--nets", "{d}/binary.json"], "not UTF-8 text"),
    (["search", "equivalent", "--nets", "{d}/truncated.json"], "not valid JSON"),
    (["search", "equivalent", "--nets", "{d}/nets-x.json"], "expected an object with net_a and net_b"),
    (["search", "equivalent", "--nets", "{d}/nets-nan.json"], "net_a layer 1 weight [0][1]: NaN, not a finite number"),
    (["search", "equivalent", "--nets", "{d}/nets-inf-bias.json"], "net_b layer 1 bias [0]: -Infinity, not a finite"),
    (["search", "equivalent", "--nets", "{d}/nets-1e999999999.json"],
     "net_a layer 1 weight [0][1]: '1e999999999' has an exponent beyond ±40"),
    (["search", "equivalent", "--nets", "{d}/nets-10000-digits.json"],
     "net_a layer 1 weight [0][1]: a 10000-digit integer (at most 40 digits)"),
    (["search", "equivalent", "--nets", "{d}/nets-1e999.json"], "net_a layer 1 weight [0][1]: '1e999', not a finite number"),
    (["search", "equivalent", "--nets", "{d}/nets-minus-10000-digits.json"],
     "net_b layer 1 bias [0]: a 10000-digit integer (at most 40 digits)"),
    (["search", "equivalent", "--nets", "{d}/nets-bool.json"], "net_a layer 1 weight [0][1]: 'True' is not a number"),
    (["search", "equivalent", "--nets", "{d}/nets-shape.json"], "net_a layer 2 weight: takes 2 inputs, so it does not take the 1 outputs of layer 1"),
    (["search", "equivalent", "--nets", "{d}/nets-dims.json"], "same input and output dimensions"),
    (["search", "equivalent", "--nets", "{d}/nets-activation.json"], "output_activation must be linear or relu"),
    (["search", "equivalent", "--nets", "{d}/nets-x.json", "--box", "nan"], "Invalid value for '--box'"),
    (["search", "equivalent", "--nets", "{d}/nets-nan.json", "--gap", "inf"], "Invalid value for '--gap'"),
    (["search", "equivalent", "--nets", "{d}/nets-dims.json", "--points", "2"], "does not take --points"),
    (["search", "orthogonal-relu", "--points", "2"], "does not take --points"),
    (["search", "orthogonal-relu", "--denominator", "0"], "Invalid value for '--denominator'"),
    (["search", "orthogonal-relu", "--denominator", "10000000"], "1<=x<=1000000"),
    (["search", "basis-change", "--hidden", "2"], "does not take --hidden"),
    (["search", "svd-form", "--points", "100000"], "1<=x<=64"),
    (["search", "residual-at-optimum", "--max-weight", "1000000000"], "1<=x<=1000000"),
    # report
    (["report", "--out", "{d}/r", "--from", "{d}/missing.json"], "cannot read"),
    (["report", "--out", "{d}/r", "--from", "{d}/garbage.json"], "not valid JSON"),
    (["report", "--out", "{d}/r", "--from", "{d}/truncated.json"], "not valid JSON (line 1, column"),
    (["report", "--out", "{d}/r", "--from", "{d}/top-list.json"], "the top level: is not a JSON object"),
    (["report", "--out", "{d}/r", "--from", "{d}/claims-str.json"], "claims: 'x' is not a list"),
    (["report", "--out", "{d}/r", "--from", "{d}/claim-id-only.json"], "claims[0].source: missing"),
    (["report", "--out", "{d}/r", "--from", "{d}/claim-not-object.json"], "claims[0]: is not an object"),
    (["report", "--out", "{d}/r", "--from", "{d}/bad-verdict.json"], "claims[0].verdict: 'maybe' is not a one of"),
    (["report", "--out", "{d}/r", "--from", "{d}/step-holds-str.json"], "claims[0].symbolic.steps[0].holds"),
    (["report", "--out", "{d}/r", "--from", "{d}/step-role.json"], "claims[0].symbolic.steps[0].role"),
    (["report", "--out", "{d}/r", "--from", "{d}/numeric-value-str.json"], "claims[0].numeric.value: 'small' is not a number"),
    (["report", "--out", "{d}/r", "--from", "{d}/numeric-interval.json"], "claims[0].numeric.interval: must have 2"),
    (["report", "--out", "{d}/r", "--from", "{d}/per-network-str.json"], "numeric.details.per_network: is not a list of numbers"),
    (["report", "--out", "{d}/r", "--from", "{d}/cosines-broken.json"], "cannot be drawn as the 'cosines' figure"),
    (["report", "--out", "{d}/r", "--from", "{d}/huge-int-result.json"], "counts.true: a 10000-digit integer"),
    (["report", "--out", "{d}/a-file.txt", "--from", "{d}/claims-str.json"], "is an existing file, not a folder"),
    (["report", "--out", "{d}/not-empty", "--from", "{d}/claims-str.json"], "holds no nnclaims report"),
    (["report", "--out", "{d}/a-file.txt/r", "--from", "{d}/claims-str.json"], "a-file.txt is a file"),
    (["report", "--out", "{d}/r", "--device", "tpu"], "unknown device 'tpu'"),
    (["report", "--out", "{d}/r", "--networks", "0"], "--networks must be at least 1"),
    (["report", "--out", "{d}/r", "--seed", "x"], "Invalid value for '--seed'"),
    # measure (its own table of model and data files: tests/test_measure_inputs.py)
    (["measure", "{d}/missing.safetensors", "--data", "{d}/garbage.json"], "cannot read (No such file"),
    (["measure", "{d}/model.safetensors", "--data", "{d}/garbage.json"], "too short for a safetensors file"),
    (["measure", "{d}/model.safetensors", "--data", "{d}/garbage.json", "--device", "tpu"], "unknown device 'tpu'"),
    (["measure", "{d}/model.safetensors", "--data", "{d}/garbage.json", "--chunk", "0"], "Invalid value for '--chunk'"),
    # similarity, compare
    (["similarity", "{d}/missing.npy", "{d}/acts.npy"], "no such file"),
    (["similarity", "{d}/garbage.json", "{d}/acts.npy"], "unknown format '.json'"),
    (["similarity", "{d}/acts-nan.npy", "{d}/acts.npy"], "1 NaN/Inf entry (of 4), first at index (0, 1)"),
    (["similarity", "{d}/acts-3d.npy", "{d}/acts.npy"], "expected 2-D"),
    (["similarity", "{d}/acts.npy", "{d}/acts.npy", "--measures", "magic"], "unknown measure(s) magic"),
    (["similarity", "{d}/acts.npy", "{d}/acts.npy", "--epsilon", "nan"], "--epsilon nan: must be a finite number"),
    (["similarity", "{d}/acts.npy", "{d}/acts.npy", "--json", "{d}"], "is a directory"),
    (["compare", "{d}/model.safetensors", "{d}/model.safetensors", "--data", "{d}/acts.npy", "--layer", "1"],
     "too short for a safetensors file"),
    (["compare", "{d}/model.safetensors", "{d}/model.safetensors", "--data", "{d}/acts.npy", "--layer", "-1"],
     "Invalid value for '--layer'"),
    (["compare", "{d}/model.safetensors", "{d}/model.safetensors", "--layer", "1"], "Missing option '--data'"),
    # study (rows that fail before any network is trained)
    (["study", "nope", "--out", "{d}/s"], "Invalid value for '{dnfa}'"),
    (["study", "dnfa"], "Missing option '--out'"),
    (["study", "dnfa", "--out", "{d}/a-file.txt"], "is an existing file, not a folder"),
    (["study", "dnfa", "--out", "{d}/s", "--threads", "0"], "--threads must be at least 1"),
    (["study", "dnfa", "--out", "{d}/s", "--device", "tpu"], "unknown device 'tpu'"),
    (["study", "dnfa", "--out", "{d}/not-empty"], "holds no nnclaims study"),
    (["study", "dnfa", "--out", "{d}/s", "--shard-networks", "0"], "--shard-networks must be at least 1"),
    (["study", "dnfa", "--out", "{d}/s", "--backend", "spark"], "Invalid value for '--backend'"),
    (["study", "dnfa", "--out", "{d}/s", "--address", "10.0.0.1:6379"], "it needs --backend ray"),
    (["study", "dnfa", "--out", "{d}/s", "--backend", "ray", "--address", "10.0.0.1"], "give HOST:PORT"),
    (["study", "dnfa", "--out", "{d}/s", "--backend", "ray", "--address", "127.0.0.1:1"], "cannot connect"),
]


@pytest.fixture
def bad_dir(tmp_path, monkeypatch):
    for name, content in FILES.items():
        (tmp_path / name).write_bytes(content if isinstance(content, bytes) else content.encode())
    (tmp_path / "a-file.txt").write_text("a user's file")
    (tmp_path / "not-empty").mkdir()
    (tmp_path / "not-empty" / "notes.txt").write_text("a user's notes")
    monkeypatch.chdir(tmp_path)  # a default --out, were one used, would land here
    return tmp_path


def _listing(folder):
    return sorted(str(p.relative_to(folder)) for p in folder.rglob("*"))


@pytest.mark.parametrize("argv, needle", BAD_INPUTS, ids=lambda v: " ".join(v) if isinstance(v, list) else None)
def test_bad_input_is_one_line_and_exit_2(bad_dir, capsys, argv, needle):
    before = _listing(bad_dir)
    code = main([a.replace("{d}", str(bad_dir)) for a in argv])
    captured = capsys.readouterr()
    lines = [ln for ln in captured.err.splitlines() if ln.strip()]
    assert code == 2, captured.err
    assert len(lines) == 1 and lines[0].startswith("nnclaims: error:"), captured.err
    assert needle in lines[0], lines[0]
    assert "Traceback" not in captured.err + captured.out
    assert _listing(bad_dir) == before  # nothing written, nothing removed


def test_every_command_and_search_has_rows():
    """A command (or a search) without bad-input rows fails here: add its rows to BAD_INPUTS."""
    covered = {argv[0] for argv, _ in BAD_INPUTS}
    assert set(app.commands) <= covered, sorted(set(app.commands) - covered)
    searched = {argv[1] for argv, _ in BAD_INPUTS if argv[0] == "search"}
    assert set(SEARCHES) <= searched


@pytest.mark.slow
@pytest.mark.parametrize("argv, needle", [
    (["search", "equivalent", "--nets", "{d}/nets-1e999999999.json"], "exponent beyond"),
    (["report", "--out", "{d}/not-empty", "--from", "{d}/claims-str.json"], "holds no nnclaims report"),
    (["search", "zero-match", "--hidden", "100000"], "above the limit"),
    (["verify", "--networks", "100000000"], "above the limit"),
])
def test_bad_input_in_a_real_process(bad_dir, argv, needle):
    """The installed entry point, as a user runs it: one line on stderr, exit 2, no traceback."""
    done = subprocess.run([sys.executable, "-m", "nnclaims", *[a.replace("{d}", str(bad_dir)) for a in argv]],
                          capture_output=True, text=True, timeout=900)
    lines = [ln for ln in done.stderr.splitlines() if ln.strip()]
    assert done.returncode == 2 and len(lines) == 1 and needle in lines[0], done.stderr
    assert lines[0].startswith("nnclaims: error:") and "Traceback" not in done.stderr


def test_a_claims_file_that_failed_to_load_fails_again(bad_dir, capsys):
    """A --claims file that fails is not remembered as loaded (the second try is one error line again), and two
    files with the same name are two modules."""
    for _ in range(2):
        assert main(["list", "--claims", str(bad_dir / "broken.py")]) == 2
        assert "SyntaxError" in capsys.readouterr().err
    other = bad_dir / "elsewhere"
    other.mkdir()
    (other / "broken.py").write_text("raise RuntimeError('boom')\n")
    assert main(["list", "--claims", str(other / "broken.py")]) == 2
    assert "RuntimeError: boom" in capsys.readouterr().err
