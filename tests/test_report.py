"""The report: files, MathML, figures, readable evidence, writes that touch nothing of the user's, reproducible
figures, and a real render in headless Chromium."""

import json
import os
import re
import shutil
import stat
import subprocess
import sys
import warnings
from html.parser import HTMLParser
from pathlib import Path

import pytest

from nnclaims.proofs.catalogue import get_claim
from nnclaims.cli.app import main
from nnclaims.cli.verify import results_payload
from nnclaims.reports.render import (MARKER, check_report_target, render_html, render_markdown, to_mathml,
                                     validate_results, write_report)
from nnclaims.verdict import LAYERS, NumericConfig

pytestmark = pytest.mark.slow  # whole reports: the full tier (python -m pytest), not -m "not slow"

REFERENCE = Path(__file__).resolve().parents[1] / "reports" / "cpu-reference"

CLAIMS = ("perm.elementwise-commutes", "dnfa.ansatz-holds-trained", "subspace.zero-match-exists")
CHROMIUM_FLAGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
                  "--disable-background-networking", "--disable-component-update", "--disable-sync"]


@pytest.fixture(scope="module")
def report_dir(tmp_path_factory, outcomes):
    outs = [outcomes(get_claim(i)) for i in CLAIMS]
    payload = results_payload(outs, NumericConfig(networks=4), LAYERS)
    out = tmp_path_factory.mktemp("rep") / "report"
    write_report(payload, out)
    return out


def test_report_files_and_figures(report_dir):
    assert {p.name for p in report_dir.iterdir()} == {"results.json", "report.md", "index.html", "figures", MARKER}
    data = json.loads((report_dir / "results.json").read_text())
    assert [c["id"] for c in data["claims"]] == list(CLAIMS)
    assert set(data["provenance"]["wall_seconds"]) == set(LAYERS)
    figs = sorted(p.name for p in (report_dir / "figures").iterdir())
    assert "perm.elementwise-commutes.errors.png" in figs and "dnfa.ansatz-holds-trained.cosines.png" in figs
    md = (report_dir / "report.md").read_text()
    assert "](figures/perm.elementwise-commutes.errors.png)" in md and "$`" in md


def test_to_mathml_and_fallback():
    assert to_mathml(r"\sigma(Z)P").startswith("<math")
    assert to_mathml(r"\begin{unknownenv}").startswith(("<math", "<code"))


def test_write_report_is_atomic(tmp_path, monkeypatch):
    out = tmp_path / "rep"
    payload = {"claims": [], "counts": {}}
    write_report(payload, out)
    before = (out / "index.html").read_text()

    def boom(_):
        raise RuntimeError("crash while drawing")

    monkeypatch.setattr("nnclaims.reports.render.figures_for", boom)
    with pytest.raises(RuntimeError):
        write_report({"claims": [{"id": "x"}], "counts": {}}, out)
    assert (out / "index.html").read_text() == before
    assert [p.name for p in tmp_path.iterdir()] == ["rep"]  # no half-written sibling left behind


class _Text(HTMLParser):
    """Collects text outside code/pre/script/style/math, and the body's data attributes."""

    SKIP = {"code", "pre", "script", "style", "math"}

    def __init__(self):
        super().__init__()
        self.depth, self.text, self.body = 0, [], {}

    def handle_starttag(self, tag, attrs):
        if tag == "body":
            self.body = dict(attrs)
        if tag in self.SKIP:
            self.depth += 1

    def handle_endtag(self, tag):
        if tag in self.SKIP:
            self.depth -= 1

    def handle_data(self, data):
        if self.depth == 0:
            self.text.append(data)


def test_report_renders_in_headless_chromium(report_dir, tmp_path):
    chromium = shutil.which("chromium") or shutil.which("chromium-browser")
    if chromium is None:
        pytest.skip("Debian's chromium is not installed (apt-get install chromium)")
    url = (report_dir / "index.html").as_uri()
    common = CHROMIUM_FLAGS + [f"--user-data-dir={tmp_path / 'profile'}"]
    dom = subprocess.run([chromium, *common, "--virtual-time-budget=5000", "--dump-dom", url],
                         capture_output=True, text=True, timeout=900).stdout
    p = _Text()
    p.feed(dom)
    assert int(p.body["data-images"]) == len(list((report_dir / "figures").iterdir()))
    assert p.body["data-broken-images"] == "0"
    data = json.loads((report_dir / "results.json").read_text())
    steps = sum(len((c["symbolic"].get("steps") or [])) for c in data["claims"])
    assert steps > 0 and int(p.body["data-math"]) >= steps
    text = "".join(p.text)
    assert not re.search(r"\\[a-zA-Z]+|\\\(|\$`", text), "raw TeX left in the rendered page"
    shot = tmp_path / "shot.png"
    subprocess.run([chromium, *common, "--window-size=1200,1600", f"--screenshot={shot}", url],
                   capture_output=True, timeout=900)
    assert shot.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n" and shot.stat().st_size > 20_000


def test_headless_check_catches_broken_image_and_raw_tex(report_dir, tmp_path):
    chromium = shutil.which("chromium") or shutil.which("chromium-browser")
    if chromium is None:
        pytest.skip("Debian's chromium is not installed (apt-get install chromium)")
    page = (report_dir / "index.html").read_text()
    bad = tmp_path / "bad.html"
    bad.write_text(page.replace("<h1>", "<img src='data:image/png;base64,AAAA'><p>\\frac{a}{b}</p><h1>", 1))
    dom = subprocess.run([chromium, *CHROMIUM_FLAGS, f"--user-data-dir={tmp_path / 'profile'}",
                          "--virtual-time-budget=5000", "--dump-dom", bad.as_uri()],
                         capture_output=True, text=True, timeout=900).stdout
    p = _Text()
    p.feed(dom)
    assert p.body["data-broken-images"] == "1"
    assert re.search(r"\\[a-zA-Z]+", "".join(p.text))


# --- report --out never touches what it did not write -------------------------------------------------------

def _claim(cid: str, figure: bool = True, **extra) -> dict:
    numeric = {"status": "consistent", "statistic": "max error", "value": 1e-16, "tolerance": 1e-12, "networks": 3,
               "device": "cpu", "as_stated": "holds", "details": {"per_network": [1e-16, 2e-16, 0.0]} if figure else {}}
    return {"id": cid, "source": "001.txt", "quote": "q", "statement": "s", "kind": "identity", "verdict": "true",
            "evidence": "e", "disagreement": None, "symbolic": {"status": "proved"}, "search": {"status": "absent"},
            "numeric": numeric, **extra}


def _results(tmp_path, *claims) -> Path:
    path = tmp_path / f"results-{len(list(tmp_path.iterdir()))}.json"
    path.write_text(json.dumps({"claims": list(claims), "counts": {"true": len(claims)}}))
    return path


def _state(folder: Path) -> dict:
    """Every path under ``folder`` with its bytes (files) and permission bits."""
    return {str(p.relative_to(folder)): (p.read_bytes() if p.is_file() else None, stat.S_IMODE(p.stat().st_mode))
            for p in [folder, *folder.rglob("*")]}


def _one_error_line(err: str) -> str:
    lines = [ln for ln in err.splitlines() if ln.strip()]
    assert len(lines) == 1 and lines[0].startswith("nnclaims: error:") and "Traceback" not in err, err
    return lines[0]


def test_report_out_refuses_a_folder_holding_a_users_file(tmp_path, capsys):
    res = _results(tmp_path, _claim("perm.a"))
    folder = tmp_path / "mine"
    folder.mkdir(mode=0o750)
    (folder / "thesis.tex").write_text("a user's work")
    before = _state(folder)
    assert main(["report", "--from", str(res), "--out", str(folder)]) == 2
    assert "holds no nnclaims report" in _one_error_line(capsys.readouterr().err)
    assert _state(folder) == before  # nothing added, removed, changed or re-permissioned


def test_report_out_refuses_an_existing_file(tmp_path, capsys):
    res = _results(tmp_path, _claim("perm.a"))
    target = tmp_path / "report.html"
    target.write_text("a user's page")
    os.chmod(target, 0o640)
    assert main(["report", "--from", str(res), "--out", str(target)]) == 2
    assert "is an existing file" in _one_error_line(capsys.readouterr().err)
    assert target.read_text() == "a user's page" and stat.S_IMODE(target.stat().st_mode) == 0o640


def test_report_out_under_a_file_is_refused_before_any_work(tmp_path, capsys, monkeypatch):
    """Meaningful as root too: a file cannot hold a folder whoever runs the command."""
    (tmp_path / "a-file").write_text("x")
    ran = []
    monkeypatch.setattr("nnclaims.cli.verify.run_verify", lambda *a, **k: ran.append(1))
    assert main(["report", "--out", str(tmp_path / "a-file" / "rep"), "--device", "cpu"]) == 2
    assert "a-file is a file" in _one_error_line(capsys.readouterr().err)
    assert not ran  # refused before the run


def test_report_out_in_a_read_only_parent_is_refused_before_any_work(tmp_path, capsys, monkeypatch):
    """A read-only parent: refused at once, before the run.  Root may write anywhere, so where the permission
    bits do not stop this process the check is made to read them as an ordinary user would."""
    parent = tmp_path / "ro"
    parent.mkdir()
    os.chmod(parent, 0o555)
    try:
        if os.access(parent, os.W_OK):  # root: the bits do not bind, read them instead
            monkeypatch.setattr("nnclaims.reports.render.os.access",
                                lambda p, mode: not (mode & os.W_OK) or bool(os.stat(p).st_mode & stat.S_IWUSR))
        ran = []
        monkeypatch.setattr("nnclaims.cli.verify.run_verify", lambda *a, **k: ran.append(1))
        assert main(["report", "--out", str(parent / "rep"), "--device", "cpu"]) == 2
        assert "is not writable" in _one_error_line(capsys.readouterr().err)
        assert not ran and list(parent.iterdir()) == [] and stat.S_IMODE(parent.stat().st_mode) == 0o555
        with pytest.raises(Exception, match="is not writable"):
            check_report_target(parent / "rep")
    finally:
        os.chmod(parent, 0o755)


def test_verify_json_in_a_read_only_folder_is_refused_before_any_work(tmp_path, capsys, monkeypatch):
    parent = tmp_path / "ro"
    parent.mkdir()
    os.chmod(parent, 0o555)
    try:
        if os.access(parent, os.W_OK):
            monkeypatch.setattr("nnclaims.reports.render.os.access",
                                lambda p, mode: not (mode & os.W_OK) or bool(os.stat(p).st_mode & stat.S_IWUSR))
        ran = []
        monkeypatch.setattr("nnclaims.cli.verify.run_verify", lambda *a, **k: ran.append(1))
        assert main(["verify", "perm.inverse-is-transpose", "--json", str(parent / "out.json")]) == 2
        assert "is not writable" in _one_error_line(capsys.readouterr().err) and not ran
    finally:
        os.chmod(parent, 0o755)


def test_report_replaces_only_its_own_files(tmp_path, capsys):
    """Replacing a report of ours: its files go (a figure the new report does not draw included); a user's files
    and folders beside it, and the folder's permissions, stay."""
    out = tmp_path / "rep"
    assert main(["report", "--from", str(_results(tmp_path, _claim("perm.a"), _claim("perm.b"))), "--out", str(out)]) == 0
    assert sorted(p.name for p in (out / "figures").iterdir()) == ["perm.a.errors.png", "perm.b.errors.png"]
    os.chmod(out, 0o751)
    (out / "notes.txt").write_text("mine")
    (out / "drafts").mkdir()
    (out / "drafts" / "d.md").write_text("mine too")
    (out / "figures" / "my-plot.png").write_bytes(b"mine")
    new = _results(tmp_path, _claim("perm.a"), _claim("perm.c", figure=False))
    assert main(["report", "--from", str(new), "--out", str(out)]) == 0
    assert (out / "notes.txt").read_text() == "mine" and (out / "drafts" / "d.md").read_text() == "mine too"
    assert sorted(p.name for p in (out / "figures").iterdir()) == ["my-plot.png", "perm.a.errors.png"]
    assert stat.S_IMODE(out.stat().st_mode) == 0o751
    assert [c["id"] for c in json.loads((out / "results.json").read_text())["claims"]] == ["perm.a", "perm.c"]
    marker = json.loads((out / MARKER).read_text())
    assert marker["files"] == ["figures/perm.a.errors.png", "index.html", "report.md", "results.json"]
    assert not [p for p in out.iterdir() if p.name.startswith(".nnclaims-staging")]


def test_report_replaces_a_report_of_an_earlier_version(tmp_path, capsys):
    """A report written before the marker existed (exactly our files, our page) is recognised and replaced."""
    out = tmp_path / "old"
    shutil.copytree(REFERENCE, out, ignore=shutil.ignore_patterns(MARKER))
    assert main(["report", "--from", str(_results(tmp_path, _claim("perm.a"))), "--out", str(out)]) == 0
    assert sorted(p.name for p in (out / "figures").iterdir()) == ["perm.a.errors.png"]


def test_report_refuses_a_marked_folder_whose_names_are_taken(tmp_path, capsys):
    out = tmp_path / "rep"
    assert main(["report", "--from", str(_results(tmp_path, _claim("perm.a"))), "--out", str(out)]) == 0
    marker = json.loads((out / MARKER).read_text())
    marker["files"].remove("report.md")  # report.md is now somebody else's
    (out / MARKER).write_text(json.dumps(marker))
    capsys.readouterr()
    before = _state(out)
    assert main(["report", "--from", str(_results(tmp_path, _claim("perm.b"))), "--out", str(out)]) == 2
    assert "holds a 'report.md' that is not from the report there" in _one_error_line(capsys.readouterr().err)
    assert _state(out) == before


def test_report_write_failure_saves_the_computed_results(tmp_path, capsys, monkeypatch):
    """When writing fails at the end, the results already computed are saved to a temporary file, named in the
    one error line."""
    from nnclaims.cli import verify as cli

    monkeypatch.setattr(cli, "run_verify", lambda *a, **k: ([], NumericConfig(networks=1), ("symbolic",)))

    def full(payload, out_dir):
        raise OSError(28, "No space left on device")

    monkeypatch.setattr("nnclaims.reports.render.write_report", full)
    assert main(["report", "--out", str(tmp_path / "rep"), "--device", "cpu"]) == 2
    line = _one_error_line(capsys.readouterr().err)
    assert "No space left on device" in line and "the computed results are saved in " in line
    saved = Path(line.rsplit("saved in ", 1)[1])
    try:
        assert json.loads(saved.read_text())["counts"]["true"] == 0
    finally:
        saved.unlink()


def test_report_render_defect_keeps_the_computed_results(tmp_path, capsys, monkeypatch):
    """A defect in rendering (not an OSError) after the claims were computed: the results are saved first, the line
    says where and how to render them, and the error is not swallowed."""
    from nnclaims.cli import verify as cli

    monkeypatch.setattr(cli, "run_verify", lambda *a, **k: ([], NumericConfig(networks=1), ("symbolic",)))

    def broken(payload, out_dir):
        raise AttributeError("'str' object has no attribute 'get'")

    monkeypatch.setattr("nnclaims.reports.render.write_report", broken)
    with pytest.raises(AttributeError):
        cli.report_cmd.callback(tmp_path / "rep", 1, "cpu", 0, None)
    err = capsys.readouterr().err
    assert "rendering the report failed" in err and "nnclaims report --from" in err
    saved = Path(err.split("saved in ", 1)[1].split(" ", 1)[0])
    try:
        assert json.loads(saved.read_text())["counts"]["true"] == 0
    finally:
        saved.unlink()


def test_verify_json_write_failure_saves_the_results(tmp_path, capsys, monkeypatch):
    def full(path, payload):
        raise OSError(28, "No space left on device")

    monkeypatch.setattr("nnclaims.reports.render.write_json", full)
    code = main(["verify", "perm.inverse-is-transpose", "--layers", "symbolic", "--json", str(tmp_path / "o.json")])
    line = _one_error_line(capsys.readouterr().err)
    assert code == 2 and "the results are saved in " in line
    saved = Path(line.rsplit("saved in ", 1)[1])
    try:
        assert json.loads(saved.read_text())["claims"][0]["id"] == "perm.inverse-is-transpose"
    finally:
        saved.unlink()


def test_json_output_keeps_the_files_mode_and_leaves_no_temporary_file(tmp_path, capsys):
    path = tmp_path / "o.json"
    path.write_text("{}")
    os.chmod(path, 0o604)
    assert main(["verify", "perm.inverse-is-transpose", "--layers", "symbolic", "--json", str(path)]) == 0
    assert stat.S_IMODE(path.stat().st_mode) == 0o604 and json.loads(path.read_text())["claims"]
    assert [p.name for p in tmp_path.iterdir()] == ["o.json"]


# --- what the report shows -----------------------------------------------------------------------------------

def test_report_shows_refuting_steps_as_counterexamples_and_evidence_as_text():
    steps = [{"description": "chain", "latex": "a = b", "check": "c", "holds": True, "role": "derives"},
             {"description": "hypothesis", "latex": "a = b", "check": "c", "holds": True, "role": "assumes"},
             {"description": "tanh breaks it", "latex": "a \\neq b", "check": "c", "holds": True, "role": "refutes"}]
    c = _claim("perm.a", evidence="witness re-checked ({'inputs': 2, 'biases': False})",
               symbolic={"status": "refuted", "steps": steps, "counterexample": {"Z": [[1, 0]], "activation": "tanh"}},
               search={"status": "found", "bounds": {"inputs": 2, "biases": False}, "rechecked": True, "seconds": 0.1,
                       "witness": {"inputs": [[1, 0]], "net_a": {"weights": [[[1]]], "biases": None}}})
    c["numeric"].update(as_stated="violated", interval=[0.1, 0.2],
                        control={"description": "wrong permutation", "value": 0.5, "fails": True})
    payload = validate_results({"claims": [c], "counts": {}})
    md, page = render_markdown(payload), render_html(payload)
    assert "3. ✗ counterexample (confirmed) tanh breaks it" in md and "1. ✓ chain" in md and "2. ✓ assuming" in md
    assert "<li class='refutes'>✗ counterexample (confirmed) tanh breaks it" in page
    for text in (md, page):
        assert "inputs=2, biases=no" in text and "{'" not in text
        assert "the claim as stated: violated" in text and "interval [0.1, 0.2] (level not stated)" in text
        assert "negative control (wrong permutation): 0.5, fails, as it must" in text
    assert "Z: [[1, 0]]" in md and "data points: [1, 0]" in md and "net_a: W1 = [[1]]; biases none" in md


def test_report_renders_results_of_an_earlier_version():
    """Results written by an earlier version (field 'seed' instead of 'source', no step roles, no as_stated)
    still render."""
    old = json.loads((REFERENCE / "results.json").read_text())
    for c in old["claims"]:
        c["seed"] = c.pop("source")
        for s in (c.get("symbolic") or {}).get("steps") or []:
            s.pop("role", None)
        (c.get("numeric") or {}).pop("as_stated", None)
    payload = validate_results(old)
    assert payload["claims"][0]["source"] == payload["claims"][0]["seed"]
    assert "nnclaims report" in render_markdown(payload)


# --- figures: no warnings, the same bytes every time ---------------------------------------------------------

def test_figures_draw_without_warnings():
    from nnclaims.reports.figures import figures_for, png_bytes

    payload = json.loads((REFERENCE / "results.json").read_text())
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        drawn = [png_bytes(fig) for c in payload["claims"] for _, fig in figures_for(c)]
    assert len(drawn) == len(list((REFERENCE / "figures").iterdir()))


_DRAW = """
import json, sys
from pathlib import Path
from nnclaims.reports.figures import figures_for, png_bytes
out = Path(sys.argv[2]); out.mkdir()
for c in json.loads(Path(sys.argv[1]).read_text())["claims"]:
    for name, fig in figures_for(c):
        (out / f"{c['id']}.{name}.png").write_bytes(png_bytes(fig))
"""


def _png_software(data: bytes) -> str:
    i = data.find(b"Software\x00")
    return data[i + 9:data.find(b"\x00", i + 9) if data.find(b"\x00", i + 9) != -1 else i + 80].decode("latin-1", "replace")


def test_figures_are_the_same_bytes_in_every_process_and_reproduce_the_reference(tmp_path):
    """One results file, drawn in two fresh processes: the same PNG bytes.  Against the committed reference
    figures: the same bytes too, when this matplotlib is the one that drew them (the PNG names it)."""
    import matplotlib

    for run in ("a", "b"):
        subprocess.run([sys.executable, "-c", _DRAW, str(REFERENCE / "results.json"), str(tmp_path / run)],
                       check=True, timeout=1800, env={**os.environ, "MPLCONFIGDIR": str(tmp_path / f"mpl-{run}")})
    a, b = ({p.name: p.read_bytes() for p in (tmp_path / r).iterdir()} for r in ("a", "b"))
    ref = {p.name: p.read_bytes() for p in (REFERENCE / "figures").iterdir()}
    assert a == b and set(a) == set(ref)
    drew = {_png_software(v) for v in ref.values()}
    if drew != {_png_software(next(iter(a.values())))}:
        pytest.skip(f"the reference figures were drawn by {drew}, this is matplotlib {matplotlib.__version__}")
    assert a == ref


def test_report_never_replaces_a_users_figure_of_the_same_name(tmp_path, capsys):
    out = tmp_path / "rep"
    assert main(["report", "--from", str(_results(tmp_path, _claim("perm.a"))), "--out", str(out)]) == 0
    (out / "figures" / "perm.b.errors.png").write_bytes(b"the user's own plot")
    capsys.readouterr()
    before = _state(out)
    assert main(["report", "--from", str(_results(tmp_path, _claim("perm.b"))), "--out", str(out)]) == 2
    assert "holds a 'figures/perm.b.errors.png' that is not from the report there" in _one_error_line(capsys.readouterr().err)
    assert _state(out) == before


def test_report_folder_killed_halfway_is_still_ours(tmp_path, capsys):
    """A run killed while drawing leaves the marker (written first) and its staging folder; the next run
    recognises the folder and clears the leftover."""
    out = tmp_path / "rep"
    out.mkdir()
    (out / MARKER).write_text(json.dumps({"nnclaims_report": 1, "files": []}))
    (out / ".nnclaims-staging-abc").mkdir()
    (out / ".nnclaims-staging-abc" / "index.html").write_text("half")
    assert main(["report", "--from", str(_results(tmp_path, _claim("perm.a"))), "--out", str(out)]) == 0
    assert sorted(p.name for p in out.iterdir()) == [MARKER, "figures", "index.html", "report.md", "results.json"]


def test_report_into_an_empty_folder_that_fails_leaves_it_empty(tmp_path, monkeypatch):
    out = tmp_path / "empty"
    out.mkdir(mode=0o700)

    def boom(_):
        raise RuntimeError("crash while drawing")

    monkeypatch.setattr("nnclaims.reports.render.figures_for", boom)
    with pytest.raises(RuntimeError):
        write_report({"claims": [{"id": "x"}], "counts": {}}, out)
    assert list(out.iterdir()) == [] and stat.S_IMODE(out.stat().st_mode) == 0o700


def test_report_links_the_study_a_verdict_cites(tmp_path):
    """A numeric record that cites a study (details["study_report"]) gets a link that works from the report."""
    from nnclaims.reports.render import render_html, render_markdown, study_links

    study = tmp_path / "studies" / "s" / "study.md"
    study.parent.mkdir(parents=True)
    study.write_text("# a study\n")
    claim = {"id": "x.emp", "source": "s", "quote": "q", "statement": "st", "verdict": "supported", "evidence": "e",
             "disagreement": None, "symbolic": {"status": "absent"}, "search": {"status": "absent"},
             "numeric": {"status": "supported", "as_stated": "holds", "details": {"study_report": str(study)}}}
    payload = {"claims": [claim], "counts": {}}
    links = study_links(payload, tmp_path / "report")
    assert links == {"x.emp": "../studies/s/study.md"}
    assert "[../studies/s/study.md](../studies/s/study.md)" in render_markdown(payload, {}, links)
    assert "href='../studies/s/study.md'" in render_html(payload, {}, links)
    # control: a record without a cited study gets no link
    claim["numeric"]["details"] = {}
    assert study_links(payload, tmp_path / "report") == {}
