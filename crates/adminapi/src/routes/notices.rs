//! `POST /infra/community_notice` (outside the catalog): another service of the deployment
//! (users-mgmt, when a broker goes silent) asks adminapi to email a notice to a community's
//! administrators and to the addresses it names, through the community's email gateway.

use actix_web::http::StatusCode;
use actix_web::{HttpResponse, web};
use envelope::{ApiError, Body};
use kit::app::Platform;
use kit::directory::{Named, locate};
use kit::openapi::{ErrorBody, Sealable};
use kit::{AppResult, Endpoint, InfraOnly, Licensed, endpoint};
use reqwest::Method;
use serde::Deserialize;
use serde_json::json;
use utoipa::ToSchema;

use crate::State;
use crate::domain::messaging::Message;
use crate::domain::msg_gateway::Channel;
use crate::domain::roles::{self, permission};
use crate::users_mgmt::UsersMgmt;

const REASON: &str = "users-mgmt's broker sweep (infra/checkBrokerStatusAndSendNotifications) sends its notices here";

/// The endpoint.
pub fn endpoints() -> Vec<Endpoint> {
    vec![endpoint!(community_notice).outside_catalog(REASON)]
}

/// Body of `POST /infra/community_notice`.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub struct NoticeRequest {
    tenant_id: String,
    community_id: String,
    /// Addresses to tell besides the community's administrators.
    #[serde(default)]
    to: Vec<String>,
    subject: String,
    text: String,
}

/// Email a notice to a community's administrators.
///
/// Sends `subject` / `text` to every administrator of the community with an email address
/// (`email1` of their user) and to `to`, each once, through the community's email gateway.
/// `{sent}`. The deployment's infra key only.
#[utoipa::path(
    post,
    path = "/infra/community_notice",
    request_body = Sealable<NoticeRequest>,
    responses(
        (status = 200, description = "`sent`: how many messages went out", body = Sealable<Object>),
        (status = 400, description = "A missing field, no recipient", body = ErrorBody),
        (status = 404, description = "No such community, or it has no email gateway", body = ErrorBody),
    )
)]
#[tracing::instrument(skip_all)]
pub async fn community_notice(
    auth: Licensed<InfraOnly>,
    body: Body<NoticeRequest>,
    state: web::Data<State>,
    platform: web::Data<Platform>,
) -> AppResult<HttpResponse> {
    let Body { value: r, encrypted } = body;
    let named = Named { community_id: &r.community_id, tenant_id: Some(&r.tenant_id), community_name: None };
    let community = locate(&**platform.directory, named).await?;
    let mut recipients: Vec<String> = r.to.iter().map(|a| a.trim().to_ascii_lowercase()).collect();
    let admins = state.stores.authz.list(&community.id).await?;
    let module = state.users_mgmt.login_module(&community).await?;
    for a in admins.iter().filter(|a| roles::find(&a.role).is_some_and(|role| role.grants(permission::ADMIN))) {
        let Some(module) = &module else { break };
        let path = UsersMgmt::community_path(&community, "/users/fetch");
        let body = json!({"authModule": module, "query": {"uid": a.uid}, "pSize": 1});
        let found = state.users_mgmt.call(Method::POST, &path, &body).await?;
        if let Some(email) = found["data"][0]["email1"].as_str() {
            recipients.push(email.trim().to_ascii_lowercase());
        }
    }
    recipients.retain(|a| !a.is_empty());
    recipients.sort();
    recipients.dedup();
    if recipients.is_empty() {
        return Err(
            ApiError::bad_request("the notice has no recipient: no address given and no administrator email").into()
        );
    }
    for to in &recipients {
        let message = Message { to: to.clone(), subject: r.subject.clone(), body: r.text.clone() };
        state.messenger.send(&community.id, Channel::Email, &message).await?;
    }
    tracing::info!(sent = recipients.len(), "community notice sent");
    Ok(auth.caller.reply_like(encrypted, StatusCode::OK, &json!({"sent": recipients.len()}))?)
}
