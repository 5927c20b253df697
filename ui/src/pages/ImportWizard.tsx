// The import wizard: choose a file (CSV, a workbook's sheet, a form server's export), map its columns
// (guessed, or from a saved mapping) and its values, preview the first rows with every reason the import
// would reject each, run with progress and cancel, then a summary.
import { useMemo, useState } from "react";
import { Alert, Button, Card, Group, Progress as ProgressBar, Select, SimpleGrid, Stack, Stepper, Text, Title } from "@mantine/core";
import { notify } from "../components/attempt";
import { useQuery, useQueryClient } from "@tanstack/react-query";
import { useTranslation } from "react-i18next";
import { IMPORT_COLUMNS, type ColumnMapping, type ImportPreview, type ImportSummary } from "../api/bindings";
import { api } from "../api/client";
import { errorMessage } from "../api/errors";
import { useSession } from "../app/session";
import { ErrorNote } from "../components/ErrorNote";
import { DroppedNote } from "../components/Privacy";
import { useList } from "../components/lists";
import { FileField } from "../components/PathField";
import { deliver, inputFile } from "../api/files";
import { useAction } from "../components/useAction";
import { ColumnsStep, MissingColumns, SaveMapping } from "../components/import/ColumnsStep";
import { PreviewTable } from "../components/import/PreviewTable";
import { ValuesCard } from "../components/import/ValuesCard";
import { acceptGuesses, acceptValueGuesses, type Guessed, mapValue, missingColumns, NO_GUESSES } from "../app/importGuesses";

/** What the import reads: CSV, Excel and OpenDocument workbooks (KoboToolbox), ODK Central's zip. */
const IMPORT_EXTENSIONS = ["csv", "xlsx", "ods", "zip"];

const EMPTY_MAPPING: ColumnMapping = { columns: {}, values: {}, date_format: null };

/** Sets (or, with null, removes) the import column a source header fills. */
export function mapColumn(mapping: ColumnMapping, header: string, target: string | null): ColumnMapping {
  const columns = { ...mapping.columns };
  if (target) columns[header] = target;
  else delete columns[header];
  return { ...mapping, columns };
}

function percent(done: number, total: number): number {
  return total > 0 ? Math.min(100, Math.round((done / total) * 100)) : 0;
}

export function ImportWizard() {
  const { t, i18n } = useTranslation();
  const { progress } = useSession();
  const queryClient = useQueryClient();
  const [step, setStep] = useState(0);
  const [path, setPath] = useState("");
  const [sheet, setSheet] = useState<string | null>(null);
  const [mapping, setMapping] = useState<ColumnMapping>(EMPTY_MAPPING);
  const [guessed, setGuessed] = useState<Guessed>(NO_GUESSES);
  const [mappingName, setMappingName] = useState("");
  const [preview, setPreview] = useState<ImportPreview | null>(null);
  const [error, setError] = useState<unknown>(null);
  const [running, setRunning] = useState(false);
  const [summary, setSummary] = useState<ImportSummary | null>(null);
  const saved = useQuery({ queryKey: ["mappings"], queryFn: () => api.call("import.mappings", {}) });
  const idTypes = useList("id_type");
  const customFields = useQuery({ queryKey: ["custom_fields"], queryFn: () => api.call("custom_fields.list", {}) });
  const targets = useMemo(
    () => [
      ...IMPORT_COLUMNS.map((c) => ({ value: c, label: t(`import.columns.${c}`) })),
      ...(idTypes.data ?? []).map((i) => ({ value: `id:${i.code}`, label: `${t("import.id_column")}: ${i.label}` })),
      ...(customFields.data?.fields ?? []).map((c) => ({ value: `custom:${c.name}`, label: `${t("import.custom_column")}: ${c.label}` })),
    ],
    [t, idTypes.data, customFields.data],
  );

  const savedMapping = (name: string) => saved.data?.mappings.find((m) => m.name === name)?.mapping ?? EMPTY_MAPPING;
  const previewing = useAction();
  const fetchPreview = (m: ColumnMapping, s: string | null) => api.call("import.preview", { ...inputFile(path), mapping: m, sheet: s, rows: 20 });
  /** Reads the file (or another of its sheets) and takes the guesses for what the mapping leaves open. */
  const openFile = (s: string | null) =>
    previewing.run(async () => {
      const p = await fetchPreview(mapping, s);
      const accepted = acceptGuesses(mapping, p, s === sheet ? guessed : NO_GUESSES);
      setSheet(p.source.sheet);
      setPreview(p);
      setMapping(accepted.mapping);
      setGuessed(accepted.guessed);
    });
  /** The verdicts under the mapping; codes guessed for values seen the first time are taken, and judged too. */
  const judge = (m: ColumnMapping) =>
    previewing.run(async () => {
      let p = await fetchPreview(m, sheet);
      const accepted = acceptValueGuesses(m, p, guessed);
      if (accepted.guessed.values.length > guessed.values.length) p = await fetchPreview(accepted.mapping, sheet);
      setMapping(accepted.mapping);
      setGuessed(accepted.guessed);
      setPreview(p);
    });

  const event = progress["import.run"];
  const live = event?.kind === "import" ? event : undefined;
  const rejectedInPreview = preview?.rows.filter((r) => r.errors.length > 0).length ?? 0;
  const missing = preview ? missingColumns(preview, mapping) : [];

  return (
    <Stack>
      <Title order={2}>{t("import.title")}</Title>
      <Stepper active={step} onStepClick={(s) => !running && s < step && setStep(s)} size="sm">
        <Stepper.Step label={t("import.step_file")}>
          <Card withBorder>
            <Stack>
              <FileField
                label={t("import.file")}
                description={t("import.file_hint")}
                value={path}
                onChange={(p) => {
                  // Another file starts from the chosen saved mapping, not from the last file's columns and guesses.
                  setPath(p);
                  setSheet(null);
                  setGuessed(NO_GUESSES);
                  setMapping(savedMapping(mappingName));
                }}
                extensions={IMPORT_EXTENSIONS}
              />
              <Select
                label={t("import.saved_mapping")}
                description={t("import.saved_mapping_hint")}
                clearable
                data={(saved.data?.mappings ?? []).map((m) => m.name)}
                value={mappingName || null}
                onChange={(name) => {
                  setMappingName(name ?? "");
                  setGuessed(NO_GUESSES);
                  setMapping(savedMapping(name ?? ""));
                }}
              />
              <ErrorNote error={previewing.error} />
              <Group>
                <Button
                  disabled={!path.trim()}
                  loading={previewing.busy}
                  onClick={async () => {
                    if (await openFile(sheet)) setStep(1);
                  }}
                >
                  {t("common.next")}
                </Button>
              </Group>
            </Stack>
          </Card>
        </Stepper.Step>
        <Stepper.Step label={t("import.step_columns")}>
          {preview && (
            <Card withBorder>
              <Stack>
                <ColumnsStep
                  preview={preview}
                  mapping={mapping}
                  guessed={guessed}
                  targets={targets}
                  onMapColumn={(h, target) => setMapping(mapColumn(mapping, h, target))}
                  onDateFormat={(date_format) => setMapping({ ...mapping, date_format })}
                  onSheet={(s) => void openFile(s)}
                  choosingSheet={previewing.busy}
                />
                <SaveMapping
                  name={mappingName}
                  onName={setMappingName}
                  onSave={async () => {
                    try {
                      await api.call("import.mapping_save", { name: mappingName.trim(), mapping });
                      notify(t, { color: "green", message: t("import.mapping_saved") });
                    } catch (e) {
                      notify(t, { color: "red", message: errorMessage(t, e) });
                    }
                  }}
                />
                <MissingColumns missing={missing} />
                <ErrorNote error={previewing.error} />
                <Group>
                  <Button variant="default" onClick={() => setStep(0)}>
                    {t("common.back")}
                  </Button>
                  <Button
                    loading={previewing.busy}
                    disabled={missing.length > 0}
                    data-testid="import-columns-next"
                    onClick={async () => {
                      if (await judge(mapping)) setStep(2);
                    }}
                  >
                    {t("common.next")}
                  </Button>
                </Group>
              </Stack>
            </Card>
          )}
        </Stepper.Step>
        <Stepper.Step label={t("import.step_preview")}>
          {preview && (
            <Stack>
              {preview.unmapped.length > 0 && <Alert color="yellow">{t("import.unmapped", { columns: preview.unmapped.join(", ") })}</Alert>}
              <ValuesCard values={preview.values} mapping={mapping} guessed={guessed} onMapValue={(column, value, code) => void judge(mapValue(mapping, column, value, code))} />
              <Text size="sm" data-testid="preview-verdict">
                {t("import.preview_summary", { shown: preview.rows.length, bad: rejectedInPreview })}
              </Text>
              <PreviewTable preview={preview} mapping={mapping} targets={targets} />
              <ErrorNote error={previewing.error} />
              <Group>
                <Button variant="default" onClick={() => setStep(1)}>
                  {t("common.back")}
                </Button>
                <Button
                  data-testid="import-run"
                  disabled={previewing.busy}
                  onClick={async () => {
                    setStep(3);
                    setRunning(true);
                    setError(null);
                    setSummary(null);
                    try {
                      const s = await api.call("import.run", {
                        ...inputFile(path),
                        options: { mapping, sheet, batch_rows: null, rejects_path: null, defer_list_indexes: null },
                      });
                      setSummary(s.result);
                      deliver(s.downloads);
                    } catch (e) {
                      setError(e);
                    } finally {
                      setRunning(false);
                      void queryClient.invalidateQueries({ queryKey: ["registrants"] });
                    }
                  }}
                >
                  {t("import.run")}
                </Button>
              </Group>
            </Stack>
          )}
        </Stepper.Step>
        <Stepper.Step label={t("import.step_run")}>
          <Card withBorder>
            <Stack>
              {running && (
                <>
                  <Text>{live?.phase === "indexing" ? t("import.indexing") : t("import.writing")}</Text>
                  <ProgressBar
                    value={live ? percent(live.bytes_done, live.bytes_total) : 0}
                    animated
                    size="xl"
                    aria-label={t("import.progress")}
                    data-testid="import-progress"
                  />
                  <Text size="sm" c="dimmed">
                    {t("import.progress_counts", {
                      read: (live?.rows_read ?? 0).toLocaleString(i18n.language),
                      inserted: (live?.inserted ?? 0).toLocaleString(i18n.language),
                      rejected: (live?.rejected ?? 0).toLocaleString(i18n.language),
                    })}
                  </Text>
                  <Group>
                    <Button color="red" variant="light" onClick={() => void api.cancel()}>
                      {t("import.cancel")}
                    </Button>
                  </Group>
                </>
              )}
              <ErrorNote error={error} />
              {summary && (
                <Stack data-testid="import-summary">
                  <Alert color={summary.status === "completed" ? "green" : "yellow"}>
                    {summary.status === "completed" ? t("import.done") : t("import.cancelled")}
                  </Alert>
                  <SimpleGrid cols={{ base: 2, md: 5 }}>
                    {(["rows_read", "inserted", "updated", "unchanged", "rejected"] as const).map((k) => (
                      <div key={k}>
                        <Text size="xs" c="dimmed">
                          {t(`import.${k}`)}
                        </Text>
                        <Text fw={700} data-testid={`summary-${k}`}>
                          {summary[k].toLocaleString(i18n.language)}
                        </Text>
                      </div>
                    ))}
                  </SimpleGrid>
                  {summary.rejects_file && <Alert color="orange">{t("import.rejects_file", { path: summary.rejects_file })}</Alert>}
                  <DroppedNote dropped={summary.dropped} />
                  <Group>
                    <Button
                      variant="default"
                      onClick={() => {
                        setStep(0);
                        setSummary(null);
                        setPreview(null);
                        setGuessed(NO_GUESSES);
                      }}
                    >
                      {t("import.another")}
                    </Button>
                  </Group>
                </Stack>
              )}
            </Stack>
          </Card>
        </Stepper.Step>
      </Stepper>
    </Stack>
  );
}
