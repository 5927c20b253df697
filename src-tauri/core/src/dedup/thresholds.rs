//! The office's two deduplication thresholds, as match probabilities: from `review` a pair is proposed,
//! from `very_likely` it is marked so (a reviewer may take those first). Stored on the office row.

use rusqlite::Connection;
use serde::{Deserialize, Serialize};
use ts_rs::TS;

use crate::audit::AuditEvent;
use crate::auth::{require, Permission, Session};
use crate::error::{CoreError, Result};
use crate::store::Store;

#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize, TS)]
pub struct DedupThresholds {
    pub review: f64,
    pub very_likely: f64,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, TS)]
#[serde(rename_all = "snake_case")]
pub enum Band {
    Review,
    VeryLikely,
}

impl Band {
    pub fn as_str(self) -> &'static str {
        match self {
            Band::Review => "review",
            Band::VeryLikely => "very_likely",
        }
    }

    pub fn parse(s: &str) -> Band {
        if s == "very_likely" {
            Band::VeryLikely
        } else {
            Band::Review
        }
    }
}

impl DedupThresholds {
    pub fn band(&self, probability: f64) -> Band {
        if probability >= self.very_likely {
            Band::VeryLikely
        } else {
            Band::Review
        }
    }

    fn check(&self) -> Result<()> {
        let inside = |x: f64| x > 0.0 && x < 1.0;
        if !inside(self.review) || !inside(self.very_likely) || self.review > self.very_likely {
            return Err(CoreError::InvalidInput(
                "thresholds are probabilities between 0 and 1 (exclusive), review at most very_likely".into(),
            ));
        }
        Ok(())
    }
}

pub fn read(c: &Connection) -> Result<DedupThresholds> {
    Ok(c.query_row("SELECT dedup_review, dedup_very_likely FROM office", [], |r| {
        Ok(DedupThresholds { review: r.get(0)?, very_likely: r.get(1)? })
    })?)
}

pub fn get(store: &Store, session: &Session) -> Result<DedupThresholds> {
    require(store, session, Permission::RegistryRead, "dedup.thresholds")?;
    store.read(read)
}

/// Sets the office's thresholds; the next run uses them.
pub fn set(store: &Store, session: &Session, t: DedupThresholds) -> Result<DedupThresholds> {
    require(store, session, Permission::DuplicatesManage, "dedup.set_thresholds")?;
    t.check()?;
    store.write_as(session.username(), |tx| {
        let before = read(tx.conn())?;
        tx.conn().execute("UPDATE office SET dedup_review = ?1, dedup_very_likely = ?2", [t.review, t.very_likely])?;
        tx.audit(AuditEvent::new(session, "dedup.set_thresholds").details(serde_json::json!({
            "before": before, "after": t,
        })))?;
        Ok(t)
    })
}
