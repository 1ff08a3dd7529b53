// Transparency log proofs (docs/SPEC.md section 10; verifier/translog.py), verified exactly as
// RFC 9162 sections 2.1.3.2 and 2.1.4.2 say: leaf = H(0x00 || entry), node = H(0x01 || l || r).
// A path longer or shorter than the sizes imply fails; root comparisons are constant-time.

import { concat, sha256 } from "./encoding.js";
import { Invalid, REASONS } from "./reasons.js";
import { checkFormat, equalBytes, hexBytes, integer } from "./schema.js";

const LOG_FORMAT = "pos-log/1";
const MAX_SIZE = 2 ** 64;
const MAX_PATH = 128;
const M = REASONS.LOG_PROOF_MALFORMED;

export const logLeafHash = (entry) => sha256(concat(Uint8Array.of(0), entry));
const nodeHash = (left, right) => sha256(concat(Uint8Array.of(1), left, right));

// Sizes and indexes are JSON safe integers (< 2^53), so the RFC's shifts are done by halving.
const half = (n) => Math.floor(n / 2);
const odd = (n) => n % 2 === 1;

function isPowerOfTwo(n) {
  let v = n;
  while (v > 1 && v % 2 === 0) v /= 2;
  return v === 1;
}

function checkSize(value, what, minimum = 1) {
  if (typeof value !== "number" || !Number.isInteger(value) || value < minimum || value >= MAX_SIZE) {
    throw new Invalid(`${what} must be an integer in [${minimum}, 2^64), got ${value}`, M);
  }
}

/** RFC 9162 2.1.3.2: `leaf` (already leaf-hashed) sits at `index` of the log of `size` entries with `root`. */
export function verifyInclusion(index, size, leaf, path, root) {
  checkSize(size, "tree_size");
  checkSize(index, "leaf_index", 0);
  if (index >= size) throw new Invalid(`leaf index ${index} is outside a log of ${size} entries`, REASONS.LOG_INDEX_RANGE);
  let fn = index;
  let sn = size - 1;
  let r = leaf;
  for (const p of path) {
    if (sn === 0) throw new Invalid("inclusion path is longer than the log size allows", REASONS.LOG_INCLUSION_INVALID);
    if (odd(fn) || fn === sn) {
      r = nodeHash(p, r);
      if (!odd(fn)) {
        while (fn && !odd(fn)) {
          fn = half(fn);
          sn = half(sn);
        }
      }
    } else {
      r = nodeHash(r, p);
    }
    fn = half(fn);
    sn = half(sn);
  }
  if (sn !== 0) throw new Invalid("inclusion path is shorter than the log size requires", REASONS.LOG_INCLUSION_INVALID);
  if (!equalBytes(r, root)) throw new Invalid("inclusion path does not lead to the published log root", REASONS.LOG_INCLUSION_INVALID);
}

/** RFC 9162 2.1.4.2: the log of `second` entries with `secondRoot` extends the one of `first` with `firstRoot`. */
export function verifyConsistency(first, second, firstRoot, secondRoot, proofPath) {
  checkSize(first, "first_size");
  checkSize(second, "second_size");
  const C = REASONS.LOG_CONSISTENCY_INVALID;
  if (first > second) throw new Invalid(`log shrank from ${first} to ${second} entries`, REASONS.LOG_SIZE_DECREASED);
  if (first === second) {
    if (proofPath.length) throw new Invalid("a proof between equal sizes must be empty", C);
    if (!equalBytes(firstRoot, secondRoot)) throw new Invalid("two different roots were published for the same log size", REASONS.LOG_FORKED);
    return;
  }
  if (!proofPath.length) throw new Invalid("empty consistency path", C);
  const path = [...proofPath];
  if (isPowerOfTwo(first)) path.unshift(firstRoot);
  let fn = first - 1;
  let sn = second - 1;
  while (odd(fn)) {
    fn = half(fn);
    sn = half(sn);
  }
  let fr = path[0];
  let sr = path[0];
  for (const c of path.slice(1)) {
    if (sn === 0) throw new Invalid("consistency path is longer than the sizes allow", C);
    if (odd(fn) || fn === sn) {
      fr = nodeHash(c, fr);
      sr = nodeHash(c, sr);
      if (!odd(fn)) {
        while (fn && !odd(fn)) {
          fn = half(fn);
          sn = half(sn);
        }
      }
    } else {
      sr = nodeHash(sr, c);
    }
    fn = half(fn);
    sn = half(sn);
  }
  if (sn !== 0) throw new Invalid("consistency path is shorter than the sizes require", C);
  if (!equalBytes(fr, firstRoot)) throw new Invalid("consistency path does not reproduce the earlier log root", C);
  if (!equalBytes(sr, secondRoot)) throw new Invalid("consistency path does not reproduce the later log root", C);
}

function fields(data, kind, expected) {
  checkFormat(data, LOG_FORMAT, kind, M, REASONS.UNKNOWN_VERSION);
  const keys = Object.keys(data).filter((k) => k !== "format" && k !== "type");
  const missing = [...expected].filter((k) => !keys.includes(k)).sort();
  const unknown = keys.filter((k) => !expected.has(k)).sort();
  if (missing.length || unknown.length) {
    throw new Invalid(`log ${kind} proof fields: missing ${JSON.stringify(missing)}, unknown ${JSON.stringify(unknown)}`, M);
  }
  return data;
}

function hexList(value, where) {
  if (!Array.isArray(value) || value.length > MAX_PATH) throw new Invalid(`${where} must be a list of at most ${MAX_PATH} hashes`, M);
  return value.map((item, i) => hexBytes(item, `${where}[${i}]`, M));
}

/** An inclusion proof's JSON form (SPEC 10.3); `entry` is the hash of the logged artifact. */
export function parseInclusion(data) {
  const f = fields(data, "inclusion", new Set(["log_size", "log_root", "leaf_index", "entry", "path"]));
  return {
    logSize: integer(f.log_size, "inclusion.log_size", M),
    logRoot: hexBytes(f.log_root, "inclusion.log_root", M),
    leafIndex: integer(f.leaf_index, "inclusion.leaf_index", M),
    entry: hexBytes(f.entry, "inclusion.entry", M),
    path: hexList(f.path, "inclusion.path"),
  };
}

/** A consistency proof's JSON form (SPEC 10.3). */
export function parseConsistency(data) {
  const f = fields(data, "consistency", new Set(["first_size", "first_root", "second_size", "second_root", "path"]));
  return {
    firstSize: integer(f.first_size, "consistency.first_size", M),
    firstRoot: hexBytes(f.first_root, "consistency.first_root", M),
    secondSize: integer(f.second_size, "consistency.second_size", M),
    secondRoot: hexBytes(f.second_root, "consistency.second_root", M),
    path: hexList(f.path, "consistency.path"),
  };
}

export const verifyInclusionProof = (p) => verifyInclusion(p.leafIndex, p.logSize, logLeafHash(p.entry), p.path, p.logRoot);
export const verifyConsistencyProof = (p) => verifyConsistency(p.firstSize, p.secondSize, p.firstRoot, p.secondRoot, p.path);
