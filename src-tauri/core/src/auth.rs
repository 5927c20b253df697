//! Local accounts, roles, and the one permission table every operation is checked against.

use std::num::NonZeroU32;

use base64::engine::general_purpose::STANDARD as B64;
use base64::Engine;
use rusqlite::{params, OptionalExtension};
use serde::{Deserialize, Serialize};
use ts_rs::TS;
use uuid::Uuid;

use crate::audit::AuditEvent;
use crate::clock::now_rfc3339;
use crate::error::{CoreError, Result};
use crate::secret::Secret;
use crate::store::Store;

pub use crate::session::{Session, SessionInfo};
pub use br_model::roles::{role_permissions, Permission, Role};

pub const PASSWORD_ITERATIONS: u32 = 600_000;
pub const MIN_PASSWORD_CHARS: usize = 10;

/// Checks the permission; a refusal is written to the audit log (in its own transaction) before returning.
pub fn require(store: &Store, session: &Session, permission: Permission, action: &'static str) -> Result<()> {
    if session.may(permission) {
        return Ok(());
    }
    store.write_as(session.username(), |tx| {
        tx.audit(
            AuditEvent::new(session, action).denied().details(serde_json::json!({ "permission": permission.as_str() })),
        )
    })?;
    Err(CoreError::PermissionDenied { role: session.role.as_str().into(), permission: permission.as_str().into() })
}

/// Records a refusal found inside a write (whose transaction rolled back with it): a stage another role
/// decides, a separation-of-duties rule. Refusals by permission are recorded by `require`.
pub fn audit_refusal(store: &Store, session: &Session, action: &'static str, refusal: &CoreError) -> Result<()> {
    store.write_as(session.username(), |tx| {
        tx.audit(AuditEvent::new(session, action).denied().details(serde_json::json!({
            "code": refusal.code().as_str(), "reason": refusal.to_string()
        })))
    })
}

pub fn hash_password(password: &Secret) -> String {
    let mut salt = [0u8; 16];
    ring::rand::SecureRandom::fill(&ring::rand::SystemRandom::new(), &mut salt).expect("system random");
    let mut out = [0u8; 32];
    ring::pbkdf2::derive(
        ring::pbkdf2::PBKDF2_HMAC_SHA256,
        NonZeroU32::new(PASSWORD_ITERATIONS).expect("positive"),
        &salt,
        password.expose().as_bytes(),
        &mut out,
    );
    format!("pbkdf2-sha256${PASSWORD_ITERATIONS}${}${}", B64.encode(salt), B64.encode(out))
}

fn verify_password(stored: &str, password: &Secret) -> bool {
    let parts: Vec<&str> = stored.split('$').collect();
    let [scheme, iterations, salt, hash] = parts[..] else { return false };
    let (Ok(iterations), Ok(salt), Ok(hash)) = (iterations.parse::<u32>(), B64.decode(salt), B64.decode(hash)) else {
        return false;
    };
    let Some(iterations) = NonZeroU32::new(iterations) else { return false };
    scheme == "pbkdf2-sha256"
        && ring::pbkdf2::verify(
            ring::pbkdf2::PBKDF2_HMAC_SHA256,
            iterations,
            &salt,
            password.expose().as_bytes(),
            &hash,
        )
        .is_ok()
}

pub fn validate_new_password(password: &Secret) -> Result<()> {
    if password.expose().chars().count() < MIN_PASSWORD_CHARS {
        return Err(CoreError::InvalidInput(format!("a password must have at least {MIN_PASSWORD_CHARS} characters")));
    }
    Ok(())
}

pub fn validate_username(username: &str) -> Result<()> {
    let ok = (3..=64).contains(&username.len())
        && username.chars().all(|c| c.is_ascii_alphanumeric() || matches!(c, '.' | '_' | '-'));
    if !ok {
        return Err(CoreError::InvalidInput(
            "a username has 3 to 64 letters, digits, dots, dashes or underscores".into(),
        ));
    }
    Ok(())
}

#[derive(Debug, Clone, Serialize, TS)]
pub struct User {
    pub id: Uuid,
    pub username: String,
    pub display_name: String,
    pub role: Role,
    pub disabled: bool,
    pub created_at: String,
}

pub(crate) fn insert_user(
    conn: &rusqlite::Connection,
    username: &str,
    display_name: &str,
    role: Role,
    password: &Secret,
) -> Result<User> {
    validate_username(username)?;
    validate_new_password(password)?;
    let exists: bool =
        conn.query_row("SELECT EXISTS (SELECT 1 FROM users WHERE username = ?1)", [username], |r| r.get(0))?;
    if exists {
        return Err(CoreError::AlreadyExists { what: format!("user {username}") });
    }
    let user = User {
        id: Uuid::now_v7(),
        username: username.into(),
        display_name: display_name.into(),
        role,
        disabled: false,
        created_at: now_rfc3339(),
    };
    conn.execute(
        "INSERT INTO users (id, username, display_name, role, password_hash, created_at) VALUES (?1, ?2, ?3, ?4, ?5, ?6)",
        params![user.id, user.username, user.display_name, role.as_str(), hash_password(password), user.created_at],
    )?;
    Ok(user)
}

/// Usernames longer than this are not looked up or written anywhere (a failed login is audited).
const MAX_LOGIN_NAME_BYTES: usize = 64;

/// A stored hash at our iteration count for a password nobody has: unknown and malformed usernames are
/// checked against it, so every failed login costs one full PBKDF2 whichever way it failed.
fn decoy_hash() -> &'static str {
    static DECOY: std::sync::OnceLock<String> = std::sync::OnceLock::new();
    DECOY.get_or_init(|| hash_password(&Secret::new("no account has this password")))
}

pub fn login(store: &Store, username: &str, password: &Secret) -> Result<Session> {
    let plausible = username.len() <= MAX_LOGIN_NAME_BYTES && !username.is_empty();
    let row: Option<(Uuid, String, String, bool, i64)> = if plausible {
        store.read(|c| {
            Ok(c.query_row(
                "SELECT id, role, password_hash, disabled, session_epoch FROM users WHERE username = ?1",
                [username],
                |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?, r.get(4)?)),
            )
            .optional()?)
        })?
    } else {
        None
    };
    // The same work on every path (unknown, disabled, wrong password, right password): one verification
    // against a hash of our iteration count, so timing does not tell which usernames exist or are disabled.
    let hash = row.as_ref().map(|r| r.2.as_str()).unwrap_or_else(|| decoy_hash());
    let password_ok = verify_password(hash, password);
    let session = match row {
        Some((id, role, _, false, epoch)) if password_ok => {
            Some(Session { user_id: id, username: username.into(), role: Role::parse(&role)?, epoch })
        }
        _ => None,
    };
    // The name as typed is kept only when it could be a username: a 2 MB "username" is not stored.
    let shown = if plausible { username.to_string() } else { format!("({} bytes, not a username)", username.len()) };
    store.write(|tx| {
        let mut ev = AuditEvent {
            actor: session.as_ref(),
            action: "login",
            entity: Some("user"),
            entity_id: Some(shown),
            outcome: crate::audit::Outcome::Ok,
            details: serde_json::Value::Null,
        };
        if session.is_none() {
            ev = ev.denied();
        }
        tx.audit(ev)
    })?;
    session.ok_or(CoreError::AuthenticationFailed)
}

/// The session as the account stands now: its current role, or `SessionInvalid` when the account was
/// disabled, removed or changed (role, password) since the login. Every transport calls this before
/// each request, so a departed employee's open session stops at its next click.
pub fn refresh(store: &Store, session: &Session) -> Result<Session> {
    let row: Option<(String, bool, i64)> = store.read(|c| {
        Ok(c.query_row("SELECT role, disabled, session_epoch FROM users WHERE id = ?1", [session.user_id], |r| {
            Ok((r.get(0)?, r.get(1)?, r.get(2)?))
        })
        .optional()?)
    })?;
    match row {
        Some((role, false, epoch)) if epoch == session.epoch => {
            Ok(Session { role: Role::parse(&role)?, ..session.clone() })
        }
        _ => Err(CoreError::SessionInvalid),
    }
}

/// A change to an account; absent fields stay as they are.
#[derive(Debug, Clone, Default, Deserialize, TS)]
#[serde(default)]
pub struct UserChange {
    #[ts(optional)]
    pub display_name: Option<String>,
    #[ts(optional)]
    pub role: Option<Role>,
    /// Disable (true) or enable again (false). A disabled account cannot log in; nothing it did is removed.
    #[ts(optional)]
    pub disabled: Option<bool>,
    /// A new password, set by an administrator (the user should change it).
    #[ts(optional, type = "string")]
    pub password: Option<Secret>,
}

/// Changes an account. Any change to its role, password or access ends its open sessions.
pub fn update_user(store: &Store, session: &Session, username: &str, change: &UserChange) -> Result<User> {
    require(store, session, Permission::UsersManage, "user.update")?;
    if let Some(p) = &change.password {
        validate_new_password(p)?;
    }
    if let Some(name) = &change.display_name {
        if name.trim().is_empty() || name.chars().count() > 200 {
            return Err(CoreError::InvalidInput("a display name has 1 to 200 characters".into()));
        }
    }
    store.write_as(session.username(), |tx| {
        let c = tx.conn();
        let before = c
            .query_row(
                "SELECT id, username, display_name, role, disabled, created_at FROM users WHERE username = ?1",
                [username],
                user_from_row,
            )
            .optional()?
            .ok_or_else(|| CoreError::not_found(format!("user {username}")))??;
        let role = change.role.unwrap_or(before.role);
        let disabled = change.disabled.unwrap_or(before.disabled);
        if before.role == Role::Admin && (role != Role::Admin || disabled) {
            let other_admins: i64 = c.query_row(
                "SELECT count(*) FROM users WHERE role = 'admin' AND disabled = 0 AND id <> ?1",
                [before.id],
                |r| r.get(0),
            )?;
            if other_admins == 0 {
                return Err(CoreError::InvalidInput(
                    "this is the last active administrator; make another one first".into(),
                ));
            }
        }
        let ends_sessions = role != before.role || disabled != before.disabled || change.password.is_some();
        let display_name = change.display_name.as_deref().map(str::trim).unwrap_or(&before.display_name).to_string();
        c.execute(
            "UPDATE users SET display_name = ?2, role = ?3, disabled = ?4, updated_at = ?5,
                 session_epoch = session_epoch + ?6 WHERE id = ?1",
            params![before.id, display_name, role.as_str(), disabled, now_rfc3339(), i64::from(ends_sessions)],
        )?;
        if let Some(p) = &change.password {
            c.execute("UPDATE users SET password_hash = ?2 WHERE id = ?1", params![before.id, hash_password(p)])?;
        }
        let mut changed = serde_json::Map::new();
        if display_name != before.display_name {
            changed.insert("display_name".into(), serde_json::json!(display_name));
        }
        if role != before.role {
            changed.insert("role".into(), serde_json::json!({ "from": before.role.as_str(), "to": role.as_str() }));
        }
        if disabled != before.disabled {
            changed.insert("disabled".into(), serde_json::json!(disabled));
        }
        if change.password.is_some() {
            changed.insert("password".into(), serde_json::json!("reset"));
        }
        tx.audit(AuditEvent::new(session, "user.update").on("user", before.id.to_string()).details(
            serde_json::json!({ "username": before.username, "changed": changed, "sessions_ended": ends_sessions }),
        ))?;
        Ok(User { display_name, role, disabled, ..before })
    })
}

fn user_from_row(r: &rusqlite::Row<'_>) -> rusqlite::Result<Result<User>> {
    let role: String = r.get(3)?;
    let (id, username, display_name, disabled, created_at) = (r.get(0)?, r.get(1)?, r.get(2)?, r.get(4)?, r.get(5)?);
    Ok(Role::parse(&role)
        .map(|role| User { id, username, display_name, role, disabled, created_at })
        .map_err(CoreError::from))
}

pub fn add_user(
    store: &Store,
    session: &Session,
    username: &str,
    display_name: &str,
    role: Role,
    password: &Secret,
) -> Result<User> {
    require(store, session, Permission::UsersManage, "user.add")?;
    store.write_as(session.username(), |tx| {
        let user = insert_user(tx.conn(), username, display_name, role, password)?;
        tx.audit(
            AuditEvent::new(session, "user.add")
                .on("user", user.id.to_string())
                .details(serde_json::json!({ "username": user.username, "role": role.as_str() })),
        )?;
        Ok(user)
    })
}

pub fn list_users(store: &Store, session: &Session) -> Result<Vec<User>> {
    require(store, session, Permission::UsersManage, "user.list")?;
    store.read(|c| {
        let mut stmt =
            c.prepare("SELECT id, username, display_name, role, disabled, created_at FROM users ORDER BY username")?;
        let rows = stmt.query_map([], user_from_row)?;
        let mut out = Vec::new();
        for row in rows {
            out.push(row??);
        }
        Ok(out)
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn password_hash_verifies_only_the_right_password() {
        let h = hash_password(&Secret::new("a long password"));
        assert!(verify_password(&h, &Secret::new("a long password")));
        assert!(!verify_password(&h, &Secret::new("a long passwore")));
        assert!(!verify_password("garbage", &Secret::new("a long password")));
    }

    #[test]
    fn auditor_reads_but_never_writes_or_reveals() {
        let p = role_permissions(Role::Auditor);
        assert!(p.contains(&Permission::AuditRead));
        assert!(!p.contains(&Permission::RegistrantWrite));
        assert!(!p.contains(&Permission::PersonalDataReveal));
    }
}
