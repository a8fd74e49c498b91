//! The journey of a login: which enabled journey matches the login's facts ([`choose`]), and what
//! its decision asks of the login ([`verdict`]). Pure functions over plain values.

use std::net::IpAddr;

use super::{Action, AppMatch, Conditions, Decision, Journey, Method};

/// What is known of a login when its journey is chosen.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct LoginFacts {
    /// The user's username as users-mgmt holds it.
    pub username: String,
    /// The user's groups, when the user's record names them.
    pub groups: Option<Vec<String>>,
    /// The client's address.
    pub ip: Option<IpAddr>,
    /// `deviceId` and `deviceDomain` of the request's `facts` header.
    pub device_id: Option<String>,
    pub device_domain: Option<String>,
    /// The requesting app: the `appid` of the request's `requestid`.
    pub app: Option<String>,
}

fn same(a: &str, b: &str) -> bool {
    a.trim().eq_ignore_ascii_case(b.trim())
}

/// Whether every condition of `c` holds for `f` (a condition on a fact the login lacks does not).
pub fn holds(c: &Conditions, f: &LoginFacts) -> bool {
    let groups = c.groups.as_ref().is_none_or(|wanted| {
        f.groups.as_ref().is_some_and(|mine| mine.iter().any(|g| wanted.iter().any(|w| same(w, g))))
    });
    let device = c
        .device_ids
        .as_ref()
        .is_none_or(|wanted| f.device_id.as_ref().is_some_and(|id| wanted.iter().any(|w| w == id.trim())));
    let app = c.app.as_ref().is_none_or(|wanted| {
        f.app.as_ref().is_some_and(|app| match wanted {
            AppMatch::Eq(one) => same(one, app),
            AppMatch::In(list) => list.iter().any(|w| same(w, app)),
        })
    });
    let user = c.usernames.as_ref().is_none_or(|wanted| wanted.iter().any(|w| same(w, &f.username)));
    let ip = c.ip.as_ref().is_none_or(|ranges| f.ip.is_some_and(|ip| ranges.iter().any(|r| r.contains(ip))));
    let domain = c
        .domain
        .as_ref()
        .is_none_or(|wanted| f.device_domain.as_ref().is_some_and(|d| same(wanted, d.trim_end_matches('.'))));
    groups && device && app && user && ip && domain
}

/// The journey of a login among `journeys`: of the enabled ones whose conditions hold, the one
/// with the most conditions, then the strictest decision, then the oldest (then the smallest id).
pub fn choose<'a>(journeys: &'a [Journey], f: &LoginFacts) -> Option<&'a Journey> {
    journeys.iter().filter(|j| j.draft.enabled && holds(&j.draft.conditions, f)).min_by(|a, b| {
        let key = |j: &Journey| (j.draft.conditions.count(), j.draft.decision.action.strictness());
        key(b).cmp(&key(a)).then(a.created_at.cmp(&b.created_at)).then(a.id.cmp(&b.id))
    })
}

/// What a decision asks of a login.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Verdict {
    /// Go on with the factors given (also when no journey matched).
    Allow,
    /// Refuse the login.
    Deny,
    /// The password, then one of these facts (`web_otp`, `any_otp`): a one-time passcode.
    SecondFactor { allowed_factors: Vec<&'static str> },
    /// Only methods no login here can finish (named for the refusal).
    Unavailable(Vec<Method>),
}

/// What `decision` (none: no journey matched) asks of a login.
pub fn verdict(decision: Option<&Decision>) -> Verdict {
    let Some(d) = decision else { return Verdict::Allow };
    match d.action {
        Action::Allow => Verdict::Allow,
        Action::Deny => Verdict::Deny,
        Action::MfaRequired => {
            let mut allowed: Vec<&'static str> = Vec::new();
            for factor in d.methods.iter().filter_map(|m| m.second_factors()).flatten() {
                if !allowed.contains(factor) {
                    allowed.push(factor);
                }
            }
            if allowed.is_empty() {
                Verdict::Unavailable(d.methods.clone())
            } else {
                Verdict::SecondFactor { allowed_factors: allowed }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::super::{Draft, IpRange};
    use super::*;

    fn journey(id: &str, created_at: i64, conditions: Conditions, action: Action) -> Journey {
        let methods = if action == Action::MfaRequired { vec![Method::PasswordAndOtp] } else { Vec::new() };
        Journey {
            id: id.into(),
            tenant_id: "t".into(),
            community_id: "c".into(),
            draft: Draft {
                name: id.into(),
                category: None,
                enabled: true,
                conditions,
                decision: Decision { action, methods },
            },
            created_at,
            updated_at: created_at,
        }
    }

    fn facts() -> LoginFacts {
        LoginFacts {
            username: "bob".into(),
            groups: Some(vec!["Staff".into()]),
            ip: Some("10.1.2.3".parse().unwrap()),
            device_id: Some("dev-1".into()),
            device_domain: Some("corp.example.com".into()),
            app: Some("admin-console".into()),
        }
    }

    fn ranges(list: &[&str]) -> Option<Vec<IpRange>> {
        Some(list.iter().map(|r| IpRange::parse(r).unwrap()).collect())
    }

    #[test]
    fn every_condition_must_hold_and_a_missing_fact_holds_none() {
        let f = facts();
        let all = Conditions {
            groups: Some(vec!["staff".into(), "admins".into()]),
            device_ids: Some(vec!["dev-1".into()]),
            app: Some(AppMatch::In(vec!["Admin-Console".into()])),
            usernames: Some(vec!["BOB".into()]),
            ip: ranges(&["10.0.0.0/8"]),
            domain: Some("corp.example.com".into()),
        };
        assert!(holds(&all, &f) && holds(&Conditions::default(), &f));
        let cases: [fn(&mut Conditions); 6] = [
            |c| c.groups = Some(vec!["admins".into()]),
            |c| c.device_ids = Some(vec!["DEV-1".into()]),
            |c| c.app = Some(AppMatch::Eq("sdk".into())),
            |c| c.usernames = Some(vec!["alice".into()]),
            |c| c.ip = ranges(&["192.168.0.0/16", "10.1.2.4"]),
            |c| c.domain = Some("example.com".into()),
        ];
        for change in cases {
            let mut c = all.clone();
            change(&mut c);
            assert!(!holds(&c, &f), "{c:?}");
        }
        let unknown = LoginFacts { username: "bob".into(), ..LoginFacts::default() };
        for c in [
            Conditions { groups: Some(vec!["staff".into()]), ..Conditions::default() },
            Conditions { device_ids: Some(vec!["dev-1".into()]), ..Conditions::default() },
            Conditions { ip: ranges(&["0.0.0.0/0"]), ..Conditions::default() },
            Conditions { domain: Some("corp.example.com".into()), ..Conditions::default() },
            Conditions { app: Some(AppMatch::Eq("admin-console".into())), ..Conditions::default() },
        ] {
            assert!(!holds(&c, &unknown), "an unknown fact satisfies nothing: {c:?}");
        }
    }

    #[test]
    fn the_most_specific_then_the_strictest_then_the_oldest_journey_wins() {
        let f = facts();
        let by_ip = Conditions { ip: ranges(&["10.0.0.0/8"]), ..Conditions::default() };
        let by_ip_and_user = Conditions { usernames: Some(vec!["bob".into()]), ..by_ip.clone() };
        let everyone = journey("a", 1, Conditions::default(), Action::MfaRequired);
        let network = journey("b", 2, by_ip.clone(), Action::Deny);
        let bob_on_network = journey("c", 3, by_ip_and_user, Action::Allow);
        let list = vec![everyone.clone(), network.clone(), bob_on_network.clone()];
        assert_eq!(choose(&list, &f).map(|j| j.id.as_str()), Some("c"), "most conditions first");
        let alice = LoginFacts { username: "alice".into(), ..f.clone() };
        assert_eq!(choose(&list, &alice).map(|j| j.id.as_str()), Some("b"));
        let outside = LoginFacts { ip: Some("192.0.2.1".parse().unwrap()), ..alice };
        assert_eq!(choose(&list, &outside).map(|j| j.id.as_str()), Some("a"));
        // Equally specific: the strictest, then the oldest.
        let allow = journey("d", 0, by_ip.clone(), Action::Allow);
        let list = vec![allow.clone(), network.clone()];
        assert_eq!(choose(&list, &f).map(|j| j.id.as_str()), Some("b"));
        let older_deny = journey("e", 1, by_ip, Action::Deny);
        let list = vec![network, older_deny];
        assert_eq!(choose(&list, &f).map(|j| j.id.as_str()), Some("e"));
        // A disabled journey is never chosen; no journey at all: none.
        let mut off = bob_on_network;
        off.draft.enabled = false;
        assert_eq!(choose(&[off], &f), None);
        assert_eq!(choose(&[], &f), None);
    }

    #[test]
    fn a_decision_asks_for_what_its_methods_can_finish() {
        assert_eq!(verdict(None), Verdict::Allow);
        let d = |action, methods: Vec<Method>| Decision { action, methods };
        assert_eq!(verdict(Some(&d(Action::Allow, vec![]))), Verdict::Allow);
        assert_eq!(verdict(Some(&d(Action::Deny, vec![]))), Verdict::Deny);
        let both = d(Action::MfaRequired, vec![Method::HelpdeskOtp, Method::PasswordAndOtp]);
        assert_eq!(verdict(Some(&both)), Verdict::SecondFactor { allowed_factors: vec!["any_otp", "web_otp"] });
        let helpdesk = d(Action::MfaRequired, vec![Method::HelpdeskOtp]);
        assert_eq!(verdict(Some(&helpdesk)), Verdict::SecondFactor { allowed_factors: vec!["any_otp"] });
        let behavior = d(Action::MfaRequired, vec![Method::BehaviorAuthAndUserPin]);
        assert_eq!(verdict(Some(&behavior)), Verdict::Unavailable(vec![Method::BehaviorAuthAndUserPin]));
    }
}
