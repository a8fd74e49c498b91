//! `POST /test-connection` over HTTP: adminapi asks users-mgmt, which really connects to the
//! module's directory (a real slapd) and binds, host by host, and names the step that failed.

use std::sync::Arc;

use envelope::{Client, Curve, KeyPair};
use kit::testing::slapd::{self, Slapd};
use kit::testing::{SERVICE_KEY, Storage};
use reqwest::Method;
use serde_json::{Value, json};

use crate::login::platform;

fn licensed() -> Client {
    Client::new(Arc::new(KeyPair::generate(Curve::Secp256k1).unwrap())).unwrap().license(SERVICE_KEY).app_id("tests")
}

async fn test(url: &str, body: &Value) -> (u16, Value) {
    let reply = licensed().call(Method::POST, url, "/test-connection", Some(body)).await.unwrap();
    (reply.status, reply.body)
}

#[tokio::test]
async fn a_directory_module_is_tested_through_users_mgmt_step_by_step() {
    let Some(dir) = Slapd::start("adminapi test-connection") else { return };
    let Some(p) = platform(Storage::Embedded, "test-connection", 1, &[]).await else { return };
    let url = p.admin[0].as_str();
    let closed = std::net::TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port();
    let config = json!({"serverprotocol": "ldap", "server": "127.0.0.1", "serverport": dir.port.to_string(),
        "hosts": [{"server": "127.0.0.1", "port": dir.port.to_string()}, {"server": "127.0.0.1", "port": closed.to_string()}],
        "binddn": slapd::SERVICE_DN, "bindpassword": slapd::SERVICE_PASSWORD, "basedn": slapd::BASE_DN,
        "securityauthentication": "Simple", "filter": "uid", "serviceacctreadonly": true, "hostTimeoutSeconds": 3});
    let ldap =
        p.users_call(Method::PUT, "/module/create", json!({"type": "ldap", "name": "Dir", "config": config})).await;
    let id = ldap["_id"].as_str().unwrap();

    let body = json!({"tenantId": p.tenant, "communityId": p.community, "moduleId": id});
    let (s, r) = test(url, &body).await;
    assert_eq!((s, r["status"].as_bool(), r["_id"].as_str()), (200, Some(true), Some(id)), "{r}");
    assert_eq!((r["hosts"][0]["status"].as_bool(), r["hosts"][1]["step"].as_str()), (Some(true), Some("tcp")), "{r}");
    assert!(!r.to_string().contains(slapd::SERVICE_PASSWORD), "{r}");

    // The directory stops: the reply says which step failed, status false (never a success).
    drop(dir);
    let (s, r) = test(url, &body).await;
    assert_eq!((s, r["status"].as_bool(), r["hosts"][0]["step"].as_str()), (200, Some(false), Some("tcp")), "{r}");
    assert!(r["message"].as_str().unwrap().starts_with("connection failed"), "{r}");

    // The db module is tested against users-mgmt's database.
    let body = json!({"tenantId": p.tenant, "communityId": p.community, "moduleId": p.module});
    let (s, r) = test(url, &body).await;
    assert_eq!((s, r["status"].as_bool(), r["type"].as_str()), (200, Some(true), Some("db")), "{r}");

    // Refusals: a module that is not one, a community that does not exist, a bad body, no license.
    let (s, r) = test(url, &json!({"tenantId": p.tenant, "communityId": p.community, "moduleId": "nope"})).await;
    assert_eq!((s, r["message"].as_str()), (404, Some("auth module not found")), "{r}");
    let other = json!({"tenantId": p.tenant, "communityId": "0123456789abcdef01234567", "moduleId": id});
    assert_eq!(test(url, &other).await.0, 404);
    let (s, r) = test(url, &json!({"communityId": p.community, "moduleId": id})).await;
    assert_eq!(s, 400, "{r}");
    let reply = Client::new(Arc::new(KeyPair::generate(Curve::Secp256k1).unwrap()))
        .unwrap()
        .app_id("tests")
        .call(Method::POST, url, "/test-connection", Some(&body))
        .await
        .unwrap();
    assert_eq!(reply.status, 401, "{}", reply.body);
}
