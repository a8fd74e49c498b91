//! A community's identity providers: the `Identity Providers` group (`/idp`) and the external
//! IdPs (`/external_idp`) whose users log in to the community through SAML or OpenID Connect.
//! One provider of each type per community and kind (a second answers 409). An OIDC client
//! secret is sealed with the [`Sealer`] for the community, the kind and the provider, never
//! answered (a provider says `clientSecretSet`), and opened only by
//! [`Providers::client_secret`] for the platform's own flows. Every write is recorded in the
//! audit log by field names.

mod rules;

use std::sync::Arc;

use async_trait::async_trait;
use kit::StoreError;
use serde::{Deserialize, Serialize};
use serde_json::Value;
use zeroize::Zeroizing;

pub use rules::{ProviderInput, TYPES, certificate};

use super::DomainError;
use super::audit::{Change, changed_fields};
use super::config::Owner;
use super::secrets::{Sealer, sealing};

/// Which group: both share the shape, each has its own table.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    /// `/idp`.
    Idp,
    /// `/external_idp`: the providers the community's users may log in with.
    External,
}

impl Kind {
    /// The kind of record in the audit log, and the sealing context of the client secret.
    pub fn record_kind(self) -> &'static str {
        match self {
            Self::Idp => "identity_provider",
            Self::External => "external_idp",
        }
    }

    /// How the API names it in messages.
    pub fn label(self) -> &'static str {
        match self {
            Self::Idp => "identity provider",
            Self::External => "external idp",
        }
    }
}

/// A provider, as stored and answered: never the client secret.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Provider {
    /// 24 hex digits.
    pub id: String,
    pub tenant_id: String,
    pub community_id: String,
    /// `saml` or `oidc`.
    #[serde(rename = "type")]
    pub kind: String,
    pub name: String,
    pub enabled: bool,
    pub provision_users: bool,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub email_attribute: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub entity_id: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub sso_url: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub slo_url: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub certificate: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub issuer: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub client_id: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub authorization_url: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub token_url: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub userinfo_url: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub jwks_url: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub scopes: Option<Vec<String>>,
    /// Whether a client secret is kept (its value is never answered).
    pub client_secret_set: bool,
    pub created_by: String,
    /// Epoch seconds.
    pub created_ts: i64,
    pub updated_by: String,
    /// Epoch seconds.
    pub updated_ts: i64,
}

/// A provider with its client secret, sealed (empty: none).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StoredProvider {
    pub provider: Provider,
    pub sealed_secret: String,
}

/// Where one kind of provider is kept (`crate::store::SqlProviders`).
#[async_trait]
pub trait ProviderStore: Send + Sync {
    /// Adds a provider and records `change`, both or neither; `Conflict` when the community
    /// has one of its type.
    async fn insert(&self, p: &StoredProvider, change: &Change) -> Result<(), StoreError>;
    /// Replaces a provider of its community and records `change`; `false` when there is none;
    /// `Conflict` when another has its type.
    async fn update(&self, p: &StoredProvider, change: &Change) -> Result<bool, StoreError>;
    /// The community's providers, oldest first.
    async fn list(&self, community_id: &str) -> Result<Vec<StoredProvider>, StoreError>;
    /// One provider of the community.
    async fn get(&self, community_id: &str, id: &str) -> Result<Option<StoredProvider>, StoreError>;
    /// Removes a provider of the community and records `change`; `false` when there was none.
    async fn delete(&self, community_id: &str, id: &str, change: &Change) -> Result<bool, StoreError>;
}

/// The fields a change may touch (no ids, no bookkeeping), as JSON.
fn settings(p: &Provider) -> Value {
    let mut v = serde_json::to_value(p).unwrap_or(Value::Null);
    if let Some(map) = v.as_object_mut() {
        for key in
            ["id", "tenantId", "communityId", "clientSecretSet", "createdBy", "createdTs", "updatedBy", "updatedTs"]
        {
            map.remove(key);
        }
    }
    v
}

/// The providers of one kind, over its store and the sealer.
#[derive(Clone)]
pub struct Providers {
    kind: Kind,
    store: Arc<dyn ProviderStore>,
    sealer: Arc<Sealer>,
}

impl std::fmt::Debug for Providers {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Providers").field("kind", &self.kind).finish_non_exhaustive()
    }
}

impl Providers {
    /// The providers of `kind` in `store`, sealing secrets with `sealer`.
    pub fn new(kind: Kind, store: Arc<dyn ProviderStore>, sealer: Arc<Sealer>) -> Self {
        Self { kind, store, sealer }
    }

    fn not_found(&self) -> DomainError {
        DomainError::NotFound(format!("the community has no {} with this id", self.kind.label()))
    }

    fn taken(&self) -> DomainError {
        DomainError::Conflict(format!("the community already has an {} of this type", self.kind.label()))
    }

    fn aad<'a>(&self, community_id: &'a str, id: &'a str) -> [&'a str; 3] {
        [community_id, self.kind.record_kind(), id]
    }

    /// Creates a provider of the community (`PUT`): 409 when it has one of the type.
    pub async fn create(
        &self,
        owner: Owner<'_>,
        actor: &str,
        input: ProviderInput,
        now: i64,
    ) -> Result<Provider, DomainError> {
        let valid = rules::validate(input, false)?;
        let id = kit::ids::new_object_id();
        let provider = Provider {
            id: id.clone(),
            tenant_id: owner.tenant_id.to_owned(),
            community_id: owner.community_id.to_owned(),
            created_by: actor.to_owned(),
            created_ts: now,
            updated_by: actor.to_owned(),
            updated_ts: now,
            ..valid.provider
        };
        let mut fields = changed_fields(&Value::Object(serde_json::Map::new()), &settings(&provider));
        let mut sealed_secret = String::new();
        if let Some(secret) = valid.client_secret {
            sealed_secret = self.sealer.seal(&self.aad(owner.community_id, &id), &secret).map_err(sealing)?;
            fields.push("clientSecret".to_owned());
            fields.sort();
        }
        let stored = StoredProvider {
            provider: Provider { client_secret_set: !sealed_secret.is_empty(), ..provider },
            sealed_secret,
        };
        let change = self.change(owner, &id, "create", fields, actor, now);
        match self.store.insert(&stored, &change).await {
            Ok(()) => Ok(stored.provider),
            Err(StoreError::Conflict(_)) => Err(self.taken()),
            Err(e) => Err(e.into()),
        }
    }

    /// Changes the fields `patch` gives of provider `id` (`PATCH`); the result must be a
    /// complete provider; 409 when another provider of the community has the new type.
    pub async fn update(
        &self,
        owner: Owner<'_>,
        actor: &str,
        id: &str,
        patch: ProviderInput,
        now: i64,
    ) -> Result<Provider, DomainError> {
        let id = kit::ids::object_id("id", id)?;
        let current = self.store.get(owner.community_id, &id).await?.ok_or_else(|| self.not_found())?;
        let same_type = patch.kind.as_ref().is_none_or(|k| *k == current.provider.kind);
        let has_secret = same_type && !current.sealed_secret.is_empty();
        let rules::Valid { provider: fresh, client_secret } =
            rules::validate(patch.over(&current.provider), has_secret)?;
        let keep_secret = fresh.kind == "oidc" && has_secret;
        let old = &current.provider;
        let provider = Provider {
            id: id.clone(),
            tenant_id: old.tenant_id.clone(),
            community_id: old.community_id.clone(),
            created_by: old.created_by.clone(),
            created_ts: old.created_ts,
            updated_by: actor.to_owned(),
            updated_ts: now,
            ..fresh
        };
        let mut fields = changed_fields(&settings(old), &settings(&provider));
        let mut sealed_secret = if keep_secret { current.sealed_secret.clone() } else { String::new() };
        if let Some(secret) = client_secret {
            let aad = self.aad(owner.community_id, &id);
            let same = !sealed_secret.is_empty()
                && self.sealer.open(&aad, &sealed_secret).is_ok_and(|o| o.as_str() == secret.as_str());
            if !same {
                sealed_secret = self.sealer.seal(&aad, &secret).map_err(sealing)?;
                fields.push("clientSecret".to_owned());
                fields.sort();
            }
        }
        let stored = StoredProvider {
            provider: Provider { client_secret_set: !sealed_secret.is_empty(), ..provider },
            sealed_secret,
        };
        let change = self.change(owner, &id, "update", fields, actor, now);
        match self.store.update(&stored, &change).await {
            Ok(true) => Ok(stored.provider),
            Ok(false) => Err(self.not_found()),
            Err(StoreError::Conflict(_)) => Err(self.taken()),
            Err(e) => Err(e.into()),
        }
    }

    /// The community's providers, filtered by `ids` and `kind` when given.
    pub async fn list(
        &self,
        community_id: &str,
        ids: Option<&[String]>,
        kind: Option<&str>,
    ) -> Result<Vec<Provider>, DomainError> {
        let all = self.store.list(community_id).await?.into_iter().map(|s| s.provider);
        Ok(all.filter(|p| ids.is_none_or(|ids| ids.contains(&p.id)) && kind.is_none_or(|k| p.kind == k)).collect())
    }

    /// The community's enabled provider of `kind` (`saml`, `oidc`), if any.
    pub async fn of_type(&self, community_id: &str, kind: &str) -> Result<Option<Provider>, DomainError> {
        Ok(self.list(community_id, None, Some(kind)).await?.into_iter().find(|p| p.enabled))
    }

    /// Deletes provider `id` of the community; 404 when it has none with this id.
    pub async fn delete(&self, owner: Owner<'_>, actor: &str, id: &str, now: i64) -> Result<(), DomainError> {
        let id = kit::ids::object_id("id", id)?;
        let change = self.change(owner, &id, "delete", Vec::new(), actor, now);
        if self.store.delete(owner.community_id, &id, &change).await? { Ok(()) } else { Err(self.not_found()) }
    }

    /// The client secret of provider `id`, opened for the platform's own flows (never for a
    /// reply or a log); `None` when none is set.
    pub async fn client_secret(&self, community_id: &str, id: &str) -> Result<Option<Zeroizing<String>>, DomainError> {
        let stored = self.store.get(community_id, id).await?.ok_or_else(|| self.not_found())?;
        if stored.sealed_secret.is_empty() {
            return Ok(None);
        }
        self.sealer
            .open(&self.aad(community_id, id), &stored.sealed_secret)
            .map(Some)
            .map_err(|e| StoreError::Corrupt(format!("client secret of an {}: {e}", self.kind.label())).into())
    }

    fn change(&self, owner: Owner<'_>, id: &str, action: &str, fields: Vec<String>, actor: &str, at: i64) -> Change {
        Change {
            tenant_id: owner.tenant_id.to_owned(),
            community_id: owner.community_id.to_owned(),
            kind: self.kind.record_kind().to_owned(),
            record: id.to_owned(),
            action: action.to_owned(),
            fields,
            actor: actor.to_owned(),
            at,
        }
    }
}
