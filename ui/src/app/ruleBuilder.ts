// The guided rule builder's conditions and the CEL they write. Each condition is a field, an operator and a
// value chosen from lists; the rule is all of them (&&) or any of them (||). A rule the builder wrote reads
// back into its conditions, so it can be changed in either place; a rule written by hand that the builder
// cannot express stays as text.

export type FieldKind = "number" | "code" | "tag" | "yes_no";

export interface BuilderField {
  /** The CEL it reads, e.g. `me.age`. */
  path: string;
  kind: FieldKind;
  /** The registry list a code or tag comes from. */
  list?: "sex" | "area" | "tag";
}

export const INDIVIDUAL_FIELDS: BuilderField[] = [
  { path: "me.age", kind: "number" },
  { path: "me.sex", kind: "code", list: "sex" },
  { path: "me.area", kind: "code", list: "area" },
  { path: "me.tags", kind: "tag", list: "tag" },
  { path: "me.has_phone", kind: "yes_no" },
  { path: "household.size", kind: "number" },
];

export const GROUP_FIELDS: BuilderField[] = [
  { path: "me.size", kind: "number" },
  { path: "me.area", kind: "code", list: "area" },
  { path: "me.tags", kind: "tag", list: "tag" },
];

export const OPERATORS: Record<FieldKind, string[]> = {
  number: [">=", "<=", ">", "<", "==", "!="],
  code: ["==", "!="],
  tag: ["has", "has_not"],
  yes_no: ["yes", "no"],
};

export interface Condition {
  path: string;
  op: string;
  value: string;
}

export interface Built {
  join: "all" | "any";
  conditions: Condition[];
}

function fieldOf(path: string, fields: BuilderField[]): BuilderField | undefined {
  return fields.find((f) => f.path === path);
}

/** A condition is complete when its value fits its field; incomplete ones write nothing. */
export function complete(c: Condition, fields: BuilderField[]): boolean {
  const field = fieldOf(c.path, fields);
  if (!field || !OPERATORS[field.kind].includes(c.op)) return false;
  if (field.kind === "yes_no") return true;
  if (field.kind === "number") return /^\d{1,6}$/.test(c.value.trim());
  return c.value !== "" && !/["\\]/.test(c.value);
}

function conditionCel(c: Condition, field: BuilderField): string {
  switch (field.kind) {
    case "number":
      return `${c.path} ${c.op} ${Number(c.value.trim())}`;
    case "code":
      return `${c.path} ${c.op} "${c.value}"`;
    case "tag":
      return c.op === "has" ? `"${c.value}" in ${c.path}` : `!("${c.value}" in ${c.path})`;
    case "yes_no":
      return c.op === "yes" ? c.path : `!${c.path}`;
  }
}

/** The CEL of the complete conditions; empty when there are none (a rule that selects everyone). */
export function toCel(built: Built, fields: BuilderField[]): string {
  const parts = built.conditions.filter((c) => complete(c, fields)).map((c) => conditionCel(c, fieldOf(c.path, fields)!));
  return parts.join(built.join === "all" ? " && " : " || ");
}

function parseCondition(text: string, fields: BuilderField[]): Condition | null {
  const t = text.trim();
  for (const field of fields) {
    const path = field.path.replace(".", "\\.");
    const patterns: [RegExp, (m: RegExpMatchArray) => Condition][] =
      field.kind === "number"
        ? [[new RegExp(`^${path} (>=|<=|>|<|==|!=) (\\d{1,6})$`), (m) => ({ path: field.path, op: m[1], value: m[2] })]]
        : field.kind === "code"
          ? [[new RegExp(`^${path} (==|!=) "([^"\\\\]+)"$`), (m) => ({ path: field.path, op: m[1], value: m[2] })]]
          : field.kind === "tag"
            ? [
                [new RegExp(`^"([^"\\\\]+)" in ${path}$`), (m) => ({ path: field.path, op: "has", value: m[1] })],
                [new RegExp(`^!\\("([^"\\\\]+)" in ${path}\\)$`), (m) => ({ path: field.path, op: "has_not", value: m[1] })],
              ]
            : [
                [new RegExp(`^${path}$`), () => ({ path: field.path, op: "yes", value: "" })],
                [new RegExp(`^!${path}$`), () => ({ path: field.path, op: "no", value: "" })],
              ];
    for (const [re, make] of patterns) {
      const m = t.match(re);
      if (m) return make(m);
    }
  }
  return null;
}

/** The conditions of a rule the builder could have written; null for any other rule. */
export function fromCel(source: string, fields: BuilderField[]): Built | null {
  const text = source.trim();
  if (text === "") return { join: "all", conditions: [] };
  const hasAnd = text.includes("&&");
  const hasOr = text.includes("||");
  if (hasAnd && hasOr) return null;
  const join = hasOr ? "any" : "all";
  const conditions: Condition[] = [];
  for (const part of text.split(hasOr ? "||" : "&&")) {
    const c = parseCondition(part, fields);
    if (!c) return null;
    conditions.push(c);
  }
  return toCel({ join, conditions }, fields) === text ? { join, conditions } : null;
}
