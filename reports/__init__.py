"""Rendering: the report (Markdown, HTML, figures), the study's report and its folder, and the committed report folders."""

from nnclaims._deprecated import install as _install_old_paths

_install_old_paths()  # the module paths this package had in 0.2 (nnclaims._deprecated), for one release


def __getattr__(name: str):  # the names this package exported in 0.2, for one release (nnclaims._deprecated)
    from nnclaims._deprecated import attribute

    return attribute(__name__, name)
