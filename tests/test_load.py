"""Results independent of the machine's load: ``verify`` on every claim with a search layer gives the same records
idle and with two CPU-burning processes beside it (timings apart), and the comparison can fail.

Why it could differ: Z3's default strategy for nonlinear integer problems runs steps under wall-clock limits
(``try_for``), so the witness it found depended on the load (:mod:`nnclaims.proofs._z3`); the searches now decide by
deterministic counts (Z3's ``rlimit``, a number of random draws) and keep the time limit as an outer guard only.
"""

from __future__ import annotations

import json
import subprocess
import sys
from contextlib import contextmanager

import pytest

from nnclaims.proofs._z3 import GUARD_NOTE
from nnclaims.proofs.catalogue import claims
from nnclaims.proofs.search_hessian import search_basis_change

TIMINGS = ("seconds", "traceback")
BURNERS = 2


def without_timings(o):
    """The record with every ``seconds`` (and traceback) removed: what must not depend on the load."""
    if isinstance(o, dict):
        return {k: without_timings(v) for k, v in o.items() if k not in TIMINGS}
    if isinstance(o, list):
        return [without_timings(v) for v in o]
    return o


@contextmanager
def cpu_burners(n: int = BURNERS):
    """``n`` processes spinning on the CPU for as long as the block runs; always killed after it."""
    procs = [subprocess.Popen([sys.executable, "-c", "while True: pass"]) for _ in range(n)]
    try:
        yield procs
    finally:
        for p in procs:
            p.kill()
        for p in procs:
            p.wait(timeout=30)


def _search_claims() -> list[str]:
    return [c.id for c in claims() if c.layers().get("search")]


def _verify(ids, out) -> list[dict]:
    done = subprocess.run([sys.executable, "-m", "nnclaims", "verify", *ids, "--layers", "search", "--device", "cpu",
                           "--json", str(out)], capture_output=True, text=True, timeout=3600)
    assert done.returncode == 0, done.stderr
    return json.loads(out.read_text())["claims"]


def test_cpu_burners_run_and_are_killed():
    with cpu_burners() as procs:
        assert all(p.poll() is None for p in procs)
    assert all(p.poll() is not None for p in procs)


def test_without_timings_detects_a_record_differing_in_one_field():
    """The comparison's negative control: one field changed (a witness entry, a resource count) is seen; a
    changed time is not."""
    rec = {"id": "c", "records": {"search": {"status": "found", "witness": {"W1": [[1, 2]]}, "resources": 10,
                                             "seconds": 1.0}}, "seconds": {"search": 1.0}}
    other_time = json.loads(json.dumps(rec))
    other_time["records"]["search"]["seconds"] = 9.0
    other_time["seconds"]["search"] = 9.0
    assert without_timings(other_time) == without_timings(rec)
    for path, value in ((("records", "search", "witness", "W1"), [[1, 3]]), (("records", "search", "resources"), 11)):
        changed = json.loads(json.dumps(rec))
        node = changed
        for key in path[:-1]:
            node = node[key]
        node[path[-1]] = value
        assert without_timings(changed) != without_timings(rec), path


def test_a_search_cut_by_the_clock_differs_and_says_so():
    """What the load test guards against: the same search stopped by its wall-clock guard (a limit far below what
    it needs) gives another record, whose note says the wall-clock guard decided."""
    full = search_basis_change(points=3, timeout=600, rlimit=100_000)
    cut = search_basis_change(points=3, timeout=0.001, rlimit=100_000)
    assert full.status == "unknown" and "resource limit of 100000 reached" in full.note
    assert cut.status == "unknown" and cut.note.startswith(GUARD_NOTE)
    assert without_timings(cut.to_json()) != without_timings(full.to_json())


def test_a_search_cut_by_its_resource_limit_is_the_same_under_load():
    """The deterministic limit: cut by ``rlimit`` the search stops at the same count with the same record, idle or
    beside two CPU burners."""
    idle = search_basis_change(points=3, rlimit=100_000)
    with cpu_burners():
        loaded = search_basis_change(points=3, rlimit=100_000)
    assert idle.status == "unknown" and "resource limit" in idle.note
    assert without_timings(loaded.to_json()) == without_timings(idle.to_json())


@pytest.mark.slow
@pytest.mark.search
def test_verify_records_are_the_same_idle_and_under_load(tmp_path):
    """``verify --layers search`` on every claim with a search layer, once as it is and once with two CPU burners
    beside it: identical records apart from the timings, none of them decided by the wall-clock guard."""
    ids = _search_claims()
    assert len(ids) >= 10
    idle = _verify(ids, tmp_path / "idle.json")
    with cpu_burners():
        loaded = _verify(ids, tmp_path / "loaded.json")
    assert [c["id"] for c in idle] == ids
    assert not [c["id"] for c in idle if GUARD_NOTE in c["search"].get("note", "")]
    ours = {c.id for c in claims() if str(c.layers()["search"]).startswith("nnclaims.proofs")}  # not a plug-in's
    assert len(ours) >= 10 and all(isinstance(c["search"].get("resources"), int) for c in idle if c["id"] in ours)
    assert without_timings(loaded) == without_timings(idle)


def test_the_report_shows_the_resources_a_search_used():
    """The deterministic count is in the readable record beside the time; a results file with a count that is not
    an integer is refused (negative control)."""
    from nnclaims.inputs import InputError
    from nnclaims.reports.render import layer_summary, validate_results

    rec = search_basis_change(points=3, rlimit=100_000).to_json()
    assert isinstance(rec["resources"], int) and rec["resources"] >= 100_000  # stopped at its limit
    assert f"resources used {rec['resources']}" in layer_summary("search", rec)[1]
    claim = {"id": "a", "source": "s", "quote": "q", "statement": "s", "kind": "identity", "verdict": "open",
             "evidence": "e", "disagreement": None, "symbolic": {"status": "absent"}, "search": dict(rec),
             "numeric": {"status": "absent"}}
    validate_results({"claims": [claim], "counts": {}})
    claim["search"]["resources"] = "many"
    with pytest.raises(InputError, match="resources: 'many' is not an integer"):
        validate_results({"claims": [claim], "counts": {}})
