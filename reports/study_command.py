"""``nnclaims study dnfa --profile cpu|gpu --out DIR``: run the DNFA study's preregistered design
(:mod:`nnclaims.numeric.dnfa_design`) and write ``study.json``, ``study.md`` and the figures (PNG + data).

Registered in :mod:`nnclaims.reports.cli` with one ``app.add_command``; the cli helpers are imported inside the
function body, so importing this module does not import the command line.
"""

from __future__ import annotations

import json
import sys
from dataclasses import dataclass
from pathlib import Path

import click

__all__ = ["study_cmd"]


@click.command("study")
@click.argument("name", type=click.Choice(["dnfa"]))
@click.option("--profile", type=click.Choice(["cpu", "gpu", "ci"]), default="cpu", show_default=True,
              help="cpu: 184 networks, under 8 minutes on 2 cores; gpu: 1,144 networks; ci: the cpu profile's "
                   "conditions at smaller sizes (140 networks, for the structure test)")
@click.option("--out", "out_dir", type=click.Path(path_type=Path), required=True, help="folder for the study's files")
@click.option("--device", default="auto", show_default=True, help="auto | cpu | cuda")
@click.option("--seed", default=0, type=int, show_default=True, help="offset of every network's seed")
@click.option("--threads", default=None, type=int,
              help="CPU threads for torch (default: 1 on the CPU — the study's matrices are small — else torch's)")
def study_cmd(name, profile, out_dir, device, seed, threads):
    """Run a study and write study.json, study.md and its figures to --out."""
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

    from nnclaims.numeric.dnfa_design import networks
    from nnclaims.numeric.dnfa_study import run_study

    from . import provenance
    from .cli import UserError, err, resolve_device
    from .study_report import REFERENCE, write_study

    if out_dir.exists() and not out_dir.is_dir():
        raise UserError(f"--out {out_dir}: exists and is not a folder")
    if threads is not None and threads < 1:
        raise UserError(f"--threads must be at least 1 (got {threads})")
    dev = resolve_device(device)
    if profile == "gpu" and dev != "cuda" and device != "cpu":
        raise UserError("--profile gpu trains 1,144 networks and needs a CUDA GPU (use --device cpu to force the CPU)")
    if threads is None and dev == "cpu":
        threads = 1
    total = networks(profile)
    columns = (TextColumn("{task.description}"), BarColumn(), MofNCompleteColumn(), TimeElapsedColumn())
    with Progress(*columns, console=err, transient=True) as bar:
        task = bar.add_task(f"study {name} ({profile})", total=total)

        def advance(condition: str, count: int) -> None:
            bar.update(task, advance=count, description=condition[:40])

        study = run_study(profile, device=dev, seed=seed, threads=threads, progress=advance)
    study["reference"] = REFERENCE
    study["provenance"] = {**provenance.collect(config=_Config(profile, dev, seed, threads), layers=("numeric",),
                                                argv=sys.argv)}
    for p in write_study(study, out_dir):
        err.print(f"wrote {p}", highlight=False)
    verdicts = {k: v["verdict"] for k, v in study["claims"].items() if "verdict" in v}
    click.echo(json.dumps({"networks": study["networks"], "conditions": len(study["conditions"]),
                           "seconds": study["timing"]["total_seconds"], "verdicts": verdicts}))


@dataclass(frozen=True)
class _Config:
    """The run's settings, for :func:`nnclaims.reports.provenance.collect`."""

    profile: str
    device: str
    seed: int
    threads: int | None
