//! Deduplication: finding duplicate registrants, the review queue, decisions and merges.

mod decision;
pub mod find;
pub mod names;
pub mod review;
