// The duplicate review queue: groups found by a dedup run, highest score first, each shown side by side
// so a person can decide "duplicates" or "not duplicates", or merge into the record to keep.
import { useState } from "react";
import { Anchor, Badge, Button, Card, Grid, Group, NumberInput, SimpleGrid, Stack, Switch, Table, Text, Textarea, Title } from "@mantine/core";
import { useInfiniteQuery, useQuery } from "@tanstack/react-query";
import { useTranslation } from "react-i18next";
import type { TFunction } from "i18next";
import type { DedupSummary, DedupThresholds, DuplicateGroup, GroupStatus, MergeSummary } from "../api/bindings";
import { api } from "../api/client";
import { hrefOf } from "../app/route";
import { useSession } from "../app/session";
import { evidencePoints } from "../app/format";
import { ConfirmButton } from "../components/ConfirmButton";
import { useListLabels } from "../components/lists";
import { ErrorNote } from "../components/ErrorNote";
import { useAction } from "../components/useAction";

export function Duplicates({ program }: { program?: string }) {
  const { t, i18n } = useTranslation();
  const { can } = useSession();
  const [status, setStatus] = useState<GroupStatus>("open");
  const [current, setCurrent] = useState<DuplicateGroup | null>(null);
  const [summary, setSummary] = useState<DedupSummary | null>(null);
  const running = useAction();
  const scope = program ? { code: program } : undefined;
  const queue = useInfiniteQuery({
    queryKey: ["duplicates", program ?? "", status],
    initialPageParam: null as string | null,
    queryFn: ({ pageParam }) => api.call("dedup.queue", { status, program: scope, after: pageParam ?? undefined, limit: 50 }),
    getNextPageParam: (last) => last.cursor,
  });
  const groups = queue.data?.pages.flatMap((p) => p.groups) ?? [];
  const open = queue.data?.pages[0]?.open ?? 0;
  return (
    <Stack>
      <Group justify="space-between">
        <Title order={2}>
          {t("nav.duplicates")}
          {program && <Text span c="dimmed"> · {program}</Text>}
        </Title>
        {can("duplicates_manage") && (
          <Button
            loading={running.busy}
            data-testid="dedup-run"
            onClick={() => void running.run(async () => setSummary(await api.call("dedup.run", { program: scope, exact: true, fuzzy: true, households: true })))}
          >
            {t("dedup.run")}
          </Button>
        )}
      </Group>
      <ErrorNote error={running.error} />
      {summary && (
        <Text data-testid="dedup-summary">
          {t("dedup.summary", {
            groups: summary.groups.toLocaleString(i18n.language),
            people: summary.stats.people.toLocaleString(i18n.language),
            households: summary.household_groups.toLocaleString(i18n.language),
            seconds: (summary.elapsed_ms / 1000).toFixed(1),
          })}
        </Text>
      )}
      <Thresholds />
      <Group>
        {(["open", "duplicates", "not_duplicates", "merged"] as GroupStatus[]).map((s) => (
          <Button key={s} size="xs" variant={s === status ? "filled" : "default"} onClick={() => setStatus(s)}>
            {t(`dedup.status_${s}`)}
          </Button>
        ))}
        <Text size="sm">{t("dedup.open_count", { n: open.toLocaleString(i18n.language) })}</Text>
      </Group>
      <Grid>
        <Grid.Col span={{ base: 12, lg: 5 }}>
        <Table striped highlightOnHover withTableBorder data-testid="dedup-queue">
          <Table.Thead>
            <Table.Tr>
              <Table.Th>{t("dedup.score")}</Table.Th>
              <Table.Th>{t("dedup.records")}</Table.Th>
              <Table.Th>{t("dedup.reasons")}</Table.Th>
            </Table.Tr>
          </Table.Thead>
          <Table.Tbody>
            {groups.map((g) => (
              <Table.Tr key={g.id} onClick={() => setCurrent(g)} style={{ cursor: "pointer" }} aria-selected={current?.id === g.id} fw={current?.id === g.id ? 700 : undefined}>
                <Table.Td>
                  <Text size="sm" fw={600} title={t("dedup.points_hint")} data-testid="dedup-score" style={{ whiteSpace: "nowrap" }}>
                    {evidencePoints(g.score, i18n.language)}
                  </Text>
                  {g.band === "very_likely" && (
                    <Badge color="red.9" variant="filled" h="auto" styles={{ label: { whiteSpace: "normal", overflow: "visible" } }} data-testid="dedup-band">
                      {t("dedup.band_very_likely")}
                    </Badge>
                  )}
                </Table.Td>
                <Table.Td>
                  <Anchor component="button" onClick={() => setCurrent(g)}>
                    {g.members.map((m) => m.reference).join(" · ")}
                  </Anchor>
                </Table.Td>
                <Table.Td>
                  {g.reasons.map((r) => (
                    <Badge key={r} mr={4} h="auto" styles={{ label: { whiteSpace: "normal", overflow: "visible" } }}>{t(`dedup.field_${r}`)}</Badge>
                  ))}
                </Table.Td>
              </Table.Tr>
            ))}
          </Table.Tbody>
        </Table>
        </Grid.Col>
        <Grid.Col span={{ base: 12, lg: 7 }}>
          {current ? <Review key={current.id} group={current} onDone={() => setCurrent(null)} /> : <Text c="dimmed">{groups.length ? t("dedup.pick") : t("dedup.empty")}</Text>}
        </Grid.Col>
      </Grid>
      {queue.hasNextPage && (
        <Group>
          <Button variant="default" loading={queue.isFetchingNextPage} onClick={() => void queue.fetchNextPage()}>{t("programs.more")}</Button>
        </Group>
      )}
    </Stack>
  );
}

/** One record of a group, side by side with the others: masked unless the reviewer shows personal data
 * (each showing audited by the registry), codes in words. */
function Record({ reference, reveal }: { reference: string; reveal: boolean }) {
  const { t } = useTranslation();
  const sexLabel = useListLabels("sex");
  const areaLabel = useListLabels("area");
  const idLabel = useListLabels("id_type");
  const d = useQuery({ queryKey: ["registrants", "detail", reference, reveal], queryFn: () => api.call("registrants.get", { key: { reference }, reveal }) });
  if (!d.data) return <ErrorNote error={d.error} />;
  const detail = d.data;
  const r = detail.registrant;
  const f = r.fields;
  const rows: [string, string | null | undefined][] = [
    [t("fields.given_name"), f.given_name],
    [t("fields.family_name"), f.family_name ?? f.group_name],
    [t("fields.sex"), f.sex && sexLabel(f.sex)],
    [t("fields.birth_date"), f.birth_date],
    [t("fields.phone"), f.phone],
    [t("fields.area"), f.area && areaLabel(f.area)],
    [t("detail.ids"), (f.ids ?? []).map((i) => `${idLabel(i.id_type)}: ${i.value}`).join(", ")],
    [t("detail.household"), detail.groups.map((g) => g.registrant.reference).join(", ")],
    [t("detail.programs"), detail.programs.map((p) => `${p.program_code} (${t(`membership.${p.state}`)})`).join(", ")],
  ];
  return (
    <Table withRowBorders={false}>
      <Table.Tbody>
        {rows.map(([k, v]) => (
          <Table.Tr key={k}>
            <Table.Td c="dimmed" w={130}>{k}</Table.Td>
            <Table.Td style={{ overflowWrap: "anywhere" }}>
              <bdi>{v || "—"}</bdi>
            </Table.Td>
          </Table.Tr>
        ))}
      </Table.Tbody>
    </Table>
  );
}

/** What a merge moves, before it is done or after. */
function mergeWords(t: TFunction, s: MergeSummary, when: "before" | "after"): string {
  const values = { kept: s.kept, merged: s.merged.join(", "), ids: s.ids_moved, moved: s.memberships_moved, exited: s.memberships_exited };
  return t(when === "before" ? "dedup.merge_consequence" : "dedup.merged", values);
}

function Review({ group, onDone }: { group: DuplicateGroup; onDone: () => void }) {
  const { t } = useTranslation();
  const { can } = useSession();
  const [comment, setComment] = useState("");
  const act = useAction();
  const decidable = can("duplicates_manage") && (group.status === "open" || group.status === "duplicates");
  const [reveal, setReveal] = useState(false);
  return (
    <Stack data-testid="dedup-review">
      {can("personal_data_reveal") && (
        <Switch label={t("list.reveal")} checked={reveal} onChange={(e) => setReveal(e.currentTarget.checked)} data-testid="dedup-reveal" />
      )}
      <SimpleGrid cols={group.members.length > 2 ? 3 : 2}>
        {group.members.map((m) => (
          <Card key={m.id} withBorder padding="sm">
            <Group justify="space-between">
              <Anchor href={hrefOf({ page: "beneficiary", reference: m.reference })} fw={700}>{m.reference}</Anchor>
              {m.status === "disabled" && <Badge color="gray">{t("status.disabled")}</Badge>}
            </Group>
            <Record reference={m.reference} reveal={reveal} />
            {decidable && group.kind === "individual" && (
              <ConfirmButton
                label={t("dedup.keep_this")}
                buttonProps={{ size: "xs", mt: "xs", variant: "light", h: "auto", py: 4, styles: { label: { whiteSpace: "normal" } }, "data-testid": `merge-keep-${m.reference}` }}
                title={t("dedup.merge_title", { kept: m.reference })}
                consequence={async () => mergeWords(t, await api.call("dedup.merge_preview", { group: group.id, keep: { reference: m.reference } }), "before")}
                confirmLabel={t("dedup.merge_confirm")}
                run={async () => {
                  const merged = await api.call("dedup.merge", { group: group.id, keep: { reference: m.reference } });
                  onDone();
                  return mergeWords(t, merged, "after");
                }}
              />
            )}
          </Card>
        ))}
      </SimpleGrid>
      <Explanation group={group} />
      {decidable && (
        <>
          <Textarea label={t("dedup.comment")} value={comment} onChange={(e) => setComment(e.currentTarget.value)} />
          <Group>
            {group.status === "open" && (
              <Button variant="default" onClick={() => void act.run(async () => { await api.call("dedup.decide", { group: group.id, decision: "duplicates", comment: comment || undefined }); onDone(); })}>
                {t("dedup.are_duplicates")}
              </Button>
            )}
            <Button variant="default" onClick={() => void act.run(async () => { await api.call("dedup.decide", { group: group.id, decision: "not_duplicates", comment: comment || undefined }); onDone(); })} data-testid="dedup-not-duplicates">
              {t("dedup.not_duplicates")}
            </Button>
          </Group>
        </>
      )}
      {group.decided_by && <Text size="sm" c="dimmed">{t("dedup.decided", { who: group.decided_by, at: group.decided_at })}</Text>}
      <ErrorNote error={act.error} />
    </Stack>
  );
}

/** Each proposed pair of the group: how likely, and what each field weighed (in bits). */
function Explanation({ group }: { group: DuplicateGroup }) {
  const { t } = useTranslation();
  if (group.pairs.length === 0) return null;
  return (
    <Stack gap="xs" data-testid="dedup-explanation">
      <Text fw={700}>{t("dedup.why")}</Text>
      <Text size="xs" c="dimmed">{t("dedup.weight_hint")}</Text>
      {group.pairs.map((p) => (
        <Table key={`${p.a}-${p.b}`} withTableBorder>
          <Table.Caption>{t("dedup.pair_line", { a: p.a, b: p.b, percent: `${(p.probability * 100).toFixed(1)} %` })}</Table.Caption>
          <Table.Tbody>
            {p.fields.map((f) => (
              <Table.Tr key={f.field}>
                <Table.Td>{t(`dedup.field_${f.field}`)}</Table.Td>
                <Table.Td>{t(`dedup.level_${f.level}`)}</Table.Td>
                <Table.Td c={f.weight >= 0 ? "teal.9" : "red.9"} ta="end" aria-label={t("dedup.weight")}>
                  {f.weight >= 0 ? "+" : "−"}
                  {Math.abs(f.weight).toFixed(1)}
                </Table.Td>
              </Table.Tr>
            ))}
          </Table.Tbody>
        </Table>
      ))}
    </Stack>
  );
}

/** The office's two thresholds, as percentages: from which a pair is proposed, and marked very likely. */
function Thresholds() {
  const { t } = useTranslation();
  const { can } = useSession();
  const current = useQuery({ queryKey: ["dedup-thresholds"], queryFn: () => api.call("dedup.thresholds", {}) });
  const [draft, setDraft] = useState<DedupThresholds | null>(null);
  const save = useAction();
  const shown = draft ?? current.data;
  if (!shown) return null;
  const percent = (x: number) => Math.round(x * 1000) / 10;
  const edit = (key: keyof DedupThresholds) => (v: string | number) =>
    setDraft({ ...shown, [key]: typeof v === "number" ? v / 100 : shown[key] });
  const editable = can("duplicates_manage");
  return (
    <Group align="end" data-testid="dedup-thresholds">
      <NumberInput w={160} label={t("dedup.review_threshold")} suffix=" %" min={0.1} max={99.9} decimalScale={1} value={percent(shown.review)} onChange={edit("review")} readOnly={!editable} />
      <NumberInput w={160} label={t("dedup.very_likely_threshold")} suffix=" %" min={0.1} max={99.9} decimalScale={1} value={percent(shown.very_likely)} onChange={edit("very_likely")} readOnly={!editable} />
      {editable && draft && (
        <Button
          variant="default"
          loading={save.busy}
          onClick={() => void save.run(async () => { await api.call("dedup.set_thresholds", draft); setDraft(null); await current.refetch(); })}
        >
          {t("dedup.save_thresholds")}
        </Button>
      )}
      <Text size="xs" c="dimmed" maw={360}>{t("dedup.thresholds_hint")}</Text>
      <ErrorNote error={save.error} />
    </Group>
  );
}
