//! The two views of a journey on the wire. Authentication Journey (v1) and Authentication
//! Journey V 2 are two views of the same records: v1 names a journey `journeyName`, its users
//! `username` and its requesting app `application`; v2 says `name`, `usernames` and
//! `requestingAppId`. Everything else is shared (`enabled`, `category`, `groups`, `deviceId`,
//! `ip`, `domain`, `decision`), and each view shows and takes every condition, so a journey
//! written in one is read whole in the other.

use serde::Deserialize;
use serde_json::{Map, Value, json};
use utoipa::ToSchema;

use crate::domain::DomainError;
use crate::domain::journeys::{AppMatch, Conditions, Draft, Journey, rules};

/// Which view.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum View {
    V1,
    V2,
}

impl View {
    /// The names of the journey's name, usernames and app fields.
    fn names(self) -> (&'static str, &'static str, &'static str) {
        match self {
            Self::V1 => ("journeyName", "username", "application"),
            Self::V2 => ("name", "usernames", "requestingAppId"),
        }
    }
}

/// A condition: its `value` (a list, or one text with `eq`) and `operator`.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ConditionBody {
    #[schema(value_type = Object)]
    value: Value,
    operator: String,
}

/// What a journey decides.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
#[allow(non_snake_case)]
pub struct DecisionBody {
    /// `allow`, `deny` or `mfa_required`.
    action: String,
    /// With `mfa_required`: `password_and_otp`, `helpdesk_otp`, `behavior_auth_and_user_pin`.
    authenticationMethods: Option<Vec<String>>,
}

/// A journey in the v1 view (`PUT` and `PATCH /authenticationJourney`).
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
#[allow(non_snake_case)]
pub struct JourneyRequest {
    /// Only on `PATCH`, and then the path's.
    id: Option<String>,
    /// The community (default: the session's).
    pub tenantId: Option<String>,
    pub communityId: Option<String>,
    journeyName: Option<String>,
    /// Default true.
    enabled: Option<bool>,
    category: Option<String>,
    groups: Option<ConditionBody>,
    deviceId: Option<ConditionBody>,
    application: Option<ConditionBody>,
    username: Option<ConditionBody>,
    ip: Option<ConditionBody>,
    domain: Option<String>,
    decision: Option<DecisionBody>,
}

/// A journey in the v2 view (`PUT` and `PATCH /v2/authenticationJourney`).
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
#[allow(non_snake_case)]
pub struct JourneyV2Request {
    /// Only on `PATCH`, and then the path's.
    id: Option<String>,
    /// The community (default: the session's).
    pub tenantId: Option<String>,
    pub communityId: Option<String>,
    name: Option<String>,
    /// Default true.
    enabled: Option<bool>,
    category: Option<String>,
    groups: Option<ConditionBody>,
    deviceId: Option<ConditionBody>,
    requestingAppId: Option<ConditionBody>,
    usernames: Option<ConditionBody>,
    ip: Option<ConditionBody>,
    domain: Option<String>,
    decision: Option<DecisionBody>,
}

/// The fields of either view.
#[derive(Debug)]
pub struct Parts {
    id: Option<String>,
    name: Option<String>,
    enabled: Option<bool>,
    category: Option<String>,
    groups: Option<ConditionBody>,
    device_id: Option<ConditionBody>,
    app: Option<ConditionBody>,
    usernames: Option<ConditionBody>,
    ip: Option<ConditionBody>,
    domain: Option<String>,
    decision: Option<DecisionBody>,
}

impl From<JourneyRequest> for Parts {
    fn from(r: JourneyRequest) -> Self {
        Self {
            id: r.id,
            name: r.journeyName,
            enabled: r.enabled,
            category: r.category,
            groups: r.groups,
            device_id: r.deviceId,
            app: r.application,
            usernames: r.username,
            ip: r.ip,
            domain: r.domain,
            decision: r.decision,
        }
    }
}

impl From<JourneyV2Request> for Parts {
    fn from(r: JourneyV2Request) -> Self {
        Self {
            id: r.id,
            name: r.name,
            enabled: r.enabled,
            category: r.category,
            groups: r.groups,
            device_id: r.deviceId,
            app: r.requestingAppId,
            usernames: r.usernames,
            ip: r.ip,
            domain: r.domain,
            decision: r.decision,
        }
    }
}

fn invalid(message: impl Into<String>) -> DomainError {
    DomainError::Invalid(message.into())
}

/// `field` with its one `operator`: the list it holds.
fn list(field: &str, c: Option<ConditionBody>, operator: &str) -> Result<Option<Vec<String>>, DomainError> {
    c.map(|c| {
        rules::operator(field, &c.operator, operator)?;
        rules::texts(field, &c.value)
    })
    .transpose()
}

/// The id a body may carry: none, or `expected` (the path's, on `PATCH`).
pub fn check_id(parts: &Parts, expected: Option<&str>) -> Result<(), DomainError> {
    match (parts.id.as_deref().map(str::trim), expected) {
        (None, _) => Ok(()),
        (Some(_), None) => Err(invalid("id is chosen by the server: leave it out")),
        (Some(given), Some(path)) if given.eq_ignore_ascii_case(path) => Ok(()),
        (Some(_), Some(_)) => Err(invalid("id must be the id of the path")),
    }
}

/// The journey `parts` describe in `view`, checked field by field (each error names its field).
pub fn draft(parts: Parts, view: View) -> Result<Draft, DomainError> {
    let (name_field, users_field, app_field) = view.names();
    let name = parts.name.ok_or_else(|| invalid(format!("{name_field} is required")))?;
    let conditions = Conditions {
        groups: list("groups", parts.groups, "overlap")?,
        device_ids: list("deviceId", parts.device_id, "overlap")?,
        app: parts.app.map(|c| rules::app(app_field, &c.value, &c.operator)).transpose()?,
        usernames: list(users_field, parts.usernames, "in")?,
        ip: parts
            .ip
            .map(|c| {
                rules::operator("ip", &c.operator, "in_range")?;
                rules::ranges("ip", &c.value)
            })
            .transpose()?,
        domain: parts.domain.as_deref().map(rules::domain).transpose()?,
    };
    let decision = parts.decision.ok_or_else(|| invalid("decision is required"))?;
    Ok(Draft {
        name: rules::name(name_field, &name)?,
        category: parts.category.as_deref().map(rules::category).transpose()?,
        enabled: parts.enabled.unwrap_or(true),
        conditions,
        decision: rules::decision(&decision.action, decision.authenticationMethods.as_deref())?,
    })
}

/// The parts of a body in `view`: the body's own errors name the field.
pub fn parse(view: View, body: Value) -> Result<Parts, DomainError> {
    let bad = |e: envelope::deser::InputError| invalid(format!("invalid request body: {e}"));
    Ok(match view {
        View::V1 => envelope::deser::from_value::<JourneyRequest>(body).map_err(bad)?.into(),
        View::V2 => envelope::deser::from_value::<JourneyV2Request>(body).map_err(bad)?.into(),
    })
}

/// `journey` in `view`.
pub fn render(j: &Journey, view: View) -> Value {
    let (name_field, users_field, app_field) = view.names();
    let d = &j.draft;
    let c = &d.conditions;
    let mut out = Map::new();
    out.insert("id".into(), json!(j.id));
    out.insert("tenantId".into(), json!(j.tenant_id));
    out.insert("communityId".into(), json!(j.community_id));
    out.insert(name_field.into(), json!(d.name));
    out.insert("enabled".into(), json!(d.enabled));
    if let Some(category) = &d.category {
        out.insert("category".into(), json!(category));
    }
    let condition = |value: Value, operator: &str| json!({"value": value, "operator": operator});
    if let Some(groups) = &c.groups {
        out.insert("groups".into(), condition(json!(groups), "overlap"));
    }
    if let Some(ids) = &c.device_ids {
        out.insert("deviceId".into(), condition(json!(ids), "overlap"));
    }
    match &c.app {
        Some(AppMatch::Eq(app)) => out.insert(app_field.into(), condition(json!(app), "eq")),
        Some(AppMatch::In(apps)) => out.insert(app_field.into(), condition(json!(apps), "in")),
        None => None,
    };
    if let Some(users) = &c.usernames {
        out.insert(users_field.into(), condition(json!(users), "in"));
    }
    if let Some(ranges) = &c.ip {
        let texts: Vec<String> = ranges.iter().map(ToString::to_string).collect();
        out.insert("ip".into(), condition(json!(texts), "in_range"));
    }
    if let Some(domain) = &c.domain {
        out.insert("domain".into(), json!(domain));
    }
    let methods: Vec<&str> = d.decision.methods.iter().map(|m| m.as_str()).collect();
    out.insert("decision".into(), json!({"action": d.decision.action.as_str(), "authenticationMethods": methods}));
    Value::Object(out)
}

/// `stored` in `view` with `patch` laid over it: a field given replaces the stored one, `null`
/// removes it.
pub fn merged(stored: &Journey, view: View, patch: Map<String, Value>) -> Value {
    let mut base = match render(stored, view) {
        Value::Object(map) => map,
        _ => Map::new(),
    };
    for (k, v) in patch {
        if v.is_null() {
            base.remove(&k);
        } else {
            base.insert(k, v);
        }
    }
    Value::Object(base)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::journeys::{Action, Method};

    fn journey(draft: Draft) -> Journey {
        Journey {
            id: "6a0000000000000000000001".into(),
            tenant_id: "t".into(),
            community_id: "c".into(),
            draft,
            created_at: 1,
            updated_at: 1,
        }
    }

    #[test]
    fn a_journey_reads_back_whole_in_both_views() {
        let v1 = json!({"journeyName": "office", "groups": {"value": ["staff"], "operator": "overlap"},
            "deviceId": {"value": ["d1"], "operator": "overlap"}, "application": {"value": ["Salesforce"], "operator": "in"},
            "username": {"value": ["bob"], "operator": "in"}, "ip": {"value": ["10.10.10.10", "10.0.0.0/8"], "operator": "in_range"},
            "domain": "1k-dev.com", "category": "adaptive_auth_fallback_policy_v2",
            "decision": {"action": "mfa_required", "authenticationMethods": ["password_and_otp"]}});
        let d = draft(parse(View::V1, v1.clone()).unwrap(), View::V1).unwrap();
        assert_eq!(d.decision.action, Action::MfaRequired);
        assert_eq!(d.decision.methods, vec![Method::PasswordAndOtp]);
        assert!(d.enabled);
        let j = journey(d.clone());
        let shown = render(&j, View::V1);
        for (k, v) in v1.as_object().unwrap() {
            assert_eq!(&shown[k], v, "{k}");
        }
        let v2 = render(&j, View::V2);
        assert_eq!((v2["name"].as_str(), v2["usernames"]["value"][0].as_str()), (Some("office"), Some("bob")));
        assert_eq!(v2["requestingAppId"], json!({"value": ["Salesforce"], "operator": "in"}));
        assert_eq!(draft(parse(View::V2, v2).unwrap(), View::V2).unwrap(), d, "the v2 view of it is the same journey");
        // A patch replaces what it gives and removes what it nulls.
        let patch = json!({"enabled": false, "ip": null, "requestingAppId": {"value": "linux_cp", "operator": "eq"}});
        let patched = merged(&j, View::V2, patch.as_object().unwrap().clone());
        let p = draft(parse(View::V2, patched).unwrap(), View::V2).unwrap();
        assert!(!p.enabled && p.conditions.ip.is_none());
        assert_eq!(p.conditions.app, Some(AppMatch::Eq("linux_cp".into())));
    }

    #[test]
    fn bad_fields_are_named() {
        let base = json!({"name": "n", "decision": {"action": "allow"}});
        let with = |k: &str, v: Value| {
            let mut b = base.clone();
            b[k] = v;
            draft(parse(View::V2, b)?, View::V2).map(|_| ())
        };
        let cases = [
            ("ip", json!({"value": ["10.0.0.0/33"], "operator": "in_range"}), "ip.value[0] must be an IP address"),
            ("ip", json!({"value": ["10.0.0.0/8"], "operator": "in"}), "ip.operator must be in_range"),
            ("groups", json!({"value": ["a"], "operator": "contains"}), "groups.operator must be overlap"),
            ("usernames", json!({"value": "bob", "operator": "in"}), "usernames.value must be an array"),
            ("requestingAppId", json!({"value": "x", "operator": "like"}), "requestingAppId.operator must be eq or in"),
            ("groups", json!({"value": ["a"], "operator": "overlap", "extra": 1}), "groups: unknown field"),
            ("journeyName", json!("n"), "unknown field"),
            ("decision", json!({"action": "block"}), "decision.action must be one of allow, deny, mfa_required"),
        ];
        for (field, value, needle) in cases {
            let e = with(field, value).unwrap_err().to_string();
            assert!(e.contains(needle), "{field}: {e}");
        }
        let e = draft(parse(View::V1, json!({"decision": {"action": "deny"}})).unwrap(), View::V1).unwrap_err();
        assert!(e.to_string().contains("journeyName is required"), "{e}");
        let parts = parse(View::V1, json!({"id": "6a0000000000000000000001"})).unwrap();
        assert!(check_id(&parts, None).is_err() && check_id(&parts, Some("6a0000000000000000000001")).is_ok());
        assert!(check_id(&parts, Some("6a0000000000000000000002")).is_err());
    }
}
