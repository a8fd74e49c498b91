//! The window and the page of a report request. Dates are `YYYY-MM-DD HH:mm:ss.SSS` (UTC);
//! `from` defaults to 30 days before `to`, `to` to now; `from` may be at most 90 days back.
//! `pSize` defaults to 10 (at most [`MAX_PAGE_SIZE`]), `pIndex` to 0. Every refusal names the
//! field and never repeats its value.

use chrono::{DateTime, NaiveDateTime};
use kit::DomainError;

/// The format of `from` and `to`.
pub const FORMAT: &str = "%Y-%m-%d %H:%M:%S%.3f";
/// The largest page.
pub const MAX_PAGE_SIZE: u64 = 100;
/// The last page index one may ask for.
pub const MAX_PAGE_INDEX: u64 = 10_000;
/// How far back `from` may go.
pub const MAX_DAYS_BACK: i64 = 90;
/// `from`'s default distance before `to`.
pub const DEFAULT_DAYS: i64 = 30;
/// How far ahead of now `to` may be (clients' clocks differ).
pub const FUTURE_SLACK_MS: i64 = DAY_MS;
/// One day in milliseconds.
pub const DAY_MS: i64 = 86_400_000;

/// A window of time: `[from, to]`, epoch milliseconds.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Window {
    pub from: i64,
    pub to: i64,
}

/// Epoch milliseconds of a `YYYY-MM-DD HH:mm:ss.SSS` date (UTC).
pub fn parse_date(field: &str, text: &str) -> Result<i64, DomainError> {
    let bad = || DomainError::Invalid(format!("{field} must be a date in the format YYYY-MM-DD HH:mm:ss.SSS"));
    // chrono's `%.3f` also takes other numbers of digits: the format has exactly three.
    if text.len() != 23 {
        return Err(bad());
    }
    let t = NaiveDateTime::parse_from_str(text, FORMAT).map_err(|_| bad())?;
    Ok(t.and_utc().timestamp_millis())
}

/// The `YYYY-MM-DD HH:mm:ss.SSS` text of epoch milliseconds (UTC).
pub fn format_date(epoch_ms: i64) -> String {
    DateTime::from_timestamp_millis(epoch_ms).map(|t| t.format(FORMAT).to_string()).unwrap_or_default()
}

impl Window {
    /// The window of a request's `from` and `to` at `now` (epoch milliseconds).
    pub fn parse(from: Option<&str>, to: Option<&str>, now: i64) -> Result<Self, DomainError> {
        let to = match to {
            Some(t) => parse_date("to", t)?,
            None => now,
        };
        if to > now.saturating_add(FUTURE_SLACK_MS) {
            return Err(DomainError::Invalid("to must not be in the future".into()));
        }
        let earliest = now.saturating_sub(MAX_DAYS_BACK * DAY_MS);
        let from = match from {
            Some(f) => parse_date("from", f)?,
            None => to.saturating_sub(DEFAULT_DAYS * DAY_MS).max(earliest),
        };
        if from < earliest {
            return Err(DomainError::Invalid(format!("from must be within the last {MAX_DAYS_BACK} days")));
        }
        if from > to {
            return Err(DomainError::Invalid("from must not be after to".into()));
        }
        Ok(Self { from, to })
    }
}

/// A page: its index and size, and the rows it skips.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Page {
    pub index: u64,
    pub size: u64,
}

impl Page {
    /// The page of a request's `pIndex` and `pSize`.
    pub fn parse(index: Option<u64>, size: Option<u64>) -> Result<Self, DomainError> {
        let size = size.unwrap_or(10);
        if size == 0 || size > MAX_PAGE_SIZE {
            return Err(DomainError::Invalid(format!("pSize must be 1 to {MAX_PAGE_SIZE}")));
        }
        let index = index.unwrap_or(0);
        if index > MAX_PAGE_INDEX {
            return Err(DomainError::Invalid(format!("pIndex must be 0 to {MAX_PAGE_INDEX}")));
        }
        Ok(Self { index, size })
    }

    /// The rows before the page.
    pub fn offset(&self) -> u64 {
        self.index.saturating_mul(self.size)
    }

    /// The `page` object of a reply.
    pub fn reply(&self, total: u64) -> serde_json::Value {
        serde_json::json!({"pSize": self.size, "pIndex": self.index, "total": total})
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const NOW: i64 = 1_700_000_000_000;

    fn message(e: DomainError) -> String {
        e.to_string()
    }

    #[test]
    fn dates_are_parsed_in_the_one_format_and_back() {
        assert_eq!(parse_date("from", "2023-11-14 22:13:20.000").unwrap(), NOW);
        assert_eq!(format_date(NOW + 7), "2023-11-14 22:13:20.007");
        for bad in ["2023-11-14", "2023-11-14 22:13:20", "2023-11-14 22:13:20.0001", "2023-13-14 22:13:20.000", "x"] {
            let e = message(parse_date("from", bad).unwrap_err());
            assert_eq!(e, "from must be a date in the format YYYY-MM-DD HH:mm:ss.SSS");
        }
    }

    #[test]
    fn the_window_defaults_to_thirty_days_and_goes_back_at_most_ninety() {
        assert_eq!(Window::parse(None, None, NOW).unwrap(), Window { from: NOW - 30 * DAY_MS, to: NOW });
        let to = format_date(NOW - 70 * DAY_MS);
        // From defaults to 30 days before `to`, but never before the 90 days.
        assert_eq!(
            Window::parse(None, Some(&to), NOW).unwrap(),
            Window { from: NOW - 90 * DAY_MS, to: NOW - 70 * DAY_MS }
        );
        let from = format_date(NOW - 90 * DAY_MS);
        assert_eq!(Window::parse(Some(&from), None, NOW).unwrap().from, NOW - 90 * DAY_MS);
        let too_old = format_date(NOW - 90 * DAY_MS - 1);
        assert_eq!(
            message(Window::parse(Some(&too_old), None, NOW).unwrap_err()),
            "from must be within the last 90 days"
        );
        let (a, b) = (format_date(NOW - DAY_MS), format_date(NOW - 2 * DAY_MS));
        assert_eq!(message(Window::parse(Some(&a), Some(&b), NOW).unwrap_err()), "from must not be after to");
        assert_eq!(Window::parse(Some(&a), Some(&a), NOW).unwrap(), Window { from: NOW - DAY_MS, to: NOW - DAY_MS });
        let future = format_date(NOW + 2 * DAY_MS);
        assert_eq!(message(Window::parse(None, Some(&future), NOW).unwrap_err()), "to must not be in the future");
    }

    #[test]
    fn pages_default_to_ten_from_zero_and_are_bounded() {
        assert_eq!(Page::parse(None, None).unwrap(), Page { index: 0, size: 10 });
        assert_eq!(Page::parse(Some(3), Some(100)).unwrap().offset(), 300);
        assert_eq!(message(Page::parse(None, Some(0)).unwrap_err()), "pSize must be 1 to 100");
        assert_eq!(message(Page::parse(None, Some(101)).unwrap_err()), "pSize must be 1 to 100");
        assert_eq!(message(Page::parse(Some(10_001), None).unwrap_err()), "pIndex must be 0 to 10000");
    }
}
