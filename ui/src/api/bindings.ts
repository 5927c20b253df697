// Generated from the Rust types (src-tauri/api). Do not edit: run `BR_UPDATE_BINDINGS=1 cargo test -p br-api --test bindings`.

export type AddMemberRequest = { group: RegistrantKey, member: RegistrantKey, kind: string, };

export type AddUserRequest = { username: string, display_name: string, role: Role, password: string, };

export type ApiError = { code: ErrorCode, 
/**
 * English, for logs and the CLI; the UI shows its own translation of `code`.
 */
message: string, details: unknown, };

export type AppEvent = { "event": "progress", 
/**
 * The session's public id (never its token).
 */
session: string, command: string, progress: Progress, } | { "event": "changed", sets: Array<string>, } | { "event": "status", status: AppStatus, };

export type AppRequest = { "action": "status" } | { "action": "create" } & CreateRegistryRequest | { "action": "unlock", passphrase: string, } | { "action": "restore", backup_folder: string, passphrase: string, } | { "action": "login", username: string, password: string, } | { "action": "logout", token: string, } | { "action": "cancel", token: string, } | { "action": "call", token: string, command: string, payload: JsonValue, };

export type AppStatus = { "state": "no_registry", folder: string, } | { "state": "needs_passphrase", folder: string, reason: string, } | { "state": "ready", folder: string, office_code: string, office_name: string, credential_store_note: string | null, };

export type AuditEntry = { seq: number, at: string, username: string | null, action: string, entity: string | null, entity_id: string | null, outcome: string, 
/**
 * Already masked when it was written.
 */
details: JsonValue, };

export type AuditPage = { 
/**
 * Newest first.
 */
entries: Array<AuditEntry>, next_before: number | null, };

export type AuditQuery = { 
/**
 * Actions starting with this, e.g. `registrant.` or `registrant.reveal`.
 */
action: string | null, username: string | null, entity_id: string | null, outcome: Outcome | null, 
/**
 * Inclusive UTC bounds, RFC 3339 or `YYYY-MM-DD`.
 */
from: string | null, to: string | null, 
/**
 * The `next_before` of the previous page: entries older than this.
 */
before: number | null, 
/**
 * 1 to 500; 100 when absent.
 */
limit: number | null, };

export type AuditVerifyReport = { entries_checked: number, ok: boolean, 
/**
 * The first entry whose link does not hold, if any.
 */
first_broken_seq: number | null, reason: string | null, };

export type AuditVerifyRequest = Record<string, never>;

export type BackupRequest = { 
/**
 * A folder that does not exist yet; the backup is written into it.
 */
destination: string, };

export type BackupSummary = { path: string, database_bytes: number, created_at: string, };

export type ColumnMapping = { 
/**
 * Source header -> one of the import format's columns.
 */
columns: { [key in string]?: string }, 
/**
 * Per target column, source value -> our value (e.g. sex codes, relationship words).
 */
values: { [key in string]?: { [key in string]?: string } }, 
/**
 * Date format of the source, in the `time` crate's description syntax; ISO `YYYY-MM-DD` when absent.
 */
date_format: string | null, };

export type Count = { 
/**
 * The area, sex or band code; `None` where the registrant has none.
 */
key: string | null, count: number, };

export type CreateRegistrantRequest = { kind: RegistrantKind, fields: RegistrantFields, household: HouseholdLink | null, };

export type CreateRegistryRequest = { office_code: string, office_name: string, admin_username: string, admin_display_name: string, admin_password: string, recovery_passphrase: string, };

export type CustomField = { name: string, label: string, field_type: CustomFieldType, choices: Array<string>, required: boolean, 
/**
 * Personal fields are masked like names.
 */
personal: boolean, };

export type CustomFieldType = "text" | "integer" | "decimal" | "date" | "boolean" | "choice";

export type CustomFields = { fields: Array<CustomField>, };

export type DashboardRequest = Record<string, never>;

export type DashboardStats = { individuals: number, groups: number, disabled: number, by_area: Array<Count>, by_sex: Array<Count>, 
/**
 * Active individuals by age band (`0-4`, `5-17`, `18-59`, `60+`, or `None` without a birth date).
 */
by_age_band: Array<Count>, 
/**
 * The last 30 days with an import.
 */
imports: Array<ImportDay>, };

export type DefineCustomFieldRequest = { field: CustomField, };

export type DisableRegistrantRequest = { key: RegistrantKey, reason: string, };

export type Done = { ok: boolean, };

export type ErrorCode = "invalid_input" | "not_found" | "already_exists" | "permission_denied" | "authentication_failed" | "session_invalid" | "wrong_passphrase" | "key_file_missing" | "key_file_invalid" | "key_unavailable" | "database_corrupt" | "schema_too_new" | "registry_not_found" | "registry_exists" | "import_file_invalid" | "mapping_invalid" | "cancelled" | "audit_chain_broken" | "busy" | "io" | "internal";

export type ExportOptions = { 
/**
 * Write names, IDs, phones and birth dates unmasked (needs the permission; audited).
 */
include_personal: boolean, 
/**
 * Include disabled registrants.
 */
include_disabled: boolean, };

export type ExportRequest = { path: string, options: ExportOptions, };

export type ExportSummary = { rows: number, 
/**
 * Whether the file holds personal data unmasked: handle it accordingly.
 */
contains_personal_data: boolean, path: string, };

export type Filters = { area: string | null, sex: string | null, 
/**
 * Inclusive, in whole years today.
 */
age_min: number | null, age_max: number | null, tag: string | null, status: RegistrantStatus | null, kind: RegistrantKind | null, };

export type GetListRequest = { list: ListName, };

export type GetRegistrantRequest = { key: RegistrantKey, reveal: boolean, };

export type HouseholdLink = { group: RegistrantKey, 
/**
 * A membership kind code, e.g. `head`, `spouse`, `child`.
 */
kind: string, };

export type IdDocument = { id_type: string, value: string, expiry?: string, };

export type ImportDay = { 
/**
 * UTC day, `YYYY-MM-DD`.
 */
day: string, runs: number, inserted: number, updated: number, rejected: number, };

export type ImportOptions = { mapping: ColumnMapping | null, 
/**
 * Rows per transaction; 10,000 when absent.
 */
batch_rows: number | null, 
/**
 * Where to write rejected rows; beside the input as `<name>.rejects.csv` when absent.
 */
rejects_path: string | null, 
/**
 * Build the list indexes after the import instead of row by row. Absent: yes when the file is large
 * (an estimated 100,000 rows or more) and at least half the size of the registry.
 */
defer_list_indexes: boolean | null, };

export type ImportPhase = "writing" | "indexing";

export type ImportPreview = { headers: Array<string>, 
/**
 * Per header, the import column it fills, if any.
 */
targets: Array<string | null>, unmapped: Array<string>, rows: Array<PreviewRow>, file_bytes: number, };

export type ImportPreviewRequest = { path: string, mapping: ColumnMapping | null, 
/**
 * Rows to show; 20 when absent, at most 1,000.
 */
rows: number | null, };

export type ImportProgress = { phase: ImportPhase, bytes_done: number, bytes_total: number, rows_read: number, inserted: number, updated: number, rejected: number, };

export type ImportRequest = { 
/**
 * Path of the CSV file on the machine that runs the registry.
 */
path: string, options: ImportOptions, };

export type ImportStatus = "completed" | "cancelled";

export type ImportSummary = { run_id: number, status: ImportStatus, rows_read: number, inserted: number, updated: number, unchanged: number, rejected: number, households_created: number, 
/**
 * Source columns no field is mapped to: read, not stored.
 */
unmapped_columns: Array<string>, 
/**
 * Where rejected rows were written (original columns plus line, column and reason).
 */
rejects_file: string | null, elapsed_ms: number, };

export type JsonValue = number | string | boolean | Array<JsonValue> | { [key in string]?: JsonValue } | null;

export type KeySource = "credential_store" | "passphrase";

export type ListCustomFieldsRequest = Record<string, never>;

export type ListItem = { code: string, label: string, parent: string | null, active: boolean, };

export type ListItems = { items: Array<ListItem>, };

export type ListMappingsRequest = Record<string, never>;

export type ListName = "id_type" | "sex" | "membership_kind" | "area" | "tag";

export type ListUsersRequest = Record<string, never>;

export type LoginResponse = { token: string, session: SessionInfo, };

export type MatchedBy = "reference" | "id_value" | "phone" | "name" | "list";

export type MembershipLink = { 
/**
 * The other side: the group (on an individual's page) or the member (on a group's page).
 */
registrant: RegistrantSummary, kind: string, is_head: boolean, start_date: string, end_date: string | null, };

export type Outcome = "ok" | "denied";

export type Permission = "registry_read" | "personal_data_reveal" | "registrant_write" | "import_run" | "export_run" | "settings_manage" | "users_manage" | "audit_read" | "backup_run";

export type PreviewError = { column: string, reason: string, };

export type PreviewRow = { 
/**
 * Line in the file (the header is line 1).
 */
line: number, cells: Array<string>, 
/**
 * Why the import would reject this row, if it would.
 */
error: PreviewError | null, };

export type Progress = { "kind": "import" } & ImportProgress;

export type Registrant = { id: string, kind: RegistrantKind, reference: string, status: RegistrantStatus, disabled_reason: string | null, registered_on: string, 
/**
 * The stamp of the last change, as a decimal string (64 bits do not fit a JavaScript number).
 */
version: string, fields: RegistrantFields, 
/**
 * True when names, IDs, phones and birth dates are masked.
 */
masked: boolean, };

export type RegistrantDetail = { registrant: Registrant, 
/**
 * For an individual: the households they belong to.
 */
groups: Array<MembershipLink>, 
/**
 * For a group: its members.
 */
members: Array<MembershipLink>, history: Array<AuditEntry>, };

export type RegistrantFields = { external_id?: string, given_name?: string, family_name?: string, 
/**
 * Groups only: the household's name.
 */
group_name?: string, sex?: string, 
/**
 * ISO date.
 */
birth_date?: string, birth_date_approx?: boolean, phone?: string, area?: string, tags?: Array<string>, custom?: { [key in string]?: JsonValue }, ids?: Array<IdDocument>, };

export type RegistrantKey = { "id": string } | { "reference": string };

export type RegistrantKind = "individual" | "group";

export type RegistrantStatus = "active" | "disabled";

export type RegistrantSummary = { id: string, kind: RegistrantKind, reference: string, 
/**
 * Masked unless revealed.
 */
display_name: string, sex: string | null, 
/**
 * Masked to the year unless revealed.
 */
birth_date: string | null, area: string | null, status: RegistrantStatus, };

export type RegistryInfo = { office_id: string, office_code: string, office_name: string, key_source: KeySource, 
/**
 * Why the credential store was not used to open the registry, if it was not.
 */
credential_store_note: string | null, schema_version: number, };

export type RegistryInfoRequest = Record<string, never>;

export type Role = "admin" | "registrar" | "program_manager" | "approver" | "finance" | "auditor";

export type SavedMapping = { name: string, mapping: ColumnMapping, };

export type SavedMappings = { mappings: Array<SavedMapping>, };

export type SearchRequest = { 
/**
 * One box for a reference number, an ID value, a phone or a name (prefixes match).
 */
query: string | null, filters: Filters, sort: SortKey, descending: boolean, 
/**
 * Rows per page, 1 to 500; 50 when absent.
 */
limit: number | null, 
/**
 * The `next_cursor` of the previous page.
 */
cursor: string | null, 
/**
 * Show personal fields unmasked (needs the permission; audited).
 */
reveal: boolean, };

export type SearchResponse = { items: Array<RegistrantSummary>, next_cursor: string | null, matched_by: MatchedBy, };

export type SessionInfo = { user_id: string, username: string, role: Role, permissions: Array<Permission>, };

export type SessionInfoRequest = Record<string, never>;

export type SortKey = "reference" | "name" | "birth_date";

export type UpdateRegistrantRequest = { key: RegistrantKey, fields: RegistrantFields, 
/**
 * The version the editor started from; a newer stored version refuses the edit.
 */
expected_version: string | null, };

export type UpsertListItemRequest = { list: ListName, item: ListItem, };

export type User = { id: string, username: string, display_name: string, role: Role, disabled: boolean, created_at: string, };

export type Users = { users: Array<User>, };

/** Every API operation: name -> [request, response]. */
export type Operations = {
  "session.info": [SessionInfoRequest, SessionInfo];
  "registry.info": [RegistryInfoRequest, RegistryInfo];
  "registrants.search": [SearchRequest, SearchResponse];
  "registrants.get": [GetRegistrantRequest, RegistrantDetail];
  "registrants.create": [CreateRegistrantRequest, Registrant];
  "registrants.update": [UpdateRegistrantRequest, Registrant];
  "registrants.disable": [DisableRegistrantRequest, Registrant];
  "memberships.add": [AddMemberRequest, Done];
  "lists.get": [GetListRequest, ListItems];
  "lists.upsert": [UpsertListItemRequest, Done];
  "custom_fields.list": [ListCustomFieldsRequest, CustomFields];
  "custom_fields.define": [DefineCustomFieldRequest, Done];
  "users.list": [ListUsersRequest, Users];
  "users.add": [AddUserRequest, User];
  "import.run": [ImportRequest, ImportSummary];
  "export.run": [ExportRequest, ExportSummary];
  "audit.verify": [AuditVerifyRequest, AuditVerifyReport];
  "backup.create": [BackupRequest, BackupSummary];
  "audit.list": [AuditQuery, AuditPage];
  "dashboard.stats": [DashboardRequest, DashboardStats];
  "import.preview": [ImportPreviewRequest, ImportPreview];
  "import.mappings": [ListMappingsRequest, SavedMappings];
  "import.mapping_save": [SavedMapping, Done];
};

/** The closed list of error codes. */
export const ERROR_CODES: ErrorCode[] = [
  "invalid_input",
  "not_found",
  "already_exists",
  "permission_denied",
  "authentication_failed",
  "session_invalid",
  "wrong_passphrase",
  "key_file_missing",
  "key_file_invalid",
  "key_unavailable",
  "database_corrupt",
  "schema_too_new",
  "registry_not_found",
  "registry_exists",
  "import_file_invalid",
  "mapping_invalid",
  "cancelled",
  "audit_chain_broken",
  "busy",
  "io",
  "internal",
];

/** The import format's own columns (docs/import-format.md). */
export const IMPORT_COLUMNS = [
  "external_id",
  "given_name",
  "family_name",
  "sex",
  "birth_date",
  "birth_date_approx",
  "phone",
  "area",
  "tags",
  "household_ref",
  "household_name",
  "relationship",
] as const;
