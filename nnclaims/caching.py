"""Caches that hold immutable results only: every call returns a fresh deep copy of the cached value.

A cached trained zoo is shared by many checks; if a check changed a tensor in place, every later check would
see the change.  :func:`cached` makes that impossible (the cache itself is never handed out), and
:func:`clear_all` empties every such cache — mutation tests call it so that a mutant is never answered from a
cache filled by the original code.

>>> calls = []
>>> @cached
... def table(n):
...     calls.append(n)
...     return {"rows": list(range(n))}
>>> t = table(3); t["rows"].append(99)
>>> table(3), len(calls)
({'rows': [0, 1, 2]}, 1)
>>> clear_all(); _ = table(3); len(calls)
2
"""

from __future__ import annotations

import copy
import functools
from typing import Callable

__all__ = ["cached", "clear_all"]

_CACHES: list = []


def cached(fn: Callable | None = None, *, maxsize: int | None = 16):
    """``functools.lru_cache`` whose every call returns a deep copy of the cached result."""
    def wrap(f):
        inner = functools.lru_cache(maxsize=maxsize)(f)

        @functools.wraps(f)
        def outer(*args, **kwargs):
            return copy.deepcopy(inner(*args, **kwargs))

        outer.cache_clear = inner.cache_clear
        outer.cache_info = inner.cache_info
        _CACHES.append(inner)
        return outer

    return wrap(fn) if fn is not None else wrap


def clear_all() -> None:
    """Empty every cache made with :func:`cached`."""
    for c in _CACHES:
        c.cache_clear()
