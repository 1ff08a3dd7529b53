// Proof bundles (docs/SPEC.md section 13; verifier/bundle.py): a user's proof with the signed
// epoch and log head that bind it to the bank's published history. BUNDLE_CHECKS run in the
// SPEC's order; the first failure wins with its reason (a proof failure keeps the SPEC 6 code).
//
// Threat model: a bank that shows one user a commitment outside its public history must also
// sign an epoch and a log head including it; the log head's root is what users compare.

import { loads } from "./canonical.js";
import { commitmentHash, parseCommitment } from "./commitment.js";
import { verifyEpoch, verifyLogHead } from "./epoch.js";
import { verifyProof, pyRepr } from "./proof.js";
import { Invalid, REASONS } from "./reasons.js";
import { bytesToHex, checkFormat, equalBytes, isObject, members } from "./schema.js";
import { parseStatement, rowsFollow } from "./statement.js";
import { SKIPPED, runSteps, step } from "./steps.js";

export const BUNDLE_FORMAT = "pos-proof-bundle/1";
const BUNDLE_MEMBERS = new Set(["epoch", "format", "log_head", "proof", "type"]);

export const isBundle = (doc) => isObject(doc) && doc.type === "proof-bundle";

/** Canonical encoding, version and members of a bundle (not its parts). */
export function parseBundle(data) {
  const doc = data instanceof Uint8Array ? loads(data) : data;
  return members(checkFormat(doc, BUNDLE_FORMAT, "proof-bundle", REASONS.BUNDLE_SCHEMA), BUNDLE_MEMBERS, "bundle", REASONS.BUNDLE_SCHEMA);
}

function checkBundleMembers(state) {
  state.doc = parseBundle(state.data);
}

function checkProof(state) {
  state.facts = verifyProof(state.doc.proof, state.key, {
    commitment: state.commitment, expectedEpoch: state.expectedEpoch, expectedUser: state.expectedUser,
  });
  return state.facts.checked;
}

function checkEpoch(state) {
  const epoch = (state.epoch = verifyEpoch(state.doc.epoch, state.key));
  if (epoch.epoch !== state.facts.epoch) {
    throw new Invalid(`the bundle's epoch.json is for ${pyRepr(epoch.epoch)}, the proof for ${pyRepr(state.facts.epoch)}`,
      REASONS.BUNDLE_MISMATCH);
  }
  if (!equalBytes(epoch.liabilitiesCommitment, commitmentHash(state.doc.proof.commitment))) {
    throw new Invalid("epoch.json does not bind the commitment of this proof (liabilities_commitment differs)", REASONS.BUNDLE_MISMATCH);
  }
  return `epoch ${epoch.epoch} (sequence ${epoch.sequence}) is signed by the bank and binds this proof's commitment`;
}

function checkLogHead(state) {
  const { epoch } = state;
  const head = (state.head = verifyLogHead(state.doc.log_head, state.key));
  if (head.epoch !== epoch.epoch || !equalBytes(head.epochHash, epoch.epochHash)) {
    throw new Invalid("the log head is not the head of this epoch", REASONS.BUNDLE_MISMATCH);
  }
  if (head.inclusion.leafIndex !== epoch.sequence) {
    throw new Invalid(`the epoch with sequence ${epoch.sequence} sits at log leaf ${head.inclusion.leafIndex}`, REASONS.BUNDLE_MISMATCH);
  }
  return `the epoch is entry ${head.inclusion.leafIndex} of the bank's transparency log `
    + `(size ${head.logSize}, root ${bytesToHex(head.logRoot).slice(0, 16)}...; RFC 9162 inclusion proof)`;
}

function checkEpochFigures(state) {
  const { epoch } = state;
  const commitment = parseCommitment(state.doc.proof.commitment);
  if (epoch.asOf !== commitment.asOf) {
    throw new Invalid(`epoch.json's as_of ${epoch.asOf} differs from commitment.json's ${commitment.asOf}`, REASONS.AS_OF_MISMATCH);
  }
  if (epoch.solvency !== null && !rowsFollow(parseStatement(epoch.solvency, "statement", REASONS.EPOCH_SCHEMA), commitment)) {
    throw new Invalid("epoch.json's solvency statement does not carry the commitment's root sums as liabilities "
      + "(or a margin is not assets - liabilities)", REASONS.STATEMENT_MISMATCH);
  }
  return "the epoch's cut-off is the commitment's and its statement carries the committed liabilities";
}

// SPEC 13 check 6 needs the attestation (assets.json), which the page does not take: like
// `solvency-verify proof` without --assets, the step is skipped and the statement's assets
// figure stays the bank's word.
function checkAttestation() {
  return SKIPPED;
}

// SPEC 13, in its order.
export const BUNDLE_CHECKS = Object.freeze([
  step(`proof bundle encoding and members (${BUNDLE_FORMAT})`, checkBundleMembers),
  step("the proof passes every check of SPEC 6", checkProof),
  step("epoch.json is signed by the bank and binds this proof's commitment", checkEpoch),
  step("the epoch is in the bank's transparency log", checkLogHead),
  step("the epoch's cut-off and statement agree with the commitment", checkEpochFigures),
  step("the epoch's statement follows from the bound attestation", checkAttestation),
]);

/** SPEC 13: the proof's check list, then the epoch and log-head bindings. Throws Invalid / CannotVerify. */
export function verifyBundle(data, key, { commitment = null, expectedEpoch = null, expectedUser = null } = {}) {
  const state = { data, key, commitment, expectedEpoch, expectedUser };
  const checked = runSteps(BUNDLE_CHECKS, state);
  return { proof: state.facts, epoch: state.epoch, head: state.head, checked };
}
