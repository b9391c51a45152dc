"""The ``nnclaims study dnfa`` command: the preregistered DNFA study, here or on a Ray cluster.

``nnclaims study dnfa --profile cpu|gpu --out DIR [--backend local|ray]``: run the DNFA study's preregistered
design (:mod:`nnclaims.numeric.dnfa_design`) shard by shard, here or on a Ray cluster, writing each shard into
``DIR/shards`` as it arrives (a rerun resumes from them), then ``study.json``, ``study.md`` and the figures.

Registered in :mod:`nnclaims.cli.app` with one ``app.add_command``; the shared helpers are
:mod:`nnclaims.cli._common`'s, so importing this module (as :mod:`nnclaims.bench.backends` does) does not import
the command group.  The units, why their answers do not
depend on the number of workers and how resuming works: :mod:`nnclaims.backends`.
"""

from __future__ import annotations

import contextlib
import json
import sys
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Callable

import click

from nnclaims.backends import backend_options

__all__ = ["study_cmd", "execute_study"]


@click.command("study")
@click.argument("name", type=click.Choice(["dnfa"]))
@click.option("--profile", type=click.Choice(["cpu", "gpu", "ci"]), default="cpu", show_default=True,
              help="cpu: 18 conditions, 396 networks (n per condition by the sample-size rule); gpu: 71 "
                   "conditions, 1,988 networks; ci: 3 conditions, 57 networks (the reproducibility test's)")
@click.option("--out", "out_dir", type=click.Path(path_type=Path), required=True,
              help="folder for the study's files: a new or empty folder, or one that holds a study of ours (a rerun "
                   "with the same settings resumes from the shards written there)")
@click.option("--device", default="auto", show_default=True, help="auto | cpu | cuda (with --backend ray: the "
                                                                  "cluster's GPUs, one per shard)")
@click.option("--seed", default=0, type=int, show_default=True, help="offset of every network's seed")
@click.option("--threads", default=None, type=int,
              help="CPU threads for torch (default: 1 on the CPU — the study's matrices are small — else torch's)")
@click.option("--shard-networks", default=None, type=int, metavar="N",
              help="cut each architecture's conditions into shards of whole conditions, at most N networks each (a "
                   "larger condition is a shard of its own; default: one shard per architecture, as the study has "
                   "always been trained); more shards, more workers busy; recorded in --out")
@backend_options
def study_cmd(name, profile, out_dir, device, seed, threads, shard_networks, backend, address):
    """Run a study and write study.json, study.md and its figures to --out."""
    from nnclaims.backends import check_backend

    from . import provenance
    from ._common import Interrupted, UserError
    from nnclaims.reports.study_folder import check_study_target
    from nnclaims.reports.study_report import REFERENCE

    check_backend(backend, address)
    if threads is not None and threads < 1:
        raise UserError(f"--threads must be at least 1 (got {threads})")
    if shard_networks is not None and shard_networks < 1:
        raise UserError(f"--shard-networks must be at least 1 (got {shard_networks})")
    if device not in ("auto", "cpu", "cuda"):
        raise UserError(f"unknown device {device!r}: choose auto, cpu or cuda")
    check_study_target(out_dir)  # the settings are compared once the device is known
    try:
        study, folder, config = execute_study(out_dir, profile, device=device, seed=seed, threads=threads,
                                             backend=backend, address=address, shard_networks=shard_networks,
                                             bar=True)
    except KeyboardInterrupt as e:
        raise Interrupted(str(e) or "study stopped") from None
    study["reference"] = REFERENCE
    study["provenance"] = {**provenance.collect(config=config, layers=("numeric",), argv=sys.argv)}
    for p in folder.write_study(study):
        _err().print(f"wrote {p}", highlight=False)
    verdicts = {k: v["verdict"] for k, v in study["claims"].items() if "verdict" in v}
    click.echo(json.dumps({"networks": study["networks"], "conditions": len(study["conditions"]),
                           "seconds": study["timing"]["total_seconds"], "verdicts": verdicts}))


def _err():
    from ._common import err

    return err


def _device(device: str, backend: str, cluster) -> str:
    from nnclaims.backends import cluster_device

    from ._common import resolve_device

    return resolve_device(device) if backend == "local" else cluster_device(device, cluster)


def execute_study(out_dir, profile: str, *, device: str = "auto", seed: int = 0, threads: int | None = None,
                  backend: str = "local", address: str | None = None, shard_networks: int | None = None,
                  replicates: int | None = None, bar: bool = False, max_in_flight: int | None = None,
                  on_shard: Callable[[int, int], None] | None = None, work: Callable | None = None):
    """Run the study's shards that ``out_dir`` does not hold yet (here or on Ray), writing each as it arrives, and
    assemble the study from all of them; returns ``(study, its StudyFolder, provenance config)``: write the
    study's files with ``folder.write_study(study)``.

    ``on_shard(done, total)`` after each shard written; ``work`` replaces
    :func:`~nnclaims.numeric.dnfa_study.run_shard` (the fault tests use it); ``max_in_flight``: shards at once on
    Ray.  Ctrl-C raises :class:`KeyboardInterrupt` whose message says what is kept.
    """
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

    from nnclaims.backends import UnitFailed, cluster, run_units
    from nnclaims.numeric.dnfa_design import networks
    from nnclaims.numeric.dnfa_study import _load, _threads, assemble_study, plan_shards, run_shard, shard_label, study_conditions

    from ._common import UserError
    from nnclaims.reports.study_folder import StudyFolder

    work = work or run_shard
    cpu0, load0, t0 = time.process_time(), _load(), time.perf_counter()
    session = cluster(address) if backend == "ray" else contextlib.nullcontext()
    with session as cl:
        dev = _device(device, backend, cl)
        if profile == "gpu" and dev != "cuda" and device != "cpu":
            raise UserError(f"--profile gpu trains {networks('gpu'):,} networks and needs a CUDA GPU (use --device cpu "
                            "to force the CPU)")
        if threads is None and dev == "cpu":
            threads = 1
        settings = {"profile": profile, "seed": seed, "networks_per_condition": replicates, "device": dev,
                    "threads": threads, "shard_networks": shard_networks}
        folder = StudyFolder(out_dir, settings).open()
        conds = study_conditions(profile, replicates, seed)
        plan = plan_shards(conds, shard_networks)
        done = folder.read_shards(plan)
        resumed = len(done)
        if bar and done:
            _err().print(f"resuming: reused {resumed} of {len(plan)} shards from {Path(out_dir) / 'shards'}: "
                         + ", ".join(f"{i} ({shard_label(plan[i])})" for i in sorted(done)), highlight=False, markup=False,
                         soft_wrap=True)
        todo = [s for s in plan if s.index not in done]
        options = {}
        if backend == "ray":
            options = {"num_gpus": 1 if dev == "cuda" else 0, "max_in_flight": max_in_flight}
        columns = (TextColumn("{task.description}"), BarColumn(), MofNCompleteColumn(), TimeElapsedColumn())
        with Progress(*columns, console=_err(), transient=True, disable=not bar) as progress:
            task = progress.add_task(f"study dnfa ({profile}, {backend})", total=networks(profile, replicates))
            progress.update(task, advance=sum(plan[i].networks for i in done))
            units = [(s, profile, replicates, seed, dev, threads) for s in todo]
            try:
                with contextlib.closing(run_units(work, units, backend, **options)) as answers:  # closing: cancels
                    for i, answer in answers:
                        shard = todo[i]
                        folder.write_shard(shard, answer)
                        done[shard.index] = answer
                        progress.update(task, advance=shard.networks, description=shard_label(shard)[:40])
                        if bar:
                            from ._common import progress_line

                            progress_line(f"study: shard {len(done)}/{len(plan)} written ({shard_label(shard)}, "
                                          f"{time.perf_counter() - t0:.0f} s)")
                        if on_shard is not None:
                            on_shard(len(done), len(plan))
            except KeyboardInterrupt:
                raise KeyboardInterrupt(f"study stopped: {len(done)} of {len(plan)} shards are kept in "
                                        f"{Path(out_dir) / 'shards'}; the same command resumes from them") from None
            except UnitFailed as e:
                raise UserError(f"study stopped: {e}; {len(done)} of {len(plan)} shards are kept in "
                                f"{Path(out_dir) / 'shards'} (the same command resumes from them)") from None
        workers = {"cpus": cl.cpus, "gpus": cl.gpus, "joined": not cl.started} if cl is not None else None
    timing = {"total_seconds": time.perf_counter() - t0, "cpu_seconds": time.process_time() - cpu0,
              "load_average_start": load0, "threads": _threads(threads), "backend": backend,
              "shards": len(plan), "shards_resumed": resumed, "ray_cluster": workers}
    study = assemble_study(profile, conds, done, device=dev, threshold=_threshold(), seed=seed, timing=timing)
    return study, folder, _Config(profile, dev, seed, threads, backend, shard_networks)


def _threshold() -> float:
    from nnclaims.numeric.dnfa_design import THRESHOLD

    return THRESHOLD


@dataclass(frozen=True)
class _Config:
    """The run's settings, for :func:`nnclaims.cli.provenance.collect`."""

    profile: str
    device: str
    seed: int
    threads: int | None
    backend: str = "local"
    shard_networks: int | None = None
