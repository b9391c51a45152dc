"""``--backend ray`` (issue 19) on a local Ray cluster, started once for these tests: the study's shards, the
zero-match search's data sets and verify's claims give the local backend's answers, number for number, whatever
the number of workers; a worker killed mid-shard is retried; an interrupted study resumes from its shards; the time
limit and Ctrl-C still stop everything; ``--address`` joins a running cluster; a study folder is never someone
else's.  (The cluster lives for this module only, so that the other test files never fork beside Ray's threads.)
"""

from __future__ import annotations

import json
import os
import signal
import socket
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest

ray = pytest.importorskip("ray", reason="needs the ray extra: pip install -e '.[ray]' (part of [test])")

from nnclaims.backends import BackendError, RayRunner, UnitFailed, cluster, ordered, stream  # noqa: E402
from nnclaims.numeric.dnfa_design import conditions  # noqa: E402
from nnclaims.numeric.dnfa_study import plan_shards, run_shard  # noqa: E402
from nnclaims.proofs.bounded import GRACE, run_on_cluster  # noqa: E402
from nnclaims.proofs._z3 import GUARD_NOTE  # noqa: E402
from nnclaims.proofs.search_subspace import search_zero_match  # noqa: E402
from nnclaims.cli.study import execute_study  # noqa: E402

pytestmark = pytest.mark.slow  # a Ray cluster and studies: the full tier (python -m pytest), not -m "not slow"

ROOT = Path(__file__).resolve().parents[1]
NETWORKS = 4  # per condition of the study's 'verify' profile: 4 conditions, 16 networks, a few seconds
SHARD = 3  # networks per shard: whole conditions only, so 4 shards of 4 networks (a condition is never split)
SHARDS = 4


@pytest.fixture(scope="module")
def ray_cluster():
    ray.cloudpickle.register_pickle_by_value(sys.modules[__name__])  # the workers cannot import this test module
    with cluster(num_cpus=2) as cl:
        yield cl


def _numbers(study: dict) -> dict:
    """Everything a study computed (the run's own timings aside)."""
    return {k: v for k, v in json.loads(json.dumps(study, default=str)).items() if k != "timing"}


def _study(out, **kw):
    study, folder, _ = execute_study(out, "verify", device="cpu", replicates=NETWORKS, **kw)
    return study


@pytest.fixture(scope="module")
def local_study(tmp_path_factory):
    """The local backend's study (one shard per architecture, as the study has always been trained)."""
    return _numbers(_study(tmp_path_factory.mktemp("local") / "study"))


def test_plan_cuts_groups_at_condition_boundaries_and_keeps_minibatch_groups_whole():
    plan = plan_shards(conditions("verify", NETWORKS), SHARD)
    assert [s.networks for s in plan] == [4, 4, 4, 4] and len(plan) == SHARDS  # never a condition split
    assert [len(s.parts) for s in plan_shards(conditions("verify", NETWORKS), 8)] == [1, 2, 1]  # two per shard
    held = {}
    for s in plan:
        for name, a, b in s.parts:
            held.setdefault(name, []).extend(range(a, b))
    assert held == {c.name: list(range(NETWORKS)) for c in conditions("verify", NETWORKS)}  # each network once
    assert len(plan_shards(conditions("verify", NETWORKS))) == 3  # default: one shard per architecture


@pytest.mark.numeric
@pytest.mark.parametrize("workers", [1, 2])
def test_study_on_ray_equals_local_whatever_the_workers(ray_cluster, local_study, tmp_path, workers):
    """Six shards on 1 or 2 workers, against the local run in three shards: the same study, number for number
    (every network's metrics, every interval, every decision)."""
    study = _study(tmp_path / "s", backend="ray", shard_networks=SHARD, max_in_flight=workers)
    assert len(list((tmp_path / "s" / "shards").iterdir())) == SHARDS and study["timing"]["shards"] == SHARDS
    assert _numbers(study) == local_study
    assert sum(len(c["per_network"]["ansatz_cos"][0]) for c in local_study["conditions"]) == 4 * NETWORKS


@pytest.mark.numeric
def test_study_on_ray_with_another_seed_differs(ray_cluster, local_study, tmp_path):
    """The negative control of the comparison above: other networks, other numbers."""
    assert _numbers(_study(tmp_path / "s", backend="ray", shard_networks=SHARD, seed=1)) != local_study


@pytest.mark.numeric
def test_study_worker_killed_mid_shard_is_retried(ray_cluster, local_study, tmp_path):
    """The worker that runs shard 2 kills itself (SIGKILL) on its first try; Ray runs the shard again elsewhere and
    the study equals the uninterrupted run."""
    marker = tmp_path / "killed"

    def dies_once(shard, *args):
        if shard.index == 2 and not marker.exists():
            marker.write_text(str(os.getpid()))
            os.kill(os.getpid(), signal.SIGKILL)
        return run_shard(shard, *args)

    study = _study(tmp_path / "s", backend="ray", shard_networks=SHARD, work=dies_once)
    assert marker.exists(), "the worker was never killed"
    assert _numbers(study) == local_study


def test_unit_whose_worker_always_dies_is_one_error(ray_cluster):
    def always_dies():
        os.kill(os.getpid(), signal.SIGKILL)

    with pytest.raises(UnitFailed, match="died on each of"):
        list(stream(always_dies, [()], retries=1))


def _kept(out: Path) -> dict:
    return {p.name: (p.stat().st_mtime_ns, p.read_bytes()) for p in (out / "shards").iterdir()}


@pytest.mark.numeric
def test_study_interrupted_resumes_from_its_shards_locally(local_study, tmp_path):
    """Ctrl-C after two shards (local backend): they are kept; the rerun computes only the others, leaves the
    two files as they were, and the study equals the uninterrupted run."""
    out = tmp_path / "s"

    def stop(done, total):
        if done == 2:
            raise KeyboardInterrupt

    with pytest.raises(KeyboardInterrupt, match=f"2 of {SHARDS} shards are kept"):
        _study(out, shard_networks=SHARD, on_shard=stop)
    kept = _kept(out)
    assert len(kept) == 2
    ran = []

    def counted(shard, *args):
        ran.append(shard.name)
        return run_shard(shard, *args)

    study = _study(out, shard_networks=SHARD, work=counted)
    assert len(ran) == SHARDS - 2 and not set(ran) & {n.removesuffix(".json") for n in kept}
    assert {k: v for k, v in _kept(out).items() if k in kept} == kept and len(_kept(out)) == SHARDS
    assert study["timing"]["shards_resumed"] == 2
    assert _numbers(study) == local_study


@pytest.mark.numeric
def test_study_interrupted_on_ray_resumes_on_ray(ray_cluster, local_study, tmp_path):
    """Ctrl-C in the driver while shards run on Ray: what arrived is kept, the rest is cancelled; the rerun adds
    the missing shards only."""
    out = tmp_path / "s"

    def stop(done, total):
        if done == 3:
            raise KeyboardInterrupt

    with pytest.raises(KeyboardInterrupt, match=f"3 of {SHARDS} shards are kept"):
        _study(out, backend="ray", shard_networks=SHARD, on_shard=stop)
    kept = _kept(out)
    study = _study(out, backend="ray", shard_networks=SHARD)
    assert {k: v for k, v in _kept(out).items() if k in kept} == kept and len(kept) == 3
    assert study["timing"]["shards_resumed"] == 3 and _numbers(study) == local_study


def test_study_resume_with_other_settings_is_refused(tmp_path):
    from nnclaims.reports.study_folder import StudyFolder, StudyFolderError

    StudyFolder(tmp_path / "s", {"profile": "verify", "seed": 0}).open()
    with pytest.raises(StudyFolderError, match="holds a study run with other settings"):
        StudyFolder(tmp_path / "s", {"profile": "verify", "seed": 1}).open()


# --- the study folder: never someone else's ------------------------------------------------------------------

def test_atomic_write_never_touches_a_users_tmp_file(tmp_path):
    """The old writer wrote through ``name.tmp``, replacing a user's file of that name."""
    from nnclaims.reports.render import atomic_write

    (tmp_path / "study.json.tmp").write_text("a user's file")
    atomic_write(tmp_path / "study.json", "{}")
    assert (tmp_path / "study.json.tmp").read_text() == "a user's file"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["study.json", "study.json.tmp"]


def test_study_folder_keeps_a_users_files_and_refuses_their_names(tmp_path):
    from nnclaims.reports.study_folder import MARKER, StudyFolder, StudyFolderError, check_study_target

    user = tmp_path / "theirs"
    user.mkdir()
    (user / "notes.txt").write_text("mine")
    with pytest.raises(StudyFolderError, match="holds no nnclaims study"):
        check_study_target(user)
    out = tmp_path / "ours"
    folder = StudyFolder(out, {"profile": "verify"}).open()
    (out / "notes.txt").write_text("mine")  # a user's file put into our folder later
    (out / "study.md").write_text("mine too")
    with pytest.raises(StudyFolderError, match="'study.md' that is not from the study there"):
        folder.write_study({"study": "dnfa", "conditions": []})
    with pytest.raises(StudyFolderError, match="'study.md' that is not from the study there"):
        check_study_target(out)
    assert (out / "notes.txt").read_text() == "mine" and (out / "study.md").read_text() == "mine too"
    assert json.loads((out / MARKER).read_text())["files"] == ["shards"]


def test_study_folder_written_before_the_marker_is_recognised(tmp_path):
    """A study written before the marker existed (such as reports/dnfa-study-cpu) may be rerun into; one with a
    stranger's file in it may not."""
    from nnclaims.reports.study_folder import StudyFolderError, check_study_target

    old = tmp_path / "old"
    old.mkdir()
    (old / "study.json").write_text('{\n "study": "dnfa",\n "profile": "cpu"}')
    (old / "study.md").write_text("# DNFA study")
    check_study_target(old)
    (old / "notes.txt").write_text("mine")
    with pytest.raises(StudyFolderError, match="holds no nnclaims study"):
        check_study_target(old)


# --- the search -------------------------------------------------------------------------------------------------

SEARCH_CASES = [  # found on the first data set, none on every data set, found among 16 data sets
    ({}, "found"), ({"hidden": (1,)}, "none"), ({"points": 3, "isomorphic": True}, "found")]


def _result(r) -> dict:
    return {k: v for k, v in r.to_json().items() if k != "seconds"}


@pytest.mark.search
@pytest.mark.parametrize("kw, status", SEARCH_CASES, ids=["found", "none", "found-of-16"])
def test_search_on_ray_equals_local_whatever_the_workers(ray_cluster, kw, status):
    local = search_zero_match(**kw)
    assert local.status == status
    for workers in (1, 2, None):
        on_ray = run_on_cluster(search_zero_match, kw, timeout=600, runner=RayRunner(max_in_flight=workers))
        assert _result(on_ray) == _result(local), workers


@pytest.mark.search
def test_search_time_limit_bounds_the_search_on_ray(ray_cluster, slowness):
    """245 data sets of seconds each, a 3 s limit: unknown, with what was settled, within the limit and the grace
    (and 3 s to stop, more on a loaded machine by its measured slowness)."""
    slow = slowness()
    t0 = time.monotonic()
    r = run_on_cluster(search_zero_match, dict(inputs=3, hidden=(3,), outputs=3, points=2, max_weight=2,
                                               isomorphic=True, cover=False), timeout=3, runner=RayRunner())
    # how far it got in 3 s depends on the load (on a loaded machine the enumeration itself may not finish)
    assert r.status == "unknown" and r.note.startswith(GUARD_NOTE) and "time limit" in r.note
    assert "data sets settled" in r.note or "nothing settled" in r.note
    assert time.monotonic() - t0 < 3 + GRACE + 3 * max(slow, slowness())


def _square_after(i: int, folder: str) -> int:
    """Unit ``i`` answers only once the driver has seen unit ``i + 1``'s answer (its file written by the driver),
    the last at once: later units arrive first, whatever the load (no sleeps to race)."""
    later, deadline = Path(folder, f"{i + 1}.seen"), time.monotonic() + 600
    while i < 1 and not later.exists() and time.monotonic() < deadline:
        time.sleep(0.05)
    return i * i


def test_ordered_reads_in_unit_order_whatever_arrives_first(ray_cluster, tmp_path):
    """Later units finish first; the answers still come out in the units' order (the search's first ``sat`` is
    the first in data-set order), and every arrival is seen as it happens.  Two units, both running at once on the
    2-CPU cluster: unit 0 waits for unit 1's answer."""
    arrivals = []
    units = [(i, str(tmp_path)) for i in range(2)]

    def seen(i, answer):
        arrivals.append(i)
        Path(tmp_path, f"{i}.seen").write_text("")

    out = list(ordered(_square_after, units, max_in_flight=2, on_result=seen))
    assert out == [0, 1]
    assert arrivals == [1, 0]  # they did arrive out of order


def _pid_then_sleep(folder: str, i: int) -> None:
    Path(folder, f"{i}.pid").write_text(str(os.getpid()))
    time.sleep(24 * 3600)  # never answers: only the Ctrl-C ends the wait


def _alive(pid: int) -> bool:
    try:
        with open(f"/proc/{pid}/stat") as f:
            return f.read().rsplit(")", 1)[1].split()[0] != "Z"
    except OSError:
        return False


@pytest.mark.skipif(not os.path.isdir("/proc/self"), reason="needs Linux /proc to see the workers")
def test_stopping_the_stream_kills_the_running_workers(ray_cluster, tmp_path):
    """Ctrl-C (or a time limit, or a found witness) in the driver: the tasks still running are cancelled with
    their worker processes.  Readiness is the units' own pid files (however long a loaded machine takes to start
    them); the units never answer, so the wait ends by the Ctrl-C only."""
    units = [(str(tmp_path), i) for i in range(2)]
    answers = stream(_pid_then_sleep, units)
    ready = threading.Event()

    def interrupt():  # Ctrl-C once both units are running; a guard of an hour stops a test whose units never start
        deadline = time.monotonic() + 3600
        while len(list(tmp_path.glob("*.pid"))) < 2 and time.monotonic() < deadline:
            time.sleep(0.1)
        if len(list(tmp_path.glob("*.pid"))) == 2:
            ready.set()
        os.kill(os.getpid(), signal.SIGINT)

    threading.Thread(target=interrupt, daemon=True).start()
    with pytest.raises(KeyboardInterrupt):
        next(answers)  # waits for answers that never come
    assert ready.is_set(), "the units never started"
    pids = [int(p.read_text()) for p in tmp_path.glob("*.pid")]
    assert len(pids) == 2
    deadline = time.monotonic() + 600  # a guard only: how fast they go is not the point
    while any(map(_alive, pids)) and time.monotonic() < deadline:
        time.sleep(0.2)
    assert not any(map(_alive, pids))


@pytest.mark.search
@pytest.mark.skipif(not os.path.isdir("/proc/self"), reason="needs Linux /proc to find the processes")
def test_cli_ctrl_c_stops_a_search_on_ray_and_its_cluster(interrupt, slowness):
    """The command line: Ctrl-C during a long search on the local Ray cluster it started gives exit 130 and one
    line saying what was settled, and leaves no process behind (workers, raylet, GCS)."""
    argv = [sys.executable, "-m", "nnclaims", "search", "zero-match", "--inputs", "3", "--hidden", "3", "--outputs",
            "3", "--points", "2", "--max-weight", "2", "--isomorphic", "--no-cover", "--backend", "ray", "--timeout", "600"]
    slow = slowness()
    code, stopped, err, left = interrupt(
        argv, lambda pids: any(_cmdline(p).startswith("ray::_solve_data_set") for p in pids), wait=900, end=900)
    lines = [ln for ln in err.splitlines() if ln.strip()]
    assert code == 130 and stopped < 15 * max(slow, slowness()), (code, stopped, err)
    assert len(lines) == 1 and lines[0].startswith("nnclaims: interrupted: search zero-match stopped:"), err
    assert "data sets settled" in lines[0]
    assert left == []


def _cmdline(pid: int) -> str:
    try:
        return Path(f"/proc/{pid}/cmdline").read_bytes().replace(b"\0", b" ").decode(errors="replace")
    except OSError:
        return ""


@pytest.mark.search
def test_cli_address_joins_a_running_cluster(ray_cluster, tmp_path):
    """``--address HOST:PORT`` joins the cluster there (this module's) instead of starting one."""
    out = tmp_path / "r.json"
    done = subprocess.run([sys.executable, "-m", "nnclaims", "search", "zero-match", "--backend", "ray", "--address",
                           ray_cluster.address, "--json", str(out)], capture_output=True, text=True, timeout=900)
    assert done.returncode == 0, done.stderr
    assert _result_json(json.loads(out.read_text())) == _result(search_zero_match())


def _result_json(d: dict) -> dict:
    return {k: v for k, v in d.items() if k != "seconds"}


# --- verify -------------------------------------------------------------------------------------------------------

CLAIMS = ["perm.orthogonal-commutes", "subspace.zero-match-exists", "hessian.layer-orthogonal-basis",
          "subspace.johnson-example-3-1", "user.relu-units-stay-alive"]
DEAD_UNITS = str(ROOT / "examples" / "dead_units.py")


def _verify_args(claim_ids) -> list[str]:
    return [*claim_ids, "--claims", DEAD_UNITS, "--networks", "8", "--device", "cpu"]


def _claims(path: Path) -> list[dict]:
    def strip(o):
        if isinstance(o, dict):
            return {k: strip(v) for k, v in o.items() if k not in ("seconds", "traceback")}
        if isinstance(o, list):
            return [strip(v) for v in o]
        return o

    return strip(json.loads(path.read_text())["claims"])


@pytest.fixture(scope="module")
def local_verified(tmp_path_factory):
    """Each claim verified by the local backend in a process of its own (``nnclaims verify ID``), in parallel: Z3
    may give another witness of a search in a process that ran other searches before (see the module docstring of
    nnclaims.backends), and a Ray worker verifies one claim in a fresh process."""
    folder = tmp_path_factory.mktemp("verify-local")
    procs = [subprocess.Popen([sys.executable, "-m", "nnclaims", "verify", *_verify_args([c]), "--json",
                               str(folder / f"{c}.json")], stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
             for c in CLAIMS]
    for p in procs:
        assert p.wait(timeout=1800) == 0, p.stderr.read()
    return [_claims(folder / f"{c}.json")[0] for c in CLAIMS]


@pytest.mark.numeric
@pytest.mark.parametrize("workers", [1, 2])
def test_verify_on_ray_equals_local_whatever_the_workers(ray_cluster, local_verified, tmp_path, capsys, workers):
    """A handful of claims — Z3 searches with witnesses replayed in float64, the split search, a refuted claim and a
    user's claim from a --claims file — on Ray: the same records and verdicts as the local backend."""
    from nnclaims.cli._common import _load_claims
    from nnclaims.cli.verify import results_payload, run_verify

    _load_claims([DEAD_UNITS])
    outcomes, config, layers = run_verify(CLAIMS, "symbolic,search,numeric", 8, "cpu", 0, progress=False,
                                          backend="ray", claim_specs=(DEAD_UNITS,), max_in_flight=workers)
    path = tmp_path / "ray.json"
    path.write_text(json.dumps(results_payload(outcomes, config, layers)))
    assert [c["id"] for c in _claims(path)] == CLAIMS
    assert _claims(path) == local_verified
    assert {c["verdict"] for c in local_verified} >= {"true", "false", "supported"}


def test_verify_cli_on_ray_loads_plugins_and_claims_files_in_the_workers(ray_cluster, tmp_path, capsys):
    """A claim from a --claims file (and the example plug-in, when installed) verified by the workers."""
    from importlib.metadata import entry_points

    from nnclaims.cli.app import main

    plugin = any(ep.name == "relu-homogeneity" for ep in entry_points(group="nnclaims.claims"))
    ids = ["user.relu-units-stay-alive"] + (["user.relu-rescaling"] if plugin else [])
    out = tmp_path / "r.json"
    code = main(["verify", *ids, "--claims", DEAD_UNITS, "--networks", "8", "--device", "cpu", "--backend", "ray",
                 "--json", str(out)])
    assert code == 0, capsys.readouterr().err
    got = {c["id"]: c["verdict"] for c in json.loads(out.read_text())["claims"]}
    assert got == {"user.relu-units-stay-alive": "supported", **({"user.relu-rescaling": "true"} if plugin else {})}


@pytest.mark.parametrize("device, gpus, expected", [("auto", 0, "cpu"), ("auto", 1, "cuda"), ("cpu", 1, "cpu"),
                                                    ("cuda", 1, "cuda"), ("cuda", 0, None)])
def test_cluster_device_follows_the_clusters_gpus(device, gpus, expected):
    """``--device`` on a cluster: auto takes its GPUs when it has some; cuda on a cluster without GPUs is one error."""
    from nnclaims.backends import Cluster, cluster_device

    where = Cluster("127.0.0.1:6379", cpus=2, gpus=gpus, started=True)
    if expected is None:
        with pytest.raises(BackendError, match="has no GPU"):
            cluster_device(device, where)
    else:
        assert cluster_device(device, where) == expected


def test_verify_and_study_cli_refuse_cuda_on_a_cluster_without_gpus(ray_cluster, tmp_path, capsys):
    """One line and exit 2, before any claim or shard runs (the local test cluster has no GPU)."""
    from nnclaims.cli.app import main

    for argv in (["verify", "perm.inverse-is-transpose", "--layers", "numeric", "--device", "cuda", "--backend", "ray"],
                 ["study", "dnfa", "--profile", "ci", "--out", str(tmp_path / "s"), "--device", "cuda",
                  "--backend", "ray"]):
        assert main(argv) == 2
        err = capsys.readouterr().err.strip().splitlines()
        # verify checks the device on this machine first (no CUDA here either), the study asks the cluster
        assert len(err) == 1 and "'cuda' asked for" in err[0] and "GPU" in err[0], err
    assert not (tmp_path / "s" / "shards").exists()


# --- addresses ----------------------------------------------------------------------------------------------------

def _serve(reply: bytes | None):
    """A local TCP server that answers every connection with ``reply`` (or says nothing)."""
    server = socket.socket()
    server.bind(("127.0.0.1", 0))
    server.listen(4)

    def run():
        while True:
            try:
                conn, _ = server.accept()
            except OSError:
                return
            if reply is not None:
                conn.recv(64)
                conn.sendall(reply)
            conn.close()

    threading.Thread(target=run, daemon=True).start()
    return server


def test_address_that_is_not_a_ray_head_is_one_error_at_once(slowness):
    """The dashboard's port (HTTP/1) instead of the head's GCS port: refused in well under a second, where Ray's own
    connection attempt waits minutes."""
    server = _serve(b"HTTP/1.1 400 Bad Request\r\n\r\n")
    try:
        address = f"127.0.0.1:{server.getsockname()[1]}"
        slow = slowness()
        t0 = time.monotonic()
        with pytest.raises(BackendError, match="answers, but not as a Ray head's GCS port"):
            with cluster(address):
                pass
        assert time.monotonic() - t0 < 5 * max(slow, slowness())
    finally:
        server.close()


def test_a_cluster_that_never_answers_is_one_line_and_exit_2():
    """Ray's own connection attempt to a port that accepts but never answers retries for minutes; the command
    gives up after CONNECT_SECONDS with one line (here a tenth of a second, in a child process)."""
    code = ("import time\nfrom nnclaims.backends import _connecting\n"
            "with _connecting(0.1, '--address h:1: no Ray cluster answered within 0.1 s'):\n"
            "    import sys; sys.stderr.write('C++ noise\\n'); sys.stderr.flush(); time.sleep(30)\n")
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=900)  # a hang guard
    assert done.returncode == 2 and done.stderr == "nnclaims: error: --address h:1: no Ray cluster answered within 0.1 s\n"
