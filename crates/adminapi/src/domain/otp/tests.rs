//! The rules of one-time passcodes, on the in-memory store with the time passed in.

use std::sync::Arc;

use kit::ephemeral::{Ephemeral, MemoryStore};

use super::*;

const C: &str = "5f3d8d0cd866fa61019cf968";

fn otps() -> (Otps, Arc<MemoryStore>) {
    let store = Arc::new(MemoryStore::new());
    (Otps::new(store.clone(), Arc::new(Sealer::from_key(&[7; 32]))), store)
}

fn request(user: &str) -> Request<'_> {
    Request {
        community_id: C,
        user_id: user,
        kind: Kind::Otp,
        length: DEFAULT_LENGTH,
        validity_seconds: DEFAULT_VALIDITY,
        max_attempts: 3,
    }
}

fn wrong(code: &str) -> String {
    let last = code.chars().last().unwrap().to_digit(10).unwrap();
    format!("{}{}", &code[..code.len() - 1], (last + 1) % 10)
}

#[tokio::test]
async fn a_code_is_digits_kept_only_as_a_mac_and_verifies_once() {
    let (otps, store) = otps();
    let issued = otps.issue(&request("jane"), 1000).await.unwrap();
    assert_eq!(issued.code.len(), 6);
    assert!(issued.code.chars().all(|c| c.is_ascii_digit()));
    assert_eq!(issued.expires_at, 1300);
    assert!(!format!("{issued:?}").contains(issued.code.as_str()));
    let stored = store.get(&slot(Kind::Otp, C, "jane")).await.unwrap().unwrap();
    assert!(!stored.contains(issued.code.as_str()), "the code itself is not stored");

    // Another user, another community: not theirs.
    assert!(!otps.verify(C, "bob", &issued.code, 1001).await.unwrap());
    assert!(!otps.verify("5f3d8d0cd866fa61019cf969", "jane", &issued.code, 1001).await.unwrap());
    // The user's id is compared without case; the code is used once.
    assert!(otps.verify(C, "Jane", &issued.code, 1001).await.unwrap());
    assert!(!otps.verify(C, "jane", &issued.code, 1002).await.unwrap());
}

#[tokio::test]
async fn the_length_and_validity_are_the_callers_within_bounds() {
    let (otps, _) = otps();
    let r = Request { length: 10, validity_seconds: 60, ..request("jane") };
    let issued = otps.issue(&r, 1000).await.unwrap();
    assert_eq!((issued.code.len(), issued.expires_at), (10, 1060));
    for length in [5, 11] {
        let err = otps.issue(&Request { length, ..request("jane") }, 1000).await.unwrap_err();
        assert_eq!(err.to_string(), "the passcode length must be 6 to 10 digits");
    }
}

#[tokio::test]
async fn a_code_expires() {
    let (otps, _) = otps();
    let issued = otps.issue(&request("jane"), 1000).await.unwrap();
    assert!(!otps.verify(C, "jane", &issued.code, 1300).await.unwrap());
    let again = otps.issue(&request("jane"), 2000).await.unwrap();
    assert!(otps.verify(C, "jane", &again.code, 2299).await.unwrap());
}

#[tokio::test]
async fn wrong_codes_up_to_the_limit_void_the_code() {
    let (otps, _) = otps();
    let issued = otps.issue(&request("jane"), 1000).await.unwrap();
    assert!(!otps.verify(C, "jane", &wrong(&issued.code), 1001).await.unwrap());
    assert!(!otps.verify(C, "jane", "", 1001).await.unwrap());
    // Two wrong of three: the right one still works.
    assert!(otps.verify(C, "jane", &issued.code, 1002).await.unwrap());

    let issued = otps.issue(&request("jane"), 1000).await.unwrap();
    for _ in 0..3 {
        assert!(!otps.verify(C, "jane", &wrong(&issued.code), 1001).await.unwrap());
    }
    assert!(!otps.verify(C, "jane", &issued.code, 1002).await.unwrap(), "void after three wrong codes");
}

#[tokio::test]
async fn a_new_code_replaces_the_outstanding_one_of_its_kind_only() {
    let (otps, _) = otps();
    let first = otps.issue(&request("jane"), 1000).await.unwrap();
    let helpdesk = otps.issue(&Request { kind: Kind::Helpdesk, length: 8, ..request("jane") }, 1000).await.unwrap();
    let second = otps.issue(&request("jane"), 1000).await.unwrap();
    if first.code != second.code {
        assert!(!otps.verify(C, "jane", &first.code, 1001).await.unwrap());
    }
    assert!(otps.verify(C, "jane", &helpdesk.code, 1001).await.unwrap());
    assert!(otps.verify(C, "jane", &second.code, 1001).await.unwrap());
}

#[tokio::test]
async fn issuing_is_rate_limited_per_user_and_kind() {
    let (otps, _) = otps();
    for _ in 0..RATE_LIMIT {
        otps.issue(&request("jane"), 1000).await.unwrap();
    }
    let err = otps.issue(&request("jane"), 1000).await.unwrap_err();
    assert!(matches!(err, IssueError::TooMany), "{err:?}");
    assert_eq!(err.to_string(), "too many passcodes were requested for this user: try again in 15 minutes");
    otps.issue(&request("bob"), 1000).await.unwrap();
    otps.issue(&Request { kind: Kind::Helpdesk, ..request("jane") }, 1000).await.unwrap();
}

/// The durable stores a deployment may use: SQLite always, Redis when it answers.
async fn durable_stores() -> Vec<Arc<dyn Ephemeral>> {
    let dir = std::env::temp_dir().join(format!("otp-{}", uuid::Uuid::new_v4().simple()));
    let db = kit::db::Db::connect(&format!("sqlite://{}/e.db", dir.display())).await.unwrap();
    db.migrate(&[&kit::db::KIT_MIGRATIONS]).await.unwrap();
    let mut out: Vec<Arc<dyn Ephemeral>> =
        vec![Arc::new(MemoryStore::new()), Arc::new(kit::ephemeral::SqlStore::new(db))];
    if let Some(url) = kit::testing::reachable_redis("otp single use").await {
        let prefix = format!("test:{}:", uuid::Uuid::new_v4().simple());
        out.push(Arc::new(kit::ephemeral::RedisStore::connect(&url, &prefix).await.unwrap()));
    }
    out
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn of_concurrent_verifications_of_one_code_exactly_one_succeeds() {
    for store in durable_stores().await {
        let otps = Otps::new(store.clone(), Arc::new(Sealer::from_key(&[7; 32])));
        for round in 0..RATE_LIMIT {
            let issued = otps.issue(&request("jane"), 1000).await.unwrap();
            let tasks: Vec<_> = (0..8)
                .map(|i| {
                    let (otps, code) = (otps.clone(), issued.code.to_string());
                    // Wrong codes race the right ones: they must not make a right one fail.
                    let code = if i % 4 == 3 { wrong(&code) } else { code };
                    tokio::spawn(async move { otps.verify(C, "jane", &code, 1001).await.unwrap() })
                })
                .collect();
            let mut accepted = 0;
            for t in tasks {
                accepted += usize::from(t.await.unwrap());
            }
            assert_eq!(accepted, 1, "{} round {round}", store.backend());
        }
    }
}

#[test]
fn digits_are_uniform_enough() {
    let mut counts = [0usize; 10];
    for _ in 0..200 {
        for c in digits(10).unwrap().chars() {
            counts[c.to_digit(10).unwrap() as usize] += 1;
        }
    }
    // 2000 digits: each appears (a missing digit would mean a broken generator).
    assert!(counts.iter().all(|n| *n > 100), "{counts:?}");
}
