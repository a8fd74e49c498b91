//! `adminapi` is the license authority: [`DbLicenses`] answers from its database, after the keys
//! configured in its environment (`INFRA_LICENSE_KEY`, `LICENSE_KEYS`). A reset key is published
//! as invalidated ([`kit::invalidation`]), so services sharing Redis stop accepting it at once.

use std::sync::Arc;

use async_trait::async_trait;
use envelope::{ApiError, Curve, LicenseKey};
use kit::invalidation::{Invalidations, Topic};
use kit::license::{License, LicenseAuthority, LicenseError, LicenseRecord, LocalLicenses, secret_hash};

use crate::domain::licenses::LicenseStore;
use crate::domain::{DomainError, licenses};

/// The database-backed license authority.
pub struct DbLicenses {
    store: Arc<dyn LicenseStore>,
    local: LocalLicenses,
    curve: Curve,
    invalidations: Invalidations,
}

impl std::fmt::Debug for DbLicenses {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("DbLicenses").field("local", &self.local).finish_non_exhaustive()
    }
}

fn unavailable(e: kit::StoreError) -> LicenseError {
    match e {
        kit::StoreError::Corrupt(cause) => LicenseError::Corrupt(cause),
        other => LicenseError::Unavailable(other.to_string()),
    }
}

fn api(e: DomainError) -> ApiError {
    kit::AppError::from(e).into_api()
}

impl DbLicenses {
    /// Over `store`, with the locally configured keys; reset ECDSA keys are made on `curve`.
    pub fn new(store: Arc<dyn LicenseStore>, local: LocalLicenses, curve: Curve) -> Self {
        Self { store, local, curve, invalidations: Invalidations::disabled() }
    }

    /// Publishes the keys it resets on `invalidations`.
    #[must_use]
    pub fn publishing_to(mut self, invalidations: Invalidations) -> Self {
        self.invalidations = invalidations;
        self
    }

    /// The record of a presented key as it is, disabled or expired included; `Unknown` when no
    /// key has that secret.
    pub async fn record(&self, key: &LicenseKey) -> Result<LicenseRecord, LicenseError> {
        if self.local.check(key).await.is_ok() {
            let hash = secret_hash(key.expose());
            return self.local.records().into_iter().find(|r| r.key_id == hash).ok_or(LicenseError::Unknown);
        }
        self.stored(key).await
    }

    /// The stored record of a key that is not configured locally.
    async fn stored(&self, key: &LicenseKey) -> Result<LicenseRecord, LicenseError> {
        let found = self.store.license_by_secret_hash(&secret_hash(key.expose())).await.map_err(unavailable)?;
        licenses::matching(found, key.expose())
    }
}

#[async_trait]
impl LicenseAuthority for DbLicenses {
    async fn check(&self, key: &LicenseKey) -> Result<License, LicenseError> {
        // A local key keeps its own license (the infra key is marked as such).
        if let Ok(license) = self.local.check(key).await {
            return Ok(license);
        }
        let record = self.stored(key).await?;
        record.status(envelope::wire::now_epoch())?;
        Ok(record.license())
    }

    async fn service_keys(&self, caller: &LicenseKey) -> Result<Vec<LicenseRecord>, ApiError> {
        let mut keys = self.local.service_keys(caller).await?;
        keys.extend(self.store.licenses().await.map_err(|e| api(e.into()))?);
        Ok(keys)
    }

    async fn reset_service_key(&self, caller: &LicenseKey, key_id: &str) -> Result<LicenseRecord, ApiError> {
        if self.local.records().iter().any(|r| r.key_id == key_id) {
            return self.local.reset_service_key(caller, key_id).await;
        }
        let old = self
            .store
            .license(key_id)
            .await
            .map_err(|e| api(e.into()))?
            .ok_or_else(|| ApiError::not_found("service key not found"))?;
        let fresh = licenses::regenerate(&old, self.curve).map_err(api)?;
        self.store.replace_license(&old.key_id, &fresh).await.map_err(|e| api(e.into()))?;
        // Best effort: the reset is done; without the message caches expire with their TTL.
        self.invalidations.publish(Topic::License, &secret_hash(&old.key_secret)).await;
        Ok(fresh)
    }
}
