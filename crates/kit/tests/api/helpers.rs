//! A probe service: the kit platform with one route per extractor, started on a free port.

use std::collections::BTreeMap;
use std::sync::Arc;

use actix_web::{HttpResponse, web};
use envelope::{Body, Client, Curve, KeyPair, Sealed};
use kit::app::{Application, Platform};
use kit::testing::{Storage, test_env};
use kit::{AnyLevel, AppResult, Licensed, SystemOnly, Table, endpoint};
use serde_json::{Value, json};

pub const SYSTEM_KEY: &str = "system-license-for-tests";
pub const APP_KEY: &str = "app-license-for-tests";
pub const INFRA_KEY: &str = "infra-license-for-tests";

pub struct Probe {
    pub url: String,
    pub curve: Curve,
}

#[utoipa::path(post, path = "/probe/echo", responses((status = 200, description = "The echo")))]
async fn echo(auth: Licensed<AnyLevel>, body: Sealed<Value>) -> AppResult<HttpResponse> {
    Ok(auth
        .caller
        .reply(&json!({"echo": body.0, "level": auth.license.level, "appid": auth.caller.request_id().appid}))?)
}

#[utoipa::path(get, path = "/probe/system", responses((status = 200, description = "ok")))]
async fn system_only(auth: Licensed<SystemOnly>) -> AppResult<HttpResponse> {
    Ok(auth.caller.reply(&json!({"ok": true}))?)
}

#[utoipa::path(post, path = "/probe/lenient", responses((status = 200, description = "The echo")))]
async fn lenient(auth: Licensed<AnyLevel>, body: Body<Value>) -> AppResult<HttpResponse> {
    Ok(auth.caller.reply(&json!({"echo": body.value, "encrypted": body.encrypted}))?)
}

/// A typed body, for the error messages of bodies of the wrong shape.
#[derive(Debug, serde::Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
#[allow(dead_code)]
pub struct Typed {
    origin: TypedOrigin,
    count: Option<u8>,
}

#[derive(Debug, serde::Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "camelCase")]
#[allow(dead_code)]
struct TypedOrigin {
    community_id: String,
}

#[utoipa::path(post, path = "/probe/typed", responses((status = 200, description = "ok")))]
async fn typed(auth: Licensed<AnyLevel>, _body: Sealed<Typed>) -> AppResult<HttpResponse> {
    Ok(auth.caller.reply(&json!({"ok": true}))?)
}

#[utoipa::path(post, path = "/probe/typed-plain", responses((status = 200, description = "ok")))]
async fn typed_plain(_body: web::Json<Typed>) -> HttpResponse {
    HttpResponse::Ok().json(json!({"ok": true}))
}

#[utoipa::path(get, path = "/probe/number/{n}", responses((status = 200, description = "ok")))]
async fn number(n: web::Path<u32>) -> HttpResponse {
    HttpResponse::Ok().json(json!({"n": n.into_inner()}))
}

#[derive(Debug, serde::Deserialize)]
struct Limit {
    limit: u32,
}

#[utoipa::path(get, path = "/probe/query", responses((status = 200, description = "ok")))]
async fn query(q: web::Query<Limit>) -> HttpResponse {
    HttpResponse::Ok().json(json!({"limit": q.limit}))
}

#[utoipa::path(get, path = "/probe/segment/{value}", responses((status = 200, description = "ok")))]
async fn segment(value: web::Path<String>) -> HttpResponse {
    HttpResponse::Ok().json(json!({"length": value.len()}))
}

/// Starts the probe on `storage` and `curve`; `None` when that storage is not reachable.
pub async fn probe(storage: Storage, curve: Curve, test: &str) -> Option<Probe> {
    let env = probe_env(storage, curve, test).await?;
    Some(start_probe(&env, curve).await)
}

/// The environment of a probe on `storage` and `curve` (start several on one to make replicas).
pub async fn probe_env(storage: Storage, curve: Curve, test: &str) -> Option<BTreeMap<String, String>> {
    kit::telemetry::init_for_tests();
    let mut env = test_env(storage, test).await?;
    env.insert("EC_CURVE_NAME".into(), curve.name().into());
    env.insert("INFRA_LICENSE_KEY".into(), INFRA_KEY.into());
    env.insert("LICENSE_KEYS".into(), format!("system:{SYSTEM_KEY},app:{APP_KEY}"));
    Some(env)
}

/// Starts a probe with `env`.
pub async fn start_probe(env: &BTreeMap<String, String>, curve: Curve) -> Probe {
    let settings = kit::Settings::from_source(env, "sessions", 0).expect("settings");
    let platform = Platform::start(settings, &[]).await.expect("platform");
    let app = Application::bind(platform, (), |cfg, _: &()| {
        Table::new("probe", "a probe")
            .with(kit::common::endpoints())
            .with([
                endpoint!(echo),
                endpoint!(system_only),
                endpoint!(lenient),
                endpoint!(typed),
                endpoint!(typed_plain),
                endpoint!(number),
                endpoint!(query),
                endpoint!(segment),
            ])
            .mount(cfg);
    })
    .expect("bind");
    let url = format!("http://127.0.0.1:{}", app.port());
    tokio::spawn(app.run_until_stopped());
    Probe { url, curve }
}

impl Probe {
    /// A client with a fresh key pair and `license`.
    pub fn client(&self, license: &str) -> Client {
        Client::new(Arc::new(KeyPair::generate(self.curve).unwrap())).unwrap().license(license).app_id("tests")
    }
}

/// The storages every wire test runs on.
pub const STORAGES: [Storage; 3] = [Storage::Embedded, Storage::Postgres, Storage::Redis];
