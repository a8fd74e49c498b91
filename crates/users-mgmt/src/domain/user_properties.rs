//! User properties: a user's mobiles, landlines and up to eight aliases (`alias1` … `alias8`),
//! validated on write and kept per user ([`UserPropertiesStore`]). An alias names one user of
//! its module whatever its case, so a user can be found by alias (`checkAliases`).

use async_trait::async_trait;
use kit::{DomainError, StoreError};
use serde::Deserialize;
use serde_json::{Map, Value, json};

use super::users::{self, User};

/// The most mobiles, and the most landlines, a user has.
pub const MAX_NUMBERS: usize = 10;
/// The alias keys.
pub const ALIAS_KEYS: [&str; 8] = ["alias1", "alias2", "alias3", "alias4", "alias5", "alias6", "alias7", "alias8"];

/// The properties of a user as stored.
#[derive(Debug, Clone, PartialEq)]
pub struct UserProperties {
    pub id: String,
    pub uid: String,
    pub tenant_id: String,
    pub community_id: String,
    pub module_id: String,
    pub username: String,
    pub mobiles: Vec<String>,
    pub landlines: Vec<String>,
    /// Every alias key, with its alias or null.
    pub aliases: Map<String, Value>,
}

impl UserProperties {
    /// No properties yet for `user`.
    pub fn empty(user: &User) -> Self {
        Self {
            id: kit::ids::new_object_id(),
            uid: user.uid.clone(),
            tenant_id: user.tenant_id.clone(),
            community_id: user.community_id.clone(),
            module_id: user.module_id.clone(),
            username: user.username.clone(),
            mobiles: Vec::new(),
            landlines: Vec::new(),
            aliases: ALIAS_KEYS.iter().map(|k| ((*k).to_owned(), Value::Null)).collect(),
        }
    }

    /// The aliases that are set.
    pub fn alias_values(&self) -> Vec<String> {
        self.aliases.values().filter_map(Value::as_str).map(str::to_owned).collect()
    }

    /// The `userProperties` of a user reply.
    pub fn to_user_reply(&self) -> Value {
        json!({"mobiles": self.mobiles, "landlines": self.landlines, "aliases": self.aliases})
    }

    /// The reply of `user_properties/update`.
    pub fn to_reply(&self) -> Value {
        json!({
            "_id": self.id,
            "tenantId": self.tenant_id,
            "communityId": self.community_id,
            "user": {"uid": self.uid, "username": self.username, "authModuleId": self.module_id},
            "mobiles": self.mobiles,
            "landlines": self.landlines,
            "aliases": self.aliases,
        })
    }
}

/// Where user properties are kept (`crate::store::SqlUserProperties`).
#[async_trait]
pub trait UserPropertiesStore: Send + Sync {
    /// The properties of a user, if any were stored.
    async fn get(&self, uid: &str) -> Result<Option<UserProperties>, StoreError>;
    /// Stores the properties of a user (replacing its previous ones) and its aliases, at once;
    /// `Conflict` when another user of the module has one of the aliases.
    async fn put(&self, properties: &UserProperties) -> Result<(), StoreError>;
    /// The username of the user of a community's module that has `alias` (any case).
    async fn username_by_alias(
        &self,
        community_id: &str,
        module_id: &str,
        alias: &str,
    ) -> Result<Option<String>, StoreError>;
}

/// Which user (`user` of the body of `user_properties/update`).
#[derive(Debug, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub struct UserRef {
    pub username: String,
    /// When given, the uid of the user of `username`.
    #[serde(default)]
    pub uid: Option<String>,
    pub auth_module_id: String,
}

/// The body of `user_properties/update`: the properties given replace the stored ones; an alias
/// key given null clears it, keys not given stay.
#[derive(Debug, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct PropertiesUpdate {
    pub user: UserRef,
    /// Phone numbers, digits only.
    pub mobiles: Option<Vec<String>>,
    /// Phone numbers, digits only.
    pub landlines: Option<Vec<String>>,
    /// `alias1` … `alias8`: an alias (as a username: no spaces, at most 128 characters) or null.
    #[schema(value_type = Option<Object>)]
    pub aliases: Option<Map<String, Value>>,
}

fn numbers(field: &str, list: &[String]) -> Result<Vec<String>, DomainError> {
    if list.len() > MAX_NUMBERS {
        return Err(DomainError::Invalid(format!("{field} holds at most {MAX_NUMBERS} numbers")));
    }
    list.iter().enumerate().map(|(i, n)| users::phone(&format!("{field}[{i}]"), n)).collect()
}

/// `current` with the update's properties.
pub fn updated(current: &UserProperties, u: &PropertiesUpdate) -> Result<UserProperties, DomainError> {
    let mut next = current.clone();
    if let Some(m) = &u.mobiles {
        next.mobiles = numbers("mobiles", m)?;
    }
    if let Some(l) = &u.landlines {
        next.landlines = numbers("landlines", l)?;
    }
    for (k, v) in u.aliases.iter().flatten() {
        if !ALIAS_KEYS.contains(&k.as_str()) {
            return Err(DomainError::Invalid("aliases may hold alias1 to alias8 only".into()));
        }
        let value = match v {
            Value::Null => Value::Null,
            Value::String(s) if s.trim().is_empty() => Value::Null,
            Value::String(s) => Value::String(users::username(s).map_err(|_| {
                DomainError::Invalid(format!("aliases.{k} must be 1 to 128 characters without spaces"))
            })?),
            _ => return Err(DomainError::Invalid(format!("aliases.{k} must be a string or null"))),
        };
        next.aliases.insert(k.clone(), value);
    }
    let mut seen: Vec<String> = next.alias_values().iter().map(|a| a.to_lowercase()).collect();
    let n = seen.len();
    seen.sort();
    seen.dedup();
    if seen.len() != n {
        return Err(DomainError::Invalid("aliases must differ from each other".into()));
    }
    Ok(next)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn user() -> User {
        let new = serde_json::from_value(json!({"username": "jane"})).unwrap();
        let home = users::Home { tenant_id: "t", tenant_dns: "d", community_id: "c", module_id: "m" };
        users::new_user(home, &new).unwrap()
    }

    fn update(extra: Value) -> PropertiesUpdate {
        let mut base = json!({"user": {"username": "jane", "authModuleId": "m"}});
        if let (Value::Object(b), Value::Object(e)) = (&mut base, extra) {
            b.extend(e);
        }
        serde_json::from_value(base).unwrap()
    }

    #[test]
    fn properties_are_checked_and_merged() {
        let empty = UserProperties::empty(&user());
        let next =
            updated(&empty, &update(json!({"mobiles": ["15551234567"], "aliases": {"alias1": "JD", "alias2": null}})))
                .unwrap();
        assert_eq!(next.mobiles, ["15551234567"]);
        assert_eq!(next.alias_values(), ["JD"]);
        let again = updated(&next, &update(json!({"aliases": {"alias3": "jdoe"}}))).unwrap();
        assert_eq!((again.alias_values().len(), again.mobiles.len()), (2, 1));
        assert!(updated(&empty, &update(json!({"mobiles": ["+1 555"]}))).is_err());
        assert!(updated(&empty, &update(json!({"aliases": {"alias9": "x"}}))).is_err());
        assert!(updated(&empty, &update(json!({"aliases": {"alias1": "a b"}}))).is_err());
        assert!(updated(&empty, &update(json!({"aliases": {"alias1": "jd", "alias2": "JD"}}))).is_err());
    }
}
