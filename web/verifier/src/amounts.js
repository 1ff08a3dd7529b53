// Amounts as a user reads them (verifier/amounts.py): an integer count of minor units written
// in units with its currency code, exactly (BigInt arithmetic, never a float):
// formatAmount("BTC", 43858n) === "BTC 0.00043858", formatAmount("USD", 43858n) === "USD 438.58".
// A currency whose exponent is not known is shown as its minor units, never guessed.

export const EXPONENTS = Object.freeze({ BTC: 8, USD: 2 });

const grouped = (n) => n.toString().replace(/\B(?=(\d{3})+(?!\d))/g, ",");

export function formatAmount(currency, minorUnits) {
  const v = BigInt(minorUnits);
  const sign = v < 0n ? "-" : "";
  const abs = v < 0n ? -v : v;
  const exponent = Object.hasOwn(EXPONENTS, currency) ? EXPONENTS[currency] : undefined;
  if (exponent === undefined) return `${currency} ${sign}${grouped(abs)} (minor units)`;
  const unit = 10n ** BigInt(exponent);
  return `${currency} ${sign}${grouped(abs / unit)}.${(abs % unit).toString().padStart(exponent, "0")}`;
}

export const formatAmounts = (assets, values) => assets.map((a, j) => formatAmount(a, values[j])).join(", ");
