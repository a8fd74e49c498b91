//! The Broker group over HTTP: a community administrator lists, disables, renames and deletes
//! the brokers of a directory module (kept by users-mgmt, where a broker registered with its
//! key); the rules refuse what they must; and a broker gone silent is emailed about: users-mgmt's
//! infra sweep marks it down and asks adminapi's `infra/community_notice` to mail the module's
//! recipients through the community's email gateway, once per disconnection. The relay itself,
//! with the broker binary and OpenLDAP, is tested in `crates/broker/tests/relay.rs`.

use std::sync::Arc;
use std::time::Duration;

use envelope::{Client, Curve, KeyPair};
use kit::testing::{INFRA_KEY, SERVICE_KEY, Storage};
use reqwest::Method;
use serde_json::{Value, json};

use crate::login::{Platform, assert_error, bearer, call, linked_platform_with, platform};
use crate::msg_gateway::{edit, email_gateway, smtp_server};

/// A directory module in mode broker (its hosts are never dialled here).
async fn broker_module(p: &Platform, notify: bool) -> String {
    let config = json!({
        "serverprotocol": "ldap", "server": "127.0.0.1", "serverport": "1", "hosts": [],
        "binddn": "cn=svc,dc=example,dc=test", "bindpassword": "svc-pw", "basedn": "dc=example,dc=test",
        "securityauthentication": "Simple", "filter": "uid", "serviceacctreadonly": true,
        "brokerNotificationsEnabled": notify, "notificationAfterNoOfMinsDisconnect": 0,
        "brokerDisconnectNotificationTo": ["IT-Ops@Example.test"],
    });
    let module = json!({"type": "ldap", "name": "Branch LDAP", "mode": "broker", "config": config});
    p.users_call(Method::PUT, "/module/create", module).await["_id"].as_str().unwrap().to_owned()
}

/// A broker registering at users-mgmt with its key: the connection's uid.
async fn register(p: &Platform, module: &str, name: &str) -> String {
    let broker = Client::new(Arc::new(KeyPair::generate(Curve::Secp256k1).unwrap())).unwrap().license(SERVICE_KEY);
    let path = format!("/tenant/{}/community/{}/module/{module}/broker/connect", p.tenant, p.community);
    let reply =
        broker.call(Method::POST, &p.users, &path, Some(&json!({"name": name, "version": "1.0"}))).await.unwrap();
    assert_eq!(reply.status, 200, "{}", reply.body);
    reply.body["uid"].as_str().unwrap().to_owned()
}

#[tokio::test]
async fn an_administrator_lists_disables_renames_and_deletes_brokers() {
    let Some(p) = platform(Storage::Embedded, "brokers", 1, &[]).await else { return };
    let url = p.admin[0].as_str();
    let jane = bearer(&p.token("jane", "Quartz-Meadow-71").await);
    let auth = Some(jane.as_str());
    let module = broker_module(&p, false).await;
    let ids = json!({"tenantId": p.tenant, "communityId": p.community, "moduleId": module});
    let with = |extra: Value| {
        let mut body = ids.clone();
        body.as_object_mut().unwrap().extend(extra.as_object().unwrap().clone());
        body
    };

    let (s, r) = call(url, Method::POST, "/broker/fetch", auth, Some(&ids)).await;
    assert_eq!((s, r), (200, json!([])));
    let uid = register(&p, &module, "Branch office").await;
    let (s, list) = call(url, Method::POST, "/broker/fetch", auth, Some(&ids)).await;
    assert_eq!((s, list.as_array().map(Vec::len)), (200, Some(1)), "{list}");
    assert_eq!(
        (list[0]["uid"].as_str(), list[0]["name"].as_str(), list[0]["connected"].as_bool()),
        (Some(uid.as_str()), Some("Branch office"), Some(true))
    );

    // changestatus takes the reference's "true" / "false" strings or booleans.
    let (s, r) =
        call(url, Method::PATCH, "/broker/changestatus", auth, Some(&with(json!({"uid": uid, "enabled": "false"}))))
            .await;
    assert_eq!((s, r["enabled"].as_bool()), (200, Some(false)), "{r}");
    let (s, r) =
        call(url, Method::PATCH, "/broker/changestatus", auth, Some(&with(json!({"uid": uid, "enabled": true})))).await;
    assert_eq!((s, r["enabled"].as_bool()), (200, Some(true)), "{r}");
    let (s, r) =
        call(url, Method::PATCH, "/broker/changestatus", auth, Some(&with(json!({"uid": uid, "enabled": "maybe"}))))
            .await;
    assert_error(s, &r, 400, "enabled must be true or false");
    let (s, r) =
        call(url, Method::PATCH, "/broker/update", auth, Some(&with(json!({"uid": uid, "name": "Headquarters"}))))
            .await;
    assert_eq!((s, r["name"].as_str()), (200, Some("Headquarters")), "{r}");
    let (s, r) = call(url, Method::PATCH, "/broker/update", auth, Some(&with(json!({"uid": uid, "name": ""})))).await;
    assert_error(s, &r, 400, "name must be 1 to 100");
    let (s, r) =
        call(url, Method::PATCH, "/broker/update", auth, Some(&with(json!({"uid": uid, "version": "9"})))).await;
    assert_error(s, &r, 400, "unknown field");
    let mut bad_module = ids.clone();
    bad_module["moduleId"] = json!("nope");
    let (s, r) = call(url, Method::POST, "/broker/fetch", auth, Some(&bad_module)).await;
    assert_error(s, &r, 400, "moduleId must be 24 hex digits");
    bad_module["moduleId"] = json!("0123456789abcdef01234567");
    let (s, r) = call(url, Method::POST, "/broker/fetch", auth, Some(&bad_module)).await;
    assert_eq!(s, 404, "{r}");

    // Administrators only, in their community.
    let bob = bearer(&p.token("bob", "Violet-Harbor-58").await);
    let (s, r) = call(url, Method::POST, "/broker/fetch", Some(&bob), Some(&ids)).await;
    assert_error(s, &r, 403, "may not call this endpoint");
    let (s, _) = call(url, Method::POST, "/broker/fetch", None, Some(&ids)).await;
    assert_eq!(s, 401);
    let other = adminapi::domain::tenancy::create_community(&*p.stores.tenancy, &p.tenant, "partners").await.unwrap();
    let mut elsewhere = ids.clone();
    elsewhere["communityId"] = json!(other.id);
    let (s, r) = call(url, Method::POST, "/broker/fetch", auth, Some(&elsewhere)).await;
    assert_error(s, &r, 403, "may not act in this community");

    // Delete: 204, then users-mgmt's 404.
    let (s, _) = call(url, Method::DELETE, &format!("/broker/{uid}"), auth, Some(&ids)).await;
    assert_eq!(s, 204);
    let (s, r) = call(url, Method::DELETE, &format!("/broker/{uid}"), auth, Some(&ids)).await;
    assert_error(s, &r, 404, "no broker connection with this uid");
    let (s, r) = call(url, Method::POST, "/broker/fetch", auth, Some(&ids)).await;
    assert_eq!((s, r), (200, json!([])));
}

#[tokio::test]
async fn a_silent_broker_is_marked_down_and_its_recipients_are_emailed_once() {
    let env = [("BROKER_POLL_SECONDS", "1"), ("BROKER_HEARTBEAT_SECONDS", "2")];
    let Some(p) = linked_platform_with(Storage::Embedded, "broker notice", &env).await else { return };
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
    let module = broker_module(&p, true).await;
    let uid = register(&p, &module, "Branch office").await;
    let sweep = || async {
        let r = reqwest::Client::new()
            .post(format!("{}/infra/checkBrokerStatusAndSendNotifications", p.users))
            .header("license", INFRA_KEY)
            .send()
            .await
            .unwrap();
        r.status().as_u16()
    };
    let fetch = || async {
        let ids = json!({"tenantId": p.tenant, "communityId": p.community, "moduleId": module});
        let (s, list) = call(url, Method::POST, "/broker/fetch", Some(&jane), Some(&ids)).await;
        assert_eq!(s, 200, "{list}");
        list[0].clone()
    };

    // Just registered: alive, nothing sent.
    assert_eq!(sweep().await, 204);
    assert_eq!(fetch().await["connected"], true);
    assert!(tokio::time::timeout(Duration::from_millis(300), mails.recv()).await.is_err(), "no mail for a live broker");

    // Silent past the heartbeat: marked down, one email to the module's recipient.
    tokio::time::sleep(Duration::from_millis(2200)).await;
    assert_eq!(sweep().await, 204);
    let mail = tokio::time::timeout(Duration::from_secs(5), mails.recv()).await.unwrap().unwrap();
    assert_eq!(mail.rcpt_to, ["<it-ops@example.test>"], "{mail:?}");
    assert!(mail.data.contains("Broker Branch office is disconnected"), "{}", mail.data);
    assert!(mail.data.contains(&uid), "{}", mail.data);
    let b = fetch().await;
    assert_eq!((b["connected"].as_bool(), b["lastNotificationSentAt"].is_string()), (Some(false), true), "{b}");
    // Once per disconnection.
    assert_eq!(sweep().await, 204);
    assert!(tokio::time::timeout(Duration::from_millis(500), mails.recv()).await.is_err(), "a second notice");

    // The notice endpoint takes the infra key only.
    let notice = json!({"tenantId": p.tenant, "communityId": p.community, "to": ["a@example.test"], "subject": "s", "text": "t"});
    let (s, r) = call(url, Method::POST, "/infra/community_notice", Some(&jane), Some(&notice)).await;
    assert_eq!(s, 401, "{r}");
}
