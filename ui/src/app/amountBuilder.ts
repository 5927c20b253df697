// The simple entitlement amount: a base amount, optionally more per household member, optionally capped,
// typed in the currency and written as the expression the registry evaluates (in minor units). An
// expression it wrote reads back; one written by hand stays text.
import { toMinor } from "./money";

export interface SimpleAmount {
  /** As typed, in the currency's units. */
  base: string;
  perMember: string;
  cap: string;
}

/** What a household's size is, for the program's target. */
export function sizeOf(target: "individual" | "group"): string {
  return target === "group" ? "me.size" : "household.size";
}

/** The expression, or null while an amount is not a plain amount of the currency. */
export function toExpression(a: SimpleAmount, currency: string, target: "individual" | "group"): string | null {
  const base = toMinor(a.base, currency);
  if (base === null || base < 0) return null;
  const optional = (typed: string) => (typed.trim() === "" ? 0 : toMinor(typed, currency));
  const per = optional(a.perMember);
  const cap = optional(a.cap);
  if (per === null || per < 0 || cap === null || cap < 0) return null;
  const sum = per > 0 ? `${base} + ${per} * ${sizeOf(target)}` : `${base}`;
  return cap > 0 ? `min(${sum}, ${cap})` : sum;
}

function typed(minor: number, currency: string): string {
  const digits = new Intl.NumberFormat("en", { style: "currency", currency }).resolvedOptions().maximumFractionDigits ?? 2;
  return digits === 0 ? String(minor) : (minor / 10 ** digits).toFixed(digits);
}

/** The simple amount an expression was written from, or null. */
export function fromExpression(expression: string, currency: string, target: "individual" | "group"): SimpleAmount | null {
  const size = sizeOf(target).replace(".", "\\.");
  const m = expression.trim().match(new RegExp(`^(?:min\\()?(\\d{1,15})(?: \\+ (\\d{1,15}) \\* ${size})?(?:, (\\d{1,15})\\))?$`));
  if (!m) return null;
  const a: SimpleAmount = {
    base: typed(Number(m[1]), currency),
    perMember: m[2] ? typed(Number(m[2]), currency) : "",
    cap: m[3] ? typed(Number(m[3]), currency) : "",
  };
  return toExpression(a, currency, target) === expression.trim() ? a : null;
}
