// What an edit changes, field by field, as the review step and the saved message show it; and a form's
// values as the API takes them.
import type { IdDocument, RegistrantFields } from "../api/bindings";

/** The fields a person edits, in the order the form shows them. */
export const EDITED_FIELDS = [
  "given_name",
  "family_name",
  "group_name",
  "sex",
  "birth_date",
  "birth_date_approx",
  "phone",
  "financial_address",
  "area",
  "external_id",
  "tags",
  "ids",
] as const;
export type EditedField = (typeof EDITED_FIELDS)[number];

export interface FieldChange {
  field: EditedField;
  before: string;
  after: string;
}

function idText(d: IdDocument): string {
  return `${d.id_type} ${d.value}${d.expiry ? ` (${d.expiry})` : ""}`;
}

/** A field's value as one line of text; empty when absent. */
export function fieldText(f: RegistrantFields, field: EditedField): string {
  switch (field) {
    case "tags":
      return (f.tags ?? []).join(", ");
    case "ids":
      return (f.ids ?? []).map(idText).join("; ");
    case "birth_date_approx":
      return f.birth_date_approx ? "true" : "";
    default:
      return (f[field] ?? "").trim();
  }
}

export function fieldChanges(before: RegistrantFields, after: RegistrantFields): FieldChange[] {
  return EDITED_FIELDS.map((field) => ({ field, before: fieldText(before, field), after: fieldText(after, field) })).filter((c) => c.before !== c.after);
}

/** Text trimmed and left out when empty, ID rows without a value dropped; custom fields kept as they were. */
export function cleanFields(f: RegistrantFields): RegistrantFields {
  const text = (v: string | undefined) => (v?.trim() ? v.trim() : undefined);
  return {
    ...f,
    external_id: text(f.external_id),
    given_name: text(f.given_name),
    family_name: text(f.family_name),
    group_name: text(f.group_name),
    sex: text(f.sex),
    birth_date: text(f.birth_date),
    birth_date_approx: f.birth_date_approx && !!text(f.birth_date),
    phone: text(f.phone),
    financial_address: text(f.financial_address),
    area: text(f.area),
    tags: (f.tags ?? []).map((t) => t.trim()).filter(Boolean),
    ids: (f.ids ?? [])
      .filter((d) => d.value.trim() && d.id_type)
      .map((d) => ({ id_type: d.id_type, value: d.value.trim(), ...(d.expiry?.trim() ? { expiry: d.expiry.trim() } : {}) })),
  };
}
