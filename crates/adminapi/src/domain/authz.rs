//! Who has which role: assignments of a built-in role ([`super::roles`]) to a user of a
//! community. A user has at most one; a user without one has the default role (`user`).

use async_trait::async_trait;
use kit::StoreError;

use super::DomainError;
use super::roles;

/// A role given to a user.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Assignment {
    pub id: String,
    pub tenant_id: String,
    pub community_id: String,
    pub uid: String,
    pub role: String,
    pub created_by: String,
    pub created_at: i64,
}

/// Where assignments are kept (`crate::store::SqlAuthz`).
#[async_trait]
pub trait AuthzStore: Send + Sync {
    /// Gives `a.role` to the user, replacing the role it had in the community.
    async fn assign(&self, a: &Assignment) -> Result<(), StoreError>;
    /// The user's assignment in the community.
    async fn assignment(&self, community_id: &str, uid: &str) -> Result<Option<Assignment>, StoreError>;
    /// Every assignment in the community, oldest first.
    async fn list(&self, community_id: &str) -> Result<Vec<Assignment>, StoreError>;
}

/// The role name of a user in a community.
pub async fn role_of(store: &dyn AuthzStore, community_id: &str, uid: &str) -> Result<String, DomainError> {
    Ok(store.assignment(community_id, uid).await?.map_or_else(|| roles::DEFAULT_ROLE.to_owned(), |a| a.role))
}

/// Gives the built-in role `role` to the user `uid` of the community, by `created_by`.
pub async fn assign(
    store: &dyn AuthzStore,
    tenant_id: &str,
    community_id: &str,
    uid: &str,
    role: &str,
    created_by: &str,
) -> Result<Assignment, DomainError> {
    let role = roles::find(role).ok_or_else(|| {
        let names: Vec<&str> = roles::ROLES.iter().map(|r| r.name).collect();
        DomainError::Invalid(format!("role must be one of {}", names.join(", ")))
    })?;
    if uid.trim().is_empty() {
        return Err(DomainError::Invalid("uid is required".into()));
    }
    let a = Assignment {
        id: super::ids::new_object_id(),
        tenant_id: tenant_id.to_owned(),
        community_id: community_id.to_owned(),
        uid: uid.trim().to_owned(),
        role: role.name.to_owned(),
        created_by: created_by.to_owned(),
        created_at: envelope::wire::now_epoch(),
    };
    store.assign(&a).await?;
    Ok(a)
}
