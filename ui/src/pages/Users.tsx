// Settings › Users: the office's accounts. An administrator adds people, changes their role or name, disables
// a departed employee, enables them again, and sets a new password; any change but the name ends that
// person's open sessions at their next click. The last active administrator cannot be demoted or disabled.
import { useState } from "react";
import { Badge, Button, Card, Group, Modal, PasswordInput, Select, SimpleGrid, Stack, Switch, Table, Text, TextInput, Title } from "@mantine/core";
import { useQuery } from "@tanstack/react-query";
import { useTranslation } from "react-i18next";
import type { Role, User, UserChange } from "../api/bindings";
import { api } from "../api/client";
import { useSession } from "../app/session";
import { attempt } from "../components/attempt";
import { ErrorNote } from "../components/ErrorNote";
import { formatDate } from "../app/format";

const ROLES: Role[] = ["admin", "registrar", "program_manager", "approver", "finance", "auditor"];
const MIN_PASSWORD = 10;

function ChangeUser({ user, onClose }: { user: User; onClose: () => void }) {
  const { t } = useTranslation();
  const [name, setName] = useState(user.display_name);
  const [role, setRole] = useState<Role>(user.role);
  const [disabled, setDisabled] = useState(user.disabled);
  const [password, setPassword] = useState("");
  const change: UserChange = {
    ...(name.trim() && name.trim() !== user.display_name ? { display_name: name.trim() } : {}),
    ...(role !== user.role ? { role } : {}),
    ...(disabled !== user.disabled ? { disabled } : {}),
    ...(password ? { password } : {}),
  };
  const changed = Object.keys(change).length > 0;
  const endsSessions = changed && Object.keys(change).some((k) => k !== "display_name");
  return (
    <Modal opened onClose={onClose} title={t("users.change_title", { username: user.username })} closeButtonProps={{ "aria-label": t("common.cancel") }}>
      <Stack>
        <TextInput label={t("setup.admin_name")} value={name} onChange={(e) => setName(e.currentTarget.value)} />
        <Select
          label={t("settings.role")}
          allowDeselect={false}
          data={ROLES.map((r) => ({ value: r, label: t(`roles.${r}`) }))}
          value={role}
          onChange={(v) => v && setRole(v as Role)}
        />
        <Switch label={t("users.disabled")} description={t("users.disabled_hint")} checked={disabled} onChange={(e) => setDisabled(e.currentTarget.checked)} />
        <PasswordInput
          label={t("users.new_password")}
          description={t("users.new_password_hint")}
          value={password}
          onChange={(e) => setPassword(e.currentTarget.value)}
          error={password && password.length < MIN_PASSWORD ? t("setup.password_hint") : undefined}
        />
        {endsSessions && (
          <Text size="sm" c="dimmed">
            {t("users.ends_sessions")}
          </Text>
        )}
        <Group justify="flex-end">
          <Button variant="default" onClick={onClose}>
            {t("common.cancel")}
          </Button>
          <Button
            disabled={!changed || (password.length > 0 && password.length < MIN_PASSWORD)}
            onClick={async () => {
              const ok = await attempt(t, () => api.call("users.update", { username: user.username, change }), t("users.changed"));
              if (ok) onClose();
            }}
          >
            {t("users.save")}
          </Button>
        </Group>
      </Stack>
    </Modal>
  );
}

export function Users() {
  const { t, i18n } = useTranslation();
  const { login } = useSession();
  const users = useQuery({ queryKey: ["users"], queryFn: () => api.call("users.list", {}) });
  const empty = { username: "", display_name: "", role: "registrar" as Role, password: "" };
  const [user, setUser] = useState(empty);
  const [changing, setChanging] = useState<User | null>(null);
  return (
    <Stack>
      <ErrorNote error={users.error} />
      <Table striped withTableBorder>
        <Table.Thead>
          <Table.Tr>
            <Table.Th>{t("login.username")}</Table.Th>
            <Table.Th>{t("setup.admin_name")}</Table.Th>
            <Table.Th>{t("settings.role")}</Table.Th>
            <Table.Th>{t("settings.created")}</Table.Th>
            <Table.Th />
          </Table.Tr>
        </Table.Thead>
        <Table.Tbody>
          {(users.data?.users ?? []).map((u) => (
            <Table.Tr key={u.id}>
              <Table.Td>{u.username}</Table.Td>
              <Table.Td>{u.display_name}</Table.Td>
              <Table.Td>
                {t(`roles.${u.role}`)} {u.disabled && <Badge color="gray">{t("status.disabled")}</Badge>}
              </Table.Td>
              <Table.Td>{formatDate(u.created_at, i18n.language)}</Table.Td>
              <Table.Td>
                <Button size="xs" variant="light" onClick={() => setChanging(u)} aria-label={t("users.change_title", { username: u.username })}>
                  {u.username === login?.session.username ? t("users.change_mine") : t("users.change")}
                </Button>
              </Table.Td>
            </Table.Tr>
          ))}
        </Table.Tbody>
      </Table>
      {changing && <ChangeUser user={changing} onClose={() => setChanging(null)} />}
      <Card withBorder>
        <Title order={3} size="h5" mb="sm">
          {t("settings.add_user")}
        </Title>
        <SimpleGrid cols={{ base: 1, sm: 2 }}>
          <TextInput label={t("login.username")} value={user.username} onChange={(e) => setUser({ ...user, username: e.currentTarget.value })} />
          <TextInput label={t("setup.admin_name")} value={user.display_name} onChange={(e) => setUser({ ...user, display_name: e.currentTarget.value })} />
          <Select
            label={t("settings.role")}
            allowDeselect={false}
            data={ROLES.map((r) => ({ value: r, label: t(`roles.${r}`) }))}
            value={user.role}
            onChange={(v) => v && setUser({ ...user, role: v as Role })}
          />
          <PasswordInput label={t("login.password")} description={t("setup.password_hint")} value={user.password} onChange={(e) => setUser({ ...user, password: e.currentTarget.value })} />
        </SimpleGrid>
        <Group mt="md">
          <Button
            disabled={!user.username.trim() || user.password.length < MIN_PASSWORD}
            onClick={async () => {
              const ok = await attempt(
                t,
                () => api.call("users.add", { ...user, username: user.username.trim(), display_name: user.display_name.trim() || user.username.trim() }),
                t("settings.user_added"),
              );
              if (ok) setUser(empty);
            }}
          >
            {t("settings.add_user")}
          </Button>
        </Group>
      </Card>
    </Stack>
  );
}
