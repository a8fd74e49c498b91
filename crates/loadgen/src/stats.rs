//! What a scenario measured: a latency histogram (HdrHistogram, microseconds, 3 significant
//! digits) and the count of each status, merged over the workers; and the Markdown row of a
//! finished scenario.

use std::collections::BTreeMap;
use std::fmt::Write as _;
use std::time::Duration;

use hdrhistogram::Histogram;

/// Latency and status counts of one worker or of a whole scenario.
#[derive(Debug, Clone)]
pub struct Stats {
    latency: Histogram<u64>,
    statuses: BTreeMap<String, u64>,
}

/// The largest latency kept exactly, in microseconds (longer ones count as this).
const MAX_MICROS: u64 = 120_000_000;

impl Stats {
    /// Empty statistics.
    pub fn new() -> Result<Self, String> {
        let latency = Histogram::new_with_bounds(1, MAX_MICROS, 3).map_err(|e| format!("histogram: {e}"))?;
        Ok(Self { latency, statuses: BTreeMap::new() })
    }

    /// One answered request.
    pub fn record(&mut self, status: u16, latency: Duration) {
        let micros = u64::try_from(latency.as_micros()).unwrap_or(MAX_MICROS).clamp(1, MAX_MICROS);
        self.latency.saturating_record(micros);
        *self.statuses.entry(status.to_string()).or_default() += 1;
    }

    /// One request that got no HTTP answer (`what`: timeout, connect, …); not in the latencies.
    pub fn failure(&mut self, what: &str) {
        *self.statuses.entry(format!("error({what})")).or_default() += 1;
    }

    /// Adds another worker's statistics.
    pub fn merge(&mut self, other: &Self) {
        // Both histograms have the same bounds, so adding cannot fail; saturate if it ever did.
        if self.latency.add(&other.latency).is_err() {
            for v in other.latency.iter_recorded() {
                self.latency.saturating_record_n(v.value_iterated_to(), v.count_at_value());
            }
        }
        for (status, n) in &other.statuses {
            *self.statuses.entry(status.clone()).or_default() += n;
        }
    }

    /// Requests sent (answered or failed).
    pub fn requests(&self) -> u64 {
        self.statuses.values().sum()
    }

    /// The latency at quantile `q` (0..=1) of the answered requests.
    pub fn quantile(&self, q: f64) -> Duration {
        Duration::from_micros(if self.latency.is_empty() { 0 } else { self.latency.value_at_quantile(q) })
    }

    /// The largest latency.
    pub fn max(&self) -> Duration {
        Duration::from_micros(self.latency.max())
    }

    /// `200: 1234, 404: 5` (sorted by status).
    pub fn statuses(&self) -> String {
        let mut out = String::new();
        for (status, n) in &self.statuses {
            if !out.is_empty() {
                out.push_str(", ");
            }
            let _ = write!(out, "{status}: {n}");
        }
        out
    }
}

/// A finished scenario, as one table row.
#[derive(Debug, Clone)]
pub struct Summary {
    /// `GET /publickeys`, …
    pub name: String,
    /// Latencies and statuses.
    pub stats: Stats,
    /// Wall time of the scenario.
    pub elapsed: Duration,
    /// The service's CPU time (user + system) spent during the scenario.
    pub cpu: Option<Duration>,
    /// The service's RSS at the start and the end, KiB.
    pub rss_kib: Option<(u64, u64)>,
}

impl Summary {
    /// Requests per second.
    pub fn rate(&self) -> f64 {
        self.stats.requests() as f64 / self.elapsed.as_secs_f64().max(1e-9)
    }

    /// The service's CPU time per request.
    pub fn cpu_per_request(&self) -> Option<Duration> {
        let n = u32::try_from(self.stats.requests()).ok().filter(|n| *n > 0)?;
        Some(self.cpu? / n)
    }
}

/// The table's header lines.
pub const HEADER: &str = "| scenario | requests | s | req/s | p50 ms | p99 ms | max ms | statuses | CPU µs/req | RSS MiB start → end | req/s ÷ /publickeys | CPU/req ÷ /publickeys |\n\
|---|---:|---:|---:|---:|---:|---:|---|---:|---:|---:|---:|";

fn ms(d: Duration) -> String {
    format!("{:.2}", d.as_secs_f64() * 1e3)
}

fn ratio(x: Option<f64>, base: Option<f64>) -> String {
    match (x, base) {
        (Some(x), Some(b)) if b > 0.0 => format!("{:.2}", x / b),
        _ => "–".into(),
    }
}

/// The Markdown row of `s`; the ratios are to `baseline` (the `/publickeys` row of the run).
pub fn row(s: &Summary, baseline: Option<&Summary>) -> String {
    let cpu = s.cpu_per_request().map(|d| d.as_secs_f64() * 1e6);
    let base_cpu = baseline.and_then(Summary::cpu_per_request).map(|d| d.as_secs_f64() * 1e6);
    let rss = s
        .rss_kib
        .map_or_else(|| "–".to_owned(), |(a, b)| format!("{:.1} → {:.1}", a as f64 / 1024.0, b as f64 / 1024.0));
    format!(
        "| {} | {} | {:.1} | {:.0} | {} | {} | {} | {} | {} | {} | {} | {} |",
        s.name,
        s.stats.requests(),
        s.elapsed.as_secs_f64(),
        s.rate(),
        ms(s.stats.quantile(0.5)),
        ms(s.stats.quantile(0.99)),
        ms(s.stats.max()),
        s.stats.statuses(),
        cpu.map_or_else(|| "–".to_owned(), |c| format!("{c:.0}")),
        rss,
        ratio(Some(s.rate()), baseline.map(Summary::rate)),
        ratio(cpu, base_cpu),
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ms(n: u64) -> Duration {
        Duration::from_millis(n)
    }

    #[test]
    fn quantiles_max_and_statuses_of_merged_workers() {
        let mut a = Stats::new().unwrap();
        let mut b = Stats::new().unwrap();
        for i in 1..=50 {
            a.record(200, ms(i));
        }
        for i in 51..=100 {
            b.record(if i == 100 { 404 } else { 200 }, ms(i));
        }
        b.failure("timeout");
        a.merge(&b);
        assert_eq!(a.requests(), 101);
        // 3 significant digits: within 0.1 %.
        let near = |d: Duration, want: u64| (d.as_micros() as f64 - want as f64 * 1e3).abs() <= want as f64;
        assert!(near(a.quantile(0.5), 50), "{:?}", a.quantile(0.5));
        assert!(near(a.quantile(0.99), 99), "{:?}", a.quantile(0.99));
        assert!(near(a.max(), 100), "{:?}", a.max());
        assert_eq!(a.statuses(), "200: 99, 404: 1, error(timeout): 1");
    }

    #[test]
    fn empty_stats_and_extreme_latencies_do_not_break() {
        let mut s = Stats::new().unwrap();
        assert_eq!(s.quantile(0.99), Duration::ZERO);
        s.record(200, Duration::ZERO);
        s.record(200, Duration::from_secs(3600));
        assert_eq!(s.requests(), 2);
        assert!(s.max() >= Duration::from_secs(119));
    }

    #[test]
    fn a_row_has_every_column_and_ratios_to_the_baseline() {
        let mut stats = Stats::new().unwrap();
        for _ in 0..1000 {
            stats.record(200, ms(2));
        }
        let base = Summary {
            name: "GET /publickeys".into(),
            stats: stats.clone(),
            elapsed: Duration::from_secs(1),
            cpu: Some(ms(100)),
            rss_kib: Some((10 * 1024, 11 * 1024)),
        };
        let slow = Summary {
            name: "PUT /session/new".into(),
            elapsed: Duration::from_secs(4),
            cpu: Some(ms(400)),
            ..base.clone()
        };
        let r = row(&slow, Some(&base));
        let cells: Vec<&str> = r.trim_matches('|').split(" | ").map(str::trim).collect();
        assert_eq!(cells.len(), HEADER.lines().next().unwrap().matches(" | ").count() + 1, "{r}");
        assert_eq!(cells[0], "PUT /session/new");
        assert_eq!(cells[1], "1000");
        assert_eq!(cells[3], "250");
        assert_eq!(cells[8], "400", "CPU µs per request");
        assert_eq!(cells[9], "10.0 → 11.0");
        assert_eq!(cells[10], "0.25", "a quarter of the /publickeys rate");
        assert_eq!(cells[11], "4.00", "four times its CPU per request");
        let alone = row(&Summary { cpu: None, rss_kib: None, ..slow }, None);
        assert!(alone.ends_with("| – | – | – | – |"), "{alone}");
    }
}
