"""Shared fixtures: a session cache of verified claims; the processes of a session (Linux /proc)."""

from __future__ import annotations

import os
import signal
import subprocess
import time

import pytest

pytest_plugins = ["pytester"]

# A shell starts a background job (`cmd &`) with SIGINT ignored, and Python then keeps it ignored: the Ctrl-C tests
# (a SIGINT to this process or to a child, which inherits the ignored disposition through exec) would wait forever.
# The tests need Ctrl-C to mean KeyboardInterrupt however the suite was started; a child started from here then gets
# the default disposition back at exec.
if signal.getsignal(signal.SIGINT) is signal.SIG_IGN:
    signal.signal(signal.SIGINT, signal.default_int_handler)

# CPU-sized numeric setting for the per-claim tests
NETWORKS = 4


@pytest.fixture(scope="session")
def outcomes():
    """Verify each claim at most once per session (all layers, CPU, small zoo)."""
    from nnclaims.verdict import NumericConfig, verify

    cache = {}
    config = NumericConfig(networks=NETWORKS, device="cpu", seed=0)

    def get(claim):
        if claim.id not in cache:
            cache[claim.id] = verify(claim, config=config)
        return cache[claim.id]

    return get


@pytest.fixture(scope="session", autouse=True)
def _plugins_loaded():
    """Load the entry-point plug-ins once, before any test, so that the registry every test starts from holds them."""
    from nnclaims.proofs.catalogue import load_plugins

    load_plugins()


@pytest.fixture(autouse=True)
def _registry_restored(_plugins_loaded):
    """Each test starts from the same registry of claims and sound rewrites: what a test registers in this process
    (a ``--claims`` file run in-process, an imported example) is removed after it, with the module that registered
    it, so that a later test's family of decisions (its Bonferroni level) does not depend on the order tests run in.

    One exception: a sound rewrite registered by a module the test imported for the first time and that stays
    loaded (any new module but a ``--claims`` file's ``nnclaims_user_*``) is kept, since that module is not imported
    again and so would not register it again (a later doctest of :mod:`nnclaims.proofs.dnfa` that uses its
    rewrites would then read "not proved")."""
    import sys

    from nnclaims.proofs import catalogue, record

    claims, rewrites, modules = dict(catalogue._REGISTRY), dict(record.SOUND_REWRITES), set(sys.modules)
    yield
    catalogue._REGISTRY.clear()
    catalogue._REGISTRY.update(claims)
    staying = {name for name in set(sys.modules) - modules if not name.startswith("nnclaims_user_")}
    kept = {fn: why for fn, why in record.SOUND_REWRITES.items()
            if fn not in rewrites and getattr(getattr(fn, "func", fn), "__module__", None) in staying}
    record.SOUND_REWRITES.clear()
    record.SOUND_REWRITES.update(rewrites)
    record.SOUND_REWRITES.update(kept)
    for name in set(sys.modules) - modules:
        if name.startswith("nnclaims_user_"):
            del sys.modules[name]


def machine_slowness(seconds: float = 0.3) -> float:
    """How many times slower than on an idle machine this process runs now (at least 1): the wall-clock time of a
    CPU-bound loop over the CPU time it got.  On a machine shared with other work a process gets a fraction of a
    core, so its wall-clock times grow by this factor; a test whose point is a time limit scales its allowance by it
    (no reference machine or constant is needed: an idle machine gives 1).

    >>> machine_slowness(0.05) >= 1
    True
    """
    w0, c0 = time.perf_counter(), time.process_time()
    while time.process_time() - c0 < seconds and time.perf_counter() - w0 < 60 * seconds:
        sum(i * i for i in range(2000))
    cpu = max(time.process_time() - c0, 1e-6)
    return max(1.0, (time.perf_counter() - w0) / cpu)


@pytest.fixture
def slowness():
    """``slowness()``: :func:`machine_slowness` now; call it before and after the timed action and take the larger."""
    return machine_slowness


def _session_processes(sid: int) -> list[int]:
    """Live (not zombie) processes in session ``sid``, read from Linux /proc."""
    pids = []
    for entry in os.listdir("/proc"):
        if entry.isdigit():
            try:
                with open(f"/proc/{entry}/stat") as f:
                    fields = f.read().rsplit(")", 1)[1].split()
            except OSError:
                continue
            if int(fields[3]) == sid and fields[0] != "Z":
                pids.append(int(entry))
    return pids


def _interrupt(argv: list[str], ready, *, wait: float, end: float) -> tuple[int, float, str, list[int]]:
    """Start ``argv`` in a session of its own (SIGINT as a terminal leaves it: a test run started in the background
    inherits it ignored), wait up to ``wait`` s for ``ready(pids of the session)``, then one more second, send
    SIGINT and wait up to ``end`` s.  Returns the exit status, the seconds it took to stop, its stderr and the
    processes of its session still alive (up to 10 s later); a command still running at the end is killed with
    its session."""
    proc = subprocess.Popen(argv, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, start_new_session=True,
                            preexec_fn=lambda: signal.signal(signal.SIGINT, signal.SIG_DFL))
    try:
        deadline = time.monotonic() + wait
        while not ready(_session_processes(proc.pid)) and time.monotonic() < deadline:
            time.sleep(0.2)
        assert ready(_session_processes(proc.pid)), "the command never got to the point of being interrupted"
        time.sleep(1)
        t0 = time.monotonic()
        proc.send_signal(signal.SIGINT)
        _, err = proc.communicate(timeout=end)
        stopped = time.monotonic() - t0
    finally:
        if proc.poll() is None:
            os.killpg(proc.pid, signal.SIGKILL)
    deadline = time.monotonic() + 10
    while _session_processes(proc.pid) and time.monotonic() < deadline:
        time.sleep(0.2)
    return proc.returncode, stopped, err, _session_processes(proc.pid)


@pytest.fixture
def interrupt():
    """``interrupt(argv, ready, wait=, end=)``: run a command, Ctrl-C it once ``ready``; returns its exit status,
    the seconds it took to stop, its stderr and the processes of its session still alive 10 s later."""
    return _interrupt
