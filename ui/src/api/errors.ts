// API error codes become translated messages that say what to do next; the English text from the
// backend is only a fallback for codes this UI does not know yet.
import type { TFunction } from "i18next";
import { ApiFailure } from "./transport";

export function errorMessage(t: TFunction, error: unknown): string {
  if (error instanceof ApiFailure) {
    const key = `errors.${error.code}`;
    const translated = t(key, { defaultValue: "" });
    // Invalid input: the backend's sentence names the field and the rule, which a generic text cannot.
    if (error.code === "invalid_input" || error.code === "mapping_invalid" || error.code === "import_file_invalid") {
      return `${translated} ${error.message}`.trim();
    }
    return translated || error.message;
  }
  return t("errors.unreachable");
}
