//! The health of the whole platform: every service of `SERVICE_DIRECTORY` asked for its
//! `/healthz` at once, each with a short timeout, so one service down or slow shows as down
//! without holding up the report.

use std::collections::BTreeMap;
use std::time::Duration;

use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

/// The default time a service has to answer.
pub const DEFAULT_TIMEOUT: Duration = Duration::from_millis(2000);

/// One service's health as the report shows it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, ToSchema)]
pub struct ServiceHealth {
    /// The service's name in the directory.
    pub name: String,
    /// `operational` or `down`.
    pub status: String,
    /// The HTTP status its `/healthz` answered, or `null` when it did not answer in time.
    pub code: Option<u16>,
    /// The version it reported.
    pub version: Option<String>,
}

impl ServiceHealth {
    /// Whether it answered healthy.
    pub fn is_up(&self) -> bool {
        self.status == "operational"
    }
}

#[derive(Deserialize)]
struct Healthz {
    version: Option<String>,
}

/// Asks services for their health (the client is built once, with the timeout).
#[derive(Debug, Clone)]
pub struct Prober {
    client: reqwest::Client,
}

impl Prober {
    /// A prober giving each service `timeout`.
    pub fn new(timeout: Duration) -> Result<Self, reqwest::Error> {
        Ok(Self { client: reqwest::Client::builder().timeout(timeout).connect_timeout(timeout).build()? })
    }

    /// The health of the service `name` at `base_url`.
    pub async fn probe(&self, name: &str, base_url: &str) -> ServiceHealth {
        let mut headers = Vec::new();
        kit::telemetry::inject_trace_context(&mut headers);
        let mut req = self.client.get(format!("{}/healthz", base_url.trim_end_matches('/')));
        for (k, v) in headers {
            req = req.header(k, v);
        }
        let (code, version) = match req.send().await {
            Ok(resp) => {
                let code = resp.status().as_u16();
                let version = resp.json::<Healthz>().await.ok().and_then(|h| h.version);
                (Some(code), version)
            }
            Err(e) => {
                tracing::info!(
                    service = name,
                    timeout = e.is_timeout(),
                    connect = e.is_connect(),
                    "service did not answer"
                );
                (None, None)
            }
        };
        let up = code == Some(200);
        ServiceHealth { name: name.to_owned(), status: if up { "operational" } else { "down" }.into(), code, version }
    }

    /// The health of every service of `directory` but `except` (the asking service), at once,
    /// by name.
    pub async fn probe_all(&self, directory: &BTreeMap<String, String>, except: &str) -> Vec<ServiceHealth> {
        let asks =
            directory.iter().filter(|(name, _)| name.as_str() != except).map(|(name, url)| self.probe(name, url));
        futures_util::future::join_all(asks).await
    }
}
