//! A logged-in user's own PIN, an administrator's user properties and alias check, a module's
//! password policy and the check of a proof of authentication, all through adminapi and answered
//! by users-mgmt.

use std::sync::Arc;

use envelope::{Client, Curve, KeyPair};
use reqwest::Method;
use serde_json::{Value, json};

use crate::login::{Platform, assert_error, bearer, call, platform};
use kit::testing::{SERVICE_KEY, Storage};

/// users-mgmt's `user/authenticate` of bob with a PIN: the status.
async fn pin_login(p: &Platform, pin: &str) -> u16 {
    let path = format!("/tenant/{}/community/{}/user/authenticate", p.tenant, p.community);
    let body = json!({"authModule": p.module, "username": "bob", "pin": pin});
    let client = Client::new(Arc::new(KeyPair::generate(Curve::Secp256k1).unwrap())).unwrap().license(SERVICE_KEY);
    client.call(Method::POST, &p.users, &path, Some(&body)).await.unwrap().status
}

#[tokio::test]
async fn a_user_manages_their_own_pin() {
    let Some(p) = platform(Storage::Embedded, "self pin", 1, &[]).await else { return };
    let url = p.admin[0].as_str();
    let bob = bearer(&p.token("bob", "Violet-Harbor-58").await);
    let auth = Some(bob.as_str());
    let (s, r) = call(url, Method::POST, "/user_pin/register", auth, Some(&json!({"pin": "482913"}))).await;
    assert_eq!((s, r), (200, json!({"status": true})));
    assert_eq!(pin_login(&p, "482913").await, 200, "the PIN is users-mgmt's");
    let (s, r) = call(
        url,
        Method::PUT,
        "/users/user/user_pin/update",
        auth,
        Some(&json!({"currentPin": "000000", "newPin": "771903"})),
    )
    .await;
    assert_eq!(s, 401, "{r}");
    let (s, r) = call(
        url,
        Method::PUT,
        "/users/user/user_pin/update",
        auth,
        Some(&json!({"currentPin": "482913", "newPin": "771903"})),
    )
    .await;
    assert_eq!(s, 200, "{r}");
    assert_eq!((pin_login(&p, "482913").await, pin_login(&p, "771903").await), (401, 200));
    let (s, r) = call(url, Method::DELETE, "/user_pin", auth, Some(&json!({"currentPin": "771903"}))).await;
    assert_eq!(s, 200, "{r}");
    assert_eq!(pin_login(&p, "771903").await, 401, "no PIN any more");
}

#[tokio::test]
async fn an_administrator_sets_properties_and_checks_aliases() {
    let Some(p) = platform(Storage::Embedded, "admin properties", 1, &[]).await else { return };
    let url = p.admin[0].as_str();
    let jane = bearer(&p.token("jane", "Quartz-Meadow-71").await);
    let auth = Some(jane.as_str());
    let update = json!({"tenantId": p.tenant, "communityId": p.community, "user": {"username": "bob", "authModuleId": p.module},
        "mobiles": ["15550001111"], "aliases": {"alias1": "bobby"}});
    let (s, r) = call(url, Method::POST, "/user_properties/update", auth, Some(&update)).await;
    assert_eq!(s, 200, "{r}");
    assert_eq!((r["mobiles"].clone(), r["aliases"]["alias1"].as_str()), (json!(["15550001111"]), Some("bobby")), "{r}");
    let bad = json!({"tenantId": p.tenant, "communityId": p.community, "user": {"username": "bob", "authModuleId": p.module}, "mobiles": ["not-a-number"]});
    let (s, r) = call(url, Method::POST, "/user_properties/update", auth, Some(&bad)).await;
    assert_eq!(s, 400, "users-mgmt's refusal: {r}");
    let unique = |alias: &str| json!({"alias": alias, "tenantId": p.tenant, "communityId": p.community});
    for (alias, expected) in [("bobby", false), ("BOB", false), ("free-alias", true)] {
        let (s, r) = call(url, Method::POST, "/user_properties/check_unique/alias", auth, Some(&unique(alias))).await;
        assert_eq!((s, r["isUnique"].as_bool()), (200, Some(expected)), "{alias}: {r}");
    }
}

#[tokio::test]
async fn the_password_policy_and_proofs_are_answered_by_users_mgmt() {
    let Some(p) = platform(Storage::Embedded, "policy and proofs", 1, &[]).await else { return };
    let url = p.admin[0].as_str();
    let licensed = Client::new(Arc::new(KeyPair::generate(Curve::Secp256k1).unwrap())).unwrap().license(SERVICE_KEY);
    let body = json!({"tenantId": p.tenant, "communityId": p.community, "moduleId": p.module});
    let reply = licensed.call(Method::POST, url, "/pwd-policy/fetch", Some(&body)).await.unwrap();
    assert_eq!(reply.status, 200, "{}", reply.body);
    assert!(reply.body.to_string().contains("min"), "the module's policy: {}", reply.body);
    let (s, r) = call(url, Method::POST, "/pwd-policy/fetch", None, Some(&body)).await;
    assert_error(s, &r, 401, "licensekey");

    // A proof made by users-mgmt verifies through adminapi; a forged one does not.
    let proof = p
        .users_call(
            Method::POST,
            "/user/authenticate",
            json!({"authModule": p.module, "username": "bob", "password": "Violet-Harbor-58"}),
        )
        .await["proof_of_authentication_jwt"]
        .as_str()
        .unwrap()
        .to_owned();
    let (s, r) = call(url, Method::POST, "/jwt/verifyToken", None, Some(&json!({"token": proof}))).await;
    assert_eq!((s, r["isAuthenticated"].as_bool()), (200, Some(true)), "{r}");
    let token = p.token("bob", "Violet-Harbor-58").await;
    let (s, r): (u16, Value) = call(url, Method::POST, "/jwt/verifyToken", None, Some(&json!({"token": token}))).await;
    assert_eq!(s, 401, "an adminapi access token is not a users-mgmt proof: {r}");
}
