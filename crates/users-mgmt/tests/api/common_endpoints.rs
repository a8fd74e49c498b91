//! The endpoints every service has, and the route table against the catalog.

use kit::testing::{Storage, assert_catalog_routed, assert_common_endpoints};

use crate::helpers::{SYSTEM_KEY, spawn};

#[tokio::test]
async fn every_catalog_endpoint_is_routed_and_the_table_is_in_the_catalog() {
    assert!(kit::routing::uncatalogued(users_mgmt::SERVICE, &users_mgmt::routes::table()).is_empty());
    let app = spawn(Storage::Embedded, "catalog", &[]).await.unwrap();
    assert_catalog_routed(&app.url, users_mgmt::SERVICE).await;
}

#[tokio::test]
async fn shared_endpoints_on_every_storage() {
    for storage in [Storage::Embedded, Storage::Postgres, Storage::Redis] {
        let Some(app) = spawn(storage, "shared endpoints", &[]).await else { continue };
        assert_common_endpoints(&app.url, users_mgmt::SERVICE, SYSTEM_KEY).await;
    }
}

#[tokio::test]
async fn the_service_key_survives_a_restart_and_is_shared_by_replicas() {
    let env = kit::testing::test_env(Storage::Embedded, "restart").await.unwrap();
    let first = kit::testing::spawn_service(users_mgmt::SERVICE, &env, users_mgmt::build).await;
    let second = kit::testing::spawn_service(users_mgmt::SERVICE, &env, users_mgmt::build).await;
    let key = |url: String| async move {
        reqwest::get(format!("{url}/publickeys")).await.unwrap().json::<serde_json::Value>().await.unwrap()["publicKey"]
            .clone()
    };
    assert_eq!(key(first.url).await, key(second.url).await);
}
