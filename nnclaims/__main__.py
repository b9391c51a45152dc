"""``python -m nnclaims``: the ``nnclaims`` command."""

from nnclaims.cli.app import run

run()
