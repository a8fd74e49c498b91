//! Behavior auth over HTTP for the logged-in user, through a real users-mgmt: a phrase, its
//! registration to completion, validation of the user's own typing (a users-mgmt proof with the
//! method `behavior_auth`) and refusal of another typist's, deregistration; any logged-in user
//! and no one else; a locked user gets 423; users-mgmt's refusals keep their status and message
//! and an unreachable users-mgmt is a 503; no pattern data in the log.

use std::collections::BTreeMap;

use kit::testing::{INFRA_KEY, SERVICE_KEY, Storage, spawn_service};
use reqwest::Method;
use serde_json::{Value, json};

use crate::login::{Platform, assert_error, bearer, call, call_plain, platform};
use crate::typists::{Rng, Typist};

const FETCH: &str = "/behavior_auth/random_phrase/fetch";
const REGISTER: &str = "/behavior_auth/register";
const VALIDATE: &str = "/behavior_auth/validate";
const DEREGISTER: &str = "/behavior_auth/deregister";

/// Enrolls the user of `auth` typing as `typist`: the phrase and the patterns sent.
async fn enroll(url: &str, auth: &str, typist: &Typist, rng: &mut Rng) -> (String, Vec<String>) {
    let (s, r) = call(url, Method::POST, FETCH, Some(auth), Some(&json!({}))).await;
    assert_eq!(s, 200, "{r}");
    let phrase = r["phrase"].as_str().unwrap().to_owned();
    let mut token = r["user_token"].as_str().unwrap().to_owned();
    let mut sent = Vec::new();
    for i in 1..=5u64 {
        let pattern = typist.pattern(rng, &phrase);
        let body = json!({"phrase": phrase, "pattern": pattern, "user_token": token});
        let (s, r) = call(url, Method::POST, REGISTER, Some(auth), Some(&body)).await;
        assert_eq!(s, 200, "{r}");
        assert_eq!(r["next_step"], if i < 5 { "try again" } else { "done" }, "{r}");
        assert_eq!(r["typing_data"], json!({"samples": i, "required": 5}));
        token = r["user_token"].as_str().unwrap().to_owned();
        sent.push(pattern);
    }
    (phrase, sent)
}

async fn validate(url: &str, auth: &str, pattern: &str) -> (u16, Value) {
    call(url, Method::POST, VALIDATE, Some(auth), Some(&json!({"pattern": pattern}))).await
}

async fn verify_token(p: &Platform, token: &Value) -> Value {
    let r = reqwest::Client::new().post(format!("{}/jwt/verifyToken", p.users)).json(&json!({"token": token}));
    let r = r.send().await.unwrap();
    assert_eq!(r.status(), 200);
    r.json().await.unwrap()
}

#[tokio::test]
async fn a_logged_in_user_enrolls_is_recognised_and_deregisters() {
    crate::captured_logs::start();
    for storage in [Storage::Embedded, Storage::Postgres] {
        let Some(p) = platform(storage, "behavior auth", 1, &[]).await else { continue };
        let url = p.admin[0].as_str();
        let bob = bearer(&p.token("bob", "Violet-Harbor-58").await);
        let jane = bearer(&p.token("jane", "Quartz-Meadow-71").await);
        let mut rng = Rng::new(31_337);
        let (bob_typist, other) = (Typist::new(&mut rng), Typist::new(&mut rng));
        let mut secrets = Vec::new();

        // A login session is required, of any role.
        for (method, path) in
            [(Method::POST, FETCH), (Method::POST, REGISTER), (Method::POST, VALIDATE), (Method::DELETE, DEREGISTER)]
        {
            let (s, r) = call(url, method.clone(), path, None, Some(&json!({}))).await;
            assert_error(s, &r, 401, "authorization header is required");
            let (s, r) = call(url, method, path, Some("Bearer not.a.token"), Some(&json!({}))).await;
            assert_eq!(s, 401, "{path}: {r}");
        }
        let (s, r) = call(url, Method::POST, FETCH, Some(&jane), Some(&json!({"language": "fr"}))).await;
        assert_eq!((s, r["language"].as_str()), (200, Some("fr")), "{r}");
        let (s, r) = call(url, Method::POST, FETCH, Some(&jane), Some(&json!({"language": ""}))).await;
        assert_error(s, &r, 400, "language must not be empty");

        // users-mgmt's refusals keep their status and message.
        let (s, r) = call(url, Method::POST, FETCH, Some(&bob), Some(&json!({}))).await;
        assert_eq!(s, 200, "{r}");
        let (phrase, token) = (r["phrase"].as_str().unwrap(), r["user_token"].as_str().unwrap());
        let body =
            json!({"phrase": phrase, "pattern": bob_typist.pattern(&mut rng, "not the phrase"), "user_token": token});
        let (s, r) = call(url, Method::POST, REGISTER, Some(&bob), Some(&body)).await;
        assert_error(s, &r, 400, "pattern must type phrase exactly");
        let (s, r) = call(url, Method::POST, REGISTER, Some(&bob), Some(&json!({"phrase": phrase}))).await;
        assert_eq!(s, 400, "{r}");

        let (phrase, sent) = enroll(url, &bob, &bob_typist, &mut rng).await;
        secrets.extend(sent);
        let (s, r) = call(url, Method::POST, FETCH, Some(&bob), Some(&json!({}))).await;
        assert_eq!(s, 200, "{r}");
        let again = json!({"phrase": r["phrase"], "pattern": bob_typist.pattern(&mut rng, r["phrase"].as_str().unwrap()), "user_token": r["user_token"]});
        let (s, r) = call(url, Method::POST, REGISTER, Some(&bob), Some(&again)).await;
        assert_error(s, &r, 405, "already has a behavior auth phrase");

        // Bob's own typing passes (sealed or plain), with a proof of behavior_auth for adminapi.
        let pattern = bob_typist.pattern(&mut rng, &phrase);
        let (s, r) = validate(url, &bob, &pattern).await;
        assert_eq!(s, 200, "{r}");
        assert_eq!(
            (r["username"].as_str(), &r["typing_data"]),
            (Some("bob"), &json!({"result": true, "compared_samples": 5}))
        );
        let claims = verify_token(&p, &r["proof_of_authentication_jwt"]).await;
        assert_eq!(
            (&claims["methods"], claims["aud"].as_str()),
            (&json!(["behavior_auth"]), Some("adminapi")),
            "{claims}"
        );
        assert_eq!(claims["sub"], crate::login::uid_of(&p, "bob").await);
        secrets.push(pattern);
        let pattern = bob_typist.pattern(&mut rng, &phrase);
        let (s, r) = call_plain(url, Method::POST, VALIDATE, Some(&bob), &json!({"pattern": pattern})).await;
        assert_eq!((s, r["username"].as_str()), (200, Some("bob")), "{r}");
        secrets.push(pattern);
        // Another typist, the same user with another text, jane (not enrolled): refused.
        let impostor = other.pattern(&mut rng, &phrase);
        let (s, r) = validate(url, &bob, &impostor).await;
        assert_error(s, &r, 401, "invalid username or credentials");
        let (s, r) = validate(url, &bob, &bob_typist.pattern(&mut rng, "some other words")).await;
        assert_error(s, &r, 401, "invalid username or credentials");
        let (s, r) = validate(url, &jane, &bob_typist.pattern(&mut rng, &phrase)).await;
        assert_error(s, &r, 401, "invalid username or credentials");
        let (s, r) = validate(url, &bob, "%%%").await;
        assert_error(s, &r, 400, "pattern must be standard base64");
        secrets.push(impostor);

        // Deregistered: refused; deregistering again is no error.
        let (s, r) = call(url, Method::DELETE, DEREGISTER, Some(&bob), Some(&json!({}))).await;
        assert_eq!((s, r), (200, json!({"message": "behavior auth deregistered"})));
        let (s, r) = validate(url, &bob, &bob_typist.pattern(&mut rng, &phrase)).await;
        assert_error(s, &r, 401, "invalid username or credentials");
        let (s, _) = call(url, Method::DELETE, DEREGISTER, Some(&bob), Some(&json!({}))).await;
        assert_eq!(s, 200);

        let log = crate::captured_logs::text();
        assert!(log.contains("E_BEHAVIOR_AUTH_ENROLLED"), "the capture saw users-mgmt");
        for s in &secrets {
            assert!(!log.contains(s.as_str()), "a pattern in the log");
        }
        assert!(!log.contains("keystrokes\"") && !log.contains(&phrase), "pattern data in the log");
    }
}

#[tokio::test]
async fn a_locked_user_gets_423_and_an_unreachable_users_mgmt_503() {
    let Some(p) = platform(Storage::Embedded, "behavior auth lock", 1, &[("LOCKOUT_THRESHOLD", "2")]).await else {
        return;
    };
    let url = p.admin[0].as_str();
    let bob = bearer(&p.token("bob", "Violet-Harbor-58").await);
    let mut rng = Rng::new(4242);
    let (bob_typist, other) = (Typist::new(&mut rng), Typist::new(&mut rng));
    let (phrase, _) = enroll(url, &bob, &bob_typist, &mut rng).await;
    for _ in 0..2 {
        let (s, r) = validate(url, &bob, &other.pattern(&mut rng, &phrase)).await;
        assert_error(s, &r, 401, "invalid username or credentials");
    }
    let (s, r) = validate(url, &bob, &bob_typist.pattern(&mut rng, &phrase)).await;
    assert_error(s, &r, 423, "the user is locked");

    // A second adminapi on the same store, whose users-mgmt does not answer.
    let closed = std::net::TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port();
    let env = BTreeMap::from([
        ("HOST".to_owned(), "127.0.0.1".to_owned()),
        ("PORT".to_owned(), "0".to_owned()),
        ("DATA_DIR".to_owned(), p.data_dir.clone()),
        ("LOCAL_COMMUNITIES".to_owned(), kit::testing::local_communities()),
        ("LICENSE_KEYS".to_owned(), format!("service:{SERVICE_KEY}")),
        ("INFRA_LICENSE_KEY".to_owned(), INFRA_KEY.to_owned()),
        ("SERVICE_DIRECTORY".to_owned(), json!({"users-mgmt": format!("http://127.0.0.1:{closed}")}).to_string()),
    ]);
    let lost = spawn_service(adminapi::SERVICE, &env, adminapi::build).await.url;
    for (method, path) in [(Method::POST, FETCH), (Method::POST, VALIDATE), (Method::DELETE, DEREGISTER)] {
        let body = if path == VALIDATE { json!({"pattern": "e30="}) } else { json!({}) };
        let (s, r) = call(&lost, method, path, Some(&bob), Some(&body)).await;
        assert_error(s, &r, 503, "users-mgmt is unavailable");
    }
}
