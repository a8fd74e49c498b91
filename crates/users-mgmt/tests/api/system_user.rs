//! The System User group over HTTP: create, fetch, update, authenticate and change password,
//! with sealed and plain bodies, on SQLite and PostgreSQL.

use reqwest::Method;
use serde_json::{Value, json};

use crate::helpers::*;

fn ops(username: &str, password: &str) -> Value {
    json!({"tenantId": TENANT_ID, "username": username, "password": password, "firstname": "Olga",
           "lastname": "Ops", "email1": "ops@acme.example", "email1_verified": true, "phone1": "15551234567",
           "address": {"city": "Oslo"}, "roleValue": "admin"})
}

async fn authenticate(client: &envelope::Client, url: &str, username: &str, password: &str) -> (u16, Value) {
    let body = json!({"username": username, "password": password});
    sealed(client, url, Method::POST, "/systemuser/authenticate", Some(&body)).await
}

#[tokio::test]
async fn system_users_are_created_fetched_changed_and_authenticated() {
    for storage in [kit::testing::Storage::Embedded, kit::testing::Storage::Postgres] {
        let Some(app) = spawn(storage, "system users", &[]).await else { continue };
        let url = app.url.as_str();
        let admin = caller(SYSTEM_KEY);

        // Sealed create: systemuser, community any, role none whatever is asked; no password back.
        let (s, u) = sealed(&admin, url, Method::PUT, "/systemuser", Some(&ops("Ops.Bot", "Sys#Secret-42"))).await;
        assert_eq!(s, 200, "{u}");
        assert_eq!(
            (u["type"].as_str(), u["communityId"].as_str(), u["roleValue"].as_str(), u["tenantId"].as_str()),
            (Some("systemuser"), Some("any"), Some("none"), Some(TENANT_ID))
        );
        assert_eq!((u["status"].as_str(), u["address"]["city"].as_str()), (Some("active"), Some("Oslo")));
        assert!(!u.to_string().contains("Sys#Secret-42") && !u.to_string().contains("argon2"), "{u}");
        let uid = u["uid"].as_str().unwrap().to_owned();

        // Plain create with a service key: plain reply. Usernames are unique whatever their case.
        let service = caller(SERVICE_KEY);
        let (s, u2, was_sealed) =
            plain(&service, url, Method::PUT, "/systemuser", Some(&ops("relay", "Hop#pass-123"))).await;
        assert_eq!((s, was_sealed), (200, false), "{u2}");
        let (s, e) = sealed(&admin, url, Method::PUT, "/systemuser", Some(&ops("OPS.BOT", "Other#pass-1"))).await;
        assert_error(s, &e, 409, "username is taken");

        // What create refuses: the policy, a bad tenant, a status, a missing required field, other keys.
        let (s, e) = sealed(&admin, url, Method::PUT, "/systemuser", Some(&ops("shorty", "short"))).await;
        assert_error(s, &e, 400, "at least 8 characters");
        assert!(!e.to_string().contains("short\""), "{e}");
        let (s, e) = sealed(&admin, url, Method::PUT, "/systemuser", Some(&ops("samename", "xx-samename-xx"))).await;
        assert_error(s, &e, 400, "must not contain the username");
        let mut bad = ops("t1", "Good#pass-1");
        bad["tenantId"] = json!("123-456");
        let (s, e) = sealed(&admin, url, Method::PUT, "/systemuser", Some(&bad)).await;
        assert_error(s, &e, 400, "tenantId");
        let mut bad = ops("t2", "Good#pass-1");
        bad["status"] = json!("asleep");
        let (s, e) = sealed(&admin, url, Method::PUT, "/systemuser", Some(&bad)).await;
        assert_error(s, &e, 400, "status must be active, locked or disabled");
        let mut bad = ops("t3", "Good#pass-1");
        bad.as_object_mut().unwrap().remove("email1_verified");
        let (s, e) = sealed(&admin, url, Method::PUT, "/systemuser", Some(&bad)).await;
        assert_error(s, &e, 400, "email1_verified");
        let (s, _) =
            sealed(&caller(SERVICE_EXT_KEY), url, Method::PUT, "/systemuser", Some(&ops("t4", "Good#pass-1"))).await;
        assert_eq!(s, 403);

        // Fetch: paging, query, projection; nothing of the passwords.
        let (s, page) = sealed(&admin, url, Method::POST, "/systemusers/fetch", Some(&json!({"pSize": 1}))).await;
        assert_eq!(s, 200, "{page}");
        assert_eq!(page["page"], json!({"index": 0, "total": 2, "size": 1}));
        assert_eq!(page["data"][0]["username"], "Ops.Bot");
        let body = json!({"query": {"username": "RELAY"}, "attributes": ["email1"]});
        let (s, page, was_sealed) = plain(&service, url, Method::POST, "/systemusers/fetch", Some(&body)).await;
        assert_eq!((s, was_sealed), (200, false), "{page}");
        let keys: Vec<&String> = page["data"][0].as_object().unwrap().keys().collect();
        assert_eq!(keys.len(), 4, "{page}");
        let (_, none) = sealed(
            &admin,
            url,
            Method::POST,
            "/systemusers/fetch",
            Some(&json!({"query": {"tenantId": OTHER_TENANT_ID}})),
        )
        .await;
        assert_eq!(none["page"]["total"], 0, "{none}");
        let (s, e) =
            sealed(&admin, url, Method::POST, "/systemusers/fetch", Some(&json!({"query": {"password": "x"}}))).await;
        assert_error(s, &e, 400, "query may filter on");
        let (s, e) = sealed(
            &admin,
            url,
            Method::POST,
            "/systemusers/fetch",
            Some(&json!({"authModule": "5f3d8d0cd866fa61019c0000"})),
        )
        .await;
        assert_error(s, &e, 400, "authModule");
        let (s, all) = sealed(&admin, url, Method::POST, "/systemusers/fetch", Some(&json!({}))).await;
        assert_eq!(s, 200);
        assert!(!all.to_string().contains("argon2") && !all.to_string().contains("Secret"), "{all}");
        let (s, _) = sealed(&caller(APP_KEY), url, Method::POST, "/systemusers/fetch", Some(&json!({}))).await;
        assert_eq!(s, 403);

        // Authenticate with any valid key; the same 401 for an unknown user and a wrong password.
        let app_key = caller(APP_KEY);
        let (s, ok) = authenticate(&app_key, url, "ops.bot", "Sys#Secret-42").await;
        assert_eq!((s, ok), (200, json!({"status": true})));
        let (s, wrong) = authenticate(&app_key, url, "Ops.Bot", "Sys#Secret-43").await;
        assert_error(s, &wrong, 401, "invalid username or password");
        let (s, unknown) = authenticate(&app_key, url, "nobody", "Sys#Secret-42").await;
        assert_eq!((s, &unknown["message"]), (401, &wrong["message"]));
        let (s, ok, was_sealed) = plain(
            &caller(SERVICE_EXT_KEY),
            url,
            Method::POST,
            "/systemuser/authenticate",
            Some(&json!({"username": "relay", "password": "Hop#pass-123"})),
        )
        .await;
        assert_eq!((s, ok, was_sealed), (200, json!({"status": true}), false));

        // Update: only what is given; the identity never; a locked user cannot authenticate.
        let path = format!("/systemuser/{uid}");
        let (s, u) =
            sealed(&admin, url, Method::PATCH, &path, Some(&json!({"lastname": "Operator", "status": "locked"}))).await;
        assert_eq!(s, 200, "{u}");
        assert_eq!(
            (u["lastname"].as_str(), u["firstname"].as_str(), u["status"].as_str()),
            (Some("Operator"), Some("Olga"), Some("locked"))
        );
        let (s, locked) = authenticate(&app_key, url, "ops.bot", "Sys#Secret-42").await;
        assert_eq!((s, &locked["message"]), (401, &wrong["message"]));
        for field in ["roleValue", "uid", "username", "password"] {
            let (s, e) = sealed(&admin, url, Method::PATCH, &path, Some(&json!({ field: "x" }))).await;
            assert_error(s, &e, 400, "cannot be updated");
        }
        let (s, e) = sealed(&admin, url, Method::PATCH, &path, Some(&json!({"type": "basic"}))).await;
        assert_error(s, &e, 400, "type must be systemuser");
        let (s, e) = sealed(&admin, url, Method::PATCH, &path, Some(&json!({"email1": "nope"}))).await;
        assert_error(s, &e, 400, "email1 must be an email address");
        let (s, e) =
            sealed(&admin, url, Method::PATCH, "/systemuser/not-a-user", Some(&json!({"status": "active"}))).await;
        assert_error(s, &e, 404, "system user not found");
        let (s, u, was_sealed) =
            plain(&service, url, Method::PATCH, &path, Some(&json!({"status": "active", "tenantId": OTHER_TENANT_ID})))
                .await;
        assert_eq!((s, was_sealed, u["tenantId"].as_str()), (200, false, Some(OTHER_TENANT_ID)), "{u}");

        // Change password: the policy; the old one stops working.
        let change = |name: &str, pw: &str| json!({"username": name, "newPassword": pw});
        let (s, e) =
            sealed(&admin, url, Method::POST, "/systemuser/changepassword", Some(&change("ops.bot", "tiny"))).await;
        assert_error(s, &e, 400, "at least 8 characters");
        let (s, e) =
            sealed(&admin, url, Method::POST, "/systemuser/changepassword", Some(&change("nobody", "Brand#new-pass")))
                .await;
        assert_error(s, &e, 404, "system user not found");
        let (s, _) = sealed(
            &caller(APP_KEY),
            url,
            Method::POST,
            "/systemuser/changepassword",
            Some(&change("ops.bot", "Brand#new-pass")),
        )
        .await;
        assert_eq!(s, 403);
        let (s, empty) =
            sealed(&admin, url, Method::POST, "/systemuser/changepassword", Some(&change("OPS.bot", "Brand#new-pass")))
                .await;
        assert_eq!((s, empty), (200, Value::Null));
        let (s, _) = authenticate(&app_key, url, "ops.bot", "Sys#Secret-42").await;
        assert_eq!(s, 401);
        let (s, _) = authenticate(&app_key, url, "ops.bot", "Brand#new-pass").await;
        assert_eq!(s, 200);
    }
}
