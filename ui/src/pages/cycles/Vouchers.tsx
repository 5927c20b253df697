// Printable vouchers of a cycle: one card each with its code, value, validity and a QR code of its payload,
// a page of approved vouchers at a time ("Print" then "Save as PDF" gives the PDF to hand out).
import { Anchor, Button, Card, Group, SimpleGrid, Stack, Text, Title } from "@mantine/core";
import { useInfiniteQuery, useQuery } from "@tanstack/react-query";
import { QRCodeSVG } from "qrcode.react";
import { useTranslation } from "react-i18next";
import { api } from "../../api/client";
import { hrefOf } from "../../app/route";
import { CenteredLoader } from "../../components/CenteredLoader";
import { isolate } from "../../app/format";
import { formatMoney } from "../../app/money";
import { ErrorNote } from "../../components/ErrorNote";

export function Vouchers({ cycle }: { cycle: string }) {
  const { t, i18n } = useTranslation();
  const summary = useQuery({ queryKey: ["cycles", "get", cycle], queryFn: () => api.call("cycles.get", { cycle }) });
  const page = useInfiniteQuery({
    queryKey: ["entitlements", cycle, "vouchers"],
    initialPageParam: null as string | null,
    queryFn: ({ pageParam }) => api.call("cycles.entitlements", { cycle, state: "approved", after: pageParam ?? undefined, limit: 100 }),
    getNextPageParam: (last) => last.cursor,
  });
  if (summary.isPending || page.isPending) return <CenteredLoader />;
  if (!summary.data) return <ErrorNote error={summary.error} />;
  const c = summary.data;
  const vouchers = (page.data?.pages.flatMap((p) => p.entitlements) ?? []).filter((e) => e.voucher_code && e.qr_payload);
  return (
    <Stack>
      <Group justify="space-between" className="no-print">
        <div>
          <Anchor href={hrefOf({ page: "cycle", id: cycle })}>{t("cycle.title", { sequence: c.sequence, name: isolate(c.name) })}</Anchor>
          <Title order={2}>{t("cycle.vouchers")}</Title>
          <Text size="sm">{t("cycle.vouchers_hint", { n: vouchers.length.toLocaleString(i18n.language) })}</Text>
        </div>
        <Group>
          {page.hasNextPage && (
            <Button variant="default" loading={page.isFetchingNextPage} onClick={() => void page.fetchNextPage()}>
              {t("programs.more")}
            </Button>
          )}
          <Button onClick={() => window.print()} data-testid="vouchers-print">{t("cycle.print")}</Button>
        </Group>
      </Group>
      {vouchers.length === 0 && <Text c="dimmed">{t("cycle.no_vouchers")}</Text>}
      <SimpleGrid cols={{ base: 1, sm: 2, lg: 3 }} data-testid="voucher-grid">
        {vouchers.map((v) => (
          <Card key={v.id} withBorder padding="md" style={{ breakInside: "avoid" }}>
            <Group align="start" wrap="nowrap">
              <QRCodeSVG value={v.qr_payload ?? ""} size={112} level="M" title={t("cycle.voucher_qr", { code: v.voucher_code })} />
              <Stack gap={2}>
                <Text size="sm">{v.program_name}</Text>
                <Text fw={700} size="lg">{formatMoney(v.amount, v.currency, i18n.language)}</Text>
                <Text ff="monospace" data-testid="voucher-code">{v.voucher_code}</Text>
                <Text size="sm">{v.reference}</Text>
                <Text size="xs">{t("cycle.valid_until", { date: v.valid_until })}</Text>
              </Stack>
            </Group>
          </Card>
        ))}
      </SimpleGrid>
    </Stack>
  );
}
