import { describe, expect, it } from "vitest";
import { fireEvent, render, screen } from "@testing-library/react";
import { MantineProvider } from "@mantine/core";
import { QueryClient, QueryClientProvider } from "@tanstack/react-query";
import i18n from "i18next";
import type { ReactNode } from "react";
import { ApiFailure } from "../api/transport";
import { SessionProvider } from "../app/session";
import { Setup } from "../pages/Setup";
import type { PrivacyProfile } from "../api/bindings";
import { ErrorNote } from "./ErrorNote";
import { KEEP_EVERYTHING, KEEP_MINIMUM, PrivacyChoice, privacyWords } from "./Privacy";

function wrap(node: ReactNode) {
  return render(
    <QueryClientProvider client={new QueryClient()}>
      <MantineProvider>{node}</MantineProvider>
    </QueryClientProvider>,
  );
}

describe("ErrorNote", () => {
  it("shows the translated message of an API error code, not the backend's English", async () => {
    await i18n.changeLanguage("fr");
    wrap(<ErrorNote error={new ApiFailure("permission_denied", "permission denied: registrant_write", null)} />);
    expect(screen.getByRole("alert").textContent).toContain("Votre rôle ne le permet pas");
    expect(screen.getByRole("alert").textContent).not.toContain("registrant_write");
    await i18n.changeLanguage("en");
  });

  it("keeps the backend's detail for invalid input, which names the field", () => {
    wrap(<ErrorNote error={new ApiFailure("invalid_input", "birth_date: not a date", null)} />);
    expect(screen.getByRole("alert").textContent).toContain("birth_date: not a date");
  });
});

describe("first-run wizard", () => {
  it("will not create the registry until the passphrase is typed back", () => {
    wrap(
      <SessionProvider>
        <Setup />
      </SessionProvider>,
    );
    fireEvent.change(screen.getByLabelText(/^Office name/), { target: { value: "North office" } });
    fireEvent.change(screen.getByLabelText(/^Office code/), { target: { value: "nth1" } });
    expect((screen.getByLabelText(/^Office code/) as HTMLInputElement).value).toBe("NTH1");
    fireEvent.click(screen.getByRole("button", { name: "Next" }));
    fireEvent.change(screen.getByLabelText(/^Password/), { target: { value: "long-enough-pw" } });
    fireEvent.change(screen.getByLabelText(/^Type the password again/), { target: { value: "long-enough-pw" } });
    fireEvent.click(screen.getByRole("button", { name: "Next" }));
    const passphrase = screen.getByTestId("recovery-passphrase").textContent!;
    const create = screen.getByRole("button", { name: "Create the registry" }) as HTMLButtonElement;
    expect(create.disabled).toBe(true);
    fireEvent.change(screen.getByLabelText(/^Type the passphrase back/), { target: { value: "wrong" } });
    expect(create.disabled).toBe(true);
    fireEvent.change(screen.getByLabelText(/^Type the passphrase back/), { target: { value: passphrase } });
    expect(create.disabled).toBe(false);
  });
});

describe("RuleEditor highlighting", () => {
  it("colours variables, fields, functions, strings, numbers and operators, and keeps every character", async () => {
    const { highlight } = await import("./RuleEditor");
    const source = "age(me.birth_date) >= 60 && me.area in ['D01', \"D02\"]";
    const pieces = highlight(source);
    expect(pieces.map((p) => p.text).join("")).toBe(source);
    const kind = (text: string) => pieces.find((p) => p.text === text)?.kind;
    expect(kind("age")).toBe("function");
    expect(kind("me")).toBe("variable");
    expect(kind("birth_date")).toBe("field");
    expect(kind(">=")).toBe("operator");
    expect(kind("60")).toBe("number");
    expect(kind("in")).toBe("keyword");
    expect(kind("'D01'")).toBe("string");
    expect(kind('"D02"')).toBe("string");
  });
});

describe("privacy profile", () => {
  it("starts from everything, switches each field, and says in words what is kept", () => {
    let chosen: PrivacyProfile = KEEP_EVERYTHING;
    const view = wrap(<PrivacyChoice value={chosen} onChange={(p) => (chosen = p)} />);
    fireEvent.click(screen.getByLabelText("Names"));
    expect(chosen).toEqual({ ...KEEP_EVERYTHING, names: false });
    fireEvent.click(screen.getByRole("button", { name: "Keep the minimum" }));
    expect(chosen).toEqual({ names: false, phone: false, birth_date: "year", id_values: "keyed_hash" });
    view.rerender(
      <MantineProvider>
        <PrivacyChoice value={chosen} onChange={(p) => (chosen = p)} />
      </MantineProvider>,
    );
    fireEvent.click(screen.getByLabelText(/^ID numbers as typed/));
    expect(chosen.id_values).toBe("plain");
    expect(privacyWords(i18n.t, KEEP_MINIMUM)).toBe("birth year only, ID numbers as keyed hashes");
    expect(privacyWords(i18n.t, KEEP_EVERYTHING)).toBe("names, phone, birth date, ID numbers");
  });
});
