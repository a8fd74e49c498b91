//! The authentication headers and sealed bodies, verified by the envelope extractor over HTTP.

use reqwest::Method;
use serde_json::{Value, json};

use envelope::{Curve, RequestId, wire::now_epoch};
use kit::testing::Storage;

use crate::helpers::{APP_KEY, INFRA_KEY, Probe, STORAGES, SYSTEM_KEY, probe};

type Headers = Vec<(&'static str, String)>;

async fn raw(p: &Probe, path: &str, headers: &[(&str, String)], body: Option<Value>) -> (u16, Value) {
    let mut req = reqwest::Client::new().post(format!("{}{path}", p.url));
    for (k, v) in headers {
        req = req.header(*k, v);
    }
    if let Some(b) = body {
        req = req.json(&b);
    }
    let resp = req.send().await.unwrap();
    let status = resp.status().as_u16();
    (status, resp.json().await.unwrap_or(Value::Null))
}

fn assert_error(status: u16, body: &Value, expected: u16, fragment: &str) {
    assert_eq!(status, expected, "{body}");
    assert_eq!(body["statusCode"], expected, "{body}");
    assert!(body["error"].is_string(), "{body}");
    let message = body["message"].as_str().unwrap_or_default();
    assert!(message.contains(fragment), "message {message:?} should mention {fragment:?}");
}

#[tokio::test]
async fn a_signed_request_round_trips_on_every_storage_and_curve() {
    for storage in STORAGES {
        for curve in [Curve::Secp256k1, Curve::P256] {
            let Some(p) = probe(storage, curve, "round_trip").await else { continue };
            let client = p.client(APP_KEY);
            let reply =
                client.call(Method::POST, &p.url, "/probe/echo", Some(&json!({"hello": "world"}))).await.unwrap();
            assert_eq!(reply.status, 200, "{storage:?} {curve:?}: {:?}", reply.body);
            assert!(reply.sealed, "the reply is encrypted for the caller");
            assert_eq!(reply.body, json!({"echo": {"hello": "world"}, "level": "app", "appid": "tests"}));
        }
    }
}

#[tokio::test]
async fn stale_future_and_replayed_requestids_are_refused_on_every_storage() {
    for storage in STORAGES {
        let Some(p) = probe(storage, Curve::Secp256k1, "stale_and_replay").await else { continue };
        let client = p.client(APP_KEY);
        let peer = client.peer(&p.url).await.unwrap();
        let body = json!({"data": peer.shared.encrypt("{}").unwrap()});

        let stale = client.headers_with(&peer, &RequestId::new("tests").at(now_epoch() - 120)).unwrap();
        let (s, b) = raw(&p, "/probe/echo", &stale.pairs(), Some(body.clone())).await;
        assert_error(s, &b, 401, "requestid ts");

        let future = client.headers_with(&peer, &RequestId::new("tests").at(now_epoch() + 120)).unwrap();
        let (s, b) = raw(&p, "/probe/echo", &future.pairs(), Some(body.clone())).await;
        assert_error(s, &b, 401, "requestid ts");

        let once = client.headers(&peer).unwrap();
        let (s, _) = raw(&p, "/probe/echo", &once.pairs(), Some(body.clone())).await;
        assert_eq!(s, 200, "{storage:?}");
        let (s, b) = raw(&p, "/probe/echo", &once.pairs(), Some(body.clone())).await;
        assert_error(s, &b, 401, "already been used");

        // The same uuid with a fresh encryption (as SDKs do on retry) is a new request.
        let id = RequestId::new("tests");
        for _ in 0..2 {
            let h = client.headers_with(&peer, &id).unwrap();
            let (s, b) = raw(&p, "/probe/echo", &h.pairs(), Some(body.clone())).await;
            assert_eq!(s, 200, "{storage:?}: {b}");
        }
    }
}

#[tokio::test]
async fn garbage_in_every_header_is_a_clear_4xx() {
    let p = probe(Storage::Embedded, Curve::Secp256k1, "garbage").await.unwrap();
    let client = p.client(APP_KEY);
    let peer = client.peer(&p.url).await.unwrap();
    let body = Some(json!({"data": peer.shared.encrypt("{}").unwrap()}));
    let good = || client.headers(&peer).unwrap();
    let with = |name: &'static str, value: &str| -> Headers {
        let mut h: Headers = good().pairs().into_iter().filter(|(k, _)| *k != name).collect();
        if !value.is_empty() {
            h.push((name, value.to_owned()));
        }
        h
    };
    let other = envelope::KeyPair::generate(Curve::Secp256k1).unwrap();
    let foreign = other.shared_key_with(&peer.public_key).unwrap();
    let cases: Vec<(Headers, u16, &str)> = vec![
        (with("publickey", ""), 401, "publickey header is required"),
        (with("publickey", "not base64 !!"), 400, "publickey"),
        (with("publickey", "AAAA"), 400, "publickey"),
        (with("publickey", other.public_base64()), 401, "requestid"),
        (with("requestid", ""), 401, "requestid header is required"),
        (with("requestid", "%%%"), 401, "requestid"),
        (with("requestid", &peer.shared.encrypt("not json").unwrap()), 401, "requestid must be JSON"),
        (with("requestid", &foreign.encrypt(r#"{"ts":1,"uuid":"u","appid":"a"}"#).unwrap()), 401, "requestid"),
    ];
    let now = envelope::wire::now_epoch();
    let id = |json: String| with("requestid", &peer.shared.encrypt(&json).unwrap());
    let cases = cases.into_iter().chain([
        (id(format!(r#"{{"ts":"{now}","uuid":"u","appid":"a"}}"#)), 401, "requestid must be JSON with a numeric ts"),
        (id(format!(r#"{{"ts":{now},"appid":"a"}}"#)), 401, "requestid must be JSON with a numeric ts, a uuid"),
        (id(format!(r#"{{"ts":{now},"uuid":"u"}}"#)), 401, "requestid must be JSON"),
        (id(format!(r#"{{"ts":{now},"uuid":7,"appid":"a"}}"#)), 401, "requestid must be JSON"),
        (id(r#"{"uuid":"u","appid":"a"}"#.to_owned()), 401, "requestid must be JSON"),
    ]);
    let cases: Vec<(Headers, u16, &str)> = cases
        .chain([
            (with("licensekey", ""), 401, "licensekey header is required"),
            (with("licensekey", "garbage"), 401, "licensekey"),
            (with("licensekey", &peer.shared.encrypt("no-such-license").unwrap()), 401, "license key is not valid"),
        ])
        .collect();
    for (headers, status, fragment) in cases {
        let (s, b) = raw(&p, "/probe/echo", &headers, body.clone()).await;
        assert_error(s, &b, status, fragment);
    }
    // A header that is not visible ASCII.
    let resp = reqwest::Client::new()
        .post(format!("{}/probe/echo", p.url))
        .header("publickey", reqwest::header::HeaderValue::from_bytes(b"\xffkey").unwrap())
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status().as_u16(), 400);
}

#[tokio::test]
async fn bodies_must_be_sealed_unless_the_endpoint_accepts_plain_json() {
    let p = probe(Storage::Embedded, Curve::Secp256k1, "bodies").await.unwrap();
    let client = p.client(APP_KEY);
    let peer = client.peer(&p.url).await.unwrap();
    let cases = [
        (json!({"hello": 1}), "body must be"),
        (json!({"data": "AAAA"}), "data"),
        (json!({"data": peer.shared.encrypt("not json").unwrap()}), "invalid request body"),
        (json!([1, 2]), "body must be"),
    ];
    for (body, fragment) in cases {
        let (s, b) = raw(&p, "/probe/echo", &client.headers(&peer).unwrap().pairs(), Some(body)).await;
        assert_error(s, &b, 400, fragment);
    }
    let mut req = reqwest::Client::new().post(format!("{}/probe/echo", p.url));
    for (k, v) in client.headers(&peer).unwrap().pairs() {
        req = req.header(k, v);
    }
    let resp = req.header("content-type", "application/json").body("{not json").send().await.unwrap();
    assert_eq!(resp.status().as_u16(), 400);
    assert_eq!(resp.json::<Value>().await.unwrap()["statusCode"], 400);

    for body in [json!({"a": 1}), json!({"data": {"a": 1}})] {
        let h = client.headers(&peer).unwrap();
        let reply = client.send(Method::POST, &p.url, "/probe/lenient", &h, Some(&body), &peer).await.unwrap();
        assert_eq!(reply.body, json!({"echo": {"a": 1}, "encrypted": false}));
    }
    let reply = client.call(Method::POST, &p.url, "/probe/lenient", Some(&json!({"a": 2}))).await.unwrap();
    assert_eq!(reply.body, json!({"echo": {"a": 2}, "encrypted": true}));
}

#[tokio::test]
async fn license_levels_are_enforced_by_the_extractor() {
    let p = probe(Storage::Embedded, Curve::Secp256k1, "levels").await.unwrap();
    let none: Option<&Value> = None;
    for (key, status) in [(SYSTEM_KEY, 200), (APP_KEY, 403), (INFRA_KEY, 403), ("unknown", 401)] {
        let reply = p.client(key).call(Method::GET, &p.url, "/probe/system", none).await.unwrap();
        assert_eq!(reply.status, status, "{key}: {:?}", reply.body);
    }
    let reply = p.client(APP_KEY).call(Method::GET, &p.url, "/probe/system", none).await.unwrap();
    assert!(reply.body["message"].as_str().unwrap().contains("a app license cannot call this endpoint"));
}

#[tokio::test]
async fn the_time_window_is_pinned_from_both_sides() {
    // ALLOWED_TIME_SPAN is 60 s: a ts 57 s away either way is accepted, 63 s away refused (3 s
    // on each side leave room for a slow test machine, never for a wider window).
    let p = probe(Storage::Embedded, Curve::Secp256k1, "window edges").await.unwrap();
    let client = p.client(APP_KEY);
    let peer = client.peer(&p.url).await.unwrap();
    let body = json!({"data": peer.shared.encrypt("{}").unwrap()});
    for (offset, expected) in [(-57, 200), (57, 200), (-63, 401), (63, 401)] {
        let headers = client.headers_with(&peer, &RequestId::new("tests").at(now_epoch() + offset)).unwrap();
        let (s, b) = raw(&p, "/probe/echo", &headers.pairs(), Some(body.clone())).await;
        assert_eq!(s, expected, "ts {offset:+} s: {b}");
    }
}

/// How long the shared store keeps the replay records of `env`'s probe, in seconds (each).
async fn remembered(storage: Storage, env: &std::collections::BTreeMap<String, String>) -> Vec<i64> {
    match storage {
        Storage::Redis => {
            let client = redis::Client::open(env["REDIS_URL"].as_str()).unwrap();
            let mut conn = client.get_multiplexed_async_connection().await.unwrap();
            let keys: Vec<String> = redis::cmd("KEYS")
                .arg(format!("{}replay:*", env["REDIS_PREFIX"]))
                .query_async(&mut conn)
                .await
                .unwrap();
            let mut ttls = Vec::new();
            for key in keys {
                let ms: i64 = redis::cmd("PTTL").arg(&key).query_async(&mut conn).await.unwrap();
                ttls.push(ms / 1000);
            }
            ttls
        }
        _ => {
            let db = kit::db::Db::connect(&env["DATABASE_URL"]).await.unwrap();
            let rows: Vec<(i64,)> = sqlx::query_as("SELECT expires_at FROM ephemeral WHERE k LIKE 'replay:%'")
                .fetch_all(db.pool())
                .await
                .unwrap();
            // expires_at is in epoch milliseconds or seconds: normalize to seconds from now.
            let now = now_epoch();
            rows.into_iter().map(|(at,)| if at > 10_000_000_000 { at / 1000 - now } else { at - now }).collect()
        }
    }
}

#[tokio::test]
async fn replicas_refuse_each_others_replays_for_the_whole_window() {
    for storage in [Storage::Postgres, Storage::Redis] {
        let Some(mut env) = crate::helpers::probe_env(storage, Curve::Secp256k1, "shared replay").await else {
            continue;
        };
        let key = envelope::KeyPair::generate(Curve::Secp256k1).unwrap();
        env.insert("SERVICE_PRIVATE_KEY".into(), key.private().to_base64().to_string());
        let (a, b) = (
            crate::helpers::start_probe(&env, Curve::Secp256k1).await,
            crate::helpers::start_probe(&env, Curve::Secp256k1).await,
        );
        let client = a.client(APP_KEY);
        let peer = client.peer(&a.url).await.unwrap();
        let body = json!({"data": peer.shared.encrypt("{}").unwrap()});
        let once = client.headers(&peer).unwrap();
        let (s, _) = raw(&a, "/probe/echo", &once.pairs(), Some(body.clone())).await;
        assert_eq!(s, 200, "{storage:?}");
        let (s, r) = raw(&b, "/probe/echo", &once.pairs(), Some(body.clone())).await;
        assert_error(s, &r, 401, "already been used");
        let fresh = client.headers(&peer).unwrap();
        let (s, _) = raw(&b, "/probe/echo", &fresh.pairs(), Some(body)).await;
        assert_eq!(s, 200, "{storage:?}: the second replica serves fresh requests");

        // Each fresh request is remembered for the whole window (60 s) plus the clock margin.
        let ttls = remembered(storage, &env).await;
        assert_eq!(ttls.len(), 2, "{storage:?}: {ttls:?}");
        assert!(ttls.iter().all(|t| (55..=70).contains(t)), "{storage:?}: {ttls:?}");
    }
}
