//! The endpoints every service has.

use kit::testing::{Storage, assert_common_endpoints};

use crate::helpers::{SYSTEM_KEY, spawn};

#[tokio::test]
async fn shared_endpoints_on_every_storage() {
    for storage in [Storage::Embedded, Storage::Postgres, Storage::Redis] {
        let Some(app) = spawn(storage, "shared endpoints", &[]).await else { continue };
        assert_common_endpoints(&app.url, adminapi::SERVICE, SYSTEM_KEY).await;
    }
}
