// The entitlement amount in the currency: a base amount, more per household member and a cap, typed as
// money (the expression below is written from them), and what the amount being typed would give the
// program's enrolled members, with the cycle's total, before anything is saved.
import { useEffect, useState } from "react";
import { Alert, Group, Loader, Stack, Text, TextInput } from "@mantine/core";
import { useTranslation } from "react-i18next";
import type { AmountPreview, EntitlementRule, ProgramSummary } from "../api/bindings";
import { api } from "../api/client";
import { fromExpression, type SimpleAmount, toExpression } from "../app/amountBuilder";
import { formatMoney } from "../app/money";
import { ErrorNote } from "./ErrorNote";
import { useDebounced } from "./useDebounced";

export function SimpleAmountFields({ program, value, onChange, disabled }: { program: ProgramSummary; value: string; onChange(expression: string): void; disabled: boolean }) {
  const { t } = useTranslation();
  const [amount, setAmount] = useState<SimpleAmount | null>(() => (value.trim() === "" ? { base: "", perMember: "", cap: "" } : fromExpression(value, program.currency, program.target)));
  useEffect(() => {
    const mine = amount ? toExpression(amount, program.currency, program.target) : null;
    if (mine !== value.trim()) setAmount(value.trim() === "" ? { base: "", perMember: "", cap: "" } : fromExpression(value, program.currency, program.target));
  }, [value]);
  if (!amount) return <Text size="sm" c="dimmed" data-testid="amount-by-hand">{t("amount.by_hand")}</Text>;
  const set = (next: SimpleAmount) => {
    setAmount(next);
    const expression = toExpression(next, program.currency, program.target);
    if (expression !== null) onChange(expression);
  };
  const field = (key: keyof SimpleAmount, label: string, testId: string) => (
    <TextInput
      label={label}
      w={200}
      inputMode="decimal"
      value={amount[key]}
      disabled={disabled}
      rightSection={<Text size="xs" c="dimmed">{program.currency}</Text>}
      rightSectionWidth={48}
      error={amount[key].trim() !== "" && toExpression({ ...amount, [key]: amount[key] }, program.currency, program.target) === null ? t("amount.not_an_amount", { currency: program.currency }) : undefined}
      onChange={(e) => set({ ...amount, [key]: e.currentTarget.value })}
      data-testid={testId}
    />
  );
  return (
    <Group align="start">
      {field("base", program.target === "group" ? t("amount.base_household") : t("amount.base_person"), "amount-base")}
      {field("perMember", t("amount.per_member"), "amount-per-member")}
      {field("cap", t("amount.cap"), "amount-cap")}
    </Group>
  );
}


/** What the rule being typed would give the enrolled members; quantities for in-kind. */
export function AmountPreviewLine({ program, rule, valid }: { program: ProgramSummary; rule: EntitlementRule; valid: boolean }) {
  const { t, i18n } = useTranslation();
  const asked = useDebounced(JSON.stringify(rule), 400);
  const [preview, setPreview] = useState<AmountPreview | null>(null);
  const [error, setError] = useState<unknown>(null);
  const [busy, setBusy] = useState(false);
  useEffect(() => {
    const r = JSON.parse(asked) as EntitlementRule;
    if (!valid || r.expression.trim() === "") {
      setPreview(null);
      return;
    }
    let live = true;
    setBusy(true);
    setError(null);
    api
      .call("cycles.amount_preview", { program: { code: program.code }, rule: r })
      .then((p) => live && setPreview(p))
      .catch((e) => live && setError(e))
      .finally(() => live && setBusy(false));
    return () => {
      live = false;
    };
  }, [asked, valid, program.code]);
  const money = (n: number) => (rule.kind === "in_kind" ? `${n.toLocaleString(i18n.language)} ${rule.unit ?? ""}`.trim() : formatMoney(n, program.currency, i18n.language));
  if (error) return <ErrorNote error={error} />;
  if (busy && !preview) return <Loader size="xs" aria-label={t("common.loading")} />;
  if (!preview) return null;
  return (
    <Stack gap={4} data-testid="amount-preview" aria-live="polite">
      {preview.people === 0 && preview.failed === 0 ? (
        <Text size="sm">{t("amount.nobody_enrolled")}</Text>
      ) : (
        <>
          <Text size="sm" fw={600}>
            {t("amount.total", { people: preview.people.toLocaleString(i18n.language), total: money(preview.total), fees: money(preview.total_fee) })}
          </Text>
          {preview.smallest !== null && preview.largest !== null && (
            <Text size="sm">
              {preview.smallest === preview.largest
                ? t("amount.each", { amount: money(preview.smallest) })
                : t("amount.range", { smallest: money(preview.smallest), largest: money(preview.largest) })}
            </Text>
          )}
          <Text size="sm" c="dimmed">
            {t("amount.examples", { examples: preview.examples.map((e) => `${e.reference}: ${money(e.value)}`).join(" · ") })}
          </Text>
        </>
      )}
      {preview.failed > 0 && (
        <Alert color="red" p="xs">
          {t("amount.failed", { failed: preview.failed.toLocaleString(i18n.language), examples: preview.failures.map(([r, why]) => `${r} (${why})`).join("; ") })}
        </Alert>
      )}
    </Stack>
  );
}
