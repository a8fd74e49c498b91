//! The real [`Sender`]: email over SMTP with lettre (rustls; STARTTLS, TLS or, for a relay on a
//! trusted network, none, per the gateway's `protocol` and port), SMS and voice over HTTP with
//! one reqwest client (a `http` gateway: a JSON POST to its `serviceUrl`, HTTP basic auth when
//! `auth`). Errors are logged by kind, never with a credential, a message or a provider URL
//! (which may carry a token).

use std::time::Duration;

use async_trait::async_trait;
use lettre::message::header::ContentType;
use lettre::transport::smtp::authentication::Credentials as SmtpCredentials;
use lettre::{AsyncSmtpTransport, AsyncTransport as _, Tokio1Executor};
use serde_json::json;

use crate::domain::messaging::{Message, SendError, Sender};
use crate::domain::msg_gateway::{Channel, Credentials, Gateway, Security};

/// How long a delivery may take when the gateway does not say (`timeoutValue`).
pub const DEFAULT_TIMEOUT: Duration = Duration::from_secs(10);

/// Delivers through SMTP and HTTP gateways.
#[derive(Debug, Clone)]
pub struct Delivery {
    http: reqwest::Client,
}

impl Delivery {
    /// With its HTTP client (built once).
    pub fn new() -> Result<Self, reqwest::Error> {
        let http = reqwest::Client::builder().timeout(DEFAULT_TIMEOUT).build()?;
        Ok(Self { http })
    }

    async fn email(&self, g: &Gateway, credentials: &Credentials, m: &Message) -> Result<(), SendError> {
        let from = g.sender_email.as_deref().unwrap_or_default();
        let from =
            from.parse().map_err(|_| SendError::Invalid("the gateway's senderEmail is not an address".into()))?;
        let to = m.to.parse().map_err(|_| SendError::Invalid("the recipient must be an email address".into()))?;
        let email = lettre::Message::builder()
            .from(from)
            .to(to)
            .subject(m.subject.as_str())
            .header(ContentType::TEXT_PLAIN)
            .body(m.body.clone())
            .map_err(|_| SendError::Invalid("the email could not be built".into()))?;
        let host = g.service_url.as_str();
        let builder = match Security::of(g) {
            Security::Tls => AsyncSmtpTransport::<Tokio1Executor>::relay(host),
            Security::StartTls => AsyncSmtpTransport::<Tokio1Executor>::starttls_relay(host),
            Security::None => Ok(AsyncSmtpTransport::<Tokio1Executor>::builder_dangerous(host)),
        }
        .map_err(|e| {
            tracing::warn!(error = %e, "cannot set up TLS for the smtp gateway");
            SendError::Failed("email")
        })?;
        let mut builder = builder.timeout(Some(timeout(g)));
        if let Some(port) = g.port.as_deref().and_then(|p| p.parse::<u16>().ok()) {
            builder = builder.port(port);
        }
        if g.auth {
            let user = g.username.clone().unwrap_or_default();
            let password = credentials.password.as_deref().map(String::as_str).unwrap_or_default();
            builder = builder.credentials(SmtpCredentials::new(user, password.to_owned()));
        }
        builder.build().send(email).await.map(drop).map_err(|e| {
            tracing::warn!(
                transient = e.is_transient(),
                permanent = e.is_permanent(),
                timeout = e.is_timeout(),
                "the smtp gateway did not take the message"
            );
            SendError::Failed("email")
        })
    }

    async fn http(
        &self,
        g: &Gateway,
        credentials: &Credentials,
        channel: Channel,
        m: &Message,
    ) -> Result<(), SendError> {
        let name = channel.as_str();
        let body = json!({
            "channel": name,
            "from": g.sender_phone,
            "to": m.to,
            "message": m.body,
            "templateId": g.smstemplateid,
            "entityId": g.entity_id,
        });
        let mut req = self.http.post(&g.service_url).timeout(timeout(g)).json(&body);
        if g.auth {
            let password = credentials.password.as_deref().map(String::as_str);
            req = req.basic_auth(g.username.as_deref().unwrap_or_default(), password);
        }
        let failed = if channel == Channel::Voice { "voice" } else { "sms" };
        match req.send().await {
            Ok(r) if r.status().is_success() => Ok(()),
            Ok(r) => {
                tracing::warn!(status = r.status().as_u16(), "the {name} gateway refused the message");
                Err(SendError::Failed(failed))
            }
            Err(e) => {
                let e = e.without_url();
                tracing::warn!(timeout = e.is_timeout(), connect = e.is_connect(), "the {name} gateway is unreachable");
                Err(SendError::Failed(failed))
            }
        }
    }
}

fn timeout(g: &Gateway) -> Duration {
    g.timeout_value.map_or(DEFAULT_TIMEOUT, Duration::from_secs)
}

#[async_trait]
impl Sender for Delivery {
    async fn deliver(
        &self,
        gateway: &Gateway,
        credentials: &Credentials,
        channel: Channel,
        message: &Message,
    ) -> Result<(), SendError> {
        match (channel, gateway.kind.as_str()) {
            (Channel::Email, "smtp") => self.email(gateway, credentials, message).await,
            (Channel::Sms | Channel::Voice, "http") => self.http(gateway, credentials, channel, message).await,
            (_, kind) => Err(SendError::Unsupported(kind.to_owned())),
        }
    }
}
