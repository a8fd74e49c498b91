//! The replay guard of a single process (the embedded default) over HTTP: a replayed requestid
//! is refused, and past its cap a new request is refused with 503, never accepted unchecked.

use envelope::Reply;
use kit::testing::Storage;
use reqwest::Method;

use crate::helpers::*;

async fn create_with(url: &str, client: &envelope::Client, headers: &envelope::SignedHeaders) -> Reply {
    let peer = client.peer(url).await.unwrap();
    client.send(Method::PUT, url, "/session/new", headers, Some(&new_session_body()), &peer).await.unwrap()
}

#[tokio::test]
async fn a_full_replay_guard_refuses_new_requests_with_503_and_still_knows_replays() {
    let app = spawn(Storage::Embedded, "replay cap", &[("REPLAY_CACHE_MAX_ENTRIES", "3")]).await.unwrap();
    let url = app.url.as_str();
    let browser = browser(APP_KEY);
    let peer = browser.peer(url).await.unwrap();
    let first = browser.headers(&peer).unwrap();
    assert_eq!(create_with(url, &browser, &first).await.status, 201);
    let replayed = create_with(url, &browser, &first).await;
    assert_error(replayed.status, &replayed.body, 401, "already been used");
    for _ in 0..2 {
        assert_eq!(create_with(url, &browser, &browser.headers(&peer).unwrap()).await.status, 201);
    }
    // Three requestids are in the window: a fourth cannot be remembered, so it is refused.
    let full = create_with(url, &browser, &browser.headers(&peer).unwrap()).await;
    assert_error(full.status, &full.body, 503, "try again");
    let replayed = create_with(url, &browser, &first).await;
    assert_error(replayed.status, &replayed.body, 401, "already been used");
}
