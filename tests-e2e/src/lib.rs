//! Starts the built service binaries as separate processes on free ports, waits for `/healthz`
//! with a bounded retry, and stops them when dropped.

pub mod otlp;

use std::net::TcpListener;
use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

/// The folder holding the built binaries: `BLOCKID_BIN_DIR`, or the workspace's `target/debug`.
pub fn bin_dir() -> PathBuf {
    std::env::var_os("BLOCKID_BIN_DIR").map(PathBuf::from).unwrap_or_else(|| {
        let target = std::env::var_os("CARGO_TARGET_DIR")
            .map(PathBuf::from)
            .unwrap_or_else(|| PathBuf::from(concat!(env!("CARGO_MANIFEST_DIR"), "/../target")));
        target.join("debug")
    })
}

/// A port that was free a moment ago and that no other test of this process was given: tests
/// run in parallel threads, and the kernel may hand a just-released port out again, so two tests
/// could otherwise start services on one port and find each other's.
pub fn free_port() -> u16 {
    static GIVEN: std::sync::Mutex<Vec<u16>> = std::sync::Mutex::new(Vec::new());
    for _ in 0..64 {
        let port = TcpListener::bind("127.0.0.1:0").and_then(|l| l.local_addr()).map(|a| a.port()).unwrap_or(0);
        let Ok(mut given) = GIVEN.lock() else { return port };
        if port != 0 && !given.contains(&port) {
            given.push(port);
            return port;
        }
    }
    0
}

/// A running service process, killed on drop.
#[derive(Debug)]
pub struct Proc {
    child: Child,
    /// `http://127.0.0.1:<port>`.
    pub url: String,
    /// The binary name.
    pub name: &'static str,
}

impl Drop for Proc {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// Why a service could not be started.
#[derive(Debug)]
pub enum StartFailure {
    /// Another process holds the port (another test's service, in this process or another):
    /// start again on another port ([`start_on_free_port`], [`start_stack`] do).
    PortTaken(String),
    /// Anything else: not built, stale, exited, never healthy.
    Failed(String),
}

impl std::fmt::Display for StartFailure {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Self::PortTaken(why) | Self::Failed(why) => f.write_str(why),
        }
    }
}

/// How many times a start is tried on fresh ports when another process holds one.
const PORT_ATTEMPTS: usize = 5;

/// Whether the socket listening on TCP `port` belongs to process `pid`, read from Linux's
/// `/proc`; `None` where that cannot be told (another system). A `/healthz` answer alone does
/// not say whose service answered: between [`free_port`] and the child binding, another test
/// (of any process) may have taken the port.
pub fn listener_owned_by(pid: u32, port: u16) -> Option<bool> {
    let mut inodes = Vec::new();
    for table in ["/proc/net/tcp", "/proc/net/tcp6"] {
        let Ok(text) = std::fs::read_to_string(table) else { continue };
        for line in text.lines().skip(1) {
            let fields: Vec<&str> = line.split_whitespace().collect();
            let local_port = fields.get(1).and_then(|a| a.rsplit_once(':')).map(|(_, p)| u16::from_str_radix(p, 16));
            // State 0A is LISTEN; field 9 the socket's inode.
            if local_port == Some(Ok(port)) && fields.get(3) == Some(&"0A") {
                inodes.extend(fields.get(9).map(|i| format!("socket:[{i}]")));
            }
        }
    }
    let fds = std::fs::read_dir(format!("/proc/{pid}/fd")).ok()?;
    Some(
        fds.flatten()
            .any(|fd| std::fs::read_link(fd.path()).is_ok_and(|t| inodes.iter().any(|i| t.as_os_str() == i.as_str()))),
    )
}

/// A source file `binary` was built from that changed after it was built, if any: a test would
/// run old code. The files are those of cargo's dep-info file beside the binary (`<name>.d`),
/// inside the workspace and outside `.git` (a commit alone changes only the version string).
pub fn newer_source(binary: &std::path::Path) -> Option<PathBuf> {
    let built = std::fs::metadata(binary).and_then(|m| m.modified()).ok()?;
    let dep_info = std::fs::read_to_string(binary.with_extension("d")).ok()?;
    let root = std::fs::canonicalize(concat!(env!("CARGO_MANIFEST_DIR"), "/..")).ok()?;
    let (_, sources) = dep_info.lines().next()?.split_once(": ")?;
    sources
        .replace("\\ ", "\u{0}")
        .split(' ')
        .map(|p| PathBuf::from(p.replace('\u{0}', " ")))
        // `crates/kit/../../.git/…` is `.git/…`: compared once resolved.
        .map(|p| std::fs::canonicalize(&p).unwrap_or(p))
        .filter(|p| p.starts_with(&root) && !p.starts_with(root.join(".git")))
        .find(|p| std::fs::metadata(p).and_then(|m| m.modified()).is_ok_and(|changed| changed > built))
}

/// Starts `name` on `port` with `env` and waits (at most 30 s) until `/healthz` answers 200.
pub async fn start(name: &'static str, port: u16, env: &[(String, String)]) -> Result<Proc, StartFailure> {
    start_logging(name, port, env, None).await
}

/// [`start`], with the process's stdout and stderr written to `log` when given.
pub async fn start_logging(
    name: &'static str,
    port: u16,
    env: &[(String, String)],
    log_file: Option<&std::path::Path>,
) -> Result<Proc, StartFailure> {
    let path = bin_dir().join(name);
    if !path.exists() {
        return Err(StartFailure::Failed(format!(
            "{} is not built: run `cargo build --workspace --bins` (make test does)",
            path.display()
        )));
    }
    if std::env::var_os("BLOCKID_BIN_DIR").is_none()
        && let Some(newer) = newer_source(&path)
    {
        return Err(StartFailure::Failed(format!(
            "{} is older than {}: run `cargo build --workspace --bins` (make test does) so the test runs the code you have",
            path.display(),
            newer.display()
        )));
    }
    let log = std::env::var_os("TEST_LOG").is_some();
    let output = |which: &str| -> Result<Stdio, StartFailure> {
        match log_file {
            Some(file) => std::fs::OpenOptions::new()
                .create(true)
                .append(true)
                .open(file)
                .map(Stdio::from)
                .map_err(|e| StartFailure::Failed(format!("{which} log {}: {e}", file.display()))),
            None if log => Ok(Stdio::inherit()),
            None => Ok(Stdio::null()),
        }
    };
    let child = Command::new(&path)
        .envs(env.iter().map(|(k, v)| (k.as_str(), v.as_str())))
        .env("HOST", "127.0.0.1")
        .env("PORT", port.to_string())
        .env("WORKERS", "2")
        .stdout(output("stdout")?)
        .stderr(output("stderr")?)
        .spawn()
        .map_err(|e| StartFailure::Failed(format!("cannot start {}: {e}", path.display())))?;
    let mut proc = Proc { child, url: format!("http://127.0.0.1:{port}"), name };
    let http = reqwest::Client::builder()
        .timeout(Duration::from_secs(2))
        .build()
        .map_err(|e| StartFailure::Failed(e.to_string()))?;
    let deadline = Instant::now() + Duration::from_secs(30);
    while Instant::now() < deadline {
        if let Ok(Some(status)) = proc.child.try_wait() {
            let why = format!("{name} exited during start-up: {status}");
            // It could not bind: someone else holds the port.
            return Err(if TcpListener::bind(("127.0.0.1", port)).is_err() {
                StartFailure::PortTaken(format!("{why}; port {port} is held by another process"))
            } else {
                StartFailure::Failed(why)
            });
        }
        let healthy = http.get(format!("{}/healthz", proc.url)).send().await.is_ok_and(|r| r.status().is_success());
        if healthy {
            return match listener_owned_by(proc.child.id(), port) {
                Some(false) => Err(StartFailure::PortTaken(format!(
                    "/healthz on port {port} was answered by another process than the {name} started"
                ))),
                _ => Ok(proc),
            };
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    Err(StartFailure::Failed(format!("{name} did not become healthy within 30 s")))
}

/// [`start`] on a port [`free_port`] picks, again on another when one turns out taken.
pub async fn start_on_free_port(name: &'static str, env: &[(String, String)]) -> Result<Proc, StartFailure> {
    start_on_free_port_logging(name, env, None).await
}

/// [`start_on_free_port`], with the process's output written to `log` when given.
pub async fn start_on_free_port_logging(
    name: &'static str,
    env: &[(String, String)],
    log_file: Option<&std::path::Path>,
) -> Result<Proc, StartFailure> {
    let mut last = None;
    for _ in 0..PORT_ATTEMPTS {
        match start_logging(name, free_port(), env, log_file).await {
            Err(StartFailure::PortTaken(why)) => last = Some(why),
            done => return done,
        }
    }
    Err(StartFailure::Failed(format!("{name}: no free port in {PORT_ATTEMPTS} attempts: {}", last.unwrap_or_default())))
}

/// The three services, wired to each other through the service directory.
#[derive(Debug)]
pub struct Stack {
    pub users_mgmt: Proc,
    pub adminapi: Proc,
    pub sessions: Proc,
    /// The shared data folder (each service keeps its own SQLite file there).
    pub data_dir: PathBuf,
}

impl Stack {
    /// The `SERVICE_DIRECTORY` the services were started with (for a command run beside them).
    pub fn service_directory(&self) -> String {
        serde_json::json!({
            "users-mgmt": self.users_mgmt.url,
            "adminapi": self.adminapi.url,
            "sessions": self.sessions.url,
            "licenses": self.adminapi.url,
        })
        .to_string()
    }
}

/// Starts the whole system on the embedded default in a fresh data folder, plus `extra` env.
pub async fn start_stack(extra: &[(&str, &str)]) -> Result<Stack, StartFailure> {
    let mut last = None;
    for _ in 0..PORT_ATTEMPTS {
        let data_dir = std::env::temp_dir().join(format!("blockid-e2e-{}", uuid::Uuid::new_v4().simple()));
        match start_stack_in(&data_dir, extra).await {
            Err(StartFailure::PortTaken(why)) => {
                let _ = std::fs::remove_dir_all(&data_dir);
                last = Some(why);
            }
            done => return done,
        }
    }
    Err(StartFailure::Failed(format!("no free ports in {PORT_ATTEMPTS} attempts: {}", last.unwrap_or_default())))
}

/// The stack on fresh ports in `data_dir` (the services wired to these ports before they start).
async fn start_stack_in(data_dir: &std::path::Path, extra: &[(&str, &str)]) -> Result<Stack, StartFailure> {
    let data_dir = data_dir.to_path_buf();
    let (um, aa, se) = (free_port(), free_port(), free_port());
    let directory = serde_json::json!({
        "users-mgmt": format!("http://127.0.0.1:{um}"),
        "adminapi": format!("http://127.0.0.1:{aa}"),
        "sessions": format!("http://127.0.0.1:{se}"),
        "licenses": format!("http://127.0.0.1:{aa}"),
    });
    let mut env: Vec<(String, String)> =
        vec![("DATA_DIR".into(), data_dir.display().to_string()), ("SERVICE_DIRECTORY".into(), directory.to_string())];
    env.extend(extra.iter().map(|(k, v)| ((*k).to_owned(), (*v).to_owned())));
    // adminapi first: it is the license authority of the others.
    let adminapi = start("adminapi", aa, &env).await?;
    let users_mgmt = start("users-mgmt", um, &env).await?;
    let sessions = start("sessions", se, &env).await?;
    Ok(Stack { users_mgmt, adminapi, sessions, data_dir })
}

/// Runs the built `blockid-call` as a newcomer would: `[--license KEY] [--authorization JWT]
/// METHOD URL [BODY]`; the status it printed and the opened reply.
#[allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]
pub fn blockid_call(
    license: Option<&str>,
    token: Option<&str>,
    method: &str,
    url: &str,
    body: Option<&serde_json::Value>,
) -> (u16, serde_json::Value) {
    let mut cmd = Command::new(bin_dir().join("blockid-call"));
    cmd.env_remove("BLOCKID_LICENSE").env_remove("BLOCKID_AUTHORIZATION");
    if let Some(l) = license {
        cmd.args(["--license", l]);
    }
    if let Some(t) = token {
        cmd.args(["--authorization", t]);
    }
    cmd.args([method, url]);
    if let Some(b) = body {
        cmd.arg(b.to_string());
    }
    let out = cmd.output().expect("blockid-call runs");
    let text = String::from_utf8_lossy(&out.stdout);
    let (status, json) = text
        .split_once('\n')
        .unwrap_or_else(|| panic!("blockid-call printed {text:?}; {}", String::from_utf8_lossy(&out.stderr)));
    (status.trim().parse().expect("a status line"), serde_json::from_str(json).expect("a JSON reply"))
}

#[cfg(test)]
mod stale_binaries {
    use super::*;

    #[test]
    fn a_binary_older_than_a_source_is_found_stale() {
        let dir = std::env::temp_dir().join(format!("e2e-stale-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let binary = dir.join("service");
        let root = std::fs::canonicalize(concat!(env!("CARGO_MANIFEST_DIR"), "/..")).unwrap();
        let source = root.join("tests-e2e/src/lib.rs");
        let dep_info = format!(
            "{}: {} {} {} /usr/include/stdio.h\n",
            binary.display(),
            root.join(".git/HEAD").display(),
            // As kit's build script names it: through `..`, and changed by a commit on any branch.
            root.join("crates/kit/../../.git/refs/heads").display(),
            source.display()
        );
        std::fs::write(binary.with_extension("d"), dep_info).unwrap();
        let file = std::fs::File::create(&binary).unwrap();
        assert_eq!(newer_source(&binary), None, "built just now: nothing is newer");
        file.set_modified(std::time::UNIX_EPOCH + Duration::from_secs(1_000_000_000)).unwrap();
        assert_eq!(newer_source(&binary), Some(source), "the workspace's source, not .git nor a system file");
        std::fs::remove_dir_all(&dir).unwrap();
    }
}
