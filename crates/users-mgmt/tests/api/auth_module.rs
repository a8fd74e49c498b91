//! The Auth Module group over HTTP: create, fetch, get, update, delete, password policy, test
//! connection and host status, with sealed and plain bodies, on every storage.

use reqwest::Method;
use serde_json::{Value, json};

use crate::helpers::*;

fn ldap_module() -> Value {
    json!({"type": "ldap", "subtype": "directory", "method": "authn", "name": "Corporate LDAP", "mode": "direct",
           "config": {"hosts": [{"server": "ldap1.acme", "port": "636"}, {"server": "ldap2.acme", "port": 636}],
                      "serverprotocol": "ldaps", "server": "ldap1.acme", "serverport": "636",
                      "binddn": "cn=svc,dc=acme", "bindpassword": "bind-secret-never-shown", "basedn": "dc=acme",
                      "securityauthentication": "Simple", "filter": "(uid={0})", "serviceacctreadonly": true}})
}

fn db_module() -> Value {
    json!({"type": "db", "subtype": "datastore", "method": "authn", "name": "Users", "enabled": true, "mode": "direct",
           "config": {"passwordPolicy": {"authtype": "password", "rules": {
               "min": "10", "min_enabled": true, "min_special": 1, "min_special_enabled": true,
               "min_numbers": 1, "min_numbers_enabled": true, "special_chars_allowed": "!@#$", "special_chars_allowed_enabled": true,
               "min_alpha_caps": 1, "min_alpha_caps_enabled": true, "noUsername": true, "noUsername_enabled": true,
               "allowInRow": 2, "allowInRow_enabled": true},
               "descriptions": ["10 characters", "one of !@#$"]}}})
}

#[tokio::test]
async fn a_module_is_created_read_changed_and_deleted() {
    for storage in STORAGES {
        let Some(app) = spawn(storage, "auth modules", &[]).await else { continue };
        let url = app.url.as_str();
        let admin = caller(SERVICE_KEY);

        // Sealed create; the reply is the module, without its credential.
        let (s, ldap) = sealed(&admin, url, Method::PUT, &community_path("/module/create"), Some(&ldap_module())).await;
        assert_eq!(s, 200, "{ldap}");
        let ldap_id = ldap["_id"].as_str().unwrap().to_owned();
        assert_eq!((ldap["type"].as_str(), ldap["communityId"].as_str()), (Some("ldap"), Some(COMMUNITY_ID)));
        assert_eq!(ldap["config"]["binddn"], "cn=svc,dc=acme");
        assert!(!ldap.to_string().contains("bind-secret-never-shown"), "{ldap}");

        // Plain create (the preview): plain reply. One module per type and community.
        let (s, db, was_sealed) =
            plain(&admin, url, Method::PUT, &community_path("/module/create"), Some(&db_module())).await;
        assert_eq!((s, was_sealed), (200, false), "{db}");
        let db_id = db["_id"].as_str().unwrap().to_owned();
        let (s, e) = sealed(&admin, url, Method::PUT, &community_path("/module/create"), Some(&db_module())).await;
        assert_error(s, &e, 409, "already has an auth module of this type");

        let (s, list) = sealed(&admin, url, Method::POST, &community_path("/modules/fetch"), Some(&json!({}))).await;
        assert_eq!(s, 200, "{list}");
        let ids: Vec<&str> = list.as_array().unwrap().iter().map(|m| m["_id"].as_str().unwrap()).collect();
        assert_eq!(ids, [ldap_id.as_str(), db_id.as_str()]);
        let (s, got) = sealed(&admin, url, Method::GET, &community_path(&format!("/module/{db_id}")), None).await;
        assert_eq!((s, got["name"].as_str()), (200, Some("Users")), "{got}");

        // Another community sees none of them.
        let other = format!("/tenant/{OTHER_TENANT_ID}/community/{OTHER_COMMUNITY_ID}");
        let (s, none) = sealed(&admin, url, Method::POST, &format!("{other}/modules/fetch"), None).await;
        assert_eq!((s, none), (200, json!([])));
        let (s, e) = sealed(&admin, url, Method::GET, &format!("{other}/module/{db_id}"), None).await;
        assert_error(s, &e, 404, "auth module not found");

        // Update: only what is given; a config without the credential keeps it; the type stays.
        let mut config = ldap_module()["config"].clone();
        config.as_object_mut().unwrap().remove("bindpassword");
        config["server"] = json!("ldap2.acme");
        let patch = json!({"name": "LDAP", "enabled": false, "config": config});
        let ldap_path = community_path(&format!("/module/{ldap_id}"));
        let (s, changed) = sealed(&admin, url, Method::PATCH, &ldap_path, Some(&patch)).await;
        assert_eq!(s, 200, "{changed}");
        assert_eq!((changed["name"].as_str(), changed["enabled"].as_bool()), (Some("LDAP"), Some(false)));
        assert_eq!(changed["config"]["server"], "ldap2.acme");
        let (s, e) = sealed(&admin, url, Method::PATCH, &ldap_path, Some(&json!({"type": "db"}))).await;
        assert_error(s, &e, 400, "type cannot be changed");
        let (s, e) = sealed(&admin, url, Method::PATCH, &ldap_path, Some(&json!({"colour": "red"}))).await;
        assert_error(s, &e, 400, "unknown field");

        let (s, _) = sealed(&admin, url, Method::DELETE, &ldap_path, None).await;
        assert_eq!(s, 204);
        let (s, e) = sealed(&admin, url, Method::GET, &ldap_path, None).await;
        assert_error(s, &e, 404, "auth module not found");
        let (s, e) = sealed(&admin, url, Method::DELETE, &ldap_path, None).await;
        assert_error(s, &e, 404, "auth module not found");
    }
}

#[tokio::test]
async fn bad_modules_and_other_levels_are_refused() {
    let app = spawn(kit::testing::Storage::Embedded, "bad modules", &[]).await.unwrap();
    let url = app.url.as_str();
    let admin = caller(SERVICE_EXT_KEY);
    let create = community_path("/module/create");
    for (body, needle) in [
        (json!({"type": "nis", "name": "x"}), "type must be db, ldap, ad or azuread"),
        (json!({"type": "db"}), "name"),
        (json!({"type": "db", "name": "x", "mode": "broker"}), "mode must be direct"),
        (json!({"type": "db", "name": "x", "subtype": "directory"}), "subtype must be datastore"),
        (json!({"type": "ldap", "name": "x", "config": {}}), "config.serverprotocol is required"),
        (json!({"type": "azuread", "name": "x", "config": {"appName": "a"}}), "config.tenantId is required"),
        (
            json!({"type": "db", "name": "x", "config": {"passwordPolicy": {"authtype": "p", "rules": {}}}}),
            "config.passwordPolicy",
        ),
    ] {
        let (s, e) = sealed(&admin, url, Method::PUT, &create, Some(&body)).await;
        assert_error(s, &e, 400, needle);
    }
    let mut bad_port = ldap_module();
    bad_port["config"]["serverport"] = json!("ldap");
    let (s, e) = sealed(&admin, url, Method::PUT, &create, Some(&bad_port)).await;
    assert_error(s, &e, 400, "config.serverport");

    // An app key may not manage modules; a community that does not exist is 404.
    let (s, e) = sealed(&caller(APP_KEY), url, Method::PUT, &create, Some(&db_module())).await;
    assert_error(s, &e, 403, "cannot call this endpoint");
    let missing = format!("/tenant/{TENANT_ID}/community/0123456789abcdef01234567/module/create");
    let (s, e) = sealed(&admin, url, Method::PUT, &missing, Some(&db_module())).await;
    assert_error(s, &e, 404, "no community");
    let (s, e) = sealed(&admin, url, Method::GET, &community_path("/module/not-an-id"), None).await;
    assert_error(s, &e, 400, "moduleId");
}

#[tokio::test]
async fn the_password_policy_is_open_and_the_test_and_host_status_follow_the_type() {
    let app = spawn(kit::testing::Storage::Embedded, "module policy", &[]).await.unwrap();
    let url = app.url.as_str();
    let admin = caller(SERVICE_KEY);
    let create = community_path("/module/create");
    let (_, db) = sealed(&admin, url, Method::PUT, &create, Some(&json!({"type": "db", "name": "Users"}))).await;
    let (_, ldap) = sealed(&admin, url, Method::PUT, &create, Some(&ldap_module())).await;
    let (db_id, ldap_id) = (db["_id"].as_str().unwrap(), ldap["_id"].as_str().unwrap());

    // No license and no headers: the plain policy (the default one for a module without its own).
    let policy = community_path(&format!("/module/{db_id}/pwd-policy"));
    let reply = reqwest::get(format!("{url}{policy}")).await.unwrap();
    assert_eq!(reply.status(), 200);
    let body: Value = reply.json().await.unwrap();
    assert_eq!(body["passwordPolicy"]["rules"]["min"], 8, "{body}");
    // Signed: sealed.
    let (s, body, was_sealed) = plain(&caller(APP_KEY), url, Method::GET, &policy, None).await;
    assert_eq!((s, was_sealed, body["passwordPolicy"]["allowed"].as_bool()), (200, true, Some(true)), "{body}");

    let (s, tested) =
        sealed(&admin, url, Method::GET, &community_path(&format!("/module/{db_id}/test-connection")), None).await;
    assert_eq!(
        (s, tested["status"].as_bool(), tested["message"].as_str()),
        (200, Some(true), Some("connection success"))
    );
    // A directory module's connection test is in `ldap.rs` (it reaches its hosts).

    let status = |id: &str| community_path(&format!("/module/{id}/update-hosts-status"));
    let attempts = json!({"hosts": {"attempts": [
        {"host": {"server": "ldap1.acme", "port": "636"}, "status": "success", "ts": "2025-12-05T10:30:00Z"},
        {"host": {"server": "ldap2.acme", "port": "636"}, "status": "failed", "ts": "2025-12-05T10:31:00Z"}]},
        "app_name": "broker", "app_id": "b-1"});
    let (s, updated) = sealed(&caller(APP_KEY), url, Method::POST, &status(ldap_id), Some(&attempts)).await;
    assert_eq!(s, 200, "{updated}");
    let hosts = &updated["config"]["hosts"];
    assert_eq!(hosts[0]["lastSuccessAt"], "2025-12-05T10:30:00+00:00", "{hosts}");
    assert_eq!(hosts[1]["lastFailedAt"], "2025-12-05T10:31:00+00:00", "{hosts}");
    assert_eq!((hosts[0]["status"].as_str(), hosts[1]["status"].as_str()), (Some("up"), Some("down")), "{hosts}");
    let (_, again) = sealed(&admin, url, Method::GET, &community_path(&format!("/module/{ldap_id}")), None).await;
    assert_eq!(again["config"]["hosts"], *hosts, "stored");
    let (s, e) = sealed(&admin, url, Method::POST, &status(db_id), Some(&attempts)).await;
    assert_error(s, &e, 400, "a db module has no hosts");
    let unknown = json!({"hosts": {"attempts": [{"host": {"server": "elsewhere", "port": "1"}, "status": "success", "ts": "2025-12-05T10:30:00Z"}]}});
    let (s, e) = sealed(&admin, url, Method::POST, &status(ldap_id), Some(&unknown)).await;
    assert_error(s, &e, 400, "hosts.attempts[0].host is not a host");
}
