// The registry's list: server-side search, filters, sort and keyset paging, rendered virtually so a
// million rows scroll like a hundred. Personal fields come masked unless the user reveals them (audited).
import { useEffect, useMemo, useRef, useState } from "react";
import {
  ActionIcon,
  Badge,
  Button,
  Checkbox,
  Group,
  Menu,
  Modal,
  NumberInput,
  Paper,
  Select,
  Stack,
  Switch,
  Table,
  Text,
  TextInput,
  Textarea,
  VisuallyHidden,
} from "@mantine/core";
import { useDebouncedValue } from "@mantine/hooks";
import { notify } from "./attempt";
import { IconColumns, IconSearch, IconSortAscending, IconSortDescending } from "@tabler/icons-react";
import { useInfiniteQuery, useQueryClient } from "@tanstack/react-query";
import { flexRender, getCoreRowModel, useReactTable, type ColumnDef, type VisibilityState } from "@tanstack/react-table";
import { useVirtualizer } from "@tanstack/react-virtual";
import { useTranslation } from "react-i18next";
import type { Filters, RegistrantKind, RegistrantStatus, RegistrantSummary, SortKey } from "../api/bindings";
import { api } from "../api/client";
import { errorMessage } from "../api/errors";
import { prefs } from "../app/prefs";
import { hrefOf, navigate } from "../app/route";
import { useSession } from "../app/session";
import { ErrorNote } from "./ErrorNote";
import { useList, useListLabels } from "./lists";
import { useRevealed } from "../app/reveal";

const PAGE = 100;
const ROW_HEIGHT = 40;

export const EMPTY_FILTERS: Filters = { area: null, sex: null, age_min: null, age_max: null, tag: null, status: "active", kind: null };

export function RegistrantList({ kind, initialQuery }: { kind: RegistrantKind; initialQuery?: string }) {
  const { t, i18n } = useTranslation();
  const { can } = useSession();
  const queryClient = useQueryClient();
  const [query, setQuery] = useState(initialQuery ?? "");
  useEffect(() => setQuery(initialQuery ?? ""), [initialQuery]);
  const [debounced] = useDebouncedValue(query.trim(), 250);
  const [filters, setFilters] = useState<Filters>(() => prefs.json("filters", EMPTY_FILTERS));
  useEffect(() => prefs.setJson("filters", filters), [filters]);
  const [sort, setSort] = useState<SortKey>("reference");
  const [descending, setDescending] = useState(false);
  const [reveal, setReveal] = useRevealed();
  const [columnVisibility, setColumnVisibility] = useState<VisibilityState>(() => prefs.json("columns", {}));
  useEffect(() => prefs.setJson("columns", columnVisibility), [columnVisibility]);
  const [selected, setSelected] = useState<Set<string>>(new Set());
  const [disableOpen, setDisableOpen] = useState(false);
  const areas = useList("area");
  const sexes = useList("sex");
  const areaLabel = useListLabels("area");
  const sexLabel = useListLabels("sex");

  const search = useInfiniteQuery({
    queryKey: ["registrants", "search", kind, debounced, filters, sort, descending, reveal],
    initialPageParam: null as string | null,
    queryFn: ({ pageParam }) =>
      api.call("registrants.search", {
        query: debounced || null,
        // Sex and age describe people; a household list ignores them.
        filters: kind === "group" ? { ...filters, sex: null, age_min: null, age_max: null, kind } : { ...filters, kind },
        sort,
        descending,
        limit: PAGE,
        cursor: pageParam,
        reveal,
      }),
    getNextPageParam: (last) => last.next_cursor,
  });
  const rows = useMemo(() => search.data?.pages.flatMap((p) => p.items) ?? [], [search.data]);
  const matchedBy = search.data?.pages[0]?.matched_by;
  // Rows a name search found in another script or spelling, not by the letters typed.
  const similar = useMemo(() => {
    const refs = new Set<string>();
    for (const p of search.data?.pages ?? []) {
      if (p.similar_from !== null) p.items.slice(p.similar_from).forEach((i) => refs.add(i.reference));
    }
    return refs;
  }, [search.data]);

  // A submitted search (Enter here, or the header's search box) that finds one record by reference, ID or
  // phone opens it: whoever typed the number wanted that person. Back then skips the one-row list.
  const [openIfOne, setOpenIfOne] = useState<string | null>(initialQuery?.trim() || null);
  useEffect(() => setOpenIfOne(initialQuery?.trim() || null), [initialQuery]);
  useEffect(() => {
    const first = search.data?.pages[0];
    if (!openIfOne || debounced !== openIfOne || !first) return;
    setOpenIfOne(null);
    const exact = first.matched_by === "reference" || first.matched_by === "id_value" || first.matched_by === "phone";
    if (exact && first.items.length === 1 && !first.next_cursor) {
      navigate({ page: "beneficiary", reference: first.items[0].reference }, { replace: true });
    }
  }, [search.data, debounced, openIfOne]);

  const columns = useMemo<ColumnDef<RegistrantSummary>[]>(
    () => [
      {
        id: "select",
        header: () => null,
        cell: ({ row }) => (
          <Checkbox
            aria-label={t("list.select_row", { reference: row.original.reference })}
            checked={selected.has(row.original.reference)}
            onChange={(e) => {
              const next = new Set(selected);
              if (e.currentTarget.checked) next.add(row.original.reference);
              else next.delete(row.original.reference);
              setSelected(next);
            }}
          />
        ),
        enableHiding: false,
        size: 40,
      },
      {
        accessorKey: "reference",
        header: t("fields.reference"),
        cell: ({ row }) => <a href={hrefOf({ page: "beneficiary", reference: row.original.reference })}>{row.original.reference}</a>,
        enableHiding: false,
        size: 140,
      },
      {
        accessorKey: "display_name",
        header: t("fields.name"),
        cell: ({ row }) =>
          similar.has(row.original.reference) ? (
            <>
              <bdi>{row.original.display_name}</bdi>{" "}
              <Badge size="xs" variant="light" color="grape" title={t("list.similar_hint")}>
                {t("list.similar")}
              </Badge>
            </>
          ) : (
            // Isolated: a masked Arabic name (م••• ك•••) keeps its order inside a left-to-right page.
            <bdi>{row.original.display_name}</bdi>
          ),
        size: 260,
      },
      { accessorKey: "sex", header: t("fields.sex"), cell: ({ getValue }) => (getValue() ? sexLabel(getValue() as string) : ""), size: 90 },
      {
        accessorKey: "birth_date",
        header: t("fields.birth_date"),
        cell: ({ getValue }) => (getValue() as string | null) ?? "",
        size: 120,
      },
      { accessorKey: "area", header: t("fields.area"), cell: ({ getValue }) => (getValue() ? areaLabel(getValue() as string) : ""), size: 140 },
      {
        accessorKey: "status",
        header: t("fields.status"),
        cell: ({ getValue }) => (
          <Badge color={getValue() === "active" ? "green" : "gray"}>
            {t(`status.${getValue() as RegistrantStatus}`)}
          </Badge>
        ),
        size: 100,
      },
    ],
    [t, selected, sexLabel, areaLabel, similar],
  );
  const table = useReactTable({
    data: rows,
    columns,
    state: { columnVisibility },
    onColumnVisibilityChange: setColumnVisibility,
    getCoreRowModel: getCoreRowModel(),
    getRowId: (r) => r.reference,
  });

  const scrollRef = useRef<HTMLDivElement>(null);
  const virtualizer = useVirtualizer({
    count: rows.length,
    getScrollElement: () => scrollRef.current,
    estimateSize: () => ROW_HEIGHT,
    overscan: 20,
  });
  const items = virtualizer.getVirtualItems();
  const lastIndex = items.length ? items[items.length - 1].index : -1;
  // Fetch the next page well before the end is on screen, so scrolling never meets an empty stretch.
  useEffect(() => {
    if (lastIndex >= rows.length - 40 && search.hasNextPage && !search.isFetchingNextPage) void search.fetchNextPage();
  }, [lastIndex, rows.length, search]);
  const paddingTop = items.length ? items[0].start : 0;
  const paddingBottom = items.length ? virtualizer.getTotalSize() - items[items.length - 1].end : 0;
  const visibleColumns = table.getVisibleLeafColumns().length;

  return (
    <Stack gap="sm">
      <Group align="end" gap="sm" wrap="wrap">
        <TextInput
          style={{ flex: 1, minWidth: 240 }}
          label={t("search.label")}
          placeholder={t("search.placeholder")}
          leftSection={<IconSearch size={16} />}
          value={query}
          onChange={(e) => setQuery(e.currentTarget.value)}
          onKeyDown={(e) => {
            if (e.key === "Enter") setOpenIfOne(query.trim() || null);
          }}
          data-testid="list-search"
        />
        <Select
          w={160}
          label={t("fields.area")}
          clearable
          searchable
          data={(areas.data ?? []).map((a) => ({ value: a.code, label: a.label }))}
          value={filters.area}
          onChange={(v) => setFilters({ ...filters, area: v })}
        />
        {kind === "individual" && (
          <>
            <Select
              w={120}
              label={t("fields.sex")}
              clearable
              data={(sexes.data ?? []).map((a) => ({ value: a.code, label: a.label }))}
              value={filters.sex}
              onChange={(v) => setFilters({ ...filters, sex: v })}
            />
            <NumberInput w={90} label={t("list.age_min")} min={0} max={130} value={filters.age_min ?? ""} onChange={(v) => setFilters({ ...filters, age_min: typeof v === "number" ? v : null })} />
            <NumberInput w={90} label={t("list.age_max")} min={0} max={130} value={filters.age_max ?? ""} onChange={(v) => setFilters({ ...filters, age_max: typeof v === "number" ? v : null })} />
          </>
        )}
        <Select
          w={130}
          label={t("fields.status")}
          clearable
          data={[
            { value: "active", label: t("status.active") },
            { value: "disabled", label: t("status.disabled") },
          ]}
          value={filters.status}
          onChange={(v) => setFilters({ ...filters, status: v as RegistrantStatus | null })}
        />
        <Select
          w={150}
          label={t("list.sort")}
          allowDeselect={false}
          data={[
            { value: "reference", label: t("fields.reference") },
            { value: "name", label: t("fields.name") },
            // Households have no birth date.
            ...(kind === "individual" ? [{ value: "birth_date", label: t("fields.birth_date") }] : []),
          ]}
          value={sort}
          onChange={(v) => v && setSort(v as SortKey)}
        />
        <ActionIcon variant="default" size="lg" mb={2} aria-label={descending ? t("list.descending") : t("list.ascending")} onClick={() => setDescending(!descending)}>
          {descending ? <IconSortDescending size={18} /> : <IconSortAscending size={18} />}
        </ActionIcon>
        <Menu closeOnItemClick={false}>
          <Menu.Target>
            <ActionIcon variant="default" size="lg" mb={2} aria-label={t("list.columns")}>
              <IconColumns size={18} />
            </ActionIcon>
          </Menu.Target>
          <Menu.Dropdown>
            {table
              .getAllLeafColumns()
              .filter((c) => c.getCanHide())
              .map((c) => (
                <Menu.Item key={c.id}>
                  <Checkbox label={String(c.columnDef.header)} checked={c.getIsVisible()} onChange={c.getToggleVisibilityHandler()} />
                </Menu.Item>
              ))}
          </Menu.Dropdown>
        </Menu>
      </Group>
      <Group justify="space-between">
        <Text size="sm" c="dimmed" aria-live="polite" data-testid="list-count">
          {search.isPending
            ? t("common.loading")
            : t(search.hasNextPage ? "list.loaded_more" : "list.loaded", { count: rows.length, n: rows.length.toLocaleString(i18n.language) })}
          {matchedBy && matchedBy !== "list" ? ` · ${t(`list.matched_by.${matchedBy}`)}` : ""}
          {similar.size > 0 ? ` · ${t("list.similar_count", { count: similar.size, n: similar.size.toLocaleString(i18n.language) })}` : ""}
        </Text>
        {can("personal_data_reveal") && (
          <Switch label={t("list.reveal")} checked={reveal} onChange={(e) => setReveal(e.currentTarget.checked)} data-testid="list-reveal" />
        )}
      </Group>
      {selected.size > 0 && (
        <Paper withBorder p="xs" role="region" aria-label={t("list.bulk_bar")}>
          <Group justify="space-between">
            <Text size="sm">{t("list.selected", { count: selected.size })}</Text>
            <Group gap="xs">
              <Button size="xs" variant="default" onClick={() => setSelected(new Set())}>
                {t("list.clear_selection")}
              </Button>
              {can("registrant_write") && (
                <Button size="xs" color="red" variant="light" onClick={() => setDisableOpen(true)}>
                  {t("list.disable_selected")}
                </Button>
              )}
            </Group>
          </Group>
        </Paper>
      )}
      <ErrorNote error={search.error} />
      <div ref={scrollRef} style={{ height: "calc(100vh - 300px)", minHeight: 300, overflow: "auto" }} data-testid="registrant-list" tabIndex={0} aria-label={t("list.table")}>
        <Table stickyHeader highlightOnHover layout="fixed" striped>
          <Table.Thead>
            {table.getHeaderGroups().map((g) => (
              <Table.Tr key={g.id}>
                {g.headers.map((h) => (
                  <Table.Th key={h.id} style={{ width: h.getSize() }}>
                    {h.column.id === "select" ? <VisuallyHidden>{t("list.select")}</VisuallyHidden> : flexRender(h.column.columnDef.header, h.getContext())}
                  </Table.Th>
                ))}
              </Table.Tr>
            ))}
          </Table.Thead>
          <Table.Tbody>
            {paddingTop > 0 && (
              <tr aria-hidden>
                <td colSpan={visibleColumns} style={{ height: paddingTop, padding: 0 }} />
              </tr>
            )}
            {items.map((v) => {
              const row = table.getRowModel().rows[v.index];
              return (
                <Table.Tr key={row.id} style={{ height: ROW_HEIGHT }} data-testid="registrant-row">
                  {row.getVisibleCells().map((c) => (
                    <Table.Td key={c.id} style={{ whiteSpace: "nowrap", overflow: "hidden", textOverflow: "ellipsis" }}>
                      {flexRender(c.column.columnDef.cell, c.getContext())}
                    </Table.Td>
                  ))}
                </Table.Tr>
              );
            })}
            {paddingBottom > 0 && (
              <tr aria-hidden>
                <td colSpan={visibleColumns} style={{ height: paddingBottom, padding: 0 }} />
              </tr>
            )}
          </Table.Tbody>
        </Table>
        {!search.isPending && rows.length === 0 && (
          <Text ta="center" c="dimmed" p="xl">
            {debounced ? t("list.no_match") : t("list.empty")}
          </Text>
        )}
      </div>
      <DisableModal
        opened={disableOpen}
        references={[...selected]}
        onClose={() => setDisableOpen(false)}
        onDone={() => {
          setSelected(new Set());
          void queryClient.invalidateQueries({ queryKey: ["registrants"] });
        }}
      />
    </Stack>
  );
}

/** Disables registrants with a reason, one by one, and says how many it could not disable and why. */
export function DisableModal({ opened, references, onClose, onDone }: { opened: boolean; references: string[]; onClose(): void; onDone(): void }) {
  const { t } = useTranslation();
  const [reason, setReason] = useState("");
  const [busy, setBusy] = useState(false);
  return (
    <Modal opened={opened} onClose={onClose} title={t("list.disable_title", { count: references.length })} closeButtonProps={{ "aria-label": t("common.cancel") }}>
      <Text size="sm" mb="sm">
        {t("list.disable_explain")}
      </Text>
      <Textarea label={t("fields.disabled_reason")} value={reason} onChange={(e) => setReason(e.currentTarget.value)} required autosize minRows={2} />
      <Group justify="end" mt="md">
        <Button variant="default" onClick={onClose}>
          {t("common.cancel")}
        </Button>
        <Button
          color="red"
          loading={busy}
          disabled={!reason.trim()}
          onClick={async () => {
            setBusy(true);
            let failed = 0;
            let lastError: unknown = null;
            for (const reference of references) {
              try {
                await api.call("registrants.disable", { key: { reference }, reason: reason.trim() });
              } catch (e) {
                failed += 1;
                lastError = e;
              }
            }
            setBusy(false);
            setReason("");
            onClose();
            onDone();
            notify(
              t,
              failed === 0
                ? { color: "green", message: t("list.disabled_done", { count: references.length }) }
                : { color: "red", message: `${t("list.disabled_failed", { count: failed })} ${errorMessage(t, lastError)}` },
            );
          }}
        >
          {t("list.disable_confirm")}
        </Button>
      </Group>
    </Modal>
  );
}
