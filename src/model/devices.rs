//! The devices view's model: devices discovered from topic patterns, their online state
//! (retained status and Last Will), when they were last heard from, their live values with
//! short histories, and recent messages.

use super::pattern::Pattern;
use super::payload;
use super::record::Record;
use super::ring::Ring;
use serde_json::Value;
use std::collections::BTreeMap;
use std::sync::Arc;

/// Where devices live in the topic space. Saved with the app's settings.
#[derive(Debug, Clone, PartialEq, serde::Serialize, serde::Deserialize)]
#[serde(default)]
pub struct DeviceSettings {
    /// Retained online/offline status (the Last Will sets it offline).
    pub status: String,
    /// JSON (or plain number) readings.
    pub telemetry: String,
    /// The reported state after a command.
    pub state: String,
    /// Where commands go.
    pub command: String,
    /// Points kept per value for sparklines and charts.
    pub history: usize,
}

impl Default for DeviceSettings {
    fn default() -> DeviceSettings {
        DeviceSettings {
            status: "devices/{id}/status".into(),
            telemetry: "devices/{id}/telemetry".into(),
            state: "devices/{id}/state".into(),
            command: "devices/{id}/cmd".into(),
            history: 120,
        }
    }
}

/// A reading kept for charts.
pub type Point = (f64, f64);

/// One device.
#[derive(Debug, Clone)]
pub struct Device {
    /// Its id (what `{id}` captured).
    pub id: Arc<str>,
    /// Online, offline, or not reported yet.
    pub online: Option<bool>,
    /// The status text as received (`online`, `offline`, …).
    pub status: String,
    /// When anything was last heard from it (ms since epoch).
    pub last_seen: f64,
    /// Latest value of every telemetry field, as text, in field order.
    pub values: Vec<(String, String)>,
    /// History of every numeric telemetry field.
    pub series: BTreeMap<String, Ring<Point>>,
    /// The latest reported state (pretty text).
    pub state: Option<String>,
    /// Recent messages on any of its topics.
    pub recent: Ring<Arc<Record>>,
    /// Messages counted.
    pub messages: u64,
}

/// Every device.
#[derive(Debug, Clone)]
pub struct Devices {
    settings: DeviceSettings,
    status: Option<Pattern>,
    telemetry: Option<Pattern>,
    state: Option<Pattern>,
    command: Option<Pattern>,
    by_id: BTreeMap<Arc<str>, Device>,
}

impl Devices {
    /// No devices yet. Invalid patterns are ignored (the settings form refuses them).
    pub fn new(settings: DeviceSettings) -> Devices {
        let p = |s: &str| {
            Pattern::parse(s)
                .ok()
                .filter(|p| p.names().any(|n| n == "id"))
        };
        Devices {
            status: p(&settings.status),
            telemetry: p(&settings.telemetry),
            state: p(&settings.state),
            command: p(&settings.command),
            settings,
            by_id: BTreeMap::new(),
        }
    }

    /// The settings in use.
    pub fn settings(&self) -> &DeviceSettings {
        &self.settings
    }

    /// The subscription filters the patterns need.
    pub fn filters(&self) -> Vec<String> {
        [&self.status, &self.telemetry, &self.state]
            .into_iter()
            .flatten()
            .map(Pattern::filter)
            .collect()
    }

    /// The topic commands for `id` go to.
    pub fn command_topic(&self, id: &str) -> Option<String> {
        self.command.as_ref()?.fill(&[("id", id)])
    }

    /// Takes a message; returns whether it concerned a device.
    pub fn ingest(&mut self, record: &Arc<Record>) -> bool {
        let topic: &str = &record.topic;
        let hit = |p: &Option<Pattern>| {
            p.as_ref()
                .and_then(|p| p.captures(topic))
                .and_then(|c| c.get("id").map(str::to_string))
        };
        let (id, kind) = if let Some(id) = hit(&self.status) {
            (id, Kind::Status)
        } else if let Some(id) = hit(&self.telemetry) {
            (id, Kind::Telemetry)
        } else if let Some(id) = hit(&self.state) {
            (id, Kind::State)
        } else {
            return false;
        };
        let history = self.settings.history;
        let key: Arc<str> = Arc::from(id.as_str());
        let d = self.by_id.entry(key.clone()).or_insert_with(|| Device {
            id: key,
            online: None,
            status: String::new(),
            last_seen: 0.0,
            values: Vec::new(),
            series: BTreeMap::new(),
            state: None,
            recent: Ring::new(50),
            messages: 0,
        });
        d.messages += 1;
        d.recent.push(record.clone());
        match kind {
            Kind::Status => {
                let (online, text) = read_status(&record.payload);
                // An empty retained payload deletes the status: the device is unknown again.
                d.online = if record.payload.is_empty() {
                    None
                } else {
                    online
                };
                d.status = text;
                // A retained status replayed on subscribe says nothing about when it was sent.
                if !record.retain {
                    d.last_seen = d.last_seen.max(record.at_ms);
                }
            }
            Kind::Telemetry => {
                d.last_seen = d.last_seen.max(record.at_ms);
                read_telemetry(d, record, history);
            }
            Kind::State => {
                d.state = Some(
                    payload::pretty_json(&record.payload)
                        .unwrap_or_else(|| payload::text(&record.payload).into_owned()),
                );
                if !record.retain {
                    d.last_seen = d.last_seen.max(record.at_ms);
                }
            }
        }
        true
    }

    /// Devices by id.
    pub fn list(&self) -> impl Iterator<Item = &Device> {
        self.by_id.values()
    }

    /// The device `id`.
    pub fn get(&self, id: &str) -> Option<&Device> {
        self.by_id.get(id)
    }

    /// How many there are, and how many are online.
    pub fn counts(&self) -> (usize, usize) {
        let online = self
            .by_id
            .values()
            .filter(|d| d.online == Some(true))
            .count();
        (self.by_id.len(), online)
    }

    /// Forgets every device.
    pub fn clear(&mut self) {
        self.by_id.clear();
    }
}

enum Kind {
    Status,
    Telemetry,
    State,
}

/// Online or offline from a status payload: text (`online`, `offline`, `1`, `0`, `true`,
/// `connected`, …) or JSON with a `status`, `state` or `online` field.
pub fn read_status(p: &[u8]) -> (Option<bool>, String) {
    let word = |s: &str| match s.trim().to_ascii_lowercase().as_str() {
        "online" | "on" | "up" | "1" | "true" | "connected" | "alive" | "ready" => Some(true),
        "offline" | "off" | "down" | "0" | "false" | "disconnected" | "dead" | "lost" => {
            Some(false)
        }
        _ => None,
    };
    if let Some(Value::Object(o)) = payload::json(p) {
        for key in ["online", "status", "state", "connected"] {
            match o.get(key) {
                Some(Value::Bool(b)) => {
                    return (Some(*b), if *b { "online" } else { "offline" }.into())
                }
                Some(Value::String(s)) => return (word(s), s.clone()),
                Some(Value::Number(n)) => return (word(&n.to_string()), n.to_string()),
                _ => {}
            }
        }
    }
    let text = payload::preview(p, 40);
    (word(&text), text)
}

fn read_telemetry(d: &mut Device, record: &Record, history: usize) {
    let t = record.at_ms;
    if let Some(n) = payload::number(&record.payload) {
        set_value(d, "value", payload::format_number(n, 2));
        push_point(d, "value", t, n, history);
        return;
    }
    let Some(Value::Object(o)) = payload::json(&record.payload) else {
        set_value(d, "value", payload::preview(&record.payload, 60));
        return;
    };
    for (k, v) in &o {
        // Timestamps are when, not what: not a value to show or plot.
        if matches!(k.as_str(), "ts" | "time" | "timestamp") {
            continue;
        }
        match v {
            Value::Number(n) => {
                if let Some(f) = n.as_f64() {
                    set_value(d, k, payload::format_number(f, 2));
                    push_point(d, k, t, f, history);
                }
            }
            Value::String(s) => set_value(d, k, s.clone()),
            Value::Bool(b) => set_value(d, k, b.to_string()),
            other => set_value(d, k, other.to_string()),
        }
    }
}

fn set_value(d: &mut Device, key: &str, value: String) {
    match d.values.iter_mut().find(|(k, _)| k == key) {
        Some(slot) => slot.1 = value,
        None => d.values.push((key.to_string(), value)),
    }
}

fn push_point(d: &mut Device, key: &str, t: f64, v: f64, history: usize) {
    d.series
        .entry(key.to_string())
        .or_insert_with(|| Ring::new(history))
        .push((t, v));
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::indexing_slicing, clippy::panic)]
mod tests {
    use super::*;

    fn rec(seq: u64, topic: &str, payload: &str, retain: bool) -> Arc<Record> {
        let mut r = Record::new(seq, 1000.0 * seq as f64, topic, payload.as_bytes().to_vec());
        r.retain = retain;
        Arc::new(r)
    }

    #[test]
    fn discovers_devices_and_follows_their_status() {
        let mut d = Devices::new(DeviceSettings::default());
        assert!(d.ingest(&rec(1, "devices/dev-01/status", "online", true)));
        assert!(d.ingest(&rec(2, "devices/dev-02/status", "offline", true)));
        assert!(!d.ingest(&rec(3, "chat/lobby", "hi", false)));
        assert_eq!(d.counts(), (2, 1));
        let one = d.get("dev-01").unwrap();
        assert_eq!(one.online, Some(true));
        assert_eq!(one.last_seen, 0.0, "a retained status is not a sighting");
        d.ingest(&rec(4, "devices/dev-01/status", "offline", false));
        let one = d.get("dev-01").unwrap();
        assert_eq!((one.online, one.last_seen), (Some(false), 4000.0));
        assert_eq!(
            d.command_topic("dev-01").as_deref(),
            Some("devices/dev-01/cmd")
        );
        assert_eq!(
            d.filters(),
            vec!["devices/+/status", "devices/+/telemetry", "devices/+/state"]
        );
    }

    #[test]
    fn telemetry_fields_become_values_and_series() {
        let mut d = Devices::new(DeviceSettings::default());
        d.ingest(&rec(
            1,
            "devices/a/telemetry",
            r#"{"temperature":21.5,"led":"off","ts":5}"#,
            false,
        ));
        d.ingest(&rec(
            2,
            "devices/a/telemetry",
            r#"{"temperature":22,"led":"on","ts":6}"#,
            false,
        ));
        let a = d.get("a").unwrap();
        assert_eq!(a.online, None);
        assert_eq!(a.last_seen, 2000.0);
        assert_eq!(
            a.values,
            vec![
                ("led".to_string(), "on".to_string()),
                ("temperature".to_string(), "22".to_string())
            ]
        );
        let s: Vec<Point> = a.series["temperature"].iter().copied().collect();
        assert_eq!(s, vec![(1000.0, 21.5), (2000.0, 22.0)]);
        assert!(!a.series.contains_key("ts"));
        d.ingest(&rec(3, "devices/a/state", r#"{"led":"on"}"#, true));
        assert!(d
            .get("a")
            .unwrap()
            .state
            .as_deref()
            .unwrap()
            .contains("\"led\": \"on\""));
    }

    #[test]
    fn status_payload_shapes() {
        assert_eq!(read_status(b"ONLINE").0, Some(true));
        assert_eq!(read_status(br#"{"status":"offline"}"#).0, Some(false));
        assert_eq!(read_status(br#"{"online":true}"#).0, Some(true));
        assert_eq!(read_status(b"sleeping").0, None);
    }
}
