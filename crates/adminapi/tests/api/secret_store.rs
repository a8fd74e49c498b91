//! The Secret Store group over HTTP: a community administrator creates, lists and deletes
//! secrets (sealed and plain preview), the rules refuse what they must (naming the field), the
//! session's community bounds the reach, every write is in the audit log, the platform opens a
//! value for its own flows; and a value never shows: not in the database file, a reply or a log.

use std::path::Path;
use std::sync::Arc;

use adminapi::domain::DomainError;
use adminapi::domain::secrets::{Sealer, Secrets};
use adminapi::domain::tenancy;
use reqwest::Method;
use serde_json::{Value, json};

use crate::login::{Platform, assert_error, bearer, call, call_plain, platform, uid_of};
use kit::testing::Storage;

/// The platform's secret store as its own flows see it (the key generated into its data folder).
pub fn secrets_of(p: &Platform) -> Secrets {
    let env = std::collections::BTreeMap::from([("DATA_DIR".to_owned(), p.data_dir.clone())]);
    let settings = kit::Settings::from_source(&env, adminapi::SERVICE, 0).unwrap();
    Secrets::new(p.stores.secrets.clone(), Arc::new(Sealer::from_settings(&settings).unwrap()))
}

/// The bytes of adminapi's SQLite database (the main file, its WAL and shared memory).
pub fn database_bytes(data_dir: &str) -> Vec<u8> {
    let mut bytes = Vec::new();
    for entry in std::fs::read_dir(Path::new(data_dir)).unwrap() {
        let path = entry.unwrap().path();
        if path.file_name().and_then(|n| n.to_str()).is_some_and(|n| n.starts_with("adminapi.db")) {
            bytes.extend(std::fs::read(&path).unwrap());
        }
    }
    assert!(!bytes.is_empty(), "no database in {data_dir}");
    bytes
}

pub fn contains(haystack: &[u8], needle: &str) -> bool {
    haystack.windows(needle.len()).any(|w| w == needle.as_bytes())
}

#[tokio::test]
async fn an_administrator_creates_lists_and_deletes_secrets() {
    let Some(p) = platform(Storage::Embedded, "secret store", 1, &[]).await else { return };
    let url = p.admin[0].as_str();
    let jane = bearer(&p.token("jane", "Quartz-Meadow-71").await);
    let auth = Some(jane.as_str());
    let ids = json!({"tenantId": p.tenant, "communityId": p.community});
    let with = |extra: Value| {
        let mut body = ids.clone();
        body.as_object_mut().unwrap().extend(extra.as_object().unwrap().clone());
        body
    };

    let (s, r) = call(url, Method::POST, "/secret-store/fetch", auth, Some(&ids)).await;
    assert_eq!((s, r), (200, json!([])));
    let before = envelope::wire::now_epoch();
    let stripe = with(json!({"tag": "stripe_api_key", "value": "sk_test_4eC39HqLyjWDarjtT1zdp7dc"}));
    let (s, created) = call(url, Method::POST, "/secret-store/create", auth, Some(&stripe)).await;
    assert_eq!(s, 201, "{created}");
    let ts = created["createdTs"].as_i64().unwrap();
    assert!(ts >= before && ts <= envelope::wire::now_epoch(), "{created}");
    assert_eq!(
        created,
        json!({"tag": "stripe_api_key", "createdBy": "jane", "createdTs": ts, "tenantId": p.tenant, "communityId": p.community})
    );
    // The plain preview.
    let smtp = with(json!({"tag": "Smtp_Password_2", "value": "hunter2-but-longer"}));
    let (s, plain) = call_plain(url, Method::POST, "/secret-store/create", auth, &smtp).await;
    assert_eq!((s, plain["tag"].as_str(), plain.get("value")), (201, Some("Smtp_Password_2"), None), "{plain}");

    // The rules, naming the field, never echoing the value.
    let (s, r) = call(url, Method::POST, "/secret-store/create", auth, Some(&stripe)).await;
    assert_error(s, &r, 409, "the community has a secret with this tag");
    for bad in ["9lives", "_x", "with-dash", "with space", "", &"k".repeat(65)] {
        let body = with(json!({"tag": bad, "value": "sk_live_never_echoed"}));
        let (s, r) = call(url, Method::POST, "/secret-store/create", auth, Some(&body)).await;
        assert_error(s, &r, 400, "tag must start with a letter [a-zA-Z] and contain only [a-zA-Z0-9_]");
        assert!(!r.to_string().contains("sk_live_never_echoed"), "{r}");
    }
    let (s, r) =
        call(url, Method::POST, "/secret-store/create", auth, Some(&with(json!({"tag": "a", "value": ""})))).await;
    assert_error(s, &r, 400, "value must be 1 to 8192 bytes");
    let (s, r) = call(url, Method::POST, "/secret-store/create", auth, Some(&with(json!({"tag": "a"})))).await;
    assert_error(s, &r, 400, "value");
    let (s, r) =
        call(url, Method::POST, "/secret-store/create", auth, Some(&with(json!({"tag": "a", "value": 42})))).await;
    assert_error(s, &r, 400, "value");
    assert!(!r.to_string().contains("42"), "{r}");
    let (s, r) = call(url, Method::POST, "/secret-store/create", auth, Some(&json!({"tag": "a", "value": "v"}))).await;
    assert_error(s, &r, 400, "tenantId");
    let extra = with(json!({"tag": "a", "value": "v", "note": "x"}));
    let (s, r) = call(url, Method::POST, "/secret-store/create", auth, Some(&extra)).await;
    assert_error(s, &r, 400, "unknown field");

    // The list: metadata only, by tag, sealed and plain alike.
    let (s, list) = call(url, Method::POST, "/secret-store/fetch", auth, Some(&ids)).await;
    assert_eq!(s, 200, "{list}");
    let tags: Vec<&str> = list.as_array().unwrap().iter().map(|x| x["tag"].as_str().unwrap()).collect();
    assert_eq!(tags, ["Smtp_Password_2", "stripe_api_key"]);
    assert_eq!(list[1], created);
    assert_eq!(call_plain(url, Method::POST, "/secret-store/fetch", auth, &ids).await, (200, list.clone()));

    // The platform's flows open a value; nothing else does.
    let secrets = secrets_of(&p);
    assert_eq!(
        secrets.reveal(&p.community, "stripe_api_key").await.unwrap().as_str(),
        "sk_test_4eC39HqLyjWDarjtT1zdp7dc"
    );

    // Another community is out of reach.
    let other = tenancy::create_community(&*p.stores.tenancy, &p.tenant, "partners").await.unwrap();
    let elsewhere = json!({"tenantId": p.tenant, "communityId": other.id});
    let (s, r) = call(url, Method::POST, "/secret-store/fetch", auth, Some(&elsewhere)).await;
    assert_error(s, &r, 403, "may not act in this community");
    let mut there = elsewhere.clone();
    there["tag"] = json!("stripe_api_key");
    there["value"] = json!("v");
    let (s, r) = call(url, Method::POST, "/secret-store/create", auth, Some(&there)).await;
    assert_error(s, &r, 403, "may not act in this community");

    // Delete: once, then 404; the plain preview.
    let gone = with(json!({"tag": "stripe_api_key"}));
    let (s, r) = call(url, Method::POST, "/secret-store/delete", auth, Some(&gone)).await;
    assert_eq!((s, r), (200, json!({"message": "Secret deleted successfully"})));
    let (s, r) = call(url, Method::POST, "/secret-store/delete", auth, Some(&gone)).await;
    assert_error(s, &r, 404, "the community has no secret with this tag");
    let (s, r) =
        call_plain(url, Method::POST, "/secret-store/delete", auth, &with(json!({"tag": "Smtp_Password_2"}))).await;
    assert_eq!((s, r), (200, json!({"message": "Secret deleted successfully"})));
    let (s, r) = call(url, Method::POST, "/secret-store/fetch", auth, Some(&ids)).await;
    assert_eq!((s, r), (200, json!([])));
    assert!(secrets.reveal(&p.community, "stripe_api_key").await.is_err());

    // Every write in the audit log: the tag, the action, the field names, who.
    let jane_uid = uid_of(&p, "jane").await;
    let mut changes = p.stores.audit.changes(&p.community, 100).await.unwrap();
    changes.sort_by_key(|c| (c.record.clone(), c.action.clone()));
    let seen: Vec<(&str, &str, &str)> =
        changes.iter().map(|c| (c.kind.as_str(), c.record.as_str(), c.action.as_str())).collect();
    assert_eq!(
        seen,
        [
            ("secret", "Smtp_Password_2", "create"),
            ("secret", "Smtp_Password_2", "delete"),
            ("secret", "stripe_api_key", "create"),
            ("secret", "stripe_api_key", "delete"),
        ]
    );
    assert!(changes.iter().all(|c| c.fields == ["tag", "value"] && c.actor == jane_uid && c.tenant_id == p.tenant));
}

/// A value seen by nothing but the store: `{"tag", "value"}` bodies go in, and the value is
/// looked for in the database file, every reply and the TRACE log.
#[tokio::test]
async fn a_secret_value_is_absent_from_the_database_the_replies_and_the_logs() {
    crate::captured_logs::start();
    let Some(p) = platform(Storage::Embedded, "secret store at rest", 1, &[]).await else { return };
    let url = p.admin[0].as_str();
    let jane = bearer(&p.token("jane", "Quartz-Meadow-71").await);
    let auth = Some(jane.as_str());
    const VALUE: &str = "Plaintext-Canary-7f3a9c21e4";
    let body = json!({"tenantId": p.tenant, "communityId": p.community, "tag": "canary_key", "value": VALUE});
    let ids = json!({"tenantId": p.tenant, "communityId": p.community});
    let mut replies = vec![
        call(url, Method::POST, "/secret-store/create", auth, Some(&body)).await,
        call_plain(url, Method::POST, "/secret-store/create", auth, &body).await,
        call(url, Method::POST, "/secret-store/fetch", auth, Some(&ids)).await,
        call_plain(url, Method::POST, "/secret-store/fetch", auth, &ids).await,
    ];
    let mut bad = body.clone();
    bad["tag"] = json!("1-bad");
    replies.push(call(url, Method::POST, "/secret-store/create", auth, Some(&bad)).await);
    replies.push(call_plain(url, Method::POST, "/secret-store/create", auth, &bad).await);
    assert_eq!(replies.iter().map(|r| r.0).collect::<Vec<_>>(), [201, 409, 200, 200, 400, 400], "{replies:?}");
    for (_, reply) in &replies {
        assert!(!reply.to_string().contains(VALUE), "{reply}");
    }
    assert_eq!(secrets_of(&p).reveal(&p.community, "canary_key").await.unwrap().as_str(), VALUE);

    let db = database_bytes(&p.data_dir);
    assert!(contains(&db, "canary_key"), "the database holds the record");
    assert!(!contains(&db, VALUE), "the database holds the value in the clear");

    let log = crate::captured_logs::text();
    assert!(log.contains("secret created"), "the capture saw the requests");
    assert!(!log.contains(VALUE), "the log holds the value");
}

/// The secret and gateway stores keep one contract on SQLite and PostgreSQL (skipped, saying
/// so, when PostgreSQL does not answer): a unique tag, metadata listed, a value opened for its
/// own community and tag only, deletes once; gateways listed in order, updated, found per
/// channel with their credentials opened, deleted once; every write in the audit log.
#[tokio::test]
async fn the_secret_and_gateway_stores_keep_one_contract_on_every_backend() {
    use adminapi::domain::config::Owner;
    use adminapi::domain::msg_gateway::{Channel, Gateways};
    use adminapi::domain::secrets::Actor;
    use kit::db::{Db, KIT_MIGRATIONS};

    for storage in [Storage::Embedded, Storage::Postgres] {
        let Some(env) = kit::testing::test_env(storage, "secret stores contract").await else { continue };
        let settings = kit::Settings::from_source(&env, adminapi::SERVICE, 0).unwrap();
        let db = Db::connect(&settings.database_url.0).await.unwrap();
        db.migrate(&[&KIT_MIGRATIONS, &adminapi::ADMINAPI_MIGRATIONS]).await.unwrap();
        let stores = adminapi::store::Stores::sql(&db);
        let sealer = Arc::new(Sealer::from_settings(&settings).unwrap());
        let secrets = Secrets::new(stores.secrets.clone(), sealer.clone());
        let (c1, c2) = ("6a00000000000000000000c1", "6a00000000000000000000c2");
        let owner = Owner { tenant_id: "6a00000000000000000000a1", community_id: c1 };
        let actor = Actor { uid: "u1", username: "jane" };

        secrets.create(owner, actor, "b_key", "value-b", 100).await.unwrap();
        secrets.create(owner, actor, "a_key", "value-a", 101).await.unwrap();
        let again = secrets.create(owner, actor, "a_key", "other", 102).await;
        assert!(matches!(again, Err(DomainError::Conflict(_))), "{storage:?}: {again:?}");
        let elsewhere = Owner { community_id: c2, ..owner };
        secrets.create(elsewhere, actor, "a_key", "value-c2", 103).await.unwrap();
        let listed = secrets.list(c1).await.unwrap();
        assert_eq!(
            listed.iter().map(|s| (s.tag.as_str(), s.created_ts)).collect::<Vec<_>>(),
            [("a_key", 101), ("b_key", 100)]
        );
        assert_eq!(secrets.reveal(c1, "a_key").await.unwrap().as_str(), "value-a");
        assert_eq!(secrets.reveal(c2, "a_key").await.unwrap().as_str(), "value-c2");
        secrets.delete(owner, "u1", "a_key", 104).await.unwrap();
        assert!(matches!(secrets.delete(owner, "u1", "a_key", 105).await, Err(DomainError::NotFound(_))));
        assert_eq!(secrets.list(c2).await.unwrap().len(), 1, "{storage:?}: the other community's is kept");

        let gateways = Gateways::new(stores.gateways.clone(), sealer.clone());
        let fields = |v: Value| v.as_object().unwrap().clone();
        let sms = json!({"type": "http", "channels": ["sms", "voice"], "name": "SMS", "username": "u", "password": "pw-1",
            "serviceUrl": "https://sms.example.com", "senderPhone": "+15550100", "smstemplateid": "T", "entityId": "E"});
        let first = gateways.create(owner, "u1", fields(sms.clone()), 200).await.unwrap();
        let second = gateways.create(owner, "u1", fields(sms.clone()), 201).await.unwrap();
        let ids: Vec<String> = gateways.list(c1).await.unwrap().into_iter().map(|g| g.id).collect();
        assert_eq!(ids, [first.id.clone(), second.id.clone()], "{storage:?}");
        let mut renamed = sms.clone();
        renamed["name"] = json!("Renamed");
        renamed.as_object_mut().unwrap().remove("password");
        let updated = gateways.update(owner, "u1", &first.id, fields(renamed), 300).await.unwrap();
        assert_eq!((updated.name.as_str(), updated.created_ts, updated.updated_ts), ("Renamed", 200, 300));
        let (found, credentials) = gateways.for_channel(c1, Channel::Voice).await.unwrap().unwrap();
        assert_eq!(found, updated, "{storage:?}: the one updated last");
        assert_eq!(credentials.password.as_deref().map(String::as_str), Some("pw-1"), "kept by the update");
        assert!(gateways.for_channel(c1, Channel::Email).await.unwrap().is_none());
        assert!(gateways.get(c2, &first.id).await.is_err(), "{storage:?}: another community's id");
        gateways.delete(owner, "u1", &first.id, 400).await.unwrap();
        assert!(matches!(gateways.delete(owner, "u1", &first.id, 401).await, Err(DomainError::NotFound(_))));
        assert_eq!(gateways.list(c1).await.unwrap().len(), 1);

        let changes = stores.audit.changes(c1, 100).await.unwrap();
        let actions: Vec<(&str, &str)> = changes.iter().map(|c| (c.kind.as_str(), c.action.as_str())).collect();
        assert_eq!(
            actions,
            [
                ("msg_gateway", "delete"),
                ("msg_gateway", "update"),
                ("msg_gateway", "create"),
                ("msg_gateway", "create"),
                ("secret", "delete"),
                ("secret", "create"),
                ("secret", "create"),
            ],
            "{storage:?}"
        );
    }
}
