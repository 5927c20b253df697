// The guided rule builder: conditions chosen from lists (a field, an operator, a value from the registry's
// codes), all or any of them, writing the CEL the editor below shows and checks. A rule written by hand
// that the builder cannot express is left to the editor, and said so.
import { useEffect, useState } from "react";
import { ActionIcon, Button, Card, Group, NumberInput, SegmentedControl, Select, Stack, Text } from "@mantine/core";
import { IconTrash } from "@tabler/icons-react";
import { useTranslation } from "react-i18next";
import type { RegistrantKind } from "../api/bindings";
import { type Built, type Condition, fromCel, GROUP_FIELDS, INDIVIDUAL_FIELDS, OPERATORS, toCel } from "../app/ruleBuilder";
import { useList } from "./lists";

interface Props {
  value: string;
  onChange(cel: string): void;
  target: RegistrantKind;
}

function ValueField({ condition, onValue }: { condition: Condition; onValue(v: string): void }) {
  const { t } = useTranslation();
  const fields = [...INDIVIDUAL_FIELDS, ...GROUP_FIELDS];
  const field = fields.find((f) => f.path === condition.path);
  const items = useList(field?.list ?? "sex");
  if (!field || field.kind === "yes_no") return null;
  if (field.kind === "number") {
    return <NumberInput aria-label={t("builder.value")} w={110} min={0} max={999999} allowDecimal={false} value={condition.value} onChange={(v) => onValue(String(v))} data-testid="builder-value" />;
  }
  return (
    <Select
      aria-label={t("builder.value")}
      w={200}
      searchable
      allowDeselect={false}
      data={(items.data ?? []).map((i) => ({ value: i.code, label: i.label }))}
      value={condition.value || null}
      onChange={(v) => onValue(v ?? "")}
      data-testid="builder-value"
    />
  );
}

export function RuleBuilder({ value, onChange, target }: Props) {
  const { t } = useTranslation();
  const fields = target === "group" ? GROUP_FIELDS : INDIVIDUAL_FIELDS;
  const [built, setBuilt] = useState<Built | null>(() => fromCel(value, fields));
  // A rule typed in the editor takes the builder along when the builder can express it. Only the text is
  // followed: the builder's own edits already match it.
  useEffect(() => {
    const current = built ? toCel(built, fields) : null;
    if (current !== value.trim()) setBuilt(fromCel(value, fields));
  }, [value]);
  if (!built) {
    return (
      <Text size="sm" c="dimmed" data-testid="builder-by-hand">
        {t("builder.by_hand")}
      </Text>
    );
  }
  const update = (next: Built) => {
    setBuilt(next);
    onChange(toCel(next, fields));
  };
  const setCondition = (i: number, c: Condition) => update({ ...built, conditions: built.conditions.map((x, j) => (j === i ? c : x)) });
  return (
    <Card withBorder padding="sm" data-testid="rule-builder">
      <Stack gap="xs">
        <Group gap="xs">
          <Text size="sm">{t("builder.select_who")}</Text>
          <SegmentedControl
            size="xs"
            value={built.join}
            onChange={(v) => update({ ...built, join: v as Built["join"] })}
            data={[
              { value: "all", label: t("builder.all") },
              { value: "any", label: t("builder.any") },
            ]}
          />
        </Group>
        {built.conditions.map((c, i) => {
          const field = fields.find((f) => f.path === c.path);
          return (
            <Group key={i} gap="xs" wrap="nowrap" data-testid={`builder-condition-${i}`}>
              <Select
                aria-label={t("builder.field")}
                w={210}
                allowDeselect={false}
                data={fields.map((f) => ({ value: f.path, label: t(`builder.fields.${f.path.replace(".", "_")}`) }))}
                value={c.path}
                onChange={(path) => {
                  const next = fields.find((f) => f.path === path);
                  if (next) setCondition(i, { path: next.path, op: OPERATORS[next.kind][0], value: "" });
                }}
                data-testid="builder-field"
              />
              {field && (
                <Select
                  aria-label={t("builder.operator")}
                  w={170}
                  allowDeselect={false}
                  data={OPERATORS[field.kind].map((op) => ({ value: op, label: t(`builder.ops.${field.kind}.${op}`) }))}
                  value={c.op}
                  onChange={(op) => op && setCondition(i, { ...c, op })}
                  data-testid="builder-operator"
                />
              )}
              <ValueField condition={c} onValue={(v) => setCondition(i, { ...c, value: v })} />
              <ActionIcon variant="subtle" color="red" aria-label={t("builder.remove")} onClick={() => update({ ...built, conditions: built.conditions.filter((_, j) => j !== i) })}>
                <IconTrash size={16} />
              </ActionIcon>
            </Group>
          );
        })}
        <Group>
          <Button
            size="xs"
            variant="default"
            data-testid="builder-add"
            onClick={() => update({ ...built, conditions: [...built.conditions, { path: fields[0].path, op: OPERATORS[fields[0].kind][0], value: "" }] })}
          >
            {t("builder.add")}
          </Button>
          {built.conditions.length === 0 && <Text size="sm" c="dimmed">{t("builder.everyone")}</Text>}
        </Group>
      </Stack>
    </Card>
  );
}
