//! System users: users of type `systemuser` that belong to a tenant and to no community
//! (`communityId` any), role none. They authenticate with a username and a password alone, so a
//! username names one system user in the deployment, whatever its case. Passwords follow the
//! default policy ([`PasswordPolicy::default`]), are argon2id hashes ([`super::passwords`]) and
//! never leave the store ([`SystemUserStore`]).

use async_trait::async_trait;
use kit::{DomainError, StoreError};
use serde::Deserialize;
use serde_json::{Map, Value, json};

use super::users::{self, Profile, checked_profile};

/// The statuses a system user may have.
pub const STATUSES: [&str; 3] = ["active", "locked", "disabled"];

/// A system user as stored (the hash apart).
#[derive(Debug, Clone, PartialEq)]
pub struct SystemUser {
    pub uid: String,
    pub tenant_id: String,
    pub username: String,
    /// active, locked or disabled.
    pub status: String,
    pub disabled: bool,
    pub profile: Profile,
}

impl SystemUser {
    /// The user as the reference shows it, with only the `attributes` asked for when some are
    /// (its identity always).
    pub fn to_reply(&self, attributes: &[String]) -> Value {
        let mut reply = json!({
            "uid": self.uid,
            "tenantId": self.tenant_id,
            "communityId": "any",
            "roleValue": "none",
            "type": "systemuser",
            "username": self.username,
            "status": self.status,
            "disabled": self.disabled,
        });
        if let (Value::Object(map), Ok(Value::Object(profile))) = (&mut reply, serde_json::to_value(&self.profile)) {
            map.extend(profile);
        }
        match reply {
            Value::Object(map) if !attributes.is_empty() => {
                let keep = |k: &str| ["uid", "username", "tenantId"].contains(&k) || attributes.iter().any(|w| w == k);
                Value::Object(map.into_iter().filter(|(k, _)| keep(k)).collect())
            }
            reply => reply,
        }
    }

    /// Whether the user may authenticate.
    pub fn can_authenticate(&self) -> bool {
        self.status == "active" && !self.disabled
    }
}

/// The fields a query of `systemusers/fetch` may filter on, with equality.
pub const QUERY_FIELDS: [&str; 7] = ["username", "uid", "tenantId", "status", "email1", "firstname", "lastname"];

/// A filter of system users (the community users' kind, over [`QUERY_FIELDS`]).
pub use super::users::Query;

/// The filter of a `systemusers/fetch` request's `query`.
pub fn parse_query(query: Option<&Map<String, Value>>) -> Result<Query, DomainError> {
    Query::parse_fields(query, &QUERY_FIELDS)
}

/// Where system users are kept (`crate::store::SqlSystemUsers`).
#[async_trait]
pub trait SystemUserStore: Send + Sync {
    /// Stores a new system user with its password hash; `Conflict` when the username is taken
    /// (whatever its case).
    async fn insert(&self, user: &SystemUser, password_hash: &str) -> Result<(), StoreError>;
    /// A system user by uid.
    async fn get(&self, uid: &str) -> Result<Option<SystemUser>, StoreError>;
    /// A system user by username (any case), with its password hash.
    async fn by_username(&self, username: &str) -> Result<Option<(SystemUser, String)>, StoreError>;
    /// A page of the system users matching `query`, by username; and how many match in all.
    async fn page(&self, query: &Query, offset: u64, limit: u64) -> Result<(Vec<SystemUser>, u64), StoreError>;
    /// Replaces the tenant, status, disabled flag and profile; `NotFound` when it is gone.
    async fn update(&self, user: &SystemUser) -> Result<(), StoreError>;
    /// Replaces the password hash; `NotFound` when it is gone.
    async fn set_password_hash(&self, uid: &str, password_hash: &str) -> Result<(), StoreError>;
}

/// The body of `PUT /systemuser`.
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub struct NewSystemUser {
    #[serde(rename = "tenantId")]
    pub tenant_id: String,
    pub username: String,
    pub password: String,
    pub status: Option<String>,
    pub firstname: String,
    pub middlename: Option<String>,
    pub lastname: String,
    pub email1: String,
    pub email1_verified: bool,
    pub email2: Option<String>,
    #[serde(default)]
    pub email2_verified: bool,
    pub phone1: Option<String>,
    #[serde(default)]
    pub phone1_verified: bool,
    pub address: Option<Map<String, Value>>,
    #[serde(default)]
    pub address_verified: bool,
    pub disabled: Option<bool>,
    /// Always none, whatever is given (the reference's rule).
    #[serde(rename = "roleValue")]
    pub role_value: Option<String>,
}

impl std::fmt::Debug for NewSystemUser {
    /// Without the password.
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("NewSystemUser").finish_non_exhaustive()
    }
}

/// A status of a system user: `active` by default.
pub fn status(value: Option<&str>) -> Result<String, DomainError> {
    let value = value.map(str::trim).filter(|s| !s.is_empty()).unwrap_or("active");
    if STATUSES.contains(&value) {
        Ok(value.to_owned())
    } else {
        Err(DomainError::Invalid("status must be active, locked or disabled".into()))
    }
}

fn required(field: &str, value: &str) -> Result<(), DomainError> {
    if value.trim().is_empty() { Err(DomainError::Invalid(format!("{field} is required"))) } else { Ok(()) }
}

/// A new system user from a request, checked (the password is checked and hashed by the caller).
pub fn new_system_user(u: &NewSystemUser) -> Result<SystemUser, DomainError> {
    required("firstname", &u.firstname)?;
    required("lastname", &u.lastname)?;
    required("email1", &u.email1)?;
    let profile = Profile {
        firstname: Some(u.firstname.clone()),
        middlename: u.middlename.clone(),
        lastname: Some(u.lastname.clone()),
        email1: Some(u.email1.clone()),
        email1_verified: u.email1_verified,
        email2: u.email2.clone(),
        email2_verified: u.email2_verified,
        phone1: u.phone1.clone(),
        phone1_verified: u.phone1_verified,
        address: u.address.clone(),
        address_verified: u.address_verified,
        idp_id: None,
        dn: None,
        member_of: None,
    };
    Ok(SystemUser {
        uid: uuid::Uuid::new_v4().to_string(),
        tenant_id: kit::ids::object_id("tenantId", &u.tenant_id)?,
        username: users::username(&u.username)?,
        status: status(u.status.as_deref())?,
        disabled: u.disabled.unwrap_or(false),
        profile: checked_profile(profile)?,
    })
}

/// The fields of `PATCH /systemuser/{uid}` that can never change.
pub const IMMUTABLE: [&str; 4] = ["roleValue", "uid", "username", "password"];

fn must(field: &str, what: &str) -> DomainError {
    DomainError::Invalid(format!("{field} must be {what}"))
}

/// `user` with the provided fields of `changes`; fields not given stay.
pub fn updated(user: &SystemUser, changes: &Map<String, Value>) -> Result<SystemUser, DomainError> {
    let mut next = user.clone();
    let mut profile =
        serde_json::to_value(&user.profile).map_err(|e| DomainError::Store(StoreError::Corrupt(e.to_string())))?;
    for (k, v) in changes {
        match k.as_str() {
            "tenantId" => {
                next.tenant_id =
                    kit::ids::object_id("tenantId", v.as_str().ok_or_else(|| must("tenantId", "a string"))?)?;
            }
            "status" => next.status = status(Some(v.as_str().ok_or_else(|| must("status", "a string"))?))?,
            "disabled" => next.disabled = v.as_bool().ok_or_else(|| must("disabled", "true or false"))?,
            // A system user stays one: only system users are updated here.
            "type" if v.as_str() == Some("systemuser") => {}
            "type" => return Err(must("type", "systemuser: a system user stays a system user")),
            "firstname" | "lastname" | "email1" => {
                let text = v.as_str().ok_or_else(|| must(k, "a string"))?;
                required(k, text)?;
                profile[k.as_str()] = v.clone();
            }
            other if users::set_profile_field(&mut profile, other, v)? => {}
            other if IMMUTABLE.contains(&other) => {
                return Err(DomainError::Invalid(format!("{other} cannot be updated")));
            }
            _ => {
                return Err(DomainError::Invalid(
                    "unknown field; the fields that can be updated are tenantId, type, status, disabled, firstname, \
                     middlename, lastname, email1, email1_verified, email2, email2_verified, phone1, phone1_verified, \
                     address, address_verified"
                        .into(),
                ));
            }
        }
    }
    let profile: Profile = serde_json::from_value(profile)
        .map_err(|_| DomainError::Invalid("the profile fields have the wrong types".into()))?;
    next.profile = checked_profile(profile)?;
    Ok(next)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn request(extra: Value) -> NewSystemUser {
        let mut base = json!({"tenantId": "5f3d8d0cd866fa61019cf967", "username": "Ops", "password": "pw-never-shown",
                              "firstname": "O", "lastname": "P", "email1": "ops@acme.example", "email1_verified": true});
        if let (Value::Object(b), Value::Object(e)) = (&mut base, extra) {
            b.extend(e);
        }
        serde_json::from_value(base).unwrap()
    }

    #[test]
    fn a_system_user_is_checked_and_shown_without_its_password() {
        let u = new_system_user(&request(json!({"roleValue": "admin"}))).unwrap();
        let reply = u.to_reply(&[]);
        assert_eq!(
            (reply["type"].as_str(), reply["roleValue"].as_str(), reply["communityId"].as_str()),
            (Some("systemuser"), Some("none"), Some("any"))
        );
        assert!(!reply.to_string().contains("pw-never-shown"));
        assert!(!format!("{:?}", request(json!({}))).contains("pw-never-shown"));
        assert!(new_system_user(&request(json!({"status": "asleep"}))).is_err());
        assert!(new_system_user(&request(json!({"tenantId": "123"}))).is_err());
        assert!(new_system_user(&request(json!({"email1": "nope"}))).is_err());
        assert!(new_system_user(&request(json!({"firstname": " "}))).is_err());
    }

    #[test]
    fn an_update_changes_only_what_is_given_and_never_the_identity() {
        let u = new_system_user(&request(json!({}))).unwrap();
        let next = updated(&u, json!({"lastname": "Q", "status": "locked"}).as_object().unwrap()).unwrap();
        assert_eq!((next.profile.lastname.as_deref(), next.status.as_str()), (Some("Q"), "locked"));
        assert_eq!(next.profile.firstname.as_deref(), Some("O"));
        for field in IMMUTABLE {
            let e = updated(&u, json!({ field: "x" }).as_object().unwrap()).unwrap_err();
            assert!(e.to_string().contains("cannot be updated"), "{field}: {e}");
        }
        assert!(updated(&u, json!({"type": "basic"}).as_object().unwrap()).is_err());
        assert!(updated(&u, json!({"status": "asleep"}).as_object().unwrap()).is_err());
        assert!(updated(&u, json!({"email1": ""}).as_object().unwrap()).is_err());
    }
}
