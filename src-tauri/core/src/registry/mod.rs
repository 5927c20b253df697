//! Registrants: individuals and groups, their IDs, memberships, lists and custom fields.

pub use br_model::registry as model;
pub mod privacy;
pub mod read;
pub(crate) mod remote;
pub mod service;
pub mod settings;
pub mod write;
