//! The typing pattern a client sends: what the user's keyboard did while they typed the phrase,
//! read strictly, and the timing features the score compares.
//!
//! # Format
//!
//! `pattern` is the standard base64 (RFC 4648, padding optional) of this UTF-8 JSON:
//!
//! ```json
//! {"version": 1, "keystrokes": [
//!   {"key": "t", "down": 1520.4, "up": 1601.9},
//!   {"key": "h", "down": 1655.0, "up": 1730.2}
//! ]}
//! ```
//!
//! one entry per key press, in the order the keys went down: `key` is the browser's
//! `KeyboardEvent.key`, `down` and `up` are the `keydown` and `keyup` times in milliseconds
//! (`event.timeStamp` or `performance.now()`: any origin, only differences count). A page makes
//! it with `btoa(JSON.stringify({version: 1, keystrokes}))` (the phrases are ASCII).
//!
//! Rules (anything else is a 400 naming the rule, never the value):
//! - at most [`MAX_TEXT`] characters of base64 and [`MAX_KEYSTROKES`] keystrokes; no other field;
//! - `key` is 1 to [`MAX_KEY`] characters; the modifier keys (`Shift`, `CapsLock`, `Control`,
//!   `Alt`, `AltGraph`, `Meta`) are allowed and ignored;
//! - times are finite, 0 to 10^9 ms; `up` is not before `down`; `down` never goes back; a key is
//!   held at most [`MAX_DWELL_MS`] and the whole phrase takes at most [`MAX_SPAN_MS`].
//!
//! The other keys must spell the phrase exactly, one key per character (space is `" "`): a
//! correction (`Backspace`) or an `Enter` makes a pattern of another text. Clients start over
//! when the user corrects a typo.
//!
//! # Features
//!
//! For a phrase of `n` characters: the `n` dwell times (`up - down` of each key) then the `n - 1`
//! flight times (`down` of a key minus `up` of the one before: negative when keys overlap), so
//! each position of the phrase (a key, a digraph) is one feature.

use base64::Engine as _;
use base64::engine::{DecodePaddingMode, GeneralPurpose, GeneralPurposeConfig};
use kit::DomainError;
use serde::Deserialize;

/// Most base64 characters in a pattern.
pub const MAX_TEXT: usize = 24 * 1024;
/// Most keystrokes in a pattern.
pub const MAX_KEYSTROKES: usize = 256;
/// Longest `key` name.
pub const MAX_KEY: usize = 16;
/// Longest a key may be held (ms).
pub const MAX_DWELL_MS: f64 = 10_000.0;
/// Longest the whole pattern may take (ms).
pub const MAX_SPAN_MS: f64 = 300_000.0;
/// Largest time accepted (ms): a page open for about 11 days.
const MAX_TIME_MS: f64 = 1e9;
/// The keys that change what another key types, and are not part of the text.
const MODIFIERS: [&str; 6] = ["Shift", "CapsLock", "Control", "Alt", "AltGraph", "Meta"];

const BASE64: GeneralPurpose = GeneralPurpose::new(
    &base64::alphabet::STANDARD,
    GeneralPurposeConfig::new().with_decode_padding_mode(DecodePaddingMode::Indifferent),
);

/// One key press.
#[derive(Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Keystroke {
    pub key: String,
    pub down: f64,
    pub up: f64,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct Document {
    version: u32,
    keystrokes: Vec<Keystroke>,
}

/// A pattern read and checked: the key presses of the text, modifiers left out.
#[derive(Clone)]
pub struct Pattern {
    strokes: Vec<Keystroke>,
}

impl std::fmt::Debug for Pattern {
    /// The count only: timings are biometric data.
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "Pattern({} keystrokes)", self.strokes.len())
    }
}

fn invalid(field: &str, what: impl std::fmt::Display) -> DomainError {
    DomainError::Invalid(format!("{field} {what}"))
}

/// Reads `text`, the `field` of a request (see the module's doc for the format).
pub fn parse(field: &str, text: &str) -> Result<Pattern, DomainError> {
    let text = text.trim();
    if text.is_empty() || text.len() > MAX_TEXT {
        return Err(invalid(field, format_args!("must be 1 to {MAX_TEXT} characters of base64")));
    }
    let bytes = BASE64.decode(text).map_err(|_| invalid(field, "must be standard base64"))?;
    let json = String::from_utf8(bytes).map_err(|_| invalid(field, "must be base64 of UTF-8 JSON"))?;
    let doc: Document = envelope::deser::from_str(&json).map_err(|e| invalid(field, format_args!("JSON: {e}")))?;
    if doc.version != 1 {
        return Err(invalid(field, "version must be 1"));
    }
    if doc.keystrokes.is_empty() || doc.keystrokes.len() > MAX_KEYSTROKES {
        return Err(invalid(field, format_args!("must hold 1 to {MAX_KEYSTROKES} keystrokes")));
    }
    let first = doc.keystrokes[0].down;
    let mut last_down = f64::NEG_INFINITY;
    for (i, k) in doc.keystrokes.iter().enumerate() {
        let at = |what: &str| invalid(field, format_args!("keystrokes[{i}]: {what}"));
        let n = k.key.chars().count();
        if n == 0 || n > MAX_KEY || k.key.chars().any(char::is_control) {
            return Err(at(&format!("key must be 1 to {MAX_KEY} printable characters")));
        }
        let in_range = |t: f64| t.is_finite() && (0.0..=MAX_TIME_MS).contains(&t);
        if !in_range(k.down) || !in_range(k.up) {
            return Err(at("down and up must be times in ms from 0 to 1e9"));
        }
        if k.up < k.down || k.up - k.down > MAX_DWELL_MS {
            return Err(at(&format!("up must come 0 to {MAX_DWELL_MS} ms after down")));
        }
        if k.down < last_down {
            return Err(at("keystrokes must be in the order the keys went down"));
        }
        if k.up - first > MAX_SPAN_MS {
            return Err(at(&format!("the pattern must take at most {MAX_SPAN_MS} ms")));
        }
        last_down = k.down;
    }
    let strokes = doc.keystrokes.into_iter().filter(|k| !MODIFIERS.contains(&k.key.as_str())).collect();
    Ok(Pattern { strokes })
}

impl Pattern {
    /// Whether the keys spell `phrase`, one key per character.
    pub fn types(&self, phrase: &str) -> bool {
        let mut chars = phrase.chars();
        let same = self.strokes.iter().all(|k| {
            let mut key = k.key.chars();
            matches!((key.next(), key.next(), chars.next()), (Some(a), None, Some(b)) if a == b)
        });
        same && chars.next().is_none()
    }

    /// The features of a pattern that types `phrase` (see the module's doc); none when it types
    /// another text.
    pub fn features(&self, phrase: &str) -> Option<Vec<f64>> {
        if !self.types(phrase) || self.strokes.is_empty() {
            return None;
        }
        let dwell = self.strokes.iter().map(|k| k.up - k.down);
        let flight = self.strokes.windows(2).map(|w| w[1].down - w[0].up);
        Some(dwell.chain(flight).collect())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn encode(doc: &serde_json::Value) -> String {
        base64::engine::general_purpose::STANDARD.encode(doc.to_string())
    }

    fn typed(text: &str) -> serde_json::Value {
        let strokes: Vec<_> = text
            .chars()
            .enumerate()
            .map(|(i, c)| {
                let down = 1000.0 + 150.0 * i as f64;
                json!({"key": c.to_string(), "down": down, "up": down + 80.0})
            })
            .collect();
        json!({"version": 1, "keystrokes": strokes})
    }

    #[test]
    fn a_pattern_gives_dwell_then_flight_times() {
        let p = parse("pattern", &encode(&typed("abc"))).unwrap();
        assert!(p.types("abc") && !p.types("ab") && !p.types("abcd") && !p.types("abd"));
        assert_eq!(p.features("abc").unwrap(), vec![80.0, 80.0, 80.0, 70.0, 70.0]);
        assert_eq!(p.features("abd"), None);
        assert_eq!(format!("{p:?}"), "Pattern(3 keystrokes)");
        // Padding is optional; modifiers are left out; overlapping keys give negative flights.
        let doc = json!({"version": 1, "keystrokes": [
            {"key": "Shift", "down": 0, "up": 300},
            {"key": "A", "down": 10, "up": 100},
            {"key": " ", "down": 90, "up": 150},
        ]});
        let text = encode(&doc).trim_end_matches('=').to_owned();
        let p = parse("pattern", &text).unwrap();
        assert_eq!(p.features("A ").unwrap(), vec![90.0, 60.0, -10.0]);
    }

    #[test]
    fn garbage_is_refused_without_quoting_it() {
        let secret = "s3cr3t-value";
        let cases = [
            (String::new(), "1 to"),
            ("!!!".to_owned(), "standard base64"),
            ("A".repeat(MAX_TEXT + 4), "1 to"),
            (base64::engine::general_purpose::STANDARD.encode([0xff, 0xfe]), "UTF-8"),
            (encode(&json!(secret)), "JSON"),
            (encode(&json!({"version": 1, "keystrokes": [], secret: 1})), "JSON"),
            (encode(&json!({"version": 2, "keystrokes": [{"key": "a", "down": 0, "up": 1}]})), "version"),
            (encode(&json!({"version": 1, "keystrokes": []})), "1 to 256"),
            (encode(&json!({"version": 1, "keystrokes": [{"key": secret, "down": "x", "up": 1}]})), "JSON"),
            (encode(&json!({"version": 1, "keystrokes": [{"key": "", "down": 0, "up": 1}]})), "keystrokes[0]: key"),
            (encode(&json!({"version": 1, "keystrokes": [{"key": "\n", "down": 0, "up": 1}]})), "printable"),
            (encode(&json!({"version": 1, "keystrokes": [{"key": "a", "down": -1, "up": 1}]})), "from 0 to 1e9"),
            (encode(&json!({"version": 1, "keystrokes": [{"key": "a", "down": 5, "up": 4}]})), "after down"),
            (encode(&json!({"version": 1, "keystrokes": [{"key": "a", "down": 0, "up": 20000}]})), "after down"),
            (
                encode(&json!({"version": 1, "keystrokes": [
                    {"key": "a", "down": 50, "up": 60}, {"key": "b", "down": 40, "up": 70}]})),
                "keystrokes[1]: keystrokes must be in the order",
            ),
            (
                encode(&json!({"version": 1, "keystrokes": [
                    {"key": "a", "down": 0, "up": 60}, {"key": "b", "down": 299_999, "up": 300_001}]})),
                "at most",
            ),
        ];
        for (text, needle) in cases {
            let e = parse("pattern", &text).unwrap_err().to_string();
            assert!(e.starts_with("pattern ") && e.contains(needle), "{e:?} lacks {needle:?}");
            assert!(!e.contains(secret) && !e.contains("s3cr3t"), "{e}");
        }
        let too_many: Vec<_> = (0..=MAX_KEYSTROKES).map(|i| json!({"key": "a", "down": i, "up": i})).collect();
        let e = parse("pattern", &encode(&json!({"version": 1, "keystrokes": too_many}))).unwrap_err();
        assert!(e.to_string().contains("1 to 256"), "{e}");
    }
}
