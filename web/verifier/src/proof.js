// A user's inclusion proof (docs/SPEC.md section 5) and its check list (section 6), as
// verifier/proof.py: PROOF_CHECKS are the ten checks of SPEC 6 as named steps in the SPEC's
// order, with the names and sentences `solvency-verify proof` prints. The first failure throws
// `Invalid` (reason = the SPEC's code, `passed` = the checks before it) or `CannotVerify`.
//
// Threat model: the bank chooses every byte. A valid proof shows that, under the pinned bank key,
// the bank signed a commitment for this epoch whose root sums include this user's balances, with
// no negative or out-of-range sibling sum on the user's path.

import { dumps, loads } from "./canonical.js";
import { checkPrivacyVersion, parseCommitment, FORMAT } from "./commitment.js";
import { LEAF_VALUE_LIMIT, SUM_LIMIT, SumOverflow, foldPath, userIdBytes, userLeafHash } from "./encoding.js";
import { Invalid, REASONS, rebrand } from "./reasons.js";
import { amounts, bytesToHex, checkFormat, equalBytes, hexBytes, integer, isObject, members, text } from "./schema.js";
import { verifyArtifactSignature } from "./signature.js";
import { SKIPPED, runSteps, step } from "./steps.js";

const PROOF_MEMBERS = new Set(["balances", "commitment", "epoch", "format", "leaves", "type", "user_id"]);
const LEAF_MEMBERS = new Set(["balances", "index", "path", "salt"]);
const MAX_LEAVES_PER_USER = 64;
const S = REASONS.SCHEMA;

/** Python's repr() of a string, as the CLI's messages write user ids and epochs. */
export function pyRepr(s) {
  const quote = s.includes("'") && !s.includes('"') ? '"' : "'";
  let out = quote;
  for (const ch of s) {
    const code = ch.codePointAt(0);
    if (ch === "\\" || ch === quote) out += "\\" + ch;
    else if (ch === "\n") out += "\\n";
    else if (ch === "\r") out += "\\r";
    else if (ch === "\t") out += "\\t";
    else if (code < 0x20 || (code >= 0x7f && code <= 0xa0) || code === 0xad) out += "\\x" + code.toString(16).padStart(2, "0");
    else out += ch;
  }
  return out + quote;
}

function parseSibling(doc, m, where) {
  members(doc, new Set(["hash", "sums"]), where, S);
  return { hash: hexBytes(doc.hash, `${where}.hash`, S), sums: amounts(doc.sums, m, `${where}.sums`, S) };
}

function parseLeaf(doc, m, where) {
  members(doc, LEAF_MEMBERS, where, S);
  const index = integer(doc.index, `${where}.index`, S);
  const salt = hexBytes(doc.salt, `${where}.salt`, S);
  const balances = amounts(doc.balances, m, `${where}.balances`, S);
  if (!Array.isArray(doc.path)) throw new Invalid(`${where}.path must be a list`, S);
  const path = doc.path.map((sib, level) => parseSibling(sib, m, `${where}.path[${level}]`));
  return { index, salt, balances, path };
}

/** The format marker, then the exact schema of a proof and its commitment (SPEC 5). */
export function parseProof(doc) {
  checkFormat(doc, FORMAT, "proof", S);
  members(doc, PROOF_MEMBERS, "proof", S);
  const userId = text(doc.user_id, "proof.user_id", S);
  try {
    userIdBytes(userId);
  } catch (exc) {
    throw new Invalid(`proof.user_id: ${exc.message}`, S);
  }
  const epoch = text(doc.epoch, "proof.epoch", S);
  let commitment;
  try {
    commitment = parseCommitment(doc.commitment);
  } catch (exc) {
    throw rebrand(exc, "embedded commitment: ");
  }
  const m = commitment.assets.length;
  const balances = amounts(doc.balances, m, "proof.balances", S);
  const raw = doc.leaves;
  if (!Array.isArray(raw) || raw.length < 1 || raw.length > MAX_LEAVES_PER_USER) {
    throw new Invalid(`proof.leaves must list 1..${MAX_LEAVES_PER_USER} leaves`, S);
  }
  const leaves = raw.map((leaf, i) => parseLeaf(leaf, m, `proof.leaves[${i}]`));
  return { epoch, userId, balances, leaves, commitment };
}

function load(data, what) {
  try {
    if (data instanceof Uint8Array) return loads(data);
    dumps(data);
    return data;
  } catch (exc) {
    throw rebrand(exc, `${what}: `);
  }
}

function checkEncoding(state) {
  state.doc = load(state.data, "proof");
  if (state.publishedData != null) state.publishedDoc = load(state.publishedData, "commitment");
}

function checkVersion(state) {
  checkFormat(state.doc, FORMAT, "proof", S);
  if (isObject(state.doc.commitment)) {
    checkFormat(state.doc.commitment, FORMAT, "commitment", S);
    checkPrivacyVersion(state.doc.commitment);
  }
  if (state.publishedDoc != null) {
    checkFormat(state.publishedDoc, FORMAT, "commitment", S);
    checkPrivacyVersion(state.publishedDoc);
  }
}

function checkSchema(state) {
  const proof = (state.proof = parseProof(state.doc));
  if (proof.epoch !== proof.commitment.epoch) {
    throw new Invalid(`the proof is for epoch ${pyRepr(proof.epoch)} but its commitment for ${pyRepr(proof.commitment.epoch)}`,
      REASONS.EPOCH_MISMATCH);
  }
  if (state.publishedDoc == null) return "schema of proof and commitment";
  const published = parseCommitment(state.publishedDoc);
  if (!equalBytes(dumps(published.doc), dumps(proof.commitment.doc))) {
    throw new Invalid("the commitment inside the proof differs from the published commitment", REASONS.COMMITMENT_MISMATCH);
  }
  return "schema of proof and commitment (equal to the published commitment)";
}

function checkPathLength(state) {
  const { height } = state.proof.commitment;
  state.proof.leaves.forEach((leaf, i) => {
    if (leaf.path.length !== height) {
      throw new Invalid(`leaf ${i}: the path has ${leaf.path.length} levels but the tree height is ${height}`, REASONS.PATH_LENGTH);
    }
  });
  return `every path has ${height} levels (the committed height)`;
}

function checkIndexes(state) {
  const count = state.proof.commitment.leafCount;
  const indexes = state.proof.leaves.map((leaf) => leaf.index);
  indexes.forEach((index, i) => {
    if (!(index >= 0 && index < count)) throw new Invalid(`leaf ${i}: index ${index} is outside [0, ${count})`, REASONS.INDEX_RANGE);
  });
  if (new Set(indexes).size !== indexes.length) throw new Invalid("two leaves of the proof share an index", REASONS.DUPLICATE_LEAF_INDEX);
  if (indexes.some((v, i) => i > 0 && v < indexes[i - 1])) throw new Invalid("the leaves of the proof are not sorted by index", REASONS.INDEX_ORDER);
  return `leaf indexes within [0, ${count}), distinct and sorted`;
}

// SPEC 6 step 5: one leaf per part when the commitment states its split (SPEC 4 `privacy`).
function checkSplit(state) {
  const { privacy } = state.proof.commitment;
  if (privacy === null) return SKIPPED;
  const count = state.proof.leaves.length;
  if (count !== privacy.split) {
    throw new Invalid(`the proof lists ${count} leaves; the commitment states that every balance is split into ${privacy.split}`,
      REASONS.SPLIT_MISMATCH);
  }
  return `one leaf per part (${privacy.split}, as the commitment states)`;
}

function checkLeaves(state) {
  const { proof } = state;
  const com = proof.commitment;
  if (state.expectedUser != null && proof.userId !== state.expectedUser) {
    throw new Invalid(`the proof is for user ${pyRepr(proof.userId)}, not ${pyRepr(state.expectedUser)}`, REASONS.WRONG_USER);
  }
  const inRange = (b) => b >= 0n && b < LEAF_VALUE_LIMIT;
  proof.leaves.forEach((leaf, i) => {
    if (!leaf.balances.every(inRange)) throw new Invalid(`leaf ${i}: a balance is outside [0, 2^64)`, REASONS.LEAF_VALUE_RANGE);
  });
  if (!proof.balances.every(inRange)) throw new Invalid("a total balance is outside [0, 2^64)", REASONS.LEAF_VALUE_RANGE);
  const totals = proof.balances.map((_, j) => proof.leaves.reduce((sum, leaf) => sum + leaf.balances[j], 0n));
  if (totals.some((t, j) => t !== proof.balances[j])) {
    throw new Invalid("the leaf balances do not add up to the stated balances", REASONS.BALANCE_MISMATCH);
  }
  state.leafHashes = proof.leaves.map((leaf) => userLeafHash(com.epoch, com.assets, proof.userId, leaf.salt, leaf.balances));
  return `${proof.leaves.length} leaf hash(es) recomputed from user id ${pyRepr(proof.userId)}, salt(s) and balances`;
}

function checkSiblingSums(state) {
  const { assets } = state.proof.commitment;
  state.proof.leaves.forEach((leaf, i) => {
    leaf.path.forEach((sib, level) => {
      sib.sums.forEach((value, j) => {
        const where = `leaf ${i}, level ${level}: sibling sum for ${assets[j]}`;
        if (value < 0n) throw new Invalid(`${where} is negative (${value})`, REASONS.NEGATIVE_SUM);
        if (value >= SUM_LIMIT) throw new Invalid(`${where} is >= 2^128`, REASONS.SUM_OUT_OF_RANGE);
      });
    });
  });
}

function checkRoot(state) {
  const com = state.proof.commitment;
  state.proof.leaves.forEach((leaf, i) => {
    let folded;
    try {
      folded = foldPath(state.leafHashes[i], leaf.balances, leaf.index, leaf.path);
    } catch (exc) {
      if (exc instanceof SumOverflow) throw new Invalid(`leaf ${i}: ${exc.message}`, REASONS.SUM_OVERFLOW);
      throw exc;
    }
    if (!equalBytes(folded.hash, com.rootHash)) {
      throw new Invalid(`leaf ${i}: the path folds to ${bytesToHex(folded.hash)}, not the committed root ${bytesToHex(com.rootHash)}`,
        REASONS.ROOT_HASH_MISMATCH);
    }
    if (folded.sums.some((s, j) => s !== com.rootSums[j])) {
      throw new Invalid(`leaf ${i}: the path's root sums [${folded.sums.join(", ")}] differ from the committed [${com.rootSums.join(", ")}]`,
        REASONS.ROOT_SUM_MISMATCH);
    }
  });
}

function checkSignature(state) {
  const com = state.proof.commitment;
  try {
    verifyArtifactSignature(com.doc, com.signature, state.key);
  } catch (exc) {
    throw rebrand(exc, "commitment: ");
  }
  return `commitment signed by the pinned bank key ${com.signerKeyId}`;
}

function checkEpoch(state) {
  const expected = state.expectedEpoch;
  if (expected == null) return SKIPPED;
  const { epoch } = state.proof.commitment;
  if (epoch !== expected) {
    throw new Invalid(`the proof is for epoch ${pyRepr(epoch)}, not the expected ${pyRepr(expected)} (replayed old proof?)`, REASONS.WRONG_EPOCH);
  }
  return `epoch is the expected ${pyRepr(expected)}`;
}

// SPEC 6, in its order; the names are what the CLI prints for a passed check.
export const PROOF_CHECKS = Object.freeze([
  step("canonical JSON encoding (SPEC 2.2)", checkEncoding),
  step(`format version ${FORMAT}`, checkVersion),
  step("schema of proof and commitment", checkSchema),
  step("every path has the committed height", checkPathLength),
  step("leaf indexes within the tree, distinct and sorted", checkIndexes),
  step("one leaf per committed part (privacy.split)", checkSplit),
  step("leaf hashes recomputed from the user id, salts and balances", checkLeaves),
  step("every sibling sum is >= 0 and < 2^128", checkSiblingSums),
  step("every path folds to the committed root hash and root sums", checkRoot),
  step("commitment signed by the pinned bank key", checkSignature),
  step("epoch is the expected one", checkEpoch),
]);

/** Run SPEC 6's check list on proof bytes (or its parsed object); return the facts and the checks passed. */
export function verifyProof(data, key, { commitment = null, expectedEpoch = null, expectedUser = null } = {}) {
  const state = { data, key, publishedData: commitment, expectedEpoch, expectedUser };
  const checked = runSteps(PROOF_CHECKS, state);
  const { proof } = state;
  const com = proof.commitment;
  return {
    userId: proof.userId,
    epoch: com.epoch,
    asOf: com.asOf,
    assets: com.assets,
    balances: proof.balances,
    leafIndexes: proof.leaves.map((leaf) => leaf.index),
    rootHash: bytesToHex(com.rootHash),
    rootSums: com.rootSums,
    leafCount: com.leafCount,
    signerKeyId: com.signerKeyId,
    balanceDefinition: com.balanceDefinition,
    commitmentDoc: com.doc,
    checked,
  };
}
