//! Email and SMS templates of a community, by purpose ([`Purpose`]), channel ([`Channel`]) and
//! id: `name`, `subject` (email only), `data` (the body) and `isDefault` (at most one default per
//! purpose and channel). A template is checked on write by compiling and rendering it (subject and
//! body) against the documented variables of its purpose ([`builtin`]); [`render`] gives later
//! issues the message to send: the community's default template, or the built-in one.
//!
//! Each write ([`put`], [`delete`]) records one [`Change`] per template (kind `template`, record
//! `purpose.channel.id`, the names of the fields that changed), in the store's transaction.

pub mod builtin;
pub mod engine;
mod write;

use std::collections::BTreeMap;

use async_trait::async_trait;
use kit::StoreError;
use serde::{Deserialize, Serialize};
use serde_json::{Map, Value, json};

pub use write::{delete, plan_delete, plan_put, put};

use super::DomainError;
use super::audit::Change;

/// Longest `name`.
pub const MAX_NAME: usize = 100;
/// Longest `subject` (characters).
pub const MAX_SUBJECT: usize = 255;
/// Longest email body (bytes).
pub const MAX_EMAIL_BODY: usize = 100 * 1024;
/// Longest SMS body (characters: ten concatenated segments).
pub const MAX_SMS_BODY: usize = 1600;
/// Most templates one write gives or deletes.
pub const MAX_PER_WRITE: usize = 50;
/// Longest template id (letters, digits, `-` and `_`).
pub const MAX_ID: usize = 64;

/// What a template is for (the spec's `self_onboarding` and the messages its endpoints send:
/// invitations, password reset links, one-time codes, phone verification).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Purpose {
    /// Account creation magic link (`PUT /register/sendverify`).
    SelfOnboarding,
    /// Invitation of a user (`PUT /users/invite`).
    Invite,
    /// Password reset link (`PUT /password_reset/sendverify`).
    ResetPassword,
    /// One-time code.
    Otp,
    /// Phone number verification.
    PhoneVerify,
}

impl Purpose {
    /// Every purpose.
    pub const ALL: [Self; 5] = [Self::SelfOnboarding, Self::Invite, Self::ResetPassword, Self::Otp, Self::PhoneVerify];

    /// The wire name.
    pub fn name(self) -> &'static str {
        match self {
            Self::SelfOnboarding => "self_onboarding",
            Self::Invite => "invite",
            Self::ResetPassword => "reset_password",
            Self::Otp => "otp",
            Self::PhoneVerify => "phone_verify",
        }
    }

    /// Parses a wire name; the error names `field` and the purposes.
    pub fn parse(field: &str, text: &str) -> Result<Self, DomainError> {
        Self::ALL.into_iter().find(|p| p.name() == text).ok_or_else(|| {
            let names: Vec<&str> = Self::ALL.iter().map(|p| p.name()).collect();
            DomainError::Invalid(format!("{field} must be one of {}", names.join(", ")))
        })
    }
}

/// How a message is sent.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Channel {
    /// An HTML email with a subject (variables are HTML-escaped).
    Email,
    /// A text message (no escaping, no subject).
    Sms,
}

impl Channel {
    /// The wire name.
    pub fn name(self) -> &'static str {
        match self {
            Self::Email => "email",
            Self::Sms => "sms",
        }
    }

    /// Parses a wire name; the error names `field`.
    pub fn parse(field: &str, text: &str) -> Result<Self, DomainError> {
        [Self::Email, Self::Sms]
            .into_iter()
            .find(|c| c.name() == text)
            .ok_or_else(|| DomainError::Invalid(format!("{field} must be email or sms")))
    }
}

/// A stored template.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Template {
    pub purpose: Purpose,
    pub channel: Channel,
    pub id: String,
    pub name: String,
    /// Email only.
    pub subject: Option<String>,
    /// The body.
    pub data: String,
    pub is_default: bool,
    pub updated_by: String,
    /// Epoch seconds.
    pub updated_at: i64,
}

impl Template {
    /// `purpose.channel.id`, as key paths and messages name it.
    pub fn path(&self) -> String {
        format!("{}.{}.{}", self.purpose.name(), self.channel.name(), self.id)
    }

    /// The wire form (`{name, subject, data, isDefault}`).
    pub fn body(&self) -> Value {
        let mut body = json!({"name": self.name, "data": self.data, "isDefault": self.is_default});
        if let Some(subject) = &self.subject {
            body["subject"] = json!(subject);
        }
        body
    }
}

/// One template of a write, as a client gives it (`templateData.<purpose>.<channel>.<id>`).
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct Given {
    name: String,
    subject: Option<String>,
    data: String,
    #[serde(default, rename = "isDefault")]
    is_default: bool,
}

/// What one write does, all or nothing.
#[derive(Debug, Default, Clone, PartialEq)]
pub struct Write {
    pub tenant_id: String,
    pub community_id: String,
    /// Templates created or replaced.
    pub upserts: Vec<Template>,
    /// Templates deleted.
    pub deletes: Vec<Template>,
    /// One per template written or deleted.
    pub changes: Vec<Change>,
}

/// Where templates are kept (`crate::store::SqlTemplates`).
#[async_trait]
pub trait TemplateStore: Send + Sync {
    /// Every template of the community, by purpose, channel and id.
    async fn list(&self, community_id: &str) -> Result<Vec<Template>, StoreError>;
    /// The community's default template of `purpose` on `channel`.
    async fn default_of(
        &self,
        community_id: &str,
        purpose: Purpose,
        channel: Channel,
    ) -> Result<Option<Template>, StoreError>;
    /// Applies `write` (deletes, then upserts, then the changes) in one transaction.
    async fn write(&self, write: &Write) -> Result<(), StoreError>;
}

fn template_id(field: &str, id: &str) -> Result<String, DomainError> {
    let ok =
        !id.is_empty() && id.len() <= MAX_ID && id.chars().all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_');
    if ok {
        Ok(id.to_owned())
    } else {
        Err(DomainError::Invalid(format!("{field} must be 1 to {MAX_ID} letters, digits, - or _")))
    }
}

fn object<'a>(field: &str, value: &'a Value) -> Result<&'a Map<String, Value>, DomainError> {
    value.as_object().ok_or_else(|| DomainError::Invalid(format!("{field} must be an object")))
}

/// Checks a template's sizes, then compiles and renders its subject and body against its
/// purpose's variables; errors name the template (`purpose.channel.id`) and the engine's error
/// kind and line.
pub fn check(t: &Template) -> Result<(), DomainError> {
    let path = t.path();
    let invalid = |m: String| Err(DomainError::Invalid(format!("template {path}: {m}")));
    if t.name.trim().is_empty() || t.name.chars().count() > MAX_NAME {
        return invalid(format!("name must be 1 to {MAX_NAME} characters"));
    }
    match (t.channel, &t.subject) {
        (Channel::Email, None) => return invalid("subject is required for an email".into()),
        (Channel::Email, Some(s)) if s.trim().is_empty() || s.chars().count() > MAX_SUBJECT => {
            return invalid(format!("subject must be 1 to {MAX_SUBJECT} characters"));
        }
        (Channel::Sms, Some(_)) => return invalid("subject is only for an email".into()),
        _ => {}
    }
    let too_long = match t.channel {
        Channel::Email => t.data.len() > MAX_EMAIL_BODY,
        Channel::Sms => t.data.chars().count() > MAX_SMS_BODY,
    };
    if t.data.trim().is_empty() || too_long {
        let max = if t.channel == Channel::Email {
            format!("{MAX_EMAIL_BODY} bytes")
        } else {
            format!("{MAX_SMS_BODY} characters")
        };
        return invalid(format!("data must be 1 to {max}"));
    }
    let vars = builtin::sample(t.purpose);
    if let Some(subject) = &t.subject
        && let Err(e) = engine::render(subject, false, &vars)
    {
        return invalid(format!("subject: {e}"));
    }
    if let Err(e) = engine::render(&t.data, t.channel == Channel::Email, &vars) {
        return invalid(format!("data: {e}"));
    }
    Ok(())
}

/// The templates a `templateData` object gives, each checked ([`check`]), stamped with `actor`
/// and `at`; at most one default per purpose and channel.
pub fn parse_template_data(data: &Value, actor: &str, at: i64) -> Result<Vec<Template>, DomainError> {
    let mut out = Vec::new();
    for (p, channels) in object("templateData", data)? {
        let purpose = Purpose::parse(&format!("templateData.{p}"), p)?;
        for (c, ids) in object(&format!("templateData.{p}"), channels)? {
            let channel = Channel::parse(&format!("templateData.{p}.{c}"), c)?;
            for (id, body) in object(&format!("templateData.{p}.{c}"), ids)? {
                let field = format!("templateData.{p}.{c}");
                let id = template_id(&format!("{field} keys"), id)?;
                let given: Given = envelope::deser::from_value(body.clone())
                    .map_err(|e| DomainError::Invalid(format!("{field}.{id}: {e}")))?;
                let t = Template {
                    purpose,
                    channel,
                    id,
                    name: given.name.trim().to_owned(),
                    subject: given.subject,
                    data: given.data,
                    is_default: given.is_default,
                    updated_by: actor.to_owned(),
                    updated_at: at,
                };
                check(&t)?;
                if t.is_default && out.iter().any(|o: &Template| o.is_default && same_slot(o, &t)) {
                    return Err(DomainError::Invalid(format!(
                        "templateData.{p}.{c} gives more than one default template"
                    )));
                }
                out.push(t);
            }
        }
    }
    if out.is_empty() || out.len() > MAX_PER_WRITE {
        return Err(DomainError::Invalid(format!("templateData must give 1 to {MAX_PER_WRITE} templates")));
    }
    Ok(out)
}

fn same_slot(a: &Template, b: &Template) -> bool {
    a.purpose == b.purpose && a.channel == b.channel
}

/// `templates` in the wire form: `{purpose: {channel: {id: {name, subject, data, isDefault}}}}`,
/// only the `purposes` given (all when empty).
pub fn to_template_data(templates: &[Template], purposes: &[Purpose]) -> Value {
    let mut out: BTreeMap<&str, BTreeMap<&str, Map<String, Value>>> = BTreeMap::new();
    for t in templates.iter().filter(|t| purposes.is_empty() || purposes.contains(&t.purpose)) {
        out.entry(t.purpose.name()).or_default().entry(t.channel.name()).or_default().insert(t.id.clone(), t.body());
    }
    json!(out)
}

/// The purposes a fetch names (`purposes[i]`).
pub fn parse_purposes(given: &[String]) -> Result<Vec<Purpose>, DomainError> {
    given.iter().enumerate().map(|(i, p)| Purpose::parse(&format!("purposes[{i}]"), p)).collect()
}

/// A message ready to send.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Rendered {
    /// Email only.
    pub subject: Option<String>,
    pub body: String,
}

/// The message of `purpose` on `channel` for a community, from its default template (or the
/// built-in one, [`builtin::template`]) rendered with `variables` (the purpose's documented ones;
/// `params` may be left out). Email bodies escape the variables as HTML.
pub async fn render(
    store: &dyn TemplateStore,
    community_id: &str,
    purpose: Purpose,
    channel: Channel,
    variables: &Value,
) -> Result<Rendered, DomainError> {
    let mut vars = variables.clone();
    if let Some(map) = vars.as_object_mut() {
        map.entry("params").or_insert_with(|| json!({}));
    }
    let stored = store.default_of(community_id, purpose, channel).await?;
    let (subject, body, name) = match &stored {
        Some(t) => (t.subject.as_deref(), t.data.as_str(), t.path()),
        None => {
            let (subject, body) = builtin::template(purpose, channel);
            (subject, body, format!("built-in {}.{}", purpose.name(), channel.name()))
        }
    };
    let failed = |part: &str, e: engine::EngineError| DomainError::Invalid(format!("template {name}: {part}: {e}"));
    let subject = subject.map(|s| engine::render(s, false, &vars)).transpose().map_err(|e| failed("subject", e))?;
    let body = engine::render(body, channel == Channel::Email, &vars).map_err(|e| failed("data", e))?;
    Ok(Rendered { subject, body })
}

#[cfg(test)]
mod tests;
