// One registrant: who they are, their IDs, household and members, programs, entitlements and payments
// in every cycle, custom fields and the record's history.
import { useState } from "react";
import { Anchor, Badge, Button, Card, Group, SimpleGrid, Stack, Table, Tabs, Text, Title } from "@mantine/core";
import { IconEye, IconEyeOff, IconPencil } from "@tabler/icons-react";
import { useQuery, useQueryClient } from "@tanstack/react-query";
import { useTranslation } from "react-i18next";
import type { RegistrantDetail } from "../api/bindings";
import { api } from "../api/client";
import { hrefOf } from "../app/route";
import { useSession } from "../app/session";
import { CenteredLoader } from "../components/CenteredLoader";
import { ErrorNote } from "../components/ErrorNote";
import { MembershipBadge } from "../components/MembershipBadge";
import { Field } from "../components/Field";
import { useListLabels } from "../components/lists";
import { DisableModal } from "../components/RegistrantList";
import { EditRegistrant } from "../components/EditRegistrant";
import { HouseholdMembers } from "../components/HouseholdMembers";
import { EntitlementsOf, PaymentsOf } from "../components/Disbursement";
import { formatDateTime } from "../app/format";
import { useRevealed } from "../app/reveal";

/** An audit entry's details as words: the fields an edit changed, what a membership change did. */
function HistoryDetails({ action, details }: { action: string; details: Record<string, unknown> }) {
  const { t } = useTranslation();
  const kindLabel = useListLabels("membership_kind");
  const fieldName = (k: string) => t(`edit.field_names.${k}`, { defaultValue: k });
  const text = (v: unknown) => (v === null || v === undefined || v === "" ? t("edit.empty") : typeof v === "object" ? JSON.stringify(v) : String(v));
  const d = details ?? {};
  switch (action) {
    case "registrant.update":
      return (
        <Stack gap={2}>
          {Object.entries(d).map(([k, v]) => {
            const change = (v ?? {}) as { before?: unknown; after?: unknown };
            return (
              <Text size="sm" key={k}>
                {t("history.changed", { field: fieldName(k), before: text(change.before), after: text(change.after) })}
              </Text>
            );
          })}
        </Stack>
      );
    case "registrant.create":
      return <Text size="sm">{t("history.created", { fields: Object.keys((d.fields ?? {}) as object).map(fieldName).join(", ") })}</Text>;
    case "membership.add":
      return <Text size="sm">{t("history.member_added", { member: text(d.member), kind: kindLabel(String(d.kind ?? "")) })}</Text>;
    case "membership.end":
      return <Text size="sm">{t("history.member_left", { member: text(d.member) })}</Text>;
    case "membership.move":
      return <Text size="sm">{t("history.moved", { to: text(d.to), kind: kindLabel(String(d.kind ?? "")) })}</Text>;
    case "membership.set_head":
      return (
        <Text size="sm">
          {d.former_head
            ? t("history.new_head", { head: text(d.head), former: text(d.former_head), kind: kindLabel(String(d.former_head_kind ?? "")) })
            : t("history.first_head", { head: text(d.head) })}
        </Text>
      );
    case "registrant.merged":
      return <Text size="sm">{t("history.merged_into", { into: text(d.into) })}</Text>;
    case "registrant.merge":
      return <Text size="sm">{t("history.merged_in", { merged: Array.isArray(d.merged) ? d.merged.join(", ") : text(d.merged) })}</Text>;
    default:
      return (
        <Stack gap={2}>
          {Object.entries(d).map(([k, v]) => (
            <Text size="sm" key={k}>
              {fieldName(k)}: {text(v)}
            </Text>
          ))}
        </Stack>
      );
  }
}

function History({ detail }: { detail: RegistrantDetail }) {
  const { t, i18n } = useTranslation();
  return (
    <Table striped data-testid="history">
      <Table.Thead>
        <Table.Tr>
          <Table.Th>{t("audit.at")}</Table.Th>
          <Table.Th>{t("audit.user")}</Table.Th>
          <Table.Th>{t("audit.action")}</Table.Th>
          <Table.Th>{t("audit.details")}</Table.Th>
        </Table.Tr>
      </Table.Thead>
      <Table.Tbody>
        {detail.history.map((h) => (
          <Table.Tr key={h.seq}>
            <Table.Td>{formatDateTime(h.at, i18n.language)}</Table.Td>
            <Table.Td>{h.username}</Table.Td>
            <Table.Td>{t(`history.actions.${h.action.replace(".", "_")}`, { defaultValue: h.action })}</Table.Td>
            <Table.Td>
              <HistoryDetails action={h.action} details={h.details as Record<string, unknown>} />
            </Table.Td>
          </Table.Tr>
        ))}
      </Table.Tbody>
    </Table>
  );
}

export function Beneficiary({ reference }: { reference: string }) {
  const { t } = useTranslation();
  const { can } = useSession();
  const queryClient = useQueryClient();
  // Opened from a list that shows personal data, the record shows it too; shown here, it stays with this record.
  const [revealedInList] = useRevealed();
  const [reveal, setReveal] = useState(revealedInList);
  const [disableOpen, setDisableOpen] = useState(false);
  const [editing, setEditing] = useState(false);
  const detail = useQuery({
    queryKey: ["registrants", "detail", reference, reveal],
    queryFn: () => api.call("registrants.get", { key: { reference }, reveal }),
  });
  const sexLabel = useListLabels("sex");
  const areaLabel = useListLabels("area");
  const idTypeLabel = useListLabels("id_type");
  const customFields = useQuery({ queryKey: ["custom_fields"], queryFn: () => api.call("custom_fields.list", {}) });
  if (detail.isPending) return <CenteredLoader />;
  if (detail.error) return <ErrorNote error={detail.error} />;
  const d = detail.data;
  const r = d.registrant;
  const f = r.fields;
  const name = r.kind === "group" ? f.group_name : [f.given_name, f.family_name].filter(Boolean).join(" ");
  const custom = Object.entries(f.custom ?? {});
  return (
    <Stack>
      <Group justify="space-between">
        <div>
          <Title order={2} data-testid="detail-name">
            <bdi>{name || r.reference}</bdi>
          </Title>
          <Group gap="xs">
            <Text c="dimmed">{r.reference}</Text>
            <Badge color={r.status === "active" ? "green" : "gray"}>{t(`status.${r.status}`)}</Badge>
            <Badge color="gray">{t(`kind.${r.kind}`)}</Badge>
            {r.masked && <Badge color="yellow">{t("detail.masked")}</Badge>}
          </Group>
        </div>
        <Group>
          {can("personal_data_reveal") && (
            <Button
              variant="default"
              leftSection={reveal ? <IconEyeOff size={16} /> : <IconEye size={16} />}
              onClick={() => setReveal(!reveal)}
              data-testid="reveal"
            >
              {reveal ? t("detail.hide") : t("detail.reveal")}
            </Button>
          )}
          {can("registrant_write") && can("personal_data_reveal") && r.status === "active" && (
            <Button variant="default" leftSection={<IconPencil size={16} />} onClick={() => setEditing(true)} data-testid="edit">
              {t("edit.edit")}
            </Button>
          )}
          {can("registrant_write") && r.status === "active" && (
            <Button color="red" variant="light" onClick={() => setDisableOpen(true)}>
              {t("detail.disable")}
            </Button>
          )}
        </Group>
      </Group>
      {r.status === "disabled" && r.disabled_reason && <Text c="dimmed">{t("detail.disabled_because", { reason: r.disabled_reason })}</Text>}
      <Tabs defaultValue="overview" keepMounted={false}>
        <Tabs.List>
          <Tabs.Tab value="overview">{t("detail.overview")}</Tabs.Tab>
          <Tabs.Tab value="household">{r.kind === "group" ? t("detail.members") : t("detail.household")}</Tabs.Tab>
          <Tabs.Tab value="programs">{t("detail.programs")}</Tabs.Tab>
          <Tabs.Tab value="entitlements">{t("detail.entitlements")}</Tabs.Tab>
          <Tabs.Tab value="payments">{t("detail.payments")}</Tabs.Tab>
          <Tabs.Tab value="history">{t("detail.history")}</Tabs.Tab>
        </Tabs.List>
        <Tabs.Panel value="overview" pt="md">
          <Stack>
            <Card withBorder>
              <SimpleGrid cols={{ base: 1, sm: 2, md: 4 }}>
                {r.kind === "individual" ? (
                  <>
                    <Field label={t("fields.given_name")} value={f.given_name} />
                    <Field label={t("fields.family_name")} value={f.family_name} />
                    <Field label={t("fields.sex")} value={f.sex && sexLabel(f.sex)} />
                    <Field label={t("fields.birth_date")} value={f.birth_date && (f.birth_date_approx ? `~${f.birth_date}` : f.birth_date)} testId="detail-birth-date" />
                  </>
                ) : (
                  <Field label={t("fields.group_name")} value={f.group_name} />
                )}
                <Field label={t("fields.phone")} value={f.phone} testId="detail-phone" />
                <Field label={t("import.columns.financial_address")} value={f.financial_address} />
                <Field label={t("fields.area")} value={f.area && areaLabel(f.area)} />
                <Field label={t("fields.external_id")} value={f.external_id} />
                <Field label={t("fields.registered_on")} value={r.registered_on} />
              </SimpleGrid>
            </Card>
            <Card withBorder>
              <Title order={3} size="h5" mb="sm">
                {t("detail.ids")}
              </Title>
              {(f.ids ?? []).length === 0 ? (
                <Text c="dimmed">{t("detail.no_ids")}</Text>
              ) : (
                <Table>
                  <Table.Tbody>
                    {(f.ids ?? []).map((id) => (
                      <Table.Tr key={`${id.id_type}-${id.value}`}>
                        <Table.Td>{idTypeLabel(id.id_type)}</Table.Td>
                        <Table.Td data-testid={`id-${id.id_type}`}>
                          <code>{id.value}</code>
                        </Table.Td>
                        <Table.Td>{id.expiry ?? ""}</Table.Td>
                      </Table.Tr>
                    ))}
                  </Table.Tbody>
                </Table>
              )}
            </Card>
            {custom.length > 0 && (
              <Card withBorder>
                <Title order={3} size="h5" mb="sm">
                  {t("detail.custom_fields")}
                </Title>
                <SimpleGrid cols={{ base: 1, sm: 2, md: 4 }}>
                  {custom.map(([key, value]) => (
                    <Field key={key} label={customFields.data?.fields.find((c) => c.name === key)?.label ?? key} value={value === null || value === undefined ? "" : String(value)} />
                  ))}
                </SimpleGrid>
              </Card>
            )}
          </Stack>
        </Tabs.Panel>
        <Tabs.Panel value="household" pt="md">
          <HouseholdMembers owner={r} links={r.kind === "group" ? d.members : d.groups} />
        </Tabs.Panel>
        <Tabs.Panel value="programs" pt="md">
          <ProgramsOf detail={d} />
        </Tabs.Panel>
        <Tabs.Panel value="entitlements" pt="md">
          <EntitlementsOf entitlements={d.entitlements} />
        </Tabs.Panel>
        <Tabs.Panel value="payments" pt="md">
          <PaymentsOf payments={d.payments} />
        </Tabs.Panel>
        <Tabs.Panel value="history" pt="md">
          <History detail={d} />
        </Tabs.Panel>
      </Tabs>
      <EditRegistrant reference={r.reference} opened={editing} onClose={() => setEditing(false)} />
      <DisableModal
        opened={disableOpen}
        references={[r.reference]}
        onClose={() => setDisableOpen(false)}
        onDone={() => void queryClient.invalidateQueries({ queryKey: ["registrants"] })}
      />
    </Stack>
  );
}

/** Every program the person or household is in, with state and dates. */
function ProgramsOf({ detail }: { detail: RegistrantDetail }) {
  const { t } = useTranslation();
  if (detail.programs.length === 0) {
    return (
      <Card withBorder>
        <Text c="dimmed">{t("detail.no_programs")}</Text>
      </Card>
    );
  }
  return (
    <Table striped withTableBorder data-testid="beneficiary-programs">
      <Table.Thead>
        <Table.Tr>
          <Table.Th>{t("programs.name")}</Table.Th>
          <Table.Th>{t("programs.state")}</Table.Th>
          <Table.Th>{t("membership.enrolled_on")}</Table.Th>
          <Table.Th>{t("membership.exited_on")}</Table.Th>
          <Table.Th>{t("membership.reason")}</Table.Th>
        </Table.Tr>
      </Table.Thead>
      <Table.Tbody>
        {detail.programs.map((p) => (
          <Table.Tr key={p.id}>
            <Table.Td>
              <Anchor href={hrefOf({ page: "program", code: p.program_code })}>{p.program_name}</Anchor> ({p.program_code})
            </Table.Td>
            <Table.Td>
              <MembershipBadge state={p.state} />
            </Table.Td>
            <Table.Td>{p.enrolled_on ?? "—"}</Table.Td>
            <Table.Td>{p.exited_on ?? "—"}</Table.Td>
            <Table.Td>{p.reason ?? ""}</Table.Td>
          </Table.Tr>
        ))}
      </Table.Tbody>
    </Table>
  );
}
