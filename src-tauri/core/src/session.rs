//! Who is acting: a session made by a successful login (`auth::login`). A leaf, so the audit log can name
//! the actor without depending on the account code that audits its own refusals.

use serde::Serialize;
use ts_rs::TS;
use uuid::Uuid;

use br_model::roles::{role_permissions, Permission, Role};

/// An authenticated user. Only `login` makes one, so holding a `Session` proves the password was checked.
#[derive(Debug, Clone)]
pub struct Session {
    pub(crate) user_id: Uuid,
    pub(crate) username: String,
    pub(crate) role: Role,
    /// The account's session epoch at login; a change to the account raises it and ends the session.
    pub(crate) epoch: i64,
}

#[derive(Debug, Clone, Serialize, TS)]
pub struct SessionInfo {
    pub user_id: Uuid,
    pub username: String,
    pub role: Role,
    pub permissions: Vec<Permission>,
}

impl Session {
    pub fn user_id(&self) -> Uuid {
        self.user_id
    }
    pub fn username(&self) -> &str {
        &self.username
    }
    pub fn role(&self) -> Role {
        self.role
    }
    pub fn may(&self, p: Permission) -> bool {
        role_permissions(self.role).contains(&p)
    }
    pub fn info(&self) -> SessionInfo {
        SessionInfo {
            user_id: self.user_id,
            username: self.username.clone(),
            role: self.role,
            permissions: role_permissions(self.role).to_vec(),
        }
    }
}
