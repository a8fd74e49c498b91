//! Contact details shown to a caller who has not signed in (the login page's `POST /users/find`):
//! masked so that the user recognises them and a stranger learns little, and a keyed hash of
//! each ([`Sealer::mac`] under the deployment's key), so that a client may tell values apart
//! without being able to guess them offline.

use super::secrets::Sealer;

/// The MAC purpose of the hashes.
const HASH_PURPOSE: &str = "contact-hash.v1";

/// `jane.doe@example.com` → `j*******@example.com`: the first character of the local part and
/// the domain.
pub fn mask_email(email: &str) -> String {
    match email.trim().rsplit_once('@') {
        Some((local, domain)) => format!("{}@{domain}", mask_name(local)),
        None => mask_name(email.trim()),
    }
}

/// `+15551234567` → `********4567`: the last 4 digits only (none of a number of 6 or fewer).
pub fn mask_phone(phone: &str) -> String {
    let chars: Vec<char> = phone.trim().chars().collect();
    let shown = if chars.len() > 6 { 4 } else { 0 };
    let hidden = chars.len().saturating_sub(shown);
    chars.iter().enumerate().map(|(i, c)| if i < hidden { '*' } else { *c }).collect()
}

/// `bobby` → `b****`: the first character (none of a name of one character).
pub fn mask_name(name: &str) -> String {
    let count = name.chars().count();
    let mut chars = name.chars();
    match (count, chars.next()) {
        (2.., Some(first)) => std::iter::once(first).chain(std::iter::repeat_n('*', count - 1)).collect(),
        _ => "*".repeat(count),
    }
}

/// The hash of `value` (trimmed, without case) as the `field` of a user of `community_id`: hex
/// of a MAC under the deployment's key.
pub fn hash(sealer: &Sealer, community_id: &str, field: &str, value: &str) -> String {
    hex::encode(sealer.mac(HASH_PURPOSE, &[community_id, field, &value.trim().to_lowercase()]))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn masks_keep_what_the_user_recognises() {
        assert_eq!(mask_email("jane.doe@example.com"), "j*******@example.com");
        assert_eq!(mask_email("j@example.com"), "*@example.com");
        assert_eq!(mask_email("no-at-sign"), "n*********");
        assert_eq!(mask_phone("+15551234567"), "********4567");
        assert_eq!(mask_phone("123456"), "******");
        assert_eq!(mask_name("bobby"), "b****");
        assert_eq!(mask_name("é"), "*");
        assert_eq!(mask_name(""), "");
    }

    #[test]
    fn hashes_are_keyed_and_ignore_case() {
        let (a, b) = (Sealer::from_key(&[1; 32]), Sealer::from_key(&[2; 32]));
        assert_eq!(hash(&a, "c", "email", "Jane@Example.com "), hash(&a, "c", "email", "jane@example.com"));
        assert_ne!(hash(&a, "c", "email", "jane@example.com"), hash(&b, "c", "email", "jane@example.com"));
        assert_ne!(hash(&a, "c", "email", "jane@example.com"), hash(&a, "d", "email", "jane@example.com"));
        assert_eq!(hash(&a, "c", "email", "x").len(), 64);
    }
}
