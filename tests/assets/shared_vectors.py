"""Where the test vectors of other projects are read from: ../shared/vectors/ beside the repository.

They are never copied into the repository (tests/assets/vectors/README.md keeps their provenance).
When ../shared is absent, the tests that need them are skipped with the reason printed.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

SHARED = Path(__file__).resolve().parents[2].parent / "shared" / "vectors"


def load(relative: str) -> Any:
    """The parsed JSON file ../shared/vectors/<relative>, or skip the calling module with the reason."""
    path = SHARED / relative
    if not path.is_file():
        pytest.skip(f"shared test vectors not found: {path} (../shared/vectors/{relative} beside the repository)",
                    allow_module_level=True)
    return json.loads(path.read_text())
