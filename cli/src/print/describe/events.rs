//! The `Events:` section every describer ends with (kubectl's `DescribeEvents`).

use super::util::{at, i, parse_time, s, since};
use super::writer::{Writer, L0, L1};
use chrono::{DateTime, Utc};
use serde_json::Value;

/// Writes the events table, oldest `lastTimestamp` first, or `Events:  <none>`.
pub fn describe_events(w: &mut Writer, events: &[Value], now: DateTime<Utc>) {
    if events.is_empty() {
        w.w(L0, "Events:\t<none>\n");
        return;
    }
    // kubectl flushes here, so the table does not align with the lines above it.
    w.flush();
    let mut sorted: Vec<&Value> = events.iter().collect();
    // A stable sort on lastTimestamp, missing ones (Go's zero time) first, as sort.Sort would mostly order them.
    sorted.sort_by_key(|e| parse_time(s(e, "/lastTimestamp")));
    w.w(L0, "Events:\n  Type\tReason\tAge\tFrom\tMessage\n");
    w.w(L1, "----\t------\t----\t----\t-------\n");
    for e in sorted {
        let event_time = s(e, "/eventTime");
        let first = if event_time.is_empty() {
            since(s(e, "/firstTimestamp"), now)
        } else {
            since(event_time, now)
        };
        let interval = if !at(e, "/series").is_null() {
            format!(
                "{} (x{} over {})",
                since(s(e, "/series/lastObservedTime"), now),
                i(e, "/series/count"),
                first
            )
        } else if i(e, "/count") > 1 {
            format!(
                "{} (x{} over {})",
                since(s(e, "/lastTimestamp"), now),
                i(e, "/count"),
                first
            )
        } else {
            first
        };
        let mut source = s(e, "/source/component");
        if source.is_empty() {
            source = s(e, "/reportingComponent");
        }
        w.w(
            L1,
            &format!(
                "{}\t{}\t{}\t{}\t{}\n",
                s(e, "/type"),
                s(e, "/reason"),
                interval,
                source,
                s(e, "/message").trim()
            ),
        );
    }
}
