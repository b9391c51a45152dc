"""The prepared GPU run, end to end at a tiny size on the CPU (``reports/gpu.sh --dry-run --device cpu``): every
step runs or is skipped with a reason, the summary and the packed folder come back, and the report inside is a
report.  A step that fails makes the script exit non-zero (negative control)."""

import json
import os
import subprocess
import sys
import tarfile
from pathlib import Path

import pytest

from nnclaims.bench import gpu

ROOT = Path(__file__).resolve().parents[1]


def test_dry_run_steps_have_no_time_cap(tmp_path):
    """A dry run checks that each step works, not its speed: no step can fail by a cap on a loaded machine; the full
    run keeps its caps (negative control)."""
    assert all(s.cap is None for s in gpu.steps("cpu", tmp_path, True))
    assert all(s.cap is not None and s.cap > 0 for s in gpu.steps("cuda", tmp_path, False))


@pytest.mark.slow
def test_gpu_script_dry_run_on_the_cpu(tmp_path):
    env = {**os.environ, "OUT": str(tmp_path / "out"), "PATH": f"{Path(sys.executable).parent}:{os.environ['PATH']}"}
    # the timeout only stops a hang (the dry run takes minutes idle, several times that under load)
    done = subprocess.run(["bash", str(ROOT / "reports" / "gpu.sh"), "--dry-run", "--device", "cpu"], env=env,
                          capture_output=True, text=True, timeout=4 * 3600)
    assert done.returncode == 0, done.stdout[-3000:] + done.stderr[-3000:]
    summary = (tmp_path / "out" / "summary.txt").read_text()
    names = [s.name for s in gpu.steps("cpu", tmp_path, True)]
    assert [line.split()[0] for line in summary.splitlines()] == names
    with tarfile.open(tmp_path / "out" / "gpu-run.tar.gz") as tar:
        members = set(tar.getnames())
        rows = json.load(tar.extractfile("gpu-run/summary.json"))
        assert {r["status"] for r in rows} <= {"ok", "skipped"}
        ran = {r["step"] for r in rows if r["status"] == "ok"}
        assert {"machine", "bench-zoo", "bench-numeric", "report", "dnfa-study", "bench-curvature"} == ran
        results = json.load(tar.extractfile("gpu-run/gpu-reference/results.json"))
    assert len(results["claims"]) >= 40 and results["provenance"]["config"]["device"] == "cpu"
    assert "gpu-run/dnfa-study-gpu/study.json" in members


@pytest.mark.slow
def test_gpu_script_fails_when_a_step_fails(tmp_path, monkeypatch):
    failing = gpu.Step("boom", (sys.executable, "-m", "nnclaims", "list", "--no-such-option"), 30)
    monkeypatch.setattr(gpu, "steps", lambda device, work, dry_run: [gpu.Step("machine", None, 5), failing])
    assert gpu.run("cpu", tmp_path / "out", tmp_path / "work", True) == 1
    assert "failed" in (tmp_path / "out" / "summary.txt").read_text()


def test_gpu_script_skips_an_absent_command_with_its_reason(tmp_path, monkeypatch):
    absent = gpu.Step("absent", (sys.executable, "-m", "nnclaims", "nosuchcommand"), 30)
    missing = gpu.Step("missing", (sys.executable, "-m", "nnclaims", "list"), 30, ("no_such_module_xyz",))
    monkeypatch.setattr(gpu, "steps", lambda device, work, dry_run: [absent, missing])
    assert gpu.run("cpu", tmp_path / "out", tmp_path / "work", True) == 0
    text = (tmp_path / "out" / "summary.txt").read_text()
    assert "absent" in text and "not available" in text and "no_such_module_xyz" in text


def test_gpu_script_refuses_cuda_without_a_gpu(capsys):
    import torch

    if torch.cuda.is_available():
        pytest.skip("this machine has a GPU")
    assert gpu.main(["--device", "cuda", "--out", "/tmp/unused"]) == 2
    assert "no CUDA GPU" in capsys.readouterr().err
