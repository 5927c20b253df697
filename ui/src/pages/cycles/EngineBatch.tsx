// A payment batch through the central server's disbursement engine, from a headquarters desk: send it, ask
// the engine for results, and see where it stands (the server works after it answers, so the panel asks
// again every few seconds while it runs). Results reach this desk as payment results at its next sync.
import { useEffect, useState } from "react";
import { Badge, Button, Group, Modal, Stack, Table, Text } from "@mantine/core";
import { useQueryClient } from "@tanstack/react-query";
import { useTranslation } from "react-i18next";
import type { DisburseStatus, PaymentBatch } from "../../api/bindings";
import { api } from "../../api/client";
import { useSyncNow } from "../../components/SyncIndicator";
import { ErrorNote } from "../../components/ErrorNote";
import { useAction } from "../../components/useAction";
import { formatDateTime } from "../../app/format";

const REFRESH_MS = 2_000;
const STATES = ["pending", "sending", "sent", "paid", "failed", "reversed"];

export function EngineBatch({ batch, label, onClose }: { batch: PaymentBatch; label: string; onClose: () => void }) {
  const { t, i18n } = useTranslation();
  const [status, setStatus] = useState<DisburseStatus | null>(null);
  const work = useAction();
  const sync = useSyncNow();
  const queryClient = useQueryClient();
  const send = () => work.run(async () => setStatus(await api.call("payments.engine_send", { batch: batch.id })));
  const ask = (askEngine: boolean) =>
    work.run(async () => setStatus(await api.call("payments.engine_status", { batch: batch.id, ask_engine: askEngine })));
  useEffect(() => {
    void ask(false);
    // Asked once when the panel opens; the refresh below follows the server's work.
  }, [batch.id]);
  useEffect(() => {
    if (!status?.running) return;
    const timer = setTimeout(() => void ask(false), REFRESH_MS);
    return () => clearTimeout(timer);
  }, [status]);
  const running = status?.running ?? null;
  return (
    <Modal opened onClose={onClose} title={t("engine.title", { batch: label })} size="lg" closeButtonProps={{ "aria-label": t("common.cancel") }}>
      <Stack data-testid="engine-panel">
        <Text size="sm" c="dimmed">
          {t("engine.hint")}
        </Text>
        {status && (
          <Group gap="xs">
            <Badge variant="light">{status.engine}</Badge>
            {running && <Badge color="blue" data-testid="engine-running">{t(`engine.running_${running}`)}</Badge>}
          </Group>
        )}
        <Group>
          <Button data-testid="engine-send" disabled={batch.state !== "prepared" || running !== null} loading={work.busy} onClick={() => void send()}>
            {t("engine.send")}
          </Button>
          <Button variant="default" data-testid="engine-poll" disabled={running !== null} onClick={() => void ask(true)}>
            {t("engine.poll")}
          </Button>
          <Button variant="default" data-testid="engine-sync" loading={sync.busy} onClick={() => void sync.run().then(() => queryClient.invalidateQueries({ queryKey: ["cycles"] }))}>
            {t("engine.sync")}
          </Button>
        </Group>
        {status && (
          <Table data-testid="engine-counts">
            <Table.Tbody>
              {STATES.filter((s) => (status.counts[s] ?? 0) > 0).map((s) => (
                <Table.Tr key={s}>
                  <Table.Td>{t(`engine.state_${s}`)}</Table.Td>
                  <Table.Td data-testid={`engine-count-${s}`}>{(status.counts[s] ?? 0).toLocaleString(i18n.language)}</Table.Td>
                </Table.Tr>
              ))}
            </Table.Tbody>
          </Table>
        )}
        {status && status.events.length > 0 && (
          <Table striped data-testid="engine-events">
            <Table.Tbody>
              {status.events.map((e, i) => (
                <Table.Tr key={i}>
                  <Table.Td>{formatDateTime(e.at, i18n.language)}</Table.Td>
                  <Table.Td>
                    <code>{e.kind}</code>
                  </Table.Td>
                  <Table.Td>{e.message}</Table.Td>
                </Table.Tr>
              ))}
            </Table.Tbody>
          </Table>
        )}
        <ErrorNote error={work.error ?? sync.error} />
      </Stack>
    </Modal>
  );
}
