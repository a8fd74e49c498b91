//! Everything the service refuses, each with a clear 4xx in the error shape, on every storage.

use envelope::RequestId;
use reqwest::Method;
use serde_json::json;

use crate::helpers::*;

#[tokio::test]
async fn expired_sessions_are_refused_and_forgotten() {
    for storage in STORAGES {
        // The service's clock is moved by hand: no sleep, and a slow machine cannot expire a
        // session before the test means it to.
        let clock = std::sync::Arc::new(kit::clock::ManualClock::now());
        let ttl = [("SESSION_TTL_SECONDS", "60")];
        let Some(app) = spawn_with_clock(storage, "expiry", &ttl, clock.clone()).await else { continue };
        let url = app.url.as_str();
        let browser = browser(APP_KEY);
        let phone = phone();
        let answered = create_session(url, &browser).await;
        assert_eq!(phone_answers(url, &phone, &answered, &json!({"did": "d"})).await.status, 200);
        let unanswered = create_session(url, &browser).await;
        // A millisecond before the end both are alive; at the end both have expired.
        clock.advance(std::time::Duration::from_millis(59_999));
        for id in [&answered, &unanswered] {
            let status = reqwest::get(format!("{url}/session/{id}")).await.unwrap().status().as_u16();
            assert_eq!(status, 200, "alive until the end");
        }
        clock.advance(std::time::Duration::from_millis(1));

        let (status, body) = poll(url, &browser, &answered, false).await;
        assert_error(status, &body, 410, "expired");
        // The record was deleted by that read.
        let (status, body) = poll(url, &browser, &answered, false).await;
        assert_error(status, &body, 404, "not found");

        let body = answer_for(&phone, browser.keys().public_base64(), &json!({"did": "d"}));
        let reply = plain(&phone, url, Method::POST, &format!("/session/{unanswered}/authenticate"), Some(&body)).await;
        assert_error(reply.status, &reply.body, 410, "expired");
        let resp = reqwest::get(format!("{url}/session/{unanswered}")).await.unwrap();
        assert_eq!(resp.status().as_u16(), 404);
    }
}

#[tokio::test]
async fn only_the_creator_may_poll_and_only_one_answer_is_recorded() {
    for storage in STORAGES {
        let Some(app) = spawn(storage, "wrong caller", &[]).await else { continue };
        let url = app.url.as_str();
        let browser = browser(APP_KEY);
        let intruder = self::browser(APP_KEY);
        let phone = phone();
        let session_id = create_session(url, &browser).await;
        let first = phone_answers(url, &phone, &session_id, &json!({"did": "d"})).await;
        assert_eq!(first.status, 200);

        let second = phone_answers(url, &self::phone(), &session_id, &json!({"did": "other"})).await;
        assert_error(second.status, &second.body, 409, "already been submitted");

        let (status, body) = poll(url, &intruder, &session_id, false).await;
        assert_error(status, &body, 403, "public key does not match");
        // The intruder's attempt did not consume the answer.
        let (status, body) = poll(url, &browser, &session_id, false).await;
        assert_eq!(status, 200, "{body}");
        let shared = browser.keys().shared_key_with(body["publicKey"].as_str().unwrap()).unwrap();
        assert!(shared.decrypt(body["data"].as_str().unwrap()).unwrap().contains("\"d\""));
    }
}

#[tokio::test]
async fn unknown_sessions_are_refused() {
    for storage in STORAGES {
        let Some(app) = spawn(storage, "unknown session", &[]).await else { continue };
        let url = app.url.as_str();
        let browser = browser(APP_KEY);
        let missing = uuid::Uuid::new_v4();
        let (status, body) = poll(url, &browser, &missing.to_string(), false).await;
        assert_error(status, &body, 404, "session not found");
        let answer = answer_for(&phone(), browser.keys().public_base64(), &json!({"did": "d"}));
        let (status, body) =
            raw(url, Method::POST, &format!("/session/{missing}/authenticate"), None, &answer.to_string()).await;
        assert_error(status, &body, 404, "session not found");
        let (status, body) = raw(url, Method::GET, &format!("/session/{missing}"), None, "").await;
        assert_error(status, &body, 404, "session not found");
    }
}

#[tokio::test]
async fn bad_licenses_and_bad_headers_are_refused() {
    for storage in STORAGES {
        let Some(app) = spawn(storage, "licenses", &[]).await else { continue };
        let url = app.url.as_str();
        let body = new_session_body();
        for license in [SYSTEM_KEY, SERVICE_KEY, APP_KEY] {
            let reply = plain(&browser(license), url, Method::PUT, "/session/new", Some(&body)).await;
            assert_eq!(reply.status, 201, "{license}: {}", reply.body);
        }
        let reply = plain(&browser("not-a-license"), url, Method::PUT, "/session/new", Some(&body)).await;
        assert_error(reply.status, &reply.body, 401, "license key is not valid");
        let reply = plain(&phone(), url, Method::PUT, "/session/new", Some(&body)).await;
        assert_error(reply.status, &reply.body, 401, "licensekey header is required");
        let (status, reply) = raw(url, Method::PUT, "/session/new", None, &body.to_string()).await;
        assert_error(status, &reply, 401, "publickey header is required");

        let browser = browser(APP_KEY);
        let session_id = create_session(url, &browser).await;
        let peer = browser.peer(url).await.unwrap();
        let unlicensed = self::browser("not-a-license");
        let (status, reply) = poll(url, &unlicensed, &session_id, false).await;
        assert_error(status, &reply, 401, "license key is not valid");

        // A requestid an hour old, and a replayed one.
        let stale = browser.headers_with(&peer, &RequestId::new("web").at(envelope::wire::now_epoch() - 3600)).unwrap();
        let reply = browser.send(Method::PUT, url, "/session/new", &stale, Some(&body), &peer).await.unwrap();
        assert_error(reply.status, &reply.body, 401, "seconds away from the server time");
        let once = browser.headers(&peer).unwrap();
        let reply = browser.send(Method::PUT, url, "/session/new", &once, Some(&body), &peer).await.unwrap();
        assert_eq!(reply.status, 201);
        let reply = browser.send(Method::PUT, url, "/session/new", &once, Some(&body), &peer).await.unwrap();
        assert_error(reply.status, &reply.body, 401, "already been used");
        // Headers on /authenticate are optional, but verified when sent.
        let answer = answer_for(&phone(), browser.keys().public_base64(), &json!({"did": "d"}));
        let path = format!("/session/{session_id}/authenticate");
        let reply = browser.send(Method::POST, url, &path, &stale, Some(&answer), &peer).await.unwrap();
        assert_error(reply.status, &reply.body, 401, "seconds away from the server time");
    }
}

#[tokio::test]
async fn malformed_bodies_get_a_clear_400() {
    for storage in STORAGES {
        let Some(app) = spawn(storage, "malformed", &[]).await else { continue };
        let url = app.url.as_str();
        let browser = browser(APP_KEY);
        let peer = browser.peer(url).await.unwrap();
        let mut no_origin = new_session_body();
        no_origin.as_object_mut().unwrap().remove("origin");
        let mut blank_community = new_session_body();
        blank_community["origin"]["communityId"] = json!("");
        let mut metadata_list = new_session_body();
        metadata_list["metadata"] = json!(["x"]);
        let cases = [
            ("{not json", "invalid json"),
            ("[]", "invalid request body"),
            (&no_origin.to_string(), "origin"),
            (&blank_community.to_string(), "origin.communityId"),
            (&metadata_list.to_string(), "invalid request body"),
            (r#"{"data": "bm90IGNpcGhlcnRleHQ="}"#, "data"),
        ];
        for (text, needle) in cases {
            let headers = browser.headers(&peer).unwrap();
            let (status, body) = raw(url, Method::PUT, "/session/new", Some(&headers), text).await;
            assert_error(status, &body, 400, needle);
        }

        let session_id = create_session(url, &browser).await;
        let path = format!("/session/{session_id}/authenticate");
        let good = answer_for(&phone(), browser.keys().public_base64(), &json!({"did": "d"}));
        let mut bad_key = good.clone();
        bad_key["publicKey"] = json!("bm90IGEga2V5");
        let mut no_did = good.clone();
        no_did.as_object_mut().unwrap().remove("did");
        let mut numeric_data = good.clone();
        numeric_data["data"] = json!(42);
        for (body, needle) in [(bad_key, "publicKey"), (no_did, "did"), (numeric_data, "invalid request body")] {
            let (status, reply) = raw(url, Method::POST, &path, None, &body.to_string()).await;
            assert_error(status, &reply, 400, needle);
        }
        // None of them was recorded: the good answer still goes through.
        let (status, reply) = raw(url, Method::POST, &path, None, &good.to_string()).await;
        assert_eq!(status, 200, "{reply}");
    }
}
