"""The bitcoin wing of the verifier: asset attestation and proofs of control (docs/SPEC.md section 8).

`artifact` is the typed ``assets.json`` (strict `parse`, `to_json`/`to_bytes`); `attestation` its
check list (SPEC 8.8) as named steps; `statement` the category totals and the solvency statement,
shared with the prover; `rules` the escrow identity; `utxos` the auditor's independent UTXO set
(SPEC 8.9); `address`, `bip322`, `signmessage`, `zbase32` and `challenge` the proof-of-control
formats; `btc_json` the one exact reader of bitcoin amounts. Every failure is an `InvalidAttestation`
carrying a `Reason`, or `CannotVerify` when no verdict can be given (`errors`).
"""
