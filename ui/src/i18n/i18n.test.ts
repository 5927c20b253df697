import { describe, expect, it } from "vitest";
import { ERROR_CODES, IMPORT_COLUMNS } from "../api/bindings";
import { ar } from "./ar";
import { en } from "./en";
import { fr } from "./fr";

const PLURAL = /_(zero|one|two|few|many|other)$/;

function keys(obj: object, prefix = ""): string[] {
  return Object.entries(obj).flatMap(([k, v]) => (typeof v === "object" && v !== null ? keys(v, `${prefix}${k}.`) : [`${prefix}${k}`]));
}

function leaves(obj: object, prefix = ""): [string, string][] {
  return Object.entries(obj).flatMap(([k, v]) => (typeof v === "object" && v !== null ? leaves(v, `${prefix}${k}.`) : [[`${prefix}${k}`, v as string]]));
}

const base = (list: string[]) => [...new Set(list.map((k) => k.replace(PLURAL, "")))].sort();

describe("translations", () => {
  it("French and Arabic have every English message, and nothing else", () => {
    expect(base(keys(fr))).toEqual(base(keys(en)));
    expect(base(keys(ar))).toEqual(base(keys(en)));
  });

  it("Arabic counted messages have all six plural forms", () => {
    const plurals = base(keys(en).filter((k) => PLURAL.test(k)));
    for (const key of plurals) {
      for (const form of ["zero", "one", "two", "few", "many", "other"]) expect(keys(ar)).toContain(`${key}_${form}`);
    }
  });

  it("every API error code has a message in every language", () => {
    for (const code of ERROR_CODES) {
      for (const messages of [en, fr, ar]) expect(messages.errors[code], code).toBeTruthy();
    }
  });

  it("every column of the import format has a label in every language", () => {
    for (const column of IMPORT_COLUMNS) {
      for (const messages of [en, fr, ar]) expect(messages.import.columns[column], column).toBeTruthy();
    }
  });

  it("no message is left empty or untranslated by accident", () => {
    for (const messages of [fr, ar]) {
      for (const [key, text] of leaves(messages)) {
        if (key === "list.matched_by.list") continue;
        expect(text, key).not.toBe("");
      }
    }
    // Arabic text is Arabic: every message but codes and shortcuts has Arabic letters.
    const latinOnly = leaves(ar).filter(([key, text]) => text && !/[\u0600-\u06FF]/.test(text) && key !== "nav.shortcuts_hint");
    expect(latinOnly).toEqual([]);
  });

  it("placeholders match between languages", () => {
    const placeholders = (s: string) => (s.match(/\{\{\w+\}\}/g) ?? []).sort();
    const enLeaves = new Map(leaves(en));
    for (const messages of [fr, ar]) {
      for (const [key, text] of leaves(messages)) {
        const english = enLeaves.get(key) ?? enLeaves.get(key.replace(PLURAL, "_other"));
        if (english === undefined || /_(zero|one|two)$/.test(key)) continue;
        expect(placeholders(text), key).toEqual(placeholders(english));
      }
    }
  });
});
