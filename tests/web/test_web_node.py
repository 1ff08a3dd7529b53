"""The verifier page's Node side: its own test suite (the SPEC vectors against the page's
verification code, `node --test`), the reproducible build (the committed page equals a fresh
build from the lockfile), its reason codes, its Content-Security-Policy, and the SHA-256 the
README publishes for it."""

from __future__ import annotations

import hashlib
import re
import subprocess

from page_harness import PAGE, ROOT, WEB, node_project


def test_node_runs_the_spec_vectors_against_the_page_code():
    node_project()
    done = subprocess.run(["node", "--test", "test/"], cwd=WEB, capture_output=True, text=True, timeout=300)
    print(done.stdout[-1500:])
    assert done.returncode == 0, done.stdout[-4000:] + done.stderr[-2000:]
    passed = int(re.search(r"^# pass (\d+)$", done.stdout, re.M).group(1))
    assert passed >= 40 and re.search(r"^# fail 0$", done.stdout, re.M)


def test_the_committed_page_equals_a_fresh_build():
    node_project()
    done = subprocess.run(["node", "build.mjs", "--check"], cwd=WEB, capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stderr


def test_every_reason_code_of_the_page_is_one_of_the_verifier():
    from verifier.errors import Reason

    source = (WEB / "src" / "reasons.js").read_text()
    codes = re.findall(r'^\s+([A-Z_]+): "([A-Z_]+)",$', source, re.M)
    assert len(codes) >= 30
    for name, value in codes:
        assert name == value and value in Reason.__members__, value


def test_the_page_may_run_its_own_inline_script_and_style_only():
    html = PAGE.read_text()
    csp = re.search(r'<meta http-equiv="Content-Security-Policy" content="([^"]+)">', html).group(1)
    assert "default-src 'none'" in csp and "connect-src 'none'" in csp and "form-action 'none'" in csp
    script = re.search(r"<script>(.*)</script>", html, re.S).group(1)
    import base64

    digest = base64.b64encode(hashlib.sha256(script.encode()).digest()).decode()
    assert f"script-src 'sha256-{digest}'" in csp
    assert "<script src" not in html and "<link" not in html and "http://" not in csp and "https://" not in csp


def test_the_readme_lists_the_sha256_of_the_shipped_page():
    digest = hashlib.sha256(PAGE.read_bytes()).hexdigest()
    readme = (ROOT / "README.md").read_text()
    assert f"{digest}  web/verifier/dist/verify.html" in readme, f"README must list: {digest}  web/verifier/dist/verify.html"
