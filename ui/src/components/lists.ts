// The registry's configurable lists (areas, ID types, sexes, relationships), cached, with label lookups.
import { useCallback } from "react";
import { useQuery } from "@tanstack/react-query";
import type { ListItem, ListName } from "../api/bindings";
import { api } from "../api/client";

export function useList(list: ListName) {
  return useQuery({
    queryKey: ["lists", list],
    queryFn: async (): Promise<ListItem[]> => (await api.call("lists.get", { list })).items,
  });
}

/** code -> label; an unknown code shows as itself. */
export function useListLabels(list: ListName): (code: string) => string {
  const { data } = useList(list);
  return useCallback((code: string) => data?.find((i) => i.code === code)?.label ?? code, [data]);
}
