r"""The prepared GPU run: every GPU step the project defines, in one command of at most 8 minutes.

A session that finds a GPU lent runs this first, in one call (docs/benchmarks.md, "The GPU run").  Each step is a subprocess
under its own time cap, its output logged; a step whose command does not exist (yet) or whose dependency is
missing is *skipped with the reason printed*, never reported as passed; the script exits non-zero when a step
that ran failed or hit its cap.  Everything is written to one work folder and packed at the end into
``OUT/gpu-run.tar.gz`` with ``OUT/summary.txt`` beside it (the device tool returns at most 8 files).

Steps (sizes for ``--device cuda``; ``--dry-run`` shrinks every size so the whole script runs on a CPU in about
two minutes, which CI does):

======================  ===========================================================================  =======
step                    command                                                                      cap (s)
======================  ===========================================================================  =======
machine                 GPU name, torch and CUDA versions, CPU count                                      5
bench-zoo               ``python -m nnclaims.bench.suite zoo --networks 1024``                            60
bench-numeric           ``python -m nnclaims.bench.suite numeric --networks 1024``                        60
report                  ``nnclaims report --out gpu-reference --networks 1024``                          150
dnfa-study              ``nnclaims study dnfa --profile gpu --out dnfa-study-gpu``                       130
bench-curvature         ``python -m nnclaims.bench.suite curvature --networks 1024``                      60
======================  ===========================================================================  =======

The report needs z3 (symbolic and search layers) and latex2mathml, and the DNFA study mnist1d (with requests);
the GPU machine has none of them, so they travel as wheels: ``python -m nnclaims.bench.gpu --prepare .whl``
(here, with the registry) downloads them for the GPU machine's Python and builds this package's wheel, and
``reports/gpu.sh`` installs ``.whl/*.whl`` there before it starts this module.
"""

from __future__ import annotations

import argparse
import dataclasses
import json
import os
import platform
import shutil
import subprocess
import sys
import tarfile
import time
from dataclasses import dataclass
from pathlib import Path

__all__ = ["Step", "steps", "run", "prepare", "main"]

PY = [sys.executable]
# what the GPU machine lacks (its image: Python 3.12, torch, numpy, sympy, scikit-learn, matplotlib, click, rich,
# safetensors, scipy, einops, opt-einsum, linear-operator, tqdm, hypothesis, pytest), as wheels for --prepare
CARRIED = ("z3-solver==5.4.1.0", "latex2mathml==3.81.1", "curvlinops-for-pytorch==3.0.1", "einconv==0.1.0",
           # the DNFA study's MNIST-1D (generated, never downloaded) and what its import needs beyond the image's
           # numpy, scipy and matplotlib: requests (imported by mnist1d.data) and requests' own dependencies
           "mnist1d==0.0.2.post1", "requests==2.34.2", "charset-normalizer==3.5.3", "idna==3.20", "urllib3==2.8.0",
           "certifi==2026.10.19.post1")


@dataclass(frozen=True)
class Step:
    """One step: a name, the command (argv, or None for the in-process machine report), a time cap (None: none),
    and the Python modules it needs (missing ones skip it with the reason)."""

    name: str
    argv: tuple | None
    cap: float | None
    needs: tuple = ()


def steps(device: str, work: Path, dry_run: bool) -> list[Step]:
    """The steps in order, at full size or (``dry_run``) at a size a CPU finishes in minutes.  A dry run checks that
    each step works, not how fast a CPU shared with other work runs it: its steps have no time cap (the caller's
    own guard stops a hang)."""
    nets = "4" if dry_run else "1024"
    mod = PY + ["-m"]
    return [dataclasses.replace(step, cap=None) if dry_run else step for step in [
        Step("machine", None, 5),
        Step("bench-zoo", tuple(mod + ["nnclaims.bench.suite", "zoo", "--networks", nets, "--device", device,
                                       "--loop-networks", "2" if dry_run else "16"]), 60),
        Step("bench-numeric", tuple(mod + ["nnclaims.bench.suite", "numeric", "--networks", nets, "--device", device]),
             60),
        Step("report", tuple(mod + ["nnclaims", "report", "--out", str(work / "gpu-reference"), "--networks", nets,
                                    "--device", device]), 150, ("z3", "latex2mathml")),
        Step("dnfa-study", tuple(mod + ["nnclaims", "study", "dnfa", "--profile", "ci" if dry_run else "gpu",
                                        "--out", str(work / "dnfa-study-gpu"), "--device", device]), 130,
             ("mnist1d",)),
        Step("bench-curvature", tuple(mod + ["nnclaims.bench.suite", "curvature", "--networks", nets, "--device",
                                             device, "--loop-networks", "2" if dry_run else "32"]
                                      + (["--small"] if dry_run else [])), 60, ("curvlinops",)),
    ]]


def machine(device: str) -> str:
    """The machine in a few lines: GPU, torch, CUDA, CPU count, Python."""
    import torch

    lines = [f"python {platform.python_version()} on {platform.platform()}", f"cpus {os.cpu_count()}",
             f"torch {torch.__version__}, CUDA {torch.version.cuda}, device asked: {device}"]
    if torch.cuda.is_available():
        p = torch.cuda.get_device_properties(0)
        lines.append(f"gpu {p.name}, {p.total_memory / 2 ** 30:.0f} GiB, {p.multi_processor_count} SMs")
    else:
        lines.append("gpu none")
    return "\n".join(lines)


def _missing(modules) -> list[str]:
    import importlib.util

    return [m for m in modules if importlib.util.find_spec(m) is None]


def _command_exists(argv) -> str | None:
    """None when the step's command exists, else the reason: ``nnclaims <command> [<sub>] --help`` must succeed,
    and a benchmark's name must be one of ``nnclaims.bench.suite``'s choices."""
    if argv[2] == "nnclaims":
        probe = list(argv[:4]) + ([argv[4]] if argv[3] == "study" else [])
        done = subprocess.run(probe + ["--help"], capture_output=True, text=True, timeout=60)
        ok = done.returncode == 0
    else:
        probe = list(argv[:3])
        done = subprocess.run(probe + ["--help"], capture_output=True, text=True, timeout=60)
        ok = done.returncode == 0 and f",{argv[3]}," in done.stdout.replace("{", ",").replace("}", ",")
    if ok:
        return None
    return f"`{' '.join(map(str, argv[2:5]))}` is not available: {(done.stderr or done.stdout).strip()[-200:]}"


def run(device: str, out: Path, work: Path, dry_run: bool) -> int:
    """Run every step, write ``work/<step>.log``, pack ``out/gpu-run.tar.gz`` and ``out/summary.txt``; returns the
    exit status (1 when a step that ran failed or hit its cap)."""
    work.mkdir(parents=True, exist_ok=True)
    out.mkdir(parents=True, exist_ok=True)
    env = {**os.environ, "PYTHONUNBUFFERED": "1"}
    rows, failed = [], False
    for step in steps(device, work, dry_run):
        t0 = time.perf_counter()
        log = work / f"{step.name}.log"
        if step.argv is None:
            text = machine(device)
            log.write_text(text + "\n")
            print(text, flush=True)
            rows.append((step.name, "ok", time.perf_counter() - t0, ""))
            continue
        missing = _missing(step.needs)
        why = f"missing Python modules {', '.join(missing)} (carry them: --prepare)" if missing else _command_exists(step.argv)
        if why:
            rows.append((step.name, "skipped", 0.0, why))
            print(f"[{step.name}] skipped: {why}", flush=True)
            continue
        cap = "no cap: dry run" if step.cap is None else f"cap {step.cap:.0f} s"
        print(f"[{step.name}] {' '.join(step.argv[1:])} ({cap})", flush=True)
        with open(log, "w") as fh:
            try:
                done = subprocess.run(list(step.argv), stdout=fh, stderr=subprocess.STDOUT, timeout=step.cap, env=env)
                status = "ok" if done.returncode == 0 else f"failed (exit {done.returncode})"
            except subprocess.TimeoutExpired:
                status = f"failed (over its {step.cap:.0f} s cap)"
        failed |= status != "ok"
        rows.append((step.name, status, time.perf_counter() - t0, ""))
        print(f"[{step.name}] {status} in {time.perf_counter() - t0:.1f} s; last lines:", flush=True)
        print("".join(log.read_text(errors="replace").splitlines(keepends=True)[-8:]), flush=True)
    summary = "\n".join(f"{name:<16} {status:<28} {secs:7.1f} s  {why}" for name, status, secs, why in rows)
    (work / "summary.txt").write_text(summary + "\n")
    (work / "summary.json").write_text(json.dumps([dict(zip(("step", "status", "seconds", "reason"), r)) for r in rows],
                                                  indent=1))
    shutil.copy(work / "summary.txt", out / "summary.txt")
    with tarfile.open(out / "gpu-run.tar.gz", "w:gz") as tar:
        tar.add(work, arcname="gpu-run")
    print(summary)
    return 1 if failed else 0


def prepare(folder: Path, python_version: str = "3.12") -> int:
    """Download the wheels the GPU machine lacks (:data:`CARRIED`) for its Python and build this package's wheel
    into ``folder`` (run here, where the registry is reachable)."""
    folder.mkdir(parents=True, exist_ok=True)
    platforms = [f"--platform=manylinux_2_{n}_x86_64" for n in (17, 27, 28)] + ["--platform=manylinux2014_x86_64"]
    for req in CARRIED:
        done = subprocess.run(PY + ["-m", "pip", "download", "--no-deps", "--only-binary=:all:", "--python-version",
                                    python_version, "--implementation", "cp", *platforms, "-d", str(folder), req])
        if done.returncode:
            return done.returncode
    root = Path(__file__).resolve().parents[1]
    return subprocess.run(PY + ["-m", "pip", "wheel", "--no-deps", "-w", str(folder), str(root)]).returncode


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(prog="python -m nnclaims.bench.gpu", description=__doc__.split("\n\n")[0])
    ap.add_argument("--out", type=Path, default=Path(os.environ.get("OUT", "gpu-out")),
                    help="where summary.txt and gpu-run.tar.gz go (default: $OUT, else ./gpu-out)")
    ap.add_argument("--work", type=Path, default=None, help="work folder (default: OUT/../gpu-run-work)")
    ap.add_argument("--device", default="cuda", choices=["cuda", "cpu"])
    ap.add_argument("--dry-run", action="store_true", help="every step at a tiny size (CI runs it on the CPU)")
    ap.add_argument("--prepare", type=Path, default=None, metavar="FOLDER",
                    help="download the wheels the GPU machine lacks into FOLDER and exit")
    a = ap.parse_args(argv)
    if a.prepare is not None:
        return prepare(a.prepare)
    if a.device == "cuda":
        import torch

        if not torch.cuda.is_available():
            print("nnclaims: error: --device cuda, but no CUDA GPU is available (use --dry-run --device cpu)",
                  file=sys.stderr)
            return 2
    work = a.work or a.out.resolve().parent / "gpu-run-work"
    return run(a.device, a.out, work, a.dry_run)


if __name__ == "__main__":
    sys.exit(main())
