"""The bank's command line, `solvency`. Each command group lives in its own module and is loaded
only when invoked, so `--help` stays fast and never imports pandas."""
