//! The log of this test binary, captured in memory at TRACE level for the crates that handle
//! request values (the real kit subscriber stack, text format), for the tests that show a
//! secret never reaches it. The subscriber is process-global: installed once, by the first test
//! that asks; every later log line of the binary lands in it.

use std::io::Write;
use std::sync::{Arc, Mutex, OnceLock};

#[derive(Clone, Default)]
struct Capture(Arc<Mutex<Vec<u8>>>);

impl Write for Capture {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        self.0.lock().unwrap().extend_from_slice(buf);
        Ok(buf.len())
    }
    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

const FILTER: &str = "debug,users_mgmt=trace,kit=trace,envelope=trace,sqlx=trace,reqwest=trace,actix_web=trace,\
                      actix_http=trace,tracing_actix_web=trace,h2=info,hyper=info,hyper_util=info,rustls=info,\
                      tokio_util=info,mio=info";

fn capture() -> &'static Capture {
    static LOG: OnceLock<Capture> = OnceLock::new();
    LOG.get_or_init(|| {
        let capture = Capture::default();
        let writer = capture.clone();
        let filter = tracing_subscriber::EnvFilter::new(FILTER);
        std::mem::forget(kit::telemetry::init_with_writer("users-mgmt-test", false, filter, move || writer.clone()));
        capture
    })
}

/// Starts capturing (call before starting the service).
pub fn start() {
    capture();
}

/// Everything logged so far.
pub fn text() -> String {
    String::from_utf8_lossy(&capture().0.lock().unwrap()).into_owned()
}
