//! A platform service adminapi calls (users-mgmt, sessions): signed service-to-service calls with
//! adminapi's key and its own service license (`INFRA_LICENSE_KEY`), carrying the trace context,
//! with a timeout. The service's refusals (4xx) keep their status and message; a service that
//! cannot be reached, answers 5xx or is not configured is a 503 naming it.

use std::sync::Arc;
use std::time::Duration;

use envelope::ApiError;
use kit::Settings;
use reqwest::Method;
use serde_json::Value;

/// A service named in `SERVICE_DIRECTORY`, when the deployment names it and adminapi has a license
/// to call it with.
#[derive(Debug, Clone)]
pub struct Remote {
    name: &'static str,
    remote: Option<(envelope::Client, String)>,
}

impl Remote {
    /// The service `name` of `SERVICE_DIRECTORY`, called with `INFRA_LICENSE_KEY`.
    pub fn from_settings(
        settings: &Settings,
        keys: &Arc<envelope::KeyPair>,
        name: &'static str,
    ) -> Result<Self, kit::config::ConfigError> {
        let (Some(url), Some(license)) = (settings.service_url(name), settings.infra_license_key.as_ref()) else {
            return Ok(Self { name, remote: None });
        };
        let http = reqwest::Client::builder()
            .timeout(Duration::from_secs(10))
            .connect_timeout(Duration::from_secs(3))
            .build()
            .map_err(|e| kit::config::ConfigError(format!("{name} client: {e}")))?;
        let client = envelope::Client::with_http(http, keys.clone())
            .license(&license.0)
            .app_id(crate::SERVICE)
            .with_headers_from(Arc::new(kit::telemetry::inject_trace_context));
        Ok(Self { name, remote: Some((client, url.trim_end_matches('/').to_owned())) })
    }

    /// The service's base URL, when configured.
    pub fn url(&self) -> Option<&str> {
        self.remote.as_ref().map(|(_, url)| url.as_str())
    }

    /// A sealed call to `path`: the opened reply of a 2xx, or the service's refusal as the same
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

    /// A signed call with a plain JSON body (the endpoints that take one, such as users-mgmt's
    /// `jwt/verifyToken`); see [`Self::call`].
    pub async fn call_plain(&self, method: Method, path: &str, body: &Value) -> Result<Value, ApiError> {
        let Some((client, url)) = &self.remote else { return self.send(method, path, Some(body)).await };
        let peer = client.peer(url).await.map_err(|e| self.unreachable(&e))?;
        let headers = client.headers(&peer).map_err(|e| self.unreachable(&e))?;
        let reply =
            client.send(method, url, path, &headers, Some(body), &peer).await.map_err(|e| self.unreachable(&e))?;
        self.answer(reply)
    }

    async fn send(&self, method: Method, path: &str, body: Option<&Value>) -> Result<Value, ApiError> {
        let Some((client, url)) = &self.remote else {
            return Err(ApiError::unavailable(format!(
                "{} is not configured: adminapi needs {} in SERVICE_DIRECTORY and INFRA_LICENSE_KEY",
                self.name, self.name
            )));
        };
        let reply = client.call(method, url, path, body).await.map_err(|e| self.unreachable(&e))?;
        self.answer(reply)
    }

    /// A call that got no answer. The log names the kind of failure only: the error's text would
    /// carry the URL, whose path holds the request's tenant and community.
    fn unreachable(&self, e: &envelope::ClientError) -> ApiError {
        let kind = match e {
            envelope::ClientError::Http { source, .. } if source.is_timeout() => "timeout",
            envelope::ClientError::Http { source, .. } if source.is_connect() => "connect",
            envelope::ClientError::Http { .. } => "http",
            envelope::ClientError::NoPublicKey { status, .. } => {
                tracing::warn!(service = self.name, status, "the service gave no public key");
                "public key"
            }
            envelope::ClientError::Key(_) => "public key unusable",
            envelope::ClientError::Cipher(_) => "encryption",
        };
        tracing::warn!(service = self.name, kind, "a platform service is unreachable");
        ApiError::unavailable(format!("{} is unavailable, try again", self.name))
    }

    /// The opened reply of a 2xx, or the service's refusal as the same status and message.
    fn answer(&self, reply: envelope::Reply) -> Result<Value, ApiError> {
        match reply.status {
            200..=299 => Ok(reply.body),
            400..=499 => {
                let message = reply.body["message"]
                    .as_str()
                    .map_or_else(|| format!("{} refused the request", self.name), str::to_owned);
                let status = actix_web::http::StatusCode::from_u16(reply.status)
                    .unwrap_or(actix_web::http::StatusCode::BAD_REQUEST);
                Err(ApiError::new(status, message))
            }
            status => {
                tracing::warn!(service = self.name, status, "a platform service answered an error");
                Err(ApiError::unavailable(format!("{} is unavailable, try again", self.name)))
            }
        }
    }
}
