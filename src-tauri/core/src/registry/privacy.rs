//! Where a desk keeps its privacy profile (br-model's `privacy`): chosen when the registry is created,
//! taken from the central server when the desk enrols, never changed after people are registered.

use rusqlite::{params, Connection, OptionalExtension};

use crate::clock::now_rfc3339;
use crate::error::{CoreError, Result};

pub use br_model::privacy::{DroppedFields, Privacy, PrivacyProfile, ID_KEY_BYTES};

/// The registry's profile and key; everything is kept when none was chosen.
pub fn load(conn: &Connection) -> Result<Privacy> {
    let row: Option<(String, Option<Vec<u8>>)> = conn
        .query_row("SELECT profile, id_key FROM privacy WHERE singleton = 1", [], |r| Ok((r.get(0)?, r.get(1)?)))
        .optional()?;
    let Some((profile, key)) = row else { return Ok(Privacy::default()) };
    let profile: PrivacyProfile = serde_json::from_str(&profile)
        .map_err(|e| CoreError::Internal(format!("the stored privacy profile is unreadable: {e}")))?;
    Privacy::new(profile, key.as_deref()).map_err(CoreError::Internal)
}

/// The profile alone, for Settings and the registry's info.
pub fn profile(conn: &Connection) -> Result<PrivacyProfile> {
    Ok(load(conn)?.profile())
}

/// A fresh random key for hashing ID numbers.
pub fn new_id_key() -> Vec<u8> {
    let mut k = vec![0u8; ID_KEY_BYTES];
    ring::rand::SecureRandom::fill(&ring::rand::SystemRandom::new(), &mut k)
        .expect("the system random generator failed");
    k
}

/// Records the profile (and its key, when it hashes ID numbers), replacing any earlier choice. Callers
/// make sure no registrant was written under another profile.
pub fn save(conn: &Connection, profile: PrivacyProfile, id_key: Option<&[u8]>) -> Result<()> {
    Privacy::new(profile, id_key).map_err(CoreError::InvalidInput)?;
    let key = if profile.hashes_ids() { id_key } else { None };
    let json = serde_json::to_string(&profile).map_err(|e| CoreError::Internal(e.to_string()))?;
    conn.execute(
        "INSERT INTO privacy (singleton, profile, id_key, chosen_at) VALUES (1, ?1, ?2, ?3)
         ON CONFLICT (singleton) DO UPDATE SET profile = excluded.profile, id_key = excluded.id_key,
             chosen_at = excluded.chosen_at",
        params![json, key, now_rfc3339()],
    )?;
    Ok(())
}
