//! No password, PIN, hash or proof appears in a log line of users-mgmt, at the most verbose
//! level, after every flow that handles them: user creation with a password, right and wrong
//! logins, PINs, password changes (the user's and an admin's), validation, lockout, system users,
//! and a one-time passcode that the OTP verifier (an adminapi that does not answer) cannot check.

use std::sync::Arc;

use envelope::{Client, Curve, KeyPair};
use reqwest::Method;
use serde_json::{Value, json};
use tests_e2e::{free_port, start_on_free_port_logging};

const KEY: &str = "e2e-secrets-system-license";
const TENANT: &str = "5f3d8d0cd866fa61019cf967";
const COMMUNITY: &str = "5f3d8d0cd866fa61019cf968";
const PASSWORD: &str = "Zebra-Quartz-7301";
const NEW_PASSWORD: &str = "Lantern-Orbit-5582";
const ADMIN_PASSWORD: &str = "Meadow-Cipher-9146";
const WRONG_PASSWORD: &str = "Wrong-Guess-4417";
const PIN: &str = "864209";
const NEW_PIN: &str = "531975";
const SYSTEM_PASSWORD: &str = "Harbor-Violet-2268";
const OTP: &str = "719305";
const INFRA_KEY: &str = "e2e-secrets-infra-license";

async fn call(client: &Client, url: &str, method: Method, path: &str, body: Value) -> (u16, Value) {
    let reply = client.call(method, url, path, Some(&body)).await.unwrap();
    (reply.status, reply.body)
}

#[tokio::test]
async fn no_secret_reaches_the_logs() {
    let dir = std::env::temp_dir().join(format!("blockid-e2e-secrets-{}", uuid::Uuid::new_v4().simple()));
    std::fs::create_dir_all(&dir).unwrap();
    let log = dir.join("users-mgmt.log");
    let communities = json!([{"tenantId": TENANT, "communityId": COMMUNITY, "communityName": "default"}]);
    let env: Vec<(String, String)> = vec![
        ("DATA_DIR".into(), dir.display().to_string()),
        // An adminapi that does not answer: OTPs are sent to it and fail there.
        ("SERVICE_DIRECTORY".into(), json!({"adminapi": format!("http://127.0.0.1:{}", free_port())}).to_string()),
        ("INFRA_LICENSE_KEY".into(), INFRA_KEY.into()),
        ("LICENSE_KEYS".into(), format!("system:{KEY}")),
        ("LOCAL_COMMUNITIES".into(), communities.to_string()),
        ("LOCKOUT_THRESHOLD".into(), "3".into()),
        ("RUST_LOG".into(), "trace".into()),
    ];
    let svc = start_on_free_port_logging("users-mgmt", &env, Some(&log)).await.unwrap();
    let url = svc.url.as_str();
    let admin = Client::new(Arc::new(KeyPair::generate(Curve::Secp256k1).unwrap())).unwrap().license(KEY);
    let base = format!("/tenant/{TENANT}/community/{COMMUNITY}");

    let (s, module) =
        call(&admin, url, Method::PUT, &format!("{base}/module/create"), json!({"type": "db", "name": "Users"})).await;
    assert_eq!(s, 200, "{module}");
    let m = module["_id"].as_str().unwrap().to_owned();
    let users = json!({"authModule": m, "users": [{"username": "jane", "password": PASSWORD}, {"username": "bob", "password": "short"}]});
    let (s, created) = call(&admin, url, Method::PUT, &format!("{base}/users/create"), users).await;
    assert_eq!((s, created["created"].as_u64()), (200, Some(1)), "{created}");

    let login = |password: &str| json!({"authModule": m, "username": "jane", "password": password});
    let (s, ok) = call(&admin, url, Method::POST, &format!("{base}/user/authenticate"), login(PASSWORD)).await;
    assert_eq!(s, 200, "{ok}");
    let proof = ok["proof_of_authentication_jwt"].as_str().unwrap().to_owned();
    let (s, _) = call(&admin, url, Method::POST, &format!("{base}/user/authenticate"), login(WRONG_PASSWORD)).await;
    assert_eq!(s, 401);
    let otp = json!({"authModule": m, "username": "jane", "otp": OTP});
    let (s, r) = call(&admin, url, Method::POST, &format!("{base}/user/authenticate"), otp).await;
    assert_eq!(s, 503, "{r}");
    let verified = reqwest::Client::new()
        .post(format!("{url}/jwt/verifyToken"))
        .json(&json!({"token": proof}))
        .send()
        .await
        .unwrap();
    assert_eq!(verified.status(), 200);

    let who = json!({"username": "jane", "authModule": m});
    let (s, r) =
        call(&admin, url, Method::POST, &format!("{base}/user/user_pin/register"), json!({"user": who, "pin": PIN}))
            .await;
    assert_eq!(s, 200, "{r}");
    let (s, r) = call(
        &admin,
        url,
        Method::POST,
        &format!("{base}/user/authenticate"),
        json!({"authModule": m, "username": "jane", "pin": PIN}),
    )
    .await;
    assert_eq!(s, 200, "{r}");
    let (s, r) = call(
        &admin,
        url,
        Method::PATCH,
        &format!("{base}/user/user_pin/update"),
        json!({"user": who, "currentPin": PIN, "newPin": NEW_PIN}),
    )
    .await;
    assert_eq!(s, 200, "{r}");

    let change = json!({"authModule": m, "username": "jane", "currentPassword": PASSWORD, "newPassword": NEW_PASSWORD});
    let (s, r) = call(&admin, url, Method::POST, &format!("{base}/user/changepassword"), change).await;
    assert_eq!(s, 200, "{r}");
    let (s, r) =
        call(&admin, url, Method::POST, &format!("{base}/user/validate_user_password"), login(NEW_PASSWORD)).await;
    assert_eq!(s, 200, "{r}");
    let reset = json!({"authModule": m, "username": "jane", "newPassword": ADMIN_PASSWORD});
    let (s, r) = call(&admin, url, Method::POST, &format!("{base}/admin/changepassword"), reset).await;
    assert_eq!(s, 200, "{r}");
    // Three wrong passwords lock the user; the right one is then refused too.
    for _ in 0..3 {
        call(&admin, url, Method::POST, &format!("{base}/user/authenticate"), login(WRONG_PASSWORD)).await;
    }
    let (s, _) = call(&admin, url, Method::POST, &format!("{base}/user/authenticate"), login(ADMIN_PASSWORD)).await;
    assert_eq!(s, 401, "locked");

    let system_user = json!({"tenantId": TENANT, "username": "ops", "password": SYSTEM_PASSWORD, "firstname": "Op", "lastname": "S",
                             "email1": "ops@example.com", "email1_verified": true});
    let (s, r) = call(&admin, url, Method::PUT, "/systemuser", system_user).await;
    assert!(s == 200 || s == 201, "{s} {r}");
    let (s, r) = call(
        &admin,
        url,
        Method::POST,
        "/systemuser/authenticate",
        json!({"username": "ops", "password": SYSTEM_PASSWORD}),
    )
    .await;
    assert_eq!(s, 200, "{r}");
    drop(svc);

    let text = std::fs::read_to_string(&log).unwrap();
    assert!(text.lines().count() > 20, "the service logged at trace level: {} lines", text.lines().count());
    let pin_hash = {
        use sha2::Digest as _;
        hex::encode(sha2::Sha512::digest(PIN.as_bytes()))
    };
    for secret in [
        PASSWORD,
        NEW_PASSWORD,
        ADMIN_PASSWORD,
        WRONG_PASSWORD,
        PIN,
        NEW_PIN,
        SYSTEM_PASSWORD,
        "$argon2id",
        &pin_hash,
        &proof,
        KEY,
        OTP,
        INFRA_KEY,
    ] {
        let found: Vec<&str> = text.lines().filter(|l| leaks(l, secret)).take(2).collect();
        assert!(found.is_empty(), "a secret is in the log: {found:?}");
    }
    let _ = std::fs::remove_dir_all(&dir);
}

/// Whether `line` carries `secret`. Its leading timestamp is left out; a secret of digits only
/// (a PIN, a passcode) counts as a word of its own, not as a run inside a longer number or a
/// timestamp's microseconds, which a random six digits would match about once in a million lines.
fn leaks(line: &str, secret: &str) -> bool {
    let line = match line.split_once(' ') {
        Some((stamp, rest)) if stamp.ends_with('Z') && stamp.contains('T') => rest,
        _ => line,
    };
    if secret.bytes().all(|b| b.is_ascii_digit()) {
        line.split(|c: char| !c.is_ascii_alphanumeric()).any(|word| word == secret)
    } else {
        line.contains(secret)
    }
}
