"""`solvency demo` ends with the file:// link of the verifier page filled with the demo user's
bundle and key; the page `solvency publish` wrote into the published directory is byte for byte
the shipped one, and opened headless with that link it shows VALID."""

from __future__ import annotations

import pytest
from page_harness import PAGE, chromium, read_verdict, requests_made

pytestmark = pytest.mark.timeout(600)


def test_the_demo_prints_a_link_that_the_page_opens_as_valid(demo_run):
    out, stdout = demo_run
    link = stdout.rstrip().splitlines()[-1]
    page = out / "publication" / "verify.html"
    latest = max(p.name for p in (out / "publication").iterdir() if (p / "public" / "epoch.json").is_file())
    assert link.startswith(page.as_uri() + "#bundle=") and "&key=" in link and f"&epoch={latest}&" in link
    assert page.read_bytes() == PAGE.read_bytes()
    with chromium() as driver:
        driver.get(link)
        verdict, reason, checked = read_verdict(driver)
        assert (verdict, reason) == ("valid", None), checked
        assert checked[-1].startswith("your balances: BTC ")
        assert requests_made(driver) == []
