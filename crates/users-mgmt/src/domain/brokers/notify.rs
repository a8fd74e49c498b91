//! The notice of a broker gone silent: users-mgmt has no mail of its own, so it asks adminapi
//! (`POST /infra/community_notice`, signed with users-mgmt's key and `INFRA_LICENSE_KEY`) to
//! email the module's `brokerDisconnectNotificationTo` and the community's administrators
//! through the community's email gateway.

use std::sync::Arc;
use std::time::Duration;

use kit::Settings;
use kit::directory::TENANCY_SERVICE;
use reqwest::Method;
use serde_json::json;

use super::Notice;

/// adminapi's path for community notices.
pub const NOTICE_PATH: &str = "/infra/community_notice";

/// Sends broker notices through adminapi; unconfigured without adminapi in `SERVICE_DIRECTORY`
/// or without `INFRA_LICENSE_KEY`.
#[derive(Debug)]
pub struct Notifier {
    target: Option<(envelope::Client, String)>,
}

impl Notifier {
    /// The notifier of a deployment.
    pub fn from_settings(settings: &Settings, keys: &Arc<envelope::KeyPair>) -> Result<Self, kit::config::ConfigError> {
        let (Some(url), Some(license)) = (settings.service_url(TENANCY_SERVICE), settings.infra_license_key.as_ref())
        else {
            return Ok(Self { target: None });
        };
        let http = reqwest::Client::builder()
            .timeout(Duration::from_secs(10))
            .connect_timeout(Duration::from_secs(2))
            .build()
            .map_err(|e| kit::config::ConfigError(format!("notice client: {e}")))?;
        let client = envelope::Client::with_http(http, keys.clone())
            .license(&license.0)
            .app_id(settings.service)
            .with_headers_from(Arc::new(kit::telemetry::inject_trace_context));
        Ok(Self { target: Some((client, url.trim_end_matches('/').to_owned())) })
    }

    /// Asks adminapi to email the notice that `notice.broker` is down.
    pub async fn broker_down(&self, notice: &Notice) -> Result<(), String> {
        let Some((client, url)) = &self.target else {
            return Err("no adminapi to send through: SERVICE_DIRECTORY and INFRA_LICENSE_KEY are needed".into());
        };
        let b = &notice.broker;
        let since = b
            .last_disconnected_at
            .and_then(|t| chrono::DateTime::from_timestamp(t, 0))
            .map(|d| d.to_rfc3339())
            .unwrap_or_default();
        let body = json!({
            "tenantId": b.tenant_id, "communityId": b.community_id, "to": notice.recipients,
            "subject": format!("Broker {} is disconnected", b.name),
            "text": format!(
                "The broker \"{}\" (uid {}) of auth module {} has not been heard from since {since}. \
                 Logins through it fail until it connects again.",
                b.name, b.uid, b.module_id
            ),
        });
        let reply = client.call(Method::POST, url, NOTICE_PATH, Some(&body)).await.map_err(|e| e.to_string())?;
        if reply.status < 300 { Ok(()) } else { Err(format!("adminapi answered {}", reply.status)) }
    }
}
