//! The catalog groups Session Attributes Config (the attributes a community's sessions share:
//! the instance's baseline and ledger attributes, the community's own, and the identity
//! attributes) and Caas Config (a community's configuration read by key path).

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
    BASELINE_SESSION_ATTRIBUTES, IDENTITY_ATTRIBUTES, LEDGER_ATTRIBUTES, SessionAttributes,
};
use crate::domain::config::Owner;
use crate::domain::roles::permission;
use crate::routes::settings_io::{named_community, store};
use crate::session::{AdminSession, Administrator, LoggedIn};

/// The endpoints of Session Attributes Config.
pub fn endpoints() -> Vec<Endpoint> {
    vec![endpoint!(fetch_session_attributes), endpoint!(set_session_attributes)]
}

/// Body of `POST /config/session_attributes/fetch`.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct FetchRequest {
    #[serde(rename = "tenantId")]
    tenant_id: Option<String>,
    #[serde(rename = "communityId")]
    community_id: Option<String>,
    /// `["blockid_session_attributes"]` or empty.
    #[serde(default)]
    local_key_paths: Vec<String>,
    /// Some of `blockid_session_attributes`, `blockid_ledger_attributes`, `identity_attributes`.
    #[serde(default)]
    global_key_paths: Vec<String>,
}

fn identity() -> Value {
    Value::Array(IDENTITY_ATTRIBUTES.iter().map(|(a, d)| json!({"attribute": a, "displayName": d})).collect())
}

/// Get the session attributes.
///
/// `custom` (the community's own), `baseline` and `ledger` (the instance's) and `identity`
/// (attributes and display names), each when its key path is asked for (all when none is).
/// Any logged-in user; a user without the administrator's permission gets `identity` only.
#[utoipa::path(post, path = "/config/session_attributes/fetch", request_body = Sealable<FetchRequest>,
    responses(
        (status = 200, description = "`{custom, baseline, ledger, identity}`, sealed when the request was", body = Sealable<Object>),
        (status = 400, description = "An unknown key path", body = ErrorBody),
    ))]
#[tracing::instrument(skip_all)]
pub async fn fetch_session_attributes(
    admin: AdminSession<LoggedIn>,
    body: Body<FetchRequest>,
    state: web::Data<State>,
    platform: web::Data<Platform>,
) -> AppResult<HttpResponse> {
    let Body { value: r, encrypted } = body;
    let mut names = Map::new();
    if let Some(t) = r.tenant_id {
        names.insert("tenantId".into(), json!(t));
    }
    if let Some(c) = r.community_id {
        names.insert("communityId".into(), json!(c));
    }
    let community = named_community(&admin, &mut names, &platform).await?;
    for (i, path) in r.local_key_paths.iter().enumerate() {
        if path != "blockid_session_attributes" {
            return Err(
                ApiError::bad_request(format!("local_key_paths[{i}] must be blockid_session_attributes")).into()
            );
        }
    }
    const GLOBAL: [&str; 3] = ["blockid_session_attributes", "blockid_ledger_attributes", "identity_attributes"];
    for (i, path) in r.global_key_paths.iter().enumerate() {
        if !GLOBAL.contains(&path.as_str()) {
            return Err(
                ApiError::bad_request(format!("global_key_paths[{i}] must be one of {}", GLOBAL.join(", "))).into()
            );
        }
    }
    let all = r.local_key_paths.is_empty() && r.global_key_paths.is_empty();
    let global = |p: &str| all || r.global_key_paths.iter().any(|g| g == p);
    let mut reply = Map::new();
    if admin.role.grants(permission::ADMIN) {
        if all || !r.local_key_paths.is_empty() {
            let own = state.configs.get::<SessionAttributes>(&community.id).await?;
            reply.insert("custom".into(), json!(own.blockid_session_attributes));
        }
        if global("blockid_session_attributes") {
            reply.insert("baseline".into(), json!(BASELINE_SESSION_ATTRIBUTES));
        }
        if global("blockid_ledger_attributes") {
            reply.insert("ledger".into(), json!(LEDGER_ATTRIBUTES));
        }
    }
    if global("identity_attributes") {
        reply.insert("identity".into(), identity());
    }
    Ok(admin.caller.reply_like(encrypted, StatusCode::OK, &reply)?)
}

/// Body of `PUT /config/session_attributes`.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct SetRequest {
    #[serde(rename = "tenantId")]
    tenant_id: Option<String>,
    #[serde(rename = "communityId")]
    community_id: Option<String>,
    /// The community's own attributes: up to 100 names, each once.
    data: Vec<String>,
}

/// Set the session attributes.
///
/// The community's own session attributes (`data`), beside the instance's baseline.
/// Administrators.
#[utoipa::path(put, path = "/config/session_attributes", request_body = Sealable<SetRequest>,
    responses(
        (status = 200, description = "`{custom}`, sealed when the request was", body = Sealable<Object>),
        (status = 400, description = "A bad, repeated or extra attribute name", body = ErrorBody),
    ))]
#[tracing::instrument(skip_all)]
pub async fn set_session_attributes(
    admin: AdminSession<Administrator>,
    body: Body<SetRequest>,
    state: web::Data<State>,
    platform: web::Data<Platform>,
) -> AppResult<HttpResponse> {
    let Body { value: r, encrypted } = body;
    let mut names = Map::new();
    for (field, v) in [("tenantId", r.tenant_id), ("communityId", r.community_id)] {
        if let Some(v) = v {
            names.insert(field.into(), json!(v));
        }
    }
    let community = named_community(&admin, &mut names, &platform).await?;
    let owner = Owner { tenant_id: &community.tenant_id, community_id: &community.id };
    let given = Map::from_iter([("blockid_session_attributes".to_owned(), json!(r.data))]);
    let next: SessionAttributes = store(&admin, &state, owner, given).await?;
    Ok(admin.caller.reply_like(encrypted, StatusCode::OK, &json!({"custom": next.blockid_session_attributes}))?)
}
