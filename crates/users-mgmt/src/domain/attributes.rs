//! Custom user attributes: for an auth module of a community, a platform name (`first_name`)
//! mapped to an attribute of the module's data source (`firstname`), validated on write, unique
//! by name per module whatever the case, and their store ([`AttributeStore`]).

use async_trait::async_trait;
use kit::{DomainError, StoreError};
use serde::Deserialize;
use serde_json::{Value, json};

/// The most attributes one bulk call takes.
pub const MAX_PER_CALL: usize = 100;

/// The attributes of a `db` module's users: what `directoryattributes` lists for a db module.
pub const DB_ATTRIBUTES: [&str; 19] = [
    "uid",
    "tenantId",
    "communityId",
    "username",
    "type",
    "roleValue",
    "status",
    "firstname",
    "middlename",
    "lastname",
    "email1",
    "email1_verified",
    "email2",
    "email2_verified",
    "phone1",
    "phone1_verified",
    "address",
    "address_verified",
    "disabled",
];

/// A user attribute as stored.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Attribute {
    pub id: String,
    pub tenant_id: String,
    pub community_id: String,
    pub module_id: String,
    pub name: String,
    pub attribute: String,
}

impl Attribute {
    /// The attribute as the reference shows it.
    pub fn to_reply(&self) -> Value {
        json!({"_id": self.id, "name": self.name, "attribute": self.attribute, "moduleId": self.module_id})
    }
}

/// Where attributes are kept (`crate::store::SqlAttributes`).
#[async_trait]
pub trait AttributeStore: Send + Sync {
    /// Stores a new attribute; `Conflict` when its module has one of that name (any case).
    async fn insert(&self, attribute: &Attribute) -> Result<(), StoreError>;
    /// An attribute of a community.
    async fn get(&self, community_id: &str, id: &str) -> Result<Option<Attribute>, StoreError>;
    /// The attributes of a community's module, by name.
    async fn list(&self, community_id: &str, module_id: &str) -> Result<Vec<Attribute>, StoreError>;
    /// Replaces the name and attribute; `NotFound` when it is gone, `Conflict` when the name is taken.
    async fn update(&self, attribute: &Attribute) -> Result<(), StoreError>;
    /// Deletes an attribute of a community; `NotFound` when there is none.
    async fn delete(&self, community_id: &str, id: &str) -> Result<(), StoreError>;
}

/// One attribute of `PUT …/attributes`.
#[derive(Debug, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct NewAttribute {
    /// The platform name: a letter, then letters, digits, `_`, `-` or `.`; at most 64.
    pub name: String,
    /// The attribute in the data source: at most 128 characters, no spaces.
    pub attribute: String,
}

/// The changes of `PATCH …/attribute/{attributeId}` (and, with `id`, of the bulk update).
#[derive(Debug, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct AttributePatch {
    /// Only in the bulk update: the attribute to change.
    #[serde(default)]
    pub id: Option<String>,
    pub name: Option<String>,
    pub attribute: Option<String>,
}

/// A checked attribute name.
pub fn name(text: &str) -> Result<String, DomainError> {
    let name = text.trim();
    let ok = (1..=64).contains(&name.len())
        && name.starts_with(|c: char| c.is_ascii_alphabetic())
        && name.bytes().all(|b| b.is_ascii_alphanumeric() || matches!(b, b'_' | b'-' | b'.'));
    if ok {
        Ok(name.to_owned())
    } else {
        Err(DomainError::Invalid(
            "name must be 1 to 64 letters, digits, '_', '-' or '.', starting with a letter".into(),
        ))
    }
}

/// A checked data-source attribute.
pub fn source_attribute(text: &str) -> Result<String, DomainError> {
    let attribute = text.trim();
    let ok = (1..=128).contains(&attribute.chars().count())
        && !attribute.chars().any(|c| c.is_whitespace() || c.is_control());
    if ok {
        Ok(attribute.to_owned())
    } else {
        Err(DomainError::Invalid("attribute must be 1 to 128 characters without spaces".into()))
    }
}

/// A new attribute of a module, checked.
pub fn new_attribute(
    tenant_id: &str,
    community_id: &str,
    module_id: &str,
    a: &NewAttribute,
) -> Result<Attribute, DomainError> {
    Ok(Attribute {
        id: kit::ids::new_object_id(),
        tenant_id: tenant_id.to_owned(),
        community_id: community_id.to_owned(),
        module_id: module_id.to_owned(),
        name: name(&a.name)?,
        attribute: source_attribute(&a.attribute)?,
    })
}

/// `a` with the given changes; at least one of `name` and `attribute`.
pub fn patched(a: &Attribute, p: &AttributePatch) -> Result<Attribute, DomainError> {
    if p.name.is_none() && p.attribute.is_none() {
        return Err(DomainError::Invalid("give name or attribute to change".into()));
    }
    let mut next = a.clone();
    if let Some(n) = &p.name {
        next.name = name(n)?;
    }
    if let Some(s) = &p.attribute {
        next.attribute = source_attribute(s)?;
    }
    Ok(next)
}

/// The attribute `id` of a community; 404 when there is none (or the id is malformed).
pub async fn find(store: &dyn AttributeStore, community_id: &str, id: &str) -> Result<Attribute, DomainError> {
    let not_found = || DomainError::NotFound("user attribute not found".into());
    if !kit::ids::is_object_id(id.trim()) {
        return Err(not_found());
    }
    store.get(community_id, &id.trim().to_ascii_lowercase()).await?.ok_or_else(not_found)
}

/// What a store conflict on an attribute means to the caller.
pub fn name_taken(e: StoreError) -> DomainError {
    match e {
        StoreError::Conflict(_) => {
            DomainError::Conflict("the auth module already has an attribute of this name".into())
        }
        other => other.into(),
    }
}

/// The code of an error in a per-attribute result (`errors[].code`).
pub fn code(e: &DomainError) -> u16 {
    match e {
        DomainError::Invalid(_) => 400,
        DomainError::NotFound(_) => 404,
        DomainError::Conflict(_) => 409,
        DomainError::Forbidden(_) => 403,
        DomainError::Busy(_) => 503,
        DomainError::Store(_) => 500,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_and_attributes_are_checked() {
        for good in ["first_name", "a", "dept.code", "x-1"] {
            assert!(name(good).is_ok(), "{good}");
        }
        for bad in ["", " ", "1st", "_x", "first name", "nom\u{e9}", &"x".repeat(65)] {
            assert!(name(bad).is_err(), "{bad}");
        }
        assert!(source_attribute("userPrincipalName").is_ok());
        assert!(source_attribute("two words").is_err() && source_attribute("").is_err());
        let a =
            new_attribute("t", "c", "m", &NewAttribute { name: "first_name".into(), attribute: "firstname".into() })
                .unwrap();
        let none = AttributePatch { id: None, name: None, attribute: None };
        assert!(patched(&a, &none).is_err());
        let p = AttributePatch { id: None, name: None, attribute: Some("givenName".into()) };
        let next = patched(&a, &p).unwrap();
        assert_eq!((next.name.as_str(), next.attribute.as_str()), ("first_name", "givenName"));
    }
}
