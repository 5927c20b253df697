// One cycle: its numbers (by state and by area, funds, stages), the work its state allows for the user's
// role (generate, send for approval, approve or reject, prepare payments, export, reconcile), its
// entitlements, and a printable summary.
import { useEffect, useRef, useState, type ReactNode } from "react";
import { Alert, Anchor, Badge, Button, Card, Checkbox, Group, Modal, NumberInput, Progress, Select, SimpleGrid, Stack, Table, Text, TextInput, Textarea, Title } from "@mantine/core";
import { useInfiniteQuery, useQuery } from "@tanstack/react-query";
import { Bar, BarChart, ResponsiveContainer, Tooltip, XAxis, YAxis } from "recharts";
import { useTranslation } from "react-i18next";
import type { CycleSummary, EntitlementState, EntitlementView, PaymentBatch } from "../../api/bindings";
import { deliver, inputFile, outputFile, saveAskingToReplace } from "../../api/files";
import { api } from "../../api/client";
import { ApiFailure } from "../../api/transport";
import { hrefOf, navigate } from "../../app/route";
import { useSession } from "../../app/session";
import { CenteredLoader } from "../../components/CenteredLoader";
import { currencyDigits, formatMoney, toMinor } from "../../app/money";
import { ErrorNote } from "../../components/ErrorNote";
import { FileField, SaveField } from "../../components/PathField";
import { useSyncStatus } from "../../components/SyncIndicator";
import { useAction } from "../../components/useAction";
import { EngineBatch } from "./EngineBatch";
import { CYCLE_COLOURS } from "./ProgramCycles";
import { formatDate, formatDateTime, isolate } from "../../app/format";
import { useListLabels } from "../../components/lists";
import { stageName } from "../../components/stages";

const ENTITLEMENT_STATES: EntitlementState[] = ["draft", "pending", "approved", "in_payment", "paid", "failed", "rejected", "cancelled", "expired"];
/** The list of cash nobody can pay yet: approved or failed, and no financial address for the payee. */
const NO_ADDRESS = "no_address";

/** `show` (from the URL) chooses the entitlements listed: a state, or `no_address`. Every count on the page
 * links to the people behind it. */
export function Cycle({ id, show }: { id: string; show?: string }) {
  const { t, i18n } = useTranslation();
  const summary = useQuery({ queryKey: ["cycles", "get", id], queryFn: () => api.call("cycles.get", { cycle: id }) });
  const areaLabel = useListLabels("area");
  if (summary.isPending) return <CenteredLoader />;
  if (!summary.data) return <ErrorNote error={summary.error} />;
  const c = summary.data;
  const money = (n: number) => formatMoney(n, c.currency, i18n.language);
  const digits = currencyDigits(c.currency);
  const rtl = i18n.dir() === "rtl";
  const compact = (minor: number) => new Intl.NumberFormat(i18n.language, { notation: "compact" }).format(minor / 10 ** digits);
  const total = (s: string) => c.by_state.find((x) => x.state === s);
  return (
    <Stack className="printable">
      <Group justify="space-between">
        <div>
          <Anchor href={hrefOf({ page: "program", code: c.program_code })}>{c.program_code}</Anchor>
          <Title order={2}>
            {t("cycle.title", { sequence: c.sequence, name: isolate(c.name) })}
          </Title>
          <Group gap="xs">
            <Badge color={CYCLE_COLOURS[c.state]} data-testid="cycle-state">{t(`cycle_state.${c.state}`)}</Badge>
            <Text size="sm">
              {formatDate(c.start_date, i18n.language)} – {formatDate(c.end_date, i18n.language)} · {t("cycle.members_n", { n: c.members.toLocaleString(i18n.language) })}
              {c.prepared_by && ` · ${t("cycle.prepared_by", { user: c.prepared_by })}`}
              {c.submitted_by && ` · ${t("cycle.submitted_by", { user: c.submitted_by })}`}
            </Text>
          </Group>
        </div>
        <Group className="no-print">
          {/* A cycle's entitlements are all of its program's kind: the largest show which. */}
          {c.largest.some((e) => e.kind === "voucher") && (
            <Button variant="default" component="a" href={hrefOf({ page: "vouchers", cycle: c.id })} data-testid="cycle-vouchers">
              {t("cycle.vouchers")}
            </Button>
          )}
          <Button variant="default" onClick={() => window.print()}>
            {t("cycle.print")}
          </Button>
        </Group>
      </Group>
      <SimpleGrid cols={{ base: 2, md: 4 }}>
        <Card withBorder padding="sm">
          <Text size="sm">{t("cycle.total")}</Text>
          <Text fw={700} size="lg" data-testid="cycle-total">{money(c.total_amount)}</Text>
          <Text size="xs">{t("cycle.fees", { fees: money(c.total_fee) })} · {c.total_count.toLocaleString(i18n.language)}</Text>
        </Card>
        <Card withBorder padding="sm">
          <Text size="sm">{t("cycle.funds_available")}</Text>
          <Text fw={700} size="lg" data-testid="cycle-funds">{money(c.funds_available)}</Text>
        </Card>
        <Card withBorder padding="sm">
          <Text size="sm">{t("entitlement_state.paid")}</Text>
          <Anchor fw={700} size="lg" href={hrefOf({ page: "cycle", id, show: "paid" })} data-testid="cycle-paid">{(total("paid")?.count ?? 0).toLocaleString(i18n.language)}</Anchor>
          <Text size="xs">{money(total("paid")?.amount ?? 0)}</Text>
        </Card>
        <Card withBorder padding="sm">
          <Text size="sm">{t("entitlement_state.failed")}</Text>
          <Anchor fw={700} size="lg" href={hrefOf({ page: "cycle", id, show: "failed" })} data-testid="cycle-failed">{(total("failed")?.count ?? 0).toLocaleString(i18n.language)}</Anchor>
          <Text size="xs">{money(total("failed")?.amount ?? 0)}</Text>
        </Card>
      </SimpleGrid>
      <Work summary={c} />
      <SimpleGrid cols={{ base: 1, md: 2 }}>
        <Card withBorder>
          <Title order={3} size="h5" mb="sm">{t("cycle.by_state")}</Title>
          <Table data-testid="cycle-by-state">
            <Table.Tbody>
              {c.by_state.map((s) => (
                <Table.Tr key={s.state}>
                  <Table.Td>{t(`entitlement_state.${s.state}`)}</Table.Td>
                  <Table.Td ta="end">
                    <Anchor href={hrefOf({ page: "cycle", id, show: s.state })}>{s.count.toLocaleString(i18n.language)}</Anchor>
                  </Table.Td>
                  <Table.Td ta="end">{s.quantity ? s.quantity.toLocaleString(i18n.language) : money(s.amount)}</Table.Td>
                </Table.Tr>
              ))}
            </Table.Tbody>
          </Table>
        </Card>
        <Card withBorder>
          <Title order={3} size="h5" mb="sm">{t("cycle.by_area")}</Title>
          {/* Areas down the side, one bar each: their names neither overlap nor are cut, in any language. */}
          <div style={{ height: Math.max(160, 30 * c.by_area.length + 40) }} aria-hidden data-testid="cycle-area-chart">
            <ResponsiveContainer>
              <BarChart data={c.by_area.map((a) => ({ area: a.area ? areaLabel(a.area) : t("common.unknown"), amount: a.amount }))} layout="vertical" margin={{ left: 4, right: 16 }}>
                <XAxis type="number" tickFormatter={(v) => compact(Number(v))} reversed={rtl} tick={{ fontSize: 12 }} />
                <YAxis type="category" dataKey="area" width={130} interval={0} orientation={rtl ? "right" : "left"} tick={{ fontSize: 12 }} />
                <Tooltip formatter={(v) => money(Number(v))} />
                <Bar dataKey="amount" name={t("cycle.amount")} fill="var(--mantine-color-blue-8)" />
              </BarChart>
            </ResponsiveContainer>
          </div>
        </Card>
      </SimpleGrid>
      <Card withBorder>
        <Title order={3} size="h5" mb="sm">{t("cycle.approvals")}</Title>
        {c.stages.map((s, i) => (
          <Text key={i} size="sm">
            {t("cycle.stage_line", { n: i + 1, name: isolate(stageName(t, s.name)), role: t(`roles.${s.role}`), pending: (c.pending_by_stage[i] ?? 0).toLocaleString(i18n.language) })}
            {s.above_amount != null && ` ${t("cycle.above", { amount: money(s.above_amount) })}`}
          </Text>
        ))}
        {c.approvals.map((a) => (
          <Text key={a.id} size="sm" data-testid="approval-record">
            {formatDateTime(a.at, i18n.language)} · {t("cycle.stage_n", { n: a.stage })} · {t(`cycle.decision_${a.decision}`)} · {a.actor} ({t(`roles.${a.role}`)}) ·{" "}
            {a.count.toLocaleString(i18n.language)} / {money(a.total)}
            {a.comment && ` · “${a.comment}”`}
          </Text>
        ))}
      </Card>
      {c.largest.length > 0 && (
        <Card withBorder>
          <Title order={3} size="h5" mb="sm">{t("cycle.largest")}</Title>
          <Group gap="xs">
            {c.largest.map((e) => (
              <Badge key={e.id} variant="light">
                {e.reference}: {e.kind === "in_kind" ? `${e.quantity} ${e.unit}` : money(e.amount)}
              </Badge>
            ))}
          </Group>
        </Card>
      )}
      <Entitlements summary={c} show={show} />
    </Stack>
  );
}

/** The buttons a user's role and the cycle's state allow, with progress for long work. */
function Work({ summary: c }: { summary: CycleSummary }) {
  const { t, i18n } = useTranslation();
  const { can, progress, login } = useSession();
  const session = login?.session;
  const work = useAction();
  const deciding = useAction();
  const [message, setMessage] = useState<ReactNode>(null);
  const [decide, setDecide] = useState<{ stage: number; approve: boolean } | null>(null);
  const [comment, setComment] = useState("");
  const [batchSize, setBatchSize] = useState<number | string>(10000);
  const [exportPath, setExportPath] = useState("");
  const [batch, setBatch] = useState<string | null>(null);
  const [reportPath, setReportPath] = useState("");
  const [exporting, setExporting] = useState(false);
  const [listPath, setListPath] = useState("");
  const [personal, setPersonal] = useState(false);
  const [engineBatch, setEngineBatch] = useState<PaymentBatch | null>(null);
  const syncStatus = useSyncStatus();
  // Batches go through the central server's engine from a headquarters desk only.
  const headquarters = syncStatus.data?.enrolled === true && syncStatus.data.headquarters;
  const money = (n: number) => formatMoney(n, c.currency, i18n.language);
  const manage = can("cycle_manage");
  const pay = can("payment_manage");
  const me = session?.username;
  const mine = c.prepared_by === me || c.submitted_by === me;
  const live = progress["cycles.generate"] ?? progress["payments.prepare"] ?? progress["payments.reconcile"];
  const act = (action: "submit" | "send_back" | "cancel" | "end") =>
    void work.run(async () => {
      const r = await api.call("cycles.act", { cycle: c.id, action });
      setMessage(t("cycle.changed", { n: r.changed.toLocaleString(i18n.language) }));
    });
  const prepared = c.batches.filter((b) => b.state === "prepared");
  return (
    <Card withBorder className="no-print">
      {engineBatch && <EngineBatch batch={engineBatch} label={t("cycle.batch_n", { n: engineBatch.sequence })} onClose={() => setEngineBatch(null)} />}
      <Stack>
        <Group>
          {manage && c.state === "draft" && (
            <>
              <Button
                data-testid="cycle-generate"
                loading={work.busy}
                onClick={() =>
                  void work.run(async () => {
                    const g = await api.call("cycles.generate", { cycle: c.id });
                    setMessage(t("cycle.generated", { n: g.generated.toLocaleString(i18n.language), amount: money(g.total_amount), fees: money(g.total_fee) }));
                  })
                }
              >
                {t("cycle.generate")}
              </Button>
              <Button variant="default" onClick={() => void work.run(async () => { const r = await api.call("cycles.recheck", { cycle: c.id }); setMessage(t("cycle.rechecked", { removed: r.removed, remaining: r.remaining })); })}>
                {t("cycle.recheck")}
              </Button>
              <Button variant="default" data-testid="cycle-submit" disabled={c.total_count === 0} onClick={() => act("submit")}>{t("cycle.submit")}</Button>
            </>
          )}
          {manage && c.state === "to_approve" && <Button variant="default" onClick={() => act("send_back")}>{t("cycle.send_back")}</Button>}
          {manage && (c.state === "draft" || c.state === "to_approve") && <Button variant="subtle" color="red" onClick={() => act("cancel")}>{t("cycle.cancel")}</Button>}
          {manage && (c.state === "approved" || c.state === "distributing") && <Button variant="default" onClick={() => act("end")}>{t("cycle.end")}</Button>}
        </Group>
        {c.state === "to_approve" && can("entitlement_approve") && (
          <Group>
            {c.stages.map((s, i) =>
              (c.pending_by_stage[i] ?? 0) > 0 && s.role === session?.role ? (
                <Group key={i} gap="xs">
                  <Button data-testid={`approve-stage-${i + 1}`} disabled={mine} onClick={() => { setComment(""); deciding.clear(); setDecide({ stage: i + 1, approve: true }); }}>
                    {t("cycle.approve_stage", { n: i + 1, pending: (c.pending_by_stage[i] ?? 0).toLocaleString(i18n.language) })}
                  </Button>
                  <Button variant="light" color="red" disabled={mine} onClick={() => { setComment(""); deciding.clear(); setDecide({ stage: i + 1, approve: false }); }}>
                    {t("cycle.reject_stage", { n: i + 1 })}
                  </Button>
                </Group>
              ) : null,
            )}
            {mine && <Text size="sm" c="dimmed">{t("cycle.not_yours")}</Text>}
          </Group>
        )}
        {pay && (c.state === "approved" || c.state === "distributing") && (
          <Stack>
            <Group align="end">
              <NumberInput label={t("cycle.batch_size")} value={batchSize} onChange={setBatchSize} min={1} w={160} />
              <Button
                data-testid="payments-prepare"
                loading={work.busy}
                onClick={() =>
                  void work.run(async () => {
                    const p = await api.call("payments.prepare", { cycle: c.id, batch_size: Number(batchSize) || undefined });
                    setMessage(
                      <>
                        {t("cycle.prepared", { payments: p.payments.toLocaleString(i18n.language), batches: p.batches.length, total: money(p.total), retries: p.retries, missing: p.without_address, expired: p.expired })}{" "}
                        {p.without_address > 0 && <Anchor href={hrefOf({ page: "cycle", id: c.id, show: "no_address" })} data-testid="show-no-address">{t("cycle.show_who")}</Anchor>}
                      </>,
                    );
                  })
                }
              >
                {t("cycle.prepare")}
              </Button>
            </Group>
            {c.batches.length > 0 && (
              <Table data-testid="batch-table">
                <Table.Tbody>
                  {c.batches.map((b) => (
                    <Table.Tr key={b.id}>
                      <Table.Td>{t("cycle.batch_n", { n: b.sequence })}</Table.Td>
                      <Table.Td>{b.count.toLocaleString(i18n.language)}</Table.Td>
                      <Table.Td>{money(b.total)}</Table.Td>
                      <Table.Td>{t(`cycle.batch_${b.state}`)}</Table.Td>
                      <Table.Td>
                        <Group gap="xs">
                          <Button size="xs" variant="default" onClick={() => { setBatch(b.id); setExportPath(""); }}>{t("cycle.payment_file")}</Button>
                          {headquarters && (
                            <Button size="xs" variant="default" data-testid={`batch-engine-${b.sequence}`} onClick={() => setEngineBatch(b)}>
                              {t("engine.open")}
                            </Button>
                          )}
                          {b.state === "prepared" && (
                            <Button size="xs" variant="default" data-testid={`batch-sent-${b.sequence}`} onClick={() => void work.run(() => api.call("payments.mark_sent", { batch: b.id }))}>
                              {t("cycle.mark_sent")}
                            </Button>
                          )}
                        </Group>
                      </Table.Td>
                    </Table.Tr>
                  ))}
                </Table.Tbody>
              </Table>
            )}
            {prepared.length === 0 && c.batches.length > 0 && (
              <Group align="end">
                <FileField label={t("cycle.reconcile_file")} value={reportPath} onChange={setReportPath} extensions={["csv"]} />
                <Button
                  data-testid="reconcile"
                  disabled={!reportPath}
                  onClick={() =>
                    void work.run(async () => {
                      const r = await api.call("payments.reconcile", inputFile(reportPath));
                      setMessage(
                        <>
                          {t("cycle.reconciled", { rows: r.rows, paid: r.paid, failed: r.failed, reversed: r.reversed, repeated: r.repeated, unknown: r.unknown, invalid: r.invalid })}{" "}
                          {r.failed > 0 && <Anchor href={hrefOf({ page: "cycle", id: c.id, show: "failed" })}>{t("cycle.show_who")}</Anchor>}
                        </>,
                      );
                    })
                  }
                >
                  {t("cycle.reconcile")}
                </Button>
              </Group>
            )}
          </Stack>
        )}
        {can("export_run") && ["approved", "distributing", "ended"].includes(c.state) && (
          <Group>
            <Button variant="default" onClick={() => { setListPath(""); setExporting(true); }} data-testid="entitlements-export">
              {t("cycle.export_approved")}
            </Button>
          </Group>
        )}
        {work.busy && live && "done" in live && (
          <Group>
            <Progress style={{ flex: 1 }} value={live.total ? (live.done * 100) / live.total : 5} animated aria-label={t("programs.progress")} />
            <Text size="sm">{live.done.toLocaleString(i18n.language)}{live.total ? ` / ${live.total.toLocaleString(i18n.language)}` : ""}</Text>
            <Button size="xs" variant="default" onClick={() => void api.cancel()}>{t("common.cancel")}</Button>
          </Group>
        )}
        {message && <Alert color="green" data-testid="cycle-message">{message}</Alert>}
        <ErrorNote error={work.error} />
      </Stack>
      <Modal opened={decide !== null} onClose={() => setDecide(null)} title={decide?.approve ? t("cycle.approve_title", { n: decide.stage }) : t("cycle.reject_title", { n: decide?.stage ?? 1 })} closeButtonProps={{ "aria-label": t("common.cancel") }}>
        <Stack>
          <Textarea label={t("cycle.comment")} required={!decide?.approve} value={comment} onChange={(e) => setComment(e.currentTarget.value)} data-testid="decision-comment" />
          {/* A refusal stays here with what was typed: the shortfall, and where funds are added. */}
          <ErrorNote error={deciding.error} />
          {deciding.error instanceof ApiFailure && deciding.error.code === "funds_insufficient" && can("fund_manage") && (
            <Anchor href={hrefOf({ page: "program", code: c.program_code, tab: "cycles" })} data-testid="add-funds-link">
              {t("cycle.add_funds_link")}
            </Anchor>
          )}
          <Group justify="flex-end">
            <Button
              color={decide?.approve ? undefined : "red"}
              disabled={!decide?.approve && !comment.trim()}
              loading={deciding.busy}
              data-testid="decision-confirm"
              onClick={() => {
                const d = decide;
                if (d)
                  void deciding.run(async () => {
                    const r = await api.call("cycles.decide", { cycle: c.id, stage: d.stage, decision: d.approve ? "approve" : "reject", comment: comment || undefined });
                    setDecide(null);
                    setMessage(t("cycle.decided", { n: r.changed.toLocaleString(i18n.language), approved: r.approved.toLocaleString(i18n.language), pending: r.pending.toLocaleString(i18n.language) }));
                  });
              }}
            >
              {decide?.approve ? t("cycle.approve") : t("cycle.reject")}
            </Button>
          </Group>
        </Stack>
      </Modal>
      <Modal opened={exporting} onClose={() => setExporting(false)} title={t("cycle.export_approved")} closeButtonProps={{ "aria-label": t("common.cancel") }}>
        <Stack>
          <SaveField label={t("cycle.save_as")} value={listPath} onChange={setListPath} extensions={["csv"]} />
          {can("personal_data_reveal") && (
            <Checkbox label={t("cycle.export_personal")} checked={personal} onChange={(e) => setPersonal(e.currentTarget.checked)} />
          )}
          <Group justify="flex-end">
            <Button
              disabled={!listPath}
              onClick={() => {
                setExporting(false);
                void work.run(async () => {
                  const { result: r, downloads } = await saveAskingToReplace(t, (overwrite) =>
                    api.call("entitlements.export", { cycle: c.id, include_personal: personal, ...outputFile(listPath, overwrite) }),
                  );
                  deliver(downloads);
                  const where = downloads.length ? downloads.map((d) => d.name).join(", ") : r.path;
                  setMessage(t(r.contains_personal_data ? "cycle.exported_personal" : "cycle.exported_list", { n: r.rows.toLocaleString(i18n.language), path: where }));
                });
              }}
            >
              {t("cycle.save")}
            </Button>
          </Group>
        </Stack>
      </Modal>
      <Modal opened={batch !== null} onClose={() => setBatch(null)} title={t("cycle.payment_file")} closeButtonProps={{ "aria-label": t("common.cancel") }}>
        <Stack>
          <SaveField label={t("cycle.save_as")} value={exportPath} onChange={setExportPath} extensions={["csv"]} />
          <Text size="sm" c="dimmed">{t("cycle.payment_file_hint")}</Text>
          <Group justify="flex-end">
            <Button
              disabled={!exportPath}
              data-testid="payment-file-save"
              onClick={() => {
                const b = batch;
                setBatch(null);
                if (b)
                  void work.run(async () => {
                    const { result: f, downloads } = await saveAskingToReplace(t, (overwrite) =>
                      api.call("payments.export", { batch: b, ...outputFile(exportPath, overwrite) }),
                    );
                    deliver(downloads);
                    const where = downloads.length ? downloads.map((d) => d.name).join(", ") : f.path;
                    setMessage(t("cycle.exported", { n: f.payments.toLocaleString(i18n.language), path: where }));
                  });
              }}
            >
              {t("cycle.save")}
            </Button>
          </Group>
        </Stack>
      </Modal>
    </Card>
  );
}

/** The cycle's entitlements a page at a time; drafts can be corrected, pending ones decided one by one. */
function Entitlements({ summary: c, show }: { summary: CycleSummary; show?: string }) {
  const { t, i18n } = useTranslation();
  const { can } = useSession();
  const state = ENTITLEMENT_STATES.find((s) => s === show) ?? null;
  const withoutAddress = show === NO_ADDRESS;
  const card = useRef<HTMLDivElement>(null);
  // Opened from a count, the list it names comes into view.
  useEffect(() => {
    if (show) card.current?.scrollIntoView({ block: "start" });
  }, [show]);
  const [editing, setEditing] = useState<EntitlementView | null>(null);
  const [value, setValue] = useState<number | string>("");
  const [reason, setReason] = useState("");
  const [selected, setSelected] = useState<Set<string>>(new Set());
  const [rejecting, setRejecting] = useState(false);
  const [comment, setComment] = useState("");
  const work = useAction();
  const page = useInfiniteQuery({
    queryKey: ["entitlements", c.id, state, withoutAddress],
    initialPageParam: null as string | null,
    queryFn: ({ pageParam }) =>
      api.call("cycles.entitlements", { cycle: c.id, state: state ?? undefined, without_address: withoutAddress || undefined, after: pageParam ?? undefined, limit: 100 }),
    getNextPageParam: (last) => last.cursor,
  });
  const rows = page.data?.pages.flatMap((p) => p.entitlements) ?? [];
  const money = (n: number) => formatMoney(n, c.currency, i18n.language);
  const chosen = rows.filter((e) => selected.has(e.id));
  const newValue = value === "" ? null : editing?.kind === "in_kind" ? Number(value) : toMinor(value, c.currency);
  const stage = chosen[0]?.stage ?? null;
  const sameStage = chosen.length > 0 && chosen.every((e) => e.state === "pending" && e.stage === stage);
  const decideChosen = (approve: boolean) =>
    void work.run(async () => {
      await api.call("cycles.decide", { cycle: c.id, stage: stage ?? 1, decision: approve ? "approve" : "reject", entitlements: [...selected], comment: comment || undefined });
      setSelected(new Set());
      setRejecting(false);
    });
  return (
    <Card withBorder ref={card} data-testid="entitlements">
      <Group justify="space-between" mb="sm">
        <Title order={3} size="h5">{t("cycle.entitlements")}</Title>
        <Group>
          {can("entitlement_approve") && c.state === "to_approve" && sameStage && (
            <Group gap="xs" className="no-print">
              <Text size="sm">{t("programs.selected", { n: chosen.length })}</Text>
              <Button size="xs" onClick={() => decideChosen(true)}>{t("cycle.approve")}</Button>
              <Button size="xs" color="red" variant="light" onClick={() => setRejecting(true)}>{t("cycle.reject")}</Button>
            </Group>
          )}
          <Select
            w={200}
            placeholder={t("programs.state")}
            aria-label={t("programs.state")}
            clearable
            value={withoutAddress ? NO_ADDRESS : state}
            onChange={(v) => navigate({ page: "cycle", id: c.id, ...(v ? { show: v } : {}) }, { replace: true })}
            data={[...ENTITLEMENT_STATES.map((s) => ({ value: s, label: t(`entitlement_state.${s}`) })), { value: NO_ADDRESS, label: t("cycle.no_address") }]}
            data-testid="entitlement-filter"
          />
        </Group>
      </Group>
      <ErrorNote error={work.error} />
      <Table striped withTableBorder data-testid="entitlement-table">
        <Table.Thead>
          <Table.Tr>
            <Table.Th w={40} />
            <Table.Th>{t("fields.reference")}</Table.Th>
            <Table.Th>{t("cycle.entitled_to")}</Table.Th>
            <Table.Th>{t("cycle.fee")}</Table.Th>
            <Table.Th>{t("programs.state")}</Table.Th>
            <Table.Th>{t("membership.reason")}</Table.Th>
          </Table.Tr>
        </Table.Thead>
        <Table.Tbody>
          {rows.map((e) => (
            <Table.Tr key={e.id}>
              <Table.Td>
                <Checkbox
                  aria-label={e.reference}
                  checked={selected.has(e.id)}
                  onChange={(ev) => {
                    const next = new Set(selected);
                    if (ev.currentTarget.checked) next.add(e.id);
                    else next.delete(e.id);
                    setSelected(next);
                  }}
                />
              </Table.Td>
              <Table.Td>
                <Anchor href={hrefOf({ page: "beneficiary", reference: e.reference })}>{e.reference}</Anchor>
              </Table.Td>
              <Table.Td>
                {e.kind === "in_kind" ? `${e.quantity} ${e.unit} ${e.product}` : money(e.amount)}
                {e.voucher_code && <Text size="xs">{e.voucher_code}</Text>}
              </Table.Td>
              <Table.Td>{e.fee ? money(e.fee) : ""}</Table.Td>
              <Table.Td>
                {t(`entitlement_state.${e.state}`)}
                {e.state === "pending" && e.stage ? ` (${t("cycle.stage_n", { n: e.stage })})` : ""}
              </Table.Td>
              <Table.Td>
                {e.reason}
                {can("cycle_manage") && e.state === "draft" && c.state === "draft" && (
                  <Button size="xs" variant="subtle" className="no-print" onClick={() => { setEditing(e); setValue(e.kind === "in_kind" ? (e.quantity ?? 0) : (e.amount / 10 ** currencyDigits(c.currency)).toFixed(currencyDigits(c.currency))); setReason(""); }}>
                    {t("cycle.edit")}
                  </Button>
                )}
              </Table.Td>
            </Table.Tr>
          ))}
        </Table.Tbody>
      </Table>
      {!page.isPending && rows.length === 0 && <Text c="dimmed">{t("cycle.no_entitlements")}</Text>}
      {page.hasNextPage && (
        <Group className="no-print">
          <Button variant="default" loading={page.isFetchingNextPage} onClick={() => void page.fetchNextPage()}>{t("programs.more")}</Button>
        </Group>
      )}
      <Modal opened={editing !== null} onClose={() => setEditing(null)} title={t("cycle.edit_title", { reference: editing?.reference ?? "" })} closeButtonProps={{ "aria-label": t("common.cancel") }}>
        <Stack>
          {/* Cash is typed in the currency (ETB 150.50), never in minor units. */}
          <NumberInput
            label={editing?.kind === "in_kind" ? t("cycle.quantity") : t("cycle.amount_in", { currency: c.currency })}
            value={value}
            onChange={setValue}
            min={0}
            allowDecimal={editing?.kind !== "in_kind" && currencyDigits(c.currency) > 0}
            decimalScale={editing?.kind === "in_kind" ? 0 : currencyDigits(c.currency)}
            data-testid="entitlement-value"
          />
          <TextInput label={t("membership.reason")} required value={reason} onChange={(ev) => setReason(ev.currentTarget.value)} />
          <Group justify="flex-end">
            <Button
              disabled={!reason.trim() || newValue === null}
              onClick={() => {
                const e = editing;
                setEditing(null);
                if (e && newValue !== null) void work.run(() => api.call("entitlements.edit", { entitlement: e.id, value: newValue, reason }));
              }}
            >
              {t("cycle.save")}
            </Button>
          </Group>
        </Stack>
      </Modal>
      <Modal opened={rejecting} onClose={() => setRejecting(false)} title={t("cycle.reject")} closeButtonProps={{ "aria-label": t("common.cancel") }}>
        <Stack>
          <Textarea label={t("cycle.comment")} required value={comment} onChange={(ev) => setComment(ev.currentTarget.value)} />
          <Group justify="flex-end">
            <Button color="red" disabled={!comment.trim()} onClick={() => decideChosen(false)}>{t("cycle.reject")}</Button>
          </Group>
        </Stack>
      </Modal>
    </Card>
  );
}
