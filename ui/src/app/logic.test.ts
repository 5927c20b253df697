import { describe, expect, it } from "vitest";
import { generatePassphrase, samePassphrase } from "./passphrase";
import { hrefOf, parseRoute, type Route } from "./route";
import { directionOf } from "./prefs";
import { mapColumn } from "../pages/ImportWizard";

describe("recovery passphrase", () => {
  it("has six groups of four characters without look-alikes", () => {
    const p = generatePassphrase();
    expect(p).toMatch(/^([a-hjkmnp-z2-9]{4}-){5}[a-hjkmnp-z2-9]{4}$/);
    expect(p).not.toMatch(/[01ilo]/);
  });

  it("differs every time", () => {
    const seen = new Set(Array.from({ length: 200 }, () => generatePassphrase()));
    expect(seen.size).toBe(200);
  });

  it("skips bytes that would bias the alphabet", () => {
    // 248..255 are above the largest multiple of 31 and must be thrown away, not folded onto early letters.
    let call = 0;
    const p = generatePassphrase((b) => b.fill(call++ === 0 ? 255 : 0));
    expect(p).toBe("aaaa-aaaa-aaaa-aaaa-aaaa-aaaa");
    expect(call).toBe(2);
  });

  it("accepts it typed back with other case, spaces or no dashes", () => {
    expect(samePassphrase("ABCD efgh-jkmn pqrs tuvw xyz2", "abcd-efgh-jkmn-pqrs-tuvw-xyz2")).toBe(true);
    expect(samePassphrase("abcd-efgh", "abcd-efgh-jkmn-pqrs-tuvw-xyz2")).toBe(false);
  });
});

describe("routes", () => {
  it("round-trip through the URL hash", () => {
    const routes: Route[] = [
      { page: "home" },
      { page: "beneficiaries", query: "Fatima 12" },
      { page: "beneficiary", reference: "DEMO-0000012" },
      { page: "households" },
      { page: "import" },
      { page: "settings", tab: "users" },
      { page: "audit", entityId: "abc" },
      { page: "cycle", id: "01a21d23-19b5-7670-bbd3-eed55f9dfbf7" },
      { page: "vouchers", cycle: "01a21d23-19b5-7670-bbd3-eed55f9dfbf7" },
      { page: "program", code: "ELD" },
      { page: "program", code: "ELD", tab: "cycles" },
      { page: "program", code: "ELD", tab: "members", state: "paused" },
      { page: "cycle", id: "01a21d23-19b5-7670-bbd3-eed55f9dfbf7", show: "no_address" },
    ];
    for (const r of routes) expect(parseRoute(hrefOf(r))).toEqual(r.page === "beneficiaries" ? r : { ...r });
  });

  it("sends unknown paths home", () => {
    expect(parseRoute("#/nowhere")).toEqual({ page: "home" });
  });
});

describe("directions", () => {
  it("Arabic is right-to-left, the others left-to-right", () => {
    expect(directionOf("ar")).toBe("rtl");
    expect(directionOf("fr")).toBe("ltr");
    expect(directionOf("xx")).toBe("ltr");
  });
});

describe("column mapping", () => {
  it("maps and unmaps a source column without touching the others", () => {
    const m = mapColumn({ columns: { Nom: "family_name" }, values: {}, date_format: null }, "Prénom", "given_name");
    expect(m.columns).toEqual({ Nom: "family_name", Prénom: "given_name" });
    expect(mapColumn(m, "Nom", null).columns).toEqual({ Prénom: "given_name" });
  });
});
