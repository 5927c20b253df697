import { describe, expect, it } from "vitest";
import { fromExpression, toExpression } from "./amountBuilder";

describe("the simple amount", () => {
  it("writes minor units from amounts typed in the currency, and reads them back", () => {
    const a = { base: "100.00", perMember: "25.50", cap: "300.00" };
    expect(toExpression(a, "ETB", "individual")).toBe("min(10000 + 2550 * household.size, 30000)");
    expect(fromExpression("min(10000 + 2550 * household.size, 30000)", "ETB", "individual")).toEqual(a);
    expect(toExpression({ base: "1500", perMember: "", cap: "" }, "XOF", "group")).toBe("1500");
    expect(toExpression({ base: "100", perMember: "10", cap: "" }, "XOF", "group")).toBe("100 + 10 * me.size");
    expect(fromExpression("100 + 10 * me.size", "XOF", "group")).toEqual({ base: "100", perMember: "10", cap: "" });
  });

  it("refuses amounts that are not plain amounts of the currency", () => {
    expect(toExpression({ base: "100.005", perMember: "", cap: "" }, "ETB", "individual")).toBeNull();
    expect(toExpression({ base: "", perMember: "", cap: "" }, "ETB", "individual")).toBeNull();
    expect(toExpression({ base: "-5", perMember: "", cap: "" }, "ETB", "individual")).toBeNull();
  });

  it("leaves an expression written by hand as text", () => {
    for (const hand of ["min(10000 + 2500 * size(members), 30000)", "me.age > 60 ? 20000 : 10000", "10000 + 2500 * me.size"]) {
      expect(fromExpression(hand, "ETB", "individual")).toBeNull();
    }
  });
});
