//! Deduplication: finding duplicate registrants (blocking, comparison, a Fellegi–Sunter model estimated
//! on the registry), the review queue, decisions, merges, and quality against known answers.

mod blocking;
mod cluster;
pub mod compare;
pub(crate) mod decision;
pub mod find;
pub mod found;
pub mod merge;
pub mod model;
pub mod names;
pub mod person;
pub mod quality;
pub mod review;
pub mod thresholds;
mod training;
