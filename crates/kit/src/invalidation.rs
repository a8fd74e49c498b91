//! Cache invalidation between processes sharing Redis: one process changes a record (the license
//! authority disables or resets a key) and [`Invalidations::publish`]es its topic and id; every
//! process that [`Invalidations::subscribe`]d to that topic drops what it cached about that id at
//! once, instead of waiting for its cache's time to live.
//!
//! - Messages travel by Redis pub/sub on the channel `<REDIS_PREFIX>invalidate`, as small JSON
//!   (`{"topic":"license","id":"…"}`). They never carry a secret: a license is named by
//!   [`crate::license::secret_hash`] of its secret, the name its caches already use.
//! - Publishing is best effort: a failure is logged at WARN and never fails the caller's request
//!   (the change itself is done; the caches expire with their time to live as before).
//! - A background task (started by the first subscription) listens, reconnecting with a backoff
//!   from 100 ms doubling up to 5 s, and pings every 15 s so a connection that died silently is
//!   noticed. Messages published while it was not subscribed are lost (pub/sub keeps nothing),
//!   so each time it has subscribed (the first time included, which also covers what was cached
//!   before that) it tells every subscriber to drop everything.
//! - A topic is a [`Topic`] variant with its wire name; a cache implements [`Invalidate`] and
//!   subscribes to the topics it caches.
//! - Unreadable messages are ignored (WARN); a topic this version does not know is ignored at
//!   DEBUG (a newer process may publish more topics).
//! - Without Redis ([`Invalidations::disabled`], `REDIS_URL` unset) nothing is published or
//!   received: caches keep their documented time to live.

use std::collections::HashMap;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, RwLock, Weak};
use std::time::Duration;

use futures_util::StreamExt as _;
use serde::Deserialize;
use tokio::sync::watch;

use crate::config::Settings;
use crate::error::StoreError;

/// What kind of record an invalidation is about.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Topic {
    /// A license key, named by [`crate::license::secret_hash`] of its secret.
    License,
    /// A community (and what is cached about its tenant), named by its id.
    Community,
    /// A community's configuration (adminapi's settings of every kind), named by the community id.
    Config,
}

impl Topic {
    /// The name on the wire.
    pub fn name(self) -> &'static str {
        match self {
            Self::License => "license",
            Self::Community => "community",
            Self::Config => "config",
        }
    }

    /// The topic named `name` on the wire.
    pub fn from_name(name: &str) -> Option<Self> {
        [Self::License, Self::Community, Self::Config].into_iter().find(|t| t.name() == name)
    }
}

/// A cache that can be told what to drop.
pub trait Invalidate: Send + Sync {
    /// Drops every entry about `id`.
    fn invalidate(&self, id: &str);
    /// Drops every entry: invalidations may have been missed.
    fn invalidate_all(&self);
}

/// One message on the channel.
#[derive(Debug, Deserialize)]
struct Message {
    topic: String,
    id: String,
}

/// The longest message read; anything longer is not ours.
const MAX_MESSAGE: usize = 4096;
/// How long connecting, subscribing or publishing may take.
const TIMEOUT: Duration = Duration::from_secs(3);
/// The first wait before reconnecting, doubled after each failure up to [`MAX_BACKOFF`].
const MIN_BACKOFF: Duration = Duration::from_millis(100);
/// The longest wait before reconnecting.
const MAX_BACKOFF: Duration = Duration::from_secs(5);
/// How often the listener pings Redis, so a connection that died silently is noticed.
const PING_EVERY: Duration = Duration::from_secs(15);

/// Publishes and receives invalidations. Cloning shares the connection and the subscribers.
#[derive(Clone, Default)]
pub struct Invalidations {
    redis: Option<Arc<Shared>>,
}

type Subscribers = HashMap<Topic, Vec<Arc<dyn Invalidate>>>;

struct Shared {
    client: redis::Client,
    publisher: redis::aio::ConnectionManager,
    channel: String,
    subscribers: RwLock<Subscribers>,
    listening: AtomicBool,
    /// How many times the listener has subscribed.
    subscribed: watch::Sender<u64>,
}

impl std::fmt::Debug for Invalidations {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Invalidations").field("channel", &self.redis.as_ref().map(|s| &s.channel)).finish()
    }
}

impl Invalidations {
    /// Without Redis: publishing does nothing and nothing is ever received.
    pub fn disabled() -> Self {
        Self::default()
    }

    /// Over the Redis of the settings (`REDIS_URL`, channel `<REDIS_PREFIX>invalidate`), or
    /// [`Invalidations::disabled`] when none is configured.
    pub async fn from_settings(settings: &Settings) -> Result<Self, StoreError> {
        match &settings.redis_url {
            Some(url) => Self::connect(&url.0, &settings.redis_prefix).await,
            None => Ok(Self::disabled()),
        }
    }

    /// Over the Redis at `url`, on the channel `<prefix>invalidate`.
    pub async fn connect(url: &str, prefix: &str) -> Result<Self, StoreError> {
        let client = redis::Client::open(url)?;
        let config = redis::aio::ConnectionManagerConfig::new()
            .set_connection_timeout(Some(TIMEOUT))
            .set_response_timeout(Some(TIMEOUT))
            .set_number_of_retries(2);
        let publisher = tokio::time::timeout(TIMEOUT + TIMEOUT, client.get_connection_manager_with_config(config))
            .await
            .map_err(|_| StoreError::Unavailable("redis did not answer in time".into()))??;
        let shared = Shared {
            client,
            publisher,
            channel: format!("{prefix}invalidate"),
            subscribers: RwLock::default(),
            listening: AtomicBool::new(false),
            subscribed: watch::Sender::new(0),
        };
        Ok(Self { redis: Some(Arc::new(shared)) })
    }

    /// Whether invalidations travel (Redis is configured).
    pub fn enabled(&self) -> bool {
        self.redis.is_some()
    }

    /// Tells every subscriber of `topic` to drop `id`. Best effort: a failure is logged at WARN.
    pub async fn publish(&self, topic: Topic, id: &str) {
        if let Err(e) = self.try_publish(topic, id).await {
            tracing::warn!(error = %e, topic = topic.name(), "cache invalidation not published");
        }
    }

    /// [`Invalidations::publish`], with the failure returned (for callers without logs, such
    /// as the command line).
    pub async fn try_publish(&self, topic: Topic, id: &str) -> Result<(), StoreError> {
        let Some(shared) = &self.redis else { return Ok(()) };
        let message = serde_json::json!({"topic": topic.name(), "id": id}).to_string();
        let mut conn = shared.publisher.clone();
        let mut publish = redis::cmd("PUBLISH");
        publish.arg(&shared.channel).arg(message);
        let receivers = tokio::time::timeout(TIMEOUT, publish.query_async::<i64>(&mut conn))
            .await
            .map_err(|_| StoreError::Unavailable("redis did not answer in time".into()))??;
        tracing::debug!(topic = topic.name(), receivers, "cache invalidation published");
        Ok(())
    }

    /// Registers `subscriber` for `topic`, and starts listening (a task on the current Tokio
    /// runtime) if this is the first subscription. Subscribe a cache before it caches anything:
    /// the drop-everything of the first subscription covers only what was cached until then.
    /// Without Redis the subscriber is dropped: nothing would ever call it.
    pub fn subscribe(&self, topic: Topic, subscriber: Arc<dyn Invalidate>) {
        let Some(shared) = &self.redis else { return };
        if let Ok(mut subscribers) = shared.subscribers.write() {
            subscribers.entry(topic).or_default().push(subscriber);
        }
        if !shared.listening.swap(true, Ordering::SeqCst) {
            tokio::spawn(listen(Arc::downgrade(shared)));
        }
    }

    /// Waits until the listener has subscribed once (at most `within`); `false` when it has
    /// not, or when there is no Redis. What is published after that is received while the
    /// connection holds (and made up for by a drop-everything when it did not).
    pub async fn wait_subscribed(&self, within: Duration) -> bool {
        let Some(shared) = &self.redis else { return false };
        let mut watching = shared.subscribed.subscribe();
        tokio::time::timeout(within, watching.wait_for(|n| *n > 0)).await.is_ok_and(|r| r.is_ok())
    }
}

impl Shared {
    fn subscribers(&self, topic: Option<Topic>) -> Vec<Arc<dyn Invalidate>> {
        let Ok(subscribers) = self.subscribers.read() else { return Vec::new() };
        match topic {
            Some(t) => subscribers.get(&t).cloned().unwrap_or_default(),
            None => subscribers.values().flatten().cloned().collect(),
        }
    }

    /// Hands one received payload to the subscribers of its topic.
    fn deliver(&self, payload: &[u8]) {
        if payload.len() > MAX_MESSAGE {
            tracing::warn!(bytes = payload.len(), "cache invalidation message too long, ignored");
            return;
        }
        let Ok(message) = serde_json::from_slice::<Message>(payload) else {
            tracing::warn!("unreadable cache invalidation message, ignored");
            return;
        };
        let Some(topic) = Topic::from_name(&message.topic) else {
            tracing::debug!("cache invalidation of an unknown topic, ignored");
            return;
        };
        tracing::debug!(topic = topic.name(), "cache invalidation received");
        for subscriber in self.subscribers(Some(topic)) {
            subscriber.invalidate(&message.id);
        }
    }
}

/// The listener: subscribes, delivers, and reconnects with a bounded backoff until every handle
/// is gone.
async fn listen(shared: Weak<Shared>) {
    let mut backoff = MIN_BACKOFF;
    loop {
        let Some(strong) = shared.upgrade() else { return };
        let (client, channel) = (strong.client.clone(), strong.channel.clone());
        drop(strong);
        match session(&shared, &client, &channel).await {
            Ok(Ended::Unused) => return,
            Ok(Ended::Lost) => {
                tracing::warn!("cache invalidation channel lost, reconnecting");
                backoff = MIN_BACKOFF;
            }
            Err(e) => tracing::warn!(error = %e, "cache invalidation channel unavailable, retrying"),
        }
        tokio::time::sleep(backoff).await;
        backoff = (backoff * 2).min(MAX_BACKOFF);
    }
}

/// Why a subscribed connection ended.
enum Ended {
    /// The connection closed or stopped answering pings.
    Lost,
    /// Every handle is gone: nobody listens any more.
    Unused,
}

/// One connection: subscribes, tells everyone to drop everything, delivers until the connection
/// ends; `Err` when it could not subscribe.
async fn session(shared: &Weak<Shared>, client: &redis::Client, channel: &str) -> Result<Ended, StoreError> {
    let timed_out = || StoreError::Unavailable("redis did not answer in time".into());
    let pubsub = tokio::time::timeout(TIMEOUT, client.get_async_pubsub()).await.map_err(|_| timed_out())??;
    let (mut sink, mut stream) = pubsub.split();
    tokio::time::timeout(TIMEOUT, sink.subscribe(channel)).await.map_err(|_| timed_out())??;
    {
        let Some(strong) = shared.upgrade() else { return Ok(Ended::Unused) };
        // Whatever was published before this subscription was missed.
        for subscriber in strong.subscribers(None) {
            subscriber.invalidate_all();
        }
        strong.subscribed.send_modify(|n| *n += 1);
    }
    tracing::debug!("cache invalidation channel subscribed");
    let mut ping = tokio::time::interval_at(tokio::time::Instant::now() + PING_EVERY, PING_EVERY);
    loop {
        tokio::select! {
            message = stream.next() => {
                let Some(message) = message else { return Ok(Ended::Lost) };
                let Some(strong) = shared.upgrade() else { return Ok(Ended::Unused) };
                strong.deliver(message.get_payload_bytes());
            }
            _ = ping.tick() => {
                if shared.strong_count() == 0 {
                    return Ok(Ended::Unused);
                }
                let pong = tokio::time::timeout(TIMEOUT, sink.ping::<redis::Value>()).await;
                if !matches!(pong, Ok(Ok(_))) {
                    return Ok(Ended::Lost);
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn topics_round_trip_by_name() {
        for topic in [Topic::License, Topic::Community, Topic::Config] {
            assert_eq!(Topic::from_name(topic.name()), Some(topic));
        }
        assert_eq!(Topic::from_name("tenant"), None);
    }

    #[tokio::test]
    async fn without_redis_publishing_does_nothing_and_never_fails() {
        let none = Invalidations::disabled();
        assert!(!none.enabled());
        none.try_publish(Topic::License, "abc").await.unwrap();
        none.publish(Topic::License, "abc").await;
        assert!(!none.wait_subscribed(Duration::from_millis(10)).await);
    }
}
