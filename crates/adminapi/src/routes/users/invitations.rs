//! What the invitation endpoints share: the CAPTCHA-or-license gate, the checks of addresses,
//! and the delivery of a code just issued through the community's gateway (email with the link,
//! SMS), revoking it when it could not be sent.

use envelope::{ApiError, LicenseKey};
use kit::directory::CommunityRef;
use kit::license::{LicenseAuthority as _, LicenseError};
use kit::{AppError, AppResult, DomainError};
use serde_json::{Value, json};

use crate::State;
use crate::domain::access_codes::Issued;
use crate::domain::access_codes::message::{self, TemplateChoice};
use crate::domain::captcha::SECRET_TAG;
use crate::domain::messaging::Message;
use crate::domain::msg_gateway::Channel;
use crate::domain::templates;

/// The longest email address.
const MAX_EMAIL: usize = 254;

/// Lets the request through when `license` is a valid license key that may act in `community`,
/// else when the CAPTCHA verifier accepts `token` (named `field` in the body) under the
/// community's secret: 400 naming what is missing (a token, the verifier, the secret) or that
/// the token was refused; 503 when the authority or the verifier is unreachable.
pub(crate) async fn human_or_licensed(
    state: &State,
    community: &CommunityRef,
    field: &str,
    token: Option<&str>,
    license: Option<&str>,
) -> AppResult<()> {
    if let Some(key) = license.map(str::trim).filter(|k| !k.is_empty()) {
        match state.authority.check(&LicenseKey::new(key)).await {
            Ok(l) if l.allows_community(&community.id) => return Ok(()),
            // Not valid here: the CAPTCHA decides.
            Ok(_) | Err(LicenseError::Unknown | LicenseError::Disabled | LicenseError::Expired) => {
                tracing::info!("the license given to bypass the CAPTCHA is not valid for the community");
            }
            Err(e) => return Err(ApiError::from(e).into()),
        }
    }
    let Some(token) = token.map(str::trim).filter(|t| !t.is_empty()) else {
        return Err(ApiError::bad_request(format!("{field} is required unless a valid license is given")).into());
    };
    if !state.captcha.configured() {
        return Err(ApiError::bad_request(format!(
            "{field} cannot be checked: no CAPTCHA verifier is configured (CAPTCHA_VERIFY_URL); give a valid license"
        ))
        .into());
    }
    let secret = match state.secrets.reveal(&community.id, SECRET_TAG).await {
        Ok(secret) => secret,
        Err(DomainError::NotFound(_)) => {
            return Err(ApiError::bad_request(format!(
                "{field} cannot be checked: the community's secret store has no {SECRET_TAG}"
            ))
            .into());
        }
        Err(e) => return Err(e.into()),
    };
    if state.captcha.verify(&secret, token).await? {
        Ok(())
    } else {
        tracing::info!("CAPTCHA token refused by the verifier");
        Err(ApiError::bad_request(format!("{field} was not accepted by the CAPTCHA verifier")).into())
    }
}

/// An email address given as `field`: trimmed, with an `@`, no spaces, at most 254 bytes.
pub(crate) fn email(field: &str, given: &str) -> Result<String, ApiError> {
    let e = given.trim();
    let ok = e.len() <= MAX_EMAIL
        && e.split_once('@').is_some_and(|(local, domain)| !local.is_empty() && domain.contains('.'))
        && !e.chars().any(|c| c.is_whitespace() || c.is_control());
    if ok { Ok(e.to_owned()) } else { Err(ApiError::bad_request(format!("{field} must be an email address"))) }
}

/// A phone number given as `field` in international form: `+` and 6 to 15 digits with the country
/// code (the `+` may be left out).
pub(crate) fn phone(field: &str, given: &str) -> Result<String, ApiError> {
    let digits = given.trim().trim_start_matches('+');
    if (6..=15).contains(&digits.len()) && digits.bytes().all(|b| b.is_ascii_digit()) {
        Ok(format!("+{digits}"))
    } else {
        Err(ApiError::bad_request(format!("{field} must be a phone number with its country code (6 to 15 digits)")))
    }
}

/// The result of one message, in the reference's `emailResult` shape.
fn result(now: i64) -> Value {
    json!({"status": true, "statusCode": 200, "message": "sent", "ts": now.to_string()})
}

/// Sends the code `issued` to the addresses of its record through the community's gateway, with
/// the template `choice` picks (`user`: `firstname`, `lastname`, `username`): the reply's
/// `emailResult` / `smsResult` and the link. Every message is rendered before any is sent; a
/// code that could not be sent is revoked (its error is the answer).
pub(crate) async fn deliver(
    state: &State,
    community: &CommunityRef,
    issued: &Issued,
    choice: &TemplateChoice,
    user: &Value,
    now: i64,
) -> AppResult<(serde_json::Map<String, Value>, String)> {
    let link = state.invitation_links.link(community, &issued.code);
    let record = &issued.record;
    let to = [(record.email_to.as_deref(), Channel::Email), (record.sms_to.as_deref(), Channel::Sms)];
    let mut messages = Vec::new();
    for (to, channel) in to {
        let Some(to) = to else { continue };
        let kind = if channel == Channel::Email { templates::Channel::Email } else { templates::Channel::Sms };
        match message::render(&*state.stores.templates, community, choice, kind, user, &link).await {
            Ok(r) => messages
                .push((channel, Message { to: to.to_owned(), subject: r.subject.unwrap_or_default(), body: r.body })),
            Err(e) => return Err(revoked(state, issued, now, e.into()).await),
        }
    }
    let mut results = serde_json::Map::new();
    for (channel, message) in &messages {
        if let Err(e) = state.messenger.send(&community.id, *channel, message).await {
            return Err(revoked(state, issued, now, e.into()).await);
        }
        let name = if *channel == Channel::Email { "emailResult" } else { "smsResult" };
        results.insert(name.into(), result(now));
    }
    tracing::info!(id = %record.id, channels = messages.len(), "invitation sent");
    Ok((results, link))
}

/// Revokes `issued` (never delivered) and answers `error`.
async fn revoked(state: &State, issued: &Issued, now: i64, error: AppError) -> AppError {
    if let Err(e) = state.access_codes.undeliverable(&issued.record, now).await {
        tracing::error!(error = %e, id = %issued.record.id, "an undelivered access code could not be revoked");
    }
    error
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn addresses_are_checked_without_echoing_them() {
        assert_eq!(email("emailTo", " ann@example.com ").unwrap(), "ann@example.com");
        for bad in ["ann", "@example.com", "ann@localhost", "a nn@example.com", "ann@exa\u{0}mple.com"] {
            assert_eq!(email("emailTo", bad).unwrap_err().message(), "emailTo must be an email address");
        }
        assert_eq!(phone("smsTo", "15550123456").unwrap(), "+15550123456");
        assert_eq!(phone("smsTo", "+4930123456").unwrap(), "+4930123456");
        for bad in ["12345", "+1 555 0123", "1234567890123456", "phone"] {
            assert!(phone("smsTo", bad).unwrap_err().message().starts_with("smsTo must be"), "{bad}");
        }
    }
}
