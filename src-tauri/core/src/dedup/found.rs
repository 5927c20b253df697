//! What a search finds: proposed pairs with their explanations, and the groups they form.

use serde::{Deserialize, Serialize};
use ts_rs::TS;

use super::model::FieldWeight;

/// Why one pair was proposed: its probability, its weight in bits, and each field's part.
#[derive(Debug, Clone, Serialize, Deserialize, TS)]
pub struct PairExplanation {
    /// Registrant references when read from the queue (rowids while stored).
    pub a: String,
    pub b: String,
    pub probability: f64,
    pub weight: f64,
    pub fields: Vec<FieldWeight>,
}

/// A proposed pair of individuals (rowids, lower first).
#[derive(Debug, Clone)]
pub struct Edge {
    pub a: i64,
    pub b: i64,
    pub probability: f64,
    pub weight: f64,
    pub fields: Vec<FieldWeight>,
}

/// A group of registrants found to be duplicates of each other.
#[derive(Debug, Clone)]
pub struct FoundGroup {
    pub kind: &'static str,
    pub rowids: Vec<i64>,
    pub score: f64,
    pub reasons: Vec<String>,
    pub pairs: Vec<PairExplanation>,
}
