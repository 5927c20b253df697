import { describe, expect, it } from "vitest";
import { fromCel, INDIVIDUAL_FIELDS, toCel, type Built } from "./ruleBuilder";

const women60: Built = {
  join: "all",
  conditions: [
    { path: "me.sex", op: "==", value: "female" },
    { path: "me.age", op: ">=", value: "60" },
    { path: "me.tags", op: "has_not", value: "deceased" },
    { path: "me.has_phone", op: "yes", value: "" },
  ],
};

describe("the rule builder", () => {
  it("writes the CEL of its conditions and reads it back", () => {
    const cel = toCel(women60, INDIVIDUAL_FIELDS);
    expect(cel).toBe('me.sex == "female" && me.age >= 60 && !("deceased" in me.tags) && me.has_phone');
    expect(fromCel(cel, INDIVIDUAL_FIELDS)).toEqual(women60);
    const any = { join: "any" as const, conditions: [{ path: "household.size", op: ">", value: "5" }, { path: "me.area", op: "!=", value: "D01" }] };
    expect(fromCel(toCel(any, INDIVIDUAL_FIELDS), INDIVIDUAL_FIELDS)).toEqual(any);
  });

  it("leaves out conditions not yet complete", () => {
    const half: Built = { join: "all", conditions: [{ path: "me.age", op: ">=", value: "" }, { path: "me.sex", op: "==", value: "male" }] };
    expect(toCel(half, INDIVIDUAL_FIELDS)).toBe('me.sex == "male"');
    expect(toCel({ join: "all", conditions: [{ path: "me.age", op: ">=", value: "6e1" }] }, INDIVIDUAL_FIELDS)).toBe("");
    expect(toCel({ join: "all", conditions: [{ path: "me.sex", op: "==", value: 'x" || true || "' }] }, INDIVIDUAL_FIELDS)).toBe("");
  });

  it("keeps a rule written by hand as text", () => {
    for (const hand of ["me.age >= 60 && me.sex == \"female\" || me.area == \"D01\"", "members.exists(m, m.age < 5)", "me.age >= 060", "me.sex == 'female'"]) {
      expect(fromCel(hand, INDIVIDUAL_FIELDS)).toBeNull();
    }
    expect(fromCel("  ", INDIVIDUAL_FIELDS)).toEqual({ join: "all", conditions: [] });
  });
});
