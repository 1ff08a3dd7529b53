"""One module per `solvency-verify` subcommand; each is a thin layer over a `verify_*` function."""
