//! The invitation message: its link (`<the community's invitation base URL>/<code>`) and the
//! template `templateKeyPath` picks among the community's `invite` templates.
//!
//! The base URL comes from `INVITATION_BASE_URL`, where `{dns}` stands for the tenant's DNS name
//! and `{community}` for the community's name (default `https://{dns}/{community}/invitation`).
//! `templateKeyPath` is `default` (the community's default `invite` template, else the built-in
//! one), a template id, or a key path `invite.<email|sms>.<id>` as the templates group writes it:
//! the template of that id on the channel sent (a key path naming the other channel leaves this
//! one on its default).

use kit::config::{ConfigError, Settings};
use kit::directory::CommunityRef;
use serde_json::{Value, json};

use super::DomainError;
use crate::domain::templates::{self, Channel, Purpose, Rendered, TemplateStore, engine};

/// The default of `INVITATION_BASE_URL`.
pub const DEFAULT_BASE_URL: &str = "https://{dns}/{community}/invitation";
/// The default of `PASSWORD_RESET_BASE_URL`, the base of password reset links.
pub const DEFAULT_RESET_BASE_URL: &str = "https://{dns}/{community}/password_reset";
/// The `templateKeyPath` of the community's default template.
pub const DEFAULT_TEMPLATE: &str = "default";

/// Makes invitation links.
#[derive(Debug, Clone)]
pub struct Links {
    base: String,
}

/// `text` percent-encoded for a URL path segment.
fn segment(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for b in text.bytes() {
        if b.is_ascii_alphanumeric() || matches!(b, b'-' | b'_' | b'.' | b'~') {
            out.push(char::from(b));
        } else {
            out.push_str(&format!("%{b:02X}"));
        }
    }
    out
}

impl Links {
    /// Links under `base` (an http(s) URL, `{dns}` and `{community}` replaced per community).
    pub fn new(base: &str) -> Result<Self, ConfigError> {
        let base = base.trim().trim_end_matches('/');
        let scheme_ok = base.starts_with("https://") || base.starts_with("http://");
        if !scheme_ok || base.len() < 10 || base.chars().any(|c| c.is_whitespace() || c.is_control()) {
            return Err(ConfigError("INVITATION_BASE_URL must be an http(s) URL without spaces".into()));
        }
        Ok(Self { base: base.to_owned() })
    }

    /// From `INVITATION_BASE_URL`.
    pub fn from_settings(settings: &Settings) -> Result<Self, ConfigError> {
        Self::new(settings.var("INVITATION_BASE_URL")?.as_deref().unwrap_or(DEFAULT_BASE_URL))
    }

    /// The links of password resets, from `PASSWORD_RESET_BASE_URL`.
    pub fn reset_from_settings(settings: &Settings) -> Result<Self, ConfigError> {
        let base = settings.var("PASSWORD_RESET_BASE_URL")?;
        Self::new(base.as_deref().unwrap_or(DEFAULT_RESET_BASE_URL))
            .map_err(|_| ConfigError("PASSWORD_RESET_BASE_URL must be an http(s) URL without spaces".into()))
    }

    /// The link of `code` in `community`.
    pub fn link(&self, community: &CommunityRef, code: &str) -> String {
        let base = self.base.replace("{dns}", &community.tenant_dns).replace("{community}", &segment(&community.name));
        format!("{base}/{code}")
    }
}

/// What `templateKeyPath` picks.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum TemplateChoice {
    /// The community's default (or the built-in one).
    Default,
    /// The template of this id on every channel sent.
    Id(String),
    /// The template of this id on this channel; the default on the other.
    OnChannel(Channel, String),
}

/// Parses a `templateKeyPath`.
pub fn template_choice(given: &str) -> Result<TemplateChoice, DomainError> {
    let bad = || {
        DomainError::Invalid(format!(
            "templateKeyPath must be {DEFAULT_TEMPLATE}, a template id or invite.<email|sms>.<id>"
        ))
    };
    let id = |text: &str| {
        let ok = !text.is_empty()
            && text.len() <= templates::MAX_ID
            && text.chars().all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_');
        if ok { Ok(text.to_owned()) } else { Err(bad()) }
    };
    let given = given.trim();
    if given == DEFAULT_TEMPLATE {
        return Ok(TemplateChoice::Default);
    }
    match given.split('.').collect::<Vec<_>>()[..] {
        [one] => Ok(TemplateChoice::Id(id(one)?)),
        [purpose, channel, one] if purpose == Purpose::Invite.name() => {
            let channel = Channel::parse("templateKeyPath", channel).map_err(|_| bad())?;
            Ok(TemplateChoice::OnChannel(channel, id(one)?))
        }
        _ => Err(bad()),
    }
}

/// Refuses (404) a `choice` naming a template the community does not have on one of `channels`,
/// before a code is made for nothing.
pub async fn check(
    store: &dyn TemplateStore,
    community: &CommunityRef,
    choice: &TemplateChoice,
    channels: &[Channel],
) -> Result<(), DomainError> {
    if *choice == TemplateChoice::Default {
        return Ok(());
    }
    let all = store.list(&community.id).await?;
    for channel in channels {
        let id = match choice {
            TemplateChoice::Id(id) => id,
            TemplateChoice::OnChannel(on, id) if on == channel => id,
            _ => continue,
        };
        if !all.iter().any(|t| t.purpose == Purpose::Invite && t.channel == *channel && t.id == *id) {
            return Err(missing(*channel));
        }
    }
    Ok(())
}

fn missing(channel: Channel) -> DomainError {
    DomainError::NotFound(format!("templateKeyPath names no invite template of the community for {}", channel.name()))
}

/// The invitation of `user` (`firstname`, `lastname`, `username`) with `link`, on `channel`,
/// from the template `choice` picks.
pub async fn render(
    store: &dyn TemplateStore,
    community: &CommunityRef,
    choice: &TemplateChoice,
    channel: Channel,
    user: &Value,
    link: &str,
) -> Result<Rendered, DomainError> {
    let vars = json!({"user": user, "link": link, "community": {"name": community.name}, "params": {}});
    let id = match choice {
        TemplateChoice::Id(id) => id,
        TemplateChoice::OnChannel(on, id) if *on == channel => id,
        _ => return templates::render(store, &community.id, Purpose::Invite, channel, &vars).await,
    };
    let all = store.list(&community.id).await?;
    let Some(t) = all.iter().find(|t| t.purpose == Purpose::Invite && t.channel == channel && t.id == *id) else {
        return Err(missing(channel));
    };
    let failed =
        |part: &str, e: engine::EngineError| DomainError::Invalid(format!("template {}: {part}: {e}", t.path()));
    let subject =
        t.subject.as_deref().map(|s| engine::render(s, false, &vars)).transpose().map_err(|e| failed("subject", e))?;
    let body = engine::render(&t.data, channel == Channel::Email, &vars).map_err(|e| failed("data", e))?;
    Ok(Rendered { subject, body })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn community() -> CommunityRef {
        CommunityRef {
            id: "0123456789abcdef01234567".into(),
            name: "blue team".into(),
            tenant_id: "0123456789abcdef01234568".into(),
            tenant_dns: "acme.example.com".into(),
        }
    }

    #[test]
    fn links_put_the_code_under_the_communitys_base() {
        let links = Links::new(DEFAULT_BASE_URL).unwrap();
        assert_eq!(links.link(&community(), "abc_-1"), "https://acme.example.com/blue%20team/invitation/abc_-1");
        let fixed = Links::new("http://127.0.0.1:9/accept/").unwrap();
        assert_eq!(fixed.link(&community(), "c0de"), "http://127.0.0.1:9/accept/c0de");
        for bad in ["ftp://x.example.com", "https://a b.example.com", "", "https://"] {
            assert!(Links::new(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn template_key_paths_name_a_template_of_the_invite_purpose() {
        assert_eq!(template_choice(" default ").unwrap(), TemplateChoice::Default);
        assert_eq!(template_choice("welcome-1").unwrap(), TemplateChoice::Id("welcome-1".into()));
        assert_eq!(
            template_choice("invite.sms.short").unwrap(),
            TemplateChoice::OnChannel(Channel::Sms, "short".into())
        );
        for bad in ["", "otp.email.x", "invite.fax.x", "invite.email", "a b", "invite.email.x.y"] {
            let e = template_choice(bad).unwrap_err().to_string();
            assert!(e.starts_with("templateKeyPath must be"), "{bad}: {e}");
        }
    }
}
