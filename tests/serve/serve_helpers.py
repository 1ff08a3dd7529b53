"""Builders of the proof service tests (tests/serve, tests/attacks/test_serve.py): a real
two-epoch publication (the second epoch adds users), a token file, and an HTTP client."""

from __future__ import annotations

import http.client
import json
import sys
from dataclasses import dataclass
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "publish"))  # the publication tests' builders

from publish_helpers import SIGNER, make_ledger, make_snapshot, now_as_of  # noqa: E402

from ledger.sqlite.store import SQLiteStore  # noqa: E402
from solvency.keys import generate_key  # noqa: E402
from solvency.publish.pipeline import prepare, seal, sign_with  # noqa: E402

TOKEN = "s3cret-token-" + "0123456789abcdef" * 2


def _publish(pubdir, ledger, snap, key, epoch):
    prepared = prepare(pubdir, db=str(ledger), definition="customer-liabilities", as_of=now_as_of(), epoch=epoch,
                       snapshots=snap, private_key=key)
    sign_with(prepared, SIGNER, key)
    return seal(pubdir, epoch, key)


@dataclass
class Published:
    base: Path
    pubdir: Path
    key: object
    token_file: Path

    def users(self, epoch: str) -> list[str]:
        path = self.pubdir / epoch / "private" / "tree" / "private" / "users.ids"
        return path.read_text().splitlines()


def build_published(base: Path) -> Published:
    key = generate_key(base / "bank.key")
    ledger = make_ledger(base / "ledger.db", users=30)
    pubdir = base / "pub"
    _publish(pubdir, ledger, make_snapshot(base / "snap1", "e1", 871_000, 1), key, "2026-11")
    with SQLiteStore(str(ledger)) as store:  # a second period with new users
        from solvency.demo.bank import BankDay

        store.post_batch(BankDay(30, 8).events()[:150])
    _publish(pubdir, ledger, make_snapshot(base / "snap2", "e2", 875_000, 2), key, "2026-12")
    token_file = base / "token"
    token_file.write_text(TOKEN + "\n")
    return Published(base, pubdir, key, token_file)


@dataclass
class Reply:
    status: int
    headers: dict[str, str]
    body: bytes

    def json(self):
        return json.loads(self.body)


class Client:
    def __init__(self, host: str, port: int) -> None:
        self.host, self.port = host, port

    def request(self, path: str, *, token: str | None = None, method: str = "GET", headers: dict[str, str] | None = None,
                body: bytes | None = None) -> Reply:
        conn = http.client.HTTPConnection(self.host, self.port, timeout=30)
        try:
            sent = dict(headers or {})
            if token is not None:
                sent["Authorization"] = f"Bearer {token}"
            conn.request(method, path, body=body, headers=sent)
            response = conn.getresponse()
            return Reply(response.status, {k.lower(): v for k, v in response.getheaders()}, response.read())
        finally:
            conn.close()
