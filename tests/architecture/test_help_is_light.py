"""`solvency --help` (and every subcommand's --help) loads none of the heavy libraries.

Imports in `solvency` sit at module top, except these libraries, which are imported inside the
functions that use them: a command's help, and a command that does not need them, must stay fast.
Each check runs in a fresh interpreter and reads `sys.modules` after rendering the help texts.
"""

import json
import subprocess
import sys
import textwrap

import pytest

HEAVY = ("numpy", "pandas", "pyarrow", "pymongo", "bson", "matplotlib", "prometheus_client", "pymerkle", "aiohttp")

WALK_AND_RENDER = """
import json, sys
import click
from solvency.cli.main import cli

rendered = []

def walk(group, prefix):
    ctx = group.make_context("solvency", list(prefix) + ["--help"], resilient_parsing=True)
    for name in group.list_commands(ctx):
        command = group.get_command(ctx, name)
        path = [*prefix, name]
        if isinstance(command, click.Group):
            walk(command, path)
        else:
            rendered.append(path)
        try:
            cli(prog_name="solvency", args=[*path, "--help"], standalone_mode=False)
        except SystemExit:
            pass

{render_top}
{walk}
loaded = sorted({{m.split(".")[0] for m in sys.modules}})
print(json.dumps({{"commands": rendered, "loaded": loaded}}))
"""


def _run(render_top: bool, walk: bool) -> dict:
    code = WALK_AND_RENDER.format(
        render_top='cli(prog_name="solvency", args=["--help"], standalone_mode=False)' if render_top else "",
        walk="walk(cli, [])" if walk else "",
    )
    out = subprocess.run([sys.executable, "-c", textwrap.dedent(code)], check=True, capture_output=True, text=True).stdout
    return json.loads(out.strip().splitlines()[-1])


def test_importing_the_cli_loads_no_heavy_library():
    loaded = set(_run(render_top=False, walk=False)["loaded"])
    assert "solvency" in loaded
    assert not loaded & set(HEAVY), f"import solvency.cli.main pulled in {sorted(loaded & set(HEAVY))}"


@pytest.mark.parametrize("walk", [False, True], ids=["solvency --help", "every subcommand --help"])
def test_help_loads_no_heavy_library(walk):
    result = _run(render_top=True, walk=walk)
    if walk:
        assert ["ledger", "import"] in result["commands"] and ["tree", "build"] in result["commands"]
    loaded = set(result["loaded"])
    assert not loaded & set(HEAVY), f"--help pulled in {sorted(loaded & set(HEAVY))}"


def test_the_detector_sees_a_heavy_import():
    code = "import sys, json, pandas; print(json.dumps(sorted({m.split('.')[0] for m in sys.modules})))"
    out = subprocess.run([sys.executable, "-c", code], check=True, capture_output=True, text=True).stdout
    assert "pandas" in json.loads(out)
