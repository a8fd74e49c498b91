//! The vendor metadata of a community: authenticator models named by their AAGUID, each with the
//! administrator's `metadata` text (a FIDO metadata statement, say), a `name` and `disabled`.
//!
//! The policy at registration ([`admits`]): a model whose entry is `disabled` may not register;
//! when the community has any entry that is not disabled, the entries form an allow list and a
//! model without an entry may not register either; a community without entries admits every
//! model. Every write records a [`Change`] (field names only).

use std::sync::Arc;

use async_trait::async_trait;
use kit::StoreError;
use serde::Serialize;
use utoipa::ToSchema;

use crate::domain::DomainError;
use crate::domain::audit::Change;
use crate::domain::config::Owner;

/// The kind of record in the audit log.
pub const KIND: &str = "webauthn_vendor_metadata";
/// The longest `metadata` text, in bytes.
pub const MAX_METADATA_BYTES: usize = 64 * 1024;
/// The longest `name` and `updatedBy`.
pub const MAX_NAME_CHARS: usize = 256;

/// One model of a community.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Vendor {
    pub id: String,
    pub tenant_id: String,
    pub community_id: String,
    /// Lowercase, hyphenated.
    pub aaguid: String,
    pub metadata: String,
    pub name: String,
    pub disabled: bool,
    pub updated_by: String,
    pub updated_at: i64,
}

/// A model as the spec shows it.
#[derive(Debug, Clone, Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct VendorInfo {
    pub aaguid: String,
    pub metadata: String,
    pub name: String,
    pub disabled: bool,
    pub updated_by: String,
}

impl From<&Vendor> for VendorInfo {
    fn from(v: &Vendor) -> Self {
        Self {
            aaguid: v.aaguid.clone(),
            metadata: v.metadata.clone(),
            name: v.name.clone(),
            disabled: v.disabled,
            updated_by: v.updated_by.clone(),
        }
    }
}

/// Where models are kept (`crate::store::SqlWebauthn`). Writes record their [`Change`] in the
/// same transaction.
#[async_trait]
pub trait VendorStore: Send + Sync {
    /// Adds a model; `Conflict` when the community has its AAGUID.
    async fn insert_vendor(&self, vendor: &Vendor, change: &Change) -> Result<(), StoreError>;
    /// Replaces the metadata, name, disabled flag and author of model `vendor.id`; false when it
    /// is gone.
    async fn update_vendor(&self, vendor: &Vendor, change: &Change) -> Result<bool, StoreError>;
    /// The community's models, by AAGUID.
    async fn vendors(&self, community_id: &str) -> Result<Vec<Vendor>, StoreError>;
}

/// The fields an administrator writes.
#[derive(Debug, Clone, Copy)]
pub struct Fields<'a> {
    pub metadata: &'a str,
    pub name: &'a str,
    pub disabled: bool,
    pub updated_by: &'a str,
}

/// An AAGUID in its canonical form (lowercase, hyphenated); 400 for anything else than 32 hex
/// digits, with or without the hyphens.
pub fn aaguid(given: &str) -> Result<String, DomainError> {
    uuid::Uuid::try_parse(given.trim())
        .ok()
        .filter(|_| given.trim().len() == 36 || given.trim().len() == 32)
        .map(|u| u.hyphenated().to_string())
        .ok_or_else(|| DomainError::Invalid("aaguid must be a UUID (32 hex digits, with or without hyphens)".into()))
}

fn check(f: &Fields<'_>) -> Result<(), DomainError> {
    if f.metadata.len() > MAX_METADATA_BYTES {
        return Err(DomainError::Invalid(format!("metadata must be at most {MAX_METADATA_BYTES} bytes")));
    }
    for (field, value) in [("name", f.name), ("updatedBy", f.updated_by)] {
        if value.trim().is_empty() || value.chars().count() > MAX_NAME_CHARS {
            return Err(DomainError::Invalid(format!("{field} must be 1 to {MAX_NAME_CHARS} characters")));
        }
    }
    Ok(())
}

/// Whether a community whose models are `vendors` admits the model `aaguid` at registration.
pub fn admits(vendors: &[Vendor], aaguid: &str) -> bool {
    match vendors.iter().find(|v| v.aaguid == aaguid) {
        Some(v) => !v.disabled,
        None => vendors.iter().all(|v| v.disabled),
    }
}

/// The vendor metadata of every community.
#[derive(Clone)]
pub struct Vendors {
    store: Arc<dyn VendorStore>,
}

impl std::fmt::Debug for Vendors {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Vendors").finish_non_exhaustive()
    }
}

fn change(v: &Vendor, action: &str, fields: &[&str], actor: &str) -> Change {
    Change {
        tenant_id: v.tenant_id.clone(),
        community_id: v.community_id.clone(),
        kind: KIND.to_owned(),
        record: v.aaguid.clone(),
        action: action.to_owned(),
        fields: fields.iter().map(|f| (*f).to_owned()).collect(),
        actor: actor.to_owned(),
        at: v.updated_at,
    }
}

const FIELDS: [&str; 4] = ["disabled", "metadata", "name", "updatedBy"];

impl Vendors {
    /// Over `store`.
    pub fn new(store: Arc<dyn VendorStore>) -> Self {
        Self { store }
    }

    /// The community's models, all or those of `wanted` (AAGUIDs, each checked).
    pub async fn list(&self, community_id: &str, wanted: Option<&[String]>) -> Result<Vec<Vendor>, DomainError> {
        let all = self.store.vendors(community_id).await?;
        let Some(wanted) = wanted.filter(|w| !w.is_empty()) else { return Ok(all) };
        let wanted = wanted.iter().map(|a| aaguid(a)).collect::<Result<Vec<_>, _>>()?;
        Ok(all.into_iter().filter(|v| wanted.contains(&v.aaguid)).collect())
    }

    /// Whether the community admits the model `aaguid` (see [`admits`]).
    pub async fn admits(&self, community_id: &str, aaguid: &str) -> Result<bool, DomainError> {
        Ok(admits(&self.store.vendors(community_id).await?, aaguid))
    }

    /// Adds the model `aaguid`, or replaces its fields when the community has it: the stored
    /// model. `actor`: the uid of the administrator.
    pub async fn put(
        &self,
        owner: Owner<'_>,
        aaguid_given: &str,
        fields: Fields<'_>,
        actor: &str,
        now: i64,
    ) -> Result<Vendor, DomainError> {
        let aaguid = aaguid(aaguid_given)?;
        check(&fields)?;
        let existing = self.store.vendors(owner.community_id).await?.into_iter().find(|v| v.aaguid == aaguid);
        let vendor = Vendor {
            id: existing.as_ref().map_or_else(kit::ids::new_object_id, |v| v.id.clone()),
            tenant_id: owner.tenant_id.to_owned(),
            community_id: owner.community_id.to_owned(),
            aaguid,
            metadata: fields.metadata.to_owned(),
            name: fields.name.trim().to_owned(),
            disabled: fields.disabled,
            updated_by: fields.updated_by.trim().to_owned(),
            updated_at: now,
        };
        if existing.is_some() {
            if !self.store.update_vendor(&vendor, &change(&vendor, "update", &FIELDS, actor)).await? {
                return Err(DomainError::Conflict("the model changed meanwhile: try again".into()));
            }
        } else {
            let mut fields = vec!["aaguid"];
            fields.extend(FIELDS);
            match self.store.insert_vendor(&vendor, &change(&vendor, "create", &fields, actor)).await {
                Err(StoreError::Conflict(_)) => {
                    return Err(DomainError::Conflict("the model was added meanwhile: try again".into()));
                }
                other => other?,
            }
        }
        Ok(vendor)
    }

    /// Replaces the fields of the community's model `aaguid` (404 when it has none).
    pub async fn update(
        &self,
        community_id: &str,
        aaguid_given: &str,
        fields: Fields<'_>,
        actor: &str,
        now: i64,
    ) -> Result<Vendor, DomainError> {
        let aaguid = aaguid(aaguid_given)?;
        check(&fields)?;
        let not_found = || DomainError::NotFound("the community has no vendor metadata for this aaguid".into());
        let mut vendor =
            self.store.vendors(community_id).await?.into_iter().find(|v| v.aaguid == aaguid).ok_or_else(not_found)?;
        vendor.metadata = fields.metadata.to_owned();
        vendor.name = fields.name.trim().to_owned();
        vendor.disabled = fields.disabled;
        vendor.updated_by = fields.updated_by.trim().to_owned();
        vendor.updated_at = now;
        if self.store.update_vendor(&vendor, &change(&vendor, "update", &FIELDS, actor)).await? {
            Ok(vendor)
        } else {
            Err(not_found())
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn vendor(aaguid: &str, disabled: bool) -> Vendor {
        Vendor {
            id: String::new(),
            tenant_id: String::new(),
            community_id: String::new(),
            aaguid: aaguid.into(),
            metadata: String::new(),
            name: "x".into(),
            disabled,
            updated_by: "x".into(),
            updated_at: 0,
        }
    }

    #[test]
    fn aaguids_are_canonical_uuids() {
        let a = "CB69481E-8FF7-4039-93EC-0A2729A154A8";
        assert_eq!(aaguid(a).unwrap(), "cb69481e-8ff7-4039-93ec-0a2729a154a8");
        assert_eq!(aaguid("cb69481e8ff7403993ec0a2729a154a8").unwrap(), "cb69481e-8ff7-4039-93ec-0a2729a154a8");
        for bad in ["", "yubikey", "{cb69481e-8ff7-4039-93ec-0a2729a154a8}", "cb69481e-8ff7-4039-93ec-0a2729a154a"] {
            assert!(aaguid(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn disabled_models_are_denied_and_enabled_ones_make_an_allow_list() {
        let (a, b, c) = ("a", "b", "c");
        assert!(admits(&[], a), "no entries: every model");
        let deny = [vendor(a, true)];
        assert!(!admits(&deny, a) && admits(&deny, b), "only disabled entries: a deny list");
        let allow = [vendor(a, false), vendor(b, true)];
        assert!(admits(&allow, a) && !admits(&allow, b) && !admits(&allow, c), "an enabled entry: an allow list");
    }
}
