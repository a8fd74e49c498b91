//! The catalog group User Management, its user records: bulk create, fetch with paging, count,
//! fetch one by username, update. Authentication, passwords and the other actions on one user
//! come in their own modules.
//!
//! Every call names an auth module of the community (`authModule`), which must exist and be
//! enabled. The users of `ldap` and `ad` modules live in their directory: fetch, count and
//! fetch one read it ([`super::users_directory`]); create and update are the directory's
//! business (400), and so is every call for an `azuread` module (not reached yet). Without an
//! `authModule`, fetches follow the reference: the community's default auth scheme decides, and
//! no community has one yet, so they find nobody.

use actix_web::http::StatusCode;
use actix_web::{HttpResponse, web};
use envelope::{ApiError, Body};
use kit::openapi::{ErrorBody, Sealable};
use kit::{AnyLevel, AppResult, DomainError, Endpoint, Licensed, ServiceLevels, endpoint};
use serde::Deserialize;
use serde_json::{Map, Value, json};
use utoipa::ToSchema;

use crate::State;
use crate::domain::users::{self, NewUser, Query};
use crate::routes::authenticate::{local_module, otp_verdict, user_module};
use crate::routes::users_directory;
use kit::directory::Located;

/// The endpoints of the group built so far.
pub fn endpoints() -> Vec<Endpoint> {
    vec![
        endpoint!(create_users),
        endpoint!(fetch_users),
        endpoint!(count_users),
        endpoint!(fetch_single_user),
        endpoint!(update_user),
    ]
}

/// The most users one `users/create` takes.
pub const MAX_USERS_PER_CREATE: usize = 1000;
/// The largest page of `users/fetch` (`pSize` above it is this).
pub const MAX_PAGE_SIZE: u64 = 100;

/// Body of `users/create`.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub struct CreateRequest {
    /// The db module the users belong to.
    auth_module: String,
    /// The users (username, password, status, names, emails, phone, address, …).
    #[schema(value_type = Vec<Object>)]
    users: Vec<Value>,
    /// With an app key: the one-time passcode of the single user created.
    otp: Option<String>,
}

/// Create users.
///
/// A system, service or service_ext key creates up to 1000 users at once, each checked on its
/// own (`errors` says which, by index): a username taken in the community, whatever its case, a
/// bad email or phone, a password the module's policy refuses. An app or app_ext key creates a
/// single user with an `otp` for that username, checked by adminapi (401 when it is wrong, 400
/// while adminapi does not serve OTPs). Created users are of type basic with the role none.
#[utoipa::path(
    put,
    path = "/tenant/{tenantId}/community/{communityId}/users/create",
    params(("tenantId" = String, Path), ("communityId" = String, Path)),
    request_body = Sealable<CreateRequest>,
    responses(
        (status = 200, description = "`requested`, `created`, `failed` and `errors`, sealed when the request was", body = Sealable<Object>),
        (status = 400, description = "A bad body, a module that is missing, disabled or a directory, too many users; with an app key, an otp adminapi cannot check", body = ErrorBody),
        (status = 401, description = "With an app key: an otp that is not the user's", body = ErrorBody),
        (status = 403, description = "An app key creating more than one user, or without an otp", body = ErrorBody),
    )
)]
#[tracing::instrument(skip_all, fields(requested = tracing::field::Empty, created = tracing::field::Empty))]
pub async fn create_users(
    auth: Licensed<AnyLevel>,
    body: Body<CreateRequest>,
    state: web::Data<State>,
    community: Located,
) -> AppResult<HttpResponse> {
    let Body { value: request, encrypted } = body;
    let Located(community) = community;
    let community_id = community.id.as_str();
    if matches!(auth.license.level, kit::Level::App | kit::Level::AppExt) {
        let code = request.otp.as_deref().map(str::trim).filter(|o| !o.is_empty());
        let (Some(code), [user]) = (code, request.users.as_slice()) else {
            return Err(ApiError::forbidden("an app key creates a single user, with an otp").into());
        };
        let username = user
            .get("username")
            .and_then(Value::as_str)
            .ok_or_else(|| ApiError::bad_request("users[0].username is required"))?;
        let username = users::username(username)?;
        if !otp_verdict(&state, &community, &username, code).await? {
            tracing::info!("user create refused: the otp is not the user's");
            return Err(ApiError::unauthorized("invalid otp").into());
        }
    }
    if request.users.is_empty() || request.users.len() > MAX_USERS_PER_CREATE {
        return Err(ApiError::bad_request(format!("users must hold 1 to {MAX_USERS_PER_CREATE} users")).into());
    }
    let module = local_module(&state, community_id, &request.auth_module).await?;
    let home = users::Home {
        tenant_id: &community.tenant_id,
        tenant_dns: &community.tenant_dns,
        community_id,
        module_id: &module.id,
    };
    let policy = module.password_policy()?;
    let requested = request.users.len();
    let mut errors = Vec::new();
    for (index, raw) in request.users.into_iter().enumerate() {
        let result = async {
            let new: NewUser = envelope::deser::from_value(raw).map_err(|e| DomainError::Invalid(e.to_string()))?;
            let user = users::new_user(home, &new)?;
            let hash = match new.password {
                Some(password) => {
                    policy
                        .check(&password, &user.username)
                        .map_err(|broken| DomainError::Invalid(broken.join("; ")))?;
                    Some(state.hasher.hash(password).await?)
                }
                None => None,
            };
            state.stores.users.insert(&user, hash.as_deref()).await.map_err(|e| match e {
                kit::StoreError::Conflict(_) => DomainError::Conflict("username is taken in this community".into()),
                other => other.into(),
            })
        }
        .await;
        match result {
            Ok(()) => {}
            // An outage or a saturated hasher ends the call; the users before stay created.
            Err(DomainError::Store(e)) => return Err(e.into()),
            Err(busy @ DomainError::Busy(_)) => return Err(busy.into()),
            Err(e) => errors.push(json!({"index": index, "message": e.to_string()})),
        }
    }
    let failed = errors.len();
    let span = tracing::Span::current();
    span.record("requested", requested);
    span.record("created", requested - failed);
    let reply = json!({"requested": requested, "created": requested - failed, "failed": failed, "errors": errors});
    Ok(auth.caller.reply_like(encrypted, StatusCode::OK, &reply)?)
}

/// Body of `users/fetch`.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
#[allow(non_snake_case)]
pub struct FetchRequest {
    #[serde(rename = "authModule")]
    auth_module: Option<String>,
    /// Page number from 0.
    #[serde(default)]
    pIndex: u64,
    /// Page size, default 25, at most 100.
    pSize: Option<u64>,
    /// Equality on username, uid, dguid, status, email1, phone1, firstname, lastname.
    #[schema(value_type = Option<Object>)]
    query: Option<Map<String, Value>>,
    /// The attributes to return (the identity is always returned).
    #[serde(default)]
    attributes: Vec<String>,
    #[serde(default, rename = "includeBrokerConnectionId")]
    #[schema(value_type = Vec<Object>)]
    include_broker_connection_id: Vec<Value>,
    #[serde(default, rename = "excludeBrokerConnectionId")]
    #[schema(value_type = Vec<Object>)]
    exclude_broker_connection_id: Vec<Value>,
    /// With a `query.username` that names nobody, the user whose alias it is.
    #[serde(default, rename = "checkAliases")]
    check_aliases: bool,
    /// Adds `userProperties`.
    #[serde(default, rename = "includeProperties")]
    include_properties: bool,
    /// SCEP credentials come with directories: `true` is refused for now.
    #[serde(default)]
    scep: bool,
    /// At most this many users in all.
    #[serde(rename = "maximumCount")]
    maximum_count: Option<u64>,
}

/// A user as replied, with its stored properties when asked (empty ones when it has none).
async fn user_reply(state: &State, user: &users::User, attributes: &[String], properties: bool) -> AppResult<Value> {
    let mut reply = user.to_reply(Some(attributes));
    if properties {
        reply["userProperties"] = match state.stores.user_properties.get(&user.uid).await? {
            Some(p) => p.to_user_reply(),
            None => json!({"mobiles": [], "landlines": [], "aliases": {}}),
        };
    }
    Ok(reply)
}

/// The username whose alias `name` is, in a module (`checkAliases`).
async fn aliased(state: &State, community_id: &str, module_id: &str, name: &str) -> AppResult<Option<String>> {
    Ok(state.stores.user_properties.username_by_alias(community_id, module_id, name).await?)
}

/// Fetch users.
///
/// A page (`pIndex`, `pSize` ≤ 100) of the module's users matching `query`, by username, with
/// `page.total`; `attributes` narrows what is returned of each. For an `ldap` or `ad` module,
/// the directory's users (a paged search; `dn` and `memberOf` with the mapped profile). Any
/// valid key.
#[utoipa::path(
    post,
    path = "/tenant/{tenantId}/community/{communityId}/users/fetch",
    params(("tenantId" = String, Path), ("communityId" = String, Path)),
    request_body = Sealable<FetchRequest>,
    responses(
        (status = 200, description = "`page` and `data`, sealed when the request was", body = Sealable<Object>),
        (status = 400, description = "A bad body or query (a directory searches username, email1, firstname, lastname, phone1), a module that is missing, disabled or azuread", body = ErrorBody),
        (status = 503, description = "The module's directory cannot be reached", body = ErrorBody),
    )
)]
#[tracing::instrument(skip_all)]
pub async fn fetch_users(
    auth: Licensed<AnyLevel>,
    community: Located,
    body: Body<FetchRequest>,
    state: web::Data<State>,
) -> AppResult<HttpResponse> {
    let Body { value: r, encrypted } = body;
    if r.scep {
        return Err(
            ApiError::bad_request("scep credentials are not supported yet: they come with directory modules").into()
        );
    }
    if !r.include_broker_connection_id.is_empty() || !r.exclude_broker_connection_id.is_empty() {
        return Err(ApiError::bad_request("broker connection filters come with directory modules").into());
    }
    let mut query = Query::parse(r.query.as_ref())?;
    let size = r.pSize.unwrap_or(25).clamp(1, MAX_PAGE_SIZE);
    let (users, total) = match &r.auth_module {
        None => (Vec::new(), 0),
        Some(module_id) => {
            let community_id = community.0.id.clone();
            let module = user_module(&state, &community_id, module_id).await?;
            let cap = r.maximum_count.unwrap_or(u64::MAX);
            let offset = r.pIndex.saturating_mul(size);
            let limit = size.min(cap.saturating_sub(offset));
            let mut found = if module.module_type.is_ldap() {
                users_directory::page(&state, &community.0, &module, &query, offset, limit).await?
            } else {
                state.stores.users.page(&community_id, &module.id, &query, offset, limit).await?
            };
            if found.1 == 0 && r.check_aliases && !module.module_type.is_ldap() {
                let named = query.0.iter().position(|(field, _)| *field == "username");
                if let Some(i) = named
                    && let Some(name) = aliased(&state, &community_id, &module.id, &query.0[i].1).await?
                {
                    query.0[i].1 = name.to_lowercase();
                    found = state.stores.users.page(&community_id, &module.id, &query, offset, limit).await?;
                }
            }
            let (users, total) = found;
            (users, total.min(cap))
        }
    };
    let mut data = Vec::with_capacity(users.len());
    for u in &users {
        data.push(user_reply(&state, u, &r.attributes, r.include_properties).await?);
    }
    let reply = json!({"page": {"index": r.pIndex, "total": total, "size": size}, "data": data});
    Ok(auth.caller.reply_like(encrypted, StatusCode::OK, &reply)?)
}

/// Body of `users/count`.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub struct CountRequest {
    auth_module: String,
    #[schema(value_type = Option<Object>)]
    query: Option<Map<String, Value>>,
}

/// Count users.
///
/// How many of the module's users match `query`: `{"id": <module>, "type": <module type>, "count"}`
/// (for a directory module, counted with a paged search of the directory). Any valid key.
#[utoipa::path(
    post,
    path = "/tenant/{tenantId}/community/{communityId}/users/count",
    params(("tenantId" = String, Path), ("communityId" = String, Path)),
    request_body = Sealable<CountRequest>,
    responses(
        (status = 200, description = "The count, sealed when the request was", body = Sealable<Object>),
        (status = 400, description = "A bad body or query (a directory searches username, email1, firstname, lastname, phone1), a module that is missing, disabled or azuread", body = ErrorBody),
        (status = 503, description = "The module's directory cannot be reached", body = ErrorBody),
    )
)]
#[tracing::instrument(skip_all)]
pub async fn count_users(
    auth: Licensed<AnyLevel>,
    community: Located,
    body: Body<CountRequest>,
    state: web::Data<State>,
) -> AppResult<HttpResponse> {
    let Body { value: r, encrypted } = body;
    let query = Query::parse(r.query.as_ref())?;
    let community_id = community.0.id.clone();
    let module = user_module(&state, &community_id, &r.auth_module).await?;
    let count = if module.module_type.is_ldap() {
        users_directory::count(&state, &module, &query).await?
    } else {
        state.stores.users.count(&community_id, &module.id, &query).await?
    };
    let reply = json!({"id": module.id, "type": module.module_type.name(), "count": count});
    Ok(auth.caller.reply_like(encrypted, StatusCode::OK, &reply)?)
}

/// Body of `user/fetch_single_user_by_username`.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct SingleRequest {
    #[serde(rename = "authModule")]
    auth_module: Option<String>,
    username: String,
    #[serde(default)]
    attributes: Vec<String>,
    #[serde(default, rename = "checkAliases")]
    check_aliases: bool,
    #[serde(default)]
    do_transformation: bool,
    #[serde(default)]
    check_locks: bool,
    #[serde(default)]
    load_props: bool,
    #[serde(default, rename = "includeProperties")]
    include_properties: bool,
}

/// Fetch a single user by username.
///
/// The user of the module with that username (any case), as `{"data": user}`; with
/// `checkAliases`, else the user whose alias it is; 404 when there is none. `includeProperties`
/// adds the user's `userProperties`. For an `ldap` or `ad` module, the directory's user (aliases
/// are not looked up there). Any valid key.
#[utoipa::path(
    post,
    path = "/tenant/{tenantId}/community/{communityId}/user/fetch_single_user_by_username",
    params(("tenantId" = String, Path), ("communityId" = String, Path)),
    request_body = Sealable<SingleRequest>,
    responses(
        (status = 200, description = "`{\"data\": user}`, sealed when the request was", body = Sealable<Object>),
        (status = 404, description = "No such user", body = ErrorBody),
    )
)]
#[tracing::instrument(skip_all)]
pub async fn fetch_single_user(
    auth: Licensed<AnyLevel>,
    community: Located,
    body: Body<SingleRequest>,
    state: web::Data<State>,
) -> AppResult<HttpResponse> {
    let Body { value: r, encrypted } = body;
    let _ = (r.do_transformation, r.check_locks, r.load_props);
    let name = users::username(&r.username)?;
    let not_found = || ApiError::not_found("user not found");
    let Some(module_id) = &r.auth_module else { return Err(not_found().into()) };
    let community_id = community.0.id.clone();
    let module = user_module(&state, &community_id, module_id).await?;
    let store = &*state.stores.users;
    let mut user = if module.module_type.is_ldap() {
        users_directory::single(&state, &community.0, &module, &name).await?
    } else {
        store.by_username(&community_id, &module.id, &name).await?
    };
    if user.is_none()
        && !module.module_type.is_ldap()
        && r.check_aliases
        && let Some(owner) = aliased(&state, &community_id, &module.id, &name).await?
    {
        user = store.by_username(&community_id, &module.id, &owner).await?;
    }
    let user = user.ok_or_else(not_found)?;
    let reply = json!({ "data": user_reply(&state, &user, &r.attributes, r.include_properties).await? });
    Ok(auth.caller.reply_like(encrypted, StatusCode::OK, &reply)?)
}

/// Update user.
///
/// Only the fields given change; `roleValue`, `uid`, `username` and `password` never do (400).
/// The reply is the user's `username`, `uid`, `status` and `moduleId`, plus the `attributes`
/// asked for.
#[utoipa::path(
    patch,
    path = "/tenant/{tenantId}/community/{communityId}/user/update",
    params(("tenantId" = String, Path), ("communityId" = String, Path)),
    request_body = Sealable<Object>,
    responses(
        (status = 200, description = "The updated user, sealed when the request was", body = Sealable<Object>),
        (status = 400, description = "A field that cannot change, a bad value, a module that is missing, disabled or a directory", body = ErrorBody),
        (status = 404, description = "No such user", body = ErrorBody),
    )
)]
#[tracing::instrument(skip_all)]
pub async fn update_user(
    auth: Licensed<ServiceLevels>,
    community: Located,
    body: Body<Map<String, Value>>,
    state: web::Data<State>,
) -> AppResult<HttpResponse> {
    let Body { value: mut changes, encrypted } = body;
    let text = |v: Option<Value>, field: &str| match v {
        Some(Value::String(s)) => Ok(s),
        _ => Err(ApiError::bad_request(format!("{field} is required (a string)"))),
    };
    let module_id = text(changes.remove("authModule"), "authModule")?;
    let name = users::username(&text(changes.remove("username"), "username")?)?;
    let attributes: Vec<String> = match changes.remove("attributes") {
        None => Vec::new(),
        Some(v) => {
            envelope::deser::from_value(v).map_err(|e| ApiError::bad_request(format!("attributes: {}", e.message())))?
        }
    };
    let community_id = community.0.id.clone();
    let module = local_module(&state, &community_id, &module_id).await?;
    let store = &*state.stores.users;
    let user = store
        .by_username(&community_id, &module.id, &name)
        .await?
        .ok_or_else(|| ApiError::not_found("user not found"))?;
    let next = users::updated(&user, &changes)?;
    store.update(&next).await?;
    let mut shown = attributes;
    shown.push("status".into());
    Ok(auth.caller.reply_like(encrypted, StatusCode::OK, &next.to_reply(Some(&shown)))?)
}
