//! The session rules against an in-memory store, with a hand-driven clock.

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::time::Duration;

use envelope::{Curve, KeyPair};
use kit::ephemeral::{Ephemeral, MemoryStore};

use super::*;

const T0: i64 = 1_700_000_000_000;
const CREATOR: &str = "creator-public-key";

fn any_community(_: &str) -> bool {
    true
}

fn by(public_key: &str) -> Poller<'_> {
    Poller { public_key, community_allowed: &any_community }
}

fn sessions() -> (Sessions, Arc<MemoryStore>) {
    let store = Arc::new(MemoryStore::new());
    (Sessions::new(store.clone(), Duration::from_secs(300)), store)
}

fn new_request() -> NewSessionRequest {
    serde_json::from_value(serde_json::json!({
        "origin": {"tag": "acme", "url": "https://acme.example", "communityName": "default", "communityId": "c1",
                   "authPage": "blockid://authenticate"},
        "scopes": "windows", "authtype": "none", "metadata": {"purpose": "login"}
    }))
    .unwrap()
}

fn answer() -> AuthenticateRequest {
    let phone = KeyPair::generate(Curve::Secp256k1).unwrap();
    AuthenticateRequest {
        data: "ciphertext".into(),
        public_key: phone.public_base64().to_owned(),
        did: "did:1".into(),
        appid: "com.example.app".into(),
        ial: Some("IAL1".into()),
        event_data: None,
    }
}

#[tokio::test]
async fn created_sessions_remember_their_creator_and_expire_after_the_ttl() {
    let (s, _) = sessions();
    let created = s.create(new_request(), CREATOR, T0).await.unwrap();
    assert_eq!(created.public_key, CREATOR);
    assert_eq!(created.expires_ts - created.created_ts, 300);
    assert_eq!(created.metadata["purpose"], "login");
    assert_eq!(s.info(&created.session_id, T0 + 299_999).await.unwrap(), created);
    assert!(matches!(s.info(&created.session_id, T0 + 300_000).await, Err(SessionError::Expired)));
    // The expired read deleted the records: the next read does not know the session.
    assert!(matches!(s.info(&created.session_id, T0 + 300_001).await, Err(SessionError::Unknown)));
}

#[tokio::test]
async fn one_answer_per_session_fetched_once_by_its_creator() {
    let (s, _) = sessions();
    let id = s.create(new_request(), CREATOR, T0).await.unwrap().session_id;
    assert!(matches!(s.poll(&id, &by(CREATOR), false, T0 + 1).await, Err(SessionError::NotYet)));

    let answer_id = s.authenticate(&id, answer(), Curve::Secp256k1, T0 + 2).await.unwrap();
    assert_eq!(answer_id.len(), 24);
    assert!(matches!(
        s.authenticate(&id, answer(), Curve::Secp256k1, T0 + 3).await,
        Err(SessionError::AlreadyAnswered)
    ));
    assert!(matches!(s.poll(&id, &by("someone-else"), false, T0 + 4).await, Err(SessionError::WrongCaller)));
    let elsewhere = Poller { public_key: CREATOR, community_allowed: &|c: &str| c != "c1" };
    assert!(matches!(s.poll(&id, &elsewhere, false, T0 + 4).await, Err(SessionError::OtherCommunity(c)) if c == "c1"));

    let reply = s.poll(&id, &by(CREATOR), true, T0 + 5).await.unwrap();
    assert_eq!(reply.response.session_id, id);
    assert_eq!(reply.response.data, "ciphertext");
    assert_eq!(reply.session_info.unwrap().session_id, id);
    assert!(matches!(s.poll(&id, &by(CREATOR), false, T0 + 6).await, Err(SessionError::AlreadyFetched)));
    // Answering again after the fetch is still refused.
    assert!(matches!(
        s.authenticate(&id, answer(), Curve::Secp256k1, T0 + 7).await,
        Err(SessionError::AlreadyAnswered)
    ));
}

#[tokio::test]
async fn an_expired_session_refuses_answers_and_polls_and_drops_its_records() {
    let (s, store) = sessions();
    let id = s.create(new_request(), CREATOR, T0).await.unwrap().session_id;
    s.authenticate(&id, answer(), Curve::Secp256k1, T0 + 1).await.unwrap();
    let late = T0 + 300_000;
    assert!(matches!(s.poll(&id, &by(CREATOR), false, late).await, Err(SessionError::Expired)));
    assert_eq!(store.get(&format!("session:{id}")).await.unwrap(), None);
    let id2 = s.create(new_request(), CREATOR, T0).await.unwrap().session_id;
    assert!(matches!(s.authenticate(&id2, answer(), Curve::Secp256k1, late).await, Err(SessionError::Expired)));
}

#[tokio::test]
async fn unknown_sessions_and_bad_bodies_are_refused() {
    let (s, _) = sessions();
    assert!(matches!(s.info("nope", T0).await, Err(SessionError::Unknown)));
    assert!(matches!(s.info("", T0).await, Err(SessionError::Unknown)));
    assert!(matches!(s.info(&"x".repeat(4096), T0).await, Err(SessionError::Unknown)));
    assert!(matches!(s.poll("nope", &by(CREATOR), false, T0).await, Err(SessionError::Unknown)));
    assert!(matches!(s.authenticate("nope", answer(), Curve::Secp256k1, T0).await, Err(SessionError::Unknown)));
    let mut bad = new_request();
    bad.origin.url = String::new();
    assert!(matches!(s.create(bad, CREATOR, T0).await, Err(SessionError::Invalid(_))));
    let id = s.create(new_request(), CREATOR, T0).await.unwrap().session_id;
    let mut no_did = answer();
    no_did.did = " ".into();
    assert!(matches!(s.authenticate(&id, no_did, Curve::Secp256k1, T0).await, Err(SessionError::Invalid(_))));
}

#[tokio::test]
async fn concurrent_answers_and_polls_have_exactly_one_winner() {
    // The store yields before every call, so the concurrent callers really interleave: all of
    // them read the session before any of them writes.
    let store = Arc::new(Instrumented::default());
    let s = Sessions::new(store.clone(), Duration::from_secs(300));
    for _ in 0..10 {
        let id = s.create(new_request(), CREATOR, T0).await.unwrap().session_id;
        let answers = (0..8).map(|_| s.authenticate(&id, answer(), Curve::Secp256k1, T0));
        let answers = futures_util::future::join_all(answers).await;
        assert_eq!(answers.iter().filter(|r| r.is_ok()).count(), 1);
        assert!(answers.iter().filter_map(|r| r.as_ref().err()).all(|e| matches!(e, SessionError::AlreadyAnswered)));
        let poller = by(CREATOR);
        let polls = futures_util::future::join_all((0..8).map(|_| s.poll(&id, &poller, false, T0))).await;
        assert_eq!(polls.iter().filter(|r| r.is_ok()).count(), 1);
        // Never "not yet" once the answer is in: every other poll is told it was fetched.
        for r in polls.iter().filter_map(|r| r.as_ref().err()) {
            assert!(matches!(r, SessionError::AlreadyFetched), "{r:?}");
        }
    }
    assert!(store.max_in_flight.load(Ordering::SeqCst) > 1, "the calls did not overlap");
}

#[tokio::test]
async fn a_pending_poll_is_one_read_and_a_create_one_write() {
    let store = Arc::new(Instrumented::default());
    let s = Sessions::new(store.clone(), Duration::from_secs(300));
    let id = s.create(new_request(), CREATOR, T0).await.unwrap().session_id;
    assert_eq!(store.calls.swap(0, Ordering::SeqCst), 1, "create");
    assert!(matches!(s.poll(&id, &by(CREATOR), false, T0 + 1).await, Err(SessionError::NotYet)));
    assert_eq!(store.calls.swap(0, Ordering::SeqCst), 1, "pending poll");
    s.authenticate(&id, answer(), Curve::Secp256k1, T0 + 2).await.unwrap();
    assert_eq!(store.calls.swap(0, Ordering::SeqCst), 2, "answer: read, swap");
    s.poll(&id, &by(CREATOR), false, T0 + 3).await.unwrap();
    assert_eq!(store.calls.swap(0, Ordering::SeqCst), 2, "fetch: read, swap");
    assert!(matches!(s.poll(&id, &by(CREATOR), false, T0 + 4).await, Err(SessionError::AlreadyFetched)));
    assert_eq!(store.calls.swap(0, Ordering::SeqCst), 1, "poll after the fetch");
}

/// A memory store that yields before every call, counts calls and the most calls in flight at
/// once, and fails compare-and-swap while `fail_swaps` is set.
#[derive(Default)]
struct Instrumented {
    inner: MemoryStore,
    fail_swaps: AtomicBool,
    calls: AtomicUsize,
    in_flight: AtomicUsize,
    max_in_flight: AtomicUsize,
}

impl Instrumented {
    /// Runs `op` between a varying number of yields, so concurrent callers interleave in
    /// many orders.
    async fn call<T>(&self, op: impl std::future::Future<Output = T>) -> T {
        let n = self.calls.fetch_add(1, Ordering::SeqCst);
        let now = self.in_flight.fetch_add(1, Ordering::SeqCst) + 1;
        self.max_in_flight.fetch_max(now, Ordering::SeqCst);
        for _ in 0..=(n % 3) {
            tokio::task::yield_now().await;
        }
        let out = op.await;
        for _ in 0..(n / 3 % 3) {
            tokio::task::yield_now().await;
        }
        self.in_flight.fetch_sub(1, Ordering::SeqCst);
        out
    }
}

#[async_trait::async_trait]
impl Ephemeral for Instrumented {
    async fn put(&self, key: &str, value: &str, ttl: Duration) -> Result<(), kit::StoreError> {
        self.call(self.inner.put(key, value, ttl)).await
    }
    async fn put_if_absent(&self, key: &str, value: &str, ttl: Duration) -> Result<bool, kit::StoreError> {
        self.call(self.inner.put_if_absent(key, value, ttl)).await
    }
    async fn get(&self, key: &str) -> Result<Option<String>, kit::StoreError> {
        self.call(self.inner.get(key)).await
    }
    async fn take(&self, key: &str) -> Result<Option<String>, kit::StoreError> {
        self.call(self.inner.take(key)).await
    }
    async fn compare_and_swap(
        &self,
        key: &str,
        expected: &str,
        new: &str,
        ttl: Duration,
    ) -> Result<bool, kit::StoreError> {
        if self.fail_swaps.load(Ordering::SeqCst) {
            return Err(kit::StoreError::Unavailable("injected".into()));
        }
        self.call(self.inner.compare_and_swap(key, expected, new, ttl)).await
    }
    async fn delete(&self, key: &str) -> Result<bool, kit::StoreError> {
        self.call(self.inner.delete(key)).await
    }
    async fn incr(&self, key: &str, ttl: Duration) -> Result<i64, kit::StoreError> {
        self.call(self.inner.incr(key, ttl)).await
    }
    async fn ping(&self) -> Result<(), kit::StoreError> {
        Ok(())
    }
    fn backend(&self) -> &'static str {
        "instrumented"
    }
}

#[tokio::test]
async fn a_failed_answer_write_leaves_the_session_answerable() {
    let store = Arc::new(Instrumented { fail_swaps: true.into(), ..Instrumented::default() });
    let s = Sessions::new(store.clone(), Duration::from_secs(300));
    let id = s.create(new_request(), CREATOR, T0).await.unwrap().session_id;
    assert!(matches!(s.authenticate(&id, answer(), Curve::Secp256k1, T0).await, Err(SessionError::Store(_))));
    store.fail_swaps.store(false, Ordering::SeqCst);
    assert!(s.authenticate(&id, answer(), Curve::Secp256k1, T0).await.is_ok());
    assert!(s.poll(&id, &by(CREATOR), false, T0).await.is_ok());
}

#[tokio::test]
async fn an_unreadable_record_is_reported_without_its_content() {
    let (s, store) = sessions();
    let id = s.create(new_request(), CREATOR, T0).await.unwrap().session_id;
    let key = format!("session:{id}");
    let record = store.get(&key).await.unwrap().unwrap();
    let tampered = record.replacen("\"expiresTS\":", "\"expiresTS\":\"the caller's private text\",\"x\":", 1);
    assert_ne!(tampered, record, "{record}");
    store.put(&key, &tampered, Duration::from_secs(60)).await.unwrap();
    let Err(SessionError::Corrupt(cause)) = s.poll(&id, &by(CREATOR), false, T0 + 1).await else {
        panic!("a tampered record is corrupt")
    };
    assert!(cause.contains("invalid type: string, expected"), "{cause}");
    assert!(!cause.contains("private text"), "{cause}");
}
