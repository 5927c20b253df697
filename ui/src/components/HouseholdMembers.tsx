// A household's members (on its page) or a person's households (on theirs), with what the desk changes
// there: a member added, made head, moved to another household, or leaving. Each asks first and says
// what it will do.
import { useState } from "react";
import { Anchor, Badge, Button, Card, Group, Menu, Modal, Select, Stack, Table, Text, TextInput, Title } from "@mantine/core";
import { IconDots } from "@tabler/icons-react";
import { useQueryClient } from "@tanstack/react-query";
import { useTranslation } from "react-i18next";
import type { MembershipLink, Registrant } from "../api/bindings";
import { api } from "../api/client";
import { hrefOf } from "../app/route";
import { useSession } from "../app/session";
import { notify } from "./attempt";
import { ErrorNote } from "./ErrorNote";
import { useList, useListLabels } from "./lists";
import { useAction } from "./useAction";
import { formatDate } from "../app/format";

type Change = { type: "add" } | { type: "head" | "move" | "end"; link: MembershipLink };

export function HouseholdMembers({ owner, links }: { owner: Registrant; links: MembershipLink[] }) {
  const { t, i18n } = useTranslation();
  const { can } = useSession();
  const kindLabel = useListLabels("membership_kind");
  const [change, setChange] = useState<Change | null>(null);
  const isGroup = owner.kind === "group";
  const editable = can("registrant_write") && owner.status === "active";
  const current = links.filter((m) => !m.end_date);
  return (
    <Card withBorder>
      <Group justify="space-between" mb="sm">
        <Title order={3} size="h5">
          {isGroup ? t("detail.members") : t("detail.household")}
        </Title>
        {editable && isGroup && (
          <Button size="xs" variant="default" onClick={() => setChange({ type: "add" })} data-testid="member-add">
            {t("household.add_member")}
          </Button>
        )}
      </Group>
      {current.length === 0 ? (
        <Text c="dimmed">{t("detail.no_household")}</Text>
      ) : (
        <Table data-testid="household-members">
          <Table.Thead>
            <Table.Tr>
              <Table.Th>{t("fields.reference")}</Table.Th>
              <Table.Th>{t("fields.name")}</Table.Th>
              <Table.Th>{t("fields.relationship")}</Table.Th>
              <Table.Th>{t("detail.since")}</Table.Th>
              {editable && <Table.Th aria-label={t("household.actions")} />}
            </Table.Tr>
          </Table.Thead>
          <Table.Tbody>
            {current.map((m) => (
              <Table.Tr key={m.registrant.id} data-testid="household-member-row">
                <Table.Td>
                  <Anchor href={hrefOf({ page: "beneficiary", reference: m.registrant.reference })}>{m.registrant.reference}</Anchor>
                </Table.Td>
                <Table.Td>{m.registrant.display_name}</Table.Td>
                <Table.Td>
                  {kindLabel(m.kind)} {m.is_head && <Badge size="xs">{t("detail.head")}</Badge>}
                </Table.Td>
                <Table.Td>{formatDate(m.start_date, i18n.language)}</Table.Td>
                {editable && (
                  <Table.Td>
                    <Menu position="bottom-end">
                      <Menu.Target>
                        <Button size="compact-sm" variant="subtle" aria-label={t("household.actions_for", { reference: m.registrant.reference })}>
                          <IconDots size={16} />
                        </Button>
                      </Menu.Target>
                      <Menu.Dropdown>
                        {isGroup && !m.is_head && <Menu.Item onClick={() => setChange({ type: "head", link: m })}>{t("household.make_head")}</Menu.Item>}
                        {isGroup && <Menu.Item onClick={() => setChange({ type: "move", link: m })}>{t("household.move")}</Menu.Item>}
                        {!isGroup && <Menu.Item onClick={() => setChange({ type: "move", link: m })}>{t("household.move_self")}</Menu.Item>}
                        <Menu.Item color="red" onClick={() => setChange({ type: "end", link: m })}>
                          {t("household.end")}
                        </Menu.Item>
                      </Menu.Dropdown>
                    </Menu>
                  </Table.Td>
                )}
              </Table.Tr>
            ))}
          </Table.Tbody>
        </Table>
      )}
      {change && <ChangeModal owner={owner} change={change} links={current} onClose={() => setChange(null)} />}
    </Card>
  );
}

/** The household and the person a change is about, whichever page it was started from. */
function sides(owner: Registrant, link: MembershipLink) {
  return owner.kind === "group"
    ? { household: owner.reference, person: link.registrant.reference, personName: link.registrant.display_name }
    : { household: link.registrant.reference, person: owner.reference, personName: owner.reference };
}

function ChangeModal({ owner, change, links, onClose }: { owner: Registrant; change: Change; links: MembershipLink[]; onClose(): void }) {
  const { t } = useTranslation();
  const queryClient = useQueryClient();
  const kinds = (useList("membership_kind").data ?? []).filter((k) => k.active).map((k) => ({ value: k.code, label: k.label }));
  const [reference, setReference] = useState("");
  const [kind, setKind] = useState<string | null>(change.type === "head" ? "spouse" : null);
  const action = useAction();
  const formerHead = links.find((m) => m.is_head);
  let title = "";
  let consequence = "";
  let ready = true;
  let work: () => Promise<unknown>;
  if (change.type === "add") {
    title = t("household.add_member");
    consequence = t("household.add_consequence", { household: owner.reference, person: reference.trim().toUpperCase() || "…" });
    ready = !!reference.trim() && !!kind;
    work = () => api.call("memberships.add", { group: { reference: owner.reference }, member: { reference: reference.trim().toUpperCase() }, kind: kind ?? "" });
  } else {
    const s = sides(owner, change.link);
    if (change.type === "head") {
      title = t("household.make_head");
      consequence = formerHead
        ? t("household.head_consequence", { person: s.personName, household: s.household, former: formerHead.registrant.display_name })
        : t("household.head_consequence_first", { person: s.personName, household: s.household });
      ready = !!kind && kind !== "head";
      work = () => api.call("memberships.set_head", { group: { reference: s.household }, member: { reference: s.person }, former_head_kind: kind ?? "" });
    } else if (change.type === "move") {
      title = t("household.move");
      consequence = t("household.move_consequence", { person: s.personName, from: s.household, to: reference.trim().toUpperCase() || "…" });
      ready = !!reference.trim() && !!kind;
      work = () => api.call("memberships.move", { member: { reference: s.person }, to: { reference: reference.trim().toUpperCase() }, kind: kind ?? "" });
    } else {
      title = t("household.end");
      consequence = t("household.end_consequence", { person: s.personName, household: s.household });
      work = () => api.call("memberships.end", { group: { reference: s.household }, member: { reference: s.person } });
    }
  }
  return (
    <Modal opened onClose={onClose} title={title} closeButtonProps={{ "aria-label": t("common.close") }}>
      <Stack>
        {(change.type === "add" || change.type === "move") && (
          <TextInput label={change.type === "add" ? t("household.person_reference") : t("edit.household_reference")} value={reference} onChange={(e) => setReference(e.currentTarget.value)} data-testid="change-reference" />
        )}
        {change.type !== "end" && (
          <Select
            label={change.type === "head" ? t("household.former_head_kind") : t("fields.relationship")}
            data={change.type === "head" ? kinds.filter((k) => k.value !== "head") : kinds}
            value={kind}
            allowDeselect={false}
            onChange={setKind}
            disabled={change.type === "head" && !formerHead}
            data-testid="change-kind"
          />
        )}
        <Text size="sm" data-testid="change-consequence">
          {consequence}
        </Text>
        <ErrorNote error={action.error} />
        <Group justify="end">
          <Button variant="default" onClick={onClose}>
            {t("common.cancel")}
          </Button>
          <Button
            color={change.type === "end" ? "red" : undefined}
            disabled={!ready}
            loading={action.busy}
            data-testid="change-confirm"
            onClick={async () => {
              if (!(await action.run(work))) return;
              notify(t, { color: "green", message: t("household.done") });
              void queryClient.invalidateQueries({ queryKey: ["registrants"] });
              onClose();
            }}
          >
            {title}
          </Button>
        </Group>
      </Stack>
    </Modal>
  );
}
