//! Sending a message to a person through their community's gateway: the OTP and invitation
//! flows call [`Messenger::send`] with a community, a channel and a [`Message`]; it finds the
//! community's gateway for the channel ([`Gateways::for_channel`]) and hands it, with its
//! credentials opened, to a [`Sender`] (`crate::delivery::Delivery` in the service: SMTP and
//! HTTP).

use std::sync::Arc;

use async_trait::async_trait;

use super::DomainError;
use super::msg_gateway::{Channel, Credentials, Gateway, Gateways};

/// A message to one recipient.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Message {
    /// An email address, or a phone number for SMS and voice.
    pub to: String,
    /// The subject of an email (unused by SMS and voice).
    pub subject: String,
    /// The text.
    pub body: String,
}

/// Why a message was not sent. Never carries the message or a credential.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum SendError {
    /// The recipient or the sender address is not one the channel can use.
    #[error("{0}")]
    Invalid(String),
    /// The gateway's provider type cannot send yet.
    #[error("a {0} gateway cannot send messages yet")]
    Unsupported(String),
    /// The gateway refused the message or could not be reached.
    #[error("the {0} gateway did not take the message")]
    Failed(&'static str),
}

impl From<SendError> for DomainError {
    fn from(e: SendError) -> Self {
        match e {
            SendError::Invalid(m) => DomainError::Invalid(m),
            e @ SendError::Unsupported(_) => DomainError::Conflict(e.to_string()),
            e @ SendError::Failed(_) => DomainError::Busy(e.to_string()),
        }
    }
}

/// Delivers a message through one gateway.
#[async_trait]
pub trait Sender: Send + Sync {
    /// Sends `message` on `channel` through `gateway`, authenticating with `credentials`.
    async fn deliver(
        &self,
        gateway: &Gateway,
        credentials: &Credentials,
        channel: Channel,
        message: &Message,
    ) -> Result<(), SendError>;
}

/// Sends messages through the communities' gateways.
#[derive(Clone)]
pub struct Messenger {
    gateways: Gateways,
    sender: Arc<dyn Sender>,
}

impl std::fmt::Debug for Messenger {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Messenger").finish_non_exhaustive()
    }
}

impl Messenger {
    /// Finding gateways in `gateways`, delivering with `sender`.
    pub fn new(gateways: Gateways, sender: Arc<dyn Sender>) -> Self {
        Self { gateways, sender }
    }

    /// Sends `message` on `channel` through the community's gateway for it: 404 when the
    /// community has none, 503 when the gateway does not take it.
    #[tracing::instrument(skip_all, fields(channel = channel.as_str()))]
    pub async fn send(&self, community_id: &str, channel: Channel, message: &Message) -> Result<(), DomainError> {
        let Some((gateway, credentials)) = self.gateways.for_channel(community_id, channel).await? else {
            return Err(DomainError::NotFound(format!("the community has no {} gateway", channel.as_str())));
        };
        match self.sender.deliver(&gateway, &credentials, channel, message).await {
            Ok(()) => {
                tracing::info!(gateway = %gateway.id, kind = %gateway.kind, "message sent");
                Ok(())
            }
            Err(e) => {
                tracing::warn!(gateway = %gateway.id, kind = %gateway.kind, error = %e, "message not sent");
                Err(e.into())
            }
        }
    }
}
