//! Signing a nonce with the service key and validating it, on every storage.

use reqwest::Method;
use serde_json::{Value, json};

use crate::helpers::*;

const SIGN: &str = "/tenant/5f3d8d0cd866fa61019cf967/community/5f3d8d0cd866fa61019cf968/nonce/sign";

async fn validate(url: &str, nonce: &str) -> (u16, Value) {
    let resp = reqwest::get(format!("{url}/nonce/validate?nonce={nonce}")).await.unwrap();
    let status = resp.status().as_u16();
    (status, resp.json().await.unwrap())
}

#[tokio::test]
async fn a_signed_nonce_validates_and_a_tampered_one_does_not() {
    for storage in STORAGES {
        let Some(app) = spawn(storage, "nonce", &[]).await else { continue };
        let url = app.url.as_str();
        let caller = browser(SERVICE_KEY);
        let request = json!({"publicKey": caller.keys().public_base64(), "nonce": uuid::Uuid::new_v4().to_string()});

        // Sealed body, sealed reply.
        let sealed = caller.call(Method::POST, url, SIGN, Some(&request)).await.unwrap();
        assert_eq!((sealed.status, sealed.sealed), (200, true), "{}", sealed.body);
        let token = sealed.body["signed_nonce"].as_str().unwrap().to_owned();
        // The swagger form `{"data": {…}}` in the clear, plain reply.
        let swagger = plain(&caller, url, Method::POST, SIGN, Some(&json!({ "data": request }))).await;
        assert_eq!((swagger.status, swagger.sealed), (200, false), "{}", swagger.body);

        let (status, payload) = validate(url, &token).await;
        assert_eq!(status, 200, "{payload}");
        assert_eq!(payload["nonce"], request["nonce"]);
        assert_eq!(payload["publicKey"], request["publicKey"]);
        let generated: i64 = payload["generated_ts"].as_str().unwrap().parse().unwrap();
        let valid: i64 = payload["valid_ts"].as_str().unwrap().parse().unwrap();
        assert_eq!(valid - generated, 300);

        let (head, sig) = token.split_once('.').unwrap();
        let flipped = if head.starts_with('e') { head.replacen('e', "f", 1) } else { format!("e{}", &head[1..]) };
        // The signature is checked first, over the payload as sent: any change is a bad signature.
        let (status, body) = validate(url, &format!("{flipped}.{sig}")).await;
        assert_error(status, &body, 401, "signature is not valid");
        // A genuine signature of another nonce does not vouch for this one.
        let other = json!({"publicKey": caller.keys().public_base64(), "nonce": uuid::Uuid::new_v4().to_string()});
        let signed = caller.call(Method::POST, url, SIGN, Some(&other)).await.unwrap();
        let other_sig = signed.body["signed_nonce"].as_str().unwrap().split_once('.').unwrap().1.to_owned();
        assert_ne!(other_sig, sig);
        let (status, body) = validate(url, &format!("{head}.{other_sig}")).await;
        assert_error(status, &body, 401, "signature is not valid");
        let (status, body) = validate(url, "garbage").await;
        assert_error(status, &body, 400, "malformed");
        let resp = reqwest::get(format!("{url}/nonce/validate")).await.unwrap();
        assert_eq!(resp.status().as_u16(), 400);

        // Signing needs a license and a well-formed body.
        let reply = plain(&phone(), url, Method::POST, SIGN, Some(&request)).await;
        assert_error(reply.status, &reply.body, 401, "licensekey header is required");
        let nonce = uuid::Uuid::new_v4().to_string();
        let reply = plain(&caller, url, Method::POST, SIGN, Some(&json!({"publicKey": "AAAA", "nonce": nonce}))).await;
        assert_error(reply.status, &reply.body, 400, "publicKey");
        let reply = plain(&caller, url, Method::POST, SIGN, Some(&json!({"nonce": nonce}))).await;
        assert_error(reply.status, &reply.body, 400, "publicKey");
        let mine = caller.keys().public_base64();
        let reply = plain(&caller, url, Method::POST, SIGN, Some(&json!({"publicKey": mine, "nonce": "n"}))).await;
        assert_error(reply.status, &reply.body, 400, "nonce must be a uuid");
        // Only the caller's own key: a nonce for someone else's key would let validate vouch for it.
        let other = browser(SERVICE_KEY);
        let theirs = json!({"publicKey": other.keys().public_base64(), "nonce": nonce});
        let reply = caller.call(Method::POST, url, SIGN, Some(&theirs)).await.unwrap();
        assert_error(reply.status, &reply.body, 403, "publicKey must be the caller's");
    }
}

#[tokio::test]
async fn an_expired_nonce_is_refused() {
    // The service's clock is moved by hand (no sleep). Nonce times are whole epoch seconds.
    let clock = std::sync::Arc::new(kit::clock::ManualClock::at(1_900_000_000_000));
    let ttl = [("NONCE_TTL_SECONDS", "30")];
    let Some(app) = spawn_with_clock(kit::testing::Storage::Embedded, "nonce expiry", &ttl, clock.clone()).await else {
        return;
    };
    let caller = browser(APP_KEY);
    let request = json!({"publicKey": caller.keys().public_base64(), "nonce": uuid::Uuid::new_v4().to_string()});
    let reply = caller.call(Method::POST, &app.url, SIGN, Some(&request)).await.unwrap();
    let token = reply.body["signed_nonce"].as_str().unwrap().to_owned();
    assert_eq!(validate(&app.url, &token).await.0, 200);
    clock.advance(std::time::Duration::from_secs(30));
    assert_eq!(validate(&app.url, &token).await.0, 200, "valid through its last second");
    clock.advance(std::time::Duration::from_secs(1));
    let (status, body) = validate(&app.url, &token).await;
    assert_error(status, &body, 401, "expired");
}
