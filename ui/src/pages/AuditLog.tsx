// The audit log, newest first, filtered by action, user, record and dates, with the chain check.
import { useState } from "react";
import { Alert, Anchor, Button, Group, Select, Stack, Table, Text, TextInput, Title } from "@mantine/core";
import { IconShieldCheck } from "@tabler/icons-react";
import { useInfiniteQuery } from "@tanstack/react-query";
import { useTranslation } from "react-i18next";
import type { AuditQuery, AuditVerifyReport, Outcome } from "../api/bindings";
import { api } from "../api/client";
import { ErrorNote } from "../components/ErrorNote";
import { useAction } from "../components/useAction";
import { formatDateTime } from "../app/format";
import { hrefOf } from "../app/route";

/** An entry's record as people know it (a reference, a program, a cycle, a file, a user), linked where it has a page. */
function RecordName({ entity, id, label }: { entity: string | null; id: string | null; label: string | undefined }) {
  const { t } = useTranslation();
  if (!entity || !id) return <>—</>;
  const kind = t(`audit.entities.${entity}`, { defaultValue: entity });
  if (!label) {
    // A record that is gone, or one without a name: its kind and the start of its id.
    return (
      <Text size="sm" title={id}>
        {kind} <Text span c="dimmed" ff="monospace" size="xs">{id.length > 12 ? `${id.slice(0, 8)}…` : id}</Text>
      </Text>
    );
  }
  const href =
    entity === "registrant" ? hrefOf({ page: "beneficiary", reference: label }) :
    entity === "program" ? hrefOf({ page: "program", code: label.split(" · ")[0] }) :
    entity === "cycle" ? hrefOf({ page: "cycle", id }) : null;
  return (
    <Text size="sm">
      {kind}{" "}
      {href ? <Anchor href={href}><bdi>{label}</bdi></Anchor> : <bdi>{label}</bdi>}
    </Text>
  );
}

function value(v: unknown, t: (k: string) => string, language: string): string {
  if (v === null || v === undefined) return "—";
  if (typeof v === "boolean") return v ? t("common.yes") : t("common.no");
  if (typeof v === "number") return v.toLocaleString(language);
  if (Array.isArray(v)) return v.length === 0 ? "—" : v.map((x) => value(x, t, language)).join(", ");
  if (typeof v === "object") return Object.entries(v as Record<string, unknown>).map(([k, x]) => `${k} ${value(x, t, language)}`).join(", ");
  return String(v);
}

/** What an entry records, one line per item, instead of raw JSON. */
function Details({ details }: { details: unknown }) {
  const { t, i18n } = useTranslation();
  if (details === null || details === undefined) return <>—</>;
  if (typeof details !== "object" || Array.isArray(details)) return <Text size="xs">{value(details, t, i18n.language)}</Text>;
  const items = Object.entries(details as Record<string, unknown>);
  if (items.length === 0) return <>—</>;
  return (
    <Stack gap={0}>
      {items.map(([k, v]) => (
        <Text key={k} size="xs" style={{ overflowWrap: "anywhere" }}>
          <Text span size="xs" c="dimmed">{t(`audit.keys.${k}`, { defaultValue: k.replace(/_/g, " ") })}:</Text> {value(v, t, i18n.language)}
        </Text>
      ))}
    </Stack>
  );
}

const EMPTY: AuditQuery = { action: null, username: null, entity_id: null, outcome: null, from: null, to: null, before: null, limit: 100 };

export function AuditLog({ entityId }: { entityId?: string }) {
  const { t, i18n } = useTranslation();
  const [filters, setFilters] = useState<AuditQuery>({ ...EMPTY, entity_id: entityId ?? null });
  const [verify, setVerify] = useState<AuditVerifyReport | null>(null);
  const verifying = useAction();
  const log = useInfiniteQuery({
    queryKey: ["audit", filters],
    initialPageParam: null as number | null,
    queryFn: ({ pageParam }) => api.call("audit.list", { ...filters, before: pageParam }),
    getNextPageParam: (last) => last.next_before,
  });
  const entries = log.data?.pages.flatMap((p) => p.entries) ?? [];
  const labels: Record<string, string | undefined> = Object.assign({}, ...(log.data?.pages.map((p) => p.labels) ?? []));
  const text = (key: keyof AuditQuery) => (e: React.ChangeEvent<HTMLInputElement>) => setFilters({ ...filters, [key]: e.currentTarget.value || null });
  return (
    <Stack>
      <Group justify="space-between">
        <Title order={2}>{t("nav.audit")}</Title>
        <Button
          leftSection={<IconShieldCheck size={16} />}
          loading={verifying.busy}
          onClick={() => void verifying.run(async () => setVerify(await api.call("audit.verify", {})))}
        >
          {t("audit.verify")}
        </Button>
      </Group>
      <ErrorNote error={verifying.error} />
      {verify && (
        <Alert color={verify.ok ? "green" : "red"} data-testid="audit-verify">
          {verify.ok
            ? t("audit.chain_ok", { count: verify.entries_checked })
            : t("audit.chain_broken", { seq: verify.first_broken_seq, reason: verify.reason })}
        </Alert>
      )}
      <Group align="end" wrap="wrap">
        <TextInput label={t("audit.action")} placeholder="registrant.reveal" value={filters.action ?? ""} onChange={text("action")} data-testid="audit-action" />
        <TextInput label={t("audit.user")} value={filters.username ?? ""} onChange={text("username")} />
        <TextInput label={t("audit.record")} value={filters.entity_id ?? ""} onChange={text("entity_id")} />
        <TextInput label={t("audit.from")} type="date" value={filters.from ?? ""} onChange={text("from")} />
        <TextInput label={t("audit.to")} type="date" value={filters.to ?? ""} onChange={text("to")} />
        <Select
          w={140}
          label={t("audit.outcome")}
          clearable
          data={[
            { value: "ok", label: t("audit.outcome_ok") },
            { value: "denied", label: t("audit.outcome_denied") },
          ]}
          value={filters.outcome}
          onChange={(v) => setFilters({ ...filters, outcome: v as Outcome | null })}
        />
      </Group>
      <ErrorNote error={log.error} />
      <Table striped withTableBorder data-testid="audit-table">
        <Table.Thead>
          <Table.Tr>
            <Table.Th>#</Table.Th>
            <Table.Th>{t("audit.at")}</Table.Th>
            <Table.Th>{t("audit.user")}</Table.Th>
            <Table.Th>{t("audit.action")}</Table.Th>
            <Table.Th>{t("audit.record")}</Table.Th>
            <Table.Th>{t("audit.outcome")}</Table.Th>
            <Table.Th>{t("audit.details")}</Table.Th>
          </Table.Tr>
        </Table.Thead>
        <Table.Tbody>
          {entries.map((e) => (
            <Table.Tr key={e.seq}>
              <Table.Td>{e.seq}</Table.Td>
              <Table.Td style={{ whiteSpace: "nowrap" }}>{formatDateTime(e.at, i18n.language)}</Table.Td>
              <Table.Td>{e.username}</Table.Td>
              <Table.Td>
                <code>{e.action}</code>
                {t(`history.actions.${e.action.replace(/\./g, "_")}`, { defaultValue: "" }) && (
                  <Text size="xs" c="dimmed">
                    {t(`history.actions.${e.action.replace(/\./g, "_")}`)}
                  </Text>
                )}
              </Table.Td>
              <Table.Td>
                <RecordName entity={e.entity} id={e.entity_id} label={e.entity_id ? labels[e.entity_id] : undefined} />
              </Table.Td>
              <Table.Td>{e.outcome === "ok" ? t("audit.outcome_ok") : t("audit.outcome_denied")}</Table.Td>
              <Table.Td>
                <Details details={e.details} />
              </Table.Td>
            </Table.Tr>
          ))}
        </Table.Tbody>
      </Table>
      {!log.isPending && entries.length === 0 && <Text c="dimmed">{t("audit.empty")}</Text>}
      {log.hasNextPage && (
        <Group>
          <Button variant="default" loading={log.isFetchingNextPage} onClick={() => void log.fetchNextPage()}>
            {t("audit.older")}
          </Button>
        </Group>
      )}
    </Stack>
  );
}
