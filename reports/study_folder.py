r"""A study's output folder: its shards, its files and the marker that makes the folder ours.

A study's folder (``nnclaims study dnfa --out DIR``): its shards as they are computed, the study's files at the
end, and the marker that makes the folder ours.  Writing never touches what the tool did not write.

Layout::

    DIR/.nnclaims-study          the marker (JSON): the run's settings and the files of ours in DIR
    DIR/shards/shard-0000.json   one file per shard of the plan, each written atomically as the shard arrives
    DIR/study.json, study.md, phase_diagram.{png,json}, metric_vs_init_scale.{png,json}

Rules (the same as a report folder's, :mod:`nnclaims.reports.render`): ``--out`` must be a new or empty folder,
or one that holds a study of ours (the marker, or a study written before the marker existed, recognised by its
exact file names and ``study.json``); an existing file, a non-empty folder of someone else's and a folder of ours
whose study names are taken by other files are refused before any work (:func:`check_study_target`).  The marker
is written first, so a run killed at any moment leaves a folder that is still ours; every file is written to a
fresh hidden temporary file beside it (``tempfile.mkstemp``: never a name that exists) and renamed into place.
Only our own names are ever replaced: the study's files listed in the marker, and ``shards/shard-NNNN.json`` in
the ``shards`` folder we made.

*Resume.*  The marker records the settings that decide a shard's numbers (profile, seed, networks per condition,
device, torch threads, shard layout).  A rerun with the same ``--out`` and settings reads every shard file whose
contents name the shard the plan expects and computes only the others; a rerun with other settings is refused
(its shards would be mixed with these).  The backend is not a setting: a study begun here can be finished on Ray.
"""

from __future__ import annotations

import json
import os
import re
from pathlib import Path

from nnclaims.inputs import InputError, folder_entries

from .render import atomic_write

__all__ = ["MARKER", "SHARDS", "STUDY_FILES", "StudyFolderError", "StudyFolder", "check_study_target"]

MARKER = ".nnclaims-study"
"""The file that marks a folder as a study written by nnclaims."""
SHARDS = "shards"
STUDY_FILES = ("study.json", "study.md", "phase_diagram.png", "phase_diagram.json", "metric_vs_init_scale.png",
               "metric_vs_init_scale.json")
_SHARD_NAME = re.compile(r"^shard-[0-9]{4,}\.json$")
_LEFTOVER = re.compile(r"^\.(shard-[0-9]{4,}\.json|study\.json|study\.md|phase_diagram\.(png|json)|"
                       r"metric_vs_init_scale\.(png|json)|\.nnclaims-study)\.[A-Za-z0-9_]{8}\.tmp$")


class StudyFolderError(InputError):
    """A study folder that must not or cannot be written (one line, exit status 2)."""


def _marker(folder: Path) -> dict | None:
    try:
        data = json.loads((folder / MARKER).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    if not isinstance(data, dict) or data.get("nnclaims_study") != 1 or not isinstance(data.get("files"), list):
        return None
    return data


def _legacy(folder: Path) -> set | None:
    """A study written before the marker existed: exactly the study's files, ``study.json`` a DNFA study."""
    try:
        names = {p.name for p in folder.iterdir()}
        head = (folder / "study.json").read_text(encoding="utf-8", errors="replace")[:200]
    except OSError:
        return None
    if "study.json" not in names or not names <= set(STUDY_FILES) or not re.match(r'^\{\s*"study": "dnfa"', head):
        return None
    return names


def _own(folder: Path) -> tuple[set, dict | None] | None:
    """Our files in ``folder`` and the recorded settings, or ``None`` when it holds no study of ours."""
    data = _marker(folder)
    if data is not None:
        files = {f for f in data["files"] if isinstance(f, str) and (f in STUDY_FILES or f == SHARDS)}
        settings = data.get("settings") if isinstance(data.get("settings"), dict) else None
        return files, settings
    if (folder / MARKER).exists():
        return None  # a marker we cannot read is not a folder we may write into
    legacy = _legacy(folder)
    return (legacy, None) if legacy is not None else None


def _nearest_existing(path: Path) -> Path:
    path = Path(os.path.abspath(path))
    while not os.path.lexists(path) and path != path.parent:
        path = path.parent
    return path


def _describe(settings: dict) -> str:
    return ", ".join(f"{k} {v}" for k, v in settings.items())


def check_study_target(out_dir, settings: dict | None = None, option: str = "--out") -> None:
    """Refuse, before any work, a study folder that is an existing file, a non-empty folder that holds no study of
    ours, a study of ours run with other ``settings`` (when given), a folder whose study names are taken by files
    that are not ours, or a place that cannot be written.  Raises :class:`StudyFolderError` (one line)."""
    out = Path(out_dir)
    where = f"{option} {out}"
    entries = folder_entries(out, where, StudyFolderError, "study")
    if entries is not None:
        if entries:
            own = _own(out)
            if own is None:
                raise StudyFolderError(f"{where}: the folder is not empty and holds no nnclaims study (no {MARKER} "
                                       "file); choose a new or empty folder")
            files, recorded = own
            if settings is not None and recorded is not None and recorded != settings:
                raise StudyFolderError(f"{where}: holds a study run with other settings ({_describe(recorded)}); "
                                       "its shards cannot be mixed with this run's; choose another folder")
            for name in STUDY_FILES + (SHARDS,):
                if os.path.lexists(out / name) and name not in files:
                    raise StudyFolderError(f"{where}: holds a '{name}' that is not from the study there; "
                                           "it would be replaced, so nothing was written")
            if os.path.lexists(out / SHARDS) and not (out / SHARDS).is_dir():
                raise StudyFolderError(f"{where}: its '{SHARDS}' is not a folder")
        if not os.access(out, os.W_OK | os.X_OK):
            raise StudyFolderError(f"{where}: the folder is not writable")
        return
    base = _nearest_existing(out)
    if not base.is_dir():
        raise StudyFolderError(f"{where}: cannot make the folder: {base} is a file")
    if not os.access(base, os.W_OK | os.X_OK):
        raise StudyFolderError(f"{where}: cannot make the folder: {base} is not writable")


class StudyFolder:
    """One study's folder, opened for a run with ``settings`` (checked by :func:`check_study_target` first)."""

    def __init__(self, out_dir, settings: dict):
        self.out = Path(out_dir)
        self.settings = dict(settings)
        self.files: set = set()

    def open(self) -> "StudyFolder":
        """Check the folder, make it, write the marker (first: from then on the folder is ours) and the shards
        folder, and clear the temporary files a killed run of ours left."""
        check_study_target(self.out, self.settings)
        self.out.mkdir(parents=True, exist_ok=True)
        own = _own(self.out) if any(self.out.iterdir()) else (set(), None)
        self.files = set(own[0]) if own else set()
        self._write_marker(self.files | {SHARDS})
        (self.out / SHARDS).mkdir(exist_ok=True)
        self.files.add(SHARDS)
        for folder in (self.out, self.out / SHARDS):
            for p in folder.iterdir():
                if _LEFTOVER.match(p.name) and p.is_file():
                    p.unlink(missing_ok=True)
        return self

    def _write_marker(self, files: set) -> None:
        atomic_write(self.out / MARKER, json.dumps(
            {"nnclaims_study": 1, "settings": self.settings, "files": sorted(files),
             "note": "written by nnclaims study; only the files listed here (and shards/shard-NNNN.json) are "
                     "replaced"}, indent=1))

    def shard_path(self, shard) -> Path:
        return self.out / SHARDS / f"{shard.name}.json"

    def read_shards(self, plan) -> dict:
        """``{shard index: answer}`` for every shard of ``plan`` already written here (a file that cannot be read
        or names another shard is not counted: that shard is computed again and its file replaced)."""
        done = {}
        for shard in plan:
            path = self.shard_path(shard)
            if not path.is_file():
                continue
            try:
                data = json.loads(path.read_text(encoding="utf-8"))
            except (OSError, ValueError):
                continue
            if isinstance(data, dict) and data.get("shard") == shard.name and \
                    data.get("parts") == [list(p) for p in shard.parts] and isinstance(data.get("results"), list):
                done[shard.index] = data
        return done

    def write_shard(self, shard, answer: dict) -> None:
        atomic_write(self.shard_path(shard), json.dumps(answer))

    def write_study(self, study: dict) -> list[Path]:
        """The study's files, each listed in the marker before it is written."""
        from .study_report import study_file_names, study_files

        names = study_file_names(study)
        taken = [n for n in names if n not in self.files and os.path.lexists(self.out / n)]
        if taken:
            raise StudyFolderError(f"--out {self.out}: holds a '{taken[0]}' that is not from the study there; "
                                   "it would be replaced, so nothing was written")
        files = study_files(study)
        self.files |= set(files)
        self._write_marker(self.files)
        written = []
        for name, data in files.items():
            atomic_write(self.out / name, data)
            written.append(self.out / name)
        return written
