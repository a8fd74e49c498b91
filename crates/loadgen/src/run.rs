//! Running one scenario: `concurrency` workers send requests until the duration or the request
//! count is reached (whichever comes first), while the service's CPU time and RSS are read
//! before and after, and, for a soak, its RSS every few seconds.

use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant};

use crate::procfs::Process;
use crate::scenario::{Outcome, Scenario};
use crate::stats::{Stats, Summary};

/// How long and how hard a scenario runs.
#[derive(Debug, Clone, Copy)]
pub struct Bounds {
    /// Wall time at most (requests in flight then finish, within the client's timeout).
    pub duration: Duration,
    /// Requests at most.
    pub requests: Option<u64>,
    /// Workers, each with one request in flight.
    pub concurrency: u32,
}

/// One RSS sample of a soak run.
#[derive(Debug, Clone)]
pub struct RssSample {
    /// Seconds since the first scenario started.
    pub at: Duration,
    /// The scenario running.
    pub scenario: String,
    /// Requests the scenario had sent.
    pub requests: u64,
    /// VmRSS, KiB.
    pub rss_kib: u64,
}

/// Where RSS samples go, and how often they are taken.
#[derive(Debug, Clone)]
pub struct Sampler {
    /// Sampling period.
    pub every: Duration,
    /// When the run started.
    pub started: Instant,
    /// The samples so far.
    pub samples: Arc<std::sync::Mutex<Vec<RssSample>>>,
}

/// Runs `scenario` within `bounds` and summarizes it.
pub async fn run(
    scenario: Arc<Scenario>,
    http: &reqwest::Client,
    bounds: Bounds,
    process: Option<Process>,
    sampler: Option<&Sampler>,
) -> Result<Summary, String> {
    let cpu_before = process.and_then(|p| p.cpu());
    let rss_before = process.and_then(|p| p.rss_kib());
    let sent = Arc::new(AtomicU64::new(0));
    let start = Instant::now();
    let deadline = start + bounds.duration;
    let sampling = match (sampler, process) {
        (Some(s), Some(p)) => Some(tokio::spawn(sample(s.clone(), p, scenario.name.clone(), sent.clone(), deadline))),
        _ => None,
    };
    let mut workers = Vec::new();
    for _ in 0..bounds.concurrency {
        let (scenario, http, sent) = (scenario.clone(), http.clone(), sent.clone());
        let mut stats = Stats::new()?;
        workers.push(tokio::spawn(async move {
            while Instant::now() < deadline {
                let ticket = sent.fetch_add(1, Ordering::Relaxed);
                if bounds.requests.is_some_and(|max| ticket >= max) {
                    break;
                }
                match scenario.once(&http).await {
                    Outcome::Answered(status, latency) => stats.record(status, latency),
                    Outcome::Failed(what) => stats.failure(what),
                }
            }
            stats
        }));
    }
    let mut total = Stats::new()?;
    for w in workers {
        total.merge(&w.await.map_err(|e| format!("a worker failed: {e}"))?);
    }
    let elapsed = start.elapsed();
    if let Some(task) = sampling {
        task.abort();
    }
    let cpu = match (cpu_before, process.and_then(|p| p.cpu())) {
        (Some(a), Some(b)) => Some(b.saturating_sub(a)),
        _ => None,
    };
    let rss_kib = rss_before.zip(process.and_then(|p| p.rss_kib()));
    Ok(Summary { name: scenario.name.clone(), stats: total, elapsed, cpu, rss_kib })
}

async fn sample(s: Sampler, p: Process, scenario: String, sent: Arc<AtomicU64>, deadline: Instant) {
    let mut tick = tokio::time::interval(s.every);
    tick.tick().await;
    loop {
        tick.tick().await;
        if Instant::now() >= deadline {
            return;
        }
        let Some(rss_kib) = p.rss_kib() else { return };
        let at = s.started.elapsed();
        let requests = sent.load(Ordering::Relaxed);
        eprintln!(
            "loadgen: {:>6.0} s  {scenario}: {requests} requests, RSS {:.1} MiB",
            at.as_secs_f64(),
            rss_kib as f64 / 1024.0
        );
        if let Ok(mut v) = s.samples.lock() {
            v.push(RssSample { at, scenario: scenario.clone(), requests, rss_kib });
        }
    }
}
