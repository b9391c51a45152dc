"""The nnclaims pytest plugin (entry point ``pytest11: nnclaims``).

* markers ``symbolic``, ``search``, ``numeric``, ``gpu``, ``mutation``;
* ``--nnclaims``: collect one test per registered claim that is not built in (installed plug-ins, and modules
  named with ``--nnclaims-claims``), asserting its verdict (its ``established`` verdict if it gives one; no layer
  error and no disagreement in any case), and one ``mutation`` test per registered mutation;
* fixtures ``nnclaims_zoo`` (a trained zoo; parametrize it indirectly with a dict of :class:`~nnclaims.numeric.deep.DeepSpec`
  fields plus ``networks``, ``seed``, ``device``, ``depth``/``width``) and ``nnclaims_zoo_factory``, both cached per
  session;
* assertion helpers in :mod:`nnclaims.testing` (``assert_verdict``, ``assert_mutations_caught``).

Loading the plugin imports nothing heavy: torch is imported only when a zoo is built.
"""

from __future__ import annotations

import pytest

MARKERS = {
    "symbolic": "SymPy proofs",
    "search": "Z3 / Hypothesis counterexample searches",
    "numeric": "PyTorch cross-checks on trained networks",
    "gpu": "needs a CUDA GPU (skipped with a reason without one)",
    "mutation": "a deliberately broken variant of a claim's checks must be caught",
}


def pytest_addoption(parser):
    group = parser.getgroup("nnclaims")
    group.addoption("--nnclaims", action="store_true", default=False,
                    help="collect a verdict test and mutation tests for every registered non-built-in claim")
    group.addoption("--nnclaims-claims", action="append", default=[], metavar="MODULE",
                    help="a module path or .py file that registers claims (repeatable)")
    group.addoption("--nnclaims-networks", type=int, default=4, help="networks per numeric check (default 4)")
    group.addoption("--nnclaims-device", default="cpu", help="device of the numeric checks (default cpu)")


def pytest_configure(config):
    for name, doc in MARKERS.items():
        config.addinivalue_line("markers", f"{name}: {doc}")
    if config.getoption("nnclaims_claims", default=None):
        from nnclaims.proofs.catalogue import load_claims_module

        for spec in config.getoption("nnclaims_claims"):
            load_claims_module(spec)


class ClaimItem(pytest.Item):
    """One registered claim's verdict (``mutation is None``) or one of its mutations."""

    def __init__(self, *, claim, mutation=None, **kwargs):
        super().__init__(**kwargs)
        self.claim, self.mutation = claim, mutation
        if mutation is not None:
            self.add_marker("mutation")
        for layer, mark in (("symbolic", "symbolic"), ("search", "search"), ("numeric", "numeric")):
            if claim.layers()[layer] is not None:
                self.add_marker(mark)

    def runtest(self):
        from nnclaims.testing import assert_verdict

        cfg = self.config
        kw = dict(networks=cfg.getoption("nnclaims_networks"), device=cfg.getoption("nnclaims_device"))
        if self.mutation is None:
            assert_verdict(self.claim, **kw)
            return
        from nnclaims.mutation import run_mutation
        from nnclaims.verdict import NumericConfig, verify

        config = NumericConfig(networks=kw["networks"], device=kw["device"], seed=0)
        result = run_mutation(self.claim, self.mutation, verify(self.claim, config=config), config)
        if not result.caught:
            raise AssertionError(result.explain())

    def repr_failure(self, excinfo):
        return str(excinfo.value) if isinstance(excinfo.value, AssertionError) else super().repr_failure(excinfo)

    def reportinfo(self):
        return self.claim.source or "nnclaims", None, f"{self.claim.id}" + (f" / {self.mutation.name}" if self.mutation else "")


@pytest.hookimpl(tryfirst=True)
def pytest_collection_modifyitems(session, config, items):
    if not config.getoption("nnclaims", default=False):
        return
    from nnclaims.proofs.catalogue import CLAIMS, claims

    builtin = {c.id for c in CLAIMS}
    added = []
    for claim in claims():
        if claim.id in builtin:
            continue
        added.append(ClaimItem.from_parent(session, name=f"nnclaims[{claim.id}]", claim=claim))
        for m in claim.mutations:
            added.append(ClaimItem.from_parent(session, name=f"nnclaims[{claim.id}::{m.name}]", claim=claim, mutation=m))
    items.extend(added)
    # reported as collected, so that the count pytest prints ("N tests collected") includes them
    config.hook.pytest_collectreport(report=pytest.CollectReport("nnclaims", "passed", None, added))


@pytest.fixture(scope="session")
def nnclaims_zoo_factory():
    """``make(**options) -> Zoo``, trained once per session for each set of options (options as for
    :func:`nnclaims.trained.train_zoo`); every call returns a fresh copy, so a test that changes a tensor cannot affect another."""
    import copy

    cache: dict = {}

    def make(**options):
        key = tuple(sorted((k, tuple(v) if isinstance(v, list) else v) for k, v in options.items()))
        if key not in cache:
            from nnclaims.trained import train_zoo

            cache[key] = train_zoo(**options)
        return copy.deepcopy(cache[key])

    return make


@pytest.fixture
def nnclaims_zoo(request, nnclaims_zoo_factory):
    """A trained zoo; ``@pytest.mark.parametrize("nnclaims_zoo", [{"depth": 2, "activation": "tanh"}],
    indirect=True)`` chooses it (default: 8 one-hidden-layer ReLU MLPs on a teacher)."""
    return nnclaims_zoo_factory(**getattr(request, "param", {}))
