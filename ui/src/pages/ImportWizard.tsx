// The import wizard: choose a file, map its columns (saved mappings remembered by name), preview the first
// rows with the verdict the import would give each, run with progress and cancel, then a summary.
import { useMemo, useState } from "react";
import {
  Alert,
  Badge,
  Button,
  Card,
  Group,
  Progress as ProgressBar,
  ScrollArea,
  Select,
  SimpleGrid,
  Stack,
  Stepper,
  Table,
  Text,
  TextInput,
  Title,
} from "@mantine/core";
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
  const [mapping, setMapping] = useState<ColumnMapping>(EMPTY_MAPPING);
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

  const previewing = useAction();
  const loadPreview = (m: ColumnMapping) =>
    previewing.run(async () => setPreview(await api.call("import.preview", { ...inputFile(path), mapping: m, rows: 20 })));

  const event = progress["import.run"];
  const live = event?.kind === "import" ? event : undefined;
  const rejectedInPreview = preview?.rows.filter((r) => r.error).length ?? 0;

  return (
    <Stack>
      <Title order={2}>{t("import.title")}</Title>
      <Stepper active={step} onStepClick={(s) => !running && s < step && setStep(s)} size="sm">
        <Stepper.Step label={t("import.step_file")}>
          <Card withBorder>
            <Stack>
              <FileField label={t("import.file")} value={path} onChange={setPath} extensions={["csv"]} />
              <Select
                label={t("import.saved_mapping")}
                description={t("import.saved_mapping_hint")}
                clearable
                data={(saved.data?.mappings ?? []).map((m) => m.name)}
                value={mappingName || null}
                onChange={(name) => {
                  setMappingName(name ?? "");
                  setMapping(saved.data?.mappings.find((m) => m.name === name)?.mapping ?? EMPTY_MAPPING);
                }}
              />
              <ErrorNote error={previewing.error} />
              <Group>
                <Button
                  disabled={!path.trim()}
                  loading={previewing.busy}
                  onClick={async () => {
                    if (await loadPreview(mapping)) setStep(1);
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
                <Text size="sm">{t("import.columns_hint")}</Text>
                <SimpleGrid cols={{ base: 1, md: 2 }}>
                  {preview.headers.map((h, i) => (
                    <Select
                      key={h}
                      label={h}
                      placeholder={t("import.not_imported")}
                      clearable
                      searchable
                      data={targets}
                      value={mapping.columns[h] ?? preview.targets[i] ?? null}
                      onChange={(v) => setMapping(mapColumn(mapping, h, v))}
                    />
                  ))}
                </SimpleGrid>
                <TextInput
                  label={t("import.date_format")}
                  description={t("import.date_format_hint")}
                  value={mapping.date_format ?? ""}
                  onChange={(e) => setMapping({ ...mapping, date_format: e.currentTarget.value || null })}
                />
                <Group align="end">
                  <TextInput label={t("import.mapping_name")} value={mappingName} onChange={(e) => setMappingName(e.currentTarget.value)} />
                  <Button
                    variant="default"
                    disabled={!mappingName.trim()}
                    onClick={async () => {
                      try {
                        await api.call("import.mapping_save", { name: mappingName.trim(), mapping });
                        notify(t, { color: "green", message: t("import.mapping_saved") });
                      } catch (e) {
                        notify(t, { color: "red", message: errorMessage(t, e) });
                      }
                    }}
                  >
                    {t("import.save_mapping")}
                  </Button>
                </Group>
                <ErrorNote error={previewing.error} />
                <Group>
                  <Button variant="default" onClick={() => setStep(0)}>
                    {t("common.back")}
                  </Button>
                  <Button
                    loading={previewing.busy}
                    onClick={async () => {
                      if (await loadPreview(mapping)) setStep(2);
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
              <Text size="sm" data-testid="preview-verdict">
                {t("import.preview_summary", { shown: preview.rows.length, bad: rejectedInPreview })}
              </Text>
              <ScrollArea>
                <Table striped withTableBorder fz="xs">
                  <Table.Thead>
                    <Table.Tr>
                      <Table.Th>{t("import.line")}</Table.Th>
                      <Table.Th>{t("import.verdict")}</Table.Th>
                      {preview.headers.map((h, i) => (
                        <Table.Th key={h}>
                          {h}
                          {(mapping.columns[h] ?? preview.targets[i]) && (
                            <Text size="xs" c="dimmed">
                              → {mapping.columns[h] ?? preview.targets[i]}
                            </Text>
                          )}
                        </Table.Th>
                      ))}
                    </Table.Tr>
                  </Table.Thead>
                  <Table.Tbody>
                    {preview.rows.map((r) => (
                      <Table.Tr key={r.line}>
                        <Table.Td>{r.line}</Table.Td>
                        <Table.Td>
                          {r.error ? (
                            <Badge color="red" title={r.error.reason}>
                              {r.error.column}: {r.error.reason}
                            </Badge>
                          ) : (
                            <Badge color="green">
                              {t("import.ok")}
                            </Badge>
                          )}
                        </Table.Td>
                        {r.cells.map((c, i) => (
                          <Table.Td key={i}>{c}</Table.Td>
                        ))}
                      </Table.Tr>
                    ))}
                  </Table.Tbody>
                </Table>
              </ScrollArea>
              <Group>
                <Button variant="default" onClick={() => setStep(1)}>
                  {t("common.back")}
                </Button>
                <Button
                  data-testid="import-run"
                  onClick={async () => {
                    setStep(3);
                    setRunning(true);
                    setError(null);
                    setSummary(null);
                    try {
                      const s = await api.call("import.run", {
                        ...inputFile(path),
                        options: { mapping, batch_rows: null, rejects_path: null, defer_list_indexes: null },
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
