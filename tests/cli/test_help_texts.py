"""What `solvency ... --help` says about formats and signers is current.

Every artifact format a help text names (``pos-NAME/N``) is the one the code writes today (the
constants below, imported, not copied): ``assets attest`` once said ``pos-assets/1``, two versions
behind. And the proofs of control cover bria's wallet too (SPEC 8.5), so the assets commands say so.
"""

from __future__ import annotations

import re

import click

from solvency.books.layout import LAYOUT_FORMAT
from solvency.cli.main import cli
from verifier.assets.challenge import FORMAT as ASSETS_FORMAT
from verifier.bundle import BUNDLE_FORMAT
from verifier.encoding import FORMAT as TREE_FORMAT
from verifier.epoch import EPOCH_FORMAT, LOG_HEAD_FORMAT
from verifier.receipt import RECEIPT_FORMAT
from verifier.signature import KEY_FORMAT

CURRENT = {ASSETS_FORMAT, BUNDLE_FORMAT, TREE_FORMAT, EPOCH_FORMAT, LOG_HEAD_FORMAT, RECEIPT_FORMAT, KEY_FORMAT, LAYOUT_FORMAT}
FORMAT_NAME = re.compile(r"\bpos-[a-z-]+/[0-9]+\b")


def helps(command: click.Command = cli, path: tuple[str, ...] = (), parent: click.Context | None = None):
    ctx = click.Context(command, info_name=path[-1] if path else "solvency", parent=parent)
    yield " ".join(path), command.get_help(ctx)
    if isinstance(command, click.Group):
        for name in command.list_commands(ctx):
            yield from helps(command.get_command(ctx, name), (*path, name), ctx)


HELPS = dict(helps())


def test_format_names_in_help_texts_are_current():
    stale = sorted({(path, name) for path, text in HELPS.items() for name in FORMAT_NAME.findall(text) if name not in CURRENT})
    assert not stale, stale
    assert any(ASSETS_FORMAT in text for text in HELPS.values())  # the rule has something to check


def test_assets_help_names_bria_among_the_signers():
    for path in ("assets", "assets challenge"):
        assert "bria" in HELPS[path], path
    assert "bria" in HELPS[""]  # the top-level list of commands
