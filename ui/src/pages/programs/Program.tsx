// One program: its numbers, members with bulk actions, the rule, and duplicates among its members.
import { useState } from "react";
import { Anchor, Badge, Button, Card, Checkbox, Group, Modal, Progress, Select, SimpleGrid, Stack, Table, Tabs, Text, TextInput, Title } from "@mantine/core";
import { useInfiniteQuery, useQuery, useQueryClient } from "@tanstack/react-query";
import { Bar, BarChart, ResponsiveContainer, Tooltip, XAxis, YAxis } from "recharts";
import { useTranslation } from "react-i18next";
import type { EnrolmentSummary, MemberAction, MembershipState, ProgramSummary } from "../../api/bindings";
import { api } from "../../api/client";
import { hrefOf } from "../../app/route";
import { useSession } from "../../app/session";
import { CenteredLoader } from "../../components/CenteredLoader";
import { ConfirmButton } from "../../components/ConfirmButton";
import { ErrorNote } from "../../components/ErrorNote";
import { MembershipBadge } from "../../components/MembershipBadge";
import { RuleEditor } from "../../components/RuleEditor";
import { useAction } from "../../components/useAction";
import { STATE_COLOURS } from "./Programs";
import { ProgramCycles } from "../cycles/ProgramCycles";

const STATES: MembershipState[] = ["enrolled", "paused", "exited", "not_eligible", "duplicated", "draft"];

/** `state` (from the URL) lists the members in that state first: each count on the page links to them. */
export function Program({ code, tab, state }: { code: string; tab?: string; state?: string }) {
  const { t, i18n } = useTranslation();
  const { can } = useSession();
  const program = useQuery({ queryKey: ["programs", "get", code], queryFn: () => api.call("programs.get", { program: { code } }) });
  const stateChange = useAction();
  if (program.isPending) return <CenteredLoader />;
  if (!program.data) return <ErrorNote error={program.error} />;
  const p = program.data;
  const manage = can("program_manage");
  const setArchived = (archived: boolean) => void stateChange.run(() => api.call("programs.set_state", { program: { code }, archived }));
  const chart = STATES.map((s) => ({ state: t(`membership.${s}`), count: p.counts[s] }));
  return (
    <Stack>
      <Group justify="space-between">
        <div>
          <Title order={2}>
            {p.name} <Text span c="dimmed">({p.code})</Text>
          </Title>
          <Group gap="xs">
            <Badge color={STATE_COLOURS[p.state]} data-testid="program-state">{t(`programs.state_${p.state}`)}</Badge>
            <Text size="sm">{p.target === "group" ? t("programs.target_group") : t("programs.target_individual")} · {p.currency}</Text>
          </Group>
        </div>
        {manage && (
          <Group>
            {p.state === "draft" && (
              <ConfirmButton
                label={t("programs.activate")}
                buttonProps={{ "data-testid": "program-activate" }}
                title={t("programs.activate_title", { name: p.name })}
                consequence={() => t("programs.activate_consequence", { name: p.name })}
                confirmLabel={t("programs.activate")}
                run={async () => {
                  await api.call("programs.set_state", { program: { code }, state: "active" });
                  return t("programs.activated", { name: p.name });
                }}
              />
            )}
            {p.state === "active" && (
              <ConfirmButton
                label={t("programs.end")}
                color="red"
                buttonProps={{ variant: "default", "data-testid": "program-end" }}
                title={t("programs.end_title", { name: p.name })}
                consequence={() => t("programs.end_consequence", { name: p.name })}
                confirmLabel={t("programs.end")}
                run={async () => {
                  await api.call("programs.set_state", { program: { code }, state: "ended" });
                  return t("programs.ended", { name: p.name });
                }}
              />
            )}
            {p.state !== "active" && <Button variant="subtle" onClick={() => setArchived(!p.archived)}>{p.archived ? t("programs.unarchive") : t("programs.archive")}</Button>}
          </Group>
        )}
      </Group>
      <ErrorNote error={stateChange.error} />
      {p.description && <Text>{p.description}</Text>}
      <SimpleGrid cols={{ base: 2, sm: 3, lg: 6 }}>
        {STATES.map((s) => (
          <Card key={s} withBorder padding="sm" component="a" href={hrefOf({ page: "program", code, tab: "members", state: s })} style={{ color: "inherit", textDecoration: "none" }}>
            <Text size="sm">{t(`membership.${s}`)}</Text>
            <Text fw={700} size="xl" c="var(--mantine-color-anchor)" data-testid={`count-${s}`}>{p.counts[s].toLocaleString(i18n.language)}</Text>
          </Card>
        ))}
      </SimpleGrid>
      <Card withBorder>
        <div style={{ height: 180 }} aria-hidden>
          <ResponsiveContainer>
            <BarChart data={chart} margin={{ top: 12, right: 12 }}>
              <XAxis dataKey="state" interval={0} reversed={i18n.dir() === "rtl"} tick={{ fontSize: 12 }} />
              <YAxis allowDecimals={false} interval={0} width={60} orientation={i18n.dir() === "rtl" ? "right" : "left"} tickFormatter={(v) => Number(v).toLocaleString(i18n.language)} tick={{ fontSize: 12 }} />
              <Tooltip formatter={(v) => Number(v).toLocaleString(i18n.language)} />
              <Bar dataKey="count" name={t("programs.people")} fill="var(--mantine-color-blue-8)" />
            </BarChart>
          </ResponsiveContainer>
        </div>
      </Card>
      <Tabs defaultValue={tab ?? "members"} keepMounted={false}>
        <Tabs.List>
          <Tabs.Tab value="members">{t("programs.members")}</Tabs.Tab>
          <Tabs.Tab value="rule">{t("programs.rule")}</Tabs.Tab>
          <Tabs.Tab value="cycles" data-testid="tab-cycles">{t("cycle.cycles")}</Tabs.Tab>
          <Tabs.Tab value="duplicates">{t("nav.duplicates")}</Tabs.Tab>
        </Tabs.List>
        <Tabs.Panel value="members" pt="md">
          <Members program={p} manage={manage} initialState={STATES.find((s) => s === state) ?? null} />
        </Tabs.Panel>
        <Tabs.Panel value="rule" pt="md">
          <RuleTab program={p} manage={manage} />
        </Tabs.Panel>
        <Tabs.Panel value="cycles" pt="md">
          <ProgramCycles program={p} />
        </Tabs.Panel>
        <Tabs.Panel value="duplicates" pt="md">
          <ProgramDuplicates program={p} />
        </Tabs.Panel>
      </Tabs>
    </Stack>
  );
}

function Members({ program, manage, initialState }: { program: ProgramSummary; manage: boolean; initialState: MembershipState | null }) {
  const { t, i18n } = useTranslation();
  const { progress } = useSession();
  const queryClient = useQueryClient();
  const [state, setState] = useState<MembershipState | null>(initialState);
  const [selected, setSelected] = useState<Set<string>>(new Set());
  const [refs, setRefs] = useState("");
  const [exit, setExit] = useState(false);
  const [reason, setReason] = useState("");
  const [date, setDate] = useState("");
  const [summary, setSummary] = useState<EnrolmentSummary | null>(null);
  const work = useAction();
  const members = useInfiniteQuery({
    queryKey: ["memberships", program.code, state],
    initialPageParam: null as string | null,
    queryFn: ({ pageParam }) => api.call("programs.members", { program: { code: program.code }, state: state ?? undefined, after: pageParam ?? undefined, limit: 100 }),
    getNextPageParam: (last) => last.cursor,
  });
  const rows = members.data?.pages.flatMap((p) => p.members) ?? [];
  const live = progress["programs.enrol"] ?? progress["programs.verify"];
  const keys = () => [...selected].map((reference) => ({ reference }));
  const act = (action: MemberAction, extra: { reason?: string; date?: string } = {}) =>
    void work.run(async () => {
      await api.call("programs.change_members", { program: { code: program.code }, registrants: keys(), action, ...extra });
      setSelected(new Set());
      setExit(false);
    });
  const bulk = (command: "programs.enrol" | "programs.verify") =>
    void work.run(async () => {
      setSummary(null);
      setSummary(await api.call(command, { program: { code: program.code } }));
      void queryClient.invalidateQueries({ queryKey: ["memberships"] });
    });
  const open = program.state === "active" && !program.archived;
  return (
    <Stack>
      {manage && open && (
        <Group align="end">
          <ConfirmButton
            label={t("programs.enrol_all")}
            buttonProps={{ loading: work.busy && !!live, "data-testid": "enrol-all" }}
            title={t("programs.enrol_all_title", { name: program.name })}
            consequence={async () => {
              const preview = await api.call("programs.preview", { program: { code: program.code } });
              return t("programs.enrol_all_consequence", { matches: preview.matches.toLocaleString(i18n.language), name: program.name });
            }}
            confirmLabel={t("programs.enrol_all")}
            run={async () => {
              bulk("programs.enrol");
              return null;
            }}
          />
          <Button variant="default" onClick={() => bulk("programs.verify")}>{t("programs.verify")}</Button>
          <TextInput label={t("programs.enrol_refs")} placeholder="ADD-0000042, ADD-0000043" value={refs} onChange={(e) => setRefs(e.currentTarget.value)} data-testid="enrol-refs" />
          <Button
            variant="default"
            disabled={!refs.trim()}
            onClick={() =>
              void work.run(async () => {
                const registrants = refs.split(/[\s,;]+/).filter(Boolean).map((reference) => ({ reference: reference.toUpperCase() }));
                setSummary(await api.call("programs.enrol", { program: { code: program.code }, registrants }));
                setRefs("");
              })
            }
          >
            {t("programs.enrol")}
          </Button>
        </Group>
      )}
      {manage && !open && <Text c="dimmed">{t("programs.not_open")}</Text>}
      {work.busy && live?.kind === "enrolment" && (
        <Group>
          <Progress
            style={{ flex: 1 }}
            value={live.total ? (live.done * 100) / live.total : 5}
            animated
            aria-label={t("programs.progress")}
            data-testid="enrol-progress"
          />
          <Text size="sm">{t(`programs.phase_${live.phase}`)} {live.done.toLocaleString(i18n.language)}{live.total ? ` / ${live.total.toLocaleString(i18n.language)}` : ""}</Text>
          <Button size="xs" variant="default" onClick={() => void api.cancel()}>{t("common.cancel")}</Button>
        </Group>
      )}
      <ErrorNote error={work.error} />
      {summary && (
        <Text data-testid="enrol-summary">
          {t("programs.summary", {
            evaluated: summary.evaluated.toLocaleString(i18n.language),
            enrolled: summary.enrolled.toLocaleString(i18n.language),
            not_eligible: summary.not_eligible.toLocaleString(i18n.language),
            already: summary.already_members.toLocaleString(i18n.language),
            errors: summary.errors.toLocaleString(i18n.language),
          })}
          {summary.cancelled && ` ${t("programs.cancelled")}`}
        </Text>
      )}
      <Group>
        <Select
          w={200}
          label={t("programs.state")}
          clearable
          value={state}
          onChange={(v) => setState(v as MembershipState | null)}
          data={STATES.map((s) => ({ value: s, label: t(`membership.${s}`) }))}
        />
        {manage && selected.size > 0 && (
          <Group align="end" data-testid="member-bulk-bar">
            <Text size="sm">{t("programs.selected", { n: selected.size })}</Text>
            <Button size="xs" variant="default" onClick={() => act("pause")}>{t("programs.pause")}</Button>
            <Button size="xs" variant="default" onClick={() => act("resume")}>{t("programs.resume")}</Button>
            <Button size="xs" color="red" variant="light" onClick={() => setExit(true)}>{t("programs.exit")}</Button>
          </Group>
        )}
      </Group>
      <Table striped withTableBorder data-testid="member-table">
        <Table.Thead>
          <Table.Tr>
            <Table.Th w={40} />
            <Table.Th>{t("fields.reference")}</Table.Th>
            <Table.Th>{t("fields.name")}</Table.Th>
            <Table.Th>{t("fields.area")}</Table.Th>
            <Table.Th>{t("programs.state")}</Table.Th>
            <Table.Th>{t("membership.enrolled_on")}</Table.Th>
            <Table.Th>{t("membership.reason")}</Table.Th>
          </Table.Tr>
        </Table.Thead>
        <Table.Tbody>
          {rows.map((m) => (
            <Table.Tr key={m.id}>
              <Table.Td>
                <Checkbox
                  aria-label={m.reference}
                  checked={selected.has(m.reference)}
                  onChange={(e) => {
                    const next = new Set(selected);
                    if (e.currentTarget.checked) next.add(m.reference);
                    else next.delete(m.reference);
                    setSelected(next);
                  }}
                />
              </Table.Td>
              <Table.Td>
                <Anchor href={hrefOf({ page: "beneficiary", reference: m.reference })}>{m.reference}</Anchor>
              </Table.Td>
              <Table.Td>{m.name}</Table.Td>
              <Table.Td>{m.area}</Table.Td>
              <Table.Td>
                <MembershipBadge state={m.state} />
              </Table.Td>
              <Table.Td>{m.enrolled_on}</Table.Td>
              <Table.Td>{m.reason}</Table.Td>
            </Table.Tr>
          ))}
        </Table.Tbody>
      </Table>
      {!members.isPending && rows.length === 0 && <Text c="dimmed">{t("programs.no_members")}</Text>}
      {members.hasNextPage && (
        <Group>
          <Button variant="default" loading={members.isFetchingNextPage} onClick={() => void members.fetchNextPage()}>{t("programs.more")}</Button>
        </Group>
      )}
      <Modal opened={exit} onClose={() => setExit(false)} title={t("programs.exit")} closeButtonProps={{ "aria-label": t("common.cancel") }}>
        <Stack>
          <TextInput label={t("membership.reason")} required value={reason} onChange={(e) => setReason(e.currentTarget.value)} data-testid="exit-reason" />
          <TextInput label={t("programs.exit_date")} type="date" value={date} onChange={(e) => setDate(e.currentTarget.value)} />
          <Group justify="flex-end">
            <Button color="red" disabled={!reason.trim()} onClick={() => act("exit", { reason, date: date || undefined })} data-testid="exit-confirm">
              {t("programs.exit")}
            </Button>
          </Group>
        </Stack>
      </Modal>
    </Stack>
  );
}

function RuleTab({ program, manage }: { program: ProgramSummary; manage: boolean }) {
  const { t } = useTranslation();
  const [rule, setRule] = useState(program.eligibility_rule);
  const [ok, setOk] = useState(true);
  const save = useAction();
  const { counts: _counts, id: _id, state: _state, archived: _archived, created_at: _c, updated_at: _u, disbursement: _d, ...fields } = program;
  return (
    <Stack>
      <RuleEditor label={t("programs.rule")} value={rule} onChange={setRule} target={program.target} onValidity={setOk} />
      <Text size="sm" c="dimmed">{t("programs.rule_help")}</Text>
      {manage && program.state !== "ended" && (
        <Group>
          <Button
            disabled={!ok || rule === program.eligibility_rule}
            loading={save.busy}
            onClick={() => void save.run(() => api.call("programs.update", { program: { code: program.code }, fields: { ...fields, pmt_expression: fields.pmt_expression ?? undefined, pmt_threshold: fields.pmt_threshold ?? undefined, eligibility_rule: rule } }))}
            data-testid="rule-save"
          >
            {t("programs.save_rule")}
          </Button>
        </Group>
      )}
      <ErrorNote error={save.error} />
    </Stack>
  );
}

function ProgramDuplicates({ program }: { program: ProgramSummary }) {
  const { t, i18n } = useTranslation();
  const { can } = useSession();
  const run = useAction();
  const [found, setFound] = useState<number | null>(null);
  return (
    <Stack>
      <Text size="sm">{t("dedup.program_hint")}</Text>
      {can("duplicates_manage") && (
        <Group>
          <Button loading={run.busy} onClick={() => void run.run(async () => setFound((await api.call("dedup.run", { program: { code: program.code }, exact: true, fuzzy: true, households: true })).groups))}>
            {t("dedup.run_program")}
          </Button>
          <Anchor href={hrefOf({ page: "duplicates", program: program.code })}>{t("dedup.open_queue")}</Anchor>
        </Group>
      )}
      {found !== null && <Text>{t("dedup.found", { groups: found.toLocaleString(i18n.language) })}</Text>}
      <ErrorNote error={run.error} />
    </Stack>
  );
}
