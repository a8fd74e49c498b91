//! The rules of a user's own password reset (catalog group Reset Password): where the magic link
//! may go, when a reset code may be used and by whom, whether the community wants a one-time
//! passcode beside it, and how the user is shown. Plain functions over plain values, the time
//! passed in (`now`, epoch seconds).

use serde_json::{Value, json};

use super::access_codes::{AccessCode, Purpose, State};
use super::guarded_settings::PasswordReset;
use super::user_token::UserRef;

/// The user's own address `destination` names, as users-mgmt holds it (`record`): `destination`
/// is one of the user's addresses (`email1`, `email2`, compared without case), or the name of
/// one (`email1`, `email2`). `None` when it names none of the user's: the caller answers as
/// for a known user, so that nobody learns which addresses a user has.
pub fn destination_address(record: &Value, destination: &str) -> Option<String> {
    let destination = destination.trim();
    let own = |field: &str| record[field].as_str().map(str::trim).filter(|a| !a.is_empty()).map(str::to_owned);
    if let field @ ("email1" | "email2") = destination {
        return own(field);
    }
    ["email1", "email2"].into_iter().filter_map(own).find(|a| a.eq_ignore_ascii_case(destination))
}

/// Whether the user of `record` may reset their password: found, and not disabled.
pub fn may_reset(record: &Value, user: &UserRef) -> bool {
    let disabled = record["disabled"].as_bool().unwrap_or(false) || record["status"].as_str() == Some("disabled");
    record["uid"].as_str() == Some(user.uid.as_str()) && !disabled
}

/// Whether the community's password reset settings want a one-time passcode with the code: the
/// self-service reset is on and names an `otp` method (anything but empty or `none`).
pub fn otp_required(settings: &PasswordReset) -> bool {
    let otp = settings.sspr.otp.trim();
    settings.sspr.enabled && !otp.is_empty() && !otp.eq_ignore_ascii_case("none")
}

/// Why a reset code is refused.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum Refusal {
    /// Not a reset code of this community (or of this `user_token`'s user): 404.
    #[error("no such password reset code")]
    Unknown,
    /// Used before: 410.
    #[error("the password reset code was already used")]
    Used,
    /// Replaced or never delivered: 410.
    #[error("the password reset code was revoked")]
    Revoked,
    /// Past its expiry: 410.
    #[error("the password reset code has expired")]
    Expired,
}

impl From<Refusal> for kit::AppError {
    fn from(r: Refusal) -> Self {
        let status = match r {
            Refusal::Unknown => actix_web::http::StatusCode::NOT_FOUND,
            Refusal::Used | Refusal::Revoked | Refusal::Expired => actix_web::http::StatusCode::GONE,
        };
        envelope::ApiError::new(status, r.to_string()).into()
    }
}

/// Why the reset code `code` cannot be used at `now` in `community_id` by `user` (when a
/// `user_token` names one), or `Ok` when it can.
pub fn check_code(code: &AccessCode, community_id: &str, user: Option<&UserRef>, now: i64) -> Result<(), Refusal> {
    let here = code.purpose == Purpose::PasswordReset && code.community_id == community_id;
    if !here || user.is_some_and(|u| u.uid != code.uid || u.module_id != code.module_id) {
        return Err(Refusal::Unknown);
    }
    match code.state(now) {
        State::Active => Ok(()),
        State::Redeemed => Err(Refusal::Used),
        State::Revoked => Err(Refusal::Revoked),
        State::Expired => Err(Refusal::Expired),
    }
}

/// The user of `record` as `POST /password_reset/user/fetch` shows it (the reference's shape,
/// `disbaled` spelt as it spells it).
pub fn user_view(record: &Value) -> Value {
    let text = |f: &str| record[f].as_str().unwrap_or_default().to_owned();
    let disabled = record["disabled"].as_bool().unwrap_or(false) || record["status"].as_str() == Some("disabled");
    json!({
        "username": text("username"),
        "uid": text("uid"),
        "type": record["type"].as_str().unwrap_or("basic"),
        "disbaled": disabled,
        "firstname": text("firstname"),
        "lastname": text("lastname"),
        "email": text("email1"),
        "phone": text("phone1"),
        "urn": text("urn"),
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::access_codes::Status;

    fn user() -> UserRef {
        UserRef {
            tenant_id: "t".into(),
            community_id: "c".into(),
            module_id: "m".into(),
            uid: "u1".into(),
            username: "dan".into(),
        }
    }

    fn code(status: Status) -> AccessCode {
        AccessCode {
            id: "0123456789abcdef01234567".into(),
            code_hash: "h".into(),
            tenant_id: "t".into(),
            community_id: "c".into(),
            purpose: Purpose::PasswordReset,
            uid: "u1".into(),
            username: "dan".into(),
            module_id: "m".into(),
            email_to: Some("dan@example.com".into()),
            sms_to: None,
            template_key: "default".into(),
            created_by: "dan".into(),
            created_by_uid: "u1".into(),
            created_at: 100,
            expires_at: 200,
            status,
            updated_at: 100,
            redeemed_at: None,
            redeem_result: None,
        }
    }

    #[test]
    fn the_link_goes_only_to_an_address_of_the_users_own() {
        let record = json!({"email1": "Dan@Example.com", "email2": " "});
        assert_eq!(destination_address(&record, " dan@example.COM ").as_deref(), Some("Dan@Example.com"));
        assert_eq!(destination_address(&record, "email1").as_deref(), Some("Dan@Example.com"));
        assert_eq!(destination_address(&record, "email2"), None);
        assert_eq!(destination_address(&record, "eve@example.com"), None);
        assert_eq!(destination_address(&json!({}), "email1"), None);
    }

    #[test]
    fn a_code_is_for_its_community_and_user_once_and_until_its_expiry() {
        let active = code(Status::Active);
        assert_eq!(check_code(&active, "c", Some(&user()), 199), Ok(()));
        assert_eq!(check_code(&active, "c", None, 199), Ok(()));
        assert_eq!(check_code(&active, "c", Some(&user()), 200), Err(Refusal::Expired));
        assert_eq!(check_code(&active, "other", Some(&user()), 150), Err(Refusal::Unknown));
        let eve = UserRef { uid: "u2".into(), ..user() };
        assert_eq!(check_code(&active, "c", Some(&eve), 150), Err(Refusal::Unknown));
        assert_eq!(check_code(&code(Status::Redeemed), "c", None, 150), Err(Refusal::Used));
        assert_eq!(check_code(&code(Status::Revoked), "c", None, 150), Err(Refusal::Revoked));
        let invitation = AccessCode { purpose: Purpose::Invitation, ..active };
        assert_eq!(check_code(&invitation, "c", None, 150), Err(Refusal::Unknown));
    }

    #[test]
    fn an_otp_is_wanted_only_when_the_self_service_reset_names_one() {
        let mut s = PasswordReset::default();
        assert!(!otp_required(&s));
        s.sspr.otp = "email".into();
        assert!(!otp_required(&s), "self-service reset off");
        s.sspr.enabled = true;
        assert!(otp_required(&s));
        s.sspr.otp = "none".into();
        assert!(!otp_required(&s));
    }

    #[test]
    fn a_user_who_is_disabled_or_another_may_not_reset() {
        assert!(may_reset(&json!({"uid": "u1"}), &user()));
        assert!(!may_reset(&json!({"uid": "u1", "disabled": true}), &user()));
        assert!(!may_reset(&json!({"uid": "u2"}), &user()));
        assert!(!may_reset(&Value::Null, &user()));
    }
}
