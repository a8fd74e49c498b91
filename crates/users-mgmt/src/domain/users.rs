//! Users of a community's auth module: their profile, validated on write (email, phone,
//! username), unique by username per community whatever the case, and their store
//! ([`UserStore`]). Passwords are argon2id hashes ([`super::passwords`]) and never leave the store.

use async_trait::async_trait;
use kit::{DomainError, StoreError};
use serde::{Deserialize, Serialize};
use serde_json::{Map, Value, json};

/// A user as stored (the hash apart: see [`UserStore::password_hash`]).
#[derive(Debug, Clone, PartialEq)]
pub struct User {
    pub uid: String,
    pub tenant_id: String,
    pub community_id: String,
    pub module_id: String,
    pub username: String,
    pub dguid: String,
    /// `urn:dns:<tenant dns>:community:<community>:mod:<module>:uid:<uid>`, fixed at creation.
    pub urn: String,
    /// `active` unless set otherwise.
    pub status: String,
    pub disabled: bool,
    /// Whether the user has a PIN (`user_pin/register`).
    pub pin_enrolled: bool,
    pub profile: Profile,
}

/// The profile fields of a user, as the reference names them.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct Profile {
    #[serde(skip_serializing_if = "Option::is_none")]
    pub firstname: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub middlename: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub lastname: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub email1: Option<String>,
    #[serde(default)]
    pub email1_verified: bool,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub email2: Option<String>,
    #[serde(default)]
    pub email2_verified: bool,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub phone1: Option<String>,
    #[serde(default)]
    pub phone1_verified: bool,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub address: Option<Map<String, Value>>,
    #[serde(default)]
    pub address_verified: bool,
    #[serde(rename = "idpId", skip_serializing_if = "Option::is_none")]
    pub idp_id: Option<String>,
    /// A directory user's distinguished name.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub dn: Option<String>,
    /// A directory user's groups (`memberOf`), as the directory last showed them.
    #[serde(default, rename = "memberOf", skip_serializing_if = "Option::is_none")]
    pub member_of: Option<Vec<String>>,
}

impl User {
    /// The user as the reference shows it (`type` basic, `roleValue` none), with only the
    /// `attributes` asked for when some are.
    pub fn to_reply(&self, attributes: Option<&[String]>) -> Value {
        let p = &self.profile;
        let mut reply = json!({
            "username": self.username,
            "uid": self.uid,
            "dguid": self.dguid,
            "status": self.status,
            "disabled": self.disabled,
            "roleValue": "none",
            "type": "basic",
            "moduleId": self.module_id,
            "onboarding_status": "tbd",
            "email": p.email1,
            "phone": p.phone1,
            "urn": self.urn,
            "is_user_pin_enrolled": self.pin_enrolled,
        });
        if let (Value::Object(map), Ok(Value::Object(profile))) = (&mut reply, serde_json::to_value(p)) {
            map.extend(profile);
        }
        match (attributes, reply) {
            (Some(wanted), Value::Object(map)) if !wanted.is_empty() => {
                // The projection keeps the user's identity whatever is asked.
                let keep = |k: &str| ["username", "uid", "moduleId"].contains(&k) || wanted.iter().any(|w| w == k);
                Value::Object(map.into_iter().filter(|(k, _)| keep(k)).collect())
            }
            (_, reply) => reply,
        }
    }
}

/// One user of `users/create`.
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub struct NewUser {
    pub username: String,
    pub password: Option<String>,
    pub status: Option<String>,
    pub disabled: Option<bool>,
    pub firstname: Option<String>,
    pub middlename: Option<String>,
    pub lastname: Option<String>,
    pub email1: Option<String>,
    #[serde(default)]
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
    #[serde(rename = "idpId")]
    pub idp_id: Option<String>,
}

impl NewUser {
    /// The profile fields.
    fn profile(&self) -> Profile {
        Profile {
            firstname: self.firstname.clone(),
            middlename: self.middlename.clone(),
            lastname: self.lastname.clone(),
            email1: self.email1.clone(),
            email1_verified: self.email1_verified,
            email2: self.email2.clone(),
            email2_verified: self.email2_verified,
            phone1: self.phone1.clone(),
            phone1_verified: self.phone1_verified,
            address: self.address.clone(),
            address_verified: self.address_verified,
            idp_id: self.idp_id.clone(),
            dn: None,
            member_of: None,
        }
    }

    /// A user with only a username (a directory user's local record).
    pub fn named(username: &str) -> Self {
        Self {
            username: username.to_owned(),
            password: None,
            status: None,
            disabled: None,
            firstname: None,
            middlename: None,
            lastname: None,
            email1: None,
            email1_verified: false,
            email2: None,
            email2_verified: false,
            phone1: None,
            phone1_verified: false,
            address: None,
            address_verified: false,
            idp_id: None,
        }
    }
}

impl std::fmt::Debug for NewUser {
    /// Without the password.
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("NewUser").field("has_password", &self.password.is_some()).finish_non_exhaustive()
    }
}

/// The fields a query (`users/fetch`, `users/count`) may filter on, with equality.
pub const QUERY_FIELDS: [&str; 8] = ["username", "uid", "dguid", "status", "email1", "phone1", "firstname", "lastname"];

/// A filter: field → value, every one to match.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Query(pub Vec<(&'static str, String)>);

impl Query {
    /// From the `query` object of a request: known fields with string values only.
    pub fn parse(query: Option<&Map<String, Value>>) -> Result<Self, DomainError> {
        Self::parse_fields(query, &QUERY_FIELDS)
    }

    /// From the `query` object of a request, filtering on `fields` only (string values): a
    /// username is compared lowercased, an id (`tenantId`) lowercased, the rest trimmed.
    pub fn parse_fields(query: Option<&Map<String, Value>>, fields: &[&'static str]) -> Result<Self, DomainError> {
        let mut out = Vec::new();
        for (k, v) in query.into_iter().flatten() {
            let Some(field) = fields.iter().find(|f| **f == k) else {
                return Err(DomainError::Invalid(format!("query may filter on {} only", fields.join(", "))));
            };
            let Some(text) = v.as_str() else {
                return Err(DomainError::Invalid(format!("query.{field} must be a string")));
            };
            let text = match *field {
                "username" => text.trim().to_lowercase(),
                "tenantId" => text.trim().to_ascii_lowercase(),
                _ => text.trim().to_owned(),
            };
            out.push((*field, text));
        }
        Ok(Self(out))
    }
}

/// Where users are kept (`crate::store::SqlUsers`).
#[async_trait]
pub trait UserStore: Send + Sync {
    /// Stores a new user with its password hash; `Conflict` when the username is taken in the
    /// community (whatever its case).
    async fn insert(&self, user: &User, password_hash: Option<&str>) -> Result<(), StoreError>;
    /// A user of a community's module by username (any case).
    async fn by_username(
        &self,
        community_id: &str,
        module_id: &str,
        username: &str,
    ) -> Result<Option<User>, StoreError>;
    /// A page of a module's users matching `query`, by username; and how many match in all.
    async fn page(
        &self,
        community_id: &str,
        module_id: &str,
        query: &Query,
        offset: u64,
        limit: u64,
    ) -> Result<(Vec<User>, u64), StoreError>;
    /// How many of a module's users match `query`.
    async fn count(&self, community_id: &str, module_id: &str, query: &Query) -> Result<u64, StoreError>;
    /// Replaces the profile, status and disabled flag of a user; `NotFound` when it is gone.
    async fn update(&self, user: &User) -> Result<(), StoreError>;
    /// The password hash of a user, if it has one.
    async fn password_hash(&self, uid: &str) -> Result<Option<String>, StoreError>;
    /// The users of a community whose `idpId` is `idp_id` (any case), by username.
    async fn by_idp_id(&self, community_id: &str, idp_id: &str) -> Result<Vec<User>, StoreError>;
    /// Replaces the password hash of a user; `NotFound` when it is gone.
    async fn set_password_hash(&self, uid: &str, hash: &str) -> Result<(), StoreError>;
    /// A user of a community by uid, whatever its module.
    async fn by_uid(&self, community_id: &str, uid: &str) -> Result<Option<User>, StoreError>;
    /// A user of a community by username (any case), whatever its module (usernames are unique
    /// per community).
    async fn by_community_username(&self, community_id: &str, username: &str) -> Result<Option<User>, StoreError>;
}

/// A username: trimmed, 1 to 128 characters, no spaces or control characters.
pub fn username(text: &str) -> Result<String, DomainError> {
    let name = text.trim();
    let ok =
        !name.is_empty() && name.chars().count() <= 128 && !name.chars().any(|c| c.is_whitespace() || c.is_control());
    if ok {
        Ok(name.to_owned())
    } else {
        Err(DomainError::Invalid("username must be 1 to 128 characters without spaces".into()))
    }
}

/// An email address: one `@`, a local part and a dotted domain, no spaces, at most 254 characters.
pub fn email(field: &str, text: &str) -> Result<String, DomainError> {
    let text = text.trim();
    let valid = text.len() <= 254
        && !text.chars().any(|c| c.is_whitespace() || c.is_control())
        && text.split_once('@').is_some_and(|(local, domain)| {
            !local.is_empty()
                && !domain.contains('@')
                && domain.split('.').count() >= 2
                && domain.split('.').all(|label| !label.is_empty() && !label.starts_with('-') && !label.ends_with('-'))
        });
    if valid { Ok(text.to_owned()) } else { Err(DomainError::Invalid(format!("{field} must be an email address"))) }
}

/// A phone number: digits only (the reference's `string-only-digits`), 4 to 20 of them.
pub fn phone(field: &str, text: &str) -> Result<String, DomainError> {
    let text = text.trim();
    if (4..=20).contains(&text.len()) && text.bytes().all(|b| b.is_ascii_digit()) {
        Ok(text.to_owned())
    } else {
        Err(DomainError::Invalid(format!("{field} must be 4 to 20 digits")))
    }
}

/// A free-text profile field: at most 256 characters, no control characters.
fn text(field: &str, value: &str) -> Result<String, DomainError> {
    let value = value.trim();
    if value.chars().count() > 256 || value.chars().any(char::is_control) {
        return Err(DomainError::Invalid(format!("{field} must be at most 256 printable characters")));
    }
    Ok(value.to_owned())
}

/// A status: `active` by default, else a short word.
pub fn status(value: Option<&str>) -> Result<String, DomainError> {
    let value = value.map(str::trim).filter(|s| !s.is_empty()).unwrap_or("active");
    if value.len() <= 32 && value.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'_' || b == b'-') {
        Ok(value.to_owned())
    } else {
        Err(DomainError::Invalid("status must be a word of at most 32 letters, digits, '-' or '_'".into()))
    }
}

/// Checks and normalizes every field of a profile.
pub fn checked_profile(p: Profile) -> Result<Profile, DomainError> {
    let opt = |field: &str, v: Option<String>, f: &dyn Fn(&str, &str) -> Result<String, DomainError>| {
        v.filter(|s| !s.trim().is_empty()).map(|s| f(field, &s)).transpose()
    };
    Ok(Profile {
        firstname: opt("firstname", p.firstname, &text)?,
        middlename: opt("middlename", p.middlename, &text)?,
        lastname: opt("lastname", p.lastname, &text)?,
        email1: opt("email1", p.email1, &email)?,
        email2: opt("email2", p.email2, &email)?,
        phone1: opt("phone1", p.phone1, &phone)?,
        idp_id: opt("idpId", p.idp_id, &text)?,
        ..p
    })
}

/// Where a new user goes: its community (with the tenant's dns) and module.
#[derive(Debug, Clone, Copy)]
pub struct Home<'a> {
    pub tenant_id: &'a str,
    pub tenant_dns: &'a str,
    pub community_id: &'a str,
    pub module_id: &'a str,
}

/// A new user of a module, checked (the password is checked and hashed by the caller).
pub fn new_user(home: Home<'_>, u: &NewUser) -> Result<User, DomainError> {
    let Home { tenant_id, tenant_dns, community_id, module_id } = home;
    let uid = uuid::Uuid::new_v4().to_string();
    Ok(User {
        urn: format!("urn:dns:{tenant_dns}:community:{community_id}:mod:{module_id}:uid:{uid}"),
        uid,
        tenant_id: tenant_id.to_owned(),
        community_id: community_id.to_owned(),
        module_id: module_id.to_owned(),
        username: username(&u.username)?,
        dguid: uuid::Uuid::new_v4().to_string(),
        status: status(u.status.as_deref())?,
        disabled: u.disabled.unwrap_or(false),
        pin_enrolled: false,
        profile: checked_profile(u.profile())?,
    })
}

/// What an update with an unknown field is told.
const UPDATABLE: &str = "unknown field; the fields that can be updated are status, disabled, firstname, middlename, \
     lastname, email1, email1_verified, email2, email2_verified, phone1, phone1_verified, address, address_verified, idpId";

/// The fields of `user/update` that can never change, whatever the caller.
pub const IMMUTABLE: [&str; 4] = ["roleValue", "uid", "username", "password"];

/// `user` with the provided fields of `changes` (a `user/update` body without `authModule` and
/// `username`); fields not given stay.
pub fn updated(user: &User, changes: &Map<String, Value>) -> Result<User, DomainError> {
    let mut next = user.clone();
    let mut profile =
        serde_json::to_value(&user.profile).map_err(|e| DomainError::Store(StoreError::Corrupt(e.to_string())))?;
    for (k, v) in changes {
        match k.as_str() {
            "status" => next.status = status(Some(v.as_str().ok_or_else(|| must("status", "a string"))?))?,
            "disabled" => next.disabled = v.as_bool().ok_or_else(|| must("disabled", "true or false"))?,
            // A basic user stays basic.
            "type" if v.as_str() == Some("basic") => {}
            "type" => return Err(DomainError::Invalid("type must be basic: only basic users are updated".into())),
            "firstname" | "lastname" | "email1" | "idpId" => set_text(&mut profile, k, v)?,
            other if set_profile_field(&mut profile, other, v)? => {}
            other if IMMUTABLE.contains(&other) => {
                return Err(DomainError::Invalid(format!("{other} cannot be updated")));
            }
            _ => {
                return Err(DomainError::Invalid(UPDATABLE.into()));
            }
        }
    }
    let profile: Profile = serde_json::from_value(profile)
        .map_err(|_| DomainError::Invalid("the profile fields have the wrong types".into()))?;
    next.profile = checked_profile(profile)?;
    Ok(next)
}

/// Sets a text field of a profile (as JSON) to a string, or clears it with null.
pub fn set_text(profile: &mut Value, field: &str, v: &Value) -> Result<(), DomainError> {
    if !(v.is_string() || v.is_null()) {
        return Err(must(field, "a string"));
    }
    profile[field] = v.clone();
    Ok(())
}

/// Sets one of the profile fields every kind of user updates alike (`middlename`, `email2`,
/// `phone1`, the `_verified` flags, `address`); false when `field` is not one of them.
pub fn set_profile_field(profile: &mut Value, field: &str, v: &Value) -> Result<bool, DomainError> {
    match field {
        "middlename" | "email2" | "phone1" => set_text(profile, field, v)?,
        "email1_verified" | "email2_verified" | "phone1_verified" | "address_verified" => {
            profile[field] = Value::Bool(v.as_bool().ok_or_else(|| must(field, "true or false"))?);
        }
        "address" => {
            if !(v.is_object() || v.is_null()) {
                return Err(must("address", "an object"));
            }
            profile["address"] = v.clone();
        }
        _ => return Ok(false),
    }
    Ok(true)
}

fn must(field: &str, what: &str) -> DomainError {
    DomainError::Invalid(format!("{field} must be {what}"))
}

#[cfg(test)]
mod tests {
    use super::*;

    const HOME: Home<'static> = Home { tenant_id: "t", tenant_dns: "acme.example", community_id: "c", module_id: "m" };

    #[test]
    fn emails_phones_and_usernames_are_checked() {
        assert!(email("email1", "jane@acme.example").is_ok());
        for bad in
            ["jane", "jane@", "@acme.example", "jane@acme", "ja ne@acme.example", "a@b@c.d", "jane@-acme.example"]
        {
            assert!(email("email1", bad).is_err(), "{bad}");
        }
        assert!(phone("phone1", "15551234567").is_ok());
        assert!(phone("phone1", "+1 555").is_err() && phone("phone1", "12").is_err());
        assert!(username("jane.doe@acme").is_ok());
        assert!(username(" ").is_err() && username("ja ne").is_err() && username(&"x".repeat(129)).is_err());
    }

    #[test]
    fn an_update_changes_only_what_is_given_and_never_the_identity() {
        let u = new_user(
            HOME,
            &serde_json::from_value(json!({"username": "Jane", "firstname": "J", "email1": "j@a.io"})).unwrap(),
        )
        .unwrap();
        let changes = json!({"lastname": "Doe", "phone1_verified": true, "status": "suspended"});
        let next = updated(&u, changes.as_object().unwrap()).unwrap();
        assert_eq!((next.profile.firstname.as_deref(), next.profile.lastname.as_deref()), (Some("J"), Some("Doe")));
        assert!(next.profile.phone1_verified && next.status == "suspended" && next.username == "Jane");
        for field in IMMUTABLE {
            let e = updated(&u, json!({ field: "x" }).as_object().unwrap()).unwrap_err();
            assert!(e.to_string().contains("cannot be updated"), "{field}: {e}");
        }
        assert!(updated(&u, json!({"email1": "nope"}).as_object().unwrap()).is_err());
        assert!(updated(&u, json!({"type": "admin"}).as_object().unwrap()).is_err());
    }

    #[test]
    fn the_reply_never_carries_a_password_and_projects_attributes() {
        let u = new_user(
            HOME,
            &serde_json::from_value(json!({"username": "jane", "password": "Secret#123", "email1": "j@a.io"})).unwrap(),
        )
        .unwrap();
        let full = u.to_reply(None);
        assert_eq!(
            (full["type"].as_str(), full["roleValue"].as_str(), full["email"].as_str()),
            (Some("basic"), Some("none"), Some("j@a.io"))
        );
        assert!(!full.to_string().contains("Secret#123"));
        assert_eq!(full["urn"].as_str().unwrap(), format!("urn:dns:acme.example:community:c:mod:m:uid:{}", u.uid));
        let some = u.to_reply(Some(&["email1".to_owned()]));
        let keys: Vec<&String> = some.as_object().unwrap().keys().collect();
        assert_eq!(keys.len(), 4, "{some}");
        assert!(Query::parse(json!({"colour": "x"}).as_object()).is_err());
        assert_eq!(Query::parse(json!({"username": "JANE"}).as_object()).unwrap().0, [("username", "jane".to_owned())]);
    }
}
