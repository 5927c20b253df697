// The wizard's mapping step: which sheet, what each column of the file holds (guesses marked as such), the
// file's date format, and what is still missing before the file can be imported.
import { useState } from "react";
import { Alert, Badge, Button, Group, Select, SimpleGrid, Stack, Text, TextInput } from "@mantine/core";
import { useTranslation } from "react-i18next";
import type { ColumnMapping, ImportPreview } from "../../api/bindings";
import type { Guessed } from "../../app/importGuesses";

interface Props {
  preview: ImportPreview;
  mapping: ColumnMapping;
  guessed: Guessed;
  targets: { value: string; label: string }[];
  onMapColumn(header: string, target: string | null): void;
  onDateFormat(format: string | null): void;
  onSheet(sheet: string): void;
  choosingSheet: boolean;
}

export function ColumnsStep({ preview, mapping, guessed, targets, onMapColumn, onDateFormat, onSheet, choosingSheet }: Props) {
  const { t } = useTranslation();
  const guessLabel = (
    <Badge size="xs" variant="light" color="grape">
      {t("import.guessed")}
    </Badge>
  );
  return (
    <Stack>
      {preview.source.sheets.length > 1 && (
        <Select
          label={preview.source.kind === "odk_zip" ? t("import.zip_file") : t("import.sheet")}
          data={preview.source.sheets}
          value={preview.source.sheet}
          allowDeselect={false}
          disabled={choosingSheet}
          onChange={(s) => s && onSheet(s)}
          data-testid="import-sheet"
        />
      )}
      {preview.source.joined_with && (
        <Alert color="blue" data-testid="import-joined">
          {t("import.joined", { sheet: preview.source.sheet, parent: preview.source.joined_with })}
        </Alert>
      )}
      <Text size="sm">{t("import.columns_hint")}</Text>
      {guessed.columns.length > 0 && <Text size="sm" c="dimmed">{t("import.guessed_hint")}</Text>}
      <SimpleGrid cols={{ base: 1, md: 2 }}>
        {preview.headers.map((h, i) => (
          <Select
            key={`${i}:${h}`}
            label={
              <Group gap={6} wrap="nowrap" component="span">
                <span>{h || t("import.unnamed_column", { n: i + 1 })}</span>
                {guessed.columns.includes(h) && mapping.columns[h] === preview.suggested_columns[h] && guessLabel}
              </Group>
            }
            placeholder={t("import.not_imported")}
            clearable
            searchable
            data={targets}
            value={mapping.columns[h] ?? preview.targets[i] ?? null}
            onChange={(v) => onMapColumn(h, v)}
            data-testid={`column-${h}`}
          />
        ))}
      </SimpleGrid>
      <DateFormat
        value={mapping.date_format}
        onChange={onDateFormat}
        label={
          <Group gap={6} wrap="nowrap" component="span">
            <span>{t("import.date_format")}</span>
            {guessed.dateFormat && mapping.date_format === preview.suggested_date_format && guessLabel}
          </Group>
        }
      />
    </Stack>
  );
}

/** The date formats offered by name, with 31 December 1990 written in each; any other is typed. */
const DATE_FORMATS = ["/", "-", "."].flatMap((sep) => [
  { format: `[day padding:none]${sep}[month padding:none]${sep}[year]`, example: `31${sep}12${sep}1990`, order: "day_first" },
  { format: `[month padding:none]${sep}[day padding:none]${sep}[year]`, example: `12${sep}31${sep}1990`, order: "month_first" },
]);
const ISO = "iso";
const OTHER = "other";

function DateFormat({ value, onChange, label }: { value: string | null; onChange(format: string | null): void; label: React.ReactNode }) {
  const { t } = useTranslation();
  const known = value === null ? ISO : DATE_FORMATS.some((d) => d.format === value) ? value : OTHER;
  const [typing, setTyping] = useState(known === OTHER);
  const options = [
    { value: ISO, label: t("import.date_iso") },
    ...DATE_FORMATS.map((d) => ({ value: d.format, label: t(`import.date_${d.order}`, { example: d.example }) })),
    { value: OTHER, label: t("import.date_custom") },
  ];
  return (
    <Stack gap={4}>
      <Select
        label={label}
        data={options}
        value={typing ? OTHER : known}
        allowDeselect={false}
        data-testid="import-date-format"
        onChange={(v) => {
          setTyping(v === OTHER);
          if (v === ISO) onChange(null);
          else if (v !== OTHER && v) onChange(v);
        }}
      />
      {typing && (
        <TextInput
          aria-label={t("import.date_format")}
          description={t("import.date_format_hint")}
          value={value ?? ""}
          onChange={(e) => onChange(e.currentTarget.value || null)}
        />
      )}
    </Stack>
  );
}

/** What the file still needs before it can be imported, in words. */
export function MissingColumns({ missing }: { missing: string[] }) {
  const { t } = useTranslation();
  if (missing.length === 0) return null;
  return (
    <Alert color="orange" data-testid="import-missing">
      {t("import.missing", { columns: missing.map((c) => t(`import.columns.${c}`)).join(", ") })}
    </Alert>
  );
}

export function SaveMapping({ name, onName, onSave }: { name: string; onName(name: string): void; onSave(): void }) {
  const { t } = useTranslation();
  return (
    <Group align="end">
      <TextInput label={t("import.mapping_name")} value={name} onChange={(e) => onName(e.currentTarget.value)} />
      <Button variant="default" disabled={!name.trim()} onClick={onSave}>
        {t("import.save_mapping")}
      </Button>
    </Group>
  );
}
