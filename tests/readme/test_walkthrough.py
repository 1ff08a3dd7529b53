"""README.md's walkthrough runs as written (issue 16): a README change that breaks a command fails.

README.md marks every command block a new user can run, in an empty directory, with an HTML comment
(invisible when rendered) on the line right before the block's fence:

* ``<!-- walkthrough -->``: every command of the block exits 0;
* ``<!-- walkthrough: exit N -->``: every command of the block exits N (a deliberately failing
  example the README describes).

The runner takes those blocks in document order and runs each command (a line, with its ``\\``
continuations; comment lines are skipped) through ``bash -o pipefail -c`` in one temporary
directory, with the venv's ``bin/`` first on ``PATH``, as a user who copy-pastes them would. A
command fails the walkthrough if its exit code is not the stated one or if it prints a Python
traceback. A variable assignment (``NAME=...``) is evaluated by bash and its value carried into
the following commands' environment, as an interactive shell would carry it. The first block makes
the small demo bank every later command reads (``solvency demo --out demo --users 200``).
Each command runs in its own process group; what a command leaves running in the background (the
README's ``solvency serve ... &``) is stopped when the walkthrough ends, passed or failed.

Blocks that need a real lnd node, bitcoind or MongoDB are not marked; `test_marks_cover_the_walkthrough`
keeps the marks from being dropped to silence a failure.
"""

from __future__ import annotations

import os
import re
import signal
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path

import pytest

README = Path(__file__).resolve().parents[2] / "README.md"
BIN = Path(sys.executable).parent
MARK = re.compile(r"^(\s*)<!-- walkthrough(?::\s*exit (\d+))? -->\s*$")
FENCES = ("```sh", "```bash", "```console")
ASSIGNMENT = re.compile(r"^([A-Za-z_][A-Za-z0-9_]*)=(?!\s)")
COMMAND_TIMEOUT = 180


@dataclass(frozen=True)
class Command:
    line: int  # README line (1-based) of the command's first line
    text: str
    exit_code: int


class WalkthroughFailed(AssertionError):
    """A walkthrough command exited with another code than stated, or printed a traceback."""


def extract(text: str, name: str = "README.md") -> list[Command]:
    """The commands of every marked block, in document order."""
    lines = text.splitlines()
    commands: list[Command] = []
    index = 0
    while index < len(lines):
        mark = MARK.match(lines[index])
        index += 1
        if mark is None:
            continue
        indent, expected = mark.group(1), int(mark.group(2) or 0)
        if index >= len(lines) or lines[index].strip() not in FENCES:
            raise ValueError(f"{name}:{index}: a walkthrough mark must be followed by a ```sh fence")
        index += 1
        pending: list[str] = []
        start = 0
        while True:
            if index >= len(lines):
                raise ValueError(f"{name}:{index}: unterminated walkthrough block")
            raw = lines[index]
            index += 1
            if raw.strip() == "```":
                break
            line = raw[len(indent):] if raw.startswith(indent) else raw.lstrip()
            if not pending and (not line.strip() or line.lstrip().startswith("#")):
                continue
            if not pending:
                start = index
            if line.rstrip().endswith("\\"):
                pending.append(line.rstrip()[:-1])
                continue
            commands.append(Command(start, " ".join(part.strip() for part in [*pending, line]), expected))
            pending = []
        if pending:
            raise ValueError(f"{name}:{start}: the block ends inside a continued command")
    return commands


def _bash(script: str, directory: Path, env: dict[str, str], groups: list[int]) -> subprocess.CompletedProcess[str]:
    """One command in its own process group, recorded in `groups` so that what it started in the
    background (the README's `solvency serve ... &`) can be stopped when the walkthrough ends."""
    with subprocess.Popen(["bash", "-o", "pipefail", "-c", script], cwd=directory, env=env, text=True,
                          stdout=subprocess.PIPE, stderr=subprocess.PIPE, start_new_session=True) as process:
        groups.append(process.pid)
        try:
            stdout, stderr = process.communicate(timeout=COMMAND_TIMEOUT)
        except subprocess.TimeoutExpired:
            _stop([process.pid])
            process.communicate()
            raise
        return subprocess.CompletedProcess(process.args, process.returncode, stdout, stderr)


def _stop(groups: list[int]) -> None:
    for group in groups:
        try:
            os.killpg(group, signal.SIGKILL)
        except (ProcessLookupError, PermissionError):
            pass


def run(commands: list[Command], directory: Path, name: str = "README.md") -> float:
    """Run the commands in order in `directory`; the seconds taken. Raises WalkthroughFailed."""
    groups: list[int] = []
    try:
        return _run(commands, directory, name, groups)
    finally:
        _stop(groups)


def _run(commands: list[Command], directory: Path, name: str, groups: list[int]) -> float:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("SOLVENCY_", "POS_"))}
    env["PATH"] = f"{BIN}{os.pathsep}{env.get('PATH', '')}"
    started = time.perf_counter()
    for command in commands:
        assignment = ASSIGNMENT.match(command.text)
        script = command.text
        if assignment:
            # The assignment's status is its command substitution's; then print the value.
            script += f'\nstatus=$?; [ "$status" = 0 ] || exit "$status"; printf %s "${{{assignment.group(1)}}}"'
        try:
            done = _bash(script, directory, env, groups)
        except subprocess.TimeoutExpired:
            raise WalkthroughFailed(f"{name}:{command.line}: `{command.text}` ran over {COMMAND_TIMEOUT} s") from None
        problem = None
        if done.returncode != command.exit_code:
            problem = f"exit {done.returncode}, the README says {command.exit_code}"
        elif "Traceback (most recent call last)" in done.stderr + done.stdout:
            problem = "it printed a Python traceback"
        if problem:
            raise WalkthroughFailed(f"{name}:{command.line}: `{command.text}`: {problem}\n"
                                    f"--- stdout ---\n{done.stdout[-2000:]}\n--- stderr ---\n{done.stderr[-3000:]}")
        if assignment:
            env[assignment.group(1)] = done.stdout
    return time.perf_counter() - started


def test_readme_walkthrough_runs_as_written(tmp_path):
    commands = extract(README.read_text(encoding="utf-8"))
    seconds = run(commands, tmp_path)
    print(f"{len(commands)} README commands ran as written in {seconds:.1f} s")
    assert len(commands) >= 30


# Every part of the walkthrough keeps at least one tested command of these kinds.
PROMISED = ("solvency demo ", "solvency keys generate", "solvency keys show", "solvency ledger balances",
            "solvency tree build --balances",
            "solvency tree build --db", "solvency tree proof", "solvency tree export-leaves", "solvency-verify proof",
            "solvency-verify tree", "solvency assets challenge", "solvency assets attest", "solvency-verify assets",
            "solvency publish --db", "solvency publish prepare", "solvency publish digest", "solvency publish seal",
            "solvency publish proof", "solvency receipt", "solvency report balance-sheet", "solvency report pnl",
            "solvency report reconcile", "solvency-verify history", "solvency-verify save-head",
            "solvency-verify receipt", "python -m solvency.demo.signer", "solvency serve --pubdir")


def test_marks_cover_the_walkthrough():
    commands = [c.text for c in extract(README.read_text(encoding="utf-8"))]
    assert commands[0].startswith("solvency demo --out demo"), "the first tested command makes the demo bank"
    missing = [p for p in PROMISED if not any(c.startswith(p) for c in commands)]
    assert not missing, f"README.md has no tested (<!-- walkthrough -->) command starting with {missing}"


def test_a_broken_command_fails_the_walkthrough(tmp_path):
    """One mutated command in a copy of the README: the runner stops there and names it."""
    text = README.read_text(encoding="utf-8")
    target = "\nsolvency keys show bank.key.pub"  # the tested block's line, not the prose's mention
    assert target in text
    broken = text.replace(target, target.replace(".pub", ".pbu"), 1)
    line = broken[:broken.index("bank.key.pbu")].count("\n") + 1
    with pytest.raises(WalkthroughFailed, match=rf"README.md:{line}: `solvency keys show bank.key.pbu"):
        run(extract(broken), tmp_path)


SYNTHETIC = """\
Text.

<!-- walkthrough -->
```sh
# a comment line is not a command
GREETING=$(printf 'hello %s' world)   # carried into the next commands
test "$GREETING" = "hello world" && \\
    test -n "$PATH"
```

   <!-- walkthrough: exit 1 -->
   ```sh
   false
   ```

```sh
exit 7    # not marked: never run
```
"""


def test_background_jobs_are_stopped_when_the_walkthrough_ends(tmp_path):
    block = "<!-- walkthrough -->\n```sh\nsleep 300 > /dev/null 2>&1 & echo $! > job.pid\n```\n"
    run(extract(block, "x.md"), tmp_path, "x.md")
    pid = int((tmp_path / "job.pid").read_text())
    deadline = time.monotonic() + 10
    while _running(pid):
        assert time.monotonic() < deadline, f"the background job {pid} outlived the walkthrough"
        time.sleep(0.05)


def _running(pid: int) -> bool:
    try:
        return Path(f"/proc/{pid}/stat").read_text().split()[2] != "Z"  # a zombie has stopped
    except FileNotFoundError:
        return False


def test_runner_semantics(tmp_path):
    commands = extract(SYNTHETIC, "x.md")
    assert [(c.line, c.text, c.exit_code) for c in commands] == [
        (6, "GREETING=$(printf 'hello %s' world)   # carried into the next commands", 0),
        (7, 'test "$GREETING" = "hello world" && test -n "$PATH"', 0),
        (13, "false", 1),
    ]
    run(commands, tmp_path, "x.md")


@pytest.mark.parametrize("block,reason", [
    ("<!-- walkthrough -->\n```sh\nfalse\n```\n", "exit 1, the README says 0"),
    ("<!-- walkthrough: exit 1 -->\n```sh\ntrue\n```\n", "exit 0, the README says 1"),
    ("<!-- walkthrough -->\n```sh\nA=$(false)\n```\n", "exit 1, the README says 0"),
    ("<!-- walkthrough -->\n```sh\nfalse | cat\n```\n", "exit 1, the README says 0"),
    ("<!-- walkthrough -->\n```sh\npython -c 'raise KeyError(1)'\n```\n", "exit 1, the README says 0"),
    ("<!-- walkthrough -->\n```sh\npython -c 'import traceback; traceback.print_stack()' 2>&1 | sed 's/^/Traceback (most recent call last)/'\n```\n",
     "printed a Python traceback"),
])
def test_runner_fails_on(tmp_path, block, reason):
    with pytest.raises(WalkthroughFailed, match=re.escape(reason)):
        run(extract(block, "x.md"), tmp_path, "x.md")


@pytest.mark.parametrize("text", [
    "<!-- walkthrough -->\nsolvency demo\n",
    "<!-- walkthrough -->\n```sh\nsolvency demo\n",
    "<!-- walkthrough -->\n```sh\nsolvency demo \\\n```\n",
])
def test_malformed_marks_are_refused(text):
    with pytest.raises(ValueError):
        extract(text, "x.md")
