// Canonical JSON (docs/SPEC.md section 2.2; verifier/canonical.py): the exact bytes that are
// hashed and signed.
//
// `loads` is strict, like the Python verifier's: the input must be UTF-8 without a byte-order
// mark, valid JSON without duplicate keys, floats, NaN/Infinity, integers outside the I-JSON safe
// range, lone surrogates or non-ASCII keys, and its bytes must equal `dumps` of the parsed value
// (optionally followed by one "\n"). Every failure is NON_CANONICAL_ENCODING. JSON.parse is not
// used: it silently keeps the last of duplicate keys and turns "1.0" into 1. Objects are
// null-prototype, so a member named "__proto__" is data, never a prototype.

import { Invalid, REASONS } from "./reasons.js";

export const MAX_SAFE_INT = 2 ** 53 - 1;
export const MAX_INPUT_BYTES = 64 * 1024 * 1024;
export const MAX_DEPTH = 64;

const nonCanonical = (message) => new Invalid(message, REASONS.NON_CANONICAL_ENCODING);
const utf8 = new TextEncoder();

class Parser {
  constructor(text) {
    this.text = text;
    this.pos = 0;
  }

  fail(what) {
    return nonCanonical(`not valid JSON: ${what} at character ${this.pos}`);
  }

  skipSpace() {
    const t = this.text;
    while (this.pos < t.length && " \t\n\r".includes(t[this.pos])) this.pos += 1;
  }

  value(depth) {
    this.skipSpace();
    const c = this.text[this.pos];
    if (c === "{") return this.object(depth + 1);
    if (c === "[") return this.array(depth + 1);
    if (c === '"') return this.string();
    if (c === "-" || (c >= "0" && c <= "9")) return this.number();
    for (const [word, result] of [["true", true], ["false", false], ["null", null]]) {
      if (this.text.startsWith(word, this.pos)) {
        this.pos += word.length;
        return result;
      }
    }
    if (this.text.startsWith("NaN", this.pos) || this.text.startsWith("Infinity", this.pos)) {
      throw nonCanonical("NaN and Infinity are not allowed");
    }
    throw this.fail("expected a value");
  }

  object(depth) {
    if (depth > MAX_DEPTH) throw nonCanonical(`nesting deeper than ${MAX_DEPTH} levels`);
    this.pos += 1;
    const out = Object.create(null);
    this.skipSpace();
    if (this.text[this.pos] === "}") {
      this.pos += 1;
      return out;
    }
    for (;;) {
      this.skipSpace();
      if (this.text[this.pos] !== '"') throw this.fail("expected a key");
      const key = this.string();
      if (Object.hasOwn(out, key)) throw nonCanonical(`duplicate object key ${JSON.stringify(key)}`);
      if (!/^[\x00-\x7f]*$/.test(key)) throw nonCanonical(`object keys must be ASCII strings (got ${JSON.stringify(key)})`);
      this.skipSpace();
      if (this.text[this.pos] !== ":") throw this.fail("expected ':'");
      this.pos += 1;
      out[key] = this.value(depth);
      this.skipSpace();
      const c = this.text[this.pos];
      this.pos += 1;
      if (c === "}") return out;
      if (c !== ",") throw this.fail("expected ',' or '}'");
    }
  }

  array(depth) {
    if (depth > MAX_DEPTH) throw nonCanonical(`nesting deeper than ${MAX_DEPTH} levels`);
    this.pos += 1;
    const out = [];
    this.skipSpace();
    if (this.text[this.pos] === "]") {
      this.pos += 1;
      return out;
    }
    for (;;) {
      out.push(this.value(depth));
      this.skipSpace();
      const c = this.text[this.pos];
      this.pos += 1;
      if (c === "]") return out;
      if (c !== ",") throw this.fail("expected ',' or ']'");
    }
  }

  number() {
    const match = /^-?(?:0|[1-9][0-9]*)(\.[0-9]+)?([eE][+-]?[0-9]+)?/.exec(this.text.slice(this.pos, this.pos + 400));
    if (!match) throw this.fail("malformed number");
    this.pos += match[0].length;
    if (match[1] !== undefined || match[2] !== undefined) throw nonCanonical(`floats are not allowed (got ${match[0]})`);
    const value = BigInt(match[0]);
    if (value > BigInt(MAX_SAFE_INT) || value < -BigInt(MAX_SAFE_INT)) {
      throw nonCanonical(`integer ${match[0]} is outside the I-JSON safe range; use a decimal string`);
    }
    return Number(value);
  }

  string() {
    const t = this.text;
    this.pos += 1;
    let out = "";
    for (;;) {
      if (this.pos >= t.length) throw this.fail("unterminated string");
      const c = t[this.pos];
      const code = t.charCodeAt(this.pos);
      if (c === '"') {
        this.pos += 1;
        break;
      }
      if (code < 0x20) throw this.fail("control character in a string");
      if (c !== "\\") {
        out += c;
        this.pos += 1;
        continue;
      }
      const e = t[this.pos + 1];
      const simple = { '"': '"', "\\": "\\", "/": "/", b: "\b", f: "\f", n: "\n", r: "\r", t: "\t" }[e];
      if (simple !== undefined) {
        out += simple;
        this.pos += 2;
      } else if (e === "u" && /^[0-9a-fA-F]{4}$/.test(t.slice(this.pos + 2, this.pos + 6))) {
        out += String.fromCharCode(parseInt(t.slice(this.pos + 2, this.pos + 6), 16));
        this.pos += 6;
      } else {
        throw this.fail("invalid escape");
      }
    }
    if (!out.isWellFormed()) throw nonCanonical("string holds a lone surrogate (not a Unicode scalar value)");
    return out;
  }
}

function escapeString(s) {
  let out = '"';
  for (const ch of s) {
    const code = ch.codePointAt(0);
    if (ch === '"') out += '\\"';
    else if (ch === "\\") out += "\\\\";
    else if (ch === "\b") out += "\\b";
    else if (ch === "\f") out += "\\f";
    else if (ch === "\n") out += "\\n";
    else if (ch === "\r") out += "\\r";
    else if (ch === "\t") out += "\\t";
    else if (code < 0x20) out += "\\u" + code.toString(16).padStart(4, "0");
    else out += ch;
  }
  return out + '"';
}

/** The canonical encoding of a parsed value, as a string (no trailing newline). */
export function dumpsText(value) {
  if (value === null) return "null";
  if (value === true) return "true";
  if (value === false) return "false";
  if (typeof value === "string") return escapeString(value);
  if (typeof value === "number") {
    if (!Number.isSafeInteger(value)) throw nonCanonical(`${value} is not an integer in the I-JSON safe range`);
    return String(value);
  }
  if (Array.isArray(value)) return "[" + value.map(dumpsText).join(",") + "]";
  if (typeof value === "object") {
    const keys = Object.keys(value).sort();
    return "{" + keys.map((k) => escapeString(k) + ":" + dumpsText(value[k])).join(",") + "}";
  }
  throw nonCanonical(`${typeof value} is not a JSON value`);
}

/** The canonical encoding of a parsed value, as UTF-8 bytes (what is hashed and signed). */
export function dumps(value) {
  return utf8.encode(dumpsText(value));
}

function sameBytes(a, b) {
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i += 1) if (a[i] !== b[i]) return false;
  return true;
}

/** Parse bytes strictly; they must be exactly the canonical encoding, optionally plus one "\n"
 * (with `requireCanonical` false, only valid JSON under the same value rules, as for key files). */
export function loads(data, { requireCanonical = true } = {}) {
  if (!(data instanceof Uint8Array)) throw new TypeError("loads takes bytes");
  if (data.length > MAX_INPUT_BYTES) throw nonCanonical(`input is ${data.length} bytes; at most ${MAX_INPUT_BYTES}`);
  let text;
  try {
    text = new TextDecoder("utf-8", { fatal: true, ignoreBOM: true }).decode(data);
  } catch {
    throw nonCanonical("not UTF-8");
  }
  if (text.startsWith("\ufeff")) throw nonCanonical("byte-order mark is not allowed");
  const parser = new Parser(text);
  const value = parser.value(0);
  parser.skipSpace();
  if (parser.pos !== text.length) throw parser.fail("trailing data");
  if (!requireCanonical) return value;
  const body = data.length && data[data.length - 1] === 0x0a ? data.subarray(0, data.length - 1) : data;
  if (!sameBytes(body, dumps(value))) {
    throw nonCanonical("bytes are not the canonical encoding (key order, whitespace or escaping differ)");
  }
  return value;
}
