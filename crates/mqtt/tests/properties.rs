//! Decoded properties stay their checked wire bytes until looked at or changed: these tests
//! pin down that they read, compare, change and re-encode exactly like properties built in
//! code.

// A test reports failure by panicking; unwrapping and indexing keep the checks short.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::indexing_slicing,
    clippy::panic
)]

use bytes::Bytes;
use switchboard_mqtt::codec::{
    ByteStr, Packet, Properties, Property, PropertyId, Protocol, Publish, QoS,
};

/// A v5 PUBLISH carrying `props`, encoded, then decoded again.
fn round_trip(props: &Properties) -> (Vec<u8>, Publish) {
    let mut p = Publish::new("a/b", "payload");
    p.qos = QoS::AtLeastOnce;
    p.packet_id = Some(switchboard_mqtt::codec::PacketId::new(7).unwrap());
    p.properties = props.clone();
    let bytes = Packet::Publish(p).to_bytes(Protocol::V5).unwrap().to_vec();
    let Packet::Publish(decoded) = Packet::decode(&bytes, Protocol::V5).unwrap() else {
        panic!("not a PUBLISH")
    };
    (bytes, decoded)
}

fn sample() -> Properties {
    [
        Property::PayloadFormatIndicator(1),
        Property::MessageExpiryInterval(60),
        Property::ContentType(ByteStr::from("application/json")),
        Property::UserProperty(ByteStr::from("k"), ByteStr::from("v1")),
        Property::ResponseTopic(ByteStr::from("replies/1")),
        Property::CorrelationData(Bytes::from_static(b"\x00\x01")),
        Property::UserProperty(ByteStr::from("k"), ByteStr::from("v2 \u{e9}")),
        Property::SubscriptionIdentifier(42),
    ]
    .into_iter()
    .collect()
}

#[test]
fn decoded_properties_read_like_built_ones() {
    let built = sample();
    let (_, decoded) = round_trip(&built);
    let d = &decoded.properties;
    assert!(!d.is_empty());
    assert_eq!(d, &built);
    assert_eq!(d.len(), built.len());
    assert_eq!(
        d.iter().collect::<Vec<_>>(),
        built.iter().collect::<Vec<_>>()
    );
    assert_eq!(d.payload_is_utf8(), Some(true));
    assert_eq!(d.message_expiry_interval(), Some(60));
    assert_eq!(
        d.content_type().map(ByteStr::as_str),
        Some("application/json")
    );
    assert_eq!(d.response_topic().map(ByteStr::as_str), Some("replies/1"));
    assert_eq!(d.correlation_data().map(|b| &b[..]), Some(&b"\x00\x01"[..]));
    assert_eq!(d.subscription_identifiers().collect::<Vec<_>>(), [42]);
    let users: Vec<_> = d
        .user_properties()
        .map(|(k, v)| (k.as_str(), v.as_str()))
        .collect();
    assert_eq!(users, [("k", "v1"), ("k", "v2 \u{e9}")]);
    assert_eq!(d.topic_alias(), None);
    assert_eq!(format!("{d:?}"), format!("{built:?}"));
}

#[test]
fn decoded_properties_re_encode_byte_for_byte() {
    let (bytes, decoded) = round_trip(&sample());
    // Untouched, and after being looked at.
    let again = Packet::Publish(decoded.clone())
        .to_bytes(Protocol::V5)
        .unwrap();
    assert_eq!(&again[..], &bytes[..]);
    let _ = decoded.properties.iter().count();
    let again = Packet::Publish(decoded).to_bytes(Protocol::V5).unwrap();
    assert_eq!(&again[..], &bytes[..]);
}

#[test]
fn decoded_properties_change_like_built_ones() {
    let (_, decoded) = round_trip(&sample());
    let changes: [fn(&mut Properties); 4] = [
        |p| p.push(Property::UserProperty("x".into(), "y".into())),
        |p| p.set(Property::MessageExpiryInterval(5)),
        |p| p.remove(PropertyId::UserProperty),
        |p| p.set(Property::TopicAlias(3)),
    ];
    for change in changes {
        let mut from_wire = decoded.properties.clone();
        let mut built = sample();
        change(&mut from_wire);
        change(&mut built);
        assert_eq!(from_wire, built);
        // What the change made is what goes on the wire, and decodes back the same.
        let (_, again) = round_trip(&from_wire);
        assert_eq!(again.properties, built);
    }
}

#[test]
fn no_properties_is_empty_either_way() {
    let (_, decoded) = round_trip(&Properties::new());
    assert!(decoded.properties.is_empty());
    assert_eq!(decoded.properties, Properties::new());
    assert_eq!(decoded.properties.len(), 0);
}
