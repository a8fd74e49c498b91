//! Kerberos (SPNEGO) service tickets checked with an auth module's keytab, in pure Rust
//! (`picky-krb`'s ASN.1 types and RFC 3961/3962 ciphers: AES-256 and AES-128 CTS HMAC-SHA1-96):
//! the ticket is decrypted with the keytab's key for its service principal, the authenticator with
//! the ticket's session key; the ticket must be valid now and the authenticator's time within
//! [`CLOCK_SKEW`] of ours, name the ticket's client, and be seen once ([`Accepted::replay_key`],
//! kept by the caller for twice the skew). The client must be of the service's realm (no
//! cross-realm trust). Everything refused is a [`Refused`]; nothing in it echoes the token.

pub mod gss;
pub mod keytab;

use picky_asn1::wrapper::IntegerAsn1;
use picky_krb::constants::key_usages::{AP_REQ_AUTHENTICATOR, TICKET_REP};
use picky_krb::crypto::CipherSuite;
use picky_krb::data_types::{Authenticator, EncTicketPart, KerberosTime, PrincipalName};
use picky_krb::messages::ApReq;
use sha2::Digest as _;

pub use keytab::Keytab;

/// How far a client's clock may be from ours by default, in seconds (MIT's default `clockskew`).
pub const CLOCK_SKEW: i64 = 300;

/// Why a token is refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum Refused {
    /// Not a SPNEGO / Kerberos AP-REQ (a 400).
    #[error("{0}")]
    Malformed(&'static str),
    /// No keytab holds a key for the ticket's service principal and encryption type.
    #[error("the ticket is for no service principal of the community's Kerberos keytabs")]
    NoKey,
    /// The ticket or the authenticator does not decrypt (another key, or tampered).
    #[error("the ticket does not decrypt with the keytab")]
    Decrypt,
    /// The ticket's end time has passed.
    #[error("the ticket has expired")]
    Expired,
    /// The ticket's start time is still to come.
    #[error("the ticket is not valid yet")]
    NotYetValid,
    /// The authenticator's time is too far from ours.
    #[error("the authenticator's time is outside the allowed clock skew")]
    Skew,
    /// The client is of another realm than the service.
    #[error("the client is of another realm than the service")]
    Realm,
    /// The authenticator names another client than the ticket.
    #[error("the authenticator does not match the ticket")]
    Mismatch,
}

/// A client whose ticket and authenticator were accepted.
#[derive(Debug, Clone)]
pub struct Accepted {
    /// The client's realm.
    pub realm: String,
    /// The client's name components (`alice`, or `host/x`).
    pub name: Vec<String>,
    /// A fingerprint of the authenticator, to be remembered for twice the skew: a second use is
    /// a replay.
    pub replay_key: String,
}

impl Accepted {
    /// The principal as text (`alice@TEST.LOCAL`).
    pub fn principal(&self) -> String {
        format!("{}@{}", self.name.join("/"), self.realm)
    }
}

fn int(i: &IntegerAsn1) -> Option<i64> {
    if i.0.is_empty() || i.0.len() > 8 {
        return None;
    }
    let fill = if i.0[0] & 0x80 != 0 { 0xff } else { 0 };
    let mut bytes = [fill; 8];
    bytes[8 - i.0.len()..].copy_from_slice(&i.0);
    Some(i64::from_be_bytes(bytes))
}

fn epoch(t: &KerberosTime) -> Option<i64> {
    let date = chrono::NaiveDate::from_ymd_opt(i32::from(t.year()), u32::from(t.month()), u32::from(t.day()))?;
    Some(date.and_hms_opt(u32::from(t.hour()), u32::from(t.minute()), u32::from(t.second()))?.and_utc().timestamp())
}

fn names(p: &PrincipalName) -> Vec<String> {
    p.name_string.0.0.iter().map(|s| s.0.as_utf8().to_owned()).collect()
}

fn decrypt(etype: i64, key: &[u8], usage: i32, cipher: &[u8]) -> Result<Vec<u8>, Refused> {
    let suite = usize::try_from(etype).ok().and_then(|e| CipherSuite::try_from(e).ok()).ok_or(Refused::NoKey)?;
    suite.cipher().decrypt(key, usage, cipher).map_err(|_| Refused::Decrypt)
}

/// Checks the AP-REQ in `token` with the first of `keytabs` that holds its service principal's
/// key, at `now` (epoch seconds) with clocks `skew` seconds apart at most; the index of that
/// keytab and the client.
pub fn accept(token: &[u8], keytabs: &[&Keytab], now: i64, skew: i64) -> Result<(usize, Accepted), Refused> {
    let der = gss::ap_req(token).map_err(Refused::Malformed)?;
    let ap: ApReq = picky_asn1_der::from_bytes(&der).map_err(|_| Refused::Malformed("ktoken's AP-REQ is malformed"))?;
    let ticket = &ap.0.ticket.0.0;
    let service_realm = ticket.realm.0.0.as_utf8().to_owned();
    let service = names(&ticket.sname.0);
    let enc = &ticket.enc_part.0;
    let etype = int(&enc.etype.0).ok_or(Refused::Malformed("ktoken's AP-REQ is malformed"))?;
    let kvno = enc.kvno.0.as_ref().and_then(|k| int(&k.0));
    let mut tried = false;
    let mut found = None;
    'keytabs: for (index, keytab) in keytabs.iter().enumerate() {
        let mut keys: Vec<_> = keytab
            .entries
            .iter()
            .filter(|e| e.realm == service_realm && e.components == service && i64::from(e.etype) == etype)
            .collect();
        keys.sort_by_key(|e| kvno != Some(i64::from(e.kvno)));
        for entry in keys {
            tried = true;
            if let Ok(plain) = decrypt(etype, &entry.key, TICKET_REP, &enc.cipher.0.0) {
                found = Some((index, plain));
                break 'keytabs;
            }
        }
    }
    let Some((index, plain)) = found else {
        return Err(if tried { Refused::Decrypt } else { Refused::NoKey });
    };
    let part: EncTicketPart = picky_asn1_der::from_bytes(&plain).map_err(|_| Refused::Decrypt)?;
    let part = part.0;
    let bad_time = Refused::Malformed("ktoken's ticket has a malformed time");
    let start = match part.starttime.0.as_ref() {
        Some(t) => epoch(&t.0).ok_or(bad_time.clone())?,
        None => epoch(&part.auth_time.0).ok_or(bad_time.clone())?,
    };
    let end = epoch(&part.endtime.0).ok_or(bad_time.clone())?;
    if start > now + skew {
        return Err(Refused::NotYetValid);
    }
    if end < now - skew {
        return Err(Refused::Expired);
    }
    let session_etype = int(&part.key.0.key_type.0).ok_or(Refused::Decrypt)?;
    let auth_enc = &ap.0.authenticator.0;
    if int(&auth_enc.etype.0) != Some(session_etype) {
        return Err(Refused::Decrypt);
    }
    let plain = decrypt(session_etype, &part.key.0.key_value.0.0, AP_REQ_AUTHENTICATOR, &auth_enc.cipher.0.0)?;
    let authenticator: Authenticator = picky_asn1_der::from_bytes(&plain).map_err(|_| Refused::Decrypt)?;
    let authenticator = authenticator.0;
    let client_realm = part.crealm.0.0.as_utf8().to_owned();
    let client = names(&part.cname.0);
    if authenticator.crealm.0.0.as_utf8() != client_realm || names(&authenticator.cname.0) != client {
        return Err(Refused::Mismatch);
    }
    let ctime = epoch(&authenticator.ctime.0).ok_or(bad_time)?;
    if (ctime - now).abs() > skew {
        return Err(Refused::Skew);
    }
    if client_realm != service_realm {
        return Err(Refused::Realm);
    }
    let replay_key = hex::encode(sha2::Sha256::digest(&auth_enc.cipher.0.0));
    Ok((index, Accepted { realm: client_realm, name: client, replay_key }))
}
