"""MkDocs hook: lay the installed package's folders out as one tree, so mkdocstrings reads ``nnclaims.proofs``.

The repository keeps the design card's folders at the top (``proofs/``, ``numeric/``, ``reports/``) and
setuptools' ``package-dir`` maps them into the one package ``nnclaims``; griffe, which reads the source without
importing it, does not follow that mapping.  Before mkdocstrings starts, this hook builds a temporary folder whose
``nnclaims/`` holds symbolic links to the files of ``nnclaims/`` and, for each ``package-dir`` entry, to the
mapped folder under its package name, read from ``pyproject.toml`` (so a folder moved there is followed here),
and hands that folder to the python handler as its search path.  The folder is removed when the build ends.
"""

from __future__ import annotations

import shutil
import tempfile
import tomllib
from pathlib import Path

from mkdocs.plugins import event_priority

_made: list[Path] = []


def package_tree(root: Path, dest: Path) -> Path:
    """Link the package's files under ``dest`` as setuptools installs them; return ``dest``."""
    mapping = tomllib.loads((root / "pyproject.toml").read_text())["tool"]["setuptools"]["package-dir"]
    top = dest / "nnclaims"
    top.mkdir(parents=True)
    for entry in (root / mapping.get("nnclaims", "nnclaims")).iterdir():
        if entry.name != "__pycache__":
            (top / entry.name).symlink_to(entry.resolve())
    for name, folder in mapping.items():
        if name == "nnclaims":
            continue
        parts = name.split(".")[1:]
        link = top.joinpath(*parts)
        if link.is_symlink():
            link.unlink()
        link.parent.mkdir(parents=True, exist_ok=True)
        link.symlink_to((root / folder).resolve())
    return dest


@event_priority(100)  # before mkdocstrings creates its handlers
def on_config(config):
    root = Path(config.config_file_path).resolve().parent
    dest = package_tree(root, Path(tempfile.mkdtemp(prefix="nnclaims-api-")))
    _made.append(dest)
    handlers = config.plugins["mkdocstrings"].config.handlers
    handlers.setdefault("python", {})["paths"] = [str(dest)]
    return config


def on_shutdown():
    while _made:
        shutil.rmtree(_made.pop(), ignore_errors=True)
