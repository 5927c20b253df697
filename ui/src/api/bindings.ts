// Generated from the Rust types (src-tauri/api). Do not edit: run `BR_UPDATE_BINDINGS=1 cargo test -p br-api --test bindings`.

export type AddFund = { program: ProgramKey, 
/**
 * Minor units of the program's currency.
 */
amount: number, 
/**
 * Must be the program's currency; said explicitly so a slip of the unit is caught.
 */
currency: string, reference: string, post: boolean, };

export type AddMemberRequest = { group: RegistrantKey, member: RegistrantKey, kind: string, };

export type AddUserRequest = { username: string, display_name: string, role: Role, password: string, };

export type AmountExample = { reference: string, 
/**
 * Minor units of the program's currency, or the quantity for in-kind.
 */
value: number, fee: number, };

export type AmountPreview = { currency: string, 
/**
 * Enrolled members the rule gave a value.
 */
people: number, total: number, total_fee: number, smallest: number | null, largest: number | null, 
/**
 * Members with different values, the first of each.
 */
examples: Array<AmountExample>, 
/**
 * Members the rule failed for (a generation would refuse the cycle), and up to five of them with why.
 */
failed: number, failures: Array<[string, string]>, elapsed_ms: number, };

export type AmountPreviewRequest = { program: ProgramKey, 
/**
 * The rule as typed (its expression, kind and fee).
 */
rule: EntitlementRule, };

export type AnchorReport = { ok: boolean, anchored_seq: number, anchored_at: string, 
/**
 * Entries in the log now.
 */
entries_now: number, 
/**
 * Why the log does not match the anchor.
 */
reason: string | null, };

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

export type ApprovalRecord = { id: string, stage: number, decision: string, actor: string, role: string, comment: string | null, 
/**
 * Absent when the decision covered every entitlement awaiting the stage.
 */
entitlement_id: string | null, count: number, total: number, at: string, };

export type ApprovalStage = { name: string, role: Role, 
/**
 * The stage applies only to entitlements whose amount is above this (minor units).
 */
above_amount?: number, };

export type AreaTotal = { area: string, count: number, amount: number, };

export type AuditEntry = { seq: number, at: string, username: string | null, action: string, entity: string | null, entity_id: string | null, outcome: string, 
/**
 * Already masked when it was written.
 */
details: JsonValue, };

export type AuditHeadRequest = Record<string, never>;

export type AuditPage = { 
/**
 * Newest first.
 */
entries: Array<AuditEntry>, next_before: number | null, 
/**
 * What the entries' records are called where people see them, by entity id: a registrant's
 * reference, a program's code, a cycle's name, an import's file, a user's name. No personal data.
 */
labels: { [key in string]?: string }, };

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

export type AuditVerifyAnchorRequest = { 
/**
 * A head taken earlier: from `audit.head`, or the `audit_head` of a backup's manifest.
 */
anchor: SignedHead, };

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

export type Band = "review" | "very_likely";

export type BirthDateKept = "date" | "year";

export type ChangeLogExportSummary = { ops: number, bytes: number, };

export type ChangeMembersRequest = { program: ProgramKey, registrants: Array<RegistrantKey>, action: MemberAction, reason?: string, 
/**
 * The exit date (YYYY-MM-DD); today when absent.
 */
date?: string, };

export type CheckReport = { ok: boolean, checks: Array<CheckResult>, };

export type CheckResult = { 
/**
 * A stable name, e.g. `payments.one_live_per_entitlement`.
 */
name: string, 
/**
 * What holds when the check passes.
 */
description: string, 
/**
 * Rows (or entries) that break it; 0 when it holds.
 */
problems: number, };

export type CheckRuleRequest = { rule: string, kind: RuleKind, target: RegistrantKind, };

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

export type ColumnValues = { column: string, codes: Array<string>, values: Array<SeenValue>, };

export type Count = { 
/**
 * The area, sex or band code; `None` where the registrant has none.
 */
key: string | null, count: number, };

export type CreateCycle = { program: ProgramKey, 
/**
 * The schedule's name when absent.
 */
name?: string, members_from: MembersFrom, };

export type CreateProgramRequest = { fields: ProgramFields, };

export type CreateRegistrantRequest = { kind: RegistrantKind, fields: RegistrantFields, household: HouseholdLink | null, };

export type CreateRegistryRequest = { office_code: string, office_name: string, admin_username: string, admin_display_name: string, admin_password: string, recovery_passphrase: string, 
/**
 * Which personal fields the registry keeps; everything when left out.
 */
privacy?: PrivacyProfile, };

export type CustomField = { name: string, label: string, field_type: CustomFieldType, choices: Array<string>, required: boolean, 
/**
 * Personal fields are masked like names.
 */
personal: boolean, };

export type CustomFieldType = "text" | "integer" | "decimal" | "date" | "boolean" | "choice";

export type CustomFields = { fields: Array<CustomField>, };

export type Cycle = { id: string, program_id: string, program_code: string, currency: string, sequence: number, name: string, start_date: string, end_date: string, state: CycleState, prepared_by: string | null, submitted_by: string | null, created_at: string, updated_at: string, };

export type CycleAction = "submit" | "send_back" | "cancel" | "end";

export type CycleActionRequest = { cycle: string, action: CycleAction, comment?: string, };

export type CycleCreated = { cycle: Cycle, members: number, 
/**
 * Members of the previous cycle left out because they are no longer enrolled.
 */
left_out: number, };

export type CycleState = "draft" | "to_approve" | "approved" | "distributing" | "ended" | "cancelled";

export type CycleSummary = { members: number, by_state: Array<StateTotal>, by_area: Array<AreaTotal>, total_count: number, total_amount: number, total_fee: number, 
/**
 * Posted funds of the program not yet committed to approved, paying or paid entitlements.
 */
funds_available: number, stages: Array<ApprovalStage>, 
/**
 * Pending entitlements per stage (index 0 = stage 1).
 */
pending_by_stage: Array<number>, approvals: Array<ApprovalRecord>, batches: Array<PaymentBatch>, 
/**
 * The largest amounts, for the approver's eye.
 */
largest: Array<EntitlementView>, id: string, program_id: string, program_code: string, currency: string, sequence: number, name: string, start_date: string, end_date: string, state: CycleState, prepared_by: string | null, submitted_by: string | null, created_at: string, updated_at: string, };

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

export type Decide = { cycle: string, 
/**
 * 1-based.
 */
stage: number, decision: DecisionKind, 
/**
 * These entitlements only; every one awaiting the stage when absent.
 */
entitlements?: Array<string>, 
/**
 * Required for a rejection.
 */
comment?: string, };

export type DecideDuplicatesRequest = { group: string, decision: Decision, comment?: string, };

export type Decision = "duplicates" | "not_duplicates";

export type DecisionKind = "approve" | "reject";

export type DedupQuality = { truth_pairs: number, 
/**
 * Truth pairs whose two records are not both in the registry (not counted as found).
 */
truth_pairs_missing: number, truth_pairs_found: number, predicted_pairs: number, predicted_pairs_correct: number, precision: number, recall: number, f1: number, 
/**
 * Recall by the truth file's third column (a `+`-joined list of variations counts for each).
 */
by_kind: Array<KindQuality>, 
/**
 * Look-alikes proposed, by kind (empty without a look-alike file).
 */
lookalikes: Array<KindQuality>, };

export type DedupQualityRequest = { 
/**
 * Known look-alikes that must stay apart (external ids and a kind): reported by kind.
 */
lookalikes?: InputFile, } & ({ upload: string, } | { path: string, });

export type DedupRequest = { 
/**
 * Only this program's members; registry-wide when absent.
 */
program?: ProgramKey, 
/**
 * Compare people sharing an ID or a phone.
 */
exact: boolean, 
/**
 * Compare people sharing a name, a birth day or an area (see docs/programs.md, "Which pairs").
 */
fuzzy: boolean, households: boolean, };

export type DedupSummary = { groups: number, individual_groups: number, household_groups: number, 
/**
 * Groups at or above the office's "very likely" probability.
 */
very_likely_groups: number, 
/**
 * The weights this run estimated on the registry.
 */
model: ModelSummary, 
/**
 * Program memberships set to `duplicated` (program runs only).
 */
memberships_duplicated: number, 
/**
 * Program memberships back from `duplicated` because their group is gone.
 */
memberships_restored: number, stats: FindStats, 
/**
 * Replacing the open groups with the new ones, in one transaction.
 */
write_ms: number, elapsed_ms: number, };

export type DedupThresholds = { review: number, very_likely: number, };

export type DedupThresholdsRequest = Record<string, never>;

export type DefineCustomFieldRequest = { field: CustomField, };

export type DeleteCycleRequest = { cycle: string, };

export type Delivered<T> = { result: T, downloads: Array<Download>, };

export type DisableRegistrantRequest = { key: RegistrantKey, reason: string, };

export type DisburseAction = "status" | "send" | "poll";

export type DisburseEnvelope = { engine: string, 
/**
 * The engine's id for it, once the engine gave one.
 */
engine_envelope_id: string | null, state: string, declared_count: number, 
/**
 * Minor units.
 */
declared_total: number, created_at: string, };

export type DisburseEvent = { at: string, kind: string, message: string, };

export type DisburseStatus = { batch: string, 
/**
 * The engine this server sends through (`g2p_bridge` or `g2p_connect`).
 */
engine: string, 
/**
 * `send` or `poll` while the server works on the batch.
 */
running: DisburseAction | null, 
/**
 * Payments by their state with the engine (`pending`, `sending`, `sent`, `paid`, `failed`,
 * `reversed`).
 */
counts: { [key in string]?: number }, envelopes: Array<DisburseEnvelope>, 
/**
 * The last 30 events.
 */
events: Array<DisburseEvent>, };

export type DisbursementSettings = { entitlement?: EntitlementRule, 
/**
 * Ordered; empty means one stage approved by the approver role.
 */
stages: Array<ApprovalStage>, 
/**
 * Absent: monthly from the first of next month.
 */
recurrence?: Recurrence, };

export type Done = { ok: boolean, };

export type Download = { id: string, name: string, bytes: number, };

export type DroppedFields = { 
/**
 * Records whose names were not kept.
 */
names: number, phone: number, 
/**
 * Records whose birth date was cut to its year.
 */
birth_day: number, 
/**
 * Records whose ID numbers were kept only as keyed hashes.
 */
id_numbers: number, };

export type DuplicateGroup = { id: string, kind: string, 
/**
 * The best pair's match probability.
 */
score: number, band: Band, 
/**
 * The fields that spoke for the group.
 */
reasons: Array<string>, 
/**
 * Each proposed pair of the group, best first, with each field's part in its score.
 */
pairs: Array<PairExplanation>, status: GroupStatus, 
/**
 * The program whose members were compared; absent for registry-wide runs.
 */
program_code: string | null, found_at: string, decided_by: string | null, decided_at: string | null, comment: string | null, members: Array<RegistrantSummary>, };

export type DuplicateQueue = { groups: Array<DuplicateGroup>, cursor: string | null, 
/**
 * Open groups in this scope.
 */
open: number, };

export type DuplicateQueueQuery = { status?: GroupStatus, program?: ProgramKey, 
/**
 * Groups with a lower score than this come next (the queue is highest score first).
 */
after?: string, limit?: number, };

export type EditEntitlement = { entitlement: string, 
/**
 * Minor units (cash, voucher) or quantity (in-kind).
 */
value: number, reason: string, };

export type EndMembershipRequest = { group: RegistrantKey, member: RegistrantKey, };

export type EngineSendRequest = { batch: string, };

export type EngineStatusRequest = { batch: string, ask_engine: boolean, };

export type EnrolRequest = { program: ProgramKey, 
/**
 * These registrants; everyone eligible when absent.
 */
registrants?: Array<RegistrantKey>, };

export type EnrolmentProgress = { 
/**
 * `evaluating` the rule, then `writing` memberships.
 */
phase: string, done: number, total: number, };

export type EnrolmentSummary = { 
/**
 * Registrants the rule was evaluated for.
 */
evaluated: number, enrolled: number, not_eligible: number, 
/**
 * Matches that were already members (enrolled, paused, exited or awaiting a duplicate decision).
 */
already_members: number, 
/**
 * Registrants the rule failed for; they were not enrolled.
 */
errors: number, 
/**
 * Stopped by a cancel between two batches: what is counted above was committed, nothing else.
 */
cancelled: boolean, elapsed_ms: number, };

export type EntitlementKind = "cash" | "in_kind" | "voucher";

export type EntitlementRule = { kind: EntitlementKind, expression: string, fee?: TransferFee, 
/**
 * In-kind: what is given (e.g. "maize flour").
 */
product?: string, 
/**
 * In-kind: the quantity's unit (e.g. "kg").
 */
unit?: string, 
/**
 * Days an entitlement stays valid after its cycle ends; 0 = until the cycle's last day.
 */
validity_days: number, };

export type EntitlementState = "draft" | "pending" | "approved" | "in_payment" | "paid" | "failed" | "rejected" | "cancelled" | "expired";

export type EntitlementView = { id: string, cycle_id: string, cycle_name: string, program_code: string, program_name: string, registrant_id: string, reference: string, kind: EntitlementKind, amount: number, fee: number, currency: string, product: string | null, quantity: number | null, unit: string | null, voucher_code: string | null, 
/**
 * What a voucher's QR code encodes: `BRV1|code|amount|currency|valid_until|entitlement id`.
 */
qr_payload: string | null, valid_from: string, valid_until: string, state: EntitlementState, stage: number | null, reason: string | null, updated_at: string, 
/**
 * The approvals and rejections that applied to it, oldest first.
 */
approvals: Array<ApprovalRecord>, };

export type EntitlementsExport = { rows: number, contains_personal_data: boolean, path: string, };

export type EntitlementsPage = { entitlements: Array<EntitlementView>, cursor: string | null, };

export type EntitlementsQuery = { cycle: string, state?: EntitlementState, 
/**
 * Only cash entitlements, approved or failed, whose payee has no financial address: payment
 * preparation leaves them out until one is recorded.
 */
without_address?: boolean, after?: string, limit?: number, };

export type ErrorCode = "invalid_input" | "not_found" | "already_exists" | "permission_denied" | "authentication_failed" | "session_invalid" | "wrong_passphrase" | "key_file_missing" | "key_file_invalid" | "key_unavailable" | "database_corrupt" | "schema_too_new" | "registry_not_found" | "registry_exists" | "import_file_invalid" | "mapping_invalid" | "cancelled" | "audit_chain_broken" | "busy" | "io" | "rule_invalid" | "transition_not_allowed" | "merge_conflict" | "funds_insufficient" | "entitlement_invalid" | "self_approval" | "rate_limited" | "request_refused" | "not_enrolled" | "server_unreachable" | "server_refused" | "upgrade_required" | "internal";

export type ExportEntitlementsRequest = { cycle: string, 
/**
 * Add the beneficiary's name and financial address unmasked (needs the permission; audited).
 */
include_personal: boolean, } & ({ download: boolean, } | { path: string, overwrite: boolean, });

export type ExportOptions = { 
/**
 * Write names, IDs, phones and birth dates unmasked (needs the permission; audited).
 */
include_personal: boolean, 
/**
 * Include disabled registrants.
 */
include_disabled: boolean, };

export type ExportPaymentFileRequest = { batch: string, } & ({ download: boolean, } | { path: string, overwrite: boolean, });

export type ExportRequest = { options: ExportOptions, } & ({ download: boolean, } | { path: string, overwrite: boolean, });

export type ExportSummary = { rows: number, 
/**
 * Whether the file holds personal data unmasked: handle it accordingly.
 */
contains_personal_data: boolean, path: string, };

export type FieldEstimate = { field: string, levels: Array<LevelEstimate>, };

export type FieldWeight = { field: string, level: string, 
/**
 * Evidence in bits: above 0 for one person, below for two.
 */
weight: number, };

export type Filters = { area: string | null, sex: string | null, 
/**
 * Inclusive, in whole years today.
 */
age_min: number | null, age_max: number | null, tag: string | null, status: RegistrantStatus | null, kind: RegistrantKind | null, };

export type FindStats = { people: number, households: number, 
/**
 * Proposed pairs that share an ID.
 */
exact_pairs: number, 
/**
 * Other proposed pairs.
 */
fuzzy_pairs: number, 
/**
 * Pairs compared (sharing a block), in each round.
 */
comparisons: number, 
/**
 * Households linked as one family registered twice.
 */
linked_households: number, load_ms: number, 
/**
 * Blocking, learning the weights, comparing and grouping.
 */
compare_ms: number, 
/**
 * Households registered twice, from their members.
 */
households_ms: number, };

export type Fund = { id: string, program_code: string, amount: number, currency: string, state: FundState, reference: string, created_by: string, posted_by: string | null, posted_at: string | null, created_at: string, };

export type FundBalance = { program_code: string, currency: string, posted: number, 
/**
 * Approved, in payment, paid or failed (to be paid again) entitlements with their fees.
 */
committed: number, available: number, funds: Array<Fund>, };

export type FundBalanceRequest = { program: ProgramKey, };

export type FundState = "draft" | "posted" | "cancelled";

export type GenerateEntitlementsRequest = { cycle: string, };

export type GenerationProgress = { 
/**
 * `writing`: entitlements written so far, of the cycle's members.
 */
phase: string, done: number, total: number, };

export type GenerationSummary = { members: number, generated: number, 
/**
 * Members who are disabled: no entitlement.
 */
skipped: number, total_amount: number, total_fee: number, total_quantity: number, 
/**
 * How long evaluating the expression for everyone took, alongside the writing.
 */
evaluate_ms: number, elapsed_ms: number, };

export type GetCycleRequest = { cycle: string, };

export type GetListRequest = { list: ListName, };

export type GetProgramRequest = { program: ProgramKey, };

export type GetRegistrantRequest = { key: RegistrantKey, reveal: boolean, };

export type GroupStatus = "open" | "duplicates" | "not_duplicates" | "merged";

export type HouseholdLink = { group: RegistrantKey, 
/**
 * A membership kind code, e.g. `head`, `spouse`, `child`.
 */
kind: string, };

export type IdDocument = { id_type: string, value: string, expiry?: string, };

export type IdValuesKept = "plain" | "keyed_hash";

export type ImportDay = { 
/**
 * UTC day, `YYYY-MM-DD`.
 */
day: string, runs: number, inserted: number, updated: number, rejected: number, };

export type ImportOptions = { mapping: ColumnMapping | null, 
/**
 * The workbook's sheet (or the zip's CSV file) to read; absent, a form's repeat group when there is
 * one, otherwise the first.
 */
sheet: string | null, 
/**
 * Rows per transaction; 50,000 when absent.
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

export type ImportPreview = { 
/**
 * What the file is, and its other sheets.
 */
source: TableInfo, headers: Array<string>, 
/**
 * Per header, the import column it fills under the mapping, if any.
 */
targets: Array<string | null>, unmapped: Array<string>, 
/**
 * Import columns every import needs that no header fills yet (`external_id`, `given_name`).
 */
missing: Array<string>, 
/**
 * For headers the mapping leaves unmapped: the import column each most likely means.
 */
suggested_columns: { [key in string]?: string }, 
/**
 * When the mapping has no date format and the birth dates are not `YYYY-MM-DD`: the format they are in.
 */
suggested_date_format: string | null, 
/**
 * Values of coded columns (under the mapping and the suggested columns) that are not codes.
 */
values: Array<ColumnValues>, rows: Array<PreviewRow>, file_bytes: number, };

export type ImportPreviewRequest = ({ upload: string, } | { path: string, }) & { mapping: ColumnMapping | null, 
/**
 * As in the import's options.
 */
sheet: string | null, 
/**
 * Rows to show; 20 when absent, at most 1,000.
 */
rows: number | null, };

export type ImportProgress = { phase: ImportPhase, bytes_done: number, bytes_total: number, rows_read: number, inserted: number, updated: number, rejected: number, };

export type ImportRequest = { options: ImportOptions, } & ({ upload: string, } | { path: string, });

export type ImportStatus = "completed" | "cancelled";

export type ImportSummary = { run_id: number, status: ImportStatus, rows_read: number, inserted: number, updated: number, unchanged: number, rejected: number, households_created: number, 
/**
 * Source columns no field is mapped to: read, not stored.
 */
unmapped_columns: Array<string>, 
/**
 * Where rejected rows were written (original columns plus line, column and reason).
 */
rejects_file: string | null, 
/**
 * Memberships created in programs that auto-enrol new registrants who match their rule.
 */
auto_enrolled: number, 
/**
 * How many written rows gave fields the registry's privacy profile does not keep (not stored).
 */
dropped: DroppedFields, elapsed_ms: number, };

export type InputFile = { upload: string, } | { path: string, };

export type JsonValue = number | string | boolean | Array<JsonValue> | { [key in string]?: JsonValue } | null;

export type KeySource = "credential_store" | "passphrase";

export type KindQuality = { kind: string, pairs: number, 
/**
 * Truth kinds: pairs found. Look-alike kinds: pairs proposed (wrongly).
 */
proposed: number, share: number, };

export type LevelEstimate = { level: string, m: number, u: number, weight: number, };

export type ListCustomFieldsRequest = Record<string, never>;

export type ListCyclesRequest = { program: ProgramKey, };

export type ListItem = { code: string, label: string, parent: string | null, active: boolean, };

export type ListItems = { items: Array<ListItem>, };

export type ListMappingsRequest = Record<string, never>;

export type ListName = "id_type" | "sex" | "membership_kind" | "area" | "tag";

export type ListProgramsRequest = { include_archived: boolean, };

export type ListUsersRequest = Record<string, never>;

export type LoginResponse = { token: string, session: SessionInfo, };

export type MarkBatchSentRequest = { batch: string, };

export type MatchedBy = "reference" | "id_value" | "phone" | "name" | "list";

export type MemberAction = "pause" | "resume" | "exit";

export type MembersFrom = "program" | "previous_cycle";

export type MembersPage = { members: Array<ProgramMembership>, 
/**
 * Pass as `after` for the next page; absent on the last page.
 */
cursor: string | null, };

export type MembersQuery = { program: ProgramKey, state?: MembershipState, 
/**
 * The `cursor` of the previous page.
 */
after?: string, limit?: number, };

export type MembershipCounts = { draft: number, enrolled: number, not_eligible: number, paused: number, exited: number, duplicated: number, };

export type MembershipLink = { 
/**
 * The other side: the group (on an individual's page) or the member (on a group's page).
 */
registrant: RegistrantSummary, kind: string, is_head: boolean, start_date: string, end_date: string | null, };

export type MembershipState = "draft" | "enrolled" | "not_eligible" | "paused" | "exited" | "duplicated";

export type MergeDuplicatesRequest = { group: string, 
/**
 * The record that stays.
 */
keep: RegistrantKey, };

export type MergePreviewRequest = { group: string, keep: RegistrantKey, };

export type MergeSummary = { kept: string, merged: Array<string>, ids_moved: number, memberships_moved: number, memberships_exited: number, };

export type ModelSummary = { 
/**
 * Log-odds, in bits, that two people taken at random are one.
 */
prior_weight: number, em_iterations: number, 
/**
 * Reviewer decisions used as known answers.
 */
decisions_used: number, fields: Array<FieldEstimate>, };

export type MoveMemberRequest = { member: RegistrantKey, 
/**
 * The household the person moves into; their other current households are left today.
 */
to: RegistrantKey, 
/**
 * A membership kind code, e.g. `spouse`, `child`.
 */
kind: string, };

export type NewMember = { fields: RegistrantFields, 
/**
 * A membership kind code, e.g. `head`, `spouse`, `child`.
 */
kind: string, };

export type OutboxExportRequest = { 
/**
 * Seals the file (at least 12 characters); whoever replays it needs the same.
 */
passphrase: string, } & ({ download: boolean, } | { path: string, overwrite: boolean, });

export type OutboxReplayRequest = { 
/**
 * The passphrase the file was sealed with.
 */
passphrase: string, } & ({ upload: string, } | { path: string, });

export type Outcome = "ok" | "denied";

export type PairExplanation = { 
/**
 * Registrant references when read from the queue (rowids while stored).
 */
a: string, b: string, probability: number, weight: number, fields: Array<FieldWeight>, };

export type PaymentBatch = { id: string, cycle_id: string, sequence: number, state: string, count: number, total: number, created_by: string, created_at: string, sent_at: string | null, };

export type PaymentFile = { path: string, summary_path: string, payments: number, total: number, currency: string, };

export type PaymentProgress = { 
/**
 * `preparing`, `reading` or `applying`.
 */
phase: string, done: number, total: number, };

export type PaymentState = "queued" | "sent" | "paid" | "failed" | "reversed";

export type PaymentView = { id: string, batch_id: string, batch_sequence: number, entitlement_id: string, cycle_name: string, program_code: string, 
/**
 * Masked unless revealed.
 */
account: string | null, amount: number, currency: string, state: PaymentState, external_ref: string | null, reason: string | null, created_at: string, updated_at: string, };

export type Period = "weekly" | "monthly" | "quarterly";

export type Permission = "registry_read" | "personal_data_reveal" | "registrant_write" | "import_run" | "export_run" | "settings_manage" | "users_manage" | "audit_read" | "backup_run" | "program_manage" | "duplicates_manage" | "cycle_manage" | "entitlement_approve" | "fund_manage" | "payment_manage";

export type PreparePayments = { cycle: string, 
/**
 * Payments per batch; 10,000 when absent.
 */
batch_size?: number, };

export type PrepareSummary = { batches: Array<PaymentBatch>, payments: number, total: number, 
/**
 * Of the payments, how many pay again an entitlement whose last payment failed.
 */
retries: number, 
/**
 * Cash entitlements left approved because the payee has no financial address.
 */
without_address: number, 
/**
 * Approved entitlements that expired (valid-until passed) instead of being paid.
 */
expired: number, elapsed_ms: number, };

export type Preview = { 
/**
 * Registrants the rule selects.
 */
matches: number, 
/**
 * Registrants the rule was evaluated for (those the SQL part let through).
 */
evaluated: number, 
/**
 * Registrants for whom the rule failed (for example a missing birth date); they do not match.
 */
errors: number, 
/**
 * Up to 20 references that match.
 */
sample: Array<string>, 
/**
 * Up to 5 references the rule failed for, with why.
 */
error_examples: Array<[string, string]>, elapsed_ms: number, };

export type PreviewError = { column: string, reason: string, };

export type PreviewRequest = { program?: ProgramKey, 
/**
 * A rule to preview instead of the program's saved one.
 */
rule?: string, target?: RegistrantKind, pmt_expression?: string, pmt_threshold?: number, };

export type PreviewRow = { 
/**
 * The row's line (in a workbook, its row number).
 */
line: number, cells: Array<string>, 
/**
 * Every reason the import would reject this row; empty when it would not.
 */
errors: Array<PreviewError>, };

export type PrivacyProfile = { 
/**
 * Given, family and household names.
 */
names: boolean, phone: boolean, birth_date: BirthDateKept, id_values: IdValuesKept, };

export type ProgramFields = { code: string, name: string, description: string, target: RegistrantKind, currency: string, eligibility_rule: string, pmt_expression?: string, pmt_threshold?: number, auto_enrol: boolean, };

export type ProgramKey = { "id": string } | { "code": string };

export type ProgramMembership = { id: string, program_id: string, program_code: string, program_name: string, registrant_id: string, reference: string, 
/**
 * Masked unless the caller may see personal data and asked to.
 */
name: string, area: string | null, state: MembershipState, enrolled_on: string | null, exited_on: string | null, reason: string | null, pmt_score: number | null, updated_at: string, };

export type ProgramState = "draft" | "active" | "ended";

export type ProgramSummary = { counts: MembershipCounts, id: string, code: string, name: string, description: string, target: RegistrantKind, currency: string, state: ProgramState, archived: boolean, eligibility_rule: string, pmt_expression: string | null, pmt_threshold: number | null, auto_enrol: boolean, 
/**
 * The entitlement rule, approval stages and cycle schedule.
 */
disbursement: DisbursementSettings, created_at: string, updated_at: string, };

export type Progress = { "kind": "import" } & ImportProgress | { "kind": "enrolment" } & EnrolmentProgress | { "kind": "generation" } & GenerationProgress | { "kind": "payment" } & PaymentProgress | { "kind": "replay" } & ReplayProgress | { "kind": "sync" } & SyncProgress;

export type RecheckCycleRequest = { cycle: string, };

export type RecheckSummary = { checked: number, 
/**
 * Members removed from the cycle: no longer enrolled, or no longer matching the rule.
 */
removed: number, remaining: number, };

export type ReconcileRequest = { upload: string, } | { path: string, };

export type ReconcileSummary = { rows: number, paid: number, failed: number, 
/**
 * Paid payments the provider now reports failed: kept as reversals for a person to follow up.
 */
reversed: number, 
/**
 * Rows repeating a result already recorded (in this file or an earlier one).
 */
repeated: number, 
/**
 * Rows naming no payment of this registry: skipped.
 */
unknown: number, 
/**
 * Rows that cannot be read (bad id or status): skipped.
 */
invalid: number, 
/**
 * Up to 20 skipped rows: line and why.
 */
problems: Array<[number, string]>, elapsed_ms: number, };

export type Recurrence = { period: Period, interval: number, 
/**
 * The first cycle's first day (YYYY-MM-DD).
 */
start: string, count?: number, until?: string, };

export type RegisterHouseholdRequest = { fields: RegistrantFields, 
/**
 * At most 50; at most one of kind `head`.
 */
members: Array<NewMember>, };

export type RegisteredHousehold = { household: Registrant, 
/**
 * In the order given.
 */
members: Array<Registrant>, };

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
members: Array<MembershipLink>, 
/**
 * Every program the registrant is in, with state and dates.
 */
programs: Array<ProgramMembership>, 
/**
 * Every entitlement in every program and cycle, newest first, with its approvals.
 */
entitlements: Array<EntitlementView>, 
/**
 * Every payment attempt, newest first.
 */
payments: Array<PaymentView>, history: Array<AuditEntry>, };

export type RegistrantEntitlementsRequest = { key: RegistrantKey, };

export type RegistrantFields = { external_id?: string, given_name?: string, family_name?: string, 
/**
 * Groups only: the household's name.
 */
group_name?: string, sex?: string, 
/**
 * ISO date.
 */
birth_date?: string, birth_date_approx?: boolean, phone?: string, 
/**
 * Where payments go, as `type:id@provider` (for example `msisdn:251911000000@telebirr`).
 */
financial_address?: string, area?: string, tags?: Array<string>, custom?: { [key in string]?: JsonValue }, ids?: Array<IdDocument>, };

export type RegistrantKey = { "id": string } | { "reference": string };

export type RegistrantKind = "individual" | "group";

export type RegistrantPaymentsRequest = { key: RegistrantKey, reveal: boolean, };

export type RegistrantProgramsRequest = { key: RegistrantKey, };

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

export type RegistryCheckRequest = Record<string, never>;

export type RegistryInfo = { office_id: string, office_code: string, office_name: string, key_source: KeySource, 
/**
 * Why the credential store was not used to open the registry, if it was not.
 */
credential_store_note: string | null, schema_version: number, 
/**
 * Which personal fields the registry keeps.
 */
privacy: PrivacyProfile, };

export type RegistryInfoRequest = Record<string, never>;

export type ReplayProgress = { done: number, total: number, };

export type ReplaySummary = { read: number, applied: number, unchanged: number, conflicts: number, };

export type Role = "admin" | "registrar" | "program_manager" | "approver" | "finance" | "auditor";

export type RuleCheck = { ok: boolean, error: RuleError | null, 
/**
 * The parts of the rule the database narrows by before evaluating each registrant.
 */
indexed_conditions: number, 
/**
 * For a rule that is accepted but likely wrong: a value compared with a coded field that is none of its
 * codes (it selects nobody), with the codes.
 */
warnings: Array<string>, };

export type RuleError = { message: string, 
/**
 * Character offsets into the rule (start inclusive, end exclusive), when the error has a place.
 */
start: number | null, end: number | null, 
/**
 * For an unknown name: the names that exist there.
 */
known: Array<string>, 
/**
 * What the person most likely meant, in plain words (`=` for `==`, a field without `me.`).
 */
hint: string | null, };

export type RuleKind = "condition" | "score";

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

export type SearchResponse = { items: Array<RegistrantSummary>, next_cursor: string | null, matched_by: MatchedBy, 
/**
 * A name search: the items from this index on match the name in another script or spelling (Lukasz
 * for Łukasz, Mohamed for محمد or Muhammad), not the letters typed. Those come after every exact match.
 */
similar_from: number | null, };

export type SeenValue = { value: string, 
/**
 * Rows of the sample that hold it.
 */
rows: number, 
/**
 * The code the mapping turns it into, if it does.
 */
mapped: string | null, 
/**
 * The code it most likely means.
 */
suggested: string | null, };

export type SessionInfo = { user_id: string, username: string, role: Role, permissions: Array<Permission>, };

export type SessionInfoRequest = Record<string, never>;

export type SetDedupThresholdsRequest = { review: number, very_likely: number, };

export type SetDisbursementRequest = { program: ProgramKey, settings: DisbursementSettings, };

export type SetFundStateRequest = { fund: string, state: FundState, };

export type SetHeadRequest = { group: RegistrantKey, 
/**
 * A current member, who becomes the head.
 */
member: RegistrantKey, 
/**
 * What the former head stays as (a membership kind other than `head`).
 */
former_head_kind: string, };

export type SetProgramStateRequest = { program: ProgramKey, state?: ProgramState, 
/**
 * Archive (true) or bring back (false) instead of changing the state.
 */
archived?: boolean, };

export type SignedHead = { format: string, registry_id: string, 
/**
 * The last entry's number and MAC (hex) when the head was taken.
 */
seq: number, mac: string, 
/**
 * UTC, RFC 3339.
 */
at: string, 
/**
 * Ed25519 public key and signature, hex.
 */
public_key: string, signature: string, };

export type SortKey = "reference" | "name" | "birth_date";

export type SourceKind = "csv" | "workbook" | "odk_zip";

export type StateTotal = { state: string, count: number, 
/**
 * Minor units.
 */
amount: number, fee: number, quantity: number, };

export type SyncConflict = { id: string, 
/**
 * The op that could not be applied.
 */
op_id: string, entity: string, entity_id: string, kind: string, 
/**
 * This desk's side: its state when the op arrived, or its own op the server found stale.
 */
local: unknown, 
/**
 * The other side: the op from another desk, or the server's state.
 */
remote: unknown, found_at: string, 
/**
 * `replay` (found applying another desk's op) or `push` (the server's answer to this desk's op).
 */
source: string, resolved_at: string | null, resolved_by: string | null, resolution: string | null, };

export type SyncConflictsRequest = { include_resolved: boolean, };

export type SyncEnrolRequest = { 
/**
 * `https://…` (or `http://` on this computer).
 */
url: string, 
/**
 * The one-time code the server's operator gave (`br-server device code OFFICE`).
 */
code: string, 
/**
 * A CA certificate (PEM text) to trust for this server, when its certificate is not from a public CA.
 */
ca_pem: string | null, 
/**
 * How the server's operator will see this desk; defaults to the office name and the host name.
 */
desk_name: string | null, };

export type SyncPhase = "push" | "snapshot" | "pull";

export type SyncProgress = { phase: SyncPhase, done: number, 
/**
 * Ops waiting to be pushed, or the server's head less where this desk started pulling.
 */
total: number, };

export type SyncRejection = { op_id: string, seq: number, kind: string, code: string, reason: string, at: string, };

export type SyncRejectionsRequest = Record<string, never>;

export type SyncResolveRequest = { id: string, note: string | null, };

export type SyncRunRequest = Record<string, never>;

export type SyncStatus = { enrolled: boolean, server: string | null, device_id: string, office_code: string, office_name: string, headquarters: boolean, desk_number: number | null, enrolled_at: string | null, last_success_at: string | null, last_attempt_at: string | null, last_error: string | null, 
/**
 * This desk's ops the server does not hold yet.
 */
ops_waiting: number, pulled_to: number, 
/**
 * The server's newest cursor at the last pull.
 */
server_head: number, conflicts_open: number, rejected: number, };

export type SyncStatusRequest = Record<string, never>;

export type SyncSummary = { pushed: number, push_duplicates: number, rejected: number, push_conflicts: number, pulled: number, applied: number, unchanged: number, conflicts: number, cursor: number, head: number, };

export type TableInfo = { kind: SourceKind, 
/**
 * The workbook's sheets or the zip's CSV files, in order; empty for a CSV file.
 */
sheets: Array<string>, 
/**
 * The sheet (or file in the zip) read.
 */
sheet: string | null, 
/**
 * When the sheet is a form's repeat group: the sheet of submissions its rows were joined with.
 */
joined_with: string | null, };

export type TransferFee = { "type": "percent", basis_points: number, } | { "type": "fixed", amount: number, };

export type UpdateProgramRequest = { program: ProgramKey, fields: ProgramFields, };

export type UpdateRegistrantRequest = { key: RegistrantKey, fields: RegistrantFields, 
/**
 * The version the editor started from; a newer stored version refuses the edit.
 */
expected_version: string | null, };

export type UpdateUserRequest = { username: string, change: UserChange, };

export type UpsertListItemRequest = { list: ListName, item: ListItem, };

export type User = { id: string, username: string, display_name: string, role: Role, disabled: boolean, created_at: string, };

export type UserChange = { display_name?: string, role?: Role, 
/**
 * Disable (true) or enable again (false). A disabled account cannot log in; nothing it did is removed.
 */
disabled?: boolean, 
/**
 * A new password, set by an administrator (the user should change it).
 */
password?: string, };

export type Users = { users: Array<User>, };

export type VerifyMembersRequest = { program: ProgramKey, };

export type WorkItem = { kind: WorkKind, program_code: string | null, program_name: string | null, cycle_id: string | null, cycle_name: string | null, 
/**
 * The approval stage (1-based) and its name.
 */
stage: number | null, stage_name: string | null, 
/**
 * Entitlements to decide or pay, cycles short of funds, batches to send, groups or conflicts to settle.
 */
count: number, 
/**
 * The amount with fees of what waits, or the funds missing (`add_funds`), in minor units of `currency`.
 */
amount: number | null, currency: string | null, };

export type WorkKind = "approve_cycle" | "add_funds" | "prepare_payments" | "send_payments" | "review_duplicates" | "settle_conflicts";

export type WorkQueue = { items: Array<WorkItem>, };

export type WorkQueueRequest = Record<string, never>;

export type WorkflowSummary = { 
/**
 * Entitlements the step changed.
 */
changed: number, 
/**
 * Their amount with fees, minor units.
 */
total: number, 
/**
 * Of those, how many are now fully approved.
 */
approved: number, 
/**
 * Still pending, at a later stage.
 */
pending: number, cycle_state: CycleState | null, };

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
  "households.register": [RegisterHouseholdRequest, RegisteredHousehold];
  "memberships.end": [EndMembershipRequest, Done];
  "memberships.move": [MoveMemberRequest, Done];
  "memberships.set_head": [SetHeadRequest, Done];
  "lists.get": [GetListRequest, ListItems];
  "lists.upsert": [UpsertListItemRequest, Done];
  "custom_fields.list": [ListCustomFieldsRequest, CustomFields];
  "custom_fields.define": [DefineCustomFieldRequest, Done];
  "users.list": [ListUsersRequest, Users];
  "users.add": [AddUserRequest, User];
  "users.update": [UpdateUserRequest, User];
  "import.run": [ImportRequest, Delivered<ImportSummary>];
  "export.run": [ExportRequest, Delivered<ExportSummary>];
  "audit.verify": [AuditVerifyRequest, AuditVerifyReport];
  "audit.head": [AuditHeadRequest, SignedHead];
  "audit.verify_anchor": [AuditVerifyAnchorRequest, AnchorReport];
  "registry.check": [RegistryCheckRequest, CheckReport];
  "backup.create": [BackupRequest, BackupSummary];
  "outbox.export": [OutboxExportRequest, Delivered<ChangeLogExportSummary>];
  "outbox.replay": [OutboxReplayRequest, ReplaySummary];
  "sync.enrol": [SyncEnrolRequest, SyncStatus];
  "sync.run": [SyncRunRequest, SyncSummary];
  "sync.status": [SyncStatusRequest, SyncStatus];
  "sync.conflicts": [SyncConflictsRequest, Array<SyncConflict>];
  "sync.resolve": [SyncResolveRequest, SyncConflict];
  "sync.rejections": [SyncRejectionsRequest, Array<SyncRejection>];
  "payments.engine_send": [EngineSendRequest, DisburseStatus];
  "payments.engine_status": [EngineStatusRequest, DisburseStatus];
  "audit.list": [AuditQuery, AuditPage];
  "dashboard.stats": [DashboardRequest, DashboardStats];
  "work.queue": [WorkQueueRequest, WorkQueue];
  "cycles.amount_preview": [AmountPreviewRequest, AmountPreview];
  "import.preview": [ImportPreviewRequest, ImportPreview];
  "import.mappings": [ListMappingsRequest, SavedMappings];
  "import.mapping_save": [SavedMapping, Done];
  "programs.list": [ListProgramsRequest, Array<ProgramSummary>];
  "programs.get": [GetProgramRequest, ProgramSummary];
  "programs.create": [CreateProgramRequest, ProgramSummary];
  "programs.update": [UpdateProgramRequest, ProgramSummary];
  "programs.set_state": [SetProgramStateRequest, ProgramSummary];
  "programs.check_rule": [CheckRuleRequest, RuleCheck];
  "programs.preview": [PreviewRequest, Preview];
  "programs.enrol": [EnrolRequest, EnrolmentSummary];
  "programs.verify": [VerifyMembersRequest, EnrolmentSummary];
  "programs.change_members": [ChangeMembersRequest, number];
  "programs.members": [MembersQuery, MembersPage];
  "registrants.programs": [RegistrantProgramsRequest, Array<ProgramMembership>];
  "dedup.run": [DedupRequest, DedupSummary];
  "dedup.queue": [DuplicateQueueQuery, DuplicateQueue];
  "dedup.decide": [DecideDuplicatesRequest, DuplicateGroup];
  "dedup.merge": [MergeDuplicatesRequest, MergeSummary];
  "dedup.merge_preview": [MergePreviewRequest, MergeSummary];
  "dedup.quality": [DedupQualityRequest, DedupQuality];
  "dedup.thresholds": [DedupThresholdsRequest, DedupThresholds];
  "dedup.set_thresholds": [SetDedupThresholdsRequest, DedupThresholds];
  "programs.set_disbursement": [SetDisbursementRequest, ProgramSummary];
  "cycles.list": [ListCyclesRequest, Array<Cycle>];
  "cycles.create": [CreateCycle, CycleCreated];
  "cycles.get": [GetCycleRequest, CycleSummary];
  "cycles.recheck": [RecheckCycleRequest, RecheckSummary];
  "cycles.delete": [DeleteCycleRequest, Done];
  "cycles.generate": [GenerateEntitlementsRequest, GenerationSummary];
  "cycles.act": [CycleActionRequest, WorkflowSummary];
  "cycles.decide": [Decide, WorkflowSummary];
  "cycles.entitlements": [EntitlementsQuery, EntitlementsPage];
  "entitlements.edit": [EditEntitlement, EntitlementView];
  "registrants.entitlements": [RegistrantEntitlementsRequest, Array<EntitlementView>];
  "registrants.payments": [RegistrantPaymentsRequest, Array<PaymentView>];
  "funds.balance": [FundBalanceRequest, FundBalance];
  "funds.add": [AddFund, FundBalance];
  "funds.set_state": [SetFundStateRequest, FundBalance];
  "payments.prepare": [PreparePayments, PrepareSummary];
  "payments.export": [ExportPaymentFileRequest, Delivered<PaymentFile>];
  "payments.mark_sent": [MarkBatchSentRequest, PaymentBatch];
  "payments.reconcile": [ReconcileRequest, ReconcileSummary];
  "entitlements.export": [ExportEntitlementsRequest, Delivered<EntitlementsExport>];
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
  "rule_invalid",
  "transition_not_allowed",
  "merge_conflict",
  "funds_insufficient",
  "entitlement_invalid",
  "self_approval",
  "rate_limited",
  "request_refused",
  "not_enrolled",
  "server_unreachable",
  "server_refused",
  "upgrade_required",
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
  "financial_address",
  "area",
  "tags",
  "household_ref",
  "household_name",
  "relationship",
] as const;
