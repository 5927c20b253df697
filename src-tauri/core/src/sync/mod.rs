//! Sync with a central server (docs/sync.md): enrol this desk, push its change log, pull what its
//! office may see, and keep what could not be applied for a person to settle. The server and the wire
//! types are in br-server and br-protocol; this is the desk's half, on the same writers as every change.

mod conflicts;
mod context;
mod disburse;
mod enrol;
mod progress;
mod run;
mod snapshot;
mod state;
mod transport;

pub use conflicts::{conflicts, rejections, resolve, SyncConflict, SyncRejection};
pub use disburse::engine_batch;
pub use enrol::{enrol, SyncEnrolRequest};
pub use progress::{SyncPhase, SyncProgress, SyncSummary};
pub use run::run;
pub use state::{status, SyncStatus};
