//! User Properties and EAM over HTTP: a user's mobiles, landlines and aliases stored, returned
//! by the user fetches with `includeProperties`, found by alias with `checkAliases`; and a user
//! found by its Azure AD object id. Sealed and plain bodies, SQLite and PostgreSQL.

use reqwest::Method;
use serde_json::{Value, json};

use crate::helpers::*;

async fn module(admin: &envelope::Client, url: &str, body: Value) -> String {
    let (s, m) = sealed(admin, url, Method::PUT, &community_path("/module/create"), Some(&body)).await;
    assert_eq!(s, 200, "{m}");
    m["_id"].as_str().unwrap().to_owned()
}

async fn users(admin: &envelope::Client, url: &str, module: &str, users: Value) {
    let body = json!({"authModule": module, "users": users});
    let (s, r) = sealed(admin, url, Method::PUT, &community_path("/users/create"), Some(&body)).await;
    assert_eq!((s, &r["failed"]), (200, &json!(0)), "{r}");
}

async fn single(client: &envelope::Client, url: &str, body: Value) -> (u16, Value) {
    sealed(client, url, Method::POST, &community_path("/user/fetch_single_user_by_username"), Some(&body)).await
}

#[tokio::test]
async fn user_properties_are_stored_returned_and_aliases_find_users() {
    for storage in [kit::testing::Storage::Embedded, kit::testing::Storage::Postgres] {
        let Some(app) = spawn(storage, "user properties", &[]).await else { continue };
        let url = app.url.as_str();
        let admin = caller(SERVICE_KEY);
        let db = module(&admin, url, json!({"type": "db", "name": "Users"})).await;
        users(&admin, url, &db, json!([{"username": "jane"}, {"username": "bob"}])).await;
        let update = community_path("/user_properties/update");

        // Before any update: empty properties, as before.
        let (s, one) =
            single(&admin, url, json!({"authModule": db, "username": "jane", "includeProperties": true})).await;
        assert_eq!(s, 200, "{one}");
        assert_eq!(one["data"]["userProperties"], json!({"mobiles": [], "landlines": [], "aliases": {}}));
        let uid = one["data"]["uid"].as_str().unwrap().to_owned();

        // Sealed update.
        let body = json!({"user": {"username": "JANE", "uid": uid, "authModuleId": db},
                          "mobiles": ["15551234567"], "landlines": ["4722334455"],
                          "aliases": {"alias1": "J.Doe", "alias2": null}});
        let (s, p) = sealed(&admin, url, Method::POST, &update, Some(&body)).await;
        assert_eq!(s, 200, "{p}");
        assert_eq!(p["user"], json!({"uid": uid, "username": "jane", "authModuleId": db}));
        assert_eq!((p["tenantId"].as_str(), p["communityId"].as_str()), (Some(TENANT_ID), Some(COMMUNITY_ID)));
        assert_eq!((p["mobiles"].clone(), p["aliases"]["alias1"].clone()), (json!(["15551234567"]), json!("J.Doe")));
        assert!(p["aliases"]["alias8"].is_null() && p["_id"].is_string(), "{p}");

        // Plain update (the preview, `{"data": {…}}`): the keys given change, the others stay.
        let body = json!({"data": {"user": {"username": "jane", "authModuleId": db}, "aliases": {"alias3": "jd"}}});
        let (s, p, was_sealed) = plain(&caller(SERVICE_EXT_KEY), url, Method::POST, &update, Some(&body)).await;
        assert_eq!((s, was_sealed), (200, false), "{p}");
        assert_eq!((p["aliases"]["alias1"].as_str(), p["aliases"]["alias3"].as_str()), (Some("J.Doe"), Some("jd")));
        assert_eq!(p["landlines"], json!(["4722334455"]));

        // The fetches return them.
        let (_, one) =
            single(&admin, url, json!({"authModule": db, "username": "jane", "includeProperties": true})).await;
        let props = &one["data"]["userProperties"];
        assert_eq!(
            (props["mobiles"].clone(), props["aliases"]["alias3"].clone()),
            (json!(["15551234567"]), json!("jd"))
        );
        let (_, page) = sealed(
            &admin,
            url,
            Method::POST,
            &community_path("/users/fetch"),
            Some(&json!({"authModule": db, "includeProperties": true})),
        )
        .await;
        let by_name: Vec<(&str, &Value)> = page["data"]
            .as_array()
            .unwrap()
            .iter()
            .map(|u| (u["username"].as_str().unwrap(), &u["userProperties"]["mobiles"]))
            .collect();
        assert_eq!(by_name, [("bob", &json!([])), ("jane", &json!(["15551234567"]))], "{page}");
        let (_, page) =
            sealed(&admin, url, Method::POST, &community_path("/users/fetch"), Some(&json!({"authModule": db}))).await;
        assert!(page["data"][0].get("userProperties").is_none(), "{page}");

        // checkAliases: a username that names nobody finds the user whose alias it is (any case).
        let (s, e) = single(&admin, url, json!({"authModule": db, "username": "j.doe"})).await;
        assert_error(s, &e, 404, "user not found");
        let (s, one) = single(&admin, url, json!({"authModule": db, "username": "j.doe", "checkAliases": true})).await;
        assert_eq!((s, one["data"]["username"].as_str()), (200, Some("jane")), "{one}");
        let (_, page) = sealed(
            &admin,
            url,
            Method::POST,
            &community_path("/users/fetch"),
            Some(&json!({"authModule": db, "query": {"username": "JD"}, "checkAliases": true})),
        )
        .await;
        assert_eq!(
            (page["page"]["total"].clone(), page["data"][0]["username"].clone()),
            (json!(1), json!("jane")),
            "{page}"
        );

        // An alias names one user of the module.
        let taken = json!({"user": {"username": "bob", "authModuleId": db}, "aliases": {"alias1": "JD"}});
        let (s, e) = sealed(&admin, url, Method::POST, &update, Some(&taken)).await;
        assert_error(s, &e, 409, "another user");

        // What is refused: bad numbers and aliases, an unknown or mismatched user, a missing module, app keys.
        let bad = |extra: Value| {
            let mut b = json!({"user": {"username": "bob", "authModuleId": db}});
            b.as_object_mut().unwrap().extend(extra.as_object().unwrap().clone());
            b
        };
        for (extra, needle) in [
            (json!({"mobiles": ["+47 secret"]}), "mobiles[0] must be 4 to 20 digits"),
            (json!({"aliases": {"alias9": "x"}}), "alias1 to alias8"),
            (json!({"aliases": {"alias1": "two words"}}), "aliases.alias1"),
            (json!({"colour": "red"}), "unknown field"),
        ] {
            let (s, e) = sealed(&admin, url, Method::POST, &update, Some(&bad(extra))).await;
            assert_error(s, &e, 400, needle);
            assert!(!e.to_string().contains("secret") && !e.to_string().contains("two words"), "{e}");
        }
        let nobody = json!({"user": {"username": "nobody", "authModuleId": db}});
        let (s, e) = sealed(&admin, url, Method::POST, &update, Some(&nobody)).await;
        assert_error(s, &e, 404, "user not found");
        let mismatch = json!({"user": {"username": "bob", "uid": uid, "authModuleId": db}});
        let (s, e) = sealed(&admin, url, Method::POST, &update, Some(&mismatch)).await;
        assert_error(s, &e, 404, "user not found");
        let no_module = json!({"user": {"username": "bob", "authModuleId": "5f3d8d0cd866fa61019c0000"}});
        let (s, e) = sealed(&admin, url, Method::POST, &update, Some(&no_module)).await;
        assert_error(s, &e, 404, "auth module not found");
        let (s, _) = sealed(&caller(APP_KEY), url, Method::POST, &update, Some(&nobody)).await;
        assert_eq!(s, 403);
    }
}

#[tokio::test]
async fn a_user_is_found_by_its_azure_ad_object_id() {
    for storage in [kit::testing::Storage::Embedded, kit::testing::Storage::Postgres] {
        let Some(app) = spawn(storage, "fetch by oid", &[]).await else { continue };
        let url = app.url.as_str();
        let admin = caller(SYSTEM_KEY);
        let tid = "72f988bf-86f1-41af-91ab-2d7cd011db47";
        let oid = "00000000-0000-0000-0000-0000000000AB";
        let azure = json!({"type": "azuread", "name": "Entra", "config": {
            "appName": "Acme", "tenantId": tid.to_uppercase(), "tenantName": "acme.onmicrosoft.com",
            "clientId": "11111111-1111-1111-1111-111111111111", "clientSecret": "azure-secret",
            "loginBasePath": "https://login.microsoftonline.com", "graphApiBasePath": "https://graph.microsoft.com"}});
        let path = community_path("/user/fetch_by_oid");
        let body = json!({"oid": oid.to_lowercase(), "tid": tid});

        // Without an azuread module for the tid: 404.
        let (s, e) = sealed(&admin, url, Method::POST, &path, Some(&body)).await;
        assert_error(s, &e, 404, "azuread auth module");
        module(&admin, url, azure).await;
        let db = module(&admin, url, json!({"type": "db", "name": "Users"})).await;
        let (s, e) = sealed(&admin, url, Method::POST, &path, Some(&body)).await;
        assert_error(s, &e, 404, "no user of the community has this oid");

        users(&admin, url, &db, json!([{"username": "jane", "idpId": oid}, {"username": "bob"}])).await;
        let (s, r) = sealed(&admin, url, Method::POST, &path, Some(&body)).await;
        assert_eq!((s, r["data"]["username"].as_str()), (200, Some("jane")), "{r}");
        assert_eq!(r["data"]["idpId"].as_str(), Some(oid));
        let (s, r, was_sealed) = plain(&caller(SERVICE_KEY), url, Method::POST, &path, Some(&body)).await;
        assert_eq!((s, was_sealed, r["data"]["username"].as_str()), (200, false, Some("jane")), "{r}");

        // Another tid, bad ids, other keys.
        let other = json!({"oid": oid, "tid": "aaaaaaaa-86f1-41af-91ab-2d7cd011db47"});
        let (s, e) = sealed(&admin, url, Method::POST, &path, Some(&other)).await;
        assert_error(s, &e, 404, "azuread auth module");
        let (s, e) = sealed(&admin, url, Method::POST, &path, Some(&json!({"oid": "jane", "tid": tid}))).await;
        assert_error(s, &e, 400, "oid must be a GUID");
        let (s, e) = sealed(&admin, url, Method::POST, &path, Some(&json!({"oid": oid}))).await;
        assert_error(s, &e, 400, "tid");
        let (s, _) = sealed(&caller(SERVICE_EXT_KEY), url, Method::POST, &path, Some(&body)).await;
        assert_eq!(s, 403);

        // The oid follows the user's idpId.
        let change = json!({"authModule": db, "username": "jane", "idpId": null});
        let (s, r) = sealed(&admin, url, Method::PATCH, &community_path("/user/update"), Some(&change)).await;
        assert_eq!(s, 200, "{r}");
        let (s, e) = sealed(&admin, url, Method::POST, &path, Some(&body)).await;
        assert_error(s, &e, 404, "no user of the community has this oid");
    }
}
