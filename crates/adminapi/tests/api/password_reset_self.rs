//! A user's own password reset over HTTP (catalog group Reset Password): `sendverify` mails a
//! link with a one-time code to the user's own address (a CAPTCHA token or a valid license
//! required; an address that is not theirs gets the same answer and no mail), `user/fetch`
//! shows the code's user with a `user_token`, `POST /password_reset` sets the new password once
//! (a weak one is refused and the code stays usable; the old password then fails at
//! `/verifyuser`, the new one signs in), a used or expired code is refused, and no code, token,
//! password or address reaches the log.

use std::time::Duration;

use kit::testing::{SERVICE_KEY, Storage};
use reqwest::Method;
use serde_json::{Value, json};

use crate::invites::{CAPTCHA_SECRET, HUMAN, ROBOT, add_captcha_secret, body_of, setup};
use crate::login::{Platform, assert_error, call};

const RESET_BASE: &str = "https://reset.example.com/{community}/r";
const OLD: &str = "Cobalt-River-39";
const NEW: &str = "Amber-Lantern-62";
const ADDRESS: &str = "dan.own@example.com";

/// The code of the reset link in a mail (the HTML template escapes the link's `/`).
fn code_in(data: &str) -> String {
    let body = body_of(data).replace("&#x2f;", "/");
    let prefix = "https://reset.example.com/default/r/";
    let at = body.find(prefix).unwrap_or_else(|| panic!("no link in {body}")) + prefix.len();
    body[at..].chars().take_while(|c| c.is_ascii_alphanumeric() || *c == '-' || *c == '_').collect()
}

/// dan's `user_token` from `POST /users/find`.
async fn find_dan(p: &Platform) -> String {
    let find = json!({"tenantId": p.tenant, "communityId": p.community, "username": "dan"});
    let (s, r) = call(&p.admin[0], Method::POST, "/users/find", None, Some(&find)).await;
    assert_eq!(s, 200, "{r}");
    r["users"][0]["user_token"].as_str().unwrap().to_owned()
}

#[tokio::test]
async fn a_user_resets_their_own_password_once_with_the_mailed_code() {
    crate::captured_logs::start();
    let env = [("PASSWORD_RESET_BASE_URL", RESET_BASE), ("PASSWORD_RESET_TTL_SECONDS", "600")];
    let Some((p, jane, mut mails, _)) = setup("self reset", Storage::Embedded, &env).await else { return };
    let url = p.admin[0].as_str();
    add_captcha_secret(&p, &jane).await;
    let dan = json!({"authModule": p.module, "users": [
        {"username": "dan", "password": OLD, "email1": ADDRESS, "firstname": "Dan"},
    ]});
    assert_eq!(p.users_call(Method::PUT, "/users/create", dan).await["created"], 1);
    let token = find_dan(&p).await;
    let ask = |extra: Value| {
        let mut b =
            json!({"tenantId": p.tenant, "communityId": p.community, "user_token": token, "destination": ADDRESS});
        b.as_object_mut().unwrap().extend(extra.as_object().unwrap().clone());
        b
    };
    let send =
        |body: Value| async move { call(url, Method::PUT, "/password_reset/sendverify", None, Some(&body)).await };

    // A CAPTCHA token the verifier accepts, or a valid license.
    let (s, r) = send(ask(json!({}))).await;
    assert_error(s, &r, 400, "captchaToken is required unless a valid license is given");
    let (s, r) = send(ask(json!({"captchaToken": ROBOT}))).await;
    assert_error(s, &r, 400, "captchaToken was not accepted");
    let (s, r) = send(ask(json!({"captchaToken": HUMAN, "user_token": "v1.forged"}))).await;
    assert_error(s, &r, 401, "user_token is invalid or expired");

    // Mailed to dan's own address; the answer holds neither the link nor the code.
    let (s, sent) = send(ask(json!({"captchaToken": HUMAN}))).await;
    assert_eq!((s, &sent), (200, &json!({"code": 200, "message": "Ok"})));
    let mail = mails.recv().await.unwrap();
    assert_eq!(mail.rcpt_to, vec![format!("<{ADDRESS}>")]);
    let code = code_in(&mail.data);
    assert!(body_of(&mail.data).contains("Hello Dan"), "{}", mail.data);

    // An address that is not dan's answers the same, and no mail goes out.
    let (s, r) = send(ask(json!({"captchaToken": HUMAN, "destination": "eve@example.com"}))).await;
    assert_eq!((s, &r), (200, &sent));
    tokio::time::sleep(Duration::from_millis(300)).await;
    assert!(mails.try_recv().is_err(), "no mail for an address that is not the user's");

    // The code shows dan, with a token for the reset.
    let fetch = |code: &str| json!({"tenantId": p.tenant, "communityId": p.community, "code": code});
    let (s, r) =
        call(url, Method::POST, "/password_reset/user/fetch", None, Some(&fetch("AAAAAAAAAAAAAAAAAAAAAAAA"))).await;
    assert_error(s, &r, 404, "no such password reset code");
    let (s, r) = call(url, Method::POST, "/password_reset/user/fetch", None, Some(&fetch(&code))).await;
    assert_eq!(s, 200, "{r}");
    assert_eq!((r["user"]["username"].as_str(), r["user"]["email"].as_str()), (Some("dan"), Some(ADDRESS)), "{r}");
    let reset_token = r["user_token"].as_str().unwrap().to_owned();
    let reset = |code: &str, password: &str| json!({"tenantId": p.tenant, "communityId": p.community, "code": code, "newPassword": password, "user_token": reset_token});

    // A weak password is refused by the policy, and the code stays usable.
    let (s, r) = call(url, Method::POST, "/password_reset", None, Some(&reset(&code, "short7"))).await;
    assert_error(s, &r, 400, "password must be at least 8 characters");
    let (s, r) = call(url, Method::POST, "/password_reset", None, Some(&reset(&code, NEW))).await;
    assert_eq!((s, &r), (200, &json!({"code": 200, "message": "Ok"})));
    let (s, r) = p.verify_user(0, p.credentials("dan", OLD)).await;
    assert_eq!(s, 401, "the old password is refused: {r}");
    let (s, r) = p.verify_user(0, p.credentials("dan", NEW)).await;
    assert_eq!(s, 200, "the new password signs in: {r}");

    // Once only.
    let (s, r) = call(url, Method::POST, "/password_reset", None, Some(&reset(&code, "Other-Meadow-83"))).await;
    assert_error(s, &r, 410, "the password reset code was already used");
    let (s, r) = call(url, Method::POST, "/password_reset/user/fetch", None, Some(&fetch(&code))).await;
    assert_error(s, &r, 410, "already used");

    // A code past its expiry (600 s here) is refused, by adminapi's clock.
    let (s, r) = send(ask(json!({"license": SERVICE_KEY}))).await;
    assert_eq!(s, 200, "{r}");
    let late = code_in(&mails.recv().await.unwrap().data);
    p.clock.advance(Duration::from_secs(600));
    let (s, r) = call(url, Method::POST, "/password_reset/user/fetch", None, Some(&fetch(&late))).await;
    assert_error(s, &r, 410, "the password reset code has expired");
    let fresh = find_dan(&p).await;
    let body = edit_token(reset(&late, "Other-Meadow-83"), &fresh);
    let (s, r) = call(url, Method::POST, "/password_reset", None, Some(&body)).await;
    assert_error(s, &r, 410, "the password reset code has expired");

    let log = crate::captured_logs::text();
    for secret in [&token, &reset_token, &fresh, &code, &late, NEW, "short7", HUMAN, CAPTCHA_SECRET, ADDRESS] {
        assert!(!crate::captured_logs::holds(&log, secret), "a secret in the log");
    }
}

fn edit_token(mut body: Value, token: &str) -> Value {
    body["user_token"] = json!(token);
    body
}

#[tokio::test]
async fn the_communitys_settings_may_want_an_otp_and_requests_are_limited() {
    let env = [("PASSWORD_RESET_BASE_URL", RESET_BASE)];
    let Some((p, jane, mut mails, _)) = setup("self reset otp", Storage::Embedded, &env).await else { return };
    let url = p.admin[0].as_str();
    let dan = json!({"authModule": p.module, "users": [{"username": "dan", "password": OLD, "email1": ADDRESS}]});
    assert_eq!(p.users_call(Method::PUT, "/users/create", dan).await["created"], 1);
    let settings = json!({"default_input_method": "username", "sspr": {"enabled": true, "otp": "email"}});
    let (s, r) = call(url, Method::PUT, "/config/authentication/password_reset", Some(&jane), Some(&settings)).await;
    assert_eq!(s, 200, "{r}");
    let token = find_dan(&p).await;
    let ask = json!({"tenantId": p.tenant, "communityId": p.community, "user_token": token, "destination": "email1",
        "license": SERVICE_KEY});
    let (s, r) = call(url, Method::PUT, "/password_reset/sendverify", None, Some(&ask)).await;
    assert_eq!(s, 200, "{r}");
    let code = code_in(&mails.recv().await.unwrap().data);
    let fetch = json!({"tenantId": p.tenant, "communityId": p.community, "code": code});
    let (s, r) = call(url, Method::POST, "/password_reset/user/fetch", None, Some(&fetch)).await;
    assert_eq!(s, 200, "{r}");
    let reset = |otp: Option<&str>| {
        json!({"tenantId": p.tenant, "communityId": p.community, "code": code, "newPassword": NEW,
            "user_token": r["user_token"], "otp": otp})
    };
    let (s, r) = call(url, Method::POST, "/password_reset", None, Some(&reset(None))).await;
    assert_error(s, &r, 400, "otp is required");
    let (s, r) = call(url, Method::POST, "/password_reset", None, Some(&reset(Some("123456")))).await;
    assert_error(s, &r, 401, "otp is invalid, used or expired");

    // A passcode of dan's, as the SDKs ask for one.
    let sdk =
        envelope::Client::new(std::sync::Arc::new(envelope::KeyPair::generate(envelope::Curve::Secp256k1).unwrap()))
            .unwrap()
            .app_id("sdk")
            .license(SERVICE_KEY);
    let generate = json!({"userId": "dan", "tenantId": p.tenant, "communityId": p.community, "emailTo": ADDRESS});
    let reply = sdk.call(Method::POST, url, "/api/r2/otp/generate", Some(&generate)).await.unwrap();
    assert_eq!(reply.status, 200, "{}", reply.body);
    let otp = crate::otp::code_in(&mails.recv().await.unwrap().data);
    let (s, r) = call(url, Method::POST, "/password_reset", None, Some(&reset(Some(&otp)))).await;
    assert_eq!(s, 200, "{r}");
    assert_eq!(p.verify_user(0, p.credentials("dan", NEW)).await.0, 200);

    // Five requests per user per hour: the license bypasses the CAPTCHA, not the limit.
    for _ in 0..4 {
        let (s, r) = call(url, Method::PUT, "/password_reset/sendverify", None, Some(&ask)).await;
        assert_eq!(s, 200, "{r}");
        mails.recv().await.unwrap();
    }
    let (s, r) = call(url, Method::PUT, "/password_reset/sendverify", None, Some(&ask)).await;
    assert_error(s, &r, 429, "too many password resets were requested");
}
