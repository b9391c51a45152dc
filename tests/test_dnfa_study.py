"""The DNFA study: the design and the catalogue agree, the rule decides what it says, the official-code replica
computes what the official code computes, the command writes a complete study, and bad options are one line."""

import dataclasses
import json
import math
from pathlib import Path

import pytest
import torch
from torch.func import jacrev, vmap

from nnclaims.numeric import dnfa_design as D
from nnclaims.numeric.deep import DeepSpec, all_layer_agop, init_deep_zoo, make_data, train_deep_zoo
from nnclaims.numeric.dnfa import cos
from nnclaims.numeric.dnfa_study import (_mean_gradients, condition_decision, decide_claim, layer_metrics,
                                         paper_code_replica, summarise)
from nnclaims.proofs.catalogue import get_claim
from nnclaims.reports.cli import main

pytestmark = pytest.mark.slow  # studies: the full tier (python -m pytest), not -m "not slow"

ROOT = Path(__file__).resolve().parents[1]
COMMITTED = ROOT / "reports" / "dnfa-study-cpu" / "study.json"


# --- the design ------------------------------------------------------------------------------------------------

@pytest.mark.parametrize("claim_id", list(D.CLAIMS))
def test_catalogue_preregistration_is_the_design(claim_id):
    pre = get_claim(claim_id).preregistered
    assert pre == D.preregistration(claim_id)
    assert pre.threshold == D.THRESHOLD and pre.date == D.DESIGN_DATE and pre.rule == D.RULE
    assert set(pre.conditions) == set(D.all_condition_names())


def test_design_doc_lists_every_named_condition_and_the_rule():
    doc = (ROOT / "numeric" / "dnfa_study_design.md").read_text()
    for name in D.NAMED:
        assert f"`{name}`" in doc, name
    assert "Bonferroni" in doc and "0.9" in doc and "2736023c725d4f1031c622f5297fbc861fd7d4f9" in doc


def test_profiles_meet_the_issue_sizes():
    assert D.networks("cpu") >= 128 and D.networks("ci") >= 128 and D.networks("gpu") >= 1000
    for profile in ("ci", "cpu", "gpu"):
        conds = D.conditions(profile)
        assert len(conds) >= 6 and all(c.preregistered for c in conds)
        assert [c.name for c in conds if c.calibration] == ["paper (calibration)"]
        assert len({c.seed0 for c in conds}) == len(conds)  # disjoint seeds
        f = [c.factors for c in conds]
        assert {x["depth"] for x in f} == {1, 2, 3, 4} and {x["bias"] for x in f} == {True, False}
        assert {x["optimizer"] for x in f} == {"sgd", "adam"} and {x["loss"] for x in f} == {"mse", "xent"}
        assert {"digits", "breast-cancer", "teacher rank 1"} <= {x["data"] for x in f}
        assert any(x["data"].startswith("teacher rank") and x["data"] != "teacher rank 1" for x in f)
        scales = sorted({x["init_scale"] for x in f})
        assert scales[0] == 0.05 and scales[-1] == 2.0


def test_cpu_sweep_levels_are_gpu_levels():
    assert set(D.sweep_scales(6)) <= set(D.sweep_scales(11))
    assert set(D.condition_names("cpu")) <= set(D.condition_names("gpu"))


# --- the rule --------------------------------------------------------------------------------------------------

def _layers(*lows):
    return [{"median": lo + 0.01, "ci_corrected": [lo, lo + 0.02], "ci": [lo, lo + 0.02]} for lo in lows]


def test_condition_supports_only_when_every_layer_interval_clears_the_threshold():
    assert condition_decision(_layers(0.95, 0.91), 8, 8, 0.9)["status"] == "supported"
    bad = condition_decision(_layers(0.95, 0.89), 8, 8, 0.9)  # one layer's interval dips below: negative control
    assert bad["status"] == "unsupported" and bad["interval"][0] == 0.89
    assert condition_decision(_layers(0.99), 3, 8, 0.9)["status"] == "excluded"  # 3 < max(3, 4) met
    assert condition_decision(_layers(0.99), 3, 4, 0.9)["status"] == "supported"


def test_claim_verdict_from_conditions():
    s, u, e = {"status": "supported"}, {"status": "unsupported"}, {"status": "excluded"}
    assert decide_claim({"a": s, "b": s, "c": e})["verdict"] == "supported"
    c = decide_claim({"a": s, "b": u, "c": e})
    assert c["verdict"] == "conditional" and c["supported_in"] == ["a"] and c["excluded"] == ["c"]
    assert decide_claim({"a": u, "b": e})["verdict"] == "unsupported"
    assert decide_claim({"a": e})["verdict"] == "unsupported"


def test_summarise_uses_only_networks_that_met_the_criterion_and_the_corrected_level_is_wider():
    v = torch.tensor([[0.1, 0.95, 0.96, 0.97, 0.98, 0.99]], dtype=torch.float64)
    met = torch.tensor([False, True, True, True, True, True])
    row = summarise(v, met, level=1 - 0.05 / 20)[0]
    assert row["n"] == 5 and row["median"] == pytest.approx(0.97)
    assert row["ci_corrected"][0] <= row["ci"][0] <= row["ci"][1] <= row["ci_corrected"][1]


# --- metrics against independent computations -----------------------------------------------------------------

SPEC = DeepSpec(d=5, widths=(6, 6, 6), q=2, n=16, bias=False, steps=30, lr=0.05)


@pytest.fixture(scope="module")
def trained():
    base, p0 = init_deep_zoo(SPEC, 2, 0, "cpu", dtype=torch.float64)
    X, Y = make_data(SPEC, 2, 0)
    p1, _ = train_deep_zoo(SPEC, base, p0, X, Y)
    return p0, p1, X


def _net(Ws, x, start=0):
    h = x
    for i in range(start, len(Ws)):
        h = Ws[i] @ h
        h = torch.relu(h) if i < len(Ws) - 1 else h
    return h


def test_mean_gradients_match_jacrev(trained):
    _, p1, X = trained
    Ws = [p1[f"{i}.weight"] for i in (0, 2, 4, 6)]
    means = _mean_gradients(SPEC, p1, X)
    for k in range(2):
        W = [w[k] for w in Ws]
        h = X[k]
        for layer in range(3):
            J = vmap(jacrev(lambda hx: _net(W, hx, layer)))(h)  # (n, q, n_l)
            assert torch.allclose(means[layer][k], J.mean(0), atol=1e-12)
            h = torch.relu(h @ W[layer].T)


def test_paper_metric_is_the_nfm_of_w_minus_w0_against_the_agop(trained):
    p0, p1, X = trained
    m = layer_metrics(SPEC, p0, p1, X)
    A = all_layer_agop(SPEC, p1, X)["AGOP"][1]
    dW = p1["2.weight"] - p0["2.weight"]
    assert torch.allclose(m["paper_metric"][1], cos(dW.transpose(1, 2) @ dW, A).cpu(), atol=1e-12)


def test_paper_code_replica_reproduces_the_official_computation(trained):
    """Layers 0, 1: the AGOP of the network with W_l − W_l⁰ in place, at the right inputs; layer 2: the
    sub-network from layer 2 on at the *next* layer's inputs (the official helper's off-by-one)."""
    p0, p1, X = trained
    rep = paper_code_replica(SPEC, p0, p1, X)
    names = ["0.weight", "2.weight", "4.weight", "6.weight"]
    for layer in (0, 1):
        mod = dict(p1, **{names[layer]: p1[names[layer]] - p0[names[layer]]})
        dW = mod[names[layer]]
        A = all_layer_agop(SPEC, mod, X)["AGOP"][layer]
        assert torch.allclose(rep[layer], cos(dW.transpose(1, 2) @ dW, A).cpu(), atol=1e-10)
    for k in range(2):
        W = [p1[n][k] for n in names]
        W[2] = W[2] - p0[names[2]][k]
        feats = torch.relu(torch.relu(torch.relu(X[k] @ W[0].T) @ W[1].T) @ W[2].T)  # the helper's layer-2 output
        J = vmap(jacrev(lambda hx: _net(W, hx, 2)))(feats)
        A = torch.einsum("nqa,nqb->ab", J, J) / feats.shape[0]
        assert math.isclose(float(rep[2][k]), float(cos((W[2].T @ W[2])[None], A[None])), abs_tol=1e-10)
    assert not torch.allclose(rep, layer_metrics(SPEC, p0, p1, X)["paper_metric"])  # the defects matter


def test_paper_code_replica_refuses_biases(trained):
    p0, p1, X = trained
    with pytest.raises(ValueError, match="no biases"):
        paper_code_replica(dataclasses.replace(SPEC, bias=True), p0, p1, X)


# --- the command -----------------------------------------------------------------------------------------------

def run(capsys, *argv):
    code = main(list(argv))
    out = capsys.readouterr()
    return code, out.out, out.err


@pytest.mark.parametrize("argv, needle", [
    (["study", "other", "--out", "x"], "Invalid value"),
    (["study", "dnfa", "--profile", "tpu", "--out", "x"], "Invalid value"),
    (["study", "dnfa", "--profile", "cpu"], "Missing option '--out'"),
    (["study", "dnfa", "--threads", "0", "--out", "x"], "--threads must be at least 1"),
    (["study", "dnfa", "--device", "tpu", "--out", "x"], "unknown device 'tpu'"),
])
def test_study_bad_options_one_line_exit_2(capsys, argv, needle):
    code, _, err = run(capsys, *argv)
    lines = [ln for ln in err.splitlines() if ln.strip()]
    assert code == 2 and len(lines) == 1 and needle in lines[0] and lines[0].startswith("nnclaims: error:")


def test_study_out_must_be_a_folder(tmp_path, capsys):
    f = tmp_path / "file"
    f.write_text("x")
    code, _, err = run(capsys, "study", "dnfa", "--out", str(f))
    assert code == 2 and "not a folder" in err and f.read_text() == "x"


@pytest.mark.skipif(torch.cuda.is_available(), reason="this machine has a GPU")
def test_study_gpu_profile_without_gpu_is_an_error(tmp_path, capsys):
    code, _, err = run(capsys, "study", "dnfa", "--profile", "gpu", "--out", str(tmp_path / "g"))
    assert code == 2 and "needs a CUDA GPU" in err and not (tmp_path / "g").exists()


def check_study_structure(study: dict) -> None:
    """What the issue asks of a study: ≥ 128 networks, ≥ 6 preregistered conditions, an interval for every metric,
    a calibration condition named with 'paper', criterion_met per network."""
    conds = study["conditions"]
    assert study["networks"] >= 128 and sum(c["networks"] for c in conds) == study["networks"]
    assert sum(c["preregistered"] is True for c in conds) >= 6
    cal = [c for c in conds if c["calibration"]]
    assert len(cal) == 1 and "paper" in cal[0]["name"] and "paper_code_replica" in cal[0]["metrics"]
    for c in conds:
        assert len(c["per_network"]["criterion_met"]) == c["networks"]
        assert c["criterion_met"] + c["criterion_not_met"] == c["networks"]
        assert set(D.METRICS) <= set(c["metrics"])
        for name, rows in c["metrics"].items():
            assert len(rows) == c["factors"]["depth"], (c["name"], name)
            for r in rows:
                assert {"median", "ci", "ci_corrected"} <= set(r)
                if c["criterion_met"] >= 2:
                    lo, hi = r["ci"]
                    assert math.isfinite(lo) and lo <= r["median"] <= hi, (c["name"], name)
        for claim in D.CLAIMS:
            assert c["decisions"][claim]["status"] in ("supported", "unsupported", "excluded")
    for claim in D.CLAIMS:
        assert study["claims"][claim]["verdict"] in ("supported", "conditional", "unsupported")
    assert study["corrected_level"] == pytest.approx(1 - 0.05 / len(conds))


@pytest.mark.slow
@pytest.mark.numeric
def test_study_ci_profile_writes_a_complete_study(tmp_path, capsys):
    """The structure test: the 'ci' profile (the cpu profile's 35 conditions and rule at smaller sizes, 140
    networks, about 1–2 minutes on 2 cores) through the command line."""
    out = tmp_path / "study"
    code, stdout, _ = run(capsys, "study", "dnfa", "--profile", "ci", "--out", str(out))
    assert code == 0 and json.loads(stdout)["networks"] == 140
    assert {p.name for p in out.iterdir()} == {"study.json", "study.md", "phase_diagram.png", "phase_diagram.json",
                                               "metric_vs_init_scale.png", "metric_vs_init_scale.json",
                                               ".nnclaims-study", "shards"}  # the marker; the shards (resume)
    study = json.loads((out / "study.json").read_text())
    check_study_structure(study)
    assert study["reference"]["commit"] == "2736023c725d4f1031c622f5297fbc861fd7d4f9"
    phase = json.loads((out / "phase_diagram.json").read_text())
    assert phase["depths"] == [1, 2, 3, 4] and len(phase["scales"]) == 6
    md = (out / "study.md").read_text()
    assert "## Answers" in md and "Calibration against the paper" in md and "phase_diagram.png" in md


@pytest.mark.skipif(not COMMITTED.exists(), reason="the committed CPU study is not in this checkout")
def test_committed_cpu_study_has_the_structure():
    study = json.loads(COMMITTED.read_text())
    assert study["profile"] == "cpu"
    check_study_structure(study)
    for name in ("study.md", "phase_diagram.png", "phase_diagram.json", "metric_vs_init_scale.png",
                 "metric_vs_init_scale.json"):
        assert (COMMITTED.parent / name).exists(), name


def test_study_resume_says_which_shards_it_reused(tmp_path, capsys):
    """Stopped after two of six shards, the rerun says it reused those two (by number and condition) and, with
    stderr not a terminal, prints a plain line per shard it writes; a first run reuses none and says nothing of
    it (negative control)."""
    from nnclaims.reports.study_command import execute_study

    out = tmp_path / "s"

    def stop(done, total):
        if done == 2:
            raise KeyboardInterrupt

    with pytest.raises(KeyboardInterrupt, match="2 of 6 shards are kept"):
        execute_study(out, "verify", device="cpu", replicates=4, shard_networks=3, on_shard=stop, bar=True)
    first = capsys.readouterr().err
    assert "resuming" not in first and "study: shard 1/6 written" in first
    execute_study(out, "verify", device="cpu", replicates=4, shard_networks=3, bar=True)
    err = capsys.readouterr().err
    resumed = [ln for ln in err.splitlines() if ln.startswith("resuming:")]
    assert len(resumed) == 1 and resumed[0].startswith(f"resuming: reused 2 of 6 shards from {out / 'shards'}: 0 (")
    assert ", 1 (" in resumed[0] and "study: shard 6/6 written" in err and "study: shard 2/6" not in err
