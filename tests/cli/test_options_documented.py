"""docs/CLI.md names every option of every `solvency` command, and only options that exist.

The command tree is walked from `solvency.cli.main.cli`. An option of ``solvency X`` is documented
when its long name (``--layout``) appears in a docs/CLI.md section of that command: the section
headed ``### `solvency X` ``, or one headed ``### `solvency X --flag` `` (``demo --galoy``); the
top-level options (``--version``) in the text above the first section. Each section's
``Options:`` line names only options the command has, so a removed or renamed option fails too.
"""

from __future__ import annotations

import re
from pathlib import Path

import click
import pytest

from solvency.cli.main import cli

DOCS = Path(__file__).resolve().parents[2] / "docs" / "CLI.md"
LONG = re.compile(r"(?<![A-Za-z0-9-])--[a-z][a-z0-9-]*")


def sections(text: str) -> dict[str, str]:
    """``"X"`` (the heading's ``solvency X``) -> the section's text; ``""``: the text before any ``##``."""
    found: dict[str, list[str]] = {"": []}
    current: str | None = ""
    for line in text.splitlines():
        heading = re.fullmatch(r"### `solvency ([^`]+)`", line.strip())
        if heading:
            current = heading.group(1)
            found[current] = []
        elif line.startswith("## "):
            current = None
        elif current is not None:
            found[current].append(line)
    return {name: "\n".join(lines) for name, lines in found.items()}


def commands(command: click.Command = cli, path: tuple[str, ...] = (), parent: click.Context | None = None):
    ctx = click.Context(command, info_name=path[-1] if path else "solvency", parent=parent)
    yield " ".join(path), command
    if isinstance(command, click.Group):
        for name in command.list_commands(ctx):
            yield from commands(command.get_command(ctx, name), (*path, name), ctx)


def long_names(command: click.Command) -> set[str]:
    return {opt for param in command.params if isinstance(param, click.Option) for opt in param.opts + param.secondary_opts
            if opt.startswith("--")}


COMMANDS = dict(commands())
SECTIONS = sections(DOCS.read_text(encoding="utf-8"))


def documentation(name: str) -> list[str]:
    return [text for heading, text in SECTIONS.items() if heading == name or (name and heading.startswith(f"{name} --"))]


@pytest.mark.parametrize("name", sorted(n for n, c in COMMANDS.items() if long_names(c)))
def test_every_option_is_named_in_docs_cli(name):
    text = "\n".join(documentation(name))
    missing = sorted(opt for opt in long_names(COMMANDS[name]) if opt not in set(LONG.findall(text)))
    assert not missing, f"docs/CLI.md does not name these options of `solvency {name}` in its section: {missing}"


@pytest.mark.parametrize("heading", sorted(h for h in SECTIONS if h))
def test_options_lines_name_only_real_options(heading):
    name = heading.split(" --")[0]
    assert name in COMMANDS, f"docs/CLI.md has a section for `solvency {heading}`, which is no command"
    listed = [line for line in SECTIONS[heading].splitlines() if line.startswith("Options:")]
    unknown = sorted({opt for line in listed for opt in LONG.findall(line)} - long_names(COMMANDS[name]))
    assert not unknown, f"docs/CLI.md lists options that `solvency {name}` does not have: {unknown}"


def test_the_walk_sees_todays_options():
    assert "--layout" in long_names(COMMANDS["report reconcile"])
    assert {"--galoy", "--mongo"} <= long_names(COMMANDS["demo"])
    assert {"--fractional", "--roles", "--allow-unbalanced-journals"} <= long_names(COMMANDS["publish prepare"])
