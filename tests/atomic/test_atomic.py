"""`solvency.atomic`: the one implementation of atomic file writing (stage, fsync, rename/link)."""

import os
import stat

import pytest

from solvency.atomic import atomic_write, staged_file


def _mode(path) -> int:
    return stat.S_IMODE(os.stat(path).st_mode)


def test_bytes_replace_the_target_and_leave_no_staging_file(tmp_path):
    target = tmp_path / "a.prom"
    atomic_write(target, b"one\n", mode=0o644)
    atomic_write(target, b"two\n", mode=0o644)
    assert target.read_bytes() == b"two\n"
    assert _mode(target) == 0o644
    assert os.listdir(tmp_path) == ["a.prom"]


def test_a_callback_writes_and_its_result_is_returned(tmp_path):
    target = tmp_path / "out.bin"
    assert atomic_write(target, lambda handle: handle.write(b"abc") and 42) == 42
    assert target.read_bytes() == b"abc"


def test_default_mode_is_a_plain_new_files(tmp_path):
    umask = os.umask(0o022)
    try:
        atomic_write(tmp_path / "f", b"x")
    finally:
        os.umask(umask)
    assert _mode(tmp_path / "f") == 0o644


def test_no_overwrite_refuses_an_existing_file_and_keeps_it(tmp_path):
    target = tmp_path / "bank.key"
    atomic_write(target, b"secret", mode=0o600, overwrite=False)
    assert _mode(target) == 0o600
    with pytest.raises(FileExistsError):
        atomic_write(target, b"other", mode=0o600, overwrite=False)
    assert target.read_bytes() == b"secret"
    assert os.listdir(tmp_path) == ["bank.key"]


def test_a_failing_writer_leaves_the_old_file_and_nothing_else(tmp_path):
    target = tmp_path / "b.csv"
    target.write_bytes(b"old")

    def broken(handle):
        handle.write(b"half")
        raise RuntimeError("disk on fire")

    with pytest.raises(RuntimeError):
        atomic_write(target, broken)
    assert target.read_bytes() == b"old"
    assert os.listdir(tmp_path) == ["b.csv"]


def test_staged_file_installs_on_success_and_removes_side_files(tmp_path):
    target = tmp_path / "ledger.db"
    target.write_bytes(b"old")
    (tmp_path / "ledger.db-wal").write_bytes(b"stale wal")
    with staged_file(target, side_suffixes=("-wal", "-shm")) as temp:
        assert temp.parent == tmp_path and not temp.exists()
        temp.write_bytes(b"new")
    assert target.read_bytes() == b"new"
    assert sorted(os.listdir(tmp_path)) == ["ledger.db"]  # the stale WAL would be replayed into the new file


def test_staged_file_leaves_nothing_on_failure(tmp_path):
    target = tmp_path / "copy.db"
    with pytest.raises(ValueError), staged_file(target, overwrite=False, side_suffixes=("-wal",)) as temp:
        temp.write_bytes(b"partial")
        (tmp_path / f"{temp.name}-wal").write_bytes(b"wal")
        raise ValueError("check failed")
    assert os.listdir(tmp_path) == []
