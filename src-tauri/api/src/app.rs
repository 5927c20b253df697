//! The application as every transport serves it: one registry folder, which is missing, locked (its key
//! needs the recovery passphrase) or open, and the logged-in sessions, each known by a random token.
//! The desktop shell and `br serve` both hand each request to `App::handle` and forward `AppEvent`s.

use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex, RwLock};
use std::time::{Duration, Instant};

use br_core::auth::{Session, SessionInfo};
use br_core::registry::privacy::PrivacyProfile;
use br_core::secret::Secret;
use br_core::store::keys::Unlock;
use br_core::{CreateRegistry, Registry};
use rand::RngCore;
use serde::{Deserialize, Serialize};
use ts_rs::TS;

use crate::files::{FileAccess, LocalFiles, Transfers};
use crate::throttle::Throttle;
use crate::{lifecycle, ApiError, Context, ErrorCode, Progress};

/// A session with no request for this long ends on the server, whatever the page does: the UI locks
/// itself sooner and, while a person is at it, keeps its session alive with a request every few minutes.
pub const SESSION_IDLE_LIMIT: Duration = Duration::from_secs(60 * 60);
/// No session lives longer than a working day, active or not.
pub const SESSION_LIFETIME: Duration = Duration::from_secs(12 * 3600);

/// What the app is showing: the first-run wizard, the passphrase screen, or the login screen.
#[derive(Debug, Clone, Serialize, TS)]
#[serde(tag = "state", rename_all = "snake_case")]
pub enum AppStatus {
    /// No registry in the folder yet: create one or restore a backup.
    NoRegistry { folder: String },
    /// A registry whose key the credential store could not give: the recovery passphrase opens it.
    NeedsPassphrase { folder: String, reason: String },
    /// Open; log in to work.
    Ready { folder: String, office_code: String, office_name: String, credential_store_note: Option<String> },
}

#[derive(Deserialize, TS)]
pub struct CreateRegistryRequest {
    pub office_code: String,
    pub office_name: String,
    pub admin_username: String,
    pub admin_display_name: String,
    #[ts(type = "string")]
    pub admin_password: Secret,
    #[ts(type = "string")]
    pub recovery_passphrase: Secret,
    /// Which personal fields the registry keeps; everything when left out.
    #[serde(default)]
    #[ts(optional)]
    pub privacy: Option<PrivacyProfile>,
}

/// Every request a transport passes through, before and after login.
#[derive(Deserialize, TS)]
#[serde(tag = "action", rename_all = "snake_case")]
pub enum AppRequest {
    Status,
    Create(CreateRegistryRequest),
    Unlock {
        #[ts(type = "string")]
        passphrase: Secret,
    },
    /// Restores a backup folder into the (empty) registry folder.
    Restore {
        backup_folder: String,
        #[ts(type = "string")]
        passphrase: Secret,
    },
    Login {
        username: String,
        #[ts(type = "string")]
        password: Secret,
    },
    Logout {
        token: String,
    },
    /// Asks the session's running long operation to stop after its current batch.
    Cancel {
        token: String,
    },
    Call {
        token: String,
        command: String,
        payload: serde_json::Value,
    },
}

#[derive(Debug, Clone, Serialize, TS)]
pub struct LoginResponse {
    pub token: String,
    pub session: SessionInfo,
}

/// Sent to every client: progress of long work (for the session that started it) and which data sets
/// changed (for everyone's caches).
#[derive(Debug, Clone, Serialize, TS)]
#[serde(tag = "event", rename_all = "snake_case")]
pub enum AppEvent {
    Progress {
        /// The session's public id (never its token).
        session: String,
        command: String,
        progress: Progress,
    },
    Changed {
        sets: Vec<String>,
    },
    /// The registry went from one state to another (created, unlocked, restored).
    Status {
        status: AppStatus,
    },
}

struct SessionEntry {
    session: Session,
    public_id: String,
    cancel: Arc<AtomicBool>,
    created: Instant,
    last_used: Instant,
}

impl SessionEntry {
    fn live(&self) -> bool {
        self.last_used.elapsed() < SESSION_IDLE_LIMIT && self.created.elapsed() < SESSION_LIFETIME
    }
}

pub struct App {
    folder: PathBuf,
    use_credential_store: bool,
    registry: RwLock<Option<Arc<Registry>>>,
    locked_reason: Mutex<Option<String>>,
    sessions: Mutex<HashMap<String, SessionEntry>>,
    throttle: Throttle,
    /// Set when files travel over HTTP (`br serve`): operations then take uploads and give downloads, and
    /// refuse paths on this computer.
    transfers: Option<Transfers>,
    events: Box<dyn Fn(AppEvent) + Send + Sync>,
}

/// Whether `BR_KEYRING` leaves the OS credential store on (`off`, `0`, `false` or `no` turn it off).
pub fn credential_store_enabled() -> bool {
    !matches!(std::env::var("BR_KEYRING").as_deref(), Ok("off" | "0" | "false" | "no"))
}

fn random_hex(bytes: usize) -> String {
    let mut buf = vec![0u8; bytes];
    rand::rng().fill_bytes(&mut buf);
    hex::encode(buf)
}

/// The key of the back-off for passphrase guesses (unlock, restore).
const UNLOCK_KEY: &str = "unlock";

fn session_ended() -> ApiError {
    ApiError { code: ErrorCode::SessionInvalid, message: "log in first".into(), details: None }
}

fn internal(e: impl std::fmt::Display) -> ApiError {
    ApiError { code: ErrorCode::Internal, message: e.to_string(), details: None }
}

fn to_json<T: Serialize>(value: T) -> Result<serde_json::Value, ApiError> {
    serde_json::to_value(value).map_err(internal)
}

impl App {
    /// Opens the registry in `folder` if there is one and its key comes without a person: from the credential
    /// store, or from `passphrase` (`BR_PASSPHRASE` for `br serve`). Otherwise the app starts locked or empty.
    pub fn start(
        folder: &Path,
        use_credential_store: bool,
        passphrase: Option<Secret>,
        events: Box<dyn Fn(AppEvent) + Send + Sync>,
    ) -> App {
        let app = App {
            folder: folder.to_path_buf(),
            use_credential_store,
            registry: RwLock::new(None),
            locked_reason: Mutex::new(None),
            sessions: Mutex::new(HashMap::new()),
            throttle: Throttle::default(),
            transfers: None,
            events,
        };
        if app.has_registry() {
            let unlock = Unlock { use_credential_store, passphrase, prompt: None };
            match lifecycle::open_registry(folder, &unlock) {
                Ok(registry) => app.set_registry(registry),
                Err(e) => *app.locked_reason.lock().expect("lock") = Some(e.message),
            }
        }
        app
    }

    /// Serves files as uploads and downloads instead of paths (a browser on `br serve`).
    pub fn with_transfers(mut self, transfers: Transfers) -> App {
        self.transfers = Some(transfers);
        self
    }

    /// Where an upload by the session behind `token` goes: its id and the file to write.
    pub fn begin_upload(&self, token: &str, name: &str) -> Result<(String, PathBuf), ApiError> {
        let public_id = self.session_public_id(token).ok_or_else(session_ended)?;
        let transfers = self.transfers.as_ref().ok_or_else(|| ApiError::invalid("this app takes no uploads"))?;
        transfers.new_upload(&public_id, name).map_err(internal)
    }

    /// Forgets an upload that did not arrive whole.
    pub fn discard_upload(&self, id: &str) {
        if let Some(t) = &self.transfers {
            t.discard_upload(id);
        }
    }

    /// Takes a download once, while the session that asked for it lives: its file and name.
    pub fn take_download(&self, id: &str) -> Option<(PathBuf, String)> {
        let transfers = self.transfers.as_ref()?;
        transfers.take_download(id, |owner| self.lock_sessions().values().any(|s| s.public_id == owner && s.live()))
    }

    fn has_registry(&self) -> bool {
        self.folder.join(br_core::store::KEY_FILE).exists()
    }

    fn set_registry(&self, registry: Registry) {
        // For whoever runs the registry (br serve's terminal, the desktop's log): the login page says it on
        // the desktop only, since a browser's user can do nothing about the serving computer's keyring.
        if let Some(why) = registry.store().credential_store_note() {
            tracing::warn!(why, "the credential store is not available: the recovery passphrase will be needed to open the registry next time");
        }
        *self.registry.write().expect("registry lock") = Some(Arc::new(registry));
        *self.locked_reason.lock().expect("lock") = None;
    }

    fn registry(&self) -> Option<Arc<Registry>> {
        self.registry.read().expect("registry lock").clone()
    }

    pub fn status(&self) -> AppStatus {
        let folder = self.folder.display().to_string();
        match self.registry() {
            Some(r) => {
                let office = r.store().office();
                AppStatus::Ready {
                    folder,
                    office_code: office.code.clone(),
                    office_name: office.name.clone(),
                    credential_store_note: r.store().credential_store_note().map(str::to_string),
                }
            }
            None if self.has_registry() => AppStatus::NeedsPassphrase {
                folder,
                reason: self.locked_reason.lock().expect("lock").clone().unwrap_or_default(),
            },
            None => AppStatus::NoRegistry { folder },
        }
    }

    /// Handles one request. Blocking: transports run it off their async runtime.
    pub fn handle(&self, request: AppRequest) -> Result<serde_json::Value, ApiError> {
        match request {
            AppRequest::Status => to_json(self.status()),
            AppRequest::Create(req) => to_json(self.create(req)?),
            AppRequest::Unlock { passphrase } => {
                self.ensure_locked()?;
                let registry = self.guarded(UNLOCK_KEY, || {
                    lifecycle::open_registry(&self.folder, &Unlock::with_passphrase(passphrase))
                })?;
                self.set_registry(registry);
                self.status_changed()
            }
            AppRequest::Restore { backup_folder, passphrase } => {
                if self.transfers.is_some() {
                    return Err(ApiError::invalid(
                        "a backup is restored on the computer that will hold the registry (the desktop app or br restore)",
                    ));
                }
                if self.has_registry() {
                    return Err(ApiError::invalid("this folder already holds a registry; restore into an empty one"));
                }
                let registry = self.guarded(UNLOCK_KEY, || {
                    lifecycle::restore_backup(
                        Path::new(&backup_folder),
                        &self.folder,
                        &Unlock::with_passphrase(passphrase),
                    )
                })?;
                self.set_registry(registry);
                self.status_changed()
            }
            AppRequest::Login { username, password } => {
                let registry = self.open_registry()?;
                // Keyed by a bounded prefix: a megabyte of username is not kept in memory.
                let key = format!("login:{}", username.chars().take(64).collect::<String>());
                let session = self.guarded(&key, || lifecycle::login(&registry, &username, &password))?;
                to_json(self.add_session(session))
            }
            AppRequest::Logout { token } => {
                self.lock_sessions().remove(&token);
                to_json(crate::ops::Done { ok: true })
            }
            AppRequest::Cancel { token } => {
                let (_, _, cancel) = self.session(&token)?;
                cancel.store(true, Ordering::Relaxed);
                to_json(crate::ops::Done { ok: true })
            }
            AppRequest::Call { token, command, payload } => self.call(&token, &command, payload),
        }
    }

    fn create(&self, req: CreateRegistryRequest) -> Result<LoginResponse, ApiError> {
        if self.has_registry() {
            return Err(ApiError::invalid("this folder already holds a registry"));
        }
        let (registry, session) = lifecycle::create_registry(
            &self.folder,
            CreateRegistry {
                office_code: req.office_code,
                office_name: req.office_name,
                admin_username: req.admin_username,
                admin_display_name: req.admin_display_name,
                admin_password: req.admin_password,
                recovery_passphrase: req.recovery_passphrase,
                use_credential_store: self.use_credential_store,
                privacy: req.privacy.unwrap_or_default(),
            },
        )?;
        self.set_registry(registry);
        (self.events)(AppEvent::Status { status: self.status() });
        Ok(self.add_session(session))
    }

    /// Runs a guess (a login, an unlock) under the back-off for `key`: refused while it must wait; a
    /// wrong password or passphrase counts as a failure.
    fn guarded<T>(&self, key: &str, attempt: impl FnOnce() -> Result<T, ApiError>) -> Result<T, ApiError> {
        self.throttle.check(key)?;
        match attempt() {
            Ok(v) => {
                self.throttle.succeeded(key);
                Ok(v)
            }
            Err(e) => {
                if matches!(e.code, ErrorCode::AuthenticationFailed | ErrorCode::WrongPassphrase) {
                    self.throttle.failed(key);
                }
                Err(e)
            }
        }
    }

    fn ensure_locked(&self) -> Result<(), ApiError> {
        if self.registry().is_some() {
            return Err(ApiError::invalid("the registry is already open"));
        }
        if !self.has_registry() {
            return Err(ApiError::invalid("there is no registry in this folder yet"));
        }
        Ok(())
    }

    fn status_changed(&self) -> Result<serde_json::Value, ApiError> {
        let status = self.status();
        (self.events)(AppEvent::Status { status: status.clone() });
        to_json(status)
    }

    fn open_registry(&self) -> Result<Arc<Registry>, ApiError> {
        self.registry().ok_or_else(|| ApiError {
            code: ErrorCode::SessionInvalid,
            message: "the registry is not open yet".into(),
            details: None,
        })
    }

    fn add_session(&self, session: Session) -> LoginResponse {
        let token = random_hex(32);
        let info = session.info();
        let now = Instant::now();
        let entry = SessionEntry {
            session,
            public_id: random_hex(8),
            cancel: Arc::new(AtomicBool::new(false)),
            created: now,
            last_used: now,
        };
        let mut sessions = self.lock_sessions();
        sessions.retain(|_, s| s.live());
        sessions.insert(token.clone(), entry);
        LoginResponse { token, session: info }
    }

    fn lock_sessions(&self) -> std::sync::MutexGuard<'_, HashMap<String, SessionEntry>> {
        crate::lock(&self.sessions)
    }

    fn session(&self, token: &str) -> Result<(Session, String, Arc<AtomicBool>), ApiError> {
        let mut sessions = self.lock_sessions();
        match sessions.get_mut(token) {
            Some(s) if s.live() => {
                s.last_used = Instant::now();
                Ok((s.session.clone(), s.public_id.clone(), s.cancel.clone()))
            }
            _ => {
                sessions.remove(token);
                Err(session_ended())
            }
        }
    }

    /// The public id of the live session behind `token`, without counting as activity: for a second
    /// channel (an event stream) that checks its session again and again.
    pub fn session_public_id(&self, token: &str) -> Option<String> {
        let sessions = self.lock_sessions();
        sessions.get(token).filter(|s| s.live()).map(|s| s.public_id.clone())
    }

    /// Runs one API command for the session behind `token`.
    pub fn call(&self, token: &str, command: &str, payload: serde_json::Value) -> Result<serde_json::Value, ApiError> {
        let (login_session, public_id, cancel) = self.session(token)?;
        let registry = self.open_registry()?;
        // The account as it is now: a role changed or an account disabled since the login takes effect here.
        let session = match br_core::auth::refresh(registry.store(), &login_session) {
            Ok(s) => s,
            Err(e) => {
                if e.code() == ErrorCode::SessionInvalid {
                    self.lock_sessions().remove(token);
                }
                return Err(e.into());
            }
        };
        // A new long operation starts uncancelled; other commands (a search while an import runs) must
        // not clear a cancel the user asked for.
        if crate::is_long_running(command) {
            cancel.store(false, Ordering::Relaxed);
        }
        let progress = |p: Progress| {
            (self.events)(AppEvent::Progress { session: public_id.clone(), command: command.to_string(), progress: p })
        };
        let files: Box<dyn FileAccess + '_> = match &self.transfers {
            Some(t) => Box::new(t.for_session(&public_id)),
            None => Box::new(LocalFiles),
        };
        let ctx = Context { registry: &registry, files: files.as_ref(), progress: &progress, cancel: &cancel };
        let result = crate::dispatch(&ctx, &session, command, payload)?;
        let sets = crate::changes_of(command);
        if !sets.is_empty() {
            (self.events)(AppEvent::Changed { sets: sets.iter().map(|s| s.to_string()).collect() });
        }
        Ok(result)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;
    use std::sync::{OnceLock, Weak};

    fn create(app: &App) -> String {
        let created = app
            .handle(
                serde_json::from_value(json!({
                    "action": "create", "office_code": "TST", "office_name": "Test office",
                    "admin_username": "admin", "admin_display_name": "Admin",
                    "admin_password": "admin-password-1", "recovery_passphrase": "correct horse battery staple"
                }))
                .unwrap(),
            )
            .unwrap();
        created["token"].as_str().unwrap().to_string()
    }

    #[test]
    fn a_command_run_during_an_import_does_not_swallow_its_cancel() {
        let tmp = tempfile::tempdir().unwrap();
        let mut csv = String::from("external_id,given_name\n");
        for i in 0..2_000 {
            csv.push_str(&format!("P{i},Name{i}\n"));
        }
        let path = tmp.path().join("people.csv");
        std::fs::write(&path, csv).unwrap();
        // The user presses cancel, and the list refreshes (a search) before the next batch starts: both
        // arrive while the import's progress event is being handled, as they do in the window.
        let handle: Arc<OnceLock<(Weak<App>, String)>> = Arc::default();
        let in_events = handle.clone();
        let app = Arc::new(App::start(
            &tmp.path().join("reg"),
            false,
            None,
            Box::new(move |e| {
                if let (AppEvent::Progress { .. }, Some((app, token))) = (e, in_events.get()) {
                    let app = app.upgrade().unwrap();
                    app.handle(AppRequest::Cancel { token: token.clone() }).unwrap();
                    app.call(token, "registrants.search", json!({})).unwrap();
                }
            }),
        ));
        let token = create(&app);
        handle.set((Arc::downgrade(&app), token.clone())).ok().unwrap();
        let done = app.call(&token, "import.run", json!({"path": path, "options": {"batch_rows": 100}})).unwrap();
        assert_eq!(done["result"]["status"], "cancelled");
        assert!(done["result"]["inserted"].as_u64().unwrap() < 2_000);
    }

    #[test]
    fn tokens_are_checked_and_logout_ends_them() {
        let tmp = tempfile::tempdir().unwrap();
        let app = App::start(&tmp.path().join("reg"), false, None, Box::new(|_| {}));
        assert!(matches!(app.status(), AppStatus::NoRegistry { .. }));
        let token = create(&app);
        assert!(matches!(app.status(), AppStatus::Ready { .. }));
        app.call(&token, "registrants.search", json!({})).unwrap();
        let wrong = app.call("not-a-token", "registrants.search", json!({})).unwrap_err();
        assert_eq!(wrong.code, ErrorCode::SessionInvalid);
        app.handle(AppRequest::Logout { token: token.clone() }).unwrap();
        assert_eq!(app.call(&token, "registrants.search", json!({})).unwrap_err().code, ErrorCode::SessionInvalid);
    }

    fn login(app: &App, username: &str, password: &str) -> Result<serde_json::Value, ApiError> {
        app.handle(
            serde_json::from_value(json!({"action": "login", "username": username, "password": password})).unwrap(),
        )
    }

    #[test]
    fn password_guesses_back_off_after_five_failures() {
        let tmp = tempfile::tempdir().unwrap();
        let app = App::start(&tmp.path().join("reg"), false, None, Box::new(|_| {}));
        create(&app);
        for _ in 0..5 {
            assert_eq!(login(&app, "admin", "a wrong guess!").unwrap_err().code, ErrorCode::AuthenticationFailed);
        }
        // Now even the right password waits: the guesser cannot tell.
        let e = login(&app, "admin", "admin-password-1").unwrap_err();
        assert_eq!(e.code, ErrorCode::RateLimited);
        assert!(e.details.unwrap()["retry_after_s"].as_u64().unwrap() >= 1);
    }

    #[test]
    fn a_session_ends_when_its_account_is_disabled_by_an_administrator() {
        let tmp = tempfile::tempdir().unwrap();
        let app = App::start(&tmp.path().join("reg"), false, None, Box::new(|_| {}));
        let admin = create(&app);
        let add =
            json!({"username": "clerk", "display_name": "Clerk", "role": "registrar", "password": "clerk-password-1"});
        app.call(&admin, "users.add", add).unwrap();
        let clerk = login(&app, "clerk", "clerk-password-1").unwrap()["token"].as_str().unwrap().to_string();
        app.call(&clerk, "registrants.search", json!({})).unwrap();
        app.call(&admin, "users.update", json!({"username": "clerk", "change": {"disabled": true}})).unwrap();
        let e = app.call(&clerk, "registrants.search", json!({})).unwrap_err();
        assert_eq!(e.code, ErrorCode::SessionInvalid);
        assert!(app.session_public_id(&clerk).is_none(), "the session is gone, not only refused");
    }

    #[test]
    fn a_registry_without_its_key_asks_for_the_passphrase_and_opens_with_it() {
        let tmp = tempfile::tempdir().unwrap();
        let folder = tmp.path().join("reg");
        create(&App::start(&folder, false, None, Box::new(|_| {})));
        let app = App::start(&folder, false, None, Box::new(|_| {}));
        assert!(matches!(app.status(), AppStatus::NeedsPassphrase { .. }));
        let login =
            serde_json::from_value(json!({"action": "login", "username": "admin", "password": "admin-password-1"}));
        assert_eq!(app.handle(login.unwrap()).unwrap_err().code, ErrorCode::SessionInvalid);
        let wrong = app.handle(AppRequest::Unlock { passphrase: Secret::new("not the passphrase at all") });
        assert!(wrong.is_err());
        app.handle(AppRequest::Unlock { passphrase: Secret::new("correct horse battery staple") }).unwrap();
        assert!(matches!(app.status(), AppStatus::Ready { .. }));
    }
}
