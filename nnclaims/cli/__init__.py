"""The ``nnclaims`` command line: one module per command group, sharing :mod:`nnclaims.cli._common`."""
