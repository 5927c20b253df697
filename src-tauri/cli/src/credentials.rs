//! Credentials for non-interactive scripts and people at a terminal alike.

use std::io::IsTerminal;

use br_api::ApiError;
use br_core::secret::Secret;
use br_core::store::keys::Unlock;

fn env_secret(name: &str) -> Option<Secret> {
    std::env::var(name).ok().filter(|s| !s.is_empty()).map(Secret::new)
}

fn prompt(label: &str) -> Option<Secret> {
    if !std::io::stdin().is_terminal() {
        return None;
    }
    rpassword::prompt_password(label).ok().map(Secret::new)
}

pub fn use_credential_store() -> bool {
    br_api::app::credential_store_enabled()
}

pub fn passphrase_prompt() -> Option<Secret> {
    prompt("Recovery passphrase: ")
}

pub fn unlock() -> Unlock<'static> {
    Unlock {
        use_credential_store: use_credential_store(),
        passphrase: env_secret("BR_PASSPHRASE"),
        prompt: Some(&passphrase_prompt),
    }
}

/// A new secret: from the environment, or typed twice at a terminal.
pub fn new_secret(env: &str, label: &str) -> Result<Secret, ApiError> {
    if let Some(s) = env_secret(env) {
        return Ok(s);
    }
    let first = prompt(&format!("{label}: "))
        .ok_or_else(|| ApiError::invalid(format!("{label}: set {env} or run at a terminal")))?;
    let second = prompt(&format!("{label} again: ")).unwrap_or_else(|| Secret::new(""));
    if first.expose() != second.expose() {
        return Err(ApiError::invalid(format!("the two {label} entries differ")));
    }
    Ok(first)
}

/// A secret chosen earlier: from the environment, or typed once at a terminal.
pub fn existing_secret(env: &str, label: &str) -> Result<Secret, ApiError> {
    env_secret(env)
        .or_else(|| prompt(&format!("{label}: ")))
        .ok_or_else(|| ApiError::invalid(format!("{label}: set {env} or run at a terminal")))
}

pub fn username() -> Result<String, ApiError> {
    if let Ok(u) = std::env::var("BR_USER") {
        if !u.is_empty() {
            return Ok(u);
        }
    }
    if std::io::stdin().is_terminal() {
        eprint!("Username: ");
        let mut s = String::new();
        std::io::stdin().read_line(&mut s).map_err(|e| ApiError::invalid(e.to_string()))?;
        return Ok(s.trim().to_string());
    }
    Err(ApiError::invalid("no username: set BR_USER or run at a terminal"))
}

pub fn password() -> Result<Secret, ApiError> {
    env_secret("BR_PASSWORD")
        .or_else(|| prompt("Password: "))
        .ok_or_else(|| ApiError::invalid("no password: set BR_PASSWORD or run at a terminal"))
}
