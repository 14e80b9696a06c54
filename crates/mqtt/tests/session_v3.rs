//! Deterministic session tests of MQTT 3.1 and 3.1.1: no properties, no reason codes,
//! Clean Session semantics, and protocol errors that close without DISCONNECT.
// Tests may panic on a failed expectation; that is how they report it. The fake clock needs
// one real instant to start from (`Instant::now`, disallowed in library code).
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::indexing_slicing,
    clippy::panic,
    clippy::disallowed_methods
)]

mod common_session;

use bytes::Bytes;
use common_session::*;
use switchboard_mqtt::codec::*;
use switchboard_mqtt::session::*;

#[test]
fn v31_connects_with_mqisdp() {
    let mut o = Options::new(Protocol::V3_1, "old-device");
    o.username = Some("u".into());
    o.password = Some(Bytes::from_static(b"p"));
    let mut h = Harness::new(o);
    h.s.connect(h.now);
    let bytes = h.s.poll_transmit().unwrap();
    // Fixed header, then the protocol name "MQIsdp" and level 3.
    assert_eq!(&bytes[2..11], b"\x00\x06MQIsdp\x03");
    assert!(h.s.poll_transmit().is_none());
    h.connack(false, Properties::new());
    assert!(matches!(&h.events()[..], [Event::Connected { .. }]));
    // A full QoS 2 exchange in 3.1.
    let m = h.publish("t", "x", QoS::ExactlyOnce);
    let _ = h.sent();
    h.recv(Packet::PubRec(PubResponse::new(m)));
    assert_eq!(h.sent(), [Packet::PubRel(PubResponse::new(m))]);
    h.recv(Packet::PubComp(PubResponse::new(m)));
    assert_eq!(published(&h.events()), [(m.get(), 0)]);
}

#[test]
fn v31_refusal_codes_surface() {
    let mut h = Harness::new(Options::new(Protocol::V3_1, "x"));
    h.s.connect(h.now);
    let _ = h.sent();
    h.s.handle_bytes(&[0x20, 0x02, 0x00, 0x02], h.now);
    assert!(matches!(
        &h.events()[..],
        [Event::Disconnected(DisconnectReason::Refused { code, .. })] if code.get() == 2
    ));
}

#[test]
fn v311_connect_has_no_properties_and_keeps_the_will() {
    let mut o = Options::new(Protocol::V3_1_1, "t");
    o.session_expiry = 100; // 5.0 only: not sent
    o.receive_maximum = 5;
    o.will = Some(Will {
        topic: "w".into(),
        payload: Bytes::from_static(b"gone"),
        qos: QoS::AtLeastOnce,
        retain: true,
        properties: Properties::new(),
    });
    let mut h = Harness::new(o.clone());
    h.s.connect(h.now);
    let Packet::Connect(c) = &h.sent()[0] else {
        panic!()
    };
    assert_eq!(c.protocol, Protocol::V3_1_1);
    assert!(c.properties.is_empty());
    assert_eq!(c.will, o.will);
}

#[test]
fn v311_clean_session_false_resumes_and_redelivers() {
    let mut o = Options::new(Protocol::V3_1_1, "t");
    o.clean_start = false;
    let mut h = Harness::new(o);
    h.s.connect(h.now);
    let Packet::Connect(c) = &h.sent()[0] else {
        panic!()
    };
    assert!(!c.clean_start);
    h.connack(false, Properties::new());
    let m = h.publish("t", "x", QoS::AtLeastOnce);
    let _ = h.sent();
    let _ = h.lose();
    let c = h.reconnect(true, Properties::new());
    assert!(!c.clean_start);
    assert_eq!(publishes(&h.sent()), [(Some(m.get()), true, "x".into())]);
}

#[test]
fn v311_clean_session_true_starts_over_every_time() {
    let mut h = Harness::v311();
    h.up(Properties::new());
    let s =
        h.s.subscribe(vec![Subscription::new("a", QoS::AtLeastOnce)], h.now)
            .unwrap();
    h.recv(Packet::SubAck(SubAck {
        packet_id: s,
        properties: Properties::new(),
        codes: vec![ReasonCode::new(1)],
    }));
    let _ = h.sent();
    let _ = h.lose();
    let c = h.reconnect(false, Properties::new());
    assert!(c.clean_start, "a clean session stays clean");
    assert!(matches!(&h.sent()[..], [Packet::Subscribe(_)]));
}

#[test]
fn v311_session_present_after_clean_session_is_a_protocol_error() {
    let mut h = Harness::v311();
    h.s.connect(h.now);
    let _ = h.sent();
    h.connack(true, Properties::new());
    // 3.x has no DISCONNECT from the client for this: the connection just closes.
    h.expect_protocol_error(0x82);
}

#[test]
fn v311_protocol_errors_close_without_disconnect() {
    // AUTH does not exist before 5.0.
    let mut h = Harness::v311();
    h.up(Properties::new());
    h.s.handle_bytes(&[0xf0, 0x00], h.now);
    h.expect_protocol_error(0x82);
    // A malformed PUBLISH (QoS 3).
    let mut h = Harness::v311();
    h.up(Properties::new());
    h.s.handle_bytes(&[0x36, 0x03, 0x00, 0x01, b'a'], h.now);
    h.expect_protocol_error(0x81);
}

#[test]
fn v311_has_no_receive_maximum() {
    let mut o = Options::new(Protocol::V3_1_1, "t");
    o.receive_maximum = 1;
    let mut h = Harness::new(o);
    h.up(Properties::new());
    for n in 1..=5 {
        h.recv(Packet::Publish(incoming("t", "x", QoS::ExactlyOnce, n)));
    }
    assert!(h.s.is_connected());
    assert_eq!(h.messages().len(), 5);
}

#[test]
fn v311_unknown_pubrel_answered_with_plain_pubcomp() {
    let mut h = Harness::v311();
    h.up(Properties::new());
    h.recv(Packet::PubRel(PubResponse::new(id(3))));
    assert_eq!(h.sent(), [Packet::PubComp(PubResponse::new(id(3)))]);
    h.recv(Packet::PubRec(PubResponse::new(id(4))));
    assert_eq!(h.sent(), [Packet::PubRel(PubResponse::new(id(4)))]);
}

#[test]
fn v311_refuses_5_0_only_requests() {
    let mut h = Harness::v311();
    h.up(Properties::new());
    let mut p = Publish::new("t", "x");
    p.properties
        .push(Property::ContentType("text/plain".into()));
    assert!(matches!(
        h.s.publish_packet(p, h.now),
        Err(SessionError::Encode(EncodeError::PropertiesBeforeV5))
    ));
    assert!(matches!(
        h.s.request("a", "b", QoS::AtMostOnce, "r", Bytes::new(), h.now),
        Err(SessionError::NotAllowed(_))
    ));
    let mut sub = Subscription::new("a", QoS::AtMostOnce);
    sub.options.no_local = true;
    assert!(matches!(
        h.s.subscribe(vec![sub], h.now),
        Err(SessionError::Encode(_))
    ));
    assert_eq!(h.s.pending(), (0, 0));
    assert!(h.sent().is_empty());
    // No Subscription Identifiers in 3.x.
    h.s.subscribe(vec![Subscription::new("a", QoS::AtMostOnce)], h.now)
        .unwrap();
    assert!(matches!(&h.sent()[..], [Packet::Subscribe(s)] if s.properties.is_empty()));
    // AUTH needs 5.0.
    let mut o = Options::new(Protocol::V3_1_1, "t");
    o.authentication_method = Some("M".into());
    let mut h = Harness::new(o);
    h.up(Properties::new());
    assert!(h.s.auth(None, true, h.now).is_err());
}

#[test]
fn v311_disconnect_is_plain() {
    let mut h = Harness::v311();
    h.up(Properties::new());
    h.s.disconnect(ReasonCode::DISCONNECT_WITH_WILL, Some(10), h.now);
    let bytes = h.s.poll_transmit().unwrap();
    assert_eq!(&bytes[..], [0xe0, 0x00]);
    assert!(matches!(
        &h.events()[..],
        [Event::Disconnected(DisconnectReason::Local { code })] if code.get() == 0
    ));
}

#[test]
fn v311_server_disconnect_surfaces() {
    // 3.1.1 servers do not send DISCONNECT, but some do; it ends the connection.
    let mut h = Harness::v311();
    h.up(Properties::new());
    h.s.handle_bytes(&[0xe0, 0x00], h.now);
    assert!(matches!(
        &h.events()[..],
        [Event::Disconnected(DisconnectReason::ByServer { .. })]
    ));
}

#[test]
fn v311_keeps_at_most_20_qos2_in_flight() {
    // 3.1.1 has no Receive Maximum, yet brokers have a limit for QoS 2 (mosquitto drops a
    // 3.1.1 client's QoS 2 messages beyond 20 unreleased while answering PUBREC):
    // Options::send_maximum_v3_qos2, 20 by default, holds the rest back until
    // acknowledgements make room.
    let mut h = Harness::v311();
    h.up(Properties::new());
    let ids: Vec<_> = (0..22)
        .map(|i| h.publish("t", &format!("{i}"), QoS::ExactlyOnce))
        .collect();
    assert_eq!(publishes(&h.sent()).len(), 20);
    assert_eq!(h.s.pending(), (2, 20));
    // A PUBREC is not enough: the message is in flight until PUBCOMP.
    h.recv(Packet::PubRec(PubResponse::new(ids[0])));
    assert_eq!(h.sent(), [Packet::PubRel(PubResponse::new(ids[0]))]);
    h.recv(Packet::PubComp(PubResponse::new(ids[0])));
    assert_eq!(payloads(&h.sent()), ["20"]);

    // A QoS 1 message published behind a waiting QoS 2 one waits too: publish order holds.
    let late = h.publish("t", "late", QoS::AtLeastOnce);
    assert!(h.sent().is_empty());
    h.recv(Packet::PubRec(PubResponse::new(ids[1])));
    h.recv(Packet::PubComp(PubResponse::new(ids[1])));
    assert_eq!(payloads(&h.sent()), ["21", "late"]);
    h.recv(Packet::PubAck(PubResponse::new(late)));
    assert_eq!(h.s.pending(), (0, 20));
}

#[test]
fn v311_sends_qos1_without_a_window_of_20() {
    // QoS 1 has no such trap: by default every QoS 1 message goes out at once, as MQTT.js
    // sends them, and QoS 2 ones still stop at 20 among them.
    let mut h = Harness::v311();
    h.up(Properties::new());
    for i in 0..500 {
        h.publish("t", &format!("{i}"), QoS::AtLeastOnce);
    }
    assert_eq!(publishes(&h.sent()).len(), 500);
    for i in 0..25 {
        h.publish("t", &format!("q2-{i}"), QoS::ExactlyOnce);
    }
    assert_eq!(publishes(&h.sent()).len(), 20);
    assert_eq!(h.s.pending(), (5, 520));
}

#[test]
fn v311_keeps_at_most_send_maximum_in_flight() {
    // The whole window is configurable too, and QoS 1 counts against it.
    let mut o = Options::new(Protocol::V3_1_1, "t");
    o.send_maximum_v3 = 2;
    let mut h = Harness::new(o);
    h.up(Properties::new());
    let ids: Vec<_> = (0..3)
        .map(|i| h.publish("t", &format!("{i}"), QoS::AtLeastOnce))
        .collect();
    assert_eq!(payloads(&h.sent()), ["0", "1"]);
    h.recv(Packet::PubAck(PubResponse::new(ids[1])));
    assert_eq!(payloads(&h.sent()), ["2"]);
}
