//! The User Attribute group over HTTP: define, list, update (one and bulk), delete, the
//! attributes of an attribute's module, and the directory attributes of db and ldap modules,
//! with sealed and plain bodies, on SQLite and PostgreSQL.

use reqwest::Method;
use serde_json::{Value, json};

use crate::helpers::*;

async fn module(admin: &envelope::Client, url: &str, body: Value) -> String {
    let (s, m) = sealed(admin, url, Method::PUT, &community_path("/module/create"), Some(&body)).await;
    assert_eq!(s, 200, "{m}");
    m["_id"].as_str().unwrap().to_owned()
}

fn ldap() -> Value {
    json!({"type": "ldap", "name": "Corporate LDAP",
           "config": {"serverprotocol": "ldaps", "server": "ldap1.acme", "serverport": "636",
                      "binddn": "cn=svc,dc=acme", "bindpassword": "bind-secret", "basedn": "dc=acme",
                      "securityauthentication": "Simple", "filter": "(uid={0})", "serviceacctreadonly": true}})
}

fn names(list: &Value) -> Vec<String> {
    list.as_array().unwrap().iter().map(|a| a["name"].as_str().unwrap().to_owned()).collect()
}

#[tokio::test]
async fn attributes_are_defined_listed_changed_and_deleted() {
    for storage in [kit::testing::Storage::Embedded, kit::testing::Storage::Postgres] {
        let Some(app) = spawn(storage, "user attributes", &[]).await else { continue };
        let url = app.url.as_str();
        let admin = caller(SERVICE_KEY);
        let db = module(&admin, url, json!({"type": "db", "name": "Users"})).await;
        let dir = module(&admin, url, ldap()).await;
        let put = |m: &str| community_path(&format!("/attributes?moduleId={m}"));

        // Sealed create: each attribute on its own.
        let body = json!({"attributes": [
            {"name": "first_name", "attribute": "firstname"},
            {"name": "last_name", "attribute": "lastname"},
            {"name": "FIRST_NAME", "attribute": "givenName"},
            {"name": "1bad", "attribute": "x"},
            {"name": "dept", "attribute": "two words"},
            {"name": "colour", "attribute": "c", "type": "secret-type-value"},
        ]});
        let (s, r) = sealed(&admin, url, Method::PUT, &put(&db), Some(&body)).await;
        assert_eq!(s, 200, "{r}");
        assert_eq!(names(&r["created"]), ["first_name", "last_name"], "{r}");
        assert_eq!(r["created"][0]["moduleId"].as_str(), Some(db.as_str()));
        assert_eq!(r["created"][0]["attribute"], "firstname");
        let first = r["created"][0]["_id"].as_str().unwrap().to_owned();
        let last = r["created"][1]["_id"].as_str().unwrap().to_owned();
        let codes: Vec<(u64, u64)> = r["errors"]
            .as_array()
            .unwrap()
            .iter()
            .map(|e| (e["index"].as_u64().unwrap(), e["code"].as_u64().unwrap()))
            .collect();
        assert_eq!(codes, [(2, 409), (3, 400), (4, 400), (5, 400)], "{r}");
        assert!(!r.to_string().contains("secret-type-value") && !r.to_string().contains("two words"), "{r}");

        // The same name in another module of the community is its own; plain body, plain reply.
        let (s, r, was_sealed) = plain(
            &admin,
            url,
            Method::PUT,
            &put(&dir),
            Some(&json!({"attributes": [{"name": "first_name", "attribute": "givenName"}]})),
        )
        .await;
        assert_eq!((s, was_sealed), (200, false), "{r}");
        let dir_first = r["created"][0]["_id"].as_str().unwrap().to_owned();

        // Lists: per module, and by attribute.
        let (s, list) = sealed(&admin, url, Method::GET, &put(&db), None).await;
        assert_eq!((s, names(&list)), (200, vec!["first_name".to_owned(), "last_name".to_owned()]), "{list}");
        let (_, list) =
            sealed(&admin, url, Method::GET, &community_path(&format!("/attribute/{dir_first}/attributes")), None)
                .await;
        assert_eq!(list[0]["attribute"], "givenName", "{list}");
        assert_eq!(list.as_array().unwrap().len(), 1);
        let unknown = "5f3d8d0cd866fa61019c0000";
        let (s, list) =
            sealed(&admin, url, Method::GET, &community_path(&format!("/attribute/{unknown}/attributes")), None).await;
        assert_eq!((s, list), (200, json!([])));
        let (s, e) = sealed(&admin, url, Method::GET, &community_path("/attributes"), None).await;
        assert_eq!(s, 400, "{e}");
        let (s, e) = sealed(&admin, url, Method::GET, &put("nope"), None).await;
        assert_error(s, &e, 400, "moduleId");

        // Update one: only what is given; names stay unique in the module.
        let one = |id: &str| community_path(&format!("/attribute/{id}"));
        let (s, a) = sealed(&admin, url, Method::PATCH, &one(&first), Some(&json!({"attribute": "givenName"}))).await;
        assert_eq!(s, 200, "{a}");
        assert_eq!((a["name"].as_str(), a["attribute"].as_str()), (Some("first_name"), Some("givenName")));
        let (s, e) = sealed(&admin, url, Method::PATCH, &one(&first), Some(&json!({"name": "Last_Name"}))).await;
        assert_error(s, &e, 409, "already has an attribute of this name");
        let (s, e) = sealed(&admin, url, Method::PATCH, &one(&first), Some(&json!({}))).await;
        assert_error(s, &e, 400, "name or attribute");
        let (s, e) = sealed(&admin, url, Method::PATCH, &one(unknown), Some(&json!({"name": "x"}))).await;
        assert_error(s, &e, 404, "not found");

        // Bulk update: per item.
        let body = json!({"attributes": [
            {"id": last, "name": "surname"},
            {"id": unknown, "name": "x"},
            {"name": "no_id"},
            {"id": first, "name": "surname"},
        ]});
        let (s, r, was_sealed) = plain(&admin, url, Method::PATCH, &community_path("/attributes"), Some(&body)).await;
        assert_eq!((s, was_sealed), (200, false), "{r}");
        assert_eq!(names(&r["updated"]), ["surname"], "{r}");
        let codes: Vec<u64> = r["errors"].as_array().unwrap().iter().map(|e| e["code"].as_u64().unwrap()).collect();
        assert_eq!(codes, [404, 400, 409], "{r}");

        // Another community sees none of them.
        let other = format!("/tenant/{OTHER_TENANT_ID}/community/{OTHER_COMMUNITY_ID}/attribute/{first}");
        let (s, e) = sealed(&admin, url, Method::DELETE, &other, None).await;
        assert_error(s, &e, 404, "not found");

        // Delete.
        let (s, _) = sealed(&admin, url, Method::DELETE, &one(&first), None).await;
        assert_eq!(s, 204);
        let (s, e) = sealed(&admin, url, Method::DELETE, &one(&first), None).await;
        assert_error(s, &e, 404, "not found");
        let (_, list) = sealed(&admin, url, Method::GET, &put(&db), None).await;
        assert_eq!(names(&list), ["surname"]);

        // A module that is not in the community.
        let (s, e) = sealed(
            &admin,
            url,
            Method::PUT,
            &put(unknown),
            Some(&json!({"attributes": [{"name": "a", "attribute": "b"}]})),
        )
        .await;
        assert_error(s, &e, 404, "auth module not found");
        let (s, e) = sealed(&admin, url, Method::PUT, &put(&db), Some(&json!({"attributes": []}))).await;
        assert_error(s, &e, 400, "1 to 100");

        // An app key is refused.
        let (s, e) = sealed(&caller(APP_KEY), url, Method::GET, &put(&db), None).await;
        assert_eq!(s, 403, "{e}");

        // Deleting a module deletes its attributes.
        let (s, _) = sealed(&admin, url, Method::DELETE, &community_path(&format!("/module/{dir}")), None).await;
        assert_eq!(s, 204);
        let (s, list) =
            sealed(&admin, url, Method::GET, &community_path(&format!("/attribute/{dir_first}/attributes")), None)
                .await;
        assert_eq!((s, list), (200, json!([])));
    }
}

#[tokio::test]
async fn directory_attributes_are_the_user_fields_of_a_db_module_and_refused_for_a_directory() {
    let Some(app) = spawn(kit::testing::Storage::Embedded, "directory attributes", &[]).await else { return };
    let url = app.url.as_str();
    let admin = caller(SERVICE_EXT_KEY);
    let db = module(&admin, url, json!({"type": "db", "name": "Users"})).await;
    let dir = module(&admin, url, ldap()).await;
    let path = |m: &str| community_path(&format!("/directoryattributes?moduleId={m}"));

    let (s, r) = sealed(&admin, url, Method::POST, &path(&db), Some(&json!({}))).await;
    assert_eq!(s, 200, "{r}");
    assert_eq!(r["page"], json!({"index": 0, "total": 19, "size": 19}));
    assert_eq!(r["data"][0], "uid");
    assert_eq!(r["data"][18], "disabled");
    let (s, r, was_sealed) =
        plain(&admin, url, Method::POST, &path(&db), Some(&json!({"pIndex": 1, "pSize": 5}))).await;
    assert_eq!((s, was_sealed), (200, false), "{r}");
    assert_eq!(r["data"], json!(["roleValue", "status", "firstname", "middlename", "lastname"]));
    let (s, e) = sealed(&admin, url, Method::POST, &path(&db), Some(&json!({"pSize": 101}))).await;
    assert_error(s, &e, 400, "pSize");

    let (s, e) = sealed(&admin, url, Method::POST, &path(&dir), Some(&json!({}))).await;
    assert_error(s, &e, 400, "not supported yet");
    let (s, e) = sealed(&admin, url, Method::POST, &path("5f3d8d0cd866fa61019c0000"), Some(&json!({}))).await;
    assert_error(s, &e, 404, "auth module not found");
}
