//! Human-readable durations, formatted exactly as Kubernetes' `k8s.io/apimachinery/pkg/util/duration`.

use std::time::Duration;

const MINUTE: u64 = 60;
const HOUR: u64 = 60 * MINUTE;
const DAY_HOURS: u64 = 24;
const YEAR_DAYS: u64 = 365;

/// Formats `d` the way Kubernetes' `duration.HumanDuration` does, as used in
/// AGE columns: two units while the larger one is small ("3m2s", "5h3m",
/// "2d3h", "2y47d"), one unit otherwise ("45s", "15m", "20h", "8d", "9y").
///
/// Every step truncates, as Go's integer division does, so 119.9s is "119s".
pub fn human_duration(d: Duration) -> String {
    let seconds = d.as_secs();
    if seconds < 2 * MINUTE {
        return format!("{seconds}s");
    }
    let minutes = seconds / MINUTE;
    if minutes < 10 {
        let s = seconds % MINUTE;
        return if s == 0 {
            format!("{minutes}m")
        } else {
            format!("{minutes}m{s}s")
        };
    }
    if minutes < 3 * 60 {
        return format!("{minutes}m");
    }
    let hours = seconds / HOUR;
    if hours < 8 {
        let m = minutes % 60;
        return if m == 0 {
            format!("{hours}h")
        } else {
            format!("{hours}h{m}m")
        };
    }
    if hours < 48 {
        return format!("{hours}h");
    }
    let days = hours / DAY_HOURS;
    if hours < DAY_HOURS * 8 {
        let h = hours % DAY_HOURS;
        return if h == 0 {
            format!("{days}d")
        } else {
            format!("{days}d{h}h")
        };
    }
    if hours < DAY_HOURS * YEAR_DAYS * 2 {
        return format!("{days}d");
    }
    let years = days / YEAR_DAYS;
    if hours < DAY_HOURS * YEAR_DAYS * 8 {
        let dy = days % YEAR_DAYS;
        return if dy == 0 {
            format!("{years}y")
        } else {
            format!("{years}y{dy}d")
        };
    }
    format!("{years}y")
}

/// Formats `d` the way Kubernetes' `duration.ShortHumanDuration` does: always
/// a single truncated unit ("59s", "59m", "23h", "364d", "1y").
pub fn short_human_duration(d: Duration) -> String {
    let seconds = d.as_secs();
    if seconds < MINUTE {
        return format!("{seconds}s");
    }
    let minutes = seconds / MINUTE;
    if minutes < 60 {
        return format!("{minutes}m");
    }
    let hours = seconds / HOUR;
    if hours < DAY_HOURS {
        return format!("{hours}h");
    }
    if hours < DAY_HOURS * YEAR_DAYS {
        return format!("{}d", hours / DAY_HOURS);
    }
    format!("{}y", hours / DAY_HOURS / YEAR_DAYS)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn secs(s: u64) -> Duration {
        Duration::from_secs(s)
    }

    const M: u64 = 60;
    const H: u64 = 60 * M;
    const D: u64 = 24 * H;
    const Y: u64 = 365 * D;

    #[test]
    fn human_duration_thresholds() {
        let cases = [
            (Duration::ZERO, "0s"),
            (Duration::from_millis(1999), "1s"),
            (secs(45), "45s"),
            (secs(2 * M - 1), "119s"),
            (secs(2 * M), "2m"),
            (secs(3 * M + 2), "3m2s"),
            (secs(10 * M - 1), "9m59s"),
            (secs(10 * M), "10m"),
            (secs(10 * M + 30), "10m"),
            (secs(3 * H - 1), "179m"),
            (secs(3 * H), "3h"),
            (secs(5 * H + 3 * M + 59), "5h3m"),
            (secs(8 * H - 1), "7h59m"),
            (secs(8 * H), "8h"),
            (secs(48 * H - 1), "47h"),
            (secs(48 * H), "2d"),
            (secs(2 * D + 3 * H), "2d3h"),
            (secs(8 * D - 1), "7d23h"),
            (secs(8 * D), "8d"),
            (secs(2 * Y - 1), "729d"),
            (secs(2 * Y), "2y"),
            (secs(2 * Y + 47 * D), "2y47d"),
            (secs(8 * Y - 1), "7y364d"),
            (secs(8 * Y), "8y"),
            (secs(10 * Y + 100 * D), "10y"),
        ];
        for (d, want) in cases {
            assert_eq!(human_duration(d), want, "for {d:?}");
        }
    }

    #[test]
    fn short_human_duration_thresholds() {
        let cases = [
            (Duration::ZERO, "0s"),
            (secs(59), "59s"),
            (secs(M), "1m"),
            (secs(H - 1), "59m"),
            (secs(H), "1h"),
            (secs(D - 1), "23h"),
            (secs(D), "1d"),
            (secs(Y - 1), "364d"),
            (secs(Y), "1y"),
            (secs(3 * Y + 200 * D), "3y"),
        ];
        for (d, want) in cases {
            assert_eq!(short_human_duration(d), want, "for {d:?}");
        }
    }
}
