//! The records of a cross-device login, as the wire and the store see them.
//!
//! Field names follow the spec and the 1Kosmos helper SDKs field by field: `authtype`, `appid`
//! and `did` are lower case, `sessionId`, `communityName`, `eventData`, `publicKey`, `createdTS`
//! and `createdDate` are camelCase.
//!
//! Requests are parsed into `*Request` types by serde, then checked by `validate`, which turns
//! an incomplete body into [`SessionError::Invalid`] (a 400) before anything is stored.

use envelope::{Curve, PublicKey};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use super::SessionError;

/// Longest accepted short text field (tags, names, ids, app ids, DIDs).
const MAX_SHORT: usize = 1024;
/// Longest accepted `data` / `eventData` / `url` field.
const MAX_LONG: usize = 256 * 1024;

/// Where a login was started: the web app that shows the QR code.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct Origin {
    pub tag: String,
    pub url: String,
    pub community_name: String,
    pub community_id: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub auth_page: Option<String>,
}

/// Body of `PUT /session/new`.
#[derive(Debug, Clone, Deserialize, ToSchema)]
pub struct NewSessionRequest {
    pub origin: Origin,
    #[serde(default)]
    pub scopes: Option<String>,
    pub authtype: String,
    #[serde(default)]
    #[schema(value_type = Option<Object>)]
    pub metadata: Option<serde_json::Map<String, serde_json::Value>>,
}

/// A login session (the spec's AuthSession), as `GET /session/{sessionId}` shows it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct Session {
    pub session_id: String,
    pub origin: Origin,
    pub scopes: String,
    pub authtype: String,
    #[schema(value_type = Object)]
    pub metadata: serde_json::Map<String, serde_json::Value>,
    /// The creator's public key: the phone encrypts `data` for it, and only it may poll.
    pub public_key: String,
    /// Creation time, epoch seconds.
    #[serde(rename = "createdTS")]
    pub created_ts: i64,
    /// Creation time, RFC 3339.
    pub created_date: String,
    /// When the session stops accepting answers and polls, epoch seconds.
    #[serde(rename = "expiresTS")]
    pub expires_ts: i64,
}

/// Body of `POST /session/{sessionId}/authenticate` (and its legacy twin).
#[derive(Debug, Clone, Deserialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct AuthenticateRequest {
    pub data: String,
    pub public_key: String,
    pub did: String,
    pub appid: String,
    #[serde(default)]
    pub ial: Option<String>,
    /// Whatever the phone reports about the event: the spec types it as a string in one place
    /// and as an object (`{mode: …}`) in others, so any JSON value is kept and echoed as sent.
    #[serde(default)]
    pub event_data: Option<serde_json::Value>,
}

/// The phone's answer to a session (the spec's SessionAuthResponse), as stored and as polled.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct AuthResponse {
    pub session_id: String,
    /// Encrypted by the phone for the session creator: ECDH(phone key, creator key).
    pub data: String,
    pub appid: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub ial: Option<String>,
    pub did: String,
    /// The phone's public key, the other half of the ECDH that opens `data`.
    pub public_key: String,
    #[serde(rename = "createdTS")]
    pub created_ts: i64,
    pub created_date: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub event_data: Option<serde_json::Value>,
}

/// The reply of `GET /session/{sessionId}/response`: the answer, plus the session when asked for.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct PollReply {
    #[serde(flatten)]
    pub response: AuthResponse,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub session_info: Option<Session>,
}

fn required(field: &str, value: &str, max: usize) -> Result<(), SessionError> {
    if value.trim().is_empty() {
        return Err(SessionError::Invalid(format!("{field} is required and must not be empty")));
    }
    if value.len() > max {
        return Err(SessionError::Invalid(format!("{field} is longer than {max} bytes")));
    }
    Ok(())
}

fn optional(field: &str, value: Option<&str>, max: usize) -> Result<(), SessionError> {
    match value {
        Some(v) if v.len() > max => Err(SessionError::Invalid(format!("{field} is longer than {max} bytes"))),
        _ => Ok(()),
    }
}

impl NewSessionRequest {
    /// Checks the required fields are present and of sane size.
    pub fn validate(&self) -> Result<(), SessionError> {
        let o = &self.origin;
        required("origin.tag", &o.tag, MAX_SHORT)?;
        required("origin.url", &o.url, MAX_LONG)?;
        required("origin.communityName", &o.community_name, MAX_SHORT)?;
        required("origin.communityId", &o.community_id, MAX_SHORT)?;
        optional("origin.authPage", o.auth_page.as_deref(), MAX_LONG)?;
        required("authtype", &self.authtype, MAX_SHORT)?;
        optional("scopes", self.scopes.as_deref(), MAX_LONG)?;
        Ok(())
    }
}

impl AuthenticateRequest {
    /// Checks the required fields, and that `publicKey` is a key of the service's curve (the
    /// session creator must be able to run ECDH with it).
    pub fn validate(&self, curve: Curve) -> Result<(), SessionError> {
        required("data", &self.data, MAX_LONG)?;
        required("did", &self.did, MAX_SHORT)?;
        required("appid", &self.appid, MAX_SHORT)?;
        required("publicKey", &self.public_key, MAX_SHORT)?;
        optional("ial", self.ial.as_deref(), MAX_SHORT)?;
        let event_data = self.event_data.as_ref().map(serde_json::Value::to_string);
        optional("eventData", event_data.as_deref(), MAX_LONG)?;
        PublicKey::from_base64(curve, &self.public_key)
            .map_err(|e| SessionError::Invalid(format!("publicKey is {e}")))?;
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn new_session(json: serde_json::Value) -> NewSessionRequest {
        serde_json::from_value(json).unwrap()
    }

    #[test]
    fn a_new_session_needs_every_origin_field_and_authtype() {
        let good = serde_json::json!({
            "origin": {"tag": "t", "url": "https://a", "communityName": "c", "communityId": "1"},
            "authtype": "none"
        });
        assert!(new_session(good.clone()).validate().is_ok());
        let mut blank = good.clone();
        blank["origin"]["communityId"] = "  ".into();
        assert!(matches!(new_session(blank).validate(), Err(SessionError::Invalid(m)) if m.contains("communityId")));
        let mut no_type = good;
        no_type["authtype"] = "".into();
        assert!(new_session(no_type).validate().is_err());
    }

    #[test]
    fn metadata_must_be_an_object() {
        let body = serde_json::json!({
            "origin": {"tag": "t", "url": "u", "communityName": "c", "communityId": "1"},
            "authtype": "none", "metadata": [1, 2]
        });
        assert!(serde_json::from_value::<NewSessionRequest>(body).is_err());
    }

    #[test]
    fn an_answer_needs_a_usable_public_key() {
        let phone = envelope::KeyPair::generate(Curve::Secp256k1).unwrap();
        let mut req = AuthenticateRequest {
            data: "x".into(),
            public_key: phone.public_base64().to_owned(),
            did: "did".into(),
            appid: "app".into(),
            ial: None,
            event_data: None,
        };
        assert!(req.validate(Curve::Secp256k1).is_ok());
        req.public_key = "bm90IGEga2V5".into();
        assert!(matches!(req.validate(Curve::Secp256k1), Err(SessionError::Invalid(m)) if m.contains("publicKey")));
    }

    #[test]
    fn the_poll_reply_is_flat_and_only_carries_session_info_when_asked() {
        let response = AuthResponse {
            session_id: "s".into(),
            data: "d".into(),
            appid: "a".into(),
            ial: Some("IAL1".into()),
            did: "did".into(),
            public_key: "k".into(),
            created_ts: 1,
            created_date: "1970-01-01T00:00:01Z".into(),
            event_data: None,
        };
        let v = serde_json::to_value(PollReply { response, session_info: None }).unwrap();
        assert_eq!(v["sessionId"], "s");
        assert_eq!(v["createdTS"], 1);
        assert!(v.get("sessionInfo").is_none());
        assert!(v.get("eventData").is_none());
    }
}
