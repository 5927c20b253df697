//! br-server: the central server. Desks of many offices push their typed change logs and pull what their
//! office may see (docs/sync.md). Everything that matters lives in PostgreSQL; processes are
//! interchangeable, and more of them serve more desks.

pub mod admin;
pub mod config;
pub mod db;
pub mod dci;
pub mod disburse;
pub mod enrol;
pub mod error;
pub mod http;
pub mod ledger;
pub mod metrics;
pub mod outbound;
pub mod privacy;
pub mod projection;
pub mod pull;
pub mod push;
pub mod retention;
pub mod serve;
pub mod snapshot;
pub mod sr;
