"""The proof service's /metrics: the catalog's names and labels only, counts by route and
status, the latency histogram, error codes, and no user id or epoch id in any label."""

from __future__ import annotations

from urllib.parse import quote

from prometheus_client.parser import text_string_to_metric_families
from serve_helpers import TOKEN, Client

from solvency.serve.metrics import CATALOG, ROUTES
from solvency.serve.server import running


def _scrape(client: Client) -> dict[tuple[str, tuple[tuple[str, str], ...]], float]:
    reply = client.request("/metrics")
    assert reply.status == 200 and reply.headers["content-type"].startswith("text/plain")
    samples = {}
    for family in text_string_to_metric_families(reply.body.decode()):
        for sample in family.samples:
            samples[(sample.name, tuple(sorted(sample.labels.items())))] = sample.value
    return samples


def test_requests_latency_and_errors_are_counted_on_the_catalog(published):
    user = published.users("2026-11")[0]
    with running(published.pubdir, published.token_file) as svc:
        client = Client(svc.host, svc.port)
        for _ in range(3):
            assert client.request(f"/v1/epochs/2026-11/proofs/{quote(user, safe='')}", token=TOKEN).status == 200
        assert client.request(f"/v1/epochs/2026-11/proofs/{quote(user, safe='')}").status == 401
        assert client.request("/v1/epochs/2026-11/proofs/nobody-here", token=TOKEN).status == 404
        assert client.request("/v1/epochs").status == 200
        assert client.request("/nowhere").status == 404
        samples = _scrape(client)
        text = client.request("/metrics").body.decode()

    def value(name, **labels):
        return samples.get((name, tuple(sorted(labels.items()))), 0.0)

    assert value("solvency_serve_requests_total", route="proof", status="200") == 3
    assert value("solvency_serve_requests_total", route="proof", status="401") == 1
    assert value("solvency_serve_requests_total", route="proof", status="404") == 1
    assert value("solvency_serve_requests_total", route="epochs", status="200") == 1
    assert value("solvency_serve_requests_total", route="other", status="404") == 1
    assert value("solvency_serve_errors_total", route="proof", error="UNAUTHORIZED") == 1
    assert value("solvency_serve_errors_total", route="proof", error="UNKNOWN_USER") == 1
    assert value("solvency_serve_request_duration_seconds_count", route="proof") == 5
    assert value("solvency_serve_request_duration_seconds_bucket", route="proof", le="+Inf") == 5
    assert 0 < value("solvency_serve_request_duration_seconds_sum", route="proof") < 60

    families = {spec.family: spec for spec in CATALOG.values()}
    suffixes = ("_total", "_created", "_bucket", "_count", "_sum")
    for (name, labels), _ in samples.items():
        family = next((f for f in families if name == f or any(name == f + s for s in suffixes)), None)
        assert family is not None, name
        names = {k for k, _ in labels} - {"le"}
        assert names == set(families[family].labels), (name, labels)
        assert dict(labels).get("route", "other") in ROUTES
    assert user not in text and "nobody-here" not in text and "2026-11" not in text and TOKEN not in text


def test_verify_each_serves_the_same_bytes(published):
    users = published.users("2026-12")
    with running(published.pubdir, published.token_file) as fast, running(published.pubdir, published.token_file, verify_each=True) as checked:
        a, b = Client(fast.host, fast.port), Client(checked.host, checked.port)
        for user in users:
            path = f"/v1/epochs/2026-12/proofs/{quote(user, safe='')}"
            first, second = a.request(path, token=TOKEN), b.request(path, token=TOKEN)
            assert first.status == second.status == 200 and first.body == second.body
        assert b.request("/v1/epochs/2026-12/proofs/nobody", token=TOKEN).body == a.request("/v1/epochs/2026-12/proofs/nobody", token=TOKEN).body
