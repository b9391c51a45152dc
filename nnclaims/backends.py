r"""Where the units of work run: locally one after another, or as tasks of a Ray cluster.

Where the units of work run: here, one after another (``local``, the default), or as tasks of a Ray cluster
(``ray``: ``pip install 'nnclaims[ray]'``).  Ray does the scheduling, the retries and the cluster; this module only
starts or joins it, hands it the units and reads the answers back.

Design note
-----------
*Units.*  Three commands cut their work into units that share nothing while they run:

* ``nnclaims study dnfa``: a **shard** = one architecture (a group of conditions that differ only in their initial
  scale) × a slice of its conditions and networks (seeds), trained as one stacked zoo on one device
  (:func:`nnclaims.numeric.dnfa_study.plan_shards`; a Ray task asks for ``num_gpus=1`` where the cluster has GPUs,
  one CPU otherwise).  By default a shard is the whole group, as the local run has always trained it;
  ``--shard-networks K`` cuts groups into slices of at most K networks (a group whose training draws random numbers
  for the whole stack — minibatches, dropout — stays whole).
* ``nnclaims search zero-match``: one **data set** of the split method (one orbit representative, one solver);
  enumerating the data sets is one more unit, so that it too can be stopped.
* ``nnclaims verify``: one **claim** (its layers and verdict), in a fresh worker process each.

*Why a result does not depend on the number of workers.*  A unit's answer is a function of its own definition
only: a shard of its conditions, network indices, seeds (every network draws its initialisation and data from its
own seed; a slice is cut out of the whole condition's draw, so network k is the same network in every layout),
device and torch threads; a data set of its points, the solver seed and the bounds; a claim of its ID, layers,
configuration and torch threads.  Each unit computes with the torch threads of the local run (the study: one on
the CPU unless ``--threads``; ``verify``: the driver's count), because a float reduction split over another
number of threads rounds otherwise (the study's float32 training does, with 2 threads against 1).  No unit reads what another computed, and the driver assembles the answers in the plan's order,
never in the order they arrive: shards by index and networks by seed, data sets in enumeration order (the first
``sat`` in that order is the answer, as with ``--jobs``), claims in the order asked.  So how many workers there
are, where a unit runs and when it finishes change no number.  The shard layout is part of the study's
definition (``--shard-networks`` is recorded with it); on the CPU any layout gives the same numbers (the tests
check it), on a GPU the batched kernels may depend on the stack size, so keep the layout to compare runs.
One thing is outside this guarantee: Z3 may return a *different witness* of the same search in a process that has
already built other terms (its internal order depends on the process's memory), so ``verify`` runs each claim in
a fresh worker process; statuses, verdicts and re-checks never depend on it.

*Faults and resume.*  A worker that dies mid-task (killed, out of memory) is retried by Ray (:data:`RETRIES`
times), and a retried unit computes the same answer.  The study writes each shard, as it arrives, atomically
under its own name in ``--out`` (:mod:`nnclaims.reports.study_folder`); a rerun with the same ``--out`` and
settings reads the shards that are there and computes only the others, with either backend — nothing written is
lost and nothing is counted twice, because the assembly reads exactly one answer per shard of the plan.

*Time limits and Ctrl-C.*  The driver only waits: every unit that could take long runs in a worker.  At a search's
time limit (plus :data:`nnclaims.proofs.bounded.GRACE`) or on Ctrl-C the driver cancels the outstanding tasks with
``force=True``, which kills their worker processes, so the limit still bounds the whole command and Ctrl-C stops the
work.  (A unit's own deadline is wall-clock time: the nodes' clocks are assumed to agree.)
"""

from __future__ import annotations

import contextlib
import ipaddress
import logging
import os
import re
import socket
import sys
import threading
import time
from dataclasses import dataclass
from typing import Any, Callable, Iterable, Iterator

import click

from nnclaims.inputs import InputError

__all__ = ["BACKENDS", "RETRIES", "CONNECT_SECONDS", "BackendError", "UnitFailed", "Cluster", "check_backend",
           "check_address", "cluster", "cluster_device", "stream", "ordered", "run_units", "RayRunner", "backend_options", "ray_available"]

BACKENDS = ("local", "ray")
RETRIES = 3
"""Times Ray reruns a unit whose worker process died (its ``max_retries``)."""
CONNECT_SECONDS = 30.0
"""How long joining a cluster may take before the command gives up with one line."""
INSTALL = "pip install 'nnclaims[ray]'"
_ADDRESS = re.compile(r"^(?P<host>\[[0-9A-Fa-f:.]+\]|[A-Za-z0-9](?:[A-Za-z0-9.-]{0,252}[A-Za-z0-9])?):(?P<port>[0-9]{1,5})$")


class BackendError(InputError):
    """A backend that cannot be used as asked (bad ``--backend``/``--address``, Ray missing, no cluster there)."""


class UnitFailed(RuntimeError):
    """A unit whose worker died on every try (Ray's retries exhausted)."""


def ray_available() -> bool:
    """Whether Ray is installed (the ``ray`` extra)."""
    import importlib.util

    return importlib.util.find_spec("ray") is not None


def _ray():
    try:
        import ray
    except ImportError:
        raise BackendError(f"--backend ray needs Ray, which is not installed: {INSTALL}") from None
    return ray


def check_address(address: str) -> str:
    """``auto`` or ``HOST:PORT`` of a Ray cluster's head (its GCS port, 6379 unless changed); anything else is a
    :class:`BackendError` (one line).

    >>> check_address("10.0.0.1:6379"), check_address("head.example:6379"), check_address("auto")
    ('10.0.0.1:6379', 'head.example:6379', 'auto')
    >>> check_address("ray://head:10001")
    Traceback (most recent call last):
    ...
    nnclaims.backends.BackendError: --address 'ray://head:10001': Ray Client (ray://) is not supported; run nnclaims on a node of the cluster and give the head's HOST:PORT (e.g. 10.0.0.1:6379) or auto
    """
    shown = repr(address[:60])
    if address == "auto":
        return address
    if address.startswith("ray://"):
        raise BackendError(f"--address {shown}: Ray Client (ray://) is not supported; run nnclaims on a node of the "
                           "cluster and give the head's HOST:PORT (e.g. 10.0.0.1:6379) or auto")
    m = _ADDRESS.match(address)
    if not m or not 1 <= int(m["port"]) <= 65535:
        raise BackendError(f"--address {shown}: give HOST:PORT of a Ray cluster's head (e.g. 10.0.0.1:6379, "
                           "port 1-65535) or auto")
    host = m["host"].strip("[]")
    if ":" in host:
        try:
            ipaddress.ip_address(host)
        except ValueError:
            raise BackendError(f"--address {shown}: {host!r} is not an IP address") from None
    return address


def check_backend(backend: str, address: str | None) -> None:
    """The ``--backend``/``--address`` pair before any work: a known backend, ``--address`` only with ``ray``
    and well formed, Ray installed when asked for.  Raises :class:`BackendError` (one line)."""
    if backend not in BACKENDS:
        raise BackendError(f"unknown backend {backend!r}: choose {' or '.join(BACKENDS)}")
    if address is not None:
        if backend != "ray":
            raise BackendError("--address joins a Ray cluster: it needs --backend ray")
        check_address(address)
    if backend == "ray" and not ray_available():
        raise BackendError(f"--backend ray needs Ray, which is not installed: {INSTALL}")


def _probe(address: str, timeout: float = 5.0) -> None:
    """A fast check that something at ``HOST:PORT`` speaks gRPC (HTTP/2), as a Ray head's GCS does: Ray's own
    connection attempt waits minutes on a wrong address.  Sends the HTTP/2 client preface and expects a frame
    back (an HTTP/1 server, such as the dashboard on 8265, answers with text)."""
    if address == "auto":
        return
    host, port = address.rsplit(":", 1)
    host = host.strip("[]")
    try:
        with socket.create_connection((host, int(port)), timeout=timeout) as s:
            s.settimeout(timeout)
            s.sendall(b"PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n" + bytes([0, 0, 0, 4, 0, 0, 0, 0, 0]))  # preface + SETTINGS
            head = b""
            while len(head) < 9:
                more = s.recv(9 - len(head))
                if not more:
                    break
                head += more
    except socket.gaierror as e:
        raise BackendError(f"--address {address}: unknown host ({e.strerror or e})") from None
    except socket.timeout:
        raise BackendError(f"--address {address}: no answer within {timeout:g} s (not a Ray head's GCS port? "
                           "`ray start --head` prints the address to use)") from None
    except OSError as e:
        raise BackendError(f"--address {address}: cannot connect ({e.strerror or e}); is a Ray cluster running "
                           "there? (`ray start --head` prints the address to use)") from None
    if len(head) < 9 or head[3] != 4:  # the server's first frame is SETTINGS (type 4)
        raise BackendError(f"--address {address}: answers, but not as a Ray head's GCS port (gRPC); "
                           "`ray start --head` prints the address to use (port 6379 unless changed)")


@contextlib.contextmanager
def _connecting(seconds: float, message: str):
    """Around Ray's start or connection: its C++ core writes warnings straight to file descriptor 2 while it
    connects, so hold them back (Ray's own log files keep them) and a failure stays one line; and if the block has
    not finished within ``seconds`` (Ray retries a port that accepts but never answers for minutes, in C++, with
    no way to stop it) write ``message`` as one line and exit with status 2."""
    try:
        sys.stderr.flush()
        saved = os.dup(2)
    except (OSError, ValueError):
        saved = None
    done = threading.Event()

    def watch():
        if not done.wait(seconds):
            os.write(saved if saved is not None else 2, f"nnclaims: error: {message}\n".encode())
            os._exit(2)

    threading.Thread(target=watch, daemon=True).start()
    try:
        if saved is not None:
            with open(os.devnull, "w") as null:
                os.dup2(null.fileno(), 2)
        yield
    finally:
        done.set()
        if saved is not None:
            os.dup2(saved, 2)
            os.close(saved)


@dataclass(frozen=True)
class Cluster:
    """The Ray cluster a command runs on."""

    address: str
    cpus: int
    gpus: int
    started: bool  # True: a local cluster this command started (and stops); False: one it joined


@contextlib.contextmanager
def cluster(address: str | None = None, *, num_cpus: int | None = None) -> Iterator[Cluster]:
    """Join the Ray cluster at ``address`` (``HOST:PORT`` or ``auto``), or start a local one (``num_cpus``: its
    CPUs, default all) without a dashboard and with worker logs kept out of the terminal; disconnect (and stop the
    local cluster) at the end.  A Ray session already open in this process is used as it is (the tests start one
    per session).  Raises :class:`BackendError` (one line) when Ray is missing or no cluster answers."""
    if address is not None:
        check_address(address)
    ray = _ray()
    if address is not None:
        _probe(address)
    if ray.is_initialized():
        yield _describe(ray, started=False)
        return
    os.environ.setdefault("RAY_USAGE_STATS_ENABLED", "0")  # no usage-stats prompt or upload
    kw = dict(include_dashboard=False, log_to_driver=False, logging_level=logging.ERROR)
    where = f"--address {address}" if address else "a local Ray cluster"
    try:
        with _connecting(CONNECT_SECONDS, f"{where}: no Ray cluster answered within {CONNECT_SECONDS:g} s"):
            if address is None:
                ray.init(address="local", num_cpus=num_cpus, **kw)  # a new one, never one found on the machine
            else:
                ray.init(address=address, **kw)
    except (ConnectionError, RuntimeError, ValueError, OSError) as e:
        first = str(e).strip().splitlines()[0] if str(e).strip() else type(e).__name__
        raise BackendError(f"{where}: Ray could not {'join' if address else 'start'} it ({first[:200]})") from None
    try:
        yield _describe(ray, started=address is None)
    finally:
        ray.shutdown()


def cluster_device(device: str, cluster: Cluster) -> str:
    """The device of a cluster's tasks for ``--device`` (auto | cpu | cuda): ``cuda`` when asked for, or for
    ``auto`` when the cluster has GPUs; ``cpu`` otherwise.  ``cuda`` on a cluster without GPUs is a
    :class:`BackendError` (one line)."""
    if device == "cuda" and not cluster.gpus:
        raise BackendError("device 'cuda' asked for, but the Ray cluster has no GPU (use --device cpu or auto)")
    return "cuda" if device == "cuda" or (device == "auto" and cluster.gpus) else "cpu"


def _describe(ray, started: bool) -> Cluster:
    res = ray.cluster_resources()
    return Cluster(ray.get_runtime_context().gcs_address, int(res.get("CPU", 0)), int(res.get("GPU", 0)), started)


_REMOTES: dict = {}


def _remote(fn: Callable, options: dict):
    key = (fn, tuple(sorted(options.items())))
    if key not in _REMOTES:
        _REMOTES[key] = _ray().remote(**options)(fn)
    return _REMOTES[key]


def _unwrap(ray, ref, index: int, retries: int = RETRIES):
    """The unit's answer; its own exception re-raised as itself; a worker that died on every try as
    :class:`UnitFailed`."""
    try:
        return ray.get(ref)
    except ray.exceptions.RayTaskError as e:
        cause = getattr(e, "cause", None)
        if isinstance(cause, BaseException):
            raise cause from None
        raise UnitFailed(f"unit {index} failed: {str(e).strip().splitlines()[0][:200]}") from None
    except (ray.exceptions.WorkerCrashedError, ray.exceptions.NodeDiedError, ray.exceptions.OutOfMemoryError) as e:
        raise UnitFailed(f"unit {index}: its worker died on each of {retries + 1} tries "
                         f"({type(e).__name__}; out of memory?)") from None


def stream(fn: Callable, units: Iterable[tuple], *, num_cpus: float = 1, num_gpus: float = 0,
           max_in_flight: int | None = None, until: float | None = None, fresh_process: bool = False,
           retries: int = RETRIES) -> Iterator[tuple[int, Any]]:
    """Run ``fn(*unit)`` for every unit as a Ray task and yield ``(index, answer)`` as each finishes (any order).

    ``max_in_flight`` caps the tasks submitted at once (default: all); ``until`` (a ``time.time()`` value) is the
    moment to stop waiting (:class:`TimeoutError`); ``fresh_process`` runs each unit in a new worker process
    (``max_calls=1``).  When the caller stops reading, on an error, at ``until`` or on Ctrl-C, every task still
    outstanding is cancelled with ``force=True`` (its worker process is killed).  Needs an open :func:`cluster`.
    """
    ray = _ray()
    options = {"num_cpus": num_cpus, "num_gpus": num_gpus, "max_retries": retries}
    if fresh_process:
        options["max_calls"] = 1
    task = _remote(fn, options)
    todo = iter(enumerate(units))
    pending: dict = {}
    cap = max_in_flight if max_in_flight and max_in_flight > 0 else None

    def fill():
        while cap is None or len(pending) < cap:
            nxt = next(todo, None)
            if nxt is None:
                return
            pending[task.remote(*nxt[1])] = nxt[0]

    try:
        fill()
        while pending:
            wait = 0.1 if until is None else max(0.0, min(0.1, until - time.time()))
            ready, _ = ray.wait(list(pending), num_returns=1, timeout=wait)
            if not ready:
                if until is not None and time.time() >= until:
                    raise TimeoutError("time limit reached")
                continue
            for ref in ready:
                index = pending.pop(ref)
                answer = _unwrap(ray, ref, index, retries)
                fill()
                yield index, answer
    finally:
        for ref in pending:
            with contextlib.suppress(Exception):
                ray.cancel(ref, force=True)


def ordered(fn: Callable, units: Iterable[tuple], *, on_result: Callable[[int, Any], None] | None = None,
            **options) -> Iterator[Any]:
    """:func:`stream`, but the answers come out in the units' order (each as soon as all before it are in);
    ``on_result(index, answer)`` sees every answer as it arrives."""
    buffered: dict = {}
    nxt = 0
    with contextlib.closing(stream(fn, units, **options)) as answers:
        for index, answer in answers:
            if on_result is not None:
                on_result(index, answer)
            buffered[index] = answer
            while nxt in buffered:
                yield buffered.pop(nxt)
                nxt += 1


def run_units(fn: Callable, units: list[tuple], backend: str, **options) -> Iterator[tuple[int, Any]]:
    """``(index, fn(*unit))`` for every unit: here one after another in order (``local``), or :func:`stream`
    on the open Ray cluster (``ray``, as they finish)."""
    if backend == "local":
        return ((i, fn(*u)) for i, u in enumerate(units))
    return stream(fn, units, **options)


@dataclass
class RayRunner:
    """What a search needs from a Ray cluster (:func:`nnclaims.proofs.search_subspace.search_zero_match`'s
    ``runner``): one call, and many units read back in order.  ``max_in_flight``: data sets solved at once
    (default: twice the cluster's CPUs, so that a ``found`` stops the search without a backlog)."""

    max_in_flight: int | None = None

    def _cap(self) -> int:
        if self.max_in_flight:
            return self.max_in_flight
        cpus = int(_ray().cluster_resources().get("CPU", 1))
        return max(2, 2 * cpus)

    def call(self, fn: Callable, *args, until: float | None = None):
        with contextlib.closing(stream(fn, [args], until=until)) as answers:
            for _, answer in answers:
                return answer

    def ordered(self, fn: Callable, units: Iterable[tuple], *, until: float | None = None,
                on_result: Callable[[int, Any], None] | None = None) -> Iterator[Any]:
        return ordered(fn, units, until=until, on_result=on_result, max_in_flight=self._cap())


def backend_options(fn: Callable) -> Callable:
    """The ``--backend`` and ``--address`` options (study, search, verify)."""
    fn = click.option("--address", default=None, metavar="HOST:PORT",
                      help="with --backend ray: join the Ray cluster whose head is there (or 'auto': the one "
                           "started on this machine with `ray start --head`); without it Ray starts a local "
                           "cluster for the command")(fn)
    return click.option("--backend", type=click.Choice(BACKENDS), default="local", show_default=True,
                        help=f"where the units of work run: here, as always (local), or as tasks of a Ray cluster "
                             f"(ray; {INSTALL})")(fn)
