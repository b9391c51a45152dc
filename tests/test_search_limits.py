"""Searches that cannot finish are refused or bounded: the zero-match limits, time limits that cover building the
encoding and enumerating, the bounded child process, and the non-trivial defaults (answers of the trivial
variants unchanged)."""

import os
import time

import pytest

from nnclaims.proofs.bounded import SearchDied, run_bounded
from nnclaims.proofs.search_subspace import LIMITS, check_bounds, data_orbits, encoding_terms, search_zero_match

OK = dict(inputs=2, hidden=(2,), outputs=2, points=2, max_weight=1, hidden_layer=1)


@pytest.mark.parametrize("change, needle", [
    (dict(inputs=7), "inputs 7 (--inputs) is above the limit 6"),
    (dict(outputs=17), "outputs 17 (--outputs) is above the limit 16"),
    (dict(hidden=(2,) * 5), "hidden layers 5 (--hidden) is above the limit 4"),
    (dict(hidden=(100_000,)), "hidden width 100000 (--hidden) is above the limit 8"),
    (dict(points=9), "points 9 (--points) is above the limit 8"),
    (dict(max_weight=10 ** 9), "max_weight 1000000000 (--max-weight) is above the limit 1000000"),
    (dict(hidden=(6,), points=4), "determinant terms, above the limit 4000000"),
    (dict(jobs=65), "jobs 65 (--jobs) is above the limit 64"),
    (dict(max_weight=40, inputs=2, points=3), "too many to enumerate"),
    (dict(max_weight=1000, inputs=1, points=1, biases=True), "first-layer table has 4004001 weight vectors"),
])
def test_zero_match_limits_are_refused_by_name(change, needle, slowness):
    slow = slowness()
    t0 = time.monotonic()
    with pytest.raises(ValueError, match=None) as e:
        check_bounds(**{**OK, **change})
    assert needle in str(e.value) and time.monotonic() - t0 < 1 * max(slow, slowness())
    with pytest.raises(ValueError):  # the search itself checks them first
        search_zero_match(**{**OK, **change}, timeout=5)


def test_zero_match_limits_admit_the_benchmark_cases():
    """The limits leave room for everything the README and the benchmark run."""
    check_bounds(inputs=3, hidden=(3,), outputs=3, points=3, max_weight=2, hidden_layer=1)
    check_bounds(inputs=2, hidden=(2, 2), outputs=2, points=2, max_weight=2, hidden_layer=2, jobs=16)
    assert encoding_terms(5, 4) <= LIMITS["encoding terms"][0] < encoding_terms(6, 4)


def test_data_orbits_refuses_before_building_the_grid(slowness):
    slow = slowness()
    t0 = time.monotonic()
    with pytest.raises(ValueError, match="too many to enumerate"):
        data_orbits(2, 10 ** 6, 2)  # the grid alone would be 4·10¹² points
    assert time.monotonic() - t0 < 1 * max(slow, slowness())


@pytest.mark.search
def test_zero_match_time_limit_covers_building_the_encoding(slowness):
    """Without any child process: width 6 with 3 points takes minutes to encode; the limit stops the encoding (within
    4 s past it idle, more on a loaded machine by its measured slowness)."""
    slow = slowness()
    t0 = time.monotonic()
    r = search_zero_match(method="whole", hidden=(6,), points=3, timeout=1.0)
    assert r.status == "unknown" and "while building the encoding" in r.note
    assert time.monotonic() - t0 < 1 + 4 * max(slow, slowness())


@pytest.mark.search
@pytest.mark.parametrize("kw", [dict(points=1), dict(points=2), dict(points=2, output_activation="relu"),
                                dict(points=2, hidden=(1,))])
def test_zero_match_trivial_variants_methods_agree(kw):
    """The defaults now exclude trivial witnesses; the variants that allow them are still searched the same by
    every method (the naive encoding has none of the reductions)."""
    kw = dict(kw, nonzero_output=False, no_zero_neuron=False)
    naive = search_zero_match(method="naive", timeout=600, **kw)
    assert naive.status in ("found", "none")
    for method in ("whole", "split"):
        r = search_zero_match(method=method, timeout=600, **kw)
        assert r.status == naive.status, method
        assert r.status != "found" or r.rechecked


def _sleeps(*, timeout, seed=0):
    time.sleep(3600)


def _refuses(*, timeout):
    raise ValueError("points 99 is above the limit 8")


def _dies(*, timeout):
    os._exit(3)


def _settles_some(*, timeout, progress):
    progress(0, 10)
    progress(4, 10)
    time.sleep(3600)


def test_run_bounded_stops_a_search_at_its_time_limit(slowness):
    slow = slowness()
    t0 = time.monotonic()
    r = run_bounded(_sleeps, {"seed": 1}, timeout=0.5, name="sleeper")
    assert r.status == "unknown" and r.name == "sleeper" and "time limit of 0.5 s" in r.note
    assert "nothing settled" in r.note and time.monotonic() - t0 < 0.5 + 2.5 * max(slow, slowness())


def test_run_bounded_reports_what_was_settled():
    r = run_bounded(_settles_some, {}, timeout=0.5)
    assert r.status == "unknown" and "4 of 10 data sets settled" in r.note


def test_run_bounded_passes_errors_on():
    with pytest.raises(ValueError, match="above the limit 8"):
        run_bounded(_refuses, {}, timeout=5)
    with pytest.raises(SearchDied, match="exit status 3"):
        run_bounded(_dies, {}, timeout=5)


@pytest.mark.search
def test_run_bounded_gives_the_searchs_own_answer():
    direct = search_zero_match(points=3, isomorphic=True)
    bounded = run_bounded(search_zero_match, {"points": 3, "isomorphic": True}, timeout=600)
    assert bounded.status == direct.status == "found" and bounded.witness == direct.witness
