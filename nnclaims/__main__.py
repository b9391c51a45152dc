"""``python -m nnclaims``: the ``nnclaims`` command."""

from nnclaims.reports.cli import run

run()
