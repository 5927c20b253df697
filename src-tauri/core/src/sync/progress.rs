//! What a sync run reports while it works and when it ends (shared by push, snapshot and pull).

use serde::Serialize;
use ts_rs::TS;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, TS)]
#[serde(rename_all = "snake_case")]
pub enum SyncPhase {
    Push,
    /// A first sync: the office's snapshot, in chunks.
    Snapshot,
    Pull,
}

#[derive(Debug, Clone, Serialize, TS)]
pub struct SyncProgress {
    pub phase: SyncPhase,
    pub done: u64,
    /// Ops waiting to be pushed, or the server's head less where this desk started pulling.
    pub total: u64,
}

#[derive(Debug, Clone, Default, Serialize, TS)]
pub struct SyncSummary {
    pub pushed: u64,
    pub push_duplicates: u64,
    pub rejected: u64,
    pub push_conflicts: u64,
    pub pulled: u64,
    pub applied: u64,
    pub unchanged: u64,
    pub conflicts: u64,
    pub cursor: i64,
    pub head: i64,
}
