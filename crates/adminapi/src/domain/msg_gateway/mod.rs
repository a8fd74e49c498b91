//! A community's message gateways: where its email (SMTP) and its SMS and voice messages (HTTP
//! providers) go out. The settings are answered to administrators; the credentials (`password`,
//! `authClientSecret`) are sealed with the [`Sealer`] for the community, the gateway and the
//! field, never answered, and opened only by [`Gateways::for_channel`] for the
//! [`messaging`](super::messaging) sender. Every write is recorded in the audit log by field
//! names.

mod rules;

use std::collections::BTreeMap;
use std::sync::Arc;

use async_trait::async_trait;
use kit::StoreError;
use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};
use zeroize::Zeroizing;

pub use rules::{EMAIL_TYPES, GatewayFields, SMS_TYPES, VOICE_TYPES};

use super::DomainError;
use super::audit::{Change, changed_fields};
use super::config::Owner;
use super::secrets::{Sealer, sealing};

/// The kind of record in the audit log.
pub const KIND: &str = "msg_gateway";
const PASSWORD: &str = "password";
const CLIENT_SECRET: &str = "authClientSecret";

/// A channel a gateway serves.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Channel {
    Email,
    Sms,
    Voice,
}

impl Channel {
    /// Its name in the API.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Email => "email",
            Self::Sms => "sms",
            Self::Voice => "voice",
        }
    }
}

/// How an SMTP connection is protected (the gateway's `protocol` and port).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Security {
    /// `smtp`: STARTTLS, required (TLS from the first byte on port 465).
    StartTls,
    /// `smtps`: TLS from the first byte.
    Tls,
    /// `smtp-insecure`: no TLS (a relay on a trusted network).
    None,
}

impl Security {
    fn parse(protocol: &str) -> Option<Self> {
        match protocol {
            "smtp" => Some(Self::StartTls),
            "smtps" => Some(Self::Tls),
            "smtp-insecure" => Some(Self::None),
            _ => None,
        }
    }

    fn default_port(self) -> u16 {
        match self {
            Self::StartTls => 587,
            Self::Tls => 465,
            Self::None => 25,
        }
    }

    /// The protection of an email gateway.
    pub fn of(g: &Gateway) -> Self {
        let port = g.port.as_deref().and_then(|p| p.parse::<u16>().ok());
        match Self::parse(g.protocol.as_deref().unwrap_or("smtp")) {
            Some(Self::StartTls) if port == Some(465) => Self::Tls,
            Some(s) => s,
            None => Self::StartTls,
        }
    }
}

mod flag_text {
    use serde::{Deserialize, Deserializer, Serializer};

    pub fn serialize<S: Serializer>(v: &bool, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(if *v { "true" } else { "false" })
    }

    pub fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<bool, D::Error> {
        Ok(String::deserialize(d)? == "true")
    }
}

/// A gateway's settings, as stored and answered: never a credential.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Gateway {
    pub id: String,
    pub tenant_id: String,
    pub community_id: String,
    /// The provider type (`smtp`, `http`, `twilio`…).
    #[serde(rename = "type")]
    pub kind: String,
    pub channels: Vec<Channel>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub protocol: Option<String>,
    /// Whether the gateway authenticates (`"true"` / `"false"`, as the spec writes it).
    #[serde(with = "flag_text")]
    pub auth: bool,
    pub name: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub username: Option<String>,
    /// The SMTP host of an email gateway; the URL of an HTTP provider.
    pub service_url: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub sender_email: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub sender_phone: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub port: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub smstemplateid: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub entity_id: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub auth_token_request_url: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub auth_client_id: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub auth_grant_type: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub auth_scope: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub principal_entity_id: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub dlt_template_id: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub aws_region: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub app_category: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub gst_flag: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub msg_type: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub otp_delimiter: Option<String>,
    /// Seconds a delivery may take.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub timeout_value: Option<u64>,
    pub active: bool,
    pub created_by: String,
    /// Epoch seconds.
    pub created_ts: i64,
    pub updated_by: String,
    /// Epoch seconds.
    pub updated_ts: i64,
}

/// A gateway with its credentials, sealed (field name → sealed value).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StoredGateway {
    pub gateway: Gateway,
    pub sealed: BTreeMap<String, String>,
}

/// A gateway's credentials, opened for a delivery. Never printed.
#[derive(Default)]
pub struct Credentials {
    pub password: Option<Zeroizing<String>>,
    pub client_secret: Option<Zeroizing<String>>,
}

impl std::fmt::Debug for Credentials {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Credentials(<redacted>)")
    }
}

/// Where gateways are kept (`crate::store::SqlGateways`).
#[async_trait]
pub trait GatewayStore: Send + Sync {
    /// Adds a gateway and records `change`, both or neither.
    async fn insert(&self, g: &StoredGateway, change: &Change) -> Result<(), StoreError>;
    /// Replaces a gateway of its community and records `change`; `false` when there is none.
    async fn update(&self, g: &StoredGateway, change: &Change) -> Result<bool, StoreError>;
    /// The community's gateways, oldest first.
    async fn list(&self, community_id: &str) -> Result<Vec<StoredGateway>, StoreError>;
    /// One gateway of the community.
    async fn get(&self, community_id: &str, id: &str) -> Result<Option<StoredGateway>, StoreError>;
    /// Removes a gateway of the community and records `change`; `false` when there was none.
    async fn delete(&self, community_id: &str, id: &str, change: &Change) -> Result<bool, StoreError>;
}

/// The settings of `g` that a change may touch (no ids, no bookkeeping), as JSON.
fn settings(g: &Gateway) -> Value {
    let mut v = serde_json::to_value(g).unwrap_or(Value::Null);
    if let Some(map) = v.as_object_mut() {
        for key in ["id", "tenantId", "communityId", "active", "createdBy", "createdTs", "updatedBy", "updatedTs"] {
            map.remove(key);
        }
    }
    v
}

fn not_found() -> DomainError {
    DomainError::NotFound("the community has no message gateway with this id".into())
}

/// The gateway operations, over a store and the sealer.
#[derive(Clone)]
pub struct Gateways {
    store: Arc<dyn GatewayStore>,
    sealer: Arc<Sealer>,
}

impl std::fmt::Debug for Gateways {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Gateways").finish_non_exhaustive()
    }
}

impl Gateways {
    /// Over `store`, sealing credentials with `sealer`.
    pub fn new(store: Arc<dyn GatewayStore>, sealer: Arc<Sealer>) -> Self {
        Self { store, sealer }
    }

    fn fields(given: Map<String, Value>) -> Result<GatewayFields, DomainError> {
        envelope::deser::from_value(Value::Object(given))
            .map_err(|e| DomainError::Invalid(format!("invalid request body: {e}")))
    }

    /// Seals the credentials given into `sealed`; the names of those that changed.
    fn seal_into(
        &self,
        g: &Gateway,
        given: [(&'static str, Option<String>); 2],
        sealed: &mut BTreeMap<String, String>,
    ) -> Result<Vec<String>, DomainError> {
        let mut changed = Vec::new();
        for (field, value) in given {
            let Some(value) = value.map(Zeroizing::new) else { continue };
            let aad = [g.community_id.as_str(), g.id.as_str(), field];
            let same = sealed.get(field).and_then(|s| self.sealer.open(&aad, s).ok()).is_some_and(|old| *old == *value);
            if !same {
                sealed.insert(field.to_owned(), self.sealer.seal(&aad, &value).map_err(sealing)?);
                changed.push(field.to_owned());
            }
        }
        Ok(changed)
    }

    /// Creates a gateway from the fields of a create at `now`.
    pub async fn create(
        &self,
        owner: Owner<'_>,
        actor: &str,
        given: Map<String, Value>,
        now: i64,
    ) -> Result<Gateway, DomainError> {
        let base = Gateway {
            id: kit::ids::new_object_id(),
            tenant_id: owner.tenant_id.to_owned(),
            community_id: owner.community_id.to_owned(),
            active: true,
            created_by: actor.to_owned(),
            created_ts: now,
            updated_by: actor.to_owned(),
            updated_ts: now,
            ..Gateway::default()
        };
        let p = rules::parse(&Self::fields(given)?, base, false, false)?;
        let mut sealed = BTreeMap::new();
        let secrets =
            self.seal_into(&p.gateway, [(PASSWORD, p.password), (CLIENT_SECRET, p.client_secret)], &mut sealed)?;
        let mut fields = changed_fields(&Value::Object(Map::new()), &settings(&p.gateway));
        fields.extend(secrets);
        fields.sort();
        let change = self.change(owner, &p.gateway.id, "create", fields, actor, now);
        let stored = StoredGateway { gateway: p.gateway, sealed };
        self.store.insert(&stored, &change).await?;
        Ok(stored.gateway)
    }

    /// Replaces the settings of gateway `id` with the fields of an update at `now`; credentials
    /// left out are kept.
    pub async fn update(
        &self,
        owner: Owner<'_>,
        actor: &str,
        id: &str,
        given: Map<String, Value>,
        now: i64,
    ) -> Result<Gateway, DomainError> {
        let id = kit::ids::object_id("id", id)?;
        let current = self.store.get(owner.community_id, &id).await?.ok_or_else(not_found)?;
        let base = Gateway { updated_by: actor.to_owned(), updated_ts: now, ..current.gateway.clone() };
        let has = |f: &str| current.sealed.contains_key(f);
        let p = rules::parse(&Self::fields(given)?, base, has(PASSWORD), has(CLIENT_SECRET))?;
        let mut sealed = current.sealed.clone();
        let secrets =
            self.seal_into(&p.gateway, [(PASSWORD, p.password), (CLIENT_SECRET, p.client_secret)], &mut sealed)?;
        let mut fields = changed_fields(&settings(&current.gateway), &settings(&p.gateway));
        fields.extend(secrets);
        fields.sort();
        let change = self.change(owner, &id, "update", fields, actor, now);
        let stored = StoredGateway { gateway: p.gateway, sealed };
        if !self.store.update(&stored, &change).await? {
            return Err(not_found());
        }
        Ok(stored.gateway)
    }

    /// The community's gateways.
    pub async fn list(&self, community_id: &str) -> Result<Vec<Gateway>, DomainError> {
        Ok(self.store.list(community_id).await?.into_iter().map(|s| s.gateway).collect())
    }

    /// One gateway of the community; 404 when it has none with this id.
    pub async fn get(&self, community_id: &str, id: &str) -> Result<Gateway, DomainError> {
        let id = kit::ids::object_id("id", id)?;
        Ok(self.store.get(community_id, &id).await?.ok_or_else(not_found)?.gateway)
    }

    /// Deletes gateway `id` of the community; 404 when it has none with this id.
    pub async fn delete(&self, owner: Owner<'_>, actor: &str, id: &str, now: i64) -> Result<(), DomainError> {
        let id = kit::ids::object_id("gatewayId", id)?;
        let change = self.change(owner, &id, "delete", Vec::new(), actor, now);
        if self.store.delete(owner.community_id, &id, &change).await? { Ok(()) } else { Err(not_found()) }
    }

    /// The community's gateway for `channel` (the active one updated last) with its credentials
    /// opened; `None` when it has none.
    pub async fn for_channel(
        &self,
        community_id: &str,
        channel: Channel,
    ) -> Result<Option<(Gateway, Credentials)>, DomainError> {
        let found = self
            .store
            .list(community_id)
            .await?
            .into_iter()
            .filter(|s| s.gateway.active && s.gateway.channels.contains(&channel))
            .max_by_key(|s| s.gateway.updated_ts);
        let Some(s) = found else { return Ok(None) };
        let open = |field: &str| {
            s.sealed
                .get(field)
                .map(|sealed| {
                    self.sealer
                        .open(&[community_id, s.gateway.id.as_str(), field], sealed)
                        .map_err(|e| DomainError::from(StoreError::Corrupt(format!("gateway credential: {e}"))))
                })
                .transpose()
        };
        let credentials = Credentials { password: open(PASSWORD)?, client_secret: open(CLIENT_SECRET)? };
        Ok(Some((s.gateway, credentials)))
    }

    fn change(&self, owner: Owner<'_>, id: &str, action: &str, fields: Vec<String>, actor: &str, at: i64) -> Change {
        Change {
            tenant_id: owner.tenant_id.to_owned(),
            community_id: owner.community_id.to_owned(),
            kind: KIND.to_owned(),
            record: id.to_owned(),
            action: action.to_owned(),
            fields,
            actor: actor.to_owned(),
            at,
        }
    }
}
