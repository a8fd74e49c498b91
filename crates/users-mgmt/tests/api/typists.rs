//! Synthetic typists for the behavior auth tests, from a seeded generator (SplitMix64, normal
//! draws by Box–Muller), so every run sees the same people:
//!
//! - a typist has a base key-hold time (70–130 ms) and a base flight time (40–200 ms, release to
//!   next press), then per key its own mean dwell (base ± 15 ms sd, at least 30 ms) and per
//!   digraph its own mean flight (base ± 40 ms sd, at least -20 ms: fast typists overlap keys),
//!   and their own consistency (dwell noise sd 8–18 ms, flight noise sd 15–45 ms);
//! - each typing draws the noise per keystroke and a pace for the whole phrase (×1 ± 5% sd: a
//!   faster or slower day), and is written as the keystroke JSON a browser sends (times to
//!   0.1 ms, from an arbitrary origin), base64.
//!
//! Shared with adminapi's tests (`#[path]`), which drive the same people through its API.

#![allow(dead_code)]

use std::collections::HashMap;

use base64::Engine as _;
use serde_json::{Value, json};

/// SplitMix64.
pub struct Rng(u64);

impl Rng {
    pub fn new(seed: u64) -> Self {
        Self(seed)
    }

    fn next_u64(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9e37_79b9_7f4a_7c15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
        z ^ (z >> 31)
    }

    /// Uniform in [0, 1).
    fn unit(&mut self) -> f64 {
        (self.next_u64() >> 11) as f64 / (1u64 << 53) as f64
    }

    pub fn uniform(&mut self, lo: f64, hi: f64) -> f64 {
        lo + (hi - lo) * self.unit()
    }

    pub fn normal(&mut self, mean: f64, sd: f64) -> f64 {
        let u1 = self.unit().max(f64::MIN_POSITIVE);
        let u2 = self.unit();
        mean + sd * (-2.0 * u1.ln()).sqrt() * (std::f64::consts::TAU * u2).cos()
    }
}

/// One synthetic person at the keyboard.
pub struct Typist {
    dwell: HashMap<char, f64>,
    flight: HashMap<(char, char), f64>,
    dwell_sd: f64,
    flight_sd: f64,
}

/// The keys the phrases use.
const KEYS: &str = "abcdefghijklmnopqrstuvwxyz ";

impl Typist {
    pub fn new(rng: &mut Rng) -> Self {
        let base_dwell = rng.uniform(70.0, 130.0);
        let base_flight = rng.uniform(40.0, 200.0);
        let dwell = KEYS.chars().map(|c| (c, rng.normal(base_dwell, 15.0).max(30.0))).collect();
        let mut flight = HashMap::new();
        for a in KEYS.chars() {
            for b in KEYS.chars() {
                flight.insert((a, b), rng.normal(base_flight, 40.0).max(-20.0));
            }
        }
        Self { dwell, flight, dwell_sd: rng.uniform(8.0, 18.0), flight_sd: rng.uniform(15.0, 45.0) }
    }

    /// One typing of `phrase`: `(key, down, up)` per keystroke.
    pub fn keystrokes(&self, rng: &mut Rng, phrase: &str) -> Vec<(String, f64, f64)> {
        let pace = rng.normal(1.0, 0.05);
        let round = |t: f64| (t * 10.0).round() / 10.0;
        let mut out: Vec<(String, f64, f64)> = Vec::new();
        let mut previous: Option<char> = None;
        for c in phrase.chars() {
            let hold = ((self.dwell[&c] + rng.normal(0.0, self.dwell_sd)) * pace).max(15.0);
            let down = match (out.last(), previous) {
                (Some(&(_, last_down, last_up)), Some(p)) => {
                    let gap = (self.flight[&(p, c)] + rng.normal(0.0, self.flight_sd)) * pace;
                    (last_up + gap).max(last_down + 1.0)
                }
                _ => rng.uniform(1000.0, 60_000.0),
            };
            out.push((c.to_string(), round(down), round(down + hold)));
            previous = Some(c);
        }
        out
    }

    /// One typing of `phrase` as the `pattern` of a request.
    pub fn pattern(&self, rng: &mut Rng, phrase: &str) -> String {
        encode(&self.keystrokes(rng, phrase))
    }
}

/// Keystrokes as the `pattern` of a request: base64 of the keystroke JSON.
pub fn encode(strokes: &[(String, f64, f64)]) -> String {
    let keystrokes: Vec<Value> = strokes.iter().map(|(k, d, u)| json!({"key": k, "down": d, "up": u})).collect();
    base64::engine::general_purpose::STANDARD.encode(json!({"version": 1, "keystrokes": keystrokes}).to_string())
}
