"""Attacks on the proof service (`solvency serve`, docs/SERVE.md): reaching the private tree store
or the epoch key through the public routes, learning a balance without the token, and learning
from the error answers whether an id is a user of another epoch."""

from __future__ import annotations

import sys
from pathlib import Path
from urllib.parse import quote

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "serve"))  # the service tests' builders

from serve_helpers import TOKEN, Client, build_published  # noqa: E402

from solvency.serve.server import running  # noqa: E402

TRAVERSALS = [
    "/v1/epochs/2026-11/..%2Fprivate%2Ftree%2Fprivate%2Fepoch.key",
    "/v1/epochs/2026-11/%2E%2E/private/tree/private/epoch.key",
    "/v1/epochs/2026-11/private%2Ftree%2Fprivate%2Fepoch.key",
    "/v1/epochs/2026-11/private/tree/private/epoch.key",
    "/v1/epochs/..%2F2026-11%2Fprivate%2Ftree%2Fprivate/epoch.key",
    "/v1/epochs/2026-11/..%2F..%2Fbank.key",
    "/v1/epochs/..%2Fbank.key/epoch.json",
    "/v1/epochs/2026-11%2Fprivate%2Ftree/commitment.json",
    "/v1/epochs/2026-11/proofs/..%2F..%2Fprivate%2Ftree%2Fprivate%2Fepoch.key",
    "/verify.html/../2026-11/private/tree/private/epoch.key",
    "/2026-11/private/tree/private/epoch.key",
    "/2026-11/private/tree/private/users.ids",
    "/../bank.key",
]


@pytest.fixture(scope="module")
def served(tmp_path_factory):
    published = build_published(tmp_path_factory.mktemp("serve-attacks"))
    with running(published.pubdir, published.token_file) as svc:
        yield published, Client(svc.host, svc.port)


@pytest.mark.parametrize("path", TRAVERSALS)
def test_no_route_reaches_a_private_file(served, path):
    published, client = served
    secrets = [
        (published.pubdir / "2026-11" / "private" / "tree" / "private" / "epoch.key").read_bytes(),
        (published.base / "bank.key").read_bytes().strip(),
    ]
    for token in (None, TOKEN):
        reply = client.request(path, token=token)
        assert reply.status in (400, 401, 404), (path, reply.status, reply.body[:200])
        for secret in secrets:
            assert secret not in reply.body and secret.hex().encode() not in reply.body
        assert published.users("2026-11")[0].encode() not in reply.body


def test_guessing_the_token_from_its_prefix_or_case_gets_nothing(served):
    published, client = served
    path = f"/v1/epochs/2026-11/proofs/{quote(published.users('2026-11')[0], safe='')}"
    for guess in (TOKEN[:8], TOKEN.upper(), TOKEN + "x", TOKEN[1:], "x" + TOKEN, TOKEN.replace("s", "S", 1), "*", "null"):
        reply = client.request(path, token=guess)
        assert reply.status == 401 and b"balances" not in reply.body, guess
    assert client.request(path, token=TOKEN).status == 200


def test_errors_do_not_tell_whether_an_id_is_a_user_elsewhere(served):
    published, client = served
    later_only = sorted(set(published.users("2026-12")) - set(published.users("2026-11")))
    answers = {client.request(f"/v1/epochs/2026-11/proofs/{quote(user, safe='')}", token=TOKEN).body
               for user in [*later_only[:5], "never-a-user-1", "never-a-user-2"]}
    assert len(answers) == 1
    # Without the token every id, user or not, in a real or unknown epoch, gets the same answer.
    anonymous = {client.request(f"/v1/epochs/{epoch}/proofs/{quote(user, safe='')}").body
                 for epoch in ("2026-11", "1999-01") for user in (published.users("2026-11")[0], "never-a-user")}
    assert len(anonymous) == 1
