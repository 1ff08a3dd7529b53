"""Shared helpers of the verifier page's tests (web/verifier, issue 15): where the page and its
Node project are, how the Python verifier judges an input (the reference the page must match),
and a headless Debian chromium driven by Selenium through chromium-driver.

A tool that is truly missing (node, npm, chromium, chromium-driver, selenium) skips the test
with the reason printed, except under CI (``CI`` set), where it fails: `.ci/run` and the
Makefile install all of them, so a missing one there is a broken set-up, not a reason to skip.
"""

from __future__ import annotations

import base64
import os
import shutil
import subprocess
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import pytest

ROOT = Path(__file__).resolve().parents[2]
WEB = ROOT / "web" / "verifier"
PAGE = WEB / "dist" / "verify.html"
FIXTURES = ROOT / "tests" / "verifier" / "fixtures"
CHROMIUM_FLAGS = ("--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
                  "--disable-background-networking", "--disable-component-update", "--disable-sync")


def unavailable(reason: str) -> None:
    """Skip (printing why), or fail under CI where every tool must be installed."""
    print(f"verifier page tests: {reason}")
    if os.environ.get("CI"):
        pytest.fail(f"{reason} (CI installs it: see .ci/run and the Makefile)")
    pytest.skip(reason)


def node_project() -> Path:
    """The page's Node project with its locked dependencies installed (npm ci when missing)."""
    if shutil.which("node") is None:
        unavailable("node is not installed")
    if not (WEB / "node_modules" / "@noble" / "curves").is_dir():
        if shutil.which("npm") is None:
            unavailable("npm is not installed")
        done = subprocess.run(["npm", "ci", "--no-audit", "--no-fund"], cwd=WEB, capture_output=True, text=True, timeout=300)
        if done.returncode != 0:
            unavailable(f"npm ci failed in web/verifier: {done.stderr.strip()[-400:]}")
    return WEB


def python_verdict(data: bytes, key: bytes, epoch: str | None = None, user: str | None = None) -> tuple[str, str | None, list[str]]:
    """What `solvency-verify proof` decides for these bytes: (verdict, reason, checks passed).

    The same dispatch as the CLI: a canonical JSON object of type ``proof-bundle`` is verified as a
    bundle (SPEC 13), anything else as a bare proof (SPEC 6).
    """
    from verifier import canonical
    from verifier.amounts import format_amount
    from verifier.bundle import is_bundle, verify_bundle
    from verifier.errors import CannotVerify, VerificationError
    from verifier.proof import verify_proof

    try:
        bundled = is_bundle(canonical.loads(data))
    except VerificationError:
        bundled = False
    try:
        if bundled:
            facts = verify_bundle(data, key, expected_epoch=epoch, expected_user=user)
        else:
            facts = verify_proof(data, key, expected_epoch=epoch, expected_user=user)  # type: ignore[assignment]
        proof = facts.proof if bundled else facts
        # The CLI's last line for a valid proof (verifier/commands/proof.py), the page's too.
        balances = ", ".join(format_amount(a, b) for a, b in zip(proof.assets, proof.balances, strict=True))
        return "valid", None, [*facts.checked, f"your balances: {balances}"]
    except VerificationError as exc:
        return "invalid", str(exc.reason), list(exc.passed)
    except CannotVerify as exc:
        return "inconclusive", str(exc.reason), list(exc.passed)


def b64url(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def fragment(bundle: bytes, key: str, epoch: str | None = None, user: str | None = None) -> str:
    """The URL fragment a bank's app opens the page with (values are URL-safe as they are)."""
    from urllib.parse import quote

    parts = [f"bundle={b64url(bundle)}", f"key={quote(key, safe='')}"]
    if epoch is not None:
        parts.append(f"epoch={quote(epoch, safe='')}")
    if user is not None:
        parts.append(f"user={quote(user, safe='')}")
    return "#" + "&".join(parts)


@contextmanager
def chromium() -> Iterator[Any]:
    """A headless Debian chromium under chromium-driver, with a fresh profile and no network."""
    try:
        from selenium import webdriver
        from selenium.webdriver.chrome.service import Service
    except ImportError:
        unavailable("selenium is not installed (pip install -e '.[dev]')")
    binary = shutil.which("chromium") or shutil.which("chromium-browser")
    driver_path = shutil.which("chromedriver")
    if binary is None or driver_path is None:
        unavailable("chromium and chromium-driver are not installed (apt-get install -y chromium chromium-driver)")
    profile = tempfile.mkdtemp(prefix="pos-web-chromium-")
    options = webdriver.ChromeOptions()
    options.binary_location = binary
    for flag in CHROMIUM_FLAGS:
        options.add_argument(flag)
    options.add_argument(f"--user-data-dir={profile}")
    options.set_capability("goog:loggingPrefs", {"performance": "ALL", "browser": "ALL"})
    driver = webdriver.Chrome(service=Service(executable_path=driver_path), options=options)
    try:
        yield driver
    finally:
        driver.quit()
        shutil.rmtree(profile, ignore_errors=True)


def read_verdict(driver: Any, timeout: float = 20.0) -> tuple[str, str | None, list[str]]:
    """The page's verdict element once it holds a verdict: (verdict, reason or None, checks passed)."""
    deadline = time.monotonic() + timeout
    while True:
        got = driver.execute_script(
            "const o = document.getElementById('verdict');"
            "return o && o.dataset.verdict ? [o.dataset.verdict, o.dataset.reason,"
            " Array.from(document.querySelectorAll('#checks li'), li => li.textContent)] : null;")
        if got:
            verdict, reason, checked = got
            return verdict, (reason or None), checked
        if time.monotonic() > deadline:
            raise AssertionError("the page showed no verdict")
        time.sleep(0.02)


def open_page(driver: Any, url_fragment: str) -> tuple[str, str | None, list[str]]:
    """Load the page afresh with this fragment and read its verdict."""
    driver.get("about:blank")
    driver.get(PAGE.as_uri() + url_fragment)
    return read_verdict(driver)


def requests_made(driver: Any) -> list[str]:
    """URLs the browser requested since the last call (Chrome's performance log), other than the page's own file."""
    import json

    urls = []
    for entry in driver.get_log("performance"):
        message = json.loads(entry["message"])["message"]
        if message.get("method") == "Network.requestWillBeSent":
            urls.append(message["params"]["request"]["url"])
    # Chrome's own pages (chrome://, about:) are the browser's, not the page's; every other scheme
    # (http, https, ws, ftp, another file) would be a request the page made; data: URLs (the file
    # picker's icon) never leave the browser.
    page = driver.current_url.split("#")[0]
    return [u for u in urls if not u.startswith((page, PAGE.as_uri(), "about:", "chrome:", "chrome-untrusted:", "devtools:", "data:"))]
