// Settings: the office, the registry's lists, custom fields, users and roles, this machine's preferences,
// and backups.
import { useState } from "react";
import {
  Alert,
  Badge,
  Button,
  Card,
  Checkbox,
  Group,
  NumberInput,
  SegmentedControl,
  Select,
  SimpleGrid,
  Stack,
  Table,
  Tabs,
  Text,
  TextInput,
  Title,
  useMantineColorScheme,
  type MantineColorScheme,
} from "@mantine/core";
import { useQuery } from "@tanstack/react-query";
import { useTranslation } from "react-i18next";
import type { CustomFieldType, ListName } from "../api/bindings";
import { api } from "../api/client";
import { MAX_LOCK_MINUTES, prefs } from "../app/prefs";
import { LanguageSelect } from "../components/LanguageSelect";
import { navigate } from "../app/route";
import { useSession } from "../app/session";
import { CenteredLoader } from "../components/CenteredLoader";
import { ErrorNote } from "../components/ErrorNote";
import { Field } from "../components/Field";
import { useList } from "../components/lists";
import { FolderField } from "../components/PathField";
import { useAction } from "../components/useAction";
import { attempt } from "../components/attempt";
import { Users } from "./Users";
import { CentralServer } from "./CentralServer";
import { privacyWords } from "../components/Privacy";

const LISTS: ListName[] = ["area", "id_type", "membership_kind", "sex", "tag"];
const FIELD_TYPES: CustomFieldType[] = ["text", "integer", "decimal", "date", "boolean", "choice"];


function Office() {
  const { t } = useTranslation();
  const info = useQuery({ queryKey: ["registry"], queryFn: () => api.call("registry.info", {}) });
  if (info.error) return <ErrorNote error={info.error} />;
  if (!info.data) return <CenteredLoader />;
  const i = info.data;
  return (
    <Card withBorder>
      <SimpleGrid cols={{ base: 1, sm: 2 }}>
        <Field label={t("setup.office_name")} value={i.office_name} />
        <Field label={t("setup.office_code")} value={i.office_code} />
        <Field label={t("settings.key_source")} value={t(`settings.key_source_${i.key_source}`)} />
        <Field label={t("settings.schema_version")} value={String(i.schema_version)} />
        <Field label={t("privacy.title")} value={privacyWords(t, i.privacy)} testId="privacy-kept" />
      </SimpleGrid>
    </Card>
  );
}

function Lists() {
  const { t } = useTranslation();
  const { can } = useSession();
  const [list, setList] = useState<ListName>("area");
  const items = useList(list);
  const [item, setItem] = useState({ code: "", label: "" });
  return (
    <Stack>
      <SegmentedControl value={list} onChange={(v) => setList(v as ListName)} data={LISTS.map((l) => ({ value: l, label: t(`lists.${l}`) }))} />
      <ErrorNote error={items.error} />
      <Table striped withTableBorder>
        <Table.Thead>
          <Table.Tr>
            <Table.Th>{t("settings.code")}</Table.Th>
            <Table.Th>{t("settings.label")}</Table.Th>
            <Table.Th>{t("fields.status")}</Table.Th>
          </Table.Tr>
        </Table.Thead>
        <Table.Tbody>
          {(items.data ?? []).map((i) => (
            <Table.Tr key={i.code}>
              <Table.Td>
                <code>{i.code}</code>
              </Table.Td>
              <Table.Td>{i.label}</Table.Td>
              <Table.Td>
                {can("settings_manage") ? (
                  <Checkbox
                    label={t("settings.active")}
                    checked={i.active}
                    onChange={(e) => {
                      const active = e.currentTarget.checked;
                      void attempt(t, () => api.call("lists.upsert", { list, item: { ...i, active } }), t("settings.saved"));
                    }}
                  />
                ) : (
                  <Badge color={i.active ? "green" : "gray"}>{i.active ? t("settings.active") : t("settings.inactive")}</Badge>
                )}
              </Table.Td>
            </Table.Tr>
          ))}
        </Table.Tbody>
      </Table>
      {can("settings_manage") && (
        <Group align="end">
          <TextInput label={t("settings.code")} value={item.code} onChange={(e) => setItem({ ...item, code: e.currentTarget.value })} />
          <TextInput label={t("settings.label")} value={item.label} onChange={(e) => setItem({ ...item, label: e.currentTarget.value })} />
          <Button
            disabled={!item.code.trim() || !item.label.trim()}
            onClick={async () => {
              const ok = await attempt(
                t,
                () => api.call("lists.upsert", { list, item: { code: item.code.trim(), label: item.label.trim(), parent: null, active: true } }),
                t("settings.saved"),
              );
              if (ok) setItem({ code: "", label: "" });
            }}
          >
            {t("settings.add_item")}
          </Button>
        </Group>
      )}
    </Stack>
  );
}

function CustomFields() {
  const { t } = useTranslation();
  const { can } = useSession();
  const fields = useQuery({ queryKey: ["custom_fields"], queryFn: () => api.call("custom_fields.list", {}) });
  const empty = { name: "", label: "", field_type: "text" as CustomFieldType, choices: "", required: false, personal: false };
  const [field, setField] = useState(empty);
  return (
    <Stack>
      <ErrorNote error={fields.error} />
      <Table striped withTableBorder>
        <Table.Thead>
          <Table.Tr>
            <Table.Th>{t("settings.code")}</Table.Th>
            <Table.Th>{t("settings.label")}</Table.Th>
            <Table.Th>{t("settings.field_type")}</Table.Th>
            <Table.Th>{t("settings.flags")}</Table.Th>
          </Table.Tr>
        </Table.Thead>
        <Table.Tbody>
          {(fields.data?.fields ?? []).map((f) => (
            <Table.Tr key={f.name}>
              <Table.Td>
                <code>{f.name}</code>
              </Table.Td>
              <Table.Td>{f.label}</Table.Td>
              <Table.Td>
                {t(`settings.types.${f.field_type}`)}
                {f.choices.length > 0 && ` (${f.choices.join(", ")})`}
              </Table.Td>
              <Table.Td>
                {f.required && <Badge mr={4}>{t("settings.required")}</Badge>}
                {f.personal && <Badge color="yellow">{t("settings.personal")}</Badge>}
              </Table.Td>
            </Table.Tr>
          ))}
        </Table.Tbody>
      </Table>
      {(fields.data?.fields ?? []).length === 0 && <Text c="dimmed">{t("settings.no_custom_fields")}</Text>}
      {can("settings_manage") && (
        <Card withBorder>
          <SimpleGrid cols={{ base: 1, sm: 3 }}>
            <TextInput label={t("settings.code")} value={field.name} onChange={(e) => setField({ ...field, name: e.currentTarget.value })} />
            <TextInput label={t("settings.label")} value={field.label} onChange={(e) => setField({ ...field, label: e.currentTarget.value })} />
            <Select
              label={t("settings.field_type")}
              allowDeselect={false}
              data={FIELD_TYPES.map((f) => ({ value: f, label: t(`settings.types.${f}`) }))}
              value={field.field_type}
              onChange={(v) => v && setField({ ...field, field_type: v as CustomFieldType })}
            />
            {field.field_type === "choice" && (
              <TextInput label={t("settings.choices")} description={t("settings.choices_hint")} value={field.choices} onChange={(e) => setField({ ...field, choices: e.currentTarget.value })} />
            )}
            <Checkbox mt="lg" label={t("settings.required")} checked={field.required} onChange={(e) => setField({ ...field, required: e.currentTarget.checked })} />
            <Checkbox mt="lg" label={t("settings.personal")} checked={field.personal} onChange={(e) => setField({ ...field, personal: e.currentTarget.checked })} />
          </SimpleGrid>
          <Group mt="md">
            <Button
              disabled={!field.name.trim() || !field.label.trim()}
              onClick={async () => {
                const choices = field.choices.split(",").map((c) => c.trim()).filter(Boolean);
                const ok = await attempt(
                  t,
                  () => api.call("custom_fields.define", { field: { ...field, name: field.name.trim(), label: field.label.trim(), choices } }),
                  t("settings.saved"),
                );
                if (ok) setField(empty);
              }}
            >
              {t("settings.define_field")}
            </Button>
          </Group>
        </Card>
      )}
    </Stack>
  );
}

function Preferences() {
  const { t } = useTranslation();
  const { colorScheme, setColorScheme } = useMantineColorScheme();
  const [lockMinutes, setLockMinutes] = useState(prefs.lockMinutes());
  return (
    <Card withBorder>
      <Stack maw={420}>
        <LanguageSelect label={t("settings.language")} />
        <div>
          <Text size="sm" fw={500} mb={4}>
            {t("settings.theme")}
          </Text>
          <SegmentedControl
            value={colorScheme}
            onChange={(v) => setColorScheme(v as MantineColorScheme)}
            data={[
              { value: "light", label: t("theme.light") },
              { value: "dark", label: t("theme.dark") },
              { value: "auto", label: t("theme.auto") },
            ]}
          />
        </div>
        <NumberInput
          label={t("settings.lock_minutes")}
          description={t("settings.lock_minutes_hint")}
          min={1}
          max={MAX_LOCK_MINUTES}
          value={lockMinutes}
          onChange={(v) => {
            if (typeof v !== "number") return;
            setLockMinutes(v);
            prefs.setLockMinutes(v);
          }}
        />
      </Stack>
    </Card>
  );
}

function Backup() {
  const { t, i18n } = useTranslation();
  const [folder, setFolder] = useState("");
  const { busy, error, run } = useAction();
  const [done, setDone] = useState<{ path: string; bytes: number } | null>(null);
  return (
    <Card withBorder>
      <Stack maw={640}>
        <Text size="sm">{t("settings.backup_hint")}</Text>
        <FolderField label={t("settings.backup_folder")} value={folder} onChange={setFolder} />
        <ErrorNote error={error} />
        {done && (
          <Alert color="green">
            {t("settings.backup_done", { path: done.path, size: (done.bytes / 1e6).toLocaleString(i18n.language, { maximumFractionDigits: 1 }) })}
          </Alert>
        )}
        <Group>
          <Button
            loading={busy}
            disabled={!folder.trim()}
            onClick={() => {
              setDone(null);
              void run(async () => {
                const s = await api.call("backup.create", { destination: folder.trim() });
                setDone({ path: s.path, bytes: s.database_bytes });
              });
            }}
          >
            {t("settings.backup_now")}
          </Button>
        </Group>
        <Text size="sm" c="dimmed">
          {t("settings.restore_hint")}
        </Text>
      </Stack>
    </Card>
  );
}

export function Settings({ tab }: { tab?: string }) {
  const { t } = useTranslation();
  const { can } = useSession();
  const tabs = [
    { value: "office", label: t("settings.office"), body: <Office /> },
    { value: "lists", label: t("settings.lists"), body: <Lists /> },
    { value: "fields", label: t("settings.custom_fields"), body: <CustomFields /> },
    ...(can("users_manage") ? [{ value: "users", label: t("settings.users"), body: <Users /> }] : []),
    { value: "preferences", label: t("settings.preferences"), body: <Preferences /> },
    { value: "server", label: t("settings.central_server"), body: <CentralServer /> },
    ...(can("backup_run") ? [{ value: "backup", label: t("settings.backup"), body: <Backup /> }] : []),
  ];
  const active = tabs.some((x) => x.value === tab) ? tab! : "office";
  return (
    <Stack>
      <Title order={2}>{t("nav.settings")}</Title>
      <Tabs value={active} onChange={(v) => v && navigate({ page: "settings", tab: v })} keepMounted={false}>
        <Tabs.List>
          {tabs.map((x) => (
            <Tabs.Tab key={x.value} value={x.value}>
              {x.label}
            </Tabs.Tab>
          ))}
        </Tabs.List>
        {tabs.map((x) => (
          <Tabs.Panel key={x.value} value={x.value} pt="md">
            {x.body}
          </Tabs.Panel>
        ))}
      </Tabs>
    </Stack>
  );
}
