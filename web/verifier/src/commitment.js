// The signed liabilities commitment (docs/SPEC.md section 4; verifier/commitment.py).
//
// `parseCommitment` reads the format marker first (unknown: CannotVerify UNSUPPORTED_VERSION),
// then the exact schema (SCHEMA, BAD_TREE_SHAPE, SUM_OUT_OF_RANGE for root sums), in the order
// the Python verifier reads it, so both report the same reason for the same bytes.

import { MAX_ASSETS, MAX_HEIGHT, SUM_LIMIT } from "./encoding.js";
import { CannotVerify, Invalid, REASONS } from "./reasons.js";
import {
  ASSET_RE, amounts, checkFormat, epochId, hexBytes, integer, isObject, members, optional, text, utcTime,
} from "./schema.js";
import { artifactHash, readSigner } from "./signature.js";

export const FORMAT = "pos-mst/1";
const MEMBERS = new Set(["as_of", "assets", "balance_definition", "epoch", "format", "height", "leaf_count", "ledger_digest",
  "root", "signer_key_id", "signature", "type"]);
const LEDGER_HEAD_RE = /^(?:[0-9a-f]{2}){1,64}$/;
const PRIVACY_VERSION = 1;
const MAX_SPLIT = 64;

/** SPEC 4: the version marker `v` of the optional `privacy` member, checked before the schema. */
export function checkPrivacyVersion(doc) {
  const privacy = isObject(doc) ? doc.privacy : undefined;
  if (isObject(privacy) && Object.hasOwn(privacy, "v") && privacy.v !== PRIVACY_VERSION) {
    throw new CannotVerify(`unsupported commitment.privacy version ${JSON.stringify(privacy.v)}; this verifier understands v ${PRIVACY_VERSION} only`,
      REASONS.UNSUPPORTED_VERSION);
  }
}

function privacyOptions(doc, reason) {
  const where = "commitment.privacy";
  checkPrivacyVersion({ privacy: doc });
  members(doc, new Set(["v", "split", "min_leaves"]), where, reason);
  const split = integer(doc.split, `${where}.split`, reason, 1);
  const minLeaves = integer(doc.min_leaves, `${where}.min_leaves`, reason, 2);
  if (split > MAX_SPLIT || minLeaves > 2 ** MAX_HEIGHT) {
    throw new Invalid(`${where}: split must be in 1..${MAX_SPLIT} and min_leaves in 2..2^${MAX_HEIGHT}`, reason);
  }
  return { split, minLeaves };
}

function balanceDefinition(doc, reason) {
  const where = "commitment.balance_definition";
  members(doc, new Set(["name", "content_hash"]), where, reason);
  const name = text(doc.name, `${where}.name`, reason);
  if (!name) throw new Invalid(`${where}.name must be a non-empty string`, reason);
  return { name, contentHash: hexBytes(doc.content_hash, `${where}.content_hash`, reason) };
}

function ledgerDigest(doc, reason) {
  const where = "commitment.ledger_digest";
  members(doc, new Set(["entry_count", "head_hash"]), where, reason);
  return {
    entryCount: integer(doc.entry_count, `${where}.entry_count`, reason, 0),
    headHash: hexBytes(doc.head_hash, `${where}.head_hash`, reason, LEDGER_HEAD_RE),
  };
}

function assetList(value, reason) {
  if (!Array.isArray(value) || value.length < 1 || value.length > MAX_ASSETS
      || !value.every((a) => typeof a === "string" && ASSET_RE.test(a)) || new Set(value).size !== value.length) {
    throw new Invalid(`commitment.assets must be 1..${MAX_ASSETS} distinct codes matching ${ASSET_RE.source}`, reason);
  }
  return [...value];
}

/** The format marker, then the exact schema of a signed commitment (SPEC 4). */
export function parseCommitment(doc, reason = REASONS.SCHEMA) {
  checkFormat(doc, FORMAT, "commitment", reason);
  const privacy = Object.hasOwn(doc, "privacy") ? privacyOptions(doc.privacy, reason) : null;
  members(doc, Object.hasOwn(doc, "privacy") ? new Set([...MEMBERS, "privacy"]) : MEMBERS, "commitment", reason);
  const epoch = epochId(doc.epoch, "commitment.epoch", reason);
  const asOf = utcTime(doc.as_of, "commitment.as_of", reason);
  const assets = assetList(doc.assets, reason);
  const height = integer(doc.height, "commitment.height", reason);
  const leafCount = integer(doc.leaf_count, "commitment.leaf_count", reason);
  if (!(height >= 1 && height <= MAX_HEIGHT) || leafCount !== 2 ** height) {
    throw new Invalid(`commitment: height must be in 1..${MAX_HEIGHT} and leaf_count = 2^height`, REASONS.BAD_TREE_SHAPE);
  }
  if (privacy !== null && leafCount < privacy.minLeaves) {
    throw new Invalid(`commitment: leaf_count ${leafCount} is below the stated privacy.min_leaves ${privacy.minLeaves}`, REASONS.BAD_TREE_SHAPE);
  }
  const root = members(doc.root, new Set(["hash", "sums"]), "commitment.root", reason);
  const rootHash = hexBytes(root.hash, "commitment.root.hash", reason);
  const rootSums = amounts(root.sums, assets.length, "commitment.root.sums", reason);
  if (rootSums.some((s) => s < 0n || s >= SUM_LIMIT)) {
    throw new Invalid("commitment.root.sums must be in [0, 2^128)", REASONS.SUM_OUT_OF_RANGE);
  }
  const definition = optional(doc.balance_definition, (v) => balanceDefinition(v, reason));
  const digest = optional(doc.ledger_digest, (v) => ledgerDigest(v, reason));
  const { signer, signature } = readSigner(doc, "commitment", reason);
  return Object.freeze({
    doc, epoch, asOf, assets, height, leafCount, rootHash, rootSums, balanceDefinition: definition,
    ledgerDigest: digest, signerKeyId: signer, signature, privacy,
  });
}

/** SHA-256 over the canonical JSON of the whole signed commitment (signature included). */
export function commitmentHash(doc) {
  if (!isObject(doc) || !Object.hasOwn(doc, "signature")) throw new Invalid("commitment_hash binds a *signed* commitment", REASONS.SCHEMA);
  return artifactHash(doc);
}
