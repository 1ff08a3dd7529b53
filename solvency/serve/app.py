"""The HTTP API of the proof service (docs/SERVE.md documents every route and error).

Routes (GET, and HEAD for the same):

* ``/`` a small index; ``/v1/epochs`` the epochs list; ``/v1/epochs/{epoch}/{file}`` an epoch's
  public files verbatim (SPEC 11.1); ``/v1/log-head`` the newest epoch's log head;
  ``/verify.html`` the verifier page; ``/metrics`` the service's Prometheus metrics. Public: they
  hold nothing that is not published anyway (the metrics' labels are route names and status
  codes).
* ``/v1/epochs/{epoch}/proofs/{user_id}`` one user's proof bundle (SPEC 13 bytes), only with
  ``Authorization: Bearer <token>``: a proof reveals the user's balance.

Every failure is a JSON error body (`error_body`, format ``pos-serve-error/1``) with the status
code of `ERRORS`; the middleware turns every exception into one, so no traceback and no server
path ever reaches a client (details go to the service's log on stderr). Checks on a proof
request run in this order: credential (401), user id and epoch id syntax (400), epoch published
(404), epoch readable (503), user in that epoch (404). The unknown-user answer is the same bytes
for every unknown id of an epoch, whether or not the id exists in another epoch.

Threat model: the token is the only secret; it is compared in constant time (SHA-256 of both
sides, `hmac.compare_digest`). Requests carry no body (one is refused with 413) and their line and
headers are bounded (`LIMITS`). Proof requests run on the event loop: a lookup is O(log n) over a
memory-mapped store and takes well under a millisecond, so there is nothing to gain from threads
under the GIL.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import logging
import time
from collections.abc import Awaitable, Callable
from typing import Any

from aiohttp import web

from solvency.serve.metrics import ServiceMetrics
from solvency.serve.publication import (
    PUBLIC_FILES,
    BadRequest,
    EpochUnavailable,
    NoSuchUser,
    Publication,
    UnknownEpoch,
)

ERROR_FORMAT = "pos-serve-error/1"
EPOCHS_FORMAT = "pos-serve-epochs/1"
JSON_TYPE = "application/json"

#: Bounds on what a client may send: the request line, each header, and any body (none is taken).
LIMITS = {"max_line_size": 4096, "max_field_size": 8192, "client_max_size": 1024}

#: Error code -> HTTP status; the codes are the ``error`` member of every error body.
ERRORS = {
    "BAD_REQUEST": 400, "UNAUTHORIZED": 401, "NOT_FOUND": 404, "UNKNOWN_EPOCH": 404, "UNKNOWN_USER": 404,
    "METHOD_NOT_ALLOWED": 405, "REQUEST_TOO_LARGE": 413, "INTERNAL": 500, "EPOCH_UNAVAILABLE": 503,
}

log = logging.getLogger("solvency.serve")

Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]


class ApiError(Exception):
    def __init__(self, code: str, message: str) -> None:
        super().__init__(message)
        self.code = code
        self.status = ERRORS[code]


def error_body(code: str, message: str) -> bytes:
    return json.dumps({"error": code, "format": ERROR_FORMAT, "message": message, "status": ERRORS[code]},
                      sort_keys=True).encode() + b"\n"


def _json(value: Any) -> web.Response:
    return web.Response(body=json.dumps(value, sort_keys=True).encode() + b"\n", content_type=JSON_TYPE)


def _translate(exc: BaseException) -> ApiError:
    """The client-facing error of an exception; the message never holds a path or a traceback."""
    if isinstance(exc, ApiError):
        return exc
    if isinstance(exc, BadRequest):
        return ApiError("BAD_REQUEST", str(exc))
    if isinstance(exc, UnknownEpoch):
        return ApiError("UNKNOWN_EPOCH", "no such published epoch")
    if isinstance(exc, NoSuchUser):
        return ApiError("UNKNOWN_USER", "this epoch has no proof for this user id")
    if isinstance(exc, EpochUnavailable):
        return ApiError("EPOCH_UNAVAILABLE", "this epoch's files cannot be read right now; other epochs are served")
    if isinstance(exc, web.HTTPMethodNotAllowed):
        return ApiError("METHOD_NOT_ALLOWED", f"only GET and HEAD are served here, not {exc.method}")
    if isinstance(exc, web.HTTPRequestEntityTooLarge):
        return ApiError("REQUEST_TOO_LARGE", "this service takes no request body")
    if isinstance(exc, web.HTTPNotFound):
        return ApiError("NOT_FOUND", "no such route; see GET / for the routes")
    if isinstance(exc, web.HTTPClientError):
        return ApiError("BAD_REQUEST", exc.reason)
    return ApiError("INTERNAL", "internal error; the service's log has the details")


class ProofService:
    """The aiohttp application over one `Publication`, guarded by one bearer token."""

    def __init__(self, publication: Publication, token: str, metrics: ServiceMetrics | None = None) -> None:
        self.publication = publication
        self._token_digest = hashlib.sha256(token.encode()).digest()
        self.metrics = metrics if metrics is not None else ServiceMetrics()

    def app(self) -> web.Application:
        app = web.Application(middlewares=[self._errors], client_max_size=LIMITS["client_max_size"])
        routes = [
            ("/", self.index, "index"), ("/v1/epochs", self.epochs, "epochs"), ("/v1/log-head", self.log_head, "log_head"),
            ("/verify.html", self.verify_page, "verify_page"), ("/metrics", self.metrics_page, "metrics"),
            ("/v1/epochs/{epoch}/proofs/{user_id:[\\s\\S]+}", self.proof, "proof"),
            ("/v1/epochs/{epoch}/{file}", self.epoch_file, "epoch_file"),
        ]
        for path, handler, name in routes:
            app.router.add_get(path, handler, name=name)
        return app

    @web.middleware
    async def _errors(self, request: web.Request, handler: Handler) -> web.StreamResponse:
        started = time.perf_counter()
        route = request.match_info.route.name or "other"
        error: ApiError | None = None
        try:
            if request.body_exists:
                raise ApiError("REQUEST_TOO_LARGE", "this service takes no request body")
            response = await handler(request)
        except Exception as exc:  # every failure becomes a JSON error; details only in the log
            error = _translate(exc)
            if error.status >= 500:
                log.error("%s %s -> %d %s: %s", request.method, route, error.status, error.code, exc,
                          exc_info=error.code == "INTERNAL")
            response = web.Response(status=error.status, body=error_body(error.code, str(error)), content_type=JSON_TYPE)
            if error.code == "UNAUTHORIZED":
                response.headers["WWW-Authenticate"] = 'Bearer realm="solvency"'
        response.headers["Cache-Control"] = "no-store" if route == "proof" else "no-cache"
        response.headers["X-Content-Type-Options"] = "nosniff"
        self.metrics.observe(route, response.status, time.perf_counter() - started, None if error is None else error.code)
        return response

    def _authorize(self, request: web.Request) -> None:
        scheme, _, presented = request.headers.get("Authorization", "").partition(" ")
        digest = hashlib.sha256(presented.strip().encode("utf-8", "surrogateescape")).digest()
        if not (hmac.compare_digest(digest, self._token_digest) and scheme.lower() == "bearer"):
            raise ApiError("UNAUTHORIZED", "a proof needs the bank backend's credential: Authorization: Bearer <token>")

    async def index(self, request: web.Request) -> web.Response:
        return _json({"format": "pos-serve-index/1", "routes": [
            "GET /v1/epochs", "GET /v1/epochs/{epoch}/{file}", "GET /v1/log-head", "GET /verify.html",
            "GET /v1/epochs/{epoch}/proofs/{user_id} (Authorization: Bearer)", "GET /metrics"]})

    async def epochs(self, request: web.Request) -> web.Response:
        good, bad = self.publication.summaries()
        return _json({"epochs": [s.to_json() for s in good], "format": EPOCHS_FORMAT,
                      "latest": good[-1].epoch if good else None, "unavailable": bad})

    async def epoch_file(self, request: web.Request) -> web.Response:
        name = request.match_info["file"]
        if name not in PUBLIC_FILES:
            raise ApiError("NOT_FOUND", f"an epoch's public files are {', '.join(PUBLIC_FILES)}")
        try:
            data = self.publication.public_file(request.match_info["epoch"], name)
        except FileNotFoundError:
            raise ApiError("NOT_FOUND", f"this epoch has no {name}") from None
        return web.Response(body=data, content_type=JSON_TYPE)

    async def log_head(self, request: web.Request) -> web.Response:
        return web.Response(body=self.publication.latest_head(), content_type=JSON_TYPE)

    async def verify_page(self, request: web.Request) -> web.Response:
        try:
            data = self.publication.verify_page()
        except FileNotFoundError:
            raise ApiError("NOT_FOUND", "this publication has no verify.html") from None
        return web.Response(body=data, content_type="text/html", charset="utf-8")

    async def metrics_page(self, request: web.Request) -> web.Response:
        body, content_type = self.metrics.exposition()
        response = web.Response(body=body)
        response.headers["Content-Type"] = content_type
        return response

    async def proof(self, request: web.Request) -> web.Response:
        self._authorize(request)
        data = self.publication.bundle(request.match_info["epoch"], request.match_info["user_id"])
        return web.Response(body=data, content_type=JSON_TYPE)
