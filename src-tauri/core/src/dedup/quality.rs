//! How good the proposals are, against a truth file of known duplicate pairs and, optionally, a file of
//! known look-alikes that must stay apart (twins, a father and son of one name...): precision, recall and
//! F1 over pairs, recall by kind of duplicate and the share of look-alikes proposed by kind.

use std::collections::{BTreeMap, HashMap};
use std::path::Path;

use serde::Serialize;
use ts_rs::TS;

use super::cluster::components;
use super::found::Edge;
use crate::error::{CoreError, Result};
use crate::store::Store;

#[derive(Debug, Clone, Serialize, TS)]
pub struct KindQuality {
    pub kind: String,
    pub pairs: u64,
    /// Truth kinds: pairs found. Look-alike kinds: pairs proposed (wrongly).
    pub proposed: u64,
    pub share: f64,
}

/// Precision and recall of the registry-wide individual groups against a truth file.
#[derive(Debug, Clone, Serialize, TS)]
pub struct DedupQuality {
    pub truth_pairs: u64,
    /// Truth pairs whose two records are not both in the registry (not counted as found).
    pub truth_pairs_missing: u64,
    pub truth_pairs_found: u64,
    pub predicted_pairs: u64,
    pub predicted_pairs_correct: u64,
    pub precision: f64,
    pub recall: f64,
    pub f1: f64,
    /// Recall by the truth file's third column (a `+`-joined list of variations counts for each).
    pub by_kind: Vec<KindQuality>,
    /// Look-alikes proposed, by kind (empty without a look-alike file).
    pub lookalikes: Vec<KindQuality>,
}

/// (a, b, kind) rows of a CSV with a header; kind is empty when the file has two columns.
fn read_pairs(path: &Path, what: &str) -> Result<Vec<(String, String, String)>> {
    let mut reader = csv::Reader::from_path(path).map_err(|e| CoreError::InvalidInput(format!("{what}: {e}")))?;
    let mut out = Vec::new();
    for (i, record) in reader.records().enumerate() {
        let record = record.map_err(|e| CoreError::InvalidInput(format!("{what}: {e}")))?;
        let (Some(a), Some(b)) = (record.get(0), record.get(1)) else {
            return Err(CoreError::InvalidInput(format!(
                "{what}, line {}: each line holds two external ids (a pair)",
                i + 2
            )));
        };
        out.push((a.to_string(), b.to_string(), record.get(2).unwrap_or("").to_string()));
    }
    Ok(out)
}

fn ratio(a: u64, b: u64) -> f64 {
    if b == 0 {
        0.0
    } else {
        a as f64 / b as f64
    }
}

pub fn quality(store: &Store, truth_csv: &Path, lookalikes_csv: Option<&Path>) -> Result<DedupQuality> {
    let truth = read_pairs(truth_csv, "truth file")?;
    let lookalikes = match lookalikes_csv {
        Some(p) => read_pairs(p, "look-alike file")?,
        None => Vec::new(),
    };
    store.read(|c| {
        let mut by_external: HashMap<String, i64> = HashMap::new();
        let mut st = c.prepare("SELECT external_id, rowid FROM registrants WHERE external_id IS NOT NULL")?;
        for row in st.query_map([], |r| Ok((r.get(0)?, r.get(1)?)))? {
            let (e, r) = row?;
            by_external.insert(e, r);
        }
        let rowids = |a: &str, b: &str| Some((*by_external.get(a)?, *by_external.get(b)?));
        // Truth clusters: someone copied twice makes the two copies duplicates of each other too.
        let truth_edges: Vec<(Edge, &str)> = truth
            .iter()
            .filter_map(|(a, b, kind)| {
                let (a, b) = rowids(a, b)?;
                Some((Edge { a, b, probability: 1.0, weight: 0.0, fields: Vec::new() }, kind.as_str()))
            })
            .collect();
        let edges: Vec<Edge> = truth_edges.iter().map(|(e, _)| e.clone()).collect();
        let mut truth_cluster: HashMap<i64, usize> = HashMap::new();
        for (i, g) in components(&edges).iter().enumerate() {
            for r in g {
                truth_cluster.insert(*r, i);
            }
        }
        let mut st = c.prepare(
            "SELECT m.group_rowid, m.registrant FROM duplicate_members m JOIN duplicate_groups g ON g.rowid = m.group_rowid
             WHERE g.scope = 0 AND g.kind = 'individual' AND g.status <> 'not_duplicates' ORDER BY m.group_rowid",
        )?;
        let mut groups: HashMap<i64, Vec<i64>> = HashMap::new();
        let mut predicted_group: HashMap<i64, i64> = HashMap::new();
        for row in st.query_map([], |r| Ok((r.get::<_, i64>(0)?, r.get::<_, i64>(1)?)))? {
            let (g, r) = row?;
            groups.entry(g).or_default().push(r);
            predicted_group.insert(r, g);
        }
        let together = |a: i64, b: i64| predicted_group.contains_key(&a) && predicted_group.get(&a) == predicted_group.get(&b);
        let (mut predicted, mut correct) = (0u64, 0u64);
        for members in groups.values() {
            for (k, a) in members.iter().enumerate() {
                for b in &members[k + 1..] {
                    predicted += 1;
                    if truth_cluster.contains_key(a) && truth_cluster.get(a) == truth_cluster.get(b) {
                        correct += 1;
                    }
                }
            }
        }
        let mut by_kind: BTreeMap<String, (u64, u64)> = BTreeMap::new();
        let mut found = 0;
        for (e, kind) in &truth_edges {
            let hit = together(e.a, e.b);
            found += u64::from(hit);
            for k in kind.split('+').filter(|k| !k.is_empty()) {
                let entry = by_kind.entry(k.to_string()).or_default();
                entry.0 += 1;
                entry.1 += u64::from(hit);
            }
        }
        let mut alike: BTreeMap<String, (u64, u64)> = BTreeMap::new();
        for (a, b, kind) in &lookalikes {
            let Some((a, b)) = rowids(a, b) else { continue };
            let entry = alike.entry(kind.clone()).or_default();
            entry.0 += 1;
            entry.1 += u64::from(together(a, b));
        }
        let kinds = |m: BTreeMap<String, (u64, u64)>| {
            m.into_iter()
                .map(|(kind, (pairs, proposed))| KindQuality { kind, pairs, proposed, share: ratio(proposed, pairs) })
                .collect()
        };
        let (precision, recall) = (ratio(correct, predicted), ratio(found, truth.len() as u64));
        Ok(DedupQuality {
            truth_pairs: truth.len() as u64,
            truth_pairs_missing: (truth.len() - truth_edges.len()) as u64,
            truth_pairs_found: found,
            predicted_pairs: predicted,
            predicted_pairs_correct: correct,
            precision,
            recall,
            f1: if precision + recall > 0.0 { 2.0 * precision * recall / (precision + recall) } else { 0.0 },
            by_kind: kinds(by_kind),
            lookalikes: kinds(alike),
        })
    })
}
