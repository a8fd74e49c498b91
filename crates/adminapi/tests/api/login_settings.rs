//! The Login Settings group over HTTP: defaults for a community that set nothing, writes that
//! keep what they leave out and refuse what the rules do not allow (naming the field), the
//! session's community reach, the plain preview, a change seen at once by a second instance
//! sharing Redis, and every write in the audit log.

use adminapi::domain::tenancy;
use reqwest::Method;
use serde_json::json;

use crate::login::{assert_error, bearer, call, call_plain, platform, uid_of};
use kit::testing::Storage;

const MFA_FLAGS: [&str; 4] = ["show_otp_email", "show_otp_phone", "show_otp_voice", "show_otp_hardware"];

#[tokio::test]
async fn an_administrator_reads_defaults_and_sets_the_login_settings() {
    let Some(p) = platform(Storage::Embedded, "login settings", 1, &[]).await else { return };
    let url = p.admin[0].as_str();
    let jane = bearer(&p.token("jane", "Quartz-Meadow-71").await);
    let auth = Some(jane.as_str());

    let (s, r) = call(url, Method::GET, "/config/authentication/mfa_settings", auth, None).await;
    assert_eq!(s, 200, "{r}");
    assert_eq!((r["show_otp_email"].as_bool(), r["otpMaxAttempts"].as_u64()), (Some(true), Some(5)), "defaults: {r}");

    let mut put = json!({"tenantId": p.tenant, "communityId": p.community, "show_otp_email": false,
        "show_otp_phone": true, "show_otp_voice": false, "show_otp_hardware": true, "otpMaxAttempts": 3});
    let (s, r) = call(url, Method::PUT, "/config/authentication/mfa_settings", auth, Some(&put)).await;
    assert_eq!(s, 200, "{r}");
    assert_eq!((r["show_otp_phone"].as_bool(), r["otpMaxAttempts"].as_u64()), (Some(true), Some(3)));
    assert_eq!(r["lockDurationMinutes"].as_u64(), Some(15), "a field left out keeps its value: {r}");
    assert!(r.get("tenantId").is_none(), "the ids are not part of the setting: {r}");
    let (s, read) = call(url, Method::GET, "/config/authentication/mfa_settings", auth, None).await;
    assert_eq!((s, read), (200, r));

    // Refusals name the field, never the value.
    put["otpMaxAttempts"] = json!(0);
    let (s, r) = call(url, Method::PUT, "/config/authentication/mfa_settings", auth, Some(&put)).await;
    assert_error(s, &r, 400, "otpMaxAttempts must be from 1 to 100");
    put["otpMaxAttempts"] = json!("seven-7");
    let (s, r) = call(url, Method::PUT, "/config/authentication/mfa_settings", auth, Some(&put)).await;
    assert_error(s, &r, 400, "otpMaxAttempts");
    assert!(!r.to_string().contains("seven-7"), "{r}");
    put["otpMaxAttempts"] = json!(4);
    put["show_otp_fax"] = json!(true);
    let (s, r) = call(url, Method::PUT, "/config/authentication/mfa_settings", auth, Some(&put)).await;
    assert_error(s, &r, 400, "unknown field");
    for flag in MFA_FLAGS {
        let mut missing = put.clone();
        missing.as_object_mut().unwrap().remove("show_otp_fax");
        missing.as_object_mut().unwrap().remove(flag);
        let (s, r) = call(url, Method::PUT, "/config/authentication/mfa_settings", auth, Some(&missing)).await;
        assert_error(s, &r, 400, &format!("{flag} is required"));
    }
    let (_, r) = call(url, Method::GET, "/config/authentication/mfa_settings", auth, None).await;
    assert_eq!(r["otpMaxAttempts"].as_u64(), Some(3), "no refused write changed anything");

    // The plain preview: a plain body is answered plain.
    let fido = json!({"fido_disabled": false, "fido_platform_authenticator_disabled": true, "fido_security_key_disabled": false});
    let plain = call_plain(url, Method::PUT, "/config/authentication/fido_settings", auth, &fido).await;
    assert_eq!(plain, (200, fido.clone()));
    let (_, r) = call(url, Method::GET, "/config/authentication/fido_settings", auth, None).await;
    assert_eq!(r, fido);

    // The other kinds: defaults, then a write.
    for (path, default_field, default, write) in [
        ("liveid_selfie_settings", "liveid_selfie_enabled", json!(false), json!({"liveid_selfie_enabled": true})),
        (
            "orion_settings",
            "orion_authenticator_wait_time_ms",
            json!(1500),
            json!({"orion_authenticator_enabled": true}),
        ),
        (
            "windows_mfa_settings",
            "maxAuthAttemptsBeforeFallback",
            json!(4),
            json!({"allowed_enrollments": {"behavior_auth": false, "user_pin": true}, "maxAuthAttemptsBeforeFallback": 2}),
        ),
        (
            "first_time_enrollment_settings",
            "first_time_login_enrollment",
            json!(false),
            json!({"first_time_login_enrollment": true, "allowed_factors": ["mobile", "email"]}),
        ),
    ] {
        let path = format!("/config/authentication/{path}");
        let (s, r) = call(url, Method::GET, &path, auth, None).await;
        assert_eq!((s, r[default_field].clone()), (200, default), "{path}: {r}");
        let (s, r) = call(url, Method::PUT, &path, auth, Some(&write)).await;
        assert_eq!(s, 200, "{path}: {r}");
        for (field, value) in write.as_object().unwrap() {
            assert_eq!(&r[field], value, "{path}: {r}");
        }
    }
    let bad = json!({"first_time_login_enrollment": true, "allowed_factors": ["carrier-pigeon"]});
    let (s, r) =
        call(url, Method::PUT, "/config/authentication/first_time_enrollment_settings", auth, Some(&bad)).await;
    assert_error(s, &r, 400, "allowed_factors[0] must be one of mobile");

    // Passwordless: named by dns and community name; a plain user of the community reads it.
    let pwdless = json!({"dns": "acme.example.com", "communityName": "default", "primaryMethod": "Face",
        "selfOnBoard": false, "selfOnBoardFromUserProfile": false, "accountsPerPerson": 2, "personsPerAccount": 1,
        "personLimitRule": "block", "passwordless_disabled": false, "qr_disabled": true, "push_disabled": false});
    let (s, r) = call(url, Method::PUT, "/config/authentication/pwdless_settings", auth, Some(&pwdless)).await;
    assert_eq!(
        (s, r["primaryMethod"].as_str(), r["secondaryMethod"].as_str()),
        (200, Some("Face"), Some("Pin")),
        "{r}"
    );
    let bob = bearer(&p.token("bob", "Violet-Harbor-58").await);
    let path = "/config/authentication/pwdless_settings/acme.example.com/default";
    let (s, r) = call(url, Method::GET, path, Some(&bob), None).await;
    assert_eq!((s, r["qr_disabled"].as_bool(), r["personLimitRule"].as_str()), (200, Some(true), Some("block")));
    let (s, r) =
        call(url, Method::GET, "/config/authentication/pwdless_settings/acme.example.com/nowhere", auth, None).await;
    assert_eq!(s, 404, "{r}");

    // A community administrator acts in their community only.
    let other = tenancy::create_community(&*p.stores.tenancy, &p.tenant, "partners").await.unwrap();
    let elsewhere = json!({"communityId": other.id, "liveid_selfie_enabled": true});
    let (s, r) = call(url, Method::PUT, "/config/authentication/liveid_selfie_settings", auth, Some(&elsewhere)).await;
    assert_error(s, &r, 403, "may not act in this community");
    let (s, r) =
        call(url, Method::GET, "/config/authentication/pwdless_settings/acme.example.com/partners", auth, None).await;
    assert_error(s, &r, 403, "may not act in this community");

    // Every accepted write is in the audit log: who, which kind, which fields; no values.
    let changes = p.stores.audit.changes(&p.community, 100).await.unwrap();
    assert_eq!(changes.len(), 7, "{changes:?}");
    let mfa = changes.iter().find(|c| c.kind == "mfa_settings").unwrap();
    assert_eq!(mfa.fields, vec!["otpMaxAttempts", "show_otp_email", "show_otp_hardware", "show_otp_phone"]);
    let jane_uid = uid_of(&p, "jane").await;
    assert!(changes.iter().all(|c| c.actor == jane_uid && c.tenant_id == p.tenant && c.action == "set"));
    assert!(p.stores.audit.changes(&other.id, 10).await.unwrap().is_empty());
}

#[tokio::test]
async fn a_change_is_seen_at_once_by_every_instance_sharing_redis() {
    // A cache that lives an hour: only the invalidation can make the second instance see it.
    let Some(p) = platform(Storage::Redis, "settings invalidation", 2, &[("CONFIG_CACHE_TTL_SECONDS", "3600")]).await
    else {
        return;
    };
    let jane = bearer(&p.token("jane", "Quartz-Meadow-71").await);
    let path = "/config/authentication/liveid_selfie_settings";
    let (s, r) = call(&p.admin[1], Method::GET, path, Some(&jane), None).await;
    assert_eq!((s, r), (200, json!({"liveid_selfie_enabled": false})), "cached by the second instance");
    let (s, _) = call(&p.admin[0], Method::PUT, path, Some(&jane), Some(&json!({"liveid_selfie_enabled": true}))).await;
    assert_eq!(s, 200);
    // Pub/sub delivery is asynchronous: bounded in count, it never waits longer than it must.
    let mut seen = json!(null);
    for _ in 0..100 {
        seen = call(&p.admin[1], Method::GET, path, Some(&jane), None).await.1;
        if seen["liveid_selfie_enabled"] == true {
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(20)).await;
    }
    assert_eq!(seen, json!({"liveid_selfie_enabled": true}));
}
