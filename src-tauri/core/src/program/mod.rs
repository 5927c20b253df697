//! Programs: their rules, memberships and the membership state machine.

pub mod model;
pub mod rules;
