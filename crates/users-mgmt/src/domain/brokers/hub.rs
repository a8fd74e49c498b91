//! The relay between directory operations and the brokers polling this instance: an operation
//! is queued for a live broker of its module and waits for the answer the broker sends with its
//! next poll. A broker is live while it polls (its last poll within the heartbeat window).

use std::collections::{HashMap, VecDeque};
use std::sync::{Arc, Mutex, PoisonError};
use std::time::{Duration, Instant};

use serde_json::{Value, json};
use tokio::sync::{Notify, oneshot};

/// A request for a broker: `{id, op, ...}`.
pub type Request = Value;

struct Queue {
    community_id: String,
    module_id: String,
    items: Mutex<VecDeque<Request>>,
    notify: Notify,
    last_poll: Mutex<Instant>,
}

/// Why an operation got no answer.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum RelayError {
    /// No broker of the module is polling.
    #[error("no broker of the auth module is connected")]
    NoBroker,
    /// The broker did not answer in time.
    #[error("the broker did not answer in time")]
    Timeout,
}

/// The brokers polling this instance and the operations waiting for them.
pub struct Hub {
    queues: Mutex<HashMap<String, Arc<Queue>>>,
    waiting: Mutex<HashMap<String, oneshot::Sender<Value>>>,
    /// How long a poll waits for a request.
    pub poll_wait: Duration,
    /// How long a broker stays live after its last poll.
    pub heartbeat: Duration,
}

impl std::fmt::Debug for Hub {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Hub").field("poll_wait", &self.poll_wait).field("heartbeat", &self.heartbeat).finish()
    }
}

fn lock<T>(m: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    m.lock().unwrap_or_else(PoisonError::into_inner)
}

impl Hub {
    /// A hub whose polls wait `poll_wait` and whose brokers stay live `heartbeat` after a poll.
    pub fn new(poll_wait: Duration, heartbeat: Duration) -> Self {
        Self { queues: Mutex::default(), waiting: Mutex::default(), poll_wait, heartbeat }
    }

    fn queue(&self, uid: &str, community_id: &str, module_id: &str) -> Arc<Queue> {
        lock(&self.queues)
            .entry(uid.to_owned())
            .or_insert_with(|| {
                Arc::new(Queue {
                    community_id: community_id.to_owned(),
                    module_id: module_id.to_owned(),
                    items: Mutex::default(),
                    notify: Notify::new(),
                    last_poll: Mutex::new(Instant::now()),
                })
            })
            .clone()
    }

    /// Forgets broker `uid` (disabled or deleted): its queued requests go unanswered.
    pub fn forget(&self, uid: &str) {
        lock(&self.queues).remove(uid);
    }

    /// A poll of broker `uid`: delivers its `answers`, then the requests queued for it, waiting
    /// up to [`Hub::poll_wait`] for one.
    pub async fn poll(&self, uid: &str, community_id: &str, module_id: &str, answers: Vec<Value>) -> Vec<Request> {
        for answer in answers {
            let id = answer.get("id").and_then(Value::as_str).unwrap_or_default().to_owned();
            if let Some(waiter) = lock(&self.waiting).remove(&id) {
                let _ = waiter.send(answer);
            }
        }
        let q = self.queue(uid, community_id, module_id);
        *lock(&q.last_poll) = Instant::now();
        let deadline = tokio::time::Instant::now() + self.poll_wait;
        loop {
            let notified = q.notify.notified();
            let taken: Vec<Request> = lock(&q.items).drain(..).collect();
            if !taken.is_empty() {
                return taken;
            }
            if tokio::time::timeout_at(deadline, notified).await.is_err() {
                *lock(&q.last_poll) = Instant::now();
                return Vec::new();
            }
        }
    }

    /// Whether a broker polled recently enough to count as live.
    fn live(&self, q: &Queue) -> bool {
        lock(&q.last_poll).elapsed() <= self.heartbeat
    }

    /// Sends `request` (`op` and its fields) to a live broker of the module among `allowed`
    /// (the enabled ones), and waits up to `timeout` for its answer.
    pub async fn call(
        &self,
        community_id: &str,
        module_id: &str,
        allowed: &[String],
        mut request: Value,
        timeout: Duration,
    ) -> Result<Value, RelayError> {
        let target = {
            let queues = lock(&self.queues);
            queues
                .iter()
                .filter(|(uid, q)| {
                    q.community_id == community_id && q.module_id == module_id && allowed.contains(uid) && self.live(q)
                })
                .max_by_key(|(_, q)| *lock(&q.last_poll))
                .map(|(_, q)| q.clone())
        };
        let q = target.ok_or(RelayError::NoBroker)?;
        let id = uuid::Uuid::new_v4().to_string();
        if let Some(map) = request.as_object_mut() {
            map.insert("id".into(), json!(id));
        }
        let (tx, rx) = oneshot::channel();
        lock(&self.waiting).insert(id.clone(), tx);
        lock(&q.items).push_back(request);
        q.notify.notify_one();
        let answer = tokio::time::timeout(timeout, rx).await;
        lock(&self.waiting).remove(&id);
        // Not taken (the broker went away): it must not wait in the queue for a later poll.
        lock(&q.items).retain(|r| r.get("id").and_then(Value::as_str) != Some(id.as_str()));
        match answer {
            Ok(Ok(v)) => Ok(v),
            _ => Err(RelayError::Timeout),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn a_request_reaches_a_polling_broker_and_its_answer_comes_back() {
        let hub = Arc::new(Hub::new(Duration::from_millis(200), Duration::from_secs(5)));
        let allowed = vec!["b1".to_owned()];
        // Nobody polls yet.
        let none = hub.call("c", "m", &allowed, json!({"op": "find"}), Duration::from_millis(50)).await;
        assert_eq!(none, Err(RelayError::NoBroker));
        assert!(hub.poll("b1", "c", "m", Vec::new()).await.is_empty(), "an empty poll ends after its wait");
        let broker = {
            let hub = hub.clone();
            tokio::spawn(async move {
                let requests = hub.poll("b1", "c", "m", Vec::new()).await;
                let id = requests[0]["id"].clone();
                assert_eq!(requests[0]["op"], "find");
                hub.poll("b1", "c", "m", vec![json!({"id": id, "ok": true})]).await;
            })
        };
        let answer = hub.call("c", "m", &allowed, json!({"op": "find"}), Duration::from_secs(2)).await.unwrap();
        assert_eq!(answer["ok"], true);
        broker.await.unwrap();
        // Not allowed (disabled), or another module: no broker.
        assert_eq!(hub.call("c", "m", &[], json!({}), Duration::from_millis(50)).await, Err(RelayError::NoBroker));
        assert_eq!(
            hub.call("c", "other", &allowed, json!({}), Duration::from_millis(50)).await,
            Err(RelayError::NoBroker)
        );
        // Live, but silent: a timeout, and the request is not left in the queue.
        assert_eq!(hub.call("c", "m", &allowed, json!({}), Duration::from_millis(50)).await, Err(RelayError::Timeout));
        assert!(hub.poll("b1", "c", "m", Vec::new()).await.is_empty(), "a stale request was delivered");
    }
}
