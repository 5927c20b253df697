//! Anchors of the audit log kept outside the registry file. The HMAC chain shows any change to the log by
//! someone without the database key; someone with it could rewrite the chain or cut its tail, and restoring
//! an older `registry.db` cuts it too. A signed head (entry number and MAC of the last entry) written where
//! that person cannot reach — a backup's manifest kept elsewhere, a head printed and filed, later the
//! central server — proves the log held that entry then: `br audit verify --against FILE` finds the log
//! rewritten or cut before it.

use rusqlite::OptionalExtension;
use serde::{Deserialize, Serialize};
use ts_rs::TS;

use crate::auth::{require, Permission, Session};
use crate::clock::now_rfc3339;
use crate::error::{CoreError, Result};
use crate::store::Store;

const FORMAT: &str = "br-audit-head-v1";
/// Hex of 32-byte MACs and keys and a 64-byte signature; anything longer is not an anchor.
const MAX_HEX: usize = 128;

/// The audit log's head, signed with the registry's Ed25519 key.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, TS)]
pub struct SignedHead {
    pub format: String,
    pub registry_id: String,
    /// The last entry's number and MAC (hex) when the head was taken.
    pub seq: i64,
    pub mac: String,
    /// UTC, RFC 3339.
    pub at: String,
    /// Ed25519 public key and signature, hex.
    pub public_key: String,
    pub signature: String,
}

#[derive(Debug, Clone, Serialize, TS)]
pub struct AnchorReport {
    pub ok: bool,
    pub anchored_seq: i64,
    pub anchored_at: String,
    /// Entries in the log now.
    pub entries_now: i64,
    /// Why the log does not match the anchor.
    pub reason: Option<String>,
}

fn message(h: &SignedHead) -> Vec<u8> {
    format!("{}\n{}\n{}\n{}\n{}", h.format, h.registry_id, h.seq, h.mac, h.at).into_bytes()
}

fn head_now(store: &Store) -> Result<(i64, Vec<u8>)> {
    store.read(|c| {
        Ok(c.query_row(
            "SELECT audit_head_seq, ifnull(audit_head_mac, x'') FROM office WHERE singleton = 1",
            [],
            |r| Ok((r.get(0)?, r.get(1)?)),
        )?)
    })
}

/// The head as it is now, signed. Taken before a backup copies the database, so the copy holds it.
pub fn signed_head(store: &Store) -> Result<SignedHead> {
    let (seq, mac) = head_now(store)?;
    let key = store.head_signing_key();
    let mut head = SignedHead {
        format: FORMAT.into(),
        registry_id: store.office().registry_id.clone(),
        seq,
        mac: hex::encode(mac),
        at: now_rfc3339(),
        public_key: hex::encode(ring::signature::KeyPair::public_key(&key).as_ref()),
        signature: String::new(),
    };
    head.signature = hex::encode(key.sign(&message(&head)).as_ref());
    Ok(head)
}

/// The signed head for a person who keeps it elsewhere (needs the audit permission).
pub fn head(store: &Store, session: &Session) -> Result<SignedHead> {
    require(store, session, Permission::AuditRead, "audit.head")?;
    signed_head(store)
}

/// Checks the log against an anchor taken earlier: the anchor is this registry's and unaltered, the chain
/// is whole, and the anchored entry is still there with the same MAC.
pub fn verify_against(store: &Store, session: &Session, anchor: &SignedHead) -> Result<AnchorReport> {
    require(store, session, Permission::AuditRead, "audit.verify")?;
    for (name, value) in [("mac", &anchor.mac), ("public_key", &anchor.public_key), ("signature", &anchor.signature)] {
        if value.len() > MAX_HEX {
            return Err(CoreError::InvalidInput(format!("the anchor's {name} is too long to be one")));
        }
    }
    let chain = crate::audit::verify(store)?;
    let mut report = AnchorReport {
        ok: false,
        anchored_seq: anchor.seq,
        anchored_at: anchor.at.clone(),
        entries_now: chain.entries_checked,
        reason: None,
    };
    let ours = ring::signature::KeyPair::public_key(&store.head_signing_key()).as_ref().to_vec();
    let fail = |mut r: AnchorReport, why: &str| {
        r.reason = Some(why.to_string());
        Ok(r)
    };
    if anchor.format != FORMAT {
        return fail(report, "not an audit head (unknown format)");
    }
    if anchor.registry_id != store.office().registry_id {
        return fail(report, "the anchor is of another registry");
    }
    if anchor.public_key != hex::encode(&ours) {
        return fail(report, "the anchor was not signed by this registry's key");
    }
    let signature = hex::decode(&anchor.signature).unwrap_or_default();
    let public = ring::signature::UnparsedPublicKey::new(&ring::signature::ED25519, &ours);
    if public.verify(&message(anchor), &signature).is_err() {
        return fail(report, "the anchor's signature does not match its content: it was altered");
    }
    if !chain.ok {
        return fail(report, &format!("the chain itself is broken: {}", chain.reason.unwrap_or_default()));
    }
    let (now_seq, _) = head_now(store)?;
    if now_seq < anchor.seq {
        return fail(
            report,
            &format!(
                "the log ends at entry {now_seq}, before the anchored entry {}: entries were cut or an older database was restored",
                anchor.seq
            ),
        );
    }
    if anchor.seq > 0 {
        let mac: Option<Vec<u8>> = store.read(|c| {
            Ok(c.query_row("SELECT mac FROM audit_log WHERE seq = ?1", [anchor.seq], |r| r.get(0)).optional()?)
        })?;
        if mac.map(hex::encode).as_deref() != Some(anchor.mac.as_str()) {
            return fail(report, &format!("entry {} differs from the anchored one: the log was rewritten", anchor.seq));
        }
    }
    report.ok = true;
    Ok(report)
}
