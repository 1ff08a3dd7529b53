// The solvency statement an epoch carries (docs/SPEC.md 8.7 and 11.2; verifier/assets/artifact.py
// `Statement`), read in its exact schema, and SPEC 13 check 5's rule (verifier/binding.py): without
// the attestation, the statement's liabilities are the commitment's root sums, one row per
// committed asset (plus BTC when not committed), and every margin is assets - liabilities.
//
// Threat model: a bank can re-sign an epoch with an inflated or reshaped statement; the user's
// bundle carries the commitment whose root sums the statement must repeat.

import { Invalid } from "./reasons.js";
import { ASSET_RE, amount, integer, members, optional, text, utcTime } from "./schema.js";

function parsePrice(value, where, reason) {
  members(value, new Set(["usd_cents_per_btc", "source", "time"]), where, reason);
  const cents = integer(value.usd_cents_per_btc, `${where}.usd_cents_per_btc`, reason, 0);
  if (cents === 0) throw new Invalid(`${where}.usd_cents_per_btc must be positive`, reason);
  const { source } = value;
  if (typeof source !== "string" || [...source].length < 1 || [...source].length > 200) {
    throw new Invalid(`${where}.source must be a non-empty string of at most 200 characters`, reason);
  }
  return { usdCentsPerBtc: cents, source, time: utcTime(value.time, `${where}.time`, reason) };
}

function parseRow(value, where, reason) {
  members(value, new Set(["asset", "unit", "assets", "liabilities", "margin"]), where, reason);
  return {
    currency: text(value.asset, `${where}.asset`, reason, ASSET_RE),
    unit: text(value.unit, `${where}.unit`, reason),
    held: amount(value.assets, `${where}.assets`, reason),
    liabilities: amount(value.liabilities, `${where}.liabilities`, reason),
    margin: amount(value.margin, `${where}.margin`, reason),
  };
}

function parseCombined(value, where, reason) {
  const names = ["usd_liabilities_in_sat", "margin_sat", "margin_usd_cents"];
  members(value, new Set(names), where, reason);
  return names.map((k) => amount(value[k], `${where}.${k}`, reason));
}

/** The statement object of SPEC 8.7, in its exact schema; failures carry `reason`. */
export function parseStatement(value, where, reason) {
  members(value, new Set(["per_asset", "price", "combined_at_declared_price"]), where, reason);
  const price = optional(value.price, (v) => parsePrice(v, `${where}.price`, reason));
  if (!Array.isArray(value.per_asset)) throw new Invalid(`${where}.per_asset must be an array`, reason);
  const rows = value.per_asset.map((item, i) => parseRow(item, `${where}.per_asset[${i}]`, reason));
  const combined = optional(value.combined_at_declared_price,
    (v) => parseCombined(v, "statement.combined_at_declared_price", reason));
  return { rows, price, combined };
}

/** SPEC 13 check 5: the rows are the committed assets (and BTC), owing the root sums, with margin = assets - liabilities. */
export function rowsFollow(statement, commitment) {
  const owed = new Map(commitment.assets.map((a, j) => [a, commitment.rootSums[j]]));
  const expected = [...commitment.assets, ...(owed.has("BTC") ? [] : ["BTC"])];
  const currencies = statement.rows.map((r) => r.currency);
  return currencies.length === expected.length && currencies.every((c, i) => c === expected[i])
    && statement.rows.every((r) => r.liabilities === (owed.get(r.currency) ?? 0n) && r.margin === r.held - r.liabilities);
}
