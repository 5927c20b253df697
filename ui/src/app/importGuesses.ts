// The import wizard's guesses, taken into the mapping the person then sees and can change: the column each
// header most likely means, the date format, and the code each value means. What was guessed is remembered,
// so each guess is shown as one.
import type { ColumnMapping, ImportPreview } from "../api/bindings";

export interface Guessed {
  columns: string[];
  dateFormat: boolean;
  /** `column\u0000value` of each guessed value. */
  values: string[];
}

export const NO_GUESSES: Guessed = { columns: [], dateFormat: false, values: [] };

export function valueKey(column: string, value: string): string {
  return `${column}\u0000${value}`;
}

interface Accepted {
  mapping: ColumnMapping;
  guessed: Guessed;
}

/** The mapping with every guess of `preview` (columns, date format, values) it does not already decide. */
export function acceptGuesses(mapping: ColumnMapping, preview: ImportPreview, before: Guessed = NO_GUESSES): Accepted {
  const columns = { ...mapping.columns };
  const guessed: Guessed = { columns: [...before.columns], dateFormat: before.dateFormat, values: [...before.values] };
  for (const [header, target] of Object.entries(preview.suggested_columns)) {
    if (!target || columns[header]) continue;
    columns[header] = target;
    guessed.columns.push(header);
  }
  let dateFormat = mapping.date_format;
  if (!dateFormat && preview.suggested_date_format) {
    dateFormat = preview.suggested_date_format;
    guessed.dateFormat = true;
  }
  return acceptValueGuesses({ columns, values: mapping.values, date_format: dateFormat }, preview, guessed);
}

/** The mapping with the codes guessed for values it does not match yet; columns a person left unmapped stay so. */
export function acceptValueGuesses(mapping: ColumnMapping, preview: ImportPreview, before: Guessed): Accepted {
  const guessed: Guessed = { ...before, values: [...before.values] };
  const values: ColumnMapping["values"] = { ...mapping.values };
  for (const column of preview.values) {
    const chosen = { ...(values[column.column] ?? {}) };
    for (const seen of column.values) {
      if (chosen[seen.value] || !seen.suggested) continue;
      chosen[seen.value] = seen.suggested;
      guessed.values.push(valueKey(column.column, seen.value));
    }
    values[column.column] = chosen;
  }
  return { mapping: { ...mapping, values }, guessed };
}

/** The import columns every file needs that no column fills under the mapping. */
export function missingColumns(preview: ImportPreview, mapping: ColumnMapping): string[] {
  const filled = new Set(preview.headers.map((h, i) => (h in mapping.columns ? mapping.columns[h] : preview.targets[i])));
  const missing: string[] = [];
  if (!filled.has("external_id")) missing.push("external_id");
  if (!filled.has("given_name") && !filled.has("family_name")) missing.push("given_name");
  return missing;
}

/** Sets (or, with null, removes) the code a value of a coded column is imported as. */
export function mapValue(mapping: ColumnMapping, column: string, value: string, code: string | null): ColumnMapping {
  const chosen = { ...(mapping.values[column] ?? {}) };
  if (code) chosen[value] = code;
  else delete chosen[value];
  return { ...mapping, values: { ...mapping.values, [column]: chosen } };
}
