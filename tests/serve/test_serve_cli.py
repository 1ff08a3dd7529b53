"""`solvency serve` as a command: start-up refusals (one line, exit 1) and a real run in a
subprocess, stopped by SIGTERM."""

from __future__ import annotations

import contextlib
import json
import os
import signal
import socket
import subprocess
import sys
from urllib.parse import quote

import pytest
from serve_helpers import TOKEN, Client

from solvency.keys import public_key_of
from verifier.bundle import verify_bundle

SOLVENCY = [sys.executable, "-m", "solvency"]


def _refused(args) -> str:
    run = subprocess.run([*SOLVENCY, "serve", *args], capture_output=True, text=True, timeout=60)
    assert run.returncode == 1, (run.returncode, run.stdout, run.stderr)
    lines = run.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("Error: "), run.stderr
    assert "Traceback" not in run.stderr and run.stdout == ""
    return lines[0]


def test_missing_pubdir_is_refused(published, tmp_path):
    line = _refused(["--pubdir", str(tmp_path / "nope"), "--token-file", str(published.token_file)])
    assert "nope" in line and "publication directory not found" in line


def test_missing_or_weak_token_file_is_refused(published, tmp_path):
    line = _refused(["--pubdir", str(published.pubdir), "--token-file", str(tmp_path / "absent")])
    assert "absent" in line and "token file not found" in line
    for weak in ("", "short\n", "two words and more than thirty-two characters\n", "a" * 40 + "\nsecond line\n"):
        (tmp_path / "weak").write_text(weak)
        assert "at least 32 visible ASCII" in _refused(["--pubdir", str(published.pubdir), "--token-file", str(tmp_path / "weak")])


def test_a_busy_port_is_refused(published):
    with socket.socket() as busy:
        busy.bind(("127.0.0.1", 0))
        busy.listen()
        port = busy.getsockname()[1]
        line = _refused(["--pubdir", str(published.pubdir), "--token-file", str(published.token_file), "--port", str(port)])
    assert f"cannot listen on 127.0.0.1:{port}" in line


@pytest.mark.timeout(120)
def test_the_command_serves_until_sigterm(published):
    proc = subprocess.Popen([*SOLVENCY, "serve", "--pubdir", str(published.pubdir), "--token-file", str(published.token_file),
                             "--port", "0", "--json"], stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        ready = json.loads(proc.stdout.readline())
        assert ready["host"] == "127.0.0.1" and ready["url"] == f"http://127.0.0.1:{ready['port']}"
        client = Client(ready["host"], ready["port"])
        user = published.users("2026-12")[-1]
        reply = client.request(f"/v1/epochs/2026-12/proofs/{quote(user, safe='')}", token=TOKEN)
        assert reply.status == 200
        verify_bundle(reply.body, public_key_of(published.key), expected_epoch="2026-12", expected_user=user)
        assert client.request(f"/v1/epochs/2026-12/proofs/{quote(user, safe='')}").status == 401
    finally:
        proc.send_signal(signal.SIGTERM)
        _, err = proc.communicate(timeout=30)
    assert proc.returncode == 0, err
    assert "Traceback" not in err
    # Nothing the service logs names a user or the token.
    assert user not in err and TOKEN not in err


@pytest.mark.timeout(120)
def test_workers_share_the_socket_and_their_metrics_add_up(published):
    proc = subprocess.Popen([*SOLVENCY, "serve", "--pubdir", str(published.pubdir), "--token-file", str(published.token_file),
                             "--port", "0", "--json", "--workers", "2"], stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        ready = json.loads(proc.stdout.readline())
        assert ready["workers"] == 2
        client = Client(ready["host"], ready["port"])
        users = published.users("2026-11")[:12]
        for user in users:
            reply = client.request(f"/v1/epochs/2026-11/proofs/{quote(user, safe='')}", token=TOKEN)
            assert reply.status == 200
            verify_bundle(reply.body, public_key_of(published.key), expected_epoch="2026-11", expected_user=user)
        assert client.request("/v1/epochs/2026-11/proofs/nobody", token=TOKEN).status == 404
        text = client.request("/metrics").body.decode()
        assert 'solvency_serve_requests_total{route="proof",status="200"} 12.0' in text
        assert 'solvency_serve_errors_total{error="UNKNOWN_USER",route="proof"} 1.0' in text
    finally:
        proc.send_signal(signal.SIGTERM)
        _, err = proc.communicate(timeout=30)
    assert proc.returncode == 0, err
    assert "Traceback" not in err


@pytest.mark.timeout(120)
@pytest.mark.parametrize("workers", [1, 2])
def test_sigterm_right_after_the_ready_line_exits_cleanly(published, workers):
    """The ready line is printed only once SIGINT/SIGTERM are handled (docs/SERVE.md: exit 0 on
    either): a supervisor that stops the service as soon as it announced itself gets exit 0, not
    death by the signal (-15). Repeated, since the window it closes is short."""
    for _ in range(3):
        proc = subprocess.Popen([*SOLVENCY, "serve", "--pubdir", str(published.pubdir), "--token-file", str(published.token_file),
                                 "--port", "0", "--json", "--workers", str(workers)],
                                stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, start_new_session=True)
        try:
            ready = json.loads(proc.stdout.readline())
            proc.send_signal(signal.SIGTERM)
            _, err = proc.communicate(timeout=60)
        finally:
            with contextlib.suppress(ProcessLookupError):  # a worker left behind by a failure
                os.killpg(proc.pid, signal.SIGKILL)
            proc.wait()
        assert ready["workers"] == workers
        assert proc.returncode == 0, (proc.returncode, err)
        assert "Traceback" not in err
