"""Asset attestation, the bank's side (docs/SPEC.md section 8).

`fields` reads raw tool outputs strictly; `lnd` and `bitcoind` parse lncli and bitcoind JSON;
`snapshot` loads a snapshot directory and enforces the single anchor block; `attest` builds the
attestation with the verifier's own rules (`verifier.assets.rules`, `verifier.assets.attestation`), so the
prover cannot write what the verifier would reject.
"""
