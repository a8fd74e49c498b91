//! A community's RADIUS and Auth Proxy configurations: what the on-premise RADIUS server and the
//! auth proxy of the community use to turn a login into a BlockID push or phone call (the
//! methods, the keywords a user types after the password), and what they need on the network:
//! the address their clients connect from, the port, and the shared secret of RFC 2865. The
//! secret is sealed with the [`Sealer`] for the community, the kind and the configuration, never
//! answered (a configuration says `sharedSecretSet`), and opened only by
//! [`ProxyConfigs::shared_secret`] for the platform's own flows. Every write is recorded in the
//! audit log by field names.

mod rules;

use std::sync::Arc;

use async_trait::async_trait;
use kit::StoreError;
use serde::{Deserialize, Serialize};
use serde_json::Value;
use zeroize::Zeroizing;

pub use rules::{ConfigInput, MAX_SECRET_CHARS, MIN_SECRET_CHARS};

use super::DomainError;
use super::audit::{Change, changed_fields};
use super::config::Owner;
use super::secrets::{Sealer, sealing};

/// Which configuration: both share the shape, each has its own fields and table.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    /// `PUT /radius/config/{uid}`: `ivrLine`; port 1812 by default.
    Radius,
    /// `PUT /authproxy/config/{id}`: `isDefaultAuthMethodEnable`, `defaultAuthMethod`.
    AuthProxy,
}

impl Kind {
    /// The kind of record in the audit log, and the sealing context of the shared secret.
    pub fn record_kind(self) -> &'static str {
        match self {
            Self::Radius => "radius_config",
            Self::AuthProxy => "authproxy_config",
        }
    }

    /// How the API names it in messages.
    pub fn label(self) -> &'static str {
        match self {
            Self::Radius => "radius configuration",
            Self::AuthProxy => "auth proxy configuration",
        }
    }

    /// The port when none is given (RFC 2865's authentication port for RADIUS).
    pub fn default_port(self) -> Option<u16> {
        match self {
            Self::Radius => Some(1812),
            Self::AuthProxy => None,
        }
    }
}

/// A configuration, as stored and answered: never the shared secret.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ProxyConfig {
    /// The `uid` (RADIUS) or `id` (auth proxy) of the path.
    pub id: String,
    pub tenant_id: String,
    pub community_id: String,
    pub name: String,
    /// `push` and / or `ivr`.
    pub auth_scheme: Vec<String>,
    pub push_keyword: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub ivr_keyword: Option<String>,
    /// RADIUS only.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub ivr_line: Option<String>,
    /// Auth proxy only.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub is_default_auth_method_enable: Option<bool>,
    /// Auth proxy only, and only when `isDefaultAuthMethodEnable`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub default_auth_method: Option<String>,
    /// Where the clients connect from: an IP address, a CIDR block or a DNS name.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub address: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub port: Option<u16>,
    /// Whether a shared secret is kept (its value is never answered).
    pub shared_secret_set: bool,
    pub created_by: String,
    /// Epoch seconds.
    pub created_ts: i64,
    pub updated_by: String,
    /// Epoch seconds.
    pub updated_ts: i64,
}

/// A configuration with its shared secret, sealed (empty: none).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StoredConfig {
    pub config: ProxyConfig,
    pub sealed_secret: String,
}

/// Where one kind of configuration is kept (`crate::store::SqlProxyConfigs`).
#[async_trait]
pub trait ProxyConfigStore: Send + Sync {
    /// Adds a configuration and records `change`, both or neither; `Conflict` when the
    /// community has one with this id.
    async fn insert(&self, c: &StoredConfig, change: &Change) -> Result<(), StoreError>;
    /// Replaces a configuration of its community and records `change`; `false` when there is
    /// none.
    async fn update(&self, c: &StoredConfig, change: &Change) -> Result<bool, StoreError>;
    /// The community's configurations, oldest first.
    async fn list(&self, community_id: &str) -> Result<Vec<StoredConfig>, StoreError>;
    /// One configuration of the community.
    async fn get(&self, community_id: &str, id: &str) -> Result<Option<StoredConfig>, StoreError>;
    /// Removes a configuration of the community and records `change`; `false` when there was
    /// none.
    async fn delete(&self, community_id: &str, id: &str, change: &Change) -> Result<bool, StoreError>;
}

/// The fields a change may touch (no ids, no bookkeeping), as JSON.
fn settings(c: &ProxyConfig) -> Value {
    let mut v = serde_json::to_value(c).unwrap_or(Value::Null);
    if let Some(map) = v.as_object_mut() {
        for key in
            ["id", "tenantId", "communityId", "sharedSecretSet", "createdBy", "createdTs", "updatedBy", "updatedTs"]
        {
            map.remove(key);
        }
    }
    v
}

/// The configurations of one kind, over its store and the sealer.
#[derive(Clone)]
pub struct ProxyConfigs {
    kind: Kind,
    store: Arc<dyn ProxyConfigStore>,
    sealer: Arc<Sealer>,
}

impl std::fmt::Debug for ProxyConfigs {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ProxyConfigs").field("kind", &self.kind).finish_non_exhaustive()
    }
}

impl ProxyConfigs {
    /// The configurations of `kind` in `store`, sealing secrets with `sealer`.
    pub fn new(kind: Kind, store: Arc<dyn ProxyConfigStore>, sealer: Arc<Sealer>) -> Self {
        Self { kind, store, sealer }
    }

    fn not_found(&self) -> DomainError {
        DomainError::NotFound(format!("the community has no {} with this id", self.kind.label()))
    }

    fn aad<'a>(&self, community_id: &'a str, id: &'a str) -> [&'a str; 3] {
        [community_id, self.kind.record_kind(), id]
    }

    /// Creates or replaces configuration `id` of the community with `input` at `now`: every
    /// field is the input's, but a shared secret left out keeps the one stored.
    pub async fn put(
        &self,
        owner: Owner<'_>,
        actor: &str,
        id: &str,
        input: ConfigInput,
        now: i64,
    ) -> Result<ProxyConfig, DomainError> {
        let id = rules::config_id(id)?;
        let valid = rules::validate(self.kind, input)?;
        let current = self.store.get(owner.community_id, &id).await?;
        let mut config = ProxyConfig {
            id: id.clone(),
            tenant_id: owner.tenant_id.to_owned(),
            community_id: owner.community_id.to_owned(),
            created_by: actor.to_owned(),
            created_ts: now,
            updated_by: actor.to_owned(),
            updated_ts: now,
            ..valid.config
        };
        let mut sealed_secret = String::new();
        let mut fields;
        if let Some(c) = &current {
            config.created_by.clone_from(&c.config.created_by);
            config.created_ts = c.config.created_ts;
            sealed_secret.clone_from(&c.sealed_secret);
            fields = changed_fields(&settings(&c.config), &settings(&config));
        } else {
            fields = changed_fields(&Value::Object(serde_json::Map::new()), &settings(&config));
        }
        if let Some(secret) = valid.shared_secret {
            let aad = self.aad(owner.community_id, &id);
            let same = !sealed_secret.is_empty()
                && self.sealer.open(&aad, &sealed_secret).is_ok_and(|old| old.as_str() == secret.as_str());
            if !same {
                sealed_secret = self.sealer.seal(&aad, &secret).map_err(sealing)?;
                fields.push("sharedSecret".to_owned());
                fields.sort();
            }
        }
        config.shared_secret_set = !sealed_secret.is_empty();
        let stored = StoredConfig { config, sealed_secret };
        if current.is_some() {
            let change = self.change(owner, &id, "update", fields, actor, now);
            if !self.store.update(&stored, &change).await? {
                return Err(DomainError::Conflict(format!("the {} was deleted meanwhile", self.kind.label())));
            }
        } else {
            let change = self.change(owner, &id, "create", fields, actor, now);
            if let Err(e) = self.store.insert(&stored, &change).await {
                return Err(match e {
                    StoreError::Conflict(_) => {
                        DomainError::Conflict(format!("the {} was created meanwhile", self.kind.label()))
                    }
                    other => other.into(),
                });
            }
        }
        Ok(stored.config)
    }

    /// The community's configurations, those named in `ids` only when given.
    pub async fn list(&self, community_id: &str, ids: Option<&[String]>) -> Result<Vec<ProxyConfig>, DomainError> {
        let all = self.store.list(community_id).await?.into_iter().map(|s| s.config);
        Ok(match ids {
            Some(ids) => all.filter(|c| ids.contains(&c.id)).collect(),
            None => all.collect(),
        })
    }

    /// Deletes configuration `id` of the community; 404 when it has none with this id.
    pub async fn delete(&self, owner: Owner<'_>, actor: &str, id: &str, now: i64) -> Result<(), DomainError> {
        let id = rules::config_id(id)?;
        let change = self.change(owner, &id, "delete", Vec::new(), actor, now);
        if self.store.delete(owner.community_id, &id, &change).await? { Ok(()) } else { Err(self.not_found()) }
    }

    /// The shared secret of configuration `id`, opened for the platform's own flows (never for
    /// a reply or a log); `None` when none is set.
    pub async fn shared_secret(&self, community_id: &str, id: &str) -> Result<Option<Zeroizing<String>>, DomainError> {
        let stored = self.store.get(community_id, id).await?.ok_or_else(|| self.not_found())?;
        if stored.sealed_secret.is_empty() {
            return Ok(None);
        }
        self.sealer
            .open(&self.aad(community_id, id), &stored.sealed_secret)
            .map(Some)
            .map_err(|e| StoreError::Corrupt(format!("shared secret of a {}: {e}", self.kind.label())).into())
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
