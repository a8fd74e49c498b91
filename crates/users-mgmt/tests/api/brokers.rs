//! The broker connection store keeps one contract on SQLite and PostgreSQL (skipped, saying so,
//! when PostgreSQL does not answer): registration and reconnection, lists per module, status and
//! name changes, pings, the sweep that marks a silent broker down and answers one notice per
//! disconnection, deletion once. The HTTP side, with the broker binary and a real OpenLDAP, is
//! in `crates/broker/tests/relay.rs`.

use std::sync::Arc;

use kit::DomainError;
use kit::db::{Db, KIT_MIGRATIONS};
use kit::testing::Storage;
use serde_json::{Map, Value, json};
use users_mgmt::domain::brokers::{Brokers, Hello};

fn hello(uid: Option<&str>, name: &str) -> Hello {
    Hello {
        uid: uid.map(str::to_owned),
        name: name.into(),
        version: "1.0".into(),
        ip: "10.0.0.1".into(),
        port: "5555".into(),
        key_hash: users_mgmt::domain::brokers::key_hash("broker-key"),
    }
}

#[tokio::test]
async fn the_broker_store_keeps_one_contract_on_every_backend() {
    for storage in [Storage::Embedded, Storage::Postgres] {
        let Some(env) = kit::testing::test_env(storage, "broker store contract").await else { continue };
        let settings = kit::Settings::from_source(&env, users_mgmt::SERVICE, 0).unwrap();
        let db = Db::connect(&settings.database_url.0).await.unwrap();
        db.migrate(&[&KIT_MIGRATIONS, &users_mgmt::USERS_MGMT_MIGRATIONS]).await.unwrap();
        let brokers = Brokers::new(Arc::new(users_mgmt::store::SqlBrokers::new(db)), 60);
        let (t, c, m) = ("t", "c1", "m1");

        let a = brokers.register(t, c, m, hello(None, "A"), 1000).await.unwrap();
        let b = brokers.register(t, c, m, hello(None, "B"), 1001).await.unwrap();
        brokers.register(t, c, "m2", hello(None, "other module"), 1002).await.unwrap();
        assert!(a.enabled && a.authorized && a.connected, "{storage:?}");
        let listed: Vec<String> = brokers.list(c, m).await.unwrap().into_iter().map(|x| x.name).collect();
        assert_eq!(listed, ["A", "B"], "{storage:?}");
        assert!(matches!(brokers.register(t, c, m, hello(None, " "), 1).await, Err(DomainError::Invalid(_))));

        // Reconnection keeps the uid and the name, not the version or address.
        let mut again = hello(Some(&a.uid), "ignored");
        again.ip = "10.0.0.2".into();
        let back = brokers.register(t, c, m, again, 1100).await.unwrap();
        assert_eq!((back.uid.as_str(), back.name.as_str(), back.ip.as_str()), (a.uid.as_str(), "A", "10.0.0.2"));
        assert_eq!(back.connected_at, Some(1100));
        // Only the key it registered with may reconnect as it.
        let thief =
            Hello { key_hash: users_mgmt::domain::brokers::key_hash("another-key"), ..hello(Some(&a.uid), "A") };
        assert!(matches!(brokers.register(t, c, m, thief, 1101).await, Err(DomainError::Forbidden(_))), "{storage:?}");

        let renamed = brokers.rename(c, m, &b.uid, "Branch").await.unwrap();
        assert_eq!(brokers.get(c, m, &b.uid).await.unwrap(), renamed, "{storage:?}");
        assert!(matches!(brokers.get(c, "m2", &b.uid).await, Err(DomainError::NotFound(_))), "another module");
        let off = brokers.set_enabled(c, m, &b.uid, false).await.unwrap();
        assert!(!off.enabled);
        assert!(matches!(
            brokers.register(t, c, m, hello(Some(&b.uid), "B"), 1200).await,
            Err(DomainError::Forbidden(_))
        ));

        // The sweep: a pings at 1150, b at 1000; at 1130 b (silent 130 s > 60) goes down; its
        // module wants notices at once, a disabled broker gets none.
        brokers.ping(c, &a.uid, 1150).await.unwrap();
        brokers.set_enabled(c, m, &b.uid, true).await.unwrap();
        let config = |on: bool| {
            let mut map = Map::new();
            map.insert("brokerNotificationsEnabled".into(), json!(on));
            map.insert("notificationAfterNoOfMinsDisconnect".into(), json!(0));
            map.insert("brokerDisconnectNotificationTo".into(), json!(["ops@example.test"]));
            map
        };
        let wants = |on: bool| {
            move |_: String, module: String| async move {
                Ok::<Option<Map<String, Value>>, DomainError>((module == "m1").then(|| config(on)))
            }
        };
        let notices = brokers.sweep(1130, wants(true)).await.unwrap();
        let down: Vec<&str> = notices.iter().map(|n| n.broker.uid.as_str()).collect();
        assert_eq!(down, [b.uid.as_str()], "{storage:?}");
        assert_eq!(notices[0].recipients, ["ops@example.test"]);
        let b_now = brokers.get(c, m, &b.uid).await.unwrap();
        assert_eq!((b_now.connected, b_now.last_disconnected_at), (false, Some(1130)), "{storage:?}");
        // Not yet notified: the next sweep answers it again; once notified, no more.
        assert_eq!(brokers.sweep(1131, wants(true)).await.unwrap().len(), 1);
        brokers.notified(notices[0].broker.clone(), 1131).await.unwrap();
        assert!(brokers.sweep(1132, wants(true)).await.unwrap().is_empty(), "{storage:?}");
        // A ping brings it back; a module that wants no notices gets none.
        brokers.ping(c, &b.uid, 1140).await.unwrap();
        assert!(brokers.get(c, m, &b.uid).await.unwrap().connected);
        assert!(brokers.sweep(1300, wants(false)).await.unwrap().is_empty());
        assert!(brokers.list(c, m).await.unwrap().iter().all(|x| !x.connected), "{storage:?}: both silent by 1300");

        brokers.delete(c, m, &a.uid).await.unwrap();
        assert!(matches!(brokers.delete(c, m, &a.uid).await, Err(DomainError::NotFound(_))));
        assert_eq!(brokers.list(c, m).await.unwrap().len(), 1, "{storage:?}");
        assert_eq!(brokers.list(c, "m2").await.unwrap().len(), 1, "{storage:?}");
    }
}
