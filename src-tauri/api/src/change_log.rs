//! The change log as a file (docs/sync-ops.md): written from one registry, replayed into another. Both
//! carry every synced row unmasked, like a backup, and need the backup permission. Over `br serve` the
//! file is a download or an upload, never a path on the server.

use br_core::auth::Session;
use br_core::replay::{ChangeLogExportSummary, ReplaySummary};
use br_core::secret::Secret;
use serde::Deserialize;
use ts_rs::TS;

use crate::files::{Delivered, InputFile, OutputFile};
use crate::ops::{registry, Operation};
use crate::{Context, Progress};

/// Every data set ops from another registry can change, and the sync state they can leave conflicts in:
/// what a replay or a sync makes the UI refetch.
pub(crate) const SYNCED_DATA: &[&str] = &[
    "sync",
    "registrants",
    "dashboard",
    "lists",
    "custom_fields",
    "programs",
    "memberships",
    "duplicates",
    "cycles",
    "entitlements",
    "funds",
    "payments",
];

#[derive(Debug, Clone, Deserialize, TS)]
pub struct OutboxExportRequest {
    #[serde(flatten)]
    pub to: OutputFile,
    /// Seals the file (at least 12 characters); whoever replays it needs the same.
    #[ts(type = "string")]
    pub passphrase: Secret,
}
impl Operation for OutboxExportRequest {
    const NAME: &'static str = "outbox.export";
    type Response = Delivered<ChangeLogExportSummary>;
    fn run(self, ctx: &Context<'_>, session: &Session) -> br_core::Result<Delivered<ChangeLogExportSummary>> {
        let (path, overwrite) = ctx.files.output(&self.to, "change-log.jsonl")?;
        let result = br_core::replay::export(registry(ctx).store(), session, &path, overwrite, &self.passphrase)?;
        let downloads = ctx.files.deliver(&self.to, &path)?.into_iter().collect();
        Ok(Delivered { result, downloads })
    }
}

#[derive(Debug, Clone, Deserialize, TS)]
pub struct OutboxReplayRequest {
    /// A file written by `outbox.export` on another registry.
    #[serde(flatten)]
    pub file: InputFile,
    /// The passphrase the file was sealed with.
    #[ts(type = "string")]
    pub passphrase: Secret,
}
impl Operation for OutboxReplayRequest {
    const NAME: &'static str = "outbox.replay";
    const CHANGES: &'static [&'static str] = SYNCED_DATA;
    const LONG_RUNNING: bool = true;
    type Response = ReplaySummary;
    fn run(self, ctx: &Context<'_>, session: &Session) -> br_core::Result<ReplaySummary> {
        let path = ctx.files.input(&self.file)?;
        let emit = |p: &br_core::replay::ReplayProgress| (ctx.progress)(Progress::Replay(p.clone()));
        br_core::replay::replay(registry(ctx).store(), session, &path, &self.passphrase, &emit, ctx.cancel)
    }
}
