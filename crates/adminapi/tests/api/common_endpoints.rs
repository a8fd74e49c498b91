//! The endpoints every service has, and the route table against the catalog.

use kit::testing::{Storage, assert_catalog_routed, assert_common_endpoints};

use crate::helpers::{SYSTEM_KEY, spawn};

#[tokio::test]
async fn every_catalog_endpoint_is_routed_and_the_table_is_in_the_catalog() {
    assert!(kit::routing::uncatalogued(adminapi::SERVICE, &adminapi::routes::table()).is_empty());
    let app = spawn(Storage::Embedded, "catalog", &[]).await.unwrap();
    assert_catalog_routed(&app.url, adminapi::SERVICE).await;
}

#[tokio::test]
async fn shared_endpoints_on_every_storage() {
    for storage in [Storage::Embedded, Storage::Postgres, Storage::Redis] {
        let Some(app) = spawn(storage, "shared endpoints", &[]).await else { continue };
        assert_common_endpoints(&app.url, adminapi::SERVICE, SYSTEM_KEY).await;
    }
}
