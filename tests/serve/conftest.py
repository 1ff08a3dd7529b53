"""Fixtures of the proof service tests: the publication of `serve_helpers` (built once per
session) and the real service on a loopback port in a thread."""

from __future__ import annotations

import pytest
from serve_helpers import Client, Published, build_published

from solvency.serve.server import running


@pytest.fixture(scope="session")
def published(tmp_path_factory) -> Published:
    return build_published(tmp_path_factory.mktemp("serve"))


@pytest.fixture(scope="module")
def service(published):
    with running(published.pubdir, published.token_file) as svc:
        yield Client(svc.host, svc.port)
