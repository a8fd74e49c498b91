//! The first administrator of a platform: with users-mgmt running, the bootstrap makes sure the
//! default community has a db module and a user `admin` with the role `tenant_admin`, so a
//! newcomer can log in to adminapi right away. The password is generated once and kept in the
//! bootstrap file (mode 0600, beside the system license key); a later run reuses it, or, when the
//! file no longer holds it, sets a new one. It is never logged.

use reqwest::Method;
use serde::{Deserialize, Serialize};
use serde_json::json;

use super::authz;
use crate::store::Stores;
use crate::users_mgmt::{Factors, UsersMgmt};
use kit::directory::CommunityRef;

/// The administrator's username.
pub const ADMIN_USERNAME: &str = "admin";

/// The first administrator, as written to the bootstrap file.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, Eq)]
#[serde(rename_all = "camelCase")]
pub struct Admin {
    pub username: String,
    pub password: String,
    /// The db module the administrator belongs to (the community's).
    pub module_id: String,
    pub uid: String,
}

/// A fresh password: 128 random bits in hex, and a capital, a digit and a special character so
/// any module policy of the reference accepts it.
fn new_password() -> String {
    format!("{}-Aa7!", uuid::Uuid::new_v4().simple())
}

/// The community's db module at users-mgmt, created when it has none.
async fn db_module(users: &UsersMgmt, community: &CommunityRef) -> Result<String, String> {
    if let Some(id) = users.login_module(community).await.map_err(|e| e.message().to_owned())? {
        return Ok(id);
    }
    let created = users
        .call(
            Method::PUT,
            &UsersMgmt::community_path(community, "/module/create"),
            &json!({"type": "db", "name": "Users"}),
        )
        .await
        .map_err(|e| format!("creating the db module: {}", e.message()))?;
    created["_id"].as_str().map(str::to_owned).ok_or_else(|| "users-mgmt created a module without _id".to_owned())
}

/// Makes sure the administrator exists with `previous`'s password when it still signs in, and
/// has `tenant_admin`; returns it.
pub async fn ensure(
    stores: &Stores,
    users: &UsersMgmt,
    community: &CommunityRef,
    previous: Option<Admin>,
) -> Result<Admin, String> {
    let module = db_module(users, community).await?;
    let path = |rest: &str| UsersMgmt::community_path(community, rest);
    let fetch = json!({"authModule": module, "username": ADMIN_USERNAME});
    let existing = match users.call(Method::POST, &path("/user/fetch_single_user_by_username"), &fetch).await {
        Ok(found) => found["data"]["uid"].as_str().map(str::to_owned),
        Err(e) if e.status() == actix_web::http::StatusCode::NOT_FOUND => None,
        Err(e) => return Err(format!("looking up the administrator: {}", e.message())),
    };
    let (uid, password) = match existing {
        None => {
            let password = new_password();
            let body = json!({"authModule": module, "users": [{"username": ADMIN_USERNAME, "password": password}]});
            let created =
                users.call(Method::PUT, &path("/users/create"), &body).await.map_err(|e| e.message().to_owned())?;
            if created["created"] != 1 {
                return Err(format!("users-mgmt did not create the administrator: {}", created["errors"]));
            }
            let found = users.call(Method::POST, &path("/user/fetch_single_user_by_username"), &fetch).await;
            let uid = found.ok().and_then(|f| f["data"]["uid"].as_str().map(str::to_owned));
            (uid.ok_or("the administrator was created but cannot be found")?, password)
        }
        Some(uid) => {
            let known = previous.filter(|p| p.uid == uid && p.module_id == module).map(|p| p.password);
            let still_valid = match &known {
                Some(pw) => {
                    users.authenticate(community, &module, ADMIN_USERNAME, Factors::given(Some(pw), None)).await.is_ok()
                }
                None => false,
            };
            match known.filter(|_| still_valid) {
                Some(pw) => (uid, pw),
                None => {
                    let password = new_password();
                    let body = json!({"authModule": module, "username": ADMIN_USERNAME, "newPassword": password});
                    users
                        .call(Method::POST, &path("/admin/changepassword"), &body)
                        .await
                        .map_err(|e| format!("setting the administrator's password: {}", e.message()))?;
                    (uid, password)
                }
            }
        }
    };
    authz::assign(&*stores.authz, &community.tenant_id, &community.id, &uid, "tenant_admin", "bootstrap")
        .await
        .map_err(|e| e.to_string())?;
    Ok(Admin { username: ADMIN_USERNAME.into(), password, module_id: module, uid })
}
