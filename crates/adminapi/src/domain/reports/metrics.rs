//! Metrics computed from a community's events in a window: `M_C_*` are one count over the window,
//! the others a series of counts per day (per hour when `from` equals `to`: the hours of that
//! day), labelled in the requested time zone (`UTC` or a fixed offset `±HH:MM`).

use std::collections::{BTreeMap, BTreeSet};

use chrono::DateTime;
use kit::DomainError;
use serde_json::{Value, json};

use super::Event;
use super::csv::Table;
use super::names;
use super::window::{DAY_MS, Window};

const HOUR_MS: i64 = 3_600_000;

/// A metric of the spec.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Metric {
    /// Distinct users who signed in.
    ActiveUsers,
    /// Refused sign-ins.
    LoginsFailed,
    /// Sign-ins.
    Logins,
    /// Devices registered.
    NewDevices,
    /// Redirects to service providers, per application and day.
    ApplicationUsage,
    /// Refused sign-ins per day.
    LoginsFailedSeries,
    /// Sign-ins per day.
    SuccessfulAuthentications,
    /// Devices registered per day.
    NewDevicesSeries,
}

impl Metric {
    /// The names of the spec, in the order of [`Self::ALL`].
    pub const NAMES: [&'static str; 8] = [
        "M_C_ACTIVE_USER",
        "M_C_LOGIN_FAILED",
        "M_C_LOGINS",
        "M_C_NEW_DEVICES",
        "M_G_APPLICATION_USAGE",
        "M_G_LOGIN_FAILED",
        "M_GT_SUCCESSFUL_AUTHENTICATIONS",
        "M_T_NEW_DEVICES",
    ];
    const ALL: [Self; 8] = [
        Self::ActiveUsers,
        Self::LoginsFailed,
        Self::Logins,
        Self::NewDevices,
        Self::ApplicationUsage,
        Self::LoginsFailedSeries,
        Self::SuccessfulAuthentications,
        Self::NewDevicesSeries,
    ];

    /// The metric named `name` (`metricsName`).
    pub fn parse(name: &str) -> Result<Self, DomainError> {
        Self::NAMES
            .iter()
            .position(|n| *n == name)
            .and_then(|i| Self::ALL.get(i).copied())
            .ok_or_else(|| DomainError::Invalid(format!("metricsName must be one of {}", Self::NAMES.join(", "))))
    }

    /// The spec's name.
    pub fn name(self) -> &'static str {
        Self::ALL.iter().position(|m| *m == self).and_then(|i| Self::NAMES.get(i)).copied().unwrap_or_default()
    }

    /// The events it counts.
    pub fn event_name(self) -> &'static str {
        match self {
            Self::ActiveUsers | Self::Logins | Self::SuccessfulAuthentications => names::LOGIN_SUCCEEDED,
            Self::LoginsFailed | Self::LoginsFailedSeries => names::LOGIN_FAILED,
            Self::NewDevices | Self::NewDevicesSeries => names::NEW_DEVICE,
            Self::ApplicationUsage => names::SP_REDIRECT_SUCCEEDED,
        }
    }

    /// Whether it is one count (`M_C_*`).
    pub fn is_count(self) -> bool {
        self.name().starts_with("M_C_")
    }
}

/// A time zone as a fixed offset from UTC, in seconds.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Zone(i64);

impl Zone {
    /// `responseTimezone`: `UTC` (the default), `Z`, or `±HH:MM` (at most 14 hours).
    pub fn parse(text: Option<&str>) -> Result<Self, DomainError> {
        let bad = || DomainError::Invalid("responseTimezone must be UTC or an offset like +05:30".into());
        let Some(text) = text.map(str::trim).filter(|t| !t.is_empty()) else { return Ok(Self(0)) };
        if text.eq_ignore_ascii_case("utc") || text == "Z" {
            return Ok(Self(0));
        }
        let (sign, rest) = match text.as_bytes().first() {
            Some(b'+') => (1, &text[1..]),
            Some(b'-') => (-1, &text[1..]),
            _ => return Err(bad()),
        };
        let (h, m) = rest.split_once(':').ok_or_else(bad)?;
        if h.len() != 2 || m.len() != 2 {
            return Err(bad());
        }
        let (h, m): (i64, i64) = (h.parse().map_err(|_| bad())?, m.parse().map_err(|_| bad())?);
        if h > 14 || m > 59 || (h == 14 && m > 0) {
            return Err(bad());
        }
        Ok(Self(sign * (h * 3600 + m * 60)))
    }

    fn ms(self) -> i64 {
        self.0 * 1000
    }
}

/// Per day or per hour.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Step {
    Day,
    Hour,
}

impl Step {
    fn ms(self) -> i64 {
        match self {
            Self::Day => DAY_MS,
            Self::Hour => HOUR_MS,
        }
    }
}

/// The window a metric covers and its step: when `from` equals `to`, the day of `from` in `zone`
/// by hours; else the window by days.
pub fn span(window: Window, zone: Zone) -> (Window, Step) {
    if window.from == window.to {
        let start = (window.from + zone.ms()).div_euclid(DAY_MS) * DAY_MS - zone.ms();
        (Window { from: start, to: start + DAY_MS - 1 }, Step::Hour)
    } else {
        (window, Step::Day)
    }
}

fn label(at: i64, step: Step, zone: Zone) -> String {
    let format = if step == Step::Day { "%Y-%m-%d" } else { "%Y-%m-%d %H:00" };
    DateTime::from_timestamp_millis(at + zone.ms())
        .map(|t| t.naive_utc().format(format).to_string())
        .unwrap_or_default()
}

/// The metric over `events` (those named by [`Metric::event_name`] in the window): `{"count"}`
/// for `M_C_*`, else a list of `{date, count}` (with `application` for the application usage),
/// one per step of the window, oldest first (the application usage lists the steps that had
/// any).
pub fn compute(metric: Metric, events: &[Event], window: Window, step: Step, zone: Zone) -> Value {
    if metric.is_count() {
        let count = if metric == Metric::ActiveUsers {
            events.iter().filter(|e| !e.user_id.is_empty()).map(|e| e.user_id.as_str()).collect::<BTreeSet<_>>().len()
        } else {
            events.len()
        };
        return json!({"count": count});
    }
    let bucket = |at: i64| (at + zone.ms()).div_euclid(step.ms()) * step.ms() - zone.ms();
    if metric == Metric::ApplicationUsage {
        let mut counts: BTreeMap<(i64, &str), u64> = BTreeMap::new();
        for e in events {
            *counts.entry((bucket(e.event_ts), e.application.as_str())).or_default() += 1;
        }
        return counts
            .into_iter()
            .map(|((at, app), count)| json!({"date": label(at, step, zone), "application": app, "count": count}))
            .collect();
    }
    let mut counts: BTreeMap<i64, u64> = BTreeMap::new();
    let mut at = bucket(window.from);
    while at <= window.to {
        counts.insert(at, 0);
        at += step.ms();
    }
    for e in events {
        *counts.entry(bucket(e.event_ts)).or_default() += 1;
    }
    counts.into_iter().map(|(at, count)| json!({"date": label(at, step, zone), "count": count})).collect()
}

/// The metric as a table (for a download).
pub fn table(metric: Metric, value: &Value) -> Table {
    if metric.is_count() {
        let mut t = Table::new(&["metricsName", "count"]);
        t.rows.push(vec![metric.name().to_owned(), value["count"].to_string()]);
        return t;
    }
    let with_app = metric == Metric::ApplicationUsage;
    let mut t = if with_app { Table::new(&["date", "application", "count"]) } else { Table::new(&["date", "count"]) };
    for row in value.as_array().into_iter().flatten() {
        let mut cells = vec![row["date"].as_str().unwrap_or_default().to_owned()];
        if with_app {
            cells.push(row["application"].as_str().unwrap_or_default().to_owned());
        }
        cells.push(row["count"].to_string());
        t.rows.push(cells);
    }
    t
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::reports::window::parse_date;

    fn at(text: &str) -> i64 {
        parse_date("t", text).unwrap()
    }

    fn event(name: &str, ts: &str, user: &str, app: &str) -> Event {
        Event::of("t", "c", name, at(ts), json!({"user_id": user, "application": app}))
    }

    #[test]
    fn names_and_zones_are_checked() {
        assert_eq!(Metric::parse("M_GT_SUCCESSFUL_AUTHENTICATIONS").unwrap(), Metric::SuccessfulAuthentications);
        assert_eq!(Metric::SuccessfulAuthentications.name(), "M_GT_SUCCESSFUL_AUTHENTICATIONS");
        assert!(
            Metric::parse("M_X").unwrap_err().to_string().starts_with("metricsName must be one of M_C_ACTIVE_USER")
        );
        assert_eq!(Zone::parse(None).unwrap(), Zone(0));
        assert_eq!(Zone::parse(Some("UTC")).unwrap(), Zone(0));
        assert_eq!(Zone::parse(Some("+05:30")).unwrap(), Zone(19_800));
        assert_eq!(Zone::parse(Some("-03:00")).unwrap(), Zone(-10_800));
        for bad in ["Europe/Paris", "+5", "+15:00", "+05:60", "05:00"] {
            assert!(Zone::parse(Some(bad)).is_err(), "{bad}");
        }
    }

    #[test]
    fn counts_and_daily_series_cover_the_window() {
        let events = vec![
            event(names::LOGIN_SUCCEEDED, "2024-01-01 10:00:00.000", "jane", ""),
            event(names::LOGIN_SUCCEEDED, "2024-01-01 23:30:00.000", "jane", ""),
            event(names::LOGIN_SUCCEEDED, "2024-01-03 01:00:00.000", "bob", ""),
        ];
        let w = Window { from: at("2024-01-01 00:00:00.000"), to: at("2024-01-03 12:00:00.000") };
        let (w, step) = span(w, Zone(0));
        assert_eq!(step, Step::Day);
        assert_eq!(compute(Metric::ActiveUsers, &events, w, step, Zone(0)), json!({"count": 2}));
        assert_eq!(compute(Metric::Logins, &events, w, step, Zone(0)), json!({"count": 3}));
        assert_eq!(
            compute(Metric::SuccessfulAuthentications, &events, w, step, Zone(0)),
            json!([{"date": "2024-01-01", "count": 2}, {"date": "2024-01-02", "count": 0}, {"date": "2024-01-03", "count": 1}])
        );
        // At +01:00 the 23:30 login is on the 2nd.
        let zone = Zone::parse(Some("+01:00")).unwrap();
        let series = compute(Metric::SuccessfulAuthentications, &events, w, step, zone);
        assert_eq!(series[0], json!({"date": "2024-01-01", "count": 1}));
        assert_eq!(series[1], json!({"date": "2024-01-02", "count": 1}));
    }

    #[test]
    fn from_equal_to_gives_the_hours_of_that_day() {
        let t = at("2024-01-01 10:15:00.000");
        let (w, step) = span(Window { from: t, to: t }, Zone(0));
        assert_eq!((w.from, w.to, step), (at("2024-01-01 00:00:00.000"), at("2024-01-01 23:59:59.999"), Step::Hour));
        let events = vec![
            event(names::SP_REDIRECT_SUCCEEDED, "2024-01-01 10:20:00.000", "jane", "gsuite"),
            event(names::SP_REDIRECT_SUCCEEDED, "2024-01-01 10:40:00.000", "bob", "gsuite"),
            event(names::SP_REDIRECT_SUCCEEDED, "2024-01-01 11:00:00.000", "bob", "slack"),
        ];
        assert_eq!(compute(Metric::LoginsFailedSeries, &[], w, step, Zone(0)).as_array().unwrap().len(), 24);
        let usage = compute(Metric::ApplicationUsage, &events, w, step, Zone(0));
        assert_eq!(
            usage,
            json!([{"date": "2024-01-01 10:00", "application": "gsuite", "count": 2},
                   {"date": "2024-01-01 11:00", "application": "slack", "count": 1}])
        );
        assert_eq!(table(Metric::ApplicationUsage, &usage).rows[1], vec!["2024-01-01 11:00", "slack", "1"]);
    }
}
