//! The rules of a RADIUS or Auth Proxy configuration: the spec's fields (`name`, `authScheme`,
//! the keywords) and the values a RADIUS server needs on the network (address, port, shared
//! secret), checked before anything is stored. Messages name the field, never its value.

use std::net::IpAddr;

use serde::Deserialize;
use utoipa::ToSchema;
use zeroize::Zeroizing;

use super::{Kind, ProxyConfig};
use crate::domain::DomainError;

/// The shortest shared secret (RFC 2865 § 3 asks for at least 16 octets; Blast-RADIUS makes
/// a short one a real risk).
pub const MIN_SECRET_CHARS: usize = 16;
/// The longest shared secret (what NAS configuration screens accept).
pub const MAX_SECRET_CHARS: usize = 128;
const METHODS: [&str; 2] = ["push", "ivr"];
const MAX_KEYWORD_CHARS: usize = 32;
const MAX_ID_CHARS: usize = 64;

/// The body of a `PUT`: the spec's fields, the network values and the community (default: the
/// session's). A field of the other kind is refused.
#[derive(Deserialize, ToSchema, Default)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub struct ConfigInput {
    pub tenant_id: Option<String>,
    pub community_id: Option<String>,
    pub name: String,
    /// `push` and / or `ivr`.
    pub auth_scheme: Vec<String>,
    /// What a user types after the password to get a push.
    pub push_keyword: String,
    /// What a user types after the password to get a phone call; required with `ivr`.
    pub ivr_keyword: Option<String>,
    /// RADIUS only: the phone line of the calls.
    pub ivr_line: Option<String>,
    /// Auth proxy only (default false).
    pub is_default_auth_method_enable: Option<bool>,
    /// Auth proxy only: `push` or `ivr`, one of `authScheme`; kept only when
    /// `isDefaultAuthMethodEnable`.
    pub default_auth_method: Option<String>,
    /// Where the clients connect from: an IP address, a CIDR block or a DNS name.
    pub address: Option<String>,
    /// 1 to 65535 (RADIUS: 1812 by default).
    pub port: Option<i64>,
    /// 16 to 128 printable ASCII characters mixing at least three of lower case, upper case,
    /// digits and symbols. Sealed, never answered; left out, the stored one is kept.
    pub shared_secret: Option<String>,
}

impl std::fmt::Debug for ConfigInput {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ConfigInput")
            .field("name", &self.name)
            .field("shared_secret", &self.shared_secret.as_ref().map(|_| "<redacted>"))
            .finish_non_exhaustive()
    }
}

/// A checked input: the configuration's fields and the secret to seal.
pub(super) struct Valid {
    pub config: ProxyConfig,
    pub shared_secret: Option<Zeroizing<String>>,
}

fn invalid(message: impl Into<String>) -> DomainError {
    DomainError::Invalid(message.into())
}

/// The id of a path: 1 to 64 letters, digits, `_` or `-`.
pub(super) fn config_id(id: &str) -> Result<String, DomainError> {
    let ok = !id.is_empty()
        && id.len() <= MAX_ID_CHARS
        && id.bytes().all(|b| b.is_ascii_alphanumeric() || b"_-".contains(&b));
    if ok { Ok(id.to_owned()) } else { Err(invalid("id must be 1 to 64 letters, digits, '_' or '-'")) }
}

fn keyword(field: &str, given: &str) -> Result<String, DomainError> {
    let k = given.trim();
    let ok = !k.is_empty()
        && k.len() <= MAX_KEYWORD_CHARS
        && k.bytes().all(|b| b.is_ascii_alphanumeric() || b"_-".contains(&b));
    if ok {
        Ok(k.to_owned())
    } else {
        Err(invalid(format!("{field} must be 1 to {MAX_KEYWORD_CHARS} letters, digits, '_' or '-'")))
    }
}

fn method(field: &str, given: &str) -> Result<String, DomainError> {
    METHODS
        .iter()
        .find(|m| **m == given)
        .map(|m| (*m).to_owned())
        .ok_or_else(|| invalid(format!("{field} must be one of {}", METHODS.join(", "))))
}

/// An IP address, a CIDR block (`10.0.0.0/8`) or a DNS name.
pub(super) fn address(given: &str) -> Result<String, DomainError> {
    const RULE: &str = "address must be an IP address, a CIDR block or a DNS name";
    let a = given.trim();
    if let Some((ip, prefix)) = a.split_once('/') {
        let ip: IpAddr = ip.parse().map_err(|_| invalid(RULE))?;
        let max = if ip.is_ipv4() { 32 } else { 128 };
        let prefix: u8 = prefix.parse().map_err(|_| invalid(RULE))?;
        return if prefix <= max { Ok(format!("{ip}/{prefix}")) } else { Err(invalid(RULE)) };
    }
    if let Ok(ip) = a.parse::<IpAddr>() {
        return Ok(ip.to_string());
    }
    let label_ok = |l: &str| {
        !l.is_empty()
            && l.len() <= 63
            && l.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-')
            && !l.starts_with('-')
            && !l.ends_with('-')
    };
    // A name all of digits and dots is a mistyped address, not a host.
    let numeric = a.bytes().all(|b| b.is_ascii_digit() || b == b'.');
    if !a.is_empty() && a.len() <= 253 && !numeric && a.split('.').all(label_ok) {
        Ok(a.to_ascii_lowercase())
    } else {
        Err(invalid(RULE))
    }
}

/// A port: 1 to 65535.
pub(super) fn port(given: i64) -> Result<u16, DomainError> {
    u16::try_from(given).ok().filter(|p| *p != 0).ok_or_else(|| invalid("port must be 1 to 65535"))
}

/// A shared secret strong enough for RADIUS: see [`ConfigInput::shared_secret`].
pub(super) fn shared_secret(given: &str) -> Result<(), DomainError> {
    let classes = [
        given.bytes().any(|b| b.is_ascii_lowercase()),
        given.bytes().any(|b| b.is_ascii_uppercase()),
        given.bytes().any(|b| b.is_ascii_digit()),
        given.bytes().any(|b| b.is_ascii_punctuation()),
    ];
    let ok = (MIN_SECRET_CHARS..=MAX_SECRET_CHARS).contains(&given.len())
        && given.bytes().all(|b| b.is_ascii_graphic())
        && classes.iter().filter(|c| **c).count() >= 3;
    if ok {
        Ok(())
    } else {
        Err(invalid(format!(
            "sharedSecret must be {MIN_SECRET_CHARS} to {MAX_SECRET_CHARS} printable ASCII characters without spaces, \
             mixing at least three of: lower case, upper case, digits, symbols"
        )))
    }
}

/// Checks `input` against the rules of `kind`.
pub(super) fn validate(kind: Kind, input: ConfigInput) -> Result<Valid, DomainError> {
    let name = kit::ids::name("name", &input.name)?;
    if input.auth_scheme.is_empty() {
        return Err(invalid(format!("authScheme must list at least one of {}", METHODS.join(", "))));
    }
    let mut scheme = Vec::new();
    for m in &input.auth_scheme {
        let m = method("authScheme", m)?;
        if !scheme.contains(&m) {
            scheme.push(m);
        }
    }
    let push_keyword = keyword("pushKeyword", &input.push_keyword)?;
    let ivr_keyword = input.ivr_keyword.as_deref().map(|k| keyword("ivrKeyword", k)).transpose()?;
    if scheme.iter().any(|m| m == "ivr") && ivr_keyword.is_none() {
        return Err(invalid("ivrKeyword is required when authScheme has ivr"));
    }
    if ivr_keyword.as_deref().is_some_and(|k| k.eq_ignore_ascii_case(&push_keyword)) {
        return Err(invalid("ivrKeyword must differ from pushKeyword"));
    }
    let mut config = ProxyConfig { name, auth_scheme: scheme, push_keyword, ivr_keyword, ..ProxyConfig::default() };
    match kind {
        Kind::Radius => {
            if input.is_default_auth_method_enable.is_some() || input.default_auth_method.is_some() {
                return Err(invalid(
                    "isDefaultAuthMethodEnable and defaultAuthMethod are fields of an auth proxy configuration",
                ));
            }
            config.ivr_line = input.ivr_line.as_deref().map(|l| kit::ids::name("ivrLine", l)).transpose()?;
        }
        Kind::AuthProxy => {
            if input.ivr_line.is_some() {
                return Err(invalid("ivrLine is a field of a radius configuration"));
            }
            let enabled = input.is_default_auth_method_enable.unwrap_or(false);
            config.is_default_auth_method_enable = Some(enabled);
            if enabled {
                let given = input
                    .default_auth_method
                    .as_deref()
                    .ok_or_else(|| invalid("defaultAuthMethod is required when isDefaultAuthMethodEnable is true"))?;
                let m = method("defaultAuthMethod", given)?;
                if !config.auth_scheme.contains(&m) {
                    return Err(invalid("defaultAuthMethod must be one of authScheme"));
                }
                config.default_auth_method = Some(m);
            }
        }
    }
    config.address = input.address.as_deref().map(address).transpose()?;
    config.port = match input.port {
        Some(p) => Some(port(p)?),
        None => kind.default_port(),
    };
    if let Some(s) = &input.shared_secret {
        shared_secret(s)?;
    }
    Ok(Valid { config, shared_secret: input.shared_secret.map(Zeroizing::new) })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn input(scheme: &[&str]) -> ConfigInput {
        ConfigInput {
            name: "VPN".into(),
            auth_scheme: scheme.iter().map(|s| (*s).to_owned()).collect(),
            push_keyword: "push".into(),
            ..ConfigInput::default()
        }
    }

    #[test]
    fn addresses_ports_and_secrets() {
        for (given, kept) in [
            ("10.1.2.3", "10.1.2.3"),
            ("10.0.0.0/8", "10.0.0.0/8"),
            ("::1", "::1"),
            ("fd00::/64", "fd00::/64"),
            (" NAS-1.Corp.Example ", "nas-1.corp.example"),
        ] {
            assert_eq!(address(given).unwrap(), kept);
        }
        for bad in ["", "10.0.0.0/33", "::/129", "10.0.0.300", "a b", "-x.example", "x..example", "1.2.3.4/x"] {
            assert!(address(bad).is_err(), "{bad}");
        }
        assert_eq!((port(1).unwrap(), port(65535).unwrap()), (1, 65535));
        assert!(port(0).is_err() && port(65536).is_err() && port(-1).is_err());
        for good in ["Tr0ub4dor&3-Horse", "abcdefgh12345678!", "ABCDEFGH12345678abc"] {
            assert!(shared_secret(good).is_ok(), "{good}");
        }
        let long = "Aa1!".repeat(33);
        for bad in ["Short1!a", "alllowercaseletters", "abcdefghijklmnop12", "with space Aa1!xxxxx", long.as_str()] {
            assert!(shared_secret(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn the_kinds_keep_their_own_fields() {
        let radius = validate(Kind::Radius, input(&["push", "push"])).unwrap().config;
        assert_eq!((radius.auth_scheme, radius.port), (vec!["push".to_owned()], Some(1812)));
        assert!(
            validate(Kind::Radius, ConfigInput { is_default_auth_method_enable: Some(true), ..input(&["push"]) })
                .is_err()
        );
        assert!(validate(Kind::AuthProxy, ConfigInput { ivr_line: Some("1".into()), ..input(&["push"]) }).is_err());
        assert!(validate(Kind::Radius, input(&["ivr"])).is_err(), "ivr needs its keyword");
        assert!(validate(Kind::Radius, input(&[])).is_err() && validate(Kind::Radius, input(&["sms"])).is_err());
        let off = ConfigInput { default_auth_method: Some("push".into()), ..input(&["push"]) };
        let proxy = validate(Kind::AuthProxy, off).unwrap().config;
        assert_eq!(
            (proxy.is_default_auth_method_enable, proxy.default_auth_method, proxy.port),
            (Some(false), None, None)
        );
        let on = |m: &str| ConfigInput {
            is_default_auth_method_enable: Some(true),
            default_auth_method: Some(m.into()),
            ..input(&["push"])
        };
        assert_eq!(validate(Kind::AuthProxy, on("push")).unwrap().config.default_auth_method.as_deref(), Some("push"));
        assert!(validate(Kind::AuthProxy, on("ivr")).is_err(), "not in authScheme");
    }
}
