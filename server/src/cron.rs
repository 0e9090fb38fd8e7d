//! Cron schedules as Kubernetes reads them (robfig/cron's standard parser): five fields (minute, hour,
//! day of month, month, day of week) with `*`, `?`, lists, ranges, steps and month and weekday names; the
//! `@yearly`, `@annually`, `@monthly`, `@weekly`, `@daily`, `@midnight` and `@hourly` macros; and a time zone,
//! from `spec.timeZone` or a `TZ=`/`CRON_TZ=` prefix. Errors are worded as robfig's, since the API server
//! returns them to users.

use chrono::{DateTime, Datelike, Duration, NaiveDate, NaiveDateTime, TimeZone, Timelike, Utc};
use chrono_tz::Tz;

/// Set when a field was `*` or `?` (without a step): day-of-month and day-of-week then combine with AND.
const STAR: u64 = 1 << 63;

#[derive(Debug, Clone, PartialEq)]
pub struct Schedule {
    minute: u64,
    hour: u64,
    dom: u64,
    month: u64,
    dow: u64,
    zone: Option<Tz>,
}

struct Bounds {
    min: u32,
    max: u32,
    names: &'static [&'static str],
}

const MINUTE: Bounds = Bounds {
    min: 0,
    max: 59,
    names: &[],
};
const HOUR: Bounds = Bounds {
    min: 0,
    max: 23,
    names: &[],
};
const DOM: Bounds = Bounds {
    min: 1,
    max: 31,
    names: &[],
};
const MONTH: Bounds = Bounds {
    min: 1,
    max: 12,
    names: &[
        "jan", "feb", "mar", "apr", "may", "jun", "jul", "aug", "sep", "oct", "nov", "dec",
    ],
};
const DOW: Bounds = Bounds {
    min: 0,
    max: 6,
    names: &["sun", "mon", "tue", "wed", "thu", "fri", "sat"],
};

/// A time zone by IANA name, as `spec.timeZone` gives it.
pub fn zone(name: &str) -> Result<Tz, String> {
    name.parse::<Tz>()
        .map_err(|_| format!("unknown time zone {name}"))
}

/// Parses a schedule; `time_zone` is the CronJob's `spec.timeZone`, if set.
pub fn parse(spec: &str, time_zone: Option<&str>) -> Result<Schedule, String> {
    let mut spec = spec.trim();
    let mut zone_name = time_zone.filter(|z| !z.is_empty()).map(str::to_string);
    for prefix in ["TZ=", "CRON_TZ="] {
        if let Some(rest) = spec.strip_prefix(prefix) {
            let (name, tail) = rest.split_once(char::is_whitespace).unwrap_or((rest, ""));
            zone_name = Some(name.to_string());
            spec = tail.trim();
        }
    }
    let zone = match zone_name {
        Some(name) => Some(
            zone(&name)
                .map_err(|_| format!("provided bad location {name}: unknown time zone {name}"))?,
        ),
        None => None,
    };
    let expanded = match spec {
        "@yearly" | "@annually" => "0 0 1 1 *",
        "@monthly" => "0 0 1 * *",
        "@weekly" => "0 0 * * 0",
        "@daily" | "@midnight" => "0 0 * * *",
        "@hourly" => "0 * * * *",
        s if s.starts_with('@') => return Err(format!("unrecognized descriptor: {s}")),
        s => s,
    };
    let fields: Vec<&str> = expanded.split_whitespace().collect();
    if fields.len() != 5 {
        return Err(format!(
            "expected exactly 5 fields, found {}: {}",
            fields.len(),
            fields.join(" ")
        ));
    }
    Ok(Schedule {
        minute: field(fields[0], &MINUTE)?,
        hour: field(fields[1], &HOUR)?,
        dom: field(fields[2], &DOM)?,
        month: field(fields[3], &MONTH)?,
        dow: field(fields[4], &DOW)?,
        zone,
    })
}

/// One field: a comma-separated list of ranges, as bits.
fn field(text: &str, b: &Bounds) -> Result<u64, String> {
    text.split(',')
        .try_fold(0u64, |bits, part| Ok(bits | range(part, b)?))
}

fn range(expr: &str, b: &Bounds) -> Result<u64, String> {
    let (span, step) = match expr.split('/').collect::<Vec<_>>()[..] {
        [span] => (span, None),
        [span, step] => (span, Some(step)),
        _ => return Err(format!("too many slashes: {expr}")),
    };
    let (mut start, mut end, mut extra) = (b.min, b.max, 0);
    let single;
    if span == "*" || span == "?" {
        extra = STAR;
        single = false;
    } else {
        match span.split('-').collect::<Vec<_>>()[..] {
            [one] => {
                start = value(one, b)?;
                end = start;
                single = true;
            }
            [lo, hi] => {
                start = value(lo, b)?;
                end = value(hi, b)?;
                single = false;
            }
            _ => return Err(format!("too many hyphens: {expr}")),
        }
    }
    let step = match step {
        None => 1,
        Some(s) => {
            let n = number(s)?;
            // "N/step" means "N-max/step".
            if single {
                end = b.max;
            }
            if n > 1 {
                extra = 0;
            }
            n
        }
    };
    if start < b.min {
        return Err(format!(
            "beginning of range ({start}) below minimum ({}): {expr}",
            b.min
        ));
    }
    if end > b.max {
        return Err(format!(
            "end of range ({end}) above maximum ({}): {expr}",
            b.max
        ));
    }
    if start > end {
        return Err(format!(
            "beginning of range ({start}) beyond end of range ({end}): {expr}"
        ));
    }
    if step == 0 {
        return Err(format!("step of range should be a positive number: {expr}"));
    }
    let bits = (start..=end)
        .step_by(step as usize)
        .fold(0u64, |bits, i| bits | (1 << i));
    Ok(bits | extra)
}

fn value(text: &str, b: &Bounds) -> Result<u32, String> {
    let lower = text.to_ascii_lowercase();
    match b.names.iter().position(|n| *n == lower) {
        Some(i) => Ok(i as u32 + if b.min == 1 { 1 } else { 0 }),
        None => number(text),
    }
}

fn number(text: &str) -> Result<u32, String> {
    text.parse::<u32>()
        .map_err(|e| format!("failed to parse int from {text}: {e}"))
}

impl Schedule {
    fn has(bits: u64, i: u32) -> bool {
        bits & (1 << i) != 0
    }

    /// robfig's dayMatches: if either day field is a star, both must match; otherwise either may.
    fn day_matches(&self, d: NaiveDate) -> bool {
        let dom = Self::has(self.dom, d.day());
        let dow = Self::has(self.dow, d.weekday().num_days_from_sunday());
        if self.dom & STAR != 0 || self.dow & STAR != 0 {
            dom && dow
        } else {
            dom || dow
        }
    }

    /// The first scheduled time strictly after `t`, within five years.
    pub fn next_after(&self, t: DateTime<Utc>) -> Option<DateTime<Utc>> {
        let zone = self.zone.unwrap_or(Tz::UTC);
        let local = t.with_timezone(&zone).naive_local();
        // The next whole minute.
        let mut at = local.with_second(0)?.with_nanosecond(0)? + Duration::minutes(1);
        let limit = local + Duration::days(5 * 366);
        while at <= limit {
            if !Self::has(self.month, at.month()) {
                at = first_of_next_month(at)?;
                continue;
            }
            if !self.day_matches(at.date()) {
                at = at.date().succ_opt()?.and_hms_opt(0, 0, 0)?;
                continue;
            }
            if !Self::has(self.hour, at.hour()) {
                at = at.with_minute(0)? + Duration::hours(1);
                continue;
            }
            if !Self::has(self.minute, at.minute()) {
                at += Duration::minutes(1);
                continue;
            }
            // A local time skipped by a daylight-saving change does not happen; an ambiguous one
            // happens at its first occurrence.
            match zone.from_local_datetime(&at) {
                chrono::LocalResult::Single(x) | chrono::LocalResult::Ambiguous(x, _) => {
                    let utc = x.with_timezone(&Utc);
                    if utc > t {
                        return Some(utc);
                    }
                }
                chrono::LocalResult::None => {}
            }
            at += Duration::minutes(1);
        }
        None
    }

    /// The latest scheduled time in (`after`, `now`], and how many there were (counted up to `cap`).
    pub fn most_recent(
        &self,
        after: DateTime<Utc>,
        now: DateTime<Utc>,
        cap: usize,
    ) -> (Option<DateTime<Utc>>, usize) {
        let mut count = 0;
        let mut t = after;
        let mut last = None;
        while let Some(next) = self.next_after(t).filter(|n| *n <= now) {
            count += 1;
            last = Some(next);
            t = next;
            if count >= cap {
                break;
            }
        }
        if count < cap {
            return (last, count);
        }
        // Too many to walk one by one: find the latest from windows that widen back from now.
        for back in [1, 24, 24 * 32, 24 * 367, 24 * 367 * 5] {
            let from = (now - Duration::hours(back)).max(after);
            let mut t = from;
            let mut latest = None;
            while let Some(next) = self.next_after(t).filter(|n| *n <= now) {
                latest = Some(next);
                t = next;
            }
            if latest.is_some() || from == after {
                return (latest.or(last), count);
            }
        }
        (last, count)
    }

    /// The scheduled time written in the schedule's zone (for the scheduled-timestamp annotation).
    pub fn local(&self, t: DateTime<Utc>) -> String {
        let zone = self.zone.unwrap_or(Tz::UTC);
        t.with_timezone(&zone)
            .to_rfc3339_opts(chrono::SecondsFormat::Secs, true)
    }
}

fn first_of_next_month(at: NaiveDateTime) -> Option<NaiveDateTime> {
    let (y, m) = if at.month() == 12 {
        (at.year() + 1, 1)
    } else {
        (at.year(), at.month() + 1)
    };
    NaiveDate::from_ymd_opt(y, m, 1)?.and_hms_opt(0, 0, 0)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn utc(s: &str) -> DateTime<Utc> {
        DateTime::parse_from_rfc3339(s)
            .map(|t| t.with_timezone(&Utc))
            .unwrap_or_default()
    }

    fn next(spec: &str, zone: Option<&str>, from: &str) -> String {
        parse(spec, zone)
            .ok()
            .and_then(|s| s.next_after(utc(from)))
            .map(|t| t.to_rfc3339_opts(chrono::SecondsFormat::Secs, true))
            .unwrap_or_default()
    }

    #[test]
    fn fields_steps_ranges_and_names() {
        assert_eq!(
            next("*/5 * * * *", None, "2026-01-01T00:02:30Z"),
            "2026-01-01T00:05:00Z"
        );
        assert_eq!(
            next("*/5 * * * *", None, "2026-01-01T00:05:00Z"),
            "2026-01-01T00:10:00Z"
        );
        assert_eq!(
            next("30 9-17/4 * * MON-fri", None, "2026-01-02T14:00:00Z"),
            "2026-01-02T17:30:00Z"
        );
        // 2026-01-02 is a Friday: after its last run, Monday's first.
        assert_eq!(
            next("30 9-17/4 * * MON-fri", None, "2026-01-02T17:30:00Z"),
            "2026-01-05T09:30:00Z"
        );
        assert_eq!(
            next("0 0 29 feb *", None, "2026-03-01T00:00:00Z"),
            "2028-02-29T00:00:00Z"
        );
        assert_eq!(
            next("5/20 * * * *", None, "2026-01-01T00:30:00Z"),
            "2026-01-01T00:45:00Z"
        );
        assert_eq!(
            next("0 0 1,15 * *", None, "2026-01-02T00:00:00Z"),
            "2026-01-15T00:00:00Z"
        );
    }

    #[test]
    fn both_day_fields_set_means_either() {
        // The 13th, or any Friday: 2026-02-06 is a Friday before the 13th.
        assert_eq!(
            next("0 0 13 * 5", None, "2026-02-01T00:00:00Z"),
            "2026-02-06T00:00:00Z"
        );
        // With a star in one, both must hold: Fridays only.
        assert_eq!(
            next("0 0 * * 5", None, "2026-02-01T00:00:00Z"),
            "2026-02-06T00:00:00Z"
        );
        assert_eq!(
            next("0 0 13 * ?", None, "2026-02-01T00:00:00Z"),
            "2026-02-13T00:00:00Z"
        );
    }

    #[test]
    fn macros_and_zones() {
        assert_eq!(
            next("@hourly", None, "2026-01-01T00:00:00Z"),
            "2026-01-01T01:00:00Z"
        );
        assert_eq!(
            next("@weekly", None, "2026-01-01T00:00:00Z"),
            "2026-01-04T00:00:00Z"
        );
        assert_eq!(
            next("@yearly", None, "2026-01-01T00:00:00Z"),
            "2027-01-01T00:00:00Z"
        );
        // 09:00 in Tokyo is midnight UTC.
        assert_eq!(
            next("0 9 * * *", Some("Asia/Tokyo"), "2026-01-01T01:00:00Z"),
            "2026-01-02T00:00:00Z"
        );
        assert_eq!(
            next(
                "TZ=America/New_York 0 9 * * *",
                None,
                "2026-01-01T00:00:00Z"
            ),
            "2026-01-01T14:00:00Z"
        );
        // 02:30 does not exist in New York on 2026-03-08 (clocks go from 2:00 to 3:00).
        assert_eq!(
            next(
                "30 2 * * *",
                Some("America/New_York"),
                "2026-03-08T00:00:00Z"
            ),
            "2026-03-09T06:30:00Z"
        );
        let s = parse("0 9 * * *", Some("Asia/Tokyo"));
        assert_eq!(
            s.map(|s| s.local(utc("2026-01-02T00:00:00Z")))
                .ok()
                .as_deref(),
            Some("2026-01-02T09:00:00+09:00")
        );
    }

    #[test]
    fn errors_read_as_robfig_writes_them() {
        let err = |s: &str, z: Option<&str>| parse(s, z).err().unwrap_or_default();
        assert_eq!(
            err("* * *", None),
            "expected exactly 5 fields, found 3: * * *"
        );
        assert_eq!(
            err("61 * * * *", None),
            "end of range (61) above maximum (59): 61"
        );
        assert_eq!(
            err("0 0 0 * *", None),
            "beginning of range (0) below minimum (1): 0"
        );
        assert_eq!(
            err("5-1 * * * *", None),
            "beginning of range (5) beyond end of range (1): 5-1"
        );
        assert_eq!(
            err("*/0 * * * *", None),
            "step of range should be a positive number: */0"
        );
        assert_eq!(err("1-2-3 * * * *", None), "too many hyphens: 1-2-3");
        assert_eq!(
            err("x * * * *", None),
            "failed to parse int from x: invalid digit found in string"
        );
        assert_eq!(err("@every 5m", None), "unrecognized descriptor: @every 5m");
        assert_eq!(
            err("* * * * 7", None),
            "end of range (7) above maximum (6): 7"
        );
        assert_eq!(
            err("* * * * *", Some("Mars/Olympus")),
            "provided bad location Mars/Olympus: unknown time zone Mars/Olympus"
        );
    }

    #[test]
    fn the_most_recent_time_and_how_many_were_missed() {
        let s = parse("*/5 * * * *", None).ok();
        let s = s.as_ref();
        let r = s.map(|s| {
            s.most_recent(
                utc("2026-01-01T00:00:00Z"),
                utc("2026-01-01T00:17:00Z"),
                100,
            )
        });
        assert_eq!(r, Some((Some(utc("2026-01-01T00:15:00Z")), 3)));
        let r = s.map(|s| {
            s.most_recent(
                utc("2026-01-01T00:15:00Z"),
                utc("2026-01-01T00:17:00Z"),
                100,
            )
        });
        assert_eq!(r, Some((None, 0)));
        // A year behind: the count stops at the cap, and the latest is still found.
        let r = s.map(|s| {
            s.most_recent(
                utc("2025-01-01T00:00:00Z"),
                utc("2026-01-01T00:17:00Z"),
                101,
            )
        });
        assert_eq!(r, Some((Some(utc("2026-01-01T00:15:00Z")), 101)));
    }
}
