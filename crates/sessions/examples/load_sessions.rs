//! A bounded load run against a running `sessions` on loopback: requests per second for
//! `PUT /session/new`, for polling a session the phone has not answered yet (the common poll, a
//! 404), and for the one successful poll of an answered session (a 200).
//!
//! `cargo run -p sessions --example load_sessions -- --url http://127.0.0.1:PORT --license KEY
//!  [--requests 2000] [--concurrency 16] [--max-seconds 60]`; `scripts/load-sessions.sh` starts
//! a built binary and runs this against it. Each phase stops at `--requests` or `--max-seconds`.

use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration, Instant};

use envelope::{Client, Curve, KeyPair, Reply};
use reqwest::Method;
use serde_json::{Value, json};

type Error = Box<dyn std::error::Error + Send + Sync>;

#[derive(Debug)]
struct Args {
    url: String,
    license: String,
    requests: usize,
    concurrency: usize,
    max_seconds: u64,
}

fn args() -> Result<Args, Error> {
    let mut a = Args { url: String::new(), license: String::new(), requests: 2000, concurrency: 16, max_seconds: 60 };
    let mut it = std::env::args().skip(1);
    while let Some(flag) = it.next() {
        let value = it.next().ok_or_else(|| format!("{flag} needs a value"))?;
        match flag.as_str() {
            "--url" => a.url = value,
            "--license" => a.license = value,
            "--requests" => a.requests = value.parse::<usize>()?.clamp(1, 100_000),
            "--concurrency" => a.concurrency = value.parse::<usize>()?.clamp(1, 256),
            "--max-seconds" => a.max_seconds = value.parse::<u64>()?.clamp(1, 600),
            other => return Err(format!("unknown flag {other}").into()),
        }
    }
    let host = a.url.trim_start_matches("http://").split([':', '/']).next().unwrap_or_default();
    if !["127.0.0.1", "localhost", "[::1]"].contains(&host) {
        return Err("--url must be a loopback http:// URL".into());
    }
    if a.license.is_empty() {
        return Err("--license is required".into());
    }
    Ok(a)
}

/// Runs `op(i)` for i in 0..n on `concurrency` tasks, until done or `deadline`; returns
/// (completed, failures, elapsed).
async fn phase<F, Fut>(n: usize, concurrency: usize, deadline: Duration, op: F) -> (usize, usize, Duration)
where
    F: Fn(usize) -> Fut + Send + Sync + 'static,
    Fut: std::future::Future<Output = bool> + Send,
{
    let op = Arc::new(op);
    let next = Arc::new(AtomicUsize::new(0));
    let failed = Arc::new(AtomicUsize::new(0));
    let done = Arc::new(AtomicUsize::new(0));
    let start = Instant::now();
    let workers: Vec<_> = (0..concurrency)
        .map(|_| {
            let (op, next, failed, done) = (op.clone(), next.clone(), failed.clone(), done.clone());
            tokio::spawn(async move {
                loop {
                    let i = next.fetch_add(1, Ordering::Relaxed);
                    if i >= n || start.elapsed() > deadline {
                        break;
                    }
                    if !op(i).await {
                        failed.fetch_add(1, Ordering::Relaxed);
                    }
                    done.fetch_add(1, Ordering::Relaxed);
                }
            })
        })
        .collect();
    for w in workers {
        let _ = w.await;
    }
    (done.load(Ordering::Relaxed), failed.load(Ordering::Relaxed), start.elapsed())
}

fn report(name: &str, (done, failed, elapsed): (usize, usize, Duration)) {
    #[allow(clippy::cast_precision_loss)]
    let rps = done as f64 / elapsed.as_secs_f64().max(1e-9);
    println!("{name:<28} {done:>7} requests in {:>6.2} s = {rps:>8.1} req/s ({failed} failed)", elapsed.as_secs_f64());
}

async fn signed(client: &Client, url: &str, method: Method, path: &str, body: Option<&Value>) -> Option<Reply> {
    let peer = client.peer(url).await.ok()?;
    let headers = client.headers(&peer).ok()?;
    client.send(method, url, path, &headers, body, &peer).await.ok()
}

async fn create_all(a: &Args, browser: &Client, n: usize) -> (Vec<String>, (usize, usize, Duration)) {
    let ids = Arc::new(std::sync::Mutex::new(Vec::with_capacity(n)));
    let body = Arc::new(json!({
        "origin": {"tag": "load", "url": "https://load.example", "communityName": "default", "communityId": "c1"},
        "scopes": "", "authtype": "none", "metadata": {}
    }));
    let (b, url, sink) = (browser.clone(), a.url.clone(), ids.clone());
    let stats = phase(n, a.concurrency, Duration::from_secs(a.max_seconds), move |_| {
        let (b, url, body, sink) = (b.clone(), url.clone(), body.clone(), sink.clone());
        async move {
            let reply = signed(&b, &url, Method::PUT, "/session/new", Some(&body)).await;
            match reply.filter(|r| r.status == 201).and_then(|r| r.body["sessionId"].as_str().map(str::to_owned)) {
                Some(id) => sink.lock().map(|mut v| v.push(id)).is_ok(),
                None => false,
            }
        }
    })
    .await;
    let ids = ids.lock().map(|v| v.clone()).unwrap_or_default();
    (ids, stats)
}

async fn poll_all(a: &Args, browser: &Client, ids: Vec<String>, expect: u16) -> (usize, usize, Duration) {
    let ids = Arc::new(ids);
    let (b, url) = (browser.clone(), a.url.clone());
    phase(ids.len(), a.concurrency, Duration::from_secs(a.max_seconds), move |i| {
        let (b, url, ids) = (b.clone(), url.clone(), ids.clone());
        async move {
            let path = format!("/session/{}/response", ids[i]);
            signed(&b, &url, Method::GET, &path, None).await.is_some_and(|r| r.status == expect)
        }
    })
    .await
}

#[tokio::main]
async fn main() -> Result<(), Error> {
    let a = args()?;
    let browser = Client::new(Arc::new(KeyPair::generate(Curve::Secp256k1)?))?.license(&a.license);
    let phone = Client::new(Arc::new(KeyPair::generate(Curve::Secp256k1)?))?;
    browser.peer(&a.url).await?;
    println!(
        "sessions load: {} requests per phase, concurrency {}, at most {} s per phase, {}",
        a.requests, a.concurrency, a.max_seconds, a.url
    );

    let (ids, stats) = create_all(&a, &browser, a.requests).await;
    report("PUT /session/new", stats);
    report("GET …/response (pending)", poll_all(&a, &browser, ids.clone(), 404).await);

    // The phone answers every session (not measured), then each answer is fetched once.
    let shared = phone.keys().shared_key_with(browser.keys().public_base64())?;
    let answer =
        Arc::new(json!({"data": shared.encrypt("{\"did\":\"load\"}")?, "publicKey": phone.keys().public_base64(),
                                 "did": "load", "appid": "load"}));
    let (http, url, list) = (reqwest::Client::new(), a.url.clone(), Arc::new(ids.clone()));
    let answered = phase(list.len(), a.concurrency, Duration::from_secs(a.max_seconds), move |i| {
        let (http, url, list, answer) = (http.clone(), url.clone(), list.clone(), answer.clone());
        async move {
            let resp = http.post(format!("{url}/session/{}/authenticate", list[i])).json(&*answer).send().await;
            resp.is_ok_and(|r| r.status().as_u16() == 200)
        }
    })
    .await;
    report("POST …/authenticate", answered);
    report("GET …/response (answered)", poll_all(&a, &browser, ids, 200).await);
    Ok(())
}
