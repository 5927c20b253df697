import { describe, expect, it } from "vitest";
import type { ImportPreview } from "../api/bindings";
import { acceptGuesses, mapValue, missingColumns, valueKey } from "./importGuesses";

const preview = (over: Partial<ImportPreview>): ImportPreview => ({
  source: { kind: "csv", sheets: [], sheet: null, joined_with: null },
  headers: [],
  targets: [],
  unmapped: [],
  missing: [],
  suggested_columns: {},
  suggested_date_format: null,
  values: [],
  rows: [],
  file_bytes: 0,
  ...over,
});

describe("acceptGuesses", () => {
  it("takes every guess the mapping leaves open and remembers which were guesses", () => {
    const p = preview({
      suggested_columns: { Sexe: "sex", Prénom: "given_name" },
      suggested_date_format: "[day padding:none]/[month padding:none]/[year]",
      values: [{ column: "sex", codes: ["female", "male"], values: [
        { value: "F", rows: 3, mapped: null, suggested: "female" },
        { value: "M", rows: 2, mapped: null, suggested: "male" },
        { value: "?", rows: 1, mapped: null, suggested: null },
      ] }],
    });
    const { mapping, guessed } = acceptGuesses({ columns: { Prénom: "family_name" }, values: { sex: { M: "female" } }, date_format: null }, p);
    expect(mapping.columns).toEqual({ Prénom: "family_name", Sexe: "sex" });
    expect(mapping.values).toEqual({ sex: { M: "female", F: "female" } });
    expect(mapping.date_format).toBe("[day padding:none]/[month padding:none]/[year]");
    expect(guessed).toEqual({ columns: ["Sexe"], dateFormat: true, values: [valueKey("sex", "F")] });
  });

  it("keeps a date format the person wrote", () => {
    const p = preview({ suggested_date_format: "[month]/[day]/[year]" });
    const { mapping, guessed } = acceptGuesses({ columns: {}, values: {}, date_format: "[day].[month].[year]" }, p);
    expect(mapping.date_format).toBe("[day].[month].[year]");
    expect(guessed.dateFormat).toBe(false);
  });
});

describe("mapValue", () => {
  it("sets and clears the code of one value without touching the others", () => {
    const m = mapValue({ columns: {}, values: { sex: { F: "female" } }, date_format: null }, "sex", "H", "male");
    expect(m.values).toEqual({ sex: { F: "female", H: "male" } });
    expect(mapValue(m, "sex", "F", null).values).toEqual({ sex: { H: "male" } });
  });
});

describe("missingColumns", () => {
  it("counts what the mapping fills, and what a header names by itself unless the mapping unsets it", () => {
    const p = preview({ headers: ["external_id", "Nom"], targets: ["external_id", null] });
    expect(missingColumns(p, { columns: {}, values: {}, date_format: null })).toEqual(["given_name"]);
    expect(missingColumns(p, { columns: { Nom: "family_name" }, values: {}, date_format: null })).toEqual([]);
  });
});
