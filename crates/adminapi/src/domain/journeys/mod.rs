//! Authentication journeys of a community: policies that decide, at every login, whether the
//! user is let in at once, refused, or must pass a second factor.
//!
//! A journey has conditions ([`Conditions`]: the user's `groups` overlap a list, the device's id
//! overlaps a list, the requesting app is (`eq`) or is `in` a list, the username is `in` a list,
//! the client address is `in_range` of addresses and CIDR networks, the device's `domain` is one
//! name) and a [`Decision`]: `allow`, `deny`, or `mfa_required` with the
//! [authentication methods](Method) that may finish the login. Every condition it has must hold
//! for a journey to match; a fact the login does not carry (no `facts` header, so no device) never
//! satisfies a condition on it. [`evaluate::choose`] picks the journey of a login among the
//! enabled ones: the most specific first (the most conditions), then the strictest decision
//! (`deny` before `mfa_required` before `allow`), then the oldest. No matching journey: the login
//! is let in as before journeys existed.
//!
//! Administrators create, read, update and delete journeys ([`Journeys`]); every write records a
//! [`Change`] (field names only) in the same transaction. Names are unique in a community.

pub mod evaluate;
pub mod rules;

use std::sync::Arc;

use async_trait::async_trait;
use kit::StoreError;
use serde::{Deserialize, Serialize};

pub use rules::IpRange;

use super::DomainError;
use super::audit::{Change, changed_fields};
use super::config::Owner;

/// The kind of record in the audit log.
pub const KIND: &str = "auth_journey";
/// Journeys one community may have (each login reads them all).
pub const MAX_PER_COMMUNITY: usize = 100;

/// What a journey decides.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Action {
    /// The login goes on with the factors it has.
    Allow,
    /// The login is refused (403), whatever its factors.
    Deny,
    /// The login needs one of the decision's methods.
    MfaRequired,
}

impl Action {
    /// Every action, as named on the wire.
    pub const ALL: [Self; 3] = [Self::Allow, Self::Deny, Self::MfaRequired];

    /// The wire name.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Allow => "allow",
            Self::Deny => "deny",
            Self::MfaRequired => "mfa_required",
        }
    }

    /// The action named `name`.
    pub fn parse(name: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|a| a.as_str() == name.trim())
    }

    /// Ties between equally specific journeys go to the strictest.
    fn strictness(self) -> u8 {
        match self {
            Self::Allow => 0,
            Self::MfaRequired => 1,
            Self::Deny => 2,
        }
    }
}

/// The documented authentication methods of an `mfa_required` decision. Each starts with the
/// user's password; they differ in the second factor.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Method {
    /// The password, then a one-time passcode: one sent by `PUT /generate/otp` (email or SMS),
    /// a helpdesk passcode or a hardware token's code (`web_otp` / `any_otp`, or `passcode` on
    /// `POST /authenticate`).
    PasswordAndOtp,
    /// The password, then a passcode an administrator generated with
    /// `POST /helpdesk-passcode/generate` and read out to the user (`any_otp`, or `passcode`).
    /// adminapi's passcode check accepts every kind of passcode of the user, so this finishes the
    /// same way as [`Method::PasswordAndOtp`]; the name tells the login page what to offer.
    HelpdeskOtp,
    /// A typing pattern, then the user's PIN (`behavior_auth`, `user_pin`): valid in a journey,
    /// but no login finishes with it yet (the behavior factor is built apart).
    BehaviorAuthAndUserPin,
}

impl Method {
    /// Every method, as named on the wire.
    pub const ALL: [Self; 3] = [Self::PasswordAndOtp, Self::HelpdeskOtp, Self::BehaviorAuthAndUserPin];

    /// The wire name.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::PasswordAndOtp => "password_and_otp",
            Self::HelpdeskOtp => "helpdesk_otp",
            Self::BehaviorAuthAndUserPin => "behavior_auth_and_user_pin",
        }
    }

    /// The method named `name`.
    pub fn parse(name: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|m| m.as_str() == name.trim())
    }

    /// The facts of `POST /v2/request_access` that finish a login after the password, when a
    /// login can finish with this method here.
    pub fn second_factors(self) -> Option<&'static [&'static str]> {
        match self {
            Self::PasswordAndOtp => Some(&["web_otp", "any_otp"]),
            Self::HelpdeskOtp => Some(&["any_otp"]),
            Self::BehaviorAuthAndUserPin => None,
        }
    }
}

/// What a journey decides, and how an `mfa_required` login may finish.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Decision {
    pub action: Action,
    /// Empty unless the action is `mfa_required`.
    pub methods: Vec<Method>,
}

/// The requesting-app condition (`application` in v1, `requestingAppId` in v2).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum AppMatch {
    Eq(String),
    In(Vec<String>),
}

/// The conditions of a journey; `None` is no condition.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Conditions {
    /// `overlap`: the user is in one of these groups (without case).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub groups: Option<Vec<String>>,
    /// `overlap`: the device's id (`facts.deviceId`) is one of these (exact).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub device_ids: Option<Vec<String>>,
    /// The requesting app (the `appid` of the request's `requestid`), without case.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub app: Option<AppMatch>,
    /// `in`: the user's username is one of these (without case).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub usernames: Option<Vec<String>>,
    /// `in_range`: the client's address is in one of these.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub ip: Option<Vec<IpRange>>,
    /// The device's domain (`facts.deviceDomain`), without case.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub domain: Option<String>,
}

impl Conditions {
    /// How many conditions there are: the specificity of the journey.
    pub fn count(&self) -> usize {
        [
            self.groups.is_some(),
            self.device_ids.is_some(),
            self.app.is_some(),
            self.usernames.is_some(),
            self.ip.is_some(),
            self.domain.is_some(),
        ]
        .into_iter()
        .filter(|c| *c)
        .count()
    }
}

/// A journey as an administrator writes it (checked: see [`rules`]).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Draft {
    pub name: String,
    /// A label to fetch journeys by (`adaptive_auth_fallback_policy_v2`); not a condition.
    pub category: Option<String>,
    pub enabled: bool,
    pub conditions: Conditions,
    pub decision: Decision,
}

/// What a journey stores besides its columns: its conditions and decision.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Policy {
    pub conditions: Conditions,
    pub decision: Decision,
}

/// A stored journey.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Journey {
    /// 24 hex digits.
    pub id: String,
    pub tenant_id: String,
    pub community_id: String,
    pub draft: Draft,
    /// Epoch seconds.
    pub created_at: i64,
    pub updated_at: i64,
}

/// Where journeys are kept (`crate::store::SqlJourneys`). Writes record their [`Change`] in the
/// same transaction.
#[async_trait]
pub trait JourneyStore: Send + Sync {
    /// Adds a journey; `Conflict` when the community has one of that name.
    async fn insert(&self, journey: &Journey, change: &Change) -> Result<(), StoreError>;
    /// The community's journeys, oldest first.
    async fn list(&self, community_id: &str) -> Result<Vec<Journey>, StoreError>;
    /// Writes `journey` over the stored one; false when it is gone; `Conflict` on a name taken.
    async fn save(&self, journey: &Journey, change: &Change) -> Result<bool, StoreError>;
    /// Deletes the community's journey `id`; false when it is gone.
    async fn delete(&self, community_id: &str, id: &str, change: &Change) -> Result<bool, StoreError>;
}

/// The journeys of every community.
#[derive(Clone)]
pub struct Journeys {
    store: Arc<dyn JourneyStore>,
}

impl std::fmt::Debug for Journeys {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Journeys").finish_non_exhaustive()
    }
}

/// The fields of a draft as the audit log names them.
fn audited(d: &Draft) -> serde_json::Value {
    let mut fields = serde_json::to_value(&d.conditions).unwrap_or_default();
    if let serde_json::Value::Object(map) = &mut fields {
        map.insert("name".into(), d.name.clone().into());
        map.insert("category".into(), d.category.clone().into());
        map.insert("enabled".into(), d.enabled.into());
        map.insert("decision".into(), serde_json::to_value(&d.decision).unwrap_or_default());
    }
    fields
}

fn change(j: &Journey, action: &str, fields: Vec<String>, actor: &str, at: i64) -> Change {
    Change {
        tenant_id: j.tenant_id.clone(),
        community_id: j.community_id.clone(),
        kind: KIND.to_owned(),
        record: j.id.clone(),
        action: action.to_owned(),
        fields,
        actor: actor.to_owned(),
        at,
    }
}

fn name_taken(e: StoreError) -> DomainError {
    match e {
        StoreError::Conflict(_) => DomainError::Conflict("the community has a journey of that name".into()),
        other => other.into(),
    }
}

fn not_found() -> DomainError {
    DomainError::NotFound("no such authentication journey in the community".into())
}

impl Journeys {
    /// Over `store`.
    pub fn new(store: Arc<dyn JourneyStore>) -> Self {
        Self { store }
    }

    /// The community's journeys, oldest first.
    pub async fn list(&self, community_id: &str) -> Result<Vec<Journey>, DomainError> {
        Ok(self.store.list(community_id).await?)
    }

    /// The community's journey `id` (404 when it has none).
    pub async fn get(&self, community_id: &str, id: &str) -> Result<Journey, DomainError> {
        let id = kit::ids::object_id("id", id)?;
        self.list(community_id).await?.into_iter().find(|j| j.id == id).ok_or_else(not_found)
    }

    /// Adds `draft` to the community.
    pub async fn create(&self, owner: Owner<'_>, actor: &str, draft: Draft, now: i64) -> Result<Journey, DomainError> {
        if self.store.list(owner.community_id).await?.len() >= MAX_PER_COMMUNITY {
            return Err(DomainError::Invalid(format!("a community has at most {MAX_PER_COMMUNITY} journeys")));
        }
        let journey = Journey {
            id: kit::ids::new_object_id(),
            tenant_id: owner.tenant_id.to_owned(),
            community_id: owner.community_id.to_owned(),
            draft,
            created_at: now,
            updated_at: now,
        };
        let fields = changed_fields(&serde_json::json!({}), &audited(&journey.draft));
        self.store.insert(&journey, &change(&journey, "create", fields, actor, now)).await.map_err(name_taken)?;
        Ok(journey)
    }

    /// Replaces journey `id` of the community with `draft`.
    pub async fn update(
        &self,
        owner: Owner<'_>,
        actor: &str,
        id: &str,
        draft: Draft,
        now: i64,
    ) -> Result<Journey, DomainError> {
        let before = self.get(owner.community_id, id).await?;
        let fields = changed_fields(&audited(&before.draft), &audited(&draft));
        let journey = Journey { draft, updated_at: now, ..before };
        let saved =
            self.store.save(&journey, &change(&journey, "update", fields, actor, now)).await.map_err(name_taken)?;
        if saved { Ok(journey) } else { Err(not_found()) }
    }

    /// Deletes journey `id` of the community.
    pub async fn delete(&self, owner: Owner<'_>, actor: &str, id: &str, now: i64) -> Result<(), DomainError> {
        let journey = self.get(owner.community_id, id).await?;
        let record = change(&journey, "delete", Vec::new(), actor, now);
        if self.store.delete(owner.community_id, &journey.id, &record).await? { Ok(()) } else { Err(not_found()) }
    }
}
