//! The Downloadables group over HTTP: versions listed from a `DOWNLOADABLES_DIR` laid out
//! `<software>/<version>/<files>` (newest by natural order, per system), a file downloaded for a
//! module of the community, an empty catalog without the directory, refusals, access rules.

use std::path::PathBuf;

use reqwest::Method;
use serde_json::json;

use crate::login::{assert_error, bearer, call, call_plain, platform};
use kit::testing::Storage;

/// A catalog: broker 1.9.0 (windows) and 1.10.0 (windows, linux), radius pl_gr_1.07.02 (any).
fn catalog(test: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("adminapi-downloadables-{test}-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    for (path, content) in [
        ("broker/1.9.0/broker-windows.zip", "old windows broker"),
        ("broker/1.10.0/broker-windows.zip", "new windows broker"),
        ("broker/1.10.0/broker-linux.tar.gz", "new linux broker"),
        ("radius/pl_gr_1.07.02/radius.jar", "radius for all"),
    ] {
        let file = dir.join(path);
        std::fs::create_dir_all(file.parent().unwrap()).unwrap();
        std::fs::write(file, content).unwrap();
    }
    dir
}

#[tokio::test]
async fn an_administrator_lists_and_downloads_software() {
    let dir = catalog("list");
    let Some(p) =
        platform(Storage::Embedded, "downloadables", 1, &[("DOWNLOADABLES_DIR", dir.to_str().unwrap())]).await
    else {
        return;
    };
    let url = p.admin[0].as_str();
    let jane = bearer(&p.token("jane", "Quartz-Meadow-71").await);
    let auth = Some(jane.as_str());

    let body = json!({"software": ["broker", "radius"], "os": ["windows", "linux"]});
    let (s, r) = call(url, Method::POST, "/downloadables/versions/fetch", auth, Some(&body)).await;
    assert_eq!(s, 200, "{r}");
    let artifact =
        |software: &str, os: &str, v: &str| json!({"software": software, "os": os, "displayVersion": v, "version": v});
    assert_eq!(
        r,
        json!({"artifacts": [
            artifact("broker", "windows", "1.10.0"), artifact("broker", "linux", "1.10.0"),
            artifact("radius", "windows", "pl_gr_1.07.02"), artifact("radius", "linux", "pl_gr_1.07.02"),
        ]})
    );
    let every = json!({"software": ["broker"], "latest": false, "os": ["windows"]});
    let (s, r) = call_plain(url, Method::POST, "/downloadables/versions/fetch", auth, &every).await;
    assert_eq!(
        (s, r),
        (200, json!({"artifacts": [artifact("broker", "windows", "1.10.0"), artifact("broker", "windows", "1.9.0")]}))
    );
    for (body, needle) in [
        (json!({"os": ["windows"]}), "software"),
        (json!({"software": [], "os": ["windows"]}), "software must list at least one name"),
        (json!({"software": ["../etc"], "os": ["windows"]}), "software must be a name"),
    ] {
        let (s, r) = call(url, Method::POST, "/downloadables/versions/fetch", auth, Some(&body)).await;
        assert_error(s, &r, 400, needle);
    }

    let fetch = |os: Option<&str>, version: Option<&str>| {
        let mut b = json!({"tenantId": p.tenant, "communityId": p.community, "moduleId": p.module, "type": "broker"});
        if let Some(os) = os {
            b["os"] = json!(os);
        }
        if let Some(v) = version {
            b["version"] = json!(v);
        }
        b
    };
    let http = reqwest::Client::new();
    let download = |body: serde_json::Value| {
        let (http, url, jane) = (http.clone(), url.to_owned(), jane.clone());
        async move {
            let client = envelope::Client::new(std::sync::Arc::new(
                envelope::KeyPair::generate(envelope::Curve::Secp256k1).unwrap(),
            ))
            .unwrap();
            let peer = client.peer(&url).await.unwrap();
            let mut req = http.post(format!("{url}/downloadables/artifact/fetch")).header("authorization", jane);
            for (name, value) in client.headers(&peer).unwrap().pairs() {
                req = req.header(name, value);
            }
            let sealed = envelope::wire::SealedBody::seal(&peer.shared, &body).unwrap();
            let resp = req.json(&sealed).send().await.unwrap();
            let status = resp.status().as_u16();
            let disposition = resp.headers().get("content-disposition").map(|v| v.to_str().unwrap().to_owned());
            (status, disposition, resp.text().await.unwrap())
        }
    };
    let (s, disposition, text) = download(fetch(Some("linux"), None)).await;
    assert_eq!((s, text.as_str()), (200, "new linux broker"));
    assert_eq!(disposition.as_deref(), Some("attachment; filename=\"broker-linux.tar.gz\""));
    let (s, _, text) = download(fetch(Some("windows"), Some("1.9.0"))).await;
    assert_eq!((s, text.as_str()), (200, "old windows broker"));
    let (s, _, text) = download(fetch(Some("macos"), None)).await;
    assert_eq!(s, 404, "{text}");
    let (s, _, text) = download(fetch(None, Some("1.10.0"))).await;
    assert_eq!(s, 400, "several files: {text}");
    let mut other_module = fetch(Some("linux"), None);
    other_module["moduleId"] = json!("5f3d8d0cd866fa61019cf001");
    let (s, _, text) = download(other_module).await;
    assert!(s == 404 && text.contains("moduleId"), "{s} {text}");

    let (s, _) = call(url, Method::POST, "/downloadables/versions/fetch", None, Some(&body)).await;
    assert_eq!(s, 401);
    let bob = bearer(&p.token("bob", "Violet-Harbor-58").await);
    let (s, _) = call(url, Method::POST, "/downloadables/versions/fetch", Some(&bob), Some(&body)).await;
    assert_eq!(s, 403);
    let (s, _) = call(url, Method::POST, "/downloadables/artifact/fetch", Some(&bob), Some(&fetch(None, None))).await;
    assert_eq!(s, 403);
    let _ = std::fs::remove_dir_all(&dir);
}

#[tokio::test]
async fn without_a_directory_the_catalog_is_empty() {
    let Some(p) = platform(Storage::Embedded, "no downloadables", 1, &[]).await else { return };
    let url = p.admin[0].as_str();
    let jane = bearer(&p.token("jane", "Quartz-Meadow-71").await);
    let body = json!({"software": ["broker"], "os": ["windows"]});
    let (s, r) = call(url, Method::POST, "/downloadables/versions/fetch", Some(&jane), Some(&body)).await;
    assert_eq!((s, r), (200, json!({"artifacts": []})));
    let fetch = json!({"tenantId": p.tenant, "communityId": p.community, "moduleId": p.module});
    let (s, r) = call(url, Method::POST, "/downloadables/artifact/fetch", Some(&jane), Some(&fetch)).await;
    assert_error(s, &r, 404, "no such software");
}
