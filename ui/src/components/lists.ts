// The registry's configurable lists (areas, ID types, sexes, relationships), cached, with label lookups.
// The labels a new registry is seeded with are English; shown in another language, they are translated,
// while a label an office wrote itself is shown as written.
import { useCallback } from "react";
import { useQuery } from "@tanstack/react-query";
import { useTranslation } from "react-i18next";
import type { ListItem, ListName } from "../api/bindings";
import { api } from "../api/client";

/** The labels of the seeded items, as the registry's first migration writes them. */
const SEEDED: Partial<Record<ListName, Record<string, string>>> = {
  sex: { female: "Female", male: "Male", other: "Other" },
  membership_kind: {
    head: "Head",
    spouse: "Spouse",
    child: "Child",
    parent: "Parent",
    sibling: "Sibling",
    grandchild: "Grandchild",
    other_relative: "Other relative",
    non_relative: "Not related",
  },
  id_type: { national_id: "National ID", voter_card: "Voter card", tax_number: "Tax number", passport: "Passport" },
};

export function useList(list: ListName) {
  const { t } = useTranslation();
  const translate = useCallback(
    (items: ListItem[]) =>
      items.map((i) => (SEEDED[list]?.[i.code] === i.label ? { ...i, label: t(`list_items.${list}.${i.code}`, { defaultValue: i.label }) } : i)),
    [list, t],
  );
  return useQuery({
    queryKey: ["lists", list],
    queryFn: async (): Promise<ListItem[]> => (await api.call("lists.get", { list })).items,
    select: translate,
  });
}

/** code -> label; an unknown code shows as itself. */
export function useListLabels(list: ListName): (code: string) => string {
  const { data } = useList(list);
  return useCallback((code: string) => data?.find((i) => i.code === code)?.label ?? code, [data]);
}
