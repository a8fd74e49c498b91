//! The endpoints every service has.

use kit::testing::{Storage, assert_common_endpoints};

use crate::helpers::{SYSTEM_KEY, spawn};

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
    let key = |url: String| async move {
        reqwest::get(format!("{url}/publickeys")).await.unwrap().json::<serde_json::Value>().await.unwrap()["publicKey"]
            .clone()
    };
    let first = kit::testing::spawn_service(users_mgmt::SERVICE, &env, users_mgmt::build).await;
    let before = key(first.url.clone()).await;
    first.stop().await;
    let restarted = kit::testing::spawn_service(users_mgmt::SERVICE, &env, users_mgmt::build).await;
    assert_eq!(key(restarted.url.clone()).await, before, "a restart keeps the key");
    let replica = kit::testing::spawn_service(users_mgmt::SERVICE, &env, users_mgmt::build).await;
    assert_eq!(key(replica.url).await, before, "a replica shares it");
}
