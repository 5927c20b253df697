//! The key model: a random 32-byte database key, kept in the OS credential store and wrapped by the
//! recovery passphrase in a key file beside the database (PBKDF2-HMAC-SHA256 then AES-256-GCM).

use std::num::NonZeroU32;
use std::path::Path;

use base64::engine::general_purpose::STANDARD as B64;
use base64::Engine;
use ring::aead::{Aad, LessSafeKey, Nonce, UnboundKey, AES_256_GCM};
use ring::rand::{SecureRandom, SystemRandom};
use serde::{Deserialize, Serialize};

use crate::error::{CoreError, Result};
use crate::secret::{DbKey, Secret};

pub const KEY_FILE_FORMAT: &str = "br-key-v1";
/// OWASP's 2023 recommendation for PBKDF2-HMAC-SHA256.
pub const PBKDF2_ITERATIONS: u32 = 600_000;
pub const MIN_PASSPHRASE_CHARS: usize = 12;
/// The iteration counts a key file may name: ours and anything a future version may raise it to.
const ITERATION_RANGE: std::ops::RangeInclusive<u32> = 100_000..=10_000_000;
/// A key file is a few hundred bytes.
const MAX_KEY_FILE_BYTES: u64 = 64 * 1024;
const KEYRING_SERVICE: &str = "beneficiary-registry";

/// The key file's content. Nothing in it is secret without the passphrase.
#[derive(Debug, Serialize, Deserialize)]
pub struct KeyFile {
    pub format: String,
    pub registry_id: String,
    pub kdf: String,
    pub iterations: u32,
    pub salt: String,
    pub nonce: String,
    pub wrapped_key: String,
    /// HMAC-SHA256(key, "br key check"): tells a stale credential-store entry from a damaged database.
    pub key_check: String,
}

/// Where a JSON document broke, without quoting it.
fn json_reason(e: &serde_json::Error) -> String {
    format!("not a key file (line {}, column {})", e.line(), e.column())
}

fn derive_wrapping_key(passphrase: &Secret, salt: &[u8], iterations: u32) -> zeroize::Zeroizing<[u8; 32]> {
    let mut out = zeroize::Zeroizing::new([0u8; 32]);
    ring::pbkdf2::derive(
        ring::pbkdf2::PBKDF2_HMAC_SHA256,
        NonZeroU32::new(iterations.max(1)).expect("at least one"),
        salt,
        passphrase.expose().as_bytes(),
        out.as_mut(),
    );
    out
}

pub fn key_check(key: &DbKey) -> String {
    let k = ring::hmac::Key::new(ring::hmac::HMAC_SHA256, key.as_bytes());
    B64.encode(ring::hmac::sign(&k, b"br key check").as_ref())
}

pub fn validate_passphrase(passphrase: &Secret) -> Result<()> {
    if passphrase.expose().chars().count() < MIN_PASSPHRASE_CHARS {
        return Err(CoreError::InvalidInput(format!(
            "the recovery passphrase must have at least {MIN_PASSPHRASE_CHARS} characters"
        )));
    }
    Ok(())
}

impl KeyFile {
    pub fn wrap(key: &DbKey, passphrase: &Secret, registry_id: &str) -> Result<Self> {
        let rng = SystemRandom::new();
        let mut salt = [0u8; 16];
        let mut nonce = [0u8; 12];
        rng.fill(&mut salt).map_err(|_| CoreError::Internal("random generator failed".into()))?;
        rng.fill(&mut nonce).map_err(|_| CoreError::Internal("random generator failed".into()))?;
        let wk = derive_wrapping_key(passphrase, &salt, PBKDF2_ITERATIONS);
        let sealing = LessSafeKey::new(UnboundKey::new(&AES_256_GCM, wk.as_ref()).expect("32-byte key"));
        let mut buf = key.as_bytes().to_vec();
        sealing
            .seal_in_place_append_tag(Nonce::assume_unique_for_key(nonce), Aad::from(registry_id.as_bytes()), &mut buf)
            .map_err(|_| CoreError::Internal("key wrapping failed".into()))?;
        Ok(KeyFile {
            format: KEY_FILE_FORMAT.into(),
            registry_id: registry_id.into(),
            kdf: "pbkdf2-hmac-sha256".into(),
            iterations: PBKDF2_ITERATIONS,
            salt: B64.encode(salt),
            nonce: B64.encode(nonce),
            wrapped_key: B64.encode(&buf),
            key_check: key_check(key),
        })
    }

    pub fn unwrap_key(&self, passphrase: &Secret) -> Result<DbKey> {
        let bad = |reason: &str| CoreError::KeyFileInvalid { path: "key file".into(), reason: reason.into() };
        let salt = B64.decode(&self.salt).map_err(|_| bad("salt is not base64"))?;
        let nonce: [u8; 12] = B64
            .decode(&self.nonce)
            .ok()
            .and_then(|n| n.try_into().ok())
            .ok_or_else(|| bad("nonce is not 12 bytes of base64"))?;
        let mut buf = B64.decode(&self.wrapped_key).map_err(|_| bad("wrapped key is not base64"))?;
        let wk = derive_wrapping_key(passphrase, &salt, self.iterations);
        let opening = LessSafeKey::new(UnboundKey::new(&AES_256_GCM, wk.as_ref()).expect("32-byte key"));
        let plain = opening
            .open_in_place(Nonce::assume_unique_for_key(nonce), Aad::from(self.registry_id.as_bytes()), &mut buf)
            .map_err(|_| CoreError::WrongPassphrase)?;
        let key = DbKey::from_bytes(plain).ok_or_else(|| bad("wrapped key has the wrong length"))?;
        zeroize::Zeroize::zeroize(&mut buf);
        Ok(key)
    }

    pub fn matches(&self, key: &DbKey) -> bool {
        let k = ring::hmac::Key::new(ring::hmac::HMAC_SHA256, key.as_bytes());
        B64.decode(&self.key_check).map(|tag| ring::hmac::verify(&k, b"br key check", &tag).is_ok()).unwrap_or(false)
    }

    pub fn read(path: &Path) -> Result<Self> {
        let too_big = std::fs::metadata(path).is_ok_and(|m| m.len() > MAX_KEY_FILE_BYTES);
        if too_big {
            return Err(CoreError::KeyFileInvalid { path: path.display().to_string(), reason: "too large".into() });
        }
        let text = match std::fs::read_to_string(path) {
            Ok(t) => t,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
                return Err(CoreError::KeyFileMissing { path: path.display().to_string() })
            }
            Err(e) => return Err(CoreError::io(format!("reading {}", path.display()), e)),
        };
        let kf: KeyFile = serde_json::from_str(&text)
            .map_err(|e| CoreError::KeyFileInvalid { path: path.display().to_string(), reason: json_reason(&e) })?;
        if kf.format != KEY_FILE_FORMAT || kf.kdf != "pbkdf2-hmac-sha256" {
            return Err(CoreError::KeyFileInvalid {
                path: path.display().to_string(),
                reason: "unknown format or key derivation".into(),
            });
        }
        if !ITERATION_RANGE.contains(&kf.iterations) {
            // Zero would panic in the derivation; billions would keep the opening busy for hours.
            return Err(CoreError::KeyFileInvalid {
                path: path.display().to_string(),
                reason: format!(
                    "{} iterations is outside {}..={}",
                    kf.iterations,
                    ITERATION_RANGE.start(),
                    ITERATION_RANGE.end()
                ),
            });
        }
        Ok(kf)
    }

    /// Written whole and flushed to disk before it appears (readable by its owner only), and never over an
    /// existing key file: a key file replaced is a registry lost.
    pub fn write(&self, path: &Path) -> Result<()> {
        let text = serde_json::to_string_pretty(self).map_err(|e| CoreError::Internal(e.to_string()))?;
        crate::files::output::write_small(path, text.as_bytes(), false)
    }
}

/// Where the key of an opened registry came from; the CLI tells the user.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, ts_rs::TS)]
#[serde(rename_all = "snake_case")]
pub enum KeySource {
    CredentialStore,
    Passphrase,
}

/// How to obtain the key when opening a registry.
pub struct Unlock<'a> {
    /// Try the OS credential store first (off on headless servers and in scripts with `BR_KEYRING=off`).
    pub use_credential_store: bool,
    /// The recovery passphrase, when the caller already has it.
    pub passphrase: Option<Secret>,
    /// Asks a person for the passphrase when the credential store cannot give the key.
    pub prompt: Option<&'a dyn Fn() -> Option<Secret>>,
}

impl Unlock<'_> {
    pub fn with_passphrase(passphrase: Secret) -> Self {
        Unlock { use_credential_store: false, passphrase: Some(passphrase), prompt: None }
    }
}

/// The OS credential store (Secret Service on Linux, Keychain, Windows Credential Manager).
pub struct CredentialStore;

impl CredentialStore {
    fn entry(registry_id: &str) -> std::result::Result<keyring::Entry, keyring::Error> {
        keyring::Entry::new(KEYRING_SERVICE, registry_id)
    }

    pub fn load(registry_id: &str) -> std::result::Result<DbKey, String> {
        let entry = Self::entry(registry_id).map_err(|e| e.to_string())?;
        let hex = zeroize::Zeroizing::new(entry.get_password().map_err(|e| e.to_string())?);
        DbKey::from_hex(&hex).ok_or_else(|| "the stored key is malformed".to_string())
    }

    pub fn save(registry_id: &str, key: &DbKey) -> std::result::Result<(), String> {
        let entry = Self::entry(registry_id).map_err(|e| e.to_string())?;
        entry.set_password(&key.to_hex()).map_err(|e| e.to_string())
    }

    pub fn delete(registry_id: &str) -> std::result::Result<(), String> {
        let entry = Self::entry(registry_id).map_err(|e| e.to_string())?;
        match entry.delete_credential() {
            Ok(()) | Err(keyring::Error::NoEntry) => Ok(()),
            Err(e) => Err(e.to_string()),
        }
    }
}

/// The outcome of resolving a key: the key, where it came from, and why the credential store was
/// not used (for the CLI's notice), if it was not.
pub struct ResolvedKey {
    pub key: DbKey,
    pub source: KeySource,
    pub credential_store_note: Option<String>,
}

pub fn resolve_key(key_file: &KeyFile, unlock: &Unlock<'_>) -> Result<ResolvedKey> {
    let note = if unlock.use_credential_store {
        match CredentialStore::load(&key_file.registry_id) {
            Ok(key) if key_file.matches(&key) => {
                return Ok(ResolvedKey { key, source: KeySource::CredentialStore, credential_store_note: None })
            }
            Ok(_) => "the credential store holds a key that does not match this registry".to_string(),
            Err(e) => format!("the credential store has no usable key ({e})"),
        }
    } else {
        "the credential store is switched off".to_string()
    };
    let passphrase = match &unlock.passphrase {
        Some(p) => Some(p.clone()),
        None => unlock.prompt.and_then(|ask| ask()),
    };
    let Some(passphrase) = passphrase else {
        return Err(CoreError::KeyUnavailable {
            reason: format!("{note}, and no recovery passphrase was given (set BR_PASSPHRASE or run interactively)"),
        });
    };
    let key = key_file.unwrap_key(&passphrase)?;
    if !key_file.matches(&key) {
        return Err(CoreError::KeyFileInvalid { path: "key file".into(), reason: "key check does not match".into() });
    }
    if unlock.use_credential_store {
        // Re-seat the key so the next start needs no passphrase (a restored backup, a new laptop).
        if let Err(e) = CredentialStore::save(&key_file.registry_id, &key) {
            tracing::warn!(reason = %e, "could not store the database key in the credential store");
        }
    }
    Ok(ResolvedKey { key, source: KeySource::Passphrase, credential_store_note: Some(note) })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn wrap_and_unwrap_round_trip_and_wrong_passphrase_fails() {
        let key = DbKey::generate();
        let kf = KeyFile::wrap(&key, &Secret::new("correct horse battery"), "reg-1").unwrap();
        assert!(kf.matches(&key));
        let back = kf.unwrap_key(&Secret::new("correct horse battery")).unwrap();
        assert_eq!(back, key);
        assert!(matches!(kf.unwrap_key(&Secret::new("wrong horse battery")), Err(CoreError::WrongPassphrase)));
    }

    #[test]
    fn key_file_bound_to_its_registry() {
        let key = DbKey::generate();
        let mut kf = KeyFile::wrap(&key, &Secret::new("correct horse battery"), "reg-1").unwrap();
        kf.registry_id = "reg-2".into();
        assert!(matches!(kf.unwrap_key(&Secret::new("correct horse battery")), Err(CoreError::WrongPassphrase)));
    }

    #[test]
    fn debug_never_shows_key() {
        let key = DbKey::generate();
        assert_eq!(format!("{key:?}"), "DbKey(<redacted>)");
    }
}
