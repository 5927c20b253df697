// Settings → Central server: enrol this desk with a URL and a one-time code, then see its office, scope,
// last sync and what the server refused.
import { useState } from "react";
import { Alert, Badge, Button, Card, Group, SimpleGrid, Stack, Table, Text, TextInput, Textarea } from "@mantine/core";
import { useQuery, useQueryClient } from "@tanstack/react-query";
import { useTranslation } from "react-i18next";
import { api } from "../api/client";
import { useSession } from "../app/session";
import { CenteredLoader } from "../components/CenteredLoader";
import { ErrorNote } from "../components/ErrorNote";
import { Field } from "../components/Field";
import { useAction } from "../components/useAction";
import { useSyncNow, useSyncStatus, when } from "../components/SyncIndicator";

function Enrol() {
  const { t } = useTranslation();
  const { refreshStatus } = useSession();
  const queryClient = useQueryClient();
  const [form, setForm] = useState({ url: "", code: "", ca: "", desk: "" });
  const { busy, error, run } = useAction();
  const set = (k: keyof typeof form) => (e: { currentTarget: { value: string } }) => setForm({ ...form, [k]: e.currentTarget.value });
  return (
    <Card withBorder>
      <Stack maw={640}>
        <Text size="sm">{t("sync.enrol_hint")}</Text>
        <TextInput label={t("sync.url")} placeholder="https://sync.example.org:8750" value={form.url} onChange={set("url")} data-testid="sync-url" />
        <TextInput label={t("sync.code")} placeholder="ABCD-EFGH-JKLM" value={form.code} onChange={set("code")} data-testid="sync-code" />
        <TextInput label={t("sync.desk_name")} value={form.desk} onChange={set("desk")} />
        <Textarea label={t("sync.ca")} description={t("sync.ca_hint")} autosize minRows={2} maxRows={6} value={form.ca} onChange={set("ca")} dir="ltr" />
        <ErrorNote error={error} />
        <Group>
          <Button
            loading={busy}
            disabled={!form.url.trim() || !form.code.trim()}
            data-testid="sync-enrol"
            onClick={() =>
              void run(async () => {
                await api.call("sync.enrol", {
                  url: form.url.trim(),
                  code: form.code.trim(),
                  ca_pem: form.ca.trim() || null,
                  desk_name: form.desk.trim() || null,
                });
                void queryClient.invalidateQueries({ queryKey: ["sync"] });
                void queryClient.invalidateQueries({ queryKey: ["registry"] });
                // The desk took its office's name and code: the header shows them at once.
                await refreshStatus();
              })
            }
          >
            {t("sync.enrol")}
          </Button>
        </Group>
      </Stack>
    </Card>
  );
}

function Rejections() {
  const { t, i18n } = useTranslation();
  const list = useQuery({ queryKey: ["sync", "rejections"], queryFn: () => api.call("sync.rejections", {}) });
  if (list.error) return <ErrorNote error={list.error} />;
  if (!list.data) return null;
  if (list.data.length === 0) return <Text size="sm" c="dimmed">{t("sync.rejections_none")}</Text>;
  return (
    <Table striped withTableBorder data-testid="sync-rejections">
      <Table.Thead>
        <Table.Tr>
          <Table.Th>{t("sync.rejected_at")}</Table.Th>
          <Table.Th>{t("sync.rejected_kind")}</Table.Th>
          <Table.Th>{t("sync.rejected_reason")}</Table.Th>
        </Table.Tr>
      </Table.Thead>
      <Table.Tbody>
        {list.data.map((r) => (
          <Table.Tr key={r.op_id}>
            <Table.Td>{when(r.at, i18n.language)}</Table.Td>
            <Table.Td>{r.kind}</Table.Td>
            <Table.Td>{t(`sync.reject_${r.code}`, { defaultValue: r.reason })}</Table.Td>
          </Table.Tr>
        ))}
      </Table.Tbody>
    </Table>
  );
}

export function CentralServer() {
  const { t, i18n } = useTranslation();
  const { can } = useSession();
  const status = useSyncStatus();
  const sync = useSyncNow();
  if (status.error) return <ErrorNote error={status.error} />;
  if (!status.data) return <CenteredLoader />;
  const s = status.data;
  if (!s.enrolled) {
    return can("settings_manage") ? <Enrol /> : <Text c="dimmed">{t("sync.not_enrolled")}</Text>;
  }
  return (
    <Stack>
      <Card withBorder data-testid="sync-status">
        <SimpleGrid cols={{ base: 1, sm: 2 }}>
          <Field label={t("sync.server")} value={s.server ?? ""} />
          <Field label={t("sync.office")} value={`${s.office_name} (${s.office_code})`} />
          <Field label={t("sync.desk")} value={String(s.desk_number ?? 1)} />
          <Field label={t("sync.scope")} value={s.headquarters ? t("sync.scope_hq") : t("sync.scope_office")} />
          <Field label={t("sync.last_success")} value={s.last_success_at ? when(s.last_success_at, i18n.language) : t("sync.never")} />
          <Field label={t("sync.ops_waiting")} value={s.ops_waiting.toLocaleString(i18n.language)} />
          <Field label={t("sync.received")} value={t("sync.received_value", { cursor: s.pulled_to.toLocaleString(i18n.language), head: s.server_head.toLocaleString(i18n.language) })} />
          <Field label={t("sync.conflicts_open")} value={String(s.conflicts_open)} />
        </SimpleGrid>
        {s.headquarters && <Badge mt="sm">{t("sync.headquarters")}</Badge>}
      </Card>
      {s.last_error && (
        <Alert color="orange" title={t("sync.failed_short")}>
          {s.last_error}
        </Alert>
      )}
      <ErrorNote error={sync.error} />
      <Group>
        <Button loading={sync.busy} onClick={() => void sync.run()} data-testid="sync-run">
          {t("sync.now")}
        </Button>
      </Group>
      <Text fw={600}>{t("sync.rejections_title")}</Text>
      <Rejections />
    </Stack>
  );
}
