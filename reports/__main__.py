"""``python -m nnclaims.reports``: the same ``nnclaims`` command."""

from .cli import run

run()
