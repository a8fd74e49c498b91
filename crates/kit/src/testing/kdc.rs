//! A real MIT Kerberos KDC per test, started in a fraction of a second without a root daemon:
//! `krb5.conf` and `kdc.conf` in a fresh folder, `kdb5_util create`, principals and keytabs with
//! `kadmin.local`, then `krb5kdc -n` in the foreground on a free port of 127.0.0.1 (UDP and TCP).
//! Clients are MIT's own tools, independent of the code under test: `kinit` for a user's ticket,
//! Python's `gssapi` (Debian's `python3-gssapi`, over MIT's libgssapi) for a SPNEGO or Kerberos
//! token, `curl --negotiate` for HTTP. Every command gets `KRB5_CONFIG` / `KRB5_KDC_PROFILE` /
//! `KRB5CCNAME` of its own, so tests run in parallel. Killed and removed on drop.
//!
//! The tools come from Debian's `krb5-kdc`, `krb5-admin-server`, `krb5-user` and `python3-gssapi`
//! (`scripts/install-test-deps.sh`); without them [`Kdc::start`] skips the test with a clear line,
//! or fails it under `TEST_BACKENDS_REQUIRED=1`.

use std::net::TcpListener;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Output, Stdio};
use std::time::{Duration, Instant};

/// The Python client: a GSS-API initiator's first token for a host-based service, base64.
const TOKEN_PY: &str = "import base64, gssapi, sys
mech = gssapi.MechType.kerberos if sys.argv[2] == 'krb5' else gssapi.OID.from_int_seq('1.3.6.1.5.5.2')
name = gssapi.Name(sys.argv[1], gssapi.NameType.hostbased_service)
ctx = gssapi.SecurityContext(name=name, usage='initiate', mech=mech)
print(base64.b64encode(ctx.step()).decode())
";

/// The system Python (the one Debian's `python3-gssapi` is installed for).
pub const PYTHON: &str = "/usr/bin/python3";

/// A running KDC of one test.
#[derive(Debug)]
pub struct Kdc {
    dir: PathBuf,
    child: Option<Child>,
    /// The realm (`TEST.LOCAL`).
    pub realm: String,
    /// The KDC's port (UDP and TCP).
    pub port: u16,
}

/// A user's credential cache, made by `kinit`.
#[derive(Debug, Clone)]
pub struct Cache(pub PathBuf);

/// Which token a client sends.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Mech {
    /// SPNEGO wrapping Kerberos (what browsers and `curl --negotiate` send).
    Spnego,
    /// The Kerberos GSS-API token itself.
    Krb5,
}

/// Whether the KDC, its admin tools, the client tools and Python's `gssapi` are installed.
pub fn installed() -> bool {
    ["krb5kdc", "kdb5_util", "kadmin.local", "kinit"].iter().all(|tool| find(tool).is_some())
        && Command::new(PYTHON).args(["-c", "import gssapi"]).stderr(Stdio::null()).status().is_ok_and(|s| s.success())
}

fn find(tool: &str) -> Option<PathBuf> {
    ["/usr/sbin", "/usr/bin", "/usr/local/sbin", "/usr/local/bin", "/sbin", "/bin"]
        .iter()
        .map(|d| Path::new(d).join(tool))
        .find(|p| p.is_file())
}

fn free_port() -> u16 {
    TcpListener::bind("127.0.0.1:0").and_then(|l| l.local_addr()).map(|a| a.port()).unwrap_or(0)
}

#[allow(clippy::expect_used, clippy::panic)]
impl Kdc {
    /// A fresh realm `realm` with its KDC running; `None` (a "skipped" line) when the tools are
    /// not installed, a failure under `TEST_BACKENDS_REQUIRED=1`.
    pub fn start(test: &str, realm: &str) -> Option<Self> {
        if !installed() {
            super::skip(&format!(
                "krb5-kdc / krb5-admin-server / krb5-user / python3-gssapi not installed \
                 (scripts/install-test-deps.sh installs them) ({test})"
            ));
            return None;
        }
        let dir = std::env::temp_dir().join(format!("kdc-{}", uuid::Uuid::new_v4().simple()));
        std::fs::create_dir_all(&dir).expect("kdc folder");
        let port = free_port();
        let d = dir.display();
        let krb5 = format!(
            "[libdefaults]\n default_realm = {realm}\n dns_lookup_kdc = false\n dns_lookup_realm = false\n \
             rdns = false\n dns_canonicalize_hostname = false\n udp_preference_limit = 1\n\
             [realms]\n {realm} = {{\n  kdc = 127.0.0.1:{port}\n }}\n"
        );
        let kdc = format!(
            "[kdcdefaults]\n kdc_ports = {port}\n kdc_tcp_ports = {port}\n[realms]\n {realm} = {{\n  \
             database_name = {d}/principal\n  key_stash_file = {d}/stash\n  acl_file = {d}/kadm5.acl\n  \
             max_life = 10h\n  supported_enctypes = aes256-cts-hmac-sha1-96:normal aes128-cts-hmac-sha1-96:normal\n \
             }}\n[logging]\n kdc = FILE:{d}/kdc.log\n"
        );
        std::fs::write(dir.join("krb5.conf"), krb5).expect("krb5.conf");
        std::fs::write(dir.join("kdc.conf"), kdc).expect("kdc.conf");
        let mut kdc = Self { dir, child: None, realm: realm.to_owned(), port };
        kdc.run("kdb5_util", &["create", "-s", "-r", realm, "-P", "master-Pw-1"]);
        let log = std::fs::File::create(kdc.dir.join("krb5kdc.out")).expect("kdc log");
        let child = kdc
            .command("krb5kdc")
            .args(["-n", "-P"])
            .arg(kdc.dir.join("kdc.pid"))
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(log)
            .spawn()
            .expect("krb5kdc starts");
        kdc.child = Some(child);
        let deadline = Instant::now() + Duration::from_secs(10);
        while std::net::TcpStream::connect(("127.0.0.1", kdc.port)).is_err() {
            if let Some(Ok(Some(status))) = kdc.child.as_mut().map(Child::try_wait) {
                panic!("krb5kdc exited ({status}): {}", kdc.log());
            }
            assert!(Instant::now() < deadline, "krb5kdc did not listen within 10 s: {}", kdc.log());
            std::thread::sleep(Duration::from_millis(10));
        }
        Some(kdc)
    }

    /// The KDC's logs.
    pub fn log(&self) -> String {
        let read = |f: &str| std::fs::read_to_string(self.dir.join(f)).unwrap_or_default();
        format!("{}{}", read("krb5kdc.out"), read("kdc.log"))
    }

    /// A command of a tool with this realm's configuration.
    pub fn command(&self, tool: &str) -> Command {
        let mut c = Command::new(find(tool).unwrap_or_else(|| PathBuf::from(tool)));
        c.env("KRB5_CONFIG", self.dir.join("krb5.conf"))
            .env("KRB5_KDC_PROFILE", self.dir.join("kdc.conf"))
            .env("KRB5RCACHETYPE", "none");
        c
    }

    fn run(&self, tool: &str, args: &[&str]) -> Output {
        let out = self.command(tool).args(args).stdin(Stdio::null()).output().expect("kerberos tool runs");
        assert!(
            out.status.success(),
            "{tool} {args:?}: {}{}",
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        );
        out
    }

    fn kadmin(&self, query: &str) {
        self.run("kadmin.local", &["-q", query]);
    }

    /// Adds the user `name` with `password`.
    pub fn add_user(&self, name: &str, password: &str) {
        self.kadmin(&format!("addprinc -pw {password} {name}"));
    }

    /// Adds the service principal `principal` (`HTTP/127.0.0.1`) with a random key.
    pub fn add_service(&self, principal: &str) {
        self.kadmin(&format!("addprinc -randkey {principal}"));
    }

    /// A keytab of `principal`: its keys are drawn anew (the key version goes up), so keytabs
    /// taken before no longer open its new tickets. The file's bytes.
    pub fn keytab(&self, principal: &str) -> Vec<u8> {
        let path = self.dir.join(format!("{}.keytab", uuid::Uuid::new_v4().simple()));
        self.kadmin(&format!("ktadd -k {} {principal}", path.display()));
        std::fs::read(path).expect("keytab written")
    }

    /// `kinit` of `name` with `password` into a fresh cache; with `lifetime` (`2s`), a ticket
    /// that short.
    pub fn kinit(&self, name: &str, password: &str, lifetime: Option<&str>) -> Cache {
        let cache = self.dir.join(format!("cc-{}", uuid::Uuid::new_v4().simple()));
        let mut c = self.command("kinit");
        c.env("KRB5CCNAME", format!("FILE:{}", cache.display()));
        if let Some(l) = lifetime {
            c.args(["-l", l]);
        }
        let mut child =
            c.arg(name).stdin(Stdio::piped()).stdout(Stdio::null()).stderr(Stdio::piped()).spawn().expect("kinit");
        {
            use std::io::Write as _;
            let mut stdin = child.stdin.take().expect("kinit stdin");
            writeln!(stdin, "{password}").expect("password written");
        }
        let out = child.wait_with_output().expect("kinit ends");
        assert!(out.status.success(), "kinit {name}: {}", String::from_utf8_lossy(&out.stderr));
        Cache(cache)
    }

    /// The first token of a GSS-API initiator with `cache` for the host-based service
    /// `service` (`HTTP@127.0.0.1`), base64, made by Python's `gssapi` (MIT's library).
    pub fn token(&self, cache: &Cache, service: &str, mech: Mech) -> String {
        let mech = if mech == Mech::Krb5 { "krb5" } else { "spnego" };
        let out = self
            .command(PYTHON)
            .env("KRB5CCNAME", format!("FILE:{}", cache.0.display()))
            .args(["-I", "-c", TOKEN_PY, service, mech])
            .output()
            .expect("python runs");
        assert!(out.status.success(), "gssapi token: {}", String::from_utf8_lossy(&out.stderr));
        String::from_utf8_lossy(&out.stdout).trim().to_owned()
    }

    /// `curl` with `cache` as the user's credentials (add `--negotiate -u :` for SPNEGO).
    pub fn curl(&self, cache: &Cache) -> Command {
        let mut c = self.command("curl");
        c.env("KRB5CCNAME", format!("FILE:{}", cache.0.display()));
        c
    }
}

impl Drop for Kdc {
    fn drop(&mut self) {
        if let Some(mut child) = self.child.take() {
            let _ = child.kill();
            let _ = child.wait();
        }
        let _ = std::fs::remove_dir_all(&self.dir);
    }
}
