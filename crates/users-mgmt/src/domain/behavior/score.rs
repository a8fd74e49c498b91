//! The score of a typing pattern against a user's enrolled samples: the scaled Manhattan
//! distance of keystroke dynamics (Araújo et al. 2005; the detector Killourhy and Maxion found
//! best of fourteen on their benchmark, "Comparing Anomaly-Detection Algorithms for Keystroke
//! Dynamics", DSN 2009).
//!
//! - The model of the enrolled samples: per feature (a key's dwell, a digraph's flight, see
//!   [`super::pattern`]) the mean `m` and the mean absolute deviation from it `a`, raised to
//!   [`SPREAD_FLOOR_MS`] (with a handful of samples a feature can look far steadier than the
//!   typist is, and a timer's resolution is about a millisecond).
//! - The distance of a sample `x`: the mean over the features of `|x - m| / a`, so about 1 for
//!   a sample of the enrolled typist and more for anyone else.
//! - The threshold, from the enrolled samples' own spread: each sample is scored against the
//!   model of the others (leave one out, so as a new sample would be), and the threshold is
//!   [`THRESHOLD_FACTOR`] times their mean, kept between [`THRESHOLD_FLOOR`] and
//!   [`THRESHOLD_CEILING`] (a typist whose samples happen to agree closely is not held to an
//!   impossible standard, and an erratic enrollment does not accept everyone).
//!
//! The constants were chosen on the synthetic typists of the tests (`tests/api/typists.rs`):
//! over 600 of them, 0.7% of a typist's own patterns are refused and 1.4% of other typists'
//! accepted (`the_same_typist_is_accepted_and_others_are_refused_over_many_trials` prints it).

/// Least spread of a feature (ms).
pub const SPREAD_FLOOR_MS: f64 = 12.0;
/// The threshold is this many times the enrolled samples' mean leave-one-out distance.
pub const THRESHOLD_FACTOR: f64 = 1.3;
/// Least threshold.
pub const THRESHOLD_FLOOR: f64 = 1.6;
/// Greatest threshold.
pub const THRESHOLD_CEILING: f64 = 2.4;

/// The model of a user's enrolled samples.
#[derive(Clone, PartialEq)]
pub struct Model {
    mean: Vec<f64>,
    spread: Vec<f64>,
    threshold: f64,
}

impl std::fmt::Debug for Model {
    /// Its size and threshold only: the means are biometric data.
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Model").field("features", &self.mean.len()).field("threshold", &self.threshold).finish()
    }
}

/// Mean and spread (floored) of `samples`, all of one length.
fn fit(samples: &[&[f64]]) -> (Vec<f64>, Vec<f64>) {
    let n = samples.len() as f64;
    let width = samples.first().map_or(0, |s| s.len());
    let mean: Vec<f64> = (0..width).map(|j| samples.iter().map(|s| s[j]).sum::<f64>() / n).collect();
    let spread = (0..width)
        .map(|j| (samples.iter().map(|s| (s[j] - mean[j]).abs()).sum::<f64>() / n).max(SPREAD_FLOOR_MS))
        .collect();
    (mean, spread)
}

fn scaled_manhattan(mean: &[f64], spread: &[f64], x: &[f64]) -> f64 {
    let total: f64 = x.iter().zip(mean).zip(spread).map(|((x, m), a)| (x - m).abs() / a).sum();
    total / x.len() as f64
}

impl Model {
    /// The model of at least two samples of one length (at least one feature); none otherwise.
    pub fn new(samples: &[Vec<f64>]) -> Option<Self> {
        let width = samples.first()?.len();
        if samples.len() < 2 || width == 0 || samples.iter().any(|s| s.len() != width) {
            return None;
        }
        let all: Vec<&[f64]> = samples.iter().map(Vec::as_slice).collect();
        let (mean, spread) = fit(&all);
        let left_out: f64 = (0..all.len())
            .map(|i| {
                let others: Vec<&[f64]> = all.iter().enumerate().filter(|(k, _)| *k != i).map(|(_, s)| *s).collect();
                let (m, a) = fit(&others);
                scaled_manhattan(&m, &a, all[i])
            })
            .sum::<f64>()
            / all.len() as f64;
        let threshold = (THRESHOLD_FACTOR * left_out).clamp(THRESHOLD_FLOOR, THRESHOLD_CEILING);
        Some(Self { mean, spread, threshold })
    }

    /// The distance of `x` from the model; none for a sample of another length.
    pub fn distance(&self, x: &[f64]) -> Option<f64> {
        (x.len() == self.mean.len()).then(|| scaled_manhattan(&self.mean, &self.spread, x))
    }

    /// The largest distance accepted.
    pub fn threshold(&self) -> f64 {
        self.threshold
    }

    /// Whether `x` is close enough to be the enrolled typist's.
    pub fn accepts(&self, x: &[f64]) -> bool {
        self.distance(x).is_some_and(|d| d.is_finite() && d <= self.threshold)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_distance_is_scaled_by_each_features_spread() {
        // Feature 0 varies by ±20 around 100, feature 1 by ±40 around 200.
        let samples = vec![vec![80.0, 160.0], vec![120.0, 240.0], vec![80.0, 240.0], vec![120.0, 160.0]];
        let m = Model::new(&samples).unwrap();
        assert_eq!(m.distance(&[100.0, 200.0]), Some(0.0));
        // One spread off on each feature: distance 1.
        assert_eq!(m.distance(&[120.0, 160.0]), Some(1.0));
        assert_eq!(m.distance(&[100.0, 280.0]), Some(1.0));
        assert_eq!(m.distance(&[1.0]), None);
        assert!(m.accepts(&[110.0, 220.0]) && !m.accepts(&[200.0, 400.0]) && !m.accepts(&[f64::NAN, 1.0]));
        assert!(format!("{m:?}").starts_with("Model { features: 2, threshold: "));
    }

    #[test]
    fn the_spread_has_a_floor_and_the_threshold_bounds() {
        // Identical samples: the spread is the floor, the threshold the least one.
        let same = Model::new(&[vec![100.0; 3], vec![100.0; 3], vec![100.0; 3]]).unwrap();
        assert_eq!(same.threshold(), THRESHOLD_FLOOR);
        assert_eq!(same.distance(&[100.0 + SPREAD_FLOOR_MS; 3]), Some(1.0));
        // An enrollment with a wild sample: the threshold stops at the ceiling.
        let wild =
            Model::new(&[vec![100.0, 100.0], vec![100.0, 100.0], vec![100.0, 100.0], vec![900.0, 900.0]]).unwrap();
        assert_eq!(wild.threshold(), THRESHOLD_CEILING);
        assert!(Model::new(&[vec![1.0]]).is_none() && Model::new(&[vec![1.0], vec![1.0, 2.0]]).is_none());
        assert!(Model::new(&[vec![], vec![]]).is_none());
    }
}
