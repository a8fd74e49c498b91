//! The MSG Gateway group over HTTP: an administrator creates, reads, updates and deletes the
//! community's email, SMS and voice gateways (sealed and plain preview), the rules refuse what
//! they must (naming the field), credentials are never answered and an update may keep them,
//! every write is in the audit log; and the messenger delivers a real email to an SMTP server
//! and real SMS and voice messages to an HTTP receiver, both started here on loopback, with the
//! gateway's password absent from the database file, the replies and the TRACE log.

use std::sync::Arc;

use actix_web::{App, HttpRequest, HttpResponse, HttpServer, web};
use adminapi::delivery::Delivery;
use adminapi::domain::DomainError;
use adminapi::domain::messaging::{Message, Messenger};
use adminapi::domain::msg_gateway::{Channel, Gateways};
use adminapi::domain::secrets::Sealer;
use adminapi::domain::tenancy;
use base64::Engine as _;
use reqwest::Method;
use serde_json::{Value, json};
use tokio::sync::mpsc;

use crate::login::{Platform, assert_error, bearer, call, call_plain, platform, uid_of};
use crate::secret_store::{contains, database_bytes};
use kit::testing::Storage;

const MAIL_PASSWORD: &str = "Smtp-Canary-Password-91b7";
const SMS_PASSWORD: &str = "Sms-Canary-Password-4c2e";

pub(crate) fn email_gateway(p: &Platform) -> Value {
    json!({"tenantId": p.tenant, "communityId": p.community, "type": "smtp", "channels": ["email"],
        "protocol": "smtp", "auth": "true", "name": "Default Email Gateway", "username": "mailer",
        "password": MAIL_PASSWORD, "serviceUrl": "smtp.example.com", "senderEmail": "noreply@example.com", "port": "465"})
}

pub(crate) fn sms_gateway(p: &Platform, url: &str) -> Value {
    json!({"tenantId": p.tenant, "communityId": p.community, "type": "http", "channels": ["sms"], "auth": "true",
        "name": "Default SMS Gateway", "username": "smsuser", "password": SMS_PASSWORD, "serviceUrl": url,
        "senderPhone": "+15550100", "smstemplateid": "T-1", "entityId": "E-1"})
}

fn voice_gateway(p: &Platform, url: &str) -> Value {
    json!({"tenantId": p.tenant, "communityId": p.community, "type": "http", "channels": ["voice"], "auth": false,
        "name": "Default Voice Gateway", "serviceUrl": url, "senderPhone": "+15550101", "timeoutValue": 5})
}

pub(crate) fn edit(body: &Value, f: impl FnOnce(&mut serde_json::Map<String, Value>)) -> Value {
    let mut b = body.clone();
    f(b.as_object_mut().unwrap());
    b
}

#[tokio::test]
async fn an_administrator_manages_the_communitys_message_gateways() {
    let Some(p) = platform(Storage::Embedded, "msg gateways", 1, &[]).await else { return };
    let url = p.admin[0].as_str();
    let jane = bearer(&p.token("jane", "Quartz-Meadow-71").await);
    let auth = Some(jane.as_str());
    let ids = json!({"tenantId": p.tenant, "communityId": p.community});

    let email = email_gateway(&p);
    let (s, r) = call(url, Method::POST, "/msg_gateway/create", auth, Some(&email)).await;
    assert_eq!((s, r["status"].as_str()), (200, Some("created")), "{r}");
    let email_id = r["id"].as_str().unwrap().to_owned();
    assert!(kit::ids::is_object_id(&email_id));
    let (s, r) =
        call_plain(url, Method::POST, "/msg_gateway/create", auth, &sms_gateway(&p, "https://sms.example.com/send"))
            .await;
    assert_eq!((s, r["status"].as_str()), (200, Some("created")), "{r}");
    let sms_id = r["id"].as_str().unwrap().to_owned();
    let voice = voice_gateway(&p, "https://voice.example.com/call");
    let (s, r) = call(url, Method::POST, "/msg_gateway/create", auth, Some(&voice)).await;
    assert_eq!(s, 200, "{r}");
    let voice_id = r["id"].as_str().unwrap().to_owned();

    // Read back: the settings, never a credential.
    let (s, list) = call(url, Method::POST, "/msg_gateway/fetch", auth, Some(&ids)).await;
    assert_eq!(s, 200, "{list}");
    let got: Vec<&str> = list.as_array().unwrap().iter().map(|g| g["id"].as_str().unwrap()).collect();
    assert_eq!(got, [email_id.as_str(), sms_id.as_str(), voice_id.as_str()]);
    let e = &list[0];
    assert_eq!(
        (e["type"].as_str(), e["channels"].clone(), e["auth"].as_str(), e["port"].as_str(), e["protocol"].as_str()),
        (Some("smtp"), json!(["email"]), Some("true"), Some("465"), Some("smtp"))
    );
    assert_eq!(
        (e["senderEmail"].as_str(), e["username"].as_str(), e["active"].as_bool()),
        (Some("noreply@example.com"), Some("mailer"), Some(true))
    );
    assert_eq!(
        (e["tenantId"].as_str(), e["communityId"].as_str()),
        (Some(p.tenant.as_str()), Some(p.community.as_str()))
    );
    assert_eq!((list[2]["auth"].as_str(), list[2]["timeoutValue"].as_u64()), (Some("false"), Some(5)));
    assert!(list.as_array().unwrap().iter().all(|g| g.get("password").is_none()), "{list}");
    assert!(!list.to_string().contains(MAIL_PASSWORD) && !list.to_string().contains(SMS_PASSWORD));
    assert_eq!(
        call_plain(url, Method::POST, "/msg_gateway/fetch", auth, &json!({})).await,
        (200, list.clone()),
        "the session's community by default"
    );
    let (s, one) = call(url, Method::POST, &format!("/msg_gateway/fetch/{sms_id}"), auth, Some(&ids)).await;
    assert_eq!((s, one), (200, json!([list[1].clone()])));
    let (s, r) = call(url, Method::POST, "/msg_gateway/fetch/not-an-id", auth, Some(&ids)).await;
    assert_error(s, &r, 400, "id must be a 24-hex-digit id");
    let (s, r) = call(url, Method::POST, "/msg_gateway/fetch/6a0000000000000000000009", auth, Some(&ids)).await;
    assert_error(s, &r, 404, "the community has no message gateway with this id");

    // The rules, naming the field, never echoing a value.
    let sms = sms_gateway(&p, "https://sms.example.com/send");
    let cases: Vec<(Value, &str)> = vec![
        (edit(&email, |b| drop(b.remove("senderEmail"))), "senderEmail is required for an email gateway"),
        (
            edit(&email, |b| drop(b.insert("senderEmail".into(), json!("not-an-email")))),
            "senderEmail must be an email address",
        ),
        (
            edit(&email, |b| drop(b.insert("channels".into(), json!([])))),
            "channels must hold one or more of email, sms, voice",
        ),
        (edit(&email, |b| drop(b.insert("channels".into(), json!(["fax"])))), "channels"),
        (
            edit(&email, |b| drop(b.insert("channels".into(), json!(["email", "sms"])))),
            "an email gateway serves email only",
        ),
        (edit(&email, |b| drop(b.insert("type".into(), json!("pigeon")))), "type must be one of smtp, aws for email"),
        (edit(&email, |b| drop(b.insert("port".into(), json!("70000")))), "port must be a number from 1 to 65535"),
        (edit(&email, |b| drop(b.insert("protocol".into(), json!("ftp")))), "protocol must be smtp"),
        (edit(&email, |b| drop(b.remove("password"))), "password is required when auth is true"),
        (edit(&email, |b| drop(b.insert("auth".into(), json!("maybe")))), "auth must be true or false"),
        (edit(&email, |b| drop(b.insert("type".into(), json!("aws")))), "awsRegion is required for an aws gateway"),
        (edit(&email, |b| drop(b.insert("color".into(), json!("red")))), "unknown field"),
        (edit(&email, |b| drop(b.remove("tenantId"))), "tenantId is required"),
        (edit(&sms, |b| drop(b.remove("smstemplateid"))), "smstemplateid is required for an sms gateway"),
        (edit(&sms, |b| drop(b.insert("serviceUrl".into(), json!("not a url")))), "serviceUrl must be an http(s) URL"),
        (edit(&sms, |b| drop(b.remove("senderPhone"))), "senderPhone is required for an sms or voice gateway"),
        (
            edit(&sms, |b| drop(b.insert("type".into(), json!("coalesce")))),
            "authTokenRequestUrl is required for a coalesce gateway",
        ),
        (
            edit(&sms, |b| drop(b.insert("type".into(), json!("gupshup")))),
            "principalEntityId is required for a gupshup gateway",
        ),
        (
            edit(&voice, |b| drop(b.insert("timeoutValue".into(), json!(0)))),
            "timeoutValue must be from 1 to 120 seconds",
        ),
    ];
    for (body, message) in &cases {
        let (s, r) = call(url, Method::POST, "/msg_gateway/create", auth, Some(body)).await;
        assert_error(s, &r, 400, message);
        assert!(!r.to_string().contains(MAIL_PASSWORD) && !r.to_string().contains(SMS_PASSWORD), "{r}");
    }

    // An update replaces the settings; a credential left out is kept, a new one replaces it.
    let renamed = edit(&email, |b| {
        b.remove("password");
        b.insert("id".into(), json!(email_id));
        b.insert("name".into(), json!("Office Relay"));
    });
    let (s, r) = call(url, Method::POST, "/msg_gateway/update", auth, Some(&renamed)).await;
    assert_eq!((s, r), (200, json!({"id": email_id, "status": "updated"})));
    let (_, one) = call(url, Method::POST, &format!("/msg_gateway/fetch/{email_id}"), auth, Some(&ids)).await;
    assert_eq!(
        (one[0]["name"].as_str(), one[0]["senderEmail"].as_str()),
        (Some("Office Relay"), Some("noreply@example.com"))
    );
    let new_password = edit(&renamed, |b| drop(b.insert("password".into(), json!("Another-Password-1"))));
    let (s, r) = call_plain(url, Method::POST, "/msg_gateway/update", auth, &new_password).await;
    assert_eq!((s, r["status"].as_str()), (200, Some("updated")), "{r}");
    let ghost = edit(&renamed, |b| drop(b.insert("id".into(), json!("6a0000000000000000000009"))));
    let (s, r) = call(url, Method::POST, "/msg_gateway/update", auth, Some(&ghost)).await;
    assert_error(s, &r, 404, "no message gateway with this id");
    let (s, r) =
        call(url, Method::POST, "/msg_gateway/update", auth, Some(&edit(&renamed, |b| drop(b.remove("id"))))).await;
    assert_error(s, &r, 400, "id is required");

    // Another community is out of reach.
    let other = tenancy::create_community(&*p.stores.tenancy, &p.tenant, "partners").await.unwrap();
    let elsewhere = edit(&email, |b| drop(b.insert("communityId".into(), json!(other.id))));
    let (s, r) = call(url, Method::POST, "/msg_gateway/create", auth, Some(&elsewhere)).await;
    assert_error(s, &r, 403, "may not act in this community");
    let (s, r) = call(url, Method::POST, "/msg_gateway/fetch", auth, Some(&json!({"communityId": other.id}))).await;
    assert_error(s, &r, 403, "may not act in this community");

    // Delete: 204, then 404; the plain preview.
    let del = |id: &str| json!({"tenantId": p.tenant, "communityId": p.community, "gatewayId": id});
    let (s, _) = call(url, Method::DELETE, "/msg_gateway", auth, Some(&del(&voice_id))).await;
    assert_eq!(s, 204);
    let (s, r) = call(url, Method::DELETE, "/msg_gateway", auth, Some(&del(&voice_id))).await;
    assert_error(s, &r, 404, "no message gateway with this id");
    let (s, r) = call(url, Method::DELETE, "/msg_gateway", auth, Some(&del("x"))).await;
    assert_error(s, &r, 400, "gatewayId must be a 24-hex-digit id");
    let (s, _) = call_plain(url, Method::DELETE, "/msg_gateway", auth, &del(&sms_id)).await;
    assert_eq!(s, 204);
    let (_, list) = call(url, Method::POST, "/msg_gateway/fetch", auth, Some(&ids)).await;
    assert_eq!(list.as_array().unwrap().len(), 1, "{list}");

    // Every write in the audit log: the gateway, the action, the field names, who.
    let jane_uid = uid_of(&p, "jane").await;
    let changes = p.stores.audit.changes(&p.community, 100).await.unwrap();
    assert!(changes.iter().all(|c| c.kind == "msg_gateway" && c.actor == jane_uid && c.tenant_id == p.tenant));
    let of = |id: &str, action: &str| {
        changes.iter().filter(|c| c.record == id && c.action == action).map(|c| c.fields.clone()).collect::<Vec<_>>()
    };
    assert_eq!(
        of(&email_id, "create"),
        [["auth", "channels", "name", "password", "port", "protocol", "senderEmail", "serviceUrl", "type", "username"]]
    );
    assert_eq!(of(&email_id, "update"), [vec!["password"], vec!["name"]], "newest first");
    assert_eq!((of(&voice_id, "delete"), of(&sms_id, "delete").len()), (vec![Vec::<String>::new()], 1));
    assert_eq!(changes.len(), 7, "{changes:?}");
}

pub(crate) use kit::testing::smtp::{Mail, smtp_server};

/// What the HTTP receiver saw of one request: its path, `authorization` header and JSON body.
pub(crate) type Hit = (String, Option<String>, Value);

/// An HTTP receiver on loopback answering 200, or 503 to a message for `+10000000000`.
pub(crate) async fn http_receiver() -> (String, mpsc::UnboundedReceiver<Hit>) {
    let (tx, rx) = mpsc::unbounded_channel::<Hit>();
    let server = HttpServer::new(move || {
        let tx = tx.clone();
        App::new().default_service(web::to(move |req: HttpRequest, body: web::Json<Value>| {
            let tx = tx.clone();
            async move {
                let auth = req.headers().get("authorization").map(|v| v.to_str().unwrap().to_owned());
                let refuse = body["to"] == "+10000000000";
                tx.send((req.path().to_owned(), auth, body.into_inner())).unwrap();
                if refuse {
                    HttpResponse::ServiceUnavailable().finish()
                } else {
                    HttpResponse::Ok().json(json!({"ok": true}))
                }
            }
        }))
    })
    .workers(1)
    .bind(("127.0.0.1", 0))
    .unwrap();
    let url = format!("http://127.0.0.1:{}", server.addrs()[0].port());
    tokio::spawn(server.run());
    (url, rx)
}

fn header<'a>(data: &'a str, name: &str) -> Option<&'a str> {
    data.split("\r\n\r\n").next().unwrap().lines().find_map(|l| l.strip_prefix(&format!("{name}: ")))
}

#[tokio::test]
async fn messages_reach_real_smtp_and_http_gateways_and_passwords_never_show() {
    crate::captured_logs::start();
    let Some(p) = platform(Storage::Embedded, "msg gateways delivery", 1, &[]).await else { return };
    let url = p.admin[0].as_str();
    let jane = bearer(&p.token("jane", "Quartz-Meadow-71").await);
    let auth = Some(jane.as_str());
    let (smtp_port, mut mails) = smtp_server().await;
    let (receiver, mut hits) = http_receiver().await;

    // The gateways, created over HTTP as an administrator would.
    let email = edit(&email_gateway(&p), |b| {
        b.insert("protocol".into(), json!("smtp-insecure"));
        b.insert("serviceUrl".into(), json!("127.0.0.1"));
        b.insert("port".into(), json!(smtp_port));
    });
    let mut replies = Vec::new();
    for body in [email, sms_gateway(&p, &format!("{receiver}/sms")), voice_gateway(&p, &format!("{receiver}/voice"))] {
        let reply = call(url, Method::POST, "/msg_gateway/create", auth, Some(&body)).await;
        assert_eq!(reply.0, 200, "{}", reply.1);
        replies.push(reply);
    }
    replies.push(call(url, Method::POST, "/msg_gateway/fetch", auth, Some(&json!({}))).await);
    replies.push(call_plain(url, Method::POST, "/msg_gateway/fetch", auth, &json!({})).await);

    // The messenger, as the OTP and invitation flows hold it (same store, same key).
    let env = std::collections::BTreeMap::from([("DATA_DIR".to_owned(), p.data_dir.clone())]);
    let settings = kit::Settings::from_source(&env, adminapi::SERVICE, 0).unwrap();
    let sealer = Arc::new(Sealer::from_settings(&settings).unwrap());
    let messenger =
        Messenger::new(Gateways::new(p.stores.gateways.clone(), sealer), Arc::new(Delivery::new().unwrap()));

    let otp = Message {
        to: "bob@example.com".into(),
        subject: "Your code".into(),
        body: "Your one-time code is 123456.".into(),
    };
    messenger.send(&p.community, Channel::Email, &otp).await.unwrap();
    let mail = mails.recv().await.unwrap();
    assert_eq!(mail.auth_plain, format!("\0mailer\0{MAIL_PASSWORD}"), "the sealed password opened for the server");
    assert_eq!(
        (mail.mail_from.as_str(), mail.rcpt_to.clone()),
        ("<noreply@example.com>", vec!["<bob@example.com>".to_owned()])
    );
    assert_eq!(header(&mail.data, "From"), Some("noreply@example.com"));
    assert_eq!(header(&mail.data, "To"), Some("bob@example.com"));
    assert_eq!(header(&mail.data, "Subject"), Some("Your code"));
    assert_eq!(mail.data.split_once("\r\n\r\n").unwrap().1.trim_end(), "Your one-time code is 123456.");

    let sms = Message { to: "+15550123".into(), subject: String::new(), body: "Code 654321".into() };
    messenger.send(&p.community, Channel::Sms, &sms).await.unwrap();
    let (path, authorization, body) = hits.recv().await.unwrap();
    let basic = base64::engine::general_purpose::STANDARD.encode(format!("smsuser:{SMS_PASSWORD}"));
    assert_eq!((path.as_str(), authorization), ("/sms", Some(format!("Basic {basic}"))));
    assert_eq!(
        body,
        json!({"channel": "sms", "from": "+15550100", "to": "+15550123", "message": "Code 654321", "templateId": "T-1", "entityId": "E-1"})
    );
    let call_me = Message { to: "+15550124".into(), subject: String::new(), body: "Your code is 1 2 3".into() };
    messenger.send(&p.community, Channel::Voice, &call_me).await.unwrap();
    let (path, authorization, body) = hits.recv().await.unwrap();
    assert_eq!(
        (path.as_str(), authorization, body["channel"].as_str(), body["to"].as_str()),
        ("/voice", None, Some("voice"), Some("+15550124"))
    );

    // A gateway that refuses is a 503 naming the channel; a community without one, a 404.
    let refused = Message { to: "+10000000000".into(), ..sms.clone() };
    let err = messenger.send(&p.community, Channel::Sms, &refused).await.unwrap_err();
    assert!(matches!(&err, DomainError::Busy(m) if m == "the sms gateway did not take the message"), "{err:?}");
    assert_eq!(hits.recv().await.unwrap().2["to"], "+10000000000");
    let other = tenancy::create_community(&*p.stores.tenancy, &p.tenant, "partners").await.unwrap();
    let err = messenger.send(&other.id, Channel::Email, &otp).await.unwrap_err();
    assert!(matches!(&err, DomainError::NotFound(m) if m == "the community has no email gateway"), "{err:?}");

    // The passwords: in no reply, not in the database file, not in the log.
    for (_, reply) in &replies {
        assert!(!reply.to_string().contains(MAIL_PASSWORD) && !reply.to_string().contains(SMS_PASSWORD), "{reply}");
    }
    let db = database_bytes(&p.data_dir);
    assert!(contains(&db, "Default SMS Gateway"), "the database holds the gateways");
    assert!(!contains(&db, MAIL_PASSWORD) && !contains(&db, SMS_PASSWORD), "a password in the clear in the database");
    let log = crate::captured_logs::text();
    assert!(log.contains("message gateway created") && log.contains("message sent"), "the capture saw the requests");
    assert!(!log.contains(MAIL_PASSWORD) && !log.contains(SMS_PASSWORD), "a password in the log");
}
