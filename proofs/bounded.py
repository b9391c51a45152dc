r"""Searches run in a child process under a deadline that bounds everything they do.

Run a search in a child process under a wall-clock deadline, so that the time limit bounds *everything* the
search does (enumerating data sets, building the encoding, solving, re-checking) and Ctrl-C stops it at once.

The child runs in its own process group and ignores SIGINT; its worker processes (``--jobs``) inherit both.
The parent waits on a pipe: at the deadline (plus :data:`GRACE` seconds for the child to hand back its own
``unknown``), or on Ctrl-C, it kills the whole group, so no worker outlives the command.  What the child had
settled (``progress(settled, total)`` messages, sent by searches that take a ``progress`` argument) is reported
in the ``unknown`` result or in :class:`Interrupted`.

On a Ray cluster (:func:`run_on_cluster`) the same guarantees hold another way: this process only waits, every
unit of the search (enumerating the data sets, each data set) runs in a worker, and at the deadline plus
:data:`GRACE` or on Ctrl-C the outstanding tasks are cancelled with their worker processes
(:func:`nnclaims.backends.stream`).

>>> from nnclaims.proofs.searches import search_orthogonal_relu
>>> run_bounded(search_orthogonal_relu, {"denominator": 2}, timeout=30).status
'none'
"""

from __future__ import annotations

import inspect
import multiprocessing
import os
import signal
import time
from typing import Any, Callable

from .record import SearchResult

__all__ = ["run_bounded", "run_on_cluster", "Interrupted", "SearchDied", "GRACE"]

GRACE = 0.5
"""Seconds past the time limit that the parent waits for the child's own answer before killing it."""


class Interrupted(Exception):
    """Ctrl-C during a search; ``str()`` says what was settled before it."""


class SearchDied(RuntimeError):
    """The search process ended without an answer (killed, out of memory, a crash in the solver)."""


def _settled(progress: tuple[int, int] | None) -> str:
    if progress is None:
        return "nothing settled yet (the search was still being set up)"
    done, total = progress
    return f"{done} of {total} data sets settled (UNSAT: no witness in them), the rest not"


def _child(conn, fn: Callable, kwargs: dict, report_progress: bool) -> None:
    signal.signal(signal.SIGINT, signal.SIG_IGN)  # the parent handles Ctrl-C and kills the group
    if hasattr(signal, "pthread_sigmask"):
        signal.pthread_sigmask(signal.SIG_UNBLOCK, {signal.SIGINT})  # blocked by the parent around the fork
    if hasattr(os, "setpgrp"):
        os.setpgrp()
    if report_progress:
        kwargs = dict(kwargs, progress=lambda done, total: conn.send(("progress", done, total)))
    try:
        conn.send(("result", fn(**kwargs)))
    except ValueError as e:  # impossible sizes, limits, malformed networks: the user's input
        conn.send(("invalid", str(e)))
    except Exception as e:  # anything else is reported by the parent as one line
        conn.send(("crashed", f"{type(e).__name__}: {e}"))
    finally:
        conn.close()


def _kill(p) -> None:
    if p.pid is None:
        return
    try:
        os.killpg(p.pid, signal.SIGKILL)  # the child and its workers (same group)
    except (ProcessLookupError, PermissionError, AttributeError):
        pass
    if p.is_alive():
        p.kill()
    p.join(5)


def _start(child) -> None:
    """Start the child with SIGINT blocked, so that a Ctrl-C during the fork reaches only the parent."""
    mask = hasattr(signal, "pthread_sigmask")
    if mask:
        signal.pthread_sigmask(signal.SIG_BLOCK, {signal.SIGINT})
    try:
        child.start()
    finally:
        if mask:
            signal.pthread_sigmask(signal.SIG_UNBLOCK, {signal.SIGINT})


def run_bounded(fn: Callable[..., SearchResult], kwargs: dict[str, Any], *, timeout: float,
                on_progress: Callable[[int, int], None] | None = None, name: str | None = None) -> SearchResult:
    """``fn(timeout=timeout, **kwargs)`` in a child process, answered within ``timeout`` + :data:`GRACE` seconds.

    Returns the search's own result, or ``unknown`` (with what was settled) when the deadline passed first.
    Raises :class:`ValueError` with the search's message for invalid input, :class:`Interrupted` on Ctrl-C and
    :class:`SearchDied` when the child ended without an answer.
    """
    report_progress = "progress" in inspect.signature(fn).parameters
    methods = multiprocessing.get_all_start_methods()
    ctx = multiprocessing.get_context("fork" if "fork" in methods else "spawn")
    receive, send = ctx.Pipe(duplex=False)
    # not a daemon: a daemonic process may not start the workers of --jobs
    child = ctx.Process(target=_child, args=(send, fn, dict(kwargs, timeout=timeout), report_progress))
    t0 = time.monotonic()
    end = t0 + timeout + GRACE
    progress = None
    try:
        _start(child)
        send.close()
        while True:
            left = end - time.monotonic()
            if left <= 0:
                break
            if not receive.poll(min(left, 0.1)):
                continue
            try:
                kind, *msg = receive.recv()
            except EOFError:  # the child ended without a word
                child.join(1)
                code = child.exitcode
                why = f"killed by signal {-code}" if code is not None and code < 0 else f"exit status {code}"
                raise SearchDied(f"the search process ended without an answer ({why}; out of memory?)") from None
            if kind == "progress":
                progress = tuple(msg)
                if on_progress is not None:
                    on_progress(*progress)
            elif kind == "result":
                return msg[0]
            elif kind == "invalid":
                raise ValueError(msg[0])
            else:
                raise SearchDied(f"the search failed: {msg[0]}")
    except KeyboardInterrupt:
        _kill(child)
        raise Interrupted(_settled(progress)) from None
    finally:
        _kill(child)
        receive.close()
    bounds = {k: (list(v) if isinstance(v, tuple) else v) for k, v in kwargs.items()}
    return SearchResult(name or getattr(fn, "__name__", "search"), "unknown", bounds,
                        seconds=round(time.monotonic() - t0, 4),
                        note=f"time limit of {timeout:g} s reached: {_settled(progress)}")


def run_on_cluster(fn: Callable[..., SearchResult], kwargs: dict[str, Any], *, timeout: float, runner,
                   on_progress: Callable[[int, int], None] | None = None) -> SearchResult:
    """``fn(timeout=timeout, runner=runner, **kwargs)`` with its units on a Ray cluster (``runner``: a
    :class:`nnclaims.backends.RayRunner`, for searches that take one), under the same contract as
    :func:`run_bounded`: the search's own result (``unknown`` with what was settled once the limit passed, the
    runner stopping :data:`GRACE` seconds after it); :class:`ValueError` for invalid input; :class:`Interrupted`
    on Ctrl-C, its tasks cancelled; :class:`SearchDied` when a unit's worker died on every retry."""
    from nnclaims.backends import UnitFailed

    progress = None

    def seen(done: int, total: int) -> None:
        nonlocal progress
        progress = (done, total)
        if on_progress is not None:
            on_progress(done, total)

    try:
        return fn(timeout=timeout, runner=runner, progress=seen, **kwargs)
    except KeyboardInterrupt:
        raise Interrupted(_settled(progress)) from None
    except UnitFailed as e:
        raise SearchDied(f"the search failed: {e}") from None
