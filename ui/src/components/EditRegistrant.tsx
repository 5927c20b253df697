// Editing a record: the form filled with the record unmasked (a reveal, audited), then a review of what
// changes, then the save, which the server refuses if someone else changed the record meanwhile.
import { useEffect, useState } from "react";
import { Alert, Button, Group, Modal, Stack, Table, Text } from "@mantine/core";
import { useQuery, useQueryClient } from "@tanstack/react-query";
import { useTranslation } from "react-i18next";
import type { Registrant, RegistrantFields } from "../api/bindings";
import { api } from "../api/client";
import { cleanFields, fieldChanges, type FieldChange } from "../app/fieldChanges";
import { notify } from "./attempt";
import { ErrorNote } from "./ErrorNote";
import { RegistrantForm } from "./RegistrantForm";
import { useListLabels } from "./lists";
import { useAction } from "./useAction";

/** A change as words: the field's name, what it was and what it becomes. */
export function ChangeTable({ changes }: { changes: FieldChange[] }) {
  const { t } = useTranslation();
  const sexLabel = useListLabels("sex");
  const areaLabel = useListLabels("area");
  const shown = (c: FieldChange, v: string) => {
    if (!v) return <Text span c="dimmed">{t("edit.empty")}</Text>;
    if (c.field === "birth_date_approx") return t("edit.approximate");
    if (c.field === "sex") return sexLabel(v);
    if (c.field === "area") return areaLabel(v);
    return v;
  };
  return (
    <Table data-testid="edit-changes">
      <Table.Thead>
        <Table.Tr>
          <Table.Th>{t("edit.field")}</Table.Th>
          <Table.Th>{t("edit.before")}</Table.Th>
          <Table.Th>{t("edit.after")}</Table.Th>
        </Table.Tr>
      </Table.Thead>
      <Table.Tbody>
        {changes.map((c) => (
          <Table.Tr key={c.field}>
            <Table.Td>{t(`edit.field_names.${c.field}`)}</Table.Td>
            <Table.Td style={{ overflowWrap: "anywhere" }}>{shown(c, c.before)}</Table.Td>
            <Table.Td style={{ overflowWrap: "anywhere" }}>{shown(c, c.after)}</Table.Td>
          </Table.Tr>
        ))}
      </Table.Tbody>
    </Table>
  );
}

export function EditRegistrant({ reference, opened, onClose }: { reference: string; opened: boolean; onClose(): void }) {
  const { t } = useTranslation();
  const queryClient = useQueryClient();
  const current = useQuery({
    queryKey: ["registrants", "edit", reference],
    queryFn: () => api.call("registrants.get", { key: { reference }, reveal: true }),
    enabled: opened,
    staleTime: 0,
    gcTime: 0,
    refetchOnWindowFocus: false,
  });
  // The record as the edit started from, kept while it lasts: a refetch must neither reset what was typed
  // nor move the version the save is checked against.
  const [original, setOriginal] = useState<Registrant | null>(null);
  const [fields, setFields] = useState<RegistrantFields | null>(null);
  const [reviewing, setReviewing] = useState(false);
  const [leaving, setLeaving] = useState(false);
  const save = useAction();
  const loaded = current.data?.registrant;
  useEffect(() => {
    if (opened && loaded && original === null) {
      setOriginal(loaded);
      setFields(loaded.fields);
    }
    if (!opened) {
      setOriginal(null);
      setFields(null);
      setReviewing(false);
      setLeaving(false);
    }
  }, [opened, loaded, original]);
  const changes = original && fields ? fieldChanges(original.fields, cleanFields(fields)) : [];
  const close = () => (changes.length > 0 && !leaving ? setLeaving(true) : onClose());
  return (
    <Modal opened={opened} onClose={close} size="xl" title={t("edit.title", { reference })} closeButtonProps={{ "aria-label": t("common.close") }}>
      <ErrorNote error={current.error} />
      {original && fields && (
        <Stack>
          {leaving && (
            <Alert color="yellow" title={t("edit.unsaved_title")} data-testid="edit-unsaved">
              <Text size="sm">{t("edit.unsaved", { count: changes.length })}</Text>
              <Group mt="xs">
                <Button size="xs" color="red" variant="light" onClick={onClose}>
                  {t("edit.discard")}
                </Button>
                <Button size="xs" variant="default" onClick={() => setLeaving(false)}>
                  {t("edit.keep_editing")}
                </Button>
              </Group>
            </Alert>
          )}
          {reviewing ? (
            <>
              <Text size="sm">{t("edit.review", { count: changes.length })}</Text>
              <ChangeTable changes={changes} />
            </>
          ) : (
            <RegistrantForm kind={original.kind} value={fields} onChange={setFields} testId="edit" />
          )}
          <ErrorNote error={save.error} />
          <Group justify="end">
            {reviewing ? (
              <>
                <Button variant="default" onClick={() => setReviewing(false)}>
                  {t("common.back")}
                </Button>
                <Button
                  loading={save.busy}
                  data-testid="edit-save"
                  onClick={async () => {
                    const saved = await save.run(() =>
                      api.call("registrants.update", { key: { id: original.id }, fields: cleanFields(fields), expected_version: original.version }),
                    );
                    if (!saved) return;
                    notify(t, { color: "green", message: t("edit.saved", { count: changes.length }) });
                    void queryClient.invalidateQueries({ queryKey: ["registrants"] });
                    onClose();
                  }}
                >
                  {t("edit.save")}
                </Button>
              </>
            ) : (
              <>
                <Button variant="default" onClick={close}>
                  {t("common.cancel")}
                </Button>
                <Button disabled={changes.length === 0} onClick={() => setReviewing(true)} data-testid="edit-review">
                  {t("edit.review_button")}
                </Button>
              </>
            )}
          </Group>
        </Stack>
      )}
    </Modal>
  );
}
