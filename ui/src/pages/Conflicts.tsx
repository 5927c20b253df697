// Conflicts: changes sync could not apply (a transition the other side had already overtaken), with both
// sides. Settling one keeps the current state; every desk that kept the same conflict sees it settled.
import { useState } from "react";
import { Badge, Button, Card, Checkbox, Code, Group, SimpleGrid, Stack, Text, TextInput, Title } from "@mantine/core";
import { useQuery } from "@tanstack/react-query";
import { useTranslation } from "react-i18next";
import type { SyncConflict } from "../api/bindings";
import { api } from "../api/client";
import { useSession } from "../app/session";
import { CenteredLoader } from "../components/CenteredLoader";
import { ErrorNote } from "../components/ErrorNote";
import { useAction } from "../components/useAction";
import { when } from "../components/SyncIndicator";

function Side({ title, value }: { title: string; value: unknown }) {
  return (
    <Stack gap={4}>
      <Text size="sm" fw={600}>
        {title}
      </Text>
      <Code block dir="ltr">
        {JSON.stringify(value, null, 2)}
      </Code>
    </Stack>
  );
}

function ConflictCard({ c, manage }: { c: SyncConflict; manage: boolean }) {
  const { t, i18n } = useTranslation();
  const [note, setNote] = useState("");
  const { busy, error, run } = useAction();
  return (
    <Card withBorder data-testid="conflict">
      <Stack>
        <Group justify="space-between">
          <Group gap="xs">
            <Text fw={600}>{t(`conflicts.entity_${c.entity}`, { defaultValue: c.entity })}</Text>
            <Badge variant="light">{c.kind}</Badge>
            <Text size="sm" c="dimmed">{t(`conflicts.source_${c.source}`)}</Text>
          </Group>
          <Text size="sm" c="dimmed">{when(c.found_at, i18n.language)}</Text>
        </Group>
        <SimpleGrid cols={{ base: 1, md: 2 }}>
          <Side title={t(c.source === "push" ? "conflicts.this_desk_change" : "conflicts.here")} value={c.local} />
          <Side title={t(c.source === "push" ? "conflicts.server_state" : "conflicts.other_desk_change")} value={c.remote} />
        </SimpleGrid>
        {c.resolved_at ? (
          <Text size="sm" c="green" data-testid="conflict-settled">
            {t("conflicts.settled", { who: c.resolved_by ?? "", when: when(c.resolved_at, i18n.language) })}
          </Text>
        ) : (
          manage && (
            <Group align="end">
              <TextInput style={{ flex: 1 }} label={t("conflicts.note")} value={note} onChange={(e) => setNote(e.currentTarget.value)} maxLength={500} />
              <Button
                loading={busy}
                data-testid="conflict-resolve"
                onClick={() => void run(() => api.call("sync.resolve", { id: c.id, note: note.trim() || null }))}
              >
                {t("conflicts.resolve")}
              </Button>
            </Group>
          )
        )}
        <ErrorNote error={error} />
      </Stack>
    </Card>
  );
}

export function Conflicts() {
  const { t } = useTranslation();
  const { can } = useSession();
  const [all, setAll] = useState(false);
  const list = useQuery({ queryKey: ["sync", "conflicts", all], queryFn: () => api.call("sync.conflicts", { include_resolved: all }) });
  return (
    <Stack>
      <Title order={2}>{t("conflicts.title")}</Title>
      <Text size="sm" c="dimmed">{t("conflicts.hint")}</Text>
      <Checkbox label={t("conflicts.show_settled")} checked={all} onChange={(e) => setAll(e.currentTarget.checked)} />
      <ErrorNote error={list.error} />
      {!list.data && !list.error && <CenteredLoader />}
      {list.data?.length === 0 && <Text data-testid="conflicts-none">{t("conflicts.none")}</Text>}
      {list.data?.map((c) => <ConflictCard key={c.id} c={c} manage={can("program_manage")} />)}
    </Stack>
  );
}
