//! One-time passcodes of a user of a community: the codes the helper SDKs' `BIDOTP` asks for
//! (sent by email or SMS) and the helpdesk passcodes an administrator reads out to a user. Both
//! verify through the same call ([`Otps::verify`]), which users-mgmt makes when a login carries an
//! `otp`.
//!
//! A code is random digits from the operating system's generator, kept in the durable ephemeral
//! store only as an HMAC-SHA256 under the deployment's key ([`Sealer::mac`], with a random nonce
//! per code), never as itself, with its expiry and its count of wrong attempts. Each user has one
//! outstanding code per [`Kind`] (issuing replaces it). A right code is consumed by a
//! compare-and-swap from the exact record read, so of concurrent verifications of one code exactly
//! one succeeds; a wrong code counts against every outstanding code of the user, and the code that
//! reaches its `max_attempts` is void. Issuing is rate limited per user and kind. The time is
//! passed in (`now`, epoch seconds); the store's own time to live only sweeps.

use std::sync::Arc;
use std::time::Duration;

use kit::ephemeral::Ephemeral;
use serde::{Deserialize, Serialize};
use subtle::ConstantTimeEq as _;
use zeroize::Zeroizing;

use super::DomainError;
use super::secrets::Sealer;

/// The length of a code unless the caller asks for another.
pub const DEFAULT_LENGTH: usize = 6;
/// The lengths a caller may ask for.
pub const LENGTHS: std::ops::RangeInclusive<usize> = 6..=10;
/// How long a code lives unless the caller says otherwise (seconds).
pub const DEFAULT_VALIDITY: u64 = 300;
/// Codes one user may be issued of one kind per [`RATE_WINDOW`].
pub const RATE_LIMIT: i64 = 5;
/// The window of [`RATE_LIMIT`].
pub const RATE_WINDOW: Duration = Duration::from_secs(15 * 60);

/// The MAC purpose of codes.
const MAC_PURPOSE: &str = "otp.v1";
/// What a consumed or void code's slot holds until it would have expired.
const SPENT: &str = "spent";
/// Attempts at a compare-and-swap that lost to a concurrent change before giving up.
const RETRIES: usize = 8;

/// The kinds of codes, each with its own outstanding code per user.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    /// Sent to the user by email or SMS (`POST /api/r2/otp/generate`).
    Otp,
    /// Given to an administrator to read out (`POST /helpdesk-passcode/generate`).
    Helpdesk,
}

impl Kind {
    /// Every kind, in the order verification checks them.
    pub const ALL: [Self; 2] = [Self::Otp, Self::Helpdesk];

    fn name(self) -> &'static str {
        match self {
            Self::Otp => "otp",
            Self::Helpdesk => "helpdesk",
        }
    }
}

/// What to issue.
#[derive(Debug, Clone, Copy)]
pub struct Request<'a> {
    pub community_id: &'a str,
    /// The user's id as the SDK names it (the username); compared without case.
    pub user_id: &'a str,
    pub kind: Kind,
    /// Digits, within [`LENGTHS`].
    pub length: usize,
    /// Seconds the code lives (at least 1).
    pub validity_seconds: u64,
    /// Wrong codes after which the code is void (at least 1).
    pub max_attempts: u64,
}

/// A code just issued. `Debug` does not show it.
pub struct Issued {
    /// The code: to send or to answer, never to log.
    pub code: Zeroizing<String>,
    /// Epoch seconds.
    pub expires_at: i64,
}

impl std::fmt::Debug for Issued {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Issued").field("code", &"<redacted>").field("expires_at", &self.expires_at).finish()
    }
}

/// Why a code was not issued.
#[derive(Debug, thiserror::Error)]
pub enum IssueError {
    /// The user was issued [`RATE_LIMIT`] codes within [`RATE_WINDOW`] (a 429).
    #[error("too many passcodes were requested for this user: try again in 15 minutes")]
    TooMany,
    /// A bad request or a store failure.
    #[error(transparent)]
    Domain(#[from] DomainError),
}

impl From<kit::StoreError> for IssueError {
    fn from(e: kit::StoreError) -> Self {
        Self::Domain(e.into())
    }
}

impl From<IssueError> for kit::AppError {
    fn from(e: IssueError) -> Self {
        match e {
            e @ IssueError::TooMany => {
                envelope::ApiError::new(actix_web::http::StatusCode::TOO_MANY_REQUESTS, e.to_string()).into()
            }
            IssueError::Domain(d) => d.into(),
        }
    }
}

/// An outstanding code as stored.
#[derive(Debug, Serialize, Deserialize)]
struct Record {
    /// Hex of the code's MAC.
    mac: String,
    /// Hex of the random nonce the MAC covers.
    nonce: String,
    /// Expiry, epoch seconds.
    exp: i64,
    /// Wrong codes so far.
    wrong: u64,
    /// Wrong codes that void it.
    max: u64,
}

/// Issues and verifies codes over the durable ephemeral store.
#[derive(Clone)]
pub struct Otps {
    store: Arc<dyn Ephemeral>,
    sealer: Arc<Sealer>,
}

impl std::fmt::Debug for Otps {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Otps").finish_non_exhaustive()
    }
}

fn slot(kind: Kind, community_id: &str, user_id: &str) -> String {
    format!("otp:{}:{}:{}", kind.name(), community_id.to_ascii_lowercase(), user_id.trim().to_lowercase())
}

fn rate_key(kind: Kind, community_id: &str, user_id: &str) -> String {
    format!("otp-rate:{}:{}:{}", kind.name(), community_id.to_ascii_lowercase(), user_id.trim().to_lowercase())
}

fn ttl(until: i64, now: i64) -> Duration {
    Duration::from_secs(u64::try_from(until.saturating_sub(now)).unwrap_or(0).max(1))
}

fn random(buf: &mut [u8]) -> Result<(), DomainError> {
    getrandom::fill(buf).map_err(|_| DomainError::Busy("the system random number generator failed".into()))
}

/// `length` uniform random digits (bytes of 250 and above are dropped, so that each digit is
/// equally likely).
fn digits(length: usize) -> Result<Zeroizing<String>, DomainError> {
    let mut code = Zeroizing::new(String::with_capacity(length));
    let mut buf = Zeroizing::new([0u8; 32]);
    while code.len() < length {
        random(buf.as_mut_slice())?;
        for b in buf.iter().filter(|b| **b < 250) {
            if code.len() < length {
                code.push(char::from(b'0' + b % 10));
            }
        }
    }
    Ok(code)
}

impl Otps {
    /// Codes in `store` (the durable one: every instance must see them), MACed with `sealer`.
    pub fn new(store: Arc<dyn Ephemeral>, sealer: Arc<Sealer>) -> Self {
        Self { store, sealer }
    }

    fn mac(&self, r: (&str, &str, Kind), nonce: &str, code: &str) -> [u8; 32] {
        let (community, user) = (r.0.to_ascii_lowercase(), r.1.trim().to_lowercase());
        self.sealer.mac(MAC_PURPOSE, &[r.2.name(), &community, &user, nonce, code])
    }

    /// Issues a code for `r` at `now`, replacing the user's outstanding one of its kind: 400 for
    /// a length or validity out of range, 429 past the rate limit.
    pub async fn issue(&self, r: &Request<'_>, now: i64) -> Result<Issued, IssueError> {
        if !LENGTHS.contains(&r.length) {
            return Err(DomainError::Invalid(format!(
                "the passcode length must be {} to {} digits",
                LENGTHS.start(),
                LENGTHS.end()
            ))
            .into());
        }
        if r.validity_seconds == 0 || r.max_attempts == 0 {
            return Err(DomainError::Invalid("the validity and the attempts must be at least 1".into()).into());
        }
        if self.store.incr(&rate_key(r.kind, r.community_id, r.user_id), RATE_WINDOW).await? > RATE_LIMIT {
            return Err(IssueError::TooMany);
        }
        let code = digits(r.length)?;
        let mut nonce = [0u8; 16];
        random(&mut nonce)?;
        let nonce = hex::encode(nonce);
        let exp = now.saturating_add(i64::try_from(r.validity_seconds).unwrap_or(i64::MAX));
        let mac = hex::encode(self.mac((r.community_id, r.user_id, r.kind), &nonce, &code));
        let record = Record { mac, nonce, exp, wrong: 0, max: r.max_attempts };
        let text = serde_json::to_string(&record).map_err(|e| DomainError::Invalid(e.to_string()))?;
        self.store.put(&slot(r.kind, r.community_id, r.user_id), &text, ttl(exp, now)).await?;
        Ok(Issued { code, expires_at: exp })
    }

    /// Whether `code` is an outstanding code of `user_id` in `community_id` at `now`, consuming
    /// it if it is; a wrong code counts against the user's outstanding codes.
    pub async fn verify(&self, community_id: &str, user_id: &str, code: &str, now: i64) -> Result<bool, DomainError> {
        let code = code.trim();
        for _ in 0..RETRIES {
            let mut live = Vec::new();
            for kind in Kind::ALL {
                if let Some((raw, record)) = self.live(kind, community_id, user_id, now).await? {
                    live.push((kind, raw, record));
                }
            }
            if live.is_empty() {
                return Ok(false);
            }
            let hit = live.iter().find(|(kind, _, rec)| self.matches((community_id, user_id, *kind), rec, code));
            let Some((kind, raw, record)) = hit else {
                for (kind, _, _) in &live {
                    self.count_wrong(*kind, community_id, user_id, code, now).await?;
                }
                return Ok(false);
            };
            let key = slot(*kind, community_id, user_id);
            if self.store.compare_and_swap(&key, raw, SPENT, ttl(record.exp, now)).await? {
                return Ok(true);
            }
            // Changed since it was read (a wrong attempt counted, or it was consumed): read again.
        }
        Ok(false)
    }

    /// The outstanding code of `kind` at `now`: the stored text and the record.
    async fn live(
        &self,
        kind: Kind,
        community_id: &str,
        user_id: &str,
        now: i64,
    ) -> Result<Option<(String, Record)>, DomainError> {
        let Some(raw) = self.store.get(&slot(kind, community_id, user_id)).await? else { return Ok(None) };
        Ok(serde_json::from_str::<Record>(&raw).ok().filter(|r| r.exp > now).map(|r| (raw, r)))
    }

    fn matches(&self, r: (&str, &str, Kind), record: &Record, code: &str) -> bool {
        let Ok(stored) = hex::decode(&record.mac) else { return false };
        let given = self.mac(r, &record.nonce, code);
        bool::from(given.as_slice().ct_eq(stored.as_slice()))
    }

    /// Counts one wrong code against the outstanding code of `kind`, voiding it at its maximum.
    async fn count_wrong(
        &self,
        kind: Kind,
        community_id: &str,
        user_id: &str,
        code: &str,
        now: i64,
    ) -> Result<(), DomainError> {
        let key = slot(kind, community_id, user_id);
        for _ in 0..RETRIES {
            let Some((raw, mut record)) = self.live(kind, community_id, user_id, now).await? else { return Ok(()) };
            if self.matches((community_id, user_id, kind), &record, code) {
                // Replaced meanwhile by a code that this one is: not a wrong attempt at it.
                return Ok(());
            }
            record.wrong = record.wrong.saturating_add(1);
            let next = if record.wrong >= record.max {
                SPENT.to_owned()
            } else {
                serde_json::to_string(&record).map_err(|e| DomainError::Invalid(e.to_string()))?
            };
            if self.store.compare_and_swap(&key, &raw, &next, ttl(record.exp, now)).await? {
                if next == SPENT {
                    tracing::info!(kind = kind.name(), "passcode void after too many wrong attempts");
                }
                return Ok(());
            }
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests;
