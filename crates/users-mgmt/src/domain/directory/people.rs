//! Directory entries as users: the attributes mapped into a user's profile (`givenName`,
//! `sn`, `mail`, `telephoneNumber`, `dn`, `memberOf`), and the local record a directory user
//! gets on first sight (its `uid` carries its lockout, PIN and properties), kept up to date.

use kit::{DomainError, StoreError};
use ldap3::SearchEntry;

use super::config::{DirectorySettings, UserFilter};
use crate::domain::users::{self, Home, Profile, User, UserStore};

/// A user as the directory shows it.
#[derive(Debug, Clone, PartialEq)]
pub struct Person {
    pub dn: String,
    pub username: String,
    pub profile: Profile,
    /// Active Directory's `userAccountControl` says the account is disabled.
    pub disabled: bool,
}

fn first<'a>(e: &'a SearchEntry, attribute: &str) -> Option<&'a str> {
    e.attrs
        .iter()
        .find(|(k, _)| k.eq_ignore_ascii_case(attribute))
        .and_then(|(_, v)| v.first())
        .map(|v| v.trim())
        .filter(|v| !v.is_empty())
}

fn all(e: &SearchEntry, attribute: &str) -> Vec<String> {
    e.attrs.iter().find(|(k, _)| k.eq_ignore_ascii_case(attribute)).map(|(_, v)| v.clone()).unwrap_or_default()
}

/// Printable text of at most 256 characters, or nothing.
fn text(v: Option<&str>) -> Option<String> {
    let v = v?;
    let clean: String = v.chars().filter(|c| !c.is_control()).take(256).collect();
    (!clean.is_empty()).then_some(clean)
}

/// The person of an entry; `given` is the name the user gave (the username when the module's
/// filter is a template that names no attribute).
pub fn person(s: &DirectorySettings, e: &SearchEntry, given: &str) -> Person {
    let username = match &s.user_filter {
        UserFilter::Attribute(a) => first(e, a),
        UserFilter::Template(_) => None,
    }
    .and_then(|u| users::username(u).ok())
    .unwrap_or_else(|| given.trim().to_owned());
    let phone = first(e, "telephoneNumber")
        .or_else(|| first(e, "mobile"))
        .map(|p| p.chars().filter(char::is_ascii_digit).collect::<String>());
    let groups = all(e, "memberOf");
    let profile = Profile {
        firstname: text(first(e, "givenName")),
        lastname: text(first(e, "sn")),
        email1: first(e, "mail").and_then(|m| users::email("email1", m).ok()),
        phone1: phone.and_then(|p| users::phone("phone1", &p).ok()),
        dn: Some(e.dn.clone()),
        member_of: Some(groups),
        ..Profile::default()
    };
    let disabled =
        first(e, "userAccountControl").and_then(|v| v.parse::<u32>().ok()).is_some_and(|flags| flags & 2 != 0);
    Person { dn: e.dn.clone(), username, profile, disabled }
}

/// `profile` with the directory's fields of `p` (the rest kept: verified flags, address, …).
fn merged(profile: &Profile, p: &Person) -> Profile {
    Profile {
        firstname: p.profile.firstname.clone(),
        lastname: p.profile.lastname.clone(),
        email1: p.profile.email1.clone(),
        phone1: p.profile.phone1.clone(),
        dn: p.profile.dn.clone(),
        member_of: p.profile.member_of.clone(),
        ..profile.clone()
    }
}

/// The local record of `p` in the module of `home`: created on first sight, its profile
/// brought up to date from the directory. 409 when a user of another module of the community
/// holds the username.
pub async fn record(store: &dyn UserStore, home: Home<'_>, p: &Person) -> Result<User, DomainError> {
    if let Some(mut user) = store.by_username(home.community_id, home.module_id, &p.username).await? {
        let profile = merged(&user.profile, p);
        if profile != user.profile {
            user.profile = profile;
            store.update(&user).await?;
        }
        return Ok(user);
    }
    let mut user = users::new_user(home, &users::NewUser::named(&p.username))?;
    user.profile = merged(&user.profile, p);
    match store.insert(&user, None).await {
        Ok(()) => Ok(user),
        Err(StoreError::Conflict(_)) => {
            // Another request made it first, or another module holds the name.
            store.by_username(home.community_id, home.module_id, &p.username).await?.ok_or_else(|| {
                DomainError::Conflict("a user of another auth module of the community has this username".into())
            })
        }
        Err(e) => Err(e.into()),
    }
}
