// The dashboard: how many people the registry holds, where, who, and what the imports brought.
import { BarChart, DonutChart, LineChart } from "@mantine/charts";
import { Card, ColorSwatch, Group, SimpleGrid, Stack, Table, Text, Title, VisuallyHidden } from "@mantine/core";
import type { ReactNode } from "react";
import { useQuery } from "@tanstack/react-query";
import { useTranslation } from "react-i18next";
import { api } from "../api/client";
import { CenteredLoader } from "../components/CenteredLoader";
import { ErrorNote } from "../components/ErrorNote";
import { useListLabels } from "../components/lists";
import { WorkQueue } from "../components/WorkQueue";

const SEX_COLORS: Record<string, string> = { female: "grape.6", male: "blue.6", other: "teal.6" };

function Stat({ label, value }: { label: string; value: number }) {
  const { i18n } = useTranslation();
  return (
    <Card withBorder>
      <Text size="sm" c="dimmed">
        {label}
      </Text>
      <Text fz={28} fw={700} data-testid={`stat-${label}`}>
        {value.toLocaleString(i18n.language)}
      </Text>
    </Card>
  );
}

/** A chart for the eye, and the same numbers as a table for screen readers. */
function ChartCard({ title, rows, children }: { title: string; rows: [string, number][]; children: ReactNode }) {
  const { i18n } = useTranslation();
  return (
    <Card withBorder>
      <Title order={3} size="h5" mb="sm">
        {title}
      </Title>
      <div aria-hidden inert>
        {children}
      </div>
      <VisuallyHidden>
        <Table>
          <Table.Caption>{title}</Table.Caption>
          <Table.Tbody>
            {rows.map(([label, value]) => (
              <Table.Tr key={label}>
                <Table.Th>{label}</Table.Th>
                <Table.Td>{value.toLocaleString(i18n.language)}</Table.Td>
              </Table.Tr>
            ))}
          </Table.Tbody>
        </Table>
      </VisuallyHidden>
    </Card>
  );
}

export function Home() {
  const { t, i18n } = useTranslation();
  const stats = useQuery({ queryKey: ["dashboard"], queryFn: () => api.call("dashboard.stats", {}) });
  const areaLabel = useListLabels("area");
  const sexLabel = useListLabels("sex");
  if (stats.isPending) return <CenteredLoader />;
  if (stats.error) return <ErrorNote error={stats.error} />;
  const s = stats.data;
  const unknown = t("common.unknown");
  const sexes = s.by_sex.map((c) => ({ name: c.key ? sexLabel(c.key) : unknown, value: c.count, color: SEX_COLORS[c.key ?? ""] ?? "gray.5" }));
  return (
    <Stack>
      <Title order={2}>{t("home.title")}</Title>
      <WorkQueue />
      <SimpleGrid cols={{ base: 1, sm: 3 }}>
        <Stat label={t("home.individuals")} value={s.individuals} />
        <Stat label={t("home.households")} value={s.groups} />
        <Stat label={t("home.disabled")} value={s.disabled} />
      </SimpleGrid>
      {s.individuals === 0 ? (
        <Card withBorder>
          <Text>{t("home.empty")}</Text>
        </Card>
      ) : (
        <SimpleGrid cols={{ base: 1, lg: 2 }}>
          <ChartCard title={t("home.by_area")} rows={s.by_area.map((c) => [c.key ? areaLabel(c.key) : unknown, c.count])}>
            {/* Areas down the side, one bar each: every name shows, none cut or overlapping. */}
            <BarChart
              h={Math.max(200, 28 * s.by_area.length + 40)}
              orientation="vertical"
              data={s.by_area.map((c) => ({ area: c.key ? areaLabel(c.key) : unknown, count: c.count }))}
              dataKey="area"
              series={[{ name: "count", label: t("home.people"), color: "blue.6" }]}
              valueFormatter={(v) => v.toLocaleString(i18n.language)}
              yAxisProps={{ width: 130, interval: 0, tick: { fontSize: 12 } }}
            />
          </ChartCard>
          <ChartCard title={t("home.by_sex")} rows={s.by_sex.map((c) => [c.key ? sexLabel(c.key) : unknown, c.count])}>
            <Group justify="center" gap="xl">
              <DonutChart
                size={200}
                thickness={30}
                withLabelsLine
                withLabels
                labelsType="percent"
                valueFormatter={(v) => v.toLocaleString(i18n.language)}
                data={sexes}
              />
              {/* The legend: which colour is whom, with the count. */}
              <Stack gap={6} data-testid="sex-legend">
                {sexes.map((d) => (
                  <Group key={d.name} gap={8} wrap="nowrap">
                    <ColorSwatch color={`var(--mantine-color-${d.color.replace(".", "-")})`} size={14} />
                    <Text size="sm">
                      {d.name}: {d.value.toLocaleString(i18n.language)}
                    </Text>
                  </Group>
                ))}
              </Stack>
            </Group>
          </ChartCard>
          <ChartCard title={t("home.by_age")} rows={s.by_age_band.map((c) => [c.key ?? unknown, c.count])}>
            <BarChart
              h={240}
              data={s.by_age_band.map((c) => ({ band: c.key ?? unknown, count: c.count }))}
              dataKey="band"
              series={[{ name: "count", label: t("home.people"), color: "teal.6" }]}
              valueFormatter={(v) => v.toLocaleString(i18n.language)}
            />
          </ChartCard>
          <ChartCard title={t("home.imports")} rows={s.imports.map((d) => [d.day, d.inserted + d.updated])}>
            {s.imports.length === 0 ? (
              <Text c="dimmed">{t("home.no_imports")}</Text>
            ) : (
              <LineChart
                h={240}
                valueFormatter={(v) => v.toLocaleString(i18n.language)}
                data={s.imports.map((d) => ({ day: d.day, inserted: d.inserted, updated: d.updated, rejected: d.rejected }))}
                dataKey="day"
                series={[
                  { name: "inserted", label: t("import.inserted"), color: "blue.6" },
                  { name: "updated", label: t("import.updated"), color: "teal.6" },
                  { name: "rejected", label: t("import.rejected"), color: "red.6" },
                ]}
              />
            )}
          </ChartCard>
        </SimpleGrid>
      )}
    </Stack>
  );
}
