//! Identifiers and names: ObjectId-style 24-hex ids, DNS names, display names and tags.

use crate::error::DomainError;

/// A new ObjectId-style id, as MongoDB makes them: 4 bytes of epoch seconds, 5 random bytes of
/// this process, a 3-byte counter; 24 lowercase hex. Ids made by one process sort in the order
/// they were made.
pub fn new_object_id() -> String {
    use std::sync::LazyLock;
    use std::sync::atomic::{AtomicU32, Ordering};
    static PROCESS: LazyLock<[u8; 5]> = LazyLock::new(|| {
        let random = uuid::Uuid::new_v4();
        let mut bytes = [0; 5];
        bytes.copy_from_slice(&random.as_bytes()[..5]);
        bytes
    });
    static COUNTER: LazyLock<AtomicU32> =
        LazyLock::new(|| AtomicU32::new(u32::from_be_bytes([0, 0, 0, uuid::Uuid::new_v4().as_bytes()[0]])));
    let secs = u32::try_from(envelope::wire::now_epoch()).unwrap_or(u32::MAX);
    let count = COUNTER.fetch_add(1, Ordering::Relaxed) & 0x00ff_ffff;
    format!("{secs:08x}{}{count:06x}", hex::encode(*PROCESS))
}

/// Whether `id` is 24 hex digits, the form of every tenant, community, module and user id.
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
    fn object_ids_are_24_hex_unique_and_ordered() {
        let (a, b) = (new_object_id(), new_object_id());
        assert!(is_object_id(&a) && is_object_id(&b));
        assert!(a < b, "{a} then {b}");
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
