// Programs: each with its state and numbers; a program manager creates new ones here.
import { useState } from "react";
import { Anchor, Badge, Button, Group, Stack, Switch, Table, Text, Title } from "@mantine/core";
import { IconPlus } from "@tabler/icons-react";
import { useQuery } from "@tanstack/react-query";
import { useTranslation } from "react-i18next";
import { api } from "../../api/client";
import { hrefOf } from "../../app/route";
import { useSession } from "../../app/session";
import { ErrorNote } from "../../components/ErrorNote";
import { ProgramWizard } from "./ProgramWizard";

export const STATE_COLOURS: Record<string, string> = { draft: "gray", active: "green", ended: "dark" };

export function Programs() {
  const { t, i18n } = useTranslation();
  const { can } = useSession();
  const [archived, setArchived] = useState(false);
  const [wizard, setWizard] = useState(false);
  const list = useQuery({ queryKey: ["programs", "list", archived], queryFn: () => api.call("programs.list", { include_archived: archived }) });
  return (
    <Stack>
      <Group justify="space-between">
        <Title order={2}>{t("nav.programs")}</Title>
        {can("program_manage") && (
          <Button leftSection={<IconPlus size={16} />} onClick={() => setWizard(true)} data-testid="program-new">
            {t("programs.new")}
          </Button>
        )}
      </Group>
      <Switch label={t("programs.show_archived")} checked={archived} onChange={(e) => setArchived(e.currentTarget.checked)} />
      <ErrorNote error={list.error} />
      <Table striped withTableBorder data-testid="program-table">
        <Table.Thead>
          <Table.Tr>
            <Table.Th>{t("programs.code")}</Table.Th>
            <Table.Th>{t("programs.name")}</Table.Th>
            <Table.Th>{t("programs.state")}</Table.Th>
            <Table.Th>{t("programs.target")}</Table.Th>
            <Table.Th ta="end">{t("membership.enrolled")}</Table.Th>
            <Table.Th ta="end">{t("membership.paused")}</Table.Th>
            <Table.Th ta="end">{t("membership.exited")}</Table.Th>
            <Table.Th ta="end">{t("membership.duplicated")}</Table.Th>
          </Table.Tr>
        </Table.Thead>
        <Table.Tbody>
          {list.data?.map((p) => (
            <Table.Tr key={p.id}>
              <Table.Td>
                <Anchor href={hrefOf({ page: "program", code: p.code })}>{p.code}</Anchor>
              </Table.Td>
              <Table.Td>{p.name}</Table.Td>
              <Table.Td>
                <Badge color={STATE_COLOURS[p.state]}>{t(`programs.state_${p.state}`)}</Badge>
                {p.archived && <Badge color="gray" ml={4}>{t("programs.archived")}</Badge>}
              </Table.Td>
              <Table.Td>{p.target === "group" ? t("programs.target_group") : t("programs.target_individual")}</Table.Td>
              <Table.Td ta="end">{p.counts.enrolled.toLocaleString(i18n.language)}</Table.Td>
              <Table.Td ta="end">{p.counts.paused.toLocaleString(i18n.language)}</Table.Td>
              <Table.Td ta="end">{p.counts.exited.toLocaleString(i18n.language)}</Table.Td>
              <Table.Td ta="end">{p.counts.duplicated.toLocaleString(i18n.language)}</Table.Td>
            </Table.Tr>
          ))}
        </Table.Tbody>
      </Table>
      {list.data?.length === 0 && <Text c="dimmed">{t("programs.none")}</Text>}
      <ProgramWizard opened={wizard} onClose={() => setWizard(false)} />
    </Stack>
  );
}
