//! Deduplication: finding duplicate registrants, the review queue, decisions and merges.

pub(crate) mod decision;
pub mod find;
pub mod names;
pub mod review;
