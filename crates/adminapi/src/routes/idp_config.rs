//! The catalog group IDP Config: the community as a SAML identity provider
//! ([`crate::domain::guarded_settings::IdpConfig`]): its certificates, entity id and bindings,
//! and its signing and encryption private keys, which are kept sealed and never returned (a reply
//! says whether each is set). The federation endpoints sign with them.

use actix_web::http::StatusCode;
use actix_web::{HttpResponse, web};
use envelope::{ApiError, Body};
use kit::app::Platform;
use kit::openapi::{ErrorBody, Sealable};
use kit::{AppResult, Endpoint, endpoint};
use serde_json::{Map, Value, json};

use crate::State;
use crate::domain::config::{self, Owner, Setting};
use crate::domain::guarded_settings::{IdpConfig, IdpSecrets, KEY_LABELS, pem};
use crate::routes::settings_io::{named_community, seal_field, take_text};
use crate::session::{AdminSession, Administrator};

/// The endpoints of the group.
pub fn endpoints() -> Vec<Endpoint> {
    vec![endpoint!(fetch_idp_config), endpoint!(set_idp_config)]
}

/// The reply: the configuration and whether each key is set.
fn shown(config: &IdpConfig, secrets: &IdpSecrets) -> AppResult<Value> {
    let mut value = serde_json::to_value(config).map_err(|_| ApiError::internal())?;
    value["signingKeySet"] = json!(!secrets.signing_key.is_empty());
    value["encryptionKeySet"] = json!(!secrets.encryption_key.is_empty());
    Ok(value)
}

/// Get the IDP config.
///
/// The SAML identity provider of the community `tenantId` / `communityId` name (the session's by
/// default), with `signingKeySet` and `encryptionKeySet`; the keys themselves are never returned.
/// Administrators.
#[utoipa::path(post, path = "/config/idp_config/fetch", request_body = Sealable<Object>,
    responses((status = 200, description = "The configuration, sealed when the request was", body = Sealable<IdpConfig>)))]
#[tracing::instrument(skip_all)]
pub async fn fetch_idp_config(
    admin: AdminSession<Administrator>,
    body: Body<Map<String, Value>>,
    state: web::Data<State>,
    platform: web::Data<Platform>,
) -> AppResult<HttpResponse> {
    let Body { value: mut given, encrypted } = body;
    let community = named_community(&admin, &mut given, &platform).await?;
    let config = state.configs.get::<IdpConfig>(&community.id).await?;
    let secrets = state.configs.get::<IdpSecrets>(&community.id).await?;
    Ok(admin.caller.reply_like(encrypted, StatusCode::OK, &shown(&config, &secrets)?)?)
}

/// Set the IDP config.
///
/// The certificates (PEM), `entityId`, `authnRequestsSigned`, `sso_bindings` and `slo_bindings`
/// (`HTTP-Redirect`, `HTTP-POST`) are required, and so are `signingKey` and `encryptionKey` (PEM
/// private keys) until they are set; left out later, the stored keys stay. The keys are kept
/// sealed. Administrators.
#[utoipa::path(put, path = "/config/idp_config", request_body = Sealable<IdpConfig>,
    responses(
        (status = 200, description = "The configuration without its keys, sealed when the request was", body = Sealable<IdpConfig>),
        (status = 400, description = "A missing, unknown, mistyped or invalid field", body = ErrorBody),
    ))]
#[tracing::instrument(skip_all)]
pub async fn set_idp_config(
    admin: AdminSession<Administrator>,
    body: Body<Map<String, Value>>,
    state: web::Data<State>,
    platform: web::Data<Platform>,
) -> AppResult<HttpResponse> {
    let Body { value: mut given, encrypted } = body;
    let community = named_community(&admin, &mut given, &platform).await?;
    let owner = Owner { tenant_id: &community.tenant_id, community_id: &community.id };
    let keys = [
        ("signingKey", take_text(&mut given, "signingKey")),
        ("encryptionKey", take_text(&mut given, "encryptionKey")),
    ];
    let current = state.configs.get::<IdpConfig>(&community.id).await?;
    let next = config::apply(&current, given)?;
    let mut secrets = state.configs.get::<IdpSecrets>(&community.id).await?;
    for (field, key) in &keys {
        let slot = if *field == "signingKey" { &mut secrets.signing_key } else { &mut secrets.encryption_key };
        match key {
            Some(key) => {
                pem(field, key, &KEY_LABELS)?;
                *slot = seal_field(&state, &community.id, IdpSecrets::KIND, field, key.trim())?;
            }
            None if slot.is_empty() => return Err(ApiError::bad_request(format!("{field} is required")).into()),
            None => {}
        }
    }
    if keys.iter().any(|(_, k)| k.is_some()) {
        state.configs.set(owner, &admin.session.uid, &secrets).await?;
    }
    state.configs.set(owner, &admin.session.uid, &next).await?;
    Ok(admin.caller.reply_like(encrypted, StatusCode::OK, &shown(&next, &secrets)?)?)
}
