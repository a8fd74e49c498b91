//! `GET /platform_health` over HTTP, with no authentication: a real users-mgmt started beside
//! adminapi shows operational; a directory entry on a closed port shows down, and the report
//! says degraded (503), never a 500.

use serde_json::{Value, json};

use crate::helpers::spawn;
use kit::testing::Storage;

/// A local port nothing listens on.
fn closed_port() -> u16 {
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    listener.local_addr().unwrap().port()
}

async fn health(url: &str) -> (u16, Value) {
    let resp = reqwest::get(format!("{url}/platform_health")).await.unwrap();
    (resp.status().as_u16(), resp.json().await.unwrap())
}

#[tokio::test]
async fn the_platform_health_reports_every_service() {
    let storage = Storage::Embedded;
    let Some(users) =
        kit::testing::spawn_with_keys(users_mgmt::SERVICE, users_mgmt::build, storage, "health users", &[]).await
    else {
        return;
    };
    let up = json!({"users-mgmt": users.url}).to_string();
    let Some(admin) = spawn(storage, "platform health", &[("SERVICE_DIRECTORY", &up)]).await else { return };
    let (s, r) = health(&admin.url).await;
    assert_eq!(s, 200, "{r}");
    assert_eq!((r["status"].as_str(), r["code"].as_str()), (Some("all services operational"), Some("200")));
    let publickey: Value = reqwest::get(format!("{}/publickeys", admin.url)).await.unwrap().json().await.unwrap();
    assert_eq!(r["publicKey"], publickey["publicKey"]);
    assert_eq!(r["version"].as_str(), Some(kit::VERSION));
    let names: Vec<(&str, &str, u64)> = r["services"]
        .as_array()
        .unwrap()
        .iter()
        .map(|s| (s["name"].as_str().unwrap(), s["status"].as_str().unwrap(), s["code"].as_u64().unwrap()))
        .collect();
    assert_eq!(names, [("adminapi", "operational", 200), ("users-mgmt", "operational", 200)]);

    let closed = closed_port();
    let partial = json!({"users-mgmt": users.url, "sessions": format!("http://127.0.0.1:{closed}")}).to_string();
    let Some(admin) = spawn(storage, "platform health down", &[("SERVICE_DIRECTORY", &partial)]).await else { return };
    let (s, r) = health(&admin.url).await;
    assert_eq!(s, 503, "{r}");
    assert_eq!((r["status"].as_str(), r["code"].as_str()), (Some("degraded: sessions down"), Some("503")));
    assert_eq!(r["services"][1], json!({"name": "sessions", "status": "down", "code": null, "version": null}));
    assert_eq!(r["services"][2]["status"].as_str(), Some("operational"), "{r}");
}
