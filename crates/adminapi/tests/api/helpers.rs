//! Starting `adminapi` for a test.

use kit::testing::{Storage, TestService};

pub use kit::testing::SYSTEM_KEY;

/// `adminapi` on `storage` with local license keys of each level; `None` when the storage is unreachable.
pub async fn spawn(storage: Storage, test: &str, extra: &[(&str, &str)]) -> Option<TestService> {
    kit::testing::spawn_with_keys(adminapi::SERVICE, adminapi::build, storage, test, extra).await
}
