from solvency.cli.main import cli

cli()
