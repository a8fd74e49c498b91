//! A real OpenLDAP server (`slapd`) per test, started in a fraction of a second without a root
//! daemon: a `slapd.conf` in a fresh folder (the core, cosine, inetOrgPerson and nis schemas, an
//! AD-style schema with `sAMAccountName` and `userPrincipalName`, `back_mdb`, the `memberof`
//! overlay), a TLS certificate for `IP:127.0.0.1` signed by a test CA made with `rcgen`, the
//! people loaded with `slapadd`, then `slapd -d 0` in the foreground on `ldap://` and `ldaps://`
//! ports of 127.0.0.1, and the groups added on the running server (so `memberOf` fills). Killed
//! and removed on drop.
//!
//! `slapd`, `slapadd` and the `ldap*` tools come from Debian's `slapd` and `ldap-utils`
//! (`scripts/install-test-deps.sh`); without them [`Slapd::start`] skips the test with a clear
//! line, or fails it under `TEST_BACKENDS_REQUIRED=1`.

use std::io::Write as _;
use std::net::TcpListener;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

/// The suffix of the test directory.
pub const BASE_DN: &str = "dc=example,dc=test";
/// The directory's administrator (its `rootdn`).
pub const ADMIN_DN: &str = "cn=admin,dc=example,dc=test";
/// The administrator's password.
pub const ADMIN_PASSWORD: &str = "admin-Secret-1";
/// The service account a module binds with to search.
pub const SERVICE_DN: &str = "cn=svc,dc=example,dc=test";
/// The service account's password.
pub const SERVICE_PASSWORD: &str = "svc-Bind-Secret-77";
/// Where people live.
pub const PEOPLE_DN: &str = "ou=people,dc=example,dc=test";

const AD_SCHEMA: &str = "\
attributetype ( 1.2.840.113556.1.4.221 NAME 'sAMAccountName' EQUALITY caseIgnoreMatch \
SUBSTR caseIgnoreSubstringsMatch SYNTAX 1.3.6.1.4.1.1466.115.121.1.15 SINGLE-VALUE )
attributetype ( 1.2.840.113556.1.4.656 NAME 'userPrincipalName' EQUALITY caseIgnoreMatch \
SUBSTR caseIgnoreSubstringsMatch SYNTAX 1.3.6.1.4.1.1466.115.121.1.15 SINGLE-VALUE )
objectclass ( 1.3.6.1.4.1.55555.1.1 NAME 'testAdAccount' AUXILIARY MAY ( sAMAccountName $ userPrincipalName ) )
";

/// A running `slapd` of one test.
#[derive(Debug)]
pub struct Slapd {
    dir: PathBuf,
    child: Option<Child>,
    /// The plain LDAP port (StartTLS too).
    pub port: u16,
    /// The LDAPS port.
    pub ldaps_port: u16,
    /// The PEM of the CA that signed the server's certificate.
    pub ca_pem: String,
}

/// Whether the OpenLDAP server and tools are installed.
pub fn installed() -> bool {
    ["slapd", "slapadd", "ldapadd", "ldapdelete"].iter().all(|tool| find(tool).is_some())
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

/// A person of the directory: `uid`, `cn` and `sn` from the name, the AD attributes too.
pub fn person_ldif(uid: &str, password: &str, given: &str, sn: &str) -> String {
    format!(
        "dn: uid={uid},{PEOPLE_DN}\nobjectClass: inetOrgPerson\nobjectClass: testAdAccount\nuid: {uid}\n\
         cn: {given} {sn}\nsn: {sn}\ngivenName: {given}\nmail: {uid}@example.test\ntelephoneNumber: 5550100\n\
         sAMAccountName: {uid}\nuserPrincipalName: {uid}@example.test\nuserPassword: {password}\n"
    )
}

#[allow(clippy::expect_used, clippy::panic)]
impl Slapd {
    /// A fresh directory holding the service account, `alice` (password `Alice-Pw-1`, in the
    /// group `staff`) and `bob` (`Bob-Pw-1`); `None` (a "skipped" line) when slapd is not
    /// installed, a failure under `TEST_BACKENDS_REQUIRED=1`.
    pub fn start(test: &str) -> Option<Self> {
        if !installed() {
            super::skip(&format!(
                "slapd / ldap-utils not installed (scripts/install-test-deps.sh installs them) ({test})"
            ));
            return None;
        }
        let dir = std::env::temp_dir().join(format!("slapd-{}", uuid::Uuid::new_v4().simple()));
        std::fs::create_dir_all(dir.join("db")).expect("slapd folder");
        let ca_pem = write_certificates(&dir);
        std::fs::write(dir.join("ad.schema"), AD_SCHEMA).expect("ad schema");
        let d = dir.display();
        let conf = format!(
            "include /etc/ldap/schema/core.schema\ninclude /etc/ldap/schema/cosine.schema\n\
             include /etc/ldap/schema/inetorgperson.schema\ninclude /etc/ldap/schema/nis.schema\n\
             include {d}/ad.schema\nmodulepath /usr/lib/ldap\nmoduleload back_mdb\nmoduleload memberof\n\
             pidfile {d}/slapd.pid\nTLSCertificateFile {d}/server.pem\nTLSCertificateKeyFile {d}/server.key\n\
             TLSCACertificateFile {d}/ca.pem\npassword-hash {{SSHA}}\nsizelimit 5000\n\
             database mdb\nmaxsize 10485760\nsuffix \"{BASE_DN}\"\nrootdn \"{ADMIN_DN}\"\nrootpw {ADMIN_PASSWORD}\n\
             directory {d}/db\n\
             access to attrs=userPassword by self write by anonymous auth by * none\n\
             access to * by users read by * none\noverlay memberof\n"
        );
        std::fs::write(dir.join("slapd.conf"), conf).expect("slapd.conf");
        let people = format!(
            "dn: {BASE_DN}\nobjectClass: dcObject\nobjectClass: organization\no: Example\ndc: example\n\n\
             dn: {PEOPLE_DN}\nobjectClass: organizationalUnit\nou: people\n\n\
             dn: ou=groups,{BASE_DN}\nobjectClass: organizationalUnit\nou: groups\n\n\
             dn: {SERVICE_DN}\nobjectClass: person\ncn: svc\nsn: svc\nuserPassword: {SERVICE_PASSWORD}\n\n{}\n{}",
            person_ldif("alice", "Alice-Pw-1", "Alice", "Liddell"),
            person_ldif("bob", "Bob-Pw-1", "Bob", "Builder"),
        );
        std::fs::write(dir.join("people.ldif"), people).expect("people.ldif");
        let conf = dir.join("slapd.conf");
        let loaded = Command::new(find("slapadd").expect("slapadd"))
            .arg("-q")
            .arg("-f")
            .arg(&conf)
            .arg("-l")
            .arg(dir.join("people.ldif"))
            .output()
            .expect("slapadd runs");
        assert!(loaded.status.success(), "slapadd: {}", String::from_utf8_lossy(&loaded.stderr));
        let mut slapd = Self { dir, child: None, port: free_port(), ldaps_port: free_port(), ca_pem };
        slapd.launch();
        slapd.add(&format!(
            "dn: cn=staff,ou=groups,{BASE_DN}\nobjectClass: groupOfNames\ncn: staff\nmember: uid=alice,{PEOPLE_DN}\n"
        ));
        Some(slapd)
    }

    fn launch(&mut self) {
        let log = std::fs::File::create(self.dir.join("slapd.log")).expect("slapd log");
        let urls = format!("ldap://127.0.0.1:{}/ ldaps://127.0.0.1:{}/", self.port, self.ldaps_port);
        let child = Command::new(find("slapd").expect("slapd"))
            .arg("-f")
            .arg(self.dir.join("slapd.conf"))
            .args(["-h", &urls, "-d", "0"])
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(log)
            .spawn()
            .expect("slapd starts");
        self.child = Some(child);
        let deadline = Instant::now() + Duration::from_secs(10);
        while std::net::TcpStream::connect(("127.0.0.1", self.port)).is_err() {
            if let Some(Ok(Some(status))) = self.child.as_mut().map(Child::try_wait) {
                panic!("slapd exited ({status}): {}", self.log());
            }
            assert!(Instant::now() < deadline, "slapd did not listen within 10 s: {}", self.log());
            std::thread::sleep(Duration::from_millis(10));
        }
    }

    /// What slapd wrote to its log.
    pub fn log(&self) -> String {
        std::fs::read_to_string(self.dir.join("slapd.log")).unwrap_or_default()
    }

    /// `ldap://127.0.0.1:<port>`.
    pub fn ldap_url(&self) -> String {
        format!("ldap://127.0.0.1:{}", self.port)
    }

    /// `ldaps://127.0.0.1:<ldaps port>`.
    pub fn ldaps_url(&self) -> String {
        format!("ldaps://127.0.0.1:{}", self.ldaps_port)
    }

    fn admin_tool(&self, tool: &str, args: &[&str], input: &str) {
        let mut child = Command::new(find(tool).unwrap_or_else(|| panic!("{tool} is not installed")))
            .args(["-x", "-H", &self.ldap_url(), "-D", ADMIN_DN, "-w", ADMIN_PASSWORD])
            .args(args)
            .stdin(Stdio::piped())
            .stdout(Stdio::null())
            .stderr(Stdio::piped())
            .spawn()
            .expect("ldap tool runs");
        child.stdin.take().expect("stdin").write_all(input.as_bytes()).expect("ldif written");
        let out = child.wait_with_output().expect("ldap tool ends");
        assert!(out.status.success(), "{tool}: {}", String::from_utf8_lossy(&out.stderr));
    }

    /// Adds the entries of `ldif` as the administrator.
    pub fn add(&self, ldif: &str) {
        self.admin_tool("ldapadd", &[], ldif);
    }

    /// Applies the changes of `ldif` (`changetype: modify` …) as the administrator.
    pub fn modify(&self, ldif: &str) {
        self.admin_tool("ldapmodify", &[], ldif);
    }

    /// Adds a person with [`person_ldif`].
    pub fn add_person(&self, uid: &str, password: &str) {
        self.add(&person_ldif(uid, password, "Test", uid));
    }

    /// Deletes the entry `dn`.
    pub fn delete(&self, dn: &str) {
        self.admin_tool("ldapdelete", &[], &format!("{dn}\n"));
    }

    /// Stops the server (the ports stop answering); [`Slapd::restart`] starts it again on the same ports.
    pub fn stop(&mut self) {
        if let Some(mut child) = self.child.take() {
            let _ = child.kill();
            let _ = child.wait();
        }
    }

    /// Starts the stopped server again, same data, same ports.
    pub fn restart(&mut self) {
        self.stop();
        self.launch();
    }
}

impl Drop for Slapd {
    fn drop(&mut self) {
        self.stop();
        let _ = std::fs::remove_dir_all(&self.dir);
    }
}

/// A test CA and a server certificate for `IP:127.0.0.1` and `localhost` signed by it, written
/// to `dir` (`ca.pem`, `server.pem`, `server.key`); the CA's PEM.
#[allow(clippy::expect_used)]
fn write_certificates(dir: &Path) -> String {
    use rcgen::{BasicConstraints, CertificateParams, DnType, IsCa, Issuer, KeyPair, KeyUsagePurpose};
    let ca_key = KeyPair::generate().expect("ca key");
    let mut ca = CertificateParams::new(Vec::<String>::new()).expect("ca params");
    ca.distinguished_name.push(DnType::CommonName, "slapd test CA");
    ca.is_ca = IsCa::Ca(BasicConstraints::Unconstrained);
    ca.key_usages = vec![KeyUsagePurpose::KeyCertSign, KeyUsagePurpose::CrlSign, KeyUsagePurpose::DigitalSignature];
    let ca_cert = ca.self_signed(&ca_key).expect("ca certificate");
    let issuer = Issuer::new(ca, ca_key);
    let key = KeyPair::generate().expect("server key");
    let mut server = CertificateParams::new(vec!["127.0.0.1".to_owned(), "localhost".to_owned()]).expect("params");
    server.distinguished_name.push(DnType::CommonName, "127.0.0.1");
    let cert = server.signed_by(&key, &issuer).expect("server certificate");
    std::fs::write(dir.join("ca.pem"), ca_cert.pem()).expect("ca.pem");
    std::fs::write(dir.join("server.pem"), cert.pem()).expect("server.pem");
    std::fs::write(dir.join("server.key"), key.serialize_pem()).expect("server.key");
    ca_cert.pem()
}
