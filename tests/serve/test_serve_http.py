"""The proof service over real loopback HTTP (docs/SERVE.md): public routes, the credential,
bundles the verifier accepts, and every error answer as a JSON body with its status code."""

from __future__ import annotations

import shutil
import socket
from urllib.parse import quote

import pytest
from serve_helpers import TOKEN, Client

from solvency.keys import public_key_of
from solvency.publish.bundle import bundle_for_user
from solvency.serve.app import ERROR_FORMAT, ERRORS
from solvency.serve.server import running
from verifier.bundle import verify_bundle

ERROR_MEMBERS = {"error", "format", "message", "status"}


def assert_error(reply, status: int, code: str, pubdir=None) -> dict:
    assert reply.status == status, (reply.status, reply.body)
    assert reply.headers["content-type"].startswith("application/json")
    doc = reply.json()
    assert set(doc) == ERROR_MEMBERS and doc["format"] == ERROR_FORMAT
    assert doc["error"] == code and doc["status"] == status == ERRORS[code]
    assert b"Traceback" not in reply.body and b'File "' not in reply.body
    if pubdir is not None:
        assert str(pubdir).encode() not in reply.body
    return doc


def proof_path(epoch: str, user: str) -> str:
    return f"/v1/epochs/{epoch}/proofs/{quote(user, safe='')}"


def test_epochs_list_in_sequence_order(service, published):
    reply = service.request("/v1/epochs")
    assert reply.status == 200
    doc = reply.json()
    assert doc["format"] == "pos-serve-epochs/1"
    assert [e["epoch"] for e in doc["epochs"]] == ["2026-11", "2026-12"]
    assert [e["sequence"] for e in doc["epochs"]] == [0, 1]
    assert doc["latest"] == "2026-12" and doc["unavailable"] == []
    assert {"commitment.json", "epoch.json", "log-head.json"} <= set(doc["epochs"][0]["files"])


def test_public_files_are_served_verbatim(service, published):
    for epoch in ("2026-11", "2026-12"):
        public = published.pubdir / epoch / "public"
        for path in public.iterdir():
            reply = service.request(f"/v1/epochs/{epoch}/{path.name}")
            assert reply.status == 200 and reply.body == path.read_bytes(), path
    assert service.request("/v1/log-head").body == (published.pubdir / "2026-12" / "public" / "log-head.json").read_bytes()
    page = service.request("/verify.html")
    assert page.status == 200 and page.headers["content-type"].startswith("text/html")
    assert page.body == (published.pubdir / "verify.html").read_bytes()


def test_public_file_errors(service, published):
    assert_error(service.request("/v1/epochs/2026-11/leaves.bin"), 404, "NOT_FOUND")
    assert_error(service.request("/v1/epochs/2026-11/private"), 404, "NOT_FOUND")
    assert_error(service.request("/v1/epochs/1999-01/epoch.json"), 404, "UNKNOWN_EPOCH")
    assert_error(service.request("/v1/epochs/bad!id/epoch.json"), 400, "BAD_REQUEST")
    assert_error(service.request("/v1/epochs/..%2Fetc/epoch.json"), 400, "BAD_REQUEST")
    assert_error(service.request("/no/such/route"), 404, "NOT_FOUND")


def test_every_user_gets_the_bundle_the_cli_serves_and_the_verifier_accepts(service, published):
    public_key = public_key_of(published.key)
    for epoch in ("2026-11", "2026-12"):
        for user in published.users(epoch):
            reply = service.request(proof_path(epoch, user), token=TOKEN)
            assert reply.status == 200, (epoch, user, reply.body)
            assert reply.headers["cache-control"] == "no-store"
            assert reply.body == bundle_for_user(published.pubdir / epoch, user, public_key).to_bytes()
            facts = verify_bundle(reply.body, public_key, expected_epoch=epoch, expected_user=user)
            assert facts.epoch.epoch == epoch


@pytest.mark.parametrize("headers", [
    {}, {"Authorization": "Bearer"}, {"Authorization": "Bearer wrong"}, {"Authorization": f"Bearer {TOKEN}x"},
    {"Authorization": f"Bearer {TOKEN[:-1]}"}, {"Authorization": f"Basic {TOKEN}"}, {"Authorization": TOKEN},
    {"X-Token": TOKEN},
], ids=["none", "empty", "wrong", "longer", "shorter", "basic", "no-scheme", "other-header"])
def test_a_proof_needs_the_token(service, published, headers):
    user = published.users("2026-11")[0]
    reply = service.request(proof_path("2026-11", user), headers=headers)
    assert_error(reply, 401, "UNAUTHORIZED")
    assert reply.headers["www-authenticate"].startswith("Bearer")
    assert b"balances" not in reply.body and user.encode() not in reply.body


def test_the_credential_is_checked_before_anything_else(service):
    assert_error(service.request(proof_path("1999-01", "nobody")), 401, "UNAUTHORIZED")
    assert_error(service.request(proof_path("bad!id", "x\x00y")), 401, "UNAUTHORIZED")


@pytest.mark.parametrize("user", ["a\x00b", "line\nbreak", "tab\there", "del\x7f", "x" * 257, "é" * 129])
def test_malformed_user_id_is_400(service, user):
    assert_error(service.request(proof_path("2026-11", user), token=TOKEN), 400, "BAD_REQUEST")


@pytest.mark.parametrize("epoch", ["bad!id", "x" * 65, ".pending-2026-12", "%20"])
def test_malformed_epoch_id_is_400(service, epoch):
    assert_error(service.request(f"/v1/epochs/{epoch}/proofs/u", token=TOKEN), 400, "BAD_REQUEST")


def test_unknown_epoch_is_404(service):
    assert_error(service.request(proof_path("1999-01", "u"), token=TOKEN), 404, "UNKNOWN_EPOCH")


def test_unknown_user_says_nothing_about_other_epochs(service, published):
    only_later = sorted(set(published.users("2026-12")) - set(published.users("2026-11")))
    assert only_later, "the second epoch adds users"
    in_other_epoch = service.request(proof_path("2026-11", only_later[0]), token=TOKEN)
    nowhere = service.request(proof_path("2026-11", "never-a-user-of-this-bank"), token=TOKEN)
    assert_error(in_other_epoch, 404, "UNKNOWN_USER")
    assert in_other_epoch.body == nowhere.body
    assert {k: v for k, v in in_other_epoch.headers.items() if k != "date"} == {k: v for k, v in nowhere.headers.items() if k != "date"}
    assert only_later[0].encode() not in in_other_epoch.body


def test_user_ids_with_slashes_and_unicode_reach_the_lookup(service):
    for user in ("a/b", "ünïcode", "x" * 256):
        assert_error(service.request(proof_path("2026-12", user), token=TOKEN), 404, "UNKNOWN_USER")


def test_methods_and_bodies_are_refused(service, published):
    user = published.users("2026-11")[0]
    assert_error(service.request(proof_path("2026-11", user), token=TOKEN, method="POST"), 405, "METHOD_NOT_ALLOWED")
    assert_error(service.request("/v1/epochs", method="DELETE"), 405, "METHOD_NOT_ALLOWED")
    assert_error(service.request("/v1/epochs", body=b"x" * 10), 413, "REQUEST_TOO_LARGE")
    assert_error(service.request(proof_path("2026-11", user), token=TOKEN, method="POST", body=b"{}" * 4096), 413,
                 "REQUEST_TOO_LARGE")
    head = service.request(proof_path("2026-11", user), token=TOKEN, method="HEAD")
    assert head.status == 200 and head.body == b""


def _raw(client: Client, data: bytes) -> bytes:
    with socket.create_connection((client.host, client.port), timeout=10) as sock:
        sock.sendall(data)
        chunks = []
        while chunk := sock.recv(65536):
            chunks.append(chunk)
    return b"".join(chunks)


def test_oversized_request_line_and_headers_are_refused_and_the_service_goes_on(service):
    line = _raw(service, b"GET /v1/epochs/2026-11/proofs/" + b"a" * 10_000 + b" HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n")
    assert line.split(b" ")[1] in (b"400", b"414"), line[:200]
    header = _raw(service, b"GET /v1/epochs HTTP/1.1\r\nHost: x\r\nX-Big: " + b"b" * 20_000 + b"\r\nConnection: close\r\n\r\n")
    assert header.split(b" ")[1] in (b"400", b"431"), header[:200]
    garbage = _raw(service, b"\x16\x03\x01\x02\x00 not http\r\n\r\n")
    assert garbage.split(b" ")[1] == b"400", garbage[:200]
    for reply in (line, header, garbage):
        assert b"Traceback" not in reply
    assert service.request("/v1/epochs").status == 200


def test_an_internal_error_is_a_json_500_without_details(published, monkeypatch):
    from solvency.serve.publication import Publication

    def boom(self, epoch, user):
        raise RuntimeError(f"secret detail {self.pubdir}")

    monkeypatch.setattr(Publication, "bundle", boom)
    with running(published.pubdir, published.token_file) as svc:
        client = Client(svc.host, svc.port)
        reply = client.request(proof_path("2026-11", "u"), token=TOKEN)
        doc = assert_error(reply, 500, "INTERNAL", published.pubdir)
        assert "secret" not in doc["message"]
        assert client.request("/v1/epochs").status == 200


@pytest.fixture
def broken_copy(published, tmp_path):
    pubdir = tmp_path / "pub"
    shutil.copytree(published.pubdir, pubdir, symlinks=True)
    return pubdir


def test_an_unreadable_epoch_answers_503_while_the_others_serve(published, broken_copy):
    # Root reads through any mode bits, so "unreadable" is made by breaking the tree's files.
    nodes = broken_copy / "2026-11" / "private" / "tree" / "private" / "nodes.bin"
    saved = nodes.read_bytes()
    nodes.write_bytes(saved[: len(saved) // 2])
    user_11, user_12 = published.users("2026-11")[0], published.users("2026-12")[0]
    with running(broken_copy, published.token_file) as svc:
        client = Client(svc.host, svc.port)
        assert_error(client.request(proof_path("2026-11", user_11), token=TOKEN), 503, "EPOCH_UNAVAILABLE", broken_copy)
        ok = client.request(proof_path("2026-12", user_12), token=TOKEN)
        assert ok.status == 200
        verify_bundle(ok.body, public_key_of(published.key), expected_epoch="2026-12", expected_user=user_12)
        assert client.request("/v1/epochs/2026-11/epoch.json").status == 200
        assert client.request("/v1/epochs").status == 200
        # The credential is still checked first, and an unknown epoch is still 404.
        assert_error(client.request(proof_path("2026-11", user_11)), 401, "UNAUTHORIZED")
        # A repaired epoch comes back without a restart.
        nodes.write_bytes(saved)
        assert client.request(proof_path("2026-11", user_11), token=TOKEN).status == 200


def test_an_unreadable_epoch_json_is_listed_unavailable_and_hides_no_newer_head(published, broken_copy):
    (broken_copy / "2026-12" / "public" / "epoch.json").write_bytes(b"{not json")
    with running(broken_copy, published.token_file) as svc:
        client = Client(svc.host, svc.port)
        doc = client.request("/v1/epochs").json()
        assert [e["epoch"] for e in doc["epochs"]] == ["2026-11"] and doc["unavailable"] == ["2026-12"]
        assert_error(client.request("/v1/log-head"), 503, "EPOCH_UNAVAILABLE", broken_copy)
        assert_error(client.request(proof_path("2026-12", published.users("2026-12")[0]), token=TOKEN), 503,
                     "EPOCH_UNAVAILABLE", broken_copy)
        assert client.request(proof_path("2026-11", published.users("2026-11")[0]), token=TOKEN).status == 200
