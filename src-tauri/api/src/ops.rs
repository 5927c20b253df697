//! One request type and one response type per operation. Each `run` is a thin call into `br-core`.

use br_core::audit::AuditVerifyReport;
use br_core::auth::{Role, Session, SessionInfo, User};
use br_core::beneficiary::{self, HouseholdLink, RegistrantDetail};
use br_core::io::export::{ExportOptions, ExportSummary};
use br_core::io::import::{ImportOptions, ImportSummary};
use br_core::io::mapping::{self, SavedMapping};
use br_core::io::preview::{preview_file, ImportPreview, PreviewOptions};
use br_core::registry::model::*;
use br_core::registry::service::{self, RegistrantKey};
use br_core::search::{SearchRequest, SearchResponse};
use br_core::secret::Secret;
use br_core::{Registry, RegistryInfo};
use serde::de::DeserializeOwned;
use serde::{Deserialize, Serialize};
use ts_rs::TS;

use crate::files::{Delivered, Download, InputFile, OutputFile};
use crate::Context;
use br_core::backup::{self, BackupSummary};
use br_core::dedup::merge::{self, MergeSummary};
use br_core::dedup::quality::DedupQuality;
use br_core::dedup::review::{
    self as dedup, Decision, DedupRequest, DedupSummary, DuplicateGroup, DuplicateQueue, DuplicateQueueQuery,
};
use br_core::dedup::thresholds::DedupThresholds;
use br_core::disbursement::approval::{Decide, WorkflowSummary};
use br_core::disbursement::cycle::{CreateCycle, CycleAction, CycleCreated, RecheckSummary};
use br_core::disbursement::entitlement::{
    EditEntitlement, EntitlementsPage, EntitlementsQuery, GenerationProgress, GenerationSummary,
};
use br_core::disbursement::funds::AddFund;
use br_core::disbursement::model::{
    Cycle, CycleSummary, DisbursementSettings, EntitlementView, FundBalance, FundState, PaymentBatch, PaymentView,
};
use br_core::disbursement::payment::{PaymentFile, PaymentProgress, PreparePayments, PrepareSummary, ReconcileSummary};
use br_core::disbursement::status::{EntitlementsExport, ExportEntitlements};
use br_core::disbursement::{self, approval, cycle, entitlement, funds, payment};
use br_core::program::membership::{self, EnrolmentSummary, MemberAction, MembersPage, MembersQuery};
use br_core::program::model::{ProgramFields, ProgramMembership, ProgramState, ProgramSummary};
use br_core::program::rules::RuleKind;
use br_core::program::service::{self as programs, Preview, PreviewRequest, ProgramKey, RuleCheck};
use uuid::Uuid;

/// An operation of the API: its wire name, request (Self) and response.
pub trait Operation: DeserializeOwned + TS + 'static {
    const NAME: &'static str;
    /// Long work that reports progress and honours the cancel flag.
    const LONG_RUNNING: bool = false;
    /// The data sets a success changes, sent to every client as a change event so their caches refetch.
    const CHANGES: &'static [&'static str] = &[];
    type Response: Serialize + TS + 'static;
    fn run(self, ctx: &Context<'_>, session: &Session) -> br_core::Result<Self::Response>;
}

pub(crate) fn registry<'a>(ctx: &Context<'a>) -> &'a Registry {
    ctx.registry
}

/// An answer with nothing to say beyond success.
#[derive(Debug, Clone, Serialize, TS)]
pub struct Done {
    pub ok: bool,
}

pub(crate) const DONE: Done = Done { ok: true };

#[derive(Debug, Clone, Default, Deserialize, TS)]
pub struct SessionInfoRequest {}
impl Operation for SessionInfoRequest {
    const NAME: &'static str = "session.info";
    type Response = SessionInfo;
    fn run(self, _: &Context<'_>, session: &Session) -> br_core::Result<SessionInfo> {
        Ok(session.info())
    }
}

#[derive(Debug, Clone, Default, Deserialize, TS)]
pub struct RegistryInfoRequest {}
impl Operation for RegistryInfoRequest {
    const NAME: &'static str = "registry.info";
    type Response = RegistryInfo;
    fn run(self, ctx: &Context<'_>, _: &Session) -> br_core::Result<RegistryInfo> {
        registry(ctx).info()
    }
}

impl Operation for SearchRequest {
    const NAME: &'static str = "registrants.search";
    type Response = SearchResponse;
    fn run(self, ctx: &Context<'_>, session: &Session) -> br_core::Result<SearchResponse> {
        br_core::search::search(registry(ctx).store(), session, &self)
    }
}

#[derive(Debug, Clone, Deserialize, TS)]
pub struct GetRegistrantRequest {
    pub key: RegistrantKey,
    #[serde(default)]
    pub reveal: bool,
}
impl Operation for GetRegistrantRequest {
    const NAME: &'static str = "registrants.get";
    type Response = RegistrantDetail;
    fn run(self, ctx: &Context<'_>, session: &Session) -> br_core::Result<RegistrantDetail> {
        beneficiary::get_detail(registry(ctx).store(), session, &self.key, self.reveal)
    }
}

#[derive(Debug, Clone, Deserialize, TS)]
pub struct CreateRegistrantRequest {
    pub kind: RegistrantKind,
    pub fields: RegistrantFields,
    pub household: Option<HouseholdLink>,
}
impl Operation for CreateRegistrantRequest {
    const NAME: &'static str = "registrants.create";
    const CHANGES: &'static [&'static str] = &["registrants", "dashboard"];
    type Response = Registrant;
    fn run(self, ctx: &Context<'_>, session: &Session) -> br_core::Result<Registrant> {
        beneficiary::create(registry(ctx).store(), session, self.kind, self.fields, self.household)
    }
}

#[derive(Debug, Clone, Deserialize, TS)]
pub struct UpdateRegistrantRequest {
    pub key: RegistrantKey,
    pub fields: RegistrantFields,
    /// The version the editor started from; a newer stored version refuses the edit.
    pub expected_version: Option<String>,
}
impl Operation for UpdateRegistrantRequest {
    const NAME: &'static str = "registrants.update";
    const CHANGES: &'static [&'static str] = &["registrants", "dashboard"];
    type Response = Registrant;
    fn run(self, ctx: &Context<'_>, session: &Session) -> br_core::Result<Registrant> {
        service::update(registry(ctx).store(), session, &self.key, self.fields, self.expected_version)
    }
}

#[derive(Debug, Clone, Deserialize, TS)]
pub struct DisableRegistrantRequest {
    pub key: RegistrantKey,
    pub reason: String,
}
impl Operation for DisableRegistrantRequest {
    const NAME: &'static str = "registrants.disable";
    const CHANGES: &'static [&'static str] = &["registrants", "dashboard"];
    type Response = Registrant;
    fn run(self, ctx: &Context<'_>, session: &Session) -> br_core::Result<Registrant> {
        service::disable(registry(ctx).store(), session, &self.key, &self.reason)
    }
}

#[derive(Debug, Clone, Deserialize, TS)]
pub struct AddMemberRequest {
    pub group: RegistrantKey,
    pub member: RegistrantKey,
    pub kind: String,
}
impl Operation for AddMemberRequest {
    const NAME: &'static str = "memberships.add";
    const CHANGES: &'static [&'static str] = &["registrants"];
    type Response = Done;
    fn run(self, ctx: &Context<'_>, session: &Session) -> br_core::Result<Done> {
        service::add_member(registry(ctx).store(), session, &self.group, &self.member, &self.kind).map(|_| DONE)
    }
}

#[derive(Debug, Clone, Deserialize, TS)]
pub struct GetListRequest {
    pub list: ListName,
}
#[derive(Debug, Clone, Serialize, TS)]
pub struct ListItems {
    pub items: Vec<ListItem>,
}
impl Operation for GetListRequest {
    const NAME: &'static str = "lists.get";
    type Response = ListItems;
    fn run(self, ctx: &Context<'_>, session: &Session) -> br_core::Result<ListItems> {
        service::list_items(registry(ctx).store(), session, self.list).map(|items| ListItems { items })
    }
}

#[derive(Debug, Clone, Deserialize, TS)]
pub struct UpsertListItemRequest {
    pub list: ListName,
    pub item: ListItem,
}
impl Operation for UpsertListItemRequest {
    const NAME: &'static str = "lists.upsert";
    const CHANGES: &'static [&'static str] = &["lists"];
    type Response = Done;
    fn run(self, ctx: &Context<'_>, session: &Session) -> br_core::Result<Done> {
        service::upsert_list_item(registry(ctx).store(), session, self.list, self.item).map(|_| DONE)
    }
}

#[derive(Debug, Clone, Default, Deserialize, TS)]
pub struct ListCustomFieldsRequest {}
#[derive(Debug, Clone, Serialize, TS)]
pub struct CustomFields {
    pub fields: Vec<CustomField>,
}
impl Operation for ListCustomFieldsRequest {
    const NAME: &'static str = "custom_fields.list";
    type Response = CustomFields;
    fn run(self, ctx: &Context<'_>, session: &Session) -> br_core::Result<CustomFields> {
        service::list_custom_fields(registry(ctx).store(), session).map(|fields| CustomFields { fields })
    }
}

#[derive(Debug, Clone, Deserialize, TS)]
pub struct DefineCustomFieldRequest {
    pub field: CustomField,
}
impl Operation for DefineCustomFieldRequest {
    const NAME: &'static str = "custom_fields.define";
    const CHANGES: &'static [&'static str] = &["custom_fields"];
    type Response = Done;
    fn run(self, ctx: &Context<'_>, session: &Session) -> br_core::Result<Done> {
        service::define_custom_field(registry(ctx).store(), session, self.field).map(|_| DONE)
    }
}

#[derive(Debug, Clone, Default, Deserialize, TS)]
pub struct ListUsersRequest {}
#[derive(Debug, Clone, Serialize, TS)]
pub struct Users {
    pub users: Vec<User>,
}
impl Operation for ListUsersRequest {
    const NAME: &'static str = "users.list";
    type Response = Users;
    fn run(self, ctx: &Context<'_>, session: &Session) -> br_core::Result<Users> {
        br_core::auth::list_users(registry(ctx).store(), session).map(|users| Users { users })
    }
}

#[derive(Debug, Clone, Deserialize, TS)]
pub struct AddUserRequest {
    pub username: String,
    pub display_name: String,
    pub role: Role,
    #[ts(type = "string")]
    pub password: Secret,
}
impl Operation for AddUserRequest {
    const NAME: &'static str = "users.add";
    const CHANGES: &'static [&'static str] = &["users"];
    type Response = User;
    fn run(self, ctx: &Context<'_>, session: &Session) -> br_core::Result<User> {
        br_core::auth::add_user(
            registry(ctx).store(),
            session,
            &self.username,
            &self.display_name,
            self.role,
            &self.password,
        )
    }
}

#[derive(Debug, Clone, Deserialize, TS)]
pub struct UpdateUserRequest {
    pub username: String,
    pub change: br_core::auth::UserChange,
}
impl Operation for UpdateUserRequest {
    const NAME: &'static str = "users.update";
    const CHANGES: &'static [&'static str] = &["users"];
    type Response = User;
    fn run(self, ctx: &Context<'_>, session: &Session) -> br_core::Result<User> {
        br_core::auth::update_user(registry(ctx).store(), session, &self.username, &self.change)
    }
}

#[derive(Debug, Clone, Deserialize, TS)]
pub struct ImportRequest {
    /// The CSV file.
    #[serde(flatten)]
    pub file: InputFile,
    #[serde(default)]
    pub options: ImportOptions,
}
impl Operation for ImportRequest {
    const NAME: &'static str = "import.run";
    const CHANGES: &'static [&'static str] = &["registrants", "dashboard", "imports"];
    const LONG_RUNNING: bool = true;
    type Response = Delivered<ImportSummary>;
    fn run(self, ctx: &Context<'_>, session: &Session) -> br_core::Result<Delivered<ImportSummary>> {
        let path = ctx.files.input(&self.file)?;
        let mut options = self.options;
        // An uploaded file's rejects come back as a download; a rejects path would name a server file.
        let rejects_download = matches!(self.file, InputFile::Upload { .. });
        if rejects_download {
            if options.rejects_path.is_some() {
                return Err(br_core::CoreError::InvalidInput("an upload's rejects come back as a download".into()));
            }
            let name = br_core::io::rejects::default_rejects_path(&path);
            let name = name.file_name().map(|n| n.to_string_lossy().into_owned()).unwrap_or_default();
            options.rejects_path = Some(ctx.files.output(&DOWNLOAD, &name)?.0.display().to_string());
        }
        let hold = crate::hold::HoldAfterBatch::from_env();
        let emit = |p: &br_core::io::import::ImportProgress| {
            (ctx.progress)(crate::Progress::Import(p.clone()));
            hold.wait(p);
        };
        let mut result =
            br_core::io::import::import_file(registry(ctx).store(), session, &path, &options, &emit, ctx.cancel)?;
        let mut downloads = Vec::new();
        if let (true, Some(rejects)) = (rejects_download, result.rejects_file.take()) {
            let download = ctx.files.deliver(&DOWNLOAD, std::path::Path::new(&rejects))?;
            result.rejects_file = download.as_ref().map(|d| d.name.clone());
            downloads.extend(download);
        }
        Ok(Delivered { result, downloads })
    }
}

/// An output asked for as a download.
const DOWNLOAD: OutputFile = OutputFile::Download { download: true };

#[derive(Debug, Clone, Deserialize, TS)]
pub struct ExportRequest {
    #[serde(flatten)]
    pub to: OutputFile,
    #[serde(default)]
    pub options: ExportOptions,
}
impl Operation for ExportRequest {
    const NAME: &'static str = "export.run";
    type Response = Delivered<ExportSummary>;
    fn run(self, ctx: &Context<'_>, session: &Session) -> br_core::Result<Delivered<ExportSummary>> {
        let (path, overwrite) = ctx.files.output(&self.to, "registrants.csv")?;
        let result = br_core::io::export::export_csv(registry(ctx).store(), session, &path, overwrite, &self.options)?;
        let downloads = ctx.files.deliver(&self.to, &path)?.into_iter().collect();
        Ok(Delivered { result, downloads })
    }
}

#[derive(Debug, Clone, Default, Deserialize, TS)]
pub struct AuditVerifyRequest {}
impl Operation for AuditVerifyRequest {
    const NAME: &'static str = "audit.verify";
    type Response = AuditVerifyReport;
    fn run(self, ctx: &Context<'_>, session: &Session) -> br_core::Result<AuditVerifyReport> {
        br_core::auth::require(registry(ctx).store(), session, br_core::auth::Permission::AuditRead, "audit.verify")?;
        br_core::audit::verify(registry(ctx).store())
    }
}

#[derive(Debug, Clone, Default, Deserialize, TS)]
pub struct AuditHeadRequest {}
impl Operation for AuditHeadRequest {
    const NAME: &'static str = "audit.head";
    type Response = br_core::audit_anchor::SignedHead;
    fn run(self, ctx: &Context<'_>, session: &Session) -> br_core::Result<br_core::audit_anchor::SignedHead> {
        br_core::audit_anchor::head(registry(ctx).store(), session)
    }
}

#[derive(Debug, Clone, Deserialize, TS)]
pub struct AuditVerifyAnchorRequest {
    /// A head taken earlier: from `audit.head`, or the `audit_head` of a backup's manifest.
    pub anchor: br_core::audit_anchor::SignedHead,
}
impl Operation for AuditVerifyAnchorRequest {
    const NAME: &'static str = "audit.verify_anchor";
    type Response = br_core::audit_anchor::AnchorReport;
    fn run(self, ctx: &Context<'_>, session: &Session) -> br_core::Result<br_core::audit_anchor::AnchorReport> {
        br_core::audit_anchor::verify_against(registry(ctx).store(), session, &self.anchor)
    }
}

#[derive(Debug, Clone, Default, Deserialize, TS)]
pub struct RegistryCheckRequest {}
impl Operation for RegistryCheckRequest {
    const NAME: &'static str = "registry.check";
    type Response = br_core::check::CheckReport;
    fn run(self, ctx: &Context<'_>, session: &Session) -> br_core::Result<br_core::check::CheckReport> {
        br_core::check::run(registry(ctx).store(), session)
    }
}

#[derive(Debug, Clone, Deserialize, TS)]
pub struct BackupRequest {
    /// A folder that does not exist yet; the backup is written into it.
    pub destination: String,
}
impl Operation for BackupRequest {
    const NAME: &'static str = "backup.create";
    type Response = BackupSummary;
    fn run(self, ctx: &Context<'_>, session: &Session) -> br_core::Result<BackupSummary> {
        backup::create(registry(ctx), session, &ctx.files.folder(&self.destination)?)
    }
}

impl Operation for br_core::audit::AuditQuery {
    const NAME: &'static str = "audit.list";
    type Response = br_core::audit::AuditPage;
    fn run(self, ctx: &Context<'_>, session: &Session) -> br_core::Result<br_core::audit::AuditPage> {
        br_core::audit_query::list(registry(ctx).store(), session, &self)
    }
}

#[derive(Debug, Clone, Default, Deserialize, TS)]
pub struct DashboardRequest {}
impl Operation for DashboardRequest {
    const NAME: &'static str = "dashboard.stats";
    type Response = br_core::dashboard::DashboardStats;
    fn run(self, ctx: &Context<'_>, session: &Session) -> br_core::Result<br_core::dashboard::DashboardStats> {
        br_core::dashboard::stats(registry(ctx).store(), session)
    }
}

/// What waits for the person signed in (the home page's list).
#[derive(Debug, Clone, Default, Deserialize, TS)]
pub struct WorkQueueRequest {}
impl Operation for WorkQueueRequest {
    const NAME: &'static str = "work.queue";
    type Response = br_core::work::WorkQueue;
    fn run(self, ctx: &Context<'_>, session: &Session) -> br_core::Result<br_core::work::WorkQueue> {
        br_core::work::queue(registry(ctx).store(), session)
    }
}

#[derive(Debug, Clone, Deserialize, TS)]
pub struct ImportPreviewRequest {
    #[serde(flatten)]
    pub file: InputFile,
    #[serde(flatten)]
    pub options: PreviewOptions,
}
impl Operation for ImportPreviewRequest {
    const NAME: &'static str = "import.preview";
    type Response = ImportPreview;
    fn run(self, ctx: &Context<'_>, session: &Session) -> br_core::Result<ImportPreview> {
        preview_file(registry(ctx).store(), session, &ctx.files.input(&self.file)?, &self.options)
    }
}

#[derive(Debug, Clone, Default, Deserialize, TS)]
pub struct ListMappingsRequest {}
#[derive(Debug, Clone, Serialize, TS)]
pub struct SavedMappings {
    pub mappings: Vec<SavedMapping>,
}
impl Operation for ListMappingsRequest {
    const NAME: &'static str = "import.mappings";
    type Response = SavedMappings;
    fn run(self, ctx: &Context<'_>, session: &Session) -> br_core::Result<SavedMappings> {
        Ok(SavedMappings { mappings: mapping::list_saved(registry(ctx).store(), session)? })
    }
}

impl Operation for SavedMapping {
    const NAME: &'static str = "import.mapping_save";
    const CHANGES: &'static [&'static str] = &["mappings"];
    type Response = Done;
    fn run(self, ctx: &Context<'_>, session: &Session) -> br_core::Result<Done> {
        mapping::save(registry(ctx).store(), session, &self)?;
        Ok(DONE)
    }
}

// Programs, enrolment and deduplication.

#[derive(Debug, Clone, Default, Deserialize, TS)]
pub struct ListProgramsRequest {
    #[serde(default)]
    pub include_archived: bool,
}
impl Operation for ListProgramsRequest {
    const NAME: &'static str = "programs.list";
    type Response = Vec<ProgramSummary>;
    fn run(self, ctx: &Context<'_>, session: &Session) -> br_core::Result<Vec<ProgramSummary>> {
        programs::list(registry(ctx).store(), session, self.include_archived)
    }
}

#[derive(Debug, Clone, Deserialize, TS)]
pub struct GetProgramRequest {
    pub program: ProgramKey,
}
impl Operation for GetProgramRequest {
    const NAME: &'static str = "programs.get";
    type Response = ProgramSummary;
    fn run(self, ctx: &Context<'_>, session: &Session) -> br_core::Result<ProgramSummary> {
        programs::get(registry(ctx).store(), session, &self.program)
    }
}

#[derive(Debug, Clone, Deserialize, TS)]
pub struct CreateProgramRequest {
    pub fields: ProgramFields,
}
impl Operation for CreateProgramRequest {
    const NAME: &'static str = "programs.create";
    const CHANGES: &'static [&'static str] = &["programs"];
    type Response = ProgramSummary;
    fn run(self, ctx: &Context<'_>, session: &Session) -> br_core::Result<ProgramSummary> {
        programs::create(registry(ctx).store(), session, self.fields)
    }
}

#[derive(Debug, Clone, Deserialize, TS)]
pub struct UpdateProgramRequest {
    pub program: ProgramKey,
    pub fields: ProgramFields,
}
impl Operation for UpdateProgramRequest {
    const NAME: &'static str = "programs.update";
    const CHANGES: &'static [&'static str] = &["programs"];
    type Response = ProgramSummary;
    fn run(self, ctx: &Context<'_>, session: &Session) -> br_core::Result<ProgramSummary> {
        programs::update(registry(ctx).store(), session, &self.program, self.fields)
    }
}

#[derive(Debug, Clone, Deserialize, TS)]
pub struct SetProgramStateRequest {
    pub program: ProgramKey,
    #[serde(default)]
    #[ts(optional)]
    pub state: Option<ProgramState>,
    /// Archive (true) or bring back (false) instead of changing the state.
    #[serde(default)]
    #[ts(optional)]
    pub archived: Option<bool>,
}
impl Operation for SetProgramStateRequest {
    const NAME: &'static str = "programs.set_state";
    const CHANGES: &'static [&'static str] = &["programs"];
    type Response = ProgramSummary;
    fn run(self, ctx: &Context<'_>, session: &Session) -> br_core::Result<ProgramSummary> {
        let store = registry(ctx).store();
        match (self.state, self.archived) {
            (Some(state), None) => programs::set_state(store, session, &self.program, state),
            (None, Some(archived)) => programs::set_archived(store, session, &self.program, archived),
            _ => Err(br_core::CoreError::InvalidInput("give either a state or archived".into())),
        }
    }
}

#[derive(Debug, Clone, Deserialize, TS)]
pub struct CheckRuleRequest {
    pub rule: String,
    pub kind: RuleKind,
    pub target: RegistrantKind,
}
impl Operation for CheckRuleRequest {
    const NAME: &'static str = "programs.check_rule";
    type Response = RuleCheck;
    fn run(self, ctx: &Context<'_>, session: &Session) -> br_core::Result<RuleCheck> {
        programs::check_rule(registry(ctx).store(), session, &self.rule, self.kind, self.target)
    }
}

impl Operation for PreviewRequest {
    const NAME: &'static str = "programs.preview";
    const LONG_RUNNING: bool = true;
    type Response = Preview;
    fn run(self, ctx: &Context<'_>, session: &Session) -> br_core::Result<Preview> {
        programs::preview(registry(ctx).store(), session, &self, ctx.cancel)
    }
}

#[derive(Debug, Clone, Deserialize, TS)]
pub struct EnrolRequest {
    pub program: ProgramKey,
    /// These registrants; everyone eligible when absent.
    #[serde(default)]
    #[ts(optional)]
    pub registrants: Option<Vec<RegistrantKey>>,
}
impl Operation for EnrolRequest {
    const NAME: &'static str = "programs.enrol";
    const CHANGES: &'static [&'static str] = &["programs", "memberships", "registrants"];
    const LONG_RUNNING: bool = true;
    type Response = EnrolmentSummary;
    fn run(self, ctx: &Context<'_>, session: &Session) -> br_core::Result<EnrolmentSummary> {
        let store = registry(ctx).store();
        match &self.registrants {
            Some(keys) => membership::enrol_selected(store, session, &self.program, keys),
            None => {
                let emit = |p: &membership::EnrolmentProgress| (ctx.progress)(crate::Progress::Enrolment(p.clone()));
                membership::enrol_eligible(store, session, &self.program, &emit, ctx.cancel)
            }
        }
    }
}

#[derive(Debug, Clone, Deserialize, TS)]
pub struct VerifyMembersRequest {
    pub program: ProgramKey,
}
impl Operation for VerifyMembersRequest {
    const NAME: &'static str = "programs.verify";
    const CHANGES: &'static [&'static str] = &["programs", "memberships", "registrants"];
    const LONG_RUNNING: bool = true;
    type Response = EnrolmentSummary;
    fn run(self, ctx: &Context<'_>, session: &Session) -> br_core::Result<EnrolmentSummary> {
        let emit = |p: &membership::EnrolmentProgress| (ctx.progress)(crate::Progress::Enrolment(p.clone()));
        membership::verify(registry(ctx).store(), session, &self.program, &emit, ctx.cancel)
    }
}

#[derive(Debug, Clone, Deserialize, TS)]
pub struct ChangeMembersRequest {
    pub program: ProgramKey,
    pub registrants: Vec<RegistrantKey>,
    pub action: MemberAction,
    #[serde(default)]
    #[ts(optional)]
    pub reason: Option<String>,
    /// The exit date (YYYY-MM-DD); today when absent.
    #[serde(default)]
    #[ts(optional)]
    pub date: Option<String>,
}
impl Operation for ChangeMembersRequest {
    const NAME: &'static str = "programs.change_members";
    const CHANGES: &'static [&'static str] = &["programs", "memberships", "registrants"];
    type Response = u64;
    fn run(self, ctx: &Context<'_>, session: &Session) -> br_core::Result<u64> {
        membership::change_members(
            registry(ctx).store(),
            session,
            &self.program,
            &self.registrants,
            self.action,
            self.reason.as_deref(),
            self.date.as_deref(),
        )
    }
}

impl Operation for MembersQuery {
    const NAME: &'static str = "programs.members";
    type Response = MembersPage;
    fn run(self, ctx: &Context<'_>, session: &Session) -> br_core::Result<MembersPage> {
        membership::members(registry(ctx).store(), session, &self)
    }
}

#[derive(Debug, Clone, Deserialize, TS)]
pub struct RegistrantProgramsRequest {
    pub key: RegistrantKey,
}
impl Operation for RegistrantProgramsRequest {
    const NAME: &'static str = "registrants.programs";
    type Response = Vec<ProgramMembership>;
    fn run(self, ctx: &Context<'_>, session: &Session) -> br_core::Result<Vec<ProgramMembership>> {
        membership::of_registrant(registry(ctx).store(), session, &self.key)
    }
}

impl Operation for DedupRequest {
    const NAME: &'static str = "dedup.run";
    const CHANGES: &'static [&'static str] = &["duplicates", "programs", "memberships", "registrants"];
    const LONG_RUNNING: bool = true;
    type Response = DedupSummary;
    fn run(self, ctx: &Context<'_>, session: &Session) -> br_core::Result<DedupSummary> {
        dedup::run(registry(ctx).store(), session, &self, ctx.cancel)
    }
}

impl Operation for DuplicateQueueQuery {
    const NAME: &'static str = "dedup.queue";
    type Response = DuplicateQueue;
    fn run(self, ctx: &Context<'_>, session: &Session) -> br_core::Result<DuplicateQueue> {
        dedup::queue(registry(ctx).store(), session, &self)
    }
}

#[derive(Debug, Clone, Deserialize, TS)]
pub struct DecideDuplicatesRequest {
    pub group: uuid::Uuid,
    pub decision: Decision,
    #[serde(default)]
    #[ts(optional)]
    pub comment: Option<String>,
}
impl Operation for DecideDuplicatesRequest {
    const NAME: &'static str = "dedup.decide";
    const CHANGES: &'static [&'static str] = &["duplicates", "programs", "memberships", "registrants"];
    type Response = DuplicateGroup;
    fn run(self, ctx: &Context<'_>, session: &Session) -> br_core::Result<DuplicateGroup> {
        dedup::decide(registry(ctx).store(), session, self.group, self.decision, self.comment.as_deref())
    }
}

#[derive(Debug, Clone, Deserialize, TS)]
pub struct MergeDuplicatesRequest {
    pub group: uuid::Uuid,
    /// The record that stays.
    pub keep: RegistrantKey,
}
impl Operation for MergeDuplicatesRequest {
    const NAME: &'static str = "dedup.merge";
    const CHANGES: &'static [&'static str] = &["duplicates", "programs", "memberships", "registrants", "dashboard"];
    type Response = MergeSummary;
    fn run(self, ctx: &Context<'_>, session: &Session) -> br_core::Result<MergeSummary> {
        merge::merge(registry(ctx).store(), session, self.group, &self.keep)
    }
}

/// What a merge would move, for the confirmation before it; changes nothing.
#[derive(Debug, Clone, Deserialize, TS)]
pub struct MergePreviewRequest {
    pub group: uuid::Uuid,
    pub keep: RegistrantKey,
}
impl Operation for MergePreviewRequest {
    const NAME: &'static str = "dedup.merge_preview";
    type Response = MergeSummary;
    fn run(self, ctx: &Context<'_>, session: &Session) -> br_core::Result<MergeSummary> {
        merge::merge_preview(registry(ctx).store(), session, self.group, &self.keep)
    }
}

#[derive(Debug, Clone, Deserialize, TS)]
pub struct DedupQualityRequest {
    /// Known duplicate pairs (external ids; an optional third column names the kind), such as the truth
    /// file `br gen` writes beside the registrants file.
    #[serde(flatten)]
    pub truth: InputFile,
    /// Known look-alikes that must stay apart (external ids and a kind): reported by kind.
    #[serde(default)]
    #[ts(optional)]
    pub lookalikes: Option<InputFile>,
}
impl Operation for DedupQualityRequest {
    const NAME: &'static str = "dedup.quality";
    type Response = DedupQuality;
    fn run(self, ctx: &Context<'_>, session: &Session) -> br_core::Result<DedupQuality> {
        br_core::auth::require(
            registry(ctx).store(),
            session,
            br_core::auth::Permission::DuplicatesManage,
            "dedup.quality",
        )?;
        let lookalikes = match &self.lookalikes {
            Some(f) => Some(ctx.files.input(f)?),
            None => None,
        };
        br_core::dedup::quality::quality(registry(ctx).store(), &ctx.files.input(&self.truth)?, lookalikes.as_deref())
    }
}

#[derive(Debug, Clone, Deserialize, TS)]
pub struct DedupThresholdsRequest {}
impl Operation for DedupThresholdsRequest {
    const NAME: &'static str = "dedup.thresholds";
    type Response = DedupThresholds;
    fn run(self, ctx: &Context<'_>, session: &Session) -> br_core::Result<DedupThresholds> {
        br_core::dedup::thresholds::get(registry(ctx).store(), session)
    }
}

#[derive(Debug, Clone, Deserialize, TS)]
pub struct SetDedupThresholdsRequest {
    #[serde(flatten)]
    pub thresholds: DedupThresholds,
}
impl Operation for SetDedupThresholdsRequest {
    const NAME: &'static str = "dedup.set_thresholds";
    type Response = DedupThresholds;
    fn run(self, ctx: &Context<'_>, session: &Session) -> br_core::Result<DedupThresholds> {
        br_core::dedup::thresholds::set(registry(ctx).store(), session, self.thresholds)
    }
}

#[derive(Debug, Clone, Deserialize, TS)]
pub struct SetDisbursementRequest {
    pub program: ProgramKey,
    pub settings: DisbursementSettings,
}
impl Operation for SetDisbursementRequest {
    const NAME: &'static str = "programs.set_disbursement";
    const CHANGES: &'static [&'static str] = &["programs"];
    type Response = ProgramSummary;
    fn run(self, ctx: &Context<'_>, session: &Session) -> br_core::Result<ProgramSummary> {
        disbursement::settings::set(registry(ctx).store(), session, &self.program, self.settings)
    }
}

impl Operation for br_core::disbursement::amount_preview::AmountPreviewRequest {
    const NAME: &'static str = "cycles.amount_preview";
    const LONG_RUNNING: bool = true;
    type Response = br_core::disbursement::amount_preview::AmountPreview;
    fn run(self, ctx: &Context<'_>, session: &Session) -> br_core::Result<Self::Response> {
        br_core::disbursement::amount_preview::preview(registry(ctx).store(), session, &self, ctx.cancel)
    }
}

#[derive(Debug, Clone, Deserialize, TS)]
pub struct ListCyclesRequest {
    pub program: ProgramKey,
}
impl Operation for ListCyclesRequest {
    const NAME: &'static str = "cycles.list";
    type Response = Vec<Cycle>;
    fn run(self, ctx: &Context<'_>, session: &Session) -> br_core::Result<Vec<Cycle>> {
        cycle::list(registry(ctx).store(), session, &self.program)
    }
}

impl Operation for CreateCycle {
    const NAME: &'static str = "cycles.create";
    const CHANGES: &'static [&'static str] = &["cycles"];
    type Response = CycleCreated;
    fn run(self, ctx: &Context<'_>, session: &Session) -> br_core::Result<CycleCreated> {
        cycle::create_next(registry(ctx).store(), session, &self)
    }
}

#[derive(Debug, Clone, Deserialize, TS)]
pub struct GetCycleRequest {
    pub cycle: Uuid,
}
impl Operation for GetCycleRequest {
    const NAME: &'static str = "cycles.get";
    type Response = CycleSummary;
    fn run(self, ctx: &Context<'_>, session: &Session) -> br_core::Result<CycleSummary> {
        disbursement::status::summary(registry(ctx).store(), session, self.cycle)
    }
}

#[derive(Debug, Clone, Deserialize, TS)]
pub struct RecheckCycleRequest {
    pub cycle: Uuid,
}
impl Operation for RecheckCycleRequest {
    const NAME: &'static str = "cycles.recheck";
    const CHANGES: &'static [&'static str] = &["cycles", "entitlements"];
    const LONG_RUNNING: bool = true;
    type Response = RecheckSummary;
    fn run(self, ctx: &Context<'_>, session: &Session) -> br_core::Result<RecheckSummary> {
        cycle::recheck(registry(ctx).store(), session, self.cycle, ctx.cancel)
    }
}

#[derive(Debug, Clone, Deserialize, TS)]
pub struct DeleteCycleRequest {
    pub cycle: Uuid,
}
impl Operation for DeleteCycleRequest {
    const NAME: &'static str = "cycles.delete";
    const CHANGES: &'static [&'static str] = &["cycles", "entitlements"];
    type Response = Done;
    fn run(self, ctx: &Context<'_>, session: &Session) -> br_core::Result<Done> {
        cycle::delete(registry(ctx).store(), session, self.cycle).map(|_| DONE)
    }
}

#[derive(Debug, Clone, Deserialize, TS)]
pub struct GenerateEntitlementsRequest {
    pub cycle: Uuid,
}
impl Operation for GenerateEntitlementsRequest {
    const NAME: &'static str = "cycles.generate";
    const CHANGES: &'static [&'static str] = &["cycles", "entitlements"];
    const LONG_RUNNING: bool = true;
    type Response = GenerationSummary;
    fn run(self, ctx: &Context<'_>, session: &Session) -> br_core::Result<GenerationSummary> {
        let emit = |p: &GenerationProgress| (ctx.progress)(crate::Progress::Generation(p.clone()));
        entitlement::generate(registry(ctx).store(), session, self.cycle, &emit, ctx.cancel)
    }
}

#[derive(Debug, Clone, Deserialize, TS)]
pub struct CycleActionRequest {
    pub cycle: Uuid,
    pub action: CycleAction,
    #[serde(default)]
    #[ts(optional)]
    pub comment: Option<String>,
}
impl Operation for CycleActionRequest {
    const NAME: &'static str = "cycles.act";
    const CHANGES: &'static [&'static str] = &["cycles", "entitlements"];
    type Response = WorkflowSummary;
    fn run(self, ctx: &Context<'_>, session: &Session) -> br_core::Result<WorkflowSummary> {
        approval::act(registry(ctx).store(), session, self.cycle, self.action, self.comment.as_deref())
    }
}

impl Operation for Decide {
    const NAME: &'static str = "cycles.decide";
    const CHANGES: &'static [&'static str] = &["cycles", "entitlements", "funds"];
    type Response = WorkflowSummary;
    fn run(self, ctx: &Context<'_>, session: &Session) -> br_core::Result<WorkflowSummary> {
        approval::decide(registry(ctx).store(), session, &self)
    }
}

impl Operation for EntitlementsQuery {
    const NAME: &'static str = "cycles.entitlements";
    type Response = EntitlementsPage;
    fn run(self, ctx: &Context<'_>, session: &Session) -> br_core::Result<EntitlementsPage> {
        entitlement::list(registry(ctx).store(), session, &self)
    }
}

impl Operation for EditEntitlement {
    const NAME: &'static str = "entitlements.edit";
    const CHANGES: &'static [&'static str] = &["cycles", "entitlements"];
    type Response = EntitlementView;
    fn run(self, ctx: &Context<'_>, session: &Session) -> br_core::Result<EntitlementView> {
        entitlement::edit(registry(ctx).store(), session, &self)
    }
}

#[derive(Debug, Clone, Deserialize, TS)]
pub struct RegistrantEntitlementsRequest {
    pub key: RegistrantKey,
}
impl Operation for RegistrantEntitlementsRequest {
    const NAME: &'static str = "registrants.entitlements";
    type Response = Vec<EntitlementView>;
    fn run(self, ctx: &Context<'_>, session: &Session) -> br_core::Result<Vec<EntitlementView>> {
        entitlement::of_registrant(registry(ctx).store(), session, &self.key)
    }
}

#[derive(Debug, Clone, Deserialize, TS)]
pub struct RegistrantPaymentsRequest {
    pub key: RegistrantKey,
    #[serde(default)]
    pub reveal: bool,
}
impl Operation for RegistrantPaymentsRequest {
    const NAME: &'static str = "registrants.payments";
    type Response = Vec<PaymentView>;
    fn run(self, ctx: &Context<'_>, session: &Session) -> br_core::Result<Vec<PaymentView>> {
        payment::of_registrant(registry(ctx).store(), session, &self.key, self.reveal)
    }
}

#[derive(Debug, Clone, Deserialize, TS)]
pub struct FundBalanceRequest {
    pub program: ProgramKey,
}
impl Operation for FundBalanceRequest {
    const NAME: &'static str = "funds.balance";
    type Response = FundBalance;
    fn run(self, ctx: &Context<'_>, session: &Session) -> br_core::Result<FundBalance> {
        funds::balance(registry(ctx).store(), session, &self.program)
    }
}

impl Operation for AddFund {
    const NAME: &'static str = "funds.add";
    const CHANGES: &'static [&'static str] = &["funds", "cycles"];
    type Response = FundBalance;
    fn run(self, ctx: &Context<'_>, session: &Session) -> br_core::Result<FundBalance> {
        funds::add(registry(ctx).store(), session, &self)
    }
}

#[derive(Debug, Clone, Deserialize, TS)]
pub struct SetFundStateRequest {
    pub fund: Uuid,
    pub state: FundState,
}
impl Operation for SetFundStateRequest {
    const NAME: &'static str = "funds.set_state";
    const CHANGES: &'static [&'static str] = &["funds", "cycles"];
    type Response = FundBalance;
    fn run(self, ctx: &Context<'_>, session: &Session) -> br_core::Result<FundBalance> {
        funds::set_state(registry(ctx).store(), session, self.fund, self.state)
    }
}

impl Operation for PreparePayments {
    const NAME: &'static str = "payments.prepare";
    const CHANGES: &'static [&'static str] = &["cycles", "entitlements", "payments"];
    type Response = PrepareSummary;
    fn run(self, ctx: &Context<'_>, session: &Session) -> br_core::Result<PrepareSummary> {
        let emit = |p: &PaymentProgress| (ctx.progress)(crate::Progress::Payment(p.clone()));
        payment::prepare(registry(ctx).store(), session, &self, &emit)
    }
}

#[derive(Debug, Clone, Deserialize, TS)]
pub struct ExportPaymentFileRequest {
    pub batch: Uuid,
    /// The payment file; its summary goes beside it as NAME.summary.csv (a second download).
    #[serde(flatten)]
    pub to: OutputFile,
}
impl Operation for ExportPaymentFileRequest {
    const NAME: &'static str = "payments.export";
    type Response = Delivered<PaymentFile>;
    fn run(self, ctx: &Context<'_>, session: &Session) -> br_core::Result<Delivered<PaymentFile>> {
        let (path, overwrite) = ctx.files.output(&self.to, &format!("payments-{}.csv", self.batch))?;
        let result = payment::export_file(registry(ctx).store(), session, self.batch, &path, overwrite)?;
        let mut downloads: Vec<Download> = ctx.files.deliver(&self.to, &path)?.into_iter().collect();
        downloads.extend(ctx.files.deliver(&self.to, std::path::Path::new(&result.summary_path))?);
        Ok(Delivered { result, downloads })
    }
}

#[derive(Debug, Clone, Deserialize, TS)]
pub struct MarkBatchSentRequest {
    pub batch: Uuid,
}
impl Operation for MarkBatchSentRequest {
    const NAME: &'static str = "payments.mark_sent";
    const CHANGES: &'static [&'static str] = &["cycles", "payments"];
    type Response = PaymentBatch;
    fn run(self, ctx: &Context<'_>, session: &Session) -> br_core::Result<PaymentBatch> {
        payment::mark_sent(registry(ctx).store(), session, self.batch)
    }
}

#[derive(Debug, Clone, Deserialize, TS)]
pub struct ReconcileRequest {
    /// The provider's report.
    #[serde(flatten)]
    pub file: InputFile,
}
impl Operation for ReconcileRequest {
    const NAME: &'static str = "payments.reconcile";
    const CHANGES: &'static [&'static str] = &["cycles", "entitlements", "payments"];
    const LONG_RUNNING: bool = true;
    type Response = ReconcileSummary;
    fn run(self, ctx: &Context<'_>, session: &Session) -> br_core::Result<ReconcileSummary> {
        let emit = |p: &PaymentProgress| (ctx.progress)(crate::Progress::Payment(p.clone()));
        payment::reconcile(registry(ctx).store(), session, &ctx.files.input(&self.file)?, &emit, ctx.cancel)
    }
}

#[derive(Debug, Clone, Deserialize, TS)]
pub struct ExportEntitlementsRequest {
    pub cycle: Uuid,
    /// Add the beneficiary's name and financial address unmasked (needs the permission; audited).
    #[serde(default)]
    pub include_personal: bool,
    #[serde(flatten)]
    pub to: OutputFile,
}
impl Operation for ExportEntitlementsRequest {
    const NAME: &'static str = "entitlements.export";
    type Response = Delivered<EntitlementsExport>;
    fn run(self, ctx: &Context<'_>, session: &Session) -> br_core::Result<Delivered<EntitlementsExport>> {
        let (path, overwrite) = ctx.files.output(&self.to, &format!("entitlements-{}.csv", self.cycle))?;
        let req = ExportEntitlements {
            cycle: self.cycle,
            path: path.display().to_string(),
            include_personal: self.include_personal,
            overwrite,
        };
        let result = disbursement::status::export_approved(registry(ctx).store(), session, &req)?;
        let downloads = ctx.files.deliver(&self.to, &path)?.into_iter().collect();
        Ok(Delivered { result, downloads })
    }
}
