//! One-time passcodes over HTTP: the SDKs' `POST /api/r2/otp/generate` emails a code through a
//! real SMTP gateway created over HTTP, `POST /api/r2/otp/verify` takes it once, wrong codes void
//! it, issuing is rate limited, channels the MFA settings hide are refused; the helpdesk passcode
//! is answered sealed to an administrator only; users-mgmt logs a user in with a passcode adminapi
//! issued (asking adminapi with its INFRA key); no code reaches the log.

use std::sync::Arc;

use envelope::{Client, Curve, KeyPair};
use kit::testing::{INFRA_KEY, SERVICE_KEY, Storage};
use reqwest::Method;
use serde_json::{Value, json};

use crate::login::{Platform, assert_error, bearer, call, call_plain, linked_platform, platform};
use crate::msg_gateway::{edit, email_gateway, http_receiver, sms_gateway, smtp_server};

fn sdk(license: Option<&str>) -> Client {
    let client = Client::new(Arc::new(KeyPair::generate(Curve::Secp256k1).unwrap())).unwrap().app_id("sdk");
    match license {
        Some(key) => client.license(key),
        None => client,
    }
}

/// A licensed call with a sealed body: the status, the opened reply and whether it was sealed.
async fn licensed(url: &str, license: Option<&str>, path: &str, body: &Value) -> (u16, Value, bool) {
    let reply = sdk(license).call(Method::POST, url, path, Some(body)).await.unwrap();
    (reply.status, reply.body, reply.sealed)
}

/// [`licensed`] with a plain JSON body, as users-mgmt and the Node SDK send it.
async fn licensed_plain(url: &str, license: &str, path: &str, body: &Value) -> (u16, Value, bool) {
    let client = sdk(Some(license));
    let peer = client.peer(url).await.unwrap();
    let headers = client.headers(&peer).unwrap();
    let reply = client.send(Method::POST, url, path, &headers, Some(body), &peer).await.unwrap();
    (reply.status, reply.body, reply.sealed)
}

fn generate_body(p: &Platform, user: &str) -> Value {
    json!({"userId": user, "tenantId": p.tenant, "communityId": p.community, "emailTo": format!("{user}@example.com")})
}

fn verify_body(p: &Platform, user: &str, code: &str) -> Value {
    json!({"userId": user, "code": code, "tenantId": p.tenant, "communityId": p.community})
}

/// The 6-digit run in the body of an email.
pub(crate) fn code_in(data: &str) -> String {
    let body = data.split_once("\r\n\r\n").unwrap().1;
    let runs: Vec<&str> = body.split(|c: char| !c.is_ascii_digit()).filter(|r| r.len() == 6).collect();
    assert_eq!(runs.len(), 1, "one code in {body}");
    runs[0].to_owned()
}

/// A code that is not `code`.
pub(crate) fn wrong(code: &str) -> String {
    let last = code.chars().last().unwrap().to_digit(10).unwrap();
    format!("{}{}", &code[..code.len() - 1], (last + 1) % 10)
}

#[tokio::test]
async fn an_emailed_code_verifies_once_wrong_codes_void_it_and_issuing_is_limited() {
    crate::captured_logs::start();
    let Some(p) = platform(Storage::Embedded, "otp email", 1, &[]).await else { return };
    let url = p.admin[0].as_str();
    let jane = bearer(&p.token("jane", "Quartz-Meadow-71").await);
    let (smtp_port, mut mails) = smtp_server().await;
    let gateway = edit(&email_gateway(&p), |b| {
        b.insert("protocol".into(), json!("smtp-insecure"));
        b.insert("serviceUrl".into(), json!("127.0.0.1"));
        b.insert("port".into(), json!(smtp_port));
    });
    let (s, r) = call(url, Method::POST, "/msg_gateway/create", Some(&jane), Some(&gateway)).await;
    assert_eq!(s, 200, "{r}");

    // Issued and emailed (the built-in otp template); the reply, sealed, holds no code.
    let (s, r, sealed) = licensed(url, Some(SERVICE_KEY), "/api/r2/otp/generate", &generate_body(&p, "bob")).await;
    assert_eq!((s, sealed, &r["message"], &r["channels"]), (200, true, &json!("OTP sent"), &json!(["email"])), "{r}");
    let mail = mails.recv().await.unwrap();
    assert_eq!(mail.rcpt_to, vec!["<bob@example.com>".to_owned()]);
    assert!(mail.data.contains("Subject: Your default code"), "{}", mail.data);
    let code = code_in(&mail.data);
    assert!(!crate::captured_logs::holds(&r.to_string(), &code));

    // Right once (sealed), then used; a plain body as users-mgmt sends it gets a plain reply.
    let (s, r, sealed) = licensed(url, Some(SERVICE_KEY), "/api/r2/otp/verify", &verify_body(&p, "bob", &code)).await;
    assert_eq!((s, r, sealed), (200, json!({"message": "OTP verified"}), true));
    let (s, r, sealed) = licensed_plain(url, INFRA_KEY, "/api/r2/otp/verify", &verify_body(&p, "bob", &code)).await;
    assert!(!sealed, "a plain request gets a plain reply");
    assert_error(s, &r, 401, "the passcode is wrong, used or expired");
    let (s, r, _) = licensed(url, Some(SERVICE_KEY), "/api/r2/otp/verify", &verify_body(&p, "bob", &code)).await;
    assert_error(s, &r, 401, "the passcode is wrong, used or expired");

    // otpMaxAttempts (5 by default) wrong codes void the outstanding one.
    let (s, _, _) = licensed(url, Some(SERVICE_KEY), "/api/r2/otp/generate", &generate_body(&p, "bob")).await;
    assert_eq!(s, 200);
    let code = code_in(&mails.recv().await.unwrap().data);
    for _ in 0..5 {
        let (s, r, _) =
            licensed(url, Some(SERVICE_KEY), "/api/r2/otp/verify", &verify_body(&p, "bob", &wrong(&code))).await;
        assert_error(s, &r, 401, "the passcode is wrong, used or expired");
    }
    let (s, r, _) = licensed(url, Some(SERVICE_KEY), "/api/r2/otp/verify", &verify_body(&p, "bob", &code)).await;
    assert_error(s, &r, 401, "the passcode is wrong, used or expired");

    // Five codes per user per 15 minutes: the sixth is a 429; another user is not limited.
    for _ in 0..3 {
        let (s, _, _) = licensed(url, Some(SERVICE_KEY), "/api/r2/otp/generate", &generate_body(&p, "bob")).await;
        assert_eq!(s, 200);
        mails.recv().await.unwrap();
    }
    let (s, r, _) = licensed(url, Some(SERVICE_KEY), "/api/r2/otp/generate", &generate_body(&p, "bob")).await;
    assert_error(s, &r, 429, "too many passcodes were requested for this user: try again in 15 minutes");

    // Channels the MFA settings hide (SMS by default), no channel, no license, bad bodies.
    let sms = edit(&generate_body(&p, "jane"), |b| {
        b.remove("emailTo");
        b.insert("smsTo".into(), json!("5550123"));
        b.insert("smsISDCode".into(), json!("1"));
    });
    let (s, r, _) = licensed(url, Some(SERVICE_KEY), "/api/r2/otp/generate", &sms).await;
    assert_error(s, &r, 400, "smsTo: the community's MFA settings do not offer the SMS OTP");
    let none = edit(&generate_body(&p, "jane"), |b| {
        b.remove("emailTo");
    });
    let (s, r, _) = licensed(url, Some(SERVICE_KEY), "/api/r2/otp/generate", &none).await;
    assert_error(s, &r, 400, "emailTo, or smsTo with smsISDCode, is required");
    let (s, r, _) = licensed(url, None, "/api/r2/otp/generate", &generate_body(&p, "jane")).await;
    assert_error(s, &r, 401, "licensekey header is required");
    let (s, r, _) = licensed(url, None, "/api/r2/otp/verify", &verify_body(&p, "jane", "123456")).await;
    assert_error(s, &r, 401, "licensekey header is required");
    let blank = edit(&verify_body(&p, "jane", "123456"), |b| {
        b.insert("userId".into(), json!(" "));
    });
    let (s, r, _) = licensed(url, Some(SERVICE_KEY), "/api/r2/otp/verify", &blank).await;
    assert_error(s, &r, 400, "userId must be 1 to 256 characters");

    let log = crate::captured_logs::text();
    assert!(log.contains("one-time passcode sent"), "the capture saw the requests");
    assert!(!crate::captured_logs::holds(&log, &code), "a code in the log");
}

#[tokio::test]
async fn a_helpdesk_passcode_logs_the_user_in_at_users_mgmt_once() {
    crate::captured_logs::start();
    let Some(p) = linked_platform(Storage::Embedded, "otp helpdesk").await else { return };
    let url = p.admin[0].as_str();
    let jane = bearer(&p.token("jane", "Quartz-Meadow-71").await);
    let bob = bearer(&p.token("bob", "Violet-Harbor-58").await);
    let body = json!({"userId": "bob", "communityId": p.community, "tenantId": p.tenant, "validitySeconds": 600,
        "serviceName": "1KosmosHelpdeskAdminCode"});

    // Refused: bob (a user), no login, a plain body, bad fields, an unknown user.
    let (s, r) = call(url, Method::POST, "/helpdesk-passcode/generate", Some(&bob), Some(&body)).await;
    assert_error(s, &r, 403, "may not");
    let (s, r) = call(url, Method::POST, "/helpdesk-passcode/generate", None, Some(&body)).await;
    assert_error(s, &r, 401, "authorization header is required");
    let (s, r) = call_plain(url, Method::POST, "/helpdesk-passcode/generate", Some(&jane), &body).await;
    assert_error(s, &r, 400, "the passcode is only answered sealed: send the body encrypted");
    for (field, value, message) in [
        ("serviceName", json!("other"), "serviceName must be \"1KosmosHelpdeskAdminCode\""),
        ("validitySeconds", json!(59), "validitySeconds must be 60 to 86400"),
        ("validitySeconds", json!(86_401), "validitySeconds must be 60 to 86400"),
    ] {
        let bad = edit(&body, |b| {
            b.insert(field.into(), value);
        });
        let (s, r) = call(url, Method::POST, "/helpdesk-passcode/generate", Some(&jane), Some(&bad)).await;
        assert_error(s, &r, 400, message);
    }
    let ghost = edit(&body, |b| {
        b.insert("userId".into(), json!("ghost"));
    });
    let (s, r) = call(url, Method::POST, "/helpdesk-passcode/generate", Some(&jane), Some(&ghost)).await;
    assert_error(s, &r, 404, "user not found");

    // jane (community_admin) gets it sealed.
    let before = envelope::wire::now_epoch();
    let (s, r) = call(url, Method::POST, "/helpdesk-passcode/generate", Some(&jane), Some(&body)).await;
    assert_eq!(s, 200, "{r}");
    let code = r["passcode"].as_str().unwrap().to_owned();
    assert!(code.len() == 8 && code.bytes().all(|b| b.is_ascii_digit()), "8 digits");
    assert_eq!(r["validitySeconds"], 600);
    let expires = r["expiresAt"].as_i64().unwrap();
    assert!((before + 600..=envelope::wire::now_epoch() + 600).contains(&expires), "{r}");

    // The audit log names the user and the field, not the code.
    let changes = p.stores.audit.changes(&p.community, 10).await.unwrap();
    let change = changes.iter().find(|c| c.kind == "helpdesk_passcode").expect("an audit entry");
    assert_eq!(
        (change.record.as_str(), change.action.as_str(), change.fields.clone()),
        (crate::login::uid_of(&p, "bob").await.as_str(), "create", vec!["validitySeconds".to_owned()])
    );
    assert!(!crate::captured_logs::holds(&serde_json::to_string(&changes).unwrap(), &code));

    // users-mgmt's user/authenticate with the otp: it asks adminapi (INFRA key), once.
    let login = json!({"authModule": p.module, "username": "bob", "otp": code});
    let path = format!("/tenant/{}/community/{}/user/authenticate", p.tenant, p.community);
    let reply = sdk(Some(SERVICE_KEY)).call(Method::POST, &p.users, &path, Some(&login)).await.unwrap();
    assert_eq!(reply.status, 200, "{}", reply.body);
    assert_eq!(reply.body["username"], "bob");
    assert!(reply.body["proof_of_authentication_jwt"].is_string(), "{}", reply.body);
    let again = sdk(Some(SERVICE_KEY)).call(Method::POST, &p.users, &path, Some(&login)).await.unwrap();
    assert_error(again.status, &again.body, 401, "invalid username or credentials");

    let log = crate::captured_logs::text();
    assert!(log.contains("helpdesk passcode generated"), "the capture saw the requests");
    assert!(!crate::captured_logs::holds(&log, &code), "a passcode in the log");
}

#[tokio::test]
async fn a_texted_code_follows_the_mfa_settings() {
    let Some(p) = platform(Storage::Embedded, "otp sms", 1, &[]).await else { return };
    let url = p.admin[0].as_str();
    let jane = bearer(&p.token("jane", "Quartz-Meadow-71").await);
    let (receiver, mut hits) = http_receiver().await;
    let (s, r) =
        call(url, Method::POST, "/msg_gateway/create", Some(&jane), Some(&sms_gateway(&p, &format!("{receiver}/sms"))))
            .await;
    assert_eq!(s, 200, "{r}");
    let mfa = json!({"tenantId": p.tenant, "communityId": p.community, "show_otp_email": false,
        "show_otp_phone": true, "show_otp_voice": false, "show_otp_hardware": false, "otpMaxAttempts": 2});
    let (s, r) = call(url, Method::PUT, "/config/authentication/mfa_settings", Some(&jane), Some(&mfa)).await;
    assert_eq!(s, 200, "{r}");

    // Email is now hidden; SMS goes to +<smsISDCode><smsTo>, asked with a plain body as the
    // Node SDK sends it (the reply is sealed all the same).
    let (s, r, _) = licensed(url, Some(SERVICE_KEY), "/api/r2/otp/generate", &generate_body(&p, "bob")).await;
    assert_error(s, &r, 400, "emailTo: the community's MFA settings do not offer the email OTP");
    let sms = json!({"userId": "bob", "tenantId": p.tenant, "communityId": p.community, "smsTo": "5550123",
        "smsISDCode": "+1"});
    let (s, r, sealed) = licensed_plain(url, SERVICE_KEY, "/api/r2/otp/generate", &sms).await;
    assert_eq!((s, sealed, &r["channels"]), (200, true, &json!(["sms"])), "{r}");
    let (path, _, hit) = hits.recv().await.unwrap();
    assert_eq!((path.as_str(), hit["to"].as_str()), ("/sms", Some("+15550123")));
    let text = hit["message"].as_str().unwrap();
    assert!(text.starts_with("Your default code is "), "{text}");
    let code = text.split(|c: char| !c.is_ascii_digit()).find(|r| r.len() == 6).unwrap().to_owned();
    let bad_isd = edit(&sms, |b| {
        b.insert("smsISDCode".into(), json!("one"));
    });
    let (s, r, _) = licensed(url, Some(SERVICE_KEY), "/api/r2/otp/generate", &bad_isd).await;
    assert_error(s, &r, 400, "smsISDCode must be 1 to 4 digits");

    // otpMaxAttempts is 2: two wrong codes void it.
    for _ in 0..2 {
        let (s, r, _) =
            licensed(url, Some(SERVICE_KEY), "/api/r2/otp/verify", &verify_body(&p, "bob", &wrong(&code))).await;
        assert_error(s, &r, 401, "the passcode is wrong, used or expired");
    }
    let (s, r, _) = licensed(url, Some(SERVICE_KEY), "/api/r2/otp/verify", &verify_body(&p, "bob", &code)).await;
    assert_error(s, &r, 401, "the passcode is wrong, used or expired");
}
