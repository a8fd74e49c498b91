//! The user records of User Management over HTTP: bulk create with per-user errors, unique
//! usernames under concurrency, fetch with paging / query / projection, count, fetch one,
//! update, and what app keys, disabled and directory modules get.

use reqwest::Method;
use serde_json::{Value, json};

use crate::helpers::*;

/// Creates the community's db module (with a policy of 10 characters, one digit) and returns its id.
async fn db_module(admin: &envelope::Client, url: &str) -> String {
    let policy = json!({"authtype": "password", "rules": {
        "min": 10, "min_enabled": true, "min_special": 0, "min_special_enabled": false,
        "min_numbers": 1, "min_numbers_enabled": true, "special_chars_allowed": "", "special_chars_allowed_enabled": false,
        "min_alpha_caps": 0, "min_alpha_caps_enabled": false, "noUsername": true, "noUsername_enabled": true,
        "allowInRow": 0, "allowInRow_enabled": false}});
    let body = json!({"type": "db", "name": "Users", "config": {"passwordPolicy": policy}});
    let (s, m) = sealed(admin, url, Method::PUT, &community_path("/module/create"), Some(&body)).await;
    assert_eq!(s, 200, "{m}");
    m["_id"].as_str().unwrap().to_owned()
}

async fn create(admin: &envelope::Client, url: &str, module: &str, users: Value) -> (u16, Value) {
    let body = json!({"authModule": module, "users": users});
    sealed(admin, url, Method::PUT, &community_path("/users/create"), Some(&body)).await
}

#[tokio::test]
async fn users_are_created_one_by_one_with_a_result_for_each() {
    for storage in STORAGES {
        let Some(app) = spawn(storage, "users create", &[]).await else { continue };
        let url = app.url.as_str();
        let admin = caller(SERVICE_KEY);
        let module = db_module(&admin, url).await;
        let users = json!([
            {"username": "jane", "password": "correct horse 1", "email1": "jane@acme.example"},
            {"username": "Jane", "password": "Another1pass"},
            {"username": "bob", "email1": "not-an-email"},
            {"username": "carol", "password": "short1"},
            {"username": "dave", "password": "has-dave-in-it-1"},
            {"username": "erin", "password": "Perfectly9Fine", "phone1": "15551234567", "firstname": "Erin",
             "address": {"city": "Oslo"}, "email1_verified": true},
            {"username": "frank", "colour": "red"},
            {"username": "gina"},
        ]);
        let (s, r) = create(&admin, url, &module, users).await;
        assert_eq!(s, 200, "{r}");
        assert_eq!(
            (r["requested"].as_u64(), r["created"].as_u64(), r["failed"].as_u64()),
            (Some(8), Some(3), Some(5)),
            "{r}"
        );
        let errors: Vec<(u64, String)> = r["errors"]
            .as_array()
            .unwrap()
            .iter()
            .map(|e| (e["index"].as_u64().unwrap(), e["message"].as_str().unwrap().to_owned()))
            .collect();
        let message = |i: u64| errors.iter().find(|(j, _)| *j == i).map(|(_, m)| m.clone()).unwrap_or_default();
        assert!(message(0).contains("spaces"), "{errors:?}");
        // "Jane" is created: "jane" (index 0) was refused for its password.
        assert!(message(1).is_empty() && message(5).is_empty() && message(7).is_empty(), "{errors:?}");
        assert!(message(2).contains("email1 must be an email address"), "{errors:?}");
        assert!(message(3).contains("at least 10 characters"), "{errors:?}");
        assert!(message(4).contains("must not contain the username"), "{errors:?}");
        assert!(message(6).contains("unknown field"), "{errors:?}");
        for (_, m) in &errors {
            for secret in ["correct horse 1", "short1", "has-dave-in-it-1", "not-an-email", "colour"] {
                assert!(!m.contains(secret), "no request value in {m}");
            }
        }

        // Usernames are unique per community whatever their case.
        let (_, again) = create(&admin, url, &module, json!([{"username": "JANE"}, {"username": "erin"}])).await;
        assert_eq!(again["created"], 0, "{again}");
        assert!(again["errors"][0]["message"].as_str().unwrap().contains("taken"), "{again}");

        // The stored user, as fetched; nothing of the password.
        let (s, one) = sealed(
            &admin,
            url,
            Method::POST,
            &community_path("/user/fetch_single_user_by_username"),
            Some(&json!({"authModule": module, "username": "ERIN"})),
        )
        .await;
        assert_eq!(s, 200, "{one}");
        let erin = &one["data"];
        assert_eq!(
            (erin["username"].as_str(), erin["type"].as_str(), erin["roleValue"].as_str()),
            (Some("erin"), Some("basic"), Some("none"))
        );
        assert_eq!(
            (erin["phone"].as_str(), erin["address"]["city"].as_str(), erin["status"].as_str()),
            (Some("15551234567"), Some("Oslo"), Some("active"))
        );
        let urn =
            format!("urn:dns:localhost:community:{COMMUNITY_ID}:mod:{module}:uid:{}", erin["uid"].as_str().unwrap());
        assert_eq!(erin["urn"].as_str(), Some(urn.as_str()));
        assert!(!one.to_string().contains("Perfectly9Fine") && !one.to_string().contains("argon2"), "{one}");
    }
}

#[tokio::test]
async fn concurrent_creates_of_one_username_make_exactly_one_user() {
    for storage in [kit::testing::Storage::Embedded, kit::testing::Storage::Postgres] {
        let Some(app) = spawn(storage, "users race", &[]).await else { continue };
        let url = app.url.clone();
        let admin = caller(SERVICE_KEY);
        let module = db_module(&admin, &url).await;
        let tasks: Vec<_> = (0..16)
            .map(|i| {
                let (url, module) = (url.clone(), module.clone());
                let name = if i % 2 == 0 { "racer" } else { "RACER" };
                tokio::spawn(
                    async move { create(&caller(SERVICE_KEY), &url, &module, json!([{ "username": name }])).await },
                )
            })
            .collect();
        let mut created = 0;
        for t in tasks {
            let (s, r) = t.await.unwrap();
            assert_eq!(s, 200, "{r}");
            created += r["created"].as_u64().unwrap();
        }
        assert_eq!(created, 1, "{storage:?}");
        let (_, n) =
            sealed(&admin, &url, Method::POST, &community_path("/users/count"), Some(&json!({"authModule": module})))
                .await;
        assert_eq!(n["count"], 1, "{n}");
    }
}

#[tokio::test]
async fn users_are_fetched_by_page_query_and_attributes_and_counted() {
    let app = spawn(kit::testing::Storage::Embedded, "users fetch", &[]).await.unwrap();
    let url = app.url.as_str();
    let admin = caller(SERVICE_KEY);
    let module = db_module(&admin, url).await;
    let many: Vec<Value> = (0..30)
        .map(|i| json!({"username": format!("user{i:02}"), "status": if i < 5 { "suspended" } else { "active" }, "email1": format!("u{i}@acme.example")}))
        .collect();
    let (_, r) = create(&admin, url, &module, json!(many)).await;
    assert_eq!(r["created"], 30, "{r}");

    let fetch = |body: Value| {
        let admin = admin.clone();
        async move { sealed(&admin, url, Method::POST, &community_path("/users/fetch"), Some(&body)).await }
    };
    let (s, page) = fetch(json!({"authModule": module, "pIndex": 1, "pSize": 10})).await;
    assert_eq!(s, 200, "{page}");
    assert_eq!(page["page"], json!({"index": 1, "total": 30, "size": 10}));
    let names: Vec<&str> = page["data"].as_array().unwrap().iter().map(|u| u["username"].as_str().unwrap()).collect();
    assert_eq!(names.first().copied(), Some("user10"));
    assert_eq!(names.len(), 10);
    let (_, big) = fetch(json!({"authModule": module, "pSize": 1000})).await;
    assert_eq!(
        (big["page"]["size"].as_u64(), big["data"].as_array().unwrap().len()),
        (Some(100), 30),
        "pSize is capped"
    );
    let (_, capped) = fetch(json!({"authModule": module, "pSize": 10, "maximumCount": 4})).await;
    assert_eq!((capped["page"]["total"].as_u64(), capped["data"].as_array().unwrap().len()), (Some(4), 4));

    let (_, q) = fetch(json!({"authModule": module, "query": {"status": "suspended"}, "attributes": ["email1"], "includeProperties": true})).await;
    assert_eq!(q["page"]["total"], 5, "{q}");
    let first = &q["data"][0];
    let mut keys: Vec<&str> = first.as_object().unwrap().keys().map(String::as_str).collect();
    keys.sort_unstable();
    assert_eq!(keys, ["email1", "moduleId", "uid", "userProperties", "username"], "{first}");
    let (_, by_name) = fetch(json!({"authModule": module, "query": {"username": "USER07"}})).await;
    assert_eq!(by_name["data"][0]["username"], "user07");

    let (s, e) = fetch(json!({"authModule": module, "query": {"password": "x"}})).await;
    assert_error(s, &e, 400, "query may filter on");
    let (s, e) = fetch(json!({"authModule": module, "scep": true})).await;
    assert_error(s, &e, 400, "scep");
    // No authModule: the community's default auth scheme decides, and there is none yet.
    let (s, none) = fetch(json!({})).await;
    assert_eq!((s, none["page"]["total"].as_u64(), none["data"].as_array().map(Vec::len)), (200, Some(0), Some(0)));

    // The preview: plain body, plain reply; any level may fetch and count.
    let (s, plain_page, was_sealed) = plain(
        &caller(APP_KEY),
        url,
        Method::POST,
        &community_path("/users/fetch"),
        Some(&json!({"authModule": module, "pSize": 2})),
    )
    .await;
    assert_eq!((s, was_sealed, plain_page["page"]["total"].as_u64()), (200, false, Some(30)), "{plain_page}");
    let (s, n) = sealed(
        &caller(SERVICE_EXT_KEY),
        url,
        Method::POST,
        &community_path("/users/count"),
        Some(&json!({"authModule": module, "query": {"status": "active"}})),
    )
    .await;
    assert_eq!(
        (s, n["count"].as_u64(), n["type"].as_str(), n["id"].as_str()),
        (200, Some(25), Some("db"), Some(module.as_str())),
        "{n}"
    );
}

#[tokio::test]
async fn an_update_changes_only_what_is_given() {
    let app = spawn(kit::testing::Storage::Embedded, "users update", &[]).await.unwrap();
    let url = app.url.as_str();
    let admin = caller(SERVICE_EXT_KEY);
    let module = db_module(&admin, url).await;
    create(&admin, url, &module, json!([{"username": "jane", "firstname": "Jane", "email1": "jane@acme.example"}]))
        .await;
    let update = community_path("/user/update");
    let body = json!({"authModule": module, "username": "Jane", "lastname": "Doe", "phone1": "4712345678", "phone1_verified": true, "attributes": ["lastname"]});
    let (s, u) = sealed(&admin, url, Method::PATCH, &update, Some(&body)).await;
    assert_eq!(s, 200, "{u}");
    let mut keys: Vec<&str> = u.as_object().unwrap().keys().map(String::as_str).collect();
    keys.sort_unstable();
    assert_eq!(keys, ["lastname", "moduleId", "status", "uid", "username"], "{u}");
    let (_, one) = sealed(
        &admin,
        url,
        Method::POST,
        &community_path("/user/fetch_single_user_by_username"),
        Some(&json!({"authModule": module, "username": "jane"})),
    )
    .await;
    let jane = &one["data"];
    assert_eq!(
        (jane["firstname"].as_str(), jane["lastname"].as_str(), jane["phone1_verified"].as_bool()),
        (Some("Jane"), Some("Doe"), Some(true)),
        "{jane}"
    );

    // `username` names the user to update; uid, password and roleValue never change.
    for field in ["uid", "password", "roleValue"] {
        let mut body = json!({"authModule": module, "username": "jane"});
        body[field] = json!("x");
        let (s, e) = sealed(&admin, url, Method::PATCH, &update, Some(&body)).await;
        assert_error(s, &e, 400, &format!("{field} cannot be updated"));
    }
    let (s, e) = sealed(
        &admin,
        url,
        Method::PATCH,
        &update,
        Some(&json!({"authModule": module, "username": "jane", "email1": "nope"})),
    )
    .await;
    assert_error(s, &e, 400, "email1");
    let (s, e) = sealed(
        &admin,
        url,
        Method::PATCH,
        &update,
        Some(&json!({"authModule": module, "username": "nobody", "lastname": "X"})),
    )
    .await;
    assert_error(s, &e, 404, "user not found");
    let (s, e) =
        sealed(&caller(APP_KEY), url, Method::PATCH, &update, Some(&json!({"authModule": module, "username": "jane"})))
            .await;
    assert_error(s, &e, 403, "cannot call this endpoint");
}

#[tokio::test]
async fn app_keys_disabled_and_directory_modules_and_deleted_modules() {
    let app = spawn(kit::testing::Storage::Embedded, "users refusals", &[]).await.unwrap();
    let url = app.url.as_str();
    let admin = caller(SERVICE_KEY);
    let module = db_module(&admin, url).await;

    // An app key: one user, with an otp; without an adminapi to check it: never a user.
    let app_key = caller(APP_KEY);
    let body = json!({"authModule": module, "users": [{"username": "self"}]});
    let (s, e) = sealed(&app_key, url, Method::PUT, &community_path("/users/create"), Some(&body)).await;
    assert_error(s, &e, 403, "with an otp");
    let body = json!({"authModule": module, "users": [{"username": "self"}], "otp": "123456"});
    let (s, e) = sealed(&app_key, url, Method::PUT, &community_path("/users/create"), Some(&body)).await;
    assert_error(s, &e, 400, "otp verification is not configured");

    let (s, e) = create(&admin, url, "0123456789abcdef01234567", json!([{"username": "x"}])).await;
    assert_error(s, &e, 404, "auth module not found");
    let (s, e) = create(&admin, url, &module, json!([])).await;
    assert_error(s, &e, 400, "1 to 1000 users");

    let ldap = json!({"type": "ldap", "name": "Dir", "config": {"serverprotocol": "ldap", "server": "d", "serverport": 389,
        "binddn": "cn=a", "bindpassword": "p", "basedn": "dc=a", "securityauthentication": "Simple", "filter": "(uid={0})", "serviceacctreadonly": true}});
    let (_, ldap) = sealed(&admin, url, Method::PUT, &community_path("/module/create"), Some(&ldap)).await;
    let (s, e) = create(&admin, url, ldap["_id"].as_str().unwrap(), json!([{"username": "x"}])).await;
    assert_error(s, &e, 400, "live in its directory");

    create(&admin, url, &module, json!([{"username": "kept"}])).await;
    let module_path = community_path(&format!("/module/{module}"));
    sealed(&admin, url, Method::PATCH, &module_path, Some(&json!({"enabled": false}))).await;
    let (s, e) = create(&admin, url, &module, json!([{"username": "x"}])).await;
    assert_error(s, &e, 400, "disabled");

    // Deleting the db module deletes the community's users: the username is free again.
    let (s, _) = sealed(&admin, url, Method::DELETE, &module_path, None).await;
    assert_eq!(s, 204);
    let fresh = db_module(&admin, url).await;
    let (_, r) = create(&admin, url, &fresh, json!([{"username": "kept"}])).await;
    assert_eq!(r["created"], 1, "{r}");
}
