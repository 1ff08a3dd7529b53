"""notebooks/audit.ipynb and notebooks/books.ipynb: committed exactly as make_notebooks.py writes
them (no outputs), parameters in the first cell, and executed headless with nbclient on a kernel
running this interpreter, against a demo publication the test creates with `solvency demo`'s
generator (`solvency.demo.story.run_demo`, small N). A cell error or a failed assert cell fails
the test; a tampered leaf export makes the audit notebook's assert cell fail."""

from __future__ import annotations

import importlib.util
import json
import sys
from pathlib import Path

import pytest

nbformat = pytest.importorskip("nbformat")
nbclient = pytest.importorskip("nbclient")
pytest.importorskip("ipykernel")
pytest.importorskip("matplotlib")

NOTEBOOKS = Path(__file__).resolve().parents[2] / "notebooks"
KERNEL = "pos-notebook-test"
DEMO_USERS = 60


def _maker():
    spec = importlib.util.spec_from_file_location("make_notebooks", NOTEBOOKS / "make_notebooks.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


@pytest.fixture(scope="module")
def demo(tmp_path_factory) -> Path:
    from solvency.demo.story import run_demo

    out = tmp_path_factory.mktemp("nbdemo") / "demo-out"
    result = run_demo(out, users=DEMO_USERS, seed=2026, echo=lambda *args, **kwargs: None)
    assert len(result.epochs) == 2
    return out


@pytest.fixture()
def kernel_env(tmp_path, monkeypatch):
    """A kernelspec that runs this very interpreter (the venv's), found first on JUPYTER_PATH."""
    spec_dir = tmp_path / "jupyter" / "kernels" / KERNEL
    spec_dir.mkdir(parents=True)
    (spec_dir / "kernel.json").write_text(json.dumps({
        "argv": [sys.executable, "-m", "ipykernel_launcher", "-f", "{connection_file}"],
        "display_name": "proof-of-solvency test kernel", "language": "python",
    }))
    monkeypatch.setenv("JUPYTER_PATH", str(tmp_path / "jupyter"))
    monkeypatch.setenv("IPYTHONDIR", str(tmp_path / "ipython"))
    # The inline backend renders every figure with Agg into PNG outputs (no display needed), so
    # the test can see that each plot was drawn; plain Agg would make plt.show() a no-op.
    monkeypatch.setenv("MPLBACKEND", "module://matplotlib_inline.backend_inline")
    # Build matplotlib's font cache here, so that no kernel prints "building the font cache" into
    # a cell's output on a fresh machine (the kernels share this process's cache directory).
    import matplotlib.font_manager  # noqa: F401

    return tmp_path


def execute(name: str, parameters: dict, cwd: Path):
    """Run the committed notebook with `parameters` appended to its parameters cell."""
    nb = nbformat.read(NOTEBOOKS / name, as_version=4)
    cell = nb.cells[0]
    assert "parameters" in cell.metadata.get("tags", [])
    cell.source += "\n# Injected by the test:\n" + "".join(f"{k} = {v!r}\n" for k, v in parameters.items())
    client = nbclient.NotebookClient(nb, kernel_name=KERNEL, timeout=120, resources={"metadata": {"path": str(cwd)}})
    client.execute()
    return nb


def text_of(nb) -> str:
    parts = []
    for cell in nb.cells:
        for output in cell.get("outputs", []):
            parts.append(output.get("text", ""))
            parts.extend(str(v) for k, v in output.get("data", {}).items() if k.startswith("text/"))
    return "\n".join(parts)


def epochs_of(demo: Path) -> list[str]:
    """The demo's epoch labels in sequence order (whatever the demo names them)."""
    from solvency.auditor.publication import list_epochs

    return [paths.name for paths in list_epochs(demo / "publication")]


def images_of(nb) -> int:
    return sum("image/png" in output.get("data", {}) for cell in nb.cells for output in cell.get("outputs", []))


@pytest.mark.parametrize("name", ["audit.ipynb", "books.ipynb"])
def test_committed_notebooks_are_generated_and_carry_no_outputs(name):
    text = (NOTEBOOKS / name).read_text(encoding="utf-8")
    assert text == _maker().render(name), "run `.venv/bin/python notebooks/make_notebooks.py` and commit"
    nb = nbformat.reads(text, as_version=4)
    nbformat.validate(nb)
    assert nb.cells[0].cell_type == "code" and nb.cells[0].metadata["tags"] == ["parameters"]
    for cell in nb.cells:
        if cell.cell_type == "code":
            assert cell.outputs == [] and cell.execution_count is None
    assert "PUBDIR" in nb.cells[0].source
    # No network and no shelling out: the notebooks only call the library.
    code = "\n".join(c.source for c in nb.cells if c.cell_type == "code")
    for forbidden in ("http", "urllib", "requests", "subprocess", "socket", "!"):
        assert forbidden not in code


def test_audit_notebook_passes_and_is_deterministic(demo, kernel_env):
    parameters = {"PUBDIR": str(demo / "publication"), "BANK_KEY": str(demo / "bank.key.pub"),
                  "LEDGER_DB": str(demo / "ledger.db"), "PROOF_SAMPLE": 10, "SEED": 7}
    first = execute("audit.ipynb", parameters, kernel_env)
    text = text_of(first)
    assert f"AUDIT PASSED: epoch {epochs_of(demo)[-1]}, 13 checks" in text
    assert "FAIL" not in text and "SKIPPED" not in text
    assert images_of(first) == 2  # the margin per asset and per epoch, the attested composition
    assert "reserve_ratio_btc" in text and "reserve_ratio_at_declared_price" in text
    second = execute("audit.ipynb", parameters, kernel_env)
    for a, b in zip(first.cells, second.cells):
        assert a.get("outputs") == b.get("outputs"), f"cell {a.id} differs between two runs:\n{a.get('outputs')}\n{b.get('outputs')}"


def test_audit_notebook_fails_its_assert_cell_on_a_tampered_leaf_export(demo, kernel_env, tmp_path):
    import shutil

    from verifier.full_tree import LEAVES_MAGIC

    copy = tmp_path / "copy"
    shutil.copytree(demo / "publication", copy / "publication")
    first = epochs_of(demo)[0]
    leaves = copy / "publication" / first / "private" / "leaves.bin"
    data = bytearray(leaves.read_bytes())
    data[len(LEAVES_MAGIC) + 2 + 32 + 7] ^= 0x01
    leaves.write_bytes(bytes(data))
    parameters = {"PUBDIR": str(copy / "publication"), "EPOCH": first, "BANK_KEY": str(demo / "bank.key.pub"),
                  "LEDGER_DB": str(demo / "ledger.db"), "PROOF_SAMPLE": 3}
    with pytest.raises(nbclient.exceptions.CellExecutionError) as caught:
        execute("audit.ipynb", parameters, kernel_env)
    message = str(caught.value)
    assert "AssertionError" in message and "full-tree audit from the leaf export: FAIL ROOT_HASH_MISMATCH" in message


def test_audit_notebook_without_a_ledger_fails_unless_skips_are_allowed(demo, kernel_env):
    parameters = {"PUBDIR": str(demo / "publication"), "BANK_KEY": str(demo / "bank.key.pub"), "LEDGER_DB": None,
                  "PROOF_SAMPLE": 2}
    with pytest.raises(nbclient.exceptions.CellExecutionError, match="SKIPPED"):
        execute("audit.ipynb", parameters, kernel_env)
    nb = execute("audit.ipynb", parameters | {"ALLOW_SKIPPED": True}, kernel_env)
    assert "AUDIT PASSED" in text_of(nb)


def test_books_notebook_runs_draws_every_plot_and_is_deterministic(demo, kernel_env):
    parameters = {"PUBDIR": str(demo / "publication"), "BANK_KEY": str(demo / "bank.key.pub"),
                  "LEDGER_DB": str(demo / "ledger.db"), "POINTS": 6}
    nb = execute("books.ipynb", parameters, kernel_env)
    again = execute("books.ipynb", parameters, kernel_env)
    for a, b in zip(nb.cells, again.cells):  # tables and PNGs alike
        assert a.get("outputs") == b.get("outputs"), f"cell {a.id} differs between two runs"
    text = text_of(nb)
    assert f"2 epochs verified: {', '.join(epochs_of(demo))}" in text
    assert "escrow drift" in text  # the demo's period 2 drifts; the reconciliation explains it
    assert images_of(nb) == 6  # fees, reserves over time, composition, drift, margin, distribution
    for wallet_id in _some_wallet_ids(demo):
        assert wallet_id not in text


def _some_wallet_ids(demo: Path) -> list[str]:
    from ledger.definitions import load_definitions
    from ledger.open import open_store

    with open_store(str(demo / "ledger.db"), create=False) as store:
        rows = list(store.user_balances(load_definitions()["customer-liabilities"]))
    return [user for user, _, _ in rows[:20]]
