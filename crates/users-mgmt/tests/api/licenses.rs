//! users-mgmt checks license keys with the authority (adminapi, started in-process): levels of
//! its service-key endpoints, keys disabled at the authority (after the cache TTL), and the
//! authority being down.

use std::sync::Arc;

use adminapi::domain::licenses::LicenseSpec;
use adminapi::domain::licenses::create_license;
use adminapi::store::Stores;
use envelope::{Client, Curve, KeyPair};
use kit::db::{Db, KIT_MIGRATIONS};
use kit::license::{KeyType, Level, LicenseRecord};
use kit::testing::{Storage, spawn_service, test_env};
use reqwest::Method;
use serde_json::{Value, json};

/// The authority and users-mgmt using it, with cache TTLs of `ttl` seconds.
struct Pair {
    users: String,
    stores: Stores,
}

async fn start(storage: Storage, test: &str, ttl: &str) -> Option<Pair> {
    let env = test_env(storage, test).await?;
    let settings = kit::Settings::from_source(&env, adminapi::SERVICE, 0).unwrap();
    let authority = spawn_service(adminapi::SERVICE, &env, adminapi::build).await;
    let db = Db::connect(&settings.database_url.0).await.unwrap();
    db.migrate(&[&KIT_MIGRATIONS, &adminapi::ADMINAPI_MIGRATIONS]).await.unwrap();
    let mut env = test_env(storage, test).await?;
    env.insert("SERVICE_DIRECTORY".into(), json!({"licenses": authority.url}).to_string());
    env.insert("LICENSE_CACHE_TTL".into(), ttl.into());
    env.insert("LICENSE_NEGATIVE_CACHE_TTL".into(), ttl.into());
    let users = spawn_service(users_mgmt::SERVICE, &env, users_mgmt::build).await;
    Some(Pair { users: users.url, stores: Stores::sql(&db) })
}

impl Pair {
    async fn license(&self, level: Level) -> LicenseRecord {
        let spec = LicenseSpec {
            key_type: KeyType::Hawk,
            level,
            tag: format!("{level}"),
            expiry: envelope::wire::now_epoch() + 86_400,
            communities: None,
        };
        create_license(&*self.stores.tenancy, &*self.stores.licenses, &spec, Curve::Secp256k1).await.unwrap()
    }
}

async fn call(url: &str, key: &str, method: Method, path: &str) -> (u16, Value) {
    let client = Client::new(Arc::new(KeyPair::generate(Curve::Secp256k1).unwrap())).unwrap().license(key);
    let reply = client.call::<()>(method, url, path, None).await.unwrap();
    (reply.status, reply.body)
}

#[tokio::test]
async fn service_keys_accept_only_system_keys_known_to_the_authority() {
    for storage in [Storage::Embedded, Storage::Postgres] {
        let Some(p) = start(storage, "users-mgmt licenses", "300").await else { continue };
        let mut keys = Vec::new();
        for level in Level::ALL {
            keys.push((level, p.license(level).await));
        }
        for (method, path, ok) in [(Method::GET, "/servicekeys", 200), (Method::DELETE, "/servicekey/nope", 404)] {
            for (level, key) in &keys {
                let (s, r) = call(&p.users, &key.key_secret, method.clone(), path).await;
                let expected = if *level == Level::System { ok } else { 403 };
                assert_eq!(s, expected, "{storage:?} {method} {path} {level}: {r}");
            }
            let (s, r) = call(&p.users, "unknown-key", method.clone(), path).await;
            assert_eq!((s, r["statusCode"].as_u64()), (401, Some(401)));
        }
        // The list comes from the authority, forwarded with the caller's key.
        let (_, list) = call(&p.users, &keys[0].1.key_secret, Method::GET, "/servicekeys").await;
        assert_eq!(list.as_array().unwrap().len(), Level::ALL.len(), "{list}");
        let app = &keys[3].1;
        let (s, fresh) =
            call(&p.users, &keys[0].1.key_secret, Method::DELETE, &format!("/servicekey/{}", app.key_id)).await;
        assert_eq!((s, fresh[0]["authLevel"].as_str()), (200, Some("app")), "{fresh}");
        assert!(p.stores.licenses.license(&app.key_id).await.unwrap().is_none());
        // An ecdsa keyId (base64, may hold `/` and `+`) is forwarded percent-encoded.
        let spec = LicenseSpec {
            key_type: KeyType::Ecdsa,
            level: Level::App,
            tag: "ecdsa".into(),
            expiry: envelope::wire::now_epoch() + 86_400,
            communities: None,
        };
        let ecdsa = create_license(&*p.stores.tenancy, &*p.stores.licenses, &spec, Curve::Secp256k1).await.unwrap();
        let path = format!("/servicekey/{}", ecdsa.key_id.replace('/', "%2F").replace('+', "%2B").replace('=', "%3D"));
        let (s, fresh) = call(&p.users, &keys[0].1.key_secret, Method::DELETE, &path).await;
        assert_eq!((s, fresh[0]["type"].as_str()), (200, Some("ecdsa")), "{fresh}");
    }
}

#[tokio::test]
async fn a_key_disabled_at_the_authority_is_refused_after_the_cache_ttl() {
    // LICENSE_CACHE_TTL=1: a disabled key may be accepted for up to a second, not longer.
    let p = start(Storage::Embedded, "disabled key", "1").await.unwrap();
    let system = p.license(Level::System).await;
    assert_eq!(call(&p.users, &system.key_secret, Method::GET, "/servicekeys").await.0, 200);
    p.stores.licenses.set_disabled(&system.key_id, true).await.unwrap();
    let mut last = 0;
    for _ in 0..100 {
        last = call(&p.users, &system.key_secret, Method::GET, "/servicekeys").await.0;
        if last == 401 {
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    }
    assert_eq!(last, 401);
    p.stores.licenses.set_disabled(&system.key_id, false).await.unwrap();
    let mut last = 0;
    for _ in 0..100 {
        last = call(&p.users, &system.key_secret, Method::GET, "/servicekeys").await.0;
        if last == 200 {
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    }
    assert_eq!(last, 200, "enabled again once the refusal has left the cache");
}

#[tokio::test]
async fn an_unreachable_authority_gives_503_not_a_crash() {
    let closed = std::net::TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port();
    let mut env = test_env(Storage::Embedded, "authority down").await.unwrap();
    env.insert("SERVICE_DIRECTORY".into(), json!({"licenses": format!("http://127.0.0.1:{closed}")}).to_string());
    let users = spawn_service(users_mgmt::SERVICE, &env, users_mgmt::build).await;
    let (s, r) = call(&users.url, "some-system-key", Method::GET, "/servicekeys").await;
    assert_eq!((s, r["statusCode"].as_u64()), (503, Some(503)), "{r}");
    assert!(r["message"].as_str().unwrap().contains("license authority"), "{r}");
    let health = reqwest::get(format!("{}/healthz", users.url)).await.unwrap();
    assert_eq!(health.status().as_u16(), 200);
}
