//! Every refusal of the sync protocol, each with its code, each changing nothing on the server (and
//! nothing on the desk), each audited: a bad signature, a replayed nonce, a stale timestamp, a revoked
//! device, a used, expired or unknown enrolment code, an op on another office's row, an oversized body,
//! another protocol version.

mod common;

use br_model::op::Op;
use br_model::registry::{RegistrantFields, RegistrantKind};
use br_protocol::signing::{nonce, DeviceKey, SignedParts};
use br_protocol::wire::PushRequest;
use br_protocol::{headers, PROTOCOL_VERSION};
use common::raw::{agent, enrol_raw, now_ms};
use common::{admin, Central, Desk, Server};
use uuid::Uuid;

/// What a refusal must leave as it was.
fn server_state(c: &Central) -> Vec<i64> {
    [
        "ops",
        "devices WHERE revoked_at IS NULL",
        "owners",
        "people",
        "enrolment_codes WHERE used_at IS NOT NULL",
        "op_slices",
    ]
    .iter()
    .map(|t| c.count(&format!("SELECT count(*) FROM {t}")))
    .collect()
}

fn refusals(c: &Central, code: &str) -> i64 {
    c.count(&format!("SELECT count(*) FROM audit WHERE outcome = 'refused:{code}'"))
}

#[test]
fn every_refusal_has_its_code_changes_nothing_and_is_audited() {
    let central = Central::new(&[("HQ", true), ("NTH", false), ("STH", false)]);
    let server = Server::start(&central.pg.url);
    let south = Desk::new("STH");
    south.enrol(&server.url, &central.code("STH")).unwrap();
    south.import("external_id,given_name,family_name,sex,birth_date,area\nS1,Mariam,Sow,female,1950-01-01,D02\n");
    south.sync();
    let theirs: Uuid = south.column("SELECT id FROM registrants")[0];
    let (_, _, raw) = enrol_raw(&server.url, &central.code("NTH"), PROTOCOL_VERSION);
    let raw = raw.unwrap();

    let refuse = |what: &str, code: &str, status: u16, attempt: &mut dyn FnMut() -> (u16, String)| {
        let before = server_state(&central);
        let audited = refusals(&central, code);
        assert_eq!(attempt(), (status, code.to_string()), "{what}");
        assert_eq!(server_state(&central), before, "{what} changed nothing on the server");
        assert_eq!(refusals(&central, code), audited + 1, "{what} is audited");
    };

    let empty = serde_json::to_vec(&PushRequest { after: 0, ops: vec![] }).unwrap();
    let (stranger, _) = DeviceKey::generate().unwrap();
    refuse("a bad signature", "bad_signature", 401, &mut || {
        raw.signed("/sync/v1/push", &empty, now_ms(), &nonce(), &stranger, PROTOCOL_VERSION)
    });
    let once = nonce();
    let at = now_ms();
    assert_eq!(raw.signed("/sync/v1/push", &empty, at, &once, &raw.key, PROTOCOL_VERSION).0, 200);
    refuse("a replayed nonce", "replayed_request", 401, &mut || {
        raw.signed("/sync/v1/push", &empty, at, &once, &raw.key, PROTOCOL_VERSION)
    });
    refuse("a stale timestamp", "stale_request", 401, &mut || {
        raw.signed("/sync/v1/push", &empty, now_ms() - 10 * 60 * 1000, &nonce(), &raw.key, PROTOCOL_VERSION)
    });
    refuse("another protocol version", "upgrade_required", 426, &mut || {
        raw.signed("/sync/v1/push", &empty, now_ms(), &nonce(), &raw.key, PROTOCOL_VERSION + 1)
    });
    let huge = vec![b' '; br_protocol::MAX_BODY_BYTES + 1024];
    refuse("an oversized body", "payload_too_large", 413, &mut || raw.push(&huge));
    refuse("a body that is not a push", "invalid_request", 400, &mut || raw.push(b"{\"after\": 0, \"ops\": 7}"));

    // An op on another office's row is refused, kept for people to see, and does not block the next op.
    let page = PushRequest {
        after: 0,
        ops: vec![
            raw.record(1, Op::RegistrantDisabled { id: theirs, reason: "not ours".into() }),
            raw.record(
                2,
                Op::RegistrantCreated {
                    id: Uuid::now_v7(),
                    kind: RegistrantKind::Individual,
                    reference: "NTH-0000001".into(),
                    registered_on: "2026-11-30".into(),
                    fields: RegistrantFields::default(),
                },
            ),
        ],
    };
    let body = serde_json::to_vec(&page).unwrap();
    let forged = raw.key.sign(&SignedParts {
        method: "POST",
        path: "/sync/v1/push",
        body: &body,
        timestamp_ms: 0,
        nonce: "",
        device: raw.device,
    });
    let mut r = agent()
        .post(format!("{}/sync/v1/push", server.url))
        .header(headers::PROTOCOL, PROTOCOL_VERSION.to_string())
        .header(headers::DEVICE, raw.device.to_string())
        .header(headers::TIMESTAMP, now_ms().to_string())
        .header(headers::NONCE, nonce())
        .header(headers::SIGNATURE, forged)
        .send(&body[..])
        .unwrap();
    assert_eq!(r.status().as_u16(), 401, "a signature over other parts is refused");
    let _ = r.body_mut().read_to_string();
    let (status, answer) = raw.push_json(&body);
    assert_eq!(status, 200);
    assert_eq!(answer["results"][0]["outcome"], "rejected");
    assert_eq!(answer["results"][0]["code"], "not_owner");
    assert_eq!(answer["results"][1]["outcome"], "applied", "a rejected op does not block the next");
    assert_eq!(answer["acked"], 2);
    assert_eq!(central.count("SELECT count(*) FROM ops WHERE outcome = 'rejected' AND reject_code = 'not_owner'"), 1);
    assert!(admin(&central.pg.url, &["rejected"]).contains("not_owner"), "operators see it");
    let before = south.prints();
    south.sync();
    assert_eq!(south.prints(), before, "the refused op never reaches the office that owns the row");
    assert_eq!(south.count("SELECT count(*) FROM registrants WHERE status = 'active'"), 1);

    // Enrolment codes: unknown, used, expired.
    refuse("an unknown code", "enrolment_code_unknown", 403, &mut || {
        let (s, c, _) = enrol_raw(&server.url, "AAAA-BBBB-CCCC", PROTOCOL_VERSION);
        (s, c)
    });
    let code = central.code("NTH");
    assert!(enrol_raw(&server.url, &code, PROTOCOL_VERSION).2.is_some());
    refuse("a used code", "enrolment_code_used", 403, &mut || {
        let (s, c, _) = enrol_raw(&server.url, &code, PROTOCOL_VERSION);
        (s, c)
    });
    let late = central.code("NTH");
    central.execute("UPDATE enrolment_codes SET expires_at = now() - interval '1 minute' WHERE used_at IS NULL");
    refuse("an expired code", "enrolment_code_expired", 403, &mut || {
        let (s, c, _) = enrol_raw(&server.url, &late, PROTOCOL_VERSION);
        (s, c)
    });
    refuse("an enrolment in another protocol", "upgrade_required", 426, &mut || {
        let (s, c, _) = enrol_raw(&server.url, &central.code("NTH"), PROTOCOL_VERSION + 1);
        (s, c)
    });

    // A revoked desk is refused, and nothing changes on it either.
    south.import("external_id,given_name,family_name,sex,birth_date,area\nS2,Oumar,Sow,male,1952-01-01,D02\n");
    let device: Uuid = south.column("SELECT device_id FROM office")[0];
    admin(&central.pg.url, &["device", "revoke", &device.to_string()]);
    let desk_before = south.prints();
    let audited = refusals(&central, "device_revoked");
    let server_before = server_state(&central);
    let e = south.try_sync().unwrap_err();
    assert_eq!(e.code(), br_core::error::ErrorCode::ServerRefused);
    assert!(matches!(&e, br_core::CoreError::ServerRefused { code, .. } if code == "device_revoked"), "{e:?}");
    assert_eq!(south.prints(), desk_before, "a refused sync changes nothing on the desk");
    assert_eq!(server_state(&central), server_before);
    assert_eq!(refusals(&central, "device_revoked"), audited + 1);
    let status = br_core::sync::status(south.registry.store(), &south.admin).unwrap();
    assert_eq!(status.ops_waiting, 1, "the new person waits for the desk to be enrolled again: {status:?}");
    assert!(status.last_error.unwrap().contains("revoked"));
}
