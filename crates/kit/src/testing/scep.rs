//! A real SCEP server per test: micromdm's `scepserver` (Debian's `scep`, written in Go,
//! independent of the code under test) with a fresh CA (`scepserver ca -init`) in a temp folder,
//! on a free port, optionally enforcing a challenge password. Killed and removed on drop.
//!
//! Without `scepserver` [`ScepServer::start`] skips the test with a clear line, or fails it under
//! `TEST_BACKENDS_REQUIRED=1` (`scripts/install-test-deps.sh` installs it).

use std::net::TcpListener;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

const SCEPSERVER: &str = "/usr/bin/scepserver";

/// A running `scepserver`.
#[derive(Debug)]
pub struct ScepServer {
    dir: PathBuf,
    child: Option<Child>,
    /// Its port on 127.0.0.1.
    pub port: u16,
}

/// Whether micromdm's `scepserver` is installed.
pub fn installed() -> bool {
    Path::new(SCEPSERVER).is_file()
}

#[allow(clippy::expect_used, clippy::panic)]
impl ScepServer {
    /// A fresh CA (RSA 2048) and its SCEP server, enforcing `challenge` when given.
    pub fn start(test: &str, challenge: Option<&str>) -> Option<Self> {
        if !installed() {
            super::skip(&format!("scepserver not installed (scripts/install-test-deps.sh installs scep) ({test})"));
            return None;
        }
        let dir = std::env::temp_dir().join(format!("scep-{}", uuid::Uuid::new_v4().simple()));
        std::fs::create_dir_all(&dir).expect("scep folder");
        let depot = dir.join("depot");
        let init = Command::new(SCEPSERVER)
            .args(["ca", "-init", "-keySize", "2048", "-depot"])
            .arg(&depot)
            .output()
            .expect("scepserver ca runs");
        assert!(init.status.success(), "scepserver ca -init: {}", String::from_utf8_lossy(&init.stderr));
        let port = TcpListener::bind("127.0.0.1:0").and_then(|l| l.local_addr()).map(|a| a.port()).unwrap_or(0);
        let log = std::fs::File::create(dir.join("scepserver.log")).expect("scep log");
        let mut command = Command::new(SCEPSERVER);
        command.arg("-depot").arg(&depot).args(["-port", &port.to_string()]);
        if let Some(c) = challenge {
            command.args(["-challenge", c]);
        }
        let child = command.stdin(Stdio::null()).stdout(Stdio::null()).stderr(log).spawn().expect("scepserver starts");
        let mut server = Self { dir, child: Some(child), port };
        let deadline = Instant::now() + Duration::from_secs(10);
        while std::net::TcpStream::connect(("127.0.0.1", port)).is_err() {
            if let Some(Ok(Some(status))) = server.child.as_mut().map(Child::try_wait) {
                panic!("scepserver exited ({status}): {}", server.log());
            }
            assert!(Instant::now() < deadline, "scepserver did not listen within 10 s: {}", server.log());
            std::thread::sleep(Duration::from_millis(10));
        }
        Some(server)
    }

    /// The SCEP URL (`http://127.0.0.1:<port>/scep`).
    pub fn url(&self) -> String {
        format!("http://127.0.0.1:{}/scep", self.port)
    }

    /// The CA's certificate (PEM).
    pub fn ca_pem(&self) -> String {
        std::fs::read_to_string(self.dir.join("depot").join("ca.pem")).expect("ca.pem")
    }

    /// The folder of the server's files (`depot/ca.pem` …), for `openssl` checks.
    pub fn dir(&self) -> &Path {
        &self.dir
    }

    /// What the server logged.
    pub fn log(&self) -> String {
        std::fs::read_to_string(self.dir.join("scepserver.log")).unwrap_or_default()
    }
}

impl Drop for ScepServer {
    fn drop(&mut self) {
        if let Some(mut child) = self.child.take() {
            let _ = child.kill();
            let _ = child.wait();
        }
        let _ = std::fs::remove_dir_all(&self.dir);
    }
}
