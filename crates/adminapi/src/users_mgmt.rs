//! adminapi's client of users-mgmt, the system of record for users: signed service-to-service
//! calls with adminapi's key and its own service license (`INFRA_LICENSE_KEY`), carrying the trace
//! context. users-mgmt's refusals keep their status and message; a users-mgmt that cannot be
//! reached is a 503, and so is a deployment that names none.

use std::sync::Arc;
use std::time::Duration;

use envelope::ApiError;
use kit::Settings;
use kit::directory::CommunityRef;
use reqwest::Method;
use serde_json::{Value, json};

/// The name of users-mgmt in `SERVICE_DIRECTORY`.
pub const SERVICE: &str = "users-mgmt";

/// users-mgmt, when the deployment names it and adminapi has a license to call it with.
#[derive(Debug, Clone)]
pub struct UsersMgmt {
    remote: Option<(envelope::Client, String)>,
}

impl UsersMgmt {
    /// From `SERVICE_DIRECTORY` and `INFRA_LICENSE_KEY`.
    pub fn from_settings(settings: &Settings, keys: &Arc<envelope::KeyPair>) -> Result<Self, kit::config::ConfigError> {
        let (Some(url), Some(license)) = (settings.service_url(SERVICE), settings.infra_license_key.as_ref()) else {
            return Ok(Self { remote: None });
        };
        let http = reqwest::Client::builder()
            .timeout(Duration::from_secs(10))
            .connect_timeout(Duration::from_secs(3))
            .build()
            .map_err(|e| kit::config::ConfigError(format!("users-mgmt client: {e}")))?;
        let client = envelope::Client::with_http(http, keys.clone())
            .license(&license.0)
            .app_id(crate::SERVICE)
            .with_headers_from(Arc::new(kit::telemetry::inject_trace_context));
        Ok(Self { remote: Some((client, url.trim_end_matches('/').to_owned())) })
    }

    /// A sealed call to `path`: the opened reply of a 2xx, or users-mgmt's refusal as the same
    /// status and message.
    pub async fn call(&self, method: Method, path: &str, body: &Value) -> Result<Value, ApiError> {
        self.send(method, path, Some(body)).await
    }

    /// `GET path` (see [`Self::call`]).
    pub async fn get(&self, path: &str) -> Result<Value, ApiError> {
        self.send(Method::GET, path, None).await
    }

    /// `DELETE path` without a body (see [`Self::call`]).
    pub async fn delete(&self, path: &str) -> Result<Value, ApiError> {
        self.send(Method::DELETE, path, None).await
    }

    /// A signed call with a plain JSON body (the users-mgmt endpoints that take one, such as
    /// `jwt/verifyToken`); see [`Self::call`].
    pub async fn call_plain(&self, method: Method, path: &str, body: &Value) -> Result<Value, ApiError> {
        let Some((client, url)) = &self.remote else { return self.send(method, path, Some(body)).await };
        let peer = client.peer(url).await.map_err(|e| unreachable(&e))?;
        let headers = client.headers(&peer).map_err(|e| unreachable(&e))?;
        let reply = client.send(method, url, path, &headers, Some(body), &peer).await.map_err(|e| unreachable(&e))?;
        answer(reply)
    }

    async fn send(&self, method: Method, path: &str, body: Option<&Value>) -> Result<Value, ApiError> {
        let Some((client, url)) = &self.remote else {
            return Err(ApiError::unavailable(
                "users-mgmt is not configured: adminapi needs users-mgmt in SERVICE_DIRECTORY and INFRA_LICENSE_KEY",
            ));
        };
        let reply = client.call(method, url, path, body).await.map_err(|e| unreachable(&e))?;
        answer(reply)
    }
}

/// A call that got no answer. The log names the kind of failure only: the error's text would
/// carry the URL, whose path holds the request's tenant and community.
fn unreachable(e: &envelope::ClientError) -> ApiError {
    let kind = match e {
        envelope::ClientError::Http { source, .. } if source.is_timeout() => "timeout",
        envelope::ClientError::Http { source, .. } if source.is_connect() => "connect",
        envelope::ClientError::Http { .. } => "http",
        envelope::ClientError::NoPublicKey { status, .. } => {
            tracing::warn!(status, "users-mgmt gave no public key");
            "public key"
        }
        envelope::ClientError::Key(_) => "public key unusable",
        envelope::ClientError::Cipher(_) => "encryption",
    };
    tracing::warn!(kind, "users-mgmt is unreachable");
    ApiError::unavailable("users-mgmt is unavailable, try again")
}

/// The opened reply of a 2xx, or users-mgmt's refusal as the same status and message.
fn answer(reply: envelope::Reply) -> Result<Value, ApiError> {
    match reply.status {
        200..=299 => Ok(reply.body),
        400..=499 => {
            let message = reply.body["message"].as_str().unwrap_or("users-mgmt refused the request").to_owned();
            let status =
                actix_web::http::StatusCode::from_u16(reply.status).unwrap_or(actix_web::http::StatusCode::BAD_REQUEST);
            Err(ApiError::new(status, message))
        }
        status => {
            tracing::warn!(status, "users-mgmt answered an error");
            Err(ApiError::unavailable("users-mgmt is unavailable, try again"))
        }
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
