// The first rows of the file as the import would judge them: every reason a row would be rejected, in
// full, beside its cells.
import { Badge, ScrollArea, Stack, Table, Text } from "@mantine/core";
import { useTranslation } from "react-i18next";
import type { ColumnMapping, ImportPreview } from "../../api/bindings";

interface Props {
  preview: ImportPreview;
  mapping: ColumnMapping;
  /** The import columns by value, with their labels. */
  targets: { value: string; label: string }[];
}

export function PreviewTable({ preview, mapping, targets }: Props) {
  const { t } = useTranslation();
  const labelOf = (target: string) => targets.find((c) => c.value === target)?.label ?? target;
  return (
    <ScrollArea>
      <Table striped withTableBorder fz="xs">
        <Table.Thead>
          <Table.Tr>
            <Table.Th>{t("import.line")}</Table.Th>
            <Table.Th miw={220}>{t("import.verdict")}</Table.Th>
            {preview.headers.map((h, i) => {
              const target = mapping.columns[h] ?? preview.targets[i];
              return (
                <Table.Th key={`${i}:${h}`}>
                  {h}
                  {target && (
                    <Text size="xs" c="dimmed">
                      → {labelOf(target)}
                    </Text>
                  )}
                </Table.Th>
              );
            })}
          </Table.Tr>
        </Table.Thead>
        <Table.Tbody>
          {preview.rows.map((r) => (
            <Table.Tr key={r.line}>
              <Table.Td>{r.line}</Table.Td>
              <Table.Td>
                {r.errors.length > 0 ? (
                  <Stack gap={2} data-testid="row-errors">
                    {r.errors.map((e, i) => (
                      <Text key={i} size="xs" c="red" style={{ whiteSpace: "normal" }}>
                        <b>{e.column}</b>: {e.reason}
                      </Text>
                    ))}
                  </Stack>
                ) : (
                  <Badge color="green">{t("import.ok")}</Badge>
                )}
              </Table.Td>
              {r.cells.map((c, i) => (
                <Table.Td key={i} dir="auto">
                  {c}
                </Table.Td>
              ))}
            </Table.Tr>
          ))}
        </Table.Tbody>
      </Table>
    </ScrollArea>
  );
}
