// API error codes become translated messages that say what to do next; the English text from the
// backend is only a fallback for codes this UI does not know yet.
import i18next, { type TFunction } from "i18next";
import { formatMoney } from "../app/money";
import { ApiFailure } from "./transport";

/** Amounts in a refusal's details (minor units of `currency`), written as money: `shortfall_money`. */
function withMoney(values: Record<string, unknown>): Record<string, unknown> {
  const currency = values.currency;
  if (typeof currency !== "string") return values;
  const money: Record<string, unknown> = { ...values };
  for (const [key, value] of Object.entries(values)) {
    if (typeof value === "number") money[`${key}_money`] = formatMoney(value, currency, i18next.language);
  }
  return money;
}

export function errorMessage(t: TFunction, error: unknown): string {
  if (error instanceof ApiFailure) {
    const key = `errors.${error.code}`;
    // Details fill the message's blanks (the seconds to wait, for example).
    const values = withMoney(error.details && typeof error.details === "object" ? (error.details as Record<string, unknown>) : {});
    const translated = t(key, { ...values, defaultValue: "" });
    // Invalid input: the backend's sentence names the field and the rule, which a generic text cannot.
    if (["invalid_input", "mapping_invalid", "import_file_invalid", "rule_invalid", "transition_not_allowed", "merge_conflict"].includes(error.code)) {
      return `${translated} ${error.message}`.trim();
    }
    return translated || error.message;
  }
  return t("errors.unreachable");
}
