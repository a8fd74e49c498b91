//! One-time passcodes: adminapi issues and checks them; users-mgmt asks it through
//! [`OtpVerifier`] whenever a request carries an `otp` (authenticate, the app key's user create,
//! change password).
//!
//! [`AdminOtpVerifier`] calls adminapi's `POST /api/r2/otp/verify` (the call the helper SDKs'
//! `BIDOTP.verifyOTP` makes) as a service would: headers signed with users-mgmt's key and its own
//! service license (`INFRA_LICENSE_KEY`), the body `{userId, code, communityId, tenantId}` as
//! plain JSON. adminapi answers 200 for a right code and 400 or 401 for a wrong, used or expired
//! one. An adminapi that does not serve OTPs yet (404 or 501 at that path) is
//! [`OtpError::NotServed`]: the request gets a 400 saying so, never a success.

use std::sync::Arc;
use std::time::Duration;

use async_trait::async_trait;
use kit::Settings;
use kit::directory::{CommunityRef, TENANCY_SERVICE};
use reqwest::Method;
use serde_json::json;

/// The path of the verification call on adminapi.
pub const VERIFY_PATH: &str = "/api/r2/otp/verify";

/// Why a passcode could not be checked (a wrong passcode is `Ok(false)`, not an error).
#[derive(Debug, thiserror::Error)]
pub enum OtpError {
    /// adminapi does not serve OTP verification (yet): told to the caller as a 400.
    #[error("otp verification is not available yet: adminapi does not verify one-time passcodes on this deployment")]
    NotServed,
    /// users-mgmt has no adminapi or no license of its own to ask with: a 400.
    #[error("otp verification is not configured: users-mgmt needs adminapi in SERVICE_DIRECTORY and INFRA_LICENSE_KEY")]
    NotConfigured,
    /// adminapi did not answer, or answered something else: a 503.
    #[error("the otp verifier did not answer usably: {0}")]
    Unavailable(String),
}

/// Checks a user's one-time passcode.
#[async_trait]
pub trait OtpVerifier: Send + Sync + std::fmt::Debug {
    /// Whether `code` is the current passcode of `username` in `community` (consumed if it is).
    async fn verify(&self, community: &CommunityRef, username: &str, code: &str) -> Result<bool, OtpError>;
}

/// The verifier of a deployment without adminapi or without `INFRA_LICENSE_KEY`.
#[derive(Debug)]
pub struct Unconfigured;

#[async_trait]
impl OtpVerifier for Unconfigured {
    async fn verify(&self, _: &CommunityRef, _: &str, _: &str) -> Result<bool, OtpError> {
        Err(OtpError::NotConfigured)
    }
}

/// adminapi's OTP verification, over the signed service-to-service client.
#[derive(Debug)]
pub struct AdminOtpVerifier {
    client: envelope::Client,
    url: String,
}

impl AdminOtpVerifier {
    /// A verifier asking adminapi at `url` with `client` (which carries the license).
    pub fn new(client: envelope::Client, url: &str) -> Self {
        Self { client, url: url.trim_end_matches('/').to_owned() }
    }
}

#[async_trait]
impl OtpVerifier for AdminOtpVerifier {
    async fn verify(&self, community: &CommunityRef, username: &str, code: &str) -> Result<bool, OtpError> {
        let unavailable = |why: String| OtpError::Unavailable(format!("{}{VERIFY_PATH} {why}", self.url));
        let peer = self.client.peer(&self.url).await.map_err(|e| unavailable(e.to_string()))?;
        let headers = self.client.headers(&peer).map_err(|e| unavailable(e.to_string()))?;
        let body =
            json!({"userId": username, "code": code, "communityId": community.id, "tenantId": community.tenant_id});
        let reply = self
            .client
            .send(Method::POST, &self.url, VERIFY_PATH, &headers, Some(&body), &peer)
            .await
            .map_err(|e| unavailable(e.to_string()))?;
        match reply.status {
            200 => Ok(true),
            400 | 401 => Ok(false),
            404 | 501 => Err(OtpError::NotServed),
            status => Err(unavailable(format!("answered {status}"))),
        }
    }
}

/// The verifier of a deployment: adminapi's when `SERVICE_DIRECTORY` names it and
/// `INFRA_LICENSE_KEY` is set, else [`Unconfigured`].
pub fn for_service(
    settings: &Settings,
    keys: &Arc<envelope::KeyPair>,
) -> Result<Arc<dyn OtpVerifier>, kit::config::ConfigError> {
    let (Some(url), Some(license)) = (settings.service_url(TENANCY_SERVICE), settings.infra_license_key.as_ref())
    else {
        return Ok(Arc::new(Unconfigured));
    };
    let http = reqwest::Client::builder()
        .timeout(Duration::from_secs(5))
        .connect_timeout(Duration::from_secs(2))
        .build()
        .map_err(|e| kit::config::ConfigError(format!("otp verifier client: {e}")))?;
    let client = envelope::Client::with_http(http, keys.clone())
        .license(&license.0)
        .app_id(settings.service)
        .with_headers_from(Arc::new(kit::telemetry::inject_trace_context));
    Ok(Arc::new(AdminOtpVerifier::new(client, url)))
}
