// Epoch commitments `epoch.json` and signed log heads `log-head.json` (docs/SPEC.md 11.2-11.3;
// verifier/epoch.py), each with its check list: schema, signature under the pinned key, and for
// the head its inclusion and consistency proofs against its own size and root (SPEC 10).

import { Invalid, REASONS, rebrand } from "./reasons.js";
import { checkFormat, epochId, equalBytes, hexBytes, integer, members, optional, utcTime } from "./schema.js";
import { artifactHash, readSigner, verifyArtifactSignature } from "./signature.js";
import { parseStatement } from "./statement.js";
import { runSteps, step } from "./steps.js";
import { parseConsistency, parseInclusion, verifyConsistencyProof, verifyInclusionProof } from "./translog.js";

export const EPOCH_FORMAT = "pos-epoch/1";
export const LOG_HEAD_FORMAT = "pos-log-head/1";
const E = REASONS.EPOCH_SCHEMA;
const EPOCH_MEMBERS = new Set(["format", "type", "epoch", "sequence", "as_of", "liabilities_commitment", "asset_attestation",
  "solvency", "previous", "signer_key_id", "signature"]);
const LOG_HEAD_MEMBERS = new Set(["format", "type", "epoch", "epoch_hash", "log_size", "log_root", "inclusion", "consistency",
  "signer_key_id", "signature"]);

function parsePrevious(doc) {
  members(doc, new Set(["epoch", "epoch_hash"]), "epoch.previous", E);
  return { epoch: epochId(doc.epoch, "epoch.previous.epoch", E), epochHash: hexBytes(doc.epoch_hash, "epoch.previous.epoch_hash", E) };
}

/** The format marker, then the exact schema of SPEC 11.2. */
export function parseEpoch(doc) {
  checkFormat(doc, EPOCH_FORMAT, "epoch", E);
  members(doc, EPOCH_MEMBERS, "epoch", E);
  const epoch = epochId(doc.epoch, "epoch.epoch", E);
  const sequence = integer(doc.sequence, "epoch.sequence", E, 0);
  const asOf = utcTime(doc.as_of, "epoch.as_of", E);
  const liabilitiesCommitment = hexBytes(doc.liabilities_commitment, "epoch.liabilities_commitment", E);
  const assetAttestation = optional(doc.asset_attestation, (v) => hexBytes(v, "epoch.asset_attestation", E));
  const solvency = optional(doc.solvency, (value) => {
    try {
      parseStatement(value, "epoch.solvency", E);
    } catch (exc) {
      throw new Invalid(`epoch.solvency is not a solvency statement (SPEC 8.7): ${exc.message}`, E);
    }
    return value;
  });
  if ((assetAttestation === null) !== (solvency === null)) {
    throw new Invalid("epoch.solvency must be null exactly when epoch.asset_attestation is (a statement needs the "
      + "attestation it follows from)", REASONS.STATEMENT_MISMATCH);
  }
  if ((sequence === 0) !== (doc.previous === null)) {
    throw new Invalid("epoch.previous is null exactly for the first epoch (sequence 0)", REASONS.EPOCH_CHAIN_BROKEN);
  }
  const previous = optional(doc.previous, parsePrevious);
  const { signer, signature } = readSigner(doc, "epoch", E);
  return Object.freeze({
    doc, epoch, sequence, asOf, liabilitiesCommitment, assetAttestation, solvency, previous,
    signerKeyId: signer, signature, epochHash: artifactHash(doc),
  });
}

/** The format marker, then the exact schema of SPEC 11.3 (the proofs' own schema, SPEC 10.3). */
export function parseLogHead(doc) {
  checkFormat(doc, LOG_HEAD_FORMAT, "log-head", E);
  members(doc, LOG_HEAD_MEMBERS, "log-head", E);
  const epoch = epochId(doc.epoch, "log-head.epoch", E);
  const epochHash = hexBytes(doc.epoch_hash, "log-head.epoch_hash", E);
  const logSize = integer(doc.log_size, "log-head.log_size", E, 1);
  const logRoot = hexBytes(doc.log_root, "log-head.log_root", E);
  let inclusion;
  let consistency;
  try {
    inclusion = parseInclusion(doc.inclusion);
    consistency = optional(doc.consistency, parseConsistency);
  } catch (exc) {
    throw rebrand(exc, "log-head: ");
  }
  const { signer, signature } = readSigner(doc, "log-head", E);
  return Object.freeze({ doc, epoch, epochHash, logSize, logRoot, inclusion, consistency, signerKeyId: signer, signature });
}

// SPEC 11.2 (the first check of 11.4 for one epoch.json).
export const EPOCH_CHECKS = Object.freeze([
  step(`epoch.json schema (${EPOCH_FORMAT})`, (s) => { s.epoch = parseEpoch(s.doc); }),
  step("epoch.json signed by the pinned bank key", (s) => { verifyArtifactSignature(s.epoch.doc, s.epoch.signature, s.key); }),
]);

export function verifyEpoch(doc, key) {
  const state = { doc, key };
  runSteps(EPOCH_CHECKS, state);
  return state.epoch;
}

function headInclusion(state) {
  const { head } = state;
  const inc = head.inclusion;
  if (inc.logSize !== head.logSize || !equalBytes(inc.logRoot, head.logRoot) || !equalBytes(inc.entry, head.epochHash)) {
    throw new Invalid("the inclusion proof is not for this head's size, root and epoch hash", REASONS.LOG_HEAD_MISMATCH);
  }
  verifyInclusionProof(inc);
}

function headConsistency(state) {
  const { head } = state;
  if (head.consistency === null) {
    if (head.logSize !== 1) throw new Invalid("only the head of a one-entry log may omit its consistency proof", REASONS.LOG_HEAD_MISMATCH);
    return;
  }
  if (head.consistency.secondSize !== head.logSize || !equalBytes(head.consistency.secondRoot, head.logRoot)) {
    throw new Invalid("the consistency proof does not end at this head", REASONS.LOG_HEAD_MISMATCH);
  }
  verifyConsistencyProof(head.consistency);
}

// SPEC 11.3: the head's schema and signature, then its two proofs against its own size and root.
export const LOG_HEAD_CHECKS = Object.freeze([
  step(`log-head.json schema (${LOG_HEAD_FORMAT})`, (s) => { s.head = parseLogHead(s.doc); }),
  step("log-head.json signed by the pinned bank key", (s) => { verifyArtifactSignature(s.head.doc, s.head.signature, s.key); }),
  step("the epoch's inclusion proof in the log verifies (RFC 9162)", headInclusion),
  step("the consistency proof from the previous head verifies (RFC 9162)", headConsistency),
]);

export function verifyLogHead(doc, key) {
  const state = { doc, key };
  runSteps(LOG_HEAD_CHECKS, state);
  return state.head;
}
