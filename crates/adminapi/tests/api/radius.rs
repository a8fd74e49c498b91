//! The Radius and Auth Proxy groups over HTTP: a community administrator sets, fetches and
//! deletes configurations (sealed and plain preview); the rules refuse what they must, naming
//! the field; a user who is not an administrator, a call without a login and another community
//! are refused; the shared secret is sealed, kept by an update that leaves it out, opened only
//! by the platform's own flows, and never seen in the database file, a reply or a log; and the
//! store keeps one contract on SQLite and PostgreSQL.

use std::sync::Arc;

use adminapi::domain::DomainError;
use adminapi::domain::config::Owner;
use adminapi::domain::radius::{ConfigInput, Kind, ProxyConfigs};
use adminapi::domain::secrets::Sealer;
use adminapi::domain::tenancy;
use reqwest::Method;
use serde_json::{Value, json};

use crate::login::{Platform, assert_error, bearer, call, call_plain, platform, uid_of};
use crate::secret_store::{contains, database_bytes};
use kit::testing::Storage;

const SECRET: &str = "Nas-Shared-Secret-9f2c71";

/// The platform's configurations of `kind` as its own flows see them.
fn configs_of(p: &Platform, kind: Kind) -> ProxyConfigs {
    let env = std::collections::BTreeMap::from([("DATA_DIR".to_owned(), p.data_dir.clone())]);
    let settings = kit::Settings::from_source(&env, adminapi::SERVICE, 0).unwrap();
    let store = match kind {
        Kind::Radius => p.stores.radius_configs.clone(),
        Kind::AuthProxy => p.stores.authproxy_configs.clone(),
    };
    ProxyConfigs::new(kind, store, Arc::new(Sealer::from_settings(&settings).unwrap()))
}

#[tokio::test]
async fn an_administrator_sets_fetches_and_deletes_radius_configurations() {
    let Some(p) = platform(Storage::Embedded, "radius", 1, &[]).await else { return };
    let url = p.admin[0].as_str();
    let jane = bearer(&p.token("jane", "Quartz-Meadow-71").await);
    let auth = Some(jane.as_str());
    let ids = json!({"tenantId": p.tenant, "communityId": p.community});
    let vpn = json!({"name": "VPN", "authScheme": ["push", "ivr"], "pushKeyword": "push", "ivrKeyword": "phone",
        "ivrLine": "phone", "address": "10.20.0.0/16", "sharedSecret": SECRET});

    let (s, r) = call(url, Method::POST, "/radius/fetch", auth, Some(&ids)).await;
    assert_eq!((s, r), (200, json!([])));
    let before = envelope::wire::now_epoch();
    let (s, set) = call(url, Method::PUT, "/radius/config/vpn-1", auth, Some(&vpn)).await;
    assert_eq!(s, 200, "{set}");
    let ts = set["createdTs"].as_i64().unwrap();
    assert!(ts >= before, "{set}");
    let jane_uid = uid_of(&p, "jane").await;
    assert_eq!(
        set,
        json!({"id": "vpn-1", "tenantId": p.tenant, "communityId": p.community, "name": "VPN",
            "authScheme": ["push", "ivr"], "pushKeyword": "push", "ivrKeyword": "phone", "ivrLine": "phone",
            "address": "10.20.0.0/16", "port": 1812, "sharedSecretSet": true, "createdBy": jane_uid,
            "createdTs": ts, "updatedBy": jane_uid, "updatedTs": ts})
    );
    // The plain preview, with the spec's fields only: no secret yet.
    let wifi = json!({"name": "Wi-Fi", "authScheme": ["push"], "pushKeyword": "ok", "port": 11812});
    let (s, plain) = call_plain(url, Method::PUT, "/radius/config/wifi", auth, &wifi).await;
    assert_eq!(
        (s, plain["port"].as_i64(), plain["sharedSecretSet"].as_bool()),
        (200, Some(11812), Some(false)),
        "{plain}"
    );

    // The rules, naming the field and never echoing a value.
    let with = |extra: Value| {
        let mut body = vpn.clone();
        body.as_object_mut().unwrap().extend(extra.as_object().unwrap().clone());
        body
    };
    for (extra, message) in [
        (json!({"sharedSecret": "Short-1"}), "sharedSecret must be 16 to 128"),
        (json!({"sharedSecret": "all-lower-case-and-dashes"}), "sharedSecret must be 16 to 128"),
        (json!({"address": "10.0.0.0/40"}), "address must be an IP address, a CIDR block or a DNS name"),
        (json!({"address": "not a host"}), "address must be"),
        (json!({"port": 0}), "port must be 1 to 65535"),
        (json!({"port": 70000}), "port must be 1 to 65535"),
        (json!({"authScheme": []}), "authScheme must list at least one of push, ivr"),
        (json!({"authScheme": ["sms"]}), "authScheme must be one of push, ivr"),
        (json!({"ivrKeyword": "PUSH"}), "ivrKeyword must differ from pushKeyword"),
        (json!({"pushKeyword": "two words"}), "pushKeyword must be 1 to 32"),
        (json!({"name": " "}), "name must be 1 to 100"),
        (json!({"isDefaultAuthMethodEnable": true}), "fields of an auth proxy configuration"),
        (json!({"note": "x"}), "unknown field"),
    ] {
        let (s, r) = call(url, Method::PUT, "/radius/config/vpn-1", auth, Some(&with(extra.clone()))).await;
        assert_error(s, &r, 400, message);
        assert!(!r.to_string().contains(SECRET), "{r}");
    }
    let mut no_keyword = vpn.clone();
    no_keyword.as_object_mut().unwrap().remove("ivrKeyword");
    let (s, r) = call(url, Method::PUT, "/radius/config/vpn-1", auth, Some(&no_keyword)).await;
    assert_error(s, &r, 400, "ivrKeyword is required when authScheme has ivr");
    let (s, r) = call(url, Method::PUT, "/radius/config/vpn-1", auth, Some(&json!({"name": "x"}))).await;
    assert_error(s, &r, 400, "authScheme");
    let (s, r) = call(url, Method::PUT, "/radius/config/bad%20id", auth, Some(&vpn)).await;
    assert_error(s, &r, 400, "id must be 1 to 64 letters");

    // An update without the secret keeps it; a new secret replaces it.
    let radius = configs_of(&p, Kind::Radius);
    let mut renamed = vpn.clone();
    renamed["name"] = json!("Corporate VPN");
    renamed.as_object_mut().unwrap().remove("sharedSecret");
    let (s, r) = call(url, Method::PUT, "/radius/config/vpn-1", auth, Some(&renamed)).await;
    assert_eq!(
        (s, r["name"].as_str(), r["sharedSecretSet"].as_bool(), r["createdTs"].as_i64()),
        (200, Some("Corporate VPN"), Some(true), Some(ts))
    );
    assert_eq!(radius.shared_secret(&p.community, "vpn-1").await.unwrap().unwrap().as_str(), SECRET);
    renamed["sharedSecret"] = json!("Rotated-Secret-2024-#x");
    assert_eq!(call(url, Method::PUT, "/radius/config/vpn-1", auth, Some(&renamed)).await.0, 200);
    assert_eq!(radius.shared_secret(&p.community, "vpn-1").await.unwrap().unwrap().as_str(), "Rotated-Secret-2024-#x");
    assert!(radius.shared_secret(&p.community, "wifi").await.unwrap().is_none());

    // Fetch: all, or those of `ids`; sealed and plain alike; never a secret.
    let (s, list) = call(url, Method::POST, "/radius/fetch", auth, Some(&ids)).await;
    assert_eq!(s, 200, "{list}");
    let names: Vec<&str> = list.as_array().unwrap().iter().map(|x| x["id"].as_str().unwrap()).collect();
    assert_eq!(names, ["vpn-1", "wifi"]);
    assert!(list.as_array().unwrap().iter().all(|x| x.get("sharedSecret").is_none()));
    let mut only = ids.clone();
    only["ids"] = json!(["wifi", "unknown"]);
    let (s, one) = call_plain(url, Method::POST, "/radius/fetch", auth, &only).await;
    assert_eq!((s, one.as_array().map(Vec::len), one[0]["id"].as_str()), (200, Some(1), Some("wifi")));

    // Who may: an administrator of the community, logged in.
    let bob = bearer(&p.token("bob", "Violet-Harbor-58").await);
    let (s, r) = call(url, Method::POST, "/radius/fetch", Some(&bob), Some(&ids)).await;
    assert_error(s, &r, 403, "may not call this endpoint");
    let (s, r) = call(url, Method::PUT, "/radius/config/vpn-2", Some(&bob), Some(&vpn)).await;
    assert_error(s, &r, 403, "may not call this endpoint");
    let (s, _) = call(url, Method::POST, "/radius/fetch", None, Some(&ids)).await;
    assert_eq!(s, 401);
    let other = tenancy::create_community(&*p.stores.tenancy, &p.tenant, "partners").await.unwrap();
    let elsewhere = json!({"tenantId": p.tenant, "communityId": other.id});
    let (s, r) = call(url, Method::POST, "/radius/fetch", auth, Some(&elsewhere)).await;
    assert_error(s, &r, 403, "may not act in this community");
    let (s, r) = call(url, Method::PUT, "/radius/config/vpn-2", auth, Some(&with(elsewhere.clone()))).await;
    assert_error(s, &r, 403, "may not act in this community");

    // Delete: once, then 404.
    let (s, r) = call(url, Method::DELETE, "/radius/config/vpn-1", auth, Some(&json!({}))).await;
    assert_eq!((s, r), (200, json!({"message": "Radius configuration deleted successfully"})));
    let (s, r) = call(url, Method::DELETE, "/radius/config/vpn-1", auth, Some(&json!({}))).await;
    assert_error(s, &r, 404, "the community has no radius configuration with this id");
    assert!(radius.shared_secret(&p.community, "vpn-1").await.is_err());

    // Every write in the audit log, by field names.
    let mut changes = p.stores.audit.changes(&p.community, 100).await.unwrap();
    changes.reverse();
    let seen: Vec<(&str, &str, &str, Vec<&str>)> = changes
        .iter()
        .map(|c| (c.kind.as_str(), c.record.as_str(), c.action.as_str(), c.fields.iter().map(String::as_str).collect()))
        .collect();
    assert_eq!(
        seen,
        [
            (
                "radius_config",
                "vpn-1",
                "create",
                vec!["address", "authScheme", "ivrKeyword", "ivrLine", "name", "port", "pushKeyword", "sharedSecret"]
            ),
            ("radius_config", "wifi", "create", vec!["authScheme", "name", "port", "pushKeyword"]),
            ("radius_config", "vpn-1", "update", vec!["name"]),
            ("radius_config", "vpn-1", "update", vec!["sharedSecret"]),
            ("radius_config", "vpn-1", "delete", vec![]),
        ]
    );
    assert!(changes.iter().all(|c| c.actor == jane_uid));
}

#[tokio::test]
async fn an_administrator_sets_fetches_and_deletes_auth_proxy_configurations() {
    let Some(p) = platform(Storage::Embedded, "auth proxy", 1, &[]).await else { return };
    let url = p.admin[0].as_str();
    let jane = bearer(&p.token("jane", "Quartz-Meadow-71").await);
    let auth = Some(jane.as_str());
    let ids = json!({"tenantId": p.tenant, "communityId": p.community});
    let proxy = json!({"name": "Proxy", "authScheme": ["push", "ivr"], "pushKeyword": "push", "ivrKeyword": "call",
        "isDefaultAuthMethodEnable": true, "defaultAuthMethod": "ivr", "address": "proxy.corp.example",
        "port": 8443, "sharedSecret": SECRET});
    let (s, set) = call(url, Method::PUT, "/authproxy/config/p1", auth, Some(&proxy)).await;
    assert_eq!(s, 200, "{set}");
    assert_eq!(
        (set["defaultAuthMethod"].as_str(), set["isDefaultAuthMethodEnable"].as_bool(), set["port"].as_i64()),
        (Some("ivr"), Some(true), Some(8443))
    );
    assert_eq!((set["sharedSecretSet"].as_bool(), set.get("sharedSecret")), (Some(true), None));
    // The default method is kept only when enabled; it must be one of authScheme.
    let off = json!({"name": "Off", "authScheme": ["push"], "pushKeyword": "push", "defaultAuthMethod": "push"});
    let (s, r) = call_plain(url, Method::PUT, "/authproxy/config/p2", auth, &off).await;
    assert_eq!(
        (s, r["isDefaultAuthMethodEnable"].as_bool(), r.get("defaultAuthMethod"), r.get("port")),
        (200, Some(false), None, None)
    );
    let mut bad = proxy.clone();
    bad["authScheme"] = json!(["push"]);
    bad.as_object_mut().unwrap().remove("ivrKeyword");
    let (s, r) = call(url, Method::PUT, "/authproxy/config/p1", auth, Some(&bad)).await;
    assert_error(s, &r, 400, "defaultAuthMethod must be one of authScheme");
    bad.as_object_mut().unwrap().remove("defaultAuthMethod");
    let (s, r) = call(url, Method::PUT, "/authproxy/config/p1", auth, Some(&bad)).await;
    assert_error(s, &r, 400, "defaultAuthMethod is required when isDefaultAuthMethodEnable is true");
    let mut line = proxy.clone();
    line["ivrLine"] = json!("phone");
    let (s, r) = call(url, Method::PUT, "/authproxy/config/p1", auth, Some(&line)).await;
    assert_error(s, &r, 400, "ivrLine is a field of a radius configuration");

    let (s, list) = call(url, Method::POST, "/authproxy/fetch", auth, Some(&ids)).await;
    assert_eq!((s, list.as_array().map(Vec::len)), (200, Some(2)), "{list}");
    assert_eq!(list[0], set);
    let (s, r) = call(url, Method::POST, "/radius/fetch", auth, Some(&ids)).await;
    assert_eq!((s, r), (200, json!([])), "the kinds are apart");
    assert_eq!(
        configs_of(&p, Kind::AuthProxy).shared_secret(&p.community, "p1").await.unwrap().unwrap().as_str(),
        SECRET
    );

    let bob = bearer(&p.token("bob", "Violet-Harbor-58").await);
    let (s, r) = call(url, Method::PUT, "/authproxy/config/p3", Some(&bob), Some(&proxy)).await;
    assert_error(s, &r, 403, "may not call this endpoint");
    let (s, _) = call(url, Method::PUT, "/authproxy/config/p3", None, Some(&proxy)).await;
    assert_eq!(s, 401);
    let (s, r) = call(url, Method::DELETE, "/authproxy/config/p1", Some(&bob), Some(&json!({}))).await;
    assert_error(s, &r, 403, "may not call this endpoint");

    let (s, _) = call(url, Method::DELETE, "/authproxy/config/p1", auth, Some(&ids)).await;
    assert_eq!(s, 204);
    let (s, r) = call(url, Method::DELETE, "/authproxy/config/p1", auth, Some(&ids)).await;
    assert_error(s, &r, 404, "the community has no auth proxy configuration with this id");
}

/// A shared secret seen by nothing but the store and the platform's own flows.
#[tokio::test]
async fn a_shared_secret_is_absent_from_the_database_the_replies_and_the_logs() {
    crate::captured_logs::start();
    let Some(p) = platform(Storage::Embedded, "radius at rest", 1, &[]).await else { return };
    let url = p.admin[0].as_str();
    let jane = bearer(&p.token("jane", "Quartz-Meadow-71").await);
    let auth = Some(jane.as_str());
    const CANARY: &str = "Plaintext-Canary-Radius-7f3a";
    let body = json!({"name": "canary_config", "authScheme": ["push"], "pushKeyword": "push", "sharedSecret": CANARY});
    let ids = json!({"tenantId": p.tenant, "communityId": p.community});
    let mut bad = body.clone();
    bad["port"] = json!(0);
    let replies = [
        call(url, Method::PUT, "/radius/config/c1", auth, Some(&body)).await,
        call_plain(url, Method::PUT, "/authproxy/config/c1", auth, &body).await,
        call(url, Method::POST, "/radius/fetch", auth, Some(&ids)).await,
        call_plain(url, Method::POST, "/authproxy/fetch", auth, &ids).await,
        call(url, Method::PUT, "/radius/config/c1", auth, Some(&bad)).await,
    ];
    assert_eq!(replies.iter().map(|r| r.0).collect::<Vec<_>>(), [200, 200, 200, 200, 400], "{replies:?}");
    for (_, reply) in &replies {
        assert!(!reply.to_string().contains(CANARY), "{reply}");
    }
    let db = database_bytes(&p.data_dir);
    assert!(contains(&db, "canary_config"), "the database holds the record");
    assert!(!contains(&db, CANARY), "the database holds the secret in the clear");
    let log = crate::captured_logs::text();
    assert!(log.contains("configuration set"), "the capture saw the requests");
    assert!(!log.contains(CANARY), "the log holds the secret");
}

/// Both kinds keep one contract on SQLite and PostgreSQL (skipped, saying so, when PostgreSQL
/// does not answer): a put creates then replaces, keeping the creation and the secret; lists
/// are per community and kind, oldest first; a secret opens for its own community only;
/// deletes once; every write in the audit log.
#[tokio::test]
async fn the_radius_and_auth_proxy_stores_keep_one_contract_on_every_backend() {
    use kit::db::{Db, KIT_MIGRATIONS};

    for storage in [Storage::Embedded, Storage::Postgres] {
        let Some(env) = kit::testing::test_env(storage, "radius stores contract").await else { continue };
        let settings = kit::Settings::from_source(&env, adminapi::SERVICE, 0).unwrap();
        let db = Db::connect(&settings.database_url.0).await.unwrap();
        db.migrate(&[&KIT_MIGRATIONS, &adminapi::ADMINAPI_MIGRATIONS]).await.unwrap();
        let stores = adminapi::store::Stores::sql(&db);
        let sealer = Arc::new(Sealer::from_settings(&settings).unwrap());
        let radius = ProxyConfigs::new(Kind::Radius, stores.radius_configs.clone(), sealer.clone());
        let proxies = ProxyConfigs::new(Kind::AuthProxy, stores.authproxy_configs.clone(), sealer.clone());
        let (c1, c2) = ("6a00000000000000000000c1", "6a00000000000000000000c2");
        let owner = Owner { tenant_id: "6a00000000000000000000a1", community_id: c1 };
        let input = |name: &str, secret: Option<&str>| ConfigInput {
            name: name.into(),
            auth_scheme: vec!["push".into()],
            push_keyword: "push".into(),
            shared_secret: secret.map(str::to_owned),
            ..ConfigInput::default()
        };

        radius.put(owner, "u1", "b", input("B", Some(SECRET)), 100).await.unwrap();
        radius.put(owner, "u1", "a", input("A", None), 101).await.unwrap();
        let replaced = radius.put(owner, "u2", "b", input("B2", None), 102).await.unwrap();
        assert_eq!(
            (replaced.name.as_str(), replaced.created_ts, replaced.updated_ts, replaced.created_by.as_str()),
            ("B2", 100, 102, "u1"),
            "{storage:?}"
        );
        assert!(replaced.shared_secret_set);
        proxies.put(owner, "u1", "b", input("proxy", Some("Another-Secret-77!x")), 103).await.unwrap();
        radius
            .put(Owner { community_id: c2, ..owner }, "u1", "b", input("c2", Some("Third-Secret-99!xyz")), 104)
            .await
            .unwrap();
        let listed: Vec<(String, i64)> =
            radius.list(c1, None).await.unwrap().into_iter().map(|c| (c.id, c.created_ts)).collect();
        assert_eq!(listed, [("b".to_owned(), 100), ("a".to_owned(), 101)], "{storage:?}");
        assert_eq!(radius.list(c1, Some(&["a".to_owned()])).await.unwrap().len(), 1);
        assert_eq!(proxies.list(c1, None).await.unwrap().len(), 1);
        assert_eq!(radius.shared_secret(c1, "b").await.unwrap().unwrap().as_str(), SECRET);
        assert_eq!(radius.shared_secret(c2, "b").await.unwrap().unwrap().as_str(), "Third-Secret-99!xyz");
        assert_eq!(proxies.shared_secret(c1, "b").await.unwrap().unwrap().as_str(), "Another-Secret-77!x");
        radius.delete(owner, "u1", "b", 105).await.unwrap();
        assert!(matches!(radius.delete(owner, "u1", "b", 106).await, Err(DomainError::NotFound(_))));
        assert_eq!(radius.list(c2, None).await.unwrap().len(), 1, "{storage:?}: the other community's is kept");
        assert_eq!(proxies.list(c1, None).await.unwrap().len(), 1, "{storage:?}: the other kind's is kept");

        let changes = stores.audit.changes(c1, 100).await.unwrap();
        let actions: Vec<(&str, &str, &str)> =
            changes.iter().map(|c| (c.kind.as_str(), c.record.as_str(), c.action.as_str())).collect();
        assert_eq!(
            actions,
            [
                ("radius_config", "b", "delete"),
                ("authproxy_config", "b", "create"),
                ("radius_config", "b", "update"),
                ("radius_config", "a", "create"),
                ("radius_config", "b", "create"),
            ],
            "{storage:?}"
        );
    }
}
