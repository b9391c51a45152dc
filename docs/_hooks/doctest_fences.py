"""Griffe extension for the API reference: doctest examples in docstrings shown as code.

The package's docstrings carry doctests (``>>> ...`` lines and their output) outside any section header; as
plain Markdown their output (``[['1', '0']]``) would read as links.  This wraps each run of doctest lines, up to
the next blank line, in a ``pycon`` fence before mkdocstrings renders the docstring.  The source is not changed.
"""

from __future__ import annotations

import griffe


def fence_doctests(text: str) -> str:
    """Wrap every doctest run (from a ``>>>`` line to the next blank line) in a fenced ``pycon`` block
    (tested in ``tests/test_docs.py``)."""
    out: list[str] = []
    inside = False
    indent = ""
    for line in text.split("\n"):
        if not inside and line.lstrip().startswith(">>>"):
            indent = line[: len(line) - len(line.lstrip())]
            out.append(f"{indent}```pycon")
            inside = True
        elif inside and not line.strip():
            out.append(f"{indent}```")
            inside = False
        out.append(line)
    if inside:
        out.append(f"{indent}```")
    return "\n".join(out)


class DoctestFences(griffe.Extension):
    """Fence the doctests of every object's docstring as it is loaded."""

    def on_instance(self, *, obj: griffe.Object, **kwargs) -> None:
        if obj.docstring is not None:
            obj.docstring.value = fence_doctests(obj.docstring.value)
