"""The verifier page (web/verifier/dist/verify.html) in a real headless browser (Debian chromium
via chromium-driver): the SPEC vectors through the URL fragment, a real bundle through the file
picker and the fragment, the reason codes on `<output id="verdict">`, and no network request."""

from __future__ import annotations

import json

import pytest
from page_harness import FIXTURES, PAGE, chromium, fragment, open_page, read_verdict, requests_made
from tests_vectors_path import PROOF_VECTORS

pytestmark = pytest.mark.timeout(600)


@pytest.fixture(scope="module")
def browser():
    with chromium() as driver:
        yield driver


def test_every_spec_vector_gives_its_verdict_and_reason_in_the_browser(browser):
    vectors = json.loads(PROOF_VECTORS.read_text())
    wrong = []
    for case in vectors["tests"]:
        got = open_page(browser, fragment(case["proof"].encode(), vectors["public_key"], case["expected_epoch"], case["expected_user"]))
        if got[:2] != (case["result"], case["reason"]):
            wrong.append((case["tcId"], case["comment"], got[:2], (case["result"], case["reason"])))
    assert not wrong, wrong
    assert len(vectors["tests"]) >= 30


def test_a_real_bundle_is_valid_with_the_cli_checks_units_epoch_cutoff_and_definition(browser):
    data = (FIXTURES / "bundle.json").read_bytes()
    doc = json.loads(data)
    key = (FIXTURES / "bank.key.pub").read_text()
    verdict, reason, checked = open_page(browser, fragment(data, key, doc["proof"]["epoch"], doc["proof"]["user_id"]))
    assert (verdict, reason) == ("valid", None)
    from page_harness import python_verdict

    assert checked == python_verdict(data, key.encode(), doc["proof"]["epoch"], doc["proof"]["user_id"])[2]
    facts = browser.execute_script("return Object.fromEntries(Array.from(document.querySelectorAll('#facts dd'), d => [d.id, d.textContent]))")
    assert facts["fact-epoch"] == doc["proof"]["epoch"]
    assert facts["fact-cut-off-utc-"] == doc["proof"]["commitment"]["as_of"]
    assert facts["fact-balance-definition"] == doc["proof"]["commitment"]["balance_definition"]["name"]
    btc, usd = doc["proof"]["balances"]
    assert facts["fact-your-balances"] == f"BTC {int(btc) // 10**8:,}.{int(btc) % 10**8:08d}, USD {int(usd) // 100:,}.{int(usd) % 100:02d}"
    key_id = json.loads(key)["key_id"]
    assert key_id in browser.find_element("id", "key-id").text
    assert requests_made(browser) == []


def test_the_file_picker_and_the_key_field(browser):
    browser.get("about:blank")
    browser.get(PAGE.as_uri())
    browser.find_element("id", "key").send_keys(json.loads((FIXTURES / "bank.key.pub").read_text())["public_key"])
    browser.find_element("id", "bundle-file").send_keys(str(FIXTURES / "bundle.json"))
    assert read_verdict(browser)[:2] == ("valid", None)
    # A different pinned key: the bank's signature is by another key.
    browser.find_element("id", "key").clear()
    browser.find_element("id", "key").send_keys("ab" * 32)
    browser.find_element("id", "verify").click()
    assert read_verdict(browser)[:2] == ("invalid", "WRONG_KEY")
    assert requests_made(browser) == []


def test_a_tampered_bundle_in_the_link_is_refused(browser):
    doc = json.loads((FIXTURES / "bundle.json").read_bytes())
    doc["proof"]["leaves"][0]["balances"][0] = str(int(doc["proof"]["leaves"][0]["balances"][0]) + 1)
    doc["proof"]["balances"][0] = str(int(doc["proof"]["balances"][0]) + 1)  # the total still adds up
    from verifier import canonical

    got = open_page(browser, fragment(canonical.dump_file_bytes(doc), (FIXTURES / "bank.key.pub").read_text()))
    assert got[:2] == ("invalid", "ROOT_HASH_MISMATCH")


def test_the_page_served_over_http_works_the_same(browser):
    """Served (as `solvency serve` and a bank's web server do), not only opened from a file."""
    import functools
    import http.server
    import threading

    handler = functools.partial(http.server.SimpleHTTPRequestHandler, directory=str(PAGE.parent))
    handler.log_message = lambda *args: None  # type: ignore[attr-defined]
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        data = (FIXTURES / "bundle.json").read_bytes()
        url = f"http://127.0.0.1:{server.server_address[1]}/{PAGE.name}"
        browser.get("about:blank")
        requests_made(browser)
        browser.get(url + fragment(data, (FIXTURES / "bank.key.pub").read_text()))
        assert read_verdict(browser)[:2] == ("valid", None)
        assert [u for u in requests_made(browser) if not u.startswith(url)] == []
    finally:
        server.shutdown()
        server.server_close()
