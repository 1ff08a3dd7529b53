// Ed25519 signatures over canonical JSON artifacts, key ids and the pinned key (docs/SPEC.md 2.3;
// verifier/signature.py).
//
// Verification is @noble/curves' ed25519 (audited) in its strict RFC 8032 mode (zip215: false:
// non-canonical encodings and s >= L are refused, as OpenSSL, which the Python verifier uses,
// refuses them). The signed message is the canonical JSON of the artifact without `signature`.
// The pinned key is what the user obtained out of band; the key id inside an artifact only
// selects the clearer reason WRONG_KEY over BAD_SIGNATURE.

import { ed25519 } from "@noble/curves/ed25519.js";
import { dumps, loads } from "./canonical.js";
import { sha256 } from "./encoding.js";
import { CannotVerify, Invalid, REASONS } from "./reasons.js";
import { HEX128, HEX32, HEX64, bytesToHex, hexToBytes, isObject, show } from "./schema.js";

const KEY_FORMAT = "pos-key/1";
const ALG = "ed25519";

/** Key id: hex of the first 16 bytes of SHA-256 of the raw 32-byte public key. */
export function keyId(raw) {
  return bytesToHex(sha256(raw).subarray(0, 16));
}

/** A pinned key: its 32 raw bytes and key id. */
export function pinnedKey(raw) {
  if (!(raw instanceof Uint8Array) || raw.length !== 32) throw new CannotVerify("an Ed25519 public key is 32 bytes", REASONS.BAD_KEY_FILE);
  return Object.freeze({ raw, keyId: keyId(raw), hex: bytesToHex(raw) });
}

function fromBase64url(text) {
  const b64 = text.replace(/-/g, "+").replace(/_/g, "/");
  const bin = atob(b64 + "=".repeat((4 - (b64.length % 4)) % 4));
  return Uint8Array.from(bin, (c) => c.charCodeAt(0));
}

/**
 * The pinned key from what the user typed, pasted or put in the URL: 64 hex characters, the
 * 43 base64url characters of the 32 raw bytes, or the text of the bank's `.pub` key file.
 * Anything else is CannotVerify(BAD_KEY_FILE): no verdict without a usable key.
 */
export function parsePinnedKey(input) {
  const text = String(input ?? "").trim();
  if (!text) throw new CannotVerify("no bank key given: paste the bank's public key (64 hex characters or its .pub file)", REASONS.BAD_KEY_FILE);
  if (/^[0-9a-fA-F]{64}$/.test(text)) return pinnedKey(hexToBytes(text.toLowerCase()));
  if (/^[A-Za-z0-9_-]{43}=?$/.test(text)) return pinnedKey(fromBase64url(text.replace(/=$/, "")));
  if (!text.startsWith("{")) {
    throw new CannotVerify("the bank key must be 64 hex characters, 43 base64url characters or a .pub key file", REASONS.BAD_KEY_FILE);
  }
  let doc;
  try {
    doc = loads(new TextEncoder().encode(text), { requireCanonical: false });
  } catch (exc) {
    throw new CannotVerify(`key text: not a public key file: ${exc.message}`, REASONS.BAD_KEY_FILE);
  }
  if (isObject(doc) && Object.hasOwn(doc, "private_key")) {
    throw new CannotVerify("this is a PRIVATE key file; pin the public key (.pub) instead", REASONS.BAD_KEY_FILE);
  }
  if (!isObject(doc)) throw new CannotVerify("a public key file holds a JSON object", REASONS.BAD_KEY_FILE);
  if (doc.format !== KEY_FORMAT) {
    throw new CannotVerify(`unsupported key format ${show(doc.format)} (expected "${KEY_FORMAT}")`, REASONS.UNSUPPORTED_VERSION);
  }
  const keys = Object.keys(doc).sort().join(",");
  if (keys !== "alg,format,key_id,public_key,type" || doc.type !== "public-key" || doc.alg !== ALG) {
    throw new CannotVerify("a public key file has exactly alg, format, key_id, public_key and type (public-key, ed25519)", REASONS.BAD_KEY_FILE);
  }
  if (typeof doc.public_key !== "string" || !HEX64.test(doc.public_key)) {
    throw new CannotVerify("public_key must be 64 lower-case hex characters", REASONS.BAD_KEY_FILE);
  }
  const key = pinnedKey(hexToBytes(doc.public_key));
  if (doc.key_id !== key.keyId) throw new CannotVerify("key_id does not match public_key", REASONS.BAD_KEY_FILE);
  return key;
}

/** The `signature` member (SPEC 2.3); a malformed one is BAD_SIGNATURE. */
export function parseSignature(doc, where) {
  const bad = (message) => new Invalid(message, REASONS.BAD_SIGNATURE);
  if (!isObject(doc) || Object.keys(doc).sort().join(",") !== "alg,key_id,value") {
    throw bad(`${where} must be an object with exactly alg, key_id and value`);
  }
  if (doc.alg !== ALG) throw bad(`${where}: unsupported signature algorithm ${show(doc.alg)}`);
  if (typeof doc.key_id !== "string" || !HEX32.test(doc.key_id)) throw bad(`${where}.key_id must be 32 lower-case hex characters`);
  if (typeof doc.value !== "string" || !HEX128.test(doc.value)) throw bad(`${where}: signature value must be 128 lower-case hex characters`);
  return { keyId: doc.key_id, value: hexToBytes(doc.value) };
}

/** `signer_key_id` (the family's schema reason) and the signature member, whose key id must equal it. */
export function readSigner(doc, where, reason) {
  const signer = doc.signer_key_id;
  if (typeof signer !== "string" || !HEX32.test(signer)) throw new Invalid(`${where}.signer_key_id must be 32 lower-case hex characters`, reason);
  const raw = doc.signature;
  if (isObject(raw) && raw.key_id !== signer) throw new Invalid(`${where}.signature.key_id must equal ${where}.signer_key_id`, reason);
  return { signer, signature: parseSignature(raw, `${where}.signature`) };
}

/** The exact bytes the bank signs: canonical JSON of the artifact without `signature`. */
export function signedMessage(doc) {
  const body = Object.create(null);
  for (const k of Object.keys(doc)) if (k !== "signature") body[k] = doc[k];
  return dumps(body);
}

/** WRONG_KEY when the signature names another key id, BAD_SIGNATURE when it does not verify. */
export function checkSignature(message, signature, pinned) {
  if (signature.keyId !== pinned.keyId) {
    throw new Invalid(`signed by key "${signature.keyId}", but the pinned bank key is "${pinned.keyId}"`, REASONS.WRONG_KEY);
  }
  let ok = false;
  try {
    ok = ed25519.verify(signature.value, message, pinned.raw, { zip215: false });
  } catch {
    ok = false;
  }
  if (!ok) {
    throw new Invalid("the Ed25519 signature does not verify: the artifact was altered or not signed by this key", REASONS.BAD_SIGNATURE);
  }
}

/** A signed artifact's signature against the pinned key (its doc already parsed). */
export function verifyArtifactSignature(doc, signature, pinned) {
  checkSignature(signedMessage(doc), signature, pinned);
}

/** SHA-256 of the canonical JSON of a whole signed artifact (commitment_hash, epoch_hash). */
export function artifactHash(doc) {
  return sha256(dumps(doc));
}
