//! The remote license client against a small in-test authority (a kit service answering the
//! `BIDLicenses` checks from a map), behind a probe service with one route per level set.

use std::collections::HashMap;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};

use actix_web::{HttpResponse, web};
use envelope::{ApiError, Caller, Client, Curve, KeyPair};
use kit::app::{Application, Platform};
use kit::clock::ManualClock;
use kit::license::{KeyType, Level, LicenseRecord, secret_hash};
use kit::testing::{Storage, test_env};
use kit::{AnyLevel, AppResult, Licensed, ServiceLevels, SystemOnly, SystemOrService, Table, endpoint};
use serde_json::json;

const COMMUNITY_A: &str = "aaaaaaaaaaaaaaaaaaaaaaaa";
const COMMUNITY_B: &str = "bbbbbbbbbbbbbbbbbbbbbbbb";
const INFRA: &str = "infra-key-for-client-tests";

/// The in-test authority: records by secret, and how many checks it answered. While a test
/// holds `hold` for writing, answers are decided but not sent.
#[derive(Clone, Default)]
struct Authority {
    records: Arc<Mutex<HashMap<String, LicenseRecord>>>,
    calls: Arc<AtomicUsize>,
    hold: Arc<tokio::sync::RwLock<()>>,
}

impl Authority {
    fn add(&self, secret: &str, level: Level, communities: Option<Vec<String>>, expiry: i64, disabled: bool) {
        let r = LicenseRecord {
            key_id: secret_hash(secret),
            key_secret: secret.into(),
            key_type: KeyType::Hawk,
            auth_level: level,
            tag: "test".into(),
            expiry,
            disabled,
            communities,
            is_authorized: None,
        };
        self.records.lock().unwrap().insert(secret.into(), r);
    }

    fn lookup(&self, caller: &Caller) -> Result<LicenseRecord, ApiError> {
        self.calls.fetch_add(1, Ordering::SeqCst);
        let key = caller.license_key().ok_or_else(|| ApiError::unauthorized("licensekey header is required"))?;
        if key.expose() == REFUSED_REQUEST {
            // What the authority says when it refuses the calling service's own signed request.
            return Err(ApiError::unauthorized("requestid has already been used"));
        }
        self.records
            .lock()
            .unwrap()
            .get(key.expose())
            .cloned()
            .ok_or_else(|| ApiError::from(kit::license::LicenseError::Unknown))
    }
}

#[utoipa::path(get, path = "/servicekey/current", responses((status = 200, description = "The record")))]
async fn current(a: web::Data<Authority>, caller: Caller) -> AppResult<HttpResponse> {
    let found = a.lookup(&caller);
    let _sending = a.hold.read().await;
    Ok(HttpResponse::Ok().json(found?))
}

#[utoipa::path(get, path = "/community/{communityId}/licensecheck", responses((status = 200, description = "The record")))]
async fn check(a: web::Data<Authority>, caller: Caller, c: web::Path<String>) -> AppResult<HttpResponse> {
    let mut r = a.lookup(&caller)?;
    let ok = r.status(envelope::wire::now_epoch()).is_ok() && r.communities.as_ref().is_none_or(|l| l.contains(&c));
    r.is_authorized = Some(ok);
    Ok(HttpResponse::Ok().json(r))
}

async fn serve(
    env: std::collections::BTreeMap<String, String>,
    routes: impl Fn(&mut web::ServiceConfig, &()) + Send + Clone + 'static,
) -> String {
    let settings = kit::Settings::from_source(&env, "sessions", 0).unwrap();
    let platform = Platform::start(settings, &[]).await.unwrap();
    let app = Application::bind(platform, (), routes).unwrap();
    let url = format!("http://127.0.0.1:{}", app.port());
    tokio::spawn(app.run_until_stopped());
    url
}

/// `LOCAL_COMMUNITIES` of both services: communities A and B exist.
fn communities() -> String {
    let communities = [COMMUNITY_A, COMMUNITY_B]
        .map(|c| json!({"tenantId": "cccccccccccccccccccccccc", "communityId": c, "communityName": c}));
    json!(communities).to_string()
}

async fn start_authority(storage: Storage) -> Option<(Authority, String)> {
    let mut env = test_env(storage, "license authority").await?;
    env.insert("LOCAL_COMMUNITIES".into(), communities());
    let authority = Authority::default();
    let a = authority.clone();
    let url = serve(env, move |cfg, _: &()| {
        cfg.app_data(web::Data::new(a.clone()));
        Table::new("authority", "a stand-in")
            .with(kit::common::endpoints())
            .with([endpoint!(current), endpoint!(check)])
            .mount(cfg);
    })
    .await;
    Some((authority, url))
}

#[utoipa::path(get, path = "/probe/any", responses((status = 200, description = "The level")))]
async fn any(a: Licensed<AnyLevel>) -> AppResult<HttpResponse> {
    Ok(a.caller.reply(&json!({"level": a.license.level}))?)
}
#[utoipa::path(get, path = "/probe/service", responses((status = 200, description = "The level")))]
async fn service(a: Licensed<ServiceLevels>) -> AppResult<HttpResponse> {
    Ok(a.caller.reply(&json!({"level": a.license.level}))?)
}
#[utoipa::path(get, path = "/probe/system_or_service", responses((status = 200, description = "The level")))]
async fn sys_or_service(a: Licensed<SystemOrService>) -> AppResult<HttpResponse> {
    Ok(a.caller.reply(&json!({"level": a.license.level}))?)
}
#[utoipa::path(get, path = "/probe/system", responses((status = 200, description = "The level")))]
async fn system(a: Licensed<SystemOnly>) -> AppResult<HttpResponse> {
    Ok(a.caller.reply(&json!({"level": a.license.level}))?)
}

#[utoipa::path(get, path = "/probe/community/{communityId}", responses((status = 200, description = "The level")))]
async fn community(a: Licensed<ServiceLevels>) -> AppResult<HttpResponse> {
    Ok(a.caller.reply(&json!({"level": a.license.level}))?)
}

/// A probe service whose license authority is the remote one at `authority_url`.
async fn start_probe(storage: Storage, authority_url: &str, ttl: &str) -> Option<String> {
    Some(start_probe_in(test_env(storage, "license probe").await?, authority_url, ttl).await)
}

/// [`start_probe`] in the environment `env`.
async fn start_probe_in(mut env: std::collections::BTreeMap<String, String>, authority_url: &str, ttl: &str) -> String {
    env.insert("SERVICE_DIRECTORY".into(), json!({"licenses": authority_url}).to_string());
    env.insert("INFRA_LICENSE_KEY".into(), INFRA.into());
    env.insert("LICENSE_CACHE_TTL".into(), ttl.into());
    env.insert("LICENSE_NEGATIVE_CACHE_TTL".into(), ttl.into());
    env.insert("LOCAL_COMMUNITIES".into(), communities());
    serve(env, |cfg, _: &()| {
        Table::new("probe", "a probe")
            .with(kit::common::endpoints())
            .with([
                endpoint!(any),
                endpoint!(service),
                endpoint!(sys_or_service),
                endpoint!(system),
                endpoint!(community),
            ])
            .mount(cfg);
    })
    .await
}

async fn status(url: &str, path: &str, key: &str) -> u16 {
    let client = Client::new(Arc::new(KeyPair::generate(Curve::Secp256k1).unwrap())).unwrap().license(key);
    client.call::<()>(reqwest::Method::GET, url, path, None).await.unwrap().status
}

/// A key for which the fake authority refuses the request itself, not the key.
const REFUSED_REQUEST: &str = "refused-request";

#[tokio::test]
async fn a_refusal_of_the_services_own_request_is_a_503_not_an_invalid_key() {
    let (authority, a_url) = start_authority(Storage::Embedded).await.unwrap();
    let probe = start_probe(Storage::Embedded, &a_url, "300").await.unwrap();
    for _ in 0..2 {
        assert_eq!(status(&probe, "/probe/any", REFUSED_REQUEST).await, 503);
    }
    assert_eq!(authority.calls.load(Ordering::SeqCst), 2, "such a failure is never cached");
    assert_eq!(
        status(&probe, &format!("/probe/community/{COMMUNITY_B}"), INFRA).await,
        200,
        "local keys cover all communities"
    );
    authority.add("remote-service-key", Level::Service, None, far(), false);
    for key in [INFRA, "remote-service-key"] {
        let s = status(&probe, "/probe/community/not-an-object-id", key).await;
        assert_eq!(s, 404, "an id that cannot name a community names none, and is not an outage");
    }
    assert_eq!(authority.calls.load(Ordering::SeqCst), 2, "nor is the key asked about a community that does not exist");
}

fn far() -> i64 {
    envelope::wire::now_epoch() + 86_400
}

#[tokio::test]
async fn each_level_is_accepted_or_refused_per_endpoint_through_the_remote_authority() {
    for storage in [Storage::Embedded, Storage::Postgres] {
        let Some((authority, a_url)) = start_authority(storage).await else { continue };
        let Some(probe) = start_probe(storage, &a_url, "300").await else { continue };
        for level in Level::ALL {
            authority.add(&format!("key-{level}"), level, None, far(), false);
        }
        let table: [(&str, &[Level]); 4] = [
            ("/probe/any", &Level::ALL),
            ("/probe/service", &[Level::System, Level::Service, Level::ServiceExt]),
            ("/probe/system_or_service", &[Level::System, Level::Service]),
            ("/probe/system", &[Level::System]),
        ];
        for (path, allowed) in table {
            for level in Level::ALL {
                let expected = if allowed.contains(&level) { 200 } else { 403 };
                assert_eq!(status(&probe, path, &format!("key-{level}")).await, expected, "{path} {level}");
            }
            assert_eq!(status(&probe, path, "nobody-knows-this-key").await, 401, "{path}");
        }
        // Answers are cached: the authority saw each key once, however many endpoints asked.
        assert_eq!(authority.calls.load(Ordering::SeqCst), Level::ALL.len() + 1);
    }
}

#[tokio::test]
async fn community_restriction_disabled_expired_and_local_keys() {
    let Some((authority, a_url)) = start_authority(Storage::Embedded).await else { return };
    let probe = start_probe(Storage::Embedded, &a_url, "300").await.unwrap();
    authority.add("limited", Level::Service, Some(vec![COMMUNITY_A.into()]), far(), false);
    authority.add("disabled", Level::System, None, far(), true);
    authority.add("expired", Level::System, None, envelope::wire::now_epoch() - 10, false);
    assert_eq!(status(&probe, &format!("/probe/community/{COMMUNITY_A}"), "limited").await, 200);
    assert_eq!(status(&probe, &format!("/probe/community/{COMMUNITY_B}"), "limited").await, 403);
    assert_eq!(status(&probe, "/probe/service", "disabled").await, 401);
    assert_eq!(status(&probe, "/probe/service", "expired").await, 401);
    let before = authority.calls.load(Ordering::SeqCst);
    // The infra key is answered locally (service level), for any community.
    assert_eq!(status(&probe, &format!("/probe/community/{COMMUNITY_B}"), INFRA).await, 200);
    assert_eq!(status(&probe, "/probe/system", INFRA).await, 403);
    assert_eq!(authority.calls.load(Ordering::SeqCst), before, "local keys never reach the authority");
}

#[tokio::test]
async fn a_disabled_key_is_refused_once_the_cache_ttl_has_passed() {
    let Some((authority, a_url)) = start_authority(Storage::Embedded).await else { return };
    // LICENSE_CACHE_TTL=1: the probe may keep accepting a disabled key for up to one second.
    let probe = start_probe(Storage::Embedded, &a_url, "1").await.unwrap();
    authority.add("soon-disabled", Level::Service, None, far(), false);
    assert_eq!(status(&probe, "/probe/service", "soon-disabled").await, 200);
    authority.add("soon-disabled", Level::Service, None, far(), true);
    let mut last = 0;
    for _ in 0..100 {
        last = status(&probe, "/probe/service", "soon-disabled").await;
        if last == 401 {
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    }
    assert_eq!(last, 401, "the disabled key is refused after the cache TTL");
}

#[tokio::test]
async fn an_unreachable_authority_answers_503_and_the_service_stays_up() {
    let closed = format!("http://127.0.0.1:{}", {
        let l = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        l.local_addr().unwrap().port()
    });
    let probe = start_probe(Storage::Embedded, &closed, "300").await.unwrap();
    let client = Client::new(Arc::new(KeyPair::generate(Curve::Secp256k1).unwrap())).unwrap().license("some-key");
    let reply = client.call::<()>(reqwest::Method::GET, &probe, "/probe/any", None).await.unwrap();
    assert_eq!(reply.status, 503, "{:?}", reply.body);
    assert_eq!(reply.body["statusCode"], 503);
    assert!(reply.body["message"].as_str().unwrap().contains("license authority"), "{}", reply.body);
    // Not cached: still 503 (not 401), and the service is healthy.
    assert_eq!(status(&probe, "/probe/any", "some-key").await, 503);
    assert_eq!(status(&probe, "/probe/any", INFRA).await, 200, "local keys still work");
    let health = reqwest::get(format!("{probe}/healthz")).await.unwrap();
    assert_eq!(health.status().as_u16(), 200);
}

/// Polls `path` with `key` every 50 ms until it answers `expected`; fails after one second.
async fn within_a_second(probe: &str, path: &str, key: &str, expected: u16) {
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(1);
    loop {
        let got = status(probe, path, key).await;
        if got == expected {
            return;
        }
        assert!(std::time::Instant::now() < deadline, "{path}: still {got}, not {expected}, after one second");
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
    }
}

/// A probe sharing Redis (a fresh prefix) with a publisher of invalidations, caching for 300 s.
async fn probe_with_invalidations(a_url: &str) -> Option<(String, kit::invalidation::Invalidations)> {
    let env = test_env(Storage::Redis, "license invalidation").await?;
    let publisher = kit::invalidation::Invalidations::connect(&env["REDIS_URL"], &env["REDIS_PREFIX"]).await.unwrap();
    Some((start_probe_in(env, a_url, "300").await, publisher))
}

#[tokio::test]
async fn an_invalidated_key_drops_its_cached_answers_for_every_community_accepted_or_refused() {
    use kit::invalidation::Topic;
    let (authority, a_url) = start_authority(Storage::Embedded).await.unwrap();
    let Some((probe, publisher)) = probe_with_invalidations(&a_url).await else { return };
    let on_a = format!("/probe/community/{COMMUNITY_A}");
    authority.add("soon-disabled", Level::Service, None, far(), false);
    authority.add("bystander", Level::Service, None, far(), false);
    for (path, key) in [("/probe/service", "soon-disabled"), (&on_a, "soon-disabled"), ("/probe/service", "bystander")]
    {
        assert_eq!(status(&probe, path, key).await, 200, "{path} {key}");
    }
    authority.add("soon-disabled", Level::Service, None, far(), true);
    authority.add("bystander", Level::Service, None, far(), true);
    assert_eq!(status(&probe, "/probe/service", "soon-disabled").await, 200, "cached for LICENSE_CACHE_TTL=300");

    publisher.try_publish(Topic::License, &secret_hash("soon-disabled")).await.unwrap();
    within_a_second(&probe, "/probe/service", "soon-disabled", 401).await;
    within_a_second(&probe, &on_a, "soon-disabled", 401).await;
    assert_eq!(status(&probe, "/probe/service", "bystander").await, 200, "other keys keep their answers");

    // Enabled again: the cached refusal goes too.
    authority.add("soon-disabled", Level::Service, None, far(), false);
    assert_eq!(status(&probe, "/probe/service", "soon-disabled").await, 401, "refusals are cached too");
    publisher.try_publish(Topic::License, &secret_hash("soon-disabled")).await.unwrap();
    within_a_second(&probe, "/probe/service", "soon-disabled", 200).await;
    within_a_second(&probe, &on_a, "soon-disabled", 200).await;
}

#[tokio::test]
async fn an_answer_fetched_while_its_key_is_invalidated_is_not_kept() {
    use kit::invalidation::Topic;
    let (authority, a_url) = start_authority(Storage::Embedded).await.unwrap();
    let Some((probe, publisher)) = probe_with_invalidations(&a_url).await else { return };
    authority.add("raced", Level::Service, None, far(), false);
    let held = authority.hold.write().await;
    let asking = tokio::spawn({
        let probe = probe.clone();
        async move { status(&probe, "/probe/service", "raced").await }
    });
    // The authority has decided "valid" and not answered yet: now the key is disabled.
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(2);
    while authority.calls.load(Ordering::SeqCst) == 0 {
        assert!(std::time::Instant::now() < deadline, "the probe asked the authority");
        tokio::time::sleep(std::time::Duration::from_millis(10)).await;
    }
    authority.add("raced", Level::Service, None, far(), true);
    publisher.try_publish(Topic::License, &secret_hash("raced")).await.unwrap();
    // Time for the probe to receive the invalidation before the stale answer arrives.
    tokio::time::sleep(std::time::Duration::from_millis(300)).await;
    drop(held);
    assert_eq!(asking.await.unwrap(), 200, "the answer in flight is still the caller's answer");
    assert_eq!(status(&probe, "/probe/service", "raced").await, 401, "but it was not cached");
}

/// Moves `clock` forward by whole seconds.
fn advance(clock: &ManualClock, seconds: u64) {
    clock.advance(std::time::Duration::from_secs(seconds));
}

/// The remote client of `url` with the default times to live (300 s accepted, 10 s refused),
/// going by `clock`.
fn client_of(url: &str, clock: Arc<ManualClock>) -> kit::license_client::RemoteLicenses {
    let env = std::collections::BTreeMap::from([("PORT".to_owned(), "0".to_owned())]);
    let settings = kit::Settings::from_source(&env, "sessions", 0).unwrap();
    let local = kit::license::LocalLicenses::from_settings(&settings).unwrap();
    let client = Client::new(Arc::new(KeyPair::generate(Curve::Secp256k1).unwrap())).unwrap();
    let ttls = kit::license_client::CacheTtls::from_settings(&settings).unwrap();
    kit::license_client::RemoteLicenses::new(local, client, url, ttls).with_clock(clock)
}

#[tokio::test]
async fn cached_answers_live_their_own_time_to_live_and_never_past_the_keys_expiry() {
    use kit::license::LicenseAuthority as _;
    let (authority, a_url) = start_authority(Storage::Embedded).await.unwrap();
    let clock = Arc::new(ManualClock::at(envelope::wire::now_epoch() * 1000));
    let licenses = client_of(&a_url, clock.clone());
    let calls = || authority.calls.load(Ordering::SeqCst);
    let key = |k: &str| envelope::LicenseKey::new(k);

    // A refusal is remembered 10 s, then asked again: it was a new key all along.
    assert!(licenses.check(&key("late-key")).await.is_err());
    authority.add("late-key", Level::App, None, far(), false);
    advance(&clock, 9);
    assert!(licenses.check(&key("late-key")).await.is_err(), "still the cached refusal");
    assert_eq!(calls(), 1);
    advance(&clock, 2);
    assert!(licenses.check(&key("late-key")).await.is_ok(), "the refusal's 10 s are over");
    assert_eq!(calls(), 2);

    // An acceptance is remembered 300 s (not 10): a key disabled meanwhile stays accepted until then.
    authority.add("late-key", Level::App, None, far(), true);
    advance(&clock, 290);
    assert!(licenses.check(&key("late-key")).await.is_ok(), "the cached acceptance");
    assert_eq!(calls(), 2);
    advance(&clock, 20);
    assert!(licenses.check(&key("late-key")).await.is_err(), "asked again after 300 s: disabled");
    assert_eq!(calls(), 3);

    // A cached acceptance never outlives the key's own expiry.
    let expiry = kit::clock::WallClock::epoch_ms(&*clock) / 1000 + 60;
    authority.add("short-key", Level::App, None, expiry, false);
    assert!(licenses.check(&key("short-key")).await.is_ok());
    advance(&clock, 59);
    assert!(licenses.check(&key("short-key")).await.is_ok());
    advance(&clock, 2);
    let refused = licenses.check(&key("short-key")).await;
    assert!(matches!(refused, Err(kit::license::LicenseError::Expired)), "{refused:?}");
    assert_eq!(calls(), 4, "the expiry was read from the cache, not asked again");
}
