//! Starting `users-mgmt` for a test.

use kit::testing::{Storage, TestService, spawn_service, test_env};

pub const SYSTEM_KEY: &str = "system-license-for-tests";
pub const SERVICE_KEY: &str = "service-license-for-tests";
pub const APP_KEY: &str = "app-license-for-tests";

/// `users-mgmt` on `storage` with local license keys of each level; `None` when the storage is unreachable.
pub async fn spawn(storage: Storage, test: &str, extra: &[(&str, &str)]) -> Option<TestService> {
    let mut env = test_env(storage, test).await?;
    env.insert("LICENSE_KEYS".into(), format!("system:{SYSTEM_KEY},service:{SERVICE_KEY},app:{APP_KEY}"));
    for (k, v) in extra {
        env.insert((*k).to_owned(), (*v).to_owned());
    }
    Some(spawn_service(users_mgmt::SERVICE, &env, users_mgmt::build).await)
}
