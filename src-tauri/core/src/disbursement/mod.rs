//! Disbursement: cycles, entitlements, approvals, funds and payments (design §4), and the status a
//! beneficiary and a cycle show.

pub mod amount_preview;
pub mod approval;
pub mod cycle;
pub mod entitlement;
pub mod funds;
mod payee;
pub use br_model::disbursement as model;
pub mod payment;
pub(crate) mod remote;
pub mod settings;
pub mod status;
