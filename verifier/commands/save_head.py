"""`solvency-verify save-head BUNDLE --key KEY --out FILE`: keep the log head of a proof bundle.

A user who keeps the log head their bundle came with can later check that the bank's history
still contains it (`solvency-verify history PUBDIR --trusted-head FILE`, SPEC 11.4 and 13): a
bank that rewrites or forks its history after the fact cannot show them a consistent log. The
bundle is verified in full first (SPEC 13), so a head is only saved from a bundle signed by the
pinned key; an existing file is never overwritten (the earlier head is the evidence).
"""

from __future__ import annotations

import click

from verifier.cli import Report, read_input, run_verification


def write_new_file(path: str, data: bytes) -> None:
    """Create `path` holding `data`; refuse (undecidable, exit 3) when it exists or cannot be written."""
    import os

    from verifier.errors import CannotVerify, Reason

    try:
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o644)
    except FileExistsError:
        raise CannotVerify(f"{path} exists: not overwriting a saved log head (choose another --out)",
                           reason=Reason.UNREADABLE) from None
    except OSError as exc:
        raise CannotVerify(f"cannot write {path}: {exc.strerror or exc}", reason=Reason.UNREADABLE) from None
    with os.fdopen(fd, "wb") as handle:
        handle.write(data)
        handle.flush()
        os.fsync(handle.fileno())


@click.command(name="save-head")
@click.argument("bundle_file", metavar="BUNDLE.json", type=click.Path(dir_okay=False))
@click.option("--key", "key", required=True, help="The bank's public key you pinned: a .pub file or 64 hex characters.")
@click.option("--out", "out", required=True, type=click.Path(dir_okay=False), help="Where to save the log head (a new file).")
@click.option("--json", "json_output", is_flag=True, help="Print one machine-readable JSON result.")
@click.option("--debug", is_flag=True, help="Print a traceback on failure.")
def save_head(bundle_file: str, key: str, out: str, json_output: bool, debug: bool) -> None:
    """Verify the proof bundle BUNDLE.json and save its signed log head to --out for later comparison."""

    def check() -> Report:
        from verifier.bundle import verify_bundle
        from verifier.signature import load_public_key

        facts = verify_bundle(read_input(bundle_file, "proof bundle"), load_public_key(key))
        head = facts.log_head
        write_new_file(out, head.to_bytes())
        return Report(
            checked=(*facts.checked, f"saved the log head of epoch {head.epoch} (log size {head.log_size}) to {out}"),
            facts={"epoch": head.epoch, "log_size": head.log_size, "log_root": head.log_root.hex(), "saved_to": out},
            caveats=(f"later, run: solvency-verify history PUBDIR --key KEY --trusted-head {out}",),
        )

    run_verification(check, json_output=json_output, debug=debug, what="the proof bundle's log head")
