//! The directory side of the User Management reads (`users/fetch`, `users/count`,
//! `user/fetch_single_user_by_username`) for `ldap` and `ad` modules: the users are the
//! directory's, found with paged searches; each one shown gets its local record (its `uid`),
//! made on first sight and kept up to date with the directory's attributes.

use kit::AppResult;
use kit::directory::CommunityRef;

use crate::State;
use crate::domain::directory::people;
use crate::domain::modules::Module;
use crate::domain::users::{Query, User};
use crate::routes::authenticate::home;

/// A page (`offset`, at most `limit`) of the directory users matching `query`, and how many
/// match in all.
pub(crate) async fn page(
    state: &State,
    community: &CommunityRef,
    module: &Module,
    query: &Query,
    offset: u64,
    limit: u64,
) -> AppResult<(Vec<User>, u64)> {
    let (found, total) = state.directory().page(module, query, offset, limit).await?;
    let mut out = Vec::with_capacity(found.len());
    for person in found.iter().filter(|p| !p.username.is_empty()) {
        out.push(people::record(&*state.stores.users, home(community, module), person).await?);
    }
    Ok((out, total))
}

/// How many directory users match `query`.
pub(crate) async fn count(state: &State, module: &Module, query: &Query) -> AppResult<u64> {
    Ok(state.directory().page(module, query, 0, 0).await?.1)
}

/// The directory user named `name`, if the directory knows them.
pub(crate) async fn single(
    state: &State,
    community: &CommunityRef,
    module: &Module,
    name: &str,
) -> AppResult<Option<User>> {
    match state.directory().find(module, name).await? {
        None => Ok(None),
        Some(person) => Ok(Some(people::record(&*state.stores.users, home(community, module), &person).await?)),
    }
}
