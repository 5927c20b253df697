// A program's disbursement: its entitlement rule, approval stages and schedule, its funds, and its cycles.
import { useEffect, useState } from "react";
import { ActionIcon, Alert, Anchor, Badge, Button, Card, Group, NumberInput, Select, Stack, Switch, Table, Text, TextInput, Title } from "@mantine/core";
import { IconTrash } from "@tabler/icons-react";
import { useQuery } from "@tanstack/react-query";
import { useTranslation } from "react-i18next";
import type { ApprovalStage, DisbursementSettings, EntitlementKind, Period, ProgramSummary, Role } from "../../api/bindings";
import { api } from "../../api/client";
import { hrefOf, navigate } from "../../app/route";
import { useSession } from "../../app/session";
import { AmountPreviewLine, SimpleAmountFields } from "../../components/AmountEditor";
import { ConfirmButton } from "../../components/ConfirmButton";
import { currencyDigits, formatMoney, toMinor } from "../../app/money";
import { ErrorNote } from "../../components/ErrorNote";
import { RuleEditor } from "../../components/RuleEditor";
import { useAction } from "../../components/useAction";
import { formatDate } from "../../app/format";

const ROLES: Role[] = ["approver", "admin", "program_manager", "finance", "registrar"];
export const CYCLE_COLOURS: Record<string, string> = {
  draft: "gray",
  to_approve: "yellow",
  approved: "blue",
  distributing: "cyan",
  ended: "green",
  cancelled: "red",
};

export function ProgramCycles({ program }: { program: ProgramSummary }) {
  const { can } = useSession();
  const [settingsUnsaved, setSettingsUnsaved] = useState(false);
  return (
    <Stack>
      <Settings program={program} manage={can("cycle_manage") && program.state !== "ended"} onUnsaved={setSettingsUnsaved} />
      <Funds program={program} manage={can("fund_manage")} />
      <Cycles program={program} manage={can("cycle_manage") && program.state === "active"} settingsUnsaved={settingsUnsaved} />
    </Stack>
  );
}

function Settings({ program, manage, onUnsaved }: { program: ProgramSummary; manage: boolean; onUnsaved(unsaved: boolean): void }) {
  const { t } = useTranslation();
  const current = program.disbursement;
  const [kind, setKind] = useState<EntitlementKind>(current.entitlement?.kind ?? "cash");
  const [expression, setExpression] = useState(current.entitlement?.expression ?? "");
  const [ok, setOk] = useState(true);
  const fee = current.entitlement?.fee;
  const [feePercent, setFeePercent] = useState<number | string>(fee?.type === "percent" ? fee.basis_points / 100 : "");
  const [product, setProduct] = useState(current.entitlement?.product ?? "");
  const [unit, setUnit] = useState(current.entitlement?.unit ?? "");
  const [validity, setValidity] = useState<number | string>(current.entitlement?.validity_days ?? 0);
  const [stages, setStages] = useState<ApprovalStage[]>(current.stages.length ? current.stages : [{ name: t("cycle.default_stage"), role: "approver" }]);
  const [period, setPeriod] = useState<Period>(current.recurrence?.period ?? "monthly");
  const [start, setStart] = useState(current.recurrence?.start ?? "");
  const save = useAction();
  const [saved, setSaved] = useState(false);
  const typed: DisbursementSettings = {
    entitlement: {
      kind,
      expression,
      fee: kind !== "in_kind" && feePercent !== "" && Number(feePercent) > 0 ? { type: "percent", basis_points: Math.round(Number(feePercent) * 100) } : undefined,
      product: kind === "in_kind" ? product : undefined,
      unit: kind === "in_kind" ? unit : undefined,
      validity_days: Number(validity) || 0,
    },
    stages,
    recurrence: start ? { period, interval: 1, start } : undefined,
  };
  // What was last saved, as this form writes it: a cycle made while the form differs would not use what is typed.
  const [savedAs, setSavedAs] = useState(() => JSON.stringify(typed));
  const unsaved = manage && JSON.stringify(typed) !== savedAs;
  useEffect(() => onUnsaved(unsaved), [unsaved, onUnsaved]);
  const submit = () =>
    void save.run(async () => {
      setSaved(false);
      await api.call("programs.set_disbursement", { program: { code: program.code }, settings: typed });
      setSavedAs(JSON.stringify(typed));
      setSaved(true);
    });
  return (
    <Card withBorder>
      <Title order={3} size="h5" mb="sm">
        {t("cycle.settings")}
      </Title>
      <Stack>
        <Group align="end">
          <Select
            label={t("cycle.kind")}
            value={kind}
            onChange={(v) => v && setKind(v as EntitlementKind)}
            data={(["cash", "voucher", "in_kind"] as const).map((k) => ({ value: k, label: t(`cycle.kind_${k}`) }))}
            disabled={!manage}
            data-testid="entitlement-kind"
          />
          {kind !== "in_kind" && (
            <NumberInput label={t("cycle.fee_percent")} value={feePercent} onChange={setFeePercent} min={0} max={100} decimalScale={2} disabled={!manage} w={160} />
          )}
          {kind === "in_kind" && (
            <>
              <TextInput label={t("cycle.product")} value={product} onChange={(e) => setProduct(e.currentTarget.value)} disabled={!manage} />
              <TextInput label={t("cycle.unit")} value={unit} onChange={(e) => setUnit(e.currentTarget.value)} disabled={!manage} w={100} />
            </>
          )}
          <NumberInput label={t("cycle.validity_days")} value={validity} onChange={setValidity} min={0} disabled={!manage} w={160} />
        </Group>
        {kind !== "in_kind" && <SimpleAmountFields program={program} value={expression} onChange={setExpression} disabled={!manage} />}
        <RuleEditor
          label={kind === "in_kind" ? t("cycle.quantity_expression") : t("cycle.amount_expression", { currency: program.currency })}
          value={expression}
          onChange={setExpression}
          target={program.target}
          kind="score"
          livePreview={false}
          onValidity={setOk}
        />
        <Text size="sm" c="dimmed">{t("cycle.amount_help")}</Text>
        {manage && typed.entitlement && <AmountPreviewLine program={program} rule={typed.entitlement} valid={ok} />}
        <Text fw={500}>{t("cycle.stages")}</Text>
        {stages.map((s, i) => (
          <Group key={i} align="end">
            <TextInput label={t("cycle.stage_name", { n: i + 1 })} value={s.name} disabled={!manage} onChange={(e) => setStages(stages.map((x, j) => (j === i ? { ...x, name: e.currentTarget.value } : x)))} />
            <Select label={t("cycle.stage_role")} value={s.role} disabled={!manage} data={ROLES.map((r) => ({ value: r, label: t(`roles.${r}`) }))} onChange={(v) => v && setStages(stages.map((x, j) => (j === i ? { ...x, role: v as Role } : x)))} />
            <NumberInput
              label={t("cycle.stage_above", { currency: program.currency })}
              value={s.above_amount ?? ""}
              min={0}
              disabled={!manage}
              onChange={(v) => setStages(stages.map((x, j) => (j === i ? { ...x, above_amount: v === "" ? undefined : Number(v) } : x)))}
            />
            {manage && stages.length > 1 && (
              <ActionIcon variant="subtle" color="red" aria-label={t("cycle.remove_stage")} onClick={() => setStages(stages.filter((_, j) => j !== i))}>
                <IconTrash size={16} />
              </ActionIcon>
            )}
          </Group>
        ))}
        {manage && (
          <Group>
            <Button size="xs" variant="default" onClick={() => setStages([...stages, { name: t("cycle.stage_name", { n: stages.length + 1 }), role: "admin" }])}>
              {t("cycle.add_stage")}
            </Button>
          </Group>
        )}
        <Group align="end">
          <Select label={t("cycle.period")} value={period} disabled={!manage} onChange={(v) => v && setPeriod(v as Period)} data={(["weekly", "monthly", "quarterly"] as const).map((p) => ({ value: p, label: t(`cycle.period_${p}`) }))} />
          <TextInput label={t("cycle.schedule_start")} type="date" value={start} disabled={!manage} onChange={(e) => setStart(e.currentTarget.value)} />
        </Group>
        {manage && (
          <Group>
            <Button onClick={submit} loading={save.busy} disabled={!ok || !expression.trim()} data-testid="disbursement-save">
              {t("cycle.save_settings")}
            </Button>
            {saved && <Text size="sm" c="green.9">{t("cycle.saved")}</Text>}
          </Group>
        )}
        <ErrorNote error={save.error} />
      </Stack>
    </Card>
  );
}

function Funds({ program, manage }: { program: ProgramSummary; manage: boolean }) {
  const { t, i18n } = useTranslation();
  const balance = useQuery({ queryKey: ["funds", program.code], queryFn: () => api.call("funds.balance", { program: { code: program.code } }) });
  const [amount, setAmount] = useState<number | string>("");
  const [reference, setReference] = useState("");
  const [post, setPost] = useState(true);
  const money = (n: number) => formatMoney(n, program.currency, i18n.language);
  const digits = currencyDigits(program.currency);
  const minor = toMinor(amount, program.currency);
  return (
    <Card withBorder>
      <Title order={3} size="h5" mb="sm">
        {t("cycle.funds")}
      </Title>
      {balance.data && (
        <Text data-testid="funds-balance">
          {t("cycle.funds_line", { posted: money(balance.data.posted), committed: money(balance.data.committed), available: money(balance.data.available) })}
        </Text>
      )}
      {manage && (
        <Group align="end" mt="sm">
          <NumberInput label={t("cycle.fund_amount", { currency: program.currency })} value={amount} onChange={setAmount} min={0} decimalScale={digits} data-testid="fund-amount" />
          <TextInput label={t("cycle.fund_reference")} value={reference} onChange={(e) => setReference(e.currentTarget.value)} />
          <Switch label={t("cycle.fund_post")} checked={post} onChange={(e) => setPost(e.currentTarget.checked)} />
          <ConfirmButton
            label={t("cycle.fund_add")}
            buttonProps={{ disabled: minor === null || minor <= 0, "data-testid": "fund-add" }}
            title={t("cycle.fund_add_title", { program: program.name })}
            consequence={() => t(post ? "cycle.fund_add_posted_consequence" : "cycle.fund_add_draft_consequence", { amount: money(minor ?? 0), program: program.name })}
            confirmLabel={t("cycle.fund_add")}
            run={async () => {
              const added = minor ?? 0;
              await api.call("funds.add", { program: { code: program.code }, amount: added, currency: program.currency, reference, post });
              setAmount("");
              setReference("");
              return t(post ? "cycle.fund_added_posted" : "cycle.fund_added_draft", { amount: money(added), program: program.name });
            }}
          />
        </Group>
      )}
      {(balance.data?.funds.length ?? 0) > 0 && (
        <Table mt="sm">
          <Table.Tbody>
            {balance.data?.funds.map((f) => (
              <Table.Tr key={f.id}>
                <Table.Td>{money(f.amount)}</Table.Td>
                <Table.Td>{t(`cycle.fund_${f.state}`)}</Table.Td>
                <Table.Td>{f.reference}</Table.Td>
                <Table.Td>{f.created_by}</Table.Td>
                <Table.Td>{formatDate(f.created_at, i18n.language)}</Table.Td>
                <Table.Td>
                  {manage && f.state === "draft" && (
                    <ConfirmButton
                      label={t("cycle.fund_post")}
                      buttonProps={{ size: "xs", variant: "default", "data-testid": "fund-post" }}
                      title={t("cycle.fund_post_title", { amount: money(f.amount) })}
                      consequence={() => t("cycle.fund_post_consequence", { amount: money(f.amount), program: program.name })}
                      confirmLabel={t("cycle.fund_post")}
                      run={async () => {
                        await api.call("funds.set_state", { fund: f.id, state: "posted" });
                        return t("cycle.fund_posted_message", { amount: money(f.amount), program: program.name });
                      }}
                    />
                  )}
                </Table.Td>
              </Table.Tr>
            ))}
          </Table.Tbody>
        </Table>
      )}
    </Card>
  );
}

function Cycles({ program, manage, settingsUnsaved }: { program: ProgramSummary; manage: boolean; settingsUnsaved: boolean }) {
  const { t, i18n } = useTranslation();
  const cycles = useQuery({ queryKey: ["cycles", "list", program.code], queryFn: () => api.call("cycles.list", { program: { code: program.code } }) });
  const create = useAction();
  const list = cycles.data ?? [];
  return (
    <Card withBorder>
      <Group justify="space-between" mb="sm">
        <Title order={3} size="h5">
          {t("cycle.cycles")}
        </Title>
        {manage && (
          <Button
            loading={create.busy}
            disabled={settingsUnsaved}
            data-testid="cycle-create"
            onClick={() =>
              void create.run(async () => {
                const made = await api.call("cycles.create", { program: { code: program.code }, members_from: list.length ? "previous_cycle" : "program" });
                navigate({ page: "cycle", id: made.cycle.id });
              })
            }
          >
            {t("cycle.create_next")}
          </Button>
        )}
      </Group>
      {manage && settingsUnsaved && (
        <Alert color="yellow" mb="sm" data-testid="settings-unsaved">
          {t("cycle.settings_unsaved")}
        </Alert>
      )}
      <ErrorNote error={create.error} />
      {list.length === 0 ? (
        <Text c="dimmed">{t("cycle.none")}</Text>
      ) : (
        <Table striped data-testid="cycle-table">
          <Table.Thead>
            <Table.Tr>
              <Table.Th>{t("cycle.cycle")}</Table.Th>
              <Table.Th>{t("cycle.dates")}</Table.Th>
              <Table.Th>{t("programs.state")}</Table.Th>
            </Table.Tr>
          </Table.Thead>
          <Table.Tbody>
            {list.map((c) => (
              <Table.Tr key={c.id}>
                <Table.Td>
                  <Anchor href={hrefOf({ page: "cycle", id: c.id })}>
                    {c.sequence}. <bdi>{c.name}</bdi>
                  </Anchor>
                </Table.Td>
                <Table.Td>
                  {formatDate(c.start_date, i18n.language)} – {formatDate(c.end_date, i18n.language)}
                </Table.Td>
                <Table.Td>
                  <Badge color={CYCLE_COLOURS[c.state]}>{t(`cycle_state.${c.state}`)}</Badge>
                </Table.Td>
              </Table.Tr>
            ))}
          </Table.Tbody>
        </Table>
      )}
    </Card>
  );
}
