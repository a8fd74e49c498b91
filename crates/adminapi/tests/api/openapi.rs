//! The OpenAPI document: committed and up to date, complete, valid, and served.

use std::path::Path;

use kit::testing::Storage;
use utoipa::openapi::OpenApi;

use crate::helpers::spawn;

const SERVICE: &str = adminapi::SERVICE;

fn document() -> OpenApi {
    adminapi::routes::openapi()
}

#[test]
fn the_committed_document_is_up_to_date() {
    let generated = kit::openapi::to_file_text(&document()).unwrap();
    let file = Path::new(env!("CARGO_MANIFEST_DIR")).join(format!("../../proto-docs/{SERVICE}.json"));
    let committed = std::fs::read_to_string(&file).unwrap_or_default();
    assert!(generated == committed, "proto-docs/{SERVICE}.json is stale: run make openapi");
}

#[test]
fn every_route_of_the_table_and_the_catalog_is_documented_with_its_method() {
    let doc = document();
    let missing =
        kit::openapi::missing_operations(&doc, SERVICE, &adminapi::routes::table(), &adminapi::routes::extras());
    assert!(missing.is_empty(), "not in the document: {missing:?}");
    let built = adminapi::routes::table().len() + adminapi::routes::extras().len() + 1;
    let catalogued = kit::routing::catalog(SERVICE).count();
    let not_built = doc
        .paths
        .paths
        .values()
        .flat_map(kit::openapi::operations)
        .filter(|(_, op)| op.description.as_deref() == Some(kit::openapi::NOT_IMPLEMENTED))
        .inspect(|(_, op)| assert!(op.responses.responses.contains_key("501")))
        .count();
    let all: usize = doc.paths.paths.values().map(|item| kit::openapi::operations(item).count()).sum();
    assert_eq!(all, catalogued + adminapi::routes::extras().len() + 1, "one per catalog endpoint and extra");
    assert_eq!(all - not_built, built, "every built route documented, every other one a 501");
}

#[test]
fn the_document_is_openapi_3_1_json_without_problems() {
    let doc = document();
    let json: serde_json::Value = serde_json::from_str(&kit::openapi::to_file_text(&doc).unwrap()).unwrap();
    let version = json["openapi"].as_str().unwrap();
    assert!(version.starts_with("3.1."), "openapi is {version}");
    assert_eq!(json["info"]["title"], SERVICE);
    assert!(json.get("servers").is_none());
    let problems = kit::openapi::problems(&doc);
    assert!(problems.is_empty(), "{problems:#?}");
    for scheme in ["publickey", "requestid", "licensekey", "license"] {
        assert_eq!(json["components"]["securitySchemes"][scheme]["in"], "header", "{scheme}");
    }
}

#[tokio::test]
async fn the_document_is_served_at_openapi_json() {
    let app = spawn(Storage::Embedded, "openapi", &[]).await.unwrap();
    let reply = reqwest::get(format!("{}/openapi.json", app.url)).await.unwrap();
    assert_eq!(reply.status(), 200);
    let served: serde_json::Value = reply.json().await.unwrap();
    assert_eq!(served, serde_json::to_value(document()).unwrap());
}
