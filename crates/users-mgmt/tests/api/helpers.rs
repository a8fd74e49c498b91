//! Starting `users-mgmt` for a test.

use kit::testing::{Storage, TestService};

pub use kit::testing::SYSTEM_KEY;

/// `users-mgmt` on `storage` with local license keys of each level; `None` when the storage is unreachable.
pub async fn spawn(storage: Storage, test: &str, extra: &[(&str, &str)]) -> Option<TestService> {
    kit::testing::spawn_with_keys(users_mgmt::SERVICE, users_mgmt::build, storage, test, extra).await
}
