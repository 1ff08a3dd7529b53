// The SPEC vectors (tests/vectors/*.json, from scripts/gen_vectors.py) against the page's
// verification code in Node: every valid vector VALID, every other one refused with the vector's
// verdict and reason code; the primitives byte for byte; a real bundle (tests/verifier/fixtures,
// from `solvency demo`) VALID with the check names `solvency-verify proof` prints.

import assert from "node:assert/strict";
import { existsSync, readFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { test } from "node:test";
import { fileURLToPath } from "node:url";

import {
  bytesToHex, contextHash, formatAmount, hexToBytes, leafHash, nodeHash, parsePinnedKey, userCommitment, verifyInput,
} from "../src/index.js";

const ROOT = join(dirname(fileURLToPath(import.meta.url)), "..", "..", "..");
const read = (rel) => readFileSync(join(ROOT, rel));
const PROOFS = JSON.parse(read("tests/vectors/pos_mst_proofs.json"));
const PRIMITIVES = JSON.parse(read("tests/vectors/pos_mst_primitives.json"));
const bytes = (text) => new TextEncoder().encode(text);

for (const c of PROOFS.tests) {
  test(`proof vector ${c.tcId}: ${c.comment}`, () => {
    const r = verifyInput(bytes(c.proof), PROOFS.public_key, { expectedEpoch: c.expected_epoch, expectedUser: c.expected_user });
    assert.deepEqual([r.verdict, r.reason], [c.result, c.reason], r.message);
  });
}

test("every vector result is one of the three verdicts and the valid ones exist", () => {
  const results = new Set(PROOFS.tests.map((c) => c.result));
  assert.ok(results.has("valid") && results.has("invalid"));
});

const PRIMITIVE = {
  context: (c) => contextHash(c.epoch, c.assets),
  user_commitment: (c) => userCommitment(hexToBytes(c.salt), c.user_id),
  leaf: (c) => leafHash(hexToBytes(c.context), hexToBytes(c.commitment), c.balances.map(BigInt)),
  node: (c) => nodeHash(c.height, hexToBytes(c.left), c.left_sums.map(BigInt), hexToBytes(c.right), c.right_sums.map(BigInt)),
};

for (const c of PRIMITIVES.tests) {
  // Salts and padding commitments are HMACs under the bank's secret epoch key: prover-only (SPEC 3.2, 3.4).
  const skip = PRIMITIVE[c.name] ? false : `${c.name} is computed by the prover only (needs the epoch key)`;
  test(`primitive vector ${c.tcId}: ${c.name}`, { skip }, () => {
    assert.equal(bytesToHex(PRIMITIVE[c.name](c)), c.result);
  });
}

const FIXTURES = "tests/verifier/fixtures";
const haveFixture = existsSync(join(ROOT, FIXTURES, "bundle.json"));

test("a real bundle from `solvency demo` is VALID, with the CLI's check names", { skip: !haveFixture && "no fixture bundle" }, () => {
  const key = read(`${FIXTURES}/bank.key.pub`).toString();
  const data = new Uint8Array(read(`${FIXTURES}/bundle.json`));
  const doc = JSON.parse(new TextDecoder().decode(data));
  const r = verifyInput(data, key, { expectedEpoch: doc.proof.epoch, expectedUser: doc.proof.user_id });
  assert.equal(r.verdict, "valid", `${r.reason}: ${r.message}`);
  assert.equal(r.checked[0], "proof bundle encoding and members (pos-proof-bundle/1)");
  assert.ok(r.checked.some((line) => /^the epoch is entry \d+ of the bank's transparency log/.test(line)));
  assert.equal(r.checked.at(-2), "the epoch's cut-off is the commitment's and its statement carries the committed liabilities");
  assert.match(r.checked.at(-1), /^your balances: BTC \d+\.\d{8}, USD \d+\.\d{2}$/);
  assert.equal(r.facts.epoch, doc.proof.epoch);
  assert.equal(r.facts.as_of, doc.proof.commitment.as_of);
  assert.equal(r.facts.log_size, doc.log_head.log_size);
});

test("the same bundle under another key is WRONG_KEY, and without a key inconclusive", { skip: !haveFixture && "no fixture bundle" }, () => {
  const data = new Uint8Array(read(`${FIXTURES}/bundle.json`));
  assert.equal(verifyInput(data, PROOFS.public_key).reason, "WRONG_KEY");
  const none = verifyInput(data, "");
  assert.deepEqual([none.verdict, none.reason], ["inconclusive", "BAD_KEY_FILE"]);
});

test("amounts are shown in units, exactly", () => {
  assert.equal(formatAmount("USD", 43858n), "USD 438.58");
  assert.equal(formatAmount("BTC", 43858n), "BTC 0.00043858");
  assert.equal(formatAmount("BTC", 2100000000000000n), "BTC 21,000,000.00000000");
  assert.equal(formatAmount("USD", 18446744073709551615n), "USD 184,467,440,737,095,516.15");
  assert.equal(formatAmount("EUR", 43858n), "EUR 43,858 (minor units)");
});

test("the pinned key is read from hex, base64url or a .pub file, and its key id shown", () => {
  const hex = PROOFS.public_key;
  const raw = hexToBytes(hex);
  const b64 = Buffer.from(raw).toString("base64url");
  const fromHex = parsePinnedKey(hex);
  assert.equal(parsePinnedKey(b64).keyId, fromHex.keyId);
  assert.equal(parsePinnedKey(hex.toUpperCase()).keyId, fromHex.keyId);
  const pub = `{"alg":"ed25519","format":"pos-key/1","key_id":"${fromHex.keyId}","public_key":"${hex}","type":"public-key"}`;
  assert.equal(parsePinnedKey(pub).keyId, fromHex.keyId);
  assert.throws(() => parsePinnedKey(pub.replace(fromHex.keyId, "0".repeat(32))), /key_id does not match/);
  assert.throws(() => parsePinnedKey("not a key"), (e) => e.reason === "BAD_KEY_FILE");
});
