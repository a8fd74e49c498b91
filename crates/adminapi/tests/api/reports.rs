//! The Reports group over HTTP: events written by `PUT /reports/event` and by adminapi's own
//! logins, read back by the raw events, login activity, metrics and last login reports within
//! their window and pages; the audit log of configuration changes; role assignments; download
//! jobs produced in the background, mailed through a real SMTP server, listed, downloaded and
//! cancelled; the hardware token export without seeds; 400s naming the field without its value,
//! 401 / 403 from the login gate and the community's boundary; time moved by the service's clock;
//! and the event and job stores' contract on SQLite and PostgreSQL.

use std::time::Duration;

use adminapi::domain::reports::jobs::{Job, JobField, JobSort, JobStatus, Viewer};
use adminapi::domain::reports::window::{DAY_MS, Window, format_date};
use adminapi::domain::reports::{Event, EventQuery, login_event, names};
use adminapi::domain::tenancy;
use adminapi::store::Stores;
use base64::Engine as _;
use kit::clock::{SystemClock, WallClock};
use kit::db::{Db, KIT_MIGRATIONS};
use kit::testing::{Storage, test_env};
use reqwest::Method;
use serde_json::{Value, json};

use crate::login::{Platform, assert_error, bearer, call, call_plain, platform, uid_of};
use crate::msg_gateway::{edit, email_gateway, smtp_server};

const JANE: (&str, &str) = ("jane", "Quartz-Meadow-71");
const BOB: (&str, &str) = ("bob", "Violet-Harbor-58");
/// A value sent in requests that must never reach a log line or an error message.
const CANARY: &str = "Canary-Report-Value-5e0c";

fn now() -> i64 {
    SystemClock.epoch_ms()
}

/// The `sid` claim of an access token.
fn sid_of(token: &str) -> String {
    let payload = token.split('.').nth(1).unwrap();
    let claims: Value =
        serde_json::from_slice(&base64::engine::general_purpose::URL_SAFE_NO_PAD.decode(payload).unwrap()).unwrap();
    claims["sid"].as_str().unwrap().to_owned()
}

fn ids(p: &Platform) -> Value {
    json!({"tenantId": p.tenant, "communityId": p.community})
}

fn with(base: &Value, extra: Value) -> Value {
    edit(base, |b| b.extend(extra.as_object().unwrap().clone()))
}

/// `PUT /reports/event` of `eventData` (the required fields added) with `serverEventData`.
async fn put_event(p: &Platform, data: Value, server: Value) -> (u16, Value) {
    let mut event = json!({"type": "event", "event_id": uuid::Uuid::new_v4().to_string(),
        "caller_user_agent": "reports-test", "version": "1.0"});
    event.as_object_mut().unwrap().extend(data.as_object().unwrap().clone());
    let body = with(&ids(p), json!({"eventData": event, "serverEventData": server}));
    call(&p.admin[0], Method::PUT, "/reports/event", None, Some(&body)).await
}

async fn report(p: &Platform, path: &str, auth: &str, body: Value) -> Value {
    let (s, r) = call(&p.admin[0], Method::POST, path, Some(auth), Some(&body)).await;
    assert_eq!(s, 200, "{path}: {r}");
    r
}

fn names_of(events: &Value) -> Vec<String> {
    events.as_array().unwrap().iter().map(|e| e["eventName"].as_str().unwrap().to_owned()).collect()
}

#[tokio::test]
async fn events_are_written_and_reported_within_their_window_page_and_community() {
    crate::captured_logs::start();
    for storage in [Storage::Embedded, Storage::Postgres] {
        let Some(p) = platform(storage, "reports events", 1, &[]).await else { continue };
        let clock = p.clock.clone();
        let url = p.admin[0].as_str();
        let jane_token = p.token(JANE.0, JANE.1).await;
        let (jane, bob) = (bearer(&jane_token), bearer(&p.token(BOB.0, BOB.1).await));
        let (s, _) = p.verify_user(0, p.credentials("bob", "Wrong-Password-1")).await;
        assert_eq!(s, 401);
        let jane_sid = sid_of(&jane_token);

        // Writing: any verified caller; fields checked by name, never echoing a value.
        let t40 = now() - 40 * DAY_MS;
        for (data, server) in [
            (json!({"eventName": "E_LOGIN_VISITED", "user_id": "jane"}), json!({"caller_ip": true, "event_ts": true})),
            (json!({"eventName": "E_LOGIN_VISITED", "user_id": "bob", "outcome": "FAILURE"}), json!({})),
            (json!({"eventName": "E_OLD_EVENT", "user_id": "jane", "event_ts": t40}), json!({})),
            (
                json!({"eventName": names::SP_REDIRECT_SUCCEEDED, "user_id": "jane", "session_id": jane_sid,
                    "application": "gsuite", "auth_method": "password"}),
                json!({}),
            ),
            (
                json!({"eventName": names::SP_REDIRECT_SUCCEEDED, "user_id": "bob", "session_id": "s-bob",
                    "application": "slack", "auth_method": "otp"}),
                json!({"remote_address": true}),
            ),
        ] {
            let (s, r) = put_event(&p, data, server).await;
            assert_eq!((s, r.clone()), (200, Value::Null), "{r}");
        }
        for (data, needle) in [
            (json!({"eventName": "E_X", "event_id": ""}), "eventData.event_id is required"),
            (json!({"eventName": CANARY}), "eventData.eventName must be E_ followed by capitals"),
            (json!({"eventName": "E_X", "user_id": 12}), "eventData.user_id must be a string"),
            (
                json!({"eventName": "E_X", "event_ts": now() - 91 * DAY_MS}),
                "eventData.event_ts must be within the last 90 days",
            ),
            (json!({"eventName": "E_X", "event_ts": CANARY}), "eventData.event_ts must be epoch milliseconds"),
        ] {
            let (s, r) = put_event(&p, data, json!({})).await;
            assert_error(s, &r, 400, needle);
            assert!(!r.to_string().contains(CANARY), "{r}");
        }
        let nowhere = json!({"tenantId": p.tenant, "communityId": "0123456789abcdef01234567", "eventData": {}});
        let (s, r) = call(url, Method::PUT, "/reports/event", None, Some(&nowhere)).await;
        assert_error(s, &r, 404, "");
        let (s, r) = call(url, Method::PUT, "/reports/event", None, Some(&ids(&p))).await;
        assert_error(s, &r, 400, "eventData is required");

        // The gate: no token 401, a plain user 403 on the administrators' reports.
        let (s, r) = call(url, Method::POST, "/reports/events", None, Some(&ids(&p))).await;
        assert_error(s, &r, 401, "authorization");
        for path in ["/reports/events", "/reports/audit_log", "/reports/metrics", "/reports/userenrollment"] {
            let (s, r) = call(url, Method::POST, path, Some(&bob), Some(&ids(&p))).await;
            assert_error(s, &r, 403, "may not");
        }

        // The raw events: the default window is the last 30 days, newest first; logins recorded.
        let r = report(&p, "/reports/events", &jane, with(&ids(&p), json!({"pSize": 100}))).await;
        assert_eq!(r["page"], json!({"pSize": 100, "pIndex": 0, "total": 7}), "{r}");
        let all = names_of(&r["data"]);
        assert_eq!(all.iter().filter(|n| *n == names::LOGIN_SUCCEEDED).count(), 2, "{all:?}");
        assert_eq!(all.iter().filter(|n| *n == names::LOGIN_FAILED).count(), 1, "{all:?}");
        assert!(!all.contains(&"E_OLD_EVENT".to_owned()));
        let visited = r["data"]
            .as_array()
            .unwrap()
            .iter()
            .find(|e| e["user_id"] == "jane" && e["eventName"] == "E_LOGIN_VISITED")
            .unwrap();
        assert_eq!(visited["caller_ip"], "127.0.0.1", "{visited}");
        assert_eq!(
            (visited["tenant_id"].as_str(), visited["community_id"].as_str()),
            (Some(p.tenant.as_str()), Some(p.community.as_str()))
        );
        let stamps: Vec<i64> = r["data"].as_array().unwrap().iter().map(|e| e["event_ts"].as_i64().unwrap()).collect();
        assert!(stamps.windows(2).all(|w| w[0] >= w[1]), "newest first: {stamps:?}");
        // Filters and pages.
        let r = report(
            &p,
            "/reports/events",
            &jane,
            with(&ids(&p), json!({"eventName": "E_LOGIN_VISITED", "outcome": "FAILURE"})),
        )
        .await;
        assert_eq!((r["page"]["total"].as_u64(), r["data"][0]["user_id"].as_str()), (Some(1), Some("bob")));
        let r =
            report(&p, "/reports/events", &jane, with(&ids(&p), json!({"user_id": "jane", "pSize": 2, "pIndex": 1})))
                .await;
        assert_eq!((r["page"]["total"].as_u64(), r["data"].as_array().unwrap().len()), (Some(3), 1), "{r}");
        // A window 45 to 35 days back finds the old event only.
        let window = json!({"from": format_date(now() - 45 * DAY_MS), "to": format_date(now() - 35 * DAY_MS)});
        let r = report(&p, "/reports/events", &jane, with(&ids(&p), window)).await;
        assert_eq!(names_of(&r["data"]), vec!["E_OLD_EVENT"]);
        for (extra, needle) in [
            (json!({"from": format_date(now() - 91 * DAY_MS)}), "from must be within the last 90 days"),
            (json!({"from": CANARY}), "from must be a date in the format YYYY-MM-DD HH:mm:ss.SSS"),
            (json!({"to": "2024-01-01"}), "to must be a date in the format"),
            (
                json!({"from": format_date(now() - DAY_MS), "to": format_date(now() - 2 * DAY_MS)}),
                "from must not be after to",
            ),
            (json!({"pSize": 0}), "pSize must be 1 to 100"),
            (json!({"pSize": 101}), "pSize must be 1 to 100"),
            (json!({"pIndex": 10_001}), "pIndex must be 0 to 10000"),
            (json!({"pSize": CANARY}), "pSize"),
            (json!({"unknown": 1}), "unknown field"),
        ] {
            let (s, r) = call(url, Method::POST, "/reports/events", Some(&jane), Some(&with(&ids(&p), extra))).await;
            assert_error(s, &r, 400, needle);
            assert!(!r.to_string().contains(CANARY), "{r}");
        }

        // Another community: 403 for a community administrator; an unknown one 404.
        let other = tenancy::create_community(&*p.stores.tenancy, &p.tenant, "other").await.unwrap();
        let theirs = json!({"tenantId": p.tenant, "communityId": other.id});
        let (s, r) = put_event(&p, json!({"eventName": "E_THEIRS"}), json!({})).await;
        assert_eq!(s, 200, "{r}");
        for path in [
            "/reports/events",
            "/reports/audit_log",
            "/reports/metrics",
            "/reports/role_assignment",
            "/reports/userenrollment",
            "/reports/login_activity",
        ] {
            let body = with(&theirs, json!({"metricsName": "M_C_LOGINS"}));
            let body = if path == "/reports/metrics" { body } else { theirs.clone() };
            let (s, r) = call(url, Method::POST, path, Some(&jane), Some(&body)).await;
            assert_error(s, &r, 403, "may not act in this community");
        }
        let ghost = json!({"tenantId": p.tenant, "communityId": "0123456789abcdef01234567"});
        let (s, r) = call(url, Method::POST, "/reports/events", Some(&jane), Some(&ghost)).await;
        assert_error(s, &r, 404, "");

        // Login activity: the SP redirects with the login of their session; a user sees their own.
        let r = report(&p, "/reports/login_activity", &jane, ids(&p)).await;
        assert_eq!(r["page"]["total"], 2, "{r}");
        let activity = &r["data"]["activityEvents"];
        assert_eq!(activity.as_array().unwrap().len(), 2);
        let login = &r["data"]["loginEvents"][&jane_sid];
        assert_eq!(
            (login["eventName"].as_str(), login["user_id"].as_str()),
            (Some(names::LOGIN_SUCCEEDED), Some("jane")),
            "{r}"
        );
        assert_eq!(r["data"]["loginEvents"].as_object().unwrap().len(), 1, "no login of s-bob was recorded");
        let r = report(&p, "/reports/login_activity", &jane, with(&ids(&p), json!({"application": "slack"}))).await;
        assert_eq!(r["data"]["activityEvents"][0]["user_id"], "bob");
        let r = report(
            &p,
            "/reports/login_activity",
            &jane,
            with(&ids(&p), json!({"auth_method": "password", "user_id": "jane"})),
        )
        .await;
        assert_eq!(r["page"]["total"], 1);
        let r = report(&p, "/reports/login_activity", &bob, with(&ids(&p), json!({"user_id": "jane"}))).await;
        let seen: Vec<&str> =
            r["data"]["activityEvents"].as_array().unwrap().iter().map(|e| e["user_id"].as_str().unwrap()).collect();
        assert_eq!(seen, vec!["bob"], "a user sees only their own activity: {r}");
        let (s, r) = call(url, Method::POST, "/reports/login_activity", Some(&bob), Some(&theirs)).await;
        assert_error(s, &r, 403, "may not act in this community");

        // Metrics: counts over the window, days, or the hours of one day.
        let metric = |name: &str, extra: Value| with(&ids(&p), with(&json!({"metricsName": name}), extra));
        assert_eq!(report(&p, "/reports/metrics", &jane, metric("M_C_LOGINS", json!({}))).await, json!({"count": 2}));
        assert_eq!(
            report(&p, "/reports/metrics", &jane, metric("M_C_ACTIVE_USER", json!({}))).await,
            json!({"count": 2})
        );
        assert_eq!(
            report(&p, "/reports/metrics", &jane, metric("M_C_LOGIN_FAILED", json!({}))).await,
            json!({"count": 1})
        );
        let series = report(&p, "/reports/metrics", &jane, metric("M_GT_SUCCESSFUL_AUTHENTICATIONS", json!({}))).await;
        let days = series.as_array().unwrap();
        assert_eq!(days.len(), 31, "{series}");
        assert_eq!(days.last().unwrap()["count"], 2);
        assert_eq!(days.last().unwrap()["date"], format_date(now())[..10]);
        let today = format_date(now());
        let hours =
            report(&p, "/reports/metrics", &jane, metric("M_G_LOGIN_FAILED", json!({"from": today, "to": today})))
                .await;
        assert_eq!(hours.as_array().unwrap().len(), 24);
        assert_eq!(hours.as_array().unwrap().iter().map(|h| h["count"].as_u64().unwrap()).sum::<u64>(), 1);
        let usage = report(
            &p,
            "/reports/metrics",
            &jane,
            metric("M_G_APPLICATION_USAGE", json!({"responseTimezone": "+02:00"})),
        )
        .await;
        let apps: Vec<&str> = usage.as_array().unwrap().iter().map(|u| u["application"].as_str().unwrap()).collect();
        assert_eq!(apps, vec!["gsuite", "slack"], "{usage}");
        for (body, needle) in [
            (ids(&p), "metricsName is required"),
            (metric(CANARY, json!({})), "metricsName must be one of M_C_ACTIVE_USER"),
            (metric("M_C_LOGINS", json!({"responseTimezone": CANARY})), "responseTimezone must be UTC or an offset"),
        ] {
            let (s, r) = call(url, Method::POST, "/reports/metrics", Some(&jane), Some(&body)).await;
            assert_error(s, &r, 400, needle);
            assert!(!r.to_string().contains(CANARY), "{r}");
        }

        // The audit log: a configuration change, by its administrator, never its value.
        let jane_uid = uid_of(&p, "jane").await;
        let secret = with(&ids(&p), json!({"tag": "report_secret", "value": CANARY}));
        let (s, r) = call(url, Method::POST, "/secret-store/create", Some(&jane), Some(&secret)).await;
        assert_eq!(s, 201, "{r}");
        let r = report(&p, "/reports/audit_log", &jane, ids(&p)).await;
        assert_eq!(r["page"]["total"], 1, "{r}");
        let change = &r["data"]["auditLogEvents"][0];
        assert_eq!(
            (change["eventCategory"].as_str(), change["eventName"].as_str()),
            (Some("AUDIT_LOG"), Some("E_SECRET_CREATED"))
        );
        assert_eq!(change["user_id"].as_str(), Some(jane_uid.as_str()));
        assert!(!r.to_string().contains(CANARY));
        let r = report(&p, "/reports/audit_log", &jane, with(&ids(&p), json!({"user_id": "someone-else"}))).await;
        assert_eq!(r["page"]["total"], 0);
        let old = json!({"from": format_date(now() - 60 * DAY_MS), "to": format_date(now() - 50 * DAY_MS)});
        assert_eq!(report(&p, "/reports/audit_log", &jane, with(&ids(&p), old)).await["page"]["total"], 0);

        // Role assignments: jane is the community's administrator.
        let r = report(&p, "/reports/role_assignment", &jane, ids(&p)).await;
        assert_eq!(r["page"]["total"], 1, "{r}");
        assert_eq!(
            (r["data"][0]["uid"].as_str(), r["data"][0]["roleId"].as_str()),
            (Some(jane_uid.as_str()), Some("community_admin"))
        );
        let r = report(&p, "/reports/role_assignment", &jane, with(&ids(&p), json!({"roleIds": ["helpdesk"]}))).await;
        assert_eq!(r["page"]["total"], 0);
        let (s, r) = call(
            url,
            Method::POST,
            "/reports/role_assignment",
            Some(&jane),
            Some(&with(&ids(&p), json!({"roleIds": [CANARY]}))),
        )
        .await;
        assert_error(s, &r, 400, "roleIds must name roles among");
        assert!(!r.to_string().contains(CANARY));

        // Last logins: from users-mgmt's users and the recorded logins.
        let r = report(&p, "/reports/userenrollment", &jane, with(&ids(&p), json!({"pSize": 10}))).await;
        assert_eq!(r["page"]["total"], 2, "{r}");
        for user in r["data"].as_array().unwrap() {
            let last = user["lastLoginTime"].as_str().unwrap_or_else(|| panic!("{user}"));
            assert_eq!(&last[..10], &format_date(now())[..10]);
            assert!(user["status"].is_string(), "{user}");
        }
        let r = report(&p, "/reports/userenrollment", &jane, with(&ids(&p), json!({"pSize": 1, "pIndex": 1}))).await;
        assert_eq!((r["page"]["total"].as_u64(), r["data"].as_array().unwrap().len()), (Some(2), 1), "{r}");

        // The service's clock: 31 days later, today's events are out of the default window.
        clock.advance(Duration::from_millis(u64::try_from(31 * DAY_MS).unwrap()));
        // Sessions go by that clock too: the earlier login has ended, and the new one is the only
        // event of the default window.
        let jane = bearer(&p.token(JANE.0, JANE.1).await);
        let r = report(&p, "/reports/events", &jane, ids(&p)).await;
        assert_eq!(
            (r["page"]["total"].as_u64(), names_of(&r["data"])),
            (Some(1), vec!["E_LOGIN_SUCCEEDED".to_owned()]),
            "{r}"
        );
        // And the old event (71 days back now) is still in reach, not the one beyond 90 days.
        let window = json!({"from": format_date(clock.epoch_ms() - 75 * DAY_MS), "to": format_date(clock.epoch_ms() - 60 * DAY_MS)});
        assert_eq!(
            names_of(&report(&p, "/reports/events", &jane, with(&ids(&p), window)).await["data"]),
            vec!["E_OLD_EVENT"]
        );

        let log = crate::captured_logs::text();
        assert!(!crate::captured_logs::holds(&log, CANARY), "a request value reached the log");
    }
}

/// The platform with an email gateway on a test SMTP server; jane's and bob's tokens.
async fn with_mail(
    test: &str,
) -> Option<(Platform, String, String, tokio::sync::mpsc::UnboundedReceiver<crate::msg_gateway::Mail>)> {
    let p = platform(Storage::Embedded, test, 1, &[]).await?;
    let jane = bearer(&p.token(JANE.0, JANE.1).await);
    let bob = bearer(&p.token(BOB.0, BOB.1).await);
    let (smtp_port, mails) = smtp_server().await;
    let gateway = edit(&email_gateway(&p), |b| {
        b.insert("protocol".into(), json!("smtp-insecure"));
        b.insert("serviceUrl".into(), json!("127.0.0.1"));
        b.insert("port".into(), json!(smtp_port));
    });
    let (s, r) = call(&p.admin[0], Method::POST, "/msg_gateway/create", Some(&jane), Some(&gateway)).await;
    assert_eq!(s, 200, "{r}");
    Some((p, jane, bob, mails))
}

/// The job `id` once it is no longer pending (bounded wait).
async fn finished(p: &Platform, auth: &str, id: &str) -> Value {
    for _ in 0..100 {
        let r = report(p, "/reports/download/jobs", auth, json!({"pSize": 100})).await;
        let job = r["data"].as_array().unwrap().iter().find(|j| j["jobId"] == id).cloned();
        if let Some(job) = job.filter(|j| j["status"] != "Pending") {
            return job;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    panic!("the job {id} stayed pending");
}

/// The file behind a download link, as `auth`: the status and the text.
async fn download(p: &Platform, auth: &str, link: &str) -> (u16, String) {
    let path = link.split_once(".com").unwrap().1;
    let client = crate::login::caller();
    let peer = client.peer(&p.admin[0]).await.unwrap();
    let mut req = client.http().get(format!("{}{path}", p.admin[0]));
    for (name, value) in client.headers(&peer).unwrap().pairs() {
        req = req.header(name, value);
    }
    let resp = req.header("authorization", auth).send().await.unwrap();
    (resp.status().as_u16(), resp.text().await.unwrap())
}

#[tokio::test]
async fn download_jobs_are_produced_mailed_listed_downloaded_and_cancelled() {
    crate::captured_logs::start();
    let Some((p, jane, bob, mut mails)) = with_mail("reports jobs").await else { return };
    let url = p.admin[0].as_str();
    for name in ["E_ONE", "E_TWO"] {
        let (s, r) = put_event(&p, json!({"eventName": name, "user_id": "=cmd|' /C calc'!A0"}), json!({})).await;
        assert_eq!(s, 200, "{r}");
    }

    // The download object is checked before a job exists.
    for (download, needle) in [
        (json!({}), "download.notificationList is required with download"),
        (json!({"notificationList": []}), "download.notificationList must have 1 to 5 email addresses"),
        (json!({"notificationList": vec!["a@example.com"; 6]}), "download.notificationList must have 1 to 5"),
        (json!({"notificationList": [CANARY]}), "download.notificationList must be an email address"),
    ] {
        let body = with(&ids(&p), json!({"download": download}));
        let (s, r) = call(url, Method::POST, "/reports/events", Some(&jane), Some(&body)).await;
        assert_error(s, &r, 400, needle);
        assert!(!r.to_string().contains(CANARY));
    }
    let metrics =
        with(&ids(&p), json!({"metricsName": "M_C_LOGINS", "download": {"notificationList": ["ops@example.com"]}}));
    let (s, r) = call(url, Method::POST, "/reports/metrics", Some(&jane), Some(&metrics)).await;
    assert_error(s, &r, 400, "download.requestBy is required");
    assert_eq!(report(&p, "/reports/download/jobs", &jane, json!({})).await["page"]["total"], 0);

    // The events as a file: a job, produced, mailed, listed with its link, downloaded.
    let body = with(&ids(&p), json!({"eventName": "E_ONE", "download": {"notificationList": ["Ops@Example.com"]}}));
    let r = report(&p, "/reports/events", &jane, body).await;
    let job_id = r["jobId"].as_str().unwrap().to_owned();
    assert_eq!(r.as_object().unwrap().len(), 1, "only the jobId: {r}");
    let job = finished(&p, &jane, &job_id).await;
    assert_eq!(
        (job["status"].as_str(), job["reportType"].as_str(), job["requestedBy"].as_str()),
        (Some("Completed"), Some("events"), Some("jane")),
        "{job}"
    );
    assert_eq!(job["sendNotificationTo"], json!(["ops@example.com"]));
    assert!(job["createdAt"].as_i64().unwrap() <= job["completedAt"].as_i64().unwrap());
    let link = job["downloadLink"].as_str().unwrap();
    assert_eq!(
        link,
        format!(
            "https://acme.example.com/downloads/reports/tenant/{}/community/{}/job/{job_id}/report.csv",
            p.tenant, p.community
        )
    );
    let mail = mails.recv().await.unwrap();
    assert_eq!(mail.rcpt_to, vec!["<ops@example.com>".to_owned()]);
    assert!(mail.data.contains("Subject: Your events report: Completed"), "{}", mail.data);
    assert!(mail.data.replace("=\r\n", "").contains(&job_id), "the mail names the link: {}", mail.data);
    let (s, csv) = download(&p, &jane, link).await;
    assert_eq!(s, 200, "{csv}");
    assert_eq!(job["size"].as_u64(), Some(csv.len() as u64));
    let lines: Vec<&str> = csv.lines().collect();
    assert_eq!(lines[0], "event_ts,eventName,user_id,outcome,session_id,auth_method,application,broker_id,data");
    assert_eq!(lines.len(), 2, "{csv}");
    assert!(lines[1].contains(",E_ONE,'=cmd|"), "a formula is defused: {csv}");
    let (s, _) = download(&p, &bob, link).await;
    assert_eq!(s, 403);

    // The other reports as files.
    let notify = json!({"notificationList": ["ops@example.com"]});
    let mut kinds = Vec::new();
    for (path, body) in [
        ("/reports/audit_log", with(&ids(&p), json!({"download": notify}))),
        ("/reports/role_assignment", with(&ids(&p), json!({"download": notify}))),
        ("/reports/login_activity", with(&ids(&p), json!({"download": notify}))),
        (
            "/reports/metrics",
            with(
                &ids(&p),
                json!({"metricsName": "M_GT_SUCCESSFUL_AUTHENTICATIONS", "download": {
            "requestBy": "boss@example.com", "notificationList": ["ops@example.com"],
            "eventData": {"tenant_dns": "acme.example.com", "user_id": "jane"}}}),
            ),
        ),
    ] {
        let id = report(&p, path, &jane, body).await["jobId"].as_str().unwrap().to_owned();
        let job = finished(&p, &jane, &id).await;
        assert_eq!(job["status"], "Completed", "{path}: {job}");
        let (s, csv) = download(&p, &jane, job["downloadLink"].as_str().unwrap()).await;
        assert_eq!(s, 200);
        kinds.push((job["reportType"].as_str().unwrap().to_owned(), csv.lines().next().unwrap().to_owned()));
        mails.recv().await.unwrap();
    }
    assert_eq!(kinds[0], ("audit_log".to_owned(), "date,eventName,user_id,kind,record,action,fields".to_owned()));
    assert_eq!(kinds[1].1, "uid,role,tenantId,communityId,createdBy,createdAt");
    assert_eq!(kinds[3], ("M_GT_SUCCESSFUL_AUTHENTICATIONS".to_owned(), "date,count".to_owned()));
    let r = report(
        &p,
        "/reports/download/jobs",
        &jane,
        json!({"sort": [{"field": "reportType", "order": "asc"}], "pSize": 2}),
    )
    .await;
    assert_eq!(r["page"]["total"], 5, "{r}");
    assert_eq!(r["page"]["sort"], json!([{"field": "reportType", "order": "asc"}]));
    let kinds: Vec<&str> = r["data"].as_array().unwrap().iter().map(|j| j["reportType"].as_str().unwrap()).collect();
    assert_eq!(kinds, vec!["M_GT_SUCCESSFUL_AUTHENTICATIONS", "audit_log"]);
    let metrics_job = r["data"][0].clone();
    assert_eq!(metrics_job["requestedBy"], "boss@example.com");
    for (body, needle) in [
        (json!({"sort": [{"field": CANARY}]}), "sort.field must be one of createdAt"),
        (json!({"sort": [{"field": "size", "order": "up"}]}), "sort.order must be asc or desc"),
        (json!({"pSize": 500}), "pSize must be 1 to 100"),
    ] {
        let (s, r) = call(url, Method::POST, "/reports/download/jobs", Some(&jane), Some(&body)).await;
        assert_error(s, &r, 400, needle);
        assert!(!r.to_string().contains(CANARY));
    }
    let (s, r) = call(url, Method::POST, "/reports/download/jobs", Some(&bob), Some(&json!({}))).await;
    assert_error(s, &r, 403, "may not");
    let (s, r) = call_plain(url, Method::POST, "/reports/download/jobs", None, &json!({})).await;
    assert_error(s, &r, 401, "authorization");

    // Hardware tokens: exported without their seeds.
    let seed = "3132333435363738393031323334353637383930";
    let csv = format!("serialNumber,seed\nHT-REPORT-1,{seed}\nHT-REPORT-2,{seed}\n");
    let (s, r) = call(url, Method::PUT, "/hardwaretokens/tokens", Some(&jane), Some(&json!({"csv_text": csv}))).await;
    assert_eq!((s, r["applied"].as_u64()), (200, Some(2)), "{r}");
    for (body, needle) in [
        (json!({"download": notify}), "reports_type is required"),
        (
            json!({"reports_type": CANARY, "download": notify}),
            "reports_type must be hardware_tokens or user_hardwaretokens",
        ),
        (json!({"reports_type": "hardware_tokens"}), "download is required"),
        (
            json!({"reports_type": "hardware_tokens", "query": {"serialNumbers": "x"}, "download": notify}),
            "query.serialNumbers must be an array",
        ),
    ] {
        let (s, r) = call(url, Method::POST, "/reports/hardwaretokens_export", Some(&jane), Some(&body)).await;
        assert_error(s, &r, 400, needle);
        assert!(!r.to_string().contains(CANARY));
    }
    let (s, r) = call(url, Method::POST, "/reports/hardwaretokens_export", Some(&bob), Some(&json!({}))).await;
    assert_error(s, &r, 403, "may not");
    let body =
        json!({"reports_type": "hardware_tokens", "query": {"serialNumbers": ["/report-1/"]}, "download": notify});
    let id = report(&p, "/reports/hardwaretokens_export", &jane, body).await["jobId"].as_str().unwrap().to_owned();
    let job = finished(&p, &jane, &id).await;
    let (s, csv) = download(&p, &jane, job["downloadLink"].as_str().unwrap()).await;
    assert_eq!(s, 200);
    assert!(
        csv.starts_with("serialNumber,type,digits,period,counter,username,createdAt,lastUsedAt\r\nHT-REPORT-1,hotp,6,"),
        "{csv}"
    );
    assert_eq!(csv.lines().count(), 2, "{csv}");
    assert!(!csv.contains(seed) && !csv.to_lowercase().contains("seed"), "{csv}");
    let body = json!({"reports_type": "user_hardwaretokens", "download": notify});
    let id = report(&p, "/reports/hardwaretokens_export", &jane, body).await["jobId"].as_str().unwrap().to_owned();
    let (s, csv) = download(&p, &jane, finished(&p, &jane, &id).await["downloadLink"].as_str().unwrap()).await;
    assert_eq!((s, csv.lines().count()), (200, 1), "no token is assigned: {csv}");

    // Cancelling: a pending job (put in the store: produced jobs finish too fast to catch), a
    // finished one, another community's, an unknown one.
    let mut pending = Job {
        id: "0a7c1c2e-5d7a-4d8e-9a52-000000000001".into(),
        tenant_id: p.tenant.clone(),
        tenant_dns: "acme.example.com".into(),
        community_id: p.community.clone(),
        kind: "events".into(),
        status: JobStatus::Pending,
        requested_by: "someone".into(),
        requested_by_uid: "someone-uid".into(),
        notify: vec![],
        window: None,
        created_at: now(),
        completed_at: None,
        size: None,
    };
    p.stores.report_jobs.insert_job(&pending).await.unwrap();
    let cancel = |id: String| {
        let jane = jane.clone();
        async move { call(url, Method::PATCH, &format!("/reports/download/jobs/{id}"), Some(&jane), None).await }
    };
    assert_eq!(cancel(pending.id.clone()).await.0, 204);
    assert_eq!(cancel(pending.id.clone()).await.0, 204, "cancelling twice is fine");
    let job = p.stores.report_jobs.job(&pending.id).await.unwrap().unwrap();
    assert_eq!(job.status, JobStatus::Cancelled);
    let (s, r) = cancel(job_id.clone()).await;
    assert_error(s, &r, 409, "the download job has already finished");
    pending.id = "0a7c1c2e-5d7a-4d8e-9a52-000000000002".into();
    pending.community_id = "0123456789abcdef01234567".into();
    p.stores.report_jobs.insert_job(&pending).await.unwrap();
    let (s, r) = cancel(pending.id.clone()).await;
    assert_error(s, &r, 404, "download job not found");
    let (s, r) = cancel("no-such-job".into()).await;
    assert_error(s, &r, 404, "download job not found");
    let (s, _) = call(url, Method::PATCH, &format!("/reports/download/jobs/{job_id}"), Some(&bob), None).await;
    assert_eq!(s, 403);
    assert_eq!(
        report(&p, "/reports/download/jobs", &jane, json!({})).await["page"]["total"],
        8,
        "another community's job is not listed"
    );

    let log = crate::captured_logs::text();
    assert!(!crate::captured_logs::holds(&log, CANARY), "a request value reached the log");
    assert!(!log.contains("ops@example.com"), "an address reached the log");
}

/// A fresh migrated database on `storage` with its stores.
async fn stores(storage: Storage, test: &str) -> Option<Stores> {
    let env = test_env(storage, test).await?;
    let settings = kit::Settings::from_source(&env, adminapi::SERVICE, 0).unwrap();
    let db = Db::connect(&settings.database_url.0).await.unwrap();
    db.migrate(&[&KIT_MIGRATIONS, &adminapi::ADMINAPI_MIGRATIONS]).await.unwrap();
    Some(Stores::sql(&db))
}

fn job(id: &str, community: &str, uid: &str, created_at: i64, size: Option<i64>) -> Job {
    Job {
        id: id.into(),
        tenant_id: "t1".into(),
        tenant_dns: "acme.example.com".into(),
        community_id: community.into(),
        kind: "events".into(),
        status: JobStatus::Pending,
        requested_by: uid.into(),
        requested_by_uid: uid.into(),
        notify: vec!["a@example.com".into()],
        window: Some(Window { from: 1, to: 2 }),
        created_at,
        completed_at: None,
        size,
    }
}

#[tokio::test]
async fn the_event_and_job_stores_keep_their_contract_on_every_backend() {
    for storage in [Storage::Embedded, Storage::Postgres] {
        let Some(s) = stores(storage, "reports store").await else { continue };
        let events = &*s.report_events;
        let t0 = 1_700_000_000_000;
        for (i, (community, name, user)) in [
            ("c1", "E_A", "jane"),
            ("c1", "E_B", "bob"),
            ("c1", names::LOGIN_SUCCEEDED, "jane"),
            ("c2", "E_A", "jane"),
            ("c1", names::LOGIN_SUCCEEDED, "jane"),
        ]
        .into_iter()
        .enumerate()
        {
            let at = t0 + i64::try_from(i).unwrap() * 1000;
            let e = if name == names::LOGIN_SUCCEEDED {
                login_event(name, "t1", community, user, &format!("sid-{i}"), at)
            } else {
                Event::of(
                    "t1",
                    community,
                    name,
                    at,
                    json!({"eventName": name, "user_id": user, "outcome": "OK", "n": i}),
                )
            };
            events.insert(&e).await.unwrap();
        }
        let q = EventQuery { community_id: "c1".into(), from: t0, to: t0 + 10_000, ..EventQuery::default() };
        let (n, page) = events.page(&q, 0, 10).await.unwrap();
        assert_eq!((n, page.len()), (4, 4));
        assert_eq!(page[0].event_ts, t0 + 4000, "newest first");
        assert_eq!(page[3].data["n"], 0, "the event is kept whole");
        let (n, page) = events.page(&q, 1, 2).await.unwrap();
        assert_eq!((n, page.iter().map(|e| e.event_ts).collect::<Vec<_>>()), (4, vec![t0 + 2000, t0 + 1000]));
        let narrow = EventQuery { from: t0 + 1000, to: t0 + 2000, ..q.clone() };
        assert_eq!(events.page(&narrow, 0, 10).await.unwrap().0, 2, "the window is inclusive");
        let by = EventQuery { names: vec!["E_A".into(), "E_B".into()], user_id: Some("bob".into()), ..q.clone() };
        assert_eq!(events.page(&by, 0, 10).await.unwrap().1[0].event_name, "E_B");
        let sessions = EventQuery { session_ids: vec!["sid-2".into(), "sid-9".into()], ..q.clone() };
        assert_eq!(events.page(&sessions, 0, 10).await.unwrap().1[0].session_id, "sid-2");
        let outcome = EventQuery { outcome: Some("SUCCESS".into()), ..q.clone() };
        assert_eq!(events.page(&outcome, 0, 10).await.unwrap().0, 2);
        let users = vec!["jane".to_owned(), "bob".to_owned(), "nobody".to_owned()];
        let latest = events.latest_by_user("c1", names::LOGIN_SUCCEEDED, &users).await.unwrap();
        assert_eq!(latest, vec![("jane".to_owned(), t0 + 4000)]);
        assert!(events.latest_by_user("c1", names::LOGIN_SUCCEEDED, &[]).await.unwrap().is_empty());

        let jobs = &*s.report_jobs;
        jobs.insert_job(&job("j1", "c1", "u1", t0, None)).await.unwrap();
        jobs.insert_job(&job("j2", "c1", "u2", t0 + 1, None)).await.unwrap();
        jobs.insert_job(&job("j3", "c2", "u1", t0 + 2, None)).await.unwrap();
        jobs.insert_job(&job("j4", "c2", "u3", t0 + 3, None)).await.unwrap();
        assert!(jobs.finish_job("j1", JobStatus::Completed, Some("a,b\r\n"), t0 + 10).await.unwrap());
        assert!(!jobs.finish_job("j1", JobStatus::Cancelled, None, t0 + 11).await.unwrap(), "only a pending job ends");
        let j1 = jobs.job("j1").await.unwrap().unwrap();
        assert_eq!((j1.status, j1.completed_at, j1.size), (JobStatus::Completed, Some(t0 + 10), Some(5)));
        assert_eq!((j1.window, j1.notify.clone()), (Some(Window { from: 1, to: 2 }), vec!["a@example.com".to_owned()]));
        assert_eq!(jobs.job_content("j1").await.unwrap().as_deref(), Some("a,b\r\n"));
        assert_eq!(jobs.job_content("j2").await.unwrap(), None);
        assert!(jobs.job("nope").await.unwrap().is_none());
        let viewer = Viewer { community_id: "c1", uid: "u1" };
        let newest = [JobSort { field: JobField::CreatedAt, descending: true }];
        let (n, seen) = jobs.jobs(viewer, &newest, 0, 10).await.unwrap();
        let ids: Vec<&str> = seen.iter().map(|j| j.id.as_str()).collect();
        assert_eq!((n, ids), (3, vec!["j3", "j2", "j1"]), "its community's and its own, not j4");
        let by_size = [JobSort { field: JobField::Size, descending: true }];
        let (_, seen) = jobs.jobs(viewer, &by_size, 0, 10).await.unwrap();
        assert_eq!(seen[0].id, "j1", "sizes first, absent ones last");
        let by_size_asc = [JobSort { field: JobField::Size, descending: false }];
        assert_eq!(jobs.jobs(viewer, &by_size_asc, 0, 10).await.unwrap().1[0].id, "j1", "absent last in both orders");
        let (n, seen) = jobs.jobs(viewer, &newest, 2, 10).await.unwrap();
        assert_eq!((n, seen.len()), (3, 1));
    }
}
