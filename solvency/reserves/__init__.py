"""The bank's reserves: what it holds, attested from its nodes' raw outputs (docs/SPEC.md section 8).

`fields` reads raw tool outputs strictly; `lnd` and `bitcoind` parse lncli and bitcoind JSON;
`snapshot` loads a snapshot directory and enforces the single anchor block; `attest` builds the
verifier's typed `verifier.assets.artifact.Attestation` with the verifier's own rules
(`verifier.assets.rules`, `verifier.assets.statement`), so the prover cannot write what the
verifier would reject.
"""
