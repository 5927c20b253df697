import { describe, expect, it } from "vitest";
import { cleanFields, fieldChanges } from "./fieldChanges";

describe("fieldChanges", () => {
  it("lists only the fields that differ, in the form's order, with before and after", () => {
    const before = { given_name: "Amna", family_name: "Diallo", phone: "+251911000111", ids: [{ id_type: "national_id", value: "NID1" }] };
    const after = { given_name: "Amina", family_name: "Diallo", ids: [{ id_type: "national_id", value: "NID2", expiry: "2030-01-01" }] };
    expect(fieldChanges(before, after)).toEqual([
      { field: "given_name", before: "Amna", after: "Amina" },
      { field: "phone", before: "+251911000111", after: "" },
      { field: "ids", before: "national_id NID1", after: "national_id NID2 (2030-01-01)" },
    ]);
  });

  it("takes absent, empty and blank for the same", () => {
    expect(fieldChanges({ phone: undefined, tags: [] }, { phone: "  ", tags: undefined, birth_date_approx: false })).toEqual([]);
  });
});

describe("cleanFields", () => {
  it("trims text, leaves empty text out and drops ID rows without a value", () => {
    const clean = cleanFields({
      given_name: "  Awa ",
      family_name: "",
      birth_date_approx: true,
      tags: [" elderly ", ""],
      ids: [
        { id_type: "national_id", value: " NID 7 ", expiry: "" },
        { id_type: "passport", value: "  " },
      ],
    });
    expect(clean.given_name).toBe("Awa");
    expect(clean.family_name).toBeUndefined();
    expect(clean.birth_date_approx).toBe(false);
    expect(clean.tags).toEqual(["elderly"]);
    expect(clean.ids).toEqual([{ id_type: "national_id", value: "NID 7" }]);
  });
});
