"""docs/METRICS.md documents every metric the catalog can emit, and the README points to it."""

from __future__ import annotations

import re
from pathlib import Path

from solvency.metrics.catalog import CATALOG, RENAMED
from solvency.serve.metrics import CATALOG as SERVE_CATALOG

ROOT = Path(__file__).resolve().parents[2]


def test_every_metric_is_documented_and_nothing_else_is():
    text = (ROOT / "docs" / "METRICS.md").read_text()
    for name in [*CATALOG, *SERVE_CATALOG]:
        assert f"`{name}`" in text or f"`{name}` (counter)" in text, name
    mentioned = set(re.findall(r"`(solvency_[a-z0-9_]+)`", text))
    # The proof service's metrics (solvency serve) have their own catalog and registry; old names
    # appear only in the table of renamed metrics, each with its new name.
    known = set(CATALOG) | set(SERVE_CATALOG) | set(RENAMED)
    assert mentioned <= known, sorted(mentioned - known)
    for old, new in RENAMED.items():
        assert f"| `{old}` | `{new}` |" in text, old


def test_readme_has_a_metrics_section():
    readme = (ROOT / "README.md").read_text()
    assert "## Metrics" in readme and "docs/METRICS.md" in readme
