//! WebAuthn over HTTP with software authenticators (webauthn-authenticator-rs: `SoftToken`, a
//! packed-attestation key with its own AAGUID, and `SoftPasskey`, AAGUID zero) driving real
//! ceremonies against adminapi: bob registers a key after logging in, signs in with it (a real
//! login session), a replayed assertion and a cloned key (counter going backwards) are refused;
//! the vendor metadata denies and allows models at registration; the FIDO settings refuse kinds;
//! roles and communities are checked; no credential data, token or challenge reaches the log.

use std::sync::Arc;

use envelope::{Client, Curve, KeyPair};
use kit::testing::{SERVICE_KEY, Storage};
use reqwest::Method;
use serde_json::{Value, json};
use webauthn_authenticator_rs::AuthenticatorBackend;
use webauthn_authenticator_rs::prelude::{
    CreationChallengeResponse, RequestChallengeResponse, Url, WebauthnAuthenticator,
};
use webauthn_authenticator_rs::softpasskey::SoftPasskey;
use webauthn_authenticator_rs::softtoken::{AAGUID as SOFT_TOKEN_AAGUID, SoftToken};

use crate::login::{Platform, assert_error, bearer, call, platform};

const STORAGES: [Storage; 3] = [Storage::Embedded, Storage::Postgres, Storage::Redis];
/// The tenant's DNS name in [`platform`]: the relying party.
const ORIGIN: &str = "https://acme.example.com";
const ZERO_AAGUID: &str = "00000000-0000-0000-0000-000000000000";

fn soft_token() -> SoftToken {
    SoftToken::new(true).unwrap().0
}

/// A sealed call with a license: the status and the opened reply.
async fn licensed(url: &str, path: &str, body: &Value) -> (u16, Value) {
    let client = Client::new(Arc::new(KeyPair::generate(Curve::Secp256k1).unwrap())).unwrap().app_id("login-page");
    let reply = client.license(SERVICE_KEY).call(Method::POST, url, path, Some(body)).await.unwrap();
    (reply.status, reply.body)
}

/// The options of a registration for the holder of `token`.
async fn attestation_options(p: &Platform, token: &str, body: Value) -> (u16, Value) {
    call(&p.admin[0], Method::POST, "/webauthn/attestation/options", Some(&bearer(token)), Some(&body)).await
}

/// The authenticator's answer to registration options, as the browser's JSON.
fn create(authenticator: &mut dyn AuthenticatorBackend, options: &Value) -> Value {
    let ccr = CreationChallengeResponse { public_key: serde_json::from_value(options.clone()).unwrap() };
    let credential = authenticator.do_registration(Url::parse(ORIGIN).unwrap(), ccr).unwrap();
    serde_json::to_value(credential).unwrap()
}

/// Registers `authenticator` for the holder of `token`: the status and reply of
/// `POST /webauthn/security_key`, and the credential sent.
async fn register(p: &Platform, token: &str, authenticator: &mut dyn AuthenticatorBackend) -> (u16, Value, Value) {
    let (s, options) = attestation_options(p, token, json!({"attestation": "direct"})).await;
    assert_eq!(s, 200, "{options}");
    let mut credential = create(authenticator, &options);
    credential["deviceName"] = json!("Bob's key");
    credential["keyType"] = json!("FIDO");
    let (s, r) =
        call(&p.admin[0], Method::POST, "/webauthn/security_key", Some(&bearer(token)), Some(&credential)).await;
    (s, r, credential)
}

/// The assertion options for `username` of the platform's community.
async fn assertion_options(p: &Platform, username: &str) -> (u16, Value) {
    let body = json!({"username": username, "communityId": p.community, "tenantId": p.tenant});
    licensed(&p.admin[0], "/webauthn/assertion/options", &body).await
}

/// The authenticator's answer to assertion options, in the body the spec gives
/// `POST /webauthn/authenticate_with_security_key`.
fn assert_with(p: &Platform, authenticator: &mut dyn AuthenticatorBackend, username: &str, options: &Value) -> Value {
    let rcr =
        RequestChallengeResponse { public_key: serde_json::from_value(options.clone()).unwrap(), mediation: None };
    let credential = authenticator.do_authentication(Url::parse(ORIGIN).unwrap(), rcr).unwrap();
    let c = serde_json::to_value(credential).unwrap();
    json!({
        "username": username,
        "tenant": {"id": p.tenant, "name": "Acme", "tag": "acme", "type": "tenant"},
        "community": {"id": p.community, "name": "default", "publicKey": "unused"},
        "id": c["id"], "rawId": c["rawId"], "type": c["type"],
        "authenticatorData": c["response"]["authenticatorData"],
        "signature": c["response"]["signature"],
        "userHandle": c["response"]["userHandle"],
        "clientDataJSON": c["response"]["clientDataJSON"],
        "getClientExtensionResults": {},
    })
}

/// A full sign-in with `authenticator`: the status and reply.
async fn sign_in(p: &Platform, authenticator: &mut dyn AuthenticatorBackend, username: &str) -> (u16, Value) {
    let (s, options) = assertion_options(p, username).await;
    assert_eq!(s, 200, "{options}");
    let body = assert_with(p, authenticator, username, &options);
    licensed(&p.admin[0], "/webauthn/authenticate_with_security_key", &body).await
}

async fn has_security_key(p: &Platform, username: &str) -> bool {
    let body =
        json!({"communityName": "default", "communityPublicKey": "unused", "tenantTag": "acme", "username": username});
    let (s, r) = call(&p.admin[0], Method::POST, "/users/user/devices/has_security_key", None, Some(&body)).await;
    assert_eq!(s, 200, "{r}");
    r["hasSecurityKey"].as_bool().unwrap()
}

#[tokio::test]
async fn a_key_registers_signs_in_and_a_replayed_assertion_is_refused() {
    crate::captured_logs::start();
    for storage in STORAGES {
        let Some(p) = platform(storage, "webauthn ceremony", 1, &[]).await else { continue };
        let bob = p.token("bob", "Violet-Harbor-58").await;
        assert!(!has_security_key(&p, "bob").await);
        // A denied model that is not this key's (the vendor store on every backend).
        let jane = bearer(&p.token("jane", "Quartz-Meadow-71").await);
        let vendors = format!("/webauthn/vendormetadata/{}", p.community);
        let deny =
            json!({"aaguid": ZERO_AAGUID, "metadata": "", "name": "Zero", "disabled": true, "updatedBy": "jane"});
        for _ in 0..2 {
            let (s, r) = call(&p.admin[0], Method::PUT, &vendors, Some(&jane), Some(&deny)).await;
            assert_eq!(s, 200, "{r}");
        }
        let (s, r) = call(&p.admin[0], Method::POST, &format!("{vendors}/fetch"), Some(&jane), Some(&json!({}))).await;
        assert_eq!((s, r.as_array().map(Vec::len)), (200, Some(1)), "{r}");

        // Registration: the options name the tenant as relying party and require user verification.
        let (s, options) = attestation_options(&p, &bob, json!({"attestation": "direct"})).await;
        assert_eq!(s, 200, "{options}");
        assert_eq!((options["rp"]["id"].as_str(), options["status"].as_str()), (Some("acme.example.com"), Some("ok")));
        assert_eq!(options["authenticatorSelection"]["userVerification"], "required");
        assert_eq!(options["user"]["name"], "bob");
        let mut key = soft_token();
        let mut credential = create(&mut key, &options);
        credential["deviceName"] = json!("Bob's key");
        let (s, r) =
            call(&p.admin[0], Method::POST, "/webauthn/security_key", Some(&bearer(&bob)), Some(&credential)).await;
        assert_eq!(s, 200, "{r}");
        assert_eq!(
            (&r["device"]["name"], &r["device"]["type"], &r["type"]),
            (&json!("Bob's key"), &json!("FIDO"), &json!("security_key"))
        );
        assert_eq!(r.as_object().unwrap().len(), 3, "device, deviceId and type only: {r}");
        // The same response again: its challenge is spent.
        let (s, r) =
            call(&p.admin[0], Method::POST, "/webauthn/security_key", Some(&bearer(&bob)), Some(&credential)).await;
        assert_error(s, &r, 401, "already answered");
        assert!(has_security_key(&p, "bob").await && !has_security_key(&p, "jane").await);

        // Authentication: the options list bob's key; the answer signs him in with a real session.
        let (s, options) = assertion_options(&p, "Bob").await;
        assert_eq!(s, 200, "{options}");
        assert_eq!(options["rpId"], "acme.example.com");
        assert_eq!(
            (&options["userVerification"], &options["UserVerification"]),
            (&json!("required"), &json!("required"))
        );
        assert_eq!(options["allowCredentials"][0]["id"], credential["rawId"]);
        let body = assert_with(&p, &mut key, "bob", &options);
        let (s, r) = licensed(&p.admin[0], "/webauthn/authenticate_with_security_key", &body).await;
        assert_eq!(s, 200, "{r}");
        assert_eq!((r["user"]["username"].as_str(), &r["user"]["roles"]), (Some("bob"), &json!(["user"])));
        assert_eq!((&r["pon_data"]["method"], &r["pon_data"]["userVerified"]), (&json!("security_key"), &json!(true)));
        let jwt = r["jwt_token"].as_str().unwrap().to_owned();
        let (s, r2) = call(&p.admin[0], Method::GET, "/logout", Some(&bearer(&jwt)), None).await;
        assert_eq!(s, 204, "the security key's login is a real session: {r2}");

        // The same assertion again is refused, and so is a bad signature on a fresh challenge.
        let (s, r) = licensed(&p.admin[0], "/webauthn/authenticate_with_security_key", &body).await;
        assert_error(s, &r, 401, "already answered");
        let (s, options) = assertion_options(&p, "bob").await;
        assert_eq!(s, 200);
        let mut forged = assert_with(&p, &mut key, "bob", &options);
        forged["signature"] = body["signature"].clone();
        let (s, r) = licensed(&p.admin[0], "/webauthn/authenticate_with_security_key", &forged).await;
        assert_error(s, &r, 401, "does not verify");
        // Someone else's name on bob's assertion: refused; jane has no key: 404.
        let (s, options) = assertion_options(&p, "bob").await;
        assert_eq!(s, 200);
        let mut other = assert_with(&p, &mut key, "bob", &options);
        other["username"] = json!("jane");
        let (s, r) = licensed(&p.admin[0], "/webauthn/authenticate_with_security_key", &other).await;
        assert_error(s, &r, 401, "already answered");
        let (s, r) = assertion_options(&p, "jane").await;
        assert_error(s, &r, 404, "no security key");

        if storage == Storage::Embedded {
            // Nothing of the ceremonies reaches the log: challenges, signatures, client data,
            // attestation objects, the session token.
            let log = crate::captured_logs::text();
            for secret in [
                body["signature"].as_str().unwrap(),
                body["authenticatorData"].as_str().unwrap(),
                body["clientDataJSON"].as_str().unwrap(),
                credential["response"]["attestationObject"].as_str().unwrap(),
                credential["response"]["clientDataJSON"].as_str().unwrap(),
                options["challenge"].as_str().unwrap(),
                jwt.as_str(),
            ] {
                assert!(!crate::captured_logs::holds(&log, secret), "a ceremony value in the log");
            }
        }
    }
}

#[tokio::test]
async fn a_cloned_key_whose_counter_goes_backwards_is_refused() {
    let Some(p) = platform(Storage::Embedded, "webauthn counter", 1, &[]).await else { return };
    let bob = p.token("bob", "Violet-Harbor-58").await;
    let mut key = soft_token();
    let (s, r, _) = register(&p, &bob, &mut key).await;
    assert_eq!(s, 200, "{r}");
    // A copy of the key as it is now (counter 0), then two sign-ins with the original (1, 2).
    let mut clone = SoftToken::from_cbor(&key.to_cbor().unwrap()).unwrap();
    for _ in 0..2 {
        let (s, r) = sign_in(&p, &mut key, "bob").await;
        assert_eq!(s, 200, "{r}");
    }
    // The copy signs with counter 1: refused as a possible clone.
    let (s, r) = sign_in(&p, &mut clone, "bob").await;
    assert_error(s, &r, 401, "");
    assert!(
        r["message"].as_str().unwrap().contains("does not verify")
            || r["message"].as_str().unwrap().contains("counter"),
        "{r}"
    );
    // The original goes on (counter 3).
    let (s, r) = sign_in(&p, &mut key, "bob").await;
    assert_eq!(s, 200, "{r}");
}

#[tokio::test]
async fn the_communitys_authentication_journeys_apply_to_a_security_key_login() {
    let Some(p) = platform(Storage::Embedded, "webauthn journeys", 1, &[]).await else { return };
    let url = p.admin[0].as_str();
    let (jane, bob) = (bearer(&p.token("jane", "Quartz-Meadow-71").await), p.token("bob", "Violet-Harbor-58").await);
    let mut key = soft_token();
    let (s, r, _) = register(&p, &bob, &mut key).await;
    assert_eq!(s, 200, "{r}");
    // mfa_required: a key with user verification is already two factors.
    let mfa = json!({"journeyName": "bob mfa", "username": {"value": ["bob"], "operator": "in"},
        "decision": {"action": "mfa_required", "authenticationMethods": ["password_and_otp"]}});
    let (s, created) = call(url, Method::PUT, "/authenticationJourney", Some(&jane), Some(&mfa)).await;
    assert_eq!(s, 200, "{created}");
    let (s, r) = sign_in(&p, &mut key, "bob").await;
    assert_eq!(s, 200, "{r}");
    // deny: refused, as every other login.
    let path = format!("/authenticationJourney/{}", created["id"].as_str().unwrap());
    let (s, r) = call(url, Method::PATCH, &path, Some(&jane), Some(&json!({"decision": {"action": "deny"}}))).await;
    assert_eq!(s, 200, "{r}");
    let (s, r) = sign_in(&p, &mut key, "bob").await;
    assert_error(s, &r, 403, "access denied by the community's authentication journey");
}

#[tokio::test]
async fn the_vendor_metadata_denies_and_allows_models_at_registration() {
    let Some(p) = platform(Storage::Embedded, "webauthn vendors", 1, &[]).await else { return };
    let url = p.admin[0].as_str();
    let (jane, bob) = (p.token("jane", "Quartz-Meadow-71").await, p.token("bob", "Violet-Harbor-58").await);
    let path = format!("/webauthn/vendormetadata/{}", p.community);
    let token_aaguid = SOFT_TOKEN_AAGUID.to_string();
    let entry = |aaguid: &str, disabled: bool| json!({"aaguid": aaguid, "metadata": "{\"description\":\"soft\"}", "name": "Soft token", "disabled": disabled, "updatedBy": "jane"});

    // Only administrators of the community write it.
    let (s, r) = call(url, Method::PUT, &path, Some(&bearer(&bob)), Some(&entry(&token_aaguid, true))).await;
    assert_error(s, &r, 403, "may not call this endpoint");
    let (s, r) = call(url, Method::PUT, &path, Some(&bearer(&jane)), Some(&entry("not-a-uuid", true))).await;
    assert_error(s, &r, 400, "aaguid must be a UUID");
    let other = adminapi::domain::tenancy::create_tenant(&*p.stores.tenancy, "other.example.com", "Other", "other")
        .await
        .unwrap();
    let elsewhere =
        adminapi::domain::tenancy::create_community(&*p.stores.tenancy, &other.id, "default").await.unwrap();
    let foreign = format!("/webauthn/vendormetadata/{}", elsewhere.id);
    let (s, r) = call(url, Method::PUT, &foreign, Some(&bearer(&jane)), Some(&entry(&token_aaguid, true))).await;
    assert_error(s, &r, 403, "may not act in this community");

    // The soft token's model denied: it cannot register; another model can.
    let (s, r) =
        call(url, Method::PUT, &path, Some(&bearer(&jane)), Some(&entry(&token_aaguid.to_uppercase(), true))).await;
    assert_eq!(s, 200, "{r}");
    assert_eq!(r["aaguid"], json!(token_aaguid));
    let id = r["id"].as_str().unwrap().to_owned();
    let (s, r, _) = register(&p, &bob, &mut soft_token()).await;
    assert_error(s, &r, 403, "AAGUID");
    assert!(!has_security_key(&p, "bob").await);
    let (s, r, _) = register(&p, &bob, &mut SoftPasskey::new(true)).await;
    assert_eq!(s, 200, "a model without an entry registers while no model is enabled: {r}");

    // Enabled, it makes an allow list: the soft token registers, a model without an entry no longer.
    let patch = json!({"metadata": "{}", "name": "Soft token", "disabled": false, "updatedBy": "jane"});
    let (s, r) =
        call(url, Method::PATCH, &format!("{path}/aaguid/{token_aaguid}"), Some(&bearer(&jane)), Some(&patch)).await;
    assert_eq!((s, &r), (200, &json!({"status": "ok"})));
    let (s, r, _) = register(&p, &bob, &mut soft_token()).await;
    assert_eq!(s, 200, "{r}");
    let (s, r, _) = register(&p, &bob, &mut SoftPasskey::new(true)).await;
    assert_error(s, &r, 403, "AAGUID");
    let (s, r) =
        call(url, Method::PATCH, &format!("{path}/aaguid/{ZERO_AAGUID}"), Some(&bearer(&jane)), Some(&patch)).await;
    assert_error(s, &r, 404, "no vendor metadata");

    // Fetch: all, or those asked; PUT again replaces (same id).
    let (s, r) = call(url, Method::PUT, &path, Some(&bearer(&jane)), Some(&entry(ZERO_AAGUID, true))).await;
    assert_eq!(s, 200, "{r}");
    let (s, r) = call(url, Method::PUT, &path, Some(&bearer(&jane)), Some(&entry(&token_aaguid, false))).await;
    assert_eq!((s, r["id"].as_str()), (200, Some(id.as_str())));
    let fetch = format!("{path}/fetch");
    let (s, r) = call(url, Method::POST, &fetch, Some(&bearer(&jane)), Some(&json!({}))).await;
    assert_eq!(s, 200, "{r}");
    assert_eq!(r.as_array().unwrap().len(), 2);
    let (s, r) = call(url, Method::POST, &fetch, Some(&bearer(&jane)), Some(&json!({"aaguids": [ZERO_AAGUID]}))).await;
    assert_eq!(s, 200, "{r}");
    assert_eq!(
        r,
        json!([{"aaguid": ZERO_AAGUID, "metadata": "{\"description\":\"soft\"}", "name": "Soft token", "disabled": true, "updatedBy": "jane"}])
    );
    let (s, r) = call(url, Method::POST, &fetch, Some(&bearer(&jane)), Some(&json!({"aaguid": ["x"]}))).await;
    assert_error(s, &r, 400, "aaguid must be a UUID");
    // Every write is in the audit log, by field names.
    let changes = p.stores.audit.changes(&p.community, 50).await.unwrap();
    let kinds = changes.iter().filter(|c| c.kind == "webauthn_vendor_metadata").count();
    assert_eq!(kinds, 4, "{changes:?}");
}

#[tokio::test]
async fn fido_settings_decide_which_authenticators_may_register_and_sign_in() {
    let Some(p) = platform(Storage::Embedded, "webauthn fido settings", 1, &[]).await else { return };
    let url = p.admin[0].as_str();
    let (jane, bob) = (p.token("jane", "Quartz-Meadow-71").await, p.token("bob", "Violet-Harbor-58").await);
    let fido = |all: bool, platform: bool, keys: bool| json!({"fido_disabled": all, "fido_platform_authenticator_disabled": platform, "fido_security_key_disabled": keys});
    let set = |body: Value| {
        let jane = jane.clone();
        async move {
            let (s, r) =
                call(url, Method::PUT, "/config/authentication/fido_settings", Some(&bearer(&jane)), Some(&body)).await;
            assert_eq!(s, 200, "{r}");
        }
    };

    // Platform authenticators disabled: their options are refused; a security key registers.
    set(fido(false, true, false)).await;
    let platform_body = json!({"authenticatorSelection": {"authenticatorAttachment": "platform"}});
    let (s, r) = attestation_options(&p, &bob, platform_body).await;
    assert_error(s, &r, 403, "disable platform authenticators");
    let (s, r) =
        attestation_options(&p, &bob, json!({"authenticatorSelection": {"authenticatorAttachment": "usb"}})).await;
    assert_error(s, &r, 400, "authenticatorAttachment");
    let mut key = soft_token();
    let (s, r, _) = register(&p, &bob, &mut key).await;
    assert_eq!(s, 200, "{r}");

    // Security keys disabled between the options and the answer: the answer is refused; the
    // options are then refused too (no key of an allowed kind).
    let (s, options) = assertion_options(&p, "bob").await;
    assert_eq!(s, 200, "{options}");
    let body = assert_with(&p, &mut key, "bob", &options);
    set(fido(false, false, true)).await;
    let (s, r) = licensed(url, "/webauthn/authenticate_with_security_key", &body).await;
    assert_error(s, &r, 403, "disable security keys");
    let (s, r) = assertion_options(&p, "bob").await;
    assert_error(s, &r, 404, "no security key this community allows");
    let (s, r) = attestation_options(&p, &bob, json!({})).await;
    assert_error(s, &r, 403, "disable security keys");

    // FIDO off: every step is refused.
    set(fido(true, false, false)).await;
    let (s, r) = assertion_options(&p, "bob").await;
    assert_error(s, &r, 403, "disable FIDO");
    let (s, r) = attestation_options(&p, &bob, json!({})).await;
    assert_error(s, &r, 403, "disable FIDO");
    set(fido(false, false, false)).await;
    let (s, r) = sign_in(&p, &mut key, "bob").await;
    assert_eq!(s, 200, "back on: {r}");
}

#[tokio::test]
async fn sessions_users_and_communities_are_checked() {
    let Some(p) = platform(Storage::Embedded, "webauthn access", 1, &[]).await else { return };
    let url = p.admin[0].as_str();
    let bob = p.token("bob", "Violet-Harbor-58").await;
    // No login, another user's name, another community: refused.
    let (s, r) = call(url, Method::POST, "/webauthn/attestation/options", None, Some(&json!({}))).await;
    assert_error(s, &r, 401, "authorization header is required");
    let (s, r) = attestation_options(&p, &bob, json!({"username": "jane"})).await;
    assert_error(s, &r, 403, "logged-in user's");
    let mut key = soft_token();
    let (s, options) = attestation_options(&p, &bob, json!({})).await;
    assert_eq!(s, 200);
    let mut credential = create(&mut key, &options);
    credential["communityId"] = json!("6a0000000000000000000001");
    let (s, r) = call(url, Method::POST, "/webauthn/security_key", Some(&bearer(&bob)), Some(&credential)).await;
    assert_error(s, &r, 403, "own community");
    // A response for another user's challenge: jane cannot use bob's.
    let jane = p.token("jane", "Quartz-Meadow-71").await;
    let (s, options) = attestation_options(&p, &bob, json!({})).await;
    assert_eq!(s, 200);
    let credential = create(&mut key, &options);
    let (s, r) = call(url, Method::POST, "/webauthn/security_key", Some(&bearer(&jane)), Some(&credential)).await;
    assert_error(s, &r, 401, "already answered");
    // Garbage is a 400 naming the field.
    let (s, r) = call(url, Method::POST, "/webauthn/security_key", Some(&bearer(&bob)), Some(&json!({"id": 5}))).await;
    assert_error(s, &r, 400, "navigator.credentials.create()");
    let (s, r) = register(&p, &bob, &mut key).await.into_parts();
    assert_eq!(s, 200, "{r}");

    // Another community: no key there, and bob's assertion does not count there.
    let other = adminapi::domain::tenancy::create_community(&*p.stores.tenancy, &p.tenant, "other").await.unwrap();
    let body = json!({"username": "bob", "communityId": other.id, "tenantId": p.tenant});
    let (s, r) = licensed(url, "/webauthn/assertion/options", &body).await;
    assert_error(s, &r, 404, "no security key");
    let (s, options) = assertion_options(&p, "bob").await;
    assert_eq!(s, 200);
    let mut moved = assert_with(&p, &mut key, "bob", &options);
    moved["community"] = json!({"id": other.id});
    let (s, r) = licensed(url, "/webauthn/authenticate_with_security_key", &moved).await;
    assert_error(s, &r, 401, "already answered");
    // A community name that is not the community's: 404.
    let (s, options) = assertion_options(&p, "bob").await;
    assert_eq!(s, 200);
    let mut misnamed = assert_with(&p, &mut key, "bob", &options);
    misnamed["community"]["name"] = json!("other");
    let (s, r) = licensed(url, "/webauthn/authenticate_with_security_key", &misnamed).await;
    assert_error(s, &r, 404, "communityName");
    // A locked user is refused even with the key.
    let lock = json!({"username": "bob", "lock_duration": 5});
    let (s, r) = call(url, Method::POST, "/users/user/lock", Some(&bearer(&jane)), Some(&lock)).await;
    assert_eq!(s, 204, "{r}");
    let (s, r) = sign_in(&p, &mut key, "bob").await;
    assert_error(s, &r, 401, "invalid username or credentials");
    // has_security_key: an unknown community is a 404.
    let unknown = json!({"communityName": "nope", "communityPublicKey": "x", "tenantTag": "acme", "username": "bob"});
    let (s, r) = call(url, Method::POST, "/users/user/devices/has_security_key", None, Some(&unknown)).await;
    assert_error(s, &r, 404, "communityName");
}

/// `(status, reply)` of a registration, without the credential.
trait IntoParts {
    fn into_parts(self) -> (u16, Value);
}

impl IntoParts for (u16, Value, Value) {
    fn into_parts(self) -> (u16, Value) {
        (self.0, self.1)
    }
}
