//! Server-held passkeys over HTTP: a real P-256 key registered as a JWK (a key that is not one is
//! a 400 naming the flaw), fetched back only in a sealed reply; system, service and service_ext
//! keys act alone, app keys need the user's own proof of authentication; the private key is never
//! in a reply to a registration, in the database or in the log.

use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD as B64URL;
use p256::elliptic_curve::Generate as _;
use reqwest::Method;
use serde_json::{Value, json};

use crate::authenticate::{FAST_ARGON2, add_user, authenticate, module_with_user};
use crate::helpers::*;

const FILTER: &str = "debug,users_mgmt=trace,kit=trace,envelope=trace,sqlx=trace,actix_web=trace,actix_http=trace,\
                      tracing_actix_web=trace,h2=info,hyper=info,hyper_util=info,rustls=info,mio=info";

/// A fresh P-256 key as the spec's `privateKey`.
fn private_key() -> Value {
    let secret = p256::SecretKey::try_generate().unwrap();
    let point = secret.public_key().to_sec1_bytes();
    json!({
        "jwk": {"kty": "EC", "crv": "P-256", "key_ops": ["sign"], "ext": true,
            "d": B64URL.encode(secret.to_bytes()), "x": B64URL.encode(&point[1..33]), "y": B64URL.encode(&point[33..65])},
        "algorithm": "ES256",
        "curve": "P-256",
    })
}

fn registration(id: &str, key: &Value, user: &str) -> Value {
    json!({"credentialId": id, "privateKey": key, "rpId": "login.microsoft.com", "userId": "dXNlci1oYW5kbGU",
        "userName": user, "userDisplayName": "Jane", "entraAuthMethodId": "entra-1", "createdAt": "2026-01-02T03:04:05Z"})
}

fn database_bytes(dir: &std::path::Path) -> Vec<u8> {
    let mut bytes = Vec::new();
    for entry in std::fs::read_dir(dir).unwrap() {
        let path = entry.unwrap().path();
        if path.file_name().and_then(|n| n.to_str()).is_some_and(|n| n.contains(".db")) {
            bytes.extend(std::fs::read(&path).unwrap());
        }
    }
    assert!(!bytes.is_empty(), "no database in {}", dir.display());
    bytes
}

#[tokio::test]
async fn a_passkey_is_registered_checked_sealed_and_fetched_back() {
    kit::testing::logs::start(FILTER);
    let dir = std::env::temp_dir().join(format!("passkeys-{}", uuid::Uuid::new_v4().simple()));
    let data_dir = dir.display().to_string();
    let env = [FAST_ARGON2[0], FAST_ARGON2[1], ("DATA_DIR", data_dir.as_str())];
    let Some(app) = spawn(kit::testing::Storage::Embedded, "passkeys", &env).await else { return };
    let url = app.url.as_str();
    let service = caller(SERVICE_KEY);
    let module = module_with_user(&service, url, "jane", "Sesame1234").await;
    add_user(&service, url, &module, "bob", "Harbor5678").await;
    let (register, fetch) = (community_path("/passkey/register"), community_path("/passkey"));
    let (first, second) = (private_key(), private_key());
    let secrets = [first["jwk"]["d"].as_str().unwrap().to_owned(), second["jwk"]["d"].as_str().unwrap().to_owned()];

    // A service key registers for any user of the community; the reply holds no key.
    let (s, r) = sealed(&service, url, Method::POST, &register, Some(&registration("cred-1", &first, "Jane"))).await;
    assert_eq!((s, &r), (200, &json!({"success": true, "credentialId": "cred-1"})));
    let (s, r) = sealed(&service, url, Method::POST, &register, Some(&registration("cred-1", &second, "jane"))).await;
    assert_error(s, &r, 409, "already registered");
    let (s, r) = sealed(&service, url, Method::POST, &register, Some(&registration("cred-x", &first, "ghost"))).await;
    assert_error(s, &r, 404, "user not found");

    // Not a key: each flaw named, never the value.
    let mut mismatched = first.clone();
    mismatched["jwk"]["d"] = second["jwk"]["d"].clone();
    let mut off_curve = first.clone();
    off_curve["jwk"]["y"] = second["jwk"]["y"].clone();
    let mut wrong_curve = first.clone();
    wrong_curve["jwk"]["crv"] = json!("P-384");
    for (key, needle) in [
        (mismatched, "jwk.d is not the private key of jwk.x and jwk.y"),
        (off_curve, "must be a point of P-256"),
        (wrong_curve, "crv P-256"),
    ] {
        let (s, r) = sealed(&service, url, Method::POST, &register, Some(&registration("cred-2", &key, "jane"))).await;
        assert_error(s, &r, 400, needle);
        assert!(!secrets.iter().any(|d| r.to_string().contains(d.as_str())), "{r}");
    }
    let mut bad_date = registration("cred-2", &second, "jane");
    bad_date["createdAt"] = json!("yesterday");
    let (s, r) = sealed(&service, url, Method::POST, &register, Some(&bad_date)).await;
    assert_error(s, &r, 400, "createdAt");

    // An app key needs jane's own proof of authentication (body or authorization header).
    let app = caller(APP_KEY);
    let (s, r) = sealed(&app, url, Method::POST, &register, Some(&registration("cred-2", &second, "jane"))).await;
    assert_error(s, &r, 401, "jwt is required");
    let (s, bob) =
        authenticate(&app, url, json!({"authModule": module, "username": "bob", "password": "Harbor5678"})).await;
    assert_eq!(s, 200, "{bob}");
    let mut with_bob = registration("cred-2", &second, "jane");
    with_bob["jwt"] = bob["proof_of_authentication_jwt"].clone();
    let (s, r) = sealed(&app, url, Method::POST, &register, Some(&with_bob)).await;
    assert_error(s, &r, 401, "another user");
    let (s, auth) =
        authenticate(&app, url, json!({"authModule": module, "username": "jane", "password": "Sesame1234"})).await;
    assert_eq!(s, 200, "{auth}");
    let jwt = auth["proof_of_authentication_jwt"].as_str().unwrap().to_owned();
    let mut with_jwt = registration("cred-2", &second, "jane");
    with_jwt["jwt"] = json!(jwt);
    let (s, r) = sealed(&app, url, Method::POST, &register, Some(&with_jwt)).await;
    assert_eq!((s, &r["credentialId"]), (200, &json!("cred-2")), "{r}");

    // Fetch: the newest passkey, sealed only; the key is the one registered.
    let (s, r, _) = plain(&service, url, Method::POST, &fetch, Some(&json!({"data": {"userName": "jane"}}))).await;
    assert_error(s, &r, 400, "send the request sealed");
    let (s, r) = sealed(&service, url, Method::POST, &fetch, Some(&json!({"userName": "jane"}))).await;
    assert_eq!(s, 200, "status");
    let c = &r["credential"];
    assert_eq!(
        (r["success"].as_bool(), c["id"].as_str(), c["rpId"].as_str()),
        (Some(true), Some("cred-2"), Some("login.microsoft.com"))
    );
    assert_eq!(
        (c["userHandle"].as_str(), c["userName"].as_str(), c["signCount"].as_u64()),
        (Some("dXNlci1oYW5kbGU"), Some("jane"), Some(0))
    );
    assert_eq!(c["privateKey"], second, "the JWK comes back as registered");
    let (s, r) = sealed(&service, url, Method::POST, &fetch, Some(&json!({"userName": "bob"}))).await;
    assert_error(s, &r, 404, "no passkey");
    let (s, r) = sealed(&app, url, Method::POST, &fetch, Some(&json!({"userName": "jane"}))).await;
    assert_error(s, &r, 401, "jwt is required");
    // The JWT as the authorization header.
    let peer = app.peer(url).await.unwrap();
    let mut req = app.http().request(Method::POST, format!("{url}{fetch}"));
    for (name, value) in app.headers(&peer).unwrap().pairs() {
        req = req.header(name, value);
    }
    let body = envelope::wire::SealedBody::seal(&peer.shared, &json!({"userName": "jane"})).unwrap();
    let resp = req.header("authorization", format!("Bearer {jwt}")).json(&body).send().await.unwrap();
    let status = resp.status().as_u16();
    let reply = envelope::client::open_reply(status, &resp.bytes().await.unwrap(), &peer.shared);
    assert_eq!((reply.status, reply.sealed), (200, true), "{}", reply.body);
    let (s, _) = sealed(&caller(SERVICE_EXT_KEY), url, Method::POST, &fetch, Some(&json!({"userName": "jane"}))).await;
    assert_eq!(s, 200, "service_ext acts without a JWT");

    // Neither the database nor the log holds a private key.
    let db = database_bytes(&dir);
    let log = kit::testing::logs::text();
    for d in &secrets {
        assert!(!db.windows(d.len()).any(|w| w == d.as_bytes()), "a private key in the database");
        assert!(!kit::testing::logs::holds(&log, d), "a private key in the log");
    }
    assert!(!kit::testing::logs::holds(&log, &jwt), "a token in the log");
}

#[tokio::test]
async fn passkeys_are_kept_on_every_database() {
    for storage in STORAGES {
        let Some(app) = spawn(storage, "passkeys storage", &FAST_ARGON2).await else { continue };
        let url = app.url.as_str();
        let service = caller(SERVICE_KEY);
        module_with_user(&service, url, "jane", "Sesame1234").await;
        let (register, fetch) = (community_path("/passkey/register"), community_path("/passkey"));
        let (older, newer) = (private_key(), private_key());
        for (id, key) in [("cred-a", &older), ("cred-b", &newer)] {
            let (s, r) = sealed(&service, url, Method::POST, &register, Some(&registration(id, key, "jane"))).await;
            assert_eq!(s, 200, "{r}");
        }
        let (s, r) = sealed(&service, url, Method::POST, &fetch, Some(&json!({"userName": "JANE"}))).await;
        assert_eq!((s, r["credential"]["id"].as_str()), (200, Some("cred-b")), "the newest");
        assert_eq!(r["credential"]["privateKey"], newer);
    }
}
