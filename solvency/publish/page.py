"""The browser verifier page in the published directory (docs/SPEC.md 11.1; issue 15).

``PUBDIR/verify.html`` is the project's verifier page (``web/verifier/dist/verify.html``, one
self-contained HTML file built reproducibly from ``web/verifier``): the bank serves it next to its
epochs so that its users can check their proof bundle in a browser, without installing anything
and without sending the bundle anywhere. It belongs to no epoch and the bank does not sign it:
its integrity is the SHA-256 the project publishes (README), never the bank's word. `install_page`
writes it atomically at every seal (epoch directories are never modified), so the directory
carries the page of the toolkit that sealed the latest epoch.

`page_link` is the ``file://`` (or served) link a bank's app opens: the bundle, the pinned key,
the epoch and the user in the URL fragment, which a browser never sends to any server.
"""

from __future__ import annotations

import base64
import os
from pathlib import Path
from urllib.parse import quote

from solvency.atomic import atomic_write

PAGE_NAME = "verify.html"
SHIPPED_PAGE = Path(__file__).resolve().parents[2] / "web" / "verifier" / "dist" / PAGE_NAME


def install_page(pubdir: str | os.PathLike[str]) -> Path | None:
    """Write the shipped page as ``PUBDIR/verify.html``; None when this install ships no page
    (an install without the source tree's ``web/``)."""
    if not SHIPPED_PAGE.is_file():
        return None
    target = Path(pubdir) / PAGE_NAME
    data = SHIPPED_PAGE.read_bytes()
    if not target.is_file() or target.read_bytes() != data:
        atomic_write(target, data)
    return target


def page_link(page: Path, bundle: bytes, public_key_hex: str, epoch: str | None = None, user: str | None = None) -> str:
    """The page's link filled with a bundle (base64url), the pinned key, and optionally the
    expected epoch and user id, all in the fragment."""
    parts = ["bundle=" + base64.urlsafe_b64encode(bundle).rstrip(b"=").decode(), "key=" + public_key_hex]
    if epoch is not None:
        parts.append("epoch=" + quote(epoch, safe=""))
    if user is not None:
        parts.append("user=" + quote(user, safe=""))
    return page.resolve().as_uri() + "#" + "&".join(parts)
