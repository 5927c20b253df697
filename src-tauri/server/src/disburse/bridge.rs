//! OpenG2P's G2P Bridge, 1.x API: an envelope declares a batch's counts and total, disbursements are sent
//! into it in pages (the bridge makes their ids), and each one's remittance, reversal or error comes back
//! through `get_disbursement_status`.

use serde_json::{json, Value};
use uuid::Uuid;

use super::engine::{Engine, EngineConfig, Envelope, Failure, Instruction, Landed, Outcome};
use crate::outbound::{header, Outbound};

pub struct Bridge {
    http: Outbound,
    config: EngineConfig,
}

/// Minor units as the bridge's decimal amount.
pub fn major(amount: i64, currency: &str) -> Value {
    let text = br_model::money::format(amount, currency);
    let number = text.split(' ').next().unwrap_or("0");
    serde_json::from_str(number).unwrap_or(Value::Null)
}

impl Bridge {
    pub fn new(http: Outbound, config: EngineConfig) -> Bridge {
        Bridge { http, config }
    }

    /// Posts a bridge request; its answer's message, or why there is none.
    fn call(&mut self, path: &str, action: &str, message: Value) -> Result<Value, Failure> {
        let body = json!({
            "signature": "",
            "header": header(action, &self.config.sender_id, self.config.receiver_id.as_deref(), 1),
            "message": message,
        });
        match self.http.post(path, &body) {
            Err(e) => Err(Failure::Transient(e)),
            Ok((status, _)) if status >= 500 => Err(Failure::Transient(format!("HTTP {status}"))),
            Ok((status, answer)) if status >= 400 => {
                Err(Failure::Refused(format!("HTTP {status} {}", reason(&answer))))
            }
            Ok((_, answer)) if answer["header"]["status"] == "rjct" => Err(Failure::Refused(reason(&answer))),
            Ok((_, answer)) => Ok(answer["message"].clone()),
        }
    }
}

fn reason(answer: &Value) -> String {
    answer["header"]["status_reason_code"]
        .as_str()
        .or(answer["errors"][0]["code"].as_str())
        .or(answer["detail"].as_str())
        .unwrap_or("no reason given")
        .chars()
        .take(200)
        .collect()
}

/// The first object of a message that is an object or a list of them.
fn first(message: &Value) -> &Value {
    message.as_array().and_then(|l| l.first()).unwrap_or(message)
}

impl Engine for Bridge {
    fn name(&self) -> &'static str {
        "g2p-bridge"
    }

    fn create_envelope(&mut self, e: &Envelope) -> Result<String, Failure> {
        let frequency = self.config.frequency.get(&e.program).cloned().unwrap_or_else(|| "OnDemand".into());
        let message = json!({
            "benefit_program_mnemonic": e.program,
            "disbursement_frequency": frequency,
            "cycle_code_mnemonic": e.cycle,
            "number_of_beneficiaries": e.beneficiaries,
            "number_of_disbursements": e.count,
            "total_disbursement_amount": major(e.total, &e.currency),
            "disbursement_currency_code": e.currency,
            "disbursement_schedule_date": e.schedule_date,
        });
        let answer = self.call("/create_disbursement_envelope", "create_disbursement_envelope", message)?;
        let id = &first(&answer)["disbursement_envelope_id"];
        id.as_str()
            .map(str::to_string)
            .or_else(|| id.as_i64().map(|n| n.to_string()))
            .ok_or_else(|| Failure::Refused("the answer names no disbursement_envelope_id".into()))
    }

    fn create(&mut self, envelope: &str, page: &[Instruction]) -> Result<Vec<(Uuid, String)>, Failure> {
        let list: Vec<Value> = page
            .iter()
            .map(|i| {
                let mut d = json!({
                    "disbursement_envelope_id": envelope,
                    "mis_reference_number": i.payment.to_string(),
                    "beneficiary_id": i.beneficiary,
                    "disbursement_amount": major(i.amount, &i.currency),
                    "narrative": i.narrative,
                });
                if let Some(name) = &i.name {
                    d["beneficiary_name"] = json!(name);
                }
                d
            })
            .collect();
        let answer = self.call("/create_disbursements", "create_disbursements", Value::Array(list))?;
        let rows = answer.as_array().cloned().unwrap_or_default();
        if rows.len() != page.len() {
            return Err(Failure::Refused(format!(
                "the bridge answered {} disbursements for {}",
                rows.len(),
                page.len()
            )));
        }
        let mut ids = Vec::with_capacity(page.len());
        for (n, row) in rows.iter().enumerate() {
            let id = row["disbursement_id"]
                .as_str()
                .map(str::to_string)
                .or_else(|| row["disbursement_id"].as_i64().map(|x| x.to_string()));
            let Some(id) = id else { return Err(Failure::Refused("a disbursement without an id".into())) };
            // The bridge echoes our reference; where it does not, the order of the page is the order of the answer.
            let payment = row["mis_reference_number"].as_str().and_then(|r| r.parse().ok()).unwrap_or(page[n].payment);
            ids.push((payment, id));
        }
        Ok(ids)
    }

    fn landed(&mut self, envelope: &str, before: i64, page: &[Instruction]) -> Result<Landed, Failure> {
        let answer =
            self.call("/get_disbursement_envelope_status", "get_disbursement_envelope_status", json!(envelope))?;
        let status = first(&answer);
        let received = status["number_of_disbursements_received"]
            .as_i64()
            .or_else(|| status["number_of_disbursements_received"].as_str().and_then(|s| s.parse().ok()))
            .ok_or_else(|| Failure::Refused("the envelope status has no number_of_disbursements_received".into()))?;
        Ok(if received == before {
            Landed::Nothing
        } else if received == before + page.len() as i64 {
            // The 1.x API cannot say which ids it gave them.
            Landed::All(None)
        } else {
            Landed::Part
        })
    }

    fn cancel_envelope(&mut self, envelope: &str) -> Result<(), Failure> {
        self.call(
            "/cancel_disbursement_envelope",
            "cancel_disbursement_envelope",
            json!({ "disbursement_envelope_id": envelope }),
        )
        .map(|_| ())
    }

    fn results(&mut self, ids: &[String]) -> Result<Vec<(String, Outcome)>, Failure> {
        let answer = self.call("/get_disbursement_status", "get_disbursement_status", json!(ids))?;
        let mut out = Vec::new();
        for row in answer.as_array().cloned().unwrap_or_default() {
            let Some(id) = row["disbursement_id"].as_str().map(str::to_string) else { continue };
            let records = &row["disbursement_recon_records"];
            let errors = records["disbursement_error_recon_payloads"].as_array().cloned().unwrap_or_default();
            let recons = records["disbursement_recon_payloads"].as_array().cloned().unwrap_or_default();
            let outcome = if let Some(e) = errors.last() {
                Outcome::Failed {
                    reason: e["error_reason"].as_str().unwrap_or("failed at the bank").chars().take(200).collect(),
                }
            } else if let Some(r) = recons.iter().find(|r| r["reversal_found"] == true) {
                Outcome::Reversed {
                    reason: r["reversal_reason"].as_str().unwrap_or("reversed by the bank").chars().take(200).collect(),
                }
            } else if let Some(r) = recons.last() {
                Outcome::Paid { reference: r["remittance_reference_number"].as_str().map(str::to_string) }
            } else {
                Outcome::Pending
            };
            out.push((id, outcome));
        }
        Ok(out)
    }
}
