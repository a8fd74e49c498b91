//! The catalog group Broker Connection (a directory module's brokers, fetched, enabled or
//! disabled, renamed and deleted with a system or service key authorized for the community),
//! the broker's own side outside the catalog (`broker/connect`, `broker/{uid}/poll`: it
//! registers with its broker key and long-polls for the module's directory requests),
//! `POST /infra/checkBrokerStatusAndSendNotifications` and `POST /internal_call/broker_request`
//! (another instance's request for a broker polling this one).

use actix_web::http::StatusCode;
use actix_web::{HttpRequest, HttpResponse, web};
use envelope::{ApiError, Body};
use kit::openapi::{ErrorBody, Sealable, SealedBody};
use kit::{AppResult, Endpoint, InfraOnly, Licensed, PlainLicensed, SystemOrService, endpoint};
use serde::Deserialize;
use serde_json::{Value, json};
use utoipa::ToSchema;

use crate::State;
use crate::domain::brokers::{Hello, key_hash};
use crate::domain::directory::relayed;
use crate::domain::modules::{self, Module};

const CONNECT: &str = "the broker binary (crates/broker): registers with its broker key, a system or service key \
     authorized for the community";
const POLL: &str = "the broker binary (crates/broker): long-polls for the module's directory requests and answers them";

/// The endpoints of the group, the broker's own and the infra sweep.
pub fn endpoints() -> Vec<Endpoint> {
    vec![
        endpoint!(fetch_brokers),
        endpoint!(change_broker_status),
        endpoint!(rename_broker),
        endpoint!(delete_broker),
        endpoint!(connect_broker).outside_catalog(CONNECT),
        endpoint!(poll_broker).outside_catalog(POLL),
        endpoint!(check_broker_status),
        endpoint!(broker_request),
    ]
}

/// A module's path.
#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ModulePath {
    tenant_id: String,
    community_id: String,
    module_id: String,
}

/// A broker's path.
#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct BrokerPath {
    #[allow(dead_code)]
    tenant_id: String,
    community_id: String,
    module_id: String,
    uid: String,
}

/// Body of `broker/changestatus`.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct BrokerStatusRequest {
    uid: String,
    enabled: bool,
}

/// Body of `broker/update`.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct BrokerRenameRequest {
    uid: String,
    name: String,
}

/// Body of `broker/connect`.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct BrokerConnectRequest {
    /// The uid the broker had, to reconnect as itself.
    uid: Option<String>,
    name: String,
    #[serde(default)]
    version: String,
}

/// Body of `broker/{uid}/poll`.
#[derive(Debug, Default, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct BrokerPollRequest {
    /// The answers to the requests of the previous poll, each with its `id`.
    #[serde(default)]
    answers: Vec<Value>,
}

fn community(id: &str) -> String {
    id.trim().to_ascii_lowercase()
}

/// The module of the path, which must reach its directory through brokers.
async fn broker_module(state: &State, community_id: &str, module_id: &str) -> AppResult<Module> {
    let module = modules::find(&*state.stores.modules, community_id, module_id).await?;
    if !module.module_type.is_directory() {
        return Err(ApiError::bad_request("only ldap and ad modules have brokers").into());
    }
    Ok(module)
}

/// Fetch Broker Connections by CommunityId and AuthModuleId.
///
/// The module's broker connections. A system or service key authorized for the community.
#[utoipa::path(
    get,
    path = "/tenant/{tenantId}/community/{communityId}/module/{moduleId}/broker/fetch",
    params(("tenantId" = String, Path), ("communityId" = String, Path), ("moduleId" = String, Path)),
    responses(
        (status = 200, description = "The broker connections, sealed", body = SealedBody),
        (status = 404, description = "No such module in the community", body = ErrorBody),
    )
)]
#[tracing::instrument(skip_all)]
pub async fn fetch_brokers(
    auth: Licensed<SystemOrService>,
    path: web::Path<ModulePath>,
    state: web::Data<State>,
) -> AppResult<HttpResponse> {
    let c = community(&path.community_id);
    let module = broker_module(&state, &c, &path.module_id).await?;
    let list: Vec<Value> = state.relay.brokers.list(&c, &module.id).await?.iter().map(|b| b.to_reply()).collect();
    Ok(auth.caller.reply(&list)?)
}

/// enable/disable broker by the community & auth module & uid.
///
/// Enables or disables broker `uid` of the module; only an authorized broker can be enabled. A
/// disabled broker gets no more requests and its polls are refused. System or service key.
#[utoipa::path(
    patch,
    path = "/tenant/{tenantId}/community/{communityId}/module/{moduleId}/broker/changestatus",
    params(("tenantId" = String, Path), ("communityId" = String, Path), ("moduleId" = String, Path)),
    request_body = Sealable<BrokerStatusRequest>,
    responses(
        (status = 200, description = "The updated broker connection, sealed when the request was", body = Sealable<Object>),
        (status = 400, description = "A bad uid, an unauthorized broker to enable", body = ErrorBody),
        (status = 404, description = "No such module or broker", body = ErrorBody),
    )
)]
#[tracing::instrument(skip_all)]
pub async fn change_broker_status(
    auth: Licensed<SystemOrService>,
    path: web::Path<ModulePath>,
    body: Body<BrokerStatusRequest>,
    state: web::Data<State>,
) -> AppResult<HttpResponse> {
    let Body { value: r, encrypted } = body;
    let c = community(&path.community_id);
    let module = broker_module(&state, &c, &path.module_id).await?;
    let b = state.relay.brokers.set_enabled(&c, &module.id, &r.uid, r.enabled).await?;
    if !b.enabled {
        state.relay.hub.forget(&b.uid);
    }
    tracing::info!(broker = %b.uid, enabled = b.enabled, "broker status changed");
    Ok(auth.caller.reply_like(encrypted, StatusCode::OK, &b.to_reply())?)
}

/// Update broker connection name.
///
/// Renames broker `uid` of the module (nothing else changes here). System or service key.
#[utoipa::path(
    patch,
    path = "/tenant/{tenantId}/community/{communityId}/module/{moduleId}/broker/update",
    params(("tenantId" = String, Path), ("communityId" = String, Path), ("moduleId" = String, Path)),
    request_body = Sealable<BrokerRenameRequest>,
    responses(
        (status = 200, description = "The updated broker connection, sealed when the request was", body = Sealable<Object>),
        (status = 400, description = "A bad uid or name", body = ErrorBody),
        (status = 404, description = "No such module or broker", body = ErrorBody),
    )
)]
#[tracing::instrument(skip_all)]
pub async fn rename_broker(
    auth: Licensed<SystemOrService>,
    path: web::Path<ModulePath>,
    body: Body<BrokerRenameRequest>,
    state: web::Data<State>,
) -> AppResult<HttpResponse> {
    let Body { value: r, encrypted } = body;
    let c = community(&path.community_id);
    let module = broker_module(&state, &c, &path.module_id).await?;
    let b = state.relay.brokers.rename(&c, &module.id, &r.uid, &r.name).await?;
    Ok(auth.caller.reply_like(encrypted, StatusCode::OK, &b.to_reply())?)
}

/// Delete broker connection by communityId and authModuleId and uid of broker.
///
/// 204. The broker's polls are refused from then on. System or service key.
#[utoipa::path(
    delete,
    path = "/tenant/{tenantId}/community/{communityId}/module/{moduleId}/broker/{uid}",
    params(("tenantId" = String, Path), ("communityId" = String, Path), ("moduleId" = String, Path), ("uid" = String, Path)),
    responses(
        (status = 204, description = "Deleted"),
        (status = 404, description = "No such module or broker", body = ErrorBody),
    )
)]
#[tracing::instrument(skip_all)]
pub async fn delete_broker(
    _auth: Licensed<SystemOrService>,
    path: web::Path<BrokerPath>,
    state: web::Data<State>,
) -> AppResult<HttpResponse> {
    let c = community(&path.community_id);
    let module = broker_module(&state, &c, &path.module_id).await?;
    state.relay.brokers.delete(&c, &module.id, &path.uid).await?;
    state.relay.hub.forget(&path.uid);
    Ok(HttpResponse::NoContent().finish())
}

/// Register a broker.
///
/// A broker of the module (which must be in `mode: broker`) introduces itself with its broker
/// key: a new connection, or the one `uid` names when it reconnects (refused, 403, when
/// disabled). Answers the connection, whose `uid` the broker polls with.
#[utoipa::path(
    post,
    path = "/tenant/{tenantId}/community/{communityId}/module/{moduleId}/broker/connect",
    params(("tenantId" = String, Path), ("communityId" = String, Path), ("moduleId" = String, Path)),
    request_body = Sealable<BrokerConnectRequest>,
    responses(
        (status = 200, description = "The broker connection, sealed when the request was", body = Sealable<Object>),
        (status = 400, description = "A module that is not in mode broker, a bad name", body = ErrorBody),
        (status = 403, description = "A disabled broker", body = ErrorBody),
    )
)]
#[tracing::instrument(skip_all)]
pub async fn connect_broker(
    auth: Licensed<SystemOrService>,
    req: HttpRequest,
    path: web::Path<ModulePath>,
    body: Body<BrokerConnectRequest>,
    state: web::Data<State>,
) -> AppResult<HttpResponse> {
    let Body { value: r, encrypted } = body;
    let c = community(&path.community_id);
    let module = broker_module(&state, &c, &path.module_id).await?;
    if module.mode != "broker" {
        return Err(ApiError::bad_request("the auth module is not in mode broker").into());
    }
    let peer = req.peer_addr();
    let hello = Hello {
        key_hash: key_hash(auth.key.expose()),
        uid: r.uid,
        name: r.name,
        version: r.version,
        ip: peer.map(|a| a.ip().to_string()).unwrap_or_default(),
        port: peer.map(|a| a.port().to_string()).unwrap_or_default(),
    };
    let now = envelope::wire::now_epoch();
    let b = state.relay.brokers.register(&path.tenant_id, &c, &module.id, hello, now).await?;
    tracing::info!(broker = %b.uid, module = %module.id, "broker connected");
    Ok(auth.caller.reply_like(encrypted, StatusCode::OK, &b.to_reply())?)
}

/// A broker's poll.
///
/// Delivers the broker's `answers` and waits (`BROKER_POLL_SECONDS`) for the module's directory
/// requests: `{"requests": [...]}`, empty when none came. Each poll is the broker's heartbeat.
/// Refused (403) for a disabled broker, 404 for a deleted one.
#[utoipa::path(
    post,
    path = "/tenant/{tenantId}/community/{communityId}/module/{moduleId}/broker/{uid}/poll",
    params(("tenantId" = String, Path), ("communityId" = String, Path), ("moduleId" = String, Path), ("uid" = String, Path)),
    request_body = Sealable<BrokerPollRequest>,
    responses(
        (status = 200, description = "`requests`, sealed when the request was", body = Sealable<Object>),
        (status = 403, description = "A disabled broker", body = ErrorBody),
        (status = 404, description = "No such broker", body = ErrorBody),
    )
)]
#[tracing::instrument(skip_all, fields(broker = %path.uid))]
pub async fn poll_broker(
    auth: Licensed<SystemOrService>,
    path: web::Path<BrokerPath>,
    body: Body<BrokerPollRequest>,
    state: web::Data<State>,
) -> AppResult<HttpResponse> {
    let Body { value: r, encrypted } = body;
    let c = community(&path.community_id);
    let b = state.relay.brokers.get(&c, &path.module_id, &path.uid).await?;
    if b.key_hash != key_hash(auth.key.expose()) {
        return Err(ApiError::forbidden("the broker connection belongs to another broker key").into());
    }
    if !b.enabled {
        return Err(ApiError::forbidden("the broker connection is disabled").into());
    }
    state.relay.brokers.ping(&c, &b.uid, envelope::wire::now_epoch()).await?;
    let requests = state.relay.hub.poll(&b.uid, &c, &b.module_id, r.answers).await;
    Ok(auth.caller.reply_like(encrypted, StatusCode::OK, &json!({"requests": requests}))?)
}

/// Check broker connection status and send email.
///
/// Marks down every broker silent past `BROKER_HEARTBEAT_SECONDS`, and emails the module's
/// `brokerDisconnectNotificationTo` (when `brokerNotificationsEnabled`) once per disconnection,
/// `notificationAfterNoOfMinsDisconnect` minutes after it. The deployment's infra key, in the
/// clear. 204.
#[utoipa::path(
    post,
    path = "/infra/checkBrokerStatusAndSendNotifications",
    responses(
        (status = 204, description = "Checked"),
        (status = 401, description = "Not the infra key", body = ErrorBody),
    )
)]
#[tracing::instrument(skip_all)]
pub async fn check_broker_status(_auth: PlainLicensed<InfraOnly>, state: web::Data<State>) -> AppResult<HttpResponse> {
    let now = envelope::wire::now_epoch();
    let store = state.stores.modules.clone();
    let notices = state
        .relay
        .brokers
        .sweep(now, |community_id, module_id| {
            let store = store.clone();
            async move { Ok(store.get(&community_id, &module_id).await?.map(|m| m.config)) }
        })
        .await?;
    for notice in notices {
        let sent = state.notifier.broker_down(&notice).await;
        match sent {
            Ok(()) => state.relay.brokers.notified(notice.broker, now).await?,
            Err(e) => tracing::warn!(broker = %notice.broker.uid, reason = %e, "broker down notice not sent"),
        }
    }
    Ok(HttpResponse::NoContent().finish())
}

/// Body of `POST /internal_call/broker_request`.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub struct BrokerRequestBody {
    community_id: String,
    /// The module: `{"_id": …}` (the rest of the object is not used).
    #[schema(value_type = Object)]
    auth_module: Value,
    /// The request for the broker: `op` (`authenticate`, `find`, `page`, `changePassword`,
    /// `test`) and its fields.
    #[schema(value_type = Object)]
    data_payload: Value,
}

/// Make a broker request via socket.
///
/// Runs `dataPayload` on a broker of module `authModule._id` that polls this instance and
/// answers the broker's reply (`status`, `entry`, `passwordOk`); 503 when none polls here or none
/// answers in time. For the deployment's own instances: the infra key, sealed.
#[utoipa::path(
    post,
    path = "/internal_call/broker_request",
    request_body = Sealable<BrokerRequestBody>,
    responses(
        (status = 200, description = "The broker's answer, sealed when the request was", body = Sealable<Object>),
        (status = 400, description = "A missing field, an unknown operation", body = ErrorBody),
        (status = 404, description = "No such module in the community", body = ErrorBody),
        (status = 503, description = "No broker of the module polls this instance, or none answered", body = ErrorBody),
    )
)]
#[tracing::instrument(skip_all)]
pub async fn broker_request(
    auth: Licensed<InfraOnly>,
    body: Body<BrokerRequestBody>,
    state: web::Data<State>,
) -> AppResult<HttpResponse> {
    let Body { value: r, encrypted } = body;
    let c = community(&r.community_id);
    let module_id = r.auth_module.get("_id").and_then(Value::as_str).unwrap_or_default();
    let module = broker_module(&state, &c, module_id).await?;
    let op = r.data_payload.get("op").and_then(Value::as_str).unwrap_or_default();
    if !relayed::OPERATIONS.contains(&op) {
        return Err(
            ApiError::bad_request(format!("dataPayload.op must be one of {}", relayed::OPERATIONS.join(", "))).into()
        );
    }
    let timeout = std::time::Duration::from_secs(30);
    // Only this instance's brokers: a peer asking must not be sent around again.
    let answer = state.relay.call_local(&c, &module.id, r.data_payload, timeout).await?;
    Ok(auth.caller.reply_like(encrypted, StatusCode::OK, &answer)?)
}
