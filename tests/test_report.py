"""The report: files, MathML, figures, atomic writes, and a real render in headless Chromium."""

import json
import re
import shutil
import subprocess
from html.parser import HTMLParser

import pytest

from nnclaims.proofs.catalogue import get_claim
from nnclaims.reports.cli import results_payload
from nnclaims.reports.render import to_mathml, write_report
from nnclaims.reports.verdict import LAYERS, NumericConfig

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
    assert {p.name for p in report_dir.iterdir()} == {"results.json", "report.md", "index.html", "figures"}
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
                         capture_output=True, text=True, timeout=120).stdout
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
                   capture_output=True, timeout=120)
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
                         capture_output=True, text=True, timeout=120).stdout
    p = _Text()
    p.feed(dom)
    assert p.body["data-broken-images"] == "1"
    assert re.search(r"\\[a-zA-Z]+", "".join(p.text))
