//! Invitations and access codes over HTTP: an administrator invites a user (`PUT /users/invite`),
//! the code arrives in a real SMTP server's mailbox, the list shows its metadata and never the
//! code, the helper SDK's `BIDAccessCodes` paths fetch it and redeem it once (concurrent redeems:
//! one wins), a resend revokes the old code, deletion is for administrators; the CAPTCHA is checked
//! by a stub `siteverify` server started here (accepted, refused, unavailable, bypassed by a
//! license, missing pieces named); a user asks for their own invitation with a `user_token`; an
//! expired code is refused; no code, token or secret reaches the log.

use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};

use actix_web::{App, HttpResponse, HttpServer, web};
use base64::Engine as _;
use envelope::{Client, Curve, KeyPair};
use kit::testing::{SERVICE_KEY, Storage};
use reqwest::Method;
use serde_json::{Value, json};

use crate::login::{Platform, assert_error, bearer, call, call_plain, platform, uid_of};
use crate::msg_gateway::{edit, email_gateway, http_receiver, sms_gateway, smtp_server};

pub(crate) const CAPTCHA_SECRET: &str = "captcha-secret-7f3e91d2c4";
pub(crate) const HUMAN: &str = "human-token-5b8a0c6e";
pub(crate) const ROBOT: &str = "robot-token-19d4e7aa";
const BROKEN: &str = "broken-token-0aa1";
const BASE: &str = "https://invite.example.com/{community}/accept";

/// A `siteverify` stub: `success` for the token [`HUMAN`] under [`CAPTCHA_SECRET`], a 500 for
/// [`BROKEN`], `success: false` otherwise; its URL and how many times it was asked.
async fn verifier() -> (String, Arc<AtomicUsize>) {
    let calls = Arc::new(AtomicUsize::new(0));
    let counter = calls.clone();
    let server = HttpServer::new(move || {
        let counter = counter.clone();
        App::new().route(
            "/siteverify",
            web::post().to(move |body: web::Bytes| {
                let counter = counter.clone();
                async move {
                    counter.fetch_add(1, Ordering::SeqCst);
                    let form = String::from_utf8(body.to_vec()).unwrap();
                    let field = |name: &str| {
                        form.split('&').find_map(|kv| kv.strip_prefix(&format!("{name}="))).unwrap_or("").to_owned()
                    };
                    if field("response") == BROKEN {
                        return HttpResponse::InternalServerError().finish();
                    }
                    let ok = field("secret") == CAPTCHA_SECRET && field("response") == HUMAN;
                    HttpResponse::Ok().json(json!({"success": ok, "hostname": "test"}))
                }
            }),
        )
    })
    .workers(1)
    .bind(("127.0.0.1", 0))
    .unwrap();
    let url = format!("http://127.0.0.1:{}/siteverify", server.addrs()[0].port());
    tokio::spawn(server.run());
    (url, calls)
}

/// The text of a mail's body, its transfer encoding undone.
pub(crate) fn body_of(data: &str) -> String {
    let (head, body) = data.split_once("\r\n\r\n").unwrap();
    if head.contains("Content-Transfer-Encoding: base64") {
        let joined: String = body.split_whitespace().collect();
        return String::from_utf8(base64::engine::general_purpose::STANDARD.decode(joined).unwrap()).unwrap();
    }
    if !head.contains("Content-Transfer-Encoding: quoted-printable") {
        return body.to_owned();
    }
    let joined = body.replace("=\r\n", "");
    let bytes = joined.as_bytes();
    let mut out = Vec::new();
    let mut i = 0;
    while i < bytes.len() {
        if bytes[i] == b'=' && i + 2 < bytes.len() {
            out.push(u8::from_str_radix(&joined[i + 1..i + 3], 16).unwrap());
            i += 3;
        } else {
            out.push(bytes[i]);
            i += 1;
        }
    }
    String::from_utf8(out).unwrap()
}

/// The code of the invitation link in a mail (the HTML template escapes the link's `/`).
fn code_in(data: &str) -> String {
    let body = body_of(data).replace("&#x2f;", "/");
    let prefix = "https://invite.example.com/default/accept/";
    let at = body.find(prefix).unwrap_or_else(|| panic!("no link in {body}")) + prefix.len();
    body[at..].chars().take_while(|c| c.is_ascii_alphanumeric() || *c == '-' || *c == '_').collect()
}

fn sdk() -> Client {
    Client::new(Arc::new(KeyPair::generate(Curve::Secp256k1).unwrap())).unwrap().app_id("sdk").license(SERVICE_KEY)
}

/// `BIDAccessCodes.fetchAccessCode`: GET with the licensed headers; the status and the opened
/// reply.
async fn sdk_fetch(url: &str, community: &str, code: &str) -> (u16, Value, bool) {
    let reply = sdk()
        .call(Method::GET, url, &format!("/api/r1/acr/community/{community}/{code}"), None::<&Value>)
        .await
        .unwrap();
    (reply.status, reply.body, reply.sealed)
}

/// The redeem of `verifyAndRedeemEmailVerificationCode`: a plain `{}` body, as the SDK sends it.
async fn sdk_redeem(url: &str, community: &str, code: &str) -> (u16, Value) {
    let client = sdk();
    let peer = client.peer(url).await.unwrap();
    let headers = client.headers(&peer).unwrap();
    let path = format!("/api/r1/acr/community/{community}/{code}/redeem");
    let reply = client.send(Method::POST, url, &path, &headers, Some(&json!({})), &peer).await.unwrap();
    assert!(!reply.sealed, "a plain request gets a plain reply");
    (reply.status, reply.body)
}

fn invite_body(p: &Platform, user: &str, uid: &str, extra: Value) -> Value {
    let mut body = json!({"tenantId": p.tenant, "communityId": p.community, "authModuleId": p.module,
        "userId": user, "uid": uid, "emailTo": format!("{user}.inbox@example.com"), "firstname": "Bo",
        "lastname": "Tester", "templateKeyPath": "default", "createdby": "someone-else"});
    body.as_object_mut().unwrap().extend(extra.as_object().unwrap().clone());
    body
}

/// adminapi with the stub verifier and an SMTP gateway; jane's bearer and the mailbox.
pub(crate) async fn setup(
    test: &str,
    storage: Storage,
    extra: &[(&str, &str)],
) -> Option<(Platform, String, tokio::sync::mpsc::UnboundedReceiver<crate::msg_gateway::Mail>, Arc<AtomicUsize>)> {
    let (verify_url, calls) = verifier().await;
    let mut env = vec![("CAPTCHA_VERIFY_URL", verify_url.as_str()), ("INVITATION_BASE_URL", BASE)];
    env.extend_from_slice(extra);
    let p = platform(storage, test, 1, &env).await?;
    let jane = bearer(&p.token("jane", "Quartz-Meadow-71").await);
    let (smtp_port, mails) = smtp_server().await;
    let gateway = edit(&email_gateway(&p), |b| {
        b.insert("protocol".into(), json!("smtp-insecure"));
        b.insert("serviceUrl".into(), json!("127.0.0.1"));
        b.insert("port".into(), json!(smtp_port));
    });
    let (s, r) = call(&p.admin[0], Method::POST, "/msg_gateway/create", Some(&jane), Some(&gateway)).await;
    assert_eq!(s, 200, "{r}");
    Some((p, jane, mails, calls))
}

pub(crate) async fn add_captcha_secret(p: &Platform, jane: &str) {
    let secret =
        json!({"tenantId": p.tenant, "communityId": p.community, "tag": "captcha_secret", "value": CAPTCHA_SECRET});
    let (s, r) = call(&p.admin[0], Method::POST, "/secret-store/create", Some(jane), Some(&secret)).await;
    assert_eq!(s, 201, "{r}");
}

#[tokio::test]
async fn an_invitation_is_emailed_listed_without_its_code_redeemed_once_resent_and_deleted() {
    crate::captured_logs::start();
    let Some((p, jane, mut mails, calls)) = setup("invites", Storage::Embedded, &[]).await else { return };
    let url = p.admin[0].as_str();
    let bob = bearer(&p.token("bob", "Violet-Harbor-58").await);
    let (bob_uid, jane_uid) = (uid_of(&p, "bob").await, uid_of(&p, "jane").await);
    let mut secrets: Vec<String> = vec![HUMAN.into(), ROBOT.into(), CAPTCHA_SECRET.into()];

    // The CAPTCHA: missing, no secret yet, refused, unavailable; each names what is wrong.
    let plain = invite_body(&p, "bob", &bob_uid, json!({}));
    let (s, r) = call(url, Method::PUT, "/users/invite", Some(&jane), Some(&plain)).await;
    assert_error(s, &r, 400, "captchaToken is required unless a valid license is given");
    let human = invite_body(&p, "bob", &bob_uid, json!({"captchaToken": HUMAN}));
    let (s, r) = call(url, Method::PUT, "/users/invite", Some(&jane), Some(&human)).await;
    assert_error(s, &r, 400, "captchaToken cannot be checked: the community's secret store has no captcha_secret");
    assert_eq!(calls.load(Ordering::SeqCst), 0);
    add_captcha_secret(&p, &jane).await;
    let robot = invite_body(&p, "bob", &bob_uid, json!({"captchaToken": ROBOT}));
    let (s, r) = call(url, Method::PUT, "/users/invite", Some(&jane), Some(&robot)).await;
    assert_error(s, &r, 400, "captchaToken was not accepted by the CAPTCHA verifier");
    let broken = invite_body(&p, "bob", &bob_uid, json!({"captchaToken": BROKEN}));
    let (s, r) = call(url, Method::PUT, "/users/invite", Some(&jane), Some(&broken)).await;
    assert_error(s, &r, 503, "the CAPTCHA verifier is unavailable");
    let invalid_license = invite_body(&p, "bob", &bob_uid, json!({"license": "not-a-license-key-3c1f"}));
    let (s, r) = call(url, Method::PUT, "/users/invite", Some(&jane), Some(&invalid_license)).await;
    assert_error(s, &r, 400, "captchaToken is required unless a valid license is given");
    assert_eq!(calls.load(Ordering::SeqCst), 2);

    // Bad bodies, a user who is not the uid's, a plain user: refused before anything is sent.
    for (extra, status, message) in [
        (json!({"emailTo": "", "smsTo": null}), 400, "emailTo or smsTo is required"),
        (json!({"emailTo": "not-an-address"}), 400, "emailTo must be an email address"),
        (json!({"smsTo": "12ab"}), 400, "smsTo must be a phone number"),
        (json!({"templateKeyPath": "otp.email.x"}), 400, "templateKeyPath must be"),
        (json!({"authModuleId": "x"}), 400, "authModuleId must be a 24-hex-digit id"),
        (json!({"uid": jane_uid}), 400, "uid is not the uid of the user userId"),
        (json!({"userId": "ghost"}), 404, "user not found"),
        (json!({"templateKeyPath": "missing"}), 404, "templateKeyPath names no invite template"),
    ] {
        let body = invite_body(&p, "bob", &bob_uid, extra.clone());
        let body = edit(&body, |b| drop(b.insert("captchaToken".into(), json!(HUMAN))));
        let (s, r) = call(url, Method::PUT, "/users/invite", Some(&jane), Some(&body)).await;
        assert_error(s, &r, status, message);
    }
    let (s, r) = call(url, Method::PUT, "/users/invite", Some(&bob), Some(&human)).await;
    assert_error(s, &r, 403, "may not");
    let (s, r) = call(url, Method::PUT, "/users/invite", None, Some(&human)).await;
    assert_error(s, &r, 401, "authorization header is required");
    assert!(mails.try_recv().is_err(), "nothing was sent");

    // Invited: the reply holds the link and the code (once); the mail holds the same link.
    let (s, r) = call(url, Method::PUT, "/users/invite", Some(&jane), Some(&human)).await;
    assert_eq!(s, 200, "{r}");
    assert_eq!(r["emailResult"]["status"], json!(true), "{r}");
    let code = r["code"].as_str().unwrap().to_owned();
    let id = r["id"].as_str().unwrap().to_owned();
    assert_eq!(code.len(), 32, "192 random bits");
    assert_eq!(r["link"].as_str(), Some(format!("https://invite.example.com/default/accept/{code}").as_str()));
    let mail = mails.recv().await.unwrap();
    assert_eq!(mail.rcpt_to, vec!["<bob.inbox@example.com>".to_owned()]);
    assert!(mail.data.contains("Subject: You are invited to default"), "{}", mail.data);
    assert_eq!(code_in(&mail.data), code);
    secrets.push(code.clone());

    // A second invitation (jane herself), by the license instead of a CAPTCHA: not verified.
    let asked = calls.load(Ordering::SeqCst);
    let licensed = invite_body(&p, "jane", &jane_uid, json!({"license": SERVICE_KEY}));
    let (s, r) = call_plain(url, Method::PUT, "/users/invite", Some(&jane), &licensed).await;
    assert_eq!(s, 200, "{r}");
    assert_eq!(calls.load(Ordering::SeqCst), asked, "the license bypassed the verifier");
    let jane_code = code_in(&mails.recv().await.unwrap().data);
    assert_eq!(r["code"].as_str(), Some(jane_code.as_str()));
    secrets.push(jane_code.clone());

    // The list: metadata and ids, no code. jane sees both; bob only his own.
    let fetch = |uids: Option<Vec<&str>>| {
        let mut b = json!({"user": {"uid": "ignored", "username": "x", "authModuleId": p.module},
            "community": {"id": p.community, "name": "default", "publicKey": "ignored"}});
        if let Some(u) = uids {
            b["uids"] = json!(u);
        }
        b
    };
    let (s, list) = call(url, Method::POST, "/users/accesscodes/fetch", Some(&jane), Some(&fetch(None))).await;
    assert_eq!(s, 200, "{list}");
    let data = list["data"].as_array().unwrap();
    assert_eq!(data.len(), 2, "{list}");
    let mine = data.iter().find(|c| c["id"] == json!(id)).unwrap();
    assert_eq!(
        (mine["status"].as_str(), mine["type"].as_str(), mine["createdBy"].as_str()),
        (Some("active"), Some("user_invitation"), Some("jane"))
    );
    assert_eq!(
        (mine["accesscodepayload"]["uid"].as_str(), mine["accesscodepayload"]["invite_email"].as_str()),
        (Some(bob_uid.as_str()), Some("bob.inbox@example.com"))
    );
    assert_eq!(mine["ttl_seconds"], json!(7 * 24 * 3600));
    assert!(!list.to_string().contains(&code) && !list.to_string().contains(&jane_code), "{list}");
    let (s, own) = call(url, Method::POST, "/users/accesscodes/fetch", Some(&bob), Some(&fetch(None))).await;
    assert_eq!((s, own["data"].as_array().unwrap().len(), own["data"][0]["id"].as_str()), (200, 1, Some(id.as_str())));
    let (s, r) =
        call(url, Method::POST, "/users/accesscodes/fetch", Some(&bob), Some(&fetch(Some(vec![&jane_uid])))).await;
    assert_error(s, &r, 403, "may not");
    let (s, only) =
        call(url, Method::POST, "/users/accesscodes/fetch", Some(&jane), Some(&fetch(Some(vec![&jane_uid])))).await;
    assert_eq!((s, only["data"].as_array().unwrap().len()), (200, 1), "{only}");

    // The SDK: fetch (sealed, no code), redeem once, then 409; another community's name is 404.
    let (s, r, sealed) = sdk_fetch(url, "default", &code).await;
    assert_eq!((s, sealed, r["id"].as_str(), r["status"].as_str()), (200, true, Some(id.as_str()), Some("active")));
    assert!(!r.to_string().contains(&code));
    assert_eq!(sdk_fetch(url, "elsewhere", &code).await.0, 404);
    assert_eq!(sdk_fetch(url, "default", &"A".repeat(32)).await.0, 404);
    let (s, r) = sdk_redeem(url, "default", &code).await;
    assert_eq!((s, r), (200, json!({"status": "redeemed", "id": id})));
    let (s, r) = sdk_redeem(url, "default", &code).await;
    assert_error(s, &r, 409, "the access code was already redeemed");
    let (_, r, _) = sdk_fetch(url, "default", &code).await;
    assert_eq!((r["status"].as_str(), r["redeem_result"]["publicKey"].is_string()), (Some("redeemed"), true), "{r}");

    // Resend: a redeemed code cannot be; jane's active one is replaced and the old one revoked.
    let resend = |code: &str| json!({"code": code, "emailTo": "jane.new@example.com", "firstname": "Jane", "lastname": "Doe", "license": SERVICE_KEY});
    let (s, r) = call(url, Method::POST, "/users/resend/invite", Some(&jane), Some(&resend(&id))).await;
    assert_error(s, &r, 409, "cannot be sent again");
    let (s, r) = call(url, Method::POST, "/users/resend/invite", Some(&bob), Some(&resend(&jane_code))).await;
    assert_error(s, &r, 403, "may not");
    let (s, r) = call(url, Method::POST, "/users/resend/invite", Some(&jane), Some(&resend(&jane_code))).await;
    assert_eq!(s, 200, "{r}");
    let new_code = r["code"].as_str().unwrap().to_owned();
    let new_id = r["id"].as_str().unwrap().to_owned();
    let mail = mails.recv().await.unwrap();
    assert_eq!((mail.rcpt_to[0].as_str(), code_in(&mail.data)), ("<jane.new@example.com>", new_code.clone()));
    secrets.push(new_code.clone());
    let (s, r) = sdk_redeem(url, "default", &jane_code).await;
    assert_error(s, &r, 410, "the access code was revoked");

    // Delete: administrators only, by id; then the code is unknown.
    let (s, r) = call(url, Method::DELETE, &format!("/users/accesscode/{new_id}"), Some(&bob), None).await;
    assert_error(s, &r, 403, "may not");
    let (s, _) = call(url, Method::DELETE, &format!("/users/accesscode/{new_id}"), Some(&jane), None).await;
    assert_eq!(s, 204);
    let (s, r) = call(url, Method::DELETE, &format!("/users/accesscode/{new_id}"), Some(&jane), None).await;
    assert_error(s, &r, 404, "no such access code");
    let (s, r) = sdk_redeem(url, "default", &new_code).await;
    assert_error(s, &r, 404, "no such access code");

    // The audit log names the codes by id.
    let changes = p.stores.audit.changes(&p.community, 20).await.unwrap();
    let actions: Vec<(&str, &str)> =
        changes.iter().filter(|c| c.kind == "access_code").map(|c| (c.action.as_str(), c.record.as_str())).collect();
    assert_eq!(actions[0], ("delete", new_id.as_str()));
    assert!(actions.contains(&("create", id.as_str())) && actions.iter().any(|a| a.0 == "resend"), "{actions:?}");

    let log = crate::captured_logs::text();
    assert!(log.contains("invitation sent") && log.contains("access code redeemed"), "the capture saw the requests");
    for secret in &secrets {
        assert!(!crate::captured_logs::holds(&log, secret), "a secret in the log");
    }
}

#[tokio::test]
async fn a_user_asks_for_their_own_invitation_with_a_user_token() {
    crate::captured_logs::start();
    let Some((p, jane, mut mails, _)) = setup("invite request", Storage::Embedded, &[]).await else { return };
    let url = p.admin[0].as_str();
    add_captcha_secret(&p, &jane).await;
    let dan = json!({"authModule": p.module, "users": [
        {"username": "dan", "password": "Cobalt-River-39", "email1": "dan.own@example.com", "firstname": "Dan"},
    ]});
    assert_eq!(p.users_call(Method::PUT, "/users/create", dan).await["created"], 1);
    let find = json!({"tenantId": p.tenant, "communityId": p.community, "username": "dan"});
    let (s, r) = call(url, Method::POST, "/users/find", None, Some(&find)).await;
    assert_eq!(s, 200, "{r}");
    let token = r["users"][0]["user_token"].as_str().unwrap().to_owned();
    let ask = |extra: Value| {
        let mut b =
            json!({"tenantId": p.tenant, "communityId": p.community, "user_token": token, "deliveryMethod": "email1"});
        b.as_object_mut().unwrap().extend(extra.as_object().unwrap().clone());
        b
    };

    let (s, r) = call(url, Method::POST, "/users/request/invite", None, Some(&ask(json!({})))).await;
    assert_error(s, &r, 400, "google_token is required unless a valid license is given");
    let (s, r) =
        call(url, Method::POST, "/users/request/invite", None, Some(&ask(json!({"google_token": ROBOT})))).await;
    assert_error(s, &r, 400, "google_token was not accepted");
    let bad = ask(json!({"google_token": HUMAN, "deliveryMethod": "sms"}));
    let (s, r) = call(url, Method::POST, "/users/request/invite", None, Some(&bad)).await;
    assert_error(s, &r, 400, "deliveryMethod must be email1 or email2");
    let none = ask(json!({"google_token": HUMAN, "deliveryMethod": "email2"}));
    let (s, r) = call(url, Method::POST, "/users/request/invite", None, Some(&none)).await;
    assert_error(s, &r, 400, "deliveryMethod: the user has no email2");
    let forged =
        edit(&ask(json!({"google_token": HUMAN})), |b| drop(b.insert("user_token".into(), json!("v1.forged"))));
    let (s, r) = call(url, Method::POST, "/users/request/invite", None, Some(&forged)).await;
    assert_error(s, &r, 401, "user_token is invalid or expired");

    // Sent to dan's own address; the reply, before any login, holds neither the link nor the code.
    let (s, r) =
        call(url, Method::POST, "/users/request/invite", None, Some(&ask(json!({"google_token": HUMAN})))).await;
    assert_eq!(s, 200, "{r}");
    assert!(r.get("code").is_none() && r.get("link").is_none() && r["emailResult"]["status"] == json!(true), "{r}");
    let mail = mails.recv().await.unwrap();
    assert_eq!(mail.rcpt_to, vec!["<dan.own@example.com>".to_owned()]);
    let code = code_in(&mail.data);
    assert!(body_of(&mail.data).contains("Hello Dan"), "{}", mail.data);
    assert!(!r.to_string().contains(&code));
    let (s, r) = sdk_redeem(url, "default", &code).await;
    assert_eq!(s, 200, "{r}");

    // Five per user per hour: the license bypasses the CAPTCHA, not the limit.
    for _ in 0..4 {
        let (s, r) =
            call(url, Method::POST, "/users/request/invite", None, Some(&ask(json!({"license": SERVICE_KEY})))).await;
        assert_eq!(s, 200, "{r}");
        mails.recv().await.unwrap();
    }
    let (s, r) =
        call(url, Method::POST, "/users/request/invite", None, Some(&ask(json!({"license": SERVICE_KEY})))).await;
    assert_error(s, &r, 429, "too many invitations were requested");

    let log = crate::captured_logs::text();
    for secret in [token.as_str(), code.as_str(), HUMAN, CAPTCHA_SECRET] {
        assert!(!crate::captured_logs::holds(&log, secret), "a secret in the log");
    }
}

#[tokio::test]
async fn of_concurrent_redeems_exactly_one_wins() {
    for storage in [Storage::Embedded, Storage::Postgres] {
        let Some((p, jane, mut mails, _)) = setup("invite race", storage, &[]).await else { continue };
        let url = p.admin[0].clone();
        let bob_uid = uid_of(&p, "bob").await;
        let body = invite_body(&p, "bob", &bob_uid, json!({"license": SERVICE_KEY}));
        let (s, r) = call(&url, Method::PUT, "/users/invite", Some(&jane), Some(&body)).await;
        assert_eq!(s, 200, "{r}");
        let code = code_in(&mails.recv().await.unwrap().data);
        let tries: Vec<_> = (0..8)
            .map(|_| {
                let (url, code) = (url.clone(), code.clone());
                tokio::spawn(async move { sdk_redeem(&url, "default", &code).await.0 })
            })
            .collect();
        let mut statuses = Vec::new();
        for t in tries {
            statuses.push(t.await.unwrap());
        }
        statuses.sort_unstable();
        assert_eq!(statuses, [200, 409, 409, 409, 409, 409, 409, 409], "{storage:?}");
    }
}

#[tokio::test]
async fn an_expired_code_is_refused_and_without_a_verifier_only_a_license_invites() {
    let Some(p) = platform(Storage::Embedded, "invite expiry", 1, &[("INVITATION_TTL_SECONDS", "600")]).await else {
        return;
    };
    let url = p.admin[0].as_str();
    let jane = bearer(&p.token("jane", "Quartz-Meadow-71").await);
    let (smtp_port, mut mails) = smtp_server().await;
    let gateway = edit(&email_gateway(&p), |b| {
        b.insert("protocol".into(), json!("smtp-insecure"));
        b.insert("serviceUrl".into(), json!("127.0.0.1"));
        b.insert("port".into(), json!(smtp_port));
    });
    assert_eq!(call(url, Method::POST, "/msg_gateway/create", Some(&jane), Some(&gateway)).await.0, 200);
    let bob_uid = uid_of(&p, "bob").await;
    let captcha = invite_body(&p, "bob", &bob_uid, json!({"captchaToken": HUMAN}));
    let (s, r) = call(url, Method::PUT, "/users/invite", Some(&jane), Some(&captcha)).await;
    assert_error(s, &r, 400, "no CAPTCHA verifier is configured (CAPTCHA_VERIFY_URL); give a valid license");

    let licensed = invite_body(&p, "bob", &bob_uid, json!({"license": SERVICE_KEY}));
    let (s, r) = call(url, Method::PUT, "/users/invite", Some(&jane), Some(&licensed)).await;
    assert_eq!(s, 200, "{r}");
    let expires_at = r["expiresAt"].as_i64().unwrap();
    assert!((590..=600).contains(&(expires_at - envelope::wire::now_epoch())), "{r}");
    let code = r["code"].as_str().unwrap().to_owned();
    mails.recv().await.unwrap();
    // A minute before its end it is still active; at its end, expired (adminapi's clock moves,
    // the stores' does not).
    p.clock.advance(std::time::Duration::from_secs(540));
    let (_, r, _) = sdk_fetch(url, "default", &code).await;
    assert_eq!(r["status"].as_str(), Some("active"), "{r}");
    p.clock.advance(std::time::Duration::from_secs(60));
    let (s, r) = sdk_redeem(url, "default", &code).await;
    assert_error(s, &r, 410, "the access code has expired");
    let (_, r, _) = sdk_fetch(url, "default", &code).await;
    assert_eq!(r["status"].as_str(), Some("expired"), "{r}");
    // An expired code may be sent again: the new one redeems.
    let resend = json!({"code": code, "emailTo": "bob.again@example.com", "firstname": "Bo", "lastname": "T", "license": SERVICE_KEY});
    let (s, r) = call(url, Method::POST, "/users/resend/invite", Some(&jane), Some(&resend)).await;
    assert_eq!(s, 200, "{r}");
    let (s, _) = sdk_redeem(url, "default", r["code"].as_str().unwrap()).await;
    assert_eq!(s, 200);
}

#[tokio::test]
async fn an_invitation_goes_by_sms_with_the_chosen_template_and_an_undelivered_code_is_revoked() {
    let Some(p) = platform(Storage::Embedded, "invite sms", 1, &[("INVITATION_BASE_URL", BASE)]).await else { return };
    let url = p.admin[0].as_str();
    let jane = bearer(&p.token("jane", "Quartz-Meadow-71").await);
    let (receiver, mut hits) = http_receiver().await;
    let (s, r) =
        call(url, Method::POST, "/msg_gateway/create", Some(&jane), Some(&sms_gateway(&p, &format!("{receiver}/sms"))))
            .await;
    assert_eq!(s, 200, "{r}");
    let template = json!({"tenantId": p.tenant, "communityId": p.community, "templateData": {"invite": {"sms": {
        "short": {"name": "Short", "data": "Hi {{ user.firstname }}: {{ link }}", "isDefault": false}}}}});
    let (s, r) = call(url, Method::PUT, "/config/template", Some(&jane), Some(&template)).await;
    assert!(s < 300, "{s} {r}");
    let bob_uid = uid_of(&p, "bob").await;
    let sms = |to: &str, key: &str| {
        invite_body(
            &p,
            "bob",
            &bob_uid,
            json!({"emailTo": null, "smsTo": to, "templateKeyPath": key, "license": SERVICE_KEY}),
        )
    };
    // A key path naming the other channel leaves SMS on its default; this one picks "short".
    let (s, r) =
        call(url, Method::PUT, "/users/invite", Some(&jane), Some(&sms("15550123456", "invite.sms.short"))).await;
    assert_eq!(s, 200, "{r}");
    assert!(r.get("emailResult").is_none() && r["smsResult"]["status"] == json!(true), "{r}");
    let code = r["code"].as_str().unwrap();
    let (path, _, body) = hits.recv().await.unwrap();
    assert_eq!((path.as_str(), body["to"].as_str()), ("/sms", Some("+15550123456")));
    assert_eq!(
        body["message"].as_str(),
        Some(format!("Hi Bo: https://invite.example.com/default/accept/{code}").as_str())
    );
    let (s, r) =
        call(url, Method::PUT, "/users/invite", Some(&jane), Some(&sms("15550123456", "invite.email.short"))).await;
    assert_eq!(s, 200, "{r}");
    let (_, _, body) = hits.recv().await.unwrap();
    assert!(body["message"].as_str().unwrap().contains("you are invited to default"), "{body}");

    // The gateway refuses: 503, and the code is revoked, never left active.
    let (s, r) = call(url, Method::PUT, "/users/invite", Some(&jane), Some(&sms("+10000000000", "default"))).await;
    assert_error(s, &r, 503, "the sms gateway did not take the message");
    hits.recv().await.unwrap();
    let fetch = json!({"user": {}, "community": {"id": p.community}});
    let (s, list) = call(url, Method::POST, "/users/accesscodes/fetch", Some(&jane), Some(&fetch)).await;
    assert_eq!(s, 200, "{list}");
    let states: Vec<&str> = list["data"].as_array().unwrap().iter().map(|c| c["status"].as_str().unwrap()).collect();
    assert_eq!(states, ["revoked", "active", "active"], "newest first");
    assert_eq!(list["data"][0]["accesscodepayload"]["invite_phone"].as_str(), Some("+10000000000"));
}

#[tokio::test]
async fn the_access_code_store_behaves_alike_on_every_database() {
    use adminapi::domain::access_codes::{AccessCodes, Draft, RedeemOutcome, State};
    use adminapi::domain::secrets::Sealer;
    for storage in [Storage::Embedded, Storage::Postgres] {
        let Some(p) = platform(storage, "access code store", 1, &[]).await else { continue };
        let limits: Arc<dyn kit::ephemeral::Ephemeral> = Arc::new(kit::ephemeral::MemoryStore::new());
        let codes = AccessCodes::new(p.stores.access_codes.clone(), Arc::new(Sealer::from_key(&[3; 32])), limits, 100);
        let draft = |uid: &str| Draft {
            tenant_id: p.tenant.clone(),
            community_id: p.community.clone(),
            uid: uid.into(),
            username: format!("{uid}-name"),
            module_id: p.module.clone(),
            email_to: Some("a@example.com".into()),
            sms_to: None,
            template_key: "default".into(),
            created_by: "jane".into(),
            created_by_uid: "jane-uid".into(),
        };
        let a = codes.issue(draft("u1"), 1000).await.unwrap();
        let b = codes.issue(draft("u2"), 1001).await.unwrap();
        let found = codes.find(&a.code).await.unwrap().unwrap();
        assert_eq!(found, a.record, "{storage:?}: read back as written");
        assert_eq!(codes.find_by_id_or_code(&b.record.id).await.unwrap().unwrap().code_hash, b.record.code_hash);
        let ids =
            |list: Vec<adminapi::domain::access_codes::AccessCode>| list.into_iter().map(|c| c.id).collect::<Vec<_>>();
        assert_eq!(ids(codes.list(&p.community, None).await.unwrap()), [b.record.id.clone(), a.record.id.clone()]);
        let only = codes.list(&p.community, Some(&["u1".to_owned()])).await.unwrap();
        assert_eq!(ids(only), vec![a.record.id.clone()]);
        assert!(codes.list("6a0000000000000000000009", None).await.unwrap().is_empty());

        // Resend: the old code revoked and the new one added, once.
        let c = codes.reissue(&a.record, "n@example.com".into(), ("jane", "jane-uid"), 1002).await.unwrap();
        assert!(codes.reissue(&a.record, "n@example.com".into(), ("jane", "jane-uid"), 1003).await.is_err());
        assert_eq!(codes.find(&a.code).await.unwrap().unwrap().state(1003), State::Revoked);
        // Redeem: not past the expiry, once.
        let b_now = codes.find(&b.code).await.unwrap().unwrap();
        assert!(matches!(codes.redeem(&b_now, "{}", 1101).await, Err(RedeemOutcome::Refused(_))), "expired");
        let c_now = codes.find(&c.code).await.unwrap().unwrap();
        let redeemed = codes.redeem(&c_now, r#"{"publicKey":"k"}"#, 1050).await.unwrap();
        assert_eq!(codes.find(&c.code).await.unwrap().unwrap(), redeemed, "{storage:?}");
        assert!(matches!(codes.redeem(&c_now, "{}", 1051).await, Err(RedeemOutcome::Refused(_))));
        // Undeliverable and deleted.
        codes.undeliverable(&b.record, 1004).await.unwrap();
        assert_eq!(codes.find(&b.code).await.unwrap().unwrap().state(1004), State::Revoked);
        codes.delete(&b.record, "jane-uid", 1005).await.unwrap();
        assert!(codes.find(&b.code).await.unwrap().is_none());
        assert!(codes.delete(&b.record, "jane-uid", 1006).await.is_err(), "already gone");
        let audit = p.stores.audit.changes(&p.community, 10).await.unwrap();
        let actions: Vec<&str> = audit.iter().filter(|c| c.kind == "access_code").map(|c| c.action.as_str()).collect();
        assert_eq!(actions, ["delete", "resend", "create", "create"], "{storage:?}");
        // A password reset code: its own purpose and lifetime, redeemed, released, redeemed again.
        let codes = codes.with_reset_ttl(50);
        let r = codes.issue_reset(draft("u3"), 2000).await.unwrap();
        assert_eq!(codes.find_reset(&r.code).await.unwrap().unwrap(), r.record, "{storage:?}: read back as written");
        assert_eq!(r.record.expires_at, 2050);
        assert!(codes.find(&r.code).await.unwrap().is_none(), "not an invitation");
        assert!(codes.find_by_id_or_code(&r.record.id).await.unwrap().is_none(), "not an invitation");
        assert!(!codes.list(&p.community, None).await.unwrap().iter().any(|c| c.id == r.record.id));
        let used = codes.redeem(&r.record, "{}", 2001).await.unwrap();
        codes.release(&used, 2002).await.unwrap();
        let back = codes.find_reset(&r.code).await.unwrap().unwrap();
        assert_eq!(
            (back.state(2003), back.redeemed_at, back.redeem_result.clone()),
            (State::Active, None, None),
            "{storage:?}"
        );
        codes.redeem(&back, "{}", 2004).await.unwrap();
        assert_eq!(codes.find_reset(&r.code).await.unwrap().unwrap().state(2005), State::Redeemed);
    }
}
