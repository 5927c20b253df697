//! The registry's privacy profile on the server (br-model's `privacy`): chosen by the operator before the
//! first desk enrols, handed to each desk at enrolment with the key ID numbers are hashed with, and
//! applied to every Social Registry pull and every IBR lookup.

use br_model::privacy::{Privacy, PrivacyProfile, ID_KEY_BYTES};
use deadpool_postgres::{GenericClient, Pool};
use rand::RngCore;

use crate::admin::operator;
use crate::db::audit;
use crate::error::{Result, ServerError};

/// The profile and its key, as stored; `None` when no profile was chosen (everything is kept).
pub async fn stored(client: &impl GenericClient) -> Result<Option<(PrivacyProfile, Option<Vec<u8>>)>> {
    let Some(row) = client.query_opt("SELECT profile, id_key FROM registry_privacy", &[]).await? else {
        return Ok(None);
    };
    let profile: PrivacyProfile = serde_json::from_value(row.get(0))?;
    Ok(Some((profile, row.get(1))))
}

/// The profile with its key, ready to cut records and hash ID numbers.
pub async fn load(client: &impl GenericClient) -> Result<Privacy> {
    match stored(client).await? {
        None => Ok(Privacy::default()),
        Some((profile, key)) => Privacy::new(profile, key.as_deref())
            .map_err(|e| ServerError::Config(format!("the stored privacy profile: {e}"))),
    }
}

/// Chooses the profile. Refused once a desk has enrolled or anything was registered: their records were
/// kept under the profile they had.
pub async fn choose(pool: &Pool, profile: PrivacyProfile) -> Result<()> {
    let mut client = pool.get().await?;
    let tx = client.transaction().await?;
    tx.execute("LOCK TABLE registry_privacy IN EXCLUSIVE MODE", &[]).await?;
    let devices: i64 = tx.query_one("SELECT count(*) FROM devices WHERE desk_number > 0", &[]).await?.get(0);
    let ops: bool = tx.query_one("SELECT EXISTS (SELECT 1 FROM ops)", &[]).await?.get(0);
    if devices > 0 || ops {
        return Err(ServerError::Command(
            "the privacy profile is chosen before the first desk enrols: desks and records already follow the current one"
                .into(),
        ));
    }
    let key = profile.hashes_ids().then(|| {
        let mut k = vec![0u8; ID_KEY_BYTES];
        rand::rng().fill_bytes(&mut k);
        k
    });
    tx.execute(
        "INSERT INTO registry_privacy (singleton, profile, id_key) VALUES (true, $1, $2)
         ON CONFLICT (singleton) DO UPDATE SET profile = excluded.profile, id_key = excluded.id_key, chosen_at = now()",
        &[&serde_json::to_value(profile)?, &key],
    )
    .await?;
    audit(&tx, &operator(), "privacy.choose", "ok", serde_json::json!({ "keep": profile.keep_list() })).await?;
    tx.commit().await?;
    Ok(())
}
