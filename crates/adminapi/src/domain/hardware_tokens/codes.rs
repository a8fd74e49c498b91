//! The codes of hardware tokens: HOTP (RFC 4226, HMAC-SHA1 over a counter, dynamically
//! truncated) and TOTP (RFC 6238, HOTP over the time step), seeds given in hex or base32, and the
//! bounded searches that verification and resynchronisation make. Codes are compared in
//! constant time.

use hmac::{Hmac, KeyInit as _, Mac as _};
use sha1::Sha1;
use subtle::ConstantTimeEq as _;
use zeroize::Zeroizing;

/// The shortest seed accepted (80 bits, the size of many hardware tokens).
pub const MIN_SEED_BYTES: usize = 10;
/// The longest seed accepted.
pub const MAX_SEED_BYTES: usize = 64;

/// The HOTP value of `seed` at `counter` with `digits` digits (6 to 8), zero-padded.
pub fn hotp(seed: &[u8], counter: u64, digits: u32) -> String {
    let Ok(mut mac) = Hmac::<Sha1>::new_from_slice(seed) else { return String::new() };
    mac.update(&counter.to_be_bytes());
    let hash = mac.finalize().into_bytes();
    let offset = usize::from(hash[hash.len() - 1] & 0x0f);
    let binary = u32::from_be_bytes([hash[offset] & 0x7f, hash[offset + 1], hash[offset + 2], hash[offset + 3]]);
    let value = binary % 10u32.pow(digits);
    format!("{value:0width$}", width = digits as usize)
}

/// The TOTP time step of `epoch` seconds with `period` seconds per step.
pub fn time_step(epoch: i64, period: u64) -> u64 {
    u64::try_from(epoch).unwrap_or(0) / period.max(1)
}

/// Whether `given` equals `expected`, in time independent of where they differ.
pub fn same_code(given: &str, expected: &str) -> bool {
    given.len() == expected.len() && bool::from(given.as_bytes().ct_eq(expected.as_bytes()))
}

/// The first counter in `from..from + window` whose code is `code`.
pub fn find(seed: &[u8], digits: u32, code: &str, from: u64, window: u64) -> Option<u64> {
    (from..from.saturating_add(window)).find(|c| same_code(code, &hotp(seed, *c, digits)))
}

/// The first counter `c` in `from..from + window` where `codes` are the codes of `c`, `c + 1`…
pub fn find_run(seed: &[u8], digits: u32, codes: &[&str], from: u64, window: u64) -> Option<u64> {
    (from..from.saturating_add(window))
        .find(|c| codes.iter().zip(*c..).all(|(code, at)| same_code(code, &hotp(seed, at, digits))))
}

/// Why a seed was refused (never holding the seed).
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum SeedError {
    #[error("seed must be an even number of hex digits")]
    Hex,
    #[error("seed must be base32 (A-Z, 2-7, optional = padding)")]
    Base32,
    #[error("seed must be 10 to 64 bytes (80 to 512 bits)")]
    Length,
}

/// How a seed is written.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SeedFormat {
    Hex,
    Base32,
}

/// The bytes of `text` written in `format` (spaces and dashes ignored), 10 to 64 of them.
pub fn decode_seed(text: &str, format: SeedFormat) -> Result<Zeroizing<Vec<u8>>, SeedError> {
    let clean: Zeroizing<String> = Zeroizing::new(text.chars().filter(|c| !matches!(c, ' ' | '-')).collect());
    let bytes = match format {
        SeedFormat::Hex => Zeroizing::new(hex::decode(clean.as_bytes()).map_err(|_| SeedError::Hex)?),
        SeedFormat::Base32 => base32(&clean)?,
    };
    if !(MIN_SEED_BYTES..=MAX_SEED_BYTES).contains(&bytes.len()) {
        return Err(SeedError::Length);
    }
    Ok(bytes)
}

/// RFC 4648 base32 (case-insensitive, padding optional).
fn base32(text: &str) -> Result<Zeroizing<Vec<u8>>, SeedError> {
    let mut out = Zeroizing::new(Vec::with_capacity(text.len() * 5 / 8));
    let (mut buffer, mut bits) = (0u32, 0u32);
    for c in text.trim_end_matches('=').bytes() {
        let value = match c.to_ascii_uppercase() {
            b @ b'A'..=b'Z' => b - b'A',
            b @ b'2'..=b'7' => b - b'2' + 26,
            _ => return Err(SeedError::Base32),
        };
        buffer = (buffer << 5) | u32::from(value);
        bits += 5;
        if bits >= 8 {
            bits -= 8;
            out.push(((buffer >> bits) & 0xff) as u8);
        }
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    const RFC4226_SEED: &[u8] = b"12345678901234567890";

    #[test]
    fn rfc4226_test_vectors() {
        let expected =
            ["755224", "287082", "359152", "969429", "338314", "254676", "287922", "162583", "399871", "520489"];
        for (counter, code) in expected.iter().enumerate() {
            assert_eq!(hotp(RFC4226_SEED, counter as u64, 6), *code, "counter {counter}");
        }
    }

    #[test]
    fn rfc6238_sha1_test_vectors() {
        let expected = [
            (59, "94287082"),
            (1_111_111_109, "07081804"),
            (1_111_111_111, "14050471"),
            (1_234_567_890, "89005924"),
            (2_000_000_000, "69279037"),
            (20_000_000_000, "65353130"),
        ];
        for (time, code) in expected {
            assert_eq!(hotp(RFC4226_SEED, time_step(time, 30), 8), code, "time {time}");
        }
    }

    #[test]
    fn seeds_decode_from_hex_and_base32_of_80_bits_and_more() {
        let hex_seed = "3132333435363738393031323334353637383930";
        assert_eq!(decode_seed(hex_seed, SeedFormat::Hex).unwrap().as_slice(), RFC4226_SEED);
        let b32 = "GEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQ";
        assert_eq!(decode_seed(b32, SeedFormat::Base32).unwrap().as_slice(), RFC4226_SEED);
        assert_eq!(decode_seed(&b32.to_lowercase(), SeedFormat::Base32).unwrap().as_slice(), RFC4226_SEED);
        assert_eq!(decode_seed("00112233445566778899", SeedFormat::Hex).unwrap().len(), 10);
        assert_eq!(decode_seed("001122334455667788", SeedFormat::Hex).unwrap_err(), SeedError::Length);
        assert_eq!(decode_seed("0011zz", SeedFormat::Hex).unwrap_err(), SeedError::Hex);
        assert_eq!(decode_seed("GEZDGNBV1", SeedFormat::Base32).unwrap_err(), SeedError::Base32);
    }

    #[test]
    fn searches_are_bounded_and_find_runs() {
        assert_eq!(find(RFC4226_SEED, 6, "969429", 0, 10), Some(3));
        assert_eq!(find(RFC4226_SEED, 6, "969429", 4, 10), None);
        assert_eq!(find(RFC4226_SEED, 6, "520489", 0, 9), None);
        assert_eq!(find_run(RFC4226_SEED, 6, &["338314", "254676", "287922"], 0, 10), Some(4));
        assert_eq!(find_run(RFC4226_SEED, 6, &["338314", "287922", "254676"], 0, 10), None);
        assert!(!same_code("75522", "755224"));
    }
}
