// Hashing, domain tags and fixed-width integers (docs/SPEC.md 2.1, 3.1-3.5; verifier/encoding.py).
//
// SHA-256 is @noble/hashes (audited); nothing here is a hand-written primitive, only the SPEC's
// message layouts. Every hashed message starts with its domain tag; every variable-length field
// is length-prefixed (u16); balances are u64 and sums u128 big-endian, and a value out of range
// is never wrapped: encoding it throws.

import { sha256 } from "@noble/hashes/sha2.js";
import { ASSET_RE, EPOCH_RE } from "./schema.js";

const ascii = (s) => new TextEncoder().encode(s);
export const TAG_CONTEXT = ascii("pos-mst/1 context\0");
export const TAG_USER = ascii("pos-mst/1 user\0");
export const TAG_LEAF = ascii("pos-mst/1 leaf\0");
export const TAG_NODE = ascii("pos-mst/1 node\0");

export const LEAF_VALUE_LIMIT = 1n << 64n;
export const SUM_LIMIT = 1n << 128n;
export const MAX_HEIGHT = 40;
export const MAX_ASSETS = 16;
export const MAX_ID_BYTES = 256;

export { sha256 };

export function concat(...parts) {
  const out = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
  let at = 0;
  for (const p of parts) {
    out.set(p, at);
    at += p.length;
  }
  return out;
}

export function lp(data) {
  if (data.length > 0xffff) throw new RangeError("field longer than 65535 bytes");
  return concat(Uint8Array.of(data.length >> 8, data.length & 0xff), data);
}

function unsigned(value, bytes, limit, what) {
  if (typeof value !== "bigint" || value < 0n || value >= limit) throw new RangeError(`${what} ${value} out of range`);
  const out = new Uint8Array(bytes);
  let v = value;
  for (let i = bytes - 1; i >= 0; i -= 1) {
    out[i] = Number(v & 0xffn);
    v >>= 8n;
  }
  return out;
}

export const u64 = (v) => unsigned(v, 8, LEAF_VALUE_LIMIT, "leaf value");
export const u128 = (v) => unsigned(v, 16, SUM_LIMIT, "sum");

/** UTF-8 of a user id: 1..256 bytes, no control characters (SPEC 3.1); throws RangeError. */
export function userIdBytes(userId) {
  if (typeof userId !== "string" || !userId || /[\x00-\x1f\x7f]/.test(userId)) {
    throw new RangeError(`user id ${JSON.stringify(userId)} must be a non-empty string without control characters`);
  }
  const data = new TextEncoder().encode(userId);
  if (data.length > MAX_ID_BYTES) throw new RangeError(`user id is ${data.length} bytes; at most ${MAX_ID_BYTES}`);
  return data;
}

/** ctx = H(TAG_CONTEXT || lp(E) || u8(m) || lp(a_1) || ... || lp(a_m)). */
export function contextHash(epoch, assets) {
  if (!EPOCH_RE.test(epoch)) throw new RangeError(`epoch id ${epoch} is malformed`);
  if (assets.length < 1 || assets.length > MAX_ASSETS || new Set(assets).size !== assets.length) {
    throw new RangeError("the asset list must hold 1..16 distinct codes");
  }
  const parts = [TAG_CONTEXT, lp(ascii(epoch)), Uint8Array.of(assets.length)];
  for (const code of assets) {
    if (!ASSET_RE.test(code)) throw new RangeError(`asset code ${code} is malformed`);
    parts.push(lp(ascii(code)));
  }
  return sha256(concat(...parts));
}

/** uc = H(TAG_USER || salt(32) || lp(user_id)). */
export function userCommitment(salt, userId) {
  if (salt.length !== 32) throw new RangeError("a salt is 32 bytes");
  return sha256(concat(TAG_USER, salt, lp(userIdBytes(userId))));
}

/** leaf = H(TAG_LEAF || ctx || uc || u64(b_1) || ... || u64(b_m)). */
export function leafHash(ctx, uc, balances) {
  return sha256(concat(TAG_LEAF, ctx, uc, ...balances.map(u64)));
}

/** node = H(TAG_NODE || u8(t) || hL || u128(sL..) || hR || u128(sR..)). */
export function nodeHash(height, leftHash, leftSums, rightHash, rightSums) {
  if (height < 1 || height > MAX_HEIGHT) throw new RangeError(`node height ${height} out of range`);
  return sha256(concat(TAG_NODE, Uint8Array.of(height), leftHash, ...leftSums.map(u128), rightHash, ...rightSums.map(u128)));
}

/** Recompute a user's leaf hash from the user's own data (SPEC 3.3). */
export function userLeafHash(epoch, assets, userId, salt, balances) {
  return leafHash(contextHash(epoch, assets), userCommitment(salt, userId), balances);
}

export class SumOverflow extends Error {}

/** Fold a leaf up its path (SPEC 3.6): bit t of `index` says whether the node at height t is a right child. */
export function foldPath(leaf, leafSums, index, path) {
  let hash = leaf;
  let sums = leafSums;
  path.forEach((sibling, level) => {
    const height = level + 1;
    const added = sums.map((s, j) => s + sibling.sums[j]);
    if (added.some((v) => v >= SUM_LIMIT)) throw new SumOverflow(`the sum at height ${height} reaches 2^128`);
    const right = Math.floor(index / 2 ** level) % 2 === 1;
    hash = right ? nodeHash(height, sibling.hash, sibling.sums, hash, sums) : nodeHash(height, hash, sums, sibling.hash, sibling.sums);
    sums = added;
  });
  return { hash, sums };
}
