//! One received (or sent) message as the views keep it.

use bytes::Bytes;
use std::sync::Arc;

/// Which way a message went.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Direction {
    /// From the broker.
    In,
    /// Published from this app.
    Out,
}

/// A message, shared by the log, the topic tree and the histories (`Arc<Record>`: one copy
/// however many views hold it).
#[derive(Debug, Clone, PartialEq)]
pub struct Record {
    /// Arrival order, unique within a connection's lifetime in the app.
    pub seq: u64,
    /// When it arrived, in milliseconds since the Unix epoch.
    pub at_ms: f64,
    /// In or out.
    pub direction: Direction,
    /// The topic name.
    pub topic: Arc<str>,
    /// The payload, as received: never interpreted as markup.
    pub payload: Bytes,
    /// 0, 1 or 2.
    pub qos: u8,
    /// The retain flag (set on a message the broker kept and replays on subscribe).
    pub retain: bool,
    /// A redelivery.
    pub dup: bool,
    /// MQTT 5 properties as (name, value) lines for display, user properties excluded.
    pub properties: Vec<(&'static str, String)>,
    /// MQTT 5 user properties, in order.
    pub user_properties: Vec<(String, String)>,
    /// The filters of our subscriptions it matched (from Subscription Identifiers), if known.
    pub subscriptions: Vec<String>,
}

impl Record {
    /// A plain incoming message without properties (tests and samples).
    pub fn new(seq: u64, at_ms: f64, topic: &str, payload: impl Into<Bytes>) -> Record {
        Record {
            seq,
            at_ms,
            direction: Direction::In,
            topic: Arc::from(topic),
            payload: payload.into(),
            qos: 0,
            retain: false,
            dup: false,
            properties: Vec::new(),
            user_properties: Vec::new(),
            subscriptions: Vec::new(),
        }
    }

    /// The value of the first user property named `name`.
    pub fn user_property(&self, name: &str) -> Option<&str> {
        self.user_properties
            .iter()
            .find(|(k, _)| k.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_str())
    }
}
