// A beneficiary's entitlements and payments across every program and cycle: what they were entitled to,
// who approved it, and whether it was paid.
import { Badge, Card, Table, Text } from "@mantine/core";
import { useTranslation } from "react-i18next";
import type { EntitlementState, EntitlementView, PaymentState, PaymentView } from "../api/bindings";
import { formatMoney } from "../app/money";
import { formatDate } from "../app/format";

const ENTITLEMENT_COLOURS: Partial<Record<EntitlementState, string>> = {
  approved: "blue",
  in_payment: "cyan",
  paid: "green",
  failed: "red",
  rejected: "red",
  pending: "yellow",
};
const PAYMENT_COLOURS: Partial<Record<PaymentState, string>> = { paid: "green", failed: "red", reversed: "orange", sent: "cyan" };

/** Decimals of a currency's minor unit (ETB 2, XOF 0, KWD 3), as ISO 4217 and the browser know them. */
function what(e: EntitlementView, language: string): string {
  if (e.kind === "in_kind") return `${e.quantity ?? 0} ${e.unit ?? ""} ${e.product ?? ""}`.trim();
  const money = formatMoney(e.amount, e.currency, language);
  return e.voucher_code ? `${money} · ${e.voucher_code}` : money;
}

export function EntitlementsOf({ entitlements }: { entitlements: EntitlementView[] }) {
  const { t, i18n } = useTranslation();
  if (entitlements.length === 0) {
    return (
      <Card withBorder>
        <Text c="dimmed">{t("detail.no_entitlements")}</Text>
      </Card>
    );
  }
  return (
    <Table striped withTableBorder data-testid="beneficiary-entitlements">
      <Table.Thead>
        <Table.Tr>
          <Table.Th>{t("programs.name")}</Table.Th>
          <Table.Th>{t("cycle.cycle")}</Table.Th>
          <Table.Th>{t("cycle.entitled_to")}</Table.Th>
          <Table.Th>{t("cycle.valid")}</Table.Th>
          <Table.Th>{t("programs.state")}</Table.Th>
          <Table.Th>{t("cycle.approvals")}</Table.Th>
        </Table.Tr>
      </Table.Thead>
      <Table.Tbody>
        {entitlements.map((e) => (
          <Table.Tr key={e.id}>
            <Table.Td>{e.program_name} ({e.program_code})</Table.Td>
            <Table.Td>{e.cycle_name}</Table.Td>
            <Table.Td>{what(e, i18n.language)}</Table.Td>
            <Table.Td>
              {e.valid_from} – {e.valid_until}
            </Table.Td>
            <Table.Td>
              <Badge color={ENTITLEMENT_COLOURS[e.state] ?? "gray"}>
                {t(`entitlement_state.${e.state}`)}
                {e.state === "pending" && e.stage ? ` (${t("cycle.stage_n", { n: e.stage })})` : ""}
              </Badge>
              {e.reason && <Text size="xs">{e.reason}</Text>}
            </Table.Td>
            <Table.Td>
              {e.approvals.map((a) => (
                <Text size="xs" key={a.id}>
                  {t("cycle.stage_n", { n: a.stage })}: {t(`cycle.decision_${a.decision}`)} · {a.actor} · {formatDate(a.at, i18n.language)}
                </Text>
              ))}
            </Table.Td>
          </Table.Tr>
        ))}
      </Table.Tbody>
    </Table>
  );
}

export function PaymentsOf({ payments }: { payments: PaymentView[] }) {
  const { t, i18n } = useTranslation();
  if (payments.length === 0) {
    return (
      <Card withBorder>
        <Text c="dimmed">{t("detail.no_payments")}</Text>
      </Card>
    );
  }
  return (
    <Table striped withTableBorder data-testid="beneficiary-payments">
      <Table.Thead>
        <Table.Tr>
          <Table.Th>{t("programs.name")}</Table.Th>
          <Table.Th>{t("cycle.cycle")}</Table.Th>
          <Table.Th>{t("cycle.amount")}</Table.Th>
          <Table.Th>{t("cycle.account")}</Table.Th>
          <Table.Th>{t("programs.state")}</Table.Th>
          <Table.Th>{t("cycle.reference")}</Table.Th>
          <Table.Th>{t("cycle.updated")}</Table.Th>
        </Table.Tr>
      </Table.Thead>
      <Table.Tbody>
        {payments.map((p) => (
          <Table.Tr key={p.id}>
            <Table.Td>{p.program_code}</Table.Td>
            <Table.Td>
              {p.cycle_name} · {t("cycle.batch_n", { n: p.batch_sequence })}
            </Table.Td>
            <Table.Td>{formatMoney(p.amount, p.currency, i18n.language)}</Table.Td>
            <Table.Td>
              <code>{p.account ?? "—"}</code>
            </Table.Td>
            <Table.Td>
              <Badge color={PAYMENT_COLOURS[p.state] ?? "gray"}>{t(`payment_state.${p.state}`)}</Badge>
              {p.reason && <Text size="xs">{p.reason}</Text>}
            </Table.Td>
            <Table.Td>{p.external_ref ?? ""}</Table.Td>
            <Table.Td>{formatDate(p.updated_at, i18n.language)}</Table.Td>
          </Table.Tr>
        ))}
      </Table.Tbody>
    </Table>
  );
}
