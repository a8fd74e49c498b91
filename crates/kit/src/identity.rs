//! The service's own key pair: from `SERVICE_PRIVATE_KEY`, or generated once and kept in the
//! database so that it survives restarts and is shared by every replica.

use envelope::{KeyPair, PrivateKey};

use crate::config::Settings;
use crate::db::Db;
use crate::error::StoreError;

/// Loads (or creates and stores) the key pair of `settings.service` on `settings.curve`.
pub async fn load_service_keys(db: &Db, settings: &Settings) -> Result<KeyPair, StoreError> {
    let curve = settings.curve;
    if let Some(secret) = &settings.service_private_key {
        return KeyPair::from_private_base64(curve, &secret.0)
            .map_err(|e| StoreError::Unavailable(format!("SERVICE_PRIVATE_KEY: {e}")));
    }
    if let Some(pair) = stored(db, settings).await? {
        return Ok(pair);
    }
    let fresh = PrivateKey::generate(curve).map_err(|e| StoreError::Unavailable(e.to_string()))?;
    // Replicas starting together may race: the first insert wins and everyone reads it back.
    sqlx::query(
        "INSERT INTO service_keys (service, curve, private_key, created_at) VALUES ($1, $2, $3, $4) \
         ON CONFLICT (service, curve) DO NOTHING",
    )
    .bind(settings.service)
    .bind(curve.name())
    .bind(fresh.to_base64().as_str())
    .bind(envelope::wire::now_epoch())
    .execute(db.pool())
    .await?;
    stored(db, settings).await?.ok_or_else(|| StoreError::Unavailable("service key was not stored".into()))
}

async fn stored(db: &Db, settings: &Settings) -> Result<Option<KeyPair>, StoreError> {
    let row: Option<(String,)> =
        sqlx::query_as("SELECT private_key FROM service_keys WHERE service = $1 AND curve = $2")
            .bind(settings.service)
            .bind(settings.curve.name())
            .fetch_optional(db.pool())
            .await?;
    row.map(|(k,)| {
        KeyPair::from_private_base64(settings.curve, &k)
            .map_err(|e| StoreError::Unavailable(format!("stored service key: {e}")))
    })
    .transpose()
}
