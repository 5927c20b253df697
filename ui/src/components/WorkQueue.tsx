// What waits for the person signed in, each item a link to where it is done: decisions at their stage,
// funds a waiting cycle lacks, payments to prepare or send, duplicates and sync conflicts to settle.
import { Anchor, Card, Stack, Text, Title } from "@mantine/core";
import { useQuery } from "@tanstack/react-query";
import { useTranslation } from "react-i18next";
import type { WorkItem } from "../api/bindings";
import { api } from "../api/client";
import { hrefOf, type Route } from "../app/route";
import { isolate } from "../app/format";
import { formatMoney } from "../app/money";
import { stageName } from "./stages";
import { ErrorNote } from "./ErrorNote";

function routeOf(item: WorkItem): Route {
  switch (item.kind) {
    case "approve_cycle":
    case "prepare_payments":
    case "send_payments":
      return { page: "cycle", id: item.cycle_id ?? "" };
    case "add_funds":
      return { page: "program", code: item.program_code ?? "", tab: "cycles" };
    case "review_duplicates":
      return { page: "duplicates" };
    case "settle_conflicts":
      return { page: "conflicts" };
  }
}

export function WorkQueue() {
  const { t, i18n } = useTranslation();
  const work = useQuery({ queryKey: ["work"], queryFn: () => api.call("work.queue", {}) });
  if (work.error) return <ErrorNote error={work.error} />;
  const items = work.data?.items ?? [];
  return (
    <Card withBorder data-testid="work-queue">
      <Title order={3} size="h5" mb="sm">
        {t("work.title")}
      </Title>
      {work.data && items.length === 0 && <Text c="dimmed">{t("work.nothing")}</Text>}
      <Stack gap="xs">
        {items.map((item, i) => {
          const values = {
            program: isolate(item.program_name ?? item.program_code ?? ""),
            cycle: isolate(item.cycle_name ?? ""),
            stage: item.stage ?? "",
            stage_name: isolate(stageName(t, item.stage_name ?? "")),
            count: item.count.toLocaleString(i18n.language),
            amount: item.amount !== null && item.currency ? formatMoney(item.amount, item.currency, i18n.language) : "",
          };
          return (
            <div key={i} data-testid={`work-${item.kind}`}>
              <Anchor href={hrefOf(routeOf(item))} fw={600}>
                {t(`work.${item.kind}`, values)}
              </Anchor>
              <Text size="sm" c="dimmed">
                {t(`work.${item.kind}_detail`, values)}
              </Text>
            </div>
          );
        })}
      </Stack>
    </Card>
  );
}
