//! The login page's one-time-passcode journey over HTTP: `POST /users/find` (masked contacts and
//! a sealed `user_token`), `PUT /generate/otp` (a real SMTP gateway: the code is read from the
//! email), `POST /authenticate` (the JWT works), and the otp logins of `POST /verifyuser` and
//! `POST /v2/request_access`; wrong, reused passcodes and forged or foreign tokens are 401; no
//! code or token in the log.

use kit::testing::Storage;
use reqwest::Method;
use serde_json::{Value, json};

use crate::login::{Platform, assert_error, bearer, call, call_plain, linked_platform};
use crate::msg_gateway::{edit, email_gateway, smtp_server};
use crate::otp::{code_in, wrong};

fn find_body(p: &Platform, field: &str, value: &str) -> Value {
    json!({"tenantId": p.tenant, "communityId": p.community, field: value})
}

#[tokio::test]
async fn find_generate_authenticate_and_the_token_works() {
    crate::captured_logs::start();
    let Some(p) = linked_platform(Storage::Embedded, "login journey").await else { return };
    let url = p.admin[0].as_str();
    let carol = json!({"authModule": p.module, "users": [
        {"username": "carol", "password": "Amber-Canyon-42", "email1": "carol.doe@example.com", "phone1": "15551234567", "firstname": "Carol"},
    ]});
    let created = p.users_call(Method::PUT, "/users/create", carol).await;
    assert_eq!(created["created"], 1, "{created}");
    let jane = bearer(&p.token("jane", "Quartz-Meadow-71").await);
    let (smtp_port, mut mails) = smtp_server().await;
    let gateway = edit(&email_gateway(&p), |b| {
        b.insert("protocol".into(), json!("smtp-insecure"));
        b.insert("serviceUrl".into(), json!("127.0.0.1"));
        b.insert("port".into(), json!(smtp_port));
    });
    let (s, r) = call(url, Method::POST, "/msg_gateway/create", Some(&jane), Some(&gateway)).await;
    assert_eq!(s, 200, "{r}");

    // Find by email: masked contacts, keyed hashes, a sealed token; by username (plain body) too.
    let (s, r) =
        call(url, Method::POST, "/users/find", None, Some(&find_body(&p, "email", "carol.doe@example.com"))).await;
    assert_eq!(s, 200, "{r}");
    let found = &r["users"][0];
    assert_eq!(r["users"].as_array().unwrap().len(), 1, "{r}");
    assert_eq!(
        (found["username"].as_str(), found["email1"].as_str(), found["phone"].as_str()),
        (Some("c****"), Some("c********@example.com"), Some("*******4567"))
    );
    assert_eq!(found["email1Hash"].as_str().unwrap().len(), 64);
    let token = found["user_token"].as_str().unwrap().to_owned();
    assert!(!token.contains("carol") && !r.to_string().contains("carol.doe"), "{r}");
    let (s, r) = call_plain(url, Method::POST, "/users/find", None, &find_body(&p, "username", "Carol")).await;
    assert_eq!((s, r["users"][0]["username"].as_str()), (200, Some("carol")), "{r}");
    let (s, r) = call(url, Method::POST, "/users/find", None, Some(&find_body(&p, "username", "nobody"))).await;
    assert_eq!((s, r), (200, json!({"users": []})));
    let (s, r) =
        call(url, Method::POST, "/users/find", None, Some(&json!({"tenantId": p.tenant, "communityId": p.community})))
            .await;
    assert_error(s, &r, 400, "username or email is required");

    // Generate: emailed to carol's own address; the reply holds no code.
    let generate = json!({"tenantId": p.tenant, "communityId": p.community, "user_token": token, "deliveryMethod": "email", "destination": "attacker@example.com"});
    let (s, r) = call(url, Method::PUT, "/generate/otp", None, Some(&generate)).await;
    assert_eq!((s, r["deliveryMethod"].as_str()), (200, Some("email")), "{r}");
    let mail = mails.recv().await.unwrap();
    assert_eq!(mail.rcpt_to, vec!["<carol.doe@example.com>".to_owned()]);
    let code = code_in(&mail.data);
    assert!(!crate::captured_logs::holds(&r.to_string(), &code));
    let sms = edit(&generate, |b| {
        b.insert("deliveryMethod".into(), json!("sms"));
    });
    let (s, r) = call(url, Method::PUT, "/authenticate/otp", None, Some(&sms)).await;
    assert_error(s, &r, 400, "the community's MFA settings do not offer it");

    // Authenticate: a wrong code 401, the right one signs in (once), the JWT works.
    let auth = |passcode: &str, token: &str| json!({"tenantId": p.tenant, "communityId": p.community, "user_token": token, "passcode": passcode});
    let (s, r) = call(url, Method::POST, "/authenticate", None, Some(&auth(&wrong(&code), &token))).await;
    assert_eq!(s, 401, "{r}");
    let (s, r) = call(url, Method::POST, "/authenticate", None, Some(&auth(&code, &token))).await;
    assert_eq!(
        (s, r["user"]["username"].as_str(), r["user"]["roles"].clone()),
        (200, Some("carol"), json!(["user"])),
        "{r}"
    );
    let jwt = r["jwt_token"].as_str().unwrap().to_owned();
    let (s, r) = call(url, Method::GET, "/logout", Some(&bearer(&jwt)), None).await;
    assert_eq!(s, 204, "the JWT opens a login session: {r}");
    let (s, r) = call(url, Method::POST, "/authenticate", None, Some(&auth(&code, &token))).await;
    assert_eq!(s, 401, "a used code: {r}");

    // A forged token, one of another community: 401.
    let forged = format!("{}A", &token[..token.len() - 1]);
    let (s, r) = call(url, Method::POST, "/authenticate", None, Some(&auth(&code, &forged))).await;
    assert_error(s, &r, 401, "user_token is invalid or expired");
    let (s, r) = call(url, Method::POST, "/authenticate", None, Some(&auth(&code, "v1.bm90IGEgdG9rZW4="))).await;
    assert_error(s, &r, 401, "user_token is invalid or expired");
    let (s, r) = call(
        url,
        Method::PUT,
        "/generate/otp",
        None,
        Some(&edit(&generate, |b| {
            b.insert("user_token".into(), json!(forged));
        })),
    )
    .await;
    assert_error(s, &r, 401, "user_token is invalid or expired");

    // /verifyuser and /v2/request_access take an emailed code beside the username, once.
    let (s, _) = call(url, Method::PUT, "/generate/otp", None, Some(&generate)).await;
    assert_eq!(s, 200);
    let second = code_in(&mails.recv().await.unwrap().data);
    let otp_login = json!({"tenantId": p.tenant, "communityId": p.community, "username": "carol", "otp": second});
    let (s, r) = p.verify_user(0, otp_login.clone()).await;
    assert_eq!((s, r["user"]["username"].as_str()), (200, Some("carol")), "{r}");
    let (s, r) = p.verify_user(0, otp_login).await;
    assert_error(s, &r, 401, "invalid username or credentials");
    let (s, _) = call(url, Method::PUT, "/generate/otp", None, Some(&generate)).await;
    assert_eq!(s, 200);
    let third = code_in(&mails.recv().await.unwrap().data);
    let facts = json!({"tenantId": p.tenant, "communityId": p.community, "username": "carol", "web_otp": third});
    let (s, r) = call(url, Method::POST, "/v2/request_access", None, Some(&facts)).await;
    assert_eq!((s, r["user"]["username"].as_str()), (200, Some("carol")), "{r}");
    assert!(r["jwt"].as_str().is_some());

    let log = crate::captured_logs::text();
    assert!(log.contains("users found"), "the capture saw the requests");
    for secret in [code.as_str(), second.as_str(), third.as_str(), token.as_str()] {
        assert!(!crate::captured_logs::holds(&log, secret), "a code or token in the log");
    }
}
