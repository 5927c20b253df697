// The audit log, newest first, filtered by action, user, record and dates, with the chain check.
import { useState } from "react";
import { Alert, Button, Group, Select, Stack, Table, Text, TextInput, Title } from "@mantine/core";
import { IconShieldCheck } from "@tabler/icons-react";
import { useInfiniteQuery } from "@tanstack/react-query";
import { useTranslation } from "react-i18next";
import type { AuditQuery, AuditVerifyReport, Outcome } from "../api/bindings";
import { api } from "../api/client";
import { ErrorNote } from "../components/ErrorNote";
import { useAction } from "../components/useAction";

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
              <Table.Td style={{ whiteSpace: "nowrap" }}>{new Date(e.at).toLocaleString(i18n.language)}</Table.Td>
              <Table.Td>{e.username}</Table.Td>
              <Table.Td>
                <code>{e.action}</code>
              </Table.Td>
              <Table.Td>{e.entity_id}</Table.Td>
              <Table.Td>{e.outcome === "ok" ? t("audit.outcome_ok") : t("audit.outcome_denied")}</Table.Td>
              <Table.Td>
                <Text size="xs" ff="monospace" style={{ wordBreak: "break-all" }}>
                  {JSON.stringify(e.details)}
                </Text>
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
