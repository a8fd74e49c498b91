//! adminapi's client of users-mgmt, the system of record for users: signed service-to-service
//! calls ([`crate::remote`]) with adminapi's key and its own service license
//! (`INFRA_LICENSE_KEY`), carrying the trace context. users-mgmt's refusals keep their status and
//! message; a users-mgmt that cannot be reached is a 503, and so is a deployment that names none.

use std::sync::Arc;

use envelope::ApiError;
use kit::Settings;
use kit::directory::CommunityRef;
use reqwest::Method;
use serde_json::{Value, json};

use crate::remote::Remote;

/// The name of users-mgmt in `SERVICE_DIRECTORY`.
pub const SERVICE: &str = "users-mgmt";

/// users-mgmt, when the deployment names it and adminapi has a license to call it with: a
/// [`Remote`] (its `call`, `get`, `delete`, `call_plain`) with the users-mgmt calls on top.
#[derive(Debug, Clone)]
pub struct UsersMgmt {
    remote: Remote,
}

impl UsersMgmt {
    /// From `SERVICE_DIRECTORY` and `INFRA_LICENSE_KEY`.
    pub fn from_settings(settings: &Settings, keys: &Arc<envelope::KeyPair>) -> Result<Self, kit::config::ConfigError> {
        Ok(Self { remote: Remote::from_settings(settings, keys, SERVICE)? })
    }
}

impl std::ops::Deref for UsersMgmt {
    type Target = Remote;

    fn deref(&self) -> &Remote {
        &self.remote
    }
}

impl UsersMgmt {
    /// The path of `rest` in `community` on users-mgmt.
    pub fn community_path(community: &CommunityRef, rest: &str) -> String {
        format!("/tenant/{}/community/{}{rest}", community.tenant_id, community.id)
    }

    /// The id of the community's enabled db module (where its users sign in), if it has one.
    pub async fn login_module(&self, community: &CommunityRef) -> Result<Option<String>, ApiError> {
        let modules = self.call(Method::POST, &Self::community_path(community, "/modules/fetch"), &json!({})).await?;
        Ok(modules.as_array().into_iter().flatten().find_map(|m| {
            let usable = m["type"] == "db" && m["enabled"] == true;
            m["_id"].as_str().filter(|_| usable).map(str::to_owned)
        }))
    }

    /// `user/authenticate` of `username` with its `factors` in `module`: the user, or users-mgmt's
    /// refusal (401 for a wrong factor, an unknown, locked or disabled user). users-mgmt checks an
    /// `otp` by asking adminapi (`POST /api/r2/otp/verify`), which consumes it.
    pub async fn authenticate(
        &self,
        community: &CommunityRef,
        module: &str,
        username: &str,
        factors: Factors<'_>,
    ) -> Result<Value, ApiError> {
        let mut body = json!({"authModule": module, "username": username});
        if let Some(password) = factors.password {
            body["password"] = json!(password);
        }
        if let Some(otp) = factors.otp {
            body["otp"] = json!(otp);
        }
        self.call(Method::POST, &Self::community_path(community, "/user/authenticate"), &body).await
    }
}

/// The factors of a login, each given or not (at least one). `Debug` shows which, not what.
#[derive(Clone, Copy, Default)]
pub struct Factors<'a> {
    /// The user's password.
    pub password: Option<&'a str>,
    /// A one-time passcode ([`crate::domain::otp`]).
    pub otp: Option<&'a str>,
}

impl std::fmt::Debug for Factors<'_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Factors").field("password", &self.password.is_some()).field("otp", &self.otp.is_some()).finish()
    }
}

impl<'a> Factors<'a> {
    /// The factors of a body: empty texts are not given.
    pub fn given(password: Option<&'a str>, otp: Option<&'a str>) -> Self {
        let given = |v: Option<&'a str>| v.filter(|s| !s.trim().is_empty());
        Self { password: given(password), otp: given(otp) }
    }

    /// Whether none is given.
    pub fn is_empty(&self) -> bool {
        self.password.is_none() && self.otp.is_none()
    }
}
