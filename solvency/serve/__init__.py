"""`solvency serve`: the proof service a bank's backend calls for its users' proof bundles.

Galoy's proof-of-sats-plugin answered ``proof(accountId, roothash)`` over GraphQL by rebuilding a
proof per request, for any account id and without authentication. This service instead reads
what ``solvency publish`` already wrote (PUBDIR, SPEC 11.1): the public files of every epoch, the
verifier page, and each epoch's private node store, from which one user's bundle (SPEC 13) is
found in O(log n) and checked by the verifier before it leaves. Proofs need the bank backend's
bearer token; everything else is public. Modules: `publication` (reading PUBDIR, the bundle
bytes), `app` (routes, errors, credential), `metrics` (Prometheus), `server` (start-up).

Web stack: aiohttp (``aiohttp.web``), from PyPI. It is a maintained production HTTP/1.1 server
with a C-accelerated parser, explicit bounds on request line, header and body sizes, and a client
in the same package (used by the tests and the benchmark), in one dependency; the service needs
no framework beyond routing and a middleware. Starlette would need uvicorn and a client beside
it for the same result. aiohttp is imported only when the command runs.
"""
