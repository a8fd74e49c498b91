//! `loadgen`: a bounded load run against one BlockID service on loopback, built on the `envelope`
//! crate (signed scenarios send fresh encrypted headers on every request, as the helper SDKs do).
//!
//! ```sh
//! loadgen --url http://127.0.0.1:8083 --license KEY --duration 10 --concurrency 16
//! loadgen --url http://127.0.0.1:8083 --scenario raw --raw-path-length 30000 --requests 2000
//! loadgen --url http://127.0.0.1:8083 --license KEY --scenario session-new --duration 600 --rss-every 30
//! ```
//!
//! It refuses any target that is not a loopback address, never follows redirects and ignores
//! proxy variables. Each scenario stops at `--duration` seconds or `--requests` requests. The
//! output is a Markdown table (one row per scenario, ratios to `GET /publickeys`), with the
//! service's CPU time per request (`/proc/<pid>/stat`) and RSS (`/proc/<pid>/status`) when its
//! process is visible; `scripts/bench.sh` and `scripts/soak.sh` run it against release builds.

mod cli;
mod procfs;
mod run;
mod scenario;
mod stats;

use std::process::ExitCode;
use std::sync::Arc;
use std::time::{Duration, Instant};

use clap::Parser as _;

use crate::cli::{Cli, ScenarioKind, loopback_target};
use crate::procfs::Process;
use crate::run::{Bounds, Sampler};
use crate::scenario::Scenario;

#[tokio::main]
async fn main() -> ExitCode {
    match real_main(Cli::parse()).await {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("loadgen: {e}");
            ExitCode::from(2)
        }
    }
}

async fn real_main(cli: Cli) -> Result<(), String> {
    let (base, port) = loopback_target(&cli.url)?;
    let http = reqwest::Client::builder()
        .no_proxy()
        .redirect(reqwest::redirect::Policy::none())
        .timeout(Duration::from_secs(10))
        .connect_timeout(Duration::from_secs(3))
        .tcp_nodelay(true)
        .pool_max_idle_per_host(usize::try_from(cli.concurrency).unwrap_or(16))
        .build()
        .map_err(|e| format!("HTTP client: {e}"))?;
    let process = match cli.pid {
        Some(pid) => Some(Process { pid }),
        None => Process::listening_on(port),
    };
    if process.is_none() {
        eprintln!("loadgen: the service's process is not visible (give --pid): no CPU time or RSS");
    }
    let mut kinds = if cli.scenarios.is_empty() { ScenarioKind::DEFAULT.to_vec() } else { cli.scenarios.clone() };
    // /publickeys first, so the other rows have their baseline as they are printed.
    kinds.sort_by_key(|k| *k != ScenarioKind::Publickeys);
    kinds.dedup();
    let bounds =
        Bounds { duration: Duration::from_secs(cli.duration), requests: cli.requests, concurrency: cli.concurrency };
    let sampler = cli.rss_every.map(|s| Sampler {
        every: Duration::from_secs(s),
        started: Instant::now(),
        samples: Arc::default(),
    });

    if let Some(label) = &cli.label {
        println!("### {label}\n");
    }
    let pid = process.map_or_else(|| "not visible".to_owned(), |p| p.pid.to_string());
    let limit = cli.requests.map_or_else(String::new, |n| format!(" or {n} requests"));
    println!(
        "`loadgen` → {base} (pid {pid}): concurrency {}, {} s{limit} per scenario.\n",
        cli.concurrency, cli.duration
    );
    println!("{}", stats::HEADER);
    let mut baseline = None;
    for kind in kinds {
        let scenario = Arc::new(Scenario::prepare(kind, &cli, &base, &http).await?);
        let summary = run::run(scenario, &http, bounds, process, sampler.as_ref()).await?;
        println!("{}", stats::row(&summary, baseline.as_ref()));
        if kind == ScenarioKind::Publickeys {
            baseline = Some(summary);
        }
    }
    if let Some(s) = &sampler {
        print_samples(s);
    }
    Ok(())
}

fn print_samples(s: &Sampler) {
    let samples = s.samples.lock().map(|v| v.clone()).unwrap_or_default();
    println!("\nRSS every {} s:\n", s.every.as_secs());
    println!("| t (s) | scenario | requests | RSS MiB |\n|---:|---|---:|---:|");
    for r in samples {
        println!("| {:.0} | {} | {} | {:.1} |", r.at.as_secs_f64(), r.scenario, r.requests, r.rss_kib as f64 / 1024.0);
    }
}
