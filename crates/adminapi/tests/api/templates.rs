//! The Template Config group over HTTP: an administrator creates, replaces, fetches and deletes
//! the community's email and SMS templates, sealed and plain; a template that does not compile or
//! render is refused naming the template and the engine's error, never its text; one default per
//! purpose and channel; every write in the audit log; and the render API over what was stored.

use adminapi::domain::templates::{self, Channel, Purpose, Rendered};
use adminapi::domain::tenancy;
use reqwest::Method;
use serde_json::{Value, json};

use crate::login::{assert_error, bearer, call, call_plain, platform, uid_of};
use kit::testing::Storage;

fn welcome(data: &str, is_default: bool) -> Value {
    json!({"name": "Welcome", "subject": "Join {{ community.name }}", "data": data, "isDefault": is_default})
}

#[tokio::test]
async fn an_administrator_manages_the_communitys_templates() {
    let Some(p) = platform(Storage::Embedded, "templates", 1, &[]).await else { return };
    let url = p.admin[0].as_str();
    let jane = bearer(&p.token("jane", "Quartz-Meadow-71").await);
    let auth = Some(jane.as_str());
    let ids = json!({"tenantId": p.tenant, "communityId": p.community});
    let with = |field: &str, value: Value| {
        let mut body = ids.clone();
        body[field] = value;
        body
    };

    let (s, r) = call(url, Method::POST, "/config/template/fetch", auth, Some(&ids)).await;
    assert_eq!((s, r), (200, json!({})), "none yet");

    let data = json!({
        "self_onboarding": {"email": {"w-1": welcome("<a href=\"{{ link }}\">Join</a> {{ email }}", true)},
                            "sms": {"s-1": {"name": "Short", "data": "Join: {{ link }}", "isDefault": true}}},
        "otp": {"sms": {"code": {"name": "Code", "data": "{{ otp }} ({{ expires_in_minutes }} min)"}}},
    });
    let (s, r) = call(url, Method::PUT, "/config/template", auth, Some(&with("templateData", data.clone()))).await;
    assert_eq!(s, 200, "{r}");
    let mut expected = data.clone();
    expected["otp"]["sms"]["code"]["isDefault"] = json!(false);
    assert_eq!(r, expected, "the community's templates, isDefault filled in");
    let (s, r) = call(url, Method::POST, "/config/template/fetch", auth, Some(&with("purposes", json!(["otp"])))).await;
    assert_eq!((s, r), (200, json!({"otp": expected["otp"].clone()})));

    // The plain preview, and a new default replacing the former one.
    let second = json!({"self_onboarding": {"email": {"w-2": welcome("Hello {{ email }}: {{ link }}", true)}}});
    let (s, r) = call_plain(url, Method::PUT, "/config/template", auth, &with("templateData", second)).await;
    assert_eq!(s, 200, "{r}");
    let emails = &r["self_onboarding"]["email"];
    assert_eq!((emails["w-1"]["isDefault"].as_bool(), emails["w-2"]["isDefault"].as_bool()), (Some(false), Some(true)));
    let (s, r) = call_plain(url, Method::POST, "/config/template/fetch", auth, &with("purposes", json!([]))).await;
    assert_eq!((s, r["self_onboarding"]["email"].as_object().map(|m| m.len())), (200, Some(2)));

    // Refusals name the template and the engine's error kind and line, never the template text.
    for (data, message) in [
        (
            json!({"otp": {"email": {"e": {"name": "Code", "subject": "Code", "data": "Hi\n{% if otp %}{{ sEcReT_mark }"}}}}),
            "template otp.email.e: data: syntax error at line 2",
        ),
        (
            json!({"otp": {"email": {"e": {"name": "Code", "subject": "Code", "data": "{{ otp }} {{ sEcReT_mark.x }}"}}}}),
            "template otp.email.e: data: undefined value at line 1",
        ),
        (
            json!({"invite": {"email": {"e": {"name": "Hi", "subject": "{{ sEcReT_mark }}", "data": "{{ link }}"}}}}),
            "template invite.email.e: subject: undefined value at line 1",
        ),
        (json!({"invite": {"sms": {"e": {"name": "Hi", "data": "x".repeat(1601)}}}}), "data must be 1 to 1600"),
        (json!({"newsletter": {}}), "templateData.newsletter must be one of self_onboarding, invite"),
        (
            json!({"otp": {"sms": {"a": {"name": "A", "data": "{{ otp }}", "isDefault": true},
                                    "b": {"name": "B", "data": "{{ otp }}", "isDefault": true}}}}),
            "templateData.otp.sms gives more than one default template",
        ),
    ] {
        let (s, r) = call(url, Method::PUT, "/config/template", auth, Some(&with("templateData", data))).await;
        assert_error(s, &r, 400, message);
        assert!(!r.to_string().contains("sEcReT_mark"), "{r}");
    }
    let (s, r) =
        call(url, Method::POST, "/config/template/fetch", auth, Some(&with("purposes", json!(["nope"])))).await;
    assert_error(s, &r, 400, "purposes[0] must be one of");

    // Who may: a plain user may not, nobody without a token, nor another community's admin.
    let bob = bearer(&p.token("bob", "Violet-Harbor-58").await);
    let (s, _) = call(url, Method::POST, "/config/template/fetch", Some(&bob), Some(&ids)).await;
    assert_eq!(s, 403);
    let (s, _) =
        call(url, Method::PUT, "/config/template", Some(&bob), Some(&with("templateData", data.clone()))).await;
    assert_eq!(s, 403);
    let (s, _) =
        call(url, Method::DELETE, "/config/template", Some(&bob), Some(&with("key_paths", json!(["otp.sms.code"]))))
            .await;
    assert_eq!(s, 403);
    for (method, path) in [
        (Method::POST, "/config/template/fetch"),
        (Method::PUT, "/config/template"),
        (Method::DELETE, "/config/template"),
    ] {
        let (s, _) = call(url, method, path, None, Some(&ids)).await;
        assert_eq!(s, 401, "{path}");
    }
    let other = tenancy::create_community(&*p.stores.tenancy, &p.tenant, "partners").await.unwrap();
    let elsewhere = json!({"communityId": other.id, "templateData": data});
    let (s, r) = call(url, Method::PUT, "/config/template", auth, Some(&elsewhere)).await;
    assert_error(s, &r, 403, "may not act in this community");

    // Deletes, all or nothing.
    let (s, r) = call(
        url,
        Method::DELETE,
        "/config/template",
        auth,
        Some(&with("key_paths", json!(["otp.sms.code", "otp.email.code"]))),
    )
    .await;
    assert_error(s, &r, 404, "key_paths[1] names no template of the community");
    let (s, r) =
        call(url, Method::DELETE, "/config/template", auth, Some(&with("key_paths", json!(["otp.sms"])))).await;
    assert_error(s, &r, 400, "key_paths[0] must be purpose.channel.id");
    let (s, r) =
        call(url, Method::DELETE, "/config/template", auth, Some(&with("key_paths", json!(["otp.sms.code"])))).await;
    assert_eq!(s, 204, "{r}");
    let (s, r) = call(url, Method::POST, "/config/template/fetch", auth, Some(&with("purposes", json!(["otp"])))).await;
    assert_eq!((s, r), (200, json!({})));

    // The audit log: one change per template written, field names only.
    let changes = p.stores.audit.changes(&p.community, 100).await.unwrap();
    let mut seen: Vec<(String, String, Vec<String>)> =
        changes.iter().map(|c| (c.record.clone(), c.action.clone(), c.fields.clone())).collect();
    seen.sort();
    let all = || vec!["data".to_owned(), "isDefault".to_owned(), "name".to_owned(), "subject".to_owned()];
    let sms = || vec!["data".to_owned(), "isDefault".to_owned(), "name".to_owned()];
    assert_eq!(
        seen,
        vec![
            ("otp.sms.code".into(), "create".into(), sms()),
            ("otp.sms.code".into(), "delete".into(), sms()),
            ("self_onboarding.email.w-1".into(), "create".into(), all()),
            ("self_onboarding.email.w-1".into(), "update".into(), vec!["isDefault".to_owned()]),
            ("self_onboarding.email.w-2".into(), "create".into(), all()),
            ("self_onboarding.sms.s-1".into(), "create".into(), sms()),
        ]
    );
    let jane_uid = uid_of(&p, "jane").await;
    assert!(changes.iter().all(|c| c.kind == "template" && c.actor == jane_uid && c.tenant_id == p.tenant));
    assert!(!format!("{changes:?}").contains("{{"), "no values in the log");

    // The render API: the community's default, or the built-in template.
    let vars = json!({"email": "<ann@example.com>", "link": "https://x.example/l", "community": {"name": "Acme"}});
    let store = &*p.stores.templates;
    let r = templates::render(store, &p.community, Purpose::SelfOnboarding, Channel::Email, &vars).await.unwrap();
    assert_eq!(
        r,
        Rendered {
            subject: Some("Join Acme".into()),
            body: "Hello &lt;ann@example.com&gt;: https:&#x2f;&#x2f;x.example&#x2f;l".into()
        }
    );
    let r = templates::render(store, &p.community, Purpose::SelfOnboarding, Channel::Sms, &vars).await.unwrap();
    assert_eq!(r, Rendered { subject: None, body: "Join: https://x.example/l".into() });
    let r = templates::render(store, &other.id, Purpose::SelfOnboarding, Channel::Sms, &vars).await.unwrap();
    assert_eq!(r, Rendered { subject: None, body: "Create your Acme account: https://x.example/l".into() }, "built-in");
}

/// adminapi's stores on a fresh, migrated database of `storage` (`None`: not reachable).
async fn stores(storage: Storage, test: &str) -> Option<adminapi::store::Stores> {
    let env = kit::testing::test_env(storage, test).await?;
    let settings = kit::Settings::from_source(&env, adminapi::SERVICE, 0).unwrap();
    let db = kit::db::Db::connect(&settings.database_url.0).await.unwrap();
    db.migrate(&[&kit::db::KIT_MIGRATIONS, &adminapi::ADMINAPI_MIGRATIONS]).await.unwrap();
    Some(adminapi::store::Stores::sql(&db))
}

#[tokio::test]
async fn the_template_and_module_script_stores_behave_alike_on_every_backend() {
    use adminapi::domain::config::Owner;
    use adminapi::domain::module_scripts::ModuleScript;
    for storage in [Storage::Embedded, Storage::Postgres] {
        let Some(s) = stores(storage, "template store").await else { continue };
        let owner = Owner { tenant_id: "t1", community_id: "c1" };
        let data = json!({"otp": {"sms": {"a": {"name": "A", "data": "{{ otp }}", "isDefault": true}},
                                   "email": {"e": {"name": "E", "subject": "S", "data": "{{ otp }}"}}}});
        let list = templates::put(&*s.templates, owner, &data, "u1", 10).await.unwrap();
        assert_eq!(list.iter().map(|t| t.path()).collect::<Vec<_>>(), ["otp.email.e", "otp.sms.a"], "{storage:?}");
        let b = json!({"otp": {"sms": {"b": {"name": "B", "data": "{{ otp }}!", "isDefault": true}}}});
        templates::put(&*s.templates, owner, &b, "u1", 11).await.unwrap();
        let default = s.templates.default_of("c1", Purpose::Otp, Channel::Sms).await.unwrap().unwrap();
        assert_eq!((default.id.as_str(), default.updated_at), ("b", 11), "{storage:?}");
        assert_eq!(s.templates.default_of("c1", Purpose::Otp, Channel::Email).await.unwrap(), None);
        assert!(s.templates.list("c2").await.unwrap().is_empty(), "per community");

        // The store itself keeps one default per purpose and channel.
        let mut second = default.clone();
        second.id = "c".into();
        let raw = templates::Write { upserts: vec![second], ..templates::plan_put(owner, &[], vec![]) };
        assert!(matches!(s.templates.write(&raw).await, Err(kit::StoreError::Conflict(_))), "{storage:?}");

        templates::delete(&*s.templates, owner, &["otp.sms.b".into(), "otp.email.e".into()], "u1", 12).await.unwrap();
        let left: Vec<String> = s.templates.list("c1").await.unwrap().iter().map(|t| t.path()).collect();
        assert_eq!(left, ["otp.sms.a"], "{storage:?}");
        assert_eq!(s.audit.changes("c1", 100).await.unwrap().len(), 6, "{storage:?}");

        let script =
            ModuleScript { module_id: "m1".into(), script_b64: "MQ==".into(), updated_by: "u1".into(), updated_at: 5 };
        let change = adminapi::domain::audit::Change {
            tenant_id: "t1".into(),
            community_id: "c1".into(),
            kind: "module_script".into(),
            record: "m1".into(),
            action: "create".into(),
            fields: vec!["script".into()],
            actor: "u1".into(),
            at: 5,
        };
        s.module_scripts.put(&script, &change).await.unwrap();
        let again = ModuleScript { script_b64: "Mg==".into(), updated_at: 6, ..script.clone() };
        s.module_scripts.put(&again, &change).await.unwrap();
        assert_eq!(s.module_scripts.get("m1").await.unwrap(), Some(again), "{storage:?}");
        assert_eq!(s.module_scripts.get("m2").await.unwrap(), None);
    }
}
