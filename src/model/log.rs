//! The explorer's message log: a bounded history of every message, and the filter the user
//! types over it.

use super::payload;
use super::record::{Direction, Record};
use super::ring::Ring;
use std::sync::Arc;
use switchboard_mqtt::topic;

/// What the log shows.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct LogFilter {
    /// Free text: matches the topic or the payload text, case-insensitive. When it is a valid
    /// MQTT filter containing a wildcard (`devices/+/status`), it matches topics the MQTT way.
    pub text: String,
    /// Only one direction.
    pub direction: Option<Direction>,
    /// Only messages with the retain flag.
    pub retained_only: bool,
}

impl LogFilter {
    /// Whether nothing is filtered.
    pub fn is_empty(&self) -> bool {
        self.text.trim().is_empty() && self.direction.is_none() && !self.retained_only
    }

    /// A matcher built once for many records.
    pub fn matcher(&self) -> impl Fn(&Record) -> bool + '_ {
        let text = self.text.trim();
        let wildcard =
            (text.contains(['+', '#']) && topic::validate_filter(text).is_ok()).then_some(text);
        let needle = text.to_lowercase();
        move |r: &Record| {
            if self.direction.is_some_and(|d| d != r.direction) || (self.retained_only && !r.retain)
            {
                return false;
            }
            if let Some(f) = wildcard {
                return topic::matches(f, &r.topic);
            }
            needle.is_empty()
                || r.topic.to_lowercase().contains(&needle)
                || payload::text(&r.payload).to_lowercase().contains(&needle)
        }
    }
}

/// The log.
#[derive(Debug, Clone)]
pub struct MessageLog {
    ring: Ring<Arc<Record>>,
}

impl MessageLog {
    /// An empty log keeping the newest `capacity` messages.
    pub fn new(capacity: usize) -> MessageLog {
        MessageLog {
            ring: Ring::new(capacity),
        }
    }

    /// Adds a message.
    pub fn push(&mut self, record: Arc<Record>) {
        self.ring.push(record);
    }

    /// The bounded history underneath.
    pub fn ring(&self) -> &Ring<Arc<Record>> {
        &self.ring
    }

    /// Changes how many messages it keeps.
    pub fn set_capacity(&mut self, capacity: usize) {
        self.ring.set_capacity(capacity);
    }

    /// The messages that pass `filter`, newest first.
    pub fn filtered(&self, filter: &LogFilter) -> Vec<Arc<Record>> {
        let m = filter.matcher();
        self.ring.iter().rev().filter(|r| m(r)).cloned().collect()
    }

    /// Forgets everything.
    pub fn clear(&mut self) {
        self.ring.clear();
    }
}

/// The log as a JSON array: one object per message with topic, payload (text when printable,
/// else base64 under `payload_base64`), qos, retain, dup, direction, time and properties.
pub fn to_json(records: &[Arc<Record>]) -> String {
    use serde_json::{json, Map, Value};
    let items: Vec<Value> = records
        .iter()
        .map(|r| {
            let mut o = Map::new();
            o.insert("time".into(), json!(iso_time(r.at_ms)));
            o.insert(
                "direction".into(),
                json!(if r.direction == Direction::In {
                    "in"
                } else {
                    "out"
                }),
            );
            o.insert("topic".into(), json!(&*r.topic));
            if payload::is_printable(&r.payload) {
                o.insert("payload".into(), json!(payload::text(&r.payload)));
            } else {
                o.insert("payload_base64".into(), json!(payload::base64(&r.payload)));
            }
            o.insert("qos".into(), json!(r.qos));
            o.insert("retain".into(), json!(r.retain));
            o.insert("dup".into(), json!(r.dup));
            if !r.properties.is_empty() {
                let props: Map<String, Value> = r
                    .properties
                    .iter()
                    .map(|(k, v)| ((*k).to_string(), json!(v)))
                    .collect();
                o.insert("properties".into(), Value::Object(props));
            }
            if !r.user_properties.is_empty() {
                let ups: Vec<Value> = r
                    .user_properties
                    .iter()
                    .map(|(k, v)| json!([k, v]))
                    .collect();
                o.insert("user_properties".into(), Value::Array(ups));
            }
            Value::Object(o)
        })
        .collect();
    serde_json::to_string_pretty(&items).unwrap_or_else(|_| "[]".to_string())
}

/// The log as CSV (RFC 4180): time, direction, topic, qos, retain, dup, payload (text, or
/// `base64:` and the base64 when not printable).
pub fn to_csv(records: &[Arc<Record>]) -> String {
    let mut out = String::from("time,direction,topic,qos,retain,dup,payload\r\n");
    for r in records {
        let payload = if payload::is_printable(&r.payload) {
            payload::text(&r.payload).into_owned()
        } else {
            format!("base64:{}", payload::base64(&r.payload))
        };
        let fields = [
            iso_time(r.at_ms),
            (if r.direction == Direction::In {
                "in"
            } else {
                "out"
            })
            .to_string(),
            r.topic.to_string(),
            r.qos.to_string(),
            r.retain.to_string(),
            r.dup.to_string(),
            payload,
        ];
        let cells: Vec<String> = fields.iter().map(|f| csv_cell(f)).collect();
        out.push_str(&cells.join(","));
        out.push_str("\r\n");
    }
    out
}

fn csv_cell(s: &str) -> String {
    // A leading =, +, - or @ would be a formula to a spreadsheet: quote it and prefix '.
    let formula = s.starts_with(['=', '+', '-', '@']);
    if formula || s.contains([',', '"', '\n', '\r']) {
        let body = s.replace('"', "\"\"");
        if formula {
            format!("\"'{body}\"")
        } else {
            format!("\"{body}\"")
        }
    } else {
        s.to_string()
    }
}

/// Milliseconds since the epoch as `2026-11-23T14:05:09.123Z`.
pub fn iso_time(ms: f64) -> String {
    let total_ms = ms.max(0.0) as i64;
    let (secs, milli) = (total_ms.div_euclid(1000), total_ms.rem_euclid(1000));
    let days = secs.div_euclid(86_400);
    let rem = secs.rem_euclid(86_400);
    let (y, m, d) = civil_from_days(days);
    format!(
        "{y:04}-{m:02}-{d:02}T{:02}:{:02}:{:02}.{milli:03}Z",
        rem / 3600,
        rem % 3600 / 60,
        rem % 60
    )
}

/// Days since 1970-01-01 to (year, month, day), proleptic Gregorian (Howard Hinnant's
/// algorithm).
fn civil_from_days(z: i64) -> (i64, u32, u32) {
    let z = z + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z.rem_euclid(146_097);
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let y = yoe + era * 400;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = (doy - (153 * mp + 2) / 5 + 1) as u32;
    let m = if mp < 10 { mp + 3 } else { mp - 9 } as u32;
    (if m <= 2 { y + 1 } else { y }, m, d)
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::indexing_slicing, clippy::panic)]
mod tests {
    use super::*;

    fn rec(seq: u64, topic: &str, payload: &[u8]) -> Arc<Record> {
        Arc::new(Record::new(
            seq,
            1_763_906_709_123.0,
            topic,
            payload.to_vec(),
        ))
    }

    #[test]
    fn filters_by_text_wildcard_and_flags() {
        let mut log = MessageLog::new(10);
        log.push(rec(1, "devices/a/status", b"online"));
        log.push(rec(2, "chat/lobby", b"{\"text\":\"Hello\"}"));
        let mut r = (*rec(3, "devices/b/status", b"offline")).clone();
        r.retain = true;
        log.push(Arc::new(r));
        let seqs = |f: &LogFilter| log.filtered(f).iter().map(|r| r.seq).collect::<Vec<_>>();
        assert_eq!(seqs(&LogFilter::default()), vec![3, 2, 1]);
        let text = |t: &str| LogFilter {
            text: t.into(),
            ..LogFilter::default()
        };
        assert_eq!(seqs(&text("hello")), vec![2]);
        assert_eq!(seqs(&text("devices/+/status")), vec![3, 1]);
        assert_eq!(seqs(&text("STATUS")), vec![3, 1]);
        let retained = LogFilter {
            retained_only: true,
            ..LogFilter::default()
        };
        assert_eq!(seqs(&retained), vec![3]);
    }

    #[test]
    fn exports_json_and_csv() {
        let records = vec![
            rec(1, "a,b", b"x\"y"),
            rec(2, "bin", &[0, 1, 2]),
            rec(3, "f", b"=1+1"),
        ];
        let csv = to_csv(&records);
        let lines: Vec<&str> = csv.split("\r\n").collect();
        assert_eq!(lines[0], "time,direction,topic,qos,retain,dup,payload");
        assert_eq!(
            lines[1],
            "2025-11-23T14:05:09.123Z,in,\"a,b\",0,false,false,\"x\"\"y\""
        );
        assert!(lines[2].ends_with("base64:AAEC"));
        assert!(lines[3].ends_with("\"'=1+1\""));
        let v: serde_json::Value = serde_json::from_str(&to_json(&records)).unwrap();
        assert_eq!(v[0]["payload"], "x\"y");
        assert_eq!(v[1]["payload_base64"], "AAEC");
        assert_eq!(v[0]["time"], "2025-11-23T14:05:09.123Z");
    }

    #[test]
    fn iso_times() {
        assert_eq!(iso_time(0.0), "1970-01-01T00:00:00.000Z");
        assert_eq!(iso_time(951_782_400_000.0), "2000-02-29T00:00:00.000Z");
    }
}
