// Run many inputs through the page's verification code: reads a JSON array of
// {data_b64, key, epoch, user} on stdin, writes a JSON array of {verdict, reason, checked}.
// Used by tests/web/test_web_differential.py to compare the page with the Python verifier.

import { verifyInput } from "../src/index.js";

const chunks = [];
for await (const chunk of process.stdin) chunks.push(chunk);
const cases = JSON.parse(Buffer.concat(chunks).toString("utf8"));
const out = cases.map((c) => {
  const r = verifyInput(new Uint8Array(Buffer.from(c.data_b64, "base64")), c.key, { expectedEpoch: c.epoch, expectedUser: c.user });
  return { verdict: r.verdict, reason: r.reason, checked: r.checked };
});
process.stdout.write(JSON.stringify(out));
