//! The license authority over HTTP: the SDK's license checks, the service-key endpoints per
//! level, community lookups, the extras list, and the bootstrap command.

use std::sync::Arc;

use adminapi::domain::licenses::{self, LicenseSpec};
use adminapi::domain::tenancy;
use adminapi::store::Stores;
use envelope::{Client, Curve, KeyPair};
use kit::db::{Db, KIT_MIGRATIONS};
use kit::license::{KeyType, Level, LicenseRecord};
use kit::testing::{Storage, spawn_service, test_env};
use reqwest::Method;
use serde_json::{Value, json};

use crate::helpers::SYSTEM_KEY;
use kit::testing::{INFRA_KEY, SERVICE_KEY};

struct Admin {
    url: String,
    stores: Stores,
    db: Db,
}

async fn admin(storage: Storage, test: &str) -> Option<Admin> {
    admin_with(storage, test, &[]).await
}

async fn admin_with(storage: Storage, test: &str, extra: &[(&str, &str)]) -> Option<Admin> {
    let mut env = test_env(storage, test).await?;
    env.insert("LICENSE_KEYS".into(), format!("system:{SYSTEM_KEY},service:{SERVICE_KEY}"));
    for (k, v) in extra {
        env.insert((*k).to_owned(), (*v).to_owned());
    }
    let settings = kit::Settings::from_source(&env, adminapi::SERVICE, 0).unwrap();
    let app = spawn_service(adminapi::SERVICE, &env, adminapi::build).await;
    let db = Db::connect(&settings.database_url.0).await.unwrap();
    db.migrate(&[&KIT_MIGRATIONS, &adminapi::ADMINAPI_MIGRATIONS]).await.unwrap();
    Some(Admin { url: app.url, stores: Stores::sql(&db), db })
}

impl Admin {
    async fn license(&self, key_type: KeyType, level: Level, communities: Option<Vec<String>>) -> LicenseRecord {
        let spec = LicenseSpec {
            key_type,
            level,
            tag: format!("{level}-tag"),
            expiry: envelope::wire::now_epoch() + 86_400,
            communities,
        };
        licenses::create_license(&*self.stores.tenancy, &*self.stores.licenses, &spec, Curve::Secp256k1).await.unwrap()
    }

    async fn call(&self, key: Option<&str>, method: Method, path: &str, body: Option<&Value>) -> (u16, Value) {
        let mut client = Client::new(Arc::new(KeyPair::generate(Curve::Secp256k1).unwrap())).unwrap();
        if let Some(k) = key {
            client = client.license(k);
        }
        let reply = client.call(method, &self.url, path, body).await.unwrap();
        (reply.status, reply.body)
    }
}

#[tokio::test]
async fn the_sdk_license_checks_answer_the_record_on_every_database() {
    for storage in [Storage::Embedded, Storage::Postgres] {
        let Some(a) = admin(storage, "sdk license checks").await else { continue };
        let tenant = tenancy::create_tenant(&*a.stores.tenancy, "acme.example.com", "Acme", "acme").await.unwrap();
        let c1 = tenancy::create_community(&*a.stores.tenancy, &tenant.id, "default").await.unwrap();
        let c2 = tenancy::create_community(&*a.stores.tenancy, "acme.example.com", "other").await.unwrap();
        let hawk = a.license(KeyType::Hawk, Level::Service, None).await;
        let ecdsa = a.license(KeyType::Ecdsa, Level::App, Some(vec![c1.id.clone()])).await;

        let (s, r) = a.call(Some(&hawk.key_secret), Method::GET, "/servicekey/current", None).await;
        assert_eq!(s, 200, "{storage:?} {r}");
        assert_eq!(r["keyId"], hawk.key_id);
        assert_eq!(r["keySecret"], hawk.key_secret);
        assert_eq!(
            (r["type"].as_str(), r["authLevel"].as_str(), r["disabled"].as_bool()),
            (Some("hawk"), Some("service"), Some(false))
        );
        assert!(r["expiry"].as_str().unwrap().ends_with('Z'), "{r}");
        let (s, r) = a.call(Some(&ecdsa.key_secret), Method::GET, "/servicekey/current", None).await;
        assert_eq!((s, r["keyId"].as_str()), (200, Some(ecdsa.key_id.as_str())));
        assert_eq!(r["type"], "ecdsa");

        let check = |c: &str| format!("/community/{c}/licensecheck");
        let (s, r) = a.call(Some(&ecdsa.key_secret), Method::GET, &check(&c1.id), None).await;
        assert_eq!((s, r["isAuthorized"].as_bool()), (200, Some(true)), "{r}");
        let (_, r) = a.call(Some(&ecdsa.key_secret), Method::GET, &check(&c2.id), None).await;
        assert_eq!(r["isAuthorized"], false, "limited to another community");
        let (_, r) = a.call(Some(&hawk.key_secret), Method::GET, &check(&c2.id), None).await;
        assert_eq!(r["isAuthorized"], true, "no limit");
        let (s, r) = a.call(Some(&hawk.key_secret), Method::GET, &check("not-an-id"), None).await;
        assert_eq!(s, 404, "an id that is not an ObjectId names no community: {r}");
        for key in [SYSTEM_KEY, hawk.key_secret.as_str()] {
            let (s, r) = a.call(Some(key), Method::GET, &check("5f3d8d0cd866fa61019cf999"), None).await;
            assert_eq!((s, r["statusCode"].as_u64()), (404, Some(404)), "a community that does not exist: {r}");
        }

        // Disabled and expired keys: the record says so, the SDK refuses it, and gated endpoints answer 401.
        a.stores.licenses.set_disabled(&hawk.key_id, true).await.unwrap();
        let (s, r) = a.call(Some(&hawk.key_secret), Method::GET, "/servicekey/current", None).await;
        assert_eq!((s, r["disabled"].as_bool()), (200, Some(true)));
        let (_, r) = a.call(Some(&hawk.key_secret), Method::GET, &check(&c1.id), None).await;
        assert_eq!(r["isAuthorized"], false);
        let mut expired = a.license(KeyType::Hawk, Level::System, None).await;
        expired.expiry = envelope::wire::now_epoch() - 5;
        expired.key_id.push('x');
        expired.key_secret.push('x');
        a.stores.licenses.insert_license(&expired).await.unwrap();
        let (_, r) = a.call(Some(&expired.key_secret), Method::GET, &check(&c1.id), None).await;
        assert_eq!(r["isAuthorized"], false, "{r}");
        for key in [&hawk.key_secret, &expired.key_secret] {
            let (s, r) = a.call(Some(key), Method::GET, "/servicekeys", None).await;
            assert_eq!((s, r["statusCode"].as_u64()), (401, Some(401)), "{r}");
        }

        for key in [Some("unknown-key"), None] {
            let (s, r) = a.call(key, Method::GET, "/servicekey/current", None).await;
            assert_eq!((s, r["statusCode"].as_u64()), (401, Some(401)), "{r}");
        }
    }
}

#[tokio::test]
async fn service_key_endpoints_accept_only_system_keys_and_reset_replaces_the_key() {
    let a = admin(Storage::Embedded, "service keys").await.unwrap();
    let mut keys = Vec::new();
    for level in Level::ALL {
        keys.push((level, a.license(KeyType::Hawk, level, None).await));
    }
    // Level table: (method, path, accepted levels, status for an accepted level).
    let table: [(Method, &str, &[Level], u16); 2] = [
        (Method::GET, "/servicekeys", &[Level::System], 200),
        (Method::DELETE, "/servicekey/no-such-key", &[Level::System], 404),
    ];
    for (method, path, accepted, ok) in &table {
        for (level, key) in &keys {
            let (s, r) = a.call(Some(&key.key_secret), method.clone(), path, None).await;
            let expected = if accepted.contains(level) { *ok } else { 403 };
            assert_eq!(s, expected, "{method} {path} with {level}: {r}");
        }
    }
    let (s, list) = a.call(Some(SYSTEM_KEY), Method::GET, "/servicekeys", None).await;
    assert_eq!(s, 200);
    let list = list.as_array().unwrap();
    for key in list {
        for field in ["tag", "keyId", "keySecret", "type"] {
            assert!(key[field].is_string(), "the documented {field}: {key}");
        }
    }
    assert_eq!(list.len(), Level::ALL.len() + 2, "the two configured keys and the stored ones");
    let app = &keys[3].1;
    assert!(list.iter().any(|k| k["keyId"] == app.key_id && k["keySecret"] == app.key_secret && k["tag"] == "app-tag"));

    let (s, fresh) = a.call(Some(SYSTEM_KEY), Method::DELETE, &format!("/servicekey/{}", app.key_id), None).await;
    assert_eq!(s, 200, "{fresh}");
    let fresh = &fresh[0];
    assert_ne!(fresh["keySecret"], app.key_secret);
    assert_eq!((fresh["authLevel"].as_str(), fresh["tag"].as_str()), (Some("app"), Some("app-tag")));
    let (s, _) = a.call(Some(&app.key_secret), Method::GET, "/servicekey/current", None).await;
    assert_eq!(s, 401, "the old key is gone");
    let (s, _) = a.call(fresh["keySecret"].as_str(), Method::GET, "/servicekey/current", None).await;
    assert_eq!(s, 200, "the new key works");
    // An ecdsa keyId is base64 (it may hold `/` and `+`): it is sent percent-encoded.
    let ecdsa = a.license(KeyType::Ecdsa, Level::Service, None).await;
    let encoded: String = ecdsa
        .key_id
        .bytes()
        .map(|b| if b.is_ascii_alphanumeric() { char::from(b).to_string() } else { format!("%{b:02X}") })
        .collect();
    let (s, fresh) = a.call(Some(SYSTEM_KEY), Method::DELETE, &format!("/servicekey/{encoded}"), None).await;
    assert_eq!((s, fresh[0]["type"].as_str()), (200, Some("ecdsa")), "{fresh}");
    assert!(a.stores.licenses.license(&ecdsa.key_id).await.unwrap().is_none());
    let configured = kit::license::secret_hash(SYSTEM_KEY);
    let (s, _) = a.call(Some(SYSTEM_KEY), Method::DELETE, &format!("/servicekey/{configured}"), None).await;
    assert_eq!(s, 409, "a key from the environment cannot be reset here");
}

#[tokio::test]
async fn communities_are_found_by_dns_and_name() {
    let a = admin(Storage::Embedded, "community lookups").await.unwrap();
    let tenant = tenancy::create_tenant(&*a.stores.tenancy, "Acme.Example.com", "Acme", "acme").await.unwrap();
    let c = tenancy::create_community(&*a.stores.tenancy, &tenant.id, "default").await.unwrap();
    assert!(tenancy::create_community(&*a.stores.tenancy, &tenant.id, "default").await.is_err(), "names are unique");
    assert!(
        tenancy::create_tenant(&*a.stores.tenancy, "acme.example.com", "Again", "x").await.is_err(),
        "dns is unique"
    );

    let body = json!({"dns": "acme.example.com", "communityName": "default"});
    let (s, r) = a.call(None, Method::POST, "/community_auth_info/fetch", Some(&body)).await;
    assert_eq!(s, 200, "{r}");
    assert_eq!(
        (r["community"]["id"].as_str(), r["tenant"]["id"].as_str()),
        (Some(c.id.as_str()), Some(tenant.id.as_str()))
    );
    assert!(r["authScheme"].is_object() && r["password_reset_options"].is_object());
    let missing = json!({"dns": "acme.example.com", "communityName": "nope"});
    let (s, r) = a.call(None, Method::POST, "/community_auth_info/fetch", Some(&missing)).await;
    assert_eq!((s, r["statusCode"].as_u64()), (404, Some(404)));
    let (s, _) = a.call(None, Method::POST, "/community_auth_info/fetch", Some(&json!({"dns": "x"}))).await;
    assert_eq!(s, 400);

    let http = reqwest::Client::new();
    let info = |b: Value| http.post(format!("{}/community_info/fetch", a.url)).json(&b).send();
    let r = info(json!({"dns": "acme.example.com", "communityName": "default"})).await.unwrap();
    assert_eq!(r.status().as_u16(), 200);
    let r: Value = r.json().await.unwrap();
    assert_eq!((r["community"]["name"].as_str(), r["tenant"]["tenanttag"].as_str()), (Some("default"), Some("acme")));
    // The SDKs (BIDOTP, BIDUsers) encrypt their calls for the community's publicKey: adminapi's.
    let keys: Value = http.get(format!("{}/publickeys", a.url)).send().await.unwrap().json().await.unwrap();
    assert_eq!(r["community"]["publicKey"], keys["publicKey"], "{r}");
    let r = info(json!({"tenantId": tenant.id, "communityId": c.id})).await.unwrap();
    assert_eq!(r.status().as_u16(), 200);
    let r = info(json!({"communityName": "default"})).await.unwrap();
    assert_eq!(r.status().as_u16(), 400);
    // A communityId alone names its tenant too: how the other services check a community.
    let r = info(json!({"communityId": c.id})).await.unwrap();
    assert_eq!(r.status().as_u16(), 200);
    let r: Value = r.json().await.unwrap();
    assert_eq!(
        (r["community"]["tenantid"].as_str(), r["tenant"]["id"].as_str()),
        (Some(tenant.id.as_str()), Some(tenant.id.as_str()))
    );
    let r = info(json!({"communityId": "aaaaaaaaaaaaaaaaaaaaaaaa"})).await.unwrap();
    assert_eq!(r.status().as_u16(), 404);
    let r = info(json!({"communityId": "not-an-id"})).await.unwrap();
    assert_eq!(r.status().as_u16(), 400);
}

#[tokio::test]
async fn a_system_key_limited_to_communities_manages_only_their_keys() {
    let Some(a) = admin(Storage::Embedded, "limited system key").await else { return };
    let tenant = tenancy::create_tenant(&*a.stores.tenancy, "acme.example.com", "Acme", "acme").await.unwrap();
    let c1 = tenancy::create_community(&*a.stores.tenancy, &tenant.id, "one").await.unwrap();
    let c2 = tenancy::create_community(&*a.stores.tenancy, &tenant.id, "two").await.unwrap();
    let limited = a.license(KeyType::Hawk, Level::System, Some(vec![c1.id.clone()])).await;
    let mine = a.license(KeyType::Hawk, Level::App, Some(vec![c1.id.clone()])).await;
    let theirs = a.license(KeyType::Hawk, Level::App, Some(vec![c2.id.clone()])).await;
    let both = a.license(KeyType::Hawk, Level::App, Some(vec![c1.id.clone(), c2.id.clone()])).await;
    let everywhere = a.license(KeyType::Hawk, Level::Service, None).await;

    let (s, list) = a.call(Some(&limited.key_secret), Method::GET, "/servicekeys", None).await;
    assert_eq!(s, 200, "{list}");
    let ids: Vec<&str> = list.as_array().unwrap().iter().map(|k| k["keyId"].as_str().unwrap()).collect();
    assert!(ids.contains(&mine.key_id.as_str()) && ids.contains(&limited.key_id.as_str()), "{ids:?}");
    for other in [&theirs, &both, &everywhere] {
        assert!(!ids.contains(&other.key_id.as_str()), "beyond its communities: {ids:?}");
    }
    assert!(!list.to_string().contains(SYSTEM_KEY), "the configured unrestricted key stays hidden");
    for other in [&theirs, &both, &everywhere] {
        let (s, r) =
            a.call(Some(&limited.key_secret), Method::DELETE, &format!("/servicekey/{}", other.key_id), None).await;
        assert_eq!(s, 404, "{r}");
        assert!(a.stores.licenses.license(&other.key_id).await.unwrap().is_some(), "left as it was");
    }
    let (s, r) = a.call(Some(&limited.key_secret), Method::DELETE, &format!("/servicekey/{}", mine.key_id), None).await;
    assert_eq!(s, 200, "{r}");
    let (_, all) = a.call(Some(SYSTEM_KEY), Method::GET, "/servicekeys", None).await;
    assert!(all.as_array().unwrap().iter().any(|k| k["keyId"] == everywhere.key_id), "an unrestricted key sees all");
}

#[tokio::test]
async fn the_sdk_deletes_a_license_by_query_with_the_infra_key() {
    let Some(a) = admin_with(Storage::Embedded, "delete by query", &[("INFRA_LICENSE_KEY", INFRA_KEY)]).await else {
        return;
    };
    let app = a.license(KeyType::Hawk, Level::App, None).await;
    let by_query = |id: &str| format!("/servicekey?keyId={}", id);
    // As BIDLicenses.deleteLicense sends it: the deployment's infra key, the keyId in the query.
    let (s, fresh) = a.call(Some(INFRA_KEY), Method::DELETE, &by_query(&app.key_id), None).await;
    assert_eq!(s, 200, "{fresh}");
    assert_ne!(fresh[0]["keySecret"], app.key_secret);
    let (s, _) = a.call(Some(&app.key_secret), Method::GET, "/servicekey/current", None).await;
    assert_eq!(s, 401, "the old key no longer works");
    let other = a.license(KeyType::Hawk, Level::App, None).await;
    let (s, r) = a.call(Some(SERVICE_KEY), Method::DELETE, &by_query(&other.key_id), None).await;
    assert_eq!(s, 403, "any other service key is refused: {r}");
    let (s, _) = a.call(Some(SYSTEM_KEY), Method::DELETE, &by_query(&other.key_id), None).await;
    assert_eq!(s, 200, "a system key may");
    let (s, r) = a.call(Some(SYSTEM_KEY), Method::DELETE, "/servicekey", None).await;
    assert_eq!(s, 400, "keyId is required: {r}");
}

#[tokio::test]
async fn an_unreadable_row_is_a_500_not_an_outage() {
    for storage in [Storage::Embedded, Storage::Postgres] {
        let Some(a) = admin(storage, "unreadable row").await else { continue };
        let secret = "a-key-whose-row-is-damaged";
        sqlx::query(
            "INSERT INTO licenses (key_id, secret_hash, key_secret, key_type, auth_level, tag, expiry, disabled, \
             communities, created_at) VALUES ($1, $2, $3, 'no-such-type', 'system', 't', $4, 0, NULL, 0)",
        )
        .bind(kit::license::secret_hash(secret))
        .bind(kit::license::secret_hash(secret))
        .bind(secret)
        .bind(envelope::wire::now_epoch() + 3600)
        .execute(a.db.pool())
        .await
        .unwrap();
        let (s, r) = a.call(Some(secret), Method::GET, "/servicekey/current", None).await;
        assert_eq!((s, r["message"].as_str()), (500, Some("Internal server error")), "{storage:?} {r}");
        let (s, _) = a.call(Some(SYSTEM_KEY), Method::GET, "/servicekeys", None).await;
        assert_eq!(s, 500, "{storage:?}: listing meets the damaged row too");
    }
}

#[test]
fn routes_outside_the_catalog_are_the_sdk_calls_and_the_document() {
    let table = adminapi::routes::table();
    let outside: Vec<String> = table
        .endpoints()
        .iter()
        .filter(|e| e.reason().is_some_and(|r| !r.is_empty()))
        .map(|e| format!("{} {}", e.methods().join(","), e.path()))
        .collect();
    assert_eq!(
        outside,
        [
            "GET /openapi.json",
            "GET /metrics",
            "POST /ecdsa_helper",
            "DELETE /servicekey",
            "POST /community_info/fetch",
            "GET /servicekey/current",
            "GET /community/{communityId}/licensecheck",
            "POST /api/r2/otp/generate",
            "POST /api/r2/otp/verify",
            "GET /api/r1/acr/community/{communityName}/{code}",
            "POST /api/r1/acr/community/{communityName}/{code}/redeem",
            "GET /images/{sha256}",
            "GET /tenant/{tenantId}/community/{communityId}/oidc/.well-known/openid-configuration",
            "GET /tenant/{tenantId}/community/{communityId}/oidc/jwks",
            "GET /tenant/{tenantId}/community/{communityId}/oidc/authorize",
            "POST /tenant/{tenantId}/community/{communityId}/oidc/token",
            "GET /tenant/{tenantId}/community/{communityId}/oidc/userinfo",
            "POST /saml/acs/token",
            "GET /tenant/{tenantId}/community/{communityId}/external_idp/oidc/login",
            "GET /tenant/{tenantId}/community/{communityId}/external_idp/oidc/callback",
            "POST /infra/community_notice",
            "GET /downloads/reports/tenant/{tenantId}/community/{communityId}/job/{jobId}/report.csv",
        ]
    );
    assert!(table.catalog_mismatches().is_empty());
}

#[test]
fn the_cli_refuses_a_validity_of_zero_days_and_takes_an_explicit_expiry() {
    let dir = std::env::temp_dir().join(format!("adminapi-cli-{}", uuid::Uuid::new_v4().simple()));
    let license = |args: &[&str]| {
        std::process::Command::new(env!("CARGO_BIN_EXE_adminapi"))
            .args(["license", "create", "--level", "app"])
            .args(args)
            .env("DATA_DIR", &dir)
            .output()
            .unwrap()
    };
    for days in ["--days=0", "--days=-3"] {
        let out = license(&[days]);
        assert!(!out.status.success(), "--days {days} is refused");
        assert!(String::from_utf8_lossy(&out.stderr).contains("--days"), "{}", String::from_utf8_lossy(&out.stderr));
    }
    let out = license(&["--expires-at", "2020-01-01T00:00:00Z"]);
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let record: Value = serde_json::from_slice(&out.stdout).unwrap();
    assert!(record["expiry"].as_str().unwrap().starts_with("2020-01-01T00:00:00"), "{record}");
    let out = license(&["--days", "2"]);
    let record: Value = serde_json::from_slice(&out.stdout).unwrap();
    let expiry = chrono::DateTime::parse_from_rfc3339(record["expiry"].as_str().unwrap()).unwrap().timestamp();
    assert!((expiry - envelope::wire::now_epoch() - 2 * 86_400).abs() < 60, "{record}");
    assert!(!license(&["--days", "2", "--expires-at", "2030-01-01T00:00:00Z"]).status.success(), "one or the other");
    assert!(!license(&["--expires-at", "soon"]).status.success());
    let _ = std::fs::remove_dir_all(dir);
}

#[tokio::test]
async fn bootstrap_creates_once_and_reuses() {
    let dir = std::env::temp_dir().join(format!("adminapi-bootstrap-{}", uuid::Uuid::new_v4().simple()));
    let out = dir.join("bootstrap.json");
    let run = || {
        std::process::Command::new(env!("CARGO_BIN_EXE_adminapi"))
            .arg("bootstrap")
            .arg("--out")
            .arg(&out)
            .env("DATA_DIR", &dir)
            .env("SERVICE_DIRECTORY", r#"{"adminapi":"http://a","users-mgmt":"http://u","sessions":"http://s"}"#)
            .output()
            .unwrap()
    };
    let first = run();
    assert!(first.status.success(), "{}", String::from_utf8_lossy(&first.stderr));
    let printed: Value = serde_json::from_slice(&first.stdout).unwrap();
    let written: Value = serde_json::from_str(&std::fs::read_to_string(&out).unwrap()).unwrap();
    assert_eq!(printed, written);
    assert_eq!(written["urls"], json!({"adminapi": "http://a", "users-mgmt": "http://u", "sessions": "http://s"}));
    assert_eq!((written["dns"].as_str(), written["communityName"].as_str()), (Some("localhost"), Some("default")));
    assert!(String::from_utf8_lossy(&first.stderr).contains("created"));
    let second = run();
    assert!(second.status.success());
    assert!(String::from_utf8_lossy(&second.stderr).contains("reused"));
    assert_eq!(serde_json::from_slice::<Value>(&second.stdout).unwrap(), written, "the same tenant, community and key");

    // The license works against the served authority on the same data folder.
    let mut env = test_env(Storage::Embedded, "bootstrap").await.unwrap();
    env.insert("DATA_DIR".into(), dir.display().to_string());
    let app = spawn_service(adminapi::SERVICE, &env, adminapi::build).await;
    let client = Client::new(Arc::new(KeyPair::generate(Curve::Secp256k1).unwrap()))
        .unwrap()
        .license(written["licenseKey"].as_str().unwrap());
    let reply = client.call::<()>(Method::GET, &app.url, "/servicekeys", None).await.unwrap();
    assert_eq!(reply.status, 200, "{:?}", reply.body);
    assert!(!reply.sealed && reply.body.is_array(), "the documented plain array: {:?}", reply.body);
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt as _;
        assert_eq!(std::fs::metadata(&out).unwrap().permissions().mode() & 0o777, 0o600);
    }
}
