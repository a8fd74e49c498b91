//! The log of this test binary, captured in memory at TRACE level for the crates that handle
//! request values ([`kit::testing::logs`]), for the tests that show a secret never reaches it.

const FILTER: &str = "debug,adminapi=trace,kit=trace,envelope=trace,users_mgmt=trace,sqlx=trace,lettre=trace,\
                      reqwest=trace,actix_web=trace,actix_http=trace,tracing_actix_web=trace,\
                      h2=info,hyper=info,hyper_util=info,rustls=info,tokio_util=info,mio=info";

/// Starts capturing (call before starting the services).
pub fn start() {
    kit::testing::logs::start(FILTER);
}

/// Everything logged so far.
pub fn text() -> String {
    kit::testing::logs::text()
}

pub use kit::testing::logs::holds;
