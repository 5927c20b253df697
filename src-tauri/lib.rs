//! The desktop application's state: the open registry, the logged-in session and the cancel flag of long
//! work, and `invoke`, the one entry point every Tauri command forwards to (issue 3 adds the window and
//! the one-line `#[tauri::command]` adapters over it). Tests drive it exactly as the UI will.

use std::path::Path;
use std::sync::atomic::{AtomicBool, Ordering};

use br_api::{lifecycle, ApiError, Context, ErrorCode, Progress};
use br_core::auth::{Session, SessionInfo};
use br_core::secret::Secret;
use br_core::store::keys::Unlock;
use br_core::{CreateRegistry, Registry};

pub struct AppState {
    registry: Registry,
    session: Option<Session>,
    cancel: AtomicBool,
}

impl AppState {
    /// Creates a registry (the first-run wizard) and logs its admin in.
    pub fn create(dir: &Path, req: CreateRegistry) -> Result<AppState, ApiError> {
        let (registry, session) = lifecycle::create_registry(dir, req)?;
        Ok(AppState { registry, session: Some(session), cancel: AtomicBool::new(false) })
    }

    /// Opens an existing registry; nobody is logged in yet.
    pub fn open(dir: &Path, unlock: &Unlock<'_>) -> Result<AppState, ApiError> {
        Ok(AppState { registry: lifecycle::open_registry(dir, unlock)?, session: None, cancel: AtomicBool::new(false) })
    }

    pub fn login(&mut self, username: &str, password: &Secret) -> Result<SessionInfo, ApiError> {
        let session = lifecycle::login(&self.registry, username, password)?;
        let info = session.info();
        self.session = Some(session);
        Ok(info)
    }

    /// Locking and logging out both drop the session: nothing more runs until the next login.
    pub fn logout(&mut self) {
        self.session = None;
    }

    /// Asks the running long operation (an import) to stop after its current batch.
    pub fn cancel(&self) {
        self.cancel.store(true, Ordering::Relaxed);
    }

    /// Runs one API command for the logged-in user.
    pub fn invoke(
        &self,
        command: &str,
        payload: serde_json::Value,
        progress: &(dyn Fn(Progress) + Sync),
    ) -> Result<serde_json::Value, ApiError> {
        let session = self.session.as_ref().ok_or_else(|| ApiError {
            code: ErrorCode::SessionInvalid,
            message: "log in first".into(),
            details: None,
        })?;
        // A new long operation starts uncancelled; other commands (a search while an import runs) must
        // not clear a cancel the user asked for.
        if br_api::is_long_running(command) {
            self.cancel.store(false, Ordering::Relaxed);
        }
        let ctx = Context { registry: &self.registry, progress, cancel: &self.cancel };
        br_api::dispatch(&ctx, session, command, payload)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_command_run_during_an_import_does_not_swallow_its_cancel() {
        let tmp = tempfile::tempdir().unwrap();
        let app = AppState::create(
            &tmp.path().join("reg"),
            CreateRegistry {
                office_code: "TST".into(),
                office_name: "Test".into(),
                admin_username: "admin".into(),
                admin_display_name: "Admin".into(),
                admin_password: Secret::new("admin-password-1"),
                recovery_passphrase: Secret::new("correct horse battery staple"),
                use_credential_store: false,
            },
        )
        .unwrap();
        let mut csv = String::from("external_id,given_name\n");
        for i in 0..2_000 {
            csv.push_str(&format!("P{i},Name{i}\n"));
        }
        let path = tmp.path().join("people.csv");
        std::fs::write(&path, csv).unwrap();
        // The user presses cancel, and the list refreshes (a search) before the next batch starts.
        let on_progress = |_: Progress| {
            app.cancel();
            app.invoke("registrants.search", serde_json::json!({}), &|_| {}).unwrap();
        };
        let summary = app
            .invoke("import.run", serde_json::json!({"path": path, "options": {"batch_rows": 100}}), &on_progress)
            .unwrap();
        assert_eq!(summary["status"], "cancelled");
        assert!(summary["inserted"].as_u64().unwrap() < 2_000);
    }
}
