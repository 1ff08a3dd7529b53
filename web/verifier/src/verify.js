// What `solvency-verify proof --json` reports, computed in the page (verifier/commands/proof.py,
// verifier/cli.py): the pinned key is read first, then a proof bundle (SPEC 13) or a bare proof
// (SPEC 6) is verified, and the result is one object
// {verdict: "valid"|"invalid"|"inconclusive", reason, message, checked, facts, caveats}
// with the CLI's reason codes and check names. An unexpected error is "inconclusive" with
// INTERNAL_ERROR, never "valid".

import { formatAmount, formatAmounts } from "./amounts.js";
import { loads } from "./canonical.js";
import { isBundle, verifyBundle } from "./bundle.js";
import { verifyProof, pyRepr } from "./proof.js";
import { CannotVerify, Invalid, REASONS } from "./reasons.js";
import { bytesToHex } from "./schema.js";
import { parsePinnedKey } from "./signature.js";

function isBundleBytes(data) {
  try {
    return isBundle(loads(data));
  } catch {
    return false;
  }
}

function caveats(facts, { epochGiven, userGiven, bundled }) {
  const out = ["no --commitment given: compare the commitment's root hash with the one the bank published"];
  if (!epochGiven) out.push("no --epoch given: check that this is the current epoch, not an old one");
  if (!userGiven) out.push(`no --user given: check that ${pyRepr(facts.userId)} is your user id`);
  out.push("the balances are the bank's statement of what it owes you; compare them with your account");
  out.push(bundled
    ? "keep the log head (or compare its root with other users'): a bank that forks its history shows different roots"
    : "a bare proof: not checked against the bank's published epoch and transparency log (ask for a proof bundle)");
  return out;
}

function factsOf(facts, bundled) {
  const byAsset = (values, show) => Object.fromEntries(facts.assets.map((a, j) => [a, show(a, values[j])]));
  const out = {
    user_id: facts.userId,
    epoch: facts.epoch,
    as_of: facts.asOf,
    balances: byAsset(facts.balances, (a, v) => v.toString()),
    balances_display: byAsset(facts.balances, formatAmount),
    leaf_indexes: facts.leafIndexes,
    root_hash: facts.rootHash,
    root_sums: byAsset(facts.rootSums, (a, v) => v.toString()),
    leaf_count: facts.leafCount,
    signer_key_id: facts.signerKeyId,
    balance_definition: facts.balanceDefinition
      ? { name: facts.balanceDefinition.name, content_hash: bytesToHex(facts.balanceDefinition.contentHash) } : null,
  };
  if (bundled) {
    Object.assign(out, {
      epoch_sequence: bundled.epoch.sequence,
      epoch_hash: bytesToHex(bundled.epoch.epochHash),
      log_size: bundled.head.logSize,
      log_root: bytesToHex(bundled.head.logRoot),
    });
  }
  return out;
}

/**
 * Verify `data` (the bytes of a proof bundle or a bare proof) against the pinned key text.
 * `expectedEpoch` / `expectedUser` are the CLI's --epoch / --user (null when not given).
 */
export function verifyInput(data, keyText, { expectedEpoch = null, expectedUser = null } = {}) {
  let report = null;
  let error = null;
  try {
    const key = parsePinnedKey(keyText);
    let facts;
    let bundled = null;
    const options = { expectedEpoch, expectedUser };
    if (isBundleBytes(data)) {
      bundled = verifyBundle(data, key, options);
      facts = bundled.proof;
    } else {
      facts = verifyProof(data, key, options);
    }
    const checked = bundled ? bundled.checked : facts.checked;
    report = {
      verdict: "valid",
      reason: null,
      message: "the inclusion proof is valid",
      checked: [...checked, `your balances: ${formatAmounts(facts.assets, facts.balances)}`],
      facts: factsOf(facts, bundled),
      caveats: caveats(facts, { epochGiven: expectedEpoch != null, userGiven: expectedUser != null, bundled: !!bundled }),
    };
  } catch (exc) {
    error = exc;
  }
  if (report) return report;
  const known = error instanceof Invalid || error instanceof CannotVerify;
  return {
    verdict: error instanceof Invalid ? "invalid" : "inconclusive",
    reason: known ? error.reason : REASONS.INTERNAL_ERROR,
    message: known ? error.message : `${error?.name ?? "Error"}: ${error?.message ?? error}`,
    checked: known ? [...error.passed] : [],
    facts: {},
    caveats: [],
  };
}
