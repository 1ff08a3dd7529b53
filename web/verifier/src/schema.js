// Strict schema readers shared by every artifact parser (verifier/schema.py; SPEC 2.1-2.3, 4-5,
// 10-13). Each reader takes the JSON value, a path for the message and the reason code of the
// artifact family's schema failure, and returns the typed value or throws `Invalid` with that
// reason. A value is accepted only in the one form the prover writes: lower-case hex, decimal
// strings without leading zeros (read as BigInt, never as a float), integers that are not
// booleans, no unknown or missing members. The format marker is read first and an unknown one
// is `CannotVerify` (UNSUPPORTED_VERSION), so a future version is undecidable, not malformed.

import { CannotVerify, Invalid, REASONS } from "./reasons.js";

export const HEX64 = /^[0-9a-f]{64}$/;
export const HEX32 = /^[0-9a-f]{32}$/;
export const HEX128 = /^[0-9a-f]{128}$/;
export const EPOCH_RE = /^[A-Za-z0-9._:-]{1,64}$/;
export const ASSET_RE = /^[A-Z][A-Z0-9]{1,11}$/;
const AMOUNT_RE = /^-?(0|[1-9][0-9]{0,79})$/;
const UTC_RE = /^([0-9]{4})-([0-9]{2})-([0-9]{2})T([0-9]{2}):([0-9]{2}):([0-9]{2})Z$/;

export const isObject = (v) => v !== null && typeof v === "object" && !Array.isArray(v);
export const show = (v) => (v === undefined ? "None" : JSON.stringify(v));

export function checkFormat(doc, fmt, kind, reason, unknown = REASONS.UNSUPPORTED_VERSION) {
  if (!isObject(doc)) throw new Invalid(`a ${kind} is a JSON object`, reason);
  if (doc.format !== fmt) {
    throw new CannotVerify(`unsupported ${kind} format ${show(doc.format)}; this verifier understands "${fmt}" only`, unknown);
  }
  if (doc.type !== kind) throw new Invalid(`type is ${show(doc.type)}, expected "${kind}"`, reason);
  return doc;
}

export function members(doc, expected, where, reason) {
  if (!isObject(doc)) throw new Invalid(`${where} must be an object`, reason);
  const have = Object.keys(doc);
  const missing = [...expected].filter((k) => !Object.hasOwn(doc, k)).sort();
  const extra = have.filter((k) => !expected.has(k)).sort();
  if (missing.length || extra.length) {
    throw new Invalid(`${where}: missing members ${show(missing)}, unknown members ${show(extra)}`, reason);
  }
  return doc;
}

/** A decimal amount string (sign allowed here; ranges are checked by the caller), as a BigInt. */
export function amount(value, where, reason) {
  if (typeof value !== "string" || !AMOUNT_RE.test(value) || value === "-0") {
    throw new Invalid(`${where} must be a decimal string without leading zeros, got ${show(value)}`, reason);
  }
  return BigInt(value);
}

export function amounts(value, count, where, reason) {
  if (!Array.isArray(value) || value.length !== count) {
    throw new Invalid(`${where} must hold ${count} amount(s), one per asset`, reason);
  }
  return value.map((v, j) => amount(v, `${where}[${j}]`, reason));
}

export function hexBytes(value, where, reason, pattern = HEX64) {
  if (typeof value !== "string" || !pattern.test(value)) {
    throw new Invalid(`${where} must be lower-case hex, got ${show(value)}`, reason);
  }
  return hexToBytes(value);
}

export function integer(value, where, reason, minimum = null) {
  if (typeof value !== "number" || !Number.isInteger(value)) {
    throw new Invalid(`${where} must be an integer, got ${show(value)}`, reason);
  }
  if (minimum !== null && value < minimum) throw new Invalid(`${where} must be >= ${minimum}, got ${value}`, reason);
  return value;
}

export function text(value, where, reason, pattern = null) {
  if (typeof value !== "string" || (pattern !== null && !pattern.test(value))) {
    throw new Invalid(`${where} must be a string${pattern ? ` matching ${pattern.source}` : ""}, got ${show(value)}`, reason);
  }
  return value;
}

export const epochId = (value, where, reason) => text(value, where, reason, EPOCH_RE);

function daysIn(year, month) {
  return [31, year % 4 === 0 && (year % 100 !== 0 || year % 400 === 0) ? 29 : 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31][month - 1];
}

/** A whole-second UTC time written YYYY-MM-DDTHH:MM:SSZ that is a real calendar instant. */
export function utcTime(value, where, reason) {
  const m = typeof value === "string" ? UTC_RE.exec(value) : null;
  const [y, mo, d, h, mi, s] = m ? m.slice(1).map(Number) : [];
  if (!m || y < 1 || mo < 1 || mo > 12 || d < 1 || d > daysIn(y, mo) || h > 23 || mi > 59 || s > 59) {
    throw new Invalid(`${where}: a time is written YYYY-MM-DDTHH:MM:SSZ (UTC, whole seconds), got ${show(value)}`, reason);
  }
  return value;
}

export const optional = (value, read) => (value === null ? null : read(value));

export function hexToBytes(hex) {
  const out = new Uint8Array(hex.length / 2);
  for (let i = 0; i < out.length; i += 1) out[i] = parseInt(hex.slice(2 * i, 2 * i + 2), 16);
  return out;
}

export function bytesToHex(bytes) {
  return Array.from(bytes, (b) => b.toString(16).padStart(2, "0")).join("");
}

export function equalBytes(a, b) {
  if (a.length !== b.length) return false;
  let diff = 0;
  for (let i = 0; i < a.length; i += 1) diff |= a[i] ^ b[i];
  return diff === 0;
}
