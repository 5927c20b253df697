// Registering from the desk: a person (optionally into a household), or a household with its members in
// one step. Each opens the new record when saved.
import { useState } from "react";
import { ActionIcon, Button, Card, Group, Modal, Select, Stack, Text, TextInput, Title } from "@mantine/core";
import { IconTrash } from "@tabler/icons-react";
import { useQueryClient } from "@tanstack/react-query";
import { useTranslation } from "react-i18next";
import type { NewMember, RegistrantFields } from "../api/bindings";
import { api } from "../api/client";
import { cleanFields } from "../app/fieldChanges";
import { navigate } from "../app/route";
import { notify } from "./attempt";
import { ErrorNote } from "./ErrorNote";
import { RegistrantForm } from "./RegistrantForm";
import { useList } from "./lists";
import { useAction } from "./useAction";

type Registration = { reference: string; message: string };

/** Saves a registration, says what was registered, and opens the new record. */
function useRegister(onSaved: () => void) {
  const { t } = useTranslation();
  const queryClient = useQueryClient();
  const save = useAction();
  const register = async (work: () => Promise<Registration>) => {
    const out: { saved?: Registration } = {};
    if (!(await save.run(async () => (out.saved = await work()))) || !out.saved) return;
    notify(t, { color: "green", message: out.saved.message });
    void queryClient.invalidateQueries({ queryKey: ["registrants"] });
    onSaved();
    navigate({ page: "beneficiary", reference: out.saved.reference });
  };
  return { busy: save.busy, error: save.error, register };
}

/** The last try's error, Cancel, and the button that registers. */
function RegisterFooter({
  save,
  onCancel,
  disabled,
  testId,
  work,
}: {
  save: ReturnType<typeof useRegister>;
  onCancel(): void;
  disabled: boolean;
  testId: string;
  work(): Promise<Registration>;
}) {
  const { t } = useTranslation();
  return (
    <>
      <ErrorNote error={save.error} />
      <Group justify="end">
        <Button variant="default" onClick={onCancel}>
          {t("common.cancel")}
        </Button>
        <Button loading={save.busy} disabled={disabled} data-testid={testId} onClick={() => save.register(work)}>
          {t("edit.register")}
        </Button>
      </Group>
    </>
  );
}

function useKinds() {
  const kinds = useList("membership_kind");
  return (kinds.data ?? []).filter((k) => k.active).map((k) => ({ value: k.code, label: k.label }));
}

export function RegisterPerson({ opened, onClose }: { opened: boolean; onClose(): void }) {
  const { t } = useTranslation();
  const kinds = useKinds();
  const [fields, setFields] = useState<RegistrantFields>({});
  const [household, setHousehold] = useState("");
  const [kind, setKind] = useState<string | null>(null);
  const done = () => {
    setFields({});
    setHousehold("");
    setKind(null);
    onClose();
  };
  const save = useRegister(done);
  return (
    <Modal opened={opened} onClose={done} size="xl" title={t("edit.register_person")} closeButtonProps={{ "aria-label": t("common.close") }}>
      <Stack>
        <RegistrantForm kind="individual" value={fields} onChange={setFields} testId="register" />
        <Group grow align="end">
          <TextInput label={t("edit.household_reference")} description={t("edit.household_reference_hint")} value={household} onChange={(e) => setHousehold(e.currentTarget.value)} />
          <Select label={t("fields.relationship")} allowDeselect={false} data={kinds} value={kind} onChange={setKind} disabled={!household.trim()} />
        </Group>
        <RegisterFooter
          save={save}
          onCancel={done}
          disabled={(!fields.given_name?.trim() && !fields.family_name?.trim()) || (!!household.trim() && !kind)}
          testId="register-save"
          work={async () => {
            const link = household.trim() ? { group: { reference: household.trim().toUpperCase() }, kind: kind ?? "" } : null;
            const { reference } = await api.call("registrants.create", { kind: "individual", fields: cleanFields(fields), household: link });
            return { reference, message: t("edit.registered", { reference }) };
          }}
        />
      </Stack>
    </Modal>
  );
}

export function RegisterHousehold({ opened, onClose }: { opened: boolean; onClose(): void }) {
  const { t } = useTranslation();
  const kinds = useKinds();
  const [fields, setFields] = useState<RegistrantFields>({});
  const [members, setMembers] = useState<NewMember[]>([{ fields: {}, kind: "head" }]);
  const setMember = (i: number, patch: Partial<NewMember>) => setMembers(members.map((m, j) => (j === i ? { ...m, ...patch } : m)));
  const done = () => {
    setFields({});
    setMembers([{ fields: {}, kind: "head" }]);
    onClose();
  };
  const save = useRegister(done);
  return (
    <Modal opened={opened} onClose={done} size="xl" title={t("edit.register_household")} closeButtonProps={{ "aria-label": t("common.close") }}>
      <Stack>
        <RegistrantForm kind="group" value={fields} onChange={setFields} testId="household" />
        <Title order={3} size="h5">
          {t("detail.members")}
        </Title>
        {members.map((m, i) => (
          <Card withBorder key={i} p="sm" data-testid="household-member">
            <Group justify="space-between" mb="xs">
              <Text size="sm" fw={500}>
                {t("edit.member_n", { n: i + 1 })}
              </Text>
              <Group gap="xs">
                <Select size="xs" w={180} allowDeselect={false} aria-label={t("fields.relationship")} data={kinds} value={m.kind} onChange={(v) => setMember(i, { kind: v ?? "" })} data-testid={`member-${i}-kind`} />
                <ActionIcon variant="subtle" color="red" aria-label={t("edit.remove_member", { n: i + 1 })} onClick={() => setMembers(members.filter((_, j) => j !== i))}>
                  <IconTrash size={16} />
                </ActionIcon>
              </Group>
            </Group>
            <RegistrantForm kind="individual" compact value={m.fields} onChange={(f) => setMember(i, { fields: f })} testId={`member-${i}`} />
          </Card>
        ))}
        <Group>
          <Button variant="default" size="xs" onClick={() => setMembers([...members, { fields: {}, kind: kinds.find((k) => k.value !== "head")?.value ?? "" }])} data-testid="household-add-member">
            {t("edit.add_member")}
          </Button>
        </Group>
        <RegisterFooter
          save={save}
          onCancel={done}
          disabled={!fields.group_name?.trim()}
          testId="household-save"
          work={async () => {
            const r = await api.call("households.register", {
              fields: cleanFields(fields),
              members: members.map((m) => ({ kind: m.kind, fields: cleanFields(m.fields) })),
            });
            const reference = r.household.reference;
            return { reference, message: t("edit.household_registered", { reference, count: members.length }) };
          }}
        />
      </Stack>
    </Modal>
  );
}
