//! Auth module scripts over HTTP (`PATCH /auth_modules/updateJs/{moduleId}`): a script is run in
//! the sandbox before it is kept, refused with its error's name and line (never its text), and a
//! script that never ends is stopped at the limit while the service keeps answering others.

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD;
use reqwest::Method;
use serde_json::json;

use crate::login::{assert_error, bearer, call, call_plain, platform, uid_of};
use kit::testing::Storage;

fn script(text: &str) -> serde_json::Value {
    json!({"data": STANDARD.encode(text)})
}

#[tokio::test]
async fn an_administrator_sets_a_modules_script_checked_in_the_sandbox() {
    let Some(p) = platform(Storage::Embedded, "module scripts", 1, &[]).await else { return };
    let url = p.admin[0].as_str();
    let jane = bearer(&p.token("jane", "Quartz-Meadow-71").await);
    let auth = Some(jane.as_str());
    let path = format!("/auth_modules/updateJs/{}", p.module);

    let first = script("(u) => ({login: u.username, name: u.firstname + ' ' + u.lastname})");
    let (s, r) = call(url, Method::PATCH, &path, auth, Some(&first)).await;
    assert_eq!(
        (s, r["_id"].as_str(), r["script"].clone()),
        (200, Some(p.module.as_str()), first["data"].clone()),
        "{r}"
    );
    let stored = p.stores.module_scripts.get(&p.module).await.unwrap().unwrap();
    assert_eq!(stored.script_b64, first["data"].as_str().unwrap());

    // The plain preview: the body's own `data` wrapped in a plain `data` object.
    let second = script("({employee: input.attributes.employeeId})");
    let (s, r) = call_plain(url, Method::PATCH, &path, auth, &json!({"data": second})).await;
    assert_eq!((s, r["script"].clone()), (200, second["data"].clone()), "{r}");

    for (body, status, message) in [
        (script("let x = ;"), 400, "the script failed: SyntaxError at line 1"),
        (script("\nrequire('fs')"), 400, "the script failed: ReferenceError at line 2"),
        (script("throw new Error('sEcReT ' + input.email)"), 400, "the script failed: Error at line 1"),
        (script("undefined"), 400, "the script's result must be JSON, not undefined"),
        (
            script("const a = []; while (true) { a.push(new Array(100000).fill(1)); }"),
            400,
            "the script used more than 32 MiB",
        ),
        (json!({"data": "not base64 sEcReT!"}), 400, "data must be the script in base64"),
        (json!({"data": "", "extra": 1}), 400, "unknown field"),
    ] {
        let (s, r) = call(url, Method::PATCH, &path, auth, Some(&body)).await;
        assert_error(s, &r, status, message);
        assert!(!r.to_string().contains("sEcReT"), "{r}");
    }
    let (s, r) = call(url, Method::PATCH, "/auth_modules/updateJs/0123456789abcdef01234567", auth, Some(&first)).await;
    assert_error(s, &r, 404, "not found");
    let bob = bearer(&p.token("bob", "Violet-Harbor-58").await);
    let (s, _) = call(url, Method::PATCH, &path, Some(&bob), Some(&first)).await;
    assert_eq!(s, 403);
    let (s, _) = call(url, Method::PATCH, &path, None, Some(&first)).await;
    assert_eq!(s, 401);
    let kept = p.stores.module_scripts.get(&p.module).await.unwrap().unwrap();
    assert_eq!(kept.script_b64, second["data"].as_str().unwrap(), "no refused write changed it");

    let changes = p.stores.audit.changes(&p.community, 100).await.unwrap();
    let jane_uid = uid_of(&p, "jane").await;
    let mut seen: Vec<(&str, &str, &str, Vec<String>)> =
        changes.iter().map(|c| (c.kind.as_str(), c.record.as_str(), c.action.as_str(), c.fields.clone())).collect();
    seen.sort();
    let script_field = vec!["script".to_owned()];
    assert_eq!(
        seen,
        vec![
            ("module_script", p.module.as_str(), "create", script_field.clone()),
            ("module_script", p.module.as_str(), "update", script_field),
        ]
    );
    assert!(changes.iter().all(|c| c.actor == jane_uid));
}

#[tokio::test]
async fn a_script_that_never_ends_is_stopped_while_other_requests_are_served() {
    let Some(p) = platform(Storage::Embedded, "endless script", 1, &[("SCRIPT_TIMEOUT_MS", "1500")]).await else {
        return;
    };
    let url = p.admin[0].clone();
    let jane = bearer(&p.token("jane", "Quartz-Meadow-71").await);
    let path = format!("/auth_modules/updateJs/{}", p.module);

    let endless = {
        let (url, jane, path) = (url.clone(), jane.clone(), path.clone());
        tokio::spawn(
            async move { call(&url, Method::PATCH, &path, Some(&jane), Some(&script("while (true) {}"))).await },
        )
    };
    // While it runs: reads, a template write and another script (the pool has a second slot).
    let auth = Some(jane.as_str());
    for _ in 0..3 {
        let (s, r) = call(&url, Method::GET, &format!("/auth_modules/{}", p.module), auth, None).await;
        assert_eq!(s, 200, "{r}");
        let (s, r) = call(&url, Method::POST, "/config/template/fetch", auth, Some(&json!({}))).await;
        assert_eq!(s, 200, "{r}");
    }
    let template = json!({"templateData": {"otp": {"sms": {"t": {"name": "Code", "data": "{{ otp }}"}}}}});
    let (s, r) = call(&url, Method::PUT, "/config/template", auth, Some(&template)).await;
    assert_eq!(s, 200, "{r}");
    let (s, r) = call(&url, Method::PATCH, &path, auth, Some(&script("({ok: true})"))).await;
    assert_eq!(s, 200, "{r}");

    let (s, r) = endless.await.unwrap();
    assert_error(s, &r, 400, "the script ran longer than 1500 ms");
    let kept = p.stores.module_scripts.get(&p.module).await.unwrap().unwrap();
    assert_eq!(kept.script_b64, STANDARD.encode("({ok: true})"), "the endless script was not kept");
    // Its slot is free again.
    let (s, r) = call(&url, Method::PATCH, &path, auth, Some(&script("({again: true})"))).await;
    assert_eq!(s, 200, "{r}");
}
