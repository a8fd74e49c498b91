//! The checks of a service's route table against the catalog, offline and on a running service.

use super::test_keys;

/// Checks the route table of a running service against the catalog: every catalog endpoint is
/// routed (it never answers 404 or 405), and an unknown path answers a JSON 404.
pub async fn assert_catalog_routed(url: &str, service: &str) {
    let http = reqwest::Client::new();
    let mut checked = 0;
    for entry in crate::catalog::catalog(service) {
        let path: String = entry
            .path
            .split('/')
            .map(|seg| if seg.starts_with('{') { "p0000000000000000000000a" } else { seg })
            .collect::<Vec<_>>()
            .join("/");
        #[allow(clippy::expect_used)]
        let method = reqwest::Method::from_bytes(entry.method.as_bytes()).expect("catalog method");
        #[allow(clippy::expect_used)]
        let resp = http.request(method, format!("{url}{path}")).send().await.expect("request");
        let status = resp.status().as_u16();
        #[allow(clippy::expect_used)]
        let body: serde_json::Value = resp.json().await.expect("every reply is JSON");
        assert!(
            status != 405 && !(status == 404 && body["message"].as_str().is_some_and(|m| m.starts_with("Cannot "))),
            "{} {} is not routed: {status} {body}",
            entry.method,
            entry.path
        );
        if status == 501 {
            assert_eq!(body["message"], format!("{} {} is not implemented yet", entry.method, entry.path));
        }
        // A call without headers, body or real ids is bad input, never a server error.
        assert!(status < 500 || status == 501, "{} {} answered {status} {body}", entry.method, entry.path);
        checked += 1;
    }
    assert!(checked > 0, "the catalog lists endpoints for {service}");
    #[allow(clippy::expect_used)]
    let resp = http.get(format!("{url}/no/such/path")).send().await.expect("request");
    assert_eq!(resp.status().as_u16(), 404);
}

/// The committed `proto-docs/<service>.json` equals the document generated from the code.
#[allow(clippy::unwrap_used, clippy::panic)]
pub fn assert_openapi_committed(service: &str, doc: &utoipa::openapi::OpenApi) {
    let generated = crate::openapi::to_file_text(doc).unwrap();
    let file = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join(format!("../../proto-docs/{service}.json"));
    let committed = std::fs::read_to_string(&file).unwrap_or_default();
    assert!(generated == committed, "proto-docs/{service}.json is stale: run make openapi");
}

/// Every route of the table and of the catalog is in the document with its method; the built
/// ones are documented, every other catalog endpoint as a 501.
#[allow(clippy::panic)]
pub fn assert_openapi_complete(table: &crate::routing::Table) {
    use crate::openapi::{NOT_IMPLEMENTED, missing_operations, operations};
    let (service, doc) = (table.service(), table.openapi());
    let missing = missing_operations(&doc, service, &table.entries());
    assert!(missing.is_empty(), "not in the document: {missing:?}");
    let not_built = doc
        .paths
        .paths
        .values()
        .flat_map(operations)
        .filter(|(_, op)| op.description.as_deref() == Some(NOT_IMPLEMENTED))
        .inspect(|(_, op)| assert!(op.responses.responses.contains_key("501")))
        .count();
    let all: usize = doc.paths.paths.values().map(|item| operations(item).count()).sum();
    let routes: usize = table.endpoints().iter().map(|e| e.methods().len()).sum();
    let outside = table.endpoints().iter().filter(|e| e.reason().is_some()).map(|e| e.methods().len()).sum::<usize>();
    assert_eq!(all, crate::catalog::catalog(service).count() + outside, "one operation per route");
    assert_eq!(all - not_built, routes, "every built route documented");
    let mismatches = table.catalog_mismatches();
    assert!(mismatches.is_empty(), "{mismatches:#?}");
}

/// The document is OpenAPI 3.1 JSON titled with the service, declares the header security
/// schemes, and has no internal problems (duplicate operation ids, undeclared path parameters,
/// two schemas under one name).
#[allow(clippy::unwrap_used, clippy::panic)]
pub fn assert_openapi_valid(table: &crate::routing::Table) {
    let doc = table.openapi();
    let json: serde_json::Value = serde_json::from_str(&crate::openapi::to_file_text(&doc).unwrap()).unwrap();
    let version = json["openapi"].as_str().unwrap();
    assert!(version.starts_with("3.1."), "openapi is {version}");
    assert_eq!(json["info"]["title"], table.service());
    assert!(json.get("servers").is_none());
    let problems = crate::openapi::problems(&doc);
    assert!(problems.is_empty(), "{problems:#?}");
    let collisions = crate::openapi::schema_collisions(&table.entries());
    assert!(collisions.is_empty(), "{collisions:#?}");
    for scheme in ["publickey", "requestid", "licensekey", "license"] {
        assert_eq!(json["components"]["securitySchemes"][scheme]["in"], "header", "{scheme}");
    }
}

/// A running service serves the same document at `/openapi.json`.
#[allow(clippy::unwrap_used)]
pub async fn assert_openapi_served(url: &str, doc: &utoipa::openapi::OpenApi) {
    let reply = reqwest::get(format!("{url}/openapi.json")).await.unwrap();
    assert_eq!(reply.status(), 200);
    let served: serde_json::Value = reply.json().await.unwrap();
    assert_eq!(served, serde_json::to_value(doc).unwrap());
}

/// A built route's license levels that deliberately differ from the catalog's `auth_levels`:
/// `(method, path, why)`.
pub type LevelDeviation = (&'static str, &'static str, &'static str);

/// The catalog level check of a route table: every built catalog route declares (by its
/// extractor's type) exactly the catalog's `auth_levels`, except the `deviations`, each with its
/// reason; a deviation that no longer deviates fails too, so the list stays true.
#[allow(clippy::panic)]
pub fn assert_levels_match_catalog(table: &crate::routing::Table, deviations: &[LevelDeviation]) {
    let mut found = Vec::new();
    let mut used = vec![false; deviations.len()];
    for e in table.endpoints() {
        for method in e.methods() {
            let Some(entry) = crate::catalog::find(table.service(), method, e.path()) else { continue };
            if entry.needs_jwt != e.requirement().session.is_some() {
                found.push(format!(
                    "{method} {}: the catalog says it {} a login session (JWT), the handler's type says otherwise",
                    e.path(),
                    if entry.needs_jwt { "needs" } else { "does not need" }
                ));
            }
            let mut declared: Vec<&str> = e.requirement().auth.accept().map(|a| a.names()).unwrap_or_default();
            let mut catalogued: Vec<&str> = entry.auth_levels.iter().map(String::as_str).collect();
            declared.sort_unstable();
            catalogued.sort_unstable();
            if declared == catalogued {
                continue;
            }
            match deviations.iter().position(|(m, p, _)| m == method && *p == e.path()) {
                Some(i) => used[i] = true,
                None => {
                    found.push(format!("{method} {}: declares {declared:?}, the catalog says {catalogued:?}", e.path()))
                }
            }
        }
    }
    for (i, (m, p, _)) in deviations.iter().enumerate() {
        if !used[i] {
            found.push(format!("{m} {p} is listed as a deviation but matches the catalog (or is not built)"));
        }
    }
    assert!(found.is_empty(), "license levels differ from the catalog:\n{}", found.join("\n"));
}

/// Calls every licensed route of `table` on the running service at `url` with each test key
/// whose level the route does not accept, and checks it answers 403 before anything else.
/// Returns how many calls were made.
#[allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]
pub async fn assert_refused_levels(url: &str, table: &crate::routing::Table) -> usize {
    use crate::access::Auth;
    let keys = std::sync::Arc::new(envelope::KeyPair::generate(envelope::Curve::Secp256k1).unwrap());
    let http = reqwest::Client::new();
    let mut calls = 0;
    for e in table.endpoints() {
        let auth = e.requirement().auth;
        let Some(accept) = auth.accept() else { continue };
        let path: String = e
            .path()
            .split('/')
            .map(|seg| match seg {
                "{tenantId}" => super::TENANT_ID,
                s if s.starts_with('{') => super::COMMUNITY_ID,
                s => s,
            })
            .collect::<Vec<_>>()
            .join("/");
        for (key, license) in test_keys() {
            if accept.allows(&license) {
                continue;
            }
            for method in e.methods() {
                let method = reqwest::Method::from_bytes(method.as_bytes()).unwrap();
                let (status, body) = match auth {
                    Auth::PlainLicense(_) => {
                        let resp = http
                            .request(method.clone(), format!("{url}{path}"))
                            .header("license", key)
                            .send()
                            .await
                            .unwrap();
                        (resp.status().as_u16(), resp.text().await.unwrap_or_default())
                    }
                    _ => {
                        let client = envelope::Client::new(keys.clone()).unwrap().license(key);
                        let reply = client.call::<()>(method.clone(), url, &path, None).await.expect("call");
                        (reply.status, reply.body.to_string())
                    }
                };
                assert_eq!(
                    status,
                    403,
                    "{method} {} with a {} key (infra: {}): {body}",
                    e.path(),
                    license.level,
                    license.infra
                );
                calls += 1;
            }
        }
    }
    calls
}

/// Calls every route of `table` that needs a login session on the running service at `url`
/// (path parameters: `tenantId` and `communityId` the community given, any other the community id):
/// without `authorization` it must answer 401, and with `unprivileged` (the token of a login whose
/// role has no permission, the `user` role) 403 whenever the route needs a permission. Returns how
/// many calls were made. (That a permitted role succeeds is each endpoint's own test.)
#[allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]
pub async fn assert_sessions_enforced(
    url: &str,
    table: &crate::routing::Table,
    unprivileged: &str,
    (tenant_id, community_id): (&str, &str),
) -> usize {
    let keys = std::sync::Arc::new(envelope::KeyPair::generate(envelope::Curve::Secp256k1).unwrap());
    let client = envelope::Client::new(keys).unwrap();
    let peer = client.peer(url).await.expect("the service's public key");
    let mut calls = 0;
    for e in table.endpoints() {
        let Some(permission) = e.requirement().session else { continue };
        let path: String = e
            .path()
            .split('/')
            .map(|seg| match seg {
                "{tenantId}" => tenant_id,
                s if s.starts_with('{') => community_id,
                s => s,
            })
            .collect::<Vec<_>>()
            .join("/");
        for method in e.methods() {
            let method = reqwest::Method::from_bytes(method.as_bytes()).unwrap();
            let cases: &[(Option<&str>, u16)] =
                if permission.is_empty() { &[(None, 401)] } else { &[(None, 401), (Some(unprivileged), 403)] };
            for (token, expected) in cases {
                let mut req = client.http().request(method.clone(), format!("{url}{path}"));
                for (name, value) in client.headers(&peer).unwrap().pairs() {
                    req = req.header(name, value);
                }
                if let Some(t) = token {
                    req = req.header("authorization", format!("Bearer {t}"));
                }
                let resp = req.send().await.expect("call");
                let status = resp.status().as_u16();
                let body = resp.text().await.unwrap_or_default();
                assert_eq!(status, *expected, "{method} {} with token {}: {body}", e.path(), token.is_some());
                calls += 1;
            }
        }
    }
    calls
}

/// The checks of a service's route table that need no server: the committed document is the
/// generated one, every route and catalog endpoint is documented, the document has no problems
/// or schema collisions, every route is in the catalog or marked outside it, and the declared
/// license levels are the catalog's (but for `deviations`).
pub fn assert_route_table(table: &crate::routing::Table, deviations: &[LevelDeviation]) {
    assert_openapi_committed(table.service(), &table.openapi());
    assert_openapi_complete(table);
    assert_openapi_valid(table);
    assert_levels_match_catalog(table, deviations);
}

/// The checks of a service's route table on the running service at `url`: the document is
/// served, every catalog endpoint is routed, and every licensed route refuses the levels it does
/// not accept with 403.
#[allow(clippy::panic)]
pub async fn assert_route_table_served(url: &str, table: &crate::routing::Table) {
    assert_openapi_served(url, &table.openapi()).await;
    assert_catalog_routed(url, table.service()).await;
    let calls = assert_refused_levels(url, table).await;
    assert!(calls > 0, "{} has licensed routes to check", table.service());
}
