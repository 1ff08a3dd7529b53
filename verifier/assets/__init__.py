"""The bitcoin wing of the verifier: asset attestation and proofs of control (docs/SPEC.md section 8).

`attestation` is the check list; `rules` the counting rules; `utxos` the auditor's independent
UTXO set; `address`, `bip322`, `signmessage`, `zbase32` and `challenge` the proof-of-control
formats; `btc_json` the one exact reader of bitcoin amounts and prices.
"""
