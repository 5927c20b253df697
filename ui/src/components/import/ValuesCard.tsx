// Values of the file's coded columns (sex, relationship, approximate birth date) that are not the
// registry's codes, each matched to a code: `F` to Female. Guesses are marked; a value left unmatched
// rejects its rows.
import { Badge, Card, Select, Stack, Table, Text, Title } from "@mantine/core";
import { useTranslation } from "react-i18next";
import type { ColumnMapping, ColumnValues, ListName } from "../../api/bindings";
import { type Guessed, valueKey } from "../../app/importGuesses";
import { useListLabels } from "../lists";

const LISTS: Record<string, ListName | undefined> = { sex: "sex", relationship: "membership_kind" };

function ColumnValuesTable({ column, mapping, guessed, onMapValue }: { column: ColumnValues } & Omit<Props, "values">) {
  const { t } = useTranslation();
  const labelOf = useListLabels(LISTS[column.column] ?? "sex");
  const label = (code: string) => (LISTS[column.column] ? labelOf(code) : t(`import.approx_${code}`));
  const chosen = mapping.values[column.column] ?? {};
  return (
    <Stack gap={4}>
      <Title order={5}>{t(`import.columns.${column.column}`)}</Title>
      <Table withTableBorder fz="sm" data-testid={`import-values-${column.column}`}>
        <Table.Thead>
          <Table.Tr>
            <Table.Th>{t("import.value_in_file")}</Table.Th>
            <Table.Th>{t("import.value_rows")}</Table.Th>
            <Table.Th>{t("import.value_imported_as")}</Table.Th>
          </Table.Tr>
        </Table.Thead>
        <Table.Tbody>
          {column.values.map((v) => (
            <Table.Tr key={v.value}>
              <Table.Td>
                <Text size="sm" dir="auto">
                  {v.value}
                </Text>
              </Table.Td>
              <Table.Td>{v.rows}</Table.Td>
              <Table.Td>
                <Select
                  aria-label={t("import.value_for", { value: v.value })}
                  placeholder={t("import.value_unmatched")}
                  data={column.codes.map((c) => ({ value: c, label: label(c) }))}
                  value={chosen[v.value] ?? null}
                  clearable
                  onChange={(code) => onMapValue(column.column, v.value, code)}
                  data-testid={`value-${column.column}-${v.value}`}
                  description={
                    guessed.values.includes(valueKey(column.column, v.value)) && chosen[v.value] === v.suggested ? (
                      <Badge size="xs" variant="light" color="grape">
                        {t("import.guessed")}
                      </Badge>
                    ) : undefined
                  }
                />
              </Table.Td>
            </Table.Tr>
          ))}
        </Table.Tbody>
      </Table>
    </Stack>
  );
}

interface Props {
  values: ColumnValues[];
  mapping: ColumnMapping;
  guessed: Guessed;
  onMapValue(column: string, value: string, code: string | null): void;
}

export function ValuesCard(props: Props) {
  const { t } = useTranslation();
  if (props.values.length === 0) return null;
  return (
    <Card withBorder data-testid="import-values">
      <Stack>
        <Text size="sm">{t("import.values_hint")}</Text>
        {props.values.map((column) => (
          <ColumnValuesTable key={column.column} column={column} {...props} />
        ))}
      </Stack>
    </Card>
  );
}
