//! Identifiers and names: ObjectId-style 24-hex ids, DNS names, display names and tags.

use super::DomainError;

/// A new ObjectId-style id: 4 bytes of epoch seconds, then 8 random bytes, as 24 lowercase hex.
pub fn new_object_id() -> String {
    let secs = u32::try_from(envelope::wire::now_epoch()).unwrap_or(u32::MAX);
    let random = uuid::Uuid::new_v4();
    format!("{secs:08x}{}", hex::encode(&random.as_bytes()[..8]))
}

/// Whether `id` is 24 hex digits.
pub fn is_object_id(id: &str) -> bool {
    id.len() == 24 && id.bytes().all(|b| b.is_ascii_hexdigit())
}

/// Checks an id from a request.
pub fn object_id(field: &str, id: &str) -> Result<String, DomainError> {
    let id = id.trim();
    if is_object_id(id) {
        Ok(id.to_ascii_lowercase())
    } else {
        Err(DomainError::Invalid(format!("{field} must be a 24-hex-digit id")))
    }
}

/// A DNS name, lowercased: letters, digits, `-`, `.` and an optional `:port`, at most 253 characters.
pub fn dns(text: &str) -> Result<String, DomainError> {
    let dns = text.trim().to_ascii_lowercase();
    let ok = !dns.is_empty()
        && dns.len() <= 253
        && dns.bytes().all(|b| b.is_ascii_alphanumeric() || b"-.:".contains(&b))
        && !dns.starts_with(['.', '-', ':']);
    if ok {
        Ok(dns)
    } else {
        Err(DomainError::Invalid("dns must be a DNS name (letters, digits, '-', '.', ':'; at most 253)".into()))
    }
}

/// A display name or tag: trimmed, 1 to 100 characters, no control characters.
pub fn name(field: &str, text: &str) -> Result<String, DomainError> {
    let name = text.trim();
    if name.is_empty() || name.chars().count() > 100 || name.chars().any(char::is_control) {
        return Err(DomainError::Invalid(format!("{field} must be 1 to 100 printable characters")));
    }
    Ok(name.to_owned())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn object_ids_are_24_hex_and_unique() {
        let (a, b) = (new_object_id(), new_object_id());
        assert!(is_object_id(&a) && is_object_id(&b));
        assert_ne!(a, b);
        assert!(object_id("communityId", "xyz").is_err());
        assert_eq!(object_id("c", " 0123456789ABCDEF01234567 ").unwrap(), "0123456789abcdef01234567");
    }

    #[test]
    fn dns_and_names() {
        assert_eq!(dns(" Acme.Example.COM ").unwrap(), "acme.example.com");
        assert_eq!(dns("localhost:8080").unwrap(), "localhost:8080");
        assert!(dns("").is_err() && dns("a b").is_err() && dns(".x").is_err());
        assert_eq!(name("name", " Default ").unwrap(), "Default");
        assert!(name("name", "").is_err() && name("name", "a\nb").is_err());
        assert!(name("name", &"x".repeat(101)).is_err());
    }
}
