//! Domain logic of the Beneficiary Registry. No Tauri, no HTTP: every transport calls in through `br-api`.

mod applied;
pub mod audit;
pub mod audit_anchor;
pub mod audit_query;
pub mod auth;
pub mod backup;
pub mod baseline;
pub mod beneficiary;
pub mod check;
pub mod dashboard;
pub mod dedup;
pub mod disbursement;
pub mod error;
pub mod files;
pub mod household;
pub mod io;
pub mod outbox;
mod paging;
pub mod program;
pub mod registry;
mod registry_handle;
pub mod replay;
pub mod search;
pub mod secret;
mod session;
pub mod store;
pub mod sync;
pub mod synth;
pub mod work;

// Storage-free parts live in br-model; their paths here stay as they were.
pub use br_model::{clock, money, normalize, spelling, ModelError};
pub use error::{CoreError, ErrorCode, Result};
pub use registry_handle::{CreateRegistry, Registry, RegistryInfo};
