from nnclaims.reports.cli import run

run()
