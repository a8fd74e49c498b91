//! The schemas and header parameters every document shares: the error reply, sealed bodies, the
//! authentication headers of each kind of caller, and the security schemes.

use utoipa::{IntoParams, ToSchema};

/// The error reply of every endpoint, `{statusCode, error, message}` (`envelope::ErrorBody`).
#[derive(Debug, ToSchema)]
#[schema(example = json!({"statusCode": 401, "error": "Unauthorized", "message": "requestid header is required"}))]
#[serde(rename_all = "camelCase")]
pub struct ErrorBody {
    /// The HTTP status.
    pub status_code: u16,
    /// The status' reason phrase.
    pub error: String,
    /// What went wrong, for a human.
    pub message: String,
}

/// An encrypted JSON body: `data` is `base64(iv || ciphertext || tag)` of the JSON, with the
/// AES-256-GCM key of ECDH(sender's key, receiver's `publickey`).
#[derive(Debug, ToSchema)]
pub struct SealedBody {
    /// The encrypted JSON.
    pub data: String,
}

/// A body sent either sealed (`{"data": "<encrypted JSON>"}`, the wire form the SDKs use) or as
/// the plain JSON; the decrypted content of the sealed form is the plain schema.
#[derive(Debug, ToSchema)]
#[serde(untagged)]
pub enum Sealable<T> {
    /// The encrypted form.
    Sealed(SealedBody),
    /// The plain form, and the decrypted content of the encrypted one.
    Plain(T),
}

/// The authentication headers of a caller holding a license (`Licensed<L>`).
#[derive(Debug, IntoParams)]
#[into_params(parameter_in = Header)]
pub struct LicensedHeaders {
    /// The caller's public key (base64), also the ECDH peer of the other headers and the body.
    pub publickey: String,
    /// `{"appid", "uuid", "ts"}` encrypted for the service; `ts` within `allowed_time_span`
    /// seconds of now, each value used once.
    pub requestid: String,
    /// The caller's license key, encrypted for the service.
    pub licensekey: String,
}

/// The header of a logged-in user's session (a route with [`crate::access::Requirement::session`]).
#[derive(Debug, IntoParams)]
#[into_params(parameter_in = Header)]
pub struct SessionHeader {
    /// The access JWT of the login (`Bearer <jwt>` or the bare token).
    pub authorization: String,
}

/// The authentication headers of a verified caller (`Caller`): the license key is optional.
#[derive(Debug, IntoParams)]
#[into_params(parameter_in = Header)]
pub struct CallerHeaders {
    /// The caller's public key (base64), also the ECDH peer of the other headers and the body.
    pub publickey: String,
    /// `{"appid", "uuid", "ts"}` encrypted for the service; `ts` within `allowed_time_span`
    /// seconds of now, each value used once.
    pub requestid: String,
    /// The caller's license key, encrypted for the service.
    pub licensekey: Option<String>,
}

/// Optional authentication headers (`OptionalCaller`): verified when `requestid` is present.
#[derive(Debug, IntoParams)]
#[into_params(parameter_in = Header)]
pub struct OptionalCallerHeaders {
    /// The caller's public key (base64); required with `requestid`.
    pub publickey: Option<String>,
    /// `{"appid", "uuid", "ts"}` encrypted for the service; when present, the headers are verified.
    pub requestid: Option<String>,
    /// The caller's license key, encrypted for the service.
    pub licensekey: Option<String>,
}

/// The plain `license` header (`PlainLicense`).
#[derive(Debug, IntoParams)]
#[into_params(parameter_in = Header)]
pub struct PlainLicenseHeader {
    /// A license key in the clear.
    pub license: Option<String>,
}

/// The headers documented as security schemes, with their description.
pub(crate) const SCHEMES: [(&str, &str); 5] = [
    ("publickey", "The caller's public key (base64): the ECDH peer of the encrypted headers and body."),
    ("requestid", "`{appid, uuid, ts}` encrypted with ECDH(caller, service): fresh and used once."),
    ("licensekey", "The caller's license key, encrypted with ECDH(caller, service)."),
    ("license", "A license key in the clear (the endpoints that say so)."),
    ("authorization", "A logged-in user's access JWT (`Bearer <jwt>` or the bare token)."),
];

#[cfg(test)]
mod tests {
    use utoipa::PartialSchema as _;

    use super::*;

    #[test]
    fn the_error_schema_matches_the_wire_shape() {
        let wire = serde_json::to_value(envelope::ApiError::unauthorized("x").body()).unwrap();
        let schema = serde_json::to_value(ErrorBody::schema()).unwrap();
        let mut wire_keys: Vec<&String> = wire.as_object().unwrap().keys().collect();
        let mut schema_keys: Vec<&String> = schema["properties"].as_object().unwrap().keys().collect();
        wire_keys.sort();
        schema_keys.sort();
        assert_eq!(wire_keys, schema_keys);
    }
}
