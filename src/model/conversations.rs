//! IM-style notifications: messages grouped into conversations by topic patterns, with
//! sender, time and text read from JSON fields or MQTT 5 user properties, and unread counts.

use super::pattern::Pattern;
use super::payload;
use super::record::{Direction, Record};
use super::ring::Ring;
use serde_json::Value;
use std::collections::BTreeMap;
use std::sync::Arc;

/// How messages become bubbles. Saved with the app's settings.
#[derive(Debug, Clone, PartialEq, serde::Serialize, serde::Deserialize)]
#[serde(default)]
pub struct NotificationSettings {
    /// Topic patterns; each topic a pattern matches is one conversation, named by what its
    /// `{name}` levels captured.
    pub patterns: Vec<String>,
    /// JSON fields (or user properties) naming the sender, first found wins.
    pub sender_fields: Vec<String>,
    /// JSON fields holding the text.
    pub text_fields: Vec<String>,
    /// JSON fields holding the time (milliseconds or seconds since the epoch, or ISO text).
    pub time_fields: Vec<String>,
    /// The name replies are sent under (and whose messages show as ours).
    pub my_name: String,
    /// Messages kept per conversation.
    pub history: usize,
}

impl Default for NotificationSettings {
    fn default() -> NotificationSettings {
        let v = |xs: &[&str]| xs.iter().map(|s| (*s).to_string()).collect();
        NotificationSettings {
            patterns: v(&["chat/{room}", "alerts/{severity}"]),
            sender_fields: v(&["from", "sender", "user", "device", "author"]),
            text_fields: v(&["text", "message", "msg", "body"]),
            time_fields: v(&["ts", "time", "timestamp"]),
            my_name: "me".to_string(),
            history: 200,
        }
    }
}

/// One message in a conversation.
#[derive(Debug, Clone, PartialEq)]
pub struct Bubble {
    /// The record's sequence number.
    pub seq: u64,
    /// Who sent it (empty when unknown).
    pub from: String,
    /// What it says (the whole payload when it is not JSON with a text field).
    pub text: String,
    /// When it was sent (ms since epoch): the payload's time, else the arrival time.
    pub at_ms: f64,
    /// Sent by this app's user.
    pub mine: bool,
}

/// A conversation: every message on one topic matched by a pattern.
#[derive(Debug, Clone)]
pub struct Conversation {
    /// The topic (replies go here).
    pub topic: Arc<str>,
    /// Its name: the captured levels (`lobby`), or the topic.
    pub title: String,
    /// The pattern it came from (`chat/{room}`), for grouping in the list.
    pub pattern: String,
    /// A severity when the pattern captures `{severity}` (alerts).
    pub severity: Option<String>,
    /// Recent bubbles.
    pub bubbles: Ring<Bubble>,
    /// Bubbles not yet seen.
    pub unread: u32,
    /// The newest bubble's time, for ordering.
    pub last_at: f64,
}

/// What a new bubble announces (for toasts and browser notifications).
#[derive(Debug, Clone, PartialEq)]
pub struct Announcement {
    /// The conversation's topic.
    pub topic: Arc<str>,
    /// The conversation's title.
    pub title: String,
    /// The bubble.
    pub bubble: Bubble,
    /// The severity, for alerts.
    pub severity: Option<String>,
}

/// Every conversation.
#[derive(Debug, Clone)]
pub struct Conversations {
    settings: NotificationSettings,
    patterns: Vec<Pattern>,
    by_topic: BTreeMap<Arc<str>, Conversation>,
}

impl Conversations {
    /// No conversations yet; invalid patterns in `settings` are skipped (the settings form
    /// refuses them before they get here).
    pub fn new(settings: NotificationSettings) -> Conversations {
        let patterns = settings
            .patterns
            .iter()
            .filter_map(|p| Pattern::parse(p).ok())
            .collect();
        Conversations {
            settings,
            patterns,
            by_topic: BTreeMap::new(),
        }
    }

    /// The settings in use.
    pub fn settings(&self) -> &NotificationSettings {
        &self.settings
    }

    /// The subscription filters the patterns need.
    pub fn filters(&self) -> Vec<String> {
        self.patterns.iter().map(Pattern::filter).collect()
    }

    /// Takes a message; returns what to announce when it became a bubble someone else sent.
    /// `open` is the conversation on screen: its bubbles arrive read.
    pub fn ingest(&mut self, record: &Record, open: Option<&str>) -> Option<Announcement> {
        let topic: &str = &record.topic;
        let (pattern, captures) = self
            .patterns
            .iter()
            .find_map(|p| p.captures(topic).map(|c| (p, c)))?;
        let title = match captures.key() {
            k if k.is_empty() => topic.to_string(),
            k => k,
        };
        let severity = captures.get("severity").map(str::to_string);
        let bubble = self.bubble(record);
        let conv = self
            .by_topic
            .entry(record.topic.clone())
            .or_insert_with(|| Conversation {
                topic: record.topic.clone(),
                title,
                pattern: pattern.source().to_string(),
                severity: severity.clone(),
                bubbles: Ring::new(self.settings.history),
                unread: 0,
                last_at: 0.0,
            });
        conv.last_at = conv.last_at.max(bubble.at_ms);
        conv.bubbles.push(bubble.clone());
        if bubble.mine || open == Some(topic) || record.retain {
            return None;
        }
        conv.unread = conv.unread.saturating_add(1);
        Some(Announcement {
            topic: conv.topic.clone(),
            title: conv.title.clone(),
            bubble,
            severity,
        })
    }

    fn bubble(&self, record: &Record) -> Bubble {
        let s = &self.settings;
        let json = payload::json(&record.payload);
        let field = |names: &[String]| -> Option<String> {
            names.iter().find_map(|n| {
                let from_json = json.as_ref().and_then(|j| j.get(n)).and_then(|v| match v {
                    Value::String(s) => Some(s.clone()),
                    Value::Number(x) => Some(x.to_string()),
                    Value::Bool(b) => Some(b.to_string()),
                    _ => None,
                });
                from_json.or_else(|| record.user_property(n).map(str::to_string))
            })
        };
        let from = field(&s.sender_fields).unwrap_or_default();
        let text = field(&s.text_fields).unwrap_or_else(|| {
            if json.is_some() {
                payload::preview(&record.payload, 500)
            } else {
                payload::text(&record.payload).into_owned()
            }
        });
        let at_ms = field(&s.time_fields)
            .and_then(|t| parse_time(&t))
            .unwrap_or(record.at_ms);
        let mine = record.direction == Direction::Out || (!from.is_empty() && from == s.my_name);
        Bubble {
            seq: record.seq,
            from,
            text,
            at_ms,
            mine,
        }
    }

    /// Conversations, most recent first.
    pub fn list(&self) -> Vec<&Conversation> {
        let mut v: Vec<&Conversation> = self.by_topic.values().collect();
        v.sort_by(|a, b| b.last_at.total_cmp(&a.last_at).then(a.topic.cmp(&b.topic)));
        v
    }

    /// The conversation on `topic`.
    pub fn get(&self, topic: &str) -> Option<&Conversation> {
        self.by_topic.get(topic)
    }

    /// Marks a conversation read.
    pub fn mark_read(&mut self, topic: &str) -> bool {
        match self.by_topic.get_mut(topic) {
            Some(c) if c.unread > 0 => {
                c.unread = 0;
                true
            }
            _ => false,
        }
    }

    /// Marks everything read.
    pub fn mark_all_read(&mut self) {
        for c in self.by_topic.values_mut() {
            c.unread = 0;
        }
    }

    /// Unread bubbles in all conversations.
    pub fn total_unread(&self) -> u32 {
        self.by_topic.values().map(|c| c.unread).sum()
    }

    /// The payload a reply carries: JSON in the same shape the conversations use.
    pub fn reply_payload(&self, text: &str, now_ms: f64) -> String {
        let s = &self.settings;
        let key = |v: &[String], d: &str| v.first().cloned().unwrap_or_else(|| d.to_string());
        let mut o = serde_json::Map::new();
        o.insert(
            key(&s.sender_fields, "from"),
            Value::from(s.my_name.clone()),
        );
        o.insert(key(&s.text_fields, "text"), Value::from(text));
        o.insert(
            key(&s.time_fields, "ts"),
            Value::from(now_ms.round() as i64),
        );
        Value::Object(o).to_string()
    }

    /// Forgets every conversation.
    pub fn clear(&mut self) {
        self.by_topic.clear();
    }
}

/// Milliseconds since the epoch from a number (seconds when below 10^11) or an ISO 8601
/// UTC time (`2026-11-23T14:05:09Z`).
pub fn parse_time(t: &str) -> Option<f64> {
    if let Ok(n) = t.trim().parse::<f64>() {
        if !n.is_finite() || n <= 0.0 {
            return None;
        }
        return Some(if n < 1e11 { n * 1000.0 } else { n });
    }
    let t = t.trim();
    let num = |s: Option<&str>| s.and_then(|s| s.parse::<i64>().ok());
    let (y, mo, d) = (num(t.get(0..4))?, num(t.get(5..7))?, num(t.get(8..10))?);
    let (h, mi, s) = (
        num(t.get(11..13))?,
        num(t.get(14..16))?,
        num(t.get(17..19))?,
    );
    if !(1..=12).contains(&mo) || !(1..=31).contains(&d) || h > 23 || mi > 59 || s > 60 {
        return None;
    }
    let days = days_from_civil(y, mo, d);
    Some(((days * 86_400 + h * 3600 + mi * 60 + s) * 1000) as f64)
}

fn days_from_civil(y: i64, m: i64, d: i64) -> i64 {
    let y = if m <= 2 { y - 1 } else { y };
    let era = y.div_euclid(400);
    let yoe = y - era * 400;
    let mp = (m + 9) % 12;
    let doy = (153 * mp + 2) / 5 + d - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    era * 146_097 + doe - 719_468
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::indexing_slicing, clippy::panic)]
mod tests {
    use super::*;

    fn rec(seq: u64, topic: &str, payload: &str) -> Record {
        Record::new(seq, 1000.0 + seq as f64, topic, payload.as_bytes().to_vec())
    }

    #[test]
    fn groups_by_pattern_and_counts_unread() {
        let mut c = Conversations::new(NotificationSettings::default());
        let a = c
            .ingest(
                &rec(
                    1,
                    "chat/lobby",
                    r#"{"from":"ada","text":"hi","ts":1763906709123}"#,
                ),
                None,
            )
            .unwrap();
        assert_eq!(a.title, "lobby");
        assert_eq!(a.bubble.from, "ada");
        assert_eq!(a.bubble.text, "hi");
        assert_eq!(a.bubble.at_ms, 1_763_906_709_123.0);
        c.ingest(&rec(2, "chat/lobby", "plain text"), None);
        c.ingest(
            &rec(
                3,
                "alerts/critical",
                r#"{"device":"dev-01","message":"hot"}"#,
            ),
            None,
        );
        assert!(c
            .ingest(&rec(4, "devices/x/status", "online"), None)
            .is_none());
        assert_eq!(c.total_unread(), 3);
        let alert = c.get("alerts/critical").unwrap();
        assert_eq!(alert.severity.as_deref(), Some("critical"));
        assert_eq!(alert.bubbles.last().unwrap().from, "dev-01");
        assert_eq!(
            c.get("chat/lobby").unwrap().bubbles.last().unwrap().text,
            "plain text"
        );
        assert!(c.mark_read("chat/lobby"));
        assert_eq!(c.total_unread(), 1);
        // Ordered by the time each message carries: the lobby's is in 2025.
        assert_eq!(c.list()[0].topic.as_ref(), "chat/lobby");
    }

    #[test]
    fn open_mine_and_retained_messages_are_not_unread() {
        let mut c = Conversations::new(NotificationSettings::default());
        assert!(c
            .ingest(
                &rec(1, "chat/a", r#"{"from":"x","text":"t"}"#),
                Some("chat/a")
            )
            .is_none());
        assert!(c
            .ingest(&rec(2, "chat/a", r#"{"from":"me","text":"t"}"#), None)
            .is_none());
        let mut r = rec(3, "chat/a", "old");
        r.retain = true;
        assert!(c.ingest(&r, None).is_none());
        assert_eq!(c.total_unread(), 0);
        assert_eq!(c.get("chat/a").unwrap().bubbles.len(), 3);
        assert!(c.get("chat/a").unwrap().bubbles.get(1).unwrap().mine);
    }

    #[test]
    fn sender_from_user_properties() {
        let mut c = Conversations::new(NotificationSettings::default());
        let mut r = rec(1, "chat/b", "hello");
        r.user_properties.push(("from".into(), "grace".into()));
        assert_eq!(c.ingest(&r, None).unwrap().bubble.from, "grace");
    }

    #[test]
    fn replies_have_the_conversation_shape() {
        let c = Conversations::new(NotificationSettings::default());
        let v: Value = serde_json::from_str(&c.reply_payload("ok", 5.0)).unwrap();
        assert_eq!(v["from"], "me");
        assert_eq!(v["text"], "ok");
        assert_eq!(v["ts"], 5);
    }

    #[test]
    fn times() {
        assert_eq!(parse_time("1700000000"), Some(1_700_000_000_000.0));
        assert_eq!(parse_time("2000-02-29T00:00:00Z"), Some(951_782_400_000.0));
        assert_eq!(parse_time("soon"), None);
    }
}
