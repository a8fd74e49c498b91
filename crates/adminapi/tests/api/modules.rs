//! Auth modules and their custom attributes through adminapi: an administrator manages them in
//! the session's community, the records are users-mgmt's (read back there), and users-mgmt's
//! refusals keep their status and message.

use reqwest::Method;
use serde_json::json;

use crate::login::{assert_error, bearer, call, platform};
use kit::testing::Storage;

#[tokio::test]
async fn an_administrator_manages_auth_modules_through_users_mgmt() {
    let Some(p) = platform(Storage::Embedded, "admin modules", 1, &[]).await else { return };
    let url = p.admin[0].as_str();
    let jane = bearer(&p.token("jane", "Quartz-Meadow-71").await);
    let auth = Some(jane.as_str());

    let (s, r) = call(url, Method::POST, "/auth_modules/fetch", auth, None).await;
    assert_eq!((s, r.as_array().map(Vec::len), r[0]["_id"].as_str()), (200, Some(1), Some(p.module.as_str())), "{r}");
    // A second db module: users-mgmt refuses, in its words.
    let (s, r) =
        call(url, Method::PUT, "/auth_modules/create", auth, Some(&json!({"type": "db", "name": "Again"}))).await;
    assert_error(s, &r, 409, "already has an auth module of this type");
    let incomplete = json!({"type": "ldap", "name": "Directory", "config": {"serverprotocol": "ldap"}});
    let (s, r) = call(url, Method::PUT, "/auth_modules/create", auth, Some(&incomplete)).await;
    assert_error(s, &r, 400, "config.server is required");
    let ldap = json!({"type": "ldap", "name": "Directory", "config": {
        "serverprotocol": "ldap", "server": "127.0.0.1", "serverport": 389, "binddn": "cn=svc,dc=example,dc=com",
        "bindpassword": "s3cret-bind", "basedn": "dc=example,dc=com", "securityauthentication": "Simple",
        "filter": "(uid={username})", "serviceacctreadonly": true}});
    let (s, created) = call(url, Method::PUT, "/auth_modules/create", auth, Some(&ldap)).await;
    assert_eq!(s, 200, "{created}");
    let id = created["_id"].as_str().unwrap().to_owned();
    assert!(!created.to_string().contains("s3cret-bind"), "a secret is never returned: {created}");
    let (s, r) = call(
        url,
        Method::PATCH,
        &format!("/auth_modules/{id}"),
        auth,
        Some(&json!({"name": "Corporate", "enabled": false})),
    )
    .await;
    assert_eq!((s, r["name"].as_str(), r["enabled"].as_bool()), (200, Some("Corporate"), Some(false)), "{r}");
    let (s, r) = call(url, Method::GET, &format!("/auth_modules/{id}"), auth, None).await;
    assert_eq!((s, r["name"].as_str()), (200, Some("Corporate")), "{r}");
    let at_users_mgmt = p.users_call(Method::POST, "/modules/fetch", json!({})).await;
    assert_eq!(at_users_mgmt.as_array().map(Vec::len), Some(2), "users-mgmt has both modules: {at_users_mgmt}");
    let (s, r) = call(url, Method::DELETE, &format!("/auth_modules/{id}"), auth, None).await;
    assert_eq!(s, 204, "{r}");
    let (s, r) = call(url, Method::GET, &format!("/auth_modules/{id}"), auth, None).await;
    assert_eq!(s, 404, "{r}");
    let (s, r) = call(url, Method::GET, "/auth_modules/not-an-id", auth, None).await;
    assert_error(s, &r, 404, "auth module not found");
}

#[tokio::test]
async fn an_administrator_manages_the_attributes_of_a_module() {
    let Some(p) = platform(Storage::Embedded, "admin attributes", 1, &[]).await else { return };
    let url = p.admin[0].as_str();
    let jane = bearer(&p.token("jane", "Quartz-Meadow-71").await);
    let auth = Some(jane.as_str());
    let body = json!({"moduleId": p.module, "attributes": [{"name": "employeeId", "attribute": "employee_id"}, {"name": "EMPLOYEEID", "attribute": "x"}]});
    let (s, r) = call(url, Method::PUT, "/attributes", auth, Some(&body)).await;
    assert_eq!(s, 200, "{r}");
    assert_eq!(r["errors"][0]["code"], 409, "a name the module has, whatever its case: {r}");
    let (s, list) = call(url, Method::GET, &format!("/attributes?moduleId={}", p.module), auth, None).await;
    assert_eq!((s, list.as_array().map(Vec::len)), (200, Some(1)), "{list}");
    let id = list[0]["_id"].as_str().unwrap().to_owned();
    let (s, r) = call(
        url,
        Method::PATCH,
        &format!("/attributes/{id}"),
        auth,
        Some(&json!({"moduleId": p.module, "name": "staffId"})),
    )
    .await;
    assert_eq!((s, r["name"].as_str()), (200, Some("staffId")), "{r}");
    let other = "0123456789abcdef01234567";
    let (s, r) = call(url, Method::DELETE, &format!("/attributes/{id}"), auth, Some(&json!({"moduleId": other}))).await;
    assert_eq!(s, 404, "an attribute of another module is not found: {r}");
    let (s, r) =
        call(url, Method::DELETE, &format!("/attributes/{id}"), auth, Some(&json!({"moduleId": p.module}))).await;
    assert_eq!(s, 204, "{r}");
    let listed = p.users_call(Method::GET, &format!("/attributes?moduleId={}", p.module), json!(null)).await;
    assert_eq!(listed, json!([]), "gone at users-mgmt too");
}

#[tokio::test]
async fn the_default_auth_modules_are_the_communitys_and_the_login_page_sees_them() {
    let Some(p) = platform(Storage::Embedded, "auth scheme", 1, &[]).await else { return };
    let url = p.admin[0].as_str();
    let jane = bearer(&p.token("jane", "Quartz-Meadow-71").await);
    let auth = Some(jane.as_str());
    let info = json!({"dns": "acme.example.com", "communityName": "default"});
    let (s, r) = call(url, Method::POST, "/community_auth_info/fetch", None, Some(&info)).await;
    assert_eq!((s, r["authScheme"].clone()), (200, json!({"defaultModules": []})), "{r}");

    let set =
        |modules: serde_json::Value| json!({"tenantId": p.tenant, "communityId": p.community, "modules": modules});
    let (s, r) = call(url, Method::PATCH, "/authscheme/default/modules", auth, Some(&set(json!([])))).await;
    assert_error(s, &r, 400, "1 to 20");
    let (s, r) =
        call(url, Method::PATCH, "/authscheme/default/modules", auth, Some(&set(json!(["0123456789abcdef01234567"]))))
            .await;
    assert_error(s, &r, 404, "not an auth module of the community");
    let (s, r) =
        call(url, Method::PATCH, "/authscheme/default/modules", auth, Some(&set(json!([p.module, p.module])))).await;
    assert_error(s, &r, 400, "listed twice");
    let bob = bearer(&p.token("bob", "Violet-Harbor-58").await);
    let (s, r) =
        call(url, Method::PATCH, "/authscheme/default/modules", Some(&bob), Some(&set(json!([p.module])))).await;
    assert_eq!(s, 403, "{r}");

    let (s, r) =
        call(url, Method::PATCH, "/authscheme/default/modules", auth, Some(&set(json!([p.module.to_uppercase()]))))
            .await;
    assert_eq!((s, r["defaultModules"].clone()), (200, json!([p.module])), "{r}");
    let (s, r) = call(url, Method::POST, "/community_auth_info/fetch", None, Some(&info)).await;
    assert_eq!((s, r["authScheme"]["defaultModules"].clone()), (200, json!([p.module])), "{r}");
}
