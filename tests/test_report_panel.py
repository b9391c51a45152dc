"""The per-claim panel table (a numeric record's ``details["table"]``: row → column → cell) in the report."""

from __future__ import annotations

import json
import re
from html.parser import HTMLParser

import pytest

from nnclaims.cli.app import main
from nnclaims.reports.render import panel_table, render_html, render_markdown, validate_results

CAPTION = re.compile(r"Each cell: .*; intervals at .*\.")


def _claim(details: dict) -> dict:
    numeric = {"status": "supported", "statistic": "median separation", "value": 0.31, "threshold": 0.0,
               "interval": [0.2, 0.4], "ci_level": 0.99, "networks": 16, "device": "cpu", "as_stated": "holds",
               "details": details}
    return {"id": "demo.panel", "source": "001.txt", "quote": "q", "statement": "s", "kind": "empirical",
            "verdict": "supported", "evidence": "e", "disagreement": None, "symbolic": {"status": "absent"},
            "search": {"status": "absent"}, "numeric": numeric}


def _payload(details: dict) -> dict:
    return {"claims": [_claim(details)], "counts": {"supported": 1}}


TABLE = {"linear_cka": {"twin": {"value": 0.3125, "interval": [0.25, 0.375], "ci_level": 0.9991, "networks": 16,
                                 "status": "supported", "median similarity": 0.9},
                        "johnson": {"value": -0.0625, "interval": [-0.5, 0.125], "ci_level": 0.9375, "networks": 5,
                                    "status": "unsupported"}},
         "max_match": {"twin": {"value": 0.75, "interval": [0.625, 0.875], "ci_level": 0.9991, "networks": 16,
                                "status": "supported"},
                       "johnson": {"status": "undecidable by design", "networks": 0,
                                   "reason": "the measure is undefined on every pair"}}}
DETAILS = {"table": TABLE, "table_level": 0.99895, "table_note": "median of s(A, partner) − s(A, unrelated)"}


class _Cells(HTMLParser):
    """The rows (header and data cells as text) of the HTML table with class ``panel``, and its caption."""

    def __init__(self):
        super().__init__()
        self.rows, self.caption, self._in, self._cell, self._cap = [], None, False, None, None

    def handle_starttag(self, tag, attrs):
        if tag == "table" and ("class", "panel") in attrs:
            self._in = True
        elif self._in and tag == "tr":
            self.rows.append([])
        elif self._in and tag in ("td", "th"):
            self._cell = ""
        elif self._in and tag == "caption":
            self._cap = ""

    def handle_endtag(self, tag):
        if tag == "table":
            self._in = False
        elif self._in and tag in ("td", "th"):
            self.rows[-1].append(self._cell)
            self._cell = None
        elif self._in and tag == "caption":
            self.caption, self._cap = self._cap, None

    def handle_data(self, data):
        if self._cell is not None:
            self._cell += data
        if self._cap is not None:
            self._cap += data


def test_panel_table_cells_and_caption():
    head, rows, caption = panel_table(_claim(DETAILS))
    assert head == ["", "twin", "johnson"]
    assert rows == [("linear_cka", "0.312 [0.25, 0.375] supported", "-0.0625 [-0.5, 0.125] unsupported"),
                    ("max_match", "0.75 [0.625, 0.875] supported",
                     "undecidable by design (the measure is undefined on every pair)")]
    # two achieved levels (the cells' n differ): both stated, beside the level asked for
    assert caption == ("Each cell: median of s(A, partner) − s(A, unrelated); intervals at 93.75% to 99.91% "
                       "(achieved, by each cell's n), asked 99.895% per cell (the table's own correction over its 4 "
                       "cells, not the claims' family): the cells describe, they are not judged; the verdict reads "
                       "only the preregistered conditions.")


def test_panel_table_in_markdown_and_html():
    payload = _payload(DETAILS)
    md = render_markdown(payload)
    assert "|  | twin | johnson |" in md
    assert "| linear_cka | 0.312 [0.25, 0.375] supported | -0.0625 [-0.5, 0.125] unsupported |" in md
    assert "| max_match | 0.75 [0.625, 0.875] supported | undecidable by design (the measure is undefined on every pair) |" in md
    assert ("intervals at 93.75% to 99.91% (achieved, by each cell's n), asked 99.895% per cell (the table's own "
            "correction over its 4 cells" in md)
    p = _Cells()
    p.feed(render_html(payload))
    assert p.rows == [["", "twin", "johnson"],
                      ["linear_cka", "0.312 [0.25, 0.375] supported", "-0.0625 [-0.5, 0.125] unsupported"],
                      ["max_match", "0.75 [0.625, 0.875] supported",
                       "undecidable by design (the measure is undefined on every pair)"]]
    assert p.caption.startswith("Each cell: median of s(A, partner) − s(A, unrelated); intervals at 93.75% to 99.91%")


def test_one_achieved_level_and_no_note():
    t = {"a": {"k": {"value": 1.0, "interval": [0.5, 2.0], "ci_level": 0.96875}}}
    _, rows, caption = panel_table(_claim({"table": t}))
    assert rows == [("a", "1 [0.5, 2]")]  # no status recorded: none shown
    assert caption == "Each cell: median [interval] status; intervals at 96.875% (achieved)."


@pytest.mark.parametrize("details", [{}, {"table": {}}, {"table": "x"}, {"per_network": [0.1, 0.2]}])
def test_no_table_no_section(details):
    """Control: the same claim without a table of this shape renders no panel section."""
    payload = _payload(details)
    assert panel_table(payload["claims"][0]) is None
    assert not CAPTION.search(render_markdown(payload))
    html = render_html(payload)
    assert "class='panel'" not in html and not CAPTION.search(html)


def test_validate_accepts_the_table_and_the_real_record_shape():
    payload = _payload(DETAILS)
    assert validate_results(json.loads(json.dumps(payload)))["claims"][0]["numeric"]["details"]["table"] == TABLE


@pytest.mark.parametrize("table, field", [
    ({"linear_cka": [1, 2]}, "details.table.linear_cka: is not an object"),
    ({"linear_cka": {"twin": 0.3}}, "details.table.linear_cka.twin: is not an object"),
    ({"linear_cka": {"twin": {"value": 0.3}}}, "details.table.linear_cka.twin.status: missing"),
    ({"linear_cka": {"twin": {"value": "0.3", "status": "supported"}}}, "details.table.linear_cka.twin.value"),
    ({"linear_cka": {"twin": {"value": 0.3, "interval": [0.1], "status": "supported"}}},
     "details.table.linear_cka.twin.interval: must have 2 entries"),
    ({"linear_cka": {"twin": {"value": 0.3, "ci_level": True, "status": "supported"}}},
     "details.table.linear_cka.twin.ci_level"),
    ("not a table", "details.table"),
])
def test_malformed_table_from_results_is_one_error_line(tmp_path, capsys, table, field):
    res = tmp_path / "results.json"
    res.write_text(json.dumps(_payload({**DETAILS, "table": table})))
    out = tmp_path / "report"
    assert main(["report", "--from", str(res), "--out", str(out)]) == 2
    err = capsys.readouterr().err
    lines = [ln for ln in err.splitlines() if ln.strip()]
    assert len(lines) == 1 and lines[0].startswith("nnclaims: error:") and "Traceback" not in err, err
    assert f"claims[0].numeric.{field}" in lines[0], lines[0]
    assert not out.exists()


def test_well_formed_table_from_results_writes_the_report(tmp_path, capsys):
    """The positive twin of the malformed cases: the same file with a good table is reported."""
    res = tmp_path / "results.json"
    res.write_text(json.dumps(_payload(DETAILS)))
    out = tmp_path / "report"
    assert main(["report", "--from", str(res), "--out", str(out)]) == 0
    assert "| linear_cka | 0.312 [0.25, 0.375] supported |" in (out / "report.md").read_text(encoding="utf-8")
