//! What each purpose gives its templates (the documented variables, with the sample values a
//! template is checked against on write) and the built-in templates used when a community has no
//! default of its own.
//!
//! | purpose | variables (besides `community.name` and `params`) |
//! |---|---|
//! | `self_onboarding` | `email`, `link` (the account creation magic link) |
//! | `invite` | `user.firstname`, `user.lastname`, `user.username`, `link` |
//! | `reset_password` | `user.firstname`, `user.lastname`, `user.username`, `link` |
//! | `otp` | `otp`, `expires_in_minutes`, `user.firstname`, `user.lastname`, `user.username` |
//! | `phone_verify` | `link` (the phone verification link) |
//!
//! `params` holds the extra values of the request that sends the message (the query parameters
//! the spec passes to templates): its keys vary, so a template reads them with a default
//! (`{{ params.campaign | default("") }}`).

use serde_json::{Value, json};

use super::{Channel, Purpose};

/// The variables of `purpose`, with sample values.
pub fn sample(purpose: Purpose) -> Value {
    let user = json!({"firstname": "Ann", "lastname": "Example", "username": "ann.example"});
    let link = "https://login.example.com/link/0123456789abcdef";
    let mut vars = match purpose {
        Purpose::SelfOnboarding => json!({"email": "ann@example.com", "link": link}),
        Purpose::Invite | Purpose::ResetPassword => json!({"user": user, "link": link}),
        Purpose::Otp => json!({"user": user, "otp": "123456", "expires_in_minutes": 5}),
        Purpose::PhoneVerify => json!({"link": link}),
    };
    vars["community"] = json!({"name": "default"});
    vars["params"] = json!({});
    vars
}

/// The built-in template of `purpose` on `channel`: its subject (email only) and body.
pub fn template(purpose: Purpose, channel: Channel) -> (Option<&'static str>, &'static str) {
    match (purpose, channel) {
        (Purpose::SelfOnboarding, Channel::Email) => (
            Some("Create your {{ community.name }} account"),
            "<p>Hello,</p><p>To create your {{ community.name }} account for {{ email }}, open \
             <a href=\"{{ link }}\">this link</a>.</p><p>If you did not ask for it, ignore this email.</p>",
        ),
        (Purpose::SelfOnboarding, Channel::Sms) => (None, "Create your {{ community.name }} account: {{ link }}"),
        (Purpose::Invite, Channel::Email) => (
            Some("You are invited to {{ community.name }}"),
            "<p>Hello {{ user.firstname }},</p><p>You are invited to {{ community.name }}. \
             <a href=\"{{ link }}\">Accept the invitation</a>.</p>",
        ),
        (Purpose::Invite, Channel::Sms) => {
            (None, "{{ user.firstname }}, you are invited to {{ community.name }}: {{ link }}")
        }
        (Purpose::ResetPassword, Channel::Email) => (
            Some("Reset your {{ community.name }} password"),
            "<p>Hello {{ user.firstname }},</p><p>To reset your password, open \
             <a href=\"{{ link }}\">this link</a>.</p><p>If you did not ask for it, ignore this email.</p>",
        ),
        (Purpose::ResetPassword, Channel::Sms) => (None, "Reset your {{ community.name }} password: {{ link }}"),
        (Purpose::Otp, Channel::Email) => (
            Some("Your {{ community.name }} code"),
            "<p>Hello {{ user.firstname }},</p><p>Your code is <b>{{ otp }}</b>. It expires in \
             {{ expires_in_minutes }} minutes.</p>",
        ),
        (Purpose::Otp, Channel::Sms) => {
            (None, "Your {{ community.name }} code is {{ otp }}. It expires in {{ expires_in_minutes }} minutes.")
        }
        (Purpose::PhoneVerify, Channel::Email) => (
            Some("Verify your phone for {{ community.name }}"),
            "<p>To verify your phone number, open <a href=\"{{ link }}\">this link</a> on it.</p>",
        ),
        (Purpose::PhoneVerify, Channel::Sms) => (None, "Verify your phone for {{ community.name }}: {{ link }}"),
    }
}
