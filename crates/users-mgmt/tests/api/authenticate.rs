//! Authentication over HTTP: `user/authenticate` with a password and / or a PIN, the proof of
//! authentication and `jwt/verifyToken`, `user/validate_user_password`, and what unknown users,
//! wrong factors, disabled users and modules, otp and ktoken get.

use envelope::{Curve, KeyPair};
use reqwest::Method;
use serde_json::{Value, json};

use crate::helpers::*;

/// Cheap argon2 parameters: these tests are about the rules, not the hash's cost.
pub const FAST_ARGON2: [(&str, &str); 2] = [("ARGON2_MEMORY_KIB", "1024"), ("ARGON2_ITERATIONS", "1")];

/// The community's db module (any password of 8 characters or more) and its id.
pub async fn module_with_user(admin: &envelope::Client, url: &str, username: &str, password: &str) -> String {
    let policy = json!({"authtype": "password", "rules": {
        "min": 8, "min_enabled": true, "min_special": 0, "min_special_enabled": false,
        "min_numbers": 1, "min_numbers_enabled": true, "special_chars_allowed": "", "special_chars_allowed_enabled": false,
        "min_alpha_caps": 0, "min_alpha_caps_enabled": false, "noUsername": true, "noUsername_enabled": true,
        "allowInRow": 0, "allowInRow_enabled": false}});
    let body = json!({"type": "db", "name": "Users", "config": {"passwordPolicy": policy}});
    let (s, m) = sealed(admin, url, Method::PUT, &community_path("/module/create"), Some(&body)).await;
    assert_eq!(s, 200, "{m}");
    let module = m["_id"].as_str().unwrap().to_owned();
    add_user(admin, url, &module, username, password).await;
    module
}

/// Creates a user of `module` with `password`.
pub async fn add_user(admin: &envelope::Client, url: &str, module: &str, username: &str, password: &str) {
    let body = json!({"authModule": module, "users": [{"username": username, "password": password}]});
    let (s, r) = sealed(admin, url, Method::PUT, &community_path("/users/create"), Some(&body)).await;
    assert_eq!((s, r["created"].as_u64()), (200, Some(1)), "{r}");
}

/// `user/authenticate`, sealed.
pub async fn authenticate(client: &envelope::Client, url: &str, body: Value) -> (u16, Value) {
    sealed(client, url, Method::POST, &community_path("/user/authenticate"), Some(&body)).await
}

/// `jwt/verifyToken`: the status and the reply.
pub async fn verify_token(url: &str, body: Value) -> (u16, Value) {
    let r = reqwest::Client::new().post(format!("{url}/jwt/verifyToken")).json(&body).send().await.unwrap();
    (r.status().as_u16(), r.json().await.unwrap())
}

fn jwt_part(token: &str, i: usize) -> Value {
    use base64::Engine as _;
    let raw = base64::engine::general_purpose::URL_SAFE_NO_PAD.decode(token.split('.').nth(i).unwrap()).unwrap();
    serde_json::from_slice(&raw).unwrap()
}

#[tokio::test]
async fn a_password_authenticates_with_a_proof_that_verify_token_accepts() {
    for storage in STORAGES {
        let Some(app) = spawn(storage, "authenticate password", &FAST_ARGON2).await else { continue };
        let url = app.url.as_str();
        let admin = caller(SERVICE_KEY);
        let module = module_with_user(&admin, url, "jane", "Sesame1234").await;

        // Any valid key, app included.
        let app_caller = caller(APP_KEY);
        let (s, r) =
            authenticate(&app_caller, url, json!({"authModule": module, "username": "JANE", "password": "Sesame1234"}))
                .await;
        assert_eq!(s, 200, "{r}");
        assert_eq!(
            (r["username"].as_str(), r["type"].as_str(), r["moduleId"].as_str()),
            (Some("jane"), Some("basic"), Some(module.as_str()))
        );
        assert!(!r.to_string().contains("Sesame1234") && !r.to_string().contains("argon2"), "{r}");
        let token = r["proof_of_authentication_jwt"].as_str().unwrap();
        assert_eq!(jwt_part(token, 0)["alg"], "ES256K");
        let claims = jwt_part(token, 1);
        assert_eq!(claims["sub"], r["uid"]);
        assert_eq!((claims["iss"].as_str(), claims["aud"].as_str()), (Some("users-mgmt"), Some("tests")));
        assert_eq!((claims["tenant"].as_str(), claims["community"].as_str()), (Some(TENANT_ID), Some(COMMUNITY_ID)));
        assert_eq!(claims["methods"], json!(["password"]));
        assert!(claims["exp"].as_i64().unwrap() > claims["iat"].as_i64().unwrap());

        let (s, v) = verify_token(url, json!({"token": token})).await;
        assert_eq!(s, 200, "{v}");
        assert_eq!((v["isAuthenticated"].as_bool(), v["sub"].as_str()), (Some(true), r["uid"].as_str()));
        let (s, v) = verify_token(url, json!({"token": token, "audience": "tests"})).await;
        assert_eq!(s, 200, "{v}");
        let (s, v) = verify_token(url, json!({"token": token, "audience": "another-app"})).await;
        assert_error(s, &v, 401, "another audience");
        let mut forged = token.rsplit_once('.').unwrap().0.to_owned();
        forged.push_str(".AAAA");
        let (s, v) = verify_token(url, json!({"token": forged})).await;
        assert_error(s, &v, 401, "signature");
        let (s, v) = verify_token(url, json!({"token": "not a jwt"})).await;
        assert_error(s, &v, 401, "jws");
        let (s, v) = verify_token(url, json!({"jwt": token})).await;
        assert_eq!(s, 400, "{v}");

        // The plain preview answers in plain JSON.
        let (s, p, was_sealed) = plain(
            &admin,
            url,
            Method::POST,
            &community_path("/user/authenticate"),
            Some(&json!({"authModule": module, "username": "jane", "password": "Sesame1234"})),
        )
        .await;
        assert_eq!((s, was_sealed), (200, false), "{p}");
        assert!(p["proof_of_authentication_jwt"].is_string(), "{p}");

        // An unknown user and a wrong password are told the same.
        let (s1, wrong) =
            authenticate(&admin, url, json!({"authModule": module, "username": "jane", "password": "Sesame12345"}))
                .await;
        let (s2, unknown) =
            authenticate(&admin, url, json!({"authModule": module, "username": "nobody", "password": "Sesame1234"}))
                .await;
        assert_error(s1, &wrong, 401, "invalid username or credentials");
        assert_eq!((s1, &wrong), (s2, &unknown));
        assert!(!wrong.to_string().contains("Sesame"), "{wrong}");
    }
}

#[tokio::test]
async fn factors_are_required_and_otp_ktoken_scep_are_refused() {
    let Some(app) = spawn(kit::testing::Storage::Embedded, "authenticate refusals", &FAST_ARGON2).await else { return };
    let url = app.url.as_str();
    let admin = caller(SERVICE_KEY);
    let module = module_with_user(&admin, url, "jane", "Sesame1234").await;
    let base = json!({"authModule": module, "username": "jane"});
    let with = |extra: Value| {
        let mut b = base.clone();
        b.as_object_mut().unwrap().extend(extra.as_object().unwrap().clone());
        b
    };
    let (s, r) = authenticate(&admin, url, base.clone()).await;
    assert_error(s, &r, 400, "at least one factor");
    let (s, r) = authenticate(&admin, url, with(json!({"password": ""}))).await;
    assert_error(s, &r, 400, "at least one factor");
    // Never a success, even beside the right password.
    let (s, r) = authenticate(&admin, url, with(json!({"password": "Sesame1234", "otp": "123456"}))).await;
    assert_error(s, &r, 400, "otp");
    assert!(!r.to_string().contains("123456"), "{r}");
    let (s, r) = authenticate(&admin, url, with(json!({"ktoken": "abc"}))).await;
    assert_error(s, &r, 400, "ktoken");
    let (s, r) = authenticate(&admin, url, with(json!({"password": "Sesame1234", "scep": true}))).await;
    assert_error(s, &r, 400, "scep");
    let (s, r) = authenticate(&admin, url, json!({"username": "jane", "password": "Sesame1234"})).await;
    assert_error(s, &r, 400, "authModule");
    let (s, r) = authenticate(&admin, url, with(json!({"password": "Sesame1234", "colour": "red"}))).await;
    assert_error(s, &r, 400, "unknown field");
    let (s, r) = authenticate(
        &admin,
        url,
        json!({"authModule": "5f3d8d0cd866fa61019cf000", "username": "jane", "password": "Sesame1234"}),
    )
    .await;
    assert_eq!(s, 404, "{r}");

    // A disabled user is refused with the right password; a wrong one says no more than usual.
    let (s, r) = sealed(
        &admin,
        url,
        Method::PATCH,
        &community_path("/user/update"),
        Some(&json!({"authModule": module, "username": "jane", "disabled": true})),
    )
    .await;
    assert_eq!(s, 200, "{r}");
    let (s, r) = authenticate(&admin, url, with(json!({"password": "Sesame1234"}))).await;
    assert_error(s, &r, 401, "disabled");
    let (s, r) = authenticate(&admin, url, with(json!({"password": "Sesame12345"}))).await;
    assert_error(s, &r, 401, "invalid username or credentials");

    // A disabled module is refused.
    let (s, r) = sealed(
        &admin,
        url,
        Method::PATCH,
        &community_path(&format!("/module/{module}")),
        Some(&json!({"enabled": false})),
    )
    .await;
    assert_eq!(s, 200, "{r}");
    let (s, r) = authenticate(&admin, url, with(json!({"password": "Sesame1234"}))).await;
    assert_error(s, &r, 400, "disabled");
}

#[tokio::test]
async fn the_proof_is_encrypted_for_the_referrer() {
    let Some(app) = spawn(kit::testing::Storage::Embedded, "authenticate referrer", &FAST_ARGON2).await else { return };
    let url = app.url.as_str();
    let admin = caller(SERVICE_KEY);
    let module = module_with_user(&admin, url, "jane", "Sesame1234").await;
    let referrer = KeyPair::generate(Curve::Secp256k1).unwrap();
    let body = json!({"authModule": module, "username": "jane", "password": "Sesame1234",
        "referrerPublicKey": referrer.public_base64()});
    let (s, r) = authenticate(&admin, url, body).await;
    assert_eq!(s, 200, "{r}");
    let sealed_proof = r["proof_of_authentication_jwt"].as_str().unwrap();
    assert_eq!(sealed_proof.split('.').count(), 1, "not a readable JWT: {sealed_proof}");
    let service_key = admin.peer(url).await.unwrap().public_key;
    let token = referrer.shared_key_with(&service_key).unwrap().decrypt(sealed_proof).unwrap();
    let (s, v) = verify_token(url, json!({"token": token})).await;
    assert_eq!((s, v["sub"].as_str()), (200, r["uid"].as_str()), "{v}");
    // The caller's own key does not open it.
    assert!(admin.peer(url).await.unwrap().shared.decrypt(sealed_proof).is_err());

    let (s, r) = authenticate(
        &admin,
        url,
        json!({"authModule": module, "username": "jane", "password": "Sesame1234",
        "referrerPublicKey": "bm90IGEga2V5"}),
    )
    .await;
    assert_error(s, &r, 400, "referrerPublicKey");
}

#[tokio::test]
async fn validate_user_password_answers_a_proof() {
    let Some(app) = spawn(kit::testing::Storage::Embedded, "validate password", &FAST_ARGON2).await else { return };
    let url = app.url.as_str();
    let admin = caller(SERVICE_KEY);
    let module = module_with_user(&admin, url, "jane", "Sesame1234").await;
    let path = community_path("/user/validate_user_password");
    let (s, r) = sealed(
        &admin,
        url,
        Method::POST,
        &path,
        Some(&json!({"authModule": module, "username": "jane", "password": "Sesame1234"})),
    )
    .await;
    assert_eq!(s, 200, "{r}");
    assert_eq!((r["username"].as_str(), r["moduleId"].as_str()), (Some("jane"), Some(module.as_str())));
    let (s, v) = verify_token(url, json!({"token": r["proof_of_authentication_jwt"]})).await;
    assert_eq!(s, 200, "{v}");
    let (s, r) = sealed(
        &admin,
        url,
        Method::POST,
        &path,
        Some(&json!({"authModule": module, "username": "jane", "password": "wrong-one-1"})),
    )
    .await;
    assert_error(s, &r, 401, "invalid username or credentials");
    let (s, r) =
        sealed(&admin, url, Method::POST, &path, Some(&json!({"authModule": module, "username": "jane"}))).await;
    assert_error(s, &r, 400, "password");
}

#[tokio::test]
async fn a_p256_service_signs_es256() {
    let extra = [FAST_ARGON2[0], FAST_ARGON2[1], ("EC_CURVE_NAME", "prime256v1")];
    let Some(app) = spawn(kit::testing::Storage::Embedded, "authenticate p256", &extra).await else { return };
    let url = app.url.as_str();
    let admin = envelope::Client::new(std::sync::Arc::new(KeyPair::generate(Curve::P256).unwrap()))
        .unwrap()
        .license(SERVICE_KEY)
        .app_id("tests");
    let module = module_with_user(&admin, url, "jane", "Sesame1234").await;
    let (s, r) =
        authenticate(&admin, url, json!({"authModule": module, "username": "jane", "password": "Sesame1234"})).await;
    assert_eq!(s, 200, "{r}");
    let token = r["proof_of_authentication_jwt"].as_str().unwrap();
    assert_eq!(jwt_part(token, 0)["alg"], "ES256");
    let (s, v) = verify_token(url, json!({"token": token})).await;
    assert_eq!(s, 200, "{v}");
}
