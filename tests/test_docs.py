"""The documentation site (docs/, mkdocs.yml): its examples run, its tables are the code's, and it builds strictly.

Conventions of the pages, read here:

* every fenced ````python```` block runs, as its own script, in document order, in one temporary folder per page
  (so a file one block writes is there for the next);
* ``<!-- file: NAME -->`` right before a ````python```` block also saves the block as ``NAME`` in that folder
  (and runs it as ``python NAME``);
* ``<!-- run -->`` right before a ````sh```` block runs each of its lines with bash in that folder, with this
  interpreter's ``bin`` first on ``PATH`` (so ``nnclaims`` is this installation's); unmarked shell blocks are not
  run (a cluster, a GPU, a long study);
* ````text```` blocks are output, never run.
"""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
DOCS = ROOT / "docs"
PAGES = sorted(p for p in DOCS.rglob("*.md") if "_hooks" not in p.parts)

BLOCK = re.compile(r"(?:<!--\s*(?P<mark>file:\s*(?P<name>[\w.\-]+)|run)\s*-->\s*\n)?```(?P<lang>[\w-]*)[^\n]*\n(?P<body>.*?)^```[ \t]*$",
                   re.S | re.M)


def blocks(text: str) -> list[tuple[str, str | None, str]]:
    """``(kind, file name, code)`` for every block that runs, in order: kind ``python`` or ``sh``."""
    out = []
    for m in BLOCK.finditer(text):
        lang, mark = m.group("lang"), m.group("mark")
        if lang == "python":
            out.append(("python", m.group("name"), m.group("body")))
        elif lang in ("sh", "bash") and mark == "run":
            out.append(("sh", None, m.group("body")))
    return out


def run_page(text: str, folder: Path, timeout: float = 600) -> list[str]:
    """Run a page's blocks in ``folder``; return one failure message per block that failed (empty: all ran)."""
    env = dict(os.environ, PATH=f"{Path(sys.executable).parent}{os.pathsep}{os.environ.get('PATH', '')}",
               MPLBACKEND="Agg")
    for name in ("examples", "reports"):  # the repository's examples and committed reports, as from its root
        (folder / name).symlink_to(ROOT / name)
    failures = []
    for n, (kind, name, code) in enumerate(blocks(text)):
        if kind == "python":
            script = folder / (name or f"_block_{n}.py")
            script.write_text(code)
            argv = [sys.executable, script.name]
        else:
            argv = ["bash", "-euo", "pipefail", "-c", code]
        done = subprocess.run(argv, cwd=folder, env=env, capture_output=True, text=True, timeout=timeout)
        if done.returncode != 0:
            failures.append(f"block {n} ({kind}{', ' + name if name else ''}) exit {done.returncode}:\n"
                            f"{textwrap.indent(code.strip(), '    ')}\n{done.stderr[-3000:]}")
    return failures


def test_every_page_is_in_the_nav_and_every_nav_entry_exists():
    nav = re.findall(r":\s*([\w/\-]+\.md)\s*$|^\s*-\s*([\w/\-]+\.md)\s*$", (ROOT / "mkdocs.yml").read_text(), re.M)
    listed = {a or b for a, b in nav}
    pages = {str(p.relative_to(DOCS)) for p in PAGES}
    assert listed == pages, (sorted(listed - pages), sorted(pages - listed))


#: pages whose examples take over 9 s on an idle 2-core machine: the full tier only
SLOW_PAGES = ("adding-a-claim.md", "getting-started.md")


@pytest.mark.parametrize("page", [pytest.param(p, marks=pytest.mark.slow) if p.name in SLOW_PAGES else p
                                  for p in PAGES if blocks(p.read_text(encoding="utf-8"))],
                         ids=lambda p: str(p.relative_to(DOCS)))
def test_page_examples_run(page, tmp_path):
    failures = run_page(page.read_text(encoding="utf-8"), tmp_path)
    assert not failures, "\n\n".join(failures)


def test_a_broken_example_fails(tmp_path):
    """Negative control: a page whose Python block raises, and one whose marked shell line exits non-zero, are
    reported; the same page without the fault runs."""
    good = "# A page\n\n```python\nx = 1 + 1\nassert x == 2\n```\n\n<!-- run -->\n```sh\ntest -f _block_0.py\n```\n"
    (tmp_path / "good").mkdir()
    assert run_page(good, tmp_path / "good") == []
    broken_py = good.replace("assert x == 2", "assert x == 3")
    (tmp_path / "py").mkdir()
    failures = run_page(broken_py, tmp_path / "py")
    assert len(failures) == 1 and "AssertionError" in failures[0]
    broken_sh = good.replace("test -f _block_0.py", "test -f no-such-file")
    (tmp_path / "sh").mkdir()
    assert len(run_page(broken_sh, tmp_path / "sh")) == 1
    unmarked = good.replace("<!-- run -->\n", "").replace("test -f _block_0.py", "false")
    (tmp_path / "unmarked").mkdir()
    assert run_page(unmarked, tmp_path / "unmarked") == []  # an unmarked shell block is shown, not run


def test_file_blocks_are_saved_under_their_name(tmp_path):
    page = "<!-- file: helper.py -->\n```python\nVALUE = 7\n```\n\n```python\nimport helper\nassert helper.VALUE == 7\n```\n"
    assert [(k, n) for k, n, _ in blocks(page)] == [("python", "helper.py"), ("python", None)]
    assert run_page(page, tmp_path) == []
    assert (tmp_path / "helper.py").read_text() == "VALUE = 7\n"


def test_rule_table_is_the_code_s():
    """The identity-rule table on the reading-a-report page is ``IDENTITY_RULES`` row for row."""
    from nnclaims.verdict import IDENTITY_RULES

    text = (DOCS / "reading-a-report.md").read_text(encoding="utf-8")
    table = text.split("<!-- identity-rules -->", 1)[1].strip().split("\n\n", 1)[0].splitlines()[2:]
    rows = [tuple(c.strip().strip("`") for c in line.strip("|").split("|")) for line in table]
    want = [(p, c, n, v.value, "yes" if d else "no") for p, c, n, v, d in IDENTITY_RULES]
    assert rows == want


def findings_row(claim: dict) -> str:
    """A claim's row on its seed's findings page, as the reference run's ``results.json`` has it."""
    evidence = claim["evidence"].replace("|", "\\|")
    return f"| `{claim['id']}` | **{claim['verdict']}** | {evidence} |"


def test_findings_pages_give_the_reference_verdicts():
    """Every claim of the reference run has a row on its seed's findings page, with the verdict and evidence it got
    there (regenerate a row with :func:`findings_row` when the reference run is redone)."""
    results = json.loads((ROOT / "reports" / "cpu-reference" / "results.json").read_text(encoding="utf-8"))
    pages = {p.name.split("-")[1]: p.read_text(encoding="utf-8") for p in (DOCS / "findings").glob("seed-*.md")}
    assert sorted(pages) == ["000", "001", "002", "003"]
    stale = []
    for claim in results["claims"]:
        page = pages[claim["source"][:3]]
        rows = [line for line in page.splitlines() if line.startswith(f"| `{claim['id']}` |")]
        if rows != [findings_row(claim)]:
            stale.append(findings_row(claim))
    assert not stale, "findings rows that are not the reference run's; they should read:\n" + "\n".join(stale)


def test_readme_is_short_and_links_into_the_docs():
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    assert len(readme.splitlines()) <= 150
    for link in re.findall(r"\]\(((?:docs|reports)/[^)#]+)", readme):
        assert (ROOT / link).exists(), link
    counts = json.loads((ROOT / "reports" / "cpu-reference" / "results.json").read_text())["counts"]
    row = "| " + " | ".join(str(counts[v]) for v in ("true", "false", "conditional", "supported", "unsupported",
                                                        "open")) + " |"
    assert row in readme, "the README's verdict counts are not the reference run's"


def test_doctest_fences_wrap_doctests():
    sys.path.insert(0, str(DOCS / "_hooks"))
    try:
        from doctest_fences import fence_doctests
    finally:
        sys.path.remove(str(DOCS / "_hooks"))
    text = "Text.\n\n>>> [1][0]\n1\n\nMore.\n    >>> x\n    2"
    assert fence_doctests(text) == ("Text.\n\n```pycon\n>>> [1][0]\n1\n```\n\nMore.\n    ```pycon\n    >>> x\n    2\n"
                                    "    ```")
    assert fence_doctests("No examples.") == "No examples."


def _have(modules: str) -> bool:
    return subprocess.run([sys.executable, "-c", f"import {modules}"], capture_output=True).returncode == 0


@pytest.mark.skipif(not _have("mkdocs, material, mkdocstrings, mkdocstrings_handlers.python"),
                    reason="mkdocs, mkdocs-material or mkdocstrings-python not installed (pip install -e '.[docs]')")
def test_site_builds_strictly(tmp_path):
    """``mkdocs build --strict``: every link, anchor, include and API object resolves, no docstring warning."""
    env = dict(os.environ, NO_MKDOCS_2_WARNING="1")
    done = subprocess.run([sys.executable, "-m", "mkdocs", "build", "--strict", "--site-dir", str(tmp_path / "site")],
                          cwd=ROOT, env=env, capture_output=True, text=True, timeout=600)
    assert done.returncode == 0, done.stderr[-4000:]
    api = (tmp_path / "site" / "api" / "index.html").read_text(encoding="utf-8")
    assert "identity_result" in api and "negative_control" in api and "as_stated_from" in api


def test_a_broken_link_fails_the_strict_build(tmp_path):
    """Negative control for the build: a copy of the configuration over a tiny page with a dead link fails."""
    if not _have("mkdocs, material"):
        pytest.skip("mkdocs or mkdocs-material not installed (pip install -e '.[docs]')")
    (tmp_path / "docs").mkdir()
    (tmp_path / "docs" / "index.md").write_text("# Home\n\nSee [nowhere](nowhere.md).\n")
    (tmp_path / "mkdocs.yml").write_text("site_name: t\nstrict: true\ntheme:\n  name: material\n")
    env = dict(os.environ, NO_MKDOCS_2_WARNING="1")
    done = subprocess.run([sys.executable, "-m", "mkdocs", "build", "--strict", "--site-dir", str(tmp_path / "site")],
                          cwd=tmp_path, env=env, capture_output=True, text=True, timeout=300)
    assert done.returncode != 0 and "nowhere.md" in done.stderr
    (tmp_path / "docs" / "index.md").write_text("# Home\n")
    done = subprocess.run([sys.executable, "-m", "mkdocs", "build", "--strict", "--site-dir", str(tmp_path / "site")],
                          cwd=tmp_path, env=env, capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stderr[-2000:]


def test_every_module_says_what_it_is_in_one_line():
    """Each module of the package and of examples/ opens with a docstring whose first paragraph is one line (the
    design page and the API reference lean on it)."""
    import ast

    folders = ("nnclaims", "proofs", "numeric", "reports", "examples")
    modules = [p for f in folders for p in (ROOT / f).rglob("*.py") if "__pycache__" not in p.parts]
    assert len(modules) > 50
    bad = []
    for path in modules:
        doc = ast.get_docstring(ast.parse(path.read_text(encoding="utf-8")), clean=False)
        lines = (doc or "").split("\n")
        if not lines[0].strip() or (len(lines) > 1 and lines[1].strip()):
            bad.append(str(path.relative_to(ROOT)))
    assert not bad, f"modules without a one-line summary docstring: {bad}"
