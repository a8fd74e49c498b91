//! The catalog group Caas Config: `POST /config/fetch`, a community's configuration read by key
//! path: a setting's kind (`mfa_settings`), a field within it (`mfa_settings.otpMaxAttempts`), or
//! one of the instance's session attribute lists.

use actix_web::http::StatusCode;
use actix_web::{HttpResponse, web};
use envelope::{ApiError, Body};
use kit::app::Platform;
use kit::openapi::{ErrorBody, Sealable};
use kit::{AppResult, Endpoint, endpoint};
use serde::Deserialize;
use serde_json::{Map, Value, json};
use utoipa::ToSchema;

use crate::State;
use crate::domain::community_settings::{
    BASELINE_SESSION_ATTRIBUTES, Branding, IDENTITY_ATTRIBUTES, LEDGER_ATTRIBUTES, SelfRegistration, SessionAttributes,
    SessionEnvironment,
};
use crate::domain::config::{Configs, Setting};
use crate::domain::login_settings::{
    FidoSettings, FirstTimeEnrollment, LiveidSelfie, MfaSettings, OrionSettings, PwdlessSettings, WindowsMfaSettings,
};
use crate::routes::settings_io::named_community;
use crate::session::{AdminSession, Administrator};

/// The endpoints of the group.
pub fn endpoints() -> Vec<Endpoint> {
    vec![endpoint!(fetch_config)]
}

/// Body of `POST /config/fetch`.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct FetchConfigRequest {
    #[serde(rename = "tenantId")]
    tenant_id: Option<String>,
    #[serde(rename = "communityId")]
    community_id: Option<String>,
    /// 1 to 50 dotted paths.
    key_paths: Vec<String>,
}

async fn setting<T: Setting>(configs: &Configs, community: &str) -> AppResult<Value> {
    let value = configs.get::<T>(community).await?;
    serde_json::to_value(value).map_err(|_| ApiError::internal().into())
}

/// The value of the top-level key `kind` for `community`, `None` when there is no such key.
async fn top(configs: &Configs, community: &str, kind: &str) -> AppResult<Option<Value>> {
    let value = match kind {
        FidoSettings::KIND => setting::<FidoSettings>(configs, community).await?,
        FirstTimeEnrollment::KIND => setting::<FirstTimeEnrollment>(configs, community).await?,
        LiveidSelfie::KIND => setting::<LiveidSelfie>(configs, community).await?,
        MfaSettings::KIND => setting::<MfaSettings>(configs, community).await?,
        OrionSettings::KIND => setting::<OrionSettings>(configs, community).await?,
        PwdlessSettings::KIND => setting::<PwdlessSettings>(configs, community).await?,
        WindowsMfaSettings::KIND => setting::<WindowsMfaSettings>(configs, community).await?,
        Branding::KIND => setting::<Branding>(configs, community).await?,
        SelfRegistration::KIND => setting::<SelfRegistration>(configs, community).await?,
        SessionEnvironment::KIND => setting::<SessionEnvironment>(configs, community).await?,
        SessionAttributes::KIND => setting::<SessionAttributes>(configs, community).await?,
        "blockid_session_attributes" => json!(BASELINE_SESSION_ATTRIBUTES),
        "blockid_ledger_attributes" => json!(LEDGER_ATTRIBUTES),
        "identity_attributes" => {
            Value::Array(IDENTITY_ATTRIBUTES.iter().map(|(a, d)| json!({"attribute": a, "displayName": d})).collect())
        }
        _ => return Ok(None),
    };
    Ok(Some(value))
}

/// Get the configuration.
///
/// For each of `key_paths`, the community's value there (its setting or the default): `{path:
/// value}`. A path is a setting's kind (`mfa_settings`, `branding`…) or a field within it
/// (`mfa_settings.otpMaxAttempts`), or `blockid_session_attributes`,
/// `blockid_ledger_attributes`, `identity_attributes`. Administrators.
#[utoipa::path(post, path = "/config/fetch", request_body = Sealable<FetchConfigRequest>,
    responses(
        (status = 200, description = "`{path: value}`, sealed when the request was", body = Sealable<Object>),
        (status = 400, description = "No key path, too many, or one that names nothing", body = ErrorBody),
    ))]
#[tracing::instrument(skip_all)]
pub async fn fetch_config(
    admin: AdminSession<Administrator>,
    body: Body<FetchConfigRequest>,
    state: web::Data<State>,
    platform: web::Data<Platform>,
) -> AppResult<HttpResponse> {
    let Body { value: r, encrypted } = body;
    if r.key_paths.is_empty() || r.key_paths.len() > 50 {
        return Err(ApiError::bad_request("key_paths must hold 1 to 50 paths").into());
    }
    let mut names = Map::new();
    for (field, v) in [("tenantId", r.tenant_id), ("communityId", r.community_id)] {
        if let Some(v) = v {
            names.insert(field.into(), json!(v));
        }
    }
    let community = named_community(&admin, &mut names, &platform).await?;
    let mut reply = Map::new();
    for (i, path) in r.key_paths.iter().enumerate() {
        let unknown = || ApiError::bad_request(format!("key_paths[{i}] names no configuration"));
        let mut parts = path.split('.');
        let kind = parts.next().unwrap_or_default();
        let mut value = top(&state.configs, &community.id, kind).await?.ok_or_else(unknown)?;
        for part in parts {
            value = value.get_mut(part).map(Value::take).ok_or_else(unknown)?;
        }
        reply.insert(path.clone(), value);
    }
    Ok(admin.caller.reply_like(encrypted, StatusCode::OK, &reply)?)
}
