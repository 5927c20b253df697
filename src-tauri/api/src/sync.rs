//! Sync with a central server (docs/sync.md): enrol this desk, run a sync, see where it stands, and settle
//! what could not be applied. The CA certificate travels as text, never as a path on the serving computer.

use br_core::auth::Session;
use br_core::sync::{SyncConflict, SyncRejection, SyncStatus, SyncSummary};
use br_protocol::disburse::{DisburseAction, DisburseStatus};
use serde::Deserialize;
use ts_rs::TS;
use uuid::Uuid;

use crate::change_log::SYNCED_DATA;
use crate::ops::{registry, Operation};
use crate::{Context, Progress};

impl Operation for br_core::sync::SyncEnrolRequest {
    const NAME: &'static str = "sync.enrol";
    const CHANGES: &'static [&'static str] = &["sync", "registry"];
    type Response = SyncStatus;
    fn run(self, ctx: &Context<'_>, session: &Session) -> br_core::Result<SyncStatus> {
        br_core::sync::enrol(registry(ctx).store(), session, &self)
    }
}

#[derive(Debug, Clone, Deserialize, TS)]
pub struct SyncRunRequest {}
impl Operation for SyncRunRequest {
    const NAME: &'static str = "sync.run";
    const CHANGES: &'static [&'static str] = SYNCED_DATA;
    const LONG_RUNNING: bool = true;
    type Response = SyncSummary;
    fn run(self, ctx: &Context<'_>, session: &Session) -> br_core::Result<SyncSummary> {
        let emit = |p: &br_core::sync::SyncProgress| (ctx.progress)(Progress::Sync(p.clone()));
        br_core::sync::run(registry(ctx).store(), session, &emit, ctx.cancel)
    }
}

#[derive(Debug, Clone, Deserialize, TS)]
pub struct SyncStatusRequest {}
impl Operation for SyncStatusRequest {
    const NAME: &'static str = "sync.status";
    type Response = SyncStatus;
    fn run(self, ctx: &Context<'_>, session: &Session) -> br_core::Result<SyncStatus> {
        br_core::sync::status(registry(ctx).store(), session)
    }
}

#[derive(Debug, Clone, Deserialize, TS)]
pub struct SyncConflictsRequest {
    #[serde(default)]
    pub include_resolved: bool,
}
impl Operation for SyncConflictsRequest {
    const NAME: &'static str = "sync.conflicts";
    type Response = Vec<SyncConflict>;
    fn run(self, ctx: &Context<'_>, session: &Session) -> br_core::Result<Vec<SyncConflict>> {
        br_core::sync::conflicts(registry(ctx).store(), session, self.include_resolved)
    }
}

#[derive(Debug, Clone, Deserialize, TS)]
pub struct SyncResolveRequest {
    pub id: Uuid,
    pub note: Option<String>,
}
impl Operation for SyncResolveRequest {
    const NAME: &'static str = "sync.resolve";
    const CHANGES: &'static [&'static str] = &["sync"];
    type Response = SyncConflict;
    fn run(self, ctx: &Context<'_>, session: &Session) -> br_core::Result<SyncConflict> {
        br_core::sync::resolve(registry(ctx).store(), session, self.id, self.note)
    }
}

#[derive(Debug, Clone, Deserialize, TS)]
pub struct SyncRejectionsRequest {}
impl Operation for SyncRejectionsRequest {
    const NAME: &'static str = "sync.rejections";
    type Response = Vec<SyncRejection>;
    fn run(self, ctx: &Context<'_>, session: &Session) -> br_core::Result<Vec<SyncRejection>> {
        br_core::sync::rejections(registry(ctx).store(), session)
    }
}

/// Sends a payment batch through the central server's disbursement engine (a headquarters desk; the desk
/// syncs first, so the server holds the batch as prepared).
#[derive(Debug, Clone, Deserialize, TS)]
pub struct EngineSendRequest {
    pub batch: Uuid,
}
impl Operation for EngineSendRequest {
    const NAME: &'static str = "payments.engine_send";
    const CHANGES: &'static [&'static str] = SYNCED_DATA;
    type Response = DisburseStatus;
    fn run(self, ctx: &Context<'_>, session: &Session) -> br_core::Result<DisburseStatus> {
        br_core::sync::engine_batch(registry(ctx).store(), session, self.batch, DisburseAction::Send)
    }
}

/// How a batch stands with the engine; with `ask_engine`, the server first asks the engine for results,
/// which reach this desk at its next sync. Changes nothing here, so the cycle page may ask every few
/// seconds.
#[derive(Debug, Clone, Deserialize, TS)]
pub struct EngineStatusRequest {
    pub batch: Uuid,
    #[serde(default)]
    pub ask_engine: bool,
}
impl Operation for EngineStatusRequest {
    const NAME: &'static str = "payments.engine_status";
    type Response = DisburseStatus;
    fn run(self, ctx: &Context<'_>, session: &Session) -> br_core::Result<DisburseStatus> {
        let ask = if self.ask_engine { DisburseAction::Poll } else { DisburseAction::Status };
        br_core::sync::engine_batch(registry(ctx).store(), session, self.batch, ask)
    }
}
