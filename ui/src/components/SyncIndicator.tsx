// The sync indicator in the shell: when this desk last synced, what waits to be sent, open conflicts, and
// Sync now with progress and cancel. While the app is open and logged in, it syncs by itself every few
// minutes; a failed attempt (no network) is shown, never in the way.
import { useCallback, useEffect, useRef } from "react";
import { ActionIcon, Badge, Group, Loader, Progress, Text, Tooltip } from "@mantine/core";
import { IconCloudCheck, IconCloudOff, IconRefresh, IconX } from "@tabler/icons-react";
import { useQuery, useQueryClient } from "@tanstack/react-query";
import { useTranslation } from "react-i18next";
import type { SyncStatus } from "../api/bindings";
import { api } from "../api/client";
import { navigate } from "../app/route";
import { useSession } from "../app/session";
import { useAction } from "./useAction";

/** How often the app syncs by itself while the desk is enrolled. */
export const AUTO_SYNC_MS = 5 * 60 * 1000;

export function when(iso: string | null, language: string): string {
  return iso ? new Date(iso).toLocaleString(language, { dateStyle: "short", timeStyle: "short" }) : "";
}

/** Runs a sync now; one at a time per window. */
export function useSyncNow() {
  const work = useAction();
  const queryClient = useQueryClient();
  const running = useRef(false);
  const run = useCallback(async () => {
    if (running.current) return;
    running.current = true;
    try {
      await work.run(() => api.call("sync.run", {}));
    } finally {
      running.current = false;
      void queryClient.invalidateQueries({ queryKey: ["sync"] });
    }
  }, [work, queryClient]);
  return { ...work, run };
}

export function useSyncStatus() {
  return useQuery({ queryKey: ["sync", "status"], queryFn: () => api.call("sync.status", {}), refetchInterval: 60_000 });
}

function label(s: SyncStatus, t: (k: string, o?: Record<string, unknown>) => string, language: string): string {
  const parts = [s.last_success_at ? t("sync.last", { when: when(s.last_success_at, language) }) : t("sync.never")];
  if (s.ops_waiting > 0) parts.push(t("sync.waiting", { count: s.ops_waiting }));
  return parts.join(" · ");
}

export function SyncIndicator() {
  const { t, i18n } = useTranslation();
  const { progress } = useSession();
  const status = useSyncStatus();
  const sync = useSyncNow();
  const enrolled = status.data?.enrolled ?? false;
  const { run } = sync;
  useEffect(() => {
    if (!enrolled) return;
    const timer = window.setInterval(() => void run(), AUTO_SYNC_MS);
    return () => window.clearInterval(timer);
  }, [enrolled, run]);
  if (!status.data?.enrolled) return null;
  const s = status.data;
  const live = progress["sync.run"];
  const failed = !!s.last_error && (!s.last_success_at || (s.last_attempt_at ?? "") > s.last_success_at);
  return (
    <Group gap={6} wrap="nowrap" data-testid="sync-indicator" visibleFrom="sm">
      {sync.busy ? (
        <Group gap={6} wrap="nowrap" w={180}>
          <Loader size="xs" />
          <Progress
            style={{ flex: 1 }}
            value={live?.kind === "sync" && live.total ? (live.done * 100) / live.total : 10}
            animated
            aria-label={live?.kind === "sync" ? t(`sync.phase_${live.phase}`) : t("sync.running")}
            data-testid="sync-progress"
          />
          <Tooltip label={t("common.cancel")}>
            <ActionIcon size="sm" variant="subtle" aria-label={t("common.cancel")} onClick={() => void api.cancel()}>
              <IconX size={14} />
            </ActionIcon>
          </Tooltip>
        </Group>
      ) : (
        <Tooltip label={failed ? t("sync.failed", { error: s.last_error }) : t("sync.now")}>
          <ActionIcon variant="default" size="lg" aria-label={t("sync.now")} onClick={() => void run()} data-testid="sync-now">
            {failed ? <IconCloudOff size={18} color="var(--mantine-color-red-9)" /> : <IconRefresh size={18} />}
          </ActionIcon>
        </Tooltip>
      )}
      <Text size="xs" c={failed ? "red.9" : "dimmed"} visibleFrom="lg" data-testid="sync-label">
        {failed ? t("sync.failed_short") : label(s, t, i18n.language)}
      </Text>
      {s.conflicts_open > 0 ? (
        <Badge color="red.9" style={{ cursor: "pointer" }} onClick={() => navigate({ page: "conflicts" })} data-testid="sync-conflicts">
          {t("sync.conflicts", { count: s.conflicts_open })}
        </Badge>
      ) : (
        !failed && <IconCloudCheck size={16} color="var(--mantine-color-green-6)" aria-hidden />
      )}
    </Group>
  );
}
