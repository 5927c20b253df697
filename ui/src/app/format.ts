// Dates as people read them in their language: the registry stores ISO dates (`2026-12-01`) and UTC times,
// which read as 12 January to some and turn around in right-to-left text.

const DAY = /^\d{4}-\d{2}-\d{2}/;

/** A date (or the day of a timestamp) in the language's medium style: 1 Dec 2026, 1 déc. 2026. */
export function formatDate(iso: string, language: string): string {
  if (!DAY.test(iso)) return iso;
  const day = new Date(`${iso.slice(0, 10)}T00:00:00Z`);
  return new Intl.DateTimeFormat(language, { dateStyle: "medium", timeZone: "UTC" }).format(day);
}

/** A UTC timestamp at the reader's local time, in the language's style. */
export function formatDateTime(iso: string, language: string): string {
  const at = new Date(iso);
  if (Number.isNaN(at.getTime())) return iso;
  return new Intl.DateTimeFormat(language, { dateStyle: "medium", timeStyle: "short" }).format(at);
}

/** A name or code set into a sentence, isolated so its direction does not leak: an ISO-like cycle name
 * (2027-01) stays in order inside Arabic text, and an Arabic name inside English. */
export function isolate(text: string): string {
  return `\u2068${text}\u2069`;
}

/**
 * A group's likelihood as the duplicates page's explanation counts it: points of evidence, each doubling the odds
 * that the records are one person. Near-certain groups differ in points where a probability shows 1.00
 * for all of them.
 */
export function evidencePoints(probability: number, language: string): string {
  const p = Math.min(Math.max(probability, 1e-12), 1 - 1e-12);
  const value = Math.log2(p / (1 - p));
  return new Intl.NumberFormat(language, { signDisplay: "always", maximumFractionDigits: 1, minimumFractionDigits: 1 }).format(value);
}
