//! What a hostile client gets back: error messages that never repeat its input, bounded request
//! heads, and (pinned) the replies actix-http gives before any middleware.

use std::time::Duration;

use reqwest::Method;
use serde_json::{Value, json};
use tokio::io::{AsyncReadExt as _, AsyncWriteExt as _};

use envelope::Curve;
use kit::testing::Storage;

use crate::helpers::{APP_KEY, Probe, probe};

/// A marker for values that must never come back (nor reach the log).
const SECRET: &str = "s3cr3t-value";

async fn probe_for(test: &str) -> Probe {
    probe(Storage::Embedded, Curve::Secp256k1, test).await.unwrap()
}

async fn get(url: &str) -> (u16, Value) {
    let resp = reqwest::get(url).await.unwrap();
    let status = resp.status().as_u16();
    (status, resp.json().await.unwrap_or(Value::Null))
}

/// The wire error shape, with a message that mentions `fragment` and not [`SECRET`].
fn assert_safe_error(status: u16, body: &Value, expected: u16, fragment: &str) {
    assert_eq!(status, expected, "{body}");
    assert_eq!(body["statusCode"], expected, "{body}");
    assert!(body["error"].is_string(), "{body}");
    let message = body["message"].as_str().unwrap_or_default();
    assert!(message.contains(fragment), "message {message:?} should mention {fragment:?}");
    assert!(!body.to_string().contains(SECRET), "the reply repeats the request: {body}");
}

#[tokio::test]
async fn a_sealed_body_of_the_wrong_shape_names_the_field_not_the_decrypted_value() {
    let p = probe_for("wrong_shape").await;
    let client = p.client(APP_KEY);
    let cases = [
        (json!({"origin": {"communityId": "c"}, "count": SECRET}), "count: invalid type: string, expected u8"),
        (json!({"origin": {"communityId": 7, "x": SECRET}}), "origin.communityId: invalid type: integer"),
        (json!({"origin": {}}), "origin.communityId: missing field"),
        (json!({"origin": {"communityId": "c"}, SECRET: 1}), "unknown field, expected `origin` or `count`"),
        (json!(SECRET), "invalid type: string, expected struct Typed"),
    ];
    for (body, fragment) in cases {
        let reply = client.call(Method::POST, &p.url, "/probe/typed", Some(&body)).await.unwrap();
        assert_safe_error(reply.status, &reply.body, 400, fragment);
        assert!(reply.body["message"].as_str().unwrap().starts_with("invalid request body: "), "{}", reply.body);
    }
    let good = json!({"origin": {"communityId": "c"}});
    assert_eq!(client.call(Method::POST, &p.url, "/probe/typed", Some(&good)).await.unwrap().status, 200);
}

#[tokio::test]
async fn json_path_and_query_errors_do_not_repeat_the_input() {
    let p = probe_for("extractors").await;
    let http = reqwest::Client::new();
    let resp = http
        .post(format!("{}/probe/typed-plain", p.url))
        .json(&json!({"origin": {"communityId": "c"}, "count": SECRET}))
        .send()
        .await
        .unwrap();
    let status = resp.status().as_u16();
    assert_safe_error(status, &resp.json().await.unwrap(), 400, "invalid JSON body: invalid type: string, expected u8");
    let resp = http
        .post(format!("{}/probe/typed-plain", p.url))
        .header("content-type", "application/json")
        .body(format!("{{\"origin\": \"{SECRET}"))
        .send()
        .await
        .unwrap();
    let status = resp.status().as_u16();
    assert_safe_error(status, &resp.json().await.unwrap(), 400, "syntax error at line 1 column");

    let (s, b) = get(&format!("{}/probe/number/{SECRET}", p.url)).await;
    assert_safe_error(s, &b, 400, "invalid path parameter: invalid value, expected u32");
    let (s, b) = get(&format!("{}/probe/query?limit={SECRET}", p.url)).await;
    assert_safe_error(s, &b, 400, "invalid query string: invalid digit found in string");
    let (s, b) = get(&format!("{}/probe/query?{SECRET}=1", p.url)).await;
    assert_safe_error(s, &b, 400, "invalid query string: missing field `limit`");
    assert_eq!(get(&format!("{}/probe/query?limit=3", p.url)).await, (200, json!({"limit": 3})));
}

#[tokio::test]
async fn an_unknown_path_is_not_repeated_and_neither_is_an_odd_method() {
    let p = probe_for("not_found").await;
    let (s, b) = get(&format!("{}/no/such/{SECRET}", p.url)).await;
    assert_safe_error(s, &b, 404, "Cannot GET this path");
    let odd = reqwest::Method::from_bytes(b"S3CR3T-VALUE").unwrap();
    let resp = reqwest::Client::new().request(odd, format!("{}/no/such/{SECRET}", p.url)).send().await.unwrap();
    let status = resp.status().as_u16();
    let body: Value = resp.json().await.unwrap();
    assert_safe_error(status, &body, 404, "Cannot ");
    assert!(!body.to_string().to_lowercase().contains("s3cr3t"), "{body}");
}

#[tokio::test]
async fn a_request_target_over_8_kib_is_refused_before_routing() {
    let p = probe_for("long_target").await;
    let (s, b) = get(&format!("{}/probe/segment/{}", p.url, "a".repeat(30_000))).await;
    assert_safe_error(s, &b, 414, "longer than 8192 bytes");
    assert_eq!(b["error"], "URI Too Long");
    let (s, b) = get(&format!("{}/probe/segment/x?q={}", p.url, "a".repeat(9_000))).await;
    assert_safe_error(s, &b, 414, "request target");

    // 8,000 bytes of target are still routed and served.
    let value = "a".repeat(8_000 - "/probe/segment/".len());
    assert_eq!(get(&format!("{}/probe/segment/{value}", p.url)).await, (200, json!({"length": value.len()})));
}

#[tokio::test]
async fn headers_over_32_kib_are_refused_in_the_json_shape() {
    let p = probe_for("big_headers").await;
    let mut req = reqwest::Client::new().get(format!("{}/probe/segment/x", p.url));
    for i in 0..40 {
        req = req.header(format!("x-filler-{i}"), "f".repeat(1_000));
    }
    let resp = req.send().await.unwrap();
    let status = resp.status().as_u16();
    assert_safe_error(status, &resp.json().await.unwrap(), 431, "headers add up to more than");
}

/// Sends `head` on a fresh connection and reads until the server closes it.
async fn raw_exchange(p: &Probe, head: &[u8]) -> String {
    let addr = p.url.trim_start_matches("http://");
    let mut stream = tokio::net::TcpStream::connect(addr).await.unwrap();
    stream.write_all(head).await.unwrap();
    let mut reply = Vec::new();
    // A bound on the wait, not a speed check: a connection left open fails here.
    tokio::time::timeout(Duration::from_secs(10), stream.read_to_end(&mut reply))
        .await
        .expect("the server closes the connection after refusing the request")
        .unwrap();
    String::from_utf8_lossy(&reply).into_owned()
}

/// actix-http's h1 parser answers these itself, before any middleware, with an empty 400: the app
/// cannot shape them (README, "HTTP-layer rejections"). Pinned so that a change is noticed.
#[tokio::test]
async fn requests_the_http_parser_refuses_get_an_empty_400_and_a_closed_connection() {
    let p = probe_for("http_layer").await;
    let cases: [&[u8]; 4] = [
        b"GET /probe/segment/x HTTP/1.1\r\nHost: a\r\nX-Bad: a\x01s3cr3t-value\r\n\r\n",
        b"GET /probe/segment/x HTTP/1.1\r\nHost: a\r\nX-Bad: a\rs3cr3t-value\r\n\r\n",
        b"GET /probe/segment/x HTTP/9.9\r\nHost: a\r\nX-Secret: s3cr3t-value\r\n\r\n",
        b"GET /probe/segment/\x7fs3cr3t-value HTTP/1.1\r\nHost: a\r\n\r\n",
    ];
    for head in cases {
        let reply = raw_exchange(&p, head).await;
        let (status_line, rest) = reply.split_once("\r\n").unwrap_or((&reply, ""));
        assert_eq!(status_line, "HTTP/1.1 400 Bad Request", "{reply:?}");
        assert!(rest.to_ascii_lowercase().contains("content-length: 0\r\n"), "{reply:?}");
        assert!(reply.ends_with("\r\n\r\n"), "no body: {reply:?}");
        assert!(!reply.contains(SECRET), "{reply:?}");
    }
    // Over 96 headers: actix-http's own empty 431.
    let mut head = b"GET /probe/segment/x HTTP/1.1\r\nHost: a\r\n".to_vec();
    for i in 0..100 {
        head.extend_from_slice(format!("X-H{i}: s3cr3t-value\r\n").as_bytes());
    }
    head.extend_from_slice(b"\r\n");
    let reply = raw_exchange(&p, &head).await;
    assert!(reply.starts_with("HTTP/1.1 431 Request Header Fields Too Large\r\n"), "{reply:?}");
    assert!(reply.ends_with("\r\n\r\n") && !reply.contains(SECRET), "{reply:?}");
    // The same connection handling answers a well-formed request normally.
    let reply = raw_exchange(&p, b"GET /probe/segment/abc HTTP/1.1\r\nHost: a\r\nConnection: close\r\n\r\n").await;
    assert!(reply.starts_with("HTTP/1.1 200 OK\r\n"), "{reply:?}");
    assert!(reply.ends_with("{\"length\":3}"), "{reply:?}");
}
