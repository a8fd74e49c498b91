//! A community's auth scheme: the auth modules its login offers by default, in order, set by its
//! administrators and read by the login pages (`POST /community_auth_info/fetch`).

use async_trait::async_trait;
use kit::StoreError;
use serde::Serialize;

use super::DomainError;

/// The most modules a scheme lists.
pub const MAX_MODULES: usize = 20;

/// A community's auth scheme.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct AuthScheme {
    pub community_id: String,
    pub tenant_id: String,
    /// Module ids, in the order the login offers them.
    pub default_modules: Vec<String>,
    pub updated_by: String,
    /// Epoch seconds.
    pub updated_at: i64,
}

/// Where schemes are kept (`crate::store::SqlAuthSchemes`).
#[async_trait]
pub trait AuthSchemeStore: Send + Sync {
    /// The community's scheme, if one was set.
    async fn get(&self, community_id: &str) -> Result<Option<AuthScheme>, StoreError>;
    /// Sets the community's scheme.
    async fn put(&self, scheme: &AuthScheme) -> Result<(), StoreError>;
}

/// The module ids of a scheme: 1 to [`MAX_MODULES`] ObjectIds, lowercased, without repeats, each
/// one of `existing` (the community's modules).
pub fn default_modules(given: &[String], existing: &[String]) -> Result<Vec<String>, DomainError> {
    if given.is_empty() || given.len() > MAX_MODULES {
        return Err(DomainError::Invalid(format!("modules must hold 1 to {MAX_MODULES} auth module ids")));
    }
    let mut out: Vec<String> = Vec::with_capacity(given.len());
    for (i, id) in given.iter().enumerate() {
        let id = super::ids::object_id(&format!("modules[{i}]"), id)?;
        if !existing.contains(&id) {
            return Err(DomainError::NotFound(format!("modules[{i}] is not an auth module of the community")));
        }
        if out.contains(&id) {
            return Err(DomainError::Invalid(format!("modules[{i}] is listed twice")));
        }
        out.push(id);
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn modules_must_be_the_communitys_once_each() {
        let existing = vec!["5f3d8d0cd866fa61019cf001".to_owned(), "5f3d8d0cd866fa61019cf002".to_owned()];
        let ok = default_modules(&["5F3D8D0CD866FA61019CF002".into(), existing[0].clone()], &existing).unwrap();
        assert_eq!(ok, vec![existing[1].clone(), existing[0].clone()]);
        assert!(matches!(default_modules(&[], &existing), Err(DomainError::Invalid(_))));
        assert!(matches!(default_modules(&["nope".into()], &existing), Err(DomainError::Invalid(_))));
        assert!(matches!(
            default_modules(&["5f3d8d0cd866fa61019cf003".into()], &existing),
            Err(DomainError::NotFound(_))
        ));
        let twice = [existing[0].clone(), existing[0].clone()];
        assert!(matches!(default_modules(&twice, &existing), Err(DomainError::Invalid(_))));
    }
}
