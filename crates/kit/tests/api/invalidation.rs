//! Cache invalidations over a real Redis: what one handle publishes reaches the subscribers of
//! another handle on the same prefix, of that topic only, not those of another prefix; unreadable
//! messages are ignored; after the connection is cut the listener subscribes again and tells its
//! subscribers to drop everything.

use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use kit::invalidation::{Invalidate, Invalidations, Topic};
use kit::testing::reachable_redis;

/// Remembers what it was told.
#[derive(Default)]
struct Recorder {
    ids: Mutex<Vec<String>>,
    everything: Mutex<usize>,
}

impl Invalidate for Recorder {
    fn invalidate(&self, id: &str) {
        self.ids.lock().unwrap().push(id.to_owned());
    }
    fn invalidate_all(&self) {
        *self.everything.lock().unwrap() += 1;
    }
}

impl Recorder {
    fn ids(&self) -> Vec<String> {
        self.ids.lock().unwrap().clone()
    }
    fn everything(&self) -> usize {
        *self.everything.lock().unwrap()
    }
}

fn prefix() -> String {
    format!("test:{}:", uuid::Uuid::new_v4().simple())
}

/// Waits (at most 2 s) until `done` holds.
async fn eventually(what: &str, done: impl Fn() -> bool) {
    let deadline = Instant::now() + Duration::from_secs(2);
    while !done() {
        assert!(Instant::now() < deadline, "{what}: not within 2 s");
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
}

async fn subscribed(url: &str, prefix: &str, topic: Topic) -> (Invalidations, Arc<Recorder>) {
    let handle = Invalidations::connect(url, prefix).await.unwrap();
    let recorder = Arc::new(Recorder::default());
    handle.subscribe(topic, recorder.clone());
    assert!(handle.wait_subscribed(Duration::from_secs(3)).await, "the listener subscribes");
    (handle, recorder)
}

#[tokio::test]
async fn a_published_id_reaches_the_subscribers_of_its_topic_and_prefix_only() {
    let Some(url) = reachable_redis("invalidation pub/sub").await else { return };
    let (ours, other) = (prefix(), prefix());
    let (handle, licenses) = subscribed(&url, &ours, Topic::License).await;
    let communities = Arc::new(Recorder::default());
    handle.subscribe(Topic::Community, communities.clone());
    let (_b, elsewhere) = subscribed(&url, &other, Topic::License).await;
    assert_eq!(licenses.everything(), 1, "told to drop everything once subscribed");

    // Garbage on the channel is ignored, and the listener keeps going.
    let client = redis::Client::open(url.as_str()).unwrap();
    let mut raw = client.get_multiplexed_async_connection().await.unwrap();
    for junk in ["not json", r#"{"topic":"tenant","id":"x"}"#, r#"{"id":"no topic"}"#] {
        redis::cmd("PUBLISH").arg(format!("{ours}invalidate")).arg(junk).query_async::<i64>(&mut raw).await.unwrap();
    }

    let publisher = Invalidations::connect(&url, &ours).await.unwrap();
    assert!(publisher.enabled());
    publisher.try_publish(Topic::License, "hash-1").await.unwrap();
    publisher.publish(Topic::Community, "c-1").await;
    // Published on the other prefix after ours: once it has arrived there, ours would have too.
    Invalidations::connect(&url, &other).await.unwrap().try_publish(Topic::License, "marker").await.unwrap();

    eventually("the license subscriber hears hash-1", || licenses.ids() == ["hash-1"]).await;
    eventually("the community subscriber hears c-1", || communities.ids() == ["c-1"]).await;
    eventually("the other prefix hears its marker", || elsewhere.ids() == ["marker"]).await;
    assert_eq!(licenses.everything(), 1, "junk and messages do not drop everything");
}

/// A TCP relay to Redis whose connections can be cut, as a network failure would.
struct Relay {
    url: String,
    cut: Arc<tokio::sync::Notify>,
}

async fn relay(redis_url: &str) -> Relay {
    let upstream = redis_url.trim_start_matches("redis://").trim_end_matches('/').to_owned();
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let url = format!("redis://{}", listener.local_addr().unwrap());
    let cut = Arc::new(tokio::sync::Notify::new());
    let cutting = cut.clone();
    tokio::spawn(async move {
        while let Ok((mut inbound, _)) = listener.accept().await {
            let (upstream, cut) = (upstream.clone(), cutting.clone());
            tokio::spawn(async move {
                let cut = cut.notified();
                let Ok(mut outbound) = tokio::net::TcpStream::connect(&upstream).await else { return };
                tokio::select! {
                    _ = tokio::io::copy_bidirectional(&mut inbound, &mut outbound) => {}
                    () = cut => {}
                }
            });
        }
    });
    Relay { url, cut }
}

#[tokio::test]
async fn after_a_lost_connection_the_listener_resubscribes_and_drops_everything() {
    let Some(url) = reachable_redis("invalidation reconnect").await else { return };
    let prefix = prefix();
    let relay = relay(&url).await;
    let (_handle, recorder) = subscribed(&relay.url, &prefix, Topic::License).await;
    assert_eq!(recorder.everything(), 1);

    // Whatever is published until the listener is back is lost: dropping everything makes up for it.
    relay.cut.notify_waiters();
    eventually("the listener subscribes again and drops everything", || recorder.everything() == 2).await;
    let publisher = Invalidations::connect(&url, &prefix).await.unwrap();
    publisher.try_publish(Topic::License, "after").await.unwrap();
    eventually("messages arrive again", || recorder.ids() == ["after"]).await;
}

#[tokio::test]
async fn without_redis_the_settings_give_a_handle_that_does_nothing() {
    let env = kit::testing::test_env(kit::testing::Storage::Embedded, "invalidation without redis").await.unwrap();
    let settings = kit::Settings::from_source(&env, "sessions", 0).unwrap();
    let handle = Invalidations::from_settings(&settings).await.unwrap();
    assert!(!handle.enabled());
    let recorder = Arc::new(Recorder::default());
    handle.subscribe(Topic::License, recorder.clone());
    handle.try_publish(Topic::License, "x").await.unwrap();
    assert!(!handle.wait_subscribed(Duration::from_millis(50)).await);
    assert_eq!((recorder.ids().len(), recorder.everything()), (0, 0));
}
