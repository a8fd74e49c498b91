//! Brokers: agents on a customer's network that connect out to users-mgmt and relay a directory
//! module's requests (`mode: broker`) to the directory only they can reach. A broker registers
//! with its broker key (a service-level license key authorized for the community) and then
//! long-polls for requests ([`hub`]), answering each with the directory's word. Its connection
//! record (enabled, authorized, connected, when it last pinged) is kept per community and module;
//! a broker silent past the heartbeat window is marked down ([`Brokers::sweep`]), and the
//! module's recipients are told ([`Notice`]).

pub mod hub;
pub mod notify;

use std::sync::Arc;

use async_trait::async_trait;
use kit::{DomainError, StoreError};
use serde_json::{Value, json};

/// A broker connection as stored.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Broker {
    pub uid: String,
    pub tenant_id: String,
    pub community_id: String,
    pub module_id: String,
    pub name: String,
    pub enabled: bool,
    pub authorized: bool,
    pub connected: bool,
    pub version: String,
    /// Epoch seconds.
    pub connected_at: Option<i64>,
    pub last_ping_at: Option<i64>,
    pub last_disconnected_at: Option<i64>,
    pub last_notification_sent_at: Option<i64>,
    pub ip: String,
    pub port: String,
    /// SHA-256 (hex) of the broker key it registered with: only that key polls as it.
    pub key_hash: String,
}

/// The SHA-256 (hex) of a broker key, as kept.
pub fn key_hash(key: &str) -> String {
    use sha2::Digest as _;
    hex::encode(sha2::Sha256::digest(key.as_bytes()))
}

fn date(t: Option<i64>) -> Value {
    t.and_then(|t| chrono::DateTime::from_timestamp(t, 0)).map(|d| json!(d.to_rfc3339())).unwrap_or(Value::Null)
}

impl Broker {
    /// As the reference shows it.
    pub fn to_reply(&self) -> Value {
        json!({
            "_id": self.uid, "uid": self.uid, "name": self.name, "communityId": self.community_id,
            "authModuleId": self.module_id, "enabled": self.enabled, "authorized": self.authorized,
            "connected": self.connected, "version": self.version, "connectedAt": date(self.connected_at),
            "lastPingAt": date(self.last_ping_at), "lastDisconnectedAt": date(self.last_disconnected_at),
            "lastNotificationSentAt": date(self.last_notification_sent_at), "ip": self.ip, "port": self.port,
        })
    }
}

/// Where broker connections are kept (`crate::store::SqlBrokers`).
#[async_trait]
pub trait BrokerStore: Send + Sync {
    /// Adds a broker connection.
    async fn insert(&self, b: &Broker) -> Result<(), StoreError>;
    /// One broker of a module of a community.
    async fn get(&self, community_id: &str, module_id: &str, uid: &str) -> Result<Option<Broker>, StoreError>;
    /// The brokers of a module, oldest first.
    async fn list(&self, community_id: &str, module_id: &str) -> Result<Vec<Broker>, StoreError>;
    /// Every broker marked connected, or disconnected and not yet notified (for the sweep).
    async fn watched(&self) -> Result<Vec<Broker>, StoreError>;
    /// Replaces a broker; `false` when there is none.
    async fn update(&self, b: &Broker) -> Result<bool, StoreError>;
    /// Records a ping at `at`: connected, `lastPingAt`.
    async fn ping(&self, community_id: &str, uid: &str, at: i64) -> Result<(), StoreError>;
    /// Removes a broker; `false` when there was none.
    async fn delete(&self, community_id: &str, module_id: &str, uid: &str) -> Result<bool, StoreError>;
}

/// A registration: what the broker says of itself and where it connects from.
#[derive(Debug, Clone)]
pub struct Hello {
    /// The uid it had (a reconnection), if any.
    pub uid: Option<String>,
    pub name: String,
    pub version: String,
    pub ip: String,
    pub port: String,
    /// SHA-256 (hex) of the key it presented.
    pub key_hash: String,
}

/// A broker gone silent, to be told to the module's recipients.
#[derive(Debug, Clone)]
pub struct Notice {
    pub broker: Broker,
    /// `config.brokerDisconnectNotificationTo` of its module.
    pub recipients: Vec<String>,
}

fn not_found() -> DomainError {
    DomainError::NotFound("the auth module has no broker connection with this uid".into())
}

/// The broker connections, over their store.
#[derive(Clone)]
pub struct Brokers {
    store: Arc<dyn BrokerStore>,
    /// Seconds without a ping after which a broker counts as down (`BROKER_HEARTBEAT_SECONDS`).
    pub heartbeat: i64,
}

impl std::fmt::Debug for Brokers {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Brokers").field("heartbeat", &self.heartbeat).finish_non_exhaustive()
    }
}

impl Brokers {
    /// Over `store`, a broker silent for `heartbeat` seconds counting as down.
    pub fn new(store: Arc<dyn BrokerStore>, heartbeat: i64) -> Self {
        Self { store, heartbeat }
    }

    /// Registers a broker of a module (or reconnects the one `hello.uid` names) at `now`.
    pub async fn register(
        &self,
        tenant_id: &str,
        community_id: &str,
        module_id: &str,
        hello: Hello,
        now: i64,
    ) -> Result<Broker, DomainError> {
        let name = kit::ids::name("name", &hello.name)?;
        let version: String = hello.version.chars().filter(|c| !c.is_control()).take(64).collect();
        if let Some(uid) = hello.uid.as_deref() {
            let uid = kit::ids::object_id("uid", uid)?;
            let mut b = self.store.get(community_id, module_id, &uid).await?.ok_or_else(not_found)?;
            if b.key_hash != hello.key_hash {
                return Err(DomainError::Forbidden("the broker connection belongs to another broker key".into()));
            }
            if !b.enabled {
                return Err(DomainError::Forbidden("the broker connection is disabled".into()));
            }
            b.version = version;
            b.connected = true;
            b.connected_at = Some(now);
            b.last_ping_at = Some(now);
            b.ip = hello.ip;
            b.port = hello.port;
            if !self.store.update(&b).await? {
                return Err(not_found());
            }
            return Ok(b);
        }
        let b = Broker {
            uid: kit::ids::new_object_id(),
            tenant_id: tenant_id.to_owned(),
            community_id: community_id.to_owned(),
            module_id: module_id.to_owned(),
            name,
            enabled: true,
            authorized: true,
            connected: true,
            version,
            connected_at: Some(now),
            last_ping_at: Some(now),
            last_disconnected_at: None,
            last_notification_sent_at: None,
            ip: hello.ip,
            port: hello.port,
            key_hash: hello.key_hash,
        };
        self.store.insert(&b).await?;
        Ok(b)
    }

    /// The brokers of a module.
    pub async fn list(&self, community_id: &str, module_id: &str) -> Result<Vec<Broker>, DomainError> {
        Ok(self.store.list(community_id, module_id).await?)
    }

    /// One broker of a module; 404 when there is none with this uid.
    pub async fn get(&self, community_id: &str, module_id: &str, uid: &str) -> Result<Broker, DomainError> {
        let uid = kit::ids::object_id("uid", uid)?;
        self.store.get(community_id, module_id, &uid).await?.ok_or_else(not_found)
    }

    async fn save(&self, b: Broker) -> Result<Broker, DomainError> {
        if self.store.update(&b).await? { Ok(b) } else { Err(not_found()) }
    }

    /// Enables or disables a broker; only an authorized broker may be enabled.
    pub async fn set_enabled(
        &self,
        community_id: &str,
        module_id: &str,
        uid: &str,
        enabled: bool,
    ) -> Result<Broker, DomainError> {
        let mut b = self.get(community_id, module_id, uid).await?;
        if enabled && !b.authorized {
            return Err(DomainError::Invalid("only an authorized broker can be enabled".into()));
        }
        b.enabled = enabled;
        self.save(b).await
    }

    /// Renames a broker.
    pub async fn rename(
        &self,
        community_id: &str,
        module_id: &str,
        uid: &str,
        name: &str,
    ) -> Result<Broker, DomainError> {
        let mut b = self.get(community_id, module_id, uid).await?;
        b.name = kit::ids::name("name", name)?;
        self.save(b).await
    }

    /// Deletes a broker.
    pub async fn delete(&self, community_id: &str, module_id: &str, uid: &str) -> Result<(), DomainError> {
        let uid = kit::ids::object_id("uid", uid)?;
        if self.store.delete(community_id, module_id, &uid).await? { Ok(()) } else { Err(not_found()) }
    }

    /// Records a ping of broker `uid` at `now`.
    pub async fn ping(&self, community_id: &str, uid: &str, now: i64) -> Result<(), DomainError> {
        Ok(self.store.ping(community_id, uid, now).await?)
    }

    /// Marks down, at `now`, every broker silent past the heartbeat window; answers the brokers
    /// down (these and earlier ones) whose module wants a notice and has not had one for this
    /// disconnection, once they have been down `notificationAfterNoOfMinsDisconnect` minutes
    /// (default 5). `config_of` gives a module's configuration.
    pub async fn sweep<F, Fut>(&self, now: i64, config_of: F) -> Result<Vec<Notice>, DomainError>
    where
        F: Fn(String, String) -> Fut,
        Fut: std::future::Future<Output = Result<Option<serde_json::Map<String, Value>>, DomainError>>,
    {
        let mut notices = Vec::new();
        for mut b in self.store.watched().await? {
            if b.connected {
                if b.last_ping_at.unwrap_or(0) + self.heartbeat > now {
                    continue;
                }
                b.connected = false;
                b.last_disconnected_at = Some(now);
                tracing::warn!(broker = %b.uid, module = %b.module_id, "broker silent past its heartbeat window: marked down");
                self.store.update(&b).await?;
            }
            let Some(config) = config_of(b.community_id.clone(), b.module_id.clone()).await? else { continue };
            let wanted = config.get("brokerNotificationsEnabled").and_then(Value::as_bool).unwrap_or(false);
            let after = config.get("notificationAfterNoOfMinsDisconnect").and_then(Value::as_f64).unwrap_or(5.0);
            let down_since = b.last_disconnected_at.unwrap_or(now);
            let notified = b.last_notification_sent_at.is_some_and(|t| t >= down_since);
            #[allow(clippy::cast_possible_truncation)]
            let due = down_since + (after.max(0.0) * 60.0) as i64 <= now;
            if !b.enabled || !wanted || notified || !due {
                continue;
            }
            let recipients = config
                .get("brokerDisconnectNotificationTo")
                .and_then(Value::as_array)
                .map(|a| a.iter().filter_map(Value::as_str).map(str::to_owned).collect())
                .unwrap_or_default();
            notices.push(Notice { broker: b, recipients });
        }
        Ok(notices)
    }

    /// Records that the notice of `b`'s disconnection went out at `now`.
    pub async fn notified(&self, mut b: Broker, now: i64) -> Result<(), DomainError> {
        b.last_notification_sent_at = Some(now);
        self.store.update(&b).await?;
        Ok(())
    }
}

/// The other users-mgmt instances of the deployment (`BROKER_PEERS`), asked through their
/// `internal_call/broker_request` (with the infra key) when no broker of a module polls this one.
#[derive(Debug, Default)]
pub struct Peers {
    target: Option<(envelope::Client, Vec<String>)>,
}

impl Peers {
    /// Peers at `urls`, called with `client` (which carries the infra key).
    pub fn new(client: envelope::Client, urls: Vec<String>) -> Self {
        let urls: Vec<String> =
            urls.into_iter().map(|u| u.trim().trim_end_matches('/').to_owned()).filter(|u| !u.is_empty()).collect();
        Self { target: (!urls.is_empty()).then_some((client, urls)) }
    }

    /// The first peer's answer to `request` for the module, if one has a broker that answers.
    async fn call(&self, community_id: &str, module_id: &str, request: &Value) -> Option<Value> {
        let (client, urls) = self.target.as_ref()?;
        let body = json!({"communityId": community_id, "authModule": {"_id": module_id}, "dataPayload": request});
        for url in urls {
            match client.call(reqwest::Method::POST, url, "/internal_call/broker_request", Some(&body)).await {
                Ok(reply) if reply.status == 200 => return Some(reply.body),
                Ok(reply) => tracing::debug!(status = reply.status, "a peer has no broker for the module"),
                Err(e) => tracing::warn!(reason = %e, "a peer did not answer"),
            }
        }
        None
    }
}

/// The brokers, the hub and the peers together: what a directory operation in `mode: broker`
/// goes through.
#[derive(Debug)]
pub struct Relay {
    pub hub: hub::Hub,
    pub brokers: Brokers,
    pub peers: Peers,
}

impl Relay {
    /// Sends `request` to a live, enabled broker of `module_id` polling this instance (else
    /// through a peer instance) and waits up to `timeout` for the answer: 503 when no broker is
    /// there or none answers.
    pub async fn call(
        &self,
        community_id: &str,
        module_id: &str,
        request: Value,
        timeout: std::time::Duration,
    ) -> Result<Value, DomainError> {
        let allowed: Vec<String> = self
            .brokers
            .list(community_id, module_id)
            .await?
            .into_iter()
            .filter(|b| b.enabled && b.authorized)
            .map(|b| b.uid)
            .collect();
        let local = self.hub.call(community_id, module_id, &allowed, request.clone(), timeout).await;
        let e = match local {
            Ok(answer) => return Ok(answer),
            Err(e) => e,
        };
        if e == hub::RelayError::NoBroker
            && !allowed.is_empty()
            && let Some(answer) = self.peers.call(community_id, module_id, &request).await
        {
            return Ok(answer);
        }
        tracing::warn!(module = %module_id, reason = %e, "broker relay failed");
        Err(DomainError::Busy(format!("{e}, try again")))
    }

    /// Sends `request` to a broker polling this instance only (the peers' own relay).
    pub async fn call_local(
        &self,
        community_id: &str,
        module_id: &str,
        request: Value,
        timeout: std::time::Duration,
    ) -> Result<Value, DomainError> {
        let allowed: Vec<String> = self
            .brokers
            .list(community_id, module_id)
            .await?
            .into_iter()
            .filter(|b| b.enabled && b.authorized)
            .map(|b| b.uid)
            .collect();
        self.hub
            .call(community_id, module_id, &allowed, request, timeout)
            .await
            .map_err(|e| DomainError::Busy(format!("{e}, try again")))
    }
}
