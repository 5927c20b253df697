//! The schemas the DCI tests check our messages against refuse what the specification refuses: a check
//! that passes everything would prove nothing.

mod common;

use common::schema::violations;
use serde_json::json;

fn search() -> serde_json::Value {
    json!({
        "signature": "",
        "header": { "version": "1.0.0", "message_id": "m1", "message_ts": "2026-11-30T10:00:00Z", "action": "search",
            "sender_id": "br-server", "total_count": 1, "is_msg_encrypted": false },
        "message": { "transaction_id": "t1", "search_request": [{ "reference_id": "r1", "timestamp": "2026-11-30T10:00:00Z",
            "search_criteria": { "query_type": "predicate", "query": [{ "expression1":
                { "attribute_name": "last_update", "operator": "ge", "attribute_value": "2026-01-01" } }],
                "pagination": { "page_size": 100, "page_number": 1 } } }] }
    })
}

#[test]
fn the_schemas_refuse_what_the_specification_refuses() {
    assert!(violations("sr_search_request", &search()).is_empty());
    let broken = |change: &dyn Fn(&mut serde_json::Value)| {
        let mut m = search();
        change(&mut m);
        violations("sr_search_request", &m)
    };
    assert!(!broken(&|m| {
        m["header"].as_object_mut().unwrap().remove("message_id");
    })
    .is_empty());
    assert!(!broken(&|m| m["header"]["total_count"] = json!("1")).is_empty(), "we send total_count as a number");
    assert!(!broken(&|m| m["header"]["action"] = json!("on-search")).is_empty());
    assert!(!broken(&|m| m["message"]["search_request"][0]["search_criteria"]["query_type"] = json!("namedQuery"))
        .is_empty());
    assert!(!broken(&|m| m["message"]["search_request"][0]["search_criteria"]["query"][0]["expression1"]
        ["operator"] = json!("like"))
    .is_empty());
    assert!(!broken(&|m| m["header"]["message_ts"] = json!("yesterday")).is_empty());
    let disbursements = json!({ "header": { "message_id": "m", "message_ts": "2026-11-30T10:00:00Z", "action": "create_disbursements",
        "sender_id": "br-server", "total_count": 1 }, "message": [{ "disbursement_envelope_id": "E1", "mis_reference_number": "p1",
        "beneficiary_id": "b1", "disbursement_amount": 100.5, "narrative": "OAP 1" }] });
    assert!(violations("bridge_create_disbursements", &disbursements).is_empty());
    let mut zero = disbursements.clone();
    zero["message"][0]["disbursement_amount"] = json!(0);
    assert!(!violations("bridge_create_disbursements", &zero).is_empty());
    let disburse = json!({ "header": { "message_id": "m", "message_ts": "2026-11-30T10:00:00Z", "action": "disburse",
        "sender_id": "br-server", "total_count": 1 }, "message": { "transaction_id": "t", "disbursements": [{ "reference_id": "p1",
        "payer_fa": "account:001@central-bank", "payee_fa": "msisdn:2217700@orange", "amount": "100.50", "currency_code": "XOF" }] } });
    assert!(violations("connect_disburse", &disburse).is_empty());
    for (field, value) in [("amount", json!(100.5)), ("payer_fa", json!("")), ("currency_code", json!("xof"))] {
        let mut bad = disburse.clone();
        bad["message"]["disbursements"][0][field] = value;
        assert!(!violations("connect_disburse", &bad).is_empty(), "{field}");
    }
    let mut unknown = disburse.clone();
    unknown["message"]["disbursements"][0]["txn_ref"] = json!("x");
    assert!(!violations("connect_disburse", &unknown).is_empty(), "no field the specification does not have");
    let answer = json!({ "header": { "message_id": "m", "message_ts": "2026-11-30T10:00:00Z", "action": "on-search", "status": "done" },
        "message": { "transaction_id": "t" } });
    assert!(!violations("ibr_answer", &answer).is_empty(), "status is one of rcvd, pdng, succ, rjct");
}
