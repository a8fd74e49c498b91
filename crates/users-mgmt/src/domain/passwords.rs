//! Password hashing: argon2id (the `argon2` crate) with OWASP's parameters by default
//! (`ARGON2_MEMORY_KIB` 19456, `ARGON2_ITERATIONS` 2, `ARGON2_PARALLELISM` 1). Hashes are PHC
//! strings that carry their own parameters, so changing the settings affects new hashes only.
//!
//! Hashing runs on a fixed pool of `ARGON2_THREADS` threads (default: the CPUs), never on the HTTP
//! workers, and each thread keeps its argon2 memory (19 MiB at the defaults) from one password to
//! the next. Allocating and freeing that much per login fragments the allocator's heap: a release
//! build measured 700 MiB of RSS after 1,100 logins that way, and stays flat at threads × 19 MiB
//! now. At most `ARGON2_QUEUE` (default 64 per thread) passwords wait for a thread; past that a
//! request is refused with 503 rather than queued without bound.

use std::panic::AssertUnwindSafe;
use std::sync::mpsc::{Receiver, SyncSender, TrySendError, sync_channel};
use std::sync::{Arc, Mutex};

use argon2::password_hash::phc::{Output, ParamsString, PasswordHash, Salt};
use argon2::{Algorithm, Argon2, Block, Params, Version};
use kit::config::{ConfigError, Settings};
use kit::{DomainError, StoreError};
use subtle::ConstantTimeEq as _;

type Job = Box<dyn FnOnce(&mut Vec<Block>) + Send>;

/// The threads that run argon2, each with its own reused memory.
struct Pool {
    jobs: SyncSender<Job>,
    threads: usize,
}

impl Pool {
    fn start(threads: usize, queue: usize) -> Result<Self, ConfigError> {
        let (jobs, receiver) = sync_channel::<Job>(queue);
        let receiver = Arc::new(Mutex::new(receiver));
        for i in 0..threads {
            let receiver = receiver.clone();
            std::thread::Builder::new()
                .name(format!("argon2-{i}"))
                .spawn(move || work(&receiver))
                .map_err(|e| ConfigError(format!("starting the password hashing threads: {e}")))?;
        }
        Ok(Self { jobs, threads })
    }
}

/// One pool thread: takes jobs until the pool is dropped.
fn work(receiver: &Mutex<Receiver<Job>>) {
    let mut blocks = Vec::new();
    loop {
        let job = match receiver.lock() {
            Ok(r) => r.recv(),
            Err(_) => return,
        };
        let Ok(job) = job else { return };
        // A job that panics loses its answer (the caller sees an error), not the thread.
        let _ = std::panic::catch_unwind(AssertUnwindSafe(|| job(&mut blocks)));
    }
}

/// Hashes and verifies passwords with the configured parameters.
#[derive(Clone)]
pub struct Hasher {
    params: Params,
    pool: Arc<Pool>,
}

impl std::fmt::Debug for Hasher {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Hasher").field("params", &self.params).field("threads", &self.pool.threads).finish()
    }
}

impl Hasher {
    /// From the settings (see the module doc).
    pub fn from_settings(settings: &Settings) -> Result<Self, ConfigError> {
        let memory = settings.parse_var("ARGON2_MEMORY_KIB", 19_456u32)?;
        let iterations = settings.parse_var("ARGON2_ITERATIONS", 2u32)?;
        let parallelism = settings.parse_var("ARGON2_PARALLELISM", 1u32)?;
        let params = Params::new(memory, iterations, parallelism, None)
            .map_err(|e| ConfigError(format!("ARGON2_MEMORY_KIB / ARGON2_ITERATIONS / ARGON2_PARALLELISM: {e}")))?;
        let cpus = std::thread::available_parallelism().map_or(1, std::num::NonZeroUsize::get);
        let threads: usize = settings.parse_var("ARGON2_THREADS", cpus)?;
        let queue: usize = settings.parse_var("ARGON2_QUEUE", threads.saturating_mul(64))?;
        if threads == 0 || queue == 0 {
            return Err(ConfigError("ARGON2_THREADS and ARGON2_QUEUE must be at least 1".into()));
        }
        Self::new(params, threads, queue)
    }

    /// With `params`, on `threads` threads with `queue` waiting places.
    pub fn new(params: Params, threads: usize, queue: usize) -> Result<Self, ConfigError> {
        Ok(Self { params, pool: Arc::new(Pool::start(threads, queue)?) })
    }

    /// The parameters of new hashes.
    pub fn params(&self) -> &Params {
        &self.params
    }

    /// Runs `f` on a pool thread, in the current span.
    async fn run<T: Send + 'static>(
        &self,
        f: impl FnOnce(&mut Vec<Block>) -> Result<T, String> + Send + 'static,
    ) -> Result<T, DomainError> {
        let (tx, rx) = tokio::sync::oneshot::channel();
        let span = tracing::Span::current();
        let job: Job = Box::new(move |blocks| {
            let _in = span.enter();
            let _ = tx.send(f(blocks));
        });
        self.pool.jobs.try_send(job).map_err(|e| match e {
            TrySendError::Full(_) => {
                tracing::warn!("password hashing is saturated: request refused");
                DomainError::Busy("too many password checks are waiting, try again".into())
            }
            TrySendError::Disconnected(_) => internal("password hashing threads are gone".into()),
        })?;
        rx.await.map_err(|_| internal("password hashing job failed".into()))?.map_err(internal)
    }

    /// The PHC string of `password` with a fresh random salt.
    pub async fn hash(&self, password: String) -> Result<String, DomainError> {
        let params = self.params.clone();
        self.run(move |blocks| {
            let salt = Salt::generate();
            let mut out = [0u8; Params::DEFAULT_OUTPUT_LEN];
            compute(&params, password.as_bytes(), salt.as_ref(), &mut out, blocks)?;
            let hash = PasswordHash {
                algorithm: Algorithm::Argon2id.ident(),
                version: Some(Version::V0x13.into()),
                params: ParamsString::try_from(&params).map_err(|e| format!("hash parameters: {e}"))?,
                salt: Some(salt),
                hash: Some(Output::new(&out).map_err(|e| format!("hash output: {e}"))?),
            };
            Ok(hash.to_string())
        })
        .await
    }

    /// Whether `password` matches the PHC string `stored` (argon2id, any parameters), compared
    /// in constant time.
    pub async fn verify(&self, password: String, stored: String) -> Result<bool, DomainError> {
        self.run(move |blocks| {
            let parsed = PasswordHash::new(&stored).map_err(|e| format!("stored password hash: {e}"))?;
            if parsed.algorithm != Algorithm::Argon2id.ident() {
                return Err("stored password hash: not argon2id".into());
            }
            let params = Params::try_from(&parsed).map_err(|e| format!("stored password hash parameters: {e}"))?;
            let (Some(salt), Some(expected)) = (parsed.salt, parsed.hash) else {
                return Err("stored password hash: no salt or hash".into());
            };
            let mut out = vec![0u8; expected.len()];
            compute(&params, password.as_bytes(), salt.as_ref(), &mut out, blocks)?;
            Ok(bool::from(out.as_slice().ct_eq(expected.as_bytes())))
        })
        .await
    }
}

/// argon2id of `password` with `salt` into `out`, in `blocks` (grown when `params` need more).
fn compute(
    params: &Params,
    password: &[u8],
    salt: &[u8],
    out: &mut [u8],
    blocks: &mut Vec<Block>,
) -> Result<(), String> {
    let needed = params.block_count();
    if blocks.len() < needed {
        blocks.resize(needed, Block::default());
    }
    let params = Params::new(params.m_cost(), params.t_cost(), params.p_cost(), Some(out.len()))
        .map_err(|e| format!("hash parameters: {e}"))?;
    Argon2::new(Algorithm::Argon2id, Version::V0x13, params)
        .hash_password_into_with_memory(password, salt, out, &mut blocks[..needed])
        .map_err(|e| format!("password hashing: {e}"))
}

fn internal(cause: String) -> DomainError {
    DomainError::Store(StoreError::Corrupt(cause))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn fast() -> Hasher {
        Hasher::new(Params::new(1024, 1, 1, None).unwrap(), 2, 8).unwrap()
    }

    #[tokio::test]
    async fn a_hash_verifies_its_password_only_and_is_salted() {
        let h = fast();
        let a = h.hash("Correct#Horse42".into()).await.unwrap();
        let b = h.hash("Correct#Horse42".into()).await.unwrap();
        assert!(a.starts_with("$argon2id$v=19$m=1024,t=1,p=1$"), "{a}");
        assert_ne!(a, b, "a fresh salt each time");
        assert!(h.verify("Correct#Horse42".into(), a.clone()).await.unwrap());
        assert!(!h.verify("correct#horse42".into(), a).await.unwrap());
    }

    #[tokio::test]
    async fn hashes_are_standard_phc_strings_both_ways() {
        use argon2::password_hash::{PasswordHasher as _, PasswordVerifier as _};
        let h = fast();
        let ours = h.hash("Correct#Horse42".into()).await.unwrap();
        let crate_argon2 = Argon2::new(Algorithm::Argon2id, Version::V0x13, Params::new(2048, 2, 1, None).unwrap());
        assert!(crate_argon2.verify_password(b"Correct#Horse42", ours.as_str()).is_ok(), "{ours}");
        assert!(crate_argon2.verify_password(b"Correct#Horse43", ours.as_str()).is_err());
        // A hash of other parameters (and a longer output) made by the crate verifies here.
        let long = Argon2::new(Algorithm::Argon2id, Version::V0x13, Params::new(4096, 3, 2, Some(48)).unwrap());
        let theirs = long.hash_password(b"Correct#Horse42").unwrap().to_string();
        assert!(h.verify("Correct#Horse42".into(), theirs.clone()).await.unwrap());
        assert!(!h.verify("Correct#Horse4".into(), theirs).await.unwrap());
        let argon2i = Argon2::new(Algorithm::Argon2i, Version::V0x13, Params::new(1024, 1, 1, None).unwrap());
        let other = argon2i.hash_password(b"Correct#Horse42").unwrap().to_string();
        assert!(h.verify("Correct#Horse42".into(), other).await.is_err(), "only argon2id hashes are accepted");
        assert!(h.verify("x".into(), "not a hash".into()).await.is_err());
    }

    #[tokio::test]
    async fn a_full_queue_refuses_instead_of_waiting_without_bound() {
        // One thread, one waiting place, each hash tens of milliseconds: of ten passwords sent at
        // once, the thread takes one, one waits and the others are refused at once.
        let h = Hasher::new(Params::new(16_384, 3, 1, None).unwrap(), 1, 1).unwrap();
        let stored = h.hash("pw-123456".into()).await.unwrap();
        let attempts = (0..10).map(|_| h.verify("pw-123456".into(), stored.clone()));
        let results = futures_util::future::join_all(attempts).await;
        let refused = results.iter().filter(|r| matches!(r, Err(DomainError::Busy(_)))).count();
        let accepted = results.iter().filter(|r| matches!(r, Ok(true))).count();
        assert!((1..=2).contains(&accepted) && accepted + refused == 10, "{accepted} accepted, {refused} refused");
        assert!(h.verify("pw-123456".into(), stored).await.unwrap(), "the pool serves again once drained");
    }

    #[test]
    fn the_defaults_are_owasps() {
        let settings = kit::Settings::from_source(&std::collections::BTreeMap::new(), "users-mgmt", 0).unwrap();
        let p = Hasher::from_settings(&settings).unwrap().params().clone();
        assert_eq!((p.m_cost(), p.t_cost(), p.p_cost()), (19_456, 2, 1));
    }
}
