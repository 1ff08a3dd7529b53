"""A group's own options given before a subcommand are refused (exit 2, one line), never ignored.

`solvency publish` is a group that also runs on its own (the one-step publication), so it has
options of its own; ``solvency publish --json prepare ...`` used to parse ``--json`` for the group
and then print the phase's text output. Every such option of every group, before every subcommand,
is now one ``Error:`` line naming the option, exit 2, nothing on stdout.
"""

from __future__ import annotations

import click
import pytest
from click.testing import CliRunner

from solvency.cli.main import cli


def groups(command: click.Command = cli, path: tuple[str, ...] = (), parent: click.Context | None = None):
    if not isinstance(command, click.Group):
        return
    ctx = click.Context(command, info_name=path[-1] if path else "solvency", parent=parent)
    if path:
        yield path, command, ctx
    for name in command.list_commands(ctx):
        yield from groups(command.get_command(ctx, name), (*path, name), ctx)


def argv_for(option: click.Option) -> list[str]:
    """The option with a value its type accepts, so that only its position can be refused."""
    if option.is_flag:
        return [option.opts[0]]
    if isinstance(option.type, click.Choice):
        return [option.opts[0], str(option.type.choices[0])]
    if isinstance(option.type, click.IntRange):
        return [option.opts[0], str(option.type.min or 1)]
    return [option.opts[0], "value"]


CASES = [(path, option, sub) for path, group, ctx in groups() for option in group.params
         if isinstance(option, click.Option) and option.name not in ("help",) for sub in group.list_commands(ctx)]


def test_there_are_groups_with_options():
    assert {" ".join(path) for path, _, _ in CASES} == {"publish"}
    assert len(CASES) >= 4 * 18


@pytest.mark.parametrize("path,option,sub", CASES, ids=[f"{' '.join(p)} {o.opts[0]} {s}" for p, o, s in CASES])
def test_a_group_option_before_a_subcommand_is_refused(path, option, sub):
    result = CliRunner().invoke(cli, [*path, *argv_for(option), sub, "--help"], catch_exceptions=False)
    assert result.exit_code == 2, (result.stdout, result.stderr)
    assert result.stdout == ""
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("Error: ") and option.opts[0] in lines[0], result.stderr
    assert sub in lines[0]


def test_publish_json_before_prepare(tmp_path):
    """The reported case, with the phase's own options after it."""
    result = CliRunner().invoke(cli, ["publish", "--json", "prepare", "--db", tmp_path / "none.db", "--as-of", "2026-12-01T00:00:00Z",
                                      "--snapshots", tmp_path, "--key", tmp_path / "k", "--out", tmp_path / "pub"])
    assert result.exit_code == 2
    assert result.stderr.strip().splitlines() == [
        "Error: --json given before the subcommand 'prepare' would be ignored: give the subcommand's options after its name "
        "(`solvency publish prepare --help`)"]
    assert not (tmp_path / "pub").exists()


def test_options_after_the_subcommand_still_work():
    result = CliRunner().invoke(cli, ["publish", "digest", "--json", "--help"])
    assert result.exit_code == 0 and "--json" in result.stdout
