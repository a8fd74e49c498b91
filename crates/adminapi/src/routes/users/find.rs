//! `POST /users/find`: the login page's first step, before anyone has signed in (the caller's
//! signed headers only). Finds the users of the community's login module by `username` (or one
//! of their aliases, with `checkAliases`) or by `email`, through users-mgmt's `users/fetch`, and
//! answers each with masked contact details ([`crate::domain::contact`]) and a sealed
//! `user_token` ([`crate::domain::user_token`]) for the next steps. Nobody found: an empty list.

use actix_web::http::StatusCode;
use actix_web::{HttpResponse, web};
use envelope::{ApiError, Body, Caller};
use kit::app::Platform;
use kit::directory::{CommunityRef, Named, locate};
use kit::openapi::{ErrorBody, Sealable};
use kit::{AppResult, Endpoint, endpoint};
use reqwest::Method;
use serde::Deserialize;
use serde_json::{Map, Value, json};
use utoipa::ToSchema;

use crate::State;
use crate::domain::contact::{hash, mask_email, mask_name, mask_phone};
use crate::domain::user_token::{self, UserRef};
use crate::users_mgmt::UsersMgmt;

/// The endpoints of this module.
pub fn endpoints() -> Vec<Endpoint> {
    vec![endpoint!(find_users)]
}

/// The most users one search answers.
const MAX_FOUND: u64 = 10;
/// The longest `username` or `email`.
const MAX_LEN: usize = 256;

/// Body of `POST /users/find`.
#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
#[allow(non_snake_case)]
pub struct FindUsersRequest {
    tenantId: String,
    communityId: String,
    /// The user's email (`email1`).
    email: Option<String>,
    /// The username, or with `checkAliases` one of the user's aliases.
    username: Option<String>,
    #[serde(default)]
    checkAliases: bool,
    /// No external source (directory) is reached yet: it changes nothing.
    #[serde(default)]
    fetchFromExternalSources: bool,
}

impl std::fmt::Debug for FindUsersRequest {
    /// Without what is searched.
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("FindUsersRequest").field("communityId", &self.communityId).finish_non_exhaustive()
    }
}

/// What is searched.
enum Search {
    Username(String),
    Email(String),
}

fn search(r: &FindUsersRequest) -> Result<Search, ApiError> {
    let given = |v: &Option<String>| v.as_deref().map(str::trim).filter(|s| !s.is_empty()).map(str::to_owned);
    let search = match (given(&r.username), given(&r.email)) {
        (Some(_), Some(_)) => return Err(ApiError::bad_request("give username or email, not both")),
        (None, None) => return Err(ApiError::bad_request("username or email is required")),
        (Some(name), None) => Search::Username(name),
        (None, Some(email)) if email.contains('@') => Search::Email(email),
        (None, Some(_)) => return Err(ApiError::bad_request("email must be an email address")),
    };
    let (Search::Username(text) | Search::Email(text)) = &search;
    if text.chars().count() > MAX_LEN {
        return Err(ApiError::bad_request(format!("username and email must be at most {MAX_LEN} characters")));
    }
    Ok(search)
}

/// One user found, as the spec shows it.
fn entry(state: &State, community: &CommunityRef, module: &str, searched: &Search, user: &Value) -> AppResult<Value> {
    let text = |field: &str| user[field].as_str().map(str::trim).filter(|s| !s.is_empty());
    let (Some(uid), Some(username)) = (text("uid"), text("username")) else {
        tracing::error!("users-mgmt answered a user without uid or username");
        return Err(ApiError::internal().into());
    };
    let mut out = Map::new();
    let alias = match searched {
        Search::Username(name) if !name.eq_ignore_ascii_case(username) => Some(name.clone()),
        _ => None,
    };
    // The caller typed the username: it may see it; found by email or alias, it is masked.
    let shown = match searched {
        Search::Username(_) if alias.is_none() => username.to_owned(),
        _ => mask_name(username),
    };
    out.insert("username".into(), json!(shown));
    out.insert("usernameHash".into(), json!(hash(&state.sealer, &community.id, "username", username)));
    for (field, name) in [("email1", "email1"), ("email2", "email2"), ("phone1", "phone")] {
        if let Some(value) = text(field) {
            let masked = if field == "phone1" { mask_phone(value) } else { mask_email(value) };
            out.insert(name.into(), json!(masked));
            out.insert(format!("{name}Hash"), json!(hash(&state.sealer, &community.id, name, value)));
        }
    }
    if let Some(alias) = alias {
        out.insert("aliasUsed".into(), json!(alias));
    }
    let user = UserRef {
        tenant_id: community.tenant_id.clone(),
        community_id: community.id.clone(),
        module_id: module.to_owned(),
        uid: uid.to_owned(),
        username: username.to_owned(),
    };
    let token = user_token::issue(&state.sealer, &user, state.clock.epoch_secs())?;
    out.insert("user_token".into(), json!(token));
    Ok(Value::Object(out))
}

/// Find User.
///
/// The users of the community's login module whose `username` is the one given (any case; with
/// `checkAliases`, else the user whose alias it is) or whose `email` is (one of the two, not
/// both): at most 10, each with its `username` (masked unless it is the name given),
/// `usernameHash`, masked `email1`, `email2` and `phone` with their hashes (keyed: comparable,
/// not reversible), `aliasUsed` when an alias matched, and `user_token`, sealed by adminapi,
/// naming the user for 5 minutes (`PUT /generate/otp`, `POST /authenticate`). Nobody found: an
/// empty `users`. `fetchFromExternalSources` changes nothing yet (no directory is reached). No
/// license, no login: the caller's signed headers only.
#[utoipa::path(
    post,
    path = "/users/find",
    request_body = Sealable<FindUsersRequest>,
    responses(
        (status = 200, description = "`users`, sealed when the request was", body = Sealable<Object>),
        (status = 400, description = "A bad body, neither or both of username and email", body = ErrorBody),
        (status = 401, description = "Bad authentication headers", body = ErrorBody),
        (status = 404, description = "No such tenant and community", body = ErrorBody),
        (status = 503, description = "users-mgmt is unavailable", body = ErrorBody),
    )
)]
#[tracing::instrument(skip_all)]
pub async fn find_users(
    caller: Caller,
    body: Body<FindUsersRequest>,
    state: web::Data<State>,
    platform: web::Data<Platform>,
) -> AppResult<HttpResponse> {
    let Body { value: r, encrypted } = body;
    let _ = r.fetchFromExternalSources;
    let searched = search(&r)?;
    let named = Named { community_id: &r.communityId, tenant_id: Some(&r.tenantId), community_name: None };
    let community = locate(&**platform.directory, named).await?;
    let mut users = Vec::new();
    if let Some(module) = state.users_mgmt.login_module(&community).await? {
        let query = match &searched {
            Search::Username(name) => json!({"username": name.to_lowercase()}),
            Search::Email(email) => json!({"email1": email}),
        };
        let aliases = r.checkAliases && matches!(searched, Search::Username(_));
        let body = json!({"authModule": module, "query": query, "checkAliases": aliases, "pSize": MAX_FOUND});
        let path = UsersMgmt::community_path(&community, "/users/fetch");
        let found = state.users_mgmt.call(Method::POST, &path, &body).await?;
        for user in found["data"].as_array().into_iter().flatten() {
            users.push(entry(&state, &community, &module, &searched, user)?);
        }
    }
    tracing::info!(found = users.len(), "users found");
    Ok(caller.reply_like(encrypted, StatusCode::OK, &json!({ "users": users }))?)
}
