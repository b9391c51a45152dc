"""``nnclaims verify --backend ray``: one claim per Ray task, the outcomes read back in order.

``nnclaims verify --backend ray``: one claim per Ray task (its layers and its verdict), each in a fresh worker
process, the outcomes read back in the order the claims were asked for.

A worker knows the built-in claims and the installed plug-ins (entry points) by itself; the ``--claims`` modules
the command loaded are loaded there too: a module path by importing it, a ``.py`` file from the same path when the
worker sees the same file, else from its text, shipped with the task (a worker on another node may not have it).
Why a fresh process per claim: Z3 may return another witness of the same search in a process that has built other
terms before (:mod:`nnclaims.backends`), so a worker reused for several claims would make the answers depend on
the scheduling.
"""

from __future__ import annotations

import tempfile
from contextlib import closing
from pathlib import Path
from typing import Callable

__all__ = ["claim_sources", "load_sources", "verify_unit", "verify_on_cluster"]


def claim_sources(specs) -> list[tuple[str, str | None, str | None]]:
    """``(spec, absolute path, text)`` for each ``--claims`` spec: path and text for a ``.py`` file, ``None`` for
    a module path."""
    out = []
    for spec in specs or ():
        if spec.endswith(".py") or "/" in spec:  # as load_claims_module tells a file from a module
            path = Path(spec).resolve()
            out.append((spec, str(path), path.read_text(encoding="utf-8")))
        else:
            out.append((spec, None, None))
    return out


_SHIPPED: dict = {}


def load_sources(sources) -> None:
    """Load the driver's ``--claims`` modules in this (worker) process."""
    from nnclaims.proofs.catalogue import load_claims_module

    for spec, path, text in sources:
        if path is None:
            load_claims_module(spec)
            continue
        p = Path(path)
        try:
            same = p.is_file() and p.read_text(encoding="utf-8") == text
        except OSError:
            same = False
        if not same:
            if path not in _SHIPPED:  # a folder of its own per file: two files of one name stay two modules
                folder = Path(tempfile.mkdtemp(prefix="nnclaims-claims-"))
                (folder / p.name).write_text(text, encoding="utf-8")
                _SHIPPED[path] = folder / p.name
            p = _SHIPPED[path]
        load_claims_module(str(p))


def verify_unit(claim_id: str, layers: tuple, config, sources, threads: int | None = None) -> dict:
    """One claim's outcome, without the claim itself (the driver has it): verdict, evidence, records,
    disagreement, seconds.  ``threads``: torch's intra-op threads, the local run's (Ray starts workers with one;
    a float reduction split over another number of threads may round otherwise)."""
    from nnclaims.proofs.catalogue import get_claim

    from .verdict import verify

    if threads:
        import torch

        torch.set_num_threads(threads)
    load_sources(sources)
    o = verify(get_claim(claim_id), layers, config)
    return {"verdict": o.verdict, "evidence": o.evidence, "records": o.records, "disagreement": o.disagreement,
            "seconds": o.seconds}


def verify_on_cluster(chosen, layers: tuple, config, sources, *, num_gpus: float = 0,
                      on_done: Callable[[str], None] | None = None, max_in_flight: int | None = None) -> list:
    """The :class:`~nnclaims.verdict.Outcome` of every claim in ``chosen``, verified as Ray tasks (an open
    :func:`nnclaims.backends.cluster`), in ``chosen``'s order; ``on_done(claim_id)`` as each arrives."""
    from nnclaims.backends import ordered

    from .verdict import Outcome

    threads = None
    if "numeric" in layers:
        import torch

        threads = torch.get_num_threads()  # what the local run uses
    units = [(c.id, tuple(layers), config, sources, threads) for c in chosen]
    arrived = None if on_done is None else (lambda i, _: on_done(chosen[i].id))
    with closing(ordered(verify_unit, units, on_result=arrived, num_gpus=num_gpus, fresh_process=True,
                         max_in_flight=max_in_flight)) as answers:
        return [Outcome(c, a["verdict"], a["evidence"], a["records"], a["disagreement"], a["seconds"])
                for c, a in zip(chosen, answers, strict=True)]
