//! The log of a test binary, captured in memory (the real kit subscriber stack, text format), for
//! the tests that show a secret never reaches it. The subscriber is process-global: installed
//! once, by the first test that asks, with that test binary's filter; every later log line of the
//! binary lands in it.

use std::io::Write;
use std::sync::{Arc, Mutex, OnceLock};

#[derive(Clone, Default)]
struct Capture(Arc<Mutex<Vec<u8>>>);

impl Write for Capture {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        if let Ok(mut log) = self.0.lock() {
            log.extend_from_slice(buf);
        }
        Ok(buf.len())
    }
    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

fn capture(filter: &str) -> &'static Capture {
    static LOG: OnceLock<Capture> = OnceLock::new();
    LOG.get_or_init(|| {
        let capture = Capture::default();
        let writer = capture.clone();
        let filter = tracing_subscriber::EnvFilter::new(filter);
        std::mem::forget(crate::telemetry::init_with_writer("test", false, filter, move || writer.clone()));
        capture
    })
}

/// Starts capturing with `filter` (an `EnvFilter` directive; call before starting the services).
pub fn start(filter: &str) {
    capture(filter);
}

/// Everything logged so far (call [`start`] first: before it, this installs a capture that keeps
/// nothing).
pub fn text() -> String {
    let log = capture("off");
    let bytes = log.0.lock().map(|b| b.clone()).unwrap_or_default();
    String::from_utf8_lossy(&bytes).into_owned()
}

/// Whether `secret` stands in `log`. Each line's leading timestamp is left out, and a secret of
/// digits only (a passcode, a PIN) counts as a word of its own, bounded by anything but letters
/// and digits: a random six digits would otherwise match a timestamp's microseconds (about once
/// in a million lines) or a run inside a longer number or a hex id.
pub fn holds(log: &str, secret: &str) -> bool {
    let numeric = secret.bytes().all(|b| b.is_ascii_digit());
    log.lines()
        .map(|line| match line.split_once(' ') {
            Some((stamp, rest)) if stamp.ends_with('Z') && stamp.contains('T') => rest,
            _ => line,
        })
        .any(|line| {
            if numeric {
                line.split(|c: char| !c.is_ascii_alphanumeric()).any(|word| word == secret)
            } else {
                line.contains(secret)
            }
        })
}
