"""`solvency serve`: the HTTP proof service over a publication directory (docs/SERVE.md).

The web stack is imported inside the callback, so `solvency --help` stays light.
"""

from __future__ import annotations

import click

from solvency.cli.common import json_document, rejecting


@click.command("serve")
@click.option("--pubdir", required=True, help="Publication directory written by `solvency publish --out` (SPEC 11.1).")
@click.option("--token-file", required=True, help="File holding the bank backend's bearer token (one line, >= 32 characters).")
@click.option("--host", default="127.0.0.1", show_default=True, help="Address to listen on.")
@click.option("--port", default=8080, show_default=True, type=click.IntRange(0, 65535), help="Port (0: any free port).")
@click.option("--workers", default=1, show_default=True, type=click.IntRange(1, 64),
              help="Processes accepting on the one socket (one per CPU core for the most proofs/s).")
@click.option("--verify-each", is_flag=True,
              help="Also run the verifier's proof check list on every proof before it leaves (about 3x the CPU per request).")
@click.option("--json", "json_output", is_flag=True, help="Print the listening address as one JSON line (docs/CLI.md).")
def serve(pubdir: str, token_file: str, host: str, port: int, workers: int, verify_each: bool, json_output: bool) -> None:
    """Serve proof bundles (with the token) and the public files of PUBDIR over HTTP."""
    from solvency.serve.server import ServeError, run

    with rejecting(ServeError):
        run(pubdir, token_file, host, port, json_output=json_output, verify_each=verify_each, workers=workers, json_marker=json_document({}))
