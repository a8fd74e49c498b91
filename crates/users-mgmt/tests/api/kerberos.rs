//! Kerberos sign-in against a real MIT KDC (`kit::testing::kdc`): tokens made by MIT's GSS-API
//! library (Python `gssapi`) for `HTTP/127.0.0.1`, checked by `user/verify_user_ktoken` and the
//! `ktoken` factor of `user/authenticate` with the keytab of the module's `kerberos_config`; and
//! what another key, another realm, an expired ticket, a replay and an unknown client get.

use base64::Engine as _;
use kit::testing::kdc::{Cache, Kdc, Mech};
use reqwest::Method;
use serde_json::{Value, json};

use crate::authenticate::{FAST_ARGON2, add_user, authenticate, module_with_user, verify_token};
use crate::helpers::*;

const SERVICE: &str = "HTTP/127.0.0.1";
const TARGET: &str = "HTTP@127.0.0.1";

fn b64(bytes: &[u8]) -> String {
    base64::engine::general_purpose::STANDARD.encode(bytes)
}

/// A realm with `alice`, `mallory` (no user of the module) and the service principal.
fn realm(test: &str, name: &str) -> Option<Kdc> {
    let kdc = Kdc::start(test, name)?;
    kdc.add_user("alice", "Alice-Krb-1");
    kdc.add_user("mallory", "Mallory-Krb-1");
    kdc.add_service(SERVICE);
    Some(kdc)
}

/// Sets the `kerberos_config` of `module` to `keytab`.
async fn set_keytab(admin: &envelope::Client, url: &str, module: &str, keytab: &[u8]) -> Value {
    let body = json!({"kerberos_config": {"enabled": true, "keytab_file": b64(keytab)}});
    let (s, m) = sealed(admin, url, Method::PATCH, &community_path(&format!("/module/{module}")), Some(&body)).await;
    assert_eq!(s, 200, "{m}");
    m
}

async fn verify(client: &envelope::Client, url: &str, body: Value) -> (u16, Value) {
    sealed(client, url, Method::POST, &community_path("/user/verify_user_ktoken"), Some(&body)).await
}

fn methods(proof: &str) -> Value {
    let part = proof.split('.').nth(1).unwrap();
    let raw = base64::engine::general_purpose::URL_SAFE_NO_PAD.decode(part).unwrap();
    serde_json::from_slice::<Value>(&raw).unwrap()["methods"].clone()
}

#[tokio::test]
async fn a_kerberos_ticket_signs_its_user_in_once() {
    let Some(kdc) = realm("kerberos sign-in", "TEST.LOCAL") else { return };
    let keytab = kdc.keytab(SERVICE);
    let alice: Cache = kdc.kinit("alice", "Alice-Krb-1", None);
    for storage in STORAGES {
        let Some(app) = spawn(storage, "kerberos sign-in", &FAST_ARGON2).await else { continue };
        let url = app.url.as_str();
        let admin = caller(SERVICE_KEY);
        let module = module_with_user(&admin, url, "alice", "Sesame1234").await;
        add_user(&admin, url, &module, "bob", "Sesame1234").await;

        // No module with Kerberos yet: a clear 400.
        let token = kdc.token(&alice, TARGET, Mech::Spnego);
        let (s, e) = verify(&admin, url, json!({"ktoken": token})).await;
        assert_error(s, &e, 400, "kerberos_config");

        let m = set_keytab(&admin, url, &module, &keytab).await;
        assert_eq!(m["kerberos_config"], json!({"enabled": true, "keytab_file_set": true}), "{m}");
        assert!(!m.to_string().contains(&b64(&keytab)[..16]), "the keytab is never returned: {m}");

        // A SPNEGO token (what browsers send), any valid key.
        let (s, r) = verify(&caller(APP_KEY), url, json!({"ktoken": token})).await;
        assert_eq!(s, 200, "{r}");
        assert_eq!((r["username"].as_str(), r["moduleId"].as_str()), (Some("alice"), Some(module.as_str())));
        let proof = r["proof_of_authentication_jwt"].as_str().unwrap();
        assert_eq!(methods(proof), json!(["ktoken"]));
        let (s, v) = verify_token(url, json!({"token": proof, "audience": "tests"})).await;
        assert_eq!((s, v["sub"].as_str()), (200, r["uid"].as_str()), "{v}");

        // The same token again is a replay.
        let (s, e) = verify(&admin, url, json!({"ktoken": token})).await;
        assert_error(s, &e, 401, "already used");

        // A bare Kerberos GSS-API token too, with only the attributes asked for.
        let token = kdc.token(&alice, TARGET, Mech::Krb5);
        let (s, r) = verify(&admin, url, json!({"ktoken": token, "attributes": ["email"]})).await;
        assert_eq!(s, 200, "{r}");
        assert_eq!(r["username"], "alice");
        assert!(r.get("email").is_some() && r.get("phone").is_none(), "{r}");

        // The ktoken factor of user/authenticate: the ticket's client is the user.
        let token = kdc.token(&alice, TARGET, Mech::Spnego);
        let (s, r) = authenticate(&admin, url, json!({"authModule": module, "ktoken": token})).await;
        assert_eq!((s, r["username"].as_str()), (200, Some("alice")), "{r}");
        assert_eq!(methods(r["proof_of_authentication_jwt"].as_str().unwrap()), json!(["ktoken"]));
        // With another username: the same 401 as a wrong factor.
        let token = kdc.token(&alice, TARGET, Mech::Spnego);
        let (s, r) = authenticate(&admin, url, json!({"authModule": module, "username": "bob", "ktoken": token})).await;
        assert_error(s, &r, 401, "invalid username or credentials");

        // A client who is no user of the module: the same 401.
        let mallory = kdc.kinit("mallory", "Mallory-Krb-1", None);
        let (s, e) = verify(&admin, url, json!({"ktoken": kdc.token(&mallory, TARGET, Mech::Spnego)})).await;
        assert_error(s, &e, 401, "invalid username or credentials");

        // Not a token at all.
        let (s, e) = verify(&admin, url, json!({"ktoken": "abc"})).await;
        assert_error(s, &e, 400, "ktoken");
        let (s, e) = verify(&admin, url, json!({"ktoken": b64(b"\x60\x03\x06\x01\x00")})).await;
        assert_error(s, &e, 400, "ktoken");
    }
}

#[tokio::test]
async fn tickets_of_another_key_realm_or_time_are_refused() {
    let Some(kdc) = realm("kerberos refusals", "TEST.LOCAL") else { return };
    let Some(other) = realm("kerberos refusals", "OTHER.LOCAL") else { return };
    let old_keytab = kdc.keytab(SERVICE);
    let new_keytab = kdc.keytab(SERVICE);
    let alice = kdc.kinit("alice", "Alice-Krb-1", None);
    let Some(app) = spawn(
        kit::testing::Storage::Embedded,
        "kerberos refusals",
        &[FAST_ARGON2[0], FAST_ARGON2[1], ("KERBEROS_CLOCK_SKEW_SECONDS", "2")],
    )
    .await
    else {
        return;
    };
    let url = app.url.as_str();
    let admin = caller(SERVICE_KEY);
    let module = module_with_user(&admin, url, "alice", "Sesame1234").await;

    // A keytab whose key was drawn anew since: the ticket does not decrypt.
    set_keytab(&admin, url, &module, &old_keytab).await;
    let token = kdc.token(&alice, TARGET, Mech::Spnego);
    let (s, e) = verify(&admin, url, json!({"ktoken": token})).await;
    assert_error(s, &e, 401, "does not decrypt");
    // With the current keytab the same token is accepted (it was not spent).
    set_keytab(&admin, url, &module, &new_keytab).await;
    let (s, r) = verify(&admin, url, json!({"ktoken": token})).await;
    assert_eq!((s, r["username"].as_str()), (200, Some("alice")), "{r}");

    // A ticket of another realm (its own service principal): no key for it.
    let stranger = other.kinit("alice", "Alice-Krb-1", None);
    let (s, e) = verify(&admin, url, json!({"ktoken": other.token(&stranger, TARGET, Mech::Spnego)})).await;
    assert_error(s, &e, 401, "no service principal");

    // An expired ticket (2 s of life, 2 s of skew allowed).
    let short = kdc.kinit("alice", "Alice-Krb-1", Some("2s"));
    let token = kdc.token(&short, TARGET, Mech::Spnego);
    tokio::time::sleep(std::time::Duration::from_secs(6)).await;
    let (s, e) = verify(&admin, url, json!({"ktoken": token})).await;
    assert_error(s, &e, 401, "expired");

    // A token made a few seconds ago by a valid ticket: outside the 2 s skew.
    let token = kdc.token(&alice, TARGET, Mech::Spnego);
    tokio::time::sleep(std::time::Duration::from_secs(4)).await;
    let (s, e) = verify(&admin, url, json!({"ktoken": token})).await;
    assert_error(s, &e, 401, "clock skew");

    // Kerberos switched off: no module checks tickets.
    let body = json!({"kerberos_config": {"enabled": false}});
    let (s, m) = sealed(&admin, url, Method::PATCH, &community_path(&format!("/module/{module}")), Some(&body)).await;
    assert_eq!((s, &m["kerberos_config"]), (200, &json!({"enabled": false, "keytab_file_set": true})), "{m}");
    let (s, e) = verify(&admin, url, json!({"ktoken": kdc.token(&alice, TARGET, Mech::Spnego)})).await;
    assert_error(s, &e, 400, "kerberos_config");

    // A keytab that is not one.
    let body = json!({"kerberos_config": {"enabled": true, "keytab_file": b64(b"not a keytab")}});
    let (s, e) = sealed(&admin, url, Method::PATCH, &community_path(&format!("/module/{module}")), Some(&body)).await;
    assert_error(s, &e, 400, "keytab");
}
