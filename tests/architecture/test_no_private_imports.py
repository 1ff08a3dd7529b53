"""No module of ours imports another module's private (``_name``) names.

A helper one module shares with another is a public name of the module that defines it (or of a
small module both use), so the dependency is visible where it is defined: the Galoy demo once
imported ``_verify``, ``_statement`` and ``_utc_second_after_now`` from `solvency.demo.story`,
which could rename them as private details at any time.
"""

from __future__ import annotations

import ast
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
PACKAGES = ("ledger", "solvency", "verifier")


def private_imports(text: str, name: str = "<text>") -> list[str]:
    found = []
    for node in ast.walk(ast.parse(text, filename=name)):
        if isinstance(node, ast.ImportFrom) and node.level == 0 and (node.module or "").split(".")[0] in PACKAGES:
            found += [f"{name}:{node.lineno} imports {node.module}.{alias.name}" for alias in node.names
                      if alias.name.startswith("_") and not alias.name.startswith("__")]
    return found


def test_the_rule_sees_a_private_import():
    assert private_imports("from solvency.demo.story import DemoResult, _verify as v\nfrom ._x import _y\n") == [
        "<text>:1 imports solvency.demo.story._verify"]


def test_no_module_imports_a_private_name():
    found = [problem for package in PACKAGES for path in sorted((ROOT / package).rglob("*.py"))
             for problem in private_imports(path.read_text(encoding="utf-8"), str(path.relative_to(ROOT)))]
    assert not found, "\n".join(found)
