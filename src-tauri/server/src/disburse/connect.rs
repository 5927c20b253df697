//! The G2P Connect disburse API behind the same interface: `/disburse/sync/disburse` with our payment ids
//! as `reference_id` (so the engine's id is ours, and a page sent twice is answered
//! `rjct.reference_id.duplicate`), and `/disburse/sync/txn/status` by `reference_id_list`.
//!
//! Answers are read as the published schema has them (`disbursements_status[]` of `{reference_id,
//! status, status_reason_code}`; a status's `txn_status` holding that object) and as implementations
//! send them: statuses in upper case (`SUCC`, `RJCT`, as one version of the spec's enum), `txn_status` as a
//! bare list of records (an earlier draft, and OpenG2P's bridge).

use serde_json::{json, Value};
use uuid::Uuid;

use super::bridge::major;
use super::engine::{Engine, EngineConfig, Envelope, Failure, Instruction, Landed, Outcome};
use crate::outbound::{header, Outbound};

pub struct Connect {
    http: Outbound,
    config: EngineConfig,
}

const DUPLICATE: &str = "rjct.reference_id.duplicate";

impl Connect {
    pub fn new(http: Outbound, config: EngineConfig) -> Connect {
        Connect { http, config }
    }

    fn call(&mut self, path: &str, action: &str, count: usize, message: Value) -> Result<Value, Failure> {
        let body = json!({
            "signature": "",
            "header": header(action, &self.config.sender_id, self.config.receiver_id.as_deref(), count),
            "message": message,
        });
        match self.http.post(path, &body) {
            Err(e) => Err(Failure::Transient(e)),
            Ok((status, _)) if status >= 500 => Err(Failure::Transient(format!("HTTP {status}"))),
            Ok((status, answer)) if status >= 400 => {
                Err(Failure::Refused(format!("HTTP {status} {}", answer["errors"][0]["code"].as_str().unwrap_or(""))))
            }
            Ok((_, answer)) if answer["header"]["status"] == "rjct" => {
                Err(Failure::Refused(answer["header"]["status_reason_code"].as_str().unwrap_or("rejected").to_string()))
            }
            Ok((_, answer)) => Ok(answer["message"].clone()),
        }
    }

    /// The engine's answers for our reference ids.
    fn status(&mut self, references: &[String]) -> Result<Vec<Value>, Failure> {
        let message = json!({
            "transaction_id": Uuid::now_v7().to_string(),
            "txnstatus_request": {
                "reference_id": Uuid::now_v7().to_string(),
                "txn_type": "disburse",
                "attribute_type": "reference_id_list",
                "attribute_value": references,
            },
        });
        let answer = self.call("/disburse/sync/txn/status", "txn-status", 1, message)?;
        Ok(records(&answer["txnstatus_response"]["txn_status"]))
    }
}

/// The per-payment records of a disburse answer or a status's `txn_status`.
fn records(answer: &Value) -> Vec<Value> {
    match answer {
        Value::Array(list) => list.clone(),
        other => other["disbursements_status"].as_array().cloned().unwrap_or_default(),
    }
}

/// A record's status, in lower case (`rcvd`, `pdng`, `succ`, `rjct`).
fn status_of(record: &Value) -> String {
    record["status"].as_str().unwrap_or_default().to_ascii_lowercase()
}

impl Engine for Connect {
    fn name(&self) -> &'static str {
        "g2p-connect"
    }

    /// G2P Connect has no envelopes: a batch is one transaction, named by a fresh id.
    fn create_envelope(&mut self, _: &Envelope) -> Result<String, Failure> {
        Ok(Uuid::now_v7().to_string())
    }

    fn create(&mut self, transaction: &str, page: &[Instruction]) -> Result<Vec<(Uuid, String)>, Failure> {
        let list: Vec<Value> = page
            .iter()
            .map(|i| {
                let mut d = json!({
                    "reference_id": i.payment.to_string(),
                    "payer_fa": self.config.payer_fa.clone().unwrap_or_default(),
                    "payee_fa": i.account.clone().unwrap_or_default(),
                    "amount": major(i.amount, &i.currency).to_string(),
                    "currency_code": i.currency,
                    "scheduled_timestamp": br_model::clock::now_rfc3339(),
                    "note": i.narrative.chars().take(99).collect::<String>(),
                });
                if let Some(name) = &i.name {
                    d["payee_name"] = json!(name);
                }
                d
            })
            .collect();
        let answer = self.call(
            "/disburse/sync/disburse",
            "disburse",
            page.len(),
            json!({ "transaction_id": transaction, "disbursements": list }),
        )?;
        for row in &records(&answer) {
            if status_of(row) == "rjct" && row["status_reason_code"] != DUPLICATE {
                return Err(Failure::Refused(row["status_reason_code"].as_str().unwrap_or("rejected").to_string()));
            }
        }
        Ok(page.iter().map(|i| (i.payment, i.payment.to_string())).collect())
    }

    fn landed(&mut self, _: &str, _: i64, page: &[Instruction]) -> Result<Landed, Failure> {
        let references: Vec<String> = page.iter().map(|i| i.payment.to_string()).collect();
        let held: Vec<String> =
            self.status(&references)?.iter().filter_map(|r| r["reference_id"].as_str().map(str::to_string)).collect();
        let found = references.iter().filter(|r| held.contains(r)).count();
        Ok(if found == 0 {
            Landed::Nothing
        } else if found == references.len() {
            Landed::All(Some(page.iter().map(|i| (i.payment, i.payment.to_string())).collect()))
        } else {
            Landed::Part
        })
    }

    fn cancel_envelope(&mut self, _: &str) -> Result<(), Failure> {
        Ok(())
    }

    fn results(&mut self, ids: &[String]) -> Result<Vec<(String, Outcome)>, Failure> {
        Ok(self
            .status(ids)?
            .iter()
            .filter_map(|r| {
                let id = r["reference_id"].as_str()?.to_string();
                // The schema has no transfer reference: a paid payment keeps ours.
                let outcome = match status_of(r).as_str() {
                    "succ" => Outcome::Paid { reference: None },
                    "rjct" => {
                        Outcome::Failed { reason: r["status_reason_code"].as_str().unwrap_or("rejected").to_string() }
                    }
                    _ => Outcome::Pending,
                };
                Some((id, outcome))
            })
            .collect())
    }
}
