// Reason codes and the two outcomes of a failed check (docs/SPEC.md sections 6, 9-11, 13).
//
// Every code the page reports is one entry of REASONS, spelt exactly as `verifier.errors.Reason`
// spells it (tests/web checks that each one is a member there), so a script reading
// `data-reason` gets the code `solvency-verify proof --json` prints. `Invalid` is the verdict
// "invalid" (exit 1 of the CLI); `CannotVerify` is "inconclusive" (exit 3): unknown format
// version, unusable key, unreadable input. Neither is ever shown as valid.

export const REASONS = Object.freeze({
  // Generic and encoding (SPEC 2.2, 9).
  INTERNAL_ERROR: "INTERNAL_ERROR",
  UNREADABLE: "UNREADABLE",
  BAD_KEY_FILE: "BAD_KEY_FILE",
  SCHEMA: "SCHEMA",
  NON_CANONICAL_ENCODING: "NON_CANONICAL_ENCODING",
  UNKNOWN_VERSION: "UNKNOWN_VERSION",
  UNSUPPORTED_VERSION: "UNSUPPORTED_VERSION",
  // Signatures (SPEC 2.3).
  BAD_SIGNATURE: "BAD_SIGNATURE",
  WRONG_KEY: "WRONG_KEY",
  // Inclusion proofs (SPEC 6).
  BAD_TREE_SHAPE: "BAD_TREE_SHAPE",
  EPOCH_MISMATCH: "EPOCH_MISMATCH",
  COMMITMENT_MISMATCH: "COMMITMENT_MISMATCH",
  PATH_LENGTH: "PATH_LENGTH",
  INDEX_RANGE: "INDEX_RANGE",
  INDEX_ORDER: "INDEX_ORDER",
  DUPLICATE_LEAF_INDEX: "DUPLICATE_LEAF_INDEX",
  SPLIT_MISMATCH: "SPLIT_MISMATCH",
  LEAF_VALUE_RANGE: "LEAF_VALUE_RANGE",
  BALANCE_MISMATCH: "BALANCE_MISMATCH",
  WRONG_USER: "WRONG_USER",
  NEGATIVE_SUM: "NEGATIVE_SUM",
  SUM_OUT_OF_RANGE: "SUM_OUT_OF_RANGE",
  SUM_OVERFLOW: "SUM_OVERFLOW",
  ROOT_HASH_MISMATCH: "ROOT_HASH_MISMATCH",
  ROOT_SUM_MISMATCH: "ROOT_SUM_MISMATCH",
  WRONG_EPOCH: "WRONG_EPOCH",
  // Transparency log (SPEC 10).
  LOG_CONSISTENCY_INVALID: "LOG_CONSISTENCY_INVALID",
  LOG_INCLUSION_INVALID: "LOG_INCLUSION_INVALID",
  LOG_INDEX_RANGE: "LOG_INDEX_RANGE",
  LOG_PROOF_MALFORMED: "LOG_PROOF_MALFORMED",
  LOG_FORKED: "LOG_FORKED",
  LOG_SIZE_DECREASED: "LOG_SIZE_DECREASED",
  // Epochs and log heads (SPEC 11.2-11.3).
  EPOCH_SCHEMA: "EPOCH_SCHEMA",
  EPOCH_CHAIN_BROKEN: "EPOCH_CHAIN_BROKEN",
  LOG_HEAD_MISMATCH: "LOG_HEAD_MISMATCH",
  AS_OF_MISMATCH: "AS_OF_MISMATCH",
  STATEMENT_MISMATCH: "STATEMENT_MISMATCH",
  // Bundles (SPEC 13).
  BUNDLE_SCHEMA: "BUNDLE_SCHEMA",
  BUNDLE_MISMATCH: "BUNDLE_MISMATCH",
});

function known(reason) {
  if (!Object.hasOwn(REASONS, reason)) throw new Error(`unknown reason code ${reason}`);
  return reason;
}

/** The artifact was read and is invalid; `reason` names the failed check. */
export class Invalid extends Error {
  constructor(message, reason, passed = []) {
    super(message);
    this.reason = known(reason);
    this.passed = passed;
  }
}

/** No verdict can be given (unknown version, unusable key, unreadable input). */
export class CannotVerify extends Error {
  constructor(message, reason, passed = []) {
    super(message);
    this.reason = known(reason);
    this.passed = passed;
  }
}

/** The same failure under another message prefix (Python's `rebrand`): reason and passed kept. */
export function rebrand(exc, prefix) {
  if (!(exc instanceof Invalid) || !prefix) return exc;
  return new Invalid(prefix + exc.message, exc.reason, exc.passed);
}
