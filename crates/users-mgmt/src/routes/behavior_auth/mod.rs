//! The catalog group Behavior Auth: a random phrase to type, the registration of its typing
//! patterns, their validation (a factor that gives a proof of authentication with the method
//! `behavior_auth`) and the deregistration, over [`crate::domain::behavior`].
//!
//! Keys: the phrase fetch takes system and infra keys as they are, service, app and app_ext keys
//! with a `jwt` (a proof of authentication issued by this service); register and deregister
//! take system and service keys as they are, service_ext, app and app_ext keys with the `jwt` of
//! the very user; validate takes any key. Patterns, phrases and tokens are never logged.

pub mod enroll;
pub mod validate;

use envelope::ApiError;
use kit::app::Platform;
use kit::directory::CommunityRef;
use kit::{AppResult, Endpoint, Level, License, endpoint};

use crate::State;
use crate::domain::proof::{self, Claims};
use crate::domain::users::{self, User};
use crate::routes::authenticate::local_module;

/// The endpoints of the group.
pub fn endpoints() -> Vec<Endpoint> {
    vec![
        endpoint!(enroll::fetch_random_phrase),
        endpoint!(enroll::register_behavior),
        endpoint!(validate::validate_behavior),
        endpoint!(validate::deregister_behavior),
    ]
}

/// The user a request names: its module enabled and local (400 otherwise), the user existing
/// (404 otherwise).
async fn named_user(state: &State, community: &CommunityRef, module_id: &str, username: &str) -> AppResult<User> {
    let module = local_module(state, &community.id, module_id).await?;
    let name = users::username(username)?;
    Ok(state
        .stores
        .users
        .by_username(&community.id, &module.id, &name)
        .await?
        .ok_or_else(|| ApiError::not_found("user not found"))?)
}

/// The claims of `jwt`, a live proof of authentication issued by this service for a user of
/// `community` (401 otherwise).
fn proof_of(platform: &Platform, community: &CommunityRef, jwt: &str) -> AppResult<Claims> {
    let claims = proof::verify(platform.keys.public(), jwt, None, envelope::wire::now_epoch())
        .map_err(|e| ApiError::unauthorized(format!("jwt: {e}")))?;
    if claims.community != community.id {
        return Err(ApiError::unauthorized("jwt: the token is for another community").into());
    }
    Ok(claims)
}

/// The keys that act for a user only with that user's `jwt`: service_ext, app and app_ext.
fn acts_with_jwt(license: &License) -> bool {
    matches!(license.level, Level::ServiceExt | Level::App | Level::AppExt)
}

/// Checks the `jwt` of a request about `user`: required when `required`, and when given a live
/// proof of authentication of that very user (401 otherwise).
fn check_user_jwt(
    platform: &Platform,
    community: &CommunityRef,
    user: &User,
    jwt: Option<&str>,
    required: bool,
) -> AppResult<()> {
    match jwt.map(str::trim).filter(|j| !j.is_empty()) {
        None if required => Err(ApiError::unauthorized("jwt is required for this key").into()),
        None => Ok(()),
        Some(jwt) => {
            if proof_of(platform, community, jwt)?.sub != user.uid {
                return Err(ApiError::unauthorized("jwt: the token is for another user").into());
            }
            Ok(())
        }
    }
}
