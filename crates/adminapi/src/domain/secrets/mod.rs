//! The secret store of a community: named values (API keys, passwords) that administrators put
//! in and the platform's own flows use, never shown again. Each value is sealed with the
//! [`Sealer`] for its community and tag; the endpoints answer metadata only (tag, who, when).
//! Every create and delete is recorded in the [`audit`](super::audit) log, by field names.

use std::sync::Arc;

use async_trait::async_trait;
use kit::StoreError;
use serde::Serialize;
use zeroize::Zeroizing;

pub use kit::sealer::{KEY_FILE, KEY_VAR, SealError, Sealer};

use super::DomainError;
use super::audit::Change;
use super::config::Owner;

/// The kind of record in the audit log.
pub const KIND: &str = "secret";
/// The longest tag.
pub const MAX_TAG_CHARS: usize = 64;
/// The longest value, in bytes.
pub const MAX_VALUE_BYTES: usize = 8192;

/// What is shown of a secret: never its value.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct SecretInfo {
    pub tag: String,
    /// The username of the administrator who created it.
    pub created_by: String,
    /// Epoch seconds.
    pub created_ts: i64,
    pub tenant_id: String,
    pub community_id: String,
}

/// Where secrets are kept, sealed (`crate::store::SqlSecrets`).
#[async_trait]
pub trait SecretStore: Send + Sync {
    /// Adds a secret and records `change`, both or neither; `Conflict` when the community has
    /// one with this tag.
    async fn insert(&self, info: &SecretInfo, sealed: &str, change: &Change) -> Result<(), StoreError>;
    /// The community's secrets, by tag.
    async fn list(&self, community_id: &str) -> Result<Vec<SecretInfo>, StoreError>;
    /// The sealed value of a secret.
    async fn sealed(&self, community_id: &str, tag: &str) -> Result<Option<String>, StoreError>;
    /// Removes a secret and records `change`, both or neither; `false` when there was none.
    async fn delete(&self, community_id: &str, tag: &str, change: &Change) -> Result<bool, StoreError>;
}

/// A tag: starts with a letter, then letters, digits and `_`; at most [`MAX_TAG_CHARS`].
pub fn tag(given: &str) -> Result<String, DomainError> {
    let mut chars = given.chars();
    let ok = chars.next().is_some_and(|c| c.is_ascii_alphabetic())
        && chars.all(|c| c.is_ascii_alphanumeric() || c == '_')
        && given.len() <= MAX_TAG_CHARS;
    if ok {
        Ok(given.to_owned())
    } else {
        Err(DomainError::Invalid(format!(
            "tag must start with a letter [a-zA-Z] and contain only [a-zA-Z0-9_], at most {MAX_TAG_CHARS} characters"
        )))
    }
}

/// A value: 1 to [`MAX_VALUE_BYTES`] bytes.
pub fn check_value(value: &str) -> Result<(), DomainError> {
    if value.is_empty() || value.len() > MAX_VALUE_BYTES {
        return Err(DomainError::Invalid(format!("value must be 1 to {MAX_VALUE_BYTES} bytes")));
    }
    Ok(())
}

/// Who acts: the login session's uid (for the audit log) and username (shown as `createdBy`).
#[derive(Debug, Clone, Copy)]
pub struct Actor<'a> {
    pub uid: &'a str,
    pub username: &'a str,
}

/// The secret store's operations, over a store and the sealer.
#[derive(Clone)]
pub struct Secrets {
    store: Arc<dyn SecretStore>,
    sealer: Arc<Sealer>,
}

impl std::fmt::Debug for Secrets {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Secrets").finish_non_exhaustive()
    }
}

fn change(owner: Owner<'_>, tag: &str, action: &str, actor: &str, at: i64) -> Change {
    Change {
        tenant_id: owner.tenant_id.to_owned(),
        community_id: owner.community_id.to_owned(),
        kind: KIND.to_owned(),
        record: tag.to_owned(),
        action: action.to_owned(),
        fields: vec!["tag".to_owned(), "value".to_owned()],
        actor: actor.to_owned(),
        at,
    }
}

impl Secrets {
    /// Over `store`, sealing with `sealer`.
    pub fn new(store: Arc<dyn SecretStore>, sealer: Arc<Sealer>) -> Self {
        Self { store, sealer }
    }

    /// Seals and stores a new secret of the community at `now`; 409 when the tag is taken.
    pub async fn create(
        &self,
        owner: Owner<'_>,
        actor: Actor<'_>,
        tag_given: &str,
        value: &str,
        now: i64,
    ) -> Result<SecretInfo, DomainError> {
        let tag = tag(tag_given)?;
        check_value(value)?;
        let sealed = self.sealer.seal(&[owner.community_id, &tag], value).map_err(sealing)?;
        let info = SecretInfo {
            tag: tag.clone(),
            created_by: actor.username.to_owned(),
            created_ts: now,
            tenant_id: owner.tenant_id.to_owned(),
            community_id: owner.community_id.to_owned(),
        };
        match self.store.insert(&info, &sealed, &change(owner, &tag, "create", actor.uid, now)).await {
            Err(StoreError::Conflict(_)) => {
                Err(DomainError::Conflict("the community has a secret with this tag".into()))
            }
            other => other.map(|()| info).map_err(DomainError::from),
        }
    }

    /// The community's secrets, values left out.
    pub async fn list(&self, community_id: &str) -> Result<Vec<SecretInfo>, DomainError> {
        Ok(self.store.list(community_id).await?)
    }

    /// Deletes a secret; 404 when the community has none with this tag.
    pub async fn delete(&self, owner: Owner<'_>, actor_uid: &str, tag: &str, now: i64) -> Result<(), DomainError> {
        if self.store.delete(owner.community_id, tag, &change(owner, tag, "delete", actor_uid, now)).await? {
            Ok(())
        } else {
            Err(DomainError::NotFound("the community has no secret with this tag".into()))
        }
    }

    /// The value of a secret, for the platform's own flows (never for a reply or a log).
    pub async fn reveal(&self, community_id: &str, tag: &str) -> Result<Zeroizing<String>, DomainError> {
        let sealed = self
            .store
            .sealed(community_id, tag)
            .await?
            .ok_or_else(|| DomainError::NotFound("the community has no secret with this tag".into()))?;
        self.sealer
            .open(&[community_id, tag], &sealed)
            .map_err(|e| StoreError::Corrupt(format!("secret of the community: {e}")).into())
    }
}

/// A failure to seal (the random number generator): an internal error.
pub(crate) fn sealing(e: SealError) -> DomainError {
    StoreError::Unavailable(format!("cannot seal: {e}")).into()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tags_follow_the_rule() {
        for good in ["stripe_api_key", "A", "k9_", "x".repeat(64).as_str()] {
            assert_eq!(tag(good).unwrap(), good);
        }
        for bad in ["", "9key", "_key", "key-1", "key 1", "clé", "x".repeat(65).as_str()] {
            assert!(matches!(tag(bad), Err(DomainError::Invalid(m)) if m.starts_with("tag must start")), "{bad}");
        }
        assert!(check_value("").is_err() && check_value(&"v".repeat(8193)).is_err() && check_value("v").is_ok());
    }
}
