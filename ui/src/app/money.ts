// Money on screen: integer minor units of a currency, written and typed in the currency's own units.

/** Digits after the decimal point of `currency` (2 for ETB, 0 for XOF, 3 for KWD). */
export function currencyDigits(currency: string): number {
  return new Intl.NumberFormat("en", { style: "currency", currency }).resolvedOptions().maximumFractionDigits ?? 2;
}

/** Minor units of a currency, in the user's language: 12345 ETB is "ETB 123.45" in English. */
export function formatMoney(minor: number, currency: string, language: string): string {
  return new Intl.NumberFormat(language, { style: "currency", currency }).format(minor / 10 ** currencyDigits(currency));
}

/**
 * An amount typed in the currency's units, as minor units; null when it is not a plain amount or has more
 * decimals than the currency. Read as text, so 0.29 is 29 and never 28.999999999999996.
 */
export function toMinor(typed: string | number, currency: string): number | null {
  const text = String(typed).trim();
  const match = /^(-?)(\d*)(?:\.(\d*))?$/.exec(text);
  if (!match || (match[2] === "" && (match[3] ?? "") === "")) return null;
  const [, sign, whole, fraction = ""] = match;
  const digits = currencyDigits(currency);
  if (fraction.length > digits) return null;
  const minor = Number(whole || "0") * 10 ** digits + Number(fraction.padEnd(digits, "0") || "0");
  if (!Number.isSafeInteger(minor)) return null;
  return sign ? -minor : minor;
}
