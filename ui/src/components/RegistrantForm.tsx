// A person's or a household's fields as a form: names, sex, birth date, phone, where payments go, area,
// tags and identity documents, with the registry's own lists. The server checks everything again.
import { ActionIcon, Button, Checkbox, Group, Select, SimpleGrid, Stack, TagsInput, Text, TextInput } from "@mantine/core";
import { IconTrash } from "@tabler/icons-react";
import { useTranslation } from "react-i18next";
import type { IdDocument, RegistrantFields, RegistrantKind } from "../api/bindings";
import { useList } from "./lists";

export function RegistrantForm({
  kind,
  value,
  onChange,
  testId,
  compact = false,
}: {
  kind: RegistrantKind;
  value: RegistrantFields;
  onChange(next: RegistrantFields): void;
  /** Prefix of the fields' test ids. */
  testId: string;
  /** Names, sex and birth date only: a member registered with a household. */
  compact?: boolean;
}) {
  const { t } = useTranslation();
  const sexes = useList("sex");
  const areas = useList("area");
  const idTypes = useList("id_type");
  const tags = useList("tag");
  const set = (patch: Partial<RegistrantFields>) => onChange({ ...value, ...patch });
  const options = (items: { code: string; label: string; active: boolean }[] | undefined) =>
    (items ?? []).filter((i) => i.active).map((i) => ({ value: i.code, label: i.label }));
  const ids = value.ids ?? [];
  const setId = (i: number, patch: Partial<IdDocument>) => set({ ids: ids.map((d, j) => (j === i ? { ...d, ...patch } : d)) });
  return (
    <Stack gap="sm">
      <SimpleGrid cols={{ base: 1, sm: compact ? 4 : 2 }}>
        {kind === "individual" ? (
          <>
            <TextInput label={t("fields.given_name")} value={value.given_name ?? ""} onChange={(e) => set({ given_name: e.currentTarget.value })} data-testid={`${testId}-given`} />
            <TextInput label={t("fields.family_name")} value={value.family_name ?? ""} onChange={(e) => set({ family_name: e.currentTarget.value })} data-testid={`${testId}-family`} />
            <Select label={t("fields.sex")} clearable data={options(sexes.data)} value={value.sex ?? null} onChange={(v) => set({ sex: v ?? undefined })} data-testid={`${testId}-sex`} />
            <Stack gap={4}>
              <TextInput type="date" label={t("fields.birth_date")} value={value.birth_date ?? ""} onChange={(e) => set({ birth_date: e.currentTarget.value })} data-testid={`${testId}-birth`} />
              <Checkbox size="xs" label={t("edit.birth_date_approx")} checked={!!value.birth_date_approx} onChange={(e) => set({ birth_date_approx: e.currentTarget.checked })} />
            </Stack>
          </>
        ) : (
          <TextInput label={t("fields.group_name")} value={value.group_name ?? ""} onChange={(e) => set({ group_name: e.currentTarget.value })} data-testid={`${testId}-group-name`} />
        )}
        {!compact && (
          <>
            <TextInput label={t("fields.phone")} value={value.phone ?? ""} onChange={(e) => set({ phone: e.currentTarget.value })} data-testid={`${testId}-phone`} />
            <TextInput
              label={t("import.columns.financial_address")}
              description={t("edit.financial_address_hint")}
              value={value.financial_address ?? ""}
              onChange={(e) => set({ financial_address: e.currentTarget.value })}
            />
            <Select label={t("fields.area")} clearable searchable data={options(areas.data)} value={value.area ?? null} onChange={(v) => set({ area: v ?? undefined })} data-testid={`${testId}-area`} />
            <TagsInput label={t("lists.tag")} data={options(tags.data).map((o) => o.value)} value={value.tags ?? []} onChange={(v) => set({ tags: v })} />
            <TextInput label={t("fields.external_id")} value={value.external_id ?? ""} onChange={(e) => set({ external_id: e.currentTarget.value })} />
          </>
        )}
      </SimpleGrid>
      {!compact && (
        <Stack gap="xs">
          <Text fw={500} size="sm">
            {t("detail.ids")}
          </Text>
          {ids.map((d, i) => (
            <Group key={i} gap="xs" align="end" wrap="nowrap">
              <Select w={180} label={t("edit.id_type")} data={options(idTypes.data)} value={d.id_type || null} onChange={(v) => setId(i, { id_type: v ?? "" })} />
              <TextInput style={{ flex: 1 }} label={t("edit.id_value")} value={d.value} onChange={(e) => setId(i, { value: e.currentTarget.value })} data-testid={`${testId}-id-${i}`} />
              <TextInput w={160} type="date" label={t("edit.id_expiry")} value={d.expiry ?? ""} onChange={(e) => setId(i, { expiry: e.currentTarget.value })} />
              <ActionIcon variant="subtle" color="red" size="lg" aria-label={t("edit.remove_id")} onClick={() => set({ ids: ids.filter((_, j) => j !== i) })}>
                <IconTrash size={16} />
              </ActionIcon>
            </Group>
          ))}
          <Group>
            <Button size="xs" variant="default" onClick={() => set({ ids: [...ids, { id_type: idTypes.data?.find((i) => i.active)?.code ?? "", value: "" }] })}>
              {t("edit.add_id")}
            </Button>
          </Group>
        </Stack>
      )}
    </Stack>
  );
}
