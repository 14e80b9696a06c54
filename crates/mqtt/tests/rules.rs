//! One test per validation rule of the codec, named after the rule. Each decode-side test
//! asserts the exact `DecodeError` (from `Packet::decode` and from the streaming `Decoder`)
//! and that `rule()` names the spec statement; encode-side tests assert the `EncodeError`
//! and that nothing was written. The streaming tests at the end cover buffers holding
//! several packets, packets split at every byte, and the `NeedMore { needed }` values.

// A test reports failure by panicking; unwrapping and indexing keep the checks short.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::indexing_slicing,
    clippy::panic
)]

mod common;

use bytes::{Bytes, BytesMut};
use common::{decode_chunks, encode, h, to_hex};
use switchboard_mqtt::codec::{
    Auth, ByteStr, ConnAck, Connect, DecodeError, Decoder, Disconnect, EncodeError, Packet,
    PacketId, PacketType, Properties, Property, PropertyId, Protocol, PubResponse, Publish, QoS,
    ReasonCode, RetainHandling, Status, SubAck, Subscribe, Subscription, SubscriptionOptions,
    UnsubAck, Unsubscribe, Will, MAX_VARIABLE_BYTE_INTEGER,
};

use Protocol::{V3_1, V3_1_1, V5};

// ---------------------------------------------------------------------------------------------
// Building packets byte by byte.
// ---------------------------------------------------------------------------------------------

/// A Variable Byte Integer.
fn vbi(mut n: usize) -> Vec<u8> {
    let mut out = Vec::new();
    loop {
        let mut b = (n % 128) as u8;
        n /= 128;
        if n > 0 {
            b |= 0x80;
        }
        out.push(b);
        if n == 0 {
            return out;
        }
    }
}

/// A two-byte length and the bytes (a UTF-8 string or binary data).
fn s(bytes: &[u8]) -> Vec<u8> {
    let mut out = (bytes.len() as u16).to_be_bytes().to_vec();
    out.extend_from_slice(bytes);
    out
}

/// A whole packet: the first byte, the remaining length, then `parts`.
fn pkt(first: u8, parts: &[&[u8]]) -> Vec<u8> {
    let body = parts.concat();
    let mut out = vec![first];
    out.extend(vbi(body.len()));
    out.extend(body);
    out
}

/// A 5.0 property block: its length, then the properties.
fn props(bytes: &[u8]) -> Vec<u8> {
    let mut out = vbi(bytes.len());
    out.extend_from_slice(bytes);
    out
}

/// A 5.0 QoS 0 PUBLISH to `topic` with these properties and payload `x`.
fn publish_v5(topic: &[u8], properties: &[u8]) -> Vec<u8> {
    pkt(0x30, &[&s(topic), &props(properties), b"x"])
}

/// A 5.0 CONNECT (client id "id", keep alive 60) with these properties and, if given, a
/// Will with these Will Properties and topic.
fn connect_v5(properties: &[u8], will: Option<(&[u8], &[u8])>) -> Vec<u8> {
    let flags = if will.is_some() { 0x06 } else { 0x02 };
    let mut parts = vec![
        s(b"MQTT"),
        vec![5, flags, 0, 60],
        props(properties),
        s(b"id"),
    ];
    if let Some((will_props, topic)) = will {
        parts.extend([props(will_props), s(topic), s(b"bye")]);
    }
    let parts: Vec<&[u8]> = parts.iter().map(Vec::as_slice).collect();
    pkt(0x10, &parts)
}

/// A 3.1.1 CONNECT with these flags, keep alive 60, then `payload` after the client id "id".
fn connect_v4(flags: u8, payload: &[&[u8]]) -> Vec<u8> {
    let mut parts: Vec<Vec<u8>> = vec![s(b"MQTT"), vec![4, flags, 0, 60], s(b"id")];
    parts.extend(payload.iter().map(|p| p.to_vec()));
    let parts: Vec<&[u8]> = parts.iter().map(Vec::as_slice).collect();
    pkt(0x10, &parts)
}

// ---------------------------------------------------------------------------------------------
// Checking.
// ---------------------------------------------------------------------------------------------

/// Both decoders refuse `bytes` with exactly `expected`, whose rule names `rule`.
#[track_caller]
fn refused(bytes: &[u8], version: Protocol, expected: DecodeError, rule: &str) {
    let hex = to_hex(bytes);
    assert_eq!(
        Packet::decode(bytes, version),
        Err(expected.clone()),
        "Packet::decode({hex})"
    );
    let mut buf = BytesMut::from(bytes);
    assert_eq!(
        Decoder::new(version).poll(&mut buf),
        Err(expected.clone()),
        "Decoder::poll({hex})"
    );
    assert!(
        expected.rule().contains(rule),
        "{expected:?}.rule() is {:?}, which does not name {rule}",
        expected.rule()
    );
    assert!(expected
        .to_string()
        .ends_with(&format!("[{}]", expected.rule())));
}

/// Both decoders accept `bytes` and agree; returns the packet.
#[track_caller]
fn accepted(bytes: &[u8], version: Protocol) -> Packet {
    let hex = to_hex(bytes);
    let packet = Packet::decode(bytes, version)
        .unwrap_or_else(|e| panic!("Packet::decode({hex}) refused it: {e}"));
    let mut buf = BytesMut::from(bytes);
    assert_eq!(
        Decoder::new(version).poll(&mut buf),
        Ok(Status::Packet(packet.clone())),
        "Decoder::poll({hex})"
    );
    assert!(buf.is_empty());
    packet
}

/// The encoder refuses `packet` under `version` with exactly `expected`, writing nothing.
#[track_caller]
fn encode_refused(packet: impl Into<Packet>, version: Protocol, expected: EncodeError) {
    let packet = packet.into();
    let mut buf = BytesMut::from(&b"keep"[..]);
    assert_eq!(
        packet.encode(version, &mut buf),
        Err(expected.clone()),
        "{packet:?}"
    );
    assert_eq!(&buf[..], b"keep", "a refused packet wrote bytes");
    assert_eq!(packet.encoded_len(version), Err(expected.clone()));
    assert!(!expected.to_string().is_empty());
}

/// The encoder accepts `packet` under `version`, and decoding gives it back.
#[track_caller]
fn round_trips(packet: impl Into<Packet>, version: Protocol) {
    let packet = packet.into();
    let bytes = encode(&packet, version);
    assert_eq!(accepted(&bytes, version), packet);
}

fn pid(n: u16) -> PacketId {
    PacketId::new(n).unwrap()
}

// ---------------------------------------------------------------------------------------------
// Fixed header.
// ---------------------------------------------------------------------------------------------

#[test]
fn reserved_packet_type_0() {
    refused(&h("0000"), V3_1_1, DecodeError::ReservedPacketType, "2.1.2");
    refused(&h("0f00"), V5, DecodeError::ReservedPacketType, "2.1.2");
}

#[test]
fn reserved_flags_rejected_mqtt_2_1_3_1() {
    for nibble in 1..=15u8 {
        let packet = PacketType::from_nibble(nibble).unwrap();
        if packet == PacketType::Publish {
            continue;
        }
        let fixed = if matches!(
            packet,
            PacketType::PubRel | PacketType::Subscribe | PacketType::Unsubscribe
        ) {
            0b0010
        } else {
            0
        };
        for flags in 0..=15u8 {
            if flags == fixed {
                continue;
            }
            // The flags are checked before the body, so any body will do.
            let bytes = [(nibble << 4) | flags, 2, 0, 1];
            refused(
                &bytes,
                V5,
                DecodeError::InvalidHeaderFlags { packet, flags },
                "MQTT-2.1.3-1",
            );
        }
    }
}

#[test]
fn remaining_length_at_most_four_bytes() {
    // A fifth length byte.
    refused(
        &h("30ffffffff01"),
        V3_1_1,
        DecodeError::MalformedVariableByteInteger,
        "MQTT-1.5.5-1",
    );
    // Four bytes that all say "more follows".
    refused(
        &h("30ffffff80"),
        V5,
        DecodeError::MalformedVariableByteInteger,
        "MQTT-1.5.5-1",
    );
    // The largest four-byte length is fine: the decoder waits for the body.
    let mut buf = BytesMut::from(&h("30ffffff7f")[..]);
    assert_eq!(
        Decoder::new(V3_1_1).poll(&mut buf),
        Ok(Status::NeedMore {
            needed: Some(MAX_VARIABLE_BYTE_INTEGER as usize)
        })
    );
}

#[test]
fn non_minimal_variable_byte_integer() {
    let e = DecodeError::MalformedVariableByteInteger;
    // Remaining length 0 written in two bytes.
    refused(&h("c08000"), V3_1_1, e.clone(), "MQTT-1.5.5-1");
    // Remaining length 2 written in three bytes (the PINGREQ body is irrelevant).
    refused(&h("c082800000"), V3_1_1, e.clone(), "MQTT-1.5.5-1");
    // A property length 0 written as 80 00.
    refused(
        &pkt(0x40, &[&[0, 1, 0x10], &[0x80, 0x00]]),
        V5,
        e.clone(),
        "MQTT-1.5.5-1",
    );
    // A Subscription Identifier 1 written as 81 00.
    refused(
        &publish_v5(b"t", &[0x0b, 0x81, 0x00]),
        V5,
        e.clone(),
        "MQTT-1.5.5-1",
    );
    // The same identifiers in their shortest forms are fine.
    accepted(&publish_v5(b"t", &[0x0b, 0x01]), V5);
    accepted(&publish_v5(b"t", &[0x0b, 0x80, 0x01]), V5);
}

// ---------------------------------------------------------------------------------------------
// UTF-8 strings (MQTT 5.0 §1.5.4).
// ---------------------------------------------------------------------------------------------

fn publish_v4(topic: &[u8]) -> Vec<u8> {
    pkt(0x30, &[&s(topic), b"x"])
}

#[test]
fn utf8_null_rejected() {
    let e = DecodeError::NullCharacter {
        field: "topic name",
    };
    refused(&publish_v4(b"a\0b"), V3_1_1, e, "MQTT-1.5.4-2");
    // In a client identifier, and in a User Property of 5.0.
    let connect = pkt(0x10, &[&s(b"MQTT"), &[4, 2, 0, 0], &s(b"\0")]);
    let e = DecodeError::NullCharacter {
        field: "client identifier",
    };
    refused(&connect, V3_1_1, e, "MQTT-1.5.4-2");
    let user = [&[0x26][..], &s(b"k\0"), &s(b"v")].concat();
    let e = DecodeError::NullCharacter {
        field: "User Property",
    };
    refused(&publish_v5(b"t", &user), V5, e, "MQTT-1.5.4-2");
}

#[test]
fn utf8_surrogate_rejected() {
    // U+D800 encoded as if it were a character.
    let e = DecodeError::InvalidUtf8 {
        field: "topic name",
    };
    refused(&publish_v4(&h("eda080")), V3_1_1, e.clone(), "MQTT-1.5.4-1");
    refused(&publish_v4(&h("edbfbf")), V3_1_1, e, "MQTT-1.5.4-1");
}

#[test]
fn utf8_overlong_rejected() {
    let e = DecodeError::InvalidUtf8 {
        field: "topic name",
    };
    // '/' as two bytes, and U+0000 as two bytes (overlong, so not a null character either).
    refused(&publish_v4(&h("c0af")), V3_1_1, e.clone(), "MQTT-1.5.4-1");
    refused(&publish_v4(&h("c080")), V3_1_1, e.clone(), "MQTT-1.5.4-1");
    refused(&publish_v4(&h("e080af")), V3_1_1, e, "MQTT-1.5.4-1");
}

#[test]
fn utf8_malformed_rejected() {
    let e = DecodeError::InvalidUtf8 {
        field: "topic name",
    };
    // A lone continuation byte, a sequence cut short, and a code point above U+10FFFF.
    for bad in ["80", "e282", "f4908080", "ff"] {
        refused(&publish_v4(&h(bad)), V3_1_1, e.clone(), "MQTT-1.5.4-1");
    }
}

#[test]
fn utf8_bom_is_kept_mqtt_1_5_4_3() {
    // U+FEFF must not be skipped or stripped by a receiver.
    let Packet::Publish(p) = accepted(&publish_v4(&h("efbbbf61")), V3_1_1) else {
        panic!()
    };
    assert_eq!(p.topic, "\u{feff}a");
}

// ---------------------------------------------------------------------------------------------
// Topic names.
// ---------------------------------------------------------------------------------------------

#[test]
fn wildcard_in_topic_name() {
    for topic in [&b"a/+"[..], b"a/#", b"+", b"#", b"a+b"] {
        refused(
            &publish_v4(topic),
            V3_1_1,
            DecodeError::WildcardInTopicName,
            "MQTT-3.3.2-2",
        );
        refused(
            &publish_v5(topic, &[]),
            V5,
            DecodeError::WildcardInTopicName,
            "MQTT-3.3.2-2",
        );
    }
}

#[test]
fn wildcard_in_will_topic() {
    let bytes = connect_v4(0x06, &[&s(b"a/#"), &s(b"bye")]);
    refused(
        &bytes,
        V3_1_1,
        DecodeError::WildcardInTopicName,
        "MQTT-3.3.2-2",
    );
}

#[test]
fn empty_topic_in_v311() {
    refused(
        &publish_v4(b""),
        V3_1_1,
        DecodeError::EmptyTopicName,
        "MQTT-4.7.3-1",
    );
    refused(
        &publish_v4(b""),
        V3_1,
        DecodeError::EmptyTopicName,
        "MQTT-4.7.3-1",
    );
    // A 3.1.1 PUBLISH has no properties, so bytes that would be a Topic Alias are payload.
    let bytes = pkt(0x30, &[&s(b""), &[3, 0x23, 0, 1]]);
    refused(&bytes, V3_1_1, DecodeError::EmptyTopicName, "MQTT-4.7.3-1");
}

#[test]
fn empty_topic_without_alias_in_v5() {
    refused(
        &publish_v5(b"", &[]),
        V5,
        DecodeError::EmptyTopicName,
        "MQTT-4.7.3-1",
    );
    refused(
        &publish_v5(b"", &[0x02, 0, 0, 0, 9]),
        V5,
        DecodeError::EmptyTopicName,
        "4.7.3-1",
    );
    // With a Topic Alias the empty topic stands for the aliased one.
    let Packet::Publish(p) = accepted(&publish_v5(b"", &[0x23, 0, 7]), V5) else {
        panic!()
    };
    assert_eq!(
        (p.topic.as_str(), p.properties.topic_alias()),
        ("", Some(7))
    );
}

#[test]
fn empty_will_topic() {
    let bytes = connect_v4(0x06, &[&s(b""), &s(b"bye")]);
    refused(&bytes, V3_1_1, DecodeError::EmptyTopicName, "MQTT-4.7.3-1");
    refused(
        &connect_v5(&[], Some((&[], b""))),
        V5,
        DecodeError::EmptyTopicName,
        "MQTT-4.7.3-1",
    );
}

// ---------------------------------------------------------------------------------------------
// Packet identifiers.
// ---------------------------------------------------------------------------------------------

#[test]
fn packet_id_zero() {
    let zero = [0u8, 0];
    let cases: Vec<(Protocol, Vec<u8>)> = vec![
        (V3_1_1, pkt(0x32, &[&s(b"t"), &zero, b"x"])),
        (V3_1_1, pkt(0x34, &[&s(b"t"), &zero, b"x"])),
        (V5, pkt(0x32, &[&s(b"t"), &zero, &[0], b"x"])),
        (V3_1_1, pkt(0x40, &[&zero])),
        (V3_1_1, pkt(0x50, &[&zero])),
        (V3_1_1, pkt(0x62, &[&zero])),
        (V3_1_1, pkt(0x70, &[&zero])),
        (V5, pkt(0x40, &[&zero, &[0x10, 0]])),
        (V3_1_1, pkt(0x82, &[&zero, &s(b"t"), &[1]])),
        (V3_1_1, pkt(0x90, &[&zero, &[1]])),
        (V3_1_1, pkt(0xa2, &[&zero, &s(b"t")])),
        (V3_1_1, pkt(0xb0, &[&zero])),
        (V5, pkt(0xb0, &[&zero, &[0, 0]])),
    ];
    for (version, bytes) in cases {
        refused(&bytes, version, DecodeError::ZeroPacketId, "MQTT-2.2.1-3");
    }
}

// ---------------------------------------------------------------------------------------------
// PUBLISH.
// ---------------------------------------------------------------------------------------------

#[test]
fn publish_qos_3() {
    refused(
        &pkt(0x36, &[&s(b"t"), &[0, 1]]),
        V3_1_1,
        DecodeError::InvalidQoS,
        "MQTT-3.3.1-4",
    );
    refused(
        &pkt(0x3f, &[&s(b"t"), &[0, 1]]),
        V5,
        DecodeError::InvalidQoS,
        "MQTT-3.3.1-4",
    );
}

#[test]
fn dup_on_qos0() {
    refused(
        &pkt(0x38, &[&s(b"t"), b"x"]),
        V3_1_1,
        DecodeError::DupOnQoS0,
        "MQTT-3.3.1-2",
    );
    refused(
        &pkt(0x39, &[&s(b"t"), &[0], b"x"]),
        V5,
        DecodeError::DupOnQoS0,
        "MQTT-3.3.1-2",
    );
    // DUP with QoS 1 is a redelivery.
    let Packet::Publish(p) = accepted(&pkt(0x3a, &[&s(b"t"), &[0, 1], b"x"]), V3_1_1) else {
        panic!()
    };
    assert!(p.dup);
}

#[test]
fn publish_payload_is_everything_after_the_header() {
    let Packet::Publish(p) = accepted(&pkt(0x30, &[&s(b"t")]), V3_1_1) else {
        panic!()
    };
    assert!(p.payload.is_empty());
    // A 3.1.1 receiver does not read properties: they are payload.
    let Packet::Publish(p) = accepted(&pkt(0x30, &[&s(b"t"), &[0]]), V3_1_1) else {
        panic!()
    };
    assert_eq!(&p.payload[..], &[0]);
}

// ---------------------------------------------------------------------------------------------
// Properties (MQTT 5.0 §2.2.2).
// ---------------------------------------------------------------------------------------------

#[test]
fn duplicate_property() {
    let ct = [&[0x03][..], &s(b"text/plain")].concat();
    let twice = [ct.clone(), ct].concat();
    refused(
        &publish_v5(b"t", &twice),
        V5,
        DecodeError::DuplicateProperty(PropertyId::ContentType),
        "more than once",
    );
    // Only one Subscription Identifier in SUBSCRIBE…
    let ids = [0x0b, 1, 0x0b, 2];
    refused(
        &pkt(0x82, &[&[0, 1], &props(&ids), &s(b"t"), &[0]]),
        V5,
        DecodeError::DuplicateProperty(PropertyId::SubscriptionIdentifier),
        "more than once",
    );
    // …but a PUBLISH carries one per matching subscription, and User Properties repeat.
    let Packet::Publish(p) = accepted(&publish_v5(b"t", &ids), V5) else {
        panic!()
    };
    assert_eq!(
        p.properties.subscription_identifiers().collect::<Vec<_>>(),
        [1, 2]
    );
    let user = [&[0x26][..], &s(b"k"), &s(b"v")].concat();
    let Packet::Publish(p) = accepted(&publish_v5(b"t", &[user.clone(), user].concat()), V5) else {
        panic!()
    };
    assert_eq!(p.properties.user_properties().count(), 2);
}

#[test]
fn misplaced_property() {
    let not_allowed = |property, packet| DecodeError::PropertyNotAllowed { property, packet };
    // Topic Alias belongs to PUBLISH.
    refused(
        &connect_v5(&[0x23, 0, 1], None),
        V5,
        not_allowed(PropertyId::TopicAlias, "CONNECT"),
        "not allowed",
    );
    // Will Delay Interval belongs to the Will Properties only.
    refused(
        &publish_v5(b"t", &[0x18, 0, 0, 0, 1]),
        V5,
        not_allowed(PropertyId::WillDelayInterval, "PUBLISH"),
        "not allowed",
    );
    // And Topic Alias may not be a Will Property.
    refused(
        &connect_v5(&[], Some((&[0x23, 0, 1], b"w"))),
        V5,
        not_allowed(PropertyId::TopicAlias, "Will Properties"),
        "not allowed",
    );
    // Reason String is not for PUBLISH; Session Expiry Interval is not for PUBACK.
    let rs = [&[0x1f][..], &s(b"why")].concat();
    refused(
        &publish_v5(b"t", &rs),
        V5,
        not_allowed(PropertyId::ReasonString, "PUBLISH"),
        "not allowed",
    );
    refused(
        &pkt(0x40, &[&[0, 1, 0], &props(&[0x11, 0, 0, 0, 1])]),
        V5,
        not_allowed(PropertyId::SessionExpiryInterval, "PUBACK"),
        "not allowed",
    );
    // Nothing but User Property in UNSUBSCRIBE.
    refused(
        &pkt(0xa2, &[&[0, 1], &props(&[0x0b, 1]), &s(b"t")]),
        V5,
        not_allowed(PropertyId::SubscriptionIdentifier, "UNSUBSCRIBE"),
        "not allowed",
    );
}

#[test]
fn unknown_property() {
    refused(
        &publish_v5(b"t", &[0x7e, 0]),
        V5,
        DecodeError::UnknownProperty(0x7e),
        "2.2.2.2",
    );
    refused(
        &publish_v5(b"t", &[0x00]),
        V5,
        DecodeError::UnknownProperty(0),
        "2.2.2.2",
    );
    // An identifier of two bytes (a Variable Byte Integer) is no property either.
    refused(
        &publish_v5(b"t", &[0x80, 0x01]),
        V5,
        DecodeError::UnknownProperty(0x80),
        "2.2.2.2",
    );
}

#[test]
fn truncated_property() {
    // The property length claims more than the packet holds.
    refused(
        &pkt(0x30, &[&s(b"t"), &[10, 0x01, 1]]),
        V5,
        DecodeError::Truncated {
            field: "properties",
        },
        "1.5",
    );
    // A four-byte Message Expiry Interval cut after two bytes by the property length.
    refused(
        &pkt(0x30, &[&s(b"t"), &[3, 0x02, 0, 0], b"xx"]),
        V5,
        DecodeError::Truncated {
            field: "Message Expiry Interval",
        },
        "1.5",
    );
    // A string property whose length runs past the property block.
    refused(
        &pkt(0x30, &[&s(b"t"), &[3, 0x03, 0, 5], b"hello"]),
        V5,
        DecodeError::Truncated {
            field: "Content Type",
        },
        "1.5",
    );
    // A User Property with a name but no value.
    let half = [&[0x26][..], &s(b"k")].concat();
    refused(
        &publish_v5(b"t", &half),
        V5,
        DecodeError::Truncated {
            field: "User Property",
        },
        "1.5",
    );
    // The property length itself missing from a 5.0 SUBACK.
    refused(
        &pkt(0x90, &[&[0, 1]]),
        V5,
        DecodeError::Truncated {
            field: "property length",
        },
        "1.5",
    );
}

fn invalid(property: PropertyId, value: u32) -> DecodeError {
    DecodeError::InvalidPropertyValue { property, value }
}

#[test]
fn topic_alias_zero() {
    refused(
        &publish_v5(b"t", &[0x23, 0, 0]),
        V5,
        invalid(PropertyId::TopicAlias, 0),
        "MQTT-3.3.2-8",
    );
}

#[test]
fn subscription_identifier_zero() {
    let e = invalid(PropertyId::SubscriptionIdentifier, 0);
    refused(
        &pkt(0x82, &[&[0, 1], &props(&[0x0b, 0]), &s(b"t"), &[0]]),
        V5,
        e.clone(),
        "3.8.2.1.2",
    );
    refused(&publish_v5(b"t", &[0x0b, 0]), V5, e, "3.8.2.1.2");
}

#[test]
fn receive_maximum_zero() {
    let e = invalid(PropertyId::ReceiveMaximum, 0);
    refused(
        &connect_v5(&[0x21, 0, 0], None),
        V5,
        e.clone(),
        "3.1.2.11.3",
    );
    refused(
        &pkt(0x20, &[&[0, 0], &props(&[0x21, 0, 0])]),
        V5,
        e,
        "3.2.2.3.3",
    );
}

#[test]
fn maximum_packet_size_zero() {
    let e = invalid(PropertyId::MaximumPacketSize, 0);
    refused(
        &connect_v5(&[0x27, 0, 0, 0, 0], None),
        V5,
        e.clone(),
        "3.1.2.11.4",
    );
    refused(
        &pkt(0x20, &[&[0, 0], &props(&[0x27, 0, 0, 0, 0])]),
        V5,
        e,
        "3.2.2.3.6",
    );
}

#[test]
fn maximum_qos_above_1() {
    for qos in [2u8, 3, 0xff] {
        refused(
            &pkt(0x20, &[&[0, 0], &props(&[0x24, qos])]),
            V5,
            invalid(PropertyId::MaximumQoS, u32::from(qos)),
            "3.2.2.3.4",
        );
    }
    accepted(&pkt(0x20, &[&[0, 0], &props(&[0x24, 1])]), V5);
}

#[test]
fn payload_format_indicator_above_1() {
    let e = invalid(PropertyId::PayloadFormatIndicator, 2);
    refused(&publish_v5(b"t", &[0x01, 2]), V5, e.clone(), "3.3.2.3.2");
    refused(
        &connect_v5(&[], Some((&[0x01, 2], b"w"))),
        V5,
        e,
        "3.1.3.2.3",
    );
}

#[test]
fn boolean_properties_above_1() {
    use PropertyId as I;
    let connect = [
        (I::RequestProblemInformation, 0x17, "3.1.2.11.7"),
        (I::RequestResponseInformation, 0x19, "3.1.2.11.6"),
    ];
    for (id, byte, rule) in connect {
        refused(&connect_v5(&[byte, 2], None), V5, invalid(id, 2), rule);
    }
    let connack = [
        (I::RetainAvailable, 0x25, "3.2.2.3.5"),
        (I::WildcardSubscriptionAvailable, 0x28, "3.2.2.3.11"),
        (I::SubscriptionIdentifierAvailable, 0x29, "3.2.2.3.12"),
        (I::SharedSubscriptionAvailable, 0x2a, "3.2.2.3.13"),
    ];
    for (id, byte, rule) in connack {
        refused(
            &pkt(0x20, &[&[0, 0], &props(&[byte, 2])]),
            V5,
            invalid(id, 2),
            rule,
        );
    }
}

// ---------------------------------------------------------------------------------------------
// CONNECT.
// ---------------------------------------------------------------------------------------------

#[test]
fn connect_protocol_name_mqtt_3_1_2_1() {
    let bytes = pkt(0x10, &[&s(b"MQTX"), &[4, 2, 0, 0], &s(b"id")]);
    refused(
        &bytes,
        V3_1_1,
        DecodeError::InvalidProtocolName,
        "MQTT-3.1.2-1",
    );
    // MQIsdp with level 4 (as bridges send) is accepted and kept.
    let bytes = pkt(0x10, &[&s(b"MQIsdp"), &[0x84, 2, 0, 0], &s(b"id")]);
    let Packet::Connect(c) = accepted(&bytes, V3_1_1) else {
        panic!()
    };
    assert_eq!(
        (c.protocol, c.protocol_name.as_str(), c.bridge),
        (V3_1_1, "MQIsdp", true)
    );
    assert_eq!(encode(&Packet::Connect(c), V3_1_1), bytes);
}

#[test]
fn connect_protocol_level_mqtt_3_1_2_2() {
    for level in [0u8, 1, 2, 6, 0x7f, 0x86] {
        let bytes = pkt(0x10, &[&s(b"MQTT"), &[level, 2, 0, 0], &s(b"id")]);
        refused(
            &bytes,
            V3_1_1,
            DecodeError::UnsupportedProtocolLevel(level),
            "MQTT-3.1.2-2",
        );
    }
}

#[test]
fn connect_reserved_flag_mqtt_3_1_2_3() {
    refused(
        &connect_v4(0x03, &[]),
        V3_1_1,
        DecodeError::ConnectReservedFlag,
        "MQTT-3.1.2-3",
    );
}

#[test]
fn will_qos_and_retain_need_the_will_flag_mqtt_3_1_2_11_and_13() {
    for flags in [0x0a, 0x12, 0x22, 0x3a] {
        refused(
            &connect_v4(flags, &[]),
            V3_1_1,
            DecodeError::WillFlagsWithoutWill,
            "MQTT-3.1.2-11",
        );
    }
    refused(
        &connect_v4(0x22, &[]),
        V3_1_1,
        DecodeError::WillFlagsWithoutWill,
        "MQTT-3.1.2-13",
    );
}

#[test]
fn will_qos_3_mqtt_3_1_2_12() {
    let bytes = connect_v4(0x1e, &[&s(b"w"), &s(b"bye")]);
    refused(&bytes, V3_1_1, DecodeError::InvalidWillQoS, "MQTT-3.1.2-12");
}

#[test]
fn password_without_username_before_v5_mqtt_3_1_2_22() {
    refused(
        &connect_v4(0x42, &[&s(b"secret")]),
        V3_1_1,
        DecodeError::PasswordWithoutUsername,
        "MQTT-3.1.2-22",
    );
    // 5.0 allows a password without a user name.
    let bytes = pkt(
        0x10,
        &[
            &s(b"MQTT"),
            &[5, 0x42, 0, 0],
            &[0],
            &s(b"id"),
            &s(b"secret"),
        ],
    );
    let Packet::Connect(c) = accepted(&bytes, V5) else {
        panic!()
    };
    assert_eq!(
        (c.username, c.password.as_deref()),
        (None, Some(&b"secret"[..]))
    );
}

#[test]
fn connect_flags_promise_fields() {
    // The user name flag is set, the user name is missing.
    refused(
        &connect_v4(0x82, &[]),
        V3_1_1,
        DecodeError::Truncated { field: "user name" },
        "1.5",
    );
    // Nothing may follow the last field.
    refused(
        &connect_v4(0x02, &[b"!"]),
        V3_1_1,
        DecodeError::TrailingBytes(PacketType::Connect),
        "2.1.4",
    );
}

#[test]
fn decoder_follows_the_connect_version() {
    let mut decoder = Decoder::new(V3_1_1);
    let mut buf = BytesMut::from(&connect_v5(&[0x21, 0, 10], None)[..]);
    let Ok(Status::Packet(Packet::Connect(c))) = decoder.poll(&mut buf) else {
        panic!()
    };
    assert_eq!((c.protocol, decoder.version()), (V5, V5));
    // The next packets are read as 5.0: this PUBLISH has a property block.
    buf.extend_from_slice(&publish_v5(b"t", &[0x23, 0, 1]));
    let Ok(Status::Packet(Packet::Publish(p))) = decoder.poll(&mut buf) else {
        panic!()
    };
    assert_eq!(p.properties.topic_alias(), Some(1));
}

// ---------------------------------------------------------------------------------------------
// CONNACK.
// ---------------------------------------------------------------------------------------------

#[test]
fn connack_flags_mqtt_3_2_2_1() {
    for flags in [0x02, 0x80, 0xfe] {
        refused(
            &pkt(0x20, &[&[flags, 0]]),
            V3_1_1,
            DecodeError::InvalidConnAckFlags,
            "MQTT-3.2.2-1",
        );
        refused(
            &pkt(0x20, &[&[flags, 0, 0]]),
            V5,
            DecodeError::InvalidConnAckFlags,
            "MQTT-3.2.2-1",
        );
    }
}

#[test]
fn session_present_on_refusal_mqtt_3_2_2_6() {
    refused(
        &pkt(0x20, &[&[1, 5]]),
        V3_1_1,
        DecodeError::SessionPresentOnRefusal,
        "MQTT-3.2.2-6",
    );
    refused(
        &pkt(0x20, &[&[1, 0x87, 0]]),
        V5,
        DecodeError::SessionPresentOnRefusal,
        "MQTT-3.2.2-6",
    );
    let Packet::ConnAck(c) = accepted(&pkt(0x20, &[&[1, 0]]), V3_1_1) else {
        panic!()
    };
    assert!(c.session_present);
}

#[test]
fn connack_reason_code_is_mandatory_in_v5() {
    refused(
        &h("200101"),
        V5,
        DecodeError::Truncated {
            field: "connect reason code",
        },
        "1.5",
    );
}

#[test]
fn connack_from_a_311_server_to_a_v5_client() {
    // A 3.1.1 broker answers a 5.0 CONNECT with return code 1 and no properties.
    let Packet::ConnAck(c) = accepted(&h("20020001"), V5) else {
        panic!()
    };
    assert_eq!(c.code, ReasonCode::new(1));
}

#[test]
fn connack_trailing_bytes_before_v5() {
    refused(
        &h("2003000000"),
        V3_1_1,
        DecodeError::TrailingBytes(PacketType::ConnAck),
        "2.1.4",
    );
}

// ---------------------------------------------------------------------------------------------
// Reason codes: MQTT 5.0 §2.4, table 2-6, written out per packet independently of the codec.
// ---------------------------------------------------------------------------------------------

const SPEC_REASON_CODES: &[(PacketType, &[u8])] = &[
    (
        PacketType::ConnAck,
        &[
            0x00, 0x80, 0x81, 0x82, 0x83, 0x84, 0x85, 0x86, 0x87, 0x88, 0x89, 0x8a, 0x8c, 0x90,
            0x95, 0x97, 0x99, 0x9a, 0x9b, 0x9c, 0x9d, 0x9f,
        ],
    ),
    (
        PacketType::PubAck,
        &[0x00, 0x10, 0x80, 0x83, 0x87, 0x90, 0x91, 0x97, 0x99],
    ),
    (
        PacketType::PubRec,
        &[0x00, 0x10, 0x80, 0x83, 0x87, 0x90, 0x91, 0x97, 0x99],
    ),
    (PacketType::PubRel, &[0x00, 0x92]),
    (PacketType::PubComp, &[0x00, 0x92]),
    (
        PacketType::SubAck,
        &[
            0x00, 0x01, 0x02, 0x80, 0x83, 0x87, 0x8f, 0x91, 0x97, 0x9e, 0xa1, 0xa2,
        ],
    ),
    (
        PacketType::UnsubAck,
        &[0x00, 0x11, 0x80, 0x83, 0x87, 0x8f, 0x91],
    ),
    (
        PacketType::Disconnect,
        &[
            0x00, 0x04, 0x80, 0x81, 0x82, 0x83, 0x87, 0x89, 0x8b, 0x8c, 0x8d, 0x8e, 0x8f, 0x90,
            0x93, 0x94, 0x95, 0x96, 0x97, 0x98, 0x99, 0x9a, 0x9b, 0x9c, 0x9d, 0x9e, 0x9f, 0xa0,
            0xa1, 0xa2,
        ],
    ),
    (PacketType::Auth, &[0x00, 0x18, 0x19]),
];

/// MQTT 3.1.1 §3.2.2.3 and §3.9.3: the only codes before 5.0.
const V3_REASON_CODES: &[(PacketType, &[u8])] = &[
    (PacketType::ConnAck, &[0, 1, 2, 3, 4, 5]),
    (PacketType::SubAck, &[0, 1, 2, 0x80]),
];

/// A packet of type `packet` carrying `code`, in bytes.
fn with_code(packet: PacketType, code: u8, version: Protocol) -> Vec<u8> {
    let first = ((packet as u8) << 4) | if packet == PacketType::PubRel { 2 } else { 0 };
    let v5 = version.is_v5();
    match packet {
        PacketType::ConnAck if v5 => pkt(first, &[&[0, code, 0]]),
        PacketType::ConnAck => pkt(first, &[&[0, code]]),
        PacketType::SubAck if v5 => pkt(first, &[&[0, 1, 0, code]]),
        PacketType::SubAck => pkt(first, &[&[0, 1, code]]),
        PacketType::UnsubAck => pkt(first, &[&[0, 1, 0, code]]),
        PacketType::Disconnect | PacketType::Auth => pkt(first, &[&[code, 0]]),
        _ => pkt(first, &[&[0, 1, code, 0]]),
    }
}

/// The same packet built as a value.
fn packet_with_code(packet: PacketType, code: ReasonCode, v5: bool) -> Packet {
    let id = pid(1);
    let response = PubResponse {
        packet_id: id,
        code,
        properties: Properties::new(),
    };
    match packet {
        PacketType::ConnAck => Packet::ConnAck(ConnAck {
            code,
            ..ConnAck::default()
        }),
        PacketType::PubAck => Packet::PubAck(response),
        PacketType::PubRec => Packet::PubRec(response),
        PacketType::PubRel => Packet::PubRel(response),
        PacketType::PubComp => Packet::PubComp(response),
        PacketType::SubAck => Packet::SubAck(SubAck {
            packet_id: id,
            properties: Properties::new(),
            codes: vec![code],
        }),
        PacketType::UnsubAck => Packet::UnsubAck(UnsubAck {
            packet_id: id,
            properties: Properties::new(),
            codes: if v5 { vec![code] } else { vec![] },
        }),
        PacketType::Disconnect => Packet::Disconnect(Disconnect {
            code,
            properties: Properties::new(),
        }),
        _ => Packet::Auth(Auth {
            code,
            properties: Properties::new(),
        }),
    }
}

#[test]
fn undefined_reason_code_per_packet() {
    for (version, table) in [
        (V5, SPEC_REASON_CODES),
        (V3_1_1, V3_REASON_CODES),
        (V3_1, V3_REASON_CODES),
    ] {
        for &(packet, valid) in table {
            for code in 0..=u8::MAX {
                let bytes = with_code(packet, code, version);
                let value = packet_with_code(packet, ReasonCode::new(code), version.is_v5());
                if valid.contains(&code) {
                    assert_eq!(accepted(&bytes, version), value, "{packet} {code:#04x}");
                    assert!(ReasonCode::new(code).is_valid_for(packet, version));
                } else {
                    refused(
                        &bytes,
                        version,
                        DecodeError::InvalidReasonCode { packet, code },
                        "MQTT 2.4",
                    );
                    encode_refused(
                        value,
                        version,
                        EncodeError::InvalidReasonCode(ReasonCode::new(code)),
                    );
                }
            }
        }
    }
}

#[test]
fn reason_code_names() {
    assert_eq!(ReasonCode::new(0x97).name(), "Quota exceeded");
    assert_eq!(
        ReasonCode::SUCCESS.name_in(PacketType::SubAck, V5),
        "Granted QoS 0"
    );
    assert_eq!(
        ReasonCode::SUCCESS.name_in(PacketType::Disconnect, V5),
        "Normal disconnection"
    );
    assert_eq!(
        ReasonCode::new(0x80).name_in(PacketType::SubAck, V3_1_1),
        "Failure"
    );
    assert_eq!(
        ReasonCode::new(5).name_in(PacketType::ConnAck, V3_1_1),
        "Connection Refused, not authorized"
    );
    assert_eq!(ReasonCode::new(0x03).name(), "Unknown");
}

// ---------------------------------------------------------------------------------------------
// SUBSCRIBE, SUBACK, UNSUBSCRIBE, UNSUBACK.
// ---------------------------------------------------------------------------------------------

#[test]
fn empty_subscribe() {
    let e = DecodeError::NoTopicFilters(PacketType::Subscribe);
    refused(&pkt(0x82, &[&[0, 1]]), V3_1_1, e.clone(), "MQTT-3.8.3-2");
    refused(&pkt(0x82, &[&[0, 1, 0]]), V5, e, "MQTT-3.8.3-2");
}

#[test]
fn empty_unsubscribe() {
    let e = DecodeError::NoTopicFilters(PacketType::Unsubscribe);
    refused(&pkt(0xa2, &[&[0, 1]]), V3_1_1, e.clone(), "MQTT-3.10.3-2");
    refused(&pkt(0xa2, &[&[0, 1, 0]]), V5, e, "MQTT-3.10.3-2");
}

#[test]
fn empty_suback() {
    let e = DecodeError::NoReasonCodes(PacketType::SubAck);
    refused(&pkt(0x90, &[&[0, 1]]), V3_1_1, e.clone(), "3.9.3");
    refused(&pkt(0x90, &[&[0, 1, 0]]), V5, e, "3.9.3");
}

#[test]
fn empty_unsuback_in_v5() {
    let e = DecodeError::NoReasonCodes(PacketType::UnsubAck);
    refused(&pkt(0xb0, &[&[0, 1, 0]]), V5, e, "3.11.3");
    // Before 5.0 UNSUBACK is just the packet identifier, and nothing may follow it.
    accepted(&pkt(0xb0, &[&[0, 1]]), V3_1_1);
    refused(
        &pkt(0xb0, &[&[0, 1, 0]]),
        V3_1_1,
        DecodeError::TrailingBytes(PacketType::UnsubAck),
        "2.1.4",
    );
}

fn subscribe_with_options(options: u8, filter: &[u8], version: Protocol) -> Vec<u8> {
    if version.is_v5() {
        pkt(0x82, &[&[0, 1, 0], &s(filter), &[options]])
    } else {
        pkt(0x82, &[&[0, 1], &s(filter), &[options]])
    }
}

#[test]
fn retain_handling_3() {
    refused(
        &subscribe_with_options(0x30, b"t", V5),
        V5,
        DecodeError::InvalidRetainHandling,
        "3.8.3.1",
    );
}

#[test]
fn subscription_qos_3() {
    refused(
        &subscribe_with_options(3, b"t", V5),
        V5,
        DecodeError::InvalidSubscriptionQoS,
        "3.8.3.1",
    );
    refused(
        &subscribe_with_options(3, b"t", V3_1_1),
        V3_1_1,
        DecodeError::InvalidSubscriptionQoS,
        "3.8.3.1",
    );
}

#[test]
fn subscription_options_reserved_bits_mqtt_3_8_3_5() {
    for options in [0x40, 0x80, 0xc0] {
        refused(
            &subscribe_with_options(options, b"t", V5),
            V5,
            DecodeError::InvalidSubscriptionOptions(options),
            "MQTT-3.8.3-5",
        );
    }
    // Before 5.0 only the QoS bits exist.
    for options in [0x04, 0x08, 0x10, 0x80] {
        refused(
            &subscribe_with_options(options, b"t", V3_1_1),
            V3_1_1,
            DecodeError::InvalidSubscriptionOptions(options),
            "MQTT-3.8.3-5",
        );
    }
}

#[test]
fn no_local_on_shared() {
    refused(
        &subscribe_with_options(0x04, b"$share/g/t", V5),
        V5,
        DecodeError::NoLocalOnSharedSubscription,
        "MQTT-3.8.3-4",
    );
    let Packet::Subscribe(s) = accepted(&subscribe_with_options(0x04, b"t", V5), V5) else {
        panic!()
    };
    assert!(s.subscriptions[0].options.no_local);
}

#[test]
fn invalid_topic_filter() {
    let cases: &[(&[u8], &str)] = &[
        (b"", "MQTT-4.7.3-1"),
        (b"a/#/b", "MQTT-4.7.1-1"),
        (b"a#", "MQTT-4.7.1-1"),
        (b"#/", "MQTT-4.7.1-1"),
        (b"a+", "MQTT-4.7.1-2"),
        (b"+a/b", "MQTT-4.7.1-2"),
        (b"$share/g", "MQTT-4.8.2-2"),
        (b"$share//t", "MQTT-4.8.2-2"),
        (b"$share/g+/t", "MQTT-4.8.2-2"),
        (b"$share/g#/t", "MQTT-4.8.2-2"),
        (b"$share/g/", "MQTT-4.8.2-2"),
        (b"$share/g/a#", "MQTT-4.7.1-1"),
    ];
    for &(filter, rule) in cases {
        let why = switchboard_mqtt::topic::validate_filter(std::str::from_utf8(filter).unwrap())
            .expect_err("invalid filter");
        let e = DecodeError::InvalidTopicFilter(why);
        refused(&subscribe_with_options(0, filter, V5), V5, e.clone(), rule);
        refused(&pkt(0xa2, &[&[0, 1, 0], &s(filter)]), V5, e.clone(), rule);
        if !filter.starts_with(b"$share") {
            refused(
                &subscribe_with_options(0, filter, V3_1_1),
                V3_1_1,
                e.clone(),
                rule,
            );
            refused(&pkt(0xa2, &[&[0, 1], &s(filter)]), V3_1_1, e, rule);
        }
    }
    for filter in [
        "#",
        "+",
        "+/+",
        "/",
        "a//b",
        "sport/tennis/#",
        "$share/g/#",
        "$SYS/+",
    ] {
        accepted(
            &subscribe_with_options(1, filter.as_bytes(), V3_1_1),
            V3_1_1,
        );
    }
}

#[test]
fn subscribe_option_is_truncated() {
    refused(
        &pkt(0x82, &[&[0, 1], &s(b"t")]),
        V3_1_1,
        DecodeError::Truncated {
            field: "subscription options",
        },
        "1.5",
    );
}

// ---------------------------------------------------------------------------------------------
// PUBACK family, PINGREQ/PINGRESP, DISCONNECT, AUTH.
// ---------------------------------------------------------------------------------------------

#[test]
fn trailing_bytes_in_packets_of_fixed_size() {
    let cases = [
        (h("c00100"), PacketType::PingReq),
        (h("d00100"), PacketType::PingResp),
        (h("e00100"), PacketType::Disconnect),
        (h("4003000100"), PacketType::PubAck),
        (h("6203000100"), PacketType::PubRel),
    ];
    for (bytes, packet) in cases {
        refused(&bytes, V3_1_1, DecodeError::TrailingBytes(packet), "2.1.4");
    }
    // 5.0: after the property block.
    refused(
        &h("400500011000ff"),
        V5,
        DecodeError::TrailingBytes(PacketType::PubAck),
        "2.1.4",
    );
    refused(
        &h("e0030000ff"),
        V5,
        DecodeError::TrailingBytes(PacketType::Disconnect),
        "2.1.4",
    );
}

#[test]
fn short_forms_in_v5() {
    // PUBACK: remaining length 2 (success), 3 (a reason code alone), 4 (and properties).
    for hex in ["4002002a", "4003002a00", "4004002a0000"] {
        assert_eq!(
            accepted(&h(hex), V5),
            Packet::PubAck(PubResponse::new(pid(42)))
        );
    }
    let Packet::PubAck(p) = accepted(&h("4003002a10"), V5) else {
        panic!()
    };
    assert_eq!(p.code, ReasonCode::NO_MATCHING_SUBSCRIBERS);
    // DISCONNECT and AUTH: remaining length 0 means success.
    assert_eq!(
        accepted(&h("e000"), V5),
        Packet::Disconnect(Disconnect::default())
    );
    assert_eq!(
        accepted(&h("e00104"), V5),
        Packet::Disconnect(Disconnect {
            code: ReasonCode::DISCONNECT_WITH_WILL,
            properties: Properties::new(),
        })
    );
    assert_eq!(accepted(&h("f000"), V5), Packet::Auth(Auth::default()));
}

#[test]
fn auth_in_v311() {
    let e = DecodeError::UnsupportedPacket(PacketType::Auth);
    refused(&h("f000"), V3_1_1, e.clone(), "2.1.2");
    refused(&h("f000"), V3_1, e, "2.1.2");
}

#[test]
fn connect_and_pingreq_read_by_a_client() {
    // Only a server receives them (MQTT 2.1.2, direction of flow): a client's decoder refuses
    // them as a Protocol Error without parsing, and decodes everything else as usual.
    let connect = Packet::Connect(Box::new(Connect::new(V5, "c")))
        .to_bytes(V5)
        .unwrap()
        .to_vec();
    let pingreq = h("c000");
    assert!(Packet::decode(&connect, V5).is_ok());
    for (bytes, packet) in [
        (&connect, PacketType::Connect),
        (&pingreq, PacketType::PingReq),
    ] {
        let e = Packet::decode_as_client(bytes, V5).unwrap_err();
        assert_eq!(e, DecodeError::NotForClient(packet));
        assert!(e.rule().contains("2.1.2"), "{}", e.rule());
        assert_eq!(e.reason_code(), ReasonCode::PROTOCOL_ERROR);
        let mut buf = BytesMut::from(&bytes[..]);
        assert_eq!(
            Decoder::new(V5).poll_as_client(&mut buf),
            Err(DecodeError::NotForClient(packet))
        );
    }
    let mut buf = BytesMut::from(&h("d000")[..]);
    assert_eq!(
        Decoder::new(V5).poll_as_client(&mut buf),
        Ok(Status::Packet(Packet::PingResp))
    );
}

// ---------------------------------------------------------------------------------------------
// The streaming decoder: size limit, several packets, split packets, NeedMore.
// ---------------------------------------------------------------------------------------------

#[test]
fn packet_too_large_refused_before_buffering() {
    let mut decoder = Decoder::new(V5).with_max_packet_size(1024);
    // Only the fixed header of a 256 MiB PUBLISH has arrived.
    let mut buf = BytesMut::from(&h("30ffffff7f")[..]);
    let e = decoder.poll(&mut buf).unwrap_err();
    assert_eq!(
        e,
        DecodeError::PacketTooLarge {
            size: MAX_VARIABLE_BYTE_INTEGER as usize + 5,
            max: 1024
        }
    );
    assert!(e.rule().contains("MQTT-3.1.2-24"));
    assert_eq!(e.reason_code(), ReasonCode::PACKET_TOO_LARGE);
    // Nothing was reserved for it.
    assert!(buf.capacity() < 1024, "capacity grew to {}", buf.capacity());

    // The limit counts the whole packet, fixed header included: 1024 passes, 1025 does not.
    let fits = pkt(0x30, &[&s(b"t"), &vec![0u8; 1024 - 3 - 3]]);
    assert_eq!(fits.len(), 1024);
    let mut buf = BytesMut::from(&fits[..]);
    assert!(matches!(
        Decoder::new(V3_1_1)
            .with_max_packet_size(1024)
            .poll(&mut buf),
        Ok(Status::Packet(_))
    ));
    let too_big = pkt(0x30, &[&s(b"t"), &vec![0u8; 1024 - 3 - 3 + 1]]);
    let mut buf = BytesMut::from(&too_big[..3]);
    assert_eq!(
        Decoder::new(V3_1_1)
            .with_max_packet_size(1024)
            .poll(&mut buf),
        Err(DecodeError::PacketTooLarge {
            size: 1025,
            max: 1024
        })
    );
}

#[test]
fn decode_error_reason_codes() {
    assert_eq!(
        DecodeError::InvalidQoS.reason_code(),
        ReasonCode::MALFORMED_PACKET
    );
    assert_eq!(
        DecodeError::DuplicateProperty(PropertyId::ContentType).reason_code(),
        ReasonCode::PROTOCOL_ERROR
    );
}

/// A few packets of every shape, under the version they are encoded with.
fn samples() -> Vec<(Protocol, Packet)> {
    let mut connect = Connect::new(V5, "client");
    connect.will = Some(Will {
        topic: "status/client".into(),
        payload: Bytes::from_static(b"offline"),
        qos: QoS::AtLeastOnce,
        retain: true,
        properties: [Property::WillDelayInterval(5)].into_iter().collect(),
    });
    connect.properties.push(Property::ReceiveMaximum(10));
    let big = Publish {
        qos: QoS::AtLeastOnce,
        packet_id: Some(pid(7)),
        ..Publish::new("big", vec![0x5a; 300])
    };
    vec![
        (V5, connect.into()),
        (V5, Packet::PingReq),
        (V5, big.clone().into()),
        (V3_1_1, big.into()),
        (V3_1_1, Publish::new("a/b", "hello").into()),
        (V3_1_1, Packet::PubAck(PubResponse::new(pid(1)))),
        (
            V5,
            Packet::Subscribe(Subscribe {
                packet_id: pid(3),
                properties: [Property::SubscriptionIdentifier(9)].into_iter().collect(),
                subscriptions: vec![Subscription::new("a/+", QoS::ExactlyOnce)],
            }),
        ),
        (V3_1, Packet::Disconnect(Disconnect::default())),
    ]
}

#[test]
fn several_packets_in_one_buffer() {
    for version in [V3_1, V3_1_1, V5] {
        let packets: Vec<Packet> = samples()
            .into_iter()
            .filter(|(v, p)| *v == version || !matches!(p, Packet::Connect(_)))
            .map(|(_, p)| p)
            .filter(|p| p.to_bytes(version).is_ok())
            .collect();
        let stream: Vec<u8> = packets
            .iter()
            .flat_map(|p| encode(p, version).to_vec())
            .collect();
        let mut decoder = Decoder::new(version);
        let mut buf = BytesMut::from(&stream[..]);
        let mut out = Vec::new();
        while let Some(p) = decoder.decode(&mut buf).unwrap() {
            out.push(p);
        }
        assert!(buf.is_empty());
        assert_eq!(out, packets);
    }
}

#[test]
fn packet_split_at_every_byte_position() {
    for (version, packet) in samples() {
        let bytes = encode(&packet, version);
        for cut in 0..=bytes.len() {
            let (a, b) = bytes.split_at(cut);
            let got = decode_chunks(version, [a, b]).unwrap_or_else(|e| panic!("cut {cut}: {e}"));
            assert_eq!(got, std::slice::from_ref(&packet), "cut at {cut}");
        }
        // One byte at a time.
        let got = decode_chunks(version, bytes.chunks(1)).unwrap();
        assert_eq!(got, [packet]);
    }
}

#[test]
fn need_more_needed_values() {
    let mut decoder = Decoder::new(V3_1_1);
    let packet = pkt(0x30, &[&s(b"t"), &[0u8; 200]]); // remaining length 203 = cb 01
    assert_eq!(&packet[..3], &[0x30, 0xcb, 0x01]);
    let mut buf = BytesMut::new();
    // Nothing yet, then a first byte, then half a length: the size is not known.
    assert_eq!(
        decoder.poll(&mut buf),
        Ok(Status::NeedMore { needed: None })
    );
    for n in 1..3 {
        buf.extend_from_slice(&packet[n - 1..n]);
        assert_eq!(
            decoder.poll(&mut buf),
            Ok(Status::NeedMore { needed: None }),
            "{n} bytes"
        );
    }
    // Once the length is complete the decoder says exactly how much is missing.
    for n in 3..packet.len() {
        buf.extend_from_slice(&packet[n - 1..n]);
        assert_eq!(
            decoder.poll(&mut buf),
            Ok(Status::NeedMore {
                needed: Some(packet.len() - n)
            }),
            "{n} bytes"
        );
        assert_eq!(buf.len(), n, "a partial packet stays in the buffer");
    }
    buf.extend_from_slice(&packet[packet.len() - 1..]);
    assert!(matches!(
        decoder.poll(&mut buf),
        Ok(Status::Packet(Packet::Publish(_)))
    ));
    assert!(buf.is_empty());
    assert_eq!(decoder.decode(&mut buf), Ok(None));
}

#[test]
fn whole_packet_api_reports_truncation_and_excess() {
    assert_eq!(
        Packet::decode(&h("30"), V3_1_1),
        Err(DecodeError::Truncated {
            field: "fixed header"
        })
    );
    assert_eq!(
        Packet::decode(&h("3005"), V3_1_1),
        Err(DecodeError::Truncated {
            field: "packet body"
        })
    );
    assert_eq!(
        Packet::decode(&h("3005000174"), V3_1_1),
        Err(DecodeError::Truncated { field: "packet" })
    );
    assert_eq!(
        Packet::decode(&h("c00000"), V3_1_1),
        Err(DecodeError::TrailingBytes(PacketType::PingReq))
    );
}

#[test]
fn decoded_fields_share_the_receive_buffer() {
    let bytes = pkt(0x30, &[&s(b"topic"), b"payload"]);
    let mut buf = BytesMut::from(&bytes[..]);
    let start = buf.as_ptr() as usize;
    let Some(Packet::Publish(p)) = Decoder::new(V3_1_1).decode(&mut buf).unwrap() else {
        panic!()
    };
    let range = start..start + bytes.len();
    assert!(range.contains(&(p.topic.as_ptr() as usize)));
    assert!(range.contains(&(p.payload.as_ptr() as usize)));
}

// ---------------------------------------------------------------------------------------------
// Encode-side rules: the encoder refuses what the decoder would refuse, and writes nothing.
// ---------------------------------------------------------------------------------------------

#[test]
fn encode_packet_id_matches_qos() {
    let qos1 = Publish {
        qos: QoS::AtLeastOnce,
        ..Publish::new("t", "x")
    };
    encode_refused(qos1, V3_1_1, EncodeError::PacketIdMismatch);
    let qos0_with_id = Publish {
        packet_id: Some(pid(1)),
        ..Publish::new("t", "x")
    };
    encode_refused(qos0_with_id, V5, EncodeError::PacketIdMismatch);
}

#[test]
fn encode_dup_on_qos0() {
    let p = Publish {
        dup: true,
        ..Publish::new("t", "x")
    };
    encode_refused(p, V3_1_1, EncodeError::DupOnQoS0);
}

#[test]
fn encode_topic_name_rules() {
    encode_refused(Publish::new("", "x"), V3_1_1, EncodeError::EmptyTopicName);
    encode_refused(Publish::new("", "x"), V5, EncodeError::EmptyTopicName);
    encode_refused(
        Publish::new("a/+", "x"),
        V5,
        EncodeError::InvalidString("topic name"),
    );
    encode_refused(
        Publish::new("a/#", "x"),
        V3_1_1,
        EncodeError::InvalidString("topic name"),
    );
    encode_refused(
        Publish::new("a\0", "x"),
        V3_1_1,
        EncodeError::InvalidString("topic name"),
    );
    let long = "a".repeat(65_536);
    encode_refused(
        Publish::new(long, "x"),
        V3_1_1,
        EncodeError::FieldTooLong("topic name"),
    );
    // An empty topic with a Topic Alias is how 5.0 uses an alias.
    let mut aliased = Publish::new("", "x");
    aliased.properties.push(Property::TopicAlias(3));
    round_trips(aliased, V5);
    round_trips(Publish::new("a".repeat(65_535), "x"), V3_1_1);
}

#[test]
fn encode_properties_before_v5() {
    let mut p = Publish::new("t", "x");
    p.properties.push(Property::ContentType("text".into()));
    encode_refused(p.clone(), V3_1_1, EncodeError::PropertiesBeforeV5);
    encode_refused(p, V3_1, EncodeError::PropertiesBeforeV5);
    let mut c = ConnAck::default();
    c.properties.push(Property::ReasonString("x".into()));
    encode_refused(c, V3_1_1, EncodeError::PropertiesBeforeV5);
    let d = Disconnect {
        code: ReasonCode::DISCONNECT_WITH_WILL,
        properties: Properties::new(),
    };
    encode_refused(d, V3_1_1, EncodeError::PropertiesBeforeV5);
    let mut connect = Connect::new(V3_1_1, "c");
    connect.properties.push(Property::SessionExpiryInterval(10));
    encode_refused(connect, V3_1_1, EncodeError::PropertiesBeforeV5);
    let u = UnsubAck {
        packet_id: pid(1),
        properties: Properties::new(),
        codes: vec![ReasonCode::SUCCESS],
    };
    encode_refused(u, V3_1_1, EncodeError::PropertiesBeforeV5);
}

#[test]
fn encode_property_not_allowed() {
    let mut c = Connect::new(V5, "c");
    c.properties.push(Property::TopicAlias(1));
    encode_refused(
        c,
        V5,
        EncodeError::PropertyNotAllowed(PropertyId::TopicAlias),
    );
    let mut c = Connect::new(V5, "c");
    c.will = Some(Will {
        topic: "w".into(),
        properties: [Property::SessionExpiryInterval(1)].into_iter().collect(),
        ..Will::default()
    });
    encode_refused(
        c,
        V5,
        EncodeError::PropertyNotAllowed(PropertyId::SessionExpiryInterval),
    );
    let mut p = Publish::new("t", "x");
    p.properties.push(Property::ReasonString("no".into()));
    encode_refused(
        p,
        V5,
        EncodeError::PropertyNotAllowed(PropertyId::ReasonString),
    );
}

#[test]
fn encode_duplicate_property() {
    let mut p = Publish::new("t", "x");
    p.properties.push(Property::ContentType("a".into()));
    p.properties.push(Property::ContentType("b".into()));
    encode_refused(
        p,
        V5,
        EncodeError::DuplicateProperty(PropertyId::ContentType),
    );
    let s = Subscribe {
        packet_id: pid(1),
        properties: [
            Property::SubscriptionIdentifier(1),
            Property::SubscriptionIdentifier(2),
        ]
        .into_iter()
        .collect(),
        subscriptions: vec![Subscription::new("t", QoS::AtMostOnce)],
    };
    encode_refused(
        s,
        V5,
        EncodeError::DuplicateProperty(PropertyId::SubscriptionIdentifier),
    );
    // `Properties::set` replaces instead of repeating.
    let mut props = Properties::new();
    props.set(Property::ContentType("a".into()));
    props.set(Property::ContentType("b".into()));
    assert_eq!(props.len(), 1);
    assert_eq!(props.content_type().map(|s| s.as_str()), Some("b"));
}

#[test]
fn encode_property_values_in_range() {
    use Property as P;
    let publish = |p: Property| {
        let mut x = Publish::new("t", "x");
        x.properties.push(p);
        x
    };
    let connect = |p: Property| {
        let mut c = Connect::new(V5, "c");
        c.properties.push(p);
        c
    };
    let connack = |p: Property| {
        let mut c = ConnAck::default();
        c.properties.push(p);
        c
    };
    let bad = EncodeError::InvalidPropertyValue;
    encode_refused(publish(P::TopicAlias(0)), V5, bad(PropertyId::TopicAlias));
    encode_refused(
        publish(P::SubscriptionIdentifier(0)),
        V5,
        bad(PropertyId::SubscriptionIdentifier),
    );
    encode_refused(
        publish(P::SubscriptionIdentifier(MAX_VARIABLE_BYTE_INTEGER + 1)),
        V5,
        bad(PropertyId::SubscriptionIdentifier),
    );
    encode_refused(
        publish(P::PayloadFormatIndicator(2)),
        V5,
        bad(PropertyId::PayloadFormatIndicator),
    );
    encode_refused(
        connect(P::ReceiveMaximum(0)),
        V5,
        bad(PropertyId::ReceiveMaximum),
    );
    encode_refused(
        connect(P::MaximumPacketSize(0)),
        V5,
        bad(PropertyId::MaximumPacketSize),
    );
    encode_refused(
        connect(P::RequestProblemInformation(2)),
        V5,
        bad(PropertyId::RequestProblemInformation),
    );
    encode_refused(connack(P::MaximumQoS(2)), V5, bad(PropertyId::MaximumQoS));
    encode_refused(
        connack(P::RetainAvailable(2)),
        V5,
        bad(PropertyId::RetainAvailable),
    );
    encode_refused(
        connack(P::SharedSubscriptionAvailable(7)),
        V5,
        bad(PropertyId::SharedSubscriptionAvailable),
    );
    // The limits themselves are fine.
    round_trips(
        publish(P::SubscriptionIdentifier(MAX_VARIABLE_BYTE_INTEGER)),
        V5,
    );
    round_trips(publish(P::TopicAlias(u16::MAX)), V5);
    round_trips(connack(P::MaximumQoS(1)), V5);
}

#[test]
fn encode_empty_lists() {
    let sub = Subscribe {
        packet_id: pid(1),
        properties: Properties::new(),
        subscriptions: vec![],
    };
    encode_refused(sub, V3_1_1, EncodeError::Empty(PacketType::Subscribe));
    let unsub = Unsubscribe {
        packet_id: pid(1),
        properties: Properties::new(),
        filters: vec![],
    };
    encode_refused(unsub, V5, EncodeError::Empty(PacketType::Unsubscribe));
    let suback = SubAck {
        packet_id: pid(1),
        properties: Properties::new(),
        codes: vec![],
    };
    encode_refused(suback, V3_1_1, EncodeError::Empty(PacketType::SubAck));
    let unsuback = UnsubAck {
        packet_id: pid(1),
        properties: Properties::new(),
        codes: vec![],
    };
    encode_refused(
        unsuback.clone(),
        V5,
        EncodeError::Empty(PacketType::UnsubAck),
    );
    round_trips(unsuback, V3_1_1);
}

#[test]
fn encode_auth_before_v5() {
    encode_refused(
        Auth::default(),
        V3_1_1,
        EncodeError::UnsupportedPacket(PacketType::Auth),
    );
    round_trips(Auth::default(), V5);
}

#[test]
fn encode_connect_rules() {
    // A password needs a user name before 5.0.
    let mut c = Connect::new(V3_1_1, "c");
    c.password = Some(Bytes::from_static(b"pw"));
    encode_refused(c.clone(), V3_1_1, EncodeError::PasswordWithoutUsername);
    c.protocol = V5;
    round_trips(c, V5);
    // 3.1 needs a client identifier; 3.1.1 only with Clean Session [MQTT-3.1.3-7].
    encode_refused(Connect::new(V3_1, ""), V3_1, EncodeError::EmptyClientId);
    let mut c = Connect::new(V3_1_1, "");
    round_trips(c.clone(), V3_1_1);
    c.clean_start = false;
    encode_refused(c, V3_1_1, EncodeError::EmptyClientId);
    let mut c = Connect::new(V5, "");
    c.clean_start = false;
    round_trips(c, V5);
    // The protocol name.
    let mut c = Connect::new(V3_1_1, "c");
    c.protocol_name = "MQTTX".into();
    encode_refused(c, V3_1_1, EncodeError::InvalidString("protocol name"));
    // The Will Topic is a topic name.
    let will = |topic: &'static str| {
        let mut c = Connect::new(V3_1_1, "c");
        c.will = Some(Will {
            topic: topic.into(),
            ..Will::default()
        });
        c
    };
    encode_refused(will(""), V3_1_1, EncodeError::EmptyTopicName);
    encode_refused(
        will("a/+"),
        V3_1_1,
        EncodeError::InvalidString("will topic"),
    );
    encode_refused(
        will("a\0"),
        V3_1_1,
        EncodeError::InvalidString("will topic"),
    );
    round_trips(will("a/b"), V3_1_1);
    // The client identifier may not hold U+0000.
    encode_refused(
        Connect::new(V3_1_1, String::from("a\0")),
        V3_1_1,
        EncodeError::InvalidString("client identifier"),
    );
}

#[test]
fn encode_connack_rules() {
    let refusal = ConnAck {
        session_present: true,
        code: ReasonCode::NOT_AUTHORIZED,
        properties: Properties::new(),
    };
    encode_refused(refusal, V5, EncodeError::SessionPresentOnRefusal);
    let refusal = ConnAck {
        session_present: true,
        code: ReasonCode::new(5),
        properties: Properties::new(),
    };
    encode_refused(refusal, V3_1_1, EncodeError::SessionPresentOnRefusal);
    // 0x87 is not a 3.1.1 return code.
    let c = ConnAck {
        code: ReasonCode::NOT_AUTHORIZED,
        ..ConnAck::default()
    };
    encode_refused(
        c,
        V3_1_1,
        EncodeError::InvalidReasonCode(ReasonCode::NOT_AUTHORIZED),
    );
}

#[test]
fn encode_subscription_rules() {
    let subscribe = |filter: &'static str, options: SubscriptionOptions| Subscribe {
        packet_id: pid(1),
        properties: Properties::new(),
        subscriptions: vec![Subscription {
            filter: filter.into(),
            options,
        }],
    };
    let no_local = SubscriptionOptions {
        no_local: true,
        ..SubscriptionOptions::default()
    };
    encode_refused(
        subscribe("t", no_local),
        V3_1_1,
        EncodeError::SubscriptionOptionsBeforeV5,
    );
    let rh = SubscriptionOptions {
        retain_handling: RetainHandling::DoNotSend,
        ..SubscriptionOptions::default()
    };
    encode_refused(
        subscribe("t", rh),
        V3_1,
        EncodeError::SubscriptionOptionsBeforeV5,
    );
    encode_refused(
        subscribe("$share/g/t", no_local),
        V5,
        EncodeError::NoLocalOnSharedSubscription,
    );
    round_trips(subscribe("t", no_local), V5);
    round_trips(subscribe("$share/g/t", rh), V5);
    for bad in ["", "a/#/b", "a+", "$share/g", "$share//t"] {
        encode_refused(
            subscribe(bad, SubscriptionOptions::default()),
            V5,
            EncodeError::InvalidTopicFilter,
        );
        let u = Unsubscribe {
            packet_id: pid(1),
            properties: Properties::new(),
            filters: vec![bad.into()],
        };
        encode_refused(u, V3_1_1, EncodeError::InvalidTopicFilter);
    }
}

#[test]
fn encode_writes_the_exact_size_once() {
    for (version, packet) in samples() {
        let mut buf = BytesMut::new();
        packet.encode(version, &mut buf).unwrap();
        assert_eq!(packet.encoded_len(version), Ok(buf.len()));
        // Appends after what is already there.
        let mut buf2 = BytesMut::from(&b"xy"[..]);
        packet.encode(version, &mut buf2).unwrap();
        assert_eq!(&buf2[2..], &buf[..]);
    }
}

#[test]
fn byte_str_round_trips() {
    let s = ByteStr::from("héllo");
    assert_eq!(s, "héllo");
    assert!(ByteStr::from_utf8(Bytes::from_static(b"\xff")).is_err());
}
