//! The SSPR transformation script: the community's `password_reset` setting carries it in base64
//! (`transformationB64`); it turns the profile a user profile API answered into the identity a
//! self-service password reset checks. The script gets the profile as `input` and ends with an
//! object (or a function of `input` returning one) with `firstname` and `lastname` (strings) and,
//! when it has them, `dob`, `email` and `phone` (strings); other fields are left out.

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD;
use serde::{Deserialize, Serialize};
use serde_json::Value;

use super::{Sandbox, ScriptError};
use crate::domain::DomainError;

/// Longest script (bytes, decoded).
pub const MAX_SCRIPT: usize = 64 << 10;

/// What a transformation gives.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct Identity {
    pub firstname: String,
    pub lastname: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub dob: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub email: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub phone: Option<String>,
}

/// The script `field` holds in base64 (standard alphabet): UTF-8, at most [`MAX_SCRIPT`] bytes.
pub fn decode_script(field: &str, b64: &str) -> Result<String, DomainError> {
    let bytes = STANDARD
        .decode(b64.trim())
        .map_err(|_| DomainError::Invalid(format!("{field} must be the script in base64")))?;
    if bytes.is_empty() || bytes.len() > MAX_SCRIPT {
        return Err(DomainError::Invalid(format!("{field} must hold a script of 1 to {MAX_SCRIPT} bytes")));
    }
    String::from_utf8(bytes).map_err(|_| DomainError::Invalid(format!("{field} must be UTF-8 text")))
}

/// Runs the transformation `script_b64` on `profile` in `sandbox`: the identity it gives.
pub async fn transform(sandbox: &Sandbox, script_b64: &str, profile: &Value) -> Result<Identity, DomainError> {
    let script = decode_script("transformationB64", script_b64)?;
    let out = sandbox.run(&script, profile).await?;
    if !out.is_object() {
        return Err(ScriptError::Output("must be an object".to_owned()).into());
    }
    envelope::deser::from_value(out).map_err(|e| DomainError::Invalid(format!("the script's result: {e}")))
}
