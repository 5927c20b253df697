import { describe, expect, it } from "vitest";
import { evidencePoints, formatDate, formatDateTime } from "./format";

describe("dates", () => {
  it("name the month, so 2026-12-01 is never read as 12 January", () => {
    expect(formatDate("2026-12-01", "en")).toBe("Dec 1, 2026");
    expect(formatDate("2026-12-01", "fr")).toBe("1 déc. 2026");
    expect(formatDate("2026-12-01T23:30:00Z", "en")).toBe("Dec 1, 2026");
    expect(formatDate("not a date", "en")).toBe("not a date");
  });

  it("write times in the reader's language", () => {
    expect(formatDateTime("2026-12-01T08:05:00Z", "fr")).toMatch(/^1 déc\. 2026/);
    expect(formatDateTime("nonsense", "fr")).toBe("nonsense");
  });
});

describe("a duplicate group's likelihood", () => {
  it("counts points that still tell near-certain groups apart", () => {
    expect(evidencePoints(0.5, "en")).toBe("+0.0");
    expect(evidencePoints(0.999, "en")).toBe("+10.0");
    expect(evidencePoints(0.99999, "en")).toBe("+16.6");
    expect(evidencePoints(0.2, "fr")).toBe("-2,0");
    expect(evidencePoints(1, "en")).toBe("+39.9");
  });
});
