//! Programs: their rules, memberships and the membership state machine.

pub mod membership;
pub(crate) mod remote;
pub use br_model::program as model;
pub mod rules;
pub mod select;
pub mod service;
