import { Badge } from "@mantine/core";
import { useTranslation } from "react-i18next";
import type { MembershipState } from "../api/bindings";

const COLOURS: Partial<Record<MembershipState, string>> = { enrolled: "green", duplicated: "orange" };

/** A program membership's state, the same on the program's list and the beneficiary's page. */
export function MembershipBadge({ state }: { state: MembershipState }) {
  const { t } = useTranslation();
  return <Badge color={COLOURS[state] ?? "gray"}>{t(`membership.${state}`)}</Badge>;
}
