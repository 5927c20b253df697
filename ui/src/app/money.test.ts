import { describe, expect, it } from "vitest";
import { currencyDigits, formatMoney, toMinor } from "./money";

describe("money", () => {
  it("knows each currency's digits", () => {
    expect([currencyDigits("ETB"), currencyDigits("XOF"), currencyDigits("KWD")]).toEqual([2, 0, 3]);
  });

  it("reads typed amounts as text, never through floating point", () => {
    expect(toMinor("0.29", "ETB")).toBe(29);
    expect(toMinor("0.3", "ETB")).toBe(30);
    expect(toMinor(0.1 + 0.2, "ETB")).toBeNull();
    expect(toMinor("1.005", "ETB")).toBeNull();
    expect(toMinor("1.005", "KWD")).toBe(1005);
    expect(toMinor("1500", "XOF")).toBe(1500);
    expect(toMinor("1500.5", "XOF")).toBeNull();
    expect(toMinor(" 12.", "ETB")).toBe(1200);
    expect(toMinor("-4.50", "ETB")).toBe(-450);
    expect(toMinor("", "ETB")).toBeNull();
    expect(toMinor("1e3", "ETB")).toBeNull();
    expect(toMinor("90071992547409.93", "ETB")).toBeNull();
  });

  it("writes minor units in the currency and the language", () => {
    expect(formatMoney(12345, "ETB", "en")).toMatch(/ETB\s?123\.45/);
    expect(formatMoney(1500, "XOF", "fr")).toMatch(/1\s?500\sF\s?CFA/);
    expect(formatMoney(1005, "KWD", "en")).toMatch(/1\.005/);
  });
});
