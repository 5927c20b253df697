//! The typed API of the Beneficiary Registry. Every transport (the desktop shell, `br`, `br serve`) calls
//! `dispatch` (by name, with JSON) or `call` (typed); both go through the same `Operation::run`.

pub mod app;
pub mod change_log;
mod error;
pub mod files;
mod hold;
pub mod households;
pub mod ops;
pub mod sync;
mod throttle;
pub mod typescript;

use std::sync::atomic::AtomicBool;

use br_core::auth::Session;
use br_core::secret::Secret;
use br_core::store::keys::Unlock;
use br_core::{CreateRegistry, Registry};
use serde::Serialize;
use ts_rs::TS;

pub use error::{ApiError, ErrorCode};
use ops::Operation;

/// Locks one of the app's in-memory tables (sessions, back-off counts, uploads). Each is changed a whole
/// entry at a time, so a panic elsewhere while it was held cannot leave it half-changed: the lock is taken
/// back rather than failing every later request.
pub(crate) fn lock<T>(m: &std::sync::Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    m.lock().unwrap_or_else(|poisoned| poisoned.into_inner())
}

/// Progress of long work, streamed to the UI as events.
#[derive(Debug, Clone, Serialize, TS)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum Progress {
    Import(br_core::io::import::ImportProgress),
    Enrolment(br_core::program::membership::EnrolmentProgress),
    Generation(br_core::disbursement::entitlement::GenerationProgress),
    Payment(br_core::disbursement::payment::PaymentProgress),
    Replay(br_core::replay::ReplayProgress),
    Sync(br_core::sync::SyncProgress),
}

/// What an operation runs against: the open registry, the files it may reach, a progress sink and a
/// cancel flag.
pub struct Context<'a> {
    pub registry: &'a Registry,
    pub files: &'a dyn files::FileAccess,
    pub progress: &'a (dyn Fn(Progress) + Sync),
    pub cancel: &'a AtomicBool,
}

/// Runs one operation, typed.
pub fn call<O: Operation>(ctx: &Context<'_>, session: &Session, request: O) -> Result<O::Response, ApiError> {
    let span = tracing::info_span!("command", name = O::NAME, user = session.username());
    let _guard = span.enter();
    request.run(ctx, session).map_err(|e| {
        tracing::warn!(code = e.code().as_str(), "command failed");
        ApiError::from(e)
    })
}

fn call_json<O: Operation>(
    ctx: &Context<'_>,
    session: &Session,
    payload: serde_json::Value,
) -> Result<serde_json::Value, ApiError> {
    let request: O = serde_json::from_value(payload)
        .map_err(|e| ApiError::invalid(format!("invalid request for {}: {e}", O::NAME)))?;
    let response = call(ctx, session, request)?;
    serde_json::to_value(response).map_err(|e| ApiError {
        code: ErrorCode::Internal,
        message: e.to_string(),
        details: None,
    })
}

/// Declares every operation once: the dispatcher's table and the TypeScript operation map come from it.
macro_rules! operations {
    ($($op:ty),* $(,)?) => {
        /// Runs the operation named `command` with a JSON request.
        pub fn dispatch(ctx: &Context<'_>, session: &Session, command: &str, payload: serde_json::Value) -> Result<serde_json::Value, ApiError> {
            $(if command == <$op as Operation>::NAME { return call_json::<$op>(ctx, session, payload); })*
            Err(ApiError::invalid(format!("unknown command {command:?}")))
        }

        /// Every operation's wire name, in declaration order.
        pub fn operation_names() -> Vec<&'static str> {
            vec![$(<$op as Operation>::NAME),*]
        }

        /// Whether `command` is long work that a cancel request applies to.
        pub fn is_long_running(command: &str) -> bool {
            $(if command == <$op as Operation>::NAME { return <$op as Operation>::LONG_RUNNING; })*
            false
        }

        /// The data sets `command` changes when it succeeds (see `Operation::CHANGES`).
        pub fn changes_of(command: &str) -> &'static [&'static str] {
            $(if command == <$op as Operation>::NAME { return <$op as Operation>::CHANGES; })*
            &[]
        }

        /// Every operation's name, request type and response type, for the generated TypeScript.
        pub(crate) fn operation_table(v: &mut typescript::Collector) {
            $(v.operation::<$op>();)*
        }
    };
}

operations!(
    ops::SessionInfoRequest,
    ops::RegistryInfoRequest,
    br_core::search::SearchRequest,
    ops::GetRegistrantRequest,
    ops::CreateRegistrantRequest,
    ops::UpdateRegistrantRequest,
    ops::DisableRegistrantRequest,
    ops::AddMemberRequest,
    households::RegisterHouseholdRequest,
    households::EndMembershipRequest,
    households::MoveMemberRequest,
    households::SetHeadRequest,
    ops::GetListRequest,
    ops::UpsertListItemRequest,
    ops::ListCustomFieldsRequest,
    ops::DefineCustomFieldRequest,
    ops::ListUsersRequest,
    ops::AddUserRequest,
    ops::UpdateUserRequest,
    ops::ImportRequest,
    ops::ExportRequest,
    ops::AuditVerifyRequest,
    ops::AuditHeadRequest,
    ops::AuditVerifyAnchorRequest,
    ops::RegistryCheckRequest,
    ops::BackupRequest,
    change_log::OutboxExportRequest,
    change_log::OutboxReplayRequest,
    br_core::sync::SyncEnrolRequest,
    sync::SyncRunRequest,
    sync::SyncStatusRequest,
    sync::SyncConflictsRequest,
    sync::SyncResolveRequest,
    sync::SyncRejectionsRequest,
    sync::EngineSendRequest,
    sync::EngineStatusRequest,
    br_core::audit::AuditQuery,
    ops::DashboardRequest,
    ops::WorkQueueRequest,
    br_core::disbursement::amount_preview::AmountPreviewRequest,
    ops::ImportPreviewRequest,
    ops::ListMappingsRequest,
    br_core::io::mapping::SavedMapping,
    ops::ListProgramsRequest,
    ops::GetProgramRequest,
    ops::CreateProgramRequest,
    ops::UpdateProgramRequest,
    ops::SetProgramStateRequest,
    ops::CheckRuleRequest,
    br_core::program::service::PreviewRequest,
    ops::EnrolRequest,
    ops::VerifyMembersRequest,
    ops::ChangeMembersRequest,
    br_core::program::membership::MembersQuery,
    ops::RegistrantProgramsRequest,
    br_core::dedup::review::DedupRequest,
    br_core::dedup::review::DuplicateQueueQuery,
    ops::DecideDuplicatesRequest,
    ops::MergeDuplicatesRequest,
    ops::MergePreviewRequest,
    ops::DedupQualityRequest,
    ops::DedupThresholdsRequest,
    ops::SetDedupThresholdsRequest,
    ops::SetDisbursementRequest,
    ops::ListCyclesRequest,
    br_core::disbursement::cycle::CreateCycle,
    ops::GetCycleRequest,
    ops::RecheckCycleRequest,
    ops::DeleteCycleRequest,
    ops::GenerateEntitlementsRequest,
    ops::CycleActionRequest,
    br_core::disbursement::approval::Decide,
    br_core::disbursement::entitlement::EntitlementsQuery,
    br_core::disbursement::entitlement::EditEntitlement,
    ops::RegistrantEntitlementsRequest,
    ops::RegistrantPaymentsRequest,
    ops::FundBalanceRequest,
    br_core::disbursement::funds::AddFund,
    ops::SetFundStateRequest,
    br_core::disbursement::payment::PreparePayments,
    ops::ExportPaymentFileRequest,
    ops::MarkBatchSentRequest,
    ops::ReconcileRequest,
    ops::ExportEntitlementsRequest,
);

/// Registry lifecycle: the calls a transport makes before it has a session.
pub mod lifecycle {
    use super::*;
    use std::path::Path;

    pub fn create_registry(dir: &Path, req: CreateRegistry) -> Result<(Registry, Session), ApiError> {
        Registry::create(dir, req).map_err(ApiError::from)
    }

    pub fn open_registry(dir: &Path, unlock: &Unlock<'_>) -> Result<Registry, ApiError> {
        Registry::open(dir, unlock).map_err(ApiError::from)
    }

    pub fn login(registry: &Registry, username: &str, password: &Secret) -> Result<Session, ApiError> {
        registry.login(username, password).map_err(ApiError::from)
    }

    pub fn restore_backup(from: &Path, target: &Path, unlock: &Unlock<'_>) -> Result<Registry, ApiError> {
        br_core::backup::restore(from, target, unlock).map_err(ApiError::from)
    }
}
