//! Turning the client's messages into the app's [`Record`]s.

use crate::model::payload;
use crate::model::record::{Direction, Record};
use std::sync::Arc;
use switchboard_mqtt::codec::{Property, Publish};

/// A record of `publish`, arrived (or sent) at `at_ms`.
pub fn record(
    publish: &Publish,
    subscriptions: &[switchboard_mqtt::codec::ByteStr],
    seq: u64,
    at_ms: f64,
    direction: Direction,
) -> Record {
    let mut properties = Vec::new();
    let mut user_properties = Vec::new();
    for p in publish.properties.iter() {
        let value = match p {
            Property::UserProperty(k, v) => {
                user_properties.push((k.to_string(), v.to_string()));
                continue;
            }
            Property::PayloadFormatIndicator(v) => match v {
                0 => "0 (bytes)".to_string(),
                1 => "1 (UTF-8 text)".to_string(),
                other => other.to_string(),
            },
            Property::MessageExpiryInterval(v) => format!("{v} s"),
            Property::ContentType(s) | Property::ResponseTopic(s) => s.to_string(),
            Property::CorrelationData(b) => {
                if payload::is_printable(b) {
                    payload::text(b).into_owned()
                } else {
                    format!("0x{}", payload::hex(b))
                }
            }
            Property::SubscriptionIdentifier(v) => v.to_string(),
            Property::TopicAlias(v) => v.to_string(),
            other => format!("{other:?}"),
        };
        properties.push((p.id().name(), value));
    }
    Record {
        seq,
        at_ms,
        direction,
        topic: Arc::from(&*publish.topic),
        payload: publish.payload.clone(),
        qos: publish.qos as u8,
        retain: publish.retain,
        dup: publish.dup,
        properties,
        user_properties,
        subscriptions: subscriptions.iter().map(|s| s.to_string()).collect(),
    }
}
