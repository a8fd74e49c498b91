//! The parts of a journey as they are checked on the way in: texts and lists of texts, address
//! ranges, operators, the decision's action and methods. Each check names the field it refused
//! and what it expected, never the value it was given.

use std::fmt;
use std::net::IpAddr;

use serde::{Deserialize, Serialize};
use serde_json::Value;

use super::{Action, AppMatch, Decision, Method};
use crate::domain::DomainError;

/// Entries a list condition may hold.
pub const MAX_VALUES: usize = 100;
/// Characters of one entry of a list condition.
pub const MAX_VALUE_CHARS: usize = 256;

fn invalid(message: impl Into<String>) -> DomainError {
    DomainError::Invalid(message.into())
}

/// One entry of a list: trimmed, 1 to [`MAX_VALUE_CHARS`] printable characters.
fn entry(text: &str) -> Option<String> {
    let text = text.trim();
    let ok = !text.is_empty() && text.chars().count() <= MAX_VALUE_CHARS && !text.chars().any(char::is_control);
    ok.then(|| text.to_owned())
}

/// The texts of `field.value`: an array of 1 to [`MAX_VALUES`] entries (duplicates dropped).
pub fn texts(field: &str, value: &Value) -> Result<Vec<String>, DomainError> {
    let expected = || {
        invalid(format!(
            "{field}.value must be an array of 1 to {MAX_VALUES} texts of 1 to {MAX_VALUE_CHARS} printable characters"
        ))
    };
    let items = value.as_array().filter(|a| !a.is_empty() && a.len() <= MAX_VALUES).ok_or_else(expected)?;
    let mut out: Vec<String> = Vec::with_capacity(items.len());
    for item in items {
        let text = item.as_str().and_then(entry).ok_or_else(expected)?;
        if !out.contains(&text) {
            out.push(text);
        }
    }
    Ok(out)
}

/// `field.operator`, which must be `expected`.
pub fn operator(field: &str, given: &str, expected: &str) -> Result<(), DomainError> {
    if given.trim() == expected { Ok(()) } else { Err(invalid(format!("{field}.operator must be {expected}"))) }
}

/// The requesting-app condition: `eq` with one text, or `in` with a list.
pub fn app(field: &str, value: &Value, op: &str) -> Result<AppMatch, DomainError> {
    match op.trim() {
        "eq" => {
            let text = value.as_str().and_then(entry).ok_or_else(|| {
                invalid(format!("{field}.value must be a text of 1 to {MAX_VALUE_CHARS} printable characters with eq"))
            })?;
            Ok(AppMatch::Eq(text))
        }
        "in" => Ok(AppMatch::In(texts(field, value)?)),
        _ => Err(invalid(format!("{field}.operator must be eq or in"))),
    }
}

/// A journey's name: 1 to 100 printable characters.
pub fn name(field: &str, given: &str) -> Result<String, DomainError> {
    kit::ids::name(field, given)
}

/// A category label: 1 to 64 letters, digits, `_`, `-` or `.`.
pub fn category(given: &str) -> Result<String, DomainError> {
    let text = given.trim();
    let ok =
        !text.is_empty() && text.len() <= 64 && text.bytes().all(|b| b.is_ascii_alphanumeric() || b"_-.".contains(&b));
    if ok { Ok(text.to_owned()) } else { Err(invalid("category must be 1 to 64 letters, digits, '_', '-' or '.'")) }
}

/// A device domain: a DNS name, lowercased (letters, digits, `-`, `.`; at most 253).
pub fn domain(given: &str) -> Result<String, DomainError> {
    let text = given.trim().trim_end_matches('.').to_ascii_lowercase();
    let ok = !text.is_empty()
        && text.len() <= 253
        && text.bytes().all(|b| b.is_ascii_alphanumeric() || b"-.".contains(&b))
        && !text.starts_with(['.', '-'])
        && !text.contains("..");
    if ok { Ok(text) } else { Err(invalid("domain must be a DNS name (letters, digits, '-' and '.')")) }
}

/// An address range: an IPv4 or IPv6 network in CIDR form (`10.0.0.0/8`, `2001:db8::/32`), its
/// host bits zero, or a single address (`10.1.2.3`, the same as `/32` or `/128`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct IpRange {
    network: IpAddr,
    prefix: u8,
}

/// The address as matched: an IPv4-mapped IPv6 address (`::ffff:10.1.2.3`) is its IPv4 address.
pub fn canonical(ip: IpAddr) -> IpAddr {
    match ip {
        IpAddr::V6(v6) => v6.to_ipv4_mapped().map_or(ip, IpAddr::V4),
        v4 => v4,
    }
}

fn bits(ip: IpAddr) -> (u128, u8) {
    match ip {
        IpAddr::V4(v4) => (u128::from(u32::from(v4)), 32),
        IpAddr::V6(v6) => (u128::from(v6), 128),
    }
}

fn mask(prefix: u8, width: u8) -> u128 {
    let all = if width == 32 { u128::from(u32::MAX) } else { u128::MAX };
    if prefix == 0 { 0 } else { (all << (width - prefix)) & all }
}

impl IpRange {
    /// The range `text` names, when it is one (see the type).
    pub fn parse(text: &str) -> Option<Self> {
        let text = text.trim();
        let (address, prefix) = match text.split_once('/') {
            Some((a, p)) if !p.is_empty() && p.len() <= 3 && p.bytes().all(|b| b.is_ascii_digit()) => {
                (a, Some(p.parse::<u8>().ok()?))
            }
            Some(_) => return None,
            None => (text, None),
        };
        let network = canonical(address.parse::<IpAddr>().ok()?);
        let (value, width) = bits(network);
        let prefix = prefix.unwrap_or(width);
        if prefix > width || value & !mask(prefix, width) != 0 {
            return None;
        }
        Some(Self { network, prefix })
    }

    /// Whether `ip` is in the range.
    pub fn contains(&self, ip: IpAddr) -> bool {
        let (value, width) = bits(canonical(ip));
        let (network, net_width) = bits(self.network);
        width == net_width && value & mask(self.prefix, width) == network
    }
}

impl fmt::Display for IpRange {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.prefix == bits(self.network).1 {
            write!(f, "{}", self.network)
        } else {
            write!(f, "{}/{}", self.network, self.prefix)
        }
    }
}

impl TryFrom<String> for IpRange {
    type Error = String;

    fn try_from(text: String) -> Result<Self, String> {
        Self::parse(&text).ok_or_else(|| "not an address range".to_owned())
    }
}

impl From<IpRange> for String {
    fn from(r: IpRange) -> Self {
        r.to_string()
    }
}

/// The ranges of `field.value`: an array of 1 to [`MAX_VALUES`] addresses or CIDR networks.
pub fn ranges(field: &str, value: &Value) -> Result<Vec<IpRange>, DomainError> {
    let items = value.as_array().filter(|a| !a.is_empty() && a.len() <= MAX_VALUES).ok_or_else(|| {
        invalid(format!("{field}.value must be an array of 1 to {MAX_VALUES} IP addresses or CIDR networks"))
    })?;
    let mut out: Vec<IpRange> = Vec::with_capacity(items.len());
    for (i, item) in items.iter().enumerate() {
        let range = item.as_str().and_then(IpRange::parse).ok_or_else(|| {
            invalid(format!(
                "{field}.value[{i}] must be an IP address or a CIDR network with its host bits zero \
                 (10.0.0.0/8, 2001:db8::/32)"
            ))
        })?;
        if !out.contains(&range) {
            out.push(range);
        }
    }
    Ok(out)
}

/// The decision of `decision.action` and `decision.authenticationMethods`: `mfa_required` needs
/// at least one method, `allow` and `deny` take none.
pub fn decision(action: &str, methods: Option<&[String]>) -> Result<Decision, DomainError> {
    let action = Action::parse(action).ok_or_else(|| {
        invalid(format!("decision.action must be one of {}", Action::ALL.map(Action::as_str).join(", ")))
    })?;
    let given = methods.unwrap_or_default();
    let mut parsed: Vec<Method> = Vec::with_capacity(given.len());
    for (i, m) in given.iter().enumerate() {
        let method = Method::parse(m).ok_or_else(|| {
            invalid(format!(
                "decision.authenticationMethods[{i}] must be one of {}",
                Method::ALL.map(Method::as_str).join(", ")
            ))
        })?;
        if !parsed.contains(&method) {
            parsed.push(method);
        }
    }
    match action {
        Action::MfaRequired if parsed.is_empty() => {
            Err(invalid("decision.authenticationMethods must name at least one method with mfa_required"))
        }
        Action::Allow | Action::Deny if !parsed.is_empty() => {
            Err(invalid("decision.authenticationMethods is only for mfa_required"))
        }
        _ => Ok(Decision { action, methods: parsed }),
    }
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    fn ip(text: &str) -> IpAddr {
        text.parse().unwrap()
    }

    #[test]
    fn ranges_are_networks_or_single_addresses() {
        let net = IpRange::parse("10.0.0.0/8").unwrap();
        assert!(net.contains(ip("10.255.1.2")) && !net.contains(ip("11.0.0.1")));
        assert!(net.contains(ip("::ffff:10.1.2.3")), "an IPv4-mapped address is its IPv4 address");
        assert!(!net.contains(ip("::a00:1")), "an IPv6 address is never in an IPv4 range");
        let one = IpRange::parse(" 192.168.1.10 ").unwrap();
        assert!(one.contains(ip("192.168.1.10")) && !one.contains(ip("192.168.1.11")));
        assert_eq!(one.to_string(), "192.168.1.10");
        let all = IpRange::parse("0.0.0.0/0").unwrap();
        assert!(all.contains(ip("8.8.8.8")) && !all.contains(ip("::1")));
        let v6 = IpRange::parse("2001:db8::/32").unwrap();
        assert!(v6.contains(ip("2001:db8:1::5")) && !v6.contains(ip("2001:db9::1")));
        assert_eq!(v6.to_string(), "2001:db8::/32");
        assert!(IpRange::parse("::/0").unwrap().contains(ip("fe80::1")));
        assert!(IpRange::parse("10.0.0.1/32").unwrap().contains(ip("10.0.0.1")));
        for bad in
            ["10.0.0.1/8", "10.0.0.0/33", "10.0.0.0/", "10.0.0/8", "10.0.0.0/8/8", "host", "", "/8", "1.2.3.4/+8"]
        {
            assert_eq!(IpRange::parse(bad), None, "{bad}");
        }
    }

    #[test]
    fn lists_operators_and_decisions_are_checked_by_field() {
        assert_eq!(texts("groups", &json!(["a", " a ", "b"])).unwrap(), vec!["a", "b"]);
        for bad in [json!([]), json!("a"), json!([1]), json!([""]), json!(["x".repeat(257)])] {
            let e = texts("groups", &bad).unwrap_err().to_string();
            assert!(e.contains("groups.value must be an array"), "{e}");
        }
        assert!(operator("ip", "in_range", "in_range").is_ok());
        assert!(
            operator("ip", "between", "in_range").unwrap_err().to_string().contains("ip.operator must be in_range")
        );
        assert_eq!(app("requestingAppId", &json!("linux_cp"), "eq").unwrap(), AppMatch::Eq("linux_cp".into()));
        assert!(app("application", &json!(["a"]), "eq").is_err() && app("application", &json!("a"), "like").is_err());
        let e = ranges("ip", &json!(["10.0.0.0/8", "10.0.0.1/8"])).unwrap_err().to_string();
        assert!(e.contains("ip.value[1] must be an IP address or a CIDR network"), "{e}");
        let d = decision("mfa_required", Some(&["password_and_otp".into(), "helpdesk_otp".into()])).unwrap();
        assert_eq!(d.methods, vec![Method::PasswordAndOtp, Method::HelpdeskOtp]);
        assert!(decision("mfa_required", None).unwrap_err().to_string().contains("at least one method"));
        assert!(decision("allow", Some(&["password_and_otp".into()])).unwrap_err().to_string().contains("only for"));
        assert!(decision("permit", None).unwrap_err().to_string().contains("decision.action must be one of"));
        let e = decision("mfa_required", Some(&["sms".into()])).unwrap_err().to_string();
        assert!(e.contains("decision.authenticationMethods[0] must be one of password_and_otp"), "{e}");
        assert_eq!(domain("1K-Dev.com.").unwrap(), "1k-dev.com");
        assert!(domain("a..b").is_err() && category("has space").is_err());
    }
}
